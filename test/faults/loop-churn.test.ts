// Fault: someone else attaches and detaches loop devices while pine reads them (udisks, another admin, or another pine
// run: lab hosts share this machine's loops, which is how this was found). block.loops must still list every loop that
// stays attached, and disk.loop_detach must still detach the loop pine attached (a loop missing from the fact reads as
// "already gone": unchanged, and the loop leaks). Loop devices only over sparse files this test creates (never -D).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { LocalConnector } from "../../src/connectors/local.js";
import { HostContext } from "../../src/host.js";
import { loops } from "../../facts/block/loops.js";
import * as disk from "../../operations/disk/index.js";
import { killQuietly, tempDir } from "./support.js";

const LOSETUP = "/sbin/losetup";
const skip = process.getuid?.() !== 0 ? "needs root (loop devices)" : !existsSync(LOSETUP) ? `${LOSETUP} is missing` : undefined;
if (skip) console.warn(`loop churn test skipped: ${skip}`);

/** The block.loops command before the fix: the backing file printed after its section's header. */
const OLD_COMMAND = [
  `for d in /sys/block/loop*; do [ -r "$d/loop/backing_file" ] || continue`,
  `  printf '@@loop %s\\n' "\${d##*/}"`,
  `  printf 'backing='; cat "$d/loop/backing_file"`,
  `done`,
].join("\n");

describe.skipIf(skip !== undefined)("loop devices churned by someone else while pine reads them", () => {
  const work = tempDir("churn");
  const file = (name: string) => join(work.dir, name);
  afterAll(() => {
    for (const name of ["hole", "stable", "churn"]) {
      for (const line of spawnSync(LOSETUP, ["-j", file(name)], { encoding: "utf8", timeout: 10_000 }).stdout.split("\n").filter(Boolean)) {
        spawnSync(LOSETUP, ["-d", line.split(":")[0]!], { timeout: 10_000 });
      }
    }
    work.remove();
  });

  test("block.loops keeps listing pine's loop, and disk.loop_detach detaches it", async () => {
    for (const name of ["hole", "stable", "churn"]) spawnSync("truncate", ["-s", "1M", file(name)]);
    const host = new HostContext({ name: "local", address: "127.0.0.1", groups: [], data: {} }, new LocalConnector(), { dry: false, emit: () => undefined });
    // A hole below pine's loop: the churn takes it, so the device that comes and goes is listed before pine's.
    const hole = spawnSync(LOSETUP, ["--show", "-f", file("hole")], { encoding: "utf8", timeout: 10_000 }).stdout.trim();
    const mine = (await disk.loop_attach(host, { file: file("stable") })).loop!;
    spawnSync(LOSETUP, ["-d", hole], { timeout: 10_000 });
    const churn = spawn("sh", ["-c", `while :; do L=$(${LOSETUP} --show -f ${file("churn")}) && ${LOSETUP} -d "$L"; done`], { stdio: "ignore" });
    // For comparison, the command before the fix, read in a tight loop meanwhile: how often it lost pine's loop.
    writeFileSync(file("old.sh"), OLD_COMMAND);
    const control = spawn(
      "sh",
      ["-c", `n=0; m=0; end=$(($(date +%s) + 4)); while [ "$(date +%s)" -lt "$end" ]; do n=$((n+1)); sh ${file("old.sh")} | grep -qx '@@loop ${mine.slice(5)}' || m=$((m+1)); done; echo "$n $m"`],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    let controlOut = "";
    control.stdout.on("data", (d: Buffer) => (controlOut += d.toString()));
    const controlDone = new Promise<void>((resolve) => control.on("close", () => resolve()));
    let reads = 0;
    const misses: string[] = [];
    try {
      const until = Date.now() + 4_000;
      while (Date.now() < until) {
        reads++;
        host.invalidate("block.loops");
        const all = await host.fact(loops);
        if (!all.some((l) => l.device === mine && l.backingFile === file("stable"))) misses.push(JSON.stringify(all));
      }
      await Promise.race([controlDone, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    } finally {
      killQuietly(churn.pid!);
      killQuietly(control.pid!);
    }
    const [oldReads, oldMisses] = controlOut.trim().split(" ");
    console.log(`loop churn: ${reads} reads of block.loops while ${hole} came and went: pine's ${mine} missing ${misses.length} times (the command before the fix: ${oldMisses ?? "?"} of ${oldReads ?? "?"})`);
    expect(reads).toBeGreaterThan(10);
    expect(misses).toEqual([]);
    const detached = await disk.loop_detach(host, { device: mine });
    expect(detached.status).toBe("changed");
    expect(spawnSync(LOSETUP, ["-j", file("stable")], { encoding: "utf8" }).stdout).toBe("");
  });
});
