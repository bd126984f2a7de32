/**
 * The load phase: pipeline files (`*.pipeline.ts`) to plain data, with every failure turned into a
 * Diagnostic that points at the TypeScript source.
 *
 * esbuild bundles the pipelines into a lazy bundle (see `bundle.ts`; a load of many pipelines
 * into a few, so that bundling overlaps evaluation: `splitForOverlap`, `loadInChunks`), in this
 * process. The bundle is evaluated in a sandbox worker (`sandbox.ts`), never in this realm: each pipeline in
 * turn, its default export copied into plain data and streamed back as soon as it is evaluated,
 * so a caller can compile while later modules still evaluate (`onModule`). So:
 * - a syntax or resolve error fails only the pipelines that reach the broken file (PW1001);
 * - a module that throws fails the pipelines that import it (PW1002, at the throwing line), and
 *   so does an npm import that cannot be loaded (at the import);
 * - a missing or wrong default export is reported per pipeline (PW1003, PW1004), and so is one
 *   that is not plain data: a function, a cycle, a throwing getter (PW1006, at the property);
 * - a module that exits the worker, runs out of time or memory, or awaits forever is stopped and
 *   reported (PW1005); the others still load.
 * When nothing changed since the last load (same entries, same input sizes and mtimes), and the
 * caller trusts the cache, the previous bundle is reused and esbuild does not run (`cache.ts`).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message } from 'esbuild';
import { formatPath, type Diagnostic, type Location } from '../diagnostics.ts';
import {
  bundleEntries,
  bundleIsolated,
  dslModulePath,
  ENTRY_NAME,
  entryIndexOfLine,
  reachable,
  releaseBundler,
  type BundleMode,
  type BundleSuccess,
  type ExternalImports,
  type ImportEdges,
} from './bundle.ts';
import {
  cacheLocation,
  findReusableBundle,
  fingerprintInputs,
  forgetBundle,
  fromRecord,
  newBundlePath,
  newIsolatedDirectory,
  storeBundle,
  toRecord,
  type CacheLocation,
} from './cache.ts';
import { cacheSecret } from '../cache/cache-key.ts';
import { PIPELINE_FILE_SUFFIX } from './discover.ts';
import { diagnoseExternalFailure, findImportSite } from './externals.ts';
import { createSourceLocator } from './locate.ts';
import { evaluateUnits, prepareSandbox, probeImport, reviveError, sandboxLimits, ThrownValue, type EvaluationUnit, type SandboxLimits, type UnitOutcome } from './sandbox.ts';
import { BundleSourceMaps, parseStack, type StackPosition } from './stack.ts';

/** One pipeline file after loading. */
export interface LoadedModule {
  /** Absolute path. */
  file: string;
  /**
   * The module's default export as plain data (a fresh copy made for this load), when it has
   * one (even if PW1004 rejects it).
   */
  value?: unknown;
  /** Load problems of this file; empty when it loaded cleanly. */
  diagnostics: Diagnostic[];
  /**
   * The JSON text `value` was parsed from, when it travelled from the sandbox as JSON: it
   * determines `value` exactly, so it can key a cache without serializing the value again.
   * Only on the modules offered to `onModule` (not kept for the load's result).
   */
  valueJson?: string;
}

export interface LoadResult {
  /** One per input file, in input order. */
  modules: LoadedModule[];
  /**
   * Absolute pipeline file -> the absolute local files it depends on, transitively, itself
   * included (for watch mode). Local means not in node_modules and not pipewright's own DSL.
   */
  graph: Map<string, Set<string>>;
}

export interface LoadOptions {
  /** Project root: locations are relative to it, the bundle cache lives below it. */
  root: string;
  /**
   * Whether a bundle from the cache may be reused (default true). Runs that must not take the
   * cache's word (CI, `--check`, `lint`, `--no-cache`) pass `false` and always bundle afresh.
   */
  reuseBundles?: boolean;
  /**
   * Limits for evaluating user code: time per module (ms) and the worker's heap (MB). Default:
   * `PIPEWRIGHT_LOAD_TIMEOUT` (seconds) and `PIPEWRIGHT_LOAD_MEMORY_MB`, else 60 s and 2,048 MB.
   */
  limits?: Partial<SandboxLimits>;
  /**
   * Called with each module as soon as it is final (values stream while later modules still
   * evaluate). Every input file is reported exactly once, in no particular order.
   */
  onModule?: (module: LoadedModule) => void;
  /**
   * Loads of more entries than this are bundled and evaluated in chunks of at most this many
   * (default {@link LOAD_CHUNK_SIZE}); see {@link loadModules}.
   */
  chunkSize?: number;
  /**
   * Loads of at least this many entries (and at most `chunkSize`) are split into a leading chunk
   * and the rest (default {@link OVERLAP_MIN_ENTRIES}); see {@link splitForOverlap}.
   */
  overlapFrom?: number;
}

/**
 * Entries per chunk of a large load. A chunk is bundled by esbuild while the previous one
 * evaluates, and evaluates in a fresh worker, so neither esbuild's service nor a worker holds more
 * than one chunk's modules: 10,000 synthetic pipelines in one bundle peaked at ~870 MB in esbuild's
 * service alone.
 */
export const LOAD_CHUNK_SIZE = 1000;

/**
 * Loads of at least this many entries are split in two (see {@link splitForOverlap}); below it,
 * bundling takes little longer than esbuild's fixed cost per build, so one bundle is quicker.
 */
export const OVERLAP_MIN_ENTRIES = 200;

/** Load diagnostic codes. */
export const LoadCodes = {
  /** Syntax or transform error, or an unresolvable local import, reported by esbuild. */
  buildError: 'PW1001',
  /** The module, a module it imports, or an npm package it imports threw while loading. */
  threw: 'PW1002',
  /** No default export. */
  noDefaultExport: 'PW1003',
  /** The default export is not a pipeline made by `definePipeline` (for other modules: not an object). */
  notAPipeline: 'PW1004',
  /** Evaluation was stopped: the module exited the worker, hung, ran out of memory or never settled. */
  stopped: 'PW1005',
  /** The default export holds something that is not plain data (function, cycle, throwing getter, class instance). */
  notData: 'PW1006',
} as const;

interface LoadContext {
  root: string;
  dslPath: string;
  /** Directory of pipewright's own code (src/ or dist/): not the user's, so not in the graph. */
  packageDirectory: string;
  location: CacheLocation;
  maps: BundleSourceMaps;
  diagnostics: Map<string, Diagnostic[]>;
  values: Map<string, unknown>;
  /** The JSON texts of `values` that travelled as JSON, until the entry is offered to `onModule`. */
  valueJson: Map<string, string>;
  /** Memo for `isUserFile`. */
  userFiles: Map<string, boolean>;
  limits: SandboxLimits;
  /** Called once per entry when its outcome is final. */
  onModule?: (entry: string) => void;
  /** Where each evaluated entry came from (for re-evaluating a configuration's custom rules). */
  sources?: Map<string, EvaluationUnit>;
  /**
   * The user's cache key, when this load may reuse and record bundles (`../cache/cache-key.ts`);
   * without it no manifest is read or written.
   */
  secret?: Buffer;
  /**
   * Set on a chunk that another chunk of the same load follows (esbuild's service then stays up
   * for it): `fresh-worker` boots the next chunk's worker while this one evaluates (large loads,
   * so no worker holds more than one chunk's modules); `same-worker` hands this chunk's worker on
   * to the next chunk (a load split only to overlap bundling: the worker's code stays warm).
   */
  nextChunk?: 'fresh-worker' | 'same-worker';
}

/** A bundle ready to evaluate, from a build or from the warm cache. */
interface PreparedBundle {
  /** Absolute path of the bundle; `undefined` when no entry could be bundled. */
  bundle: string | undefined;
  mode: BundleMode;
  /** Bundled entries in the bundle's order. */
  bundled: string[];
  /** Bundled entries that must not be evaluated (they reach a module that failed to compile). */
  broken: Set<string>;
  edges: ImportEdges;
  externals: ExternalImports;
}

/**
 * Loads pipeline modules: `value` is each file's default export, as plain data. The modules run
 * in a sandbox worker (see `sandbox.ts`), so nothing they do ends or hangs this process. Never
 * throws for problems in the pipeline files: those become Diagnostics on the modules they
 * affect. Throws only when the environment fails (e.g. the cache directory cannot be written).
 */
export async function loadPipelineModules(files: readonly string[], options: LoadOptions): Promise<LoadResult> {
  return (await loadModules(files, options)).result;
}

/**
 * {@link loadPipelineModules}, plus where each evaluated entry came from (the unit that evaluated
 * it), for loading a configuration's custom rules into their own worker.
 */
export async function loadModules(files: readonly string[], options: LoadOptions): Promise<{ result: LoadResult; sources: Map<string, EvaluationUnit> }> {
  const root = path.resolve(options.root);
  const inputs = files.map((file) => path.resolve(root, file));
  const entries = [...new Set(inputs)];
  const sources = new Map<string, EvaluationUnit>();
  if (entries.length === 0) return { result: { modules: [], graph: new Map() }, sources };

  const dslPath = dslModulePath();
  const context: LoadContext = {
    root,
    dslPath,
    packageDirectory: path.dirname(path.dirname(dslPath)),
    location: cacheLocation(root, entries),
    maps: new BundleSourceMaps(),
    diagnostics: new Map(entries.map((entry) => [entry, []])),
    values: new Map(),
    valueJson: new Map(),
    userFiles: new Map(),
    limits: sandboxLimits(options.limits),
    sources,
  };
  // The worker boots while esbuild bundles (or the cache is checked).
  prepareSandbox(context.limits);
  if (options.reuseBundles ?? true) {
    const secret = cacheSecret();
    if (secret) context.secret = secret;
  }
  const moduleOf = (file: string): LoadedModule => {
    const loaded: LoadedModule = { file, diagnostics: [...(context.diagnostics.get(file) ?? [])] };
    if (context.values.has(file)) loaded.value = context.values.get(file);
    return loaded;
  };
  const streamed = new Set<string>();
  if (options.onModule) {
    const onModule = options.onModule;
    context.onModule = (entry) => {
      if (streamed.has(entry)) return;
      streamed.add(entry);
      const loaded = moduleOf(entry);
      const json = context.valueJson.get(entry);
      if (json !== undefined && 'value' in loaded) loaded.valueJson = json;
      context.valueJson.delete(entry);
      onModule(loaded);
    };
  }

  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? LOAD_CHUNK_SIZE));
  const overlapFrom = Math.max(2, Math.floor(options.overlapFrom ?? OVERLAP_MIN_ENTRIES));
  let edges: ImportEdges;
  if (entries.length > chunkSize) edges = await loadInChunks(context, splitIntoChunks(entries, chunkSize), 'fresh-worker');
  else if (entries.length >= overlapFrom) edges = await loadInChunks(context, splitForOverlap(entries), 'same-worker');
  else edges = (await withSlotLock(context.location.prefix, () => prepareAndEvaluate(context, entries))).edges;

  const graph = new Map<string, Set<string>>();
  for (const entry of entries) graph.set(entry, localDependencies(context, entry, edges));
  if (options.onModule) for (const entry of entries) if (!streamed.has(entry)) context.onModule!(entry);
  return { result: { modules: inputs.map(moduleOf), graph }, sources };
}

/** Loads of the same entry set in this process run one after the other (they share cache files). */
const slotLocks = new Map<string, Promise<unknown>>();

async function withSlotLock<T>(slot: string, work: () => Promise<T>): Promise<T> {
  const previous = slotLocks.get(slot) ?? Promise.resolve();
  const current = previous.then(work, work);
  const settled = current.catch(() => undefined);
  slotLocks.set(slot, settled);
  try {
    return await current;
  } finally {
    if (slotLocks.get(slot) === settled) slotLocks.delete(slot);
  }
}

/** Loads of at least this many entries stop esbuild's service once bundled (`releaseBundler`). */
const LARGE_LOAD = 100;

/** How often a bundle deleted under our feet (by another process) is rebuilt before giving up. */
const MAX_BUNDLE_ATTEMPTS = 3;

/** Reuses (when allowed) or builds the bundle and evaluates it in the sandbox. */
async function prepareAndEvaluate(context: LoadContext, entries: readonly string[], ready?: PreparedBundle): Promise<PreparedBundle> {
  for (let attempt = 1; ; attempt += 1) {
    const prepared = (attempt === 1 ? (ready ?? reuseBundle(context, entries)) : undefined) ?? (await buildBundle(context, entries));
    // A large load leaves esbuild's service holding its memory for the rest of the run: free it.
    if (entries.length >= LARGE_LOAD && !context.nextChunk) await releaseBundler();
    const outcome = await evaluateBundle(context, prepared);
    if (outcome === 'done') return prepared;
    // Another process replaced and deleted the bundle between our build (or check) and our import.
    forgetBundle(context.location);
    if (attempt >= MAX_BUNDLE_ATTEMPTS) throw new Error(`pipewright: the bundle ${prepared.bundle} kept disappearing before it could be loaded`);
    for (const entry of entries) context.diagnostics.set(entry, []);
  }
}

/** `entries` in input order, cut into as few chunks of at most `size` as possible, of even sizes. */
function splitIntoChunks(entries: readonly string[], size: number): string[][] {
  const count = Math.ceil(entries.length / size);
  const chunks: string[][] = [];
  for (let index = 0; index < count; index += 1) {
    chunks.push(entries.slice(Math.floor((index * entries.length) / count), Math.floor(((index + 1) * entries.length) / count)));
  }
  return chunks;
}

/**
 * `entries` as a leading chunk of about a quarter and the rest. esbuild bundles the rest while
 * the leading chunk evaluates and compiles, instead of the compiler waiting idle for one bundle
 * of everything; a quarter, as bundling a pipeline costs a fraction of compiling it, so the rest
 * is bundled before the leading chunk's pipelines have compiled.
 */
function splitForOverlap(entries: readonly string[]): string[][] {
  const lead = Math.ceil(entries.length / OVERLAP_LEAD_PARTS);
  return [entries.slice(0, lead), entries.slice(lead)];
}

/** The leading chunk of a split load is 1/OVERLAP_LEAD_PARTS of it. */
const OVERLAP_LEAD_PARTS = 4;

/**
 * A load chunk by chunk: each chunk is a load of its own entry set (its own bundle and cache slot,
 * so a warm run reuses every chunk), bundled while the previous chunk evaluates. `workers`: each
 * chunk evaluates in a fresh worker that boots meanwhile (large loads), or in the worker of the
 * chunk before (see {@link LoadContext.nextChunk}). Bundles are built one at a time and esbuild's
 * service is stopped after the last. A module that several chunks import is evaluated once per
 * chunk (each pipeline's value is a copy of plain data, so values do not change). Returns the
 * import edges of every chunk.
 */
async function loadInChunks(context: LoadContext, chunks: readonly string[][], workers: NonNullable<LoadContext['nextChunk']>): Promise<ImportEdges> {
  const edges: ImportEdges = new Map();
  let built: Promise<void> = Promise.resolve();
  let evaluated: Promise<void> = Promise.resolve();
  const last = chunks.length - 1;
  const work = chunks.map((chunk, index) => {
    const chunkContext: LoadContext = { ...context, location: cacheLocation(context.root, chunk) };
    if (index < last) chunkContext.nextChunk = workers;
    const previousBuild = built;
    const previousEvaluation = evaluated;
    let signalBuilt!: () => void;
    let signalEvaluated!: () => void;
    built = new Promise((resolve) => (signalBuilt = resolve));
    evaluated = new Promise((resolve) => (signalEvaluated = resolve));
    return withSlotLock(chunkContext.location.prefix, async () => {
      try {
        await previousBuild;
        let prepared: PreparedBundle;
        try {
          prepared = reuseBundle(chunkContext, chunk) ?? (await buildBundle(chunkContext, chunk));
          if (index === last) await releaseBundler();
        } finally {
          signalBuilt();
        }
        await previousEvaluation;
        const done = await prepareAndEvaluate(chunkContext, chunk, prepared);
        for (const [file, targets] of done.edges) edges.set(file, targets);
      } finally {
        signalBuilt();
        signalEvaluated();
      }
    });
  });
  await Promise.all(work);
  return edges;
}

/** The user's files `entry` depends on, itself included. */
function localDependencies(context: LoadContext, entry: string, edges: ImportEdges): Set<string> {
  const local = new Set<string>([entry]);
  for (const file of reachable(entry, edges)) if (isUserFile(context, file)) local.add(file);
  return local;
}

function isUserFile(context: LoadContext, file: string): boolean {
  let user = context.userFiles.get(file);
  if (user === undefined) {
    user = !file.startsWith(context.packageDirectory + path.sep) && !file.split(path.sep).includes('node_modules');
    context.userFiles.set(file, user);
  }
  return user;
}

function report(context: LoadContext, entry: string, diagnostic: Diagnostic): void {
  context.diagnostics.get(entry)?.push(diagnostic);
}

/** `root`-relative path with `/` separators, as in every Location. */
function relative(context: LoadContext, file: string): string {
  return path.relative(context.root, file).split(path.sep).join('/');
}

function fileStart(context: LoadContext, file: string): Location {
  return { file: relative(context, file), line: 1, column: 1 };
}

// ---------------------------------------------------------------------------------------------
// Warm cache
// ---------------------------------------------------------------------------------------------

function reuseBundle(context: LoadContext, entries: readonly string[]): PreparedBundle | undefined {
  if (!context.secret) return undefined;
  const manifest = findReusableBundle(context.location, entries, context.dslPath, context.secret);
  if (!manifest) return undefined;
  context.maps.register(manifest.bundle, `${manifest.bundle}.map`);
  return {
    bundle: manifest.bundle,
    mode: manifest.mode,
    bundled: manifest.entries,
    broken: new Set(),
    edges: fromRecord(manifest.edges),
    externals: fromRecord(manifest.externals),
  };
}

// ---------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------

/**
 * Bundles all entries. When esbuild reports errors, the files they are in are replaced by stubs
 * and the build is repeated, lazily (errors that only appear once others are gone, such as
 * missing exports, take another round); the final metafile then shows exactly which entries
 * reach a broken file, and those get its errors (PW1001) instead of being evaluated.
 */
async function buildBundle(context: LoadContext, entries: readonly string[]): Promise<PreparedBundle> {
  let remaining = [...entries];
  const brokenFiles = new Map<string, Message[]>();
  const none = (broken: Set<string>): PreparedBundle => ({ bundle: undefined, mode: 'lazy', bundled: [], broken, edges: new Map(), externals: new Map() });
  for (;;) {
    if (remaining.length === 0) return none(new Set());
    // Always lazy: each pipeline evaluates on its own, so progress and failures are per pipeline.
    const mode: BundleMode = 'lazy';
    const bundlePath = newBundlePath(context.location);
    const started = Date.now();
    const result = await bundleEntries(remaining, { root: context.root, outfile: bundlePath, mode, stubs: new Set(brokenFiles.keys()) });
    if (result.ok) return finishBuild(context, result, { path: bundlePath, mode, started }, remaining, brokenFiles, remaining.length === entries.length);

    let progress = false;
    const unplaced: Message[] = [];
    const droppedEntries = new Set<string>();
    for (const error of result.errors) {
      const where = error.location;
      if (where?.file === ENTRY_NAME) {
        // The synthetic entry's `import("/abs/file")` failed: that entry cannot be loaded at all.
        const index = entryIndexOfLine(where.line, remaining.length);
        if (index === undefined) unplaced.push(error);
        else {
          const entry = remaining[index]!;
          droppedEntries.add(entry);
          report(context, entry, buildErrorDiagnostic(context, error, entry));
        }
      } else if (where) {
        const file = path.resolve(context.root, where.file);
        const known = brokenFiles.get(file);
        if (known) known.push(error);
        else {
          brokenFiles.set(file, [error]);
          progress = true;
        }
      } else unplaced.push(error);
    }
    remaining = remaining.filter((entry) => !droppedEntries.has(entry));
    if (unplaced.length > 0 || (!progress && droppedEntries.size === 0)) {
      // Errors esbuild does not tie to a file (or no way forward): every remaining entry fails.
      for (const entry of remaining) for (const error of unplaced.length > 0 ? unplaced : result.errors) report(context, entry, buildErrorDiagnostic(context, error, entry));
      return none(new Set(remaining));
    }
  }
}

function finishBuild(
  context: LoadContext,
  result: BundleSuccess,
  build: { path: string; mode: BundleMode; started: number },
  bundled: string[],
  brokenFiles: Map<string, Message[]>,
  everyEntryBundled: boolean,
): PreparedBundle {
  const broken = new Set<string>();
  if (brokenFiles.size > 0) {
    for (const entry of bundled) {
      const reached = reachable(entry, result.edges);
      const errors = [...brokenFiles].filter(([file]) => reached.has(file)).flatMap(([, messages]) => messages);
      if (errors.length === 0) continue;
      broken.add(entry);
      for (const error of errors) report(context, entry, buildErrorDiagnostic(context, error, entry));
    }
  }
  // A bundle built around errors is not reused: a fix elsewhere (creating a missing file) would
  // not change any fingerprint. Nor is one whose inputs changed while esbuild was reading them.
  // (Modified "during" the build means an mtime inside the build's time window; a future mtime,
  // from clock skew or an archive, must not disable the cache for good.)
  const inputs = context.secret && brokenFiles.size === 0 && everyEntryBundled ? fingerprintInputs(context.root, result.edges.keys()) : undefined;
  const fingerprinted = Date.now();
  const settled = inputs && Object.values(inputs).every((print) => print === null || print[0] < build.started || print[0] > fingerprinted);
  const manifest = settled
    ? {
        dslPath: context.dslPath,
        bundle: build.path,
        mode: build.mode,
        entries: bundled,
        inputs,
        edges: toRecord(result.edges),
        externals: toRecord(result.externals),
      }
    : undefined;
  storeBundle(context.location, result, manifest, build.path, context.secret);
  context.maps.register(build.path, `${build.path}.map`);
  return { bundle: build.path, mode: build.mode, bundled, broken, edges: result.edges, externals: result.externals };
}

function buildErrorDiagnostic(context: LoadContext, error: Message, entry: string): Diagnostic {
  if (error.location?.file === ENTRY_NAME) {
    const note = error.notes.find((candidate) => candidate.location && candidate.location.file !== ENTRY_NAME);
    return {
      code: LoadCodes.buildError,
      severity: 'error',
      message: note ? `${error.text}: ${note.text}` : `Cannot load the pipeline module: ${error.text}`,
      location: note?.location ? esbuildLocation(context, note.location) : fileStart(context, entry),
    };
  }
  const note = error.notes.find((candidate) => candidate.text);
  return {
    code: LoadCodes.buildError,
    severity: 'error',
    message: note ? `${error.text} (${note.text})` : error.text,
    location: error.location ? esbuildLocation(context, error.location) : fileStart(context, entry),
  };
}

/** esbuild columns are 0-based UTF-8 byte offsets; Locations use 1-based UTF-16 columns. */
function esbuildLocation(context: LoadContext, where: NonNullable<Message['location']>): Location {
  const bytes = Buffer.from(where.lineText, 'utf8');
  const column = bytes.subarray(0, where.column).toString('utf8').length;
  const length = bytes.subarray(where.column, where.column + where.length).toString('utf8').length;
  const location: Location = { file: relative(context, path.resolve(context.root, where.file)), line: where.line, column: column + 1 };
  if (length > 0) {
    location.endLine = where.line;
    location.endColumn = column + 1 + length;
  }
  return location;
}

// ---------------------------------------------------------------------------------------------
// Evaluation (in the sandbox worker, see sandbox.ts)
// ---------------------------------------------------------------------------------------------

const kindOf = (entry: string): EvaluationUnit['kind'] => (entry.endsWith(PIPELINE_FILE_SUFFIX) ? 'pipeline' : 'config');

/** Rounds of "report the entries an npm import breaks, rebuild without them" before isolating. */
const MAX_EXTERNAL_ROUNDS = 10;

/**
 * Evaluates each pipeline of the lazy bundle in the sandbox, in turn. If the bundle itself cannot
 * be imported (only external packages can cause that), reports the entries whose imports cause
 * it and retries without them; as a last resort, loads each remaining entry from its own bundle.
 */
async function evaluateBundle(context: LoadContext, prepared: PreparedBundle): Promise<'done' | 'bundle-missing'> {
  let bundle = prepared.bundle;
  // Entries with their thunk index in the current bundle.
  let targets = prepared.bundled.map((entry, thunk) => ({ entry, thunk })).filter(({ entry }) => !prepared.broken.has(entry));
  for (let round = 0; bundle && targets.length > 0; round += 1) {
    if (!existsSync(bundle)) return 'bundle-missing';
    const url = pathToFileURL(bundle).href;
    const bundleFile = bundle;
    const units = targets.map(({ entry, thunk }): EvaluationUnit => ({ url, thunk, kind: kindOf(entry) }));
    const result = await evaluateUnits(
      units,
      context.limits,
      (index, outcome) => {
        const entry = targets[index]!.entry;
        if (context.sources) context.sources.set(entry, units[index]!);
        settleEntry(context, entry, outcome, prepared, bundleFile);
      },
      { nextEvaluation: context.nextChunk },
    );
    if (!result.bundleFailed) return 'done';
    if (!existsSync(bundle)) return 'bundle-missing';
    forgetBundle(context.location);
    const pending = targets.filter((_, index) => !result.evaluated.has(index)).map(({ entry }) => entry);
    const error = reviveError(result.bundleFailed);
    const failed = round < MAX_EXTERNAL_ROUNDS ? await reportExternalFailures(context, prepared, pending, error, bundle) : new Set<string>();
    if (failed.size === 0) {
      await evaluateIsolated(context, prepared, pending);
      return 'done';
    }
    const remaining = pending.filter((entry) => !failed.has(entry));
    if (remaining.length === 0) return 'done';
    const bundlePath = newBundlePath(context.location);
    const rebuilt = await bundleEntries(remaining, { root: context.root, outfile: bundlePath, mode: 'lazy' });
    if (!rebuilt.ok) throw new Error(`pipewright: rebuilding ${remaining.length} modules that built before failed: ${rebuilt.errors[0]?.text}`);
    storeBundle(context.location, rebuilt, undefined, bundlePath);
    context.maps.register(bundlePath, `${bundlePath}.map`);
    bundle = bundlePath;
    targets = remaining.map((entry, thunk) => ({ entry, thunk }));
  }
  return 'done';
}

/** Turns one unit's outcome into the entry's value or diagnostics, and streams it. */
function settleEntry(context: LoadContext, entry: string, outcome: UnitOutcome, prepared: PreparedBundle, bundleFile: string): void {
  if (outcome.kind === 'exported') accept(context, entry, outcome);
  else if (outcome.kind === 'threw') report(context, entry, threwDiagnostic(context, entry, reviveError(outcome.error), prepared, bundleFile));
  else {
    report(context, entry, {
      code: LoadCodes.stopped,
      severity: 'error',
      message: `Evaluating the module was stopped: ${outcome.message}.`,
      location: fileStart(context, entry),
    });
  }
  context.onModule?.(entry);
}

/**
 * Finds the npm imports that make the bundle fail to import, reports PW1002 on every entry that
 * reaches them, and returns those entries. Probes run in the sandbox too (a package is user code).
 */
async function reportExternalFailures(context: LoadContext, prepared: PreparedBundle, bundled: string[], error: unknown, bundle: string): Promise<Set<string>> {
  let probes = 0;
  const probe = (specifier: string) => {
    probes += 1;
    const file = bundle.replace(/\.mjs$/, `.probe-${probes}.mjs`);
    writeFileSync(file, `import ${JSON.stringify(specifier)};\n`);
    return probeImport(pathToFileURL(file).href, context.limits);
  };
  const failures = await diagnoseExternalFailure(error, prepared.externals, probe);
  const failed = new Set<string>();
  for (const entry of bundled) {
    const reached = reachable(entry, prepared.edges);
    // The entry's own import first, else the nearest helper's.
    const causes = failures.flatMap((failure) => failure.sites.filter((site) => reached.has(site.file)).map((site) => ({ failure, site })));
    causes.sort((a, b) => Number(b.site.file === entry) - Number(a.site.file === entry));
    const cause = causes[0];
    if (!cause) continue;
    failed.add(entry);
    const text = describeThrown(cause.failure.error).replace(/ imported from \S+/, ` imported from ${relative(context, cause.site.file)}`);
    report(context, entry, {
      code: LoadCodes.threw,
      severity: 'error',
      message: `Loading the pipeline module failed: ${text}`,
      location: { file: relative(context, cause.site.file), line: cause.site.line, column: cause.site.column },
    });
    context.onModule?.(entry);
  }
  return failed;
}

/** Last resort: one standalone bundle per entry, so each fails (or not) on its own. */
async function evaluateIsolated(context: LoadContext, prepared: PreparedBundle, entries: string[]): Promise<void> {
  const outdir = newIsolatedDirectory(context.location);
  const { bundles, errors } = await bundleIsolated(entries, { root: context.root, outdir });
  if (errors.length > 0) {
    // These entries built before, together; report rather than hide it if they do not now.
    for (const entry of entries) for (const error of errors) report(context, entry, buildErrorDiagnostic(context, error, entry));
    for (const entry of entries) context.onModule?.(entry);
    return;
  }
  mkdirSync(outdir, { recursive: true });
  for (const bundle of bundles) {
    writeFileSync(`${bundle.file}.map`, bundle.map);
    writeFileSync(bundle.file, bundle.code);
    context.maps.register(bundle.file, `${bundle.file}.map`);
  }
  const units = bundles.map((bundle): EvaluationUnit => ({ url: pathToFileURL(bundle.file).href, kind: kindOf(bundle.entry) }));
  await evaluateUnits(units, context.limits, (index, outcome) => {
    const bundle = bundles[index]!;
    if (context.sources) context.sources.set(bundle.entry, units[index]!);
    settleEntry(context, bundle.entry, outcome, prepared, bundle.file);
  });
}

/**
 * Records the default export, or reports why it is unusable. A `*.pipeline.ts` module must export
 * a pipeline made by `definePipeline` (its marker proves it); any other module loaded this way
 * (e.g. `pipewright.config.ts`) must export an object. Either must be plain data (PW1006).
 */
function accept(context: LoadContext, entry: string, exported: Extract<UnitOutcome, { kind: 'exported' }>): void {
  const pipeline = entry.endsWith(PIPELINE_FILE_SUFFIX);
  if (!exported.hasDefault) {
    report(context, entry, {
      code: LoadCodes.noDefaultExport,
      severity: 'error',
      message: 'The module has no default export.',
      location: fileStart(context, entry),
      expected: pipeline ? 'export default definePipeline({ ... })' : 'export default { ... }',
      found: 'no default export',
    });
    return;
  }
  if (exported.problem) {
    const { path: where, found } = exported.problem;
    report(context, entry, {
      code: LoadCodes.notData,
      severity: 'error',
      message: `The default export must be plain data (objects, arrays, strings, numbers, booleans); found ${found} at ${formatPath(where) || 'the top level'}.`,
      location: createSourceLocator(entry, context.root).locate(where),
      path: where,
      expected: 'plain data',
      found,
    });
    return;
  }
  const value = exported.value;
  if ('value' in exported) {
    context.values.set(entry, value);
    if (exported.json !== undefined && context.onModule) context.valueJson.set(entry, exported.json);
  }
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (pipeline ? isObject && exported.marked : isObject) return;
  let message: string;
  if (!pipeline) message = 'The default export must be an object.';
  else if (isObject) message = 'The default export was not created with definePipeline(...).';
  else message = 'The default export must be a pipeline object created with definePipeline(...).';
  report(context, entry, {
    code: LoadCodes.notAPipeline,
    severity: 'error',
    message,
    location: createSourceLocator(entry, context.root).locate([]),
    expected: pipeline ? 'definePipeline({ ... })' : 'an object',
    found: exported.topLevel ?? describeValue(value),
  });
}

/** A short phrase for what a value is, for a Diagnostic's `found`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `a ${typeof value} (${String(value)})`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (typeof (value as { then?: unknown }).then === 'function') return 'a Promise (await it before exporting)';
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  if (prototype === null || prototype === Object.prototype) return 'a plain object';
  const name = prototype.constructor?.name;
  return name ? `an instance of ${name}` : 'an object';
}

/**
 * PW1002 for an error thrown while evaluating `entry`: located at the innermost stack frame in one
 * of the pipeline's own local files (the pipeline, or the helper module that threw), mapped back
 * through the bundle's source map; for errors without such a frame (Node's link errors), at the
 * import of the package the message names.
 */
function threwDiagnostic(context: LoadContext, entry: string, error: unknown, prepared: PreparedBundle, bundleFile: string): Diagnostic {
  const local = localDependencies(context, entry, prepared.edges);
  let where: StackPosition | undefined;
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
  if (stack) {
    for (const position of parseStack(stack)) {
      const original = context.maps.original(position);
      if (original && local.has(original.file)) {
        where = original;
        break;
      }
    }
  }
  const text = describeThrown(error).split(pathToFileURL(bundleFile).href).join(relative(context, entry)).split(bundleFile).join(relative(context, entry));
  let location: Location = fileStart(context, entry);
  if (where) location = { file: relative(context, where.file), line: where.line, column: where.column };
  else {
    const named = /'([^']+)'/.exec(error instanceof Error ? error.message : '')?.[1];
    const site = named === undefined ? undefined : importSiteIn(context, entry, local, prepared.externals, named);
    if (site) location = site;
  }
  return { code: LoadCodes.threw, severity: 'error', message: `Loading the pipeline module failed: ${text}`, location };
}

function importSiteIn(context: LoadContext, entry: string, local: Set<string>, externals: ExternalImports, named: string): Location | undefined {
  for (const file of [entry, ...[...local].filter((candidate) => candidate !== entry)]) {
    const specifier = [...(externals.get(file) ?? [])].find((candidate) => candidate === named || named.startsWith(`${candidate}/`));
    const site = specifier === undefined ? undefined : findImportSite(file, specifier);
    if (site) return { file: relative(context, site.file), line: site.line, column: site.column };
  }
  return undefined;
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (error instanceof ThrownValue) return `a non-Error value was thrown: ${error.text}`;
  try {
    return `a non-Error value was thrown: ${typeof error === 'string' ? JSON.stringify(error) : String(error)}`;
  } catch {
    return 'a non-Error value was thrown';
  }
}
