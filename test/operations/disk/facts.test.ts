// The facts the disk operations read, on real bytes: block.filesystem (blkid and magic bytes) on images made here with
// mkfs.xfs / mkfs.ext2 / mkswap / sfdisk, block.partitions on both sfdisk generations' dumps, block.losetup.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { filesystem, readMagic, PROBE_BYTES } from "../../../facts/block/filesystem.js";
import { parseDump, partitions } from "../../../facts/block/partitions.js";
import { losetup } from "../../../facts/block/losetup.js";
import type { Fact } from "../../../src/facts/define.js";

const tools = ["mkfs.xfs", "mkfs.ext2", "mkswap", "sfdisk", "blkid"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);
const dir = mkdtempSync(join(tmpdir(), "pine-diskfacts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (cmd: string, env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
};
const runFact = <T>(fact: Fact<T>, env: NodeJS.ProcessEnv = process.env): T => {
  const r = spawnSync("/bin/sh", ["-c", fact.command], { encoding: "utf8", env });
  return fact.parse({ stdout: r.stdout, stderr: r.stderr, exitCode: r.status });
};
const head = (path: string): Buffer => {
  const fd = openSync(path, "r");
  const b = Buffer.alloc(PROBE_BYTES);
  const n = readSync(fd, b, 0, PROBE_BYTES, 0);
  closeSync(fd);
  return b.subarray(0, n);
};

describe.skipIf(!tools)("block.filesystem on images made here", () => {
  const xfs = join(dir, "var xfs.img");
  const log = join(dir, "var-log.img");
  const ext = join(dir, "boot.img");
  const swap = join(dir, "swap.img");
  const table = join(dir, "disk.img");
  const blank = join(dir, "blank.img");
  it("tells xfs with an external log, its log, ext2, swap, a dos table and nothing apart — by blkid and by magic bytes", () => {
    sh(`truncate -s 320M '${xfs}' && truncate -s 128M ${log} && mkfs.xfs -q -L var -l logdev=${log},size=128m '${xfs}'`);
    sh(`truncate -s 64M ${ext} && mkfs.ext2 -q -L boot ${ext}`);
    sh(`truncate -s 64M ${swap} && mkswap -L sw ${swap} >/dev/null 2>&1`);
    sh(`truncate -s 64M ${table} && printf 'label: dos\\nstart=2048, size=4096, type=83\\n' | sfdisk -q ${table}`);
    sh(`truncate -s 1M ${blank}`);
    const byBlkid = (p: string) => runFact(filesystem(p));
    expect(byBlkid(xfs)).toMatchObject({ type: "xfs", label: "var", xfsExternalLog: true, via: "blkid" });
    expect(byBlkid(log)).toMatchObject({ type: "xfs_external_log", via: "blkid" });
    expect(byBlkid(ext)).toMatchObject({ type: "ext2", label: "boot", xfsExternalLog: null });
    expect(byBlkid(swap)).toMatchObject({ type: "swap", label: "sw" });
    expect(byBlkid(table)).toMatchObject({ type: null, partitionTable: "dos" });
    expect(byBlkid(blank)).toEqual({ type: null, label: null, uuid: null, partitionTable: null, xfsExternalLog: null, unknownData: false, via: "blkid" });

    // A busybox host has no blkid: the same answers from the first 8 KiB.
    expect(readMagic(head(xfs))).toMatchObject({ type: "xfs", label: "var", xfsExternalLog: true, via: "magic" });
    expect(readMagic(head(log))).toMatchObject({ type: "xfs_external_log" });
    expect(readMagic(head(ext))).toMatchObject({ type: "ext2", label: "boot", uuid: byBlkid(ext).uuid });
    expect(readMagic(head(swap))).toMatchObject({ type: "swap", label: "sw", uuid: byBlkid(swap).uuid });
    expect(readMagic(head(table))).toMatchObject({ type: null, partitionTable: "dos" });
    expect(readMagic(head(blank))).toMatchObject({ type: null, unknownData: false });
    expect(readMagic(Buffer.alloc(8192, 7))).toMatchObject({ type: null, unknownData: true });
  });

  it("reads the magic bytes through the fact's own dd | od when blkid is missing", () => {
    // A PATH with dd and od but no blkid, as on a busybox host.
    const bin = join(dir, "bin");
    sh(`mkdir -p ${bin} && for t in dd od; do ln -sf "$(command -v $t)" ${bin}/$t; done`);
    const r = runFact(filesystem(ext), { PATH: bin });
    expect(r).toMatchObject({ type: "ext2", label: "boot", via: "magic" });
    expect(() => runFact(filesystem(join(dir, "nope")))).toThrow(/no such device/);
  });

  it("block.partitions reads sizes and the table; a blank disk has no label", () => {
    const t = runFact(partitions(table));
    expect(t).toMatchObject({ sizeBytes: 64 * 1024 * 1024, sectorSize: 512, label: "dos", partitions: [{ number: 1, start: 2048, size: 4096, type: "83", bootable: false }] });
    expect(t.sfdiskVersion).toMatch(/^2\.\d+/);
    expect(t.dump).toContain("label: dos");
    expect(runFact(partitions(blank))).toMatchObject({ label: null, partitions: [] });
  });
});

describe("block.partitions dumps", () => {
  it("parses util-linux ≥ 2.26 dumps (type=, bootable, GUID types)", () => {
    const dump = [
      "label: dos",
      "label-id: 0xb4e2e630",
      "device: /dev/loop1",
      "unit: sectors",
      "sector-size: 512",
      "",
      "/dev/loop1p1 : start=        2048, size=       81920, type=83, bootable",
      "/dev/loop1p4 : start=     1048576, size=     3145728, type=5",
      "/dev/loop1p5 : start=     1050624, size=      262144, type=83",
    ];
    expect(parseDump(dump)).toEqual({
      label: "dos",
      labelId: "0xb4e2e630",
      partitions: [
        { number: 1, node: "/dev/loop1p1", start: 2048, size: 81920, type: "83", bootable: true },
        { number: 4, node: "/dev/loop1p4", start: 1048576, size: 3145728, type: "5", bootable: false },
        { number: 5, node: "/dev/loop1p5", start: 1050624, size: 262144, type: "83", bootable: false },
      ],
    });
    const gpt = parseDump(["label: gpt", '/dev/sda1 : start=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=X, name="EFI"']);
    expect(gpt.partitions[0]!.type).toBe("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  });

  it("parses the old sfdisk of Debian 8 / Ubuntu 14 (Id=, empty slots)", () => {
    const dump = [
      "# partition table of /dev/vda",
      "unit: sectors",
      "",
      "/dev/vda1 : start=     2048, size= 19968000, Id=83, bootable",
      "/dev/vda2 : start= 19972094, size=  1001474, Id= 5",
      "/dev/vda3 : start=        0, size=        0, Id= 0",
      "/dev/vda4 : start=        0, size=        0, Id= 0",
      "/dev/vda5 : start= 19972096, size=  1001472, Id=82",
    ];
    expect(parseDump(dump)).toEqual({
      label: "dos",
      labelId: null,
      partitions: [
        { number: 1, node: "/dev/vda1", start: 2048, size: 19968000, type: "83", bootable: true },
        { number: 2, node: "/dev/vda2", start: 19972094, size: 1001474, type: "5", bootable: false },
        { number: 5, node: "/dev/vda5", start: 19972096, size: 1001472, type: "82", bootable: false },
      ],
    });
  });

  it("turns sfdisk failures into reasons", () => {
    const f = partitions("/dev/vdz");
    expect(() => f.parse({ stdout: "@@unavailable no such device or file\n", stderr: "", exitCode: 0 })).toThrow("/dev/vdz: no such device or file");
    expect(() => f.parse({ stdout: "@@size 1024\n@@ss 512\n@@version sfdisk from util-linux 2.38.1\n@@dump\n@@rc 1\n@@err\nsfdisk: cannot open /dev/vdz: Permission denied\n", stderr: "", exitCode: 0 })).toThrow(
      "sfdisk -d /dev/vdz failed (exit 1): sfdisk: cannot open /dev/vdz: Permission denied",
    );
  });
});

describe("block.losetup", () => {
  it("finds util-linux losetup by full path, or only a busybox-style one", () => {
    expect(losetup.parse({ stdout: "@@util /sbin/losetup\nlosetup from util-linux 2.38.1\n@@fallback losetup\n", stderr: "", exitCode: 0 })).toEqual({ utilLinux: "/sbin/losetup", version: "2.38.1", fallback: "losetup" });
    expect(losetup.parse({ stdout: "@@fallback busybox losetup\n", stderr: "", exitCode: 0 })).toEqual({ utilLinux: null, version: null, fallback: "busybox losetup" });
    if (existsSync("/sbin/losetup")) expect(runFact(losetup).utilLinux).toMatch(/losetup$/);
  });
});
