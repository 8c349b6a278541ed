// The etcd reboot lock against a real etcd (Debian's, started by scripts/etcd.sh): two controllers never hold
// more than max together, a killed controller's slot frees itself after the TTL, waiters are served in order
// and leave the line when they give up, and an unreachable endpoint fails fast with a message that says so.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LockError, createLock, type RebootLock } from "../../src/lock/index.js";
import { EtcdGateway, decode, prefixEnd, encode, type RangeResponse } from "../../src/lock/etcd/gateway.js";
import { contend, sleep } from "./support/contend.js";
import { startEtcd } from "./support/etcd.js";

const etcd = await startEtcd();
if (!etcd.ok) console.warn(`skipping the etcd lock tests: ${etcd.reason}`);
afterAll(async () => {
  if (etcd.ok) await etcd.server.stop();
});
const endpoint = etcd.ok ? etcd.server.endpoint : "http://127.0.0.1:1";

/** Each test its own key prefix, so leftovers of one never meet another. */
function fresh(): string {
  return `pine-test/${randomUUID()}`;
}

function etcdLock(prefix: string, max: number, ttlSeconds = 15): RebootLock {
  return createLock({ backend: "etcd", endpoints: [endpoint], prefix, ttlSeconds }, "reboot", max);
}

/** Wait (bounded) until holder's queue key is in etcd. */
async function queued(prefix: string, holder: string): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 10_000; await sleep(20)) {
    if ((await keys(prefix)).includes(`reboot/queue/${holder}`)) return;
  }
  throw new Error(`${holder} did not queue within 10s`);
}

/** A port nothing listens on (bound, then closed; fetch refuses some low ports outright, so no fixed one). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every key under prefix, as etcd has them now. */
async function keys(prefix: string): Promise<string[]> {
  const answer = await new EtcdGateway([endpoint], 5000).call<RangeResponse>("/v3/kv/range", { key: encode(prefix), range_end: prefixEnd(prefix), keys_only: true });
  return (answer.kvs ?? []).map((kv) => decode(kv.key).slice(prefix.length + 1));
}

describe.skipIf(!etcd.ok)("etcd lock", () => {
  it("two controllers sharing max=2: 50 acquirers all get through, never more than 2 holders at once", async () => {
    const prefix = fresh();
    const [one, two, watcher] = [etcdLock(prefix, 2), etcdLock(prefix, 2), etcdLock(prefix, 2)];
    // Also ask etcd itself, from a third client, how many holder keys exist while the acquirers run.
    let sampled = 0;
    let samples = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        sampled = Math.max(sampled, (await watcher.holders()).length);
        samples++;
        await sleep(10);
      }
    })();
    const result = await contend([one, two], 50, [5, 40]);
    running = false;
    await sampler;
    console.log(`etcd, 2 controllers, max=2: 50 acquirers in ${result.ms} ms, peak ${result.peak} holders seen by acquirers, ${sampled} in etcd over ${samples} samples`);
    expect(result.done).toBe(50);
    expect(result.peak).toBeLessThanOrEqual(2);
    expect(sampled).toBeLessThanOrEqual(2);
    expect(result.peak).toBe(2);
    expect(await keys(prefix)).toEqual([]);
    await Promise.all([one.close(), two.close(), watcher.close()]);
  }, 120_000);

  it("frees a killed controller's slot by itself once its lease's TTL runs out", async () => {
    const prefix = fresh();
    const ttl = 2;
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./support/holder.ts", import.meta.url)), endpoint, prefix, "reboot", "1", "dead-host", String(ttl)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      let err = "";
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("held dead-host")) resolve();
        });
        child.once("exit", (code) => reject(new Error(`holder exited (${code}) before holding: ${err}`)));
        setTimeout(() => reject(new Error(`holder did not hold within 30s: ${err}`)), 30_000);
      });
      const lock = etcdLock(prefix, 1);
      expect(await lock.holders()).toEqual(["dead-host"]);
      // Let it renew a few times first: the slot must outlive many TTLs while its controller lives.
      await sleep(ttl * 1000 * 2);
      expect(await lock.holders()).toEqual(["dead-host"]);
      const waits: string[] = [];
      child.kill("SIGKILL");
      const killed = Date.now();
      const lease = await lock.acquire("next-host", { timeoutMs: 20_000, onWait: (s) => waits.push(`${s.busy}/${s.max}`) });
      const freedMs = Date.now() - killed;
      console.log(`etcd: slot of a SIGKILLed controller (TTL ${ttl}s) was taken by the next host ${freedMs} ms after the kill`);
      expect(waits[0]).toBe("1/1");
      // The lease was renewed at most ttl/3 before the kill; etcd checks expiry every 500 ms.
      expect(freedMs).toBeGreaterThan((ttl * 1000 * 2) / 3 - 100);
      expect(freedMs).toBeLessThan(ttl * 1000 + 3000);
      expect(await lock.holders()).toEqual(["next-host"]);
      await lease.release();
      await lock.close();
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("serves waiters of both controllers in the order they queued; holders() lists; release twice is harmless", async () => {
    const prefix = fresh();
    const [one, two] = [etcdLock(prefix, 2), etcdLock(prefix, 2)];
    const a = await one.acquire("a");
    const b = await two.acquire("b");
    expect(await one.holders()).toEqual(["a", "b"]);
    const order: string[] = [];
    // Each queues only once the one before it is in etcd: the order under test is the queue's, not the scheduler's.
    const c = two.acquire("c").then((l) => (order.push("c"), l));
    await queued(prefix, "c");
    const d = one.acquire("d").then((l) => (order.push("d"), l));
    await queued(prefix, "d");
    const e = two.acquire("e").then((l) => (order.push("e"), l));
    await queued(prefix, "e");
    expect((await keys(prefix)).sort()).toEqual(["reboot/holders/a", "reboot/holders/b", "reboot/queue/a", "reboot/queue/b", "reboot/queue/c", "reboot/queue/d", "reboot/queue/e"]);
    await Promise.all([a.release(), a.release()]);
    await a.release();
    const leaseC = await c;
    expect(await two.holders()).toEqual(["b", "c"]);
    await b.release();
    const leaseD = await d;
    await leaseC.release();
    const leaseE = await e;
    expect(order).toEqual(["c", "d", "e"]);
    expect(await one.holders()).toEqual(["d", "e"]);
    await Promise.all([leaseD.release(), leaseE.release()]);
    expect(await keys(prefix)).toEqual([]);
    await Promise.all([one.close(), two.close()]);
  }, 60_000);

  it("drops an aborted or timed-out waiter from the queue in etcd", async () => {
    const prefix = fresh();
    const lock = etcdLock(prefix, 1);
    const a = await lock.acquire("a");
    const abort = new AbortController();
    const b = lock.acquire("b", { signal: abort.signal });
    const c = lock.acquire("c", { timeoutMs: 300 });
    await queued(prefix, "b");
    await queued(prefix, "c");
    abort.abort();
    await expect(b).rejects.toMatchObject({ failure: "aborted" });
    await expect(c).rejects.toMatchObject({ failure: "timeout" });
    expect(await keys(prefix)).toEqual(["reboot/holders/a", "reboot/queue/a"]);
    const d = lock.acquire("d");
    await a.release();
    expect((await d).holder).toBe("d");
    await lock.close();
    expect(await keys(prefix)).toEqual([]);
  });

  it("honours the smallest max of the controllers in line", async () => {
    const prefix = fresh();
    const strict = etcdLock(prefix, 1);
    const loose = etcdLock(prefix, 3);
    const a = await strict.acquire("a");
    await expect(loose.acquire("b", { timeoutMs: 500 })).rejects.toMatchObject({ failure: "timeout" });
    await a.release();
    const held = await Promise.all(["b", "c", "d"].map((h) => loose.acquire(h, { timeoutMs: 5000 })));
    expect((await loose.holders()).sort()).toEqual(["b", "c", "d"]);
    await Promise.all(held.map((l) => l.release()));
    await Promise.all([strict.close(), loose.close()]);
  });

  it("tells the holder through lease.lost when its slot is gone behind its back", async () => {
    const prefix = fresh();
    const lock = etcdLock(prefix, 1, 2);
    const lease = await lock.acquire("a");
    const gateway = new EtcdGateway([endpoint], 5000);
    const held = await gateway.call<RangeResponse>("/v3/kv/range", { key: encode(`${prefix}/reboot/holders/a`) });
    await gateway.call("/v3/lease/revoke", { ID: held.kvs?.[0]?.lease });
    const started = Date.now();
    await new Promise((resolve) => lease.lost.addEventListener("abort", resolve, { once: true }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(String(lease.lost.reason)).toMatch(/^etcd lease \d+ expired before it could be renewed$/);
    await lease.release();
    await lock.close();
  });

  it("waits for another client's entry of the same holder to go before queuing it", async () => {
    const prefix = fresh();
    const [one, two] = [etcdLock(prefix, 2), etcdLock(prefix, 2)];
    const first = await one.acquire("web-1");
    const again = two.acquire("web-1");
    await sleep(300);
    expect((await keys(prefix)).sort()).toEqual(["reboot/holders/web-1", "reboot/queue/web-1"]);
    expect(await two.holders()).toEqual(["web-1"]);
    await first.release();
    const second = await again;
    expect(await two.holders()).toEqual(["web-1"]);
    await second.release();
    await Promise.all([one.close(), two.close()]);
  });
});

describe("etcd lock, unreachable", () => {
  it("names a refused endpoint and what to check, within a bound", async () => {
    const port = await closedPort();
    const lock = createLock({ backend: "etcd", endpoints: [`http://127.0.0.1:${port}`], requestTimeoutMs: 2000 }, "reboot", 1);
    const started = Date.now();
    const error = (await lock.acquire("a").catch((e: unknown) => e)) as LockError;
    expect(Date.now() - started).toBeLessThan(2500);
    expect(error).toBeInstanceOf(LockError);
    expect(error.failure).toBe("unreachable");
    expect(error.message).toBe(`etcd is unreachable: http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.describe()).toContain("hint: check that etcd runs there");
    await expect(lock.holders()).rejects.toMatchObject({ failure: "unreachable" });
  });

  it("gives up on an endpoint that accepts but never answers after requestTimeoutMs", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const lock = createLock({ backend: "etcd", endpoints: [`http://127.0.0.1:${port}`], requestTimeoutMs: 500 }, "reboot", 1);
      const started = Date.now();
      await expect(lock.acquire("a")).rejects.toThrow(`etcd is unreachable: http://127.0.0.1:${port} did not answer POST /v3/lease/grant within 500 ms`);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      silent.close();
      silent.unref();
    }
  });

  it.skipIf(!etcd.ok)("fails over to the next endpoint when the first cannot be reached", async () => {
    const lock = createLock({ backend: "etcd", endpoints: [`http://127.0.0.1:${await closedPort()}`, endpoint], prefix: fresh() }, "reboot", 1);
    const lease = await lock.acquire("a");
    expect(await lock.holders()).toEqual(["a"]);
    await lease.release();
    await lock.close();
  });
});
