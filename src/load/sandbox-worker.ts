/**
 * The code that runs inside the sandbox worker (see `sandbox.ts`). It is one self-contained
 * function, started with `new Worker(SANDBOX_WORKER_SOURCE, { eval: true })`, so the same code
 * serves the built package and the sources under a test runner (which cannot run a `.ts` worker
 * file, and would rewrite `import()` in code it transforms: hence `new Function` below).
 *
 * What it does, on request over a private message port:
 * - `evaluate`: imports a bundle and evaluates pipeline modules one by one, writing the index of
 *   the module about to run into a shared progress cell first (so the parent knows whom to blame
 *   if the worker exits, hangs or runs out of memory), and posts each default export as plain data
 *   as soon as it is evaluated;
 * - `probe`: imports one file, to find out which npm import breaks a bundle;
 * - `rules` and `check`: holds the custom policy rules of a configuration and runs one on a
 *   model the parent sends, answering synchronously (the parent waits on a shared cell).
 *
 * Everything the worker relies on is captured before any user code runs: pipeline code may
 * replace globals (`Object.keys`, `MessagePort.prototype.postMessage`, ...) in this realm, and the
 * port, the progress cell and the signal cell are removed from `workerData` so user code cannot
 * reach them.
 */

/* The worker's entry point. Must not reference anything outside its own body. */
export function sandboxWorkerMain(): void {
  // Not `require`: a bundler rewrites that in the function's text (esbuild's `__require` shim).
  const threads = process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
  const isProxy = (process.getBuiltinModule('node:util') as typeof import('node:util')).types.isProxy;
  const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  const pathModule = process.getBuiltinModule('node:path') as typeof import('node:path');
  const data = threads.workerData as { port: import('node:worker_threads').MessagePort; progress: SharedArrayBuffer; signal: SharedArrayBuffer };
  const port = data.port;
  const progress = new Int32Array(data.progress);
  const signal = new Int32Array(data.signal);
  data.port = undefined as never;
  data.progress = undefined as never;
  data.signal = undefined as never;

  const ObjectKeys = Object.keys;
  const getPrototypeOf = Object.getPrototypeOf;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const defineProperty = Object.defineProperty;
  const hasOwn = Object.hasOwn;
  const isArray = Array.isArray;
  const ObjectPrototype = Object.prototype;
  const ArrayPrototype = Array.prototype;
  const apply = Reflect.apply;
  const bind = Function.prototype.bind;
  const post = threads.MessagePort.prototype.postMessage;
  const portRef = threads.MessagePort.prototype.ref;
  const portUnref = threads.MessagePort.prototype.unref;
  const atomicsStore = Atomics.store;
  const atomicsNotify = Atomics.notify;
  const MapCtor = Map;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const StringCtor = String;
  const jsonStringify = JSON.stringify;
  const DateNow = Date.now;
  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const resolvePath = pathModule.resolve;
  const relativePath = pathModule.relative;
  const isAbsolutePath = pathModule.isAbsolute;
  const readFileSync = fs.readFileSync;
  const PIPELINE_MARKER = Symbol.for('pipewright.pipeline');
  const RULE_CHECK_SENTINEL = '\u0000pipewrightRuleCheck';
  const MAX_DEPTH = 1000;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

  const send = (message: unknown) => apply(post, port, [message]);

  type Path = (string | number)[];
  class Uncopyable {
    constructor(
      readonly path: Path,
      readonly found: string,
    ) {}
  }

  function safeText(value: unknown): string {
    try {
      return typeof value === 'string' ? jsonStringify(value) : StringCtor(value);
    } catch {
      return 'a value that cannot be printed';
    }
  }

  /** A short phrase for a value that is not plain data (as `describeValue` in loader.ts). */
  function describe(value: unknown): string {
    if (value === null) return 'null';
    switch (typeof value) {
      case 'function':
        return 'a function';
      case 'symbol':
        return 'a symbol';
      case 'object':
        break;
      default:
        return `a ${typeof value}`;
    }
    try {
      if (typeof (value as { then?: unknown }).then === 'function') return 'a Promise (await it before exporting)';
      const prototype = getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
      const name = prototype?.constructor?.name;
      return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object that is not plain data';
    } catch {
      return 'an object that is not plain data';
    }
  }

  function errorOf(error: unknown): { isError: boolean; name: string; message: string; stack?: string; code?: string; text: string } {
    let isError = false;
    try {
      isError = error instanceof ErrorCtor;
    } catch {
      isError = false;
    }
    const read = (key: string): unknown => {
      try {
        return (error as Record<string, unknown>)[key];
      } catch {
        return undefined;
      }
    };
    const name = isError ? read('name') : undefined;
    const message = isError ? read('message') : undefined;
    const stack = isError ? read('stack') : undefined;
    const code = isError ? read('code') : undefined;
    return {
      isError,
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : safeText(message),
      ...(typeof stack === 'string' ? { stack } : {}),
      ...(typeof code === 'string' ? { code } : {}),
      text: isError ? '' : safeText(error),
    };
  }

  /**
   * Copies a default export into fresh plain data: strings, numbers, booleans, null, undefined,
   * bigints, arrays and plain objects (own enumerable string keys; an own `__proto__` key stays a
   * key). Getters are read (a throwing one is reported). Functions, symbols, class instances and
   * cycles throw `Uncopyable` with the property path; shared (non-cyclic) references are copied
   * once and stay shared. `ruleChecks`: in a configuration, `policy.customRules[i].check` may be
   * a function; it is replaced by a sentinel the parent turns into a call back into this worker.
   */
  function copyValue(root: unknown, allowRuleChecks: boolean): { value: unknown; exotic: boolean } {
    // Whether the copy holds what JSON cannot say: undefined, NaN, ±Infinity, -0, bigints, holes.
    let exotic = false;
    // Object -> its copy (set before its properties are copied). The original Map methods,
    // bound once (user code may have replaced Map.prototype's).
    const done = new MapCtor<object, unknown>();
    const doneGet = apply(bind, mapGet, [done]) as (node: object) => unknown;
    const doneSet = apply(bind, mapSet, [done]) as (node: object, copied: unknown) => void;
    // The keys down to the value being copied (`path[0..depth)`), and the objects they are in:
    // the objects whose copy is in progress (the walk is depth-first), so one met again among
    // them is a cycle, and anywhere else a shared reference. Entries past `depth` are stale.
    const path: Path = [];
    const enclosing: object[] = [];
    let depth = 0;
    const pathSoFar = () => path.slice(0, depth);
    const isRuleCheck = () =>
      allowRuleChecks && depth === 4 && path[0] === 'policy' && path[1] === 'customRules' && typeof path[2] === 'number' && path[3] === 'check';
    const copy = (value: unknown): unknown => {
      switch (typeof value) {
        case 'string':
        case 'boolean':
          return value;
        case 'number':
          if (value !== value || value === Infinity || value === -Infinity || (value === 0 && 1 / value < 0)) exotic = true;
          return value;
        case 'undefined':
        case 'bigint':
          exotic = true;
          return value;
        case 'function':
          if (isRuleCheck()) {
            // JSON would do, but the configuration is one module: keep it simple and exact.
            exotic = true;
            return { [RULE_CHECK_SENTINEL]: path[2] };
          }
          throw new Uncopyable(pathSoFar(), 'a function');
        case 'symbol':
          throw new Uncopyable(pathSoFar(), 'a symbol');
      }
      if (value === null) return null;
      const node = value as object;
      const seen = doneGet(node);
      if (seen !== undefined) {
        for (let level = 0; level < depth; level += 1) {
          if (enclosing[level] === node) throw new Uncopyable(pathSoFar(), 'a reference to an enclosing object (a cycle)');
        }
        return seen;
      }
      if (depth >= MAX_DEPTH) throw new Uncopyable(pathSoFar(), `a value nested more than ${MAX_DEPTH} levels deep`);
      let prototype: unknown;
      try {
        prototype = getPrototypeOf(node);
      } catch (error) {
        throw new Uncopyable(pathSoFar(), `an object whose prototype cannot be read (${errorText(error)})`);
      }
      let isList: boolean;
      try {
        isList = isArray(node);
      } catch (error) {
        throw new Uncopyable(pathSoFar(), `an object that cannot be inspected (${errorText(error)})`);
      }
      if (isList ? prototype !== ArrayPrototype : prototype !== ObjectPrototype && prototype !== null) {
        throw new Uncopyable(pathSoFar(), describe(node));
      }
      // A proxy's traps decide what it holds: read it as the descriptor says, trap by trap. Any
      // other object's own property reads the same with [[Get]] (while it is own: a getter may
      // have deleted it), without a descriptor object.
      const proxy = isProxy(node);
      const level = depth;
      enclosing[level] = node;
      depth = level + 1;
      let item: unknown;
      if (isList) {
        const list = node as unknown[];
        const length = list.length;
        const out = new Array<unknown>(length);
        doneSet(node, out);
        for (let index = 0; index < length; index += 1) {
          if (!hasOwn(list, index)) {
            exotic = true;
            continue;
          }
          path[level] = index;
          if (proxy) item = readProperty(list, index);
          else {
            try {
              item = list[index];
            } catch (error) {
              throw new Uncopyable(pathSoFar(), `a property whose getter threw (${errorText(error)})`);
            }
          }
          out[index] = copy(item);
        }
        depth = level;
        return out;
      }
      let keys: string[];
      try {
        keys = ObjectKeys(node);
      } catch (error) {
        depth = level;
        throw new Uncopyable(pathSoFar(), `an object whose keys cannot be listed (${errorText(error)})`);
      }
      const out: Record<string, unknown> = {};
      doneSet(node, out);
      const record = node as Record<string, unknown>;
      for (let index = 0; index < keys.length; index += 1) {
        const key = keys[index]!;
        path[level] = key;
        if (proxy) item = readProperty(record, key);
        else {
          try {
            item = hasOwn(record, key) ? record[key] : undefined;
          } catch (error) {
            throw new Uncopyable(pathSoFar(), `a property whose getter threw (${errorText(error)})`);
          }
        }
        const copied = copy(item);
        if (key === '__proto__') defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
        else out[key] = copied;
      }
      depth = level;
      return out;
    };
    /** A proxy's property, as its descriptor trap says (a getter in the descriptor is called on the proxy). */
    const readProperty = (node: object, key: string | number): unknown => {
      try {
        const descriptor = getOwnPropertyDescriptor(node, key);
        if (!descriptor) return undefined;
        return descriptor.get ? apply(descriptor.get, node, []) : descriptor.value;
      } catch (error) {
        throw new Uncopyable(pathSoFar(), `a property whose getter threw (${errorText(error)})`);
      }
    };
    const value = copy(root);
    return { value, exotic };
  }

  function errorText(error: unknown): string {
    const described = errorOf(error);
    return described.isError ? `${described.name}: ${described.message}` : described.text;
  }

  /** The posted form of one module namespace's default export. */
  function exportOf(namespace: Record<string, unknown>, kind: 'pipeline' | 'config'): Record<string, unknown> {
    if (!('default' in namespace)) return { hasDefault: false };
    let value: unknown;
    try {
      value = namespace.default;
    } catch (error) {
      return { hasDefault: true, problem: { path: [], found: `a default export that cannot be read (${errorText(error)})` } };
    }
    let marked = false;
    if (typeof value === 'object' && value !== null) {
      try {
        marked = getOwnPropertyDescriptor(value, PIPELINE_MARKER)?.value === true;
      } catch {
        marked = false;
      }
    }
    try {
      const copied = copyValue(value, kind === 'config');
      // Plain JSON data travels as one string (much cheaper to post than a structured clone),
      // unless user code gave the prototypes a toJSON, which JSON.stringify would call.
      if (!copied.exotic && !hasOwn(ObjectPrototype, 'toJSON') && !hasOwn(ArrayPrototype, 'toJSON')) {
        return { hasDefault: true, marked, json: jsonStringify(copied.value) };
      }
      return { hasDefault: true, marked, value: copied.value };
    } catch (error) {
      if (error instanceof Uncopyable) {
        // A top-level value that is not an object is reported as such by the parent (PW1004).
        if (error.path.length === 0) return { hasDefault: true, marked, topLevel: error.found };
        return { hasDefault: true, marked, problem: { path: error.path, found: error.found } };
      }
      if (error instanceof RangeError) return { hasDefault: true, marked, problem: { path: [], found: `a value too deeply nested to copy (${errorText(error)})` } };
      throw error;
    }
  }

  const bundles = new MapCtor<string, Promise<Record<string, unknown>>>();
  const importBundle = (url: string) => {
    let loading = apply(mapGet, bundles, [url]) as Promise<Record<string, unknown>> | undefined;
    if (!loading) {
      loading = nativeImport(url);
      apply(mapSet, bundles, [url, loading]);
    }
    return loading;
  };

  interface Unit {
    unit: number;
    url: string;
    /** Index into the lazy bundle's `modules`; absent: the bundle's own namespace is the module. */
    thunk?: number;
    kind: 'pipeline' | 'config';
  }

  /** Outcomes not posted yet: modules are posted in batches (one message per module costs more than the copy). */
  let batch: Record<string, unknown>[] = [];
  let batchStarted = 0;
  const BATCH_SIZE = 32;
  const BATCH_MS = 10;
  const flush = (job: number) => {
    if (batch.length === 0) return;
    send({ op: 'modules', job, items: batch });
    batch = [];
  };
  const queueOutcome = (job: number, item: Record<string, unknown>) => {
    if (batch.length === 0) batchStarted = DateNow();
    batch[batch.length] = item;
    if (batch.length >= BATCH_SIZE || DateNow() - batchStarted >= BATCH_MS) flush(job);
  };

  async function evaluate(job: number, units: Unit[]): Promise<void> {
    // While modules evaluate, only they may keep this worker alive: a module that awaits something
    // that never happens then ends the worker (`beforeExit` below) instead of hanging.
    apply(portUnref, port, []);
    for (let index = 0; index < units.length; index += 1) {
      const unit = units[index]!;
      atomicsStore(progress, 0, unit.unit + 1);
      let namespace: Record<string, unknown>;
      try {
        const bundle = await importBundle(unit.url);
        if (unit.thunk === undefined) namespace = bundle;
        else {
          const modules = bundle.modules as (() => Promise<Record<string, unknown>>)[];
          namespace = await modules[unit.thunk]!();
        }
      } catch (error) {
        if (unit.thunk !== undefined && !(await importBundle(unit.url).then(() => true, () => false))) {
          flush(job);
          send({ op: 'bundle-failed', job, error: errorOf(error) });
          atomicsStore(progress, 0, 0);
          apply(portRef, port, []);
          return;
        }
        queueOutcome(job, { unit: unit.unit, threw: errorOf(error) });
        continue;
      }
      queueOutcome(job, { unit: unit.unit, ...exportOf(namespace, unit.kind) });
    }
    flush(job);
    atomicsStore(progress, 0, 0);
    apply(portRef, port, []);
    send({ op: 'done', job });
  }

  process.on('beforeExit', () => {
    if (progress[0] !== 0) send({ op: 'stalled' });
  });

  // --- custom policy rules -------------------------------------------------------------------
  interface Runtime {
    indexPipeline(pipeline: unknown): unknown;
    environmentPolicy(config: unknown, name: string): { production: boolean };
  }
  let rules: { check(context: unknown): Iterable<unknown> }[] = [];
  let runtime: Runtime | undefined;
  let projectRoot = '';

  async function loadRules(job: number, unit: Unit, runtimeUrl: string, root: string): Promise<void> {
    try {
      runtime = (await nativeImport(runtimeUrl)) as unknown as Runtime;
      const bundle = await importBundle(unit.url);
      const namespace = unit.thunk === undefined ? bundle : await (bundle.modules as (() => Promise<Record<string, unknown>>)[])[unit.thunk]!();
      const config = namespace.default as { policy?: { customRules?: { check(context: unknown): Iterable<unknown> }[] } };
      rules = config?.policy?.customRules ?? [];
      projectRoot = root;
      send({ op: 'rules-loaded', job });
    } catch (error) {
      send({ op: 'rules-loaded', job, error: errorOf(error) });
    }
  }

  function check(request: { rule: number; pipeline: unknown; source: string; options: unknown; today: string; policy: Record<string, unknown> }): void {
    const reads: string[] = [];
    let reply: Record<string, unknown>;
    try {
      const rule = rules[request.rule];
      if (!rule || typeof rule.check !== 'function') throw new ErrorCtor(`custom rule ${request.rule} is not loaded`);
      const policy = { ...request.policy, customRules: rules };
      const environment = (name: string) => runtime!.environmentPolicy(policy, name);
      const context = {
        pipeline: request.pipeline,
        source: request.source,
        index: runtime!.indexPipeline(request.pipeline),
        policy,
        options: request.options,
        today: request.today,
        readFile(file: string) {
          const absolute = resolvePath(projectRoot, file);
          const relative = relativePath(projectRoot, absolute);
          if (relative.startsWith('..') || isAbsolutePath(relative)) return undefined;
          reads[reads.length] = file;
          try {
            return readFileSync(absolute, 'utf8');
          } catch {
            return undefined;
          }
        },
        environment,
        isProduction: (name: string | undefined) => (name === undefined ? false : environment(name).production),
      };
      const findings: unknown[] = [];
      for (const finding of rule.check(context)) findings[findings.length] = finding;
      reply = { findings: copyValue(findings, false).value, reads };
    } catch (error) {
      reply = { error: error instanceof Uncopyable ? `it returned ${error.found} at findings${error.path.map((key) => `[${jsonStringify(key)}]`).join('')}` : errorText(error), reads };
    }
    send(reply);
    atomicsStore(signal, 0, 1);
    atomicsNotify(signal, 0);
  }

  // A rule that ends the worker must not leave the parent waiting for the time limit.
  process.on('exit', () => {
    atomicsStore(signal, 0, 2);
    atomicsNotify(signal, 0);
  });

  // Start Node's ESM loader now (compiling its internals costs tens of milliseconds in a fresh
  // worker): a worker started ahead of time (watch, or while esbuild bundles) is then ready to
  // import the bundle at once. Requests wait for it.
  let queue: Promise<void> = nativeImport('data:text/javascript,export{}').then(
    () => undefined,
    () => undefined,
  );
  port.on('message', (message: { op: string; job: number; units?: Unit[]; unit?: Unit; url?: string; runtime?: string; root?: string }) => {
    if (message.op === 'check') {
      check(message as never);
      return;
    }
    queue = queue.then(async () => {
      switch (message.op) {
        case 'evaluate':
          await evaluate(message.job, message.units!);
          break;
        case 'probe':
          try {
            await nativeImport(message.url!);
            send({ op: 'probed', job: message.job });
          } catch (error) {
            send({ op: 'probed', job: message.job, error: errorOf(error) });
          }
          break;
        case 'rules':
          await loadRules(message.job, message.unit!, message.runtime!, message.root!);
          break;
      }
    });
  });
}

/** The worker's source, for `new Worker(..., { eval: true })`. */
export const SANDBOX_WORKER_SOURCE = `(${sandboxWorkerMain.toString()})();\n`;
