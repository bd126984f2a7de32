/**
 * The real `pipewright` command for tests that need a process of its own (stack depth, exit codes,
 * stderr): src/ bundled with esbuild as scripts/build.mjs does, into a temporary package with the
 * repository's bin/pipewright.js launcher, run with `node`. Built once per test file, from the
 * current sources (the repository's dist/ may be stale or rebuilt by others meanwhile).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface BuiltCli {
  /** Runs `node bin/pipewright.js ...args` in `cwd`. */
  run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  remove(): void;
}

export async function buildCli(): Promise<BuiltCli> {
  const root = mkdtempSync(path.join(tmpdir(), 'pipewright-built-cli-'));
  // Named pipewright, so the loader finds dist/dsl/index.js for `import ... from 'pipewright'`.
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'pipewright', type: 'module' }));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  mkdirSync(path.join(root, 'bin'));
  copyFileSync(path.join(REPO, 'bin/pipewright.js'), path.join(root, 'bin/pipewright.js'));
  const { dependencies = {} } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  await build({
    absWorkingDir: REPO,
    entryPoints: ['src/index.ts', 'src/cli/main.ts', 'src/dsl/index.ts'],
    outdir: path.join(root, 'dist'),
    outbase: 'src',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: Object.keys(dependencies).filter((name) => name !== 'zod').flatMap((name) => [name, `${name}/*`]),
    logLevel: 'error',
    // The bundled catalog compiled in, as scripts/build.mjs does.
    define: { __PIPEWRIGHT_DEFAULT_CATALOG__: JSON.stringify(readFileSync(path.join(REPO, 'src/catalog/default-catalog.json'), 'utf8')) },
  });
  const bin = path.join(root, 'bin/pipewright.js');
  return {
    run: (args, cwd) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Signs of a crash: a JavaScript stack trace or the CLI's internal-error line. */
export const CRASH = /^\s+at .+\(.*:\d+:\d+\)$|RangeError|internal error|Maximum call stack/m;
