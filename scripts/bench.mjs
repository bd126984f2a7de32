// pipewright benchmark: `npm run bench [-- --pipelines 1000 --scale 10 --json FILE]`
//
// Generates N synthetic pipelines (about 60 lines each, all importing a shared defaults module)
// in a temp directory and measures, with the built CLI in child processes (wall time and peak
// RSS of the whole process, Node start-up included):
//   cold compile (no cache, no outputs), warm compile (nothing changed), compile --check,
//   lint (when the lint command exists), and cold compile of N×scale pipelines;
// the real-service fleet (#14): F copies of pipelines/payments-api.pipeline.ts with distinct names,
//   the repository's org defaults and pipewright.config.ts (so it follows the presets), cold and
//   warm compile, --check and lint;
// and, in process, watch-mode latency from a source write to the rewritten Jenkinsfile for a
// single-pipeline edit (50 edits, p50/p95) and for an edit of the shared module.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SHARED, writeBenchProject } from './bench-project.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '1000' },
    scale: { type: 'string', default: '10' },
    edits: { type: 'string', default: '50' },
    fleet: { type: 'string', default: '1000' },
    json: { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const count = Number(values.pipelines);
const scale = Number(values.scale);
const edits = Number(values.edits);
const fleet = Number(values.fleet);
const cli = join(repo, 'bin', 'pipewright.js');

/** F copies of the company's payments-api pipeline (distinct names), its org defaults and config. */
function makeFleet(n) {
  const root = mkdtempSync(join(tmpdir(), `pipewright-fleet-${n}-`));
  mkdirSync(join(root, 'pipelines'), { recursive: true });
  cpSync(join(repo, 'pipelines', 'shared'), join(root, 'pipelines', 'shared'), { recursive: true });
  cpSync(join(repo, 'pipewright.config.ts'), join(root, 'pipewright.config.ts'));
  const source = readFileSync(join(repo, 'pipelines', 'payments-api.pipeline.ts'), 'utf8');
  if (!source.includes("name: 'payments-api',")) throw new Error('payments-api.pipeline.ts no longer sets name: the fleet generator needs updating');
  for (let i = 0; i < n; i++) {
    const name = `payments-api-${String(i).padStart(4, '0')}`;
    writeFileSync(join(root, 'pipelines', `${name}.pipeline.ts`), source.replace("name: 'payments-api',", `name: '${name}',`));
  }
  return root;
}

function makeProject(n) {
  const root = mkdtempSync(join(tmpdir(), `pipewright-bench-${n}-`));
  writeBenchProject(root, n);
  return root;
}

// Child process that runs the CLI and reports its own peak RSS (kB) on stderr's last line.
const RUNNER = `
const { main } = await import(${JSON.stringify(new URL('../dist/cli/main.js', import.meta.url).href)});
const code = await main(process.argv.slice(1));
process.stderr.write('\\nPEAK_RSS_KB ' + process.resourceUsage().maxRSS + '\\n');
process.exit(code);
`;

function runCli(args, { expectCode } = {}) {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', RUNNER, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const seconds = (performance.now() - started) / 1000;
  const rss = Number(/PEAK_RSS_KB (\d+)/.exec(result.stderr)?.[1] ?? NaN) / 1024;
  if (expectCode !== undefined && result.status !== expectCode) {
    throw new Error(`pipewright ${args.join(' ')} exited ${result.status}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  }
  return { seconds, rssMb: rss, status: result.status, stdout: result.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function watchLatency(root, n) {
  const { watchProject } = await import(new URL('../dist/index.js', import.meta.url).href);
  let resolveNext;
  const watcher = watchProject({
    root,
    debounceMs: 5,
    onRebuild: (event) => resolveNext?.(event),
    onError: (error) => console.error('watch error', error),
  });
  await watcher.ready;
  const waitRebuild = () => new Promise((r) => (resolveNext = r));
  const target = join(root, 'pipelines', 'p00000.pipeline.ts');
  const original = readFileSync(target, 'utf8');
  const single = [];
  for (let i = 0; i < edits; i++) {
    const next = waitRebuild();
    const t0 = performance.now();
    writeFileSync(target, original.replace("'packaged service-0'", `'packaged service-0 edit ${i}'`));
    const event = await next;
    single.push(performance.now() - t0);
    if (event.recompiled.length !== 1) throw new Error(`expected 1 recompiled pipeline, got ${event.recompiled.length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const shared = join(root, 'pipelines', 'shared', 'defaults.ts');
  const next = waitRebuild();
  const t0 = performance.now();
  writeFileSync(shared, SHARED.replace('VERSION = 1', 'VERSION = 2'));
  const event = await next;
  const sharedMs = performance.now() - t0;
  await watcher.close();
  if (event.recompiled.length !== n) throw new Error(`shared edit recompiled ${event.recompiled.length}, expected ${n}`);
  return { singleP50: median(single), singleP95: percentile(single, 95), sharedMs };
}

const results = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length }, pipelines: count };
const root = makeProject(count);
try {
  // Cold: no outputs and no caches (bundle and results), median of three runs.
  const coldRuns = [1, 2, 3].map(() => {
    for (const dir of ['generated', '.pipewright-cache', 'node_modules/.cache']) rmSync(join(root, dir), { recursive: true, force: true });
    return runCli(['compile', '--root', root, '--quiet'], { expectCode: 0 });
  });
  const cold = { seconds: median(coldRuns.map((r) => r.seconds)), rssMb: Math.max(...coldRuns.map((r) => r.rssMb)) };
  const warmRuns = [1, 2, 3].map(() => runCli(['compile', '--root', root, '--quiet'], { expectCode: 0 }));
  const checkRuns = [1, 2, 3].map(() => runCli(['compile', '--check', '--root', root], { expectCode: 0 }));
  results.coldCompile = { seconds: cold.seconds, peakRssMb: cold.rssMb };
  results.warmCompile = { seconds: median(warmRuns.map((r) => r.seconds)), peakRssMb: Math.max(...warmRuns.map((r) => r.rssMb)) };
  results.check = { seconds: median(checkRuns.map((r) => r.seconds)), peakRssMb: Math.max(...checkRuns.map((r) => r.rssMb)) };
  const lintProbe = runCli(['lint', '--help']);
  if (lintProbe.status === 0) {
    const lintRuns = [1, 2, 3].map(() => runCli(['lint', '--root', root, '--format', 'json', '--output', join(root, 'lint.json')]));
    results.lint = { seconds: median(lintRuns.map((r) => r.seconds)), peakRssMb: Math.max(...lintRuns.map((r) => r.rssMb)) };
  }
  results.watch = await watchLatency(root, count);
} finally {
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}
if (fleet > 0) {
  const root = makeFleet(fleet);
  try {
    const cold = [1, 2, 3].map(() => {
      for (const dir of ['generated', '.pipewright-cache', 'node_modules/.cache']) rmSync(join(root, dir), { recursive: true, force: true });
      return runCli(['compile', '--root', root, '--quiet']);
    });
    const warm = [1, 2, 3].map(() => runCli(['compile', '--root', root, '--quiet']));
    const check = [1, 2, 3].map(() => runCli(['compile', '--check', '--root', root]));
    const lint = [1, 2, 3].map(() => runCli(['lint', '--root', root, '--format', 'json', '--output', join(root, 'lint.json')]));
    const summary = (runs) => ({ seconds: median(runs.map((r) => r.seconds)), peakRssMb: Math.max(...runs.map((r) => r.rssMb)), status: runs[0].status });
    results.fleet = { pipelines: fleet, cold: summary(cold), warm: summary(warm), check: summary(check), lint: summary(lint) };
  } finally {
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  }
}
if (scale > 1) {
  const big = makeProject(count * scale);
  try {
    const run = runCli(['compile', '--root', big, '--quiet'], { expectCode: 0 });
    results.scaled = { pipelines: count * scale, seconds: run.seconds, peakRssMb: run.rssMb, ratio: run.seconds / results.coldCompile.seconds };
  } finally {
    rmSync(big, { recursive: true, force: true });
  }
}

const rows = [
  ['cold compile', `${count}`, results.coldCompile.seconds, results.coldCompile.peakRssMb, '≤ 1.0 s, ≤ 300 MB'],
  ['warm compile (no change)', `${count}`, results.warmCompile.seconds, results.warmCompile.peakRssMb, '≤ 0.5 s'],
  ['compile --check', `${count}`, results.check.seconds, results.check.peakRssMb, '≤ 1.0 s'],
  ...(results.lint ? [['lint', `${count}`, results.lint.seconds, results.lint.peakRssMb, '≤ 1.5 s']] : []),
  ...(results.fleet
    ? [
        ['real-service fleet: cold compile', `${fleet}`, results.fleet.cold.seconds, results.fleet.cold.peakRssMb, `≤ 2.5 s, ≤ 400 MB (exit ${results.fleet.cold.status})`],
        ['real-service fleet: warm compile', `${fleet}`, results.fleet.warm.seconds, results.fleet.warm.peakRssMb, `≤ 0.5 s (exit ${results.fleet.warm.status})`],
        ['real-service fleet: compile --check', `${fleet}`, results.fleet.check.seconds, results.fleet.check.peakRssMb, `≤ 2.0 s (exit ${results.fleet.check.status})`],
        ['real-service fleet: lint', `${fleet}`, results.fleet.lint.seconds, results.fleet.lint.peakRssMb, `≤ 2.0 s (exit ${results.fleet.lint.status})`],
      ]
    : []),
  ...(results.scaled
    ? [['cold compile', `${results.scaled.pipelines}`, results.scaled.seconds, results.scaled.peakRssMb, `≤ ${scale}× (${results.scaled.ratio.toFixed(1)}×)`]]
    : []),
];
console.log(`pipewright bench — Node ${process.version}, ${results.machine.cpus} CPUs\n`);
console.log('| task | pipelines | wall (s) | peak RSS (MB) | target |');
// Peak RSS is the CLI process's (its sandbox worker threads included; esbuild's own service process is not).
console.log('|---|---|---|---|---|');
for (const [task, n, s, mb, target] of rows) console.log(`| ${task} | ${n} | ${s.toFixed(3)} | ${mb.toFixed(0)} | ${target} |`);
console.log(
  `\nwatch: single-pipeline edit p50 ${results.watch.singleP50.toFixed(1)} ms, p95 ${results.watch.singleP95.toFixed(1)} ms over ${edits} edits (target p95 ≤ 100 ms); ` +
    `shared module imported by ${count} pipelines: ${results.watch.sharedMs.toFixed(0)} ms (target ≤ 1000 ms)`,
);
console.log(`\n${JSON.stringify(results)}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
if (!existsSync(join(repo, 'dist'))) console.error('note: run `npm run build` first');
