# Debian's kernel and a small busybox initramfs, placed where `ostree admin deploy` looks for them
# (usr/lib/modules/KVER/{vmlinuz,initramfs.img}). The kernel .deb is downloaded, never installed:
# the build machine's own /boot stays untouched.

# resolve_kernel CACHE_FILE: sets KERNEL_PACKAGE and KERNEL_PACKAGE_VERSION to what linux-image-amd64
# points at (e.g. linux-image-6.1.0-56-amd64 = 6.1.192-2). apt-cache takes ~0.6 s here, so the answer
# is remembered in CACHE_FILE for as long as the apt lists are unchanged (cached builds stay instant).
resolve_kernel() {
  local cache=$1 lists line
  lists=$(stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null | short_hash)
  if [ -f "$cache" ] && read -r line < "$cache" && [ "${line%% *}" = "$lists" ]; then
    read -r _ KERNEL_PACKAGE KERNEL_PACKAGE_VERSION <<< "$line"
    return 0
  fi
  line=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null | sed -n 's/^Depends: \(linux-image-[0-9][^ ]*\) (= \([^)]*\)).*/\1 \2/p')
  if [ -z "$line" ]; then
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -q >&2 && APT_UPDATED=1; }
    lists=$(stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null | short_hash)
    line=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null | sed -n 's/^Depends: \(linux-image-[0-9][^ ]*\) (= \([^)]*\)).*/\1 \2/p')
  fi
  [ -n "$line" ] || die "cannot resolve linux-image-amd64 to a kernel package and version (apt-cache show)"
  read -r KERNEL_PACKAGE KERNEL_PACKAGE_VERSION <<< "$line"
  mkdir -p "${cache%/*}"
  printf '%s %s %s\n' "$lists" "$KERNEL_PACKAGE" "$KERNEL_PACKAGE_VERSION" > "$cache.$$"
  mv "$cache.$$" "$cache"
}

# fetch_kernel_deb PACKAGE VERSION DIR: downloads that .deb into DIR once (kept across builds); prints its path.
fetch_kernel_deb() {
  local pkg=$1 version=$2 dir=$3 deb
  mkdir -p "$dir"
  deb=$(find "$dir" -maxdepth 1 -name "${pkg}_${version}_*.deb" -print -quit)
  if [ -z "$deb" ]; then
    say "downloading $pkg=$version (apt-get download) into $dir"
    (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >&2) || die "apt-get download $pkg=$version failed"
    deb=$(find "$dir" -maxdepth 1 -name "${pkg}_${version}_*.deb" -print -quit)
    [ -n "$deb" ] || die "apt-get download $pkg left no .deb in $dir"
  fi
  printf '%s\n' "$deb"
}

# install_kernel TREE DEB: vmlinuz and an initramfs holding busybox, the modules named in
# images/initramfs/modules (with their dependencies) and images/initramfs/init.
install_kernel() {
  local tree=$1 deb=$2 work kver mod initrd
  work=$(mktemp -d "${WORK_ROOT}/kernel.XXXXXX")
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/*' './lib/modules/*/modules.*' \
    || die "cannot unpack $deb"
  kver=$(ls "$work/lib/modules")
  [ -n "$kver" ] || die "no kernel modules in $deb"

  initrd="$work/initramfs"
  mkdir -p "$initrd"/{bin,dev,proc,sys,sysroot,newroot,etc} "$initrd/lib/modules/$kver"
  ln -s bin "$initrd/sbin"
  install -m 0755 /bin/busybox "$initrd/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$initrd/bin/$applet"; done
  install -m 0755 "$IMAGES_DIR/initramfs/init" "$initrd/init"
  grep -v '^#' "$IMAGES_DIR/initramfs/modules" > "$initrd/etc/modules"

  # Each listed module and what it depends on, found through modinfo, then indexed with depmod.
  local todo done_list=" " name path dep
  todo=$(cat "$initrd/etc/modules")
  while [ -n "$todo" ]; do
    set -- $todo; name=$1; shift; todo="$*"
    case "$done_list" in *" $name "*) continue ;; esac
    done_list="$done_list$name "
    path=$(find "$work/lib/modules/$kver/kernel" \( -name "$name.ko*" -o -name "$(printf '%s' "$name" | tr _ -).ko*" \) -print -quit)
    [ -n "$path" ] || { modinfo -k "$kver" -b "$work" "$name" >/dev/null 2>&1 || say "note: $name is built into $kver"; continue; }
    mod=${path#"$work/"}
    mkdir -p "$initrd/$(dirname "$mod")"
    cp "$path" "$initrd/$mod"
    for dep in $(modinfo -F depends "$path" | tr ',' ' '); do todo="$todo $dep"; done
  done
  local index
  for index in modules.builtin modules.builtin.modinfo modules.order; do
    [ -f "$work/lib/modules/$kver/$index" ] && cp "$work/lib/modules/$kver/$index" "$initrd/lib/modules/$kver/"
  done
  depmod -b "$initrd" "$kver" || die "depmod failed for the initramfs"

  mkdir -p "$tree/usr/lib/modules/$kver"
  install -m 0644 "$work/boot/vmlinuz-$kver" "$tree/usr/lib/modules/$kver/vmlinuz"
  (cd "$initrd" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -9n) > "$tree/usr/lib/modules/$kver/initramfs.img" \
    || die "cannot pack the initramfs"
  rm -rf "$work"
  KERNEL_VERSION=$kver
}
