#!/usr/bin/env bash
# The method-size check's cost (see bench-estimate.ts): scripts/cps-oracle/bench-estimate.sh [copies]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$here/build"
"$root/node_modules/.bin/esbuild" "$here/bench-estimate.ts" --bundle --platform=node --format=esm \
  --packages=external --outfile="$here/build/bench-estimate.mjs" --log-level=warning
exec node "$here/build/bench-estimate.mjs" "$@"
