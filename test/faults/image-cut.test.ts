// Fault: the image stream is cut while image.write is writing a device: the host's sshd killed by PID, or its link cut
// (eth0 down in its namespace). The device is a loop device over a sparse file this test creates (never a real disk).
// Three hosts write at once, each its own loop device; the victim must fail in image.write saying the device's content
// is now UNDEFINED and must not be booted (operations/README.md), the other two must finish with their devices
// verified byte for byte. Loop devices are detached and their files removed afterwards, on failure too.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { RunEvent } from "../../src/events.js";
import type { LabHostState } from "../../src/lab/index.js";
import { runOnHosts } from "../../src/runner/run-hosts.js";
import * as image from "../../operations/image/index.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { fastFailConnector, killQuietly, killSshd, setLink, tempDir, waitFor } from "./support.js";

const labSkip = await labSkipReason();
const MiB = 1024 * 1024;
const IMAGE_BYTES = 64 * MiB;
const LOSETUP = "/sbin/losetup";
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** sha256 of a device's first `bytes` bytes, read on this machine (the loop devices are this machine's). */
function deviceSha(dev: string, bytes: number): string {
  const r = spawnSync("sh", ["-c", `dd if=${dev} bs=4194304 iflag=count_bytes count=${bytes} 2>/dev/null | sha256sum`], { encoding: "utf8", timeout: 30_000 });
  return r.stdout.slice(0, 64);
}

/** PIDs on this machine whose argv writes or reads `dev` (the host side of an image write: dd of=DEV / if=DEV). */
function usersOf(dev: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      if (argv.includes(`of=${dev}`) || argv.includes(`if=${dev}`)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe.skipIf(labSkip !== undefined)("image.write: the stream cut mid-write (loop devices of sparse files)", () => {
  const lab = useLab({ name: "fimg", hosts: 3 });
  const work = tempDir("img");
  const loops = new Map<string, string>();
  // A fresh image per test: a device already holding the image would be left alone ("unchanged").
  let img = Buffer.alloc(0);

  beforeAll(() => {
    for (const host of ["h1", "h2", "h3"]) {
      const file = join(work.dir, `${host}.disk`);
      execFileSync("truncate", ["-s", "128M", file]);
      loops.set(host, execFileSync(LOSETUP, ["--show", "-f", file], { encoding: "utf8", timeout: 10_000 }).trim());
    }
  });
  afterEach(async () => {
    for (const host of lab.state.hosts) await setLink(host, "up").catch(() => undefined);
    // The victim's host side may still be running (its sshd has not noticed the client is gone): let it end on its own
    // (its stdin ends once the session dies), then stop what is left by PID, so the next test starts from still devices.
    for (const dev of loops.values()) {
      const ended = await waitFor(() => usersOf(dev).length === 0, 20_000, `the writes to ${dev} to end`).then(
        () => true,
        () => false,
      );
      if (!ended) for (const pid of usersOf(dev)) killQuietly(pid);
    }
  });
  afterAll(() => {
    // Only the loops over this test's own files: losetup -j names exactly those (never -D).
    for (const host of ["h1", "h2", "h3"]) {
      const file = join(work.dir, `${host}.disk`);
      const attached = spawnSync(LOSETUP, ["-j", file], { encoding: "utf8", timeout: 10_000 }).stdout;
      for (const line of attached.split("\n").filter(Boolean)) spawnSync(LOSETUP, ["-d", line.split(":")[0]!], { timeout: 10_000 });
    }
    work.remove();
  });

  /** Write the image onto every host's loop device at once; the controller paces the send at ~24 MiB/s so a strike lands mid-write. */
  async function writeAll(strike: { victim: LabHostState; cut: (victim: LabHostState) => Promise<void> }) {
    img = randomBytes(IMAGE_BYTES);
    const events: RunEvent[] = [];
    const hosts = lab.state.hosts.map((h) => ({ name: h.name, address: h.address, groups: [], data: {} }));
    const written = new Map<string, number>();
    const running = runOnHosts(
      hosts,
      async (host) => {
        let calls = 0;
        // Asked twice: once to check the sha256 on the controller (at full speed), once to send (paced).
        const stream = () => {
          const paced = calls++ > 0;
          return Readable.from(
            (async function* () {
              for (let at = 0; at < img.length; at += MiB) {
                if (paced) await new Promise((resolve) => setTimeout(resolve, 40));
                yield img.subarray(at, at + MiB);
              }
            })(),
          );
        };
        return image.write(host, { device: loops.get(host.name)!, source: { stream }, sha256: sha(img), size: img.length, timeoutMs: 120_000 });
      },
      {
        parallel: 10,
        dry: false,
        emit: (event) => {
          events.push(event);
          if (event.type !== "host:progress") return;
          const m = /: writing ([\d.]+) MiB/.exec(event.message);
          if (m) written.set(event.host, Number(m[1]));
        },
        connectorFor: (host) => fastFailConnector(lab.state, host),
      },
    );
    await waitFor(() => (written.get(strike.victim.name) ?? 0) >= 8, 30_000, `${strike.victim.name} to be writing its device`, 5);
    const struckAt = written.get(strike.victim.name)!;
    await strike.cut(strike.victim);
    const summary = await running;
    return { summary, events, struckAt };
  }

  function expectVictimUndefinedOthersVerified(summary: Awaited<ReturnType<typeof writeAll>>["summary"], victim: string) {
    const failed = summary.outcomes.find((o) => o.host === victim)!;
    expect(failed, JSON.stringify(summary.outcomes)).toMatchObject({ ok: false, step: "image.write" });
    const dev = loops.get(victim)!;
    expect(failed.error).toContain(`image.write ${dev}`);
    expect(failed.error).toMatch(new RegExp(`${dev} has been written over and its content is now UNDEFINED: it must not be booted`));
    expect(failed.error).toMatch(/connection lost|the write did not finish/);
    expect(failed.error).not.toContain("nothing was written");
    for (const outcome of summary.outcomes.filter((o) => o.host !== victim)) {
      expect(outcome, outcome.error).toMatchObject({ ok: true, changed: 1 });
      expect((outcome.value as image.ImageWriteResult).written).toMatchObject({ bytes: img.length, imageSha256: sha(img) });
      expect(deviceSha(loops.get(outcome.host)!, img.length)).toBe(sha(img));
    }
    // The victim's device holds neither its old content (zeros) nor the image: undefined indeed.
    expect(deviceSha(dev, img.length)).not.toBe(sha(img));
  }

  test("sshd killed (listener and session, by PID) mid-write: that host fails in image.write, device UNDEFINED; the others verify", async () => {
    const victim = lab.state.hosts[0]!;
    try {
      const { summary, struckAt } = await writeAll({ victim, cut: async (v) => void expect(killSshd(v)).toBeGreaterThanOrEqual(2) });
      expect(struckAt).toBeLessThan(IMAGE_BYTES / MiB);
      expectVictimUndefinedOthersVerified(summary, victim.name);
    } finally {
      // Bring the host back (labUp restarts a host whose sshd is gone) for the next test.
      const { labUp } = await import("../../src/lab/index.js");
      await labUp({ name: "fimg", hosts: 3, dir: lab.dir });
    }
  });

  test("link cut (eth0 down) mid-write: failed within seconds in image.write, device UNDEFINED; the others verify", async () => {
    const victim = lab.state.hosts[1]!;
    const started = Date.now();
    const { summary, struckAt } = await writeAll({ victim, cut: (v) => setLink(v, "down") });
    expect(struckAt).toBeLessThan(IMAGE_BYTES / MiB);
    expect(Date.now() - started).toBeLessThan(30_000);
    expectVictimUndefinedOthersVerified(summary, victim.name);
  });
});
