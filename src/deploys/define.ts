// What a deploy is: an optional once-per-run preparation on the controller, then a function per host.
import type { HostContext } from "../host.js";
import type { RunSummary } from "../runner/run-hosts.js";

export interface DeployController {
  /** Names of the hosts this run works on. */
  hosts: readonly { name: string; data: Readonly<Record<string, unknown>> }[];
  dry: boolean;
  /** Whether the user confirmed destructive work (--yes). */
  yes: boolean;
  /** Print a line of progress on stderr. */
  log(message: string): void;
  /**
   * Deploy-specific flags as given on the command line (`--to`, `--max-down`, `--lock`), absent when not given.
   * Each deploy validates the ones it reads; the others ignore them.
   */
  options?: Readonly<Record<string, unknown>>;
  /** The run's failure budget (--max-fail) in hosts; Infinity when there is none. */
  maxFail?: number;
}

export interface Deploy<S = unknown> {
  name: string;
  description?: string;
  /** Runs once on the controller before any host (e.g. resolve a release once, not per host). */
  prepare?(controller: DeployController): Promise<S>;
  /** Runs for every host, in parallel, with what prepare() returned. */
  run(host: HostContext, prepared: S): Promise<void>;
  /**
   * Runs once after the last host, also after a failed or interrupted run (summary undefined when the run itself
   * broke): give back what prepare() took (a lock's leases) and report on the whole run.
   */
  finish?(prepared: S, summary: RunSummary<void> | undefined): Promise<void>;
}

export function defineDeploy<S = undefined>(deploy: Deploy<S>): Deploy<S> {
  return deploy;
}
