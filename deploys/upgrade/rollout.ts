// What the controller knows about the whole rollout while hosts run in parallel: each host's record for the final
// report, the hosts down right now (and the most at once), and when waiting for the reboot lock must stop — the
// failure budget is spent, or every slot is held by a host that did not come back.
import type { LockLease, RebootLock } from "../../src/lock/index.js";

export type HostState = "waiting" | "locked" | "applying" | "rebooting" | "checking" | "done" | "rolled back" | "failed";

/** How a host's upgrade ended, for the report. */
export type Outcome = "upgraded" | "skipped" | "rolled back" | "failed" | "not upgraded" | "planned";

export interface HostRecord {
  host: string;
  /** Booted commit and its name when the host was first read. */
  from?: { commit: string; name: string };
  to?: { commit: string; name: string };
  outcome?: Outcome;
  detail?: string;
  started: number;
  ms?: number;
  /** From "rebooting" until healthy again (or rolled back), summed. */
  downMs: number;
}

export class Rollout {
  readonly records = new Map<string, HostRecord>();
  /** Hosts between "rebooting" and healthy, with when they went down. */
  readonly #down = new Map<string, number>();
  #mostDown = 0;
  #failures = 0;
  /** Slots kept until the end of the run: their hosts are down and nobody can say when they come back. */
  readonly #stuck: LockLease[] = [];
  readonly #stop = new AbortController();

  constructor(
    readonly lock: RebootLock | undefined,
    readonly maxDown: number,
    readonly maxFail: number,
  ) {}

  /** Aborts the lock waits of hosts that must no longer start rebooting. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Why hosts still waiting for a slot give up, once they must. */
  get stopReason(): string | undefined {
    return this.#stop.signal.aborted ? String(this.#stop.signal.reason) : undefined;
  }

  get mostDown(): number {
    return this.#mostDown;
  }

  begin(host: string): HostRecord {
    const record: HostRecord = { host, started: Date.now(), downMs: 0 };
    this.records.set(host, record);
    return record;
  }

  end(record: HostRecord, outcome: Outcome, detail?: string): void {
    record.outcome = outcome;
    if (detail !== undefined) record.detail = detail;
    record.ms = Date.now() - record.started;
  }

  wentDown(host: string): void {
    if (!this.#down.has(host)) this.#down.set(host, Date.now());
    this.#mostDown = Math.max(this.#mostDown, this.#down.size);
  }

  cameUp(record: HostRecord): void {
    const since = this.#down.get(record.host);
    if (since === undefined) return;
    record.downMs += Date.now() - since;
    this.#down.delete(record.host);
  }

  /** No host starts a reboot any more; those waiting for a slot give up, saying why. The first reason stays. */
  stop(reason: string): void {
    if (!this.#stop.signal.aborted) this.#stop.abort(reason);
  }

  /** A host failed (rolled back or worse): past the budget, no other host starts a reboot. */
  failed(): void {
    this.#failures++;
    if (this.#failures > this.maxFail) this.stop(`the failure budget is spent: ${this.#failures} host(s) failed, at most ${this.maxFail} allowed`);
  }

  /** A host did not come back: its slot stays taken (it IS down) until the run ends. */
  keepSlot(lease: LockLease): void {
    this.#stuck.push(lease);
    if (this.#stuck.length >= this.maxDown) {
      this.stop(`every reboot-lock slot (${this.maxDown}) is held by a host that did not come back: ${this.#stuck.map((l) => l.holder).join(", ")}`);
    }
  }

  /** Give back the slots of hosts that did not come back, then let go of the lock (etcd: revoke the leases). */
  async close(): Promise<void> {
    await Promise.allSettled(this.#stuck.map((lease) => lease.release()));
    await this.lock?.close();
  }
}
