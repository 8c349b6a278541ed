// block.rootDisk: the whole disk under `/` (through partitions and device-mapper), its size and how its partitions are named.
// Found by the root mount's major:minor in /proc/self/mountinfo, so `/dev/root` and renamed devices resolve too.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines, toInt } from "../output.js";

export interface Partition {
  name: string;
  number: number;
  sizeBytes: number;
}

export interface RootDisk {
  /** Kernel name of the whole disk: "vda", "sda", "xvda", "nvme0n1", "mmcblk0". */
  disk: string;
  device: string;
  sizeBytes: number;
  /** Kernel name of the device `/` is mounted from: a partition ("vda1"), the disk itself, or "dm-0" for LVM. */
  rootDevice: string;
  /** Partition number of the partition under `/` (through LVM), null when `/` is on the whole disk. */
  rootPartition: number | null;
  /** Device-mapper (LVM, crypt) sits between `/` and the disk. */
  deviceMapper: boolean;
  fstype: string;
  /** Partition N of this disk is `${partitionPrefix}${N}`: "/dev/vda" or "/dev/nvme0n1p". */
  partitionPrefix: string;
  partitions: Partition[];
}

/** Kernels add "p" between a disk name ending in a digit and the partition number (nvme0n1p1, mmcblk0p1, loop0p1). */
export function partitionName(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}

export const rootDiskCommand = [
  `pine_mm=`,
  `while read -r pine_a pine_b pine_m pine_r pine_mp pine_rest; do`,
  `  [ "$pine_mp" = / ] && { pine_mm=$pine_m; printf 'mount=%s %s\\n' "$pine_m" "\${pine_rest#* - }"; }`,
  `done < /proc/self/mountinfo`,
  `pine_d=/sys/dev/block/$pine_mm`,
  `if [ -n "$pine_mm" ] && [ -e "$pine_d" ]; then`,
  `  pine_r=$(readlink -f "$pine_d"); pine_n=\${pine_r##*/}; echo "dev=$pine_n"`,
  `  pine_disk() { if [ -e "/sys/class/block/$1/partition" ]; then pine_p=$(readlink -f "/sys/class/block/$1"); pine_p=\${pine_p%/*}; echo "$1 $(cat "/sys/class/block/$1/partition") \${pine_p##*/}"; else echo "$1 - $1"; fi; }`,
  `  if [ -d "$pine_r/dm" ]; then for pine_s in "$pine_r"/slaves/*; do [ -e "$pine_s" ] && echo "slave=$(pine_disk "\${pine_s##*/}")"; done`,
  `  else echo "self=$(pine_disk "$pine_n")"; fi`,
  `  for pine_b in /sys/class/block/*; do pine_n=\${pine_b##*/}; printf 'size=%s %s %s\\n' "$pine_n" "$(cat "$pine_b/size" 2>/dev/null)" "$(cat "$pine_b/partition" 2>/dev/null)"; done`,
  `fi`,
].join("\n");

export const rootDisk = defineFact<RootDisk>({
  name: "block.rootDisk",
  command: rootDiskCommand,
  parse(output) {
    requireSmall(output, "block.rootDisk", 1024 * 1024);
    const lines = splitLines(output.stdout);
    const mounts = lines.filter((l) => l.startsWith("mount="));
    const mount = mounts[mounts.length - 1];
    if (!mount) throw new FactUnavailable("no / in /proc/self/mountinfo");
    const [, fstype = "", source = ""] = mount.slice(6).split(" ");
    if (fstype === "simfs") throw new FactUnavailable(`/ is on simfs (${source}): an OpenVZ container has no disk of its own`);
    if (/^\/dev\/ploop/.test(source)) throw new FactUnavailable(`/ is on an OpenVZ ploop device (${source}): a container image, not a disk pine can write`);
    const dev = lines.find((l) => l.startsWith("dev="))?.slice(4);
    if (!dev) throw new FactUnavailable(`/ is on ${fstype} (${source}), which is not a block device (a container, or a network/overlay root)`);

    const chain = lines.filter((l) => l.startsWith("slave=") || l.startsWith("self=")).map((l) => l.slice(l.indexOf("=") + 1).split(" "));
    const disks = new Set(chain.map((c) => c[2]));
    if (chain.length === 0) throw new FactUnavailable(`/ is on ${dev}, a device-mapper device without underlying devices`);
    if (disks.size > 1) throw new FactUnavailable(`/ spans several disks (${[...disks].join(", ")})`);
    const [, partText, disk] = chain[0]! as [string, string, string];

    const sizes = new Map<string, { sectors: number; partition: number | null }>();
    for (const l of lines.filter((x) => x.startsWith("size="))) {
      const [name, sectors, part] = l.slice(5).split(" ");
      const n = toInt(sectors);
      if (name && n !== null) sizes.set(name, { sectors: n, partition: toInt(part) });
    }
    const diskSize = sizes.get(disk);
    if (!diskSize) throw new FactUnavailable(`no size for disk ${disk} in /sys/class/block`);
    const partitions: Partition[] = [];
    for (const [name, s] of sizes) {
      if (s.partition !== null && name === partitionName(disk, s.partition)) partitions.push({ name, number: s.partition, sizeBytes: s.sectors * 512 });
    }
    partitions.sort((a, b) => a.number - b.number);
    return {
      disk,
      device: `/dev/${disk}`,
      sizeBytes: diskSize.sectors * 512,
      rootDevice: dev,
      rootPartition: partText === "-" ? null : toInt(partText),
      deviceMapper: lines.some((l) => l.startsWith("slave=")),
      fstype,
      partitionPrefix: `/dev/${partitionName(disk, 0).slice(0, -1)}`,
      partitions,
    };
  },
});
