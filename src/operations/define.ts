// How an operation is defined and run: read facts, plan the commands that close the gap
// (none when the host is already right), then execute them or, with --dry, only report them.
import type { Readable } from "node:stream";
import type { ExecResult } from "../connectors/types.js";
import { CommandError, PineError } from "../errors.js";
import type { OperationStatus } from "../events.js";
import type { Fact } from "../facts/define.js";
import type { HostContext } from "../host.js";

/** One command of a plan. stdin carries file content so an upload costs no extra round trip. */
export interface Step {
  command: string;
  stdin?: string | Buffer | (() => Readable);
  /** What to show instead of the command (e.g. when it embeds a large script). */
  display?: string;
  timeoutMs?: number;
  /** Output as it arrives, e.g. to report a long write's progress with host.progress(). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * Sees the finished step's result before its exit code is checked: read a value from its output (the loop device
   * `losetup --show` printed), or throw an error that says more than "exit 1". Returning leaves the usual check.
   */
  onResult?: (result: ExecResult) => void;
  /**
   * Run over an exec channel of its own rather than the host's shell session: for steps that restart the host or its
   * sshd, replace the root the session's shell runs from, or must not share a shell. Streamed stdin always does.
   */
  ownChannel?: boolean;
  /**
   * Sees the error when the step could not run to its end (the connection lost, a timeout): return a better one, e.g.
   * an image write saying the device is now undefined. Returning nothing keeps the error as it is.
   */
  onError?: (error: PineError) => PineError | undefined;
}

export interface Plan {
  /** What will change, for people: "create directory /srv/app (mode 755)". */
  description: string;
  steps: Step[];
  /** A unified diff for content changes. */
  diff?: string;
  /** Fact keys/names/prefixes whose cached values the steps make stale. */
  invalidates?: string[];
  /** Work done on the controller after the steps ran (e.g. record a host key). */
  after?: () => Promise<void>;
}

export interface OperationResult {
  status: OperationStatus;
  description: string;
  diff?: string;
  commands: string[];
}

export interface OperationSpec<A> {
  name: string;
  /** Check the arguments before any round trip: throw a UsageError naming the operation and argument. */
  validate?(args: A): void;
  /** Facts the planner reads: fetched in one round trip before plan() runs. */
  facts?(args: A): readonly Fact<unknown>[];
  /** Return null (or a plan without steps) when nothing needs doing; `describe` is then what was checked. */
  plan(host: HostContext, args: A): Promise<Plan | null>;
  /** One line saying what the operation ensures, for unchanged and failed results. */
  describe(args: A): string;
}

export type Operation<A> = ((host: HostContext, args: A) => Promise<OperationResult>) & { readonly operationName: string };

export function defineOperation<A>(spec: OperationSpec<A>): Operation<A> {
  const run = async (host: HostContext, args: A): Promise<OperationResult> => {
    const started = Date.now();
    const checked = spec.describe(args);
    host.emit({ type: "op:start", host: host.name, op: spec.name, description: checked });
    try {
      spec.validate?.(args);
      const needed = spec.facts?.(args) ?? [];
      if (needed.length > 0) await host.gather(needed);
      const plan = await spec.plan(host, args);
      if (!plan || plan.steps.length === 0) {
        if (plan?.after && !host.dry) await plan.after();
        host.count("unchanged");
        const result: OperationResult = { status: "unchanged", description: plan?.description ?? checked, commands: [] };
        host.emit({ type: "op:result", host: host.name, op: spec.name, ...result, ms: Date.now() - started });
        return result;
      }
      const commands = plan.steps.map((step) => step.display ?? step.command);
      if (host.dry) {
        host.count("planned");
        const result: OperationResult = { status: "planned", description: plan.description, diff: plan.diff, commands };
        host.emit({ type: "op:result", host: host.name, op: spec.name, ...result, ms: Date.now() - started });
        return result;
      }
      try {
        for (const step of plan.steps) await runStep(host, spec.name, step);
      } finally {
        if (plan.invalidates?.length) host.invalidate(...plan.invalidates);
      }
      if (plan.after) await plan.after();
      host.count("changed");
      const result: OperationResult = { status: "changed", description: plan.description, diff: plan.diff, commands };
      host.emit({ type: "op:result", host: host.name, op: spec.name, ...result, ms: Date.now() - started });
      return result;
    } catch (error) {
      const message = error instanceof PineError ? error.describe() : (error as Error).message;
      host.emit({ type: "op:result", host: host.name, op: spec.name, description: checked, status: "failed", error: message, ms: Date.now() - started });
      if (error instanceof PineError) throw error;
      throw new PineError(`${spec.name} failed: ${(error as Error).message}`, { host: host.name, step: spec.name, cause: error });
    }
  };
  Object.defineProperty(run, "operationName", { value: spec.name });
  return run as Operation<A>;
}

async function runStep(host: HostContext, opName: string, step: Step): Promise<void> {
  const stdin = typeof step.stdin === "function" ? step.stdin() : step.stdin;
  const session = step.ownChannel !== true && typeof step.stdin !== "function";
  const result = await host.exec(step.command, { stdin, timeoutMs: step.timeoutMs, onStdout: step.onStdout, onStderr: step.onStderr, session }).catch((error: unknown) => {
    // A lost connection or timeout mid-step names the operation it broke, and what it was running, not a bare "exec".
    if (!(error instanceof PineError)) throw error;
    const Kind = error.constructor as typeof PineError;
    const named = new Kind(`${opName}: ${error.message}`, { host: error.host, step: opName, command: step.display ?? step.command, exitCode: error.exitCode, stderr: error.stderr, hint: error.hint, cause: error });
    throw step.onError?.(named) ?? named;
  });
  step.onResult?.(result);
  if (result.exitCode !== 0) {
    throw new CommandError(`${opName} failed`, {
      host: host.name,
      step: opName,
      command: step.display ?? step.command,
      exitCode: result.exitCode,
      stderr: result.stderr || result.stdout.slice(-2000),
    });
  }
}
