#!/usr/bin/env bash
# The README's first command (`npm run demo`): set up this machine, bring up a lab of real sshd hosts,
# and run pine against it — facts, a dry run, a deploy, and the same deploy again (nothing to change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
bash scripts/node-deps.sh
echo "== build"
npm run -s build
pine() { node bin/pine.js "$@"; }
step() { printf '\n\033[1m$ pine %s\033[0m\n' "$*"; }

step lab up --hosts 3
pine lab up --hosts 3
inventory=.lab/pine/inventory.yaml

step facts "$inventory" server.hostname server.distro server.kernel
pine facts "$inventory" server.hostname server.distro server.kernel

step exec "$inventory" -- uptime
pine exec "$inventory" -- uptime

step deploy "$inventory" demo --dry
pine deploy "$inventory" demo --dry

step deploy "$inventory" demo
pine deploy "$inventory" demo

step deploy "$inventory" demo "   # again: nothing left to change"
pine deploy "$inventory" demo

cat <<TXT

The lab is still up; try your own commands against $inventory, e.g.
  node bin/pine.js facts $inventory net.addresses block.devices --json
  node bin/pine.js exec $inventory -- 'cat /etc/os-release'
Tear it down with: node bin/pine.js lab down
TXT
