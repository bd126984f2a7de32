/**
 * The main thread's side of the compile worker (`compile-worker.ts`): whether a run uses it, and
 * sending pipelines to it.
 *
 * Why a second compile thread: compiling is CPU-bound and single-threaded, and a large run (a
 * fleet of services) could use a second core once the sandbox has evaluated the modules. The
 * worker takes pipelines from the same queue as the main thread; the results are the same data
 * as the main thread's (the thread-parity tests compare them byte for byte). Off by default
 * (see {@link compileThreadsFor}).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CompileReply, CompileRequest, CompileWorkerSetup } from './compile-worker.ts';
import type { ResolvedConfig } from './config.ts';

/** The built worker module beside this code, or `undefined` when running from source. */
function workerModule(): URL | undefined {
  if (import.meta.url.endsWith('.ts')) return undefined;
  // Code splitting puts this module in a chunk at dist/ or in an entry below it.
  for (const candidate of ['./compile-worker.js', '../compile-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/**
 * Whether a run compiles on two threads: only when asked for with `PIPEWRIGHT_COMPILE_THREADS=2`
 * (any run size, so that small projects can test it) and the configuration has no custom rules
 * (they run in the sandbox worker, which only the main thread talks to).
 *
 * Why not by default: measured back to back on a 2-core VM (Node 20), the second thread lost.
 * Its own start-up and JIT warm-up cost more CPU than it took off the main thread, while the
 * sandbox worker, esbuild and the file system's writes already keep both cores busy (1,000
 * synthetic pipelines, cold: 3.64 s on one thread, 4.17 s on two; the 1,000-pipeline fleet:
 * 10.5 s and 11.4 s, +22% CPU, +25% memory). Again on the same VM with nothing else running,
 * fleet `compile --check`: 4.0 s on one thread, 4.7 s on two (main thread 625 pipelines, worker
 * 375), each thread's compiles about twice as slow as one thread's alone: a one-thread run
 * already keeps ~1.5 cores busy (GC helpers, V8's optimizing compiler, the sandbox, esbuild).
 * A machine with more cores may differ: measure with
 * `scripts/bench-ab.mjs --env-b PIPEWRIGHT_COMPILE_THREADS=2`.
 */
export function compileThreadsFor(config: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): 1 | 2 {
  if (config.policy.customRules.length > 0 || workerModule() === undefined) return 1;
  return env.PIPEWRIGHT_COMPILE_THREADS?.trim() === '2' ? 2 : 1;
}

/** A started compile worker. */
export interface CompileThread {
  /** Compiles one pipeline in the worker. */
  compile(file: string, source: string, value: unknown): Promise<CompileReply>;
  /** Stops the worker (after the last reply). */
  close(): Promise<void>;
}

/** Starts the compile worker for a run; `undefined` when it cannot run here (from source). */
export function startCompileThread(setup: CompileWorkerSetup): CompileThread | undefined {
  const url = workerModule();
  if (url === undefined) return undefined;
  // Not the parent's `--input-type`/`--eval` style flags: the worker is a module file.
  const execArgv = process.execArgv.filter((flag) => !/^--(input-type|eval|print)\b|^-[ep]$/.test(flag));
  const worker = new Worker(url, { workerData: setup, execArgv });
  worker.unref();
  const waiting = new Map<number, { resolve: (reply: CompileReply) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let ended: Error | undefined;
  const failAll = (error: Error) => {
    ended ??= error;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  worker.on('message', (reply: CompileReply) => {
    const entry = waiting.get(reply.id);
    waiting.delete(reply.id);
    entry?.resolve(reply);
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new Error(`the compile worker stopped (exit code ${code})`)));
  return {
    compile(file, source, value) {
      if (ended) return Promise.reject(ended);
      const id = nextId++;
      return new Promise<CompileReply>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, file, source, value } satisfies CompileRequest);
      });
    },
    async close() {
      ended ??= new Error('the compile worker was closed');
      await worker.terminate();
    },
  };
}
