# The pine OS test tree: busybox, sshd, ssh-keygen, sftp-server and the ostree CLI with exactly the
# shared libraries they load, /usr/etc (OSTree's default /etc), the kernel and the initramfs.

PINE_BINARIES=(/usr/sbin/sshd /usr/bin/ssh-keygen /usr/lib/openssh/sftp-server /usr/bin/ostree)
PINE_REF=pine/x86_64/stable
PINE_OS=pine

# Every shared library the binaries load (ldd's resolved paths and the program interpreter).
binary_closure() {
  ldd "${PINE_BINARIES[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | LC_ALL=C sort -u
}

# build_tree TREE KERNEL_DEB: a tree with everything that does not change between versions.
build_tree() {
  local tree=$1 deb=$2 bin lib path
  mkdir -p "$tree"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64,lib/openssh,etc,share/pine}
  mkdir -p "$tree"/{dev,proc,sys,run,tmp,boot,sysroot,var}
  # Merged /usr: OSTree deploys /usr read-only and keeps the top level to symlinks and mount points.
  ln -s usr/bin "$tree/bin"; ln -s usr/sbin "$tree/sbin"; ln -s usr/lib "$tree/lib"; ln -s usr/lib64 "$tree/lib64"
  # OSTree conventions: the physical root is at /sysroot, its repo at /ostree; homes live in /var.
  ln -s sysroot/ostree "$tree/ostree"
  ln -s var/roothome "$tree/root"
  ln -s var/home "$tree/home"
  chmod 1777 "$tree/tmp"

  install -m 0755 /bin/busybox "$tree/usr/bin/busybox"
  local applet dir name
  for applet in $(/bin/busybox --list-full); do
    name=${applet##*/}
    case "$applet" in
      bin/*|usr/bin/*) dir=usr/bin; path=busybox ;;
      sbin/*|usr/sbin/*) dir=usr/sbin; path=../bin/busybox ;;
      *) continue ;;
    esac
    [ -e "$tree/$dir/$name" ] || [ -L "$tree/$dir/$name" ] || ln -s "$path" "$tree/$dir/$name"
  done

  for bin in "${PINE_BINARIES[@]}"; do
    [ -x "$bin" ] || die "$bin is missing (its Debian package should have been installed)"
    rm -f "$tree/usr/${bin#/usr/}"
    install -m 0755 "$bin" "$tree/usr/${bin#/usr/}"
  done
  while read -r lib; do
    case "$lib" in
      */ld-linux-x86-64.so.2) install -m 0755 "$(readlink -f "$lib")" "$tree/usr/lib64/ld-linux-x86-64.so.2" ;;
      *) install -m 0644 "$(readlink -f "$lib")" "$tree/usr/lib/x86_64-linux-gnu/${lib##*/}" ;;
    esac
  done < <(binary_closure)
  # Prove the copied closure is complete: the tree's own loader finds every library of every binary.
  local listing
  for bin in "${PINE_BINARIES[@]}"; do
    listing=$(chroot "$tree" /usr/lib64/ld-linux-x86-64.so.2 --list "$bin" 2>&1) || die "cannot load $bin inside the tree: $listing"
    case "$listing" in *"not found"*) die "a library of $bin is missing from the tree: $listing" ;; esac
  done

  # /usr/etc is the image's default /etc; `ostree admin deploy` copies it to /etc and merges local changes.
  cp -R "$IMAGES_DIR/tree/usr/." "$tree/usr/"
  mkdir -p "$tree"/usr/etc/network/{if-pre-up.d,if-up.d,if-down.d,if-post-down.d} "$tree/usr/etc/ssh/authorized_keys"
  # Modes from the table, not from the checkout (umask, core.fileMode).
  find "$tree/usr/etc" -type d -exec chmod 0755 {} +
  find "$tree/usr/etc" -type f -exec chmod 0644 {} +
  chmod 0755 "$tree/usr/etc/init.d/rcS" "$tree/usr/etc/init.d/rcK" "$tree/usr/etc/udhcpc/default.script"
  chmod 0600 "$tree/usr/etc/shadow"
  ln -s ../usr/lib/os-release "$tree/usr/etc/os-release"
  ln -s ../proc/self/mounts "$tree/usr/etc/mtab"

  install_kernel "$tree" "$deb"
}

# set_version TREE VERSION: the two files that differ between releases.
set_version() {
  local tree=$1 version=$2
  # /etc/pine: KEY=value lines a POSIX shell can source; PINE_VERSION is the release tag.
  printf 'PINE_VERSION=%s\nPINE_OS=%s\nPINE_REF=%s\n' "$version" "$PINE_OS" "$PINE_REF" > "$tree/usr/etc/pine"
  printf 'NAME="pine OS"\nID=pine\nVERSION_ID=%s\nPRETTY_NAME="pine OS %s (test image)"\n' "${version#v}" "$version" > "$tree/usr/lib/os-release"
}
