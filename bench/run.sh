#!/usr/bin/env bash
# The side-by-side benchmark (issue 7) in one command, from a fresh clone, as root on Debian:
#   bash bench/run.sh [options]          options: see the header of bench/bench.ts; defaults fit a 15-minute budget
# Installs what is missing (GNU time, strace, OpenSSH server, ansible-core via apt-get; node_modules via npm ci),
# builds pine, then runs bench/bench.ts: labs up, pine / Ansible / floor on N = 10, 100, 250, 1000, labs down,
# results on top of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PINE_BENCH_STARTED_MS=$(($(date +%s%N) / 1000000))

missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v strace >/dev/null || missing+=(strace)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
command -v ansible-playbook >/dev/null || missing+=(ansible-core)
command -v nsenter >/dev/null || missing+=(util-linux)
command -v ip >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[bench] installing ${missing[*]}" >&2
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -d node_modules ] || timeout 600 npm ci --no-audit --no-fund
# pine is built into a private copy (bench/out/pine): other work in this checkout may rebuild dist/ while the benchmark
# runs, and a half-written dist/ would fail runs that have nothing to do with pine's speed.
snapshot="$PWD/bench/out/pine"
echo "[bench] building pine into $snapshot" >&2
rm -rf "$snapshot"
mkdir -p "$snapshot/bin" "$snapshot/bench"
# Type errors elsewhere in a checkout being worked on do not stop the emit: go on if the CLI came out.
timeout 600 node_modules/.bin/tsc -p tsconfig.build.json --outDir "$snapshot/dist" ||
  echo "[bench] tsc reported errors (see above); using what it emitted" >&2
[ -f "$snapshot/dist/src/cli/main.js" ] || { echo "[bench] the build produced no CLI" >&2; exit 1; }
timeout 120 node scripts/bundle.mjs "$snapshot/dist" || { echo "[bench] bundling pine failed" >&2; exit 1; }
cp bin/pine.js "$snapshot/bin/"
cp package.json "$snapshot/"
cp bench/deploy.ts "$snapshot/bench/"   # its `import ... from "pine"` then resolves to the copy
ln -s "$PWD/node_modules" "$snapshot/node_modules"
export PINE_BENCH_PINE_ROOT="$snapshot"

export PINE_BENCH_COMMAND="bash bench/run.sh${*:+ $*}"
# Bounded; SIGINT lets bench.ts tear the labs down (it gives up after 120 s).
exec timeout --signal=INT --kill-after=180 7200 node_modules/.bin/tsx bench/bench.ts "$@"
