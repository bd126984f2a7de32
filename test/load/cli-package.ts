/**
 * The real CLI as a separate process, for tests where the exit code is the point: the sources are
 * built (esbuild, the same entry points and options as scripts/build.mjs, types skipped) into a
 * temporary package next to a copy of bin/pipewright.js, once per test file, so no test depends
 * on (or races with) the shared dist/ of the repository.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const repo = path.resolve(import.meta.dirname, '../..');

export interface CliPackage {
  /** Absolute path of the package's bin/pipewright.js. */
  bin: string;
  remove(): void;
}

/** Builds the package; `buildId` switches the persistent result cache on, as in a release. */
export async function buildCliPackage(buildId = 'test-build'): Promise<CliPackage> {
  const directory = mkdtempSync(path.join(tmpdir(), 'pw-cli-'));
  const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; version: string };
  writeFileSync(path.join(directory, 'package.json'), JSON.stringify(manifest));
  symlinkSync(path.join(repo, 'node_modules'), path.join(directory, 'node_modules'), 'dir');
  mkdirSync(path.join(directory, 'bin'));
  copyFileSync(path.join(repo, 'bin', 'pipewright.js'), path.join(directory, 'bin', 'pipewright.js'));
  const external = Object.keys(manifest.dependencies ?? {})
    .filter((name) => name !== 'zod')
    .flatMap((name) => [name, `${name}/*`]);
  await build({
    absWorkingDir: repo,
    entryPoints: ['src/index.ts', 'src/cli/main.ts', 'src/dsl/index.ts', 'src/load/sandbox-policy.ts', 'src/compile-worker.ts'].filter((entry) => existsSync(path.join(repo, entry))),
    outdir: path.join(directory, 'dist'),
    outbase: 'src',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    define: {
      __PIPEWRIGHT_BUILD_ID__: JSON.stringify(buildId),
      __PIPEWRIGHT_VERSION__: JSON.stringify(manifest.version),
      // The bundled catalog compiled in, as scripts/build.mjs does (compile checks against it).
      __PIPEWRIGHT_DEFAULT_CATALOG__: JSON.stringify(readFileSync(path.join(repo, 'src/catalog/default-catalog.json'), 'utf8')),
    },
    logLevel: 'silent',
  });
  return { bin: path.join(directory, 'bin', 'pipewright.js'), remove: () => rmSync(directory, { recursive: true, force: true }) };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** How long a CLI run may take before it is killed (a hang must fail the test, not stall it). */
const KILL_AFTER_MS = 30_000;

/** Runs `pipewright <args>` in `cwd` (environment: ours minus CI, plus `env`); killed after 30 s. */
export function runPackagedCli(cli: CliPackage, args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  const started = performance.now();
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.CI;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli.bin, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}
