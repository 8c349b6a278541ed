// The CLI end to end against real sshd lab hosts: facts, exec, deploy, --dry, --limit, errors and exit codes.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { labSkipReason, useLab } from "../support/lab.js";
import { REPO_ROOT, runPine } from "../support/cli.js";

const skip = await labSkipReason();

describe.skipIf(skip !== undefined)("pine CLI on lab hosts", () => {
  const lab = useLab({ name: "cli", hosts: 3 });
  const work = mkdtempSync(join(tmpdir(), "pine-cli-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Run a command inside lab host i's network namespace, as the host itself would report it. */
  const onHost = (i: number, cmd: string[]) => execFileSync("ip", ["netns", "exec", lab.state.hosts[i]!.namespace, ...cmd], { encoding: "utf8" });

  it("pine facts --json returns what the hosts themselves report", async () => {
    const r = await runPine(["facts", lab.inventory, "server.hostname", "server.distro", "net.addresses", "block.devices", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { hosts: Record<string, Record<string, unknown>>; errors: Record<string, string> };
    expect(doc.errors).toEqual({});
    expect(Object.keys(doc.hosts)).toEqual(["h1", "h2", "h3"]);
    const osRelease = Object.fromEntries(
      readFileSync("/etc/os-release", "utf8").split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replace(/^"|"$/g, "")]),
    );
    const lsblk = JSON.parse(execFileSync("lsblk", ["-J", "-b", "-o", "NAME,SIZE,TYPE"], { encoding: "utf8" })) as { blockdevices: { name: string; size: number; type: string }[] };
    lab.state.hosts.forEach((labHost, i) => {
      const facts = doc.hosts[labHost.name]!;
      expect(facts["server.hostname"]).toBe(labHost.name);
      expect(facts["server.distro"]).toMatchObject({ id: osRelease.ID, codename: osRelease.VERSION_CODENAME });
      const ipj = JSON.parse(onHost(i, ["ip", "-j", "addr"])) as { ifname: string; addr_info: { family: string; local: string; prefixlen: number }[] }[];
      const expected = ipj.flatMap((l) => l.addr_info.map((a) => ({ iface: l.ifname, family: a.family === "inet" ? 4 : 6, address: a.local, prefix: a.prefixlen })));
      const got = (facts["net.addresses"] as { iface: string; family: number; address: string; prefix: number }[]).map(({ iface, family, address, prefix }) => ({ iface, family, address, prefix }));
      expect(got).toEqual(expected);
      const devices = facts["block.devices"] as { name: string; sizeBytes: number; type: string }[];
      for (const dev of lsblk.blockdevices) {
        expect(devices).toContainEqual(expect.objectContaining({ name: dev.name, sizeBytes: Number(dev.size), type: dev.type }));
      }
    });
  });

  it("pine facts prints a table and names unknown facts with suggestions (exit 2)", async () => {
    const table = await runPine(["facts", lab.inventory, "server.hostname", "--limit", "h2"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/h2\s+server\.hostname\s+h2/);
    expect(table.stdout).not.toMatch(/\bh1\b/);
    const bad = await runPine(["facts", lab.inventory, "server.hostnam"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown fact "server.hostnam"');
    expect(bad.stderr).toContain("server.hostname");
  });

  it("pine exec prints each host's output and fails (exit 1) when a host's command fails", async () => {
    const ok = await runPine(["exec", lab.inventory, "--", "hostname"]);
    expect(ok.code).toBe(0);
    for (const h of ["h1", "h2", "h3"]) expect(ok.stdout).toContain(`=== ${h} (exit 0) ===\n${h}\n`);
    const failing = await runPine(["exec", lab.inventory, "--", "test \"$(hostname)\" != h2 || { echo bad >&2; exit 7; }"]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain("=== h2 (exit 7) ===");
    expect(failing.stdout).toContain("=== h1 (exit 0) ===");
    expect(failing.stderr).toContain("[h2] bad");
    const json = await runPine(["exec", lab.inventory, "--limit", "h1", "--json", "--", "echo hi"]);
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; stdout?: string; exitCode?: number });
    expect(events.find((e) => e.type === "exec:result")).toMatchObject({ stdout: "hi\n", exitCode: 0 });
    expect(events.at(-1)).toMatchObject({ type: "run:end", ok: true });
  });

  it("a deploy changes things once, then nothing; --dry changes nothing", async () => {
    const dirOf = (h: string) => join(work, `site-${h}`);
    const data = ["--data", `siteDir=${join(work, "site-PLACEHOLDER")}`];
    // each host gets its own directory via a per-host --data is not possible; use --limit per host
    const deploy = (host: string, extra: string[] = []) =>
      runPine(["deploy", lab.inventory, "test/fixtures/deploys/site.ts", "--limit", host, "--data", `siteDir=${dirOf(host)}`, ...extra], { cwd: REPO_ROOT });
    expect(data).toHaveLength(2);

    const dry = await deploy("h1", ["--dry", "-v"]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain("planned   files.put: create file");
    expect(dry.stderr).toContain(`+node=1`);
    expect(dry.stdout).toMatch(/h1\s+3\s+0\s+ok/);
    expect(existsSync(dirOf("h1"))).toBe(false);

    const first = await deploy("h1");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/h1\s+3\s+0\s+ok/);
    expect(readFileSync(join(dirOf("h1"), "app.conf"), "utf8")).toBe("node=1\nname=h1\n");
    expect(statSync(join(dirOf("h1"), "app.conf")).mode & 0o777).toBe(0o640);
    expect(statSync(dirOf("h1")).mode & 0o777).toBe(0o750);

    const second = await deploy("h1");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/h1\s+0\s+3\s+ok/);

    // someone edits the file by hand: the next deploy puts it back and shows the diff
    writeFileSync(join(dirOf("h1"), "app.conf"), "node=9\n");
    const repair = await deploy("h1", ["-v"]);
    expect(repair.stdout).toMatch(/h1\s+1\s+2\s+ok/);
    expect(repair.stderr).toContain("-node=9");
    expect(readFileSync(join(dirOf("h1"), "app.conf"), "utf8")).toBe("node=1\nname=h1\n");
  });

  it("a deploy file that throws is reported with its file and line; other hosts are not affected", async () => {
    const r = await runPine(["deploy", lab.inventory, "test/fixtures/deploys/throws.ts"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/deploy .* threw: no settings: undefined/);
    expect(r.stderr).toMatch(/throws\.ts:4:\d+/);
    expect(r.stdout).toMatch(/h3\s+0\s+0\s+FAILED \(deploy\)/);
  });

  it("an unreachable host fails with a clear error while the others succeed", async () => {
    const inventory = join(work, "with-dead.yaml");
    const base = readFileSync(lab.inventory, "utf8");
    // .250 in the lab's subnet: nothing answers there
    const dead = lab.state.hosts[0]!.address.replace(/\.\d+$/, ".250");
    writeFileSync(inventory, base.replace(/^hosts:\n/m, `hosts:\n  dead: { address: ${dead}, connectTimeout: 2 }\n`));
    const started = Date.now();
    const r = await runPine(["exec", inventory, "--", "true"], { timeoutMs: 90_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("=== h1 (exit 0) ===");
    expect(r.stdout).toContain("=== h3 (exit 0) ===");
    expect(r.stderr).toMatch(/dead/);
    expect(r.stderr).toContain("1 of 4 host(s) failed: dead");
    expect(existsSync(join(REPO_ROOT, ".pine", "last-failed.txt")) ? readFileSync(join(REPO_ROOT, ".pine", "last-failed.txt"), "utf8") : "").toBe("dead\n");
    expect(Date.now() - started).toBeLessThan(80_000);
  });

  it("bad inventories exit 2 with the file and line, never a stack trace", async () => {
    const inventory = join(work, "bad.yaml");
    writeFileSync(inventory, "hosts:\n  web1:\n    port: abc\n");
    const r = await runPine(["facts", inventory, "server.hostname"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${inventory}:3`);
    expect(r.stderr).toContain("port");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
