// block.devices: disks, partitions, loop and rom devices with size, parent, mountpoint and filesystem.
// Prefers `lsblk -P -b` (util-linux >= 2.19); util-linux without PKNAME gets parents from /sys;
// hosts without lsblk (busybox) get the whole list from /sys/class/block, /proc/mounts and blkid.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, section, sections, toInt, unescapeHex, unescapeOctal } from "../output.js";

export interface BlockDevice {
  /** Name as lsblk shows it ("vda1", "vg0-root"); the kernel name (KNAME) on hosts without lsblk. */
  name: string;
  /** "disk", "part", "loop", "rom", "lvm", "crypt", "raid1", "dm", ... as lsblk names them. */
  type: string;
  sizeBytes: number;
  /** Kernel name of the parent device (the disk of a partition), null for whole disks. */
  parent: string | null;
  mountpoint: string | null;
  fstype: string | null;
}

const COLUMNS = "NAME,KNAME,TYPE,SIZE,MOUNTPOINT,FSTYPE";

/** kname, size in 512-byte sectors, partition number, loop backing, dm uuid and slaves of every block device. */
const SYSFS = [
  `echo @@sysfs`,
  `for d in /sys/class/block/*; do [ -e "$d/size" ] || continue; n=\${d##*/}`,
  `  r=$(readlink -f "$d" 2>/dev/null); p=; [ -e "$d/partition" ] && { p=\${r%/*}; p=\${p##*/}; }`,
  `  s=; for x in "$d"/slaves/*; do [ -e "$x" ] && { s=\${x##*/}; break; }; done`,
  `  u=; [ -r "$d/dm/uuid" ] && u=$(cat "$d/dm/uuid"); dn=; [ -r "$d/dm/name" ] && dn=$(cat "$d/dm/name")`,
  `  b=; [ -r "$d/loop/backing_file" ] && b=1; rm=$(cat "$d/removable" 2>/dev/null)`,
  `  printf 'dev name=%s size=%s parent=%s slave=%s dmuuid=%s dmname=%s loop=%s removable=%s\\n' "$n" "$(cat "$d/size")" "$p" "$s" "$u" "$dn" "$b" "$rm"`,
  `done`,
].join("\n");

export const devicesCommand = [
  `if command -v lsblk >/dev/null 2>&1 && pine_out=$(lsblk -P -b -o ${COLUMNS},PKNAME 2>/dev/null); then`,
  `  echo @@lsblk; printf '%s\\n' "$pine_out"`,
  `elif command -v lsblk >/dev/null 2>&1 && pine_out=$(lsblk -P -b -o ${COLUMNS} 2>/dev/null); then`,
  `  echo @@lsblk; printf '%s\\n' "$pine_out"`,
  SYSFS,
  `else`,
  SYSFS,
  `  if command -v blkid >/dev/null 2>&1; then echo @@blkid; blkid 2>/dev/null; fi`,
  `fi`,
  `echo @@mounts; cat /proc/mounts 2>/dev/null`,
].join("\n");

export const devices = defineFact<BlockDevice[]>({
  name: "block.devices",
  command: devicesCommand,
  parse(output) {
    requireSmall(output, "block.devices", 4 * 1024 * 1024);
    const all = sections(output.stdout);
    const sys = parseSysfs(section(all, "sysfs")?.lines ?? []);
    const lsblk = section(all, "lsblk");
    const mounts = section(all, "mounts")?.lines ?? [];
    if (lsblk) return withMountedFstype(parseLsblk(lsblk.lines, sys), mounts);
    if (section(all, "sysfs")) return fromSysfs(sys, mounts, section(all, "blkid")?.lines ?? []);
    throw new FactUnavailable("neither lsblk nor /sys/class/block answered");
  },
});

export interface SysfsDevice {
  kname: string;
  sectors: number;
  parent: string | null;
  slave: string | null;
  dmUuid: string | null;
  dmName: string | null;
  loopAttached: boolean;
  removable: boolean;
}

export function parseSysfs(lines: readonly string[]): Map<string, SysfsDevice> {
  const map = new Map<string, SysfsDevice>();
  for (const line of lines) {
    if (!line.startsWith("dev ")) continue;
    const f = new Map<string, string>();
    for (const m of line.slice(4).matchAll(/(\w+)=(\S*)/g)) f.set(m[1]!, m[2]!);
    const kname = f.get("name");
    const sectors = toInt(f.get("size"));
    if (!kname || sectors === null) continue;
    map.set(kname, {
      kname,
      sectors,
      parent: f.get("parent") || null,
      slave: f.get("slave") || null,
      dmUuid: f.get("dmuuid") || null,
      dmName: f.get("dmname") || null,
      loopAttached: f.get("loop") === "1",
      removable: f.get("removable") === "1",
    });
  }
  return map;
}

/** `NAME="vda1" KNAME="vda1" TYPE="part" SIZE="1073741824" MOUNTPOINT="/" FSTYPE="ext4" PKNAME="vda"` */
export function parseLsblk(lines: readonly string[], sys: Map<string, SysfsDevice>): BlockDevice[] {
  const out: BlockDevice[] = [];
  for (const line of lines) {
    const f = new Map<string, string>();
    for (const m of line.matchAll(/([A-Z:-]+)="((?:[^"\\]|\\.)*)"/g)) f.set(m[1]!, unescapeHex(m[2]!));
    const name = f.get("NAME");
    const size = toInt(f.get("SIZE"));
    if (!name || size === null) continue;
    const kname = f.get("KNAME") || name;
    let parent: string | null;
    if (f.has("PKNAME")) parent = f.get("PKNAME") || null;
    else {
      const s = sys.get(kname);
      parent = s ? (s.parent ?? s.slave) : null;
    }
    out.push({
      name,
      type: f.get("TYPE") || "unknown",
      sizeBytes: size,
      parent,
      mountpoint: f.get("MOUNTPOINT") || null,
      fstype: f.get("FSTYPE") || null,
    });
  }
  return out;
}

/**
 * lsblk reads FSTYPE from udev or by probing, which fails without udev or read access; the kernel's mount table still
 * knows mounted ones. lsblk before 2.37 shows one MOUNTPOINT per device, and not necessarily `/` when the root
 * device is mounted twice (a systemd-nspawn container sees its disk at / and at /run/host/incoming): `/` wins.
 */
function withMountedFstype(list: BlockDevice[], mounts: readonly string[]): BlockDevice[] {
  const byMountpoint = new Map<string, string>();
  const rootSources = new Set<string>();
  for (const line of mounts) {
    const [src, mp, fstype] = line.split(" ");
    if (!src?.startsWith("/dev/") || !mp || !fstype) continue;
    const mountpoint = unescapeOctal(mp);
    if (!byMountpoint.has(mountpoint)) byMountpoint.set(mountpoint, fstype);
    if (mountpoint === "/") rootSources.add(unescapeOctal(src));
  }
  return list.map((d) => {
    const atRoot = d.mountpoint !== "/" && (rootSources.has(`/dev/${d.name}`) || rootSources.has(`/dev/mapper/${d.name}`));
    const mountpoint = atRoot ? "/" : d.mountpoint;
    const fstype = d.fstype === null && mountpoint !== null && byMountpoint.has(mountpoint) ? byMountpoint.get(mountpoint)! : d.fstype;
    return mountpoint === d.mountpoint && fstype === d.fstype ? d : { ...d, mountpoint, fstype };
  });
}

export function fromSysfs(sys: Map<string, SysfsDevice>, mounts: readonly string[], blkid: readonly string[]): BlockDevice[] {
  const mountOf = new Map<string, { mountpoint: string; fstype: string }>();
  const dmByName = new Map([...sys.values()].filter((d) => d.dmName).map((d) => [d.dmName!, d.kname]));
  for (const line of mounts) {
    const [src, mp, fstype] = line.split(" ");
    if (!src || !mp || !fstype || !src.startsWith("/dev/")) continue;
    let kname = unescapeOctal(src).slice(5);
    if (kname.startsWith("mapper/")) kname = dmByName.get(kname.slice(7)) ?? kname;
    if (!mountOf.has(kname)) mountOf.set(kname, { mountpoint: unescapeOctal(mp), fstype });
  }
  const typeOf = new Map<string, string>();
  for (const line of blkid) {
    const m = /^\/dev\/(\S+?):.*\bTYPE="([^"]*)"/.exec(line);
    if (m) typeOf.set(m[1]!.startsWith("mapper/") ? (dmByName.get(m[1]!.slice(7)) ?? m[1]!) : m[1]!, m[2]!);
  }
  const out: BlockDevice[] = [];
  for (const d of sys.values()) {
    // lsblk leaves out RAM disks and loop devices with nothing attached; do the same.
    if (/^ram\d+$/.test(d.kname)) continue;
    if (/^loop\d+$/.test(d.kname) && !d.loopAttached) continue;
    const mount = mountOf.get(d.kname);
    out.push({
      name: d.kname,
      type: sysfsType(d),
      sizeBytes: d.sectors * 512,
      parent: d.parent ?? d.slave,
      mountpoint: mount?.mountpoint ?? null,
      fstype: mount?.fstype ?? typeOf.get(d.kname) ?? null,
    });
  }
  return out;
}

function sysfsType(d: SysfsDevice): string {
  if (d.parent) return "part";
  if (/^loop\d+$/.test(d.kname)) return "loop";
  if (/^sr\d+$/.test(d.kname)) return "rom";
  if (d.dmUuid?.startsWith("LVM-")) return "lvm";
  if (d.dmUuid?.startsWith("CRYPT-")) return "crypt";
  if (/^dm-\d+$/.test(d.kname)) return "dm";
  if (/^md\d+$/.test(d.kname)) return "raid";
  return "disk";
}
