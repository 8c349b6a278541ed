#!/usr/bin/env bash
# The benchmark without npm scripts: build pine, make sure GNU time and strace exist, run bench/facts.ts.
#   bench/run.sh [--sizes 10,50,100] [--runs 3] [...]   (options: see the header of bench/facts.ts)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v strace >/dev/null || missing+=(strace)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[bench] installing ${missing[*]}" >&2
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -d node_modules ] || timeout 600 npm ci --no-audit --no-fund
echo "[bench] building pine" >&2
timeout 600 node_modules/.bin/tsc -p tsconfig.build.json

export PINE_BENCH_COMMAND="bench/run.sh $*"
# The whole run is bounded too: 10,50,100 × 3 runs takes a few minutes.
exec timeout --signal=INT --kill-after=90 3600 node_modules/.bin/tsx bench/facts.ts "$@"
