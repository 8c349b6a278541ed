// block.devices: disks, partitions, loop, rom, device-mapper and md devices with size, parent, mountpoint and filesystem.
// Read with shell builtins only (`read`, `[`, `case`, globs, `cd -P`, `printf`) from /sys/class/block, /proc/self/mountinfo
// and /proc/swaps: running lsblk and cat cost ten times more host CPU than the whole walk. A program runs only when a
// device that is neither mounted nor swap may hold a filesystem: one grep over udev's database, or blkid without udev.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, section, sections, toInt, unescapeOctal, type Section } from "../output.js";

export interface BlockDevice {
  /** Name as lsblk shows it: the device-mapper name for dm devices ("vg0-root"), else the kernel name ("vda1"). */
  name: string;
  /** "disk", "part", "loop", "rom", "lvm", "crypt", "raid1", "dm", ... as lsblk names them. */
  type: string;
  sizeBytes: number;
  /** Kernel name of the parent device (the disk of a partition, the first slave of a dm or md device), null for whole disks. */
  parent: string | null;
  /** Where it is mounted (`/` when one of several places), "[SWAP]" for active swap, as lsblk shows it. */
  mountpoint: string | null;
  fstype: string | null;
}

/**
 * Sections:
 *   @@swaps      the device column of /proc/swaps;
 *   @@sysfs      `b KNAME MAJ:MIN SECTORS PARTNO PARENT SLAVE LOOP SCSITYPE MDLEVEL` per device ("-" for none),
 *                then `n KNAME DM-NAME` and `u KNAME DM-UUID` for device-mapper devices;
 *   @@mountinfo  /proc/self/mountinfo line by line (@@mounts: /proc/mounts, when mountinfo cannot be read);
 *   @@udev       `/run/udev/data/bMAJ:MIN:E:ID_FS_TYPE=x` (one grep) or @@blkid (blkid lines), only for devices that
 *                are not mounted, not swap, bigger than an extended partition (2 sectors) and hold no partitions.
 * Loop devices with nothing attached and RAM disks are skipped in the walk already (lsblk leaves them out).
 *
 * `read` takes one read(2) per byte, so the mount table is the expensive part (a host with many mounts has kilobytes
 * of it). The walk comes first and lists the devices that could be mounted (`ca`: bigger than 2 sectors, not swap, not
 * held by dm/md); mountinfo is read until `/` and every one of them has been seen, and no further: what follows can
 * only mount a seen device again, and `/` (which wins over other places) has been seen. A disk is resolved as soon as one
 * of its partitions is mounted or held: the kernel refuses to mount a whole disk while a partition is claimed.
 */
export const devicesCommand = [
  `sw=; ca=; pm=; pc=; mi=`,
  `unseen() { case $ca in *" $1 "*) ca="\${ca%%" $1 "*} \${ca#*" $1 "}";; esac; }`,
  `echo @@swaps`,
  `while read -r f rest; do case $f in /*) printf '%s\n' "$f"; sw="$sw \${f#/dev/} ";; esac; done < /proc/swaps 2>/dev/null`,
  `if [ -d /sys/class/block ]; then`,
  `  echo @@sysfs; cl=`,
  `  for d in /sys/class/block/*; do n=\${d##*/}`,
  `    case $n in ram[0-9]*) continue;; loop*p[0-9]*) ;; loop[0-9]*) [ -e "$d/loop/backing_file" ] || continue;; esac`,
  `    s=; v=; read -r s < "$d/size"; read -r v < "$d/dev"; [ -n "$s" ] && [ -n "$v" ] || continue`,
  `    pn=-; p=-; pv=; if [ -e "$d/partition" ]; then read -r pn < "$d/partition"; cd -P "$d" && { p=\${PWD%/*}; read -r pv < "$p/dev"; p=\${p##*/}; }; fi`,
  `    sl=-; for x in "$d"/slaves/*; do [ -e "$x" ] && sl=\${x##*/}; break; done`,
  `    lo=-; [ -e "$d/loop/backing_file" ] && lo=1`,
  `    t=-; [ -e "$d/device/type" ] && read -r t < "$d/device/type"`,
  `    ml=-; [ -e "$d/md/level" ] && read -r ml < "$d/md/level"`,
  `    printf 'b %s %s %s %s %s %s %s %s %s\n' "$n" "$v" "$s" "\${pn:--}" "\${p:--}" "$sl" "$lo" "\${t:--}" "\${ml:--}"`,
  `    if [ -d "$d/dm" ]; then dn=; u=; read -r dn < "$d/dm/name"; read -r u < "$d/dm/uuid"; printf 'n %s %s\nu %s %s\n' "$n" "$dn" "$n" "$u"; fi`,
  `    [ "$s" -gt 2 ] || continue`,
  `    case $sw in *" $n "*) cl="$cl $pv "; continue;; esac`,
  `    for x in "$d/$n"*/partition; do [ -e "$x" ] || { pc="$pc $n:$v"; }; break; done`,
  `    for x in "$d"/holders/*; do [ -e "$x" ] && { cl="$cl $pv "; continue 2; }; break; done`,
  `    ca="$ca $v "; [ -n "$pv" ] && pm="$pm $v=$pv "`,
  `  done`,
  `  for x in $cl; do unseen "$x"; done`,
  `fi 2>/dev/null`,
  `if [ -r /proc/self/mountinfo ]; then`,
  `  echo @@mountinfo; rt=`,
  `  while read -r a b mm r mp rest; do`,
  `    printf '%s %s %s %s %s %s\n' "$a" "$b" "$mm" "$r" "$mp" "$rest"; mi="$mi $mm "; [ "$mp" = / ] && rt=1`,
  `    case $ca in *" $mm "*) unseen "$mm"; case $pm in *" $mm="*) x=\${pm#*" $mm="}; unseen "\${x%% *}";; esac;; esac`,
  `    case $rt$ca in 1*:*) ;; 1*) break;; esac`,
  `  done < /proc/self/mountinfo`,
  `else`,
  `  echo @@mounts`,
  `  while read -r src rest; do printf '%s %s\n' "$src" "$rest"; mi="$mi \${src#/dev/} "; done < /proc/mounts`,
  `fi 2>/dev/null`,
  `pr=; for x in $pc; do case $mi in *" \${x#*:} "*|*" \${x%%:*} "*) ;; *) pr="$pr $x";; esac; done`,
  `if [ -n "$pr" ]; then`,
  `  f=`,
  `  if [ -d /run/udev/data ]; then`,
  `    for x in $pr; do f="$f /run/udev/data/b\${x#*:}"; done`,
  `    echo @@udev; grep -s '^E:ID_FS_TYPE=' /dev/null $f`,
  `  elif command -v blkid >/dev/null 2>&1; then`,
  `    for x in $pr; do f="$f /dev/\${x%%:*}"; done`,
  `    echo @@blkid; blkid $f`,
  `  fi`,
  `fi 2>/dev/null`,
  `:`,
].join("\n");

export const devices = defineFact<BlockDevice[]>({
  name: "block.devices",
  command: devicesCommand,
  parse(output) {
    requireSmall(output, "block.devices", 4 * 1024 * 1024);
    const all = sections(output.stdout);
    const sysfs = section(all, "sysfs");
    if (!sysfs) throw new FactUnavailable("no /sys/class/block on the host (sysfs not mounted?)");
    return fromSysfs(parseSysfs(sysfs.lines), all);
  },
});

export interface SysfsDevice {
  kname: string;
  /** "major:minor" as /sys/class/block/X/dev and mountinfo print it. */
  devno: string;
  sectors: number;
  partition: boolean;
  /** The disk a partition sits on (from the sysfs path), null for anything else. */
  parent: string | null;
  slave: string | null;
  loopAttached: boolean;
  /** SCSI peripheral type from device/type (5 = CD/DVD), null when the device has none. */
  scsiType: number | null;
  mdLevel: string | null;
  dmName: string | null;
  dmUuid: string | null;
}

export function parseSysfs(lines: readonly string[]): Map<string, SysfsDevice> {
  const map = new Map<string, SysfsDevice>();
  const opt = (v: string | undefined) => (v === undefined || v === "-" || v === "" ? null : v);
  for (const line of lines) {
    if (line.startsWith("b ")) {
      const [kname, devno, size, partno, parent, slave, loop, scsi, md] = line.slice(2).split(" ");
      const sectors = toInt(size);
      if (!kname || !devno || !/^\d+:\d+$/.test(devno) || sectors === null) continue;
      map.set(kname, {
        kname,
        devno,
        sectors,
        partition: opt(partno) !== null,
        parent: opt(parent),
        slave: opt(slave),
        loopAttached: loop === "1",
        scsiType: toInt(opt(scsi) ?? undefined),
        mdLevel: opt(md),
        dmName: null,
        dmUuid: null,
      });
    } else if (line.startsWith("n ") || line.startsWith("u ")) {
      const rest = line.slice(2);
      const i = rest.indexOf(" ");
      const d = map.get(i < 0 ? rest : rest.slice(0, i));
      if (!d) continue;
      const value = i < 0 ? "" : rest.slice(i + 1);
      if (line[0] === "n") d.dmName = value;
      else d.dmUuid = value;
    }
  }
  return map;
}

/** lsblk's TYPE: partition first, then dm (uuid prefix, lowercased), loop, md (level), SCSI type, else disk. */
function typeOf(d: SysfsDevice): string {
  if (d.partition) return "part";
  if (d.dmName !== null) {
    const prefix = d.dmUuid?.includes("-") ? d.dmUuid.slice(0, d.dmUuid.indexOf("-")).toLowerCase() : "";
    if (!prefix) return "dm";
    // kpartx names its partitions' uuids part1-..., part2-...
    return prefix.startsWith("part") ? "part" : prefix;
  }
  if (d.kname.startsWith("loop")) return "loop";
  if (d.kname.startsWith("md")) return (d.mdLevel ?? "md").toLowerCase();
  return (d.scsiType !== null ? SCSI_TYPES[d.scsiType] : undefined) ?? "disk";
}

/** util-linux's blkdev_scsi_type_to_name. */
const SCSI_TYPES: Record<number, string> = {
  0: "disk", 1: "tape", 2: "printer", 3: "processor", 4: "worm", 5: "rom", 6: "scanner", 7: "mo-disk",
  8: "changer", 9: "comm", 0xc: "raid", 0xd: "enclosure", 0xe: "rbc", 0x11: "osd", 0x7f: "no-lun",
};

export function fromSysfs(sys: Map<string, SysfsDevice>, all: Section[]): BlockDevice[] {
  const byDevno = new Map([...sys.values()].map((d) => [d.devno, d.kname]));
  const byDmName = new Map([...sys.values()].filter((d) => d.dmName).map((d) => [d.dmName!, d.kname]));
  /** Kernel name for a `/dev/...` path of the mount table, swaps or blkid; undefined when nothing matches (e.g. /dev/root). */
  const byPath = (path: string): string | undefined => {
    if (!path.startsWith("/dev/")) return undefined;
    const rest = path.slice(5);
    if (rest.startsWith("mapper/")) return byDmName.get(rest.slice(7));
    return sys.has(rest) ? rest : undefined;
  };

  // Where each device is mounted: by major:minor (exact, also for /dev/root and /dev/mapper links); by source name
  // when major:minor names no block device (btrfs shows an anonymous 0:N). `/` wins, else the first.
  const mounts = new Map<string, { mountpoint: string; fstype: string }>();
  const mounted = (kname: string | undefined, mountpoint: string, fstype: string) => {
    if (kname === undefined || !mountpoint || !fstype) return;
    if (!mounts.has(kname) || mountpoint === "/") mounts.set(kname, { mountpoint, fstype });
  };
  const mountinfo = section(all, "mountinfo");
  if (mountinfo) {
    for (const line of mountinfo.lines) {
      const f = line.split(" ");
      const dash = f.indexOf("-", 6);
      if (dash < 0 || f.length < dash + 3) continue;
      const [devno, mp] = [f[2]!, unescapeOctal(f[4]!)];
      const [fstype, source] = [f[dash + 1]!, unescapeOctal(f[dash + 2]!)];
      mounted(byDevno.get(devno) ?? byPath(source), mp, fstype);
    }
  } else {
    for (const line of section(all, "mounts")?.lines ?? []) {
      const [src, mp, fstype] = line.split(" ");
      if (src && mp && fstype) mounted(byPath(unescapeOctal(src)), unescapeOctal(mp), fstype);
    }
  }
  const swaps = new Set((section(all, "swaps")?.lines ?? []).map((l) => byPath(unescapeOctal(l))));

  const probed = new Map<string, string>();
  for (const line of section(all, "udev")?.lines ?? []) {
    const m = /^\/run\/udev\/data\/b(\d+:\d+):E:ID_FS_TYPE=(.+)$/.exec(line);
    const kname = m ? byDevno.get(m[1]!) : undefined;
    if (kname) probed.set(kname, m![2]!);
  }
  for (const line of section(all, "blkid")?.lines ?? []) {
    const m = /^(\/dev\/\S+?):.*\bTYPE="([^"]*)"/.exec(line);
    const kname = m ? byPath(m[1]!) : undefined;
    if (kname && m![2]) probed.set(kname, m![2]);
  }

  const out: BlockDevice[] = [];
  for (const d of sys.values()) {
    // lsblk leaves out RAM disks and loop devices with nothing attached; so does the walk, and so does this.
    if (/^ram\d+$/.test(d.kname)) continue;
    const type = typeOf(d);
    if (type === "loop" && !d.loopAttached) continue;
    const mount = mounts.get(d.kname);
    const swap = swaps.has(d.kname);
    out.push({
      name: d.dmName || d.kname,
      type,
      sizeBytes: d.sectors * 512,
      parent: d.parent ?? d.slave,
      mountpoint: mount?.mountpoint ?? (swap ? "[SWAP]" : null),
      fstype: mount?.fstype ?? probed.get(d.kname) ?? (swap ? "swap" : null),
    });
  }
  return out;
}
