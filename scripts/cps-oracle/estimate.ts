// Prints the estimator's figures (src/limits/method-size.ts) for Jenkinsfiles, without Java:
// scripts/cps-oracle/estimate.sh [--stages] FILE...
import { readFileSync } from 'node:fs';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { estimateMethodSize, METHOD_SIZE_LIMIT } from '../../src/limits/method-size.ts';

const args = process.argv.slice(2);
const showStages = args.includes('--stages');
let failed = false;
for (const file of args.filter((a) => a !== '--stages')) {
  const parsed = parseJenkinsfile(readFileSync(file, 'utf8'), file);
  if (!parsed.ast) {
    console.log(`${file}: does not parse`);
    failed = true;
    continue;
  }
  const estimate = estimateMethodSize(parsed.ast);
  const pct = ((100 * estimate.largest.bytes) / METHOD_SIZE_LIMIT).toFixed(1);
  console.log(`${file}: ${estimate.largest.bytes} bytes (${pct}% of ${METHOD_SIZE_LIMIT}) in ${estimate.largest.name}; max stage nesting ${estimate.maxStageDepth}`);
  if (showStages) {
    for (const s of [...estimate.stages].sort((a, b) => b.bytes - a.bytes)) {
      console.log(`  ${String(s.bytes).padStart(7)}  ${'  '.repeat(s.depth - 1)}${s.path.join(' > ')}${s.method === 'pipeline' ? '' : ` [${s.method}]`}`);
    }
  }
}
process.exitCode = failed ? 1 : 0;
