// What ends a wait for a slot: the caller's signal, its timeout, or the lock closing — one signal for all three,
// and the LockError that says which it was.
import { LockError, type LockFailure } from "./errors.js";
import type { AcquireOptions } from "./types.js";
import { checkTimeout } from "./check.js";

type End = Extract<LockFailure, "timeout" | "aborted" | "closed">;

export class WaitBound {
  private readonly controller = new AbortController();
  private readonly started = Date.now();
  private readonly timer?: NodeJS.Timeout;
  private readonly detach?: () => void;
  private readonly timeoutMs: number | undefined;
  private end?: End;

  constructor(
    private readonly lock: string,
    private readonly holder: string,
    options: AcquireOptions,
  ) {
    const timeoutMs = checkTimeout(lock, options.timeoutMs);
    this.timeoutMs = timeoutMs;
    const signal = options.signal;
    if (signal?.aborted) this.stop("aborted");
    else if (signal) {
      const onAbort = (): void => this.stop("aborted");
      signal.addEventListener("abort", onAbort, { once: true });
      this.detach = () => signal.removeEventListener("abort", onAbort);
    }
    if (timeoutMs !== undefined && !this.end) this.timer = setTimeout(() => this.stop("timeout"), timeoutMs);
  }

  /** Aborts when the wait must end. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get ended(): boolean {
    return this.end !== undefined;
  }

  stop(end: End): void {
    if (this.end) return;
    this.end = end;
    this.controller.abort(end);
  }

  /** Why the wait ended, for people. */
  error(): LockError {
    const waited = `after waiting ${((Date.now() - this.started) / 1000).toFixed(1)}s`;
    const base = `${this.holder} did not get a slot of lock ${this.lock}`;
    switch (this.end ?? "aborted") {
      case "timeout":
        return new LockError(`${base}: timed out ${waited} (timeout ${this.timeoutMs} ms)`, "timeout", {
          hint: "other holders keep the slots longer than that; raise the timeout or the lock's max",
        });
      case "closed":
        return new LockError(`${base}: the lock was closed ${waited}`, "closed");
      case "aborted":
        return new LockError(`${base}: the wait was aborted ${waited}`, "aborted");
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.detach?.();
  }
}

/** Resolve after ms, or as soon as signal aborts (the caller looks at the signal to know which). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
