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
 *
 * Warm runs: an entry keeps the stat stamp (`file-stamp.ts`) of each output, and of the source
 * its locations came from, as it was when its content was last verified (by this cache's read,
 * or the writer's). A file that still has that stamp is known to hold that content without being
 * read or hashed; an output known so is read only if someone asks for its text, and the writer
 * knows it is unchanged from its stamp (see {@link trackedOutput}).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CompiledPipeline, SideFile } from '../compiled.ts';
import type { ResolvedConfig } from '../config.ts';
import type { Diagnostic, Severity } from '../diagnostics.ts';
import type { ActiveRule, PolicyFinding, SuppressedFinding } from '../policy/engine.ts';
import { hasStamp, takeStamp } from './file-stamp.ts';
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
  /** The output's stat stamp when it was last seen holding exactly that text (trusted: not racy). */
  jenkinsfileStamp?: string;
  /** Diagnostics in order; policy findings as their index in `policy.findings` (they are the same objects). */
  diagnostics: (Diagnostic | { policyFinding: number })[];
  policy?: { findings: PolicyFinding[]; suppressed: SuppressedFinding[]; failOn: Severity; failed: boolean };
  /** Which of the lazy fields the result had. */
  lazy: LazyField[];
  /** Project files (root-relative) that policy rules read, with their SHA-256 (`null`: absent). */
  reads?: [string, string | null][];
  /** SHA-256 of the pipeline source when diagnostic locations were taken from it. */
  located?: string;
  /** The pipeline source's stat stamp when it was last seen with the `located` hash (trusted). */
  locatedStamp?: string;
  /** The files generated beside the Jenkinsfile, when the run computed them: their texts as SHA-256 and stamps, like the Jenkinsfile's. */
  sideFiles?: { file: string; sha256?: string; error?: string; stamp?: string }[];
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
  /** SHA-256 of the project files read through the run's reader, by file, with the text hashed. */
  readonly #readHashes = new Map<string, { text: string | undefined; sha256: string | null }>();
  /** Entries whose stamps changed since they were stored or read (written back at `flush`). */
  readonly #restamped = new Map<string, { source: string; cached: CachedCompile }>();

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
   * The cached result for `key`, or `undefined` when there is none, a file it depended on
   * changed, or an output is no longer exactly what was compiled. `rules` are the policy's
   * active rules (the same for every pipeline of a run, so not stored); `recompute` is a fresh
   * compile of the same value: it produces the lazy fields, and the Jenkinsfile text should the
   * output change after this lookup vouched for it by its stamp.
   */
  lookup(
    key: string,
    source: string,
    rules: ActiveRule[],
    recompute: () => Pick<CompiledPipeline, LazyField | 'jenkinsfile'>,
  ): CompiledPipeline | undefined {
    const cached = this.#store.get(key, source);
    if (!cached) return undefined;
    const restamp = () => this.#restamped.set(key, { source, cached });
    if (!this.#dependenciesUnchanged(cached, source, restamp)) return undefined;
    const unread = new Set<string>();
    const result = restoreCompiled(cached, source, rules, recompute, this.#root, restamp, unread);
    if (result) this.#keepOutputRecord(result, cached, restamp, unread);
    return result;
  }

  /** Stores a freshly compiled result. */
  store(key: string, pipeline: CompiledPipeline, dependencies: CompileDependencies): void {
    const cached = encodeCompiled(pipeline, dependencies);
    this.#store.set(key, pipeline.source, cached);
    // A lookup of this key that missed may have recorded stamps into the entry this one replaces.
    this.#restamped.delete(key);
    this.#keepOutputRecord(pipeline, cached, () => this.#restamped.set(key, { source: pipeline.source, cached }), new Set());
  }

  /** Writes what changed (stamps recorded since included). */
  flush(): void {
    for (const [key, { source, cached }] of this.#restamped) this.#store.set(key, source, cached);
    this.#restamped.clear();
    this.#store.flush();
  }

  /**
   * Lets the writer see what is known of `pipeline`'s outputs (their hashes, trusted stamps, which
   * texts are `unread`) and record new stamps into its entry.
   */
  #keepOutputRecord(pipeline: CompiledPipeline, cached: CachedCompile, restamp: () => void, unread: ReadonlySet<string>): void {
    const outputs = new Map<string, TrackedOutput>();
    const track = (file: string, sha256: string, stamp: string | undefined, keep: (stamp: string) => void) =>
      outputs.set(file, new TrackedOutput(sha256, stamp, unread.has(file), keep));
    if (cached.jenkinsfileSha256 !== undefined) {
      track(cached.output, cached.jenkinsfileSha256, cached.jenkinsfileStamp, (stamp) => {
        cached.jenkinsfileStamp = stamp;
        restamp();
      });
    }
    for (const side of cached.sideFiles ?? []) {
      if (side.sha256 === undefined) continue;
      track(side.file, side.sha256, side.stamp, (stamp) => {
        side.stamp = stamp;
        restamp();
      });
    }
    outputRecords.set(pipeline, outputs);
  }

  #dependenciesUnchanged(cached: CachedCompile, source: string, restamp: () => void): boolean {
    for (const [file, recorded] of cached.reads ?? []) {
      if (this.#hashOfRead(file) !== recorded) return false;
    }
    if (cached.located === undefined) return true;
    if (cached.locatedStamp !== undefined && hasStamp(path.resolve(this.#root, source), cached.locatedStamp)) return true;
    const verified = readVerified(this.#root, source, cached.located);
    if (verified === undefined) return false;
    if (verified.stamp !== undefined) {
      cached.locatedStamp = verified.stamp;
      restamp();
    }
    return true;
  }

  /** SHA-256 of a project file read through the run's reader (`null`: absent); one hash per text and run. */
  #hashOfRead(file: string): string | null {
    const text = this.#readFile(file);
    const known = this.#readHashes.get(file);
    if (known !== undefined && known.text === text) return known.sha256;
    const hashed = text === undefined ? null : sha256(text);
    this.#readHashes.set(file, { text, sha256: hashed });
    return hashed;
  }
}

/**
 * An output of a result the result cache served or stored, as the writer sees it: the file's
 * trusted stat stamp when it was last seen holding exactly the text the result has for it (a
 * file that has this stamp now still holds that text, see `file-stamp.ts`), and a way to record
 * a new one.
 */
export class TrackedOutput {
  /** SHA-256 of the result's text for the output. */
  readonly sha256: string;
  /**
   * The result's text for the output has not been read (the file had its trusted stamp when the
   * result was served): compare a file with {@link sha256} rather than with the text, which
   * would read the output (see {@link OutputChangedError}).
   */
  readonly unread: boolean;
  #stamp: string | undefined;
  readonly #keep: (stamp: string) => void;

  constructor(sha256: string, stamp: string | undefined, unread: boolean, keep: (stamp: string) => void) {
    this.sha256 = sha256;
    this.#stamp = stamp;
    this.unread = unread;
    this.#keep = keep;
  }

  /** The trusted stamp, if any. */
  get stamp(): string | undefined {
    return this.#stamp;
  }

  /**
   * Records `stamp` of the output, which the caller took (settled, see `takeStamp`) before reading
   * the file and finding exactly the result's text: kept in the result's cache entry (stored at
   * the cache's flush).
   */
  keep(stamp: string): void {
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    this.#keep(stamp);
  }
}

/**
 * Thrown on reading the text of a side file (`CompiledPipeline.sideFiles`) that the cache served
 * unread, by its stamp, when the file no longer holds it: it changed after the result was served
 * (while the run was going, or since), and side files cannot be generated again synchronously.
 */
export class OutputChangedError extends Error {
  constructor(readonly file: string) {
    super(`${file} changed while pipewright was compiling (after it was found up to date); run pipewright compile again`);
    this.name = 'OutputChangedError';
  }
}

/** The tracked outputs of this process's results, by result (a dropped result takes its record with it). */
const outputRecords = new WeakMap<CompiledPipeline, Map<string, TrackedOutput>>();

/** Output `file` of `pipeline` as the result cache tracks it, or `undefined` (not a result of a caching run). */
export function trackedOutput(pipeline: CompiledPipeline, file: string): TrackedOutput | undefined {
  return outputRecords.get(pipeline)?.get(file);
}

/**
 * Whether a result has a Jenkinsfile, without reading it (a result served from the cache may
 * read it from its output on first access).
 */
export function hasJenkinsfile(pipeline: CompiledPipeline): boolean {
  return hasOwnValue(pipeline, 'jenkinsfile');
}

/**
 * Whether `object` has `key`, as a value other than `undefined` or as an accessor, without calling
 * the accessor (the lazy fields of results, and the texts of side files served from the cache).
 */
export function hasOwnValue(object: object, key: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  return descriptor !== undefined && (descriptor.get !== undefined || descriptor.value !== undefined);
}

/**
 * The text of project file `file` when its SHA-256 is `recorded`, with its stamp when that may be
 * recorded (taken before the read: a change after it changes the stamp), else `undefined`.
 */
function readVerified(root: string, file: string, recorded: string): { text: string; stamp?: string } | undefined {
  const taken = takeStamp(path.resolve(root, file));
  const text = readProjectText(root, file);
  if (text === undefined || sha256(text) !== recorded) return undefined;
  return taken?.settled ? { text, stamp: taken.stamp } : { text };
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
    lazy: LAZY_FIELDS.filter((field) => hasOwnValue(pipeline, field)),
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

/**
 * A compiled pipeline from its encoded form: the same fields; `model`, `ast` and `lineOrigins`
 * (when the original had them) are accessors that call `recompute` once, on first read.
 * `rules` are the policy's active rules (the same for every pipeline of a run, so not encoded).
 * The output texts are those of the output files below `root`; `undefined` (a miss) when an
 * output is no longer exactly what was compiled (edited, deleted). An output that still has its
 * trusted stamp is not read now (it is added to `unread`): its text is read on first access
 * (a Jenkinsfile changed since is compiled again by `recompute`; a side file changed since
 * throws {@link OutputChangedError}). Stamps verified by reading are recorded into `cached`, and
 * `restamp` called.
 */
function restoreCompiled(
  cached: CachedCompile,
  source: string,
  rules: ActiveRule[],
  recompute: () => Pick<CompiledPipeline, LazyField | 'jenkinsfile'>,
  root: string,
  restamp: () => void,
  unread: Set<string>,
): CompiledPipeline | undefined {
  const policy = cached.policy ? { ...cached.policy, rules } : undefined;
  const diagnostics = cached.diagnostics.map((d) => ('policyFinding' in d ? policy!.findings[d.policyFinding]! : d));
  const result: CompiledPipeline = { source, name: cached.name, output: cached.output, diagnostics };
  let fresh: Pick<CompiledPipeline, LazyField | 'jenkinsfile'> | undefined;
  const compiled = () => (fresh ??= recompute());
  /**
   * Whether `file` holds the text with SHA-256 `expected`: by its trusted `stamp` (then unread),
   * else by reading it (`text`; a new stamp goes to `keep`). `undefined`: it does not.
   */
  const check = (file: string, expected: string, stamp: string | undefined, keep: (stamp: string) => void): { text?: string } | undefined => {
    if (stamp !== undefined && hasStamp(path.resolve(root, file), stamp)) {
      unread.add(file);
      return {};
    }
    const verified = readVerified(root, file, expected);
    if (verified?.stamp !== undefined) {
      keep(verified.stamp);
      restamp();
    }
    return verified;
  };
  /** `file`'s text when it still has SHA-256 `expected`, else `undefined`. */
  const readAgain = (file: string, expected: string): string | undefined => {
    const text = readProjectText(root, file);
    return text !== undefined && sha256(text) === expected ? text : undefined;
  };

  const expected = cached.jenkinsfileSha256;
  if (expected !== undefined) {
    const found = check(cached.output, expected, cached.jenkinsfileStamp, (stamp) => (cached.jenkinsfileStamp = stamp));
    if (found === undefined) return undefined;
    if (found.text !== undefined) result.jenkinsfile = found.text;
    else defineLazyField(result, 'jenkinsfile', () => readAgain(cached.output, expected) ?? compiled().jenkinsfile);
  }
  if (policy) result.policy = policy;
  if (cached.sideFiles !== undefined) {
    const sideFiles: SideFile[] = [];
    for (const side of cached.sideFiles) {
      const { file, sha256: recorded } = side;
      if (recorded === undefined) {
        sideFiles.push({ file, ...(side.error === undefined ? {} : { error: side.error }) });
        continue;
      }
      const found = check(file, recorded, side.stamp, (stamp) => (side.stamp = stamp));
      if (found === undefined) return undefined;
      if (found.text !== undefined) {
        sideFiles.push({ file, text: found.text });
        continue;
      }
      const sideFile: SideFile = { file };
      defineLazyField(sideFile, 'text', () => {
        const text = readAgain(file, recorded);
        if (text === undefined) throw new OutputChangedError(file);
        return text;
      });
      sideFiles.push(sideFile);
    }
    result.sideFiles = sideFiles;
  }
  for (const field of cached.lazy) defineLazyField(result, field, () => compiled()[field]);
  return result;
}

/**
 * Replaces `model`, `ast` and `lineOrigins` of a freshly compiled pipeline (those it has) by
 * accessors that call `recompute` once, on first read: the result then holds its outputs only,
 * as one served from the cache does. Returns the same object.
 */
export function makeModelsLazy(pipeline: CompiledPipeline, recompute: () => Pick<CompiledPipeline, LazyField>): CompiledPipeline {
  const present = LAZY_FIELDS.filter((field) => hasOwnValue(pipeline, field));
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

function defineLazyFields(result: CompiledPipeline, fields: readonly LazyField[], recompute: () => Pick<CompiledPipeline, LazyField>): void {
  let fresh: Pick<CompiledPipeline, LazyField> | undefined;
  for (const field of fields) defineLazyField(result, field, () => (fresh ??= recompute())[field]);
}

/** Makes `field` an accessor that calls `compute` on first read (and can be replaced or deleted like data). */
function defineLazyField<T extends object, F extends keyof T & string>(result: T, field: F, compute: () => T[F]): void {
  let own: unknown;
  let known = false;
  Object.defineProperty(result, field, {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!known) {
        own = compute();
        known = true;
      }
      return own;
    },
    set: (value: unknown) => {
      own = value;
      known = true;
    },
  });
}
