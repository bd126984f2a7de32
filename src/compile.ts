/**
 * The compiler pipeline, end to end: load → validate → lower → print → (emit). Everything here
 * works in memory; writing and checking files is in `src/emit/`.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { BUILD_ID } from './cache/build-id.ts';
import { cacheSecret } from './cache/cache-key.ts';
import type { CompiledPipeline, SideFile } from './compiled.ts';
import type { CompileReply } from './compile-worker.ts';
import { CompileCache, makeModelsLazy, readProjectText, withLazyModels, type CompileDependencies } from './cache/compile-cache.ts';
import { compileThreadsFor, startCompileThread, type CompileThread } from './compile-threads.ts';
import { compileModule, createRunFileReader, pipelineNameFromFile, resolveOutput, type PipelineCompileContext } from './compile-pipeline.ts';
import { defaultConfig, ConfigSchema, CONFIG_FILE, type ResolvedConfig } from './config.ts';
import type { Diagnostic } from './diagnostics.ts';
import { compileCommandFor } from './emit/header.ts';
import { discoverPipelineFiles } from './load/discover.ts';
import { cacheLocation } from './load/cache.ts';
import { attachSandboxedRules, sandboxedRuleIndexes } from './load/config-rules.ts';
import { loadModules, loadPipelineModules, type LoadedModule } from './load/loader.ts';
import { sandboxLimits, type SandboxLimits } from './load/sandbox.ts';
import { createSourceLocator } from './load/locate.ts';
import { configIssuesToDiagnostics, markDefaultMessage } from './validate/schema-issues.ts';
import type { ValidPipeline } from './model/schema.ts';
import { checkPolicyConfig, createPolicyRunner } from './policy/engine.ts';
import { isoDate } from './policy/suppressions.ts';

export { compilePipelineValue, pipelineNameFromFile } from './compile-pipeline.ts';

export type { CompiledPipeline } from './compiled.ts';

export interface CompileOptions {
  /** Project root (where `pipelines/`, `generated/` and `pipewright.config.ts` are). */
  root: string;
  /** Pipeline files to compile (absolute or root-relative); default: discover all. */
  files?: string[];
  /** Configuration; default: load `pipewright.config.ts` if present. */
  config?: ResolvedConfig;
  /**
   * The persistent result cache (`src/cache/`), stored next to the loader's bundle cache.
   * Default: on when running the built package (scripts/build.mjs stamps a build id), off when
   * running from source. `false` turns it off; `{ buildId }` turns it on with that build id.
   */
  resultCache?: false | { buildId: string };
  /**
   * Results hold `model`, `ast` and `lineOrigins` as accessors that recompute them (once) on first
   * read, instead of keeping them: much less memory for callers that only need the Jenkinsfiles
   * and diagnostics (compile, lint, watch). Results served from the cache are always like this.
   */
  lazyModels?: boolean;
  /**
   * Also generate the files that go beside each Jenkinsfile (the IAM policies of pipelines that
   * assume AWS roles, `CompiledPipeline.sideFiles`) while each pipeline's AST is at hand, and keep
   * them in the result cache: what writing and `--check` need. Default false (lint, graph, ...).
   */
  sideFiles?: boolean;
  /**
   * Called with each pipeline's result as soon as it is compiled, in run order (e.g. a
   * `RunWriter`'s `offer`, to write while compiling). The run's final check, that no two
   * pipelines write the same file, comes after: it may still fail a later pipeline (PW4003).
   */
  onResult?: (pipeline: CompiledPipeline) => void;
  /**
   * Whether results and bundles cached by earlier runs may be used. A gate must not pass on the
   * cache's word (anyone who can write `node_modules/.cache` could plant an entry), so by default
   * only runs that write Jenkinsfiles (`onResult` given: compile, watch) reuse anything, and not in
   * CI (the `CI` environment variable set); runs that only read (`compile --check`, `lint`,
   * `diff`) compute everything from source, and do not build a result cache they cannot reuse.
   * An explicit `resultCache: { buildId }` also turns reuse on. Even then, entries are only used
   * when signed with this user's key (see `src/cache/cache-key.ts`).
   */
  reuseCache?: boolean;
  /**
   * Limits for evaluating pipeline modules and the configuration in the sandbox worker: time per
   * module (ms) and heap (MB). Default: `PIPEWRIGHT_LOAD_TIMEOUT` (seconds) and
   * `PIPEWRIGHT_LOAD_MEMORY_MB`, else 60 s and 2,048 MB.
   */
  loadLimits?: Partial<SandboxLimits>;
}

export interface CompileRun {
  root: string;
  config: ResolvedConfig;
  pipelines: CompiledPipeline[];
  /** Problems not tied to one pipeline (config errors, duplicate names). */
  diagnostics: Diagnostic[];
  /** Local module dependencies of each pipeline file (absolute paths), from the loader. */
  graph: Map<string, Set<string>>;
  /** True when every pipeline of the project was compiled (no file list given): orphans can be judged. */
  complete: boolean;
  /** How many threads compiled the run: 2 when the compile worker took part (see `compile-threads.ts`). */
  threads?: 1 | 2;
}

const toPosix = (path: string) => path.split(sep).join('/');

/**
 * The local files each configuration loaded by {@link loadConfig} came from: custom rules may use
 * helpers from them, so their contents are part of the result cache's key.
 */
const configSources = new WeakMap<ResolvedConfig, readonly string[]>();

/** Whether this run may use caches by default: not in CI (see {@link CompileOptions.reuseCache}). */
export const cacheTrustedByDefault = (env: NodeJS.ProcessEnv = process.env): boolean => !env.CI;

/**
 * Loads `pipewright.config.ts` (if any) and applies defaults. The module runs in the sandbox
 * worker like a pipeline; its custom rules keep running there (see `load/config-rules.ts`).
 * `reuseCache` (default false) allows a cached bundle of the configuration (signed, see
 * {@link CompileOptions.reuseCache}).
 */
export async function loadConfig(
  root: string,
  options: { reuseCache?: boolean; loadLimits?: Partial<SandboxLimits> } = {},
): Promise<{ config: ResolvedConfig; diagnostics: Diagnostic[] }> {
  root = resolve(root);
  const file = resolve(root, CONFIG_FILE);
  if (!existsSync(file)) return { config: defaultConfig(), diagnostics: [] };
  const limits = sandboxLimits(options.loadLimits);
  const { result, sources } = await loadModules([file], { root, reuseBundles: options.reuseCache ?? false, limits });
  const { modules, graph } = result;
  const loaded = modules[0]!;
  if (loaded.diagnostics.length > 0) return { config: defaultConfig(), diagnostics: loaded.diagnostics };
  const ruleIndexes = sandboxedRuleIndexes(loaded.value);
  const unit = sources.get(file);
  try {
    if (unit) await attachSandboxedRules(loaded.value, ruleIndexes, { root, unit, limits });
  } catch (error) {
    return {
      config: defaultConfig(),
      diagnostics: [
        {
          code: 'PW2102',
          severity: 'error',
          message: `the custom rules of ${CONFIG_FILE} could not be loaded in the sandbox: ${(error as Error).message ?? String(error)}`,
          location: { file: CONFIG_FILE, line: 1, column: 1 },
        },
      ],
    };
  }
  const parsed = ConfigSchema.safeParse(loaded.value ?? {}, { error: markDefaultMessage });
  if (parsed.success) {
    configSources.set(parsed.data, [...(graph.get(file) ?? [file])]);
    return { config: parsed.data, diagnostics: [] };
  }
  const locator = createSourceLocator(file, root);
  return {
    config: defaultConfig(),
    diagnostics: configIssuesToDiagnostics(loaded.value ?? {}, parsed.error.issues).map((d) => ({ ...d, location: locator.locate(d.path ?? []) })),
  };
}

/** Opens the persistent result cache for a run, or `undefined` when it is off or unusable. */
function openResultCache(
  root: string,
  config: ResolvedConfig,
  option: CompileOptions['resultCache'],
  today: string,
  readFile: (file: string) => string | undefined,
): CompileCache | undefined {
  const buildId = option === undefined ? BUILD_ID : option === false ? undefined : option.buildId;
  if (buildId === undefined) return undefined;
  let directory: string;
  try {
    const location = cacheLocation(root, []);
    directory = join(location.directory, 'results', location.rootPrefix);
  } catch {
    return undefined;
  }
  // Without the user's key nothing read from the cache directory can be trusted.
  const secret = cacheSecret();
  if (secret === undefined) return undefined;
  const configFiles = configSources.get(config);
  // A configuration with custom rules that did not come from loadConfig: the helpers its rules
  // call cannot be fingerprinted, so its results are not cached.
  if (configFiles === undefined && config.policy.customRules.length > 0) return undefined;
  // package.json decides the header's "run …" hint (compileCommandFor), so it is part of the key.
  return CompileCache.open({ root, directory, buildId, config, configFiles: [...(configFiles ?? []), join(root, 'package.json')], today, secret, readFile });
}

/**
 * Compiles every pipeline of a project in memory (nothing is written).
 *
 * Unchanged pipelines are served from the persistent result cache when it is on (see
 * {@link CompileOptions.resultCache}); the results are the same either way.
 */
export async function compileProject(options: CompileOptions): Promise<CompileRun> {
  const reuse = options.reuseCache ?? (typeof options.resultCache === 'object' || (options.onResult !== undefined && cacheTrustedByDefault()));
  const root = resolve(options.root);
  const runDiagnostics: Diagnostic[] = [];
  let config = options.config;
  if (!config) {
    const loaded = await loadConfig(root, {
      reuseCache: reuse,
      ...(options.loadLimits ? { loadLimits: options.loadLimits } : {}),
    });
    config = loaded.config;
    runDiagnostics.push(...loaded.diagnostics);
  }
  const configLocator = createSourceLocator(resolve(root, CONFIG_FILE), root);
  for (const problem of checkPolicyConfig(config.policy)) {
    runDiagnostics.push({ ...problem, location: configLocator.locate(problem.path ?? []) });
  }
  const files = options.files
    ? options.files.map((f) => resolve(root, f))
    : await discoverPipelineFiles(root, { dir: config.pipelinesDir });

  // One date for the whole run: suppression expiry is judged against it, and it is part of the
  // cache key.
  const now = new Date();
  // A run that cannot reuse results does not build the cache either (no key, no writes).
  const readProjectFile = createRunFileReader(root);
  const cache = reuse ? openResultCache(root, config, options.resultCache, isoDate(now), readProjectFile) : undefined;
  const policy = createPolicyRunner(config.policy);
  const resolvedConfig = config;
  const compileCommand = compileCommandFor(readProjectText(root, 'package.json'));
  const context: PipelineCompileContext = { root, config, policy, now, compileCommand, readProjectFile };
  // Side files (IAM policies) are generated right after each pipeline compiles, while its AST is
  // at hand; the generator (and the AWS service reference it reads) loads on first need.
  let iamEmit: Promise<typeof import('./iam/emit.ts')> | undefined;
  // The reference is read while the pipelines are bundled (see readStepServiceReference).
  if (options.sideFiles) iamEmit = import('./iam/emit.ts').then(async (module) => (await module.readStepServiceReference(), module));
  const sideFilesOf = async (result: CompiledPipeline, dependencies: CompileDependencies): Promise<SideFile[]> => {
    const { assumesAwsRole, iamFilesFor } = await (iamEmit ??= import('./iam/emit.ts'));
    if (!assumesAwsRole(result)) return [];
    const readFile = (file: string) => {
      const text = readProjectFile(file);
      dependencies.reads.set(file, text);
      return text;
    };
    return iamFilesFor(result, { root, compileCommand, readFile, ...(config.iam === undefined ? {} : { config: config.iam }) });
  };

  // A large run shares its compiles with a second thread (see compile-threads.ts). Results keep
  // no models there (lazyModels), so only such runs use it.
  const thread: CompileThread | undefined =
    options.lazyModels && compileThreadsFor(config) === 2
      ? startCompileThread({ root, config, now: now.getTime(), compileCommand, sideFiles: Boolean(options.sideFiles) })
      : undefined;

  /** A result compiled by the worker, completed here: lazy models, the policy's rules, the cache entry. */
  const receiveRemote = (reply: CompileReply, loaded: LoadedModule, source: string, key: string | undefined): CompiledPipeline => {
    if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error.stack === undefined ? {} : { stack: reply.error.stack });
    const result = reply.result as CompiledPipeline;
    if (result.policy) result.policy.rules = policy.rules;
    withLazyModels(result, reply.lazy ?? [], () => compileModule(context, loaded.file, source, loaded.value, { reads: new Map() }));
    const dependencies: CompileDependencies = { reads: reply.reads ?? new Map() };
    if (reply.locatedText !== undefined) dependencies.locatedText = reply.locatedText;
    if (key !== undefined) cache!.store(key, result, dependencies);
    return result;
  };

  /** A module that needs compiling (it loaded, and the cache did not have it). */
  interface CompileJob {
    loaded: LoadedModule;
    source: string;
    key: string | undefined;
    recompute: () => CompiledPipeline;
  }

  /**
   * Compiles one module on this thread: the result, or (when its side files are generated) a
   * promise of it with them attached, so that it is offered complete.
   */
  const compileHere = ({ loaded, source, key, recompute }: CompileJob): CompiledPipeline | Promise<CompiledPipeline> => {
    const dependencies: CompileDependencies = { reads: new Map() };
    const result = compileModule(context, loaded.file, source, loaded.value, dependencies);
    const finish = () => {
      if (key !== undefined) cache!.store(key, result, dependencies);
      if (options.lazyModels) makeModelsLazy(result, recompute);
      return result;
    };
    if (!options.sideFiles || result.jenkinsfile === undefined) return finish();
    return sideFilesOf(result, dependencies).then((files) => {
      result.sideFiles = files;
      return finish();
    });
  };

  // Pipelines are queued as their values arrive from the sandbox and compiled by this thread's
  // loop (which lets I/O through between pipelines, so writes proceed while later pipelines
  // compile) and by the worker, while later modules still evaluate. Results are offered to
  // `onResult` (which may write them) only once every value is known, and never when two
  // pipelines claim one output: neither of those may be touched.
  const results = new Map<string, CompiledPipeline>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
  };
  const claims = new Map<string, string>();
  let claimCounts: Map<string, number> | undefined;
  const held: { file: string; result: CompiledPipeline }[] = [];
  const offer = (file: string, result: CompiledPipeline) => {
    if (!options.onResult) return;
    if (!claimCounts) held.push({ file, result });
    else if ((claimCounts.get(result.output) ?? 0) <= 1 && (claimCounts.get(claims.get(file)!) ?? 0) <= 1) options.onResult(result);
  };
  const settle = (loaded: LoadedModule, result: CompiledPipeline) => {
    results.set(loaded.file, result);
    offer(loaded.file, result);
  };
  /** Compiles and side files in progress (the worker's, and this thread's awaiting side files). */
  const pending: Promise<void>[] = [];
  const queue: (LoadedModule | undefined)[] = [];
  let next = 0;
  let loadDone = false;
  let wake: (() => void) | undefined;

  /** The next queued module that needs compiling; modules that did not load and cache hits are settled on the way. */
  const take = (): CompileJob | undefined => {
    while (next < queue.length) {
      const loaded = queue[next]!;
      queue[next++] = undefined;
      const source = toPosix(relative(root, loaded.file));
      if (loaded.diagnostics.length > 0 || loaded.value === undefined) {
        const fallbackName = pipelineNameFromFile(loaded.file);
        const output = resolveOutput(root, fallbackName, undefined, resolvedConfig).output;
        settle(loaded, { source, name: fallbackName, output, diagnostics: loaded.diagnostics });
        continue;
      }
      const recompute = () => compileModule(context, loaded.file, source, loaded.value, { reads: new Map() });
      const key = cache?.keyOf(source, loaded.value, loaded.valueJson);
      const hit = key === undefined ? undefined : cache!.lookup(key, source, policy.rules, recompute);
      if (hit) {
        settle(loaded, hit);
        continue;
      }
      return { loaded, source, key, recompute };
    }
    return undefined;
  };

  /** Worker compiles in flight: two, so that it is never idle while a reply travels. */
  const WORKER_IN_FLIGHT = 2;
  let inFlight = 0;
  const feedWorker = (): void => {
    while (thread !== undefined && failure === undefined && inFlight < WORKER_IN_FLIGHT) {
      const job = take();
      if (job === undefined) return;
      inFlight += 1;
      pending.push(
        thread
          .compile(job.loaded.file, job.source, job.loaded.value)
          // A worker that cannot run (it failed to start, or stopped) leaves its pipelines to this thread.
          .then((reply) => receiveRemote(reply, job.loaded, job.source, job.key), () => compileHere(job))
          .then((result) => settle(job.loaded, result))
          .catch(fail)
          .finally(() => {
            inFlight -= 1;
            feedWorker();
            wake?.();
          }),
      );
    }
  };

  const compileLoop = async (): Promise<void> => {
    let lastYield = performance.now();
    for (;;) {
      if (failure) return;
      feedWorker();
      const job = take();
      if (job === undefined) {
        if (loadDone) return;
        await new Promise<void>((resolveWake) => (wake = resolveWake));
        wake = undefined;
        continue;
      }
      const compiled = compileHere(job);
      if (compiled instanceof Promise) pending.push(compiled.then((result) => settle(job.loaded, result)).catch(fail));
      else settle(job.loaded, compiled);
      // Let I/O callbacks (the writes onResult started) and arriving values through now and then.
      if (performance.now() - lastYield > 8) {
        await new Promise((resolveYield) => setImmediate(resolveYield));
        lastYield = performance.now();
      }
    }
  };
  const compiling = compileLoop().catch(fail);

  let loadResult: Awaited<ReturnType<typeof loadPipelineModules>>;
  try {
    loadResult = await loadPipelineModules(files, {
      root,
      reuseBundles: reuse,
      ...(options.loadLimits ? { limits: options.loadLimits } : {}),
      onModule: (loaded) => {
        if (failure) return;
        try {
          claims.set(loaded.file, claimedOutput(root, loaded, resolvedConfig));
        } catch (error) {
          // Thrown from a message handler it would end the process; rethrown below instead.
          fail(error);
          return;
        }
        queue.push(loaded);
        feedWorker();
        wake?.();
      },
    });
  } catch (error) {
    void thread?.close();
    throw error;
  } finally {
    loadDone = true;
    wake?.();
  }
  const { modules, graph } = loadResult;
  // A compile that failed (a bug) fails the run before anything is offered for writing.
  if (failure) {
    void thread?.close();
    throw failure.error;
  }
  claimCounts = new Map();
  for (const output of claims.values()) claimCounts.set(output, (claimCounts.get(output) ?? 0) + 1);
  for (const [index, { file, result }] of held.entries()) {
    offer(file, result);
    // Let the I/O that onResult started make progress (its next steps run on this thread).
    if (index % 32 === 31) await new Promise((resolveYield) => setImmediate(resolveYield));
  }
  held.length = 0;
  try {
    await compiling;
    // Settling a compile can start another (the worker is fed from its reply): wait for all.
    for (let index = 0; index < pending.length; index += 1) await pending[index];
  } finally {
    void thread?.close();
  }
  const late = failure as { error: unknown } | undefined;
  if (late) throw late.error;
  cache?.flush();
  const seen = new Set<string>();
  const pipelines: CompiledPipeline[] = [];
  for (const loaded of modules) {
    if (seen.has(loaded.file)) continue;
    seen.add(loaded.file);
    pipelines.push(results.get(loaded.file)!);
  }
  const run = finishRun(root, config, pipelines, runDiagnostics, graph, !options.files);
  run.threads = thread === undefined ? 1 : 2;
  return run;
}

/**
 * The output a loaded module claims, from its raw value (before validation): what it will be
 * compiled to if it compiles. Known as soon as the value arrives, so that writes can wait for
 * every claim to be known.
 */
function claimedOutput(root: string, loaded: LoadedModule, config: ResolvedConfig): string {
  const value = loaded.value as { name?: unknown; output?: unknown } | undefined;
  const usable = loaded.diagnostics.length === 0 && typeof value === 'object' && value !== null;
  const name = usable && typeof value.name === 'string' ? value.name : pipelineNameFromFile(loaded.file);
  const model = usable && typeof value.output === 'string' ? ({ output: value.output } as ValidPipeline) : undefined;
  return resolveOutput(root, name, model, config).output;
}

/** Flags pipelines that write the same file, and assembles the run. */
function finishRun(
  root: string,
  config: ResolvedConfig,
  pipelines: CompiledPipeline[],
  diagnostics: Diagnostic[],
  graph: Map<string, Set<string>>,
  complete: boolean,
): CompileRun {
  // Two pipelines must not write the same file (a copied pipeline whose `name` was not changed):
  // an error for each, at its `name`, and neither is written.
  const byOutput = new Map<string, CompiledPipeline[]>();
  for (const pipeline of pipelines) {
    const claimants = byOutput.get(pipeline.output);
    if (claimants) claimants.push(pipeline);
    else byOutput.set(pipeline.output, [pipeline]);
  }
  for (const [output, claimants] of byOutput) {
    if (claimants.length < 2) continue;
    for (const pipeline of claimants) {
      const others = claimants.filter((other) => other !== pipeline).map((other) => other.source);
      pipeline.diagnostics.push({
        code: 'PW4003',
        severity: 'error',
        message: `${pipeline.source} and ${others.join(', ')} both write ${output}; neither is written (give each pipeline its own name or output)`,
        path: ['name'],
        location: createSourceLocator(resolve(root, pipeline.source), root).locate(['name']),
        expected: 'a unique name or output per pipeline',
        found: `duplicate output ${output}`,
      });
      delete pipeline.jenkinsfile;
      delete pipeline.ast;
    }
  }
  return { root, config, pipelines, diagnostics, graph, complete };
}
