// lock.release: give back the slot lock.acquire took. Releasing twice is harmless (the second is unchanged).
import { UsageError } from "../../src/errors.js";
import type { LockLease } from "../../src/lock/index.js";
import { defineControllerOperation } from "./controller-operation.js";

export interface ReleaseArgs {
  /** What lock.acquire returned. */
  lease: LockLease;
}

// Which leases this process already released, so a second release reports unchanged, not changed.
const released = new WeakSet<LockLease>();

export const release = defineControllerOperation<ReleaseArgs, object>({
  name: "lock.release",
  describe: (a) => `the ${a.lease?.lock} lock slot of ${a.lease?.holder} is free`,
  async run(host, a) {
    const lease = a.lease;
    if (!lease || typeof lease.release !== "function") throw new UsageError("lock.release: lease must be what lock.acquire returned");
    const what = `the ${lease.lock} lock slot of ${lease.holder}`;
    if (released.has(lease)) return { status: "unchanged", description: `${what} was already released` };
    if (host.dry) return { status: "planned", description: `would release ${what}` };
    await lease.release();
    released.add(lease);
    const lost = lease.lost.aborted ? ` (it had been lost: ${String(lease.lost.reason)})` : "";
    return { status: "changed", description: `released ${what}${lost}` };
  },
});
