// The embedded reboot lock: a counting semaphore inside the controller process, first come first served.
// Enough when one controller runs the rollout; several controllers need the etcd backend.
import { LockError } from "./errors.js";
import { checkHolder, checkMax, checkName } from "./check.js";
import type { AcquireOptions, LockLease, RebootLock, WaitState } from "./types.js";
import { WaitBound } from "./wait-bound.js";

interface Waiter {
  holder: string;
  bound: WaitBound;
  onWait?: (state: WaitState) => void;
  /** The last state reported to onWait, so it hears only changes. */
  reported?: string;
  admit(lease: LockLease): void;
}

export class EmbeddedLock implements RebootLock {
  readonly name: string;
  readonly max: number;
  /** Holder → what aborts its lease's `lost`; a Map keeps acquisition order for holders(). */
  private readonly held = new Map<string, AbortController>();
  private readonly queue: Waiter[] = [];
  private closed = false;

  constructor(name: string, max: number) {
    this.name = checkName(name);
    this.max = checkMax(this.name, max);
  }

  async acquire(holder: string, options: AcquireOptions = {}): Promise<LockLease> {
    checkHolder(this.name, holder);
    if (this.closed) throw new LockError(`lock ${this.name} is closed: ${holder} cannot take a slot`, "closed");
    // One process queuing the same host twice is a bug in the caller, not something to wait out.
    if (this.held.has(holder) || this.queue.some((w) => w.holder === holder)) {
      throw new LockError(`lock ${this.name}: ${holder} already holds or waits for a slot`, "usage");
    }
    const bound = new WaitBound(this.name, holder, options);
    if (bound.ended) {
      bound.dispose();
      throw bound.error();
    }
    // No barging: a free slot goes to the queue's head first.
    if (this.queue.length === 0 && this.held.size < this.max) {
      bound.dispose();
      return this.grant(holder);
    }
    return new Promise<LockLease>((resolve, reject) => {
      const waiter: Waiter = { holder, bound, onWait: options.onWait, admit: resolve };
      this.queue.push(waiter);
      bound.signal.addEventListener(
        "abort",
        () => {
          const at = this.queue.indexOf(waiter);
          if (at < 0) return;
          this.queue.splice(at, 1);
          bound.dispose();
          reject(bound.error());
          this.report();
        },
        { once: true },
      );
      this.report();
    });
  }

  async holders(): Promise<string[]> {
    return [...this.held.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of [...this.queue]) waiter.bound.stop("closed");
    for (const [holder, lost] of this.held) lost.abort(`lock ${this.name} was closed while ${holder} held a slot`);
    this.held.clear();
  }

  private grant(holder: string): LockLease {
    const lost = new AbortController();
    this.held.set(holder, lost);
    let released = false;
    return {
      lock: this.name,
      holder,
      lost: lost.signal,
      release: async () => {
        if (released) return;
        released = true;
        // Only this hold's own entry: after close() the same holder may hold again under a new lease.
        if (this.held.get(holder) !== lost) return;
        this.held.delete(holder);
        this.admit();
      },
    };
  }

  private admit(): void {
    while (this.held.size < this.max && this.queue.length > 0) {
      const waiter = this.queue.shift()!;
      waiter.bound.dispose();
      waiter.admit(this.grant(waiter.holder));
    }
    this.report();
  }

  /** Tell each waiter where it stands, when that changed. */
  private report(): void {
    this.queue.forEach((waiter, ahead) => {
      if (!waiter.onWait) return;
      const state: WaitState = { ahead, busy: this.held.size, max: this.max };
      const key = `${ahead}/${state.busy}`;
      if (key === waiter.reported) return;
      waiter.reported = key;
      try {
        waiter.onWait(state);
      } catch {
        // A progress callback must not break the queue.
      }
    });
  }
}
