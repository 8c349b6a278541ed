// Planning image.write from given facts: the source is checked before anything is sent or written, the host script
// runs its check pass before its write pass, and the script's report becomes an error that says what the device holds.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import * as image from "../../../operations/image/index.js";
import { parseReport } from "../../../operations/image/write.js";
import { ImageProgress } from "../../../operations/image/progress.js";
import { checkLocal } from "../../../operations/image/source.js";
import { devices, type BlockDevice } from "../../../facts/block/devices.js";
import { headSha256 } from "../../../facts/block/head-sha256.js";
import { mounts } from "../../../facts/server/mounts.js";
import { which } from "../../../facts/server/which.js";
import { ConnectError, type PineError } from "../../../src/errors.js";
import { fakeHost, type Primed } from "../support/fake-host.js";

const local = mkdtempSync(join(tmpdir(), "pine-imgplan-"));
afterAll(() => rmSync(local, { recursive: true, force: true }));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const raw = Buffer.alloc(3 * 4096 + 123, 7);
const rawFile = join(local, "disk.img");
writeFileSync(rawFile, raw);
mkdirSync(join(local, "rel"));
writeFileSync(join(local, "rel", "image.pine"), raw);
writeFileSync(join(local, "rel", "README"), "not the image\n");
const tgzFile = join(local, "release.tar.gz");
execFileSync("tar", ["-C", join(local, "rel"), "-czf", tgzFile, "README", "image.pine"]);
const tgz = readFileSync(tgzFile);
const dev = "/dev/vdb";
const disk = (over: Partial<BlockDevice> = {}): BlockDevice => ({ name: "vdb", type: "disk", sizeBytes: 1 << 30, parent: null, mountpoint: null, fstype: null, ...over });
const quiet: Primed = [[devices, [disk()]], [mounts, []]];
const tools: Primed = [[which("wget"), null], [which("curl"), "/usr/bin/curl"], [which("busybox"), "/bin/busybox"]];
const ok = (bytes: number, imageSha: string) => `@@pine-image pass=write source_rc=0 decode_rc=0 sink_rc=0 source_sha256=x image_sha256=${imageSha} bytes=${bytes} device_bytes=1073741824 readback_sha256=${imageSha} reason=ok\n`;

describe("image.write plan", () => {
  it("streams a checked local raw file on stdin; one host script; the result says what was written", async () => {
    const f = fakeHost([...quiet, [headSha256(dev, raw.length), { size: 1 << 30, sha256: null }]], { respond: () => ({ stdout: ok(raw.length, sha(raw)) }) });
    const r = await image.write(f.host, { device: dev, source: { localFile: rawFile }, sha256: sha(raw) });
    expect(r.status).toBe("changed");
    expect(r.written).toMatchObject({ bytes: raw.length, imageSha256: sha(raw) });
    expect(r.description).toBe(`write the image (0.0 MiB, sha256 ${sha(raw).slice(0, 12)}…) onto ${dev}: send ${rawFile} (on the controller) on the command's stdin (its sha256 checked on the controller first), dd 4 MiB blocks with fsync, then read it back and compare sha256`);
    expect(f.connector.commands).toHaveLength(1);
    expect(f.connector.commands[0]!.stdin).toBe(raw.toString("utf8"));
    const script = f.commands[0]!;
    expect(script).not.toContain("pine_pass_check");
    expect(script).toContain(`pine_want_size=${raw.length}`);
    expect(script).toContain(`pine_want_img=${sha(raw)}`);
    expect(script).toContain(`dd of="$pine_dev" bs=4194304 iflag=fullblock conv=fsync`);
    expect(script).toContain(`dd if="$pine_dev" bs=4194304 iflag=count_bytes count="$pine_bytes"`);
  });

  it("refuses a wrong source before sending a byte; --dry checks the source too and writes nothing", async () => {
    const f = fakeHost([...quiet, [headSha256(dev, raw.length), { size: 1 << 30, sha256: null }]]);
    await expect(image.write(f.host, { device: dev, source: { localFile: rawFile }, sha256: "1".repeat(64) })).rejects.toThrow(`has sha256 ${sha(raw)}, not the expected ${"1".repeat(64)}; nothing was written`);
    await expect(image.write(f.host, { device: dev, source: { localFile: rawFile }, sha256: sha(raw), size: 4096 })).rejects.toThrow(`the image is ${raw.length} bytes, not the expected 4096; nothing was written`);
    await expect(image.write(f.host, { device: dev, source: { localFile: rawFile }, sha256: "" })).rejects.toThrow(/sha256 of the source is required/);
    expect(f.commands).toEqual([]);
    const d = fakeHost([...quiet, [headSha256(dev, raw.length), { size: 1 << 30, sha256: null }]], { dry: true });
    const planned = await image.write(d.host, { device: dev, source: { localFile: rawFile }, sha256: sha(raw) });
    expect(planned).toMatchObject({ status: "planned", written: null });
    expect(planned.commands[0]).toBe(`send ${rawFile} (on the controller) on the command's stdin (its sha256 checked on the controller first) | dd of=${dev} bs=4M conv=fsync; read back ${raw.length} bytes and compare sha256`);
    expect(d.commands).toEqual([]);
  });

  it("finds image.pine inside a local tar.gz, so its size and sha256 are known before the host sees a byte", async () => {
    expect(await checkLocal({ localFile: tgzFile }, "tar.gz", "image.pine")).toEqual({ sourceSha256: sha(tgz), sourceBytes: tgz.length, imageSha256: sha(raw), imageBytes: raw.length });
    const f = fakeHost([...quiet, [headSha256(dev, raw.length), { size: 1 << 30, sha256: sha(raw) }]]);
    expect(await image.write(f.host, { device: dev, source: { localFile: tgzFile }, sha256: sha(tgz), format: "tar.gz" })).toMatchObject({ status: "unchanged", description: `${dev} already holds the image (0.0 MiB, sha256 ${sha(raw).slice(0, 12)}…)` });
    await expect(image.write(f.host, { device: dev, source: { localFile: tgzFile }, sha256: sha(tgz), format: "tar.gz", member: "other.pine" })).rejects.toThrow(/the tarball holds no other.pine; nothing was written/);
    await expect(image.write(f.host, { device: dev, source: { localFile: rawFile }, sha256: sha(raw), format: "tar.gz" })).rejects.toThrow(/as a tar.gz holding image.pine: .*; nothing was written/);
    const s = fakeHost([...quiet, [headSha256(dev, raw.length), { size: 1 << 30, sha256: null }]], { respond: () => ({ stdout: ok(raw.length, sha(raw)) }) });
    await image.write(s.host, { device: dev, source: { stream: () => Readable.from([tgz]) }, sha256: sha(tgz), format: "tar.gz" });
    expect(s.commands[0]).toContain(`tar -xzOf - image.pine`);
    expect(Buffer.from(s.connector.commands[0]!.stdin!, "utf8").length).toBeGreaterThan(0);
  });

  it("a URL: the host downloads with the tool it has, and its script checks the source in a pass that writes nothing first", async () => {
    const f = fakeHost([...quiet, ...tools], { respond: () => ({ stdout: ok(raw.length, sha(raw)) }) });
    const r = await image.write(f.host, { device: dev, source: { url: "https://example.org/r/pine.tar.gz" }, sha256: sha(tgz), format: "tar.gz" });
    expect(r.description).toBe(`write the image (size known after the download, image.pine from a tar.gz) onto ${dev}: download https://example.org/r/pine.tar.gz on the host with curl, check its sha256 in a first pass before writing, dd 4 MiB blocks with fsync, then read it back and compare sha256`);
    const script = f.commands[0]!;
    expect(script).toContain("curl -fsSL -k -o - https://example.org/r/pine.tar.gz");
    const check = script.indexOf("\npine_pass_check\n");
    const judged = script.indexOf(`\npine_judge check 11\n`);
    const write = script.indexOf("\npine_pass_write\n");
    expect(check).toBeGreaterThan(0);
    expect(judged).toBeGreaterThan(check);
    expect(write).toBeGreaterThan(judged);
    const staged = fakeHost([...quiet, ...tools, [headSha256(dev, raw.length), { size: 1 << 30, sha256: null }]], { respond: () => ({ stdout: ok(raw.length, sha(raw)) }) });
    await image.write(staged.host, { device: dev, source: { url: "http://h/a.img" }, sha256: sha(raw), size: raw.length, staging: "/run/pine ws" });
    expect(staged.commands[0]).toContain(`pine_stage=$(mktemp '/run/pine ws/pine-source.XXXXXX')`);
    expect(staged.commands[0]).toContain(`cat "$pine_stage"`);
  });

  it("refuses a device smaller than the image, and one whose partitions are mounted read-write", async () => {
    await expect(image.write(fakeHost([...quiet, [headSha256(dev, raw.length), { size: 4096, sha256: null }]]).host, { device: dev, source: { localFile: rawFile }, sha256: sha(raw) })).rejects.toThrow(
      `image.write ${dev}: the image is ${raw.length} bytes, but the device has only 4096; nothing was written`,
    );
    const busy: Primed = [[devices, [disk(), disk({ name: "vdb1", type: "part", parent: "vdb", mountpoint: "/" })]], [mounts, [{ device: "/dev/vdb1", mountpoint: "/", fstype: "ext4", options: ["rw", "relatime"] }]]];
    await expect(image.write(fakeHost(busy).host, { device: dev, source: { localFile: rawFile }, sha256: sha(raw) })).rejects.toThrow(/vdb1 on \/ mounted read-write; remount read-only/);
    const ro: Primed = [[devices, busy[0]![1] as BlockDevice[]], [mounts, [{ device: "/dev/vdb1", mountpoint: "/", fstype: "ext4", options: ["ro", "relatime"] }]], [headSha256(dev, raw.length), { size: 1 << 30, sha256: null }]];
    expect((await image.write(fakeHost(ro, { dry: true }).host, { device: dev, source: { localFile: rawFile }, sha256: sha(raw) })).status).toBe("planned");
  });

  it("turns the script's report into errors: nothing written below exit 20, the device UNDEFINED from 20 on", async () => {
    const answer = (stdout: string, exitCode: number) => fakeHost([...quiet, ...tools], { respond: () => ({ stdout, exitCode, stderr: "@@pine-phase check\nwget: server returned error: HTTP/1.1 404 Not Found\n" }) });
    const args = { device: dev, source: { url: "http://h/x.img" }, sha256: sha(raw) } as const;
    const before = answer(`@@pine-image pass=check source_rc=1 decode_rc=0 sink_rc=0 source_sha256=e3b0 image_sha256=e3b0 bytes=0 device_bytes=1073741824 reason=source source_err=wget: server returned error\n`, 11);
    const e1 = await image.write(before.host, args).catch((e: Error & { describe(): string }) => e.describe());
    expect(e1).toContain(`image.write ${dev}: reading the source failed (exit 1): wget: server returned error; nothing was written to ${dev}`);
    expect(e1).toContain("exit code: 11");
    expect(e1).toContain("stderr: wget: server returned error: HTTP/1.1 404 Not Found");
    const changed = answer(`@@pine-image pass=write source_rc=0 decode_rc=0 sink_rc=0 source_sha256=abcd image_sha256=abcd bytes=12 device_bytes=1073741824 reason=source-sha256\n`, 20);
    const e2 = await image.write(changed.host, args).catch((e: Error & { describe(): string }) => e.describe());
    expect(e2).toContain(`the source's sha256 is abcd, not the expected ${sha(raw)}`);
    expect(e2).toContain(`${dev} has been written over and its content is now UNDEFINED: it must not be booted`);
    expect(e2).toContain(`hint: write a good image onto ${dev} before anything reboots the host`);
    const lost = await image.write(answer("", null as unknown as number).host, args).catch((e: Error) => e.message);
    expect(lost).toMatch(/the write did not finish .* UNDEFINED/);
    // What the SSH connector really does when the host goes away mid-write: the exec rejects, no result at all.
    const gone = fakeHost([...quiet, ...tools], {
      respond: () => {
        throw new ConnectError("connection lost while running a command: Keepalive timeout", { host: "h1", step: "exec", hint: "the host went away" });
      },
    });
    const cut = (await image.write(gone.host, args).then(
      () => new Error("succeeded?!"),
      (e: unknown) => e,
    )) as PineError;
    expect(cut).toBeInstanceOf(ConnectError);
    expect(cut).toMatchObject({ step: "image.write", host: "h1" });
    expect(cut.message).toBe(`image.write ${dev}: connection lost while running a command: Keepalive timeout; the write did not finish. ${dev} may have been written over (pine lost the host before it heard how far the script got) and its content is now UNDEFINED: it must not be booted`);
    expect(cut.hint).toBe(`write a good image onto ${dev} before anything reboots the host; the host went away`);
    expect(parseReport("@@pine-image reason=decode decode_rc=2 decode_err=tar: Unexpected EOF in archive tar: x=y\n").get("decode_err")).toBe("tar: Unexpected EOF in archive tar:");
  });

  it("reports progress with rate and ETA from the script's markers", () => {
    const lines: string[] = [];
    let now = 0;
    const host = { progress: (m: string) => lines.push(m) } as unknown as Parameters<typeof image.write>[0];
    const p = new ImageProgress(host, dev, 100 * 1024 * 1024, () => now);
    p.onStderr(Buffer.from("@@pine-phase write\n@@pine-prog"));
    now = 2000;
    p.onStderr(Buffer.from("ress write 52428800\n"));
    now = 3000;
    p.onStderr(Buffer.from("@@pine-phase readback\n"));
    p.finish();
    expect(lines).toEqual([`image.write ${dev}: writing`, `image.write ${dev}: writing 50.0 MiB of 100.0 MiB (50%), 26.2 MB/s, ETA 2 s`, `image.write ${dev}: reading back`]);
    expect(p.seconds("write", "readback")).toBe(3);
  });
});
