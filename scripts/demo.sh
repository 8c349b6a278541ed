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

# The job pine exists for: the hijack install, on two Debian containers (systemd under nspawn, their own
# root filesystems), with pine's test rootfs built from Debian packages (cached after the first run).
# Fresh containers every run: after an install they run pine with new host keys, and the demo installs again.
step lab down --name pets
pine lab down --name pets
step lab up --name pets --hosts 2 --kind debian
pine lab up --name pets --hosts 2 --kind debian
pets=.lab/pets/inventory.yaml
echo "== building pine's test container image (cached after the first run)"
manifest=$(bash images/build.sh container)
rootfs=$(node -e 'const m=require(process.argv[1]); const a=m.artifacts["rootfs.pine_ovz.tar.gz"]; console.log(a.path + " " + a.sha256)' "$manifest")
image=${rootfs% *}; sha=${rootfs#* }
source_args=(--data "image.file=$image" --data "image.sha256=$sha" --data install.mode=container)

step deploy "$pets" install --dry "${source_args[@]}"
pine deploy "$pets" install --dry "${source_args[@]}"

step deploy "$pets" install --yes "${source_args[@]}"
pine deploy "$pets" install --yes "${source_args[@]}"

step exec "$pets" -- 'cat /etc/pine; ostree admin status'
pine exec "$pets" -- 'cat /etc/pine; ostree admin status'

cat <<TXT

The lab is still up; try your own commands against $inventory, e.g.
  node bin/pine.js facts $inventory net.addresses block.devices --json
  node bin/pine.js exec $inventory -- 'cat /etc/os-release'
The two pets now run pine OS: node bin/pine.js exec $pets -- 'cat /etc/pine'
Tear the labs down with: node bin/pine.js lab down; node bin/pine.js lab down --name pets
TXT
