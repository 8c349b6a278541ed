#!/usr/bin/env bash
# A throwaway single-node etcd on 127.0.0.1 for the lock tests (and for trying the etcd lock backend by hand).
#
# Usage: scripts/etcd.sh start DIR   install Debian's etcd if missing, start etcd with its data in DIR/data,
#                                    write DIR/pid and DIR/endpoint (http://127.0.0.1:PORT), wait until /health answers
#        scripts/etcd.sh stop DIR    kill the etcd whose PID is in DIR/pid and remove DIR
#
# The ports are picked free at start; if another process takes one first, etcd exits and the next pair is tried.
set -euo pipefail

say() { printf 'etcd.sh: %s\n' "$*" >&2; }
die() { printf 'etcd.sh: error: %s\n' "$*" >&2; exit 1; }

HEALTH_WAIT_SECONDS=${ETCD_HEALTH_WAIT_SECONDS:-20}

is_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

ensure_installed() {
  local missing=() package
  for package in etcd-server etcd-client curl; do
    is_installed "$package" || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "etcd is not installed and apt-get is missing: install etcd (v3.4+) by hand"
  [ "$(id -u)" -eq 0 ] || die "etcd is not installed; installing ${missing[*]} needs root (try: sudo $0 start DIR)"
  export DEBIAN_FRONTEND=noninteractive
  say "installing ${missing[*]}"
  # Other scripts may be running apt at the same time: wait for dpkg's lock rather than failing.
  apt-get -q -o DPkg::Lock::Timeout=300 update >&2
  apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "${missing[@]}" >&2
}

port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    port_busy "$port" || { echo "$port"; return 0; }
  done
  die "no free TCP port found on 127.0.0.1"
}

alive() {
  kill -0 "$1" 2>/dev/null
}

start() {
  local dir=$1 attempt client peer pid endpoint
  ensure_installed
  mkdir -p "$dir"
  [ -f "$dir/pid" ] && alive "$(cat "$dir/pid")" && die "an etcd started from $dir already runs (PID $(cat "$dir/pid")); stop it first"
  for attempt in 1 2 3 4 5; do
    client=$(free_port)
    peer=$(free_port)
    [ "$client" = "$peer" ] && continue
    endpoint="http://127.0.0.1:$client"
    rm -rf "$dir/data"
    # setsid: etcd must not die with the caller's terminal or process group; it is stopped by PID only.
    setsid etcd --name pine-test --data-dir "$dir/data" \
      --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
      --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "pine-test=http://127.0.0.1:$peer" --initial-cluster-state new \
      >"$dir/etcd.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/pid"
    echo "$endpoint" >"$dir/endpoint"
    local deadline=$((SECONDS + HEALTH_WAIT_SECONDS))
    while alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
      if curl -fsS --max-time 2 "$endpoint/health" 2>/dev/null | grep -q '"health":"true"'; then
        say "etcd $(etcd --version | head -n1 | awk '{print $3}') up at $endpoint (PID $pid, data in $dir/data)"
        echo "$endpoint"
        return 0
      fi
      sleep 0.2
    done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      die "etcd (PID $pid) did not answer $endpoint/health within ${HEALTH_WAIT_SECONDS}s; its log: $(tail -n 5 "$dir/etcd.log")"
    fi
    say "attempt $attempt: etcd exited at start (port taken?): $(tail -n 2 "$dir/etcd.log" | tr '\n' ' ')"
  done
  die "etcd would not start after 5 attempts; see $dir/etcd.log"
}

stop() {
  local dir=$1 pid
  [ -d "$dir" ] || return 0
  # Only a directory this script set up is removed: never rm -rf a path that merely was passed in.
  [ -f "$dir/endpoint" ] || die "$dir was not made by '$0 start' (no endpoint file): not removing it"
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    if alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
      alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

[ $# -eq 2 ] || die "usage: $0 start|stop DIR"
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) die "unknown command '$1': use start or stop" ;;
esac
