// A rolling upgrade end to end: five pine container hosts (installed from Debian lab containers by the install
// CLI) go from v1 to v2 in batches 1,50%,100% with at most two down at once; a re-run changes nothing.
import { describe, expect, it } from "vitest";
import { labSkipReason } from "../support/lab.js";
import { runPine } from "../support/cli.js";
import { mostDown, progressOf, startPine, stateOf, stopLeftoverControllers, systemOf, usePineHosts } from "./support.js";

const skip = await labSkipReason("debian");
const HOSTS = ["h1", "h2", "h3", "h4", "h5"];

describe.skipIf(skip !== undefined)("upgrade: rolling batches under the reboot lock", () => {
  const pine = usePineHosts("uproll", 5);
  stopLeftoverControllers();
  const data = () => ({
    releaseIndex: pine.releaseIndex("releases.json"),
    upgrade: { health: [{ service: "sshd" }, { port: 22 }, { command: "grep -q PINE_VERSION=v2 /etc/pine" }], healthTimeout: 20, rebootTimeout: 120 },
  });

  it("--dry shows the batches and each host's current and target commit, and changes nothing", async () => {
    const inventory = pine.inventory("inventory.yaml", data());
    const r = await runPine(["deploy", inventory, "upgrade", "--dry", "--serial", "1,50%,100%", "--max-down", "2"], { cwd: pine.work, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const { v1, v2 } = pine.manifest.commits;
    expect(r.stderr).toContain("-- batch 1/3: h1\n");
    expect(r.stderr).toContain("-- batch 2/3: h2, h3, h4\n");
    expect(r.stderr).toContain("-- batch 3/3: h5\n");
    for (const host of HOSTS) expect(r.stderr).toContain(`[${host}] would upgrade v1 (${v1.slice(0, 12)}…) → v2 (${v2.slice(0, 12)}…): stream v2 delta`);
    expect(r.stderr).toMatch(/upgrade plan \(dry run: nothing was changed\):[\s\S]*5 planned; reboot lock embedded, at most 2 down/);
    for (const host of HOSTS) expect(systemOf(pine, host)).toEqual({ version: "v1", booted: v1, deployments: [v1] });
  });

  it("5 hosts, 1,50%,100%, --max-down 2: all reach v2, never more than 2 down at once; a re-run skips them all", async () => {
    const inventory = pine.inventory("inventory.yaml", data());
    const started = Date.now();
    const run = startPine("c1", ["deploy", inventory, "upgrade", "--serial", "1,50%,100%", "--max-down", "2"], { cwd: pine.work, timeoutMs: 600_000 });
    const result = await run.done;
    const ms = Date.now() - started;
    expect(result.code, `${result.stderr}\n${result.stdout.slice(-3000)}`).toBe(0);

    const { most, when } = mostDown(run.events);
    console.log(`uproll: 5 hosts upgraded in ${ms} ms; most hosts down at once: ${most} (${when.join(", ")})`);
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(result.stderr).toMatch(new RegExp(`most hosts down at once: ${most} \\(at most 2 allowed, lock embedded\\)`));

    // Canary first: h1 was healthy before any host of batch 2 started; batch 3 only after batch 2 was done.
    const order = run.events.map((e) => e.event);
    const at = (host: string, state: string) => order.findIndex((e) => e.type === "host:progress" && e.host === host && stateOf(e) === state && (state !== "done" || /healthy/.test(e.message)));
    const batches = order.filter((e) => e.type === "batch:start").map((e) => (e.type === "batch:start" ? e.hosts : []));
    expect(batches).toEqual([["h1"], ["h2", "h3", "h4"], ["h5"]]);
    for (const host of ["h2", "h3", "h4"]) expect(at(host, "rebooting")).toBeGreaterThan(at("h1", "done"));
    for (const host of ["h2", "h3", "h4"]) expect(at("h5", "applying")).toBeGreaterThan(at(host, "done"));
    // Three hosts of batch 2 asked for two slots: one had to wait, and said so.
    expect(["h2", "h3", "h4"].some((host) => progressOf(run.events, host).some((m) => /^waiting for reboot lock \(2 of 2 slots busy/.test(m)))).toBe(true);
    for (const host of HOSTS) {
      expect(progressOf(run.events, host)).toEqual(expect.arrayContaining([expect.stringMatching(/^rebooting: into v2/), expect.stringMatching(/^checking: booted commit \+ 3 check\(s\)/), expect.stringMatching(/^done: v2 \(.*\) booted and healthy/)]));
    }

    const { v1, v2 } = pine.manifest.commits;
    for (const host of HOSTS) {
      // booted v2, v1 kept to roll back to: two deployments, no more
      expect(systemOf(pine, host)).toEqual({ version: "v2", booted: v2, deployments: [v2, v1] });
      expect(pine.ssh(host, "ls -A /var/tmp/pine-upgrade")).toBe("");
    }
    expect(result.stderr).toMatch(/5 upgraded; most hosts down at once/);

    const again = await runPine(["deploy", inventory, "upgrade", "--serial", "1,50%,100%", "--max-down", "2"], { cwd: pine.work, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    for (const host of HOSTS) {
      expect(again.stderr).toContain(`[${host}] done: already on v2 (${v2.slice(0, 12)}…): skipped`);
      expect(again.stdout).toMatch(new RegExp(`${host}\\s+0\\s+0\\s+ok`));
    }
    expect(again.stderr).toMatch(/5 skipped; most hosts down at once: 0/);
  });
});
