// Unguessable names for markers and temporary files, drawn from a pool filled by the CSPRNG 4 KiB at a time: one
// crypto.randomBytes call costs ~25 µs on the development machine, and a deploy asks for one per fact batch and per
// file write on every host (~1 ms of controller CPU per host on the benchmark's deploy).
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;

/** An unguessable output marker (fact batches, shell sessions): host output cannot fake what it cannot know. */
export function newMarker(): string {
  return `PINE${randomHex(12)}`;
}

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  return takeRandom(bytes).toString("hex");
}

let pool = Buffer.alloc(0);
let offset = 0;

function takeRandom(bytes: number): Buffer {
  if (bytes > POOL_BYTES) return randomFillSync(Buffer.alloc(bytes));
  if (offset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return out;
}
