/**
 * The compile side of the persistent result cache: keys for one project run, and turning a
 * `CompiledPipeline` into a cache entry and back.
 *
 * A result served from the cache carries what compiling produced (name, output, diagnostics,
 * Jenkinsfile text, policy result) exactly (the output texts are stored as hashes and read back
 * from the output files, see {@link CachedCompile.jenkinsfileSha256}); `model`, `ast` and `lineOrigins` are recomputed from
 * the loaded value on first access (the compiler is deterministic, so they equal a fresh
 * compile's), which keeps `compileProject`'s contract for callers that use them while a plain
 * `compile` never pays for them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CompiledPipeline, SideFile } from '../compiled.ts';
import type { ResolvedConfig } from '../config.ts';
import type { Diagnostic, Severity } from '../diagnostics.ts';
import type { ActiveRule, PolicyFinding, SuppressedFinding } from '../policy/engine.ts';
import { ResultCache, RESULT_CACHE_FORMAT, sha256, sha256Parts } from './result-cache.ts';
import { serializeValue } from './serialize.ts';

/** The parts of a compiled pipeline that are recomputed on access instead of stored. */
const LAZY_FIELDS = ['model', 'ast', 'lineOrigins'] as const;
type LazyField = (typeof LAZY_FIELDS)[number];

/** What the cache stores for one pipeline (plain JSON data). */
export interface CachedCompile {
  name: string;
  output: string;
  /**
   * SHA-256 of the Jenkinsfile text. The text itself is not stored: a hit reads it back from the
   * output file and is a hit only when that file still has exactly this hash (a fleet's cache
   * would otherwise hold, sign and parse every Jenkinsfile a second time).
   */
  jenkinsfileSha256?: string;
  /** Diagnostics in order; policy findings as their index in `policy.findings` (they are the same objects). */
  diagnostics: (Diagnostic | { policyFinding: number })[];
  policy?: { findings: PolicyFinding[]; suppressed: SuppressedFinding[]; failOn: Severity; failed: boolean };
  /** Which of the lazy fields the result had. */
  lazy: LazyField[];
  /** Project files (root-relative) that policy rules read, with their SHA-256 (`null`: absent). */
  reads?: [string, string | null][];
  /** SHA-256 of the pipeline source when diagnostic locations were taken from it. */
  located?: string;
  /** The files generated beside the Jenkinsfile, when the run computed them: their texts as SHA-256, like the Jenkinsfile's. */
  sideFiles?: { file: string; sha256?: string; error?: string }[];
}

/** What compiling one pipeline depended on besides its value (recorded by the caller). */
export interface CompileDependencies {
  /** Root-relative project files the policy read, with their text (`undefined`: absent). */
  reads: Map<string, string | undefined>;
  /** The pipeline source text, when diagnostic locations were computed from it. */
  locatedText?: string;
}

let dependencyVersions: string | undefined;

/** Versions of the packages whose behaviour shapes results (validation, source locations). */
function versionsOfDependencies(): string {
  if (dependencyVersions !== undefined) return dependencyVersions;
  const require = createRequire(import.meta.url);
  const versions: string[] = [];
  for (const name of ['zod', 'typescript']) {
    try {
      versions.push(`${name}@${(JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version}`);
    } catch {
      versions.push(`${name}@?`);
    }
  }
  return (dependencyVersions = versions.join(','));
}

/** The result cache of one compile run (one project, one configuration, one day). */
export class CompileCache {
  readonly #root: string;
  readonly #runKey: string;
  readonly #store: ResultCache<CachedCompile>;
  readonly #readFile: (file: string) => string | undefined;

  private constructor(root: string, runKey: string, store: ResultCache<CachedCompile>, readFile: ((file: string) => string | undefined) | undefined) {
    this.#root = root;
    this.#runKey = runKey;
    this.#store = store;
    this.#readFile = readFile ?? ((file) => readProjectText(root, file));
  }

  /**
   * Opens the cache for a run, or returns `undefined` when the configuration cannot be keyed
   * (it holds something other than plain data and functions). `configFiles` are the config
   * module's local files (their contents are part of the key: custom rules may use helpers).
   */
  static open(options: {
    root: string;
    directory: string;
    buildId: string;
    config: ResolvedConfig;
    configFiles: readonly string[];
    today: string;
    /** Signs the stored shards (see `cache-key.ts`). */
    secret: Buffer;
    /** Reads project files for the run (default: from `root`); the compiler's reads each file once per run. */
    readFile?: (file: string) => string | undefined;
  }): CompileCache | undefined {
    const configText = serializeValue(options.config, { functions: 'source' });
    if (configText === undefined) return undefined;
    const configSources: string[] = [];
    for (const file of [...options.configFiles].sort()) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = '\u0000missing';
      }
      configSources.push(file, text);
    }
    const runKey = sha256Parts([
      String(RESULT_CACHE_FORMAT),
      options.buildId,
      versionsOfDependencies(),
      options.today,
      configText,
      ...configSources,
    ]);
    return new CompileCache(options.root, runKey, new ResultCache(options.directory, options.buildId, options.secret), options.readFile);
  }

  /**
   * The key of a loaded pipeline value, or `undefined` when the value is not plain data.
   * `valueJson`: the JSON text the value was parsed from, when it came as JSON (then the key).
   */
  keyOf(source: string, value: unknown, valueJson?: string): string | undefined {
    // The JSON text a value was parsed from determines it exactly: no second serialization.
    if (valueJson !== undefined) return sha256Parts([this.#runKey, source, 'json', valueJson]);
    const text = serializeValue(value);
    return text === undefined ? undefined : sha256Parts([this.#runKey, source, 'value', text]);
  }

  /**
   * The cached result for `key`, or `undefined` when there is none or a file it depended on
   * changed. `rules` are the policy's active rules (the same for every pipeline of a run, so not
   * stored); `recompute` produces the lazy fields (a fresh compile of the same value).
   */
  lookup(
    key: string,
    source: string,
    rules: ActiveRule[],
    recompute: () => Pick<CompiledPipeline, LazyField>,
  ): CompiledPipeline | undefined {
    const cached = this.#store.get(key, source);
    if (!cached || !this.#dependenciesUnchanged(cached, source)) return undefined;
    // Outputs are read directly: each once, and not kept by the run's reader.
    return restoreCompiled(cached, source, rules, recompute, (file) => readProjectText(this.#root, file));
  }

  /** Stores a freshly compiled result. */
  store(key: string, pipeline: CompiledPipeline, dependencies: CompileDependencies): void {
    this.#store.set(key, pipeline.source, encodeCompiled(pipeline, dependencies));
  }

  /** Writes what changed. */
  flush(): void {
    this.#store.flush();
  }

  #dependenciesUnchanged(cached: CachedCompile, source: string): boolean {
    for (const [file, recorded] of cached.reads ?? []) {
      const text = this.#readFile(file);
      if ((text === undefined ? null : sha256(text)) !== recorded) return false;
    }
    if (cached.located !== undefined) {
      const text = readProjectText(this.#root, source);
      if (text === undefined || sha256(text) !== cached.located) return false;
    }
    return true;
  }
}

/** A project file's text, or `undefined` (outside the project, or unreadable). */
export function readProjectText(root: string, file: string): string | undefined {
  const absolute = path.resolve(root, file);
  if (path.relative(root, absolute).startsWith('..')) return undefined;
  try {
    return readFileSync(absolute, 'utf8');
  } catch {
    return undefined;
  }
}

/** Encodes a compiled pipeline as plain data (see {@link CachedCompile}). */
export function encodeCompiled(pipeline: CompiledPipeline, dependencies: CompileDependencies): CachedCompile {
  const findings = pipeline.policy?.findings ?? [];
  const findingIndex = new Map<Diagnostic, number>(findings.map((finding, index) => [finding, index]));
  const cached: CachedCompile = {
    name: pipeline.name,
    output: pipeline.output,
    diagnostics: pipeline.diagnostics.map((d) => {
      const index = findingIndex.get(d);
      return index === undefined ? d : { policyFinding: index };
    }),
    lazy: LAZY_FIELDS.filter((field) => hasField(pipeline, field)),
  };
  if (pipeline.jenkinsfile !== undefined) cached.jenkinsfileSha256 = sha256(pipeline.jenkinsfile);
  if (pipeline.sideFiles !== undefined) {
    cached.sideFiles = pipeline.sideFiles.map(({ file, text, error }) => ({ file, ...(text === undefined ? {} : { sha256: sha256(text) }), ...(error === undefined ? {} : { error }) }));
  }
  if (pipeline.policy) {
    const { findings: policyFindings, suppressed, failOn, failed } = pipeline.policy;
    cached.policy = { findings: policyFindings, suppressed, failOn, failed };
  }
  if (dependencies.reads.size > 0) {
    cached.reads = [...dependencies.reads].map(([file, text]) => [file, text === undefined ? null : sha256(text)]);
  }
  if (dependencies.locatedText !== undefined) cached.located = sha256(dependencies.locatedText);
  return cached;
}

/** A file's text when it has exactly the recorded SHA-256, else `undefined`. */
function textWithHash(readFile: (file: string) => string | undefined, file: string, recorded: string): string | undefined {
  const text = readFile(file);
  return text !== undefined && sha256(text) === recorded ? text : undefined;
}

/**
 * A compiled pipeline from its encoded form: the same fields; `model`, `ast` and `lineOrigins`
 * (when the original had them) are accessors that call `recompute` once, on first read.
 * `rules` are the policy's active rules (the same for every pipeline of a run, so not encoded).
 * The output texts are read back from the project (`readOutput`); `undefined` (a miss) when an
 * output is no longer exactly what was compiled (edited, deleted).
 */
function restoreCompiled(
  cached: CachedCompile,
  source: string,
  rules: ActiveRule[],
  recompute: () => Pick<CompiledPipeline, LazyField>,
  readOutput: (file: string) => string | undefined,
): CompiledPipeline | undefined {
  const policy = cached.policy ? { ...cached.policy, rules } : undefined;
  const diagnostics = cached.diagnostics.map((d) => ('policyFinding' in d ? policy!.findings[d.policyFinding]! : d));
  const result: CompiledPipeline = { source, name: cached.name, output: cached.output, diagnostics };
  if (cached.jenkinsfileSha256 !== undefined) {
    const text = textWithHash(readOutput, cached.output, cached.jenkinsfileSha256);
    if (text === undefined) return undefined;
    result.jenkinsfile = text;
  }
  if (policy) result.policy = policy;
  if (cached.sideFiles !== undefined) {
    const sideFiles: SideFile[] = [];
    for (const { file, sha256: recorded, error } of cached.sideFiles) {
      if (recorded === undefined) {
        sideFiles.push({ file, ...(error === undefined ? {} : { error }) });
        continue;
      }
      const text = textWithHash(readOutput, file, recorded);
      if (text === undefined) return undefined;
      sideFiles.push({ file, text });
    }
    result.sideFiles = sideFiles;
  }
  defineLazyFields(result, cached.lazy, recompute);
  return result;
}

/**
 * Replaces `model`, `ast` and `lineOrigins` of a freshly compiled pipeline (those it has) by
 * accessors that call `recompute` once, on first read: the result then holds its outputs only,
 * as one served from the cache does. Returns the same object.
 */
export function makeModelsLazy(pipeline: CompiledPipeline, recompute: () => Pick<CompiledPipeline, LazyField>): CompiledPipeline {
  const present = LAZY_FIELDS.filter((field) => hasField(pipeline, field));
  for (const field of LAZY_FIELDS) delete pipeline[field];
  defineLazyFields(pipeline, present, recompute);
  return pipeline;
}

/**
 * Gives a result compiled elsewhere (the compile worker, which returns no models) accessors for
 * `fields` that call `recompute` once, on first read. Returns the same object.
 */
export function withLazyModels(pipeline: CompiledPipeline, fields: readonly LazyField[], recompute: () => Pick<CompiledPipeline, LazyField>): CompiledPipeline {
  defineLazyFields(pipeline, fields, recompute);
  return pipeline;
}

/** Whether a result has `field`, as a value or as an accessor (without calling the accessor). */
function hasField(pipeline: CompiledPipeline, field: LazyField): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(pipeline, field);
  return descriptor !== undefined && (descriptor.get !== undefined || descriptor.value !== undefined);
}

function defineLazyFields(result: CompiledPipeline, fields: readonly LazyField[], recompute: () => Pick<CompiledPipeline, LazyField>): void {
  let fresh: Pick<CompiledPipeline, LazyField> | undefined;
  for (const field of fields) {
    let own: unknown;
    let assigned = false;
    Object.defineProperty(result, field, {
      enumerable: true,
      configurable: true,
      get: () => (assigned ? own : (fresh ??= recompute())[field]),
      set: (value: unknown) => {
        own = value;
        assigned = true;
      },
    });
  }
}
