// The embedded reboot lock: never more than max holders, first come first served, aborted and timed-out
// waiters leave the line, releasing twice is harmless, bad arguments are refused with their name.
import { describe, expect, it } from "vitest";
import { LockError, createLock, type LockLease, type WaitState } from "../../src/lock/index.js";
import { contend, sleep } from "./support/contend.js";

const embedded = (max: number) => createLock({ backend: "embedded" }, "reboot", max);

describe("embedded lock", () => {
  it("lets 50 concurrent acquirers through, never more than max at once", async () => {
    for (const max of [1, 3, 7]) {
      const lock = embedded(max);
      const result = await contend([lock], 50, [1, 15]);
      console.log(`embedded max=${max}: 50 acquirers, peak ${result.peak} holders, ${result.ms} ms`);
      expect(result.done).toBe(50);
      expect(result.peak).toBeLessThanOrEqual(max);
      expect(result.peak).toBe(max); // it did fill every slot, so the bound above was really tested
      expect(await lock.holders()).toEqual([]);
    }
  });

  it("serves waiters first come first served and tells each where it stands", async () => {
    const lock = embedded(1);
    const first = await lock.acquire("a");
    const seen: Record<string, WaitState[]> = { b: [], c: [], d: [] };
    const order: string[] = [];
    const waiting = ["b", "c", "d"].map((h) =>
      lock.acquire(h, { onWait: (s) => seen[h]!.push(s) }).then((lease) => {
        order.push(h);
        return lease;
      }),
    );
    expect(seen.d).toEqual([{ ahead: 2, busy: 1, max: 1 }]);
    // A newcomer arriving as a slot frees must not jump the line.
    await first.release();
    const late = lock.acquire("e").then((lease) => (order.push("e"), lease));
    for (const next of waiting) await (await next).release();
    await (await late).release();
    expect(order).toEqual(["b", "c", "d", "e"]);
    expect(seen.b).toEqual([{ ahead: 0, busy: 1, max: 1 }]);
    expect(seen.c).toEqual([
      { ahead: 1, busy: 1, max: 1 },
      { ahead: 0, busy: 1, max: 1 },
    ]);
  });

  it("drops an aborted waiter from the line; the next one gets the slot", async () => {
    const lock = embedded(1);
    const a = await lock.acquire("a");
    const abort = new AbortController();
    const b = lock.acquire("b", { signal: abort.signal });
    const c = lock.acquire("c");
    abort.abort();
    const error = await b.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockError);
    expect((error as LockError).failure).toBe("aborted");
    expect((error as LockError).message).toMatch(/^b did not get a slot of lock reboot: the wait was aborted after waiting \d+\.\ds$/);
    await a.release();
    const leaseC = await c;
    expect(await lock.holders()).toEqual(["c"]);
    await leaseC.release();
    // An already-aborted signal never takes a slot, even a free one.
    await expect(lock.acquire("d", { signal: AbortSignal.abort() })).rejects.toMatchObject({ failure: "aborted" });
    expect(await lock.holders()).toEqual([]);
  });

  it("gives up after timeoutMs and leaves the line", async () => {
    const lock = embedded(1);
    const a = await lock.acquire("a");
    const started = Date.now();
    await expect(lock.acquire("b", { timeoutMs: 100 })).rejects.toMatchObject({ failure: "timeout", message: expect.stringMatching(/timed out .* \(timeout 100 ms\)/) });
    expect(Date.now() - started).toBeLessThan(1000);
    const c = lock.acquire("c");
    await a.release();
    expect((await c).holder).toBe("c");
    // A free slot is taken even with timeoutMs 0: the timeout bounds waiting, not taking.
    expect((await embedded(1).acquire("x", { timeoutMs: 0 })).holder).toBe("x");
  });

  it("releasing twice frees one slot, not two; a stale lease cannot free a later hold", async () => {
    const lock = embedded(2);
    const a = await lock.acquire("a");
    const b = await lock.acquire("b");
    const waiters = [lock.acquire("c"), lock.acquire("d")];
    await Promise.all([a.release(), a.release()]);
    await a.release();
    await sleep(10);
    expect(await lock.holders()).toEqual(["b", "c"]);
    await b.release();
    const [c, d] = await Promise.all(waiters);
    expect(await lock.holders()).toEqual(["c", "d"]);
    await c!.release();
    const again = await lock.acquire("c");
    await c!.release();
    expect(await lock.holders()).toEqual(["d", "c"]);
    await again.release();
    await d!.release();
  });

  it("refuses a bad max, name or holder, and a holder already in line", async () => {
    expect(() => embedded(0)).toThrow("lock reboot: max must be a whole number of at least 1, got 0");
    expect(() => embedded(-1)).toThrow(LockError);
    expect(() => embedded(1.5)).toThrow("got 1.5");
    expect(() => createLock({ backend: "embedded" }, "re boot", 1)).toThrow("lock name must be");
    const lock = embedded(1);
    await expect(lock.acquire("")).rejects.toThrow("holder must be a host name or address");
    await expect(lock.acquire("a\nb")).rejects.toThrow("holder must be");
    const a = await lock.acquire("a");
    await expect(lock.acquire("a")).rejects.toThrow("lock reboot: a already holds or waits for a slot");
    await expect(lock.acquire("b", { timeoutMs: -1 })).rejects.toThrow("timeoutMs must be");
    await a.release();
  });

  it("close() fails the waiters and marks the holds lost", async () => {
    const lock = embedded(1);
    const a: LockLease = await lock.acquire("a");
    const b = lock.acquire("b");
    await lock.close();
    await expect(b).rejects.toMatchObject({ failure: "closed" });
    expect(a.lost.aborted).toBe(true);
    expect(await lock.holders()).toEqual([]);
    await a.release();
    await expect(lock.acquire("c")).rejects.toMatchObject({ failure: "closed" });
  });
});

describe("createLock", () => {
  it("checks the spec and names the bad option", () => {
    expect(() => createLock({ backend: "consul" } as never, "reboot", 1)).toThrow('lock backend must be "embedded" or "etcd", got "consul"');
    expect(() => createLock({ backend: "etcd", endpoints: [] }, "reboot", 1)).toThrow("endpoints must list at least one client URL");
    expect(() => createLock({ backend: "etcd", endpoints: ["127.0.0.1:2379"] }, "reboot", 1)).toThrow("endpoints[0] must be an http:// or https:// URL");
    expect(() => createLock({ backend: "etcd", endpoints: ["http://127.0.0.1:2379"], ttlSeconds: 0 }, "reboot", 1)).toThrow("ttlSeconds must be a whole number of at least 1, got 0");
    expect(() => createLock({ backend: "etcd", endpoints: ["http://127.0.0.1:2379"], prefix: "/" }, "reboot", 1)).toThrow("prefix must be");
    expect(() => createLock({ backend: "etcd", endpoints: ["http://127.0.0.1:2379"] }, "reboot", 0)).toThrow("max must be");
    expect(createLock({ backend: "etcd", endpoints: ["http://127.0.0.1:2379/"] }, "reboot", 2).max).toBe(2);
  });
});
