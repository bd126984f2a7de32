// Back-to-back cold compile of two pipewright builds on the same synthetic project:
//
//   node scripts/bench-ab.mjs --a <dir of build A> --b <dir of build B> [--pipelines 1000] [--runs 5]
//
// Each build dir is a package root with bin/pipewright.js and dist/ (e.g. a copy of the repository
// built with `node scripts/build.mjs --no-types`, one of them with a change reverted). Runs
// alternate A, B, A, B, ... so that machine noise hits both alike; every run is cold (no outputs,
// no cache). Prints the medians of wall time and of the CLI process's CPU time (user + system,
// esbuild's own process not included), and B's overhead over A: on a loaded machine the CPU time
// is the steadier figure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeBenchProject } from './bench-project.mjs';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    pipelines: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.a || !values.b) {
  console.log('node scripts/bench-ab.mjs --a <build dir> --b <build dir> [--pipelines 1000] [--runs 5]');
  process.exit(values.help ? 0 : 2);
}
const count = Number(values.pipelines);
const runs = Number(values.runs);
const root = mkdtempSync(join(tmpdir(), `pipewright-ab-${count}-`));
writeBenchProject(root, count);

// Runs the build's CLI in-process in a child and reports that process's CPU time on stderr.
const runner = (build) => `
const { main } = await import(${JSON.stringify(pathToFileURL(join(build, 'dist', 'cli', 'main.js')).href)});
const code = await main(process.argv.slice(1));
const cpu = process.cpuUsage();
process.stderr.write('\\nCPU_MS ' + (cpu.user + cpu.system) / 1000 + '\\n');
process.exit(code);
`;

function cold(build) {
  for (const dir of ['generated', '.pipewright-cache', 'node_modules/.cache']) rmSync(join(root, dir), { recursive: true, force: true });
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', runner(build), 'compile', '--root', root, '--quiet'], { encoding: 'utf8', cwd: build });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${build}: exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  const cpu = Number(/CPU_MS ([\d.]+)/.exec(result.stderr)?.[1]);
  return { ms, cpu };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
cold(values.a); // warm the file system and esbuild's binary once
cold(values.b);
const runsOf = { a: [], b: [] };
for (let i = 0; i < runs; i++) {
  runsOf.a.push(cold(values.a));
  runsOf.b.push(cold(values.b));
}
console.log(`cold compile, ${count} pipelines, medians of ${runs} alternating runs`);
for (const metric of ['ms', 'cpu']) {
  const a = median(runsOf.a.map((r) => r[metric]));
  const b = median(runsOf.b.map((r) => r[metric]));
  const label = metric === 'ms' ? 'wall' : 'CPU (CLI process)';
  const list = (rs) => rs.map((r) => (r[metric] / 1000).toFixed(3)).join(', ');
  console.log(`${label}: A ${(a / 1000).toFixed(3)} s [${list(runsOf.a)}]; B ${(b / 1000).toFixed(3)} s [${list(runsOf.b)}]; B - A ${((b - a) / 1000).toFixed(3)} s = ${(((b - a) / a) * 100).toFixed(1)}%`);
}
rmSync(root, { recursive: true, force: true });
