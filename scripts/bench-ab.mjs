// Back-to-back runs of two pipewright builds on the same project:
//
//   node scripts/bench-ab.mjs --a <dir of build A> --b <dir of build B>
//     [--pipelines 1000] [--runs 5] [--project synthetic|fleet] [--mode cold|warm|warm-first|check|lint]
//
// Each build dir is a package root with dist/ (e.g. `git worktree add /tmp/pw-before <commit>`
// built with `node scripts/build.mjs --no-types`). Runs alternate A, B, A, B, ... so that machine
// noise hits both alike. Modes: cold = compile with no outputs and no caches; warm = compile with
// outputs and caches of the same build present, settled (the steady state); warm-first = the same
// right after the compile that wrote them; check = `compile --check` with outputs, no cache;
// lint = `lint` with no cache. Old outputs and caches are moved aside before a run and deleted
// after it (deleting a 1,000-directory tree right before a run slows its mkdirs, issue #14).
// Prints medians of wall time, of the CLI process's CPU time (user + system; on a loaded machine
// the steadier figure) and of the peak RSS of the whole process tree (esbuild's service
// included, sampled from /proc every 10 ms), and B's change against A.
//
// --env-a/--env-b K=V,...: environment of each side's runs (e.g. the same build with
// PIPEWRIGHT_COMPILE_THREADS=1 against =2).
//
// --project fleet: N copies of pipelines/payments-api.pipeline.ts with distinct names, with the
// org defaults and pipewright.config.ts of build A's tree (the real-service fleet of issue #14).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { treeRssKb, writeBenchProject, writeFleetProject } from './bench-project.mjs';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    pipelines: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    project: { type: 'string', default: 'synthetic' },
    mode: { type: 'string', default: 'cold' },
    'env-a': { type: 'string', default: '' },
    'env-b': { type: 'string', default: '' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.a || !values.b) {
  console.log('node scripts/bench-ab.mjs --a <build dir> --b <build dir> [--pipelines 1000] [--runs 5] [--project synthetic|fleet] [--mode cold|warm|warm-first|check|lint] [--env-a K=V,...] [--env-b K=V,...]');
  process.exit(values.help ? 0 : 2);
}
const count = Number(values.pipelines);
const runs = Number(values.runs);
const mode = values.mode;
if (!['cold', 'warm', 'warm-first', 'check', 'lint'].includes(mode)) throw new Error(`unknown --mode ${mode}`);

// One project per build: the fleet is each build's own version of the company pipeline (a newer
// build may require what an older pipeline lacks, and the reverse); the synthetic project is the
// same for both.
const roots = new Map();
for (const build of new Set([values.a, values.b])) {
  const dir = mkdtempSync(join(tmpdir(), `pipewright-ab-${values.project}-${count}-`));
  if (values.project === 'fleet') writeFleetProject(dir, count, build);
  else writeBenchProject(dir, count);
  roots.set(build, dir);
}

// Runs the build's CLI in-process in a child and reports that process's CPU time on stderr.
const runner = (build) => `
const { main } = await import(${JSON.stringify(pathToFileURL(join(build, 'dist', 'cli', 'main.js')).href)});
const code = await main(process.argv.slice(1));
const cpu = process.cpuUsage();
process.stderr.write('\\nCPU_MS ' + (cpu.user + cpu.system) / 1000 + '\\n');
process.exit(code);
`;

/** `K=V,K2=V2` → an environment object. */
const envOf = (text) => Object.fromEntries(text.split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
let runEnv = {};

function runCli(build, args) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--input-type=module', '-e', runner(build), ...args], { cwd: build, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...runEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let treeKb = 0;
    const sampler = setInterval(() => (treeKb = Math.max(treeKb, treeRssKb(child.pid))), 10);
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(sampler);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = Number(/CPU_MS ([\d.]+)/.exec(stderr)?.[1]);
      resolvePromise({ ms, cpu, treeMb: treeKb / 1024, status, stdout, stderr });
    });
  });
}

const CACHES = ['.pipewright-cache', 'node_modules/.cache'];

async function movedAside(root, dirs, work) {
  const trash = mkdtempSync(join(tmpdir(), 'pipewright-ab-trash-'));
  for (const dir of dirs) if (existsSync(join(root, dir))) renameSync(join(root, dir), join(trash, dir.replaceAll('/', '_')));
  try {
    return await work();
  } finally {
    rmSync(trash, { recursive: true, force: true });
  }
}

const statusOf = new Map();
const settled = new Set();
/** One run of side `a` or `b`: its build, with its environment (`--env-a`/`--env-b`). */
async function run(side) {
  const build = values[side];
  runEnv = envOf(values[`env-${side}`]);
  const root = roots.get(build);
  const compile = ['compile', '--root', root, '--quiet'];
  let result;
  if (mode === 'cold') result = await movedAside(root, ['generated', ...CACHES], () => runCli(build, compile));
  else if (mode === 'warm-first') {
    // The outputs and caches of this same build, then the measured run right after them.
    await movedAside(root, ['generated', ...CACHES], () => runCli(build, compile));
    result = await runCli(build, compile);
  } else if (mode === 'warm') {
    // The steady state: this build's outputs and caches, written once, settled (older than the
    // stat stamps' 3 s racy window, src/cache/file-stamp.ts) and their stamps recorded.
    if (!settled.has(build)) {
      await movedAside(root, ['generated', ...CACHES], () => runCli(build, compile));
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 3500));
      await runCli(build, compile);
      settled.add(build);
    }
    result = await runCli(build, compile);
  } else if (mode === 'check') {
    // Checked against this build's own outputs (the builds may emit different text).
    if (!existsSync(join(root, 'generated'))) await runCli(build, compile);
    result = await movedAside(root, CACHES, () => runCli(build, ['compile', '--check', '--root', root]));
  } else result = await movedAside(root, CACHES, () => runCli(build, ['lint', '--root', root, '--format', 'json', '--output', join(root, 'lint.json')]));
  // Both builds must agree on the exit status (lint may exit 1 on findings, the same for both).
  const known = statusOf.get(mode);
  if (known === undefined) statusOf.set(mode, result.status);
  else if (known !== result.status) throw new Error(`${build}: exit ${result.status}, the other build exited ${known}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  if (mode !== 'lint' && result.status !== 0) throw new Error(`${build}: exit ${result.status}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  return result;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
try {
  await run('a'); // warm the file system and esbuild's binary once
  await run('b');
  const runsOf = { a: [], b: [] };
  for (let i = 0; i < runs; i++) {
    runsOf.a.push(await run('a'));
    runsOf.b.push(await run('b'));
  }
  console.log(`${mode} ${values.project}, ${count} pipelines, medians of ${runs} alternating runs`);
  for (const [metric, label, unit, scale] of [
    ['ms', 'wall', 's', 1000],
    ['cpu', 'CPU (CLI process)', 's', 1000],
    ['treeMb', 'peak RSS, process tree', 'MB', 1],
  ]) {
    const a = median(runsOf.a.map((r) => r[metric]));
    const b = median(runsOf.b.map((r) => r[metric]));
    const digits = unit === 's' ? 3 : 0;
    const list = (rs) => rs.map((r) => (r[metric] / scale).toFixed(digits)).join(', ');
    console.log(`${label}: A ${(a / scale).toFixed(digits)} ${unit} [${list(runsOf.a)}]; B ${(b / scale).toFixed(digits)} ${unit} [${list(runsOf.b)}]; B/A ${(b / a).toFixed(2)}`);
  }
} finally {
  for (const dir of roots.values()) rmSync(dir, { recursive: true, force: true });
}
