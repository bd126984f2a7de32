#!/usr/bin/env bash
# Re-measures every calibration fixture with the oracle and writes test/limits/fixtures/measured.json,
# and the valid Jenkinsfile corpus (test/corpus/valid) into test/limits/fixtures/measured-corpus.json;
# test/limits checks the estimator against both (±10%) without Java. Run build.sh first.
# Usage: scripts/cps-oracle/calibrate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$(cd "$here/../../test/limits/fixtures" && pwd)"
corpus="$(cd "$here/../../test/corpus/valid" && pwd)"
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
summarize() {
node - "$raw" "$here/build/commits.json" "$1" <<'JS'
const fs = require('node:fs');
const [raw, commits, out] = process.argv.slice(2);
const measured = JSON.parse(fs.readFileSync(raw, 'utf8'));
const fixtures = {};
for (const [file, modes] of Object.entries(measured)) {
  const entry = {};
  for (const [mode, r] of Object.entries(modes)) {
    if (r.error) throw new Error(`${file} (${mode}): ${r.error}`);
    const cps = Object.entries(r.methods).filter(([k]) => k.includes('___cps___')).map(([, v]) => v).sort((a, b) => b - a);
    entry[mode] = { largest: r.largest, overLimit: r.overLimit.length > 0, cpsMethods: cps };
  }
  fixtures[file] = entry;
}
const doc = { oracle: JSON.parse(fs.readFileSync(commits, 'utf8')), measuredAt: new Date().toISOString(), fixtures };
fs.writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
console.log(`wrote ${out} (${Object.keys(fixtures).length} fixtures)`);
JS
}
(cd "$fixtures" && "$here/measure.sh" --mode both *.Jenkinsfile > "$raw")
summarize "$fixtures/measured.json"
(cd "$corpus" && "$here/measure.sh" --mode both * > "$raw")
summarize "$fixtures/measured-corpus.json"
