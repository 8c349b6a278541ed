// The upgrade's pure parts: flags, inventory data, the release index, which delta a host gets, the report.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readUpgradeConfig } from "../../deploys/upgrade/config.js";
import { parseLockOption, readRolloutOptions } from "../../deploys/upgrade/options.js";
import { formatReport } from "../../deploys/upgrade/report.js";
import { parseKernelIdentity } from "../../facts/server/kernel-identity.js";
import { bootIdentity } from "../../operations/server/reboot.js";
import { Rollout } from "../../deploys/upgrade/rollout.js";
import { deltaFor, TargetResolver, type Target } from "../../deploys/upgrade/target.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);

describe("upgrade flags", () => {
  it("defaults to one host down under the embedded lock", () => {
    expect(readRolloutOptions(undefined)).toEqual({ maxDown: 1, lock: { backend: "embedded" }, lockLabel: "embedded" });
    expect(readRolloutOptions({ to: "v2", maxDown: 3 })).toMatchObject({ to: "v2", maxDown: 3 });
  });

  it("reads etcd endpoints, a lease TTL and a key prefix", () => {
    expect(parseLockOption("etcd://10.0.0.5:2379,10.0.0.6:2379?ttl=5&prefix=ops/locks").lock).toEqual({
      backend: "etcd",
      endpoints: ["http://10.0.0.5:2379", "http://10.0.0.6:2379"],
      ttlSeconds: 5,
      prefix: "ops/locks",
    });
    expect(parseLockOption("etcds://etcd.example:2379").lock).toEqual({ backend: "etcd", endpoints: ["https://etcd.example:2379"] });
  });

  it("refuses bad values, naming the flag", () => {
    expect(() => readRolloutOptions({ maxDown: 0 })).toThrow(/--max-down must be a whole number of hosts, at least 1/);
    expect(() => readRolloutOptions({ maxDown: Number.NaN })).toThrow(/--max-down/);
    expect(() => readRolloutOptions({ to: "v2; reboot" })).toThrow(/--to must be a release tag/);
    expect(() => parseLockOption("consul://x:8500")).toThrow(/--lock must be "embedded" or etcd:\/\//);
    expect(() => parseLockOption("etcd://10.0.0.5")).toThrow(/not HOST:PORT/);
    expect(() => parseLockOption("etcd://10.0.0.5:2379?ttl=1")).toThrow(/ttl must be whole seconds, at least 2/);
    expect(() => parseLockOption("etcd://10.0.0.5:2379?max=3")).toThrow(/unknown setting "max"/);
  });
});

describe("upgrade settings from inventory data", () => {
  it("reads the target, a delta, health checks and time limits", () => {
    const config = readUpgradeConfig("web1", {
      releaseIndex: "releases.json",
      upgrade: {
        to: "v2",
        delta: { url: "http://10.0.0.1/d.tar", sha256: A.toUpperCase(), from: B },
        health: [{ command: "curl -fs localhost/health" }, { service: "nginx" }, { port: 443 }, { port: 5432, address: "10.0.0.9" }],
        healthTimeout: 30,
        rebootTimeout: 120,
      },
    }, undefined);
    expect(config).toEqual({
      target: { to: "v2", releaseIndex: "releases.json", delta: { url: "http://10.0.0.1/d.tar", sha256: A, from: B } },
      health: [{ command: "curl -fs localhost/health" }, { service: "nginx" }, { port: 443 }, { port: 5432, address: "10.0.0.9" }],
      healthTimeoutMs: 30_000,
      rebootTimeoutMs: 120_000,
    });
    // --to wins over data.upgrade.to
    expect(readUpgradeConfig("web1", { releaseIndex: "r.json", upgrade: { to: "v2" } }, "v3").target.to).toBe("v3");
  });

  it("refuses what would make a bad rollout, naming the key", () => {
    const bad = (data: Record<string, unknown>, to?: string) => () => readUpgradeConfig("web1", data, to);
    expect(bad({})).toThrow(/data\.releaseIndex: nothing says which release/);
    expect(bad({ upgrade: { delta: { file: "d.tar" } } }, "v2")).toThrow(/nothing says which release/);
    expect(bad({ releaseIndex: "r.json", upgrade: { delta: { url: "http://x/d.tar" } } })).toThrow(/upgrade\.delta\.sha256 is required/);
    expect(bad({ releaseIndex: "r.json", upgrade: { delta: { file: "d.tar", from: "v1" } } })).toThrow(/upgrade\.delta\.from must be the 64-hex commit/);
    expect(bad({ releaseIndex: "r.json", upgrade: { health: [{ command: "true", port: 80 }] } })).toThrow(/health\[0\] must have exactly one of command, service, port \(it has command, port\)/);
    expect(bad({ releaseIndex: "r.json", upgrade: { health: [{ port: 70000 }] } })).toThrow(/health\[0\]\.port must be 1-65535/);
    expect(bad({ releaseIndex: "r.json", upgrade: { health: [{ service: "x; rm -rf /" }] } })).toThrow(/service must be a service name/);
    expect(bad({ releaseIndex: "r.json", upgrade: { healthTimeout: 0 } })).toThrow(/upgrade\.healthTimeout must be a number of seconds/);
  });
});

describe("the target, resolved once on the controller", () => {
  const dir = mkdtempSync(join(tmpdir(), "pine-upgrade-plan-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "v1-v2.delta"), "delta bytes");
  const index = join(dir, "releases.json");
  writeFileSync(index, JSON.stringify({
    latest: "v2",
    releases: { v1: { commit: A }, v2: { commit: B, deltas: [{ from: A, file: "v1-v2.delta", sha256: "d".repeat(64) }] } },
  }));

  it("names the latest release, hashes a delta file beside the index and refuses a wrong sha256", async () => {
    await expect(new TargetResolver().resolve({ releaseIndex: index })).rejects.toThrow(/has sha256 [0-9a-f]{64}, but d{64} was given: refusing to use it/);
    const { sha256File } = await import("../../deploys/install/source.js");
    const sha = await sha256File(join(dir, "v1-v2.delta"));
    writeFileSync(index, JSON.stringify({ latest: "v2", releases: { v1: { commit: A }, v2: { commit: B, deltas: [{ from: A, file: "v1-v2.delta", sha256: sha }] } } }));
    const target = await new TargetResolver().resolve({ releaseIndex: index });
    expect(target).toMatchObject({ commit: B, label: "v2", deltas: [{ from: A, artifact: { kind: "file", path: join(dir, "v1-v2.delta"), size: 11, sha256: sha } }] });
    expect(target.names.get(A)).toBe("v1");
    // a commit the index knows is named by its tag; v1 has no delta: the hosts must have it already
    expect(await new TargetResolver().resolve({ releaseIndex: index, to: A })).toMatchObject({ commit: A, label: "v1", deltas: [] });
    await expect(new TargetResolver().resolve({ releaseIndex: index, to: "v9" })).rejects.toThrow(/release v9 is not in .*releases\.json/);
  });

  it("a bare commit with a delta from the inventory", async () => {
    const target = await new TargetResolver().resolve({ to: C, delta: { url: "http://10.0.0.1/d.tar", sha256: A, from: "empty" } });
    expect(target).toMatchObject({ commit: C, label: "cccccccccccc…", deltas: [{ from: "empty", artifact: { kind: "url", url: "http://10.0.0.1/d.tar", sha256: A } }] });
  });

  it("gives each host the delta from its own commit, else a full one, else one of unknown base", () => {
    const d = (from: string | null) => ({ from, artifact: { kind: "url" as const, url: `http://x/${from}`, sha256: A, label: String(from) } });
    const target: Target = { commit: C, label: "v3", deltas: [d(null), d("empty"), d(A)], names: new Map() };
    expect(deltaFor(target, A)?.from).toBe(A);
    expect(deltaFor(target, B)?.from).toBe("empty");
    expect(deltaFor({ ...target, deltas: [d(A), d(null)] }, B)?.from).toBeNull();
    expect(deltaFor({ ...target, deltas: [d(A)] }, B)).toBeUndefined();
  });
});

describe("the boot identity and the report", () => {
  it("names a boot by boot id and the start of process 1: a restarted container with the same boot id is a new boot", () => {
    const read = (start: string) => bootIdentity(parseKernelIdentity(`boot_id=6058680d-e264-4599-ac8d-efea3282f93b\npidns=pid:[4026532211]\ninit_start=${start}\n`));
    expect(read("572743")).toBe("6058680d-e264-4599-ac8d-efea3282f93b pid:[4026532211] 572743");
    expect(read("572743")).not.toBe(read("581002"));
    expect(() => parseKernelIdentity("boot_id=\ninit_start=1\n")).toThrow(/boot_id/);
  });

  it("says per host where it went and how many were down at once", () => {
    const rec = (host: string, outcome: "upgraded" | "skipped" | "rolled back", detail?: string) => ({
      host, outcome, started: 0, ms: 9000, downMs: 4000, from: { commit: A, name: "v1" }, to: { commit: B, name: "v2" }, ...(detail ? { detail } : {}),
    });
    const text = formatReport({
      hosts: ["h1", "h2", "h3", "h4"],
      records: new Map([["h1", rec("h1", "upgraded")], ["h2", rec("h2", "skipped", "already on the target")], ["h3", rec("h3", "rolled back", "health check `false` failed: exit 1")]]),
      notStarted: new Map([["h4", "not started: failure budget exceeded"]]),
      errors: new Map(),
      lockLabel: "embedded",
      maxDown: 2,
      mostDown: 1,
      dry: false,
    });
    expect(text).toBe([
      "upgrade report:",
      "  h1  v1 → v2  upgraded     down 4.0s of 9.0s",
      "  h2  v2       skipped                         already on the target",
      "  h3  v1       rolled back  down 4.0s of 9.0s  health check `false` failed: exit 1",
      "  h4  -        not started                     not started: failure budget exceeded",
      "1 upgraded, 1 skipped, 1 rolled back, 1 not started; most hosts down at once: 1 (at most 2 allowed, lock embedded)",
    ].join("\n"));
  });
});

describe("the rollout's own bookkeeping", () => {
  it("stops lock waits once the failure budget is spent, or when every slot is held by a host that did not come back", async () => {
    const spent = new Rollout(undefined, 2, 1);
    spent.failed();
    expect(spent.signal.aborted).toBe(false);
    spent.failed();
    expect(spent.stopReason).toBe("the failure budget is spent: 2 host(s) failed, at most 1 allowed");

    const stuck = new Rollout(undefined, 2, Number.POSITIVE_INFINITY);
    const lease = (holder: string) => ({ lock: "reboot", holder, lost: new AbortController().signal, release: async () => undefined });
    stuck.keepSlot(lease("h1"));
    expect(stuck.signal.aborted).toBe(false);
    stuck.keepSlot(lease("h2"));
    expect(stuck.stopReason).toBe("every reboot-lock slot (2) is held by a host that did not come back: h1, h2");
  });

  it("counts the most hosts down at once", async () => {
    const rollout = new Rollout(undefined, 3, 0);
    const [a, b] = [rollout.begin("a"), rollout.begin("b")];
    rollout.wentDown("a");
    rollout.wentDown("b");
    rollout.cameUp(a);
    rollout.wentDown("c");
    rollout.cameUp(b);
    expect(rollout.mostDown).toBe(2);
    expect(a.downMs).toBeGreaterThanOrEqual(0);
  });
});
