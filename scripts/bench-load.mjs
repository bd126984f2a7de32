// Load-phase benchmark: `node scripts/bench-load.mjs [--pipelines 1000] [--runs 5] [--keep]`
//
// Builds src/load + src/dsl with esbuild into a temp package laid out like the published one
// (`dist/`, code splitting, so the loader finds `dist/dsl/index.js` as it would when installed),
// generates N pipelines of ~60 lines that all import a shared defaults module, and times
// `discoverPipelineFiles` + `loadPipelineModules` in fresh Node processes:
//   cold  = cache directory deleted before each run (esbuild runs),
//   warm  = nothing changed since the previous run (bundle reused, esbuild not started),
// plus a second load in the same process, and three error paths (cold): a syntax error in one
// pipeline, a pipeline that throws, and a pipeline importing a missing npm package.
// Every run checks all N values. Reports medians (ms): the load call itself and the whole process.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { pipelineSource, writeBenchProject } from './bench-project.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { pipelines: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' }, keep: { type: 'boolean' } },
});
const count = Number(values.pipelines);
const runs = Number(values.runs);

const work = mkdtempSync(join(tmpdir(), 'pw-bench-load-'));
const pkg = join(work, 'pkg');
const project = join(work, 'project');

// The package under test: dist/ built from src/ like scripts/build.mjs does.
mkdirSync(pkg, { recursive: true });
writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'pipewright', type: 'module' }));
symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'), 'dir');
await build({
  absWorkingDir: repo,
  entryPoints: ['src/load/loader.ts', 'src/load/discover.ts', 'src/dsl/index.ts'],
  outdir: join(pkg, 'dist'),
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

// The project: N pipelines + shared defaults; an (empty) node_modules, as in a real project.
writeBenchProject(project, count);
mkdirSync(join(project, 'node_modules'));
const pipelineFile = (i) => join(project, 'pipelines', `p${String(i).padStart(5, '0')}.pipeline.ts`);
const cacheDirectory = join(project, 'node_modules', '.cache');

const RUNNER = `
const started = performance.now();
const { discoverPipelineFiles } = await import(${JSON.stringify(pathToFileURL(join(pkg, 'dist/load/discover.js')).href)});
const { loadPipelineModules } = await import(${JSON.stringify(pathToFileURL(join(pkg, 'dist/load/loader.js')).href)});
const imported = performance.now();
const root = process.argv[1];
const cpuBefore = process.cpuUsage();
const files = await discoverPipelineFiles(root);
const result = await loadPipelineModules(files, { root });
const loaded = performance.now();
const cpu = process.cpuUsage(cpuBefore);
const again = await loadPipelineModules(files, { root });
const reloaded = performance.now();
let good = 0;
const problems = [];
for (const [i, m] of result.modules.entries()) {
  if (m.diagnostics.length === 0 && m.value?.environment?.SERVICE === 'service-' + i && m.value.stages.length === 4) good++;
  for (const d of m.diagnostics) problems.push(d.code + ' ' + d.location.file + ':' + d.location.line + ':' + d.location.column + ' ' + d.message.slice(0, 100));
}
console.log(JSON.stringify({
  importMs: imported - started,
  loadMs: loaded - imported,
  loadCpuMs: (cpu.user + cpu.system) / 1000,
  inProcessWarmMs: reloaded - loaded,
  good,
  sameValuesInProcess: again.modules.every((m, i) => m.value === result.modules[i].value),
  problems: problems.slice(0, 5),
  rssMb: process.resourceUsage().maxRSS / 1024,
}));
`;

function run() {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', RUNNER, project], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`runner failed:\n${child.stderr}`);
  return { wallMs, ...JSON.parse(child.stdout) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = (label, samples) => {
  const last = samples[samples.length - 1];
  console.log(
    `${label.padEnd(30)} load ${median(samples.map((s) => s.loadMs)).toFixed(0).padStart(5)} ms (node cpu ${median(samples.map((s) => s.loadCpuMs)).toFixed(0).padStart(4)})` +
      `   process ${median(samples.map((s) => s.wallMs)).toFixed(0).padStart(5)} ms` +
      `   in-process reload ${median(samples.map((s) => s.inProcessWarmMs)).toFixed(1).padStart(5)} ms` +
      `   rss ${median(samples.map((s) => s.rssMb)).toFixed(0)} MB   ok ${last.good}/${count}` +
      (last.problems.length ? `\n${' '.repeat(36)}${last.problems.join(`\n${' '.repeat(36)}`)}` : ''),
  );
};
const clearCache = () => rmSync(cacheDirectory, { recursive: true, force: true });

console.log(`${count} pipelines (~60 lines each) + shared defaults; ${runs} runs per scenario, medians; node ${process.version}; load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
console.log('load = discover + loadPipelineModules in a fresh process (node cpu: that process only, esbuild runs in its own);');
console.log('process = whole child process wall time, Node start-up included');
const cold = [];
const warm = [];
for (let r = 0; r < runs; r++) {
  clearCache();
  cold.push(run());
  warm.push(run());
}
summary('cold (esbuild bundle)', cold);
summary('warm (bundle reused)', warm);

function errorScenario(label, index, source) {
  writeFileSync(pipelineFile(index), source);
  const samples = [];
  for (let r = 0; r < Math.min(runs, 3); r++) {
    clearCache();
    samples.push(run());
  }
  summary(label, samples);
  writeFileSync(pipelineFile(index), pipelineSource(index));
}
errorScenario('cold, 1 syntax error', 500, pipelineSource(500).replace("AWS_REGION: 'eu-west-1',", "AWS_REGION: 'eu-west-1' oops,"));
errorScenario('cold, 1 throws', 500, pipelineSource(500).replace('// Synthetic', "throw new Error('boom');\n// Synthetic"));
errorScenario('cold, 1 missing npm package', 500, `import 'surely-not-installed-pw-bench';\n${pipelineSource(500)}`);

if (values.keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
