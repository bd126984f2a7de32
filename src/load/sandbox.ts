/**
 * The parent side of sandboxed evaluation: pipeline modules, the shared modules they import,
 * `pipewright.config.ts` and its custom rules all run in a worker thread (`sandbox-worker.ts`),
 * never in the compiler's own realm. What comes back is plain data, copied into fresh objects
 * here, and the exit code is decided from that data alone:
 * - `process.exit()` in user code ends only the worker;
 * - the worker has a heap limit (`resourceLimits`) and a time limit per module, enforced from
 *   here with a watchdog that reads a shared progress cell, so it works while the worker is busy;
 * - a module that exits, hangs, runs out of memory or awaits forever becomes an outcome for that
 *   module, and the remaining modules continue in a fresh worker.
 *
 * This is not a security boundary against hostile code: a worker runs with the user's privileges
 * (file system, network, child processes, `process.kill`). It keeps pipeline code from deciding
 * the outcome of the run by accident or by a one-liner, and keeps a broken module to itself.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { SANDBOX_WORKER_SOURCE } from './sandbox-worker.ts';
import { markPlainTree } from '../validate/plain-tree.ts';

/** Limits for evaluating user code. */
export interface SandboxLimits {
  /** How long one module (or one custom-rule call) may run, in milliseconds. */
  timeoutMs: number;
  /** The worker's heap limit (V8 old generation), in megabytes. */
  memoryMb: number;
}

/** Default time limit per module: generous for real pipelines, which evaluate in milliseconds. */
export const DEFAULT_LOAD_TIMEOUT_MS = 60_000;
/** Default heap limit of the evaluation worker (10,000 synthetic pipelines need a few hundred MB). */
export const DEFAULT_LOAD_MEMORY_MB = 2048;

/**
 * The effective limits: explicit options first, then the environment (`PIPEWRIGHT_LOAD_TIMEOUT`
 * in seconds, `PIPEWRIGHT_LOAD_MEMORY_MB`), then the defaults.
 */
export function sandboxLimits(options: Partial<SandboxLimits> = {}, env: NodeJS.ProcessEnv = process.env): SandboxLimits {
  const positive = (text: string | undefined) => {
    const value = text === undefined || text.trim() === '' ? NaN : Number(text);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const envTimeout = positive(env.PIPEWRIGHT_LOAD_TIMEOUT);
  return {
    timeoutMs: options.timeoutMs ?? (envTimeout === undefined ? DEFAULT_LOAD_TIMEOUT_MS : envTimeout * 1000),
    memoryMb: options.memoryMb ?? positive(env.PIPEWRIGHT_LOAD_MEMORY_MB) ?? DEFAULT_LOAD_MEMORY_MB,
  };
}

/** One module to evaluate: a thunk of a lazy bundle, or a whole (isolated) bundle. */
export interface EvaluationUnit {
  /** `file:` URL of the bundle. */
  url: string;
  /** Index into the lazy bundle's `modules`; absent: the bundle itself is the module. */
  thunk?: number;
  /** A configuration may hold custom-rule functions (`policy.customRules[i].check`). */
  kind: 'pipeline' | 'config';
}

/** An error as the worker described it (stack as text, mapped by the caller). */
export interface SandboxError {
  isError: boolean;
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** For a thrown non-Error value: its printed form. */
  text: string;
}

/** What happened to one unit. */
export type UnitOutcome =
  | {
      kind: 'exported';
      hasDefault: boolean;
      /** The default export as fresh plain data (absent when it could not be copied). */
      value?: unknown;
      /** The JSON text `value` was parsed from, when it travelled as JSON (plain JSON data). */
      json?: string;
      /** Whether it carries the `definePipeline` marker. */
      marked: boolean;
      /** A top-level default export that is not plain data, described (`a function`, ...). */
      topLevel?: string;
      /** A nested value that is not plain data, with its property path. */
      problem?: { path: (string | number)[]; found: string };
    }
  | { kind: 'threw'; error: SandboxError }
  | { kind: 'stopped'; reason: 'exit' | 'memory' | 'timeout' | 'stalled' | 'crash'; message: string };

/** The key the worker puts where a configuration's custom rule had its `check` function. */
export const RULE_CHECK_SENTINEL = '\u0000pipewrightRuleCheck';

interface WorkerMessage {
  op: string;
  job?: number;
  unit?: number;
  threw?: SandboxError;
  error?: SandboxError;
  [key: string]: unknown;
}

let jobCounter = 0;

/**
 * Before the first module starts, the worker is booting and importing the bundle (no user code
 * runs yet): on a busy machine that can outlast a short time limit, which is for modules.
 */
const STARTUP_GRACE_MS = 30_000;

/** One sandbox worker with its private port and shared cells. */
class SandboxWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly progress = new Int32Array(new SharedArrayBuffer(4));
  readonly signal = new Int32Array(new SharedArrayBuffer(4));
  readonly limits: SandboxLimits;
  exited = false;
  /** Evaluations this worker has finished (see `release`). */
  uses = 0;
  #onExit: ((code: number, error?: Error) => void) | undefined;
  #lastError: Error | undefined;

  constructor(limits: SandboxLimits) {
    this.limits = limits;
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = new Worker(SANDBOX_WORKER_SOURCE, {
      eval: true,
      workerData: { port: channel.port2, progress: this.progress.buffer, signal: this.signal.buffer },
      transferList: [channel.port2],
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb },
      // The worker's output is the user's (console.log in a pipeline); it goes where ours goes.
      stdout: false,
      stderr: false,
    });
    this.worker.on('error', (error) => {
      this.#lastError = error;
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.port.close();
      this.#onExit?.(code, this.#lastError);
    });
    this.idle();
  }

  /** Not keeping the process alive while nobody waits for this worker. */
  idle(): void {
    this.worker.unref();
    this.port.unref();
  }

  busy(): void {
    this.worker.ref();
    this.port.ref();
  }

  onExit(handler: ((code: number, error?: Error) => void) | undefined): void {
    this.#onExit = handler;
  }

  post(message: unknown): void {
    this.port.postMessage(message);
  }

  terminate(): void {
    if (!this.exited) void this.worker.terminate();
  }
}

/** A spare worker started ahead of time (watch mode), or `undefined`. */
let spare: SandboxWorker | undefined;

function takeWorker(limits: SandboxLimits): SandboxWorker {
  const ready = spare;
  spare = undefined;
  if (ready && !ready.exited && ready.limits.timeoutMs === limits.timeoutMs && ready.limits.memoryMb === limits.memoryMb) return ready;
  ready?.terminate();
  return new SandboxWorker(limits);
}

/**
 * Starts a worker now, so the next evaluation does not wait for one to boot (watch mode calls
 * this after each rebuild; every evaluation gets a fresh worker, hence a fresh module cache).
 */
export function prepareSandbox(limits: SandboxLimits = sandboxLimits()): void {
  if (spare && !spare.exited) return;
  spare = new SandboxWorker(limits);
}

/** Stops the spare worker, if any. */
export function disposeSandbox(): void {
  spare?.terminate();
  spare = undefined;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

function stoppedOutcome(code: number | undefined, error: Error | undefined, limits: SandboxLimits): UnitOutcome {
  if ((error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return { kind: 'stopped', reason: 'memory', message: `evaluating the module used more than the memory limit of ${limits.memoryMb} MB (PIPEWRIGHT_LOAD_MEMORY_MB)` };
  }
  if (error) return { kind: 'stopped', reason: 'crash', message: `an error thrown outside the module's evaluation (from a timer or callback) stopped it: ${error.name}: ${error.message}` };
  return {
    kind: 'stopped',
    reason: 'exit',
    message: `the module ended the evaluation with process.exit(${code ?? ''}) or an equivalent; pipeline code cannot end the run, and this module has no value`,
  };
}

/** How many evaluations one worker serves (the configuration and the pipelines of a run), so a
 * long watch session never accumulates old bundles in a worker's module cache. */
const EVALUATIONS_PER_WORKER = 2;

/**
 * A worker whose evaluation went well, when the next evaluation continues the same load (its
 * next chunk): kept as the spare without counting a use, so the chunks of one load count as one
 * evaluation.
 */
function handOver(worker: SandboxWorker): void {
  if (worker.exited) return;
  if (spare !== worker) spare?.terminate();
  spare = worker;
}

/** A worker whose evaluation went well: kept as the spare while it has uses left. */
function release(worker: SandboxWorker): void {
  worker.uses += 1;
  if (worker.uses < EVALUATIONS_PER_WORKER && !worker.exited && (!spare || spare.exited)) {
    spare = worker;
    return;
  }
  worker.terminate();
}

/**
 * Evaluates `units` in order in sandbox workers, calling `onOutcome(index, outcome)` for each as
 * soon as it is known (values stream while later modules still evaluate). A unit that stops its
 * worker gets a `stopped` outcome and the others without an outcome continue in a fresh worker.
 * Resolves with `bundleFailed` (and stops) when a lazy bundle itself cannot be imported (an npm
 * import fails to link); the units without an outcome then are the caller's to sort out.
 * `nextEvaluation`: another evaluation of the same load follows; `fresh-worker` boots its worker
 * now, while this one runs; `same-worker` leaves this worker to it.
 */
export async function evaluateUnits(
  units: readonly EvaluationUnit[],
  limits: SandboxLimits,
  onOutcome: (index: number, outcome: UnitOutcome) => void,
  options: { nextEvaluation?: 'fresh-worker' | 'same-worker' } = {},
): Promise<{ bundleFailed?: SandboxError; evaluated: Set<number> }> {
  const evaluated = new Set<number>();
  let remaining = units.map((_, index) => index);
  while (remaining.length > 0) {
    const worker = takeWorker(limits);
    // Another evaluation follows (the next chunk of a large load): its worker boots meanwhile.
    if (options.nextEvaluation === 'fresh-worker') prepareSandbox(limits);
    const result = await runOnWorker(worker, units, remaining, limits, (index, outcome) => {
      evaluated.add(index);
      onOutcome(index, outcome);
    });
    if (result.bundleFailed) {
      worker.terminate();
      return { bundleFailed: result.bundleFailed, evaluated };
    }
    if (result.stopped === undefined) {
      if (options.nextEvaluation === 'same-worker') handOver(worker);
      else release(worker);
      break;
    }
    worker.terminate();
    const blamed = result.stopped.index;
    evaluated.add(blamed);
    onOutcome(blamed, result.stopped.outcome);
    // Units evaluated but not yet posted when the worker stopped run again in the next one.
    remaining = remaining.filter((index) => !evaluated.has(index));
  }
  return { evaluated };
}

function runOnWorker(
  worker: SandboxWorker,
  units: readonly EvaluationUnit[],
  indexes: readonly number[],
  limits: SandboxLimits,
  onOutcome: (index: number, outcome: UnitOutcome) => void,
): Promise<{ bundleFailed?: SandboxError; stopped?: { index: number; outcome: UnitOutcome } }> {
  const job = (jobCounter += 1);
  const wanted = new Set(indexes);
  return new Promise((resolve) => {
    let settled = false;
    let seen = -1;
    let since = performance.now();
    const finish = (value: { bundleFailed?: SandboxError; stopped?: { index: number; outcome: UnitOutcome } }) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      worker.port.off('message', onMessage);
      worker.onExit(undefined);
      worker.idle();
      resolve(value);
    };
    /** The unit the worker was running: the progress cell holds its index + 1. */
    const current = () => {
      const index = Atomics.load(worker.progress, 0) - 1;
      return wanted.has(index) ? index : indexes[0]!;
    };
    const stop = (outcome: UnitOutcome) => {
      const index = current();
      worker.terminate();
      finish({ stopped: { index, outcome } });
    };
    const receive = (item: WorkerMessage) => {
      const index = item.unit!;
      if (!wanted.has(index)) return;
      if (item.threw) {
        onOutcome(index, { kind: 'threw', error: item.threw });
        return;
      }
      const outcome: UnitOutcome = { kind: 'exported', hasDefault: Boolean(item.hasDefault), marked: Boolean(item.marked) };
      if (typeof item.json === 'string') {
        // Marked so that schema validation can skip what only shared or exotic values need.
        outcome.value = markPlainTree(JSON.parse(item.json));
        outcome.json = item.json;
      }
      else if ('value' in item) outcome.value = item.value;
      if (typeof item.topLevel === 'string') outcome.topLevel = item.topLevel;
      if (item.problem) outcome.problem = item.problem as { path: (string | number)[]; found: string };
      onOutcome(index, outcome);
    };
    const onMessage = (message: WorkerMessage) => {
      if (message.job !== undefined && message.job !== job) return;
      switch (message.op) {
        case 'modules':
          for (const item of message.items as WorkerMessage[]) receive(item);
          break;
        case 'done':
          finish({});
          break;
        case 'bundle-failed':
          finish({ bundleFailed: message.error! });
          break;
        case 'stalled':
          stop({
            kind: 'stopped',
            reason: 'stalled',
            message: 'the module never finished: it awaits a promise that never settles (a top-level await with nothing left to wait for)',
          });
          break;
      }
    };
    const watchdog = setInterval(
      () => {
        const value = Atomics.load(worker.progress, 0);
        const now = performance.now();
        if (value !== seen) {
          seen = value;
          since = now;
        } else if (now - since > (value === 0 ? Math.max(limits.timeoutMs, STARTUP_GRACE_MS) : limits.timeoutMs)) {
          stop({
            kind: 'stopped',
            reason: 'timeout',
            message: `the module did not finish within the time limit of ${seconds(limits.timeoutMs)} (PIPEWRIGHT_LOAD_TIMEOUT); an endless loop?`,
          });
        }
      },
      Math.max(10, Math.min(1000, limits.timeoutMs / 5)),
    );
    worker.port.on('message', onMessage);
    worker.onExit((code, error) => {
      if (settled) return;
      // Messages the worker posted before it ended are delivered first; drain any left.
      for (let left = receiveMessageOnPort(worker.port); left; left = receiveMessageOnPort(worker.port)) onMessage(left.message as WorkerMessage);
      if (settled) return;
      const index = current();
      finish({ stopped: { index, outcome: stoppedOutcome(code, error, limits) } });
    });
    worker.busy();
    worker.post({ op: 'evaluate', job, units: indexes.map((index) => ({ ...units[index]!, unit: index })) });
  });
}

/**
 * Imports `url` in a sandbox worker: resolves when it loads, rejects with the worker's error
 * (revived as an Error) when it does not. Used to find the npm import that breaks a bundle.
 */
export async function probeImport(url: string, limits: SandboxLimits): Promise<void> {
  const worker = takeWorker(limits);
  const job = (jobCounter += 1);
  try {
    const error = await new Promise<SandboxError | undefined>((resolve, reject) => {
      const limit = Math.max(limits.timeoutMs, STARTUP_GRACE_MS);
      const timer = setTimeout(() => reject(new Error(`importing ${url} did not finish within ${seconds(limit)}`)), limit);
      worker.port.on('message', (message: WorkerMessage) => {
        if (message.op === 'probed' && message.job === job) {
          clearTimeout(timer);
          resolve(message.error);
        }
      });
      worker.onExit((code, exitError) => {
        clearTimeout(timer);
        reject(exitError ?? new Error(`importing ${url} ended the worker (exit code ${code})`));
      });
      worker.busy();
      worker.post({ op: 'probe', job, url });
    });
    if (error) throw reviveError(error);
  } finally {
    worker.terminate();
  }
}

/** An Error in this realm carrying what the worker reported (or the printed non-Error value). */
export function reviveError(error: SandboxError): unknown {
  if (!error.isError) return new ThrownValue(error.text);
  const revived = new Error(error.message);
  revived.name = error.name;
  revived.stack = error.stack ?? `${error.name}: ${error.message}`;
  if (error.code !== undefined) (revived as Error & { code?: string }).code = error.code;
  return revived;
}

/** A thrown value that was not an Error, as text. */
export class ThrownValue {
  constructor(readonly text: string) {}
}

// ---------------------------------------------------------------------------------------------
// Custom rules
// ---------------------------------------------------------------------------------------------

/** What a custom rule's `check` receives from the parent (everything else is rebuilt in the worker). */
export interface RuleCheckRequest {
  rule: number;
  pipeline: unknown;
  source: string;
  options: unknown;
  today: string;
  /** The resolved policy configuration without the rule functions. */
  policy: Record<string, unknown>;
}

/** Answers of a custom rule: findings as data, and the project files it read. */
export interface RuleCheckReply {
  findings?: unknown[];
  reads: string[];
  error?: string;
}

/**
 * A worker holding a configuration's custom rules, answering `check` calls synchronously (the
 * policy engine is synchronous): the caller posts the request and waits on a shared cell the
 * worker sets when its answer is on the port. A rule that exceeds the time limit, or ends the
 * worker, fails that call; the next call starts a fresh worker.
 */
export class RuleHost {
  readonly #unit: EvaluationUnit;
  readonly #runtimeUrl: string;
  readonly #root: string;
  readonly #limits: SandboxLimits;
  #worker: SandboxWorker | undefined;
  #loading: Promise<void> | undefined;

  constructor(options: { unit: EvaluationUnit; runtimeUrl: string; root: string; limits: SandboxLimits }) {
    this.#unit = options.unit;
    this.#runtimeUrl = options.runtimeUrl;
    this.#root = options.root;
    this.#limits = options.limits;
  }

  /** Starts the worker and loads the rules (call and await before the first `check`). */
  start(): Promise<void> {
    if (this.#worker && !this.#worker.exited && this.#loading) return this.#loading;
    const worker = new SandboxWorker(this.#limits);
    this.#worker = worker;
    const job = (jobCounter += 1);
    this.#loading = new Promise<void>((resolve, reject) => {
      // Worker start-up and the import of the compiler's policy code count too: not only user code.
      const limit = Math.max(this.#limits.timeoutMs, STARTUP_GRACE_MS);
      const timer = setTimeout(() => reject(new Error(`loading the custom rules did not finish within ${seconds(limit)}`)), limit);
      const onMessage = (message: WorkerMessage) => {
        if (message.op !== 'rules-loaded' || message.job !== job) return;
        clearTimeout(timer);
        worker.port.off('message', onMessage);
        worker.onExit(undefined);
        worker.idle();
        if (message.error) reject(reviveError(message.error));
        else resolve();
      };
      worker.port.on('message', onMessage);
      worker.onExit((code, error) => {
        clearTimeout(timer);
        reject(error ?? new Error(`loading the custom rules ended the worker (exit code ${code})`));
      });
      worker.busy();
      worker.post({ op: 'rules', job, unit: { ...this.#unit, unit: 0 }, runtime: this.#runtimeUrl, root: this.#root });
    });
    return this.#loading;
  }

  /** Runs custom rule `request.rule` synchronously; throws when it fails, times out or ends the worker. */
  check(request: RuleCheckRequest): RuleCheckReply {
    const worker = this.#worker;
    if (!worker || worker.exited || Atomics.load(worker.signal, 0) === 2) {
      throw new Error('the custom rules worker has stopped (a rule ended it or ran out of time); rerun to evaluate the custom rules again');
    }
    Atomics.store(worker.signal, 0, 0);
    worker.post({ op: 'check', ...request });
    const waited = Atomics.wait(worker.signal, 0, 0, this.#limits.timeoutMs);
    const reply = receiveMessageOnPort(worker.port)?.message as RuleCheckReply | undefined;
    if (waited === 'timed-out' && !reply) {
      worker.terminate();
      Atomics.store(worker.signal, 0, 2);
      throw new Error(`it did not finish within the time limit of ${seconds(this.#limits.timeoutMs)}`);
    }
    if (!reply) {
      throw new Error('it ended the custom rules worker (process.exit or a crash)');
    }
    return reply;
  }

  /** Stops the worker. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}
