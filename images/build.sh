#!/usr/bin/env bash
# Builds pine's test images in pine's real formats, cached by a hash of everything they are made from.
#
# Usage: images/build.sh [--out DIR] [ostree|vm|container|all]
#   ostree     archive repo with commits v1, v2 on pine/x86_64/stable; delta.tar (v1->v2), delta_base.tar (empty->v1)
#   vm         the ostree stage + image.pine (raw MBR disk, v1 deployed, boots under qemu) and image.pine.tar.gz
#   container  the ostree stage + rootfs.pine_ovz.sq and rootfs.pine_ovz.tar.gz (OpenVZ/LXC root filesystem)
#   all        all of the above (the default)
#
# Progress goes to stderr; stdout gets one line, the path of the manifest.json describing what was asked for.
# The cache is DIR (default: $PINE_CACHE_DIR/images, else /var/cache/pine/images); each stage lives in
# DIR/<stage>-<key>/ where key hashes this folder's builder files, the Debian package versions used and the
# binaries copied into the image, so any change rebuilds and an unchanged input set returns at once.
# Needs root (loop devices, mounts, chroot) and installs the Debian packages it needs.
set -euo pipefail

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$IMAGES_DIR/lib/common.sh"
. "$IMAGES_DIR/lib/kernel.sh"
. "$IMAGES_DIR/lib/tree.sh"
. "$IMAGES_DIR/lib/ostree.sh"
. "$IMAGES_DIR/lib/sysroot.sh"
. "$IMAGES_DIR/lib/vm.sh"
. "$IMAGES_DIR/lib/container.sh"

usage() { sed -n '3,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

OUT="${PINE_CACHE_DIR:+$PINE_CACHE_DIR/images}"
OUT="${OUT:-/var/cache/pine/images}"
KIND=all
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    -h|--help) usage 0 ;;
    ostree|vm|container|all) KIND=$1; shift ;;
    *) say "unknown argument '$1'"; usage ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "must run as root: the builders use loop devices, mounts and chroot"
mkdir -p "$OUT" || die "cannot create the output directory $OUT"
OUT=$(cd "$OUT" && pwd)

# qemu-system-x86 and systemd-container are for the tests that boot the images.
OSTREE_PACKAGES=(busybox-static openssh-server openssh-client openssh-sftp-server ostree kmod gzip)
VM_PACKAGES=(xfsprogs e2fsprogs fdisk util-linux extlinux syslinux-common qemu-system-x86)
CONTAINER_PACKAGES=(squashfs-tools systemd-container)
packages=("${OSTREE_PACKAGES[@]}")
case "$KIND" in
  vm) packages+=("${VM_PACKAGES[@]}") ;;
  container) packages+=("${CONTAINER_PACKAGES[@]}") ;;
  all) packages+=("${VM_PACKAGES[@]}" "${CONTAINER_PACKAGES[@]}") ;;
esac
# One build at a time per cache (concurrent test files may ask for images at once), and one
# apt-get at a time; a cached answer needs no lock.
LOCKED=
take_lock() {
  [ -n "$LOCKED" ] && return 0
  exec 9>"$OUT/.lock"
  flock -w 1800 9 || die "another build held $OUT/.lock for 30 minutes"
  LOCKED=1
}
if ! packages_installed "${packages[@]}"; then
  take_lock
  ensure_packages "${packages[@]}"
fi

files_hash() { (cd "$IMAGES_DIR" && sha256sum build.sh "$@"); }

resolve_kernel "$OUT/downloads/kernel.resolved"
OSTREE_KEY=$({
  echo "stage ostree"
  files_hash lib/common.sh lib/kernel.sh lib/tree.sh lib/ostree.sh $(cd "$IMAGES_DIR" && find tree initramfs -type f | LC_ALL=C sort)
  pkg_version "${OSTREE_PACKAGES[@]}" libostree-1-1
  echo "kernel $KERNEL_PACKAGE=$KERNEL_PACKAGE_VERSION"
  binary_closure | xargs stat -L -c '%n %s %Y'
} | short_hash)
VM_KEY=$({ echo "stage vm $OSTREE_KEY"; files_hash lib/common.sh lib/sysroot.sh lib/vm.sh; pkg_version "${VM_PACKAGES[@]}"; } | short_hash)
CONTAINER_KEY=$({ echo "stage container $OSTREE_KEY"; files_hash lib/common.sh lib/sysroot.sh lib/container.sh container/init; pkg_version "${CONTAINER_PACKAGES[@]}" busybox-static; } | short_hash)

# Keeps the two newest builds of a stage (another checkout may still use the previous one).
prune_stage() {
  local stage=$1 old
  for old in $(ls -1td "$OUT/$stage"-* 2>/dev/null | tail -n +3); do
    say "$stage: removing the old build $old"
    remove_tree "$old"
  done
}

# run_stage STAGE KEY BUILDER: builds into a temporary directory, then renames it into place,
# so a stage directory with a fields.part in it is always complete.
run_stage() {
  local stage=$1 key=$2 builder=$3 final tmp start
  final="$OUT/$stage-$key"
  if [ -f "$final/fields.part" ]; then
    say "$stage: cached, $final"
    return 0
  fi
  tmp="$OUT/.$stage-$key.building"
  remove_tree "$tmp"
  mkdir -p "$tmp"
  CLEANUP_DIRS+=("$tmp")
  WORK_ROOT=$(mktemp -d "$OUT/.work-$stage.XXXXXX")
  CLEANUP_DIRS+=("$WORK_ROOT")
  say "$stage: building into $final"
  start=$SECONDS
  "$builder" "$tmp" "$final"
  printf '"%s": %s\n' "$stage" $((SECONDS - start)) > "$tmp/seconds.part"
  remove_tree "$final"
  mv "$tmp" "$final"
  remove_tree "$WORK_ROOT"
  say "$stage: built in $((SECONDS - start)) s"
  prune_stage "$stage"
}

# Each builder leaves two fragments: artifacts.part ("name": {...} lines) and fields.part
# (top-level "key": value lines). Artifact paths name the final directory.
stage_ostree() {
  local tmp=$1 final=$2 name
  build_ostree "$tmp"
  for name in delta.tar delta_base.tar; do
    (cd "$tmp" && sha256sum "$name" > "$name.sha256")
    artifact_json "$name" "$tmp/$name" | sed "s|$tmp/|$final/|"; echo
  done > "$tmp/artifacts.part"
  {
    printf '"commits": {"v1": "%s", "v2": "%s"}\n' "$COMMIT_V1" "$COMMIT_V2"
    printf '"ref": "%s"\n"os": "%s"\n"repo": "%s"\n"kernel": "%s"\n' "$PINE_REF" "$PINE_OS" "$final/repo" "$KERNEL_VERSION"
  } > "$tmp/fields.part"
}

stage_vm() {
  local tmp=$1 final=$2 name ostree_dir="$OUT/ostree-$OSTREE_KEY"
  build_vm "$tmp" "$ostree_dir/repo" "$(commit_of v1)"
  (cd "$tmp" && sha256sum image.pine.tar.gz > image.pine.tar.gz.sha256)
  for name in image.pine image.pine.tar.gz; do
    artifact_json "$name" "$tmp/$name" | sed "s|$tmp/|$final/|"; echo
  done > "$tmp/artifacts.part"
  printf '"vm": {"hostKey": "%s", "kernelArgs": "%s", "partitions": [%s]}\n' "$VM_HOST_KEY" "${VM_KARGS[*]}" "$(vm_partitions_json)" > "$tmp/fields.part"
}

stage_container() {
  local tmp=$1 final=$2 name ostree_dir="$OUT/ostree-$OSTREE_KEY"
  build_container "$tmp" "$ostree_dir/repo" "$(commit_of v1)"
  for name in rootfs.pine_ovz.sq rootfs.pine_ovz.tar.gz; do
    (cd "$tmp" && sha256sum "$name" > "$name.sha256")
    artifact_json "$name" "$tmp/$name" | sed "s|$tmp/|$final/|"; echo
  done > "$tmp/artifacts.part"
  printf '"container": {"init": ["/sbin/init", "/bin/init"], "deployment": "ostree/deploy/%s/deploy/%s.0"}\n' "$PINE_OS" "$(commit_of v1)" > "$tmp/fields.part"
}

commit_of() { sed -n "s/.*\"$1\": \"\([0-9a-f]\{64\}\)\".*/\1/p" "$OUT/ostree-$OSTREE_KEY/fields.part"; }

vm_partitions_json() {
  printf '{"number": 1, "start": %s, "sectors": %s, "type": "83", "fs": "ext2", "label": "pine-boot", "mount": "/boot", "bootable": true}, ' "$VM_P1_START" "$VM_P1_SECTORS"
  printf '{"number": 2, "start": %s, "sectors": %s, "type": "82", "fs": "swap", "label": "pine-swap"}, ' "$VM_P2_START" "$VM_P2_SECTORS"
  printf '{"number": 3, "start": %s, "sectors": %s, "type": "83", "fs": "xfs", "label": "pine-root", "mount": "/sysroot"}' "$VM_P3_START" "$VM_P3_SECTORS"
}

# write_manifest KIND KEY STAGE...: DIR/<kind>-<key>/manifest.json from the stages' fragments.
write_manifest() {
  local kind=$1 key=$2 stage dir target tmp
  shift 2
  local dirs=()
  for stage in "$@"; do
    case "$stage" in
      ostree) dirs+=("$OUT/ostree-$OSTREE_KEY") ;;
      vm) dirs+=("$OUT/vm-$VM_KEY") ;;
      container) dirs+=("$OUT/container-$CONTAINER_KEY") ;;
    esac
  done
  target="$OUT/$kind-$key/manifest.json"
  mkdir -p "${target%/*}"
  tmp="$target.tmp"
  {
    printf '{\n  "kind": "%s",\n  "key": "%s",\n  "dir": "%s",\n' "$kind" "$key" "$OUT"
    for dir in "${dirs[@]}"; do sed 's/^/  /; s/$/,/' "$dir/fields.part"; done
    printf '  "buildSeconds": {'
    for dir in "${dirs[@]}"; do cat "$dir/seconds.part"; done | paste -sd, | tr -d '\n'
    printf '},\n  "artifacts": {\n'
    for dir in "${dirs[@]}"; do cat "$dir/artifacts.part"; done | sed 's/^/    /' | sed '$!s/$/,/'
    printf '  }\n}\n'
  } > "$tmp"
  mv "$tmp" "$target"
  printf '%s\n' "$target"
}

ALL_KEY=$(printf '%s %s %s\n' "$OSTREE_KEY" "$VM_KEY" "$CONTAINER_KEY" | short_hash)
case "$KIND" in
  ostree) MANIFEST_KEY=$OSTREE_KEY ;;
  vm) MANIFEST_KEY=$VM_KEY ;;
  container) MANIFEST_KEY=$CONTAINER_KEY ;;
  all) MANIFEST_KEY=$ALL_KEY ;;
esac
# Already built: answer at once, without waiting for a build of something else to finish.
if [ -f "$OUT/$KIND-$MANIFEST_KEY/manifest.json" ]; then
  say "$KIND: cached, $OUT/$KIND-$MANIFEST_KEY"
  printf '%s\n' "$OUT/$KIND-$MANIFEST_KEY/manifest.json"
  exit 0
fi

take_lock
trap cleanup EXIT
trap 'exit 130' INT TERM
recover_stale_work

run_stage ostree "$OSTREE_KEY" stage_ostree
case "$KIND" in
  ostree) write_manifest ostree "$OSTREE_KEY" ostree ;;
  vm)
    run_stage vm "$VM_KEY" stage_vm
    write_manifest vm "$VM_KEY" ostree vm ;;
  container)
    run_stage container "$CONTAINER_KEY" stage_container
    write_manifest container "$CONTAINER_KEY" ostree container ;;
  all)
    run_stage vm "$VM_KEY" stage_vm
    run_stage container "$CONTAINER_KEY" stage_container
    write_manifest all "$ALL_KEY" ostree vm container
    prune_stage all ;;
esac
