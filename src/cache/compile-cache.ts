/**
 * The compile side of the persistent result cache: keys for one project run, and turning a
 * `CompiledPipeline` into a cache entry and back.
 *
 * A result served from the cache carries what compiling produced (name, output, diagnostics,
 * Jenkinsfile text, policy result) exactly; `model`, `ast` and `lineOrigins` are recomputed from
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
  jenkinsfile?: string;
  /** Diagnostics in order; policy findings as their index in `policy.findings` (they are the same objects). */
  diagnostics: (Diagnostic | { policyFinding: number })[];
  policy?: { findings: PolicyFinding[]; suppressed: SuppressedFinding[]; failOn: Severity; failed: boolean };
  /** Which of the lazy fields the result had. */
  lazy: LazyField[];
  /** Project files (root-relative) that policy rules read, with their SHA-256 (`null`: absent). */
  reads?: [string, string | null][];
  /** SHA-256 of the pipeline source when diagnostic locations were taken from it. */
  located?: string;
  /** The files generated beside the Jenkinsfile, when the run computed them. */
  sideFiles?: SideFile[];
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

  private constructor(root: string, runKey: string, store: ResultCache<CachedCompile>) {
    this.#root = root;
    this.#runKey = runKey;
    this.#store = store;
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
    return new CompileCache(options.root, runKey, new ResultCache(options.directory, options.buildId, options.secret));
  }

  /** The key of a loaded pipeline value, or `undefined` when the value is not plain data. */
  keyOf(source: string, value: unknown): string | undefined {
    const text = serializeValue(value);
    return text === undefined ? undefined : sha256Parts([this.#runKey, source, text]);
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
    return restoreCompiled(cached, source, rules, recompute);
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
      const text = readProjectText(this.#root, file);
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
    lazy: LAZY_FIELDS.filter((field) => pipeline[field] !== undefined),
  };
  if (pipeline.jenkinsfile !== undefined) cached.jenkinsfile = pipeline.jenkinsfile;
  if (pipeline.sideFiles !== undefined) cached.sideFiles = pipeline.sideFiles;
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

/**
 * A compiled pipeline from its encoded form: the same fields; `model`, `ast` and `lineOrigins`
 * (when the original had them) are accessors that call `recompute` once, on first read.
 * `rules` are the policy's active rules (the same for every pipeline of a run, so not encoded).
 */
export function restoreCompiled(
  cached: CachedCompile,
  source: string,
  rules: ActiveRule[],
  recompute: () => Pick<CompiledPipeline, LazyField>,
): CompiledPipeline {
  const policy = cached.policy ? { ...cached.policy, rules } : undefined;
  const diagnostics = cached.diagnostics.map((d) => ('policyFinding' in d ? policy!.findings[d.policyFinding]! : d));
  const result: CompiledPipeline = { source, name: cached.name, output: cached.output, diagnostics };
  if (cached.jenkinsfile !== undefined) result.jenkinsfile = cached.jenkinsfile;
  if (policy) result.policy = policy;
  if (cached.sideFiles !== undefined) result.sideFiles = cached.sideFiles;
  defineLazyFields(result, cached.lazy, recompute);
  return result;
}

/**
 * Replaces `model`, `ast` and `lineOrigins` of a freshly compiled pipeline (those it has) by
 * accessors that call `recompute` once, on first read: the result then holds its outputs only,
 * as one served from the cache does. Returns the same object.
 */
export function makeModelsLazy(pipeline: CompiledPipeline, recompute: () => Pick<CompiledPipeline, LazyField>): CompiledPipeline {
  const present = LAZY_FIELDS.filter((field) => pipeline[field] !== undefined);
  for (const field of LAZY_FIELDS) delete pipeline[field];
  defineLazyFields(pipeline, present, recompute);
  return pipeline;
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
