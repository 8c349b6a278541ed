# Stage "container": the OpenVZ/LXC root filesystem, as squashfs (rootfs.pine_ovz.sq, DESIGN's
# name) and as a gzip tarball busybox `tar xzf` extracts (rootfs.pine_ovz.tar.gz): an OSTree
# sysroot with v1 deployed, busybox in /bin, and the container init at /sbin/init and /bin/init.

build_container() {
  local dir=$1 repo=$2 commit=$3 root
  root="$WORK_ROOT/rootfs"
  mkdir -p "$root"
  say "container: deploying v1 ($commit) into a sysroot directory"
  deploy_sysroot "$root" "$repo" "$commit"
  # An empty /usr: systemd-nspawn (the lab's container runtime) refuses a root without one.
  mkdir -p "$root/bin" "$root/sbin" "$root/usr"
  install -m 0755 /bin/busybox "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  install -m 0755 "$IMAGES_DIR/container/init" "$root/sbin/init"
  install -m 0755 "$IMAGES_DIR/container/init" "$root/bin/init"

  say "container: mksquashfs and tar.gz"
  mksquashfs "$root" "$dir/rootfs.pine_ovz.sq" -noappend -comp gzip -no-progress -quiet >/dev/null \
    || die "mksquashfs failed"
  tar -C "$root" --numeric-owner -czf "$dir/rootfs.pine_ovz.tar.gz" . || die "tar of the rootfs failed"
}
