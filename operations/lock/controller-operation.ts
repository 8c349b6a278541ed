// An operation that works on the controller (no command runs on the host) yet reports like every other one:
// op:start, then op:result with changed / unchanged / planned / failed, counted in the host's summary.
import { PineError } from "../../src/errors.js";
import type { HostContext } from "../../src/host.js";
import type { OperationResult } from "../../src/operations/define.js";

export type ControllerOperation<A, R> = ((host: HostContext, args: A) => Promise<OperationResult & R>) & { readonly operationName: string };

export interface ControllerOperationSpec<A, R> {
  name: string;
  /** One line saying what the operation ensures, for failed results. */
  describe(args: A): string;
  /** Do the work (or, when host.dry, only say what it would do). */
  run(host: HostContext, args: A): Promise<{ status: "changed" | "unchanged" | "planned"; description: string } & R>;
}

export function defineControllerOperation<A, R extends object>(spec: ControllerOperationSpec<A, R>): ControllerOperation<A, R> {
  const run = async (host: HostContext, args: A): Promise<OperationResult & R> => {
    const started = Date.now();
    host.emit({ type: "op:start", host: host.name, op: spec.name, description: spec.describe(args) });
    try {
      const outcome = await spec.run(host, args);
      host.count(outcome.status);
      host.emit({ type: "op:result", host: host.name, op: spec.name, status: outcome.status, description: outcome.description, commands: [], ms: Date.now() - started });
      return { ...outcome, commands: [] };
    } catch (error) {
      const message = error instanceof PineError ? error.describe() : (error as Error).message;
      host.emit({ type: "op:result", host: host.name, op: spec.name, description: spec.describe(args), status: "failed", error: message, ms: Date.now() - started });
      if (error instanceof PineError) throw error;
      throw new PineError(`${spec.name} failed: ${(error as Error).message}`, { host: host.name, step: spec.name, cause: error });
    }
  };
  Object.defineProperty(run, "operationName", { value: spec.name });
  return run as ControllerOperation<A, R>;
}
