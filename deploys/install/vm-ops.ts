// The operations of the VM path of the hijack install. Everything that runs after the image is written uses only
// what lives on the install's tmpfs workspace: the busybox farm (on PATH) and a snapshot of the host's own
// util-linux/xfsprogs tools with their shared libraries, run through the snapshot's dynamic loader — the old root
// disk they came from is gone by then. None of these operations reads a fact after the write (a fact runs the
// host's tools from the old disk).
import { defineOperation } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { withPath } from "../../operations/busybox/linkfarm.js";
import type { DiskLayout } from "./partitions.js";

/** The host tools needed after the write (and chattr for the deployment's immutable top directory). */
export const SNAPSHOT_TOOLS = ["sfdisk", "losetup", "mkfs.xfs", "xfs_repair", "chattr"] as const;

/** The image's p3 (the OSTree sysroot), as pine's image lays it out: 65 MiB in, 447 MiB long. */
export const IMAGE_ROOT = { number: 3, startSector: 133120, sectors: 915456 } as const;

export interface Workspace {
  /** The tmpfs directory. */
  dir: string;
  /** The busybox farm's bin directory. */
  farm: string;
}

export const snapDir = (w: Workspace) => `${w.dir}/snap`;
export const imageRootMount = (w: Workspace) => `${w.dir}/p3`;
const loopFile = (w: Workspace) => `${w.dir}/loops`;

/** Shell prelude: `x TOOL ARGS` runs a snapshot tool through the snapshot's loader; `pine_loop`/`pine_detach` keep a record of pine's loops. */
export function prelude(w: Workspace): string {
  const s = snapDir(w);
  return [
    "set -e",
    `pine_s=${quote(s)}`,
    `x() { pine_t=$1; shift; "$pine_s/lib/ld-linux.so" --library-path "$pine_s/lib" "$pine_s/bin/$pine_t" "$@"; }`,
    // attach a loop device over DEVICE at OFFSET (bytes) of SIZE (bytes), record it, print it
    `pine_loop() { pine_l=$(x losetup --show -f -o "$2" --sizelimit "$3" -- "$1"); case "$pine_l" in /dev/loop*) ;; *) echo "losetup printed no loop device: $pine_l" >&2; return 1;; esac; echo "$pine_l" >> ${quote(loopFile(w))}; echo "$pine_l"; }`,
    // detach exactly the loops pine recorded (never losetup -D)
    `pine_detach() { [ -f ${quote(loopFile(w))} ] || return 0; for pine_l in $(cat ${quote(loopFile(w))}); do x losetup -d "$pine_l" 2>/dev/null || true; done; rm -f ${quote(loopFile(w))}; }`,
  ].join("\n");
}

function farmScript(w: Workspace, lines: string[]): string {
  return withPath(w.farm, [prelude(w), ...lines].join("\n"));
}

/** Copy the tools (and their libraries by ldd, and the loader) into the workspace, check they run from there. */
export const snapshotTools = defineOperation<{ workspace: Workspace }>({
  name: "install.snapshot_tools",
  describe: (a) => `${SNAPSHOT_TOOLS.join(", ")} with their libraries and loader in ${snapDir(a.workspace)}`,
  async plan(_host, a) {
    const s = snapDir(a.workspace);
    // The host's own PATH only: the farm's busybox losetup would shadow util-linux's.
    const script = [
      "set -e",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      `S=${quote(s)}`,
      `rm -rf "$S"; mkdir -p "$S/bin" "$S/lib"`,
      `pine_loader=`,
      `for t in ${SNAPSHOT_TOOLS.join(" ")}; do`,
      `  p=$(command -v "$t") || { echo "the host has no $t: install needs it after the old disk is overwritten" >&2; exit 1; }`,
      `  cp -L "$p" "$S/bin/$t"`,
      `  for l in $(ldd "$p" | sed -n -e 's/.*=> \\(\\/[^ ]*\\) .*/\\1/p' -e 's/^[[:space:]]*\\(\\/[^ ]*\\) (.*/\\1/p'); do`,
      `    case "$l" in */ld-linux*) pine_loader=$l;; esac`,
      `    cp -L "$l" "$S/lib/"`,
      `  done`,
      `done`,
      `[ -n "$pine_loader" ] || { echo "no dynamic loader in ldd's output" >&2; exit 1; }`,
      `cp -L "$pine_loader" "$S/lib/ld-linux.so"`,
      // every tool must run from the snapshot alone
      `for t in sfdisk losetup mkfs.xfs xfs_repair; do "$S/lib/ld-linux.so" --library-path "$S/lib" "$S/bin/$t" -V >/dev/null 2>&1 || "$S/lib/ld-linux.so" --library-path "$S/lib" "$S/bin/$t" --version >/dev/null || { echo "$t does not run from the snapshot" >&2; exit 1; }; done`,
      `pine_v=$("$S/lib/ld-linux.so" --library-path "$S/lib" "$S/bin/sfdisk" --version | sed -n 's/.* \\([0-9][0-9]*\\)\\.\\([0-9][0-9]*\\).*/\\1 \\2/p')`,
      `set -- $pine_v; if [ "\${1:-0}" -lt 2 ] || { [ "$1" -eq 2 ] && [ "\${2:-0}" -lt 26 ]; }; then echo "sfdisk $1.$2 is older than 2.26 (no --append/--no-reread scripts)" >&2; exit 1; fi`,
      `du -sk "$S" | cut -f1 | sed 's/$/ KiB snapshot/'`,
    ].join("\n");
    return { description: `copy ${SNAPSHOT_TOOLS.join(", ")}, their shared libraries (ldd) and the dynamic loader into ${s}; check they run from there`, steps: [{ command: script, display: `snapshot ${SNAPSHOT_TOOLS.join(" ")} + ldd libraries + loader → ${s}` }] };
  },
});

export const loadModules = defineOperation<Record<string, never>>({
  name: "install.modules",
  describe: () => "loop and xfs loaded in the kernel",
  async plan() {
    return {
      description: "modprobe loop and xfs (the old disk's modules are unreadable after the write)",
      steps: [{ command: `for m in loop xfs; do modprobe "$m" 2>/dev/null || [ -d "/sys/module/$m" ] || grep -qw "$m" /proc/filesystems || { echo "cannot load the $m kernel module" >&2; exit 1; }; done; grep -qw xfs /proc/filesystems || { echo "xfs is not in /proc/filesystems after modprobe" >&2; exit 1; }` }],
    };
  },
});

/** sync; remount every disk filesystem read-only (sysrq u); mark the old root partition read-only. */
export const quiesce = defineOperation<{ workspace: Workspace; rootPartition: string | null }>({
  name: "install.quiesce",
  describe: (a) => `/ read-only${a.rootPartition ? `, ${a.rootPartition} marked read-only` : ""}`,
  async plan(_host, a) {
    const lines = [
      "set -e",
      "sync",
      "echo 1 > /proc/sys/kernel/sysrq",
      "echo u > /proc/sysrq-trigger",
      // the emergency remount is asynchronous: wait until / shows ro
      `pine_i=0; while ! awk '$2 == "/" { split($4, o, ","); if (o[1] == "ro") found = 1 } END { exit !found }' /proc/mounts; do pine_i=$((pine_i + 1)); [ "$pine_i" -lt 30 ] || { echo "/ is still not read-only 15 s after sysrq u" >&2; exit 1; }; sleep 0.5; done`,
      ...(a.rootPartition ? [`blockdev --setro ${quote(a.rootPartition)}`, `[ "$(blockdev --getro ${quote(a.rootPartition)})" = 1 ] || { echo "${a.rootPartition} is not read-only after blockdev --setro" >&2; exit 1; }`] : []),
      "sync",
    ];
    return {
      description: `sync; enable sysrq and remount all disk filesystems read-only (echo u > /proc/sysrq-trigger)${a.rootPartition ? `; blockdev --setro ${a.rootPartition}` : ""}`,
      steps: [{ command: withPath(a.workspace.farm, lines.join("\n")), display: `sync; echo u > /proc/sysrq-trigger; blockdev --setro ${a.rootPartition ?? "-"}` }],
    };
  },
});

/** Undo the quiesce when nothing was written: the host goes on as it was. */
export function unquiesceCommand(w: Workspace, rootPartition: string | null): string {
  return withPath(w.farm, [...(rootPartition ? [`blockdev --setrw ${quote(rootPartition)} || true`] : []), "mount -o remount,rw / || true"].join("\n"));
}

/** Read the written image's partition table with the snapshot sfdisk, check p3 is where the image puts it, attach and mount it. */
export const mountImageRoot = defineOperation<{ workspace: Workspace; disk: string }>({
  name: "install.mount_image_root",
  describe: (a) => `the image's p3 mounted at ${imageRootMount(a.workspace)}`,
  async plan(_host, a) {
    const mnt = imageRootMount(a.workspace);
    const start = IMAGE_ROOT.startSector;
    const size = IMAGE_ROOT.sectors;
    const lines = [
      `pine_p3=$(x sfdisk -d ${quote(a.disk)} | grep -E '^[^ ]*[^0-9]3 :' || true)`,
      `echo "p3 on the written disk: $pine_p3"`,
      `echo "$pine_p3" | grep -Eq 'start= *${start},' || { echo "the written disk's p3 does not start at sector ${start} as pine's image does: $pine_p3" >&2; exit 1; }`,
      `echo "$pine_p3" | grep -Eq 'size= *${size},' || { echo "the written disk's p3 is not ${size} sectors as in pine's image: $pine_p3" >&2; exit 1; }`,
      `mkdir -p ${quote(mnt)}`,
      `pine_d=$(pine_loop ${quote(a.disk)} ${start * 512} ${size * 512})`,
      `mount -t xfs -o nouuid "$pine_d" ${quote(mnt)}`,
      `ls -d ${quote(mnt)}/ostree/deploy/*/deploy/*.0 >/dev/null 2>&1 || { umount ${quote(mnt)}; pine_detach; echo "p3 holds no OSTree deployment" >&2; exit 1; }`,
    ];
    return {
      description: `check p3 in the written partition table (snapshot sfdisk -d ${a.disk}: start ${start}, ${size} sectors), attach a loop device over it by offset, mount it (xfs, nouuid) at ${mnt}`,
      steps: [{ command: farmScript(a.workspace, lines), display: `sfdisk -d ${a.disk}; losetup -o ${start * 512} --sizelimit ${size * 512} ${a.disk}; mount -o nouuid → ${mnt}` }],
    };
  },
});

export interface DataMounts {
  /** fstab device of /var, its log, /share and its log on the NEW system ("/dev/vda5"...). */
  varDev: string;
  varLog: string;
  shareDev: string;
  shareLog: string;
}

export function fstabLines(m: DataMounts): string {
  return [
    "# added by pine install: /var and /share on xfs with external logs",
    `${m.varDev} /var xfs logdev=${m.varLog},noatime 0 0`,
    `${m.shareDev} /share xfs logdev=${m.shareLog},noatime 0 0`,
  ].join("\n");
}

/** fstab lines and the /share mount point in the deployment; unmount; xfs_repair -n; detach pine's loop. */
export const finishImageRoot = defineOperation<{ workspace: Workspace; mounts: DataMounts }>({
  name: "install.finish_image_root",
  describe: () => `the image's p3 configured, unmounted, checked by xfs_repair -n`,
  async plan(_host, a) {
    const mnt = imageRootMount(a.workspace);
    const lines = [
      `pine_d=$(ls -d ${quote(mnt)}/ostree/deploy/*/deploy/*.0 | tail -n 1)`,
      `grep -q ' /var xfs ' "$pine_d/etc/fstab" 2>/dev/null || printf '%s\\n' ${quote(fstabLines(a.mounts))} >> "$pine_d/etc/fstab"`,
      // the deployment's top directory carries OSTree's immutable bit
      `if [ ! -d "$pine_d/share" ]; then x chattr -i "$pine_d" 2>/dev/null || true; mkdir "$pine_d/share"; x chattr +i "$pine_d" 2>/dev/null || true; fi`,
      `mkdir -p ${quote(mnt)}/ostree/deploy/pine/var`,
      `sync`,
      `pine_l=$(tail -n 1 ${quote(loopFile(a.workspace))})`,
      `umount ${quote(mnt)}`,
      `x xfs_repair -n "$pine_l" || { echo "xfs_repair -n finds damage on the image's p3 after configuring it" >&2; pine_detach; exit 1; }`,
      `pine_detach`,
    ];
    return {
      description: `append /var (${a.mounts.varDev}, log ${a.mounts.varLog}) and /share (${a.mounts.shareDev}, log ${a.mounts.shareLog}) to the deployment's /etc/fstab, create /share; unmount ${mnt}; xfs_repair -n over the loop; detach it`,
      steps: [{ command: farmScript(a.workspace, lines), display: `fstab + /share; umount ${mnt}; xfs_repair -n; losetup -d (pine's loop only)` }],
    };
  },
});

/** Append the extended and logical partitions behind the image with the snapshot sfdisk, without asking the kernel to re-read. */
export const appendPartitions = defineOperation<{ workspace: Workspace; disk: string; layout: DiskLayout }>({
  name: "install.partition",
  describe: (a) => `${a.disk} has the extended p4 and logical partitions p5-p8 behind the image`,
  async plan(_host, a) {
    const lines = [
      `x sfdisk --no-reread --no-tell-kernel --append ${quote(a.disk)} <<'PINE_EOF'`,
      a.layout.sfdiskScript.trimEnd(),
      "PINE_EOF",
      `x sfdisk -d ${quote(a.disk)}`,
    ];
    return {
      description: `sfdisk --append --no-reread ${a.disk}: extended p4 at ${a.layout.extended.startBytes / 1048576} MiB, ${a.layout.partitions.map((p) => `p${p.number} ${p.role} ${Math.round(p.sizeBytes / 1048576)} MiB`).join(", ")}`,
      steps: [{ command: farmScript(a.workspace, lines), display: `snapshot sfdisk --no-reread --append ${a.disk} <<script\n${a.layout.sfdiskScript}` }],
    };
  },
});

/** mkfs.xfs /var and /share with their external logs on loop devices by offset; copy the stateroot's var into /var. */
export const makeDataFilesystems = defineOperation<{ workspace: Workspace; disk: string; layout: DiskLayout }>({
  name: "install.data_filesystems",
  describe: () => "xfs /var and /share with external logs, /var seeded from the deployment's stateroot var",
  async plan(_host, a) {
    const w = a.workspace;
    const part = (role: string) => a.layout.partitions.find((p) => p.role === role)!;
    const loop = (role: string, v: string) => `${v}=$(pine_loop ${quote(a.disk)} ${part(role).startBytes} ${part(role).sizeBytes})`;
    const mnt = imageRootMount(w);
    const newVar = `${w.dir}/var`;
    const lines = [
      `trap 'umount ${quote(newVar)} 2>/dev/null; umount ${quote(mnt)} 2>/dev/null; pine_detach' EXIT`,
      loop("var", "pine_v"),
      loop("var-log", "pine_vl"),
      loop("share-log", "pine_sl"),
      loop("share", "pine_s8"),
      `x mkfs.xfs -q -f -L pine-var -l logdev="$pine_vl" "$pine_v"`,
      `x mkfs.xfs -q -f -L pine-share -l logdev="$pine_sl" "$pine_s8"`,
      `pine_r=$(pine_loop ${quote(a.disk)} ${IMAGE_ROOT.startSector * 512} ${IMAGE_ROOT.sectors * 512})`,
      `mkdir -p ${quote(mnt)} ${quote(newVar)}`,
      `mount -t xfs -o ro,nouuid "$pine_r" ${quote(mnt)}`,
      `mount -t xfs -o logdev="$pine_vl" "$pine_v" ${quote(newVar)}`,
      `cp -a ${quote(mnt)}/ostree/deploy/pine/var/. ${quote(newVar)}/`,
      `mkdir -p ${quote(newVar)}/log ${quote(newVar)}/roothome ${quote(newVar)}/home ${quote(newVar)}/lib ${quote(newVar)}/cache ${quote(newVar)}/tmp`,
      `chmod 1777 ${quote(newVar)}/tmp; chmod 700 ${quote(newVar)}/roothome`,
      `sync`,
      `umount ${quote(newVar)}`,
      `umount ${quote(mnt)}`,
      `pine_detach`,
      `trap - EXIT`,
    ];
    return {
      description: `mkfs.xfs pine-var on p${part("var").number} (log p${part("var-log").number}) and pine-share on p${part("share").number} (log p${part("share-log").number}) through loop devices by offset; copy ostree/deploy/pine/var into the new /var; detach`,
      steps: [{ command: farmScript(w, lines), display: `losetup -o … (4 data partitions + p3); mkfs.xfs -l logdev=… ×2; cp -a stateroot var → new /var; losetup -d (pine's loops)`, timeoutMs: 900_000 }],
    };
  },
});

/** `reboot -f` from the farm's busybox, scheduled in this channel (the old disk's tools are gone). */
export function rebootCommand(w: Workspace): string {
  const bb = `${w.farm}/busybox`;
  return `${quote(bb)} sh -c ${quote(`trap '' HUP; ${bb} sync; ${bb} sleep 1; exec ${bb} reboot -f`)} >/dev/null 2>&1 </dev/null &`;
}
