#!/usr/bin/env bash
# Builds (once) the Debian root filesystem that `debian` lab hosts boot under systemd-nspawn, as a cached zstd tarball.
#
# Usage: scripts/rootfs/debian.sh            build unless cached; print the tarball's path as the last line
#        scripts/rootfs/debian.sh --path     print the path the tarball has (or will have), build nothing
#
# The tarball's name carries a hash of this whole recipe (this file, suite, mirror, package list),
# so any change to what goes in builds a new one; older tarballs of the same suite are then removed.
# Cache dir: $PINE_CACHE_DIR, else /var/cache/pine/rootfs. Mirror: $PINE_DEBIAN_MIRROR, else mmdebstrap's
# default for the suite. Parallel callers (two test workers) wait on a lock; one builds, the other reuses.
set -euo pipefail

SUITE=bookworm
VARIANT=minbase
# What a lab host needs to look like a small real server: sshd started by systemd, ifupdown config
# the facts can read, and the tools pine's install drives (busybox, mkfs.xfs, sfdisk).
PACKAGES=(openssh-server iproute2 procps systemd-sysv udev kmod ifupdown netbase busybox-static xfsprogs fdisk)
MIRROR="${PINE_DEBIAN_MIRROR:-}"
CACHE_DIR="${PINE_CACHE_DIR:-/var/cache/pine/rootfs}"
LOCK_WAIT_SECONDS=900

say() { printf 'rootfs/debian: %s\n' "$*" >&2; }
die() { printf 'rootfs/debian: error: %s\n' "$*" >&2; exit 1; }

recipe_key() {
  { cat "$0"; printf '%s\n' "$SUITE" "$VARIANT" "$MIRROR" "${PACKAGES[@]}"; } | sha256sum | cut -c1-16
}

TARBALL="$CACHE_DIR/debian-$SUITE-$(recipe_key).tar.zst"

if [ "${1:-}" = "--path" ]; then
  printf '%s\n' "$TARBALL"
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (usage: $0 [--path])"

if [ -s "$TARBALL" ]; then
  printf '%s\n' "$TARBALL"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root to build the rootfs (mmdebstrap in root mode)"
for tool in mmdebstrap zstd flock; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/setup-system.sh as root"
done

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.debian.lock"
flock -w "$LOCK_WAIT_SECONDS" 9 || die "another build held $CACHE_DIR/.debian.lock for ${LOCK_WAIT_SECONDS}s"
# Someone else may have built it while we waited.
if [ -s "$TARBALL" ]; then
  printf '%s\n' "$TARBALL"
  exit 0
fi

partial="$CACHE_DIR/.partial-$$.tar.zst"
trap 'rm -f "$partial"' EXIT
started=$(date +%s)
say "building $TARBALL ($SUITE $VARIANT + ${PACKAGES[*]})"

# Hooks, each for why it is there:
# - per-host SSH host keys are written when a host is made (known_hosts must stay valid across rebuilds),
#   so the ones openssh-server's postinst generated would only be shared secrets between hosts;
# - ssh.service must start at boot: enabled explicitly rather than trusting a postinst run without systemd;
# - console-getty would hold the read-only nspawn console and log login prompts nobody answers;
# - an empty machine-id lets systemd make a fresh one per boot, like a freshly imaged server.
# Documentation and translations are left out: they double the extract time and no test reads them.
# shellcheck disable=SC2016 # the hooks are expanded by mmdebstrap's shell, with $1 the root
mmdebstrap \
  --variant="$VARIANT" \
  --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
  --customize-hook='systemctl --root="$1" enable ssh.service' \
  --customize-hook='systemctl --root="$1" mask console-getty.service getty@tty1.service' \
  --customize-hook=': > "$1/etc/machine-id"' \
  "$SUITE" "$partial" ${MIRROR:+"$MIRROR"} >&2

mv "$partial" "$TARBALL"
trap - EXIT
for old in "$CACHE_DIR"/debian-"$SUITE"-*.tar.zst; do
  [ "$old" = "$TARBALL" ] || rm -f "$old"
done
say "built in $(( $(date +%s) - started ))s, $(du -h "$TARBALL" | cut -f1)"
printf '%s\n' "$TARBALL"
