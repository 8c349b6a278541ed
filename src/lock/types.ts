// The reboot lock's contract: a named counting semaphore whose slots are held by named holders (hosts).

/** Where a waiter stands, reported each time it changes. */
export interface WaitState {
  /** Waiters queued before this one (0: next in line). */
  ahead: number;
  /** Slots taken right now. */
  busy: number;
  /** Slots in all (the smallest max any queued client asked for, on etcd). */
  max: number;
}

export interface AcquireOptions {
  /** Give up waiting (the waiter leaves the queue) when this aborts. */
  signal?: AbortSignal;
  /** Give up after waiting this long; default: wait as long as it takes. */
  timeoutMs?: number;
  /** Called when the acquirer has to wait, and again whenever its place changes. Errors it throws are ignored. */
  onWait?: (state: WaitState) => void;
}

/** One held slot. */
export interface LockLease {
  readonly lock: string;
  readonly holder: string;
  /**
   * Aborts if the slot is lost before release(): the etcd lease could not be kept alive (its TTL ran out), or the lock
   * was closed. Work that must only happen while holding (a reboot) should check it first.
   */
  readonly lost: AbortSignal;
  /** Free the slot. Releasing again, or after the slot was lost, does nothing. */
  release(): Promise<void>;
}

export interface RebootLock {
  readonly name: string;
  readonly max: number;
  /**
   * Wait (first come, first served) for a free slot and take it for `holder`. Rejects with a LockError when the
   * wait is aborted or times out (the waiter then leaves the queue) or the backend fails.
   */
  acquire(holder: string, options?: AcquireOptions): Promise<LockLease>;
  /** Who holds a slot now, earliest first. */
  holders(): Promise<string[]>;
  /** Release every slot this client holds, fail its waiters, and stop talking to the backend. */
  close(): Promise<void>;
}
