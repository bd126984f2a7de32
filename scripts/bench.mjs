// pipewright benchmark: `npm run bench [-- --pipelines 1000 --scale 10 --fleet 1000 --runs 5 --json FILE]`
//
// Generates N synthetic pipelines (about 60 lines each, all importing a shared defaults module)
// in a temp directory and measures, with the built CLI in child processes (wall time, peak RSS of
// the CLI process and of its whole process tree, Node start-up included; medians of --runs):
//   cold compile (no cache, no outputs; the old outputs are moved aside and deleted after the
//   run), warm compile (nothing changed: the first run right after the cold compile, then the
//   steady state once the outputs settled, see warmRuns), cold compile --check and cold lint (outputs present, no
//   cache: what CI runs), `--help`, and cold compile of N×scale pipelines;
// the real-service fleet (#14): F copies of pipelines/payments-api.pipeline.ts with distinct names,
//   the repository's org defaults and pipewright.config.ts (so it follows the presets), cold and
//   warm compile, cold --check and cold lint;
// the floor of each project (esbuild bundling its modules + writing as many files of the same
//   size, in one process), so each figure can be read as a ratio on this noisy machine;
// and, in process, watch-mode latency from a source write to the rewritten Jenkinsfile for a
// single-pipeline edit (50 edits, p50/p95) and for an edit of the shared module.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SHARED, treeRssKb, writeBenchProject, writeFleetProject } from './bench-project.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '1000' },
    scale: { type: 'string', default: '10' },
    edits: { type: 'string', default: '50' },
    fleet: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    json: { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('npm run bench [-- --pipelines 1000 --scale 10 --fleet 1000 --runs 5 --edits 50 --json FILE --keep]; back-to-back comparison of two builds: scripts/bench-ab.mjs');
  process.exit(0);
}
const count = Number(values.pipelines);
const scale = Number(values.scale);
const edits = Number(values.edits);
const fleet = Number(values.fleet);
const runs = Number(values.runs);
const cli = join(repo, 'bin', 'pipewright.js');

/** F copies of the company's payments-api pipeline (distinct names), its org defaults and config. */
function makeFleet(n) {
  const root = mkdtempSync(join(tmpdir(), `pipewright-fleet-${n}-`));
  writeFleetProject(root, n, repo);
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

/**
 * Runs the CLI in a child process. Wall time and peak RSS of the CLI process (its own
 * resourceUsage, worker threads included) and of the whole process tree (esbuild's service
 * process included), sampled every 10 ms.
 */
function runCli(args, { expectCode } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let treePeakKb = 0;
    const sampler = setInterval(() => (treePeakKb = Math.max(treePeakKb, treeRssKb(child.pid))), 10);
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const rssMb = Number(/PEAK_RSS_KB (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
      if (expectCode !== undefined && status !== expectCode) {
        reject(new Error(`pipewright ${args.join(' ')} exited ${status}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
        return;
      }
      resolvePromise({ seconds, rssMb, treeMb: Math.max(treePeakKb / 1024, rssMb), status, stdout });
    });
  });
}

/**
 * Moves `dirs` of `root` aside before a cold run, and deletes them after it: deleting a tree of
 * 1,000 directories right before a run slows the run's own mkdirs on this disk (issue #14).
 */
async function coldRun(root, dirs, args, options) {
  const trash = mkdtempSync(join(tmpdir(), 'pipewright-bench-trash-'));
  for (const dir of dirs) if (existsSync(join(root, dir))) renameSync(join(root, dir), join(trash, dir.replaceAll('/', '_')));
  try {
    return await runCli(args, options);
  } finally {
    rmSync(trash, { recursive: true, force: true });
  }
}

const CACHES = ['.pipewright-cache', 'node_modules/.cache'];

async function repeat(n, run) {
  const results = [];
  for (let i = 0; i < n; i++) results.push(await run());
  return results;
}

const summary = (runs) => ({
  seconds: median(runs.map((r) => r.seconds)),
  peakRssMb: Math.max(...runs.map((r) => r.rssMb)),
  treeMb: Math.max(...runs.map((r) => r.treeMb)),
  status: runs[0].status,
});

/**
 * The floor of a cold compile, in one fresh process: esbuild bundling the project's pipeline
 * modules (pipewright itself external) and writing as many files of the same sizes as the compile
 * wrote below generated/ (the Jenkinsfiles, and the IAM policies beside those that assume roles).
 */
function measureFloor(root) {
  const generated = join(root, 'generated');
  const sizes = readdirSync(generated, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => [join(entry.parentPath, entry.name).slice(generated.length + 1), statSync(join(entry.parentPath, entry.name)).size]);
  const jenkinsfiles = sizes.filter(([file]) => file.endsWith('Jenkinsfile'));
  const averageJenkinsfileBytes = Math.round(jenkinsfiles.reduce((sum, [, size]) => sum + size, 0) / Math.max(1, jenkinsfiles.length));
  const script = `
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
const root = process.argv[1];
const sizesJson = readFileSync(0, 'utf8');
const dir = join(root, 'pipelines');
const files = readdirSync(dir).filter((f) => f.endsWith('.pipeline.ts')).map((f) => join(dir, f));
const t0 = performance.now();
await build({ stdin: { contents: files.map((f, i) => 'export * as m' + i + ' from ' + JSON.stringify(f) + ';').join('\\n'), resolveDir: root, loader: 'ts' },
  bundle: true, format: 'esm', platform: 'node', external: ['pipewright', 'pipewright/*'], write: false, logLevel: 'silent' });
const t1 = performance.now();
const out = join(root, 'floor-out');
for (const [file, size] of JSON.parse(sizesJson)) { const target = join(out, file); mkdirSync(dirname(target), { recursive: true }); writeFileSync(target, 'x'.repeat(size)); }
const t2 = performance.now();
process.stdout.write(JSON.stringify({ bundleMs: t1 - t0, writeMs: t2 - t1 }));
`;
  const started = performance.now();
  // The sizes go through stdin: one argument may not exceed 128 KB (5,000 files of a fleet do).
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, root], { cwd: repo, encoding: 'utf8', input: JSON.stringify(sizes), maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  rmSync(join(root, 'floor-out'), { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`floor measurement failed: ${result.error ?? result.stderr}`);
  return { seconds, files: sizes.length, averageJenkinsfileBytes, ...JSON.parse(result.stdout) };
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

/**
 * Warm compiles (nothing changed). The first runs right after the cold compile wrote the outputs:
 * they are too young for their stat stamps to be trusted (src/cache/file-stamp.ts, git's racy
 * rule), so that run reads and hashes every output. The timed runs are the steady state a
 * developer's next compile sees: after the outputs settled and one run recorded their stamps.
 */
async function warmRuns(root) {
  const first = await runCli(['compile', '--root', root, '--quiet'], { expectCode: 0 });
  await new Promise((resolveSleep) => setTimeout(resolveSleep, 3500));
  await runCli(['compile', '--root', root, '--quiet'], { expectCode: 0 });
  return { first, steady: summary(await repeat(runs, () => runCli(['compile', '--root', root, '--quiet'], { expectCode: 0 }))) };
}

const results = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length }, pipelines: count, runs };
const root = makeProject(count);
try {
  // Cold: no outputs and no caches (bundle and results), moved aside before each run.
  const coldRuns = await repeat(runs, () => coldRun(root, ['generated', ...CACHES], ['compile', '--root', root, '--quiet'], { expectCode: 0 }));
  results.coldCompile = summary(coldRuns);
  results.floor = measureFloor(root);
  const warm = await warmRuns(root);
  results.warmCompile = warm.steady;
  results.warmFirst = { seconds: warm.first.seconds, peakRssMb: warm.first.rssMb, treeMb: warm.first.treeMb, status: warm.first.status };
  // What CI runs: outputs present, no cache.
  results.check = summary(await repeat(runs, () => coldRun(root, CACHES, ['compile', '--check', '--root', root], { expectCode: 0 })));
  results.lint = summary(await repeat(runs, () => coldRun(root, CACHES, ['lint', '--root', root, '--format', 'json', '--output', join(root, 'lint.json')])));
  results.help = summary(await repeat(runs, () => runCli(['--help'])));
  results.watch = await watchLatency(root, count);
} finally {
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}
if (fleet > 0) {
  const root = makeFleet(fleet);
  try {
    const cold = await repeat(runs, () => coldRun(root, ['generated', ...CACHES], ['compile', '--root', root, '--quiet']));
    const floor = measureFloor(root);
    const warm = await warmRuns(root);
    const check = await repeat(runs, () => coldRun(root, CACHES, ['compile', '--check', '--root', root]));
    const lint = await repeat(runs, () => coldRun(root, CACHES, ['lint', '--root', root, '--format', 'json', '--output', join(root, 'lint.json')]));
    results.fleet = { pipelines: fleet, floor, cold: summary(cold), warm: warm.steady, warmFirst: { seconds: warm.first.seconds, peakRssMb: warm.first.rssMb, treeMb: warm.first.treeMb, status: warm.first.status }, check: summary(check), lint: summary(lint) };
  } finally {
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  }
}
if (scale > 1) {
  const big = makeProject(count * scale);
  try {
    const run = await runCli(['compile', '--root', big, '--quiet'], { expectCode: 0 });
    results.scaled = { pipelines: count * scale, seconds: run.seconds, peakRssMb: run.rssMb, treeMb: run.treeMb, ratio: run.seconds / results.coldCompile.seconds };
  } finally {
    rmSync(big, { recursive: true, force: true });
  }
}

const ratio = (row, floor) => `${(row.seconds / floor.seconds).toFixed(1)}× floor`;
const rows = [
  ['cold compile', `${count}`, results.coldCompile, `≤ 1.0 s, ≤ 300 MB; ${ratio(results.coldCompile, results.floor)}`],
  ['warm compile (no change)', `${count}`, results.warmCompile, '≤ 0.5 s'],
  ['warm compile, first run after writing (1 run)', `${count}`, results.warmFirst, 'outputs younger than 3 s are read and hashed'],
  ['cold compile --check (no cache)', `${count}`, results.check, '≤ 0.8 s'],
  ['cold lint (no cache)', `${count}`, results.lint, `≤ 0.8 s (exit ${results.lint.status})`],
  ['pipewright --help', '', results.help, 'keep (~0.07 s)'],
  ...(results.fleet
    ? [
        ['real-service fleet: cold compile', `${fleet}`, results.fleet.cold, `≤ 2.5 s (≤ 3× floor), ≤ 400 MB; ${ratio(results.fleet.cold, results.fleet.floor)} (exit ${results.fleet.cold.status})`],
        ['real-service fleet: warm compile', `${fleet}`, results.fleet.warm, `≤ 0.5 s (exit ${results.fleet.warm.status})`],
        ['real-service fleet: warm compile, first run after writing (1 run)', `${fleet}`, results.fleet.warmFirst, 'outputs younger than 3 s are read and hashed'],
        ['real-service fleet: cold compile --check', `${fleet}`, results.fleet.check, `≤ 2.0 s (≤ 2.5× floor); ${ratio(results.fleet.check, results.fleet.floor)} (exit ${results.fleet.check.status})`],
        ['real-service fleet: cold lint', `${fleet}`, results.fleet.lint, `≤ 2.0 s (≤ 2.5× floor); ${ratio(results.fleet.lint, results.fleet.floor)} (exit ${results.fleet.lint.status})`],
      ]
    : []),
  ...(results.scaled
    ? [['cold compile', `${results.scaled.pipelines}`, { seconds: results.scaled.seconds, peakRssMb: results.scaled.peakRssMb, treeMb: results.scaled.treeMb }, `≤ 8 s, tree ≤ 600 MB; ${results.scaled.ratio.toFixed(1)}× the 1,000 cold run`]]
    : []),
];
console.log(`pipewright bench — Node ${process.version}, ${results.machine.cpus} CPUs, medians of ${runs} runs\n`);
// Peak RSS: the CLI process (its sandbox worker threads included); tree: the CLI process and every
// process below it (esbuild's service), sampled every 10 ms.
console.log('| task | pipelines | wall (s) | peak RSS (MB) | process tree (MB) | target |');
console.log('|---|---|---|---|---|---|');
const mb = (value) => (Number.isFinite(value) ? value.toFixed(0) : '–');
for (const [task, n, row, target] of rows) console.log(`| ${task} | ${n} | ${row.seconds.toFixed(3)} | ${mb(row.peakRssMb)} | ${mb(row.treeMb)} | ${target} |`);
const floorLine = (label, floor) =>
  `${label}: ${floor.seconds.toFixed(3)} s in one process (esbuild bundle ${floor.bundleMs.toFixed(0)} ms, writing ${floor.files} files ${floor.writeMs.toFixed(0)} ms; Jenkinsfiles ${floor.averageJenkinsfileBytes} B on average)`;
console.log(`\n${floorLine(`floor, ${count} synthetic`, results.floor)}`);
if (results.fleet) console.log(floorLine(`floor, ${fleet} real-service`, results.fleet.floor));
console.log(
  `\nwatch: single-pipeline edit p50 ${results.watch.singleP50.toFixed(1)} ms, p95 ${results.watch.singleP95.toFixed(1)} ms over ${edits} edits (target p95 ≤ 100 ms); ` +
    `shared module imported by ${count} pipelines: ${results.watch.sharedMs.toFixed(0)} ms (target ≤ 1000 ms)`,
);
console.log(`\n${JSON.stringify(results)}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
if (!existsSync(join(repo, 'dist'))) console.error('note: run `npm run build` first');
