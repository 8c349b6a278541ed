// Planning the disk.* operations from given facts: the exact commands, what is left alone, and what is refused.
import { describe, expect, it } from "vitest";
import * as disk from "../../../operations/disk/index.js";
import { attachCommand } from "../../../operations/disk/loop.js";
import { partitionScript } from "../../../operations/disk/partition.js";
import { loops, type LoopDevice } from "../../../facts/block/loops.js";
import { losetup, type LosetupTool } from "../../../facts/block/losetup.js";
import { partitions, type PartitionTable } from "../../../facts/block/partitions.js";
import { filesystem, type FilesystemProbe } from "../../../facts/block/filesystem.js";
import { mounts } from "../../../facts/server/mounts.js";
import { file } from "../../../facts/files/file.js";
import { fakeHost } from "../support/fake-host.js";
import { stat } from "../support/facts.js";

const utilLinux: LosetupTool = { utilLinux: "/sbin/losetup", version: "2.38.1", fallback: "losetup" };
const busyboxOnly: LosetupTool = { utilLinux: null, version: null, fallback: "losetup" };
const loop = (over: Partial<LoopDevice>): LoopDevice => ({ name: "loop3", device: "/dev/loop3", backingFile: "/srv/disk.img", offset: 0, sizeLimit: 0, autoclear: false, partscan: false, readOnly: false, ...over });
const img = "/srv/disk.img";

describe("disk.tmpfs", () => {
  it("mounts with the size as the kernel lists it; unchanged then; a remount when the size differs; refuses another fs there", async () => {
    const f = fakeHost([[mounts, []]]);
    expect((await disk.tmpfs(f.host, { path: "/dev/shm/pine", sizeMiB: 16, mode: "0700" })).description).toBe("mount a 16384k tmpfs at /dev/shm/pine (mode=700)");
    expect(f.commands).toEqual(["mkdir -p -- /dev/shm/pine && mount -t tmpfs -o size=16384k,mode=700 -- tmpfs /dev/shm/pine"]);
    const there = { device: "tmpfs", mountpoint: "/dev/shm/pine", fstype: "tmpfs", options: ["rw", "relatime", "size=16384k", "mode=700"] };
    expect((await disk.tmpfs(fakeHost([[mounts, [there]]]).host, { path: "/dev/shm/pine", sizeMiB: 16, mode: 0o700 })).status).toBe("unchanged");
    const g = fakeHost([[mounts, [there]]]);
    await disk.tmpfs(g.host, { path: "/dev/shm/pine", sizeMiB: 32 });
    expect(g.commands).toEqual(["mount -o remount,size=32768k -- /dev/shm/pine"]);
    await expect(disk.tmpfs(fakeHost([[mounts, [{ ...there, device: "/dev/vda1", fstype: "ext4" }]]]).host, { path: "/dev/shm/pine", sizeMiB: 16 })).rejects.toThrow(/has \/dev\/vda1 \(ext4\) mounted, not a tmpfs/);
    await expect(disk.tmpfs(fakeHost([]).host, { path: "/x", sizeMiB: 0 })).rejects.toThrow(/sizeMiB must be a whole number > 0/);
    expect(disk.sizeOption("1g")).toBe("size=1048576k");
  });
});

describe("disk.loop_attach / loop_detach", () => {
  it("attaches with util-linux losetup by full path and returns the device; the same slice again is unchanged", async () => {
    const f = fakeHost([[loops, []], [losetup, utilLinux], [file(img), stat(img)]], { respond: () => ({ stdout: `/dev/loop3\n${img}\n` }) });
    const r = await disk.loop_attach(f.host, { file: img, offset: 1048576, sizeLimit: 41943040, readOnly: true });
    expect(r).toMatchObject({ status: "changed", loop: "/dev/loop3", description: `attach a loop device over ${img} (offset 1048576, size 41943040, read-only)` });
    expect(f.commands[0]).toContain("pine_dev=$(/sbin/losetup --show -f -o 1048576 --sizelimit 41943040 -r -- /srv/disk.img)");
    expect(disk.attachedLoops(f.host)).toEqual([{ loop: "/dev/loop3", backing: img, offset: 1048576, sizeLimit: 41943040, partscan: false, readOnly: true }]);
    // The fact cache was invalidated by the attach; the host now shows the loop.
    f.host.invalidate("*");
    const { prime } = await import("../support/fake-host.js");
    prime(f.host, [[loops, [loop({ offset: 1048576, sizeLimit: 41943040, readOnly: true })]], [losetup, utilLinux], [file(img), stat(img)]]);
    const again = await disk.loop_attach(f.host, { file: img, offset: 1048576, sizeLimit: 41943040, readOnly: true });
    expect(again).toMatchObject({ status: "unchanged", loop: "/dev/loop3" });
    expect(f.commands).toHaveLength(1);
  });

  it("never reuses a loop someone else attached; --dry attaches nothing and returns no device", async () => {
    const f = fakeHost([[loops, [loop({})]], [losetup, utilLinux], [file(img), stat(img)]], { dry: true });
    const r = await disk.loop_attach(f.host, { file: img });
    expect(r).toMatchObject({ status: "planned", loop: null });
    expect(f.commands).toEqual([]);
  });

  it("falls back to busybox losetup (no --show: -f names a device, retried if taken), and refuses sizeLimit there", async () => {
    const script = attachCommand(busyboxOnly, { backing: "/dev/vda", kind: "device", offset: 512, sizeLimit: 0, partscan: true, readOnly: false });
    expect(script).toContain("[ -b /dev/vda ] ||");
    expect(script).toContain(`  if losetup -P -o 512 "$pine_dev" /dev/vda; then break; fi`);
    const f = fakeHost([[loops, []], [losetup, busyboxOnly], [file("/dev/vda"), stat("/dev/vda", { type: "other" })]]);
    await expect(disk.loop_attach(f.host, { device: "/dev/vda", sizeLimit: 4096 })).rejects.toThrow(/sizeLimit needs util-linux losetup/);
    await expect(disk.loop_attach(f.host, { file: "/dev/vda" })).rejects.toThrow(/is a other, not a regular file/);
    await expect(disk.loop_attach(f.host, { file: img, device: "/dev/vda" })).rejects.toThrow(/exactly one of file or device/);
  });

  it("detaches only loops pine attached in this run: foreign ones are refused, vanished ones are unchanged", async () => {
    const f = fakeHost([[loops, []], [losetup, utilLinux], [file(img), stat(img)]], { respond: () => ({ stdout: `/dev/loop3\n${img}\n` }) });
    await disk.loop_attach(f.host, { file: img });
    const { prime } = await import("../support/fake-host.js");
    prime(f.host, [[loops, [loop({}), loop({ name: "loop0", device: "/dev/loop0", backingFile: "/var/lib/snapd/x.snap" })]], [losetup, utilLinux]]);
    await expect(disk.loop_detach(f.host, { device: "/dev/loop0" })).rejects.toThrow("disk.loop_detach: /dev/loop0 is attached to /var/lib/snapd/x.snap, but not by pine in this run: pine detaches only the loop devices it attached");
    const r = await disk.loop_detach(f.host, { device: "/dev/loop3" });
    expect(r.description).toBe(`detach /dev/loop3 (${img})`);
    expect(f.commands.at(-1)).toBe("/sbin/losetup -d /dev/loop3");
    expect(disk.attachedLoops(f.host)).toEqual([]);
    prime(f.host, [[loops, []], [losetup, utilLinux]]);
    expect((await disk.loop_detach(f.host, { device: "/dev/loop3" })).status).toBe("unchanged");
    expect((await disk.loop_detach(f.host, { file: img })).status).toBe("unchanged");
    await expect(disk.loop_detach(f.host, { device: "/dev/sda" })).rejects.toThrow(/must be a loop device/);
  });

  it("refuses to detach a loop that was detached and reused by someone else since", async () => {
    const f = fakeHost([[loops, []], [losetup, utilLinux], [file(img), stat(img)]], { respond: () => ({ stdout: `/dev/loop3\n${img}\n` }) });
    await disk.loop_attach(f.host, { file: img });
    const { prime } = await import("../support/fake-host.js");
    prime(f.host, [[loops, [loop({ backingFile: "/other.img" })]], [losetup, utilLinux]]);
    await expect(disk.loop_detach(f.host, { file: img })).rejects.toThrow(/now backs \/other.img at offset 0, not \/srv\/disk.img at 0 as pine attached it/);
  });
});

const GiB = 1024 * 1024 * 1024;
const dump = ["label: dos", "label-id: 0x5eed", "device: /dev/loop3", "unit: sectors", "sector-size: 512", "", "/dev/loop3p1 : start=        2048, size=       81920, type=83, bootable"].join("\n");
const one: PartitionTable = {
  device: "/dev/loop3",
  sizeBytes: 2 * GiB,
  sectorSize: 512,
  label: "dos",
  labelId: "0x5eed",
  partitions: [{ number: 1, node: "/dev/loop3p1", start: 2048, size: 81920, type: "83", bootable: true }],
  sfdiskVersion: "2.38.1",
  dump,
};

describe("disk.partition", () => {
  it("adds the missing partitions with sfdisk -N after checking the table is the one planned from", async () => {
    const f = fakeHost([[partitions("/dev/loop3"), one]]);
    const r = await disk.partition(f.host, { device: "/dev/loop3", label: "dos", layout: [{ number: 1, size: { mib: 40 }, type: "83", bootable: true }, { number: 2, size: { mib: 24 }, type: "82" }] });
    expect(r.description).toBe("add to /dev/loop3: partition 2: sectors 83968-133119 (49152 sectors, 24 MiB), type 82");
    expect(f.commands).toEqual([partitionScript("/dev/loop3", one, [{ number: 2, start: 83968, size: 49152, type: "82", bootable: false }], false)]);
    expect(f.commands[0]).toBe(
      [
        "set -e",
        "pine_now=$(sfdisk -d /dev/loop3)",
        `if [ "$pine_now" != '${dump}' ]; then echo 'disk.partition: the partition table of /dev/loop3 changed since pine read it; refusing to write' >&2; exit 3; fi`,
        "printf '%s\\n' 'start=83968, size=49152, type=82' | sfdisk -q -N 2 /dev/loop3",
      ].join("\n"),
    );
  });

  it("writes a dos label first on a blank disk, with --no-reread for a disk in use; unchanged when laid out", async () => {
    const blank = { ...one, label: null, labelId: null, partitions: [], dump: "" };
    const script = partitionScript("/dev/vda", blank, [{ number: 1, start: 2048, size: 4096, type: "83", bootable: true }], true);
    expect(script).toContain("printf 'label: dos\\n' | sfdisk -q --no-reread /dev/vda");
    expect(script).toContain("printf '%s\\n' 'start=2048, size=4096, type=83, bootable' | sfdisk -q --no-reread -N 1 /dev/vda");
    const done = await disk.partition(fakeHost([[partitions("/dev/loop3"), one]]).host, { device: "/dev/loop3", label: "dos", layout: [{ number: 1, size: { mib: 40 }, type: "83" }] });
    expect(done).toMatchObject({ status: "unchanged", description: "/dev/loop3 has partitions 1 as laid out" });
  });

  it("refuses an overlapping layout, a gpt disk and an old sfdisk, naming the operation", async () => {
    const f = fakeHost([[partitions("/dev/loop3"), one]]);
    await expect(disk.partition(f.host, { device: "/dev/loop3", label: "dos", layout: [{ number: 2, start: { mib: 20 }, size: { mib: 8 }, type: "83" }] })).rejects.toThrow(
      /disk.partition: refusing the layout for \/dev\/loop3: partition 2: sectors 40960-57343 .* overlaps existing partition 1: sectors 2048-83967/,
    );
    await expect(disk.partition(fakeHost([[partitions("/dev/sda"), { ...one, device: "/dev/sda", label: "gpt" }]]).host, { device: "/dev/sda", label: "dos", layout: [{ number: 2, size: "rest", type: "83" }] })).rejects.toThrow(/holds a gpt partition table/);
    await expect(disk.partition(fakeHost([[partitions("/dev/loop3"), { ...one, sfdiskVersion: "2.25.2" }]]).host, { device: "/dev/loop3", label: "dos", layout: [{ number: 2, size: "rest", type: "83" }] })).rejects.toThrow(/sfdisk is 2.25.2; pine writes sfdisk ≥ 2.26 scripts/);
    expect(f.commands).toEqual([]);
  });
});

const probe = (over: Partial<FilesystemProbe>): FilesystemProbe => ({ type: null, label: null, uuid: null, partitionTable: null, xfsExternalLog: null, unknownData: false, via: "blkid", ...over });

describe("disk.mkfs", () => {
  it("makes xfs with an external log on a blank device; unchanged once there", async () => {
    const f = fakeHost([[filesystem("/dev/loop5"), probe({})], [filesystem("/dev/loop6"), probe({})], [mounts, []]]);
    const r = await disk.mkfs(f.host, { device: "/dev/loop5", fstype: "xfs", label: "var", logDevice: "/dev/loop6", logSizeMiB: 128 });
    expect(r.description).toBe('make xfs "var" on /dev/loop5 with a 128 MiB external log on /dev/loop6');
    expect(f.commands).toEqual(["mkfs.xfs -q -L var -l logdev=/dev/loop6,size=128m /dev/loop5"]);
    const done = fakeHost([[filesystem("/dev/loop5"), probe({ type: "xfs", label: "var", xfsExternalLog: true })], [filesystem("/dev/loop6"), probe({ type: "xfs_external_log" })], [mounts, []]]);
    expect((await disk.mkfs(done.host, { device: "/dev/loop5", fstype: "xfs", label: "var", logDevice: "/dev/loop6", logSizeMiB: 128 })).status).toBe("unchanged");
  });

  it("refuses a device (or log device) holding anything unless forced, and a mounted one always", async () => {
    const ext = [[filesystem("/dev/loop5"), probe({ type: "ext2", label: "boot" })], [mounts, []]] as const;
    await expect(disk.mkfs(fakeHost(ext).host, { device: "/dev/loop5", fstype: "xfs" })).rejects.toThrow('disk.mkfs: /dev/loop5 holds ext2 "boot"; refusing to format /dev/loop5 as xfs without force: true');
    await expect(disk.mkfs(fakeHost(ext).host, { device: "/dev/loop5", fstype: "ext2", label: "other" })).rejects.toThrow(/holds ext2 "boot"; refusing/);
    expect((await disk.mkfs(fakeHost(ext).host, { device: "/dev/loop5", fstype: "ext2" })).status).toBe("unchanged");
    const forced = fakeHost(ext);
    await disk.mkfs(forced.host, { device: "/dev/loop5", fstype: "xfs", force: true });
    expect(forced.commands).toEqual(["mkfs.xfs -q -f /dev/loop5"]);
    const table = [[filesystem("/dev/loop5"), probe({ partitionTable: "dos" })], [mounts, []]] as const;
    await expect(disk.mkfs(fakeHost(table).host, { device: "/dev/loop5", fstype: "swap" })).rejects.toThrow(/holds a dos partition table/);
    const log = [[filesystem("/dev/loop5"), probe({})], [filesystem("/dev/loop6"), probe({ type: "xfs_external_log" })], [mounts, []]] as const;
    await expect(disk.mkfs(fakeHost(log).host, { device: "/dev/loop5", fstype: "xfs", logDevice: "/dev/loop6" })).rejects.toThrow(/\/dev\/loop6 holds xfs_external_log; refusing/);
    const mounted = [[filesystem("/dev/loop5"), probe({ type: "ext2" })], [mounts, [{ device: "/dev/loop5", mountpoint: "/boot", fstype: "ext2", options: ["rw"] }]]] as const;
    await expect(disk.mkfs(fakeHost(mounted).host, { device: "/dev/loop5", fstype: "xfs", force: true })).rejects.toThrow("disk.mkfs: /dev/loop5 is mounted at /boot; refusing to format a mounted device");
  });

  it("builds ext2 and swap commands busybox understands, and checks labels and log options", async () => {
    const blank = [[filesystem("/dev/loop5"), probe({})], [mounts, []]] as const;
    const e = fakeHost(blank);
    await disk.mkfs(e.host, { device: "/dev/loop5", fstype: "ext2", label: "boot" });
    expect(e.commands).toEqual(["mkfs.ext2 -L boot /dev/loop5"]);
    const s = fakeHost(blank);
    await disk.mkfs(s.host, { device: "/dev/loop5", fstype: "swap", label: "swap" });
    expect(s.commands).toEqual(["mkswap -L swap /dev/loop5"]);
    await expect(disk.mkfs(fakeHost(blank).host, { device: "/dev/loop5", fstype: "xfs", label: "thirteen-char" })).rejects.toThrow(/a xfs label is 1-12 characters/);
    await expect(disk.mkfs(fakeHost(blank).host, { device: "/dev/loop5", fstype: "ext2", logDevice: "/dev/loop6" })).rejects.toThrow(/for xfs only/);
    await expect(disk.mkfs(fakeHost(blank).host, { device: "/dev/loop5", fstype: "btrfs" as "xfs" })).rejects.toThrow(/fstype must be one of/);
  });
});
