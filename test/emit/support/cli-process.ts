/**
 * Running the pipewright CLI from src/ in a separate `node` process: for tests that need real
 * processes (two runs at once, kill -9 mid-run, stdout into a pipe). Each `.ts` module is
 * transformed on load (support/ts-hooks.mjs), so nothing depends on the shared dist/ build.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const register = fileURLToPath(new URL('./register-ts.mjs', import.meta.url));
const entry = fileURLToPath(new URL('./pipewright-from-source.mjs', import.meta.url));

/** `node` arguments that run `pipewright <args>` from source. */
export const cliCommand = (args: string[]): string[] => ['--import', register, entry, ...args];

/** Starts `pipewright <args>` in `cwd`. */
export function startCli(args: string[], cwd: string, options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, cliCommand(args), {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `pipewright <args>` in `cwd` to completion. */
export function runCliProcess(args: string[], cwd: string, options: SpawnOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, cwd, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
