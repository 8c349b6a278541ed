// image.write for real, over SSH to a lab host, onto a loop device of a sparse file (never this machine's disks):
// a good image lands byte for byte and verifies; a wrong, corrupt or truncated source writes nothing; a source that
// changes between the check and the write fails loudly with the device declared undefined. Measures MB/s over SSH.
import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as disk from "../../../operations/disk/index.js";
import * as image from "../../../operations/image/index.js";
import type { ImageWriteResult } from "../../../operations/image/index.js";
import { labSkipReason, useLab } from "../../support/lab.js";
import { labHost, type LabHost } from "../support/lab-host.js";

const labSkip = await labSkipReason();
const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function local(cmd: string): string {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8", maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** sha256 of the device's first `bytes` bytes, read here (the loop device is this machine's). */
const deviceSha = (dev: string, bytes: number) => local(`dd if=${dev} bs=4194304 iflag=count_bytes count=${bytes} 2>/dev/null | sha256sum`).slice(0, 64);
const failureOf = (p: Promise<unknown>) => p.then(() => "succeeded?!", (e: Error & { describe?(): string }) => e.describe?.() ?? e.message);

describe.skipIf(labSkip !== undefined)("image.write on a lab host", () => {
  const lab = useLab({ name: "img", hosts: 1 });
  let h: LabHost;
  let dir: string;
  let dev: string;
  let http: Server;
  let base: string;
  // An 8 MiB "disk image" (incompressible) in the release format, and broken copies of it.
  const img = randomBytes(8 * MiB);
  const routes = new Map<string, Buffer | (() => Buffer)>();
  let tgz: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pine-image-lab-"));
    mkdirSync(join(dir, "rel"));
    writeFileSync(join(dir, "rel", "image.pine"), img);
    local(`tar -C ${dir}/rel -czf ${dir}/release.tar.gz image.pine`);
    tgz = readFileSync(join(dir, "release.tar.gz"));
    const corrupt = Buffer.from(tgz);
    corrupt[corrupt.length >> 1] = corrupt[corrupt.length >> 1]! ^ 0xff;
    routes.set("/release.tar.gz", tgz).set("/corrupt.tar.gz", corrupt).set("/trunc.tar.gz", tgz.subarray(0, tgz.length >> 1)).set("/image.pine", img);
    // Whole on the first request (the check pass), cut short on the next (the write pass).
    let served = 0;
    routes.set("/flaky.tar.gz", () => (served++ === 0 ? tgz : tgz.subarray(0, tgz.length - 4096)));
    http = createServer((req, res) => {
      const route = routes.get(req.url ?? "");
      if (!route) return void res.writeHead(404).end();
      res.end(typeof route === "function" ? route() : route);
    });
    await new Promise<void>((resolve) => http.listen(0, lab.state.gateway, resolve));
    base = `http://${lab.state.gateway}:${(http.address() as AddressInfo).port}`;
    h = labHost(lab.state, 0);
    local(`truncate -s 512M ${dir}/disk.img`);
    dev = (await disk.loop_attach(h.host, { file: join(dir, "disk.img") })).loop!;
  });
  afterAll(async () => {
    await h?.connector.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    if (dir) {
      for (const loop of local(`/sbin/losetup -a | grep -F '(${dir}/' | cut -d: -f1 || true`).split("\n").filter(Boolean)) spawnSync("/sbin/losetup", ["-d", loop]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes a 256 MiB local image over SSH, verified by read-back; the device matches the controller's file; then unchanged", async () => {
    const big = randomBytes(256 * MiB);
    const file = join(dir, "big.img");
    writeFileSync(file, big);
    const started = Date.now();
    const r = await image.write(h.host, { device: dev, source: { localFile: file }, sha256: sha(big) });
    const wall = (Date.now() - started) / 1000;
    expect(r.status).toBe("changed");
    expect(r.written).toMatchObject({ bytes: big.length, imageSha256: sha(big) });
    expect(deviceSha(dev, big.length)).toBe(sha(big));
    const w = r.written!;
    console.log(
      `image.write 256 MiB over SSH: ${(big.length / 1e6 / w.writeSeconds!).toFixed(1)} MB/s write pass (${w.writeSeconds} s), read-back verify ${w.verifySeconds} s, ${wall.toFixed(1)} s in all (controller hash + write + verify)`,
    );
    expect(h.events.some((e) => e.type === "host:progress" && /writing \d+\.\d MiB of 256\.0 MiB \(\d+%\), [\d.]+ MB\/s/.test(e.message))).toBe(true);
    const again = await image.write(h.host, { device: dev, source: { localFile: file }, sha256: sha(big) });
    expect(again).toMatchObject({ status: "unchanged", written: null });
  });

  it("the release format from a URL: the host downloads, checks, extracts image.pine with tar -xzO, writes and verifies", async () => {
    const r = await image.write(h.host, { device: dev, source: { url: `${base}/release.tar.gz` }, sha256: sha(tgz), format: "tar.gz" });
    expect(r).toMatchObject({ status: "changed", written: { bytes: img.length, imageSha256: sha(img) } });
    expect(deviceSha(dev, img.length)).toBe(sha(img));
    const known = { device: dev, source: { url: `${base}/release.tar.gz` }, sha256: sha(tgz), format: "tar.gz" as const, size: img.length, imageSha256: sha(img) };
    expect((await image.write(h.host, known)).status).toBe("unchanged");
    // Staged in a tmpfs-like dir on the host: downloaded once, checked, written from the copy.
    local(`dd if=/dev/zero of=${dev} bs=1M count=9 conv=fsync 2>/dev/null`);
    h.host.invalidate("block.*");
    expect((await image.write(h.host, { ...known, staging: dir })).status).toBe("changed");
    expect(deviceSha(dev, img.length)).toBe(sha(img));
  });

  it("a wrong, corrupt or truncated source writes nothing: the device keeps its bytes", async () => {
    local(`dd if=/dev/urandom of=${dev} bs=1M count=9 conv=fsync 2>/dev/null`);
    h.host.invalidate("block.*");
    const before = deviceSha(dev, 9 * MiB);
    const seen = h.events.length;
    const file = join(dir, "rel", "image.pine");
    const results: string[] = [];
    results.push(await failureOf(image.write(h.host, { device: dev, source: { localFile: file }, sha256: "1".repeat(64) })));
    results.push(await failureOf(image.write(h.host, { device: dev, source: { url: `${base}/image.pine` }, sha256: "1".repeat(64) })));
    results.push(await failureOf(image.write(h.host, { device: dev, source: { url: `${base}/corrupt.tar.gz` }, sha256: sha(tgz), format: "tar.gz" })));
    results.push(await failureOf(image.write(h.host, { device: dev, source: { url: `${base}/trunc.tar.gz` }, sha256: sha(tgz), format: "tar.gz" })));
    // The truncated tarball with its own (matching) sha256: tar finds it cut short.
    results.push(await failureOf(image.write(h.host, { device: dev, source: { url: `${base}/trunc.tar.gz` }, sha256: sha(tgz.subarray(0, tgz.length >> 1)), format: "tar.gz" })));
    results.push(await failureOf(image.write(h.host, { device: dev, source: { url: `${base}/missing` }, sha256: sha(tgz), format: "tar.gz" })));
    results.push(await failureOf(image.write(h.host, { device: dev, source: { localFile: file }, sha256: sha(img), size: img.length + 512 })));
    expect(results[0]).toContain(`has sha256 ${sha(img)}, not the expected ${"1".repeat(64)}; nothing was written`);
    expect(results[1]).toContain(`the source's sha256 is ${sha(img)}, not the expected ${"1".repeat(64)}`);
    expect(results[2]).toMatch(/the source's sha256 is [0-9a-f]{64}, not the expected/);
    expect(results[3]).toMatch(/the source's sha256 is [0-9a-f]{64}, not the expected/);
    expect(results[4]).toMatch(/tar -xzO image.pine failed \(exit \d+\): the tarball is corrupt, cut short, or holds no image.pine/);
    expect(results[5]).toMatch(/reading the source failed \(exit \d+\)/);
    expect(results[6]).toContain(`the image is ${img.length} bytes, not the expected ${img.length + 512}; nothing was written`);
    for (const r of results.slice(1, 6)) expect(r).toContain(`nothing was written to ${dev}`);
    for (const r of results) expect(r).not.toContain("UNDEFINED");
    expect(deviceSha(dev, 9 * MiB)).toBe(before);
    const statuses = h.events.slice(seen).filter((e) => e.type === "op:result" && e.op === "image.write").map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(Array(results.length).fill("failed"));
  });

  it("a source that changes between the check and the write fails loudly: the device is declared undefined, never 'changed'", async () => {
    const flaky = await failureOf(image.write(h.host, { device: dev, source: { url: `${base}/flaky.tar.gz` }, sha256: sha(tgz), format: "tar.gz" }));
    expect(flaky).toMatch(/the source's sha256 is [0-9a-f]{64}, not the expected [0-9a-f]{64}: it is not the expected file, or it came in corrupt or cut short\. \/dev\/loop\d+ has been written over and its content is now UNDEFINED: it must not be booted/);
    expect(flaky).toContain("exit code: 20");
    // A controller stream that is whole when checked and cut short when sent.
    let calls = 0;
    const stream = () => Readable.from([calls++ === 0 ? img : img.subarray(0, img.length - MiB)]);
    const cut = await failureOf(image.write(h.host, { device: dev, source: { stream }, sha256: sha(img) }));
    expect(calls).toBe(2);
    expect(cut).toMatch(/content is now UNDEFINED/);
    const results = h.events.filter((e) => e.type === "op:result" && e.op === "image.write").slice(-2) as Array<{ status: string }>;
    expect(results.map((r) => r.status)).toEqual(["failed", "failed"]);
  });

  it("a good write after all that; --dry writes nothing", async () => {
    const dry = labHost(lab.state, 0, { dry: true });
    try {
      local(`dd if=/dev/zero of=${dev} bs=1M count=9 conv=fsync 2>/dev/null`);
      const planned: ImageWriteResult = await image.write(dry.host, { device: dev, source: { url: `${base}/release.tar.gz` }, sha256: sha(tgz), format: "tar.gz" });
      expect(planned).toMatchObject({ status: "planned", written: null });
      expect(planned.description).toContain(`download ${base}/release.tar.gz on the host with`);
      expect(deviceSha(dev, MiB)).toBe(sha(Buffer.alloc(MiB)));
    } finally {
      await dry.connector.close();
    }
    expect((await image.write(h.host, { device: dev, source: { localFile: join(dir, "release.tar.gz") }, sha256: sha(tgz), format: "tar.gz" })).status).toBe("changed");
    expect(deviceSha(dev, img.length)).toBe(sha(img));
    expect((await disk.loop_detach(h.host, { device: dev })).status).toBe("changed");
  });
});
