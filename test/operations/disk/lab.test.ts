// The disk operations for real, over SSH to a lab host, on loop devices of sparse files in a scratch dir (never this
// machine's disks): partition a 2 GiB "disk" like DESIGN step 7, reach partitions by loop offset (this kernel makes no
// loop partition nodes), XFS with external logs, refusals, tmpfs. Every loop and mount made here is removed by name.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as disk from "../../../operations/disk/index.js";
import type { OperationResult } from "../../../src/operations/define.js";
import { labSkipReason, useLab } from "../../support/lab.js";
import { labHost, type LabHost } from "../support/lab-host.js";

const labSkip = await labSkipReason();
const MiB = 1024 * 1024;

/** Run here (lab hosts share this machine's kernel and files); throws with stderr on failure. */
function local(cmd: string): string {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Detach, by name, every loop device over a file of ours; unmount our mounts. Never `losetup -D`. */
function cleanUp(dir: string): void {
  for (const line of local(`grep ' ${dir}' /proc/mounts | cut -d' ' -f2 || true`).split("\n").filter(Boolean).reverse()) spawnSync("umount", [line.replace(/\\040/g, " ")]);
  for (const line of local(`/sbin/losetup -a | grep -F '(${dir}/' | cut -d: -f1 || true`).split("\n").filter(Boolean)) spawnSync("/sbin/losetup", ["-d", line]);
}

const statuses = (...r: OperationResult[]) => r.map((x) => x.status);

describe.skipIf(labSkip !== undefined)("disk operations on a lab host", () => {
  const lab = useLab({ name: "dsk", hosts: 1 });
  let h: LabHost;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pine-disk-lab-"));
    h = labHost(lab.state, 0);
  });
  afterAll(async () => {
    await h?.connector.close();
    if (dir) {
      cleanUp(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("partitions a 2 GiB sparse disk like the hijack's step 7 (image p1-p3, then extended + /var + /share with logs), then refuses an overlap", async () => {
    const file = join(dir, "disk.img");
    local(`truncate -s 2G ${file}`);
    const whole = await disk.loop_attach(h.host, { file });
    expect(whole.status).toBe("changed");
    const dev = whole.loop!;
    expect(dev).toMatch(/^\/dev\/loop\d+$/);

    const image = [
      { number: 1, size: { mib: 40 }, type: "83", bootable: true },
      { number: 2, size: { mib: 24 }, type: "82" },
      { number: 3, size: { mib: 447 }, type: "83" },
    ];
    expect(statuses(await disk.partition(h.host, { device: dev, label: "dos", layout: image }), await disk.partition(h.host, { device: dev, label: "dos", layout: image }))).toEqual(["changed", "unchanged"]);
    const rest = [
      { number: 4, size: "rest" as const, type: "5" },
      { number: 5, size: { mib: 512 }, type: "83" },
      { number: 6, size: { mib: 128 }, type: "83" },
      { number: 7, size: { mib: 128 }, type: "83" },
      { number: 8, size: "rest" as const, type: "83" },
    ];
    const added = await disk.partition(h.host, { device: dev, label: "dos", layout: rest });
    expect(added.status).toBe("changed");
    expect((await disk.partition(h.host, { device: dev, label: "dos", layout: rest })).status).toBe("unchanged");

    // The kernel shows no loop partition nodes here: the table is read from the file itself.
    const table = local(`sfdisk -d ${file}`);
    const rows = table.split("\n").filter((l) => l.includes(" : start="));
    expect(rows.map((l) => l.replace(/^\S+/, "").replace(/\s+/g, " ").trim())).toEqual([
      ": start= 2048, size= 81920, type=83, bootable",
      ": start= 83968, size= 49152, type=82",
      ": start= 133120, size= 915456, type=83",
      ": start= 1048576, size= 3145728, type=5",
      ": start= 1050624, size= 1048576, type=83",
      ": start= 2101248, size= 262144, type=83",
      ": start= 2365440, size= 262144, type=83",
      ": start= 2629632, size= 1564672, type=83",
    ]);

    const before = local(`sfdisk -d ${file}`);
    const overlap = disk.partition(h.host, { device: dev, label: "dos", layout: [{ number: 9, start: { mib: 600 }, size: { mib: 64 }, type: "83" }] });
    await expect(overlap).rejects.toThrow(/refusing the layout for \/dev\/loop\d+: partition 9: sectors 1228800-1359871 .* overlaps existing partition 5: sectors 1050624-2099199/);
    await expect(disk.partition(h.host, { device: dev, label: "dos", layout: [{ number: 4, size: { mib: 64 }, type: "83" }] })).rejects.toThrow(/the layout wants partition 4: .* but the disk has partition 4: sectors 1048576-4194303/);
    await expect(disk.partition(h.host, { device: dev, label: "dos", layout: [{ number: 9, size: { mib: 4096 }, type: "83" }] })).rejects.toThrow(/does not fit: the extended partition 4 ends at sector 4194303/);
    expect(local(`sfdisk -d ${file}`)).toBe(before);

    expect((await disk.loop_detach(h.host, { device: dev })).status).toBe("changed");
    expect(local(`/sbin/losetup -j ${file}`)).toBe("");
  });

  it("XFS with external logs on loop devices by partition offset; refuses an existing filesystem unless forced; xfs_repair and mount agree", async () => {
    const file = join(dir, "disk.img");
    const part = (start: number, sectors: number) => ({ file, offset: start * 512, sizeLimit: sectors * 512 });
    const p5 = await disk.loop_attach(h.host, part(1050624, 1048576));
    const p6 = await disk.loop_attach(h.host, part(2101248, 262144));
    const [varDev, logDev] = [p5.loop!, p6.loop!];
    expect(local(`blockdev --getsize64 ${varDev}`).trim()).toBe(String(512 * MiB));
    expect((await disk.loop_attach(h.host, part(1050624, 1048576))).loop).toBe(varDev);

    const args = { device: varDev, fstype: "xfs" as const, label: "var", logDevice: logDev, logSizeMiB: 128 };
    const first = await disk.mkfs(h.host, args);
    expect(first.description).toBe(`make xfs "var" on ${varDev} with a 128 MiB external log on ${logDev}`);
    expect(statuses(first, await disk.mkfs(h.host, args))).toEqual(["changed", "unchanged"]);
    expect(local(`blkid -p -o export ${varDev}`)).toMatch(/LABEL=var[\s\S]*TYPE=xfs/);
    expect(local(`blkid -p -o export ${logDev}`)).toContain("TYPE=xfs_external_log");
    local(`xfs_repair -n -l ${logDev} ${varDev}`);
    const mnt = join(dir, "var");
    local(`mkdir -p ${mnt} && mount -o logdev=${logDev} ${varDev} ${mnt} && touch ${mnt}/ok && umount ${mnt}`);

    await expect(disk.mkfs(h.host, { device: varDev, fstype: "ext2", label: "boot" })).rejects.toThrow(`disk.mkfs: ${varDev} holds xfs "var" (external log); refusing to format ${varDev} as ext2 "boot" without force: true`);
    await expect(disk.mkfs(h.host, { device: varDev, fstype: "xfs", label: "other" })).rejects.toThrow(/holds xfs "var" \(external log\); refusing/);
    // A second filesystem must not take this log over.
    const p7 = await disk.loop_attach(h.host, part(2365440, 262144));
    const p8 = await disk.loop_attach(h.host, part(2629632, 1564672));
    await expect(disk.mkfs(h.host, { device: p8.loop!, fstype: "xfs", label: "share", logDevice: logDev })).rejects.toThrow(`${logDev} holds xfs_external_log; refusing`);
    expect(statuses(await disk.mkfs(h.host, { device: p8.loop!, fstype: "xfs", label: "share", logDevice: p7.loop!, logSizeMiB: 128 }))).toEqual(["changed"]);
    expect(local(`blkid -p -o export ${varDev}`)).toMatch(/LABEL=var/);

    const boot = await disk.loop_attach(h.host, part(2048, 81920));
    expect(statuses(await disk.mkfs(h.host, { device: boot.loop!, fstype: "ext2", label: "boot" }), await disk.mkfs(h.host, { device: boot.loop!, fstype: "ext2", label: "boot" }))).toEqual(["changed", "unchanged"]);
    const forced = await disk.mkfs(h.host, { device: boot.loop!, fstype: "swap", label: "swap", force: true });
    expect(forced.description).toBe(`make swap "swap" on ${boot.loop} (over what was there, forced: ${boot.loop} holds ext2 "boot")`);
    expect(local(`blkid -p -o export ${boot.loop}`)).toMatch(/LABEL=swap[\s\S]*TYPE=swap/);

    // Only pine's loops, and all of them: the five attached in this test (the p5 lookup reused one).
    expect(disk.attachedLoops(h.host).map((l) => l.loop).sort()).toEqual([varDev, logDev, p7.loop!, p8.loop!, boot.loop!].sort());
    const results = await disk.detachAttachedLoops(h.host);
    expect(results.map((r) => r.status)).toEqual(["changed", "changed", "changed", "changed", "changed"]);
    expect(local(`/sbin/losetup -j ${file}`)).toBe("");
  });

  it("refuses to detach a loop device pine did not attach", async () => {
    const other = join(dir, "someone-else.img");
    local(`truncate -s 8M ${other}`);
    const foreign = local(`/sbin/losetup --show -f ${other}`).trim();
    try {
      await expect(disk.loop_detach(h.host, { device: foreign })).rejects.toThrow(`${foreign} is attached to ${other}, but not by pine in this run`);
      expect(local(`/sbin/losetup -j ${other}`)).toContain(foreign);
    } finally {
      spawnSync("/sbin/losetup", ["-d", foreign]);
    }
  });

  it("a tmpfs workspace: mounted, unchanged, resized in place", async () => {
    // The lab host has a mount namespace of its own: its mounts are read and removed through it.
    const ws = join(dir, "work space");
    try {
      expect(statuses(await disk.tmpfs(h.host, { path: ws, sizeMiB: 8, mode: "0700" }), await disk.tmpfs(h.host, { path: ws, sizeMiB: 8, mode: "0700" }))).toEqual(["changed", "unchanged"]);
      expect(await h.sh("cat /proc/mounts")).toContain(`tmpfs ${ws.replace(/ /g, "\\040")} tmpfs rw,relatime,size=8192k,mode=700`);
      expect((await disk.tmpfs(h.host, { path: ws, sizeMiB: 16, mode: "0700" })).status).toBe("changed");
      expect(await h.sh("cat /proc/mounts")).toContain("size=16384k,mode=700");
    } finally {
      await h.sh(`umount '${ws}' 2>/dev/null; true`);
    }
  });
});
