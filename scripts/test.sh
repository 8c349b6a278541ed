#!/usr/bin/env bash
# The README's second command (`npm test`): installs what the tests need, then type check, lint and the whole suite.
# Needs root: lab tests create network namespaces and sshd processes (all removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
bash scripts/node-deps.sh
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint --max-warnings 0 .
echo "== tests"
npx vitest run "$@"
