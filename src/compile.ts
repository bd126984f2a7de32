/**
 * The compiler pipeline, end to end: load → validate → lower → print → (emit). Everything here
 * works in memory; writing and checking files is in `src/emit/`.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { BUILD_ID } from './cache/build-id.ts';
import { CompileCache, makeModelsLazy, type CompileDependencies } from './cache/compile-cache.ts';
import { compileModule, pipelineNameFromFile, resolveOutput, type PipelineCompileContext } from './compile-pipeline.ts';
import { defaultConfig, ConfigSchema, CONFIG_FILE, type ResolvedConfig } from './config.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { JenkinsfileAst } from './jenkinsfile/ast.ts';
import { discoverPipelineFiles } from './load/discover.ts';
import { cacheLocation } from './load/cache.ts';
import { loadPipelineModules } from './load/loader.ts';
import { createSourceLocator } from './load/locate.ts';
import { configIssuesToDiagnostics, markDefaultMessage } from './validate/schema-issues.ts';
import type { ValidPipeline } from './model/schema.ts';
import { checkPolicyConfig, createPolicyRunner, type PolicyResult } from './policy/engine.ts';
import { isoDate } from './policy/suppressions.ts';

export { compilePipelineValue, pipelineNameFromFile } from './compile-pipeline.ts';

/**
 * The result of compiling one pipeline source file.
 *
 * A result served from the persistent result cache (see {@link CompileOptions.resultCache}) is the
 * same as a fresh one; its `model`, `ast` and `lineOrigins` are computed from the loaded value
 * on first access (accessor properties), so callers that never read them never pay for them.
 */
export interface CompiledPipeline {
  /** Source file, relative to the project root, `/` separators. */
  source: string;
  /** Pipeline name (from `name`, else the file name without `.pipeline.ts`). */
  name: string;
  /** Output path, relative to the project root, `/` separators. */
  output: string;
  /** Errors and warnings, with TypeScript source locations. */
  diagnostics: Diagnostic[];
  /** The validated model (absent when the source did not load or failed the schema). */
  model?: ValidPipeline;
  /** The lowered Jenkinsfile AST (absent when there are errors). */
  ast?: JenkinsfileAst;
  /** The complete Jenkinsfile text, header included (absent when there are errors). */
  jenkinsfile?: string;
  /** For each line of `jenkinsfile`, the model path that produced it (for source maps). */
  lineOrigins?: (readonly (string | number)[] | undefined)[];
  /** Policy result (absent when the pipeline did not get as far as the policy). Its active findings are also in `diagnostics`. */
  policy?: PolicyResult;
}

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
   * Called with each pipeline's result as soon as it is compiled, in run order (e.g. a
   * `RunWriter`'s `offer`, to write while compiling). The run's final check, that no two
   * pipelines write the same file, comes after: it may still fail a later pipeline (PW4003).
   */
  onResult?: (pipeline: CompiledPipeline) => void;
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
}

const toPosix = (path: string) => path.split(sep).join('/');

/**
 * The local files each configuration loaded by {@link loadConfig} came from: custom rules may use
 * helpers from them, so their contents are part of the result cache's key.
 */
const configSources = new WeakMap<ResolvedConfig, readonly string[]>();

/** Loads `pipewright.config.ts` (if any) and applies defaults. */
export async function loadConfig(root: string): Promise<{ config: ResolvedConfig; diagnostics: Diagnostic[] }> {
  const file = resolve(root, CONFIG_FILE);
  if (!existsSync(file)) return { config: defaultConfig(), diagnostics: [] };
  const { modules, graph } = await loadPipelineModules([file], { root });
  const loaded = modules[0]!;
  if (loaded.diagnostics.length > 0) return { config: defaultConfig(), diagnostics: loaded.diagnostics };
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
function openResultCache(root: string, config: ResolvedConfig, option: CompileOptions['resultCache'], today: string): CompileCache | undefined {
  const buildId = option === undefined ? BUILD_ID : option === false ? undefined : option.buildId;
  if (buildId === undefined) return undefined;
  let directory: string;
  try {
    const location = cacheLocation(root, []);
    directory = join(location.directory, 'results', location.rootPrefix);
  } catch {
    return undefined;
  }
  const configFiles = configSources.get(config);
  // A configuration with custom rules that did not come from loadConfig: the helpers its rules
  // call cannot be fingerprinted, so its results are not cached.
  if (configFiles === undefined && config.policy.customRules.length > 0) return undefined;
  return CompileCache.open({ root, directory, buildId, config, configFiles: configFiles ?? [], today });
}

/**
 * Compiles every pipeline of a project in memory (nothing is written).
 *
 * Unchanged pipelines are served from the persistent result cache when it is on (see
 * {@link CompileOptions.resultCache}); the results are the same either way.
 */
export async function compileProject(options: CompileOptions): Promise<CompileRun> {
  const root = resolve(options.root);
  const runDiagnostics: Diagnostic[] = [];
  let config = options.config;
  if (!config) {
    const loaded = await loadConfig(root);
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

  const { modules, graph } = await loadPipelineModules(files, { root });

  // One date for the whole run: suppression expiry is judged against it, and it is part of the
  // cache key.
  const now = new Date();
  const cache = openResultCache(root, config, options.resultCache, isoDate(now));
  const policy = createPolicyRunner(config.policy);
  const resolvedConfig = config;
  const context: PipelineCompileContext = { root, config, policy, now };

  const compileOne = (loaded: (typeof modules)[number]): CompiledPipeline => {
    const source = toPosix(relative(root, loaded.file));
    if (loaded.diagnostics.length > 0 || loaded.value === undefined) {
      const fallbackName = pipelineNameFromFile(loaded.file);
      return {
        source,
        name: fallbackName,
        output: resolveOutput(root, fallbackName, undefined, resolvedConfig).output,
        diagnostics: loaded.diagnostics,
      };
    }
    const recompute = () => compileModule(context, loaded.file, source, loaded.value, { reads: new Map() });
    const key = cache?.keyOf(source, loaded.value);
    if (key !== undefined) {
      const hit = cache!.lookup(key, source, policy.rules, recompute);
      if (hit) return hit;
    }
    const dependencies: CompileDependencies = { reads: new Map() };
    const result = compileModule(context, loaded.file, source, loaded.value, dependencies);
    if (key !== undefined) cache!.store(key, result, dependencies);
    return options.lazyModels ? makeModelsLazy(result, recompute) : result;
  };
  const pipelines: CompiledPipeline[] = [];
  for (const loaded of modules) {
    const result = compileOne(loaded);
    pipelines.push(result);
    if (options.onResult) {
      options.onResult(result);
      // Let the I/O that onResult started make progress (its next steps run on this thread).
      if (pipelines.length % 32 === 0) await new Promise((resolveYield) => setImmediate(resolveYield));
    }
  }
  cache?.flush();
  return finishRun(root, config, pipelines, runDiagnostics, graph, !options.files);
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
  // Two pipelines must not write the same file.
  const byOutput = new Map<string, CompiledPipeline>();
  for (const pipeline of pipelines) {
    const other = byOutput.get(pipeline.output);
    if (other) {
      pipeline.diagnostics.push({
        code: 'PW4003',
        severity: 'error',
        message: `pipelines ${other.source} and ${pipeline.source} both write ${pipeline.output}`,
        location: { file: pipeline.source, line: 1, column: 1 },
        expected: 'a unique name or output per pipeline',
        found: `duplicate output ${pipeline.output}`,
      });
      delete pipeline.jenkinsfile;
    } else byOutput.set(pipeline.output, pipeline);
  }
  return { root, config, pipelines, diagnostics, graph, complete };
}
