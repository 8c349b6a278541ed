// lock.acquire: take a slot of a named lock (the reboot lock) for this host, waiting in line and saying so.
import { UsageError } from "../../src/errors.js";
import type { LockLease, RebootLock, WaitState } from "../../src/lock/index.js";
import { defineControllerOperation } from "./controller-operation.js";

export interface AcquireArgs {
  /** The lock, made once per run with createLock() (in the deploy's prepare) and shared by all hosts. */
  lock: RebootLock;
  /** Who holds the slot (default: the host's inventory name). */
  holder?: string;
  /** Give up waiting after this long (default: wait as long as it takes). */
  timeoutMs?: number;
  /** Give up waiting when this aborts (e.g. the run was interrupted). */
  signal?: AbortSignal;
}

export function waitingMessage(lock: string, state: WaitState): string {
  const ahead = state.ahead > 0 ? `, ${state.ahead} ahead` : "";
  return `waiting for ${lock} lock (${state.busy} of ${state.max} slots busy${ahead})`;
}

/** Under --dry nothing is taken; this stands in so a deploy releases without asking whether it ran dry. */
function dryLease(lock: string, holder: string): LockLease {
  return { lock, holder, lost: new AbortController().signal, release: async () => undefined };
}

export const acquire = defineControllerOperation<AcquireArgs, { lease: LockLease }>({
  name: "lock.acquire",
  describe: (a) => `a slot of the ${a.lock?.name} lock`,
  async run(host, a) {
    if (!a.lock || typeof a.lock.acquire !== "function") throw new UsageError("lock.acquire: lock must be a lock from createLock()");
    const holder = a.holder ?? host.name;
    if (host.dry) {
      const holders = await a.lock.holders();
      const busy = `${holders.length} of ${a.lock.max} busy now${holders.length ? `: ${holders.join(", ")}` : ""}`;
      return { status: "planned", description: `would take a slot of the ${a.lock.name} lock for ${holder} (${busy})`, lease: dryLease(a.lock.name, holder) };
    }
    const started = Date.now();
    const lease = await a.lock.acquire(holder, {
      signal: a.signal,
      timeoutMs: a.timeoutMs,
      onWait: (state) => host.progress(waitingMessage(a.lock.name, state)),
    });
    const waited = Date.now() - started;
    const after = waited >= 1000 ? ` after waiting ${(waited / 1000).toFixed(1)}s` : "";
    return { status: "changed", description: `took a slot of the ${a.lock.name} lock (max ${a.lock.max}) for ${holder}${after}`, lease };
  },
});
