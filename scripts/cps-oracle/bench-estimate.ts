// What the method-size check costs, measured in one fresh process (cold: module load and first
// calls included): the company pipelines are built with their presets, lowered and printed (what
// compile does between loading and writing), and checkLimits runs on each lowered AST.
// scripts/cps-oracle/bench-estimate.sh [copies]   (default 200 copies of each of the 3 ECS services)
import { performance } from 'node:perf_hooks';
const t0 = performance.now();
const { nodeService } = await import('../../src/index.ts');
const { lowerPipeline } = await import('../../src/lower/index.ts');
const { printJenkinsfile } = await import('../../src/jenkinsfile/print.ts');
const { validateSchema, checkStructure } = await import('../../src/validate/index.ts');
const { ecsEnvironments, notifyTo, org } = await import('../../pipelines/shared/org-defaults.ts');
const tLoaded = performance.now();
const { checkLimits } = await import('../../src/limits/check.ts');
const tLimitsLoaded = performance.now();

const copies = Number(process.argv[2] ?? 200);
const services = ['payments-api', 'ledger-service', 'notifications-worker'];
let compileMs = 0;
let checkMs = 0;
let checked = 0;
let largest = 0;
for (let i = 0; i < copies; i++) {
  for (const service of services) {
    const a = performance.now();
    const value = nodeService({ ...org, name: `${service}-${i}`, environments: ecsEnvironments(service, { approvers: ['release-managers'] }), notifications: notifyTo('#deploys'), smokeTest: './scripts/smoke.sh' });
    const schema = validateSchema(value);
    if (!schema.pipeline) throw new Error(JSON.stringify(schema.diagnostics.slice(0, 2)));
    checkStructure(schema.pipeline);
    const ast = lowerPipeline(schema.pipeline);
    printJenkinsfile(ast);
    const b = performance.now();
    const result = checkLimits(ast, { firstLine: 3 });
    const c = performance.now();
    compileMs += b - a;
    checkMs += c - b;
    checked++;
    largest = Math.max(largest, result.estimate.largest.bytes);
  }
}
console.log(JSON.stringify({
  pipelines: checked,
  moduleLoadMs: Math.round(tLoaded - t0),
  limitsModuleLoadMs: Math.round(tLimitsLoaded - tLoaded),
  buildLowerPrintMs: Math.round(compileMs),
  checkLimitsMs: Math.round(checkMs),
  checkPerPipelineMs: +(checkMs / checked).toFixed(3),
  checkShareOfBuildLowerPrint: +(checkMs / compileMs).toFixed(3),
  largestBytes: largest,
}));
