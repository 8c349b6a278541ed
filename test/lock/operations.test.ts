// lock.acquire / lock.release as operations: they say they are waiting and for what, --dry takes nothing,
// a second release is unchanged, and a wait that times out is a failed operation with the lock's reason.
import { describe, expect, it } from "vitest";
import * as lock from "../../operations/lock/index.js";
import { LockError, createLock } from "../../src/lock/index.js";
import { fakeHost } from "../operations/support/fake-host.js";
import { sleep } from "./support/contend.js";

const reboot = (max: number) => createLock({ backend: "embedded" }, "reboot", max);

describe("lock.acquire", () => {
  it("reports its place in line through host.progress, then takes the slot", async () => {
    const l = reboot(1);
    const other = await l.acquire("web-9");
    const f = fakeHost([]);
    const pending = lock.acquire(f.host, { lock: l });
    await sleep(10);
    expect(f.events.filter((e) => e.type === "host:progress")).toEqual([{ type: "host:progress", host: "h1", message: "waiting for reboot lock (1 of 1 slots busy)" }]);
    await other.release();
    const result = await pending;
    expect(result).toMatchObject({ status: "changed", description: "took a slot of the reboot lock (max 1) for h1", commands: [] });
    expect(result.lease.holder).toBe("h1");
    expect(await l.holders()).toEqual(["h1"]);
    expect(f.commands).toEqual([]);
    expect(f.events.map((e) => e.type)).toEqual(["op:start", "host:progress", "op:result"]);
    expect(f.host.changed).toBe(1);
    await result.lease.release();
  });

  it("says how many are ahead, and takes the holder it is given", async () => {
    const l = reboot(1);
    const first = await l.acquire("a");
    const second = l.acquire("b");
    const f = fakeHost([]);
    const pending = lock.acquire(f.host, { lock: l, holder: "10.0.0.1" });
    await sleep(10);
    expect(f.events.find((e) => e.type === "host:progress")).toMatchObject({ message: "waiting for reboot lock (1 of 1 slots busy, 1 ahead)" });
    await first.release();
    await (await second).release();
    expect((await pending).lease.holder).toBe("10.0.0.1");
  });

  it("under --dry says what it would take and takes nothing", async () => {
    const l = reboot(2);
    const other = await l.acquire("web-9");
    const f = fakeHost([], { dry: true });
    const result = await lock.acquire(f.host, { lock: l });
    expect(result).toMatchObject({ status: "planned", description: "would take a slot of the reboot lock for h1 (1 of 2 busy now: web-9)" });
    expect(await l.holders()).toEqual(["web-9"]);
    expect(await lock.release(f.host, { lease: result.lease })).toMatchObject({ status: "planned", description: "would release the reboot lock slot of h1" });
    expect(await l.holders()).toEqual(["web-9"]);
    await other.release();
  });

  it("fails with the lock's reason when the wait times out, and leaves the line", async () => {
    const l = reboot(1);
    const other = await l.acquire("web-9");
    const f = fakeHost([]);
    const error = await lock.acquire(f.host, { lock: l, timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockError);
    expect(f.events.at(-1)).toMatchObject({ type: "op:result", op: "lock.acquire", status: "failed", error: expect.stringMatching(/^h1 did not get a slot of lock reboot: timed out/) });
    await other.release();
    expect(await l.holders()).toEqual([]);
  });

  it("refuses a missing lock or lease", async () => {
    const f = fakeHost([]);
    await expect(lock.acquire(f.host, {} as never)).rejects.toThrow("lock.acquire: lock must be a lock from createLock()");
    await expect(lock.release(f.host, {} as never)).rejects.toThrow("lock.release: lease must be what lock.acquire returned");
  });
});

describe("lock.release", () => {
  it("frees the slot once: changed, then unchanged", async () => {
    const l = reboot(1);
    const f = fakeHost([]);
    const { lease } = await lock.acquire(f.host, { lock: l });
    expect(await lock.release(f.host, { lease })).toMatchObject({ status: "changed", description: "released the reboot lock slot of h1" });
    expect(await l.holders()).toEqual([]);
    expect(await lock.release(f.host, { lease })).toMatchObject({ status: "unchanged", description: "the reboot lock slot of h1 was already released" });
    expect(lock.release.operationName).toBe("lock.release");
  });
});
