#!/usr/bin/env bash
# Builds (once) the raw disk of an "old server" VM for pine's hijack-install tests: one MBR partition, Debian, sshd.
#
# Usage: scripts/vm/debian-disk.sh           build unless cached; print the disk image's path as the last line
#        scripts/vm/debian-disk.sh --path    print the path the disk has (or will have), build nothing
#
# The disk: DISK_SIZE sparse, an MBR with syslinux's boot code and ONE bootable partition (vda1, ext4 root from
# 1 MiB to the end), booted by extlinux on that partition with the serial console on ttyS0. The real targets
# (Debian 8, Ubuntu 14.04) also have a single root partition on vda1; their tools are older than this
# bookworm's (util-linux 2.25/2.20, iproute2 3.x, no `lsblk -J`, no `ip -j`), which these VM tests cannot
# show: facts keep their own fixtures of the old outputs.
# Per VM, src/lab/vm/ copies the disk and writes the address, hostname, root's key and a host key into
# the copy's partition (a loop device by offset) before it boots; this image carries none of them.
#
# The name carries a hash of this whole recipe, so any change to what goes in builds a new disk; older
# disks are then removed. Cache dir: $PINE_CACHE_DIR/vm, else /var/cache/pine/vm. Mirror: $PINE_DEBIAN_MIRROR,
# else mmdebstrap's default. Parallel callers wait on a lock; one builds, the others reuse its disk.
set -euo pipefail

SUITE=bookworm
VARIANT=minbase
# What an old server has that pine's install drives: sshd started by its init, ifupdown's static config,
# the kernel with an initramfs that finds the virtio disk, and the tools the install calls.
PACKAGES=(linux-image-amd64 initramfs-tools openssh-server iproute2 ifupdown udev kmod systemd-sysv
  busybox-static xfsprogs fdisk util-linux procps wget netbase)
# Room for pine's 512 MiB image at the start plus a test's `parts` (e.g. 1G,64M,64M) and /share behind it.
DISK_SIZE=3G
PART_START_SECTOR=2048
KERNEL_ARGS="root=/dev/vda1 ro console=ttyS0,115200n8 net.ifnames=0 quiet"
MIRROR="${PINE_DEBIAN_MIRROR:-}"
CACHE_DIR="${PINE_CACHE_DIR:+$PINE_CACHE_DIR/vm}"
CACHE_DIR="${CACHE_DIR:-/var/cache/pine/vm}"
MBR_CODE=/usr/lib/syslinux/mbr/mbr.bin
LOCK_WAIT_SECONDS=1800

say() { printf 'vm/debian-disk: %s\n' "$*" >&2; }
die() { printf 'vm/debian-disk: error: %s\n' "$*" >&2; exit 1; }

recipe_key() {
  { cat "$0"; printf '%s\n' "$SUITE" "$VARIANT" "$MIRROR" "$DISK_SIZE" "${PACKAGES[@]}"; } | sha256sum | cut -c1-16
}

DISK="$CACHE_DIR/debian-$SUITE-$(recipe_key).img"

if [ "${1:-}" = "--path" ]; then
  printf '%s\n' "$DISK"
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (usage: $0 [--path])"

if [ -s "$DISK" ]; then
  printf '%s\n' "$DISK"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root to build the disk (mmdebstrap in root mode, loop devices, mount)"
for tool in mmdebstrap sfdisk mkfs.ext4 extlinux losetup flock; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: apt-get install mmdebstrap fdisk e2fsprogs extlinux syslinux-common util-linux"
done
[ -s "$MBR_CODE" ] || die "$MBR_CODE is missing: apt-get install syslinux-common"

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
flock -w "$LOCK_WAIT_SECONDS" 9 || die "another build held $CACHE_DIR/.lock for ${LOCK_WAIT_SECONDS}s"
if [ -s "$DISK" ]; then
  printf '%s\n' "$DISK"
  exit 0
fi

# Holding the lock, any work dir left here is a killed build's: its mount and loop device go first, found by
# mount point and by backing file, never anyone else's (no `losetup -D`).
for stale in "$CACHE_DIR"/.work-*; do
  [ -d "$stale" ] || continue
  say "removing the leftovers of an interrupted build: $stale"
  if mountpoint -q "$stale/mnt"; then umount "$stale/mnt" || umount -l "$stale/mnt"; fi
  for dev in $(losetup -j "$stale/disk.img" -O NAME -n 2>/dev/null); do losetup -d "$dev"; done
  rm -rf --one-file-system -- "$stale"
done

WORK="$CACHE_DIR/.work-$$"
IMG="$WORK/disk.img"
MNT="$WORK/mnt"
LOOP=
cleanup() {
  if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT" || umount -l "$MNT" || true; fi
  # Only the device this build attached, and only while it still points at our image.
  if [ -n "$LOOP" ] && losetup "$LOOP" 2>/dev/null | grep -qF "$IMG"; then losetup -d "$LOOP" || true; fi
  rm -rf --one-file-system -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$MNT"
started=$(date +%s)
say "building $DISK ($SUITE $VARIANT + ${PACKAGES[*]})"

truncate -s "$DISK_SIZE" "$IMG"
sfdisk -q --no-reread --no-tell-kernel "$IMG" >/dev/null <<SFDISK || die "sfdisk failed"
label: dos
unit: sectors
start=$PART_START_SECTOR, type=83, bootable
SFDISK
# syslinux's boot code goes into the first 440 bytes (before the partition table). `1<>` opens the image for
# writing without truncating it: the same effect as dd conv=notrunc, with no dd anywhere near this machine.
[ "$(stat -c %s "$MBR_CODE")" -le 440 ] || die "$MBR_CODE is larger than the 440 bytes of MBR boot code"
cat "$MBR_CODE" 1<>"$IMG"

part_bytes=$(( $(stat -c %s "$IMG") - PART_START_SECTOR * 512 ))
# This machine's kernel makes no partition nodes for loop devices: one loop device over the partition itself.
LOOP=$(losetup -f --show -o $((PART_START_SECTOR * 512)) --sizelimit "$part_bytes" "$IMG") || die "losetup failed"
# No 64bit or metadata_csum: extlinux 6.04 reads only the older ext4 layout, which is also what a
# Debian 8 installer made.
mkfs.ext4 -q -F -L root -O ^64bit,^metadata_csum "$LOOP" || die "mkfs.ext4 failed"
mount -t ext4 "$LOOP" "$MNT" || die "mount $LOOP failed"

# Hooks, each for why it is there:
# - initramfs-tools must know, before the kernel's postinst builds the initramfs, that it cannot ask this
#   build machine which modules the VM needs (MODULES=dep would look at the build's own root);
# - per-VM SSH host keys are written into each VM's copy, so the ones openssh-server's postinst made would
#   only be a secret shared by every VM;
# - ssh.service must start at boot: enabled explicitly rather than trusting a postinst run without systemd;
# - an empty machine-id lets systemd make a fresh one at the first boot, like a freshly imaged server.
# Documentation, translations and kernel modules for hardware no VM has are left out: they double the
# disk's size and the time to copy it per VM.
# shellcheck disable=SC2016 # the hooks are expanded by mmdebstrap's shell, with $1 the root
mmdebstrap \
  --variant="$VARIANT" \
  --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/gpu/*' \
  --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/media/*' \
  --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/net/wireless/*' \
  --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/infiniband/*' \
  --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/staging/*' \
  --dpkgopt='path-exclude=/lib/modules/*/kernel/sound/*' \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" && printf "MODULES=most\n" > "$1/etc/initramfs-tools/conf.d/pine-vm.conf"' \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
  --customize-hook='printf "HostKey /etc/ssh/ssh_host_ed25519_key\n" > "$1/etc/ssh/sshd_config.d/pine-vm.conf"' \
  --customize-hook='systemctl --root="$1" enable ssh.service' \
  --customize-hook=': > "$1/etc/machine-id"' \
  --customize-hook='printf "debian\n" > "$1/etc/hostname"' \
  --customize-hook='printf "/dev/vda1\t/\text4\terrors=remount-ro\t0\t1\n" > "$1/etc/fstab"' \
  --customize-hook='printf "auto lo\niface lo inet loopback\n" > "$1/etc/network/interfaces"' \
  "$SUITE" "$MNT" ${MIRROR:+"$MIRROR"} >&2

kernels=("$MNT"/boot/vmlinuz-*)
initrds=("$MNT"/boot/initrd.img-*)
[ "${#kernels[@]}" -eq 1 ] && [ -f "${kernels[0]}" ] || die "expected one kernel in /boot, found: ${kernels[*]}"
[ "${#initrds[@]}" -eq 1 ] && [ -f "${initrds[0]}" ] || die "expected one initramfs in /boot, found: ${initrds[*]}"
mkdir -p "$MNT/boot/extlinux"
cat > "$MNT/boot/extlinux/extlinux.conf" <<EXTLINUX
# Written by pine's scripts/vm/debian-disk.sh. SERIAL first: the VM has no display, only ttyS0.
SERIAL 0 115200
DEFAULT debian
PROMPT 0
TIMEOUT 10
LABEL debian
  LINUX /boot/${kernels[0]##*/}
  INITRD /boot/${initrds[0]##*/}
  APPEND $KERNEL_ARGS
EXTLINUX
extlinux --install "$MNT/boot/extlinux" >/dev/null 2>&1 || die "extlinux --install failed"

say "root filesystem: $(df -h --output=used "$MNT" | tail -1 | tr -d ' ') used; kernel ${kernels[0]##*/}, initramfs $(du -h "${initrds[0]}" | cut -f1)"
# Blocks apt's downloads and the removed host keys used are still written in the image; trimming punches
# them out of the sparse file, so each VM's copy costs only what the filesystem holds.
fstrim "$MNT" || say "fstrim failed: the disk stays larger than it needs to be"
umount "$MNT"
e2fsck -n -f "$LOOP" >/dev/null 2>&1 || die "e2fsck -n reports problems on the root filesystem"
losetup -d "$LOOP"
LOOP=

mv "$IMG" "$DISK"
for old in "$CACHE_DIR"/debian-"$SUITE"-*.img; do
  [ "$old" = "$DISK" ] || rm -f "$old"
done
say "built in $(( $(date +%s) - started ))s, $(du -h "$DISK" | cut -f1) on disk ($DISK_SIZE sparse)"
printf '%s\n' "$DISK"
