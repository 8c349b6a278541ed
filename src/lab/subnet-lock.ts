// A machine-wide lock so two labs starting at once cannot both claim the same free subnet.
import { mkdir, rmdir, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { PineError } from "../errors.js";

const LOCK_PATH = "/run/pine-lab-subnet.lock";
const WAIT_MS = 15_000;
/** Holding the lock takes a few ip commands; older than this, its holder has died. */
const STALE_MS = 30_000;

export async function withSubnetLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  // mkdir is atomic: exactly one process creates the directory.
  for (;;) {
    try {
      await mkdir(LOCK_PATH);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      await removeIfStale();
      if (Date.now() > deadline) {
        throw new PineError(`timed out after ${WAIT_MS} ms waiting for the lab subnet lock ${LOCK_PATH}`, {
          hint: `if no pine lab is starting, remove it: rmdir ${LOCK_PATH}`,
        });
      }
      await sleep(25 + Math.random() * 50);
    }
  }
  try {
    return await work();
  } finally {
    await rmdir(LOCK_PATH).catch(() => undefined);
  }
}

async function removeIfStale(): Promise<void> {
  try {
    const info = await stat(LOCK_PATH);
    if (Date.now() - info.mtimeMs > STALE_MS) await rmdir(LOCK_PATH);
  } catch {
    // Gone already, or removed by another waiter: either way, try again.
  }
}
