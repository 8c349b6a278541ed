// Many acquirers against one or more lock clients: each takes a slot, holds it a random while, releases it.
// Counts how many believe they hold at once (acquire resolved, release not yet called): a subset of the true
// holders at every instant, so a count above max is a real violation.
import type { RebootLock } from "../../../src/lock/index.js";

export interface Contention {
  /** Most holders at once, as seen by the acquirers. */
  peak: number;
  /** Acquirers that got a slot and released it. */
  done: number;
  /** Holders in the order they got a slot. */
  order: string[];
  ms: number;
}

export async function contend(locks: readonly RebootLock[], acquirers: number, holdMs: readonly [number, number]): Promise<Contention> {
  const started = Date.now();
  let inside = 0;
  let peak = 0;
  let done = 0;
  const order: string[] = [];
  await Promise.all(
    Array.from({ length: acquirers }, async (_, i) => {
      const holder = `host-${i}`;
      const lease = await locks[i % locks.length]!.acquire(holder, { timeoutMs: 120_000 });
      inside++;
      peak = Math.max(peak, inside);
      order.push(holder);
      await sleep(holdMs[0] + Math.random() * (holdMs[1] - holdMs[0]));
      inside--;
      await lease.release();
      done++;
    }),
  );
  return { peak, done, order, ms: Date.now() - started };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
