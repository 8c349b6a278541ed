// A cap on SSH handshakes in flight across all hosts of a run (key exchange is CPU-heavy on both ends; sshd drops floods via MaxStartups).
import pLimit, { type LimitFunction } from "p-limit";

/** Create one per run and pass it to every SshConnector; each connect (TCP + key exchange + auth) holds one slot. */
export class HandshakeLimiter {
  readonly #limit: LimitFunction;

  constructor(readonly maxConcurrent = 10) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`HandshakeLimiter: maxConcurrent must be a positive integer, got ${maxConcurrent}`);
    }
    this.#limit = pLimit(maxConcurrent);
  }

  /** Handshakes running now. */
  get active(): number {
    return this.#limit.activeCount;
  }

  /** Handshakes waiting for a slot. */
  get waiting(): number {
    return this.#limit.pendingCount;
  }

  run<T>(handshake: () => Promise<T>): Promise<T> {
    return this.#limit(handshake);
  }
}
