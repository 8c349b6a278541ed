// The reboot lock in etcd (a real one, Debian's, started by scripts/etcd.sh): two controllers rolling out on
// different hosts never take more than --max-down down together; a controller killed mid-rollout leaves a slot
// that its lease frees, and a re-run finishes the job, skipping what is done, with no lock entry left behind.
import { createReadStream } from "node:fs";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLock } from "../../src/lock/index.js";
import { EtcdGateway, decode, encode, prefixEnd, type RangeResponse } from "../../src/lock/etcd/gateway.js";
import { startEtcd } from "../lock/support/etcd.js";
import { labSkipReason } from "../support/lab.js";
import { mostDown, progressOf, startPine, stateOf, stopLeftoverControllers, systemOf, usePineHosts, type TimedEvent } from "./support.js";

const skip = await labSkipReason("debian");
const etcd = skip === undefined ? await startEtcd() : ({ ok: false, reason: skip } as const);
if (!etcd.ok) console.warn(`skipping the upgrade etcd tests: ${etcd.reason}`);
afterAll(async () => {
  if (etcd.ok) await etcd.server.stop();
});
const endpoint = etcd.ok ? etcd.server.endpoint : "http://127.0.0.1:1";
const lockFlag = `etcd://${endpoint.replace(/^http:\/\//, "")}?ttl=5`;

/** Every key of the reboot lock in etcd now: queue/<host> and holders/<host>, each held by a controller's lease. */
async function lockKeys(): Promise<string[]> {
  const prefix = "pine/locks/reboot/";
  const answer = await new EtcdGateway([endpoint], 5000).call<RangeResponse>("/v3/kv/range", { key: encode(prefix), range_end: prefixEnd(prefix), keys_only: true });
  return (answer.kvs ?? []).map((kv) => decode(kv.key).slice(prefix.length));
}

/** Count holders in etcd every 50 ms while runs go on: the lock as any third party sees it. */
function sampleHolders(): { stop(): Promise<{ most: number; samples: number }> } {
  const watcher = createLock({ backend: "etcd", endpoints: [endpoint] }, "reboot", 1);
  let most = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      most = Math.max(most, (await watcher.holders()).length);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await watcher.close();
      return { most, samples };
    },
  };
}

describe.skipIf(!etcd.ok)("upgrade: the reboot lock in etcd", () => {
  const pine = usePineHosts("upetcd", 4);
  stopLeftoverControllers();
  // The v1 → v2 delta, served by the controller over HTTP to the lab hosts (downloaded by their busybox wget).
  let server: Server | undefined;
  let downloads = 0;
  let deltaUrl = "";
  beforeAll(async () => {
    const delta = pine.manifest.artifacts["delta.tar"]!;
    server = createServer((request, response) => {
      if (request.url !== "/delta.tar") return void response.writeHead(404).end();
      downloads++;
      response.writeHead(200, { "content-length": delta.size });
      createReadStream(delta.path).pipe(response);
    });
    await new Promise<void>((resolve) => server!.listen(0, pine.lab.state.gateway, resolve));
    deltaUrl = `http://${pine.lab.state.gateway}:${(server.address() as { port: number }).port}/delta.tar`;
  });
  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  const inventory = () =>
    pine.inventory("inventory.yaml", {
      releaseIndex: pine.releaseIndex("releases.json", { url: deltaUrl }),
      upgrade: { health: [{ service: "sshd" }, { port: 22 }], healthTimeout: 20, rebootTimeout: 120 },
    });

  it("two controllers on different hosts, --max-down 1 each, against one etcd: never more than 1 down together", async () => {
    const file = inventory();
    const holders = sampleHolders();
    const started = Date.now();
    // Each controller would take both its hosts down at once (--parallel 50); only the shared lock stops it.
    const a = startPine("A", ["deploy", file, "upgrade", "--limit", "h1,h2", "--max-down", "1", "--lock", lockFlag], { cwd: pine.work, timeoutMs: 600_000 });
    const b = startPine("B", ["deploy", file, "upgrade", "--limit", "h3,h4", "--max-down", "1", "--lock", lockFlag], { cwd: pine.work, timeoutMs: 600_000 });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const sampled = await holders.stop();
    const ms = Date.now() - started;
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);

    const events: TimedEvent[] = [...a.events, ...b.events];
    const down = mostDown(events);
    console.log(`upetcd: two controllers, 4 hosts in ${ms} ms; most down at once by their events: ${down.most} (${down.when.join(", ")}); most holders in etcd: ${sampled.most} over ${sampled.samples} samples`);
    expect(down.most).toBe(1);
    expect(sampled.most).toBe(1);
    expect(sampled.samples).toBeGreaterThan(20);
    // Every host but the first to get a slot waited for one, and said so.
    const waited = ["h1", "h2", "h3", "h4"].filter((h) => progressOf(events, h).some((m) => /^waiting for reboot lock \(1 of 1 slots busy/.test(m)));
    expect(waited.length).toBeGreaterThanOrEqual(2);
    expect(waited.some((h) => h === "h1" || h === "h2") && waited.some((h) => h === "h3" || h === "h4")).toBe(true);

    const { v1, v2 } = pine.manifest.commits;
    for (const host of ["h1", "h2", "h3", "h4"]) expect(systemOf(pine, host)).toEqual({ version: "v2", booted: v2, deployments: [v2, v1] });
    expect(downloads).toBe(4);
    expect(await lockKeys()).toEqual([]);
  });

  it("a controller killed (SIGKILL) mid-rollout: its slot expires with its lease; a re-run finishes, skipping done hosts", async () => {
    const file = inventory();
    const { v1, v2 } = pine.manifest.commits;
    const args = ["deploy", file, "upgrade", "--to", "v1", "--serial", "1", "--max-down", "1", "--lock", lockFlag];
    // Back to v1 (a release already in every host's repository: no delta), one host at a time; killed while h2 restarts.
    let killedAt = "";
    const first = startPine("killed", args, {
      cwd: pine.work,
      timeoutMs: 600_000,
      onEvent: ({ event }) => {
        if (!killedAt && event.type === "host:progress" && event.host === "h2" && stateOf(event) === "rebooting") {
          killedAt = event.message;
          first.kill("SIGKILL");
        }
      },
    });
    const killed = await first.done;
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    expect(killedAt).toMatch(/^rebooting: into v1/);
    expect(systemOf(pine, "h1")).toMatchObject({ version: "v1", booted: v1 });
    // The dead controller still holds h2's slot in etcd: only its lease's TTL can free it.
    expect(await lockKeys()).toEqual(expect.arrayContaining(["holders/h2", "queue/h2"]));

    const started = Date.now();
    const rerun = startPine("rerun", args, { cwd: pine.work, timeoutMs: 600_000 });
    const result = await rerun.done;
    const ms = Date.now() - started;
    expect(result.code, result.stderr).toBe(0);
    const h2 = progressOf(rerun.events, "h2");
    const waitedForDead = h2.some((m) => m.startsWith("waiting for reboot lock"));
    console.log(`upetcd: re-run after the kill finished in ${ms} ms; h2: ${h2.at(-1)}; h2 waited for the dead controller's slot: ${waitedForDead}`);
    expect(progressOf(rerun.events, "h1")).toEqual([`done: already on v1 (${v1.slice(0, 12)}…): skipped`]);
    for (const host of ["h3", "h4"]) expect(progressOf(rerun.events, host)).toEqual(expect.arrayContaining([expect.stringMatching(/^done: v1 \(.*\) booted and healthy/)]));
    expect(mostDown(rerun.events).most).toBeLessThanOrEqual(1);
    for (const host of ["h1", "h2", "h3", "h4"]) expect(systemOf(pine, host)).toMatchObject({ version: "v1", booted: v1, deployments: [v1, v2] });
    // Nothing left in etcd: the dead controller's entries expired, the re-run revoked its own.
    expect(await lockKeys()).toEqual([]);
  });
});
