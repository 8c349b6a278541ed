// A release whose health check fails on one host: that host goes back to v1 by itself and is reported; with
// --max-fail 0 the rollout stops there and the hosts after it are not touched at all. A re-run on the failed
// list, with the check fixed, finishes the job.
import { describe, expect, it } from "vitest";
import { labSkipReason } from "../support/lab.js";
import { runPine } from "../support/cli.js";
import { mostDown, progressOf, readFailedList, startPine, stopLeftoverControllers, systemOf, usePineHosts } from "./support.js";

const skip = await labSkipReason("debian");

describe.skipIf(skip !== undefined)("upgrade: a failed health check rolls the host back and spends the budget", () => {
  const pine = usePineHosts("uphlth", 4);
  stopLeftoverControllers();

  it("h3 fails its check on v2: rolled back to v1, reported; --max-fail 0 stops the rollout, h4 stays on v1 untouched", async () => {
    const inventory = pine.inventory("inventory.yaml", {
      releaseIndex: pine.releaseIndex("releases.json"),
      upgrade: { health: [{ command: "test $(hostname) != h3" }, { service: "sshd" }, { port: 22 }], healthTimeout: 3, rebootTimeout: 120 },
    });
    const started = Date.now();
    const run = startPine("c1", ["deploy", inventory, "upgrade", "--serial", "1", "--max-fail", "0"], { cwd: pine.work, timeoutMs: 600_000 });
    const result = await run.done;
    console.log(`uphlth: rollout with a rollback stopped after ${Date.now() - started} ms`);
    expect(result.code, result.stderr).toBe(1);

    const { v1, v2 } = pine.manifest.commits;
    expect(systemOf(pine, "h1")).toEqual({ version: "v2", booted: v2, deployments: [v2, v1] });
    expect(systemOf(pine, "h2")).toEqual({ version: "v2", booted: v2, deployments: [v2, v1] });
    // h3 booted v2, failed, and boots v1 again; v2 stays beside it
    expect(systemOf(pine, "h3")).toEqual({ version: "v1", booted: v1, deployments: [v1, v2] });
    expect(progressOf(run.events, "h3")).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rebooting: into v2/),
        expect.stringMatching(/^checking: /),
        expect.stringMatching(/^rebooting: unhealthy \(health check `test \$\(hostname\) != h3` failed: exit 1 \(\d+ tries\)\): rolling back to v1/),
        expect.stringMatching(/^rolled back: to v1 /),
      ]),
    );
    // h4 was never started: not even the delta reached it
    expect(systemOf(pine, "h4")).toEqual({ version: "v1", booted: v1, deployments: [v1] });
    expect(pine.ssh("h4", `ostree show ${v2} >/dev/null 2>&1 && echo has-v2 || echo no-v2; ls -A /var/tmp`).trim()).toBe("no-v2");
    expect(progressOf(run.events, "h4")).toEqual([]);

    expect(result.stderr).toMatch(/h3 +v1 +rolled back +down [\d.]+s of [\d.]+s +health check `test \$\(hostname\) != h3` failed: exit 1/);
    expect(result.stderr).toMatch(/h4 +- +not started +not started: failure budget exceeded: 1 host\(s\) failed, at most 0 allowed/);
    expect(result.stderr).toMatch(/2 upgraded, 1 rolled back, 1 not started; most hosts down at once: 1 \(at most 1 allowed/);
    expect(result.stdout).toContain('"step":"upgrade.health"');
    expect(mostDown(run.events).most).toBe(1);
    expect(readFailedList(pine.work)).toEqual(["h3", "h4"]);

    // The check fixed, a re-run on the failed list upgrades exactly those two.
    const fixed = pine.inventory("fixed.yaml", {
      releaseIndex: pine.releaseIndex("releases.json"),
      upgrade: { health: [{ service: "sshd" }, { port: 22 }], healthTimeout: 20, rebootTimeout: 120 },
    });
    const again = await runPine(["deploy", fixed, "upgrade", "--limit", "@.pine/last-failed.txt", "--max-fail", "0"], { cwd: pine.work, timeoutMs: 300_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/2 upgraded; most hosts down at once: 1/);
    for (const host of ["h3", "h4"]) expect(systemOf(pine, host)).toEqual({ version: "v2", booted: v2, deployments: [v2, v1] });
    expect(readFailedList(pine.work)).toEqual([]);
  });
});
