// The etcd reboot lock, for several controllers at once. Under PREFIX/<name>/, every acquirer puts
// queue/<holder> with its own lease; the first `max` queue keys by create revision may hold, and one who may
// puts holders/<holder> in a transaction that fails if any holder key appeared since it counted them.
// Keys never move forward in the queue's order, so a slot once won stays won until released or expired.
import { randomUUID } from "node:crypto";
import { LockError } from "../errors.js";
import { checkHolder, checkMax, checkName } from "../check.js";
import type { AcquireOptions, LockLease, RebootLock, WaitState } from "../types.js";
import { WaitBound, pause } from "../wait-bound.js";
import { EtcdGateway, decode, encode, prefixEnd, type KeyValue, type RangeResponse, type TxnResponse } from "./gateway.js";
import { KeptLease } from "./lease.js";

export interface EtcdLockOptions {
  /** Client URLs, e.g. http://10.0.0.5:2379; tried in order while unreachable. */
  endpoints: readonly string[];
  /** Key prefix; the lock lives under PREFIX/<name>/. */
  prefix: string;
  /** Lease TTL: how long a dead controller's slots stay taken. */
  ttlSeconds: number;
  /** Bound on each request to etcd. */
  requestTimeoutMs: number;
}

// Waiters re-read the queue, quickly after it moved and ever more slowly while it does not.
const POLL_FIRST_MS = 50;
const POLL_MAX_MS = 1000;

/** What a queue key holds: who queued it, for people reading etcd, and the max that client enforces. */
interface Entry {
  holder: string;
  client: string;
  max: number;
  since: string;
}

interface Queue {
  revision: string;
  /** queue/ keys, oldest first. */
  entries: { holder: string; lease: string; max?: number }[];
  /** holders/ keys. */
  busy: number;
}

export class EtcdLock implements RebootLock {
  readonly name: string;
  readonly max: number;
  private readonly gateway: EtcdGateway;
  private readonly root: string;
  /** Names this process in its queue entries, to tell two controllers apart in etcd. */
  private readonly client = randomUUID();
  private readonly leases = new Set<KeptLease>();
  private readonly waits = new Set<WaitBound>();
  private closed = false;

  constructor(
    name: string,
    max: number,
    private readonly options: EtcdLockOptions,
  ) {
    this.name = checkName(name);
    this.max = checkMax(this.name, max);
    this.gateway = new EtcdGateway(options.endpoints, options.requestTimeoutMs);
    this.root = `${options.prefix}/${this.name}/`;
  }

  async acquire(holder: string, options: AcquireOptions = {}): Promise<LockLease> {
    checkHolder(this.name, holder);
    if (this.closed) throw new LockError(`lock ${this.name} is closed: ${holder} cannot take a slot`, "closed");
    const bound = new WaitBound(this.name, holder, options);
    this.waits.add(bound);
    let lease: KeptLease | undefined;
    try {
      if (bound.ended) throw bound.error();
      lease = await KeptLease.grant(this.gateway, this.options.ttlSeconds, bound.signal);
      this.leases.add(lease);
      const report = reporter(options.onWait);
      await this.enqueue(holder, lease, bound, report);
      await this.waitForSlot(holder, lease, bound, report);
      return this.lease(holder, lease);
    } catch (error) {
      if (lease) {
        // Leaving the queue is revoking the lease; if etcd cannot hear it, the entry expires with the TTL.
        this.leases.delete(lease);
        await lease.revoke().catch(() => undefined);
      }
      throw bound.ended ? bound.error() : error;
    } finally {
      bound.dispose();
      this.waits.delete(bound);
    }
  }

  async holders(): Promise<string[]> {
    const prefix = `${this.root}holders/`;
    const answer = await this.gateway.call<RangeResponse>("/v3/kv/range", { ...range(prefix), keys_only: true, sort_target: "CREATE", sort_order: "ASCEND" });
    return (answer.kvs ?? []).map((kv) => decode(kv.key).slice(prefix.length));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const bound of this.waits) bound.stop("closed");
    const leases = [...this.leases];
    this.leases.clear();
    for (const lease of leases) lease.lose(`lock ${this.name} was closed`);
    await Promise.allSettled(leases.map((lease) => lease.revoke()));
  }

  /** Put queue/<holder>; while another client's entry for the same holder lives (a rerun racing a dead run's TTL), wait. */
  private async enqueue(holder: string, lease: KeptLease, bound: WaitBound, report: (state: WaitState) => void): Promise<void> {
    const key = this.key("queue", holder);
    const entry: Entry = { holder, client: this.client, max: this.max, since: new Date().toISOString() };
    for (let delay = POLL_FIRST_MS; ; delay = Math.min(delay * 2, POLL_MAX_MS)) {
      const answer = await this.txn({ compare: [absent(key)], success: [put(key, JSON.stringify(entry), lease.id)] }, bound, lease);
      if (answer.succeeded) return;
      const queue = await this.read(bound, lease);
      report({ ahead: queue.entries.length, busy: queue.busy, max: this.effectiveMax(queue) });
      await this.pause(delay, bound, lease);
    }
  }

  private async waitForSlot(holder: string, lease: KeptLease, bound: WaitBound, report: (state: WaitState) => void): Promise<void> {
    const mine = this.key("holders", holder);
    const value = JSON.stringify({ holder, client: this.client, max: this.max, since: new Date().toISOString() } satisfies Entry);
    let delay = POLL_FIRST_MS;
    let last = "";
    for (;;) {
      let now: string;
      try {
        const queue = await this.read(bound, lease);
        const ahead = queue.entries.findIndex((e) => e.holder === holder && e.lease === lease.id);
        if (ahead < 0) throw new LockError(`lock ${this.name}: the queue entry of ${holder} vanished from etcd (deleted by hand, or its lease expired)`, "backend");
        const max = this.effectiveMax(queue);
        if (ahead < max && queue.busy < max) {
          // Fails if any holder key was written since the read (deletions only free slots, so they may pass).
          const holders = { ...range(`${this.root}holders/`), target: "MOD", result: "LESS", mod_revision: String(BigInt(queue.revision) + 1n) };
          const answer = await this.txn({ compare: [holders, absent(mine)], success: [put(mine, value, lease.id)] }, bound, lease);
          if (answer.succeeded) return;
        } else {
          report({ ahead, busy: queue.busy, max });
        }
        now = `${ahead}/${queue.busy}`;
      } catch (error) {
        // A blip of etcd while queued is waited out: the lease's own expiry ends the wait if it lasts too long.
        if (!(error instanceof LockError && error.failure === "unreachable") || bound.ended || lease.lost.aborted) throw error;
        now = "unreachable";
      }
      if (now !== last) delay = POLL_FIRST_MS;
      last = now;
      await this.pause(delay, bound, lease);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }

  /** Two controllers asking different maxes: the smallest queued one wins, so neither's limit is ever exceeded. */
  private effectiveMax(queue: Queue): number {
    return Math.min(this.max, ...queue.entries.map((e) => e.max ?? this.max));
  }

  private async read(bound: WaitBound, lease: KeptLease): Promise<Queue> {
    const answer = await this.txn(
      {
        compare: [],
        success: [
          { request_range: { ...range(`${this.root}queue/`), sort_target: "CREATE", sort_order: "ASCEND" } },
          { request_range: { ...range(`${this.root}holders/`), count_only: true } },
        ],
      },
      bound,
      lease,
    );
    const [queue, holders] = answer.responses ?? [];
    const prefix = `${this.root}queue/`;
    return {
      revision: answer.header?.revision ?? "0",
      entries: (queue?.response_range?.kvs ?? []).map((kv: KeyValue) => ({ holder: decode(kv.key).slice(prefix.length), lease: kv.lease ?? "0", max: entryMax(kv.value) })),
      busy: Number(holders?.response_range?.count ?? 0),
    };
  }

  private async txn(body: unknown, bound: WaitBound, lease: KeptLease): Promise<TxnResponse> {
    const lost = (): LockError => new LockError(`lock ${this.name} lost its place in the queue: ${String(lease.lost.reason)}`, "unreachable");
    if (bound.ended) throw bound.error();
    if (lease.lost.aborted) throw lost();
    try {
      return await this.gateway.call<TxnResponse>("/v3/kv/txn", body, { signal: AbortSignal.any([bound.signal, lease.lost]) });
    } catch (error) {
      if (lease.lost.aborted && !bound.ended) throw lost();
      throw error;
    }
  }

  private pause(ms: number, bound: WaitBound, lease: KeptLease): Promise<void> {
    return pause(ms, AbortSignal.any([bound.signal, lease.lost]));
  }

  private lease(holder: string, kept: KeptLease): LockLease {
    let releasing: Promise<void> | undefined;
    const release = async (): Promise<void> => {
      this.leases.delete(kept);
      // Revoking deletes exactly the keys this lease carries: never another client's entry for the same holder.
      await kept.revoke().catch((error: unknown) => {
        releasing = undefined;
        throw new LockError(`lock ${this.name}: could not release the slot of ${holder}; it frees itself within ${kept.ttlSeconds}s`, "unreachable", { cause: error });
      });
    };
    return { lock: this.name, holder, lost: kept.lost, release: () => (releasing ??= release()) };
  }

  private key(kind: "queue" | "holders", holder: string): string {
    return `${this.root}${kind}/${holder}`;
  }
}

function range(prefix: string): { key: string; range_end: string } {
  return { key: encode(prefix), range_end: prefixEnd(prefix) };
}

function absent(key: string): object {
  return { key: encode(key), target: "CREATE", result: "EQUAL", create_revision: "0" };
}

function put(key: string, value: string, lease: string): object {
  return { request_put: { key: encode(key), value: encode(value), lease } };
}

function entryMax(value: string | undefined): number | undefined {
  try {
    const max = (JSON.parse(decode(value)) as Partial<Entry>).max;
    return typeof max === "number" && Number.isInteger(max) && max >= 1 ? max : undefined;
  } catch {
    return undefined;
  }
}

/** onWait, told only of changes, and never allowed to throw into the lock. */
function reporter(onWait: AcquireOptions["onWait"]): (state: WaitState) => void {
  let last = "";
  return (state) => {
    const now = `${state.ahead}/${state.busy}/${state.max}`;
    if (!onWait || now === last) return;
    last = now;
    try {
      onWait(state);
    } catch {
      // Progress reporting must not break the wait.
    }
  };
}
