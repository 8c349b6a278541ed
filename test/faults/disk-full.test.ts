// Fault: the disk fills up under a write, through the real CLI. A 1 MiB tmpfs is mounted over a test directory inside
// h1's own mount namespace only (nsenter into its sshd's namespace; h2 sees the plain directory, with room), then
// files.put, files.download and image.write (its staging copy) write past it. h1 must fail naming itself, the step and
// the full disk (the system's "No space left on device" reaches the message), its old target intact, no temp file left;
// h2 finishes. Last, a loop device whose backing file sits on a full tmpfs: the kernel turns that into I/O errors,
// and image.write must say the device is UNDEFINED. Loop devices are over sparse files this test creates, removed after.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LabHostState } from "../../src/lab/index.js";
import { runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { jsonEvents, pineTemps, tempDir, writeDeploy } from "./support.js";

const labSkip = await labSkipReason();
const MiB = 1024 * 1024;
const LOSETUP = "/sbin/losetup";
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

const DEPLOY = `
import { defineDeploy, files, operations } from "PINE_API";
const env = (k: string) => process.env[k]!;
export default defineDeploy({
  name: "fill",
  async run(host) {
    const full = env("FAULT_FULL");
    const which = env("FAULT_CASE");
    if (which === "put") {
      await files.put(host, { path: full + "/target", content: Buffer.alloc(2 * 1024 * 1024, 0x70) });
    } else if (which === "download") {
      await files.download(host, { url: env("FAULT_URL") + "/big", path: full + "/target", sha256: env("FAULT_SHA"), size: Number(env("FAULT_SIZE")) });
    } else if (which === "staging") {
      await operations.image.write(host, { device: env("FAULT_DEV_" + host.name), source: { url: env("FAULT_URL") + "/image" }, sha256: env("FAULT_SHA"), staging: full });
    } else {
      await operations.image.write(host, { device: env("FAULT_DEV_" + host.name), source: { localFile: env("FAULT_IMAGE") }, sha256: env("FAULT_SHA") });
    }
  },
});
`;

function inNamespace(host: LabHostState, args: string[]): void {
  execFileSync("nsenter", ["-t", String(host.sshdPid), "-m", "--", ...args], { timeout: 10_000 });
}

describe.skipIf(labSkip !== undefined)("disk full mid-write (CLI)", () => {
  const lab = useLab({ name: "ffull", hosts: 2 });
  const work = tempDir("full");
  const full = join(work.dir, "full");
  const backings: string[] = [];
  const mounted: Array<() => void> = [];
  let deploy: string;
  let http: Server;
  let base: string;
  const big = Buffer.alloc(2 * MiB, 0x64);
  const img = randomBytes(4 * MiB);
  /** h1's view of the full directory: its mount namespace's root, through /proc. */
  const h1View = (name = "") => join(`/proc/${lab.state.hosts[0]!.sshdPid}/root`, full, name);

  beforeAll(async () => {
    mkdirSync(full);
    deploy = writeDeploy(work.dir, "fill.mts", DEPLOY);
    const h1 = lab.state.hosts[0]!;
    inNamespace(h1, ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "pine-ffull", full]);
    mounted.push(() => inNamespace(h1, ["umount", full]));
    http = createServer((req, res) => void (req.url === "/big" ? res.end(big) : req.url === "/image" ? res.end(img) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => http.listen(0, lab.state.gateway, resolve));
    base = `http://${lab.state.gateway}:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    // Only the loops over this test's own files, found by backing file (a device name may have been reused since).
    for (const backing of backings) {
      for (const line of spawnSync(LOSETUP, ["-j", backing], { encoding: "utf8", timeout: 10_000 }).stdout.split("\n").filter(Boolean)) {
        spawnSync(LOSETUP, ["-d", line.split(":")[0]!], { timeout: 10_000 });
      }
    }
    for (const unmount of mounted.reverse()) {
      try {
        unmount();
      } catch {
        // The lab going down takes h1's namespace (and its mount) with it anyway.
      }
    }
    work.remove();
  });

  /** A loop device over a new sparse file in `dir` (this test's own), detached in afterAll. */
  function loopOver(dir: string, name: string, size: string): string {
    const file = join(dir, name);
    execFileSync("truncate", ["-s", size, file]);
    backings.push(file);
    return execFileSync(LOSETUP, ["--show", "-f", file], { encoding: "utf8", timeout: 10_000 }).trim();
  }

  async function fill(which: string, env: Record<string, string> = {}) {
    // h1's full disk holds its old target (200 KiB of the 1 MiB): what must survive.
    writeFileSync(h1View("target"), Buffer.alloc(200 * 1024, 0x6f));
    const r = await runPine(["deploy", lab.inventory, deploy, "--json"], { env: { FAULT_FULL: full, FAULT_CASE: which, FAULT_URL: base, ...env }, timeoutMs: 60_000 });
    const events = jsonEvents(r.stdout);
    const failed = events.filter((e) => e.type === "host:failed");
    console.log(`disk full (${which}): ${failed.map((e) => String(e.error).split("\n").filter((l) => /^h1:|stderr:/.test(l)).join(" | ")).join("")}`);
    return { ...r, failed, done: events.filter((e) => e.type === "host:done").map((e) => e.host), text: failed.map((e) => String(e.error)).join("\n") };
  }

  function expectH1FullAndIntact(r: Awaited<ReturnType<typeof fill>>, step: string) {
    expect(r.code, r.stderr).toBe(1);
    expect(r.done).toEqual(["h2"]);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]).toMatchObject({ host: "h1", step });
    expect(r.text).toMatch(/^h1: /);
    expect(r.text).toContain(`step: ${step}`);
    expect(r.text).toMatch(/No space left on device/);
    expect(sha(readFileSync(h1View("target")))).toBe(sha(Buffer.alloc(200 * 1024, 0x6f)));
    expect(pineTemps(h1View())).toEqual([]);
  }

  test("files.put of 2 MiB onto a 1 MiB filesystem: failed in files.put with ENOSPC, old target intact, no temp file", async () => {
    const r = await fill("put");
    expectH1FullAndIntact(r, "files.put");
    expect(readFileSync(join(full, "target"))).toEqual(Buffer.alloc(2 * MiB, 0x70));
  });

  test("files.download of 2 MiB onto a 1 MiB filesystem: failed in files.download with ENOSPC, old target intact, no temp file", async () => {
    const r = await fill("download", { FAULT_SHA: sha(big), FAULT_SIZE: String(big.length) });
    expectH1FullAndIntact(r, "files.download");
    expect(r.text).toContain("left unchanged");
    expect(sha(readFileSync(join(full, "target")))).toBe(sha(big));
  });

  test("image.write staging a 4 MiB download in a 1 MiB directory: failed with ENOSPC, nothing written to the device", async () => {
    const devices = { FAULT_DEV_h1: loopOver(work.dir, "h1.disk", "64M"), FAULT_DEV_h2: loopOver(work.dir, "h2.disk", "64M") };
    const r = await fill("staging", { FAULT_SHA: sha(img), ...devices });
    expectH1FullAndIntact(r, "image.write");
    expect(r.text).toContain(`writing the download into the staging directory ${full} failed`);
    expect(r.text).toContain(`nothing was written to ${devices.FAULT_DEV_h1}`);
    expect(r.text).not.toContain("UNDEFINED");
    const head = (dev: string) => execFileSync("sh", ["-c", `head -c ${img.length} ${dev} | sha256sum`], { encoding: "utf8", timeout: 30_000 }).slice(0, 64);
    expect(head(devices.FAULT_DEV_h1)).toBe(sha(Buffer.alloc(img.length)));
    expect(head(devices.FAULT_DEV_h2)).toBe(sha(img));
  });

  test("image.write onto a loop device whose backing filesystem fills up: dd's I/O error reaches the message, device UNDEFINED", async () => {
    // A 64 MiB sparse disk on an 8 MiB tmpfs, and a 32 MiB image: the kernel's loop driver cannot store the blocks.
    const small = join(work.dir, "small");
    mkdirSync(small);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "pine-ffull-small", small], { timeout: 10_000 });
    mounted.push(() => execFileSync("umount", [small], { timeout: 10_000 }));
    const image = join(work.dir, "image.raw");
    const bytes = randomBytes(32 * MiB);
    writeFileSync(image, bytes);
    const devices = { FAULT_DEV_h1: loopOver(small, "h1.disk", "64M"), FAULT_DEV_h2: loopOver(work.dir, "h2b.disk", "64M") };
    const r = await runPine(["deploy", lab.inventory, deploy, "--json"], { env: { FAULT_CASE: "device", FAULT_FULL: full, FAULT_IMAGE: image, FAULT_SHA: sha(bytes), ...devices }, timeoutMs: 60_000 });
    const events = jsonEvents(r.stdout);
    expect(r.code, r.stderr).toBe(1);
    expect(events.filter((e) => e.type === "host:done").map((e) => e.host)).toEqual(["h2"]);
    const failed = events.find((e) => e.type === "host:failed")!;
    expect(failed).toMatchObject({ host: "h1", step: "image.write" });
    const text = String(failed.error);
    // The loop driver reports the full backing store as an I/O error (this kernel does not pass ENOSPC through).
    expect(text).toMatch(new RegExp(`dd onto ${devices.FAULT_DEV_h1} failed \\(exit 1\\): .*(Input/output error|No space left on device)`));
    expect(text).toContain(`${devices.FAULT_DEV_h1} has been written over and its content is now UNDEFINED: it must not be booted`);
    console.log(`disk full under a loop device: ${/dd onto [^\n]*/.exec(text)?.[0]}`);
  });
});
