#!/usr/bin/env bash
# The estimator without Java: scripts/cps-oracle/estimate.sh [--stages] FILE...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$here/build"
"$root/node_modules/.bin/esbuild" "$here/estimate.ts" --bundle --platform=node --format=esm \
  --outfile="$here/build/estimate.mjs" --log-level=warning
exec node "$here/build/estimate.mjs" "$@"
