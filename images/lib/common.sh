# Shared helpers for the image builders: logging, Debian packages, hashing, loop devices, manifests.
# Sourced by images/build.sh; every function assumes `set -euo pipefail`.

say() { printf 'images: %s\n' "$*" >&2; }
die() { printf 'images: error: %s\n' "$*" >&2; exit 1; }

packages_installed() {
  local p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || return 1
  done
}

# Installs the Debian packages that are missing; `apt-get update` runs once, and only when needed.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}) and not root to install them"
  if [ -z "${APT_UPDATED:-}" ]; then
    say "apt-get update (missing: ${missing[*]})"
    apt-get update -q >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
}

# Runs a noisy tool with its output in a log that is shown only when it fails.
quietly() {
  local log
  log=$(mktemp "${WORK_ROOT:-/tmp}/log.XXXXXX")
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "failed: $*"
  fi
  rm -f "$log"
}

# Test hook: PINE_IMAGES_FAIL_AT=NAME fails the build at checkpoint NAME, so the tests can prove
# that a failure leaves no mount and no loop device behind.
checkpoint() {
  [ "${PINE_IMAGES_FAIL_AT:-}" != "$1" ] || die "failing at checkpoint '$1' (PINE_IMAGES_FAIL_AT is set)"
}

pkg_version() { dpkg-query -W -f='${Package}=${Version}\n' "$@" 2>/dev/null || true; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# A short key over text on stdin: names a cache directory, so a change of inputs rebuilds.
short_hash() { sha256sum | cut -c1-16; }

# Everything cleanup must undo, newest last; undone in reverse order on exit, success or failure.
CLEANUP_MOUNTS=()
CLEANUP_LOOPS=()
CLEANUP_DIRS=()

cleanup() {
  local i
  for ((i = ${#CLEANUP_MOUNTS[@]} - 1; i >= 0; i--)); do
    mountpoint -q "${CLEANUP_MOUNTS[i]}" 2>/dev/null && { umount "${CLEANUP_MOUNTS[i]}" || umount -l "${CLEANUP_MOUNTS[i]}" || true; }
  done
  for ((i = ${#CLEANUP_LOOPS[@]} - 1; i >= 0; i--)); do
    # Only the devices this build attached, by name: never `losetup -D`.
    losetup "${CLEANUP_LOOPS[i]}" >/dev/null 2>&1 && losetup -d "${CLEANUP_LOOPS[i]}" || true
  done
  for ((i = ${#CLEANUP_DIRS[@]} - 1; i >= 0; i--)); do remove_tree "${CLEANUP_DIRS[i]}"; done
  CLEANUP_MOUNTS=() CLEANUP_LOOPS=() CLEANUP_DIRS=()
}

# rm -rf that also removes OSTree deployments, whose top directory ostree makes immutable (chattr +i).
remove_tree() {
  [ -e "$1" ] || return 0
  find "$1" -maxdepth 8 -type d -path '*/ostree/deploy/*/deploy/*.[0-9]*' -prune -exec chattr -i {} + 2>/dev/null || true
  rm -rf -- "$1"
}

# attach_loop VAR FILE OFFSET SIZE: attaches a loop device over FILE from byte OFFSET for SIZE bytes
# and stores its name in VAR (not printed: a $(...) subshell would lose the cleanup record).
# This kernel has no loop partition nodes, so each partition gets a loop device of its own.
attach_loop() {
  local var=$1 file=$2 offset=$3 size=$4 dev
  dev=$(/usr/sbin/losetup -f --show -o "$offset" --sizelimit "$size" "$file") || die "losetup failed for $file at offset $offset"
  CLEANUP_LOOPS+=("$dev")
  printf -v "$var" '%s' "$dev"
}

# After a build that was killed (no trap ran): unmount and detach what is left over our own work
# files, found by backing file (losetup -j), never anyone else's loop devices.
recover_stale_work() {
  local work mnt file dev
  for work in "$OUT"/.work-*; do
    [ -d "$work" ] || continue
    say "removing the leftovers of an interrupted build: $work"
    for mnt in $(awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/self/mounts | LC_ALL=C sort -r); do
      umount "$mnt" || umount -l "$mnt" || true
    done
    while IFS= read -r file; do
      for dev in $(/usr/sbin/losetup -j "$file" -O NAME -n 2>/dev/null); do losetup -d "$dev" || true; done
    done < <(find "$work" -maxdepth 1 -type f -name '*.pine')
    remove_tree "$work"
  done
}

detach_loop() {
  local dev=$1 i
  losetup -d "$dev" || die "could not detach $dev"
  for i in "${!CLEANUP_LOOPS[@]}"; do [ "${CLEANUP_LOOPS[i]}" = "$dev" ] && unset 'CLEANUP_LOOPS[i]'; done
  CLEANUP_LOOPS=("${CLEANUP_LOOPS[@]}")
}

mount_tracked() { # mount_tracked MOUNTPOINT mount-args...
  local target=$1; shift
  mkdir -p "$target"
  mount "$@" "$target" || die "mount $* $target failed"
  CLEANUP_MOUNTS+=("$target")
}

umount_tracked() {
  local target=$1 i
  umount "$target" || die "could not unmount $target"
  for i in "${!CLEANUP_MOUNTS[@]}"; do [ "${CLEANUP_MOUNTS[i]}" = "$target" ] && unset 'CLEANUP_MOUNTS[i]'; done
  CLEANUP_MOUNTS=("${CLEANUP_MOUNTS[@]}")
}

# One manifest entry: "name": {"path": ..., "sha256": ..., "size": ...}
artifact_json() {
  local name=$1 path=$2
  printf '"%s": {"path": "%s", "sha256": "%s", "size": %s}' "$name" "$path" "$(sha256_of "$path")" "$(stat -c %s "$path")"
}
