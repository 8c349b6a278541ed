// The image script as the hijack install runs it: busybox ash with nothing but busybox applets on PATH (the old root's
// tools are gone by then), onto a loop device of a sparse file here. dd, tee, tar -xzO, sha256sum, mkfifo, blockdev:
// all busybox's. Needs root and /bin/busybox; the loop device is removed by name.
import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageScript, type ScriptOptions } from "../../../operations/image/script.js";
import { parseReport } from "../../../operations/image/write.js";

const usable = process.getuid?.() === 0 && existsSync("/bin/busybox") && existsSync("/sbin/losetup");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.skipIf(!usable)("the image script under busybox ash, busybox applets only", () => {
  let dir: string;
  let farm: string;
  let loop = "";
  const img = randomBytes(5 * 1024 * 1024 + 512);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pine-bbimg-"));
    farm = join(dir, "bin");
    mkdirSync(farm);
    spawnSync("/bin/busybox", ["--install", "-s", farm]);
    mkdirSync(join(dir, "rel"));
    writeFileSync(join(dir, "rel", "image.pine"), img);
    spawnSync("tar", ["-C", join(dir, "rel"), "-czf", join(dir, "rel.tar.gz"), "image.pine"]);
    spawnSync("truncate", ["-s", "16M", join(dir, "disk.img")]);
    loop = spawnSync("/sbin/losetup", ["--show", "-f", join(dir, "disk.img")], { encoding: "utf8" }).stdout.trim();
  });
  afterAll(() => {
    if (loop) spawnSync("/sbin/losetup", ["-d", loop]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (o: Partial<ScriptOptions>, input?: Buffer) => {
    const script = imageScript({ device: loop, workDir: dir, fetch: null, staging: null, format: "raw", member: "image.pine", sourceSha256: sha(img), size: null, imageSha256: null, checkFirst: false, ...o });
    const r = spawnSync("/bin/busybox", ["sh", "-c", script], { input, encoding: "utf8", env: { PATH: farm } });
    return { ...r, report: parseReport(r.stdout) };
  };
  const device = () => spawnSync("/bin/busybox", ["head", "-c", String(img.length), loop], { maxBuffer: 64 << 20 }).stdout as Buffer;

  it("writes from stdin, reads back, reports ok", () => {
    const r = run({}, img);
    expect(r.report.get("reason")).toBe("ok");
    expect(r.status).toBe(0);
    expect(r.report.get("bytes")).toBe(String(img.length));
    expect(sha(device())).toBe(sha(img));
    expect(r.stderr).toContain("@@pine-phase readback");
  });

  it("checks a tar.gz in a first pass, extracts image.pine with busybox tar, writes and verifies", () => {
    spawnSync("/bin/busybox", ["dd", "if=/dev/zero", `of=${loop}`, "bs=1048576", "count=6", "conv=fsync"]);
    const tgz = readFileSync(join(dir, "rel.tar.gz"));
    const r = run({ fetch: `cat ${join(dir, "rel.tar.gz")}`, format: "tar.gz", sourceSha256: sha(tgz), checkFirst: true });
    expect(r.report.get("reason")).toBe("ok");
    expect(r.report.get("image_sha256")).toBe(sha(img));
    expect(sha(device())).toBe(sha(img));
  });

  it("stops before writing when the source is not the expected one, and says UNDEFINED-worthy exit codes only after", () => {
    spawnSync("/bin/busybox", ["dd", "if=/dev/zero", `of=${loop}`, "bs=1048576", "count=6", "conv=fsync"]);
    const zeros = sha(device());
    const wrong = run({ fetch: `cat ${join(dir, "rel", "image.pine")}`, sourceSha256: "1".repeat(64), checkFirst: true });
    expect(wrong.status).toBe(11);
    expect(wrong.report.get("reason")).toBe("source-sha256");
    expect(sha(device())).toBe(zeros);
    const short = run({}, img.subarray(0, img.length - 512));
    expect(short.status).toBe(20);
    expect(short.report.get("reason")).toBe("source-sha256");
    const big = run({ size: img.length + 1 }, img);
    expect(big.status).toBe(20);
    expect(big.report.get("reason")).toBe("size");
  });

  it("staged: downloads once into the staging dir and writes from the copy; a failed download or a full staging dir writes nothing, saying which", () => {
    spawnSync("/bin/busybox", ["dd", "if=/dev/zero", `of=${loop}`, "bs=1048576", "count=6", "conv=fsync"]);
    const zeros = sha(device());
    const stage = join(dir, "stage");
    mkdirSync(stage, { recursive: true });
    const good = run({ fetch: `cat ${join(dir, "rel", "image.pine")}`, staging: stage });
    expect(good.report.get("reason"), good.stdout + good.stderr).toBe("ok");
    expect(sha(device())).toBe(sha(img));
    spawnSync("/bin/busybox", ["dd", "if=/dev/zero", `of=${loop}`, "bs=1048576", "count=6", "conv=fsync"]);
    const failed = run({ fetch: `cat ${join(dir, "missing")}`, staging: stage });
    expect(failed.status).toBe(11);
    expect(failed.report.get("reason")).toBe("source");
    expect(failed.report.get("source_rc")).toBe("1");
    expect(failed.report.get("source_err")).toMatch(/missing/);
    // A staging tmpfs smaller than the source: cat names the full disk.
    const small = join(dir, "small");
    mkdirSync(small);
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small]).status).toBe(0);
    try {
      const full = run({ fetch: `cat ${join(dir, "rel", "image.pine")}`, staging: small });
      expect(full.status).toBe(11);
      expect(full.report.get("reason")).toBe("staging");
      expect(full.report.get("staging_err")).toMatch(/No space left on device/);
      expect(spawnSync("/bin/busybox", ["ls", "-A", small], { encoding: "utf8" }).stdout).toBe("");
    } finally {
      spawnSync("umount", [small]);
    }
    expect(sha(device())).toBe(zeros);
  });
});
