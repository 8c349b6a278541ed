#!/usr/bin/env bash
# Installs the Debian packages pine's lab (and later tests) need; idempotent, safe to run again.
#
# Usage: scripts/setup-system.sh [EXTRA_PACKAGE...]
# The lab runs its own sshd per test host inside network namespaces; it never uses the
# machine's own sshd, so if the distro starts one on port 22 that is harmless.
set -euo pipefail

BASE_PACKAGES=(openssh-server openssh-client iproute2 busybox-static)
# Lab hosts with their own root filesystem: `debian` hosts are a cached mmdebstrap tarball
# (zstd) booted under systemd-nspawn; `busybox` hosts chroot sshd into a busybox-only tree.
ROOTFS_PACKAGES=(systemd-container mmdebstrap zstd util-linux)
# Tests look at what runs on a lab host: strace counts the programs a fact's command starts.
TEST_PACKAGES=(strace)

say() { printf 'setup-system: %s\n' "$*"; }
die() { printf 'setup-system: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo $0 $*)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian and Ubuntu only"
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian and Ubuntu only"

for name in "$@"; do
  [[ "$name" =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "not a Debian package name: '$name'"
done

is_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing=()
for package in "${BASE_PACKAGES[@]}" "${ROOTFS_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "$@"; do
  if is_installed "$package"; then
    say "$package: already installed"
  else
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  say "nothing to install"
else
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists once, and only when something has to be installed.
  say "apt-get update"
  apt-get update -q
  say "apt-get install -y --no-install-recommends ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# sshd refuses to start without its privilege separation directory; on machines without
# systemd nothing creates it at boot. The lab creates it too; this makes `sshd -t` work by hand.
if [ ! -d /run/sshd ]; then
  say "mkdir /run/sshd"
  mkdir -p -m 0755 /run/sshd
fi

say "done"
