#!/usr/bin/env bash
# Installs pine's npm dependencies from package-lock.json when node_modules is missing or older than the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "node-deps: npm ci"
  npm ci --no-audit --no-fund
else
  echo "node-deps: node_modules is up to date"
fi
