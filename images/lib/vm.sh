# Stage "vm": image.pine, a raw MBR disk in pine's layout, with v1 deployed and bootable under qemu.
#   p1  40 MiB  ext2 /boot  (label pine-boot; extlinux, ostree's kernel, initramfs and boot entries)
#   p2  24 MiB  swap        (label pine-swap)
#   p3 447 MiB  XFS         (label pine-root; the OSTree sysroot)
# The sizes are the real image's: mkfs.xfs 6.x refuses filesystems under 300 MB, and the file is
# sparse, so the full 512 MiB costs only what is written (~0.1 GB on disk, ~40 MB gzipped).

VM_SECTOR=512
VM_P1_START=2048 VM_P1_SECTORS=$((40 * 2048))
VM_P2_START=$((VM_P1_START + VM_P1_SECTORS)) VM_P2_SECTORS=$((24 * 2048))
VM_P3_START=$((VM_P2_START + VM_P2_SECTORS)) VM_P3_SECTORS=$((447 * 2048))
VM_DISK_SECTORS=$((VM_P3_START + VM_P3_SECTORS))
VM_KARGS=(root=LABEL=pine-root rw console=ttyS0,115200n8)

# build_vm DIR REPO COMMIT_V1: sets VM_HOST_KEY (the image's public host key line).
build_vm() {
  local dir=$1 repo=$2 commit=$3 img mnt p1 p2 p3
  img="$WORK_ROOT/image.pine"
  mnt="$WORK_ROOT/mnt"
  truncate -s $((VM_DISK_SECTORS * VM_SECTOR)) "$img"
  sfdisk -q --no-reread --no-tell-kernel "$img" >/dev/null <<SFDISK || die "sfdisk failed"
label: dos
unit: sectors
start=$VM_P1_START, size=$VM_P1_SECTORS, type=83, bootable
start=$VM_P2_START, size=$VM_P2_SECTORS, type=82
start=$VM_P3_START, size=$VM_P3_SECTORS, type=83
SFDISK

  say "vm: formatting p1 (ext2), p2 (swap), p3 (xfs) through loop devices by offset"
  attach_loop p1 "$img" $((VM_P1_START * VM_SECTOR)) $((VM_P1_SECTORS * VM_SECTOR))
  attach_loop p2 "$img" $((VM_P2_START * VM_SECTOR)) $((VM_P2_SECTORS * VM_SECTOR))
  attach_loop p3 "$img" $((VM_P3_START * VM_SECTOR)) $((VM_P3_SECTORS * VM_SECTOR))
  mke2fs -q -t ext2 -L pine-boot "$p1" || die "mke2fs on p1 failed"
  mkswap -L pine-swap "$p2" >/dev/null || die "mkswap on p2 failed"
  detach_loop "$p2"
  mkfs.xfs -q -f -L pine-root "$p3" || die "mkfs.xfs on p3 failed"

  mount_tracked "$mnt" -t xfs "$p3"
  mount_tracked "$mnt/boot" -t ext2 "$p1"
  # ostree drives extlinux through syslinux/syslinux.cfg -> ../loader/syslinux.cfg: each deploy
  # writes a new loader.N/syslinux.cfg (keeping lines it did not generate) and swaps `loader`.
  mkdir -p "$mnt/boot/syslinux" "$mnt/boot/loader.0"
  printf 'SERIAL 0 115200\nPROMPT 0\nTIMEOUT 10\n' > "$mnt/boot/loader.0/syslinux.cfg"
  ln -s loader.0 "$mnt/boot/loader"
  ln -s ../loader/syslinux.cfg "$mnt/boot/syslinux/syslinux.cfg"
  # ostree's syslinux writer prefixes KERNEL/INITRD with /boot (it assumes /boot on the root fs);
  # on a separate /boot partition this link makes /boot/ostree/... resolve to /ostree/....
  ln -s . "$mnt/boot/boot"
  extlinux --install "$mnt/boot/syslinux" >/dev/null 2>&1 || die "extlinux --install failed"

  say "vm: deploying v1 ($commit) into the sysroot on p3"
  deploy_sysroot "$mnt" "$repo" "$commit" "${VM_KARGS[@]}"
  grep -q '^LABEL .*(ostree:0)' "$mnt/boot/loader/syslinux.cfg" || die "ostree wrote no syslinux entry: $(cat "$mnt/boot/loader/syslinux.cfg")"
  # The image's own host key, as install will write the controller's: the boot test checks it.
  ssh-keygen -q -t ed25519 -N '' -C pine-test-image -f "$DEPLOYMENT/etc/ssh/ssh_host_ed25519_key" || die "ssh-keygen failed"
  VM_HOST_KEY=$(cut -d' ' -f1,2 "$DEPLOYMENT/etc/ssh/ssh_host_ed25519_key.pub")
  checkpoint vm-deployed

  umount_tracked "$mnt/boot"
  umount_tracked "$mnt"
  xfs_repair -n "$p3" >/dev/null 2>&1 || die "xfs_repair -n reports problems on p3"
  detach_loop "$p3"
  detach_loop "$p1"

  # syslinux's MBR boot code: it chains to the active (bootable) partition's extlinux.
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$img" bs=440 count=1 conv=notrunc status=none || die "writing mbr.bin failed"
  mv "$img" "$dir/image.pine"
  say "vm: packing image.pine.tar.gz"
  tar -C "$dir" -cf - image.pine | gzip -1 > "$dir/image.pine.tar.gz" || die "tar/gzip of image.pine failed"
}
