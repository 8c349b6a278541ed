// What a deploy is: an optional once-per-run preparation on the controller, then a function per host.
import type { HostContext } from "../host.js";

export interface DeployController {
  /** Names of the hosts this run works on. */
  hosts: readonly { name: string; data: Readonly<Record<string, unknown>> }[];
  dry: boolean;
  /** Whether the user confirmed destructive work (--yes). */
  yes: boolean;
  /** Print a line of progress on stderr. */
  log(message: string): void;
}

export interface Deploy<S = unknown> {
  name: string;
  description?: string;
  /** Runs once on the controller before any host (e.g. resolve a release once, not per host). */
  prepare?(controller: DeployController): Promise<S>;
  /** Runs for every host, in parallel, with what prepare() returned. */
  run(host: HostContext, prepared: S): Promise<void>;
}

export function defineDeploy<S = undefined>(deploy: Deploy<S>): Deploy<S> {
  return deploy;
}
