// `pine facts` on 50 lab hosts for ten facts at once costs ONE exec round trip per host: counted inside (the SSH
// connector's exec count, per host) and outside pine (a login shell that logs every channel sshd starts with it).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { HostContext } from "../../src/host.js";
import { factRegistry, files, isFactFamily } from "../../facts/index.js";
import type { Fact } from "../../src/facts/define.js";
import { runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";

const skip = await labSkipReason();
const HOSTS = 50;
/** A machine-wide account (lab hosts share /etc/passwd): its login shell counts the channels opened on it. */
const COUNTING_USER = "pinefkcnt";
const TEN = ["server.hostname", "server.kernel", "server.distro", "server.arch", "server.memory", "server.uptime", "net.addresses", "net.gateway", "files.file:/etc/hosts", "server.users"];

function tenFacts(): Fact<unknown>[] {
  return TEN.map((spec) => {
    if (spec === "files.file:/etc/hosts") return files.file("/etc/hosts");
    const f = factRegistry.get(spec)!;
    if (isFactFamily(f)) throw new Error(`${spec} needs arguments`);
    return f;
  });
}

describe.skipIf(skip !== undefined)(`pine facts on ${HOSTS} hosts, ten facts`, () => {
  let work = "";
  let channels = "";

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "pine-fk50-"));
    const shell = join(work, "counting-shell");
    channels = join(work, "channels.log");
    // sshd runs the login shell once per channel, as `SHELL -c COMMAND`: one log line per exec round trip.
    chmodSync(work, 0o755);
    writeFileSync(shell, `#!/bin/sh\nprintf '%s\\n' "$(hostname)" >> ${channels}\nexec /bin/sh "$@"\n`, { mode: 0o755 });
    writeFileSync(channels, "");
    chmodSync(channels, 0o666);
    const exists = spawnSync("id", ["-u", COUNTING_USER]).status === 0;
    // An account left by a crashed run is reused with this run's shell; the lab then authorizes its key.
    if (exists) execFileSync("usermod", ["-s", shell, COUNTING_USER]);
    else execFileSync("useradd", ["-M", "-d", `/home/${COUNTING_USER}`, "-s", shell, "-p", "*", COUNTING_USER]);
  });
  const lab = useLab({ name: "fk50", hosts: HOSTS, loginUser: COUNTING_USER });
  afterAll(() => {
    spawnSync("userdel", [COUNTING_USER]);
    rmSync(`/home/${COUNTING_USER}`, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("gathering ten facts costs each host exactly one exec (the connector's count)", async () => {
    const limit = pLimit(10);
    const results = await Promise.all(
      lab.state.hosts.map((h) =>
        limit(async () => {
          const connector = new SshConnector({ host: h.address, user: "root", key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false });
          try {
            const host = new HostContext({ name: h.name, address: h.address, groups: [], data: {} }, connector, { dry: false, emit: () => undefined });
            const facts = tenFacts();
            const values = await host.gather(facts);
            // Asked again: the cache answers, no second round trip.
            await host.gather(facts);
            return { name: h.name, execs: connector.stats.execs, values };
          } finally {
            await connector.close();
          }
        }),
      ),
    );
    expect(results.map((r) => [r.name, r.execs])).toEqual(lab.state.hosts.map((h) => [h.name, 1]));
    for (const r of results) {
      expect(r.values.filter((v) => !v.ok), r.name).toEqual([]);
      expect(r.values[0], r.name).toEqual({ ok: true, value: r.name });
    }
  }, 120_000);

  it("`pine facts --json` answers for all 50 with no error, and sshd started one channel per host", async () => {
    writeFileSync(channels, "");
    const r = await runPine(["facts", lab.inventory, ...TEN, "--json", "--user", COUNTING_USER], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { hosts: Record<string, Record<string, unknown>>; errors: Record<string, string> };
    expect(doc.errors).toEqual({});
    expect(Object.keys(doc.hosts).sort()).toEqual(lab.state.hosts.map((h) => h.name).sort());
    for (const h of lab.state.hosts) {
      const values = doc.hosts[h.name]!;
      expect(Object.keys(values), h.name).toHaveLength(10);
      for (const [key, value] of Object.entries(values)) expect(value, `${h.name} ${key}`).not.toHaveProperty("unavailable");
      expect(values["server.hostname"]).toBe(h.name);
      expect((values["net.addresses"] as Array<{ address: string }>).map((a) => a.address)).toContain(h.address);
      expect((values["net.gateway"] as { v4: { gateway: string } }).v4.gateway).toBe(lab.state.gateway);
    }
    // Counted outside pine: the login shell logged each channel with the host's name.
    const lines = readFileSync(channels, "utf8").trim().split("\n");
    expect(lines.sort()).toEqual(lab.state.hosts.map((h) => h.name).sort());
  }, 180_000);
});
