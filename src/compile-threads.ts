/**
 * The main thread's side of the compile worker (`compile-worker.ts`): whether a run uses it, and
 * sending pipelines to it.
 *
 * Why a second compile thread: compiling is CPU-bound and single-threaded, and a large run (a
 * fleet of services) leaves a second core idle once the sandbox has evaluated the modules. The
 * worker compiles every other pipeline; the results are the same objects' data as the main
 * thread's (the golden and thread-parity tests compare them byte for byte).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CompileReply, CompileRequest, CompileWorkerSetup } from './compile-worker.ts';
import type { ResolvedConfig } from './config.ts';

/** Below this many pipelines a second thread costs more (its start-up and warm-up) than it saves. */
export const MIN_PIPELINES_FOR_THREAD = 100;

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
 * Whether a run of `pipelines` pipelines compiles on two threads: `PIPEWRIGHT_COMPILE_THREADS`
 * (`1` or `2`) decides when set; otherwise two when the machine has a second core, the run is
 * large enough, and the configuration has no custom rules (they run in the sandbox worker, which
 * only the main thread talks to).
 */
export function compileThreadsFor(pipelines: number, config: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): 1 | 2 {
  if (config.policy.customRules.length > 0 || workerModule() === undefined) return 1;
  const forced = env.PIPEWRIGHT_COMPILE_THREADS?.trim();
  if (forced === '1') return 1;
  if (forced === '2') return 2;
  return availableParallelism() > 1 && pipelines >= MIN_PIPELINES_FOR_THREAD ? 2 : 1;
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
