/**
 * The load phase: pipeline files (`*.pipeline.ts`) to JS values, with every failure turned into a
 * Diagnostic that points at the TypeScript source.
 *
 * One esbuild bundle serves the whole load (see `bundle.ts`); each pipeline is then evaluated on
 * its own, so one broken pipeline never hides the others:
 * - a syntax or resolve error drops only the pipelines that reach the broken file (PW1001);
 * - a module that throws fails the pipelines that import it (PW1002, at the throwing line);
 * - a missing or wrong default export is reported per pipeline (PW1003, PW1004).
 * When nothing changed since the last load (same entries, same input sizes and mtimes), the
 * previous bundle is reused and esbuild does not run (`cache.ts`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message } from 'esbuild';
import type { Diagnostic, Location } from '../diagnostics.ts';
import { PIPELINE_MARKER } from '../dsl/index.ts';
import {
  bundleEntries,
  bundleIsolated,
  dslModulePath,
  ENTRY_NAME,
  entryIndexOfLine,
  reachable,
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
import { PIPELINE_FILE_SUFFIX } from './discover.ts';
import { createSourceLocator } from './locate.ts';
import { BundleSourceMaps, parseStack, type StackPosition } from './stack.ts';

/** One pipeline file after loading. */
export interface LoadedModule {
  /** Absolute path. */
  file: string;
  /** The module's default export, when it has one (even if PW1004 rejects it). */
  value?: unknown;
  /** Load problems of this file; empty when it loaded cleanly. */
  diagnostics: Diagnostic[];
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
}

/** Load diagnostic codes. */
export const LoadCodes = {
  /** Syntax or transform error (or an unresolvable import) reported by esbuild. */
  buildError: 'PW1001',
  /** The module (or a module it imports) threw while being evaluated. */
  threw: 'PW1002',
  /** No default export. */
  noDefaultExport: 'PW1003',
  /** The default export is not a pipeline created with `definePipeline` (not an object, for other modules). */
  notAPipeline: 'PW1004',
} as const;

interface LoadContext {
  root: string;
  dslPath: string;
  /** Files of the pipewright package itself (not the user's), excluded from the graph. */
  packageDirectory: string;
  location: CacheLocation;
  maps: BundleSourceMaps;
  diagnostics: Map<string, Diagnostic[]>;
  values: Map<string, unknown>;
}

/** What the evaluation step needs from a build or a warm cache hit. */
interface PreparedBundle {
  /** Absolute path of the bundle; `undefined` when no entry could be bundled. */
  bundle: string | undefined;
  /** Bundled entries in `modules[]` order. */
  bundled: string[];
  edges: ImportEdges;
  externals: ExternalImports;
}

/**
 * Loads pipeline modules. Never throws for problems in the pipeline files: those become
 * Diagnostics on the affected modules. Throws only for environment failures (e.g. the cache
 * directory cannot be written).
 *
 * Values of unchanged files may be the same objects as in an earlier load in this process (the
 * bundle is reused): treat them as read-only.
 */
export async function loadPipelineModules(files: readonly string[], options: LoadOptions): Promise<LoadResult> {
  const root = path.resolve(options.root);
  const inputs = files.map((file) => path.resolve(root, file));
  const entries = [...new Set(inputs)];
  if (entries.length === 0) return { modules: [], graph: new Map() };

  const dslPath = dslModulePath();
  const context: LoadContext = {
    root,
    dslPath,
    packageDirectory: path.dirname(path.dirname(dslPath)),
    location: cacheLocation(root, entries),
    maps: new BundleSourceMaps(),
    diagnostics: new Map(entries.map((entry) => [entry, []])),
    values: new Map(),
  };

  let prepared = reuseBundle(context, entries);
  if (prepared && (await evaluateBundle(context, prepared)) === 'bundle-missing') {
    // Another process replaced and deleted the bundle between our check and our import.
    forgetBundle(context.location);
    prepared = undefined;
  }
  if (!prepared) {
    prepared = await buildBundle(context, entries);
    if ((await evaluateBundle(context, prepared)) === 'bundle-missing') {
      throw new Error(`pipewright: the bundle ${prepared.bundle} disappeared while loading it`);
    }
  }

  const graph = new Map<string, Set<string>>();
  for (const entry of entries) {
    const local = new Set<string>();
    for (const file of reachable(entry, prepared.edges)) if (isUserFile(context, file)) local.add(file);
    local.add(entry);
    graph.set(entry, local);
  }
  const modules = inputs.map((file): LoadedModule => {
    const loaded: LoadedModule = { file, diagnostics: [...(context.diagnostics.get(file) ?? [])] };
    if (context.values.has(file)) loaded.value = context.values.get(file);
    return loaded;
  });
  return { modules, graph };
}

function isUserFile(context: LoadContext, file: string): boolean {
  if (file === ENTRY_NAME || !path.isAbsolute(file)) return false;
  if (file.startsWith(context.packageDirectory + path.sep)) return false;
  return !file.split(path.sep).includes('node_modules');
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
  const manifest = findReusableBundle(context.location, entries, context.dslPath);
  if (!manifest) return undefined;
  context.maps.register(manifest.bundle, `${manifest.bundle}.map`);
  return {
    bundle: manifest.bundle,
    bundled: manifest.entries,
    edges: fromRecord(manifest.edges),
    externals: fromRecord(manifest.externals),
  };
}

// ---------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------

/**
 * Bundles all entries; on build errors, attributes each error to the entries that reach the
 * broken file, reports it on them (PW1001), drops them and bundles the rest again.
 */
async function buildBundle(context: LoadContext, entries: readonly string[]): Promise<PreparedBundle> {
  let remaining = [...entries];
  const seenEdges: ImportEdges = new Map();
  let hadErrors = false;
  while (remaining.length > 0) {
    const bundlePath = newBundlePath(context.location);
    // After a failure, rebuild with import recording: esbuild reports no import graph for a
    // failed build, and the recording costs a second resolve per import.
    const result = await bundleEntries(remaining, { root: context.root, outfile: bundlePath, recordImports: hadErrors });
    if (result.ok) {
      mergeEdges(seenEdges, result.edges);
      const manifest = hadErrors
        ? undefined
        : {
            dslPath: context.dslPath,
            bundle: bundlePath,
            entries: remaining,
            inputs: fingerprintInputs(context.root, result.edges.keys()),
            edges: toRecord(result.edges),
            externals: toRecord(result.externals),
          };
      storeBundle(context.location, result, manifest, bundlePath);
      context.maps.register(bundlePath, `${bundlePath}.map`);
      return { bundle: bundlePath, bundled: remaining, edges: seenEdges, externals: result.externals };
    }
    if (!hadErrors) {
      hadErrors = true;
      continue;
    }
    mergeEdges(seenEdges, result.edges);
    const broken = attributeErrors(context, result.errors, remaining, seenEdges);
    remaining = remaining.filter((entry) => !broken.has(entry));
  }
  return { bundle: undefined, bundled: [], edges: seenEdges, externals: new Map() };
}

function mergeEdges(into: ImportEdges, from: ImportEdges): void {
  for (const [file, targets] of from) {
    const existing = into.get(file);
    if (existing) for (const target of targets) existing.add(target);
    else into.set(file, new Set(targets));
  }
}

/** Reports each build error on every remaining entry that reaches its file; returns those entries. */
function attributeErrors(context: LoadContext, errors: readonly Message[], remaining: readonly string[], edges: ImportEdges): Set<string> {
  const closures = new Map(remaining.map((entry) => [entry, reachable(entry, edges)]));
  const broken = new Set<string>();
  for (const error of errors) {
    const affected = entriesAffectedBy(context, error, remaining, closures);
    for (const entry of affected) {
      broken.add(entry);
      report(context, entry, buildErrorDiagnostic(context, error, entry));
    }
  }
  // Every round must drop something, or the loop would rebuild forever.
  if (broken.size === 0) {
    for (const entry of remaining) {
      broken.add(entry);
      report(context, entry, { code: LoadCodes.buildError, severity: 'error', message: 'esbuild failed without reporting an error', location: fileStart(context, entry) });
    }
  }
  return broken;
}

function entriesAffectedBy(context: LoadContext, error: Message, remaining: readonly string[], closures: Map<string, Set<string>>): string[] {
  const where = error.location;
  if (!where) return [...remaining];
  if (where.file === ENTRY_NAME) {
    const index = entryIndexOfLine(where.line, remaining.length);
    return index === undefined ? [...remaining] : [remaining[index]!];
  }
  const file = path.resolve(context.root, where.file);
  const affected = remaining.filter((entry) => closures.get(entry)?.has(file));
  return affected.length > 0 ? affected : [...remaining];
}

function buildErrorDiagnostic(context: LoadContext, error: Message, entry: string): Diagnostic {
  if (error.location?.file === ENTRY_NAME) {
    // The synthetic entry's `import("/abs/file")` failed: the file itself is the problem.
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
// Evaluation
// ---------------------------------------------------------------------------------------------

type ModuleThunk = () => Promise<Record<string, unknown>>;

type NativeImport = (specifier: string) => Promise<unknown>;

const NATIVE_IMPORT_SOURCE = 'module.exports = (specifier) => import(specifier);\n';
const nativeImports = new Map<string, NativeImport>();

/**
 * Node's own `import()`, out of reach of tools that rewrite `import()` in the code they run (a
 * test runner would otherwise transform the bundle itself, with other semantics and cost). A tiny
 * CommonJS file, loaded with Node's `require`, does the import; `new Function` cannot, because
 * code compiled by such runners has no dynamic-import callback.
 */
function nativeImport(directory: string): NativeImport {
  let importer = nativeImports.get(directory);
  if (!importer) {
    const file = path.join(directory, 'import-native.cjs');
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== NATIVE_IMPORT_SOURCE) writeFileSync(file, NATIVE_IMPORT_SOURCE);
    importer = createRequire(import.meta.url)(file) as NativeImport;
    nativeImports.set(directory, importer);
  }
  return importer;
}

/**
 * Imports the bundle and evaluates each pipeline in turn. If the bundle itself cannot be imported
 * (only external packages can cause that: a missing package or named export, or a package that
 * throws), falls back to one bundle per pipeline so the failure stays with its importers.
 */
async function evaluateBundle(context: LoadContext, prepared: PreparedBundle): Promise<'done' | 'bundle-missing'> {
  if (!prepared.bundle) return 'done';
  let modules: ModuleThunk[];
  try {
    const namespace = (await nativeImport(context.location.directory)(pathToFileURL(prepared.bundle).href)) as { modules: ModuleThunk[] };
    modules = namespace.modules;
  } catch (error) {
    if (!existsSync(prepared.bundle)) return 'bundle-missing';
    await evaluateIsolated(context, prepared);
    return 'done';
  }
  for (const [index, entry] of prepared.bundled.entries()) {
    try {
      accept(context, entry, await modules[index]!());
    } catch (error) {
      report(context, entry, threwDiagnostic(context, entry, error, prepared, prepared.bundle));
    }
  }
  return 'done';
}

async function evaluateIsolated(context: LoadContext, prepared: PreparedBundle): Promise<void> {
  const outdir = newIsolatedDirectory(context.location);
  const { bundles, errors } = await bundleIsolated(prepared.bundled, { root: context.root, outdir });
  if (errors.length > 0) {
    // The shared bundle built, so this cannot fail on the pipelines' own code; report it anyway.
    for (const entry of prepared.bundled) for (const error of errors) report(context, entry, buildErrorDiagnostic(context, error, entry));
    return;
  }
  mkdirSync(outdir, { recursive: true });
  for (const bundle of bundles) {
    writeFileSync(`${bundle.file}.map`, bundle.map);
    writeFileSync(bundle.file, bundle.code);
    context.maps.register(bundle.file, `${bundle.file}.map`);
  }
  const settled = await Promise.allSettled(bundles.map((bundle) => nativeImport(context.location.directory)(pathToFileURL(bundle.file).href) as Promise<Record<string, unknown>>));
  for (const [index, bundle] of bundles.entries()) {
    const outcome = settled[index]!;
    if (outcome.status === 'fulfilled') accept(context, bundle.entry, outcome.value);
    else report(context, bundle.entry, threwDiagnostic(context, bundle.entry, outcome.reason, prepared, bundle.file));
  }
}

/**
 * Records the default export, or reports why it is unusable. A `*.pipeline.ts` module must export
 * a pipeline made by `definePipeline` (its marker proves it); any other module loaded this way
 * (e.g. `pipewright.config.ts`) must export an object.
 */
function accept(context: LoadContext, entry: string, exports: Record<string, unknown>): void {
  if (!('default' in exports)) {
    report(context, entry, {
      code: LoadCodes.noDefaultExport,
      severity: 'error',
      message: 'The module has no default export.',
      location: fileStart(context, entry),
      expected: isPipelineFile(entry) ? 'export default definePipeline({ ... })' : 'export default { ... }',
      found: 'no default export',
    });
    return;
  }
  const value = exports.default;
  context.values.set(entry, value);
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isPipelineFile(entry)) {
    if (isObject) return;
    report(context, entry, {
      code: LoadCodes.notAPipeline,
      severity: 'error',
      message: 'The default export must be an object.',
      location: createSourceLocator(entry, context.root).locate([]),
      expected: 'an object',
      found: describeValue(value),
    });
    return;
  }
  if (isObject && (value as Record<symbol, unknown>)[PIPELINE_MARKER] === true) return;
  report(context, entry, {
    code: LoadCodes.notAPipeline,
    severity: 'error',
    message: isObject
      ? 'The default export was not created with definePipeline(...).'
      : 'The default export must be a pipeline object created with definePipeline(...).',
    location: createSourceLocator(entry, context.root).locate([]),
    expected: 'definePipeline({ ... })',
    found: describeValue(value),
  });
}

function isPipelineFile(file: string): boolean {
  return file.endsWith(PIPELINE_FILE_SUFFIX);
}

/** A short phrase for what a value is, for `found`. */
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
 * through the bundle's source map.
 */
function threwDiagnostic(context: LoadContext, entry: string, error: unknown, prepared: PreparedBundle, bundleFile: string): Diagnostic {
  const local = new Set([...reachable(entry, prepared.edges)].filter((file) => isUserFile(context, file)));
  local.add(entry);
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
  const text = describeThrown(error).split(bundleFile).join(relative(context, entry)).split(pathToFileURL(bundleFile).href).join(relative(context, entry));
  return {
    code: LoadCodes.threw,
    severity: 'error',
    message: `Loading the pipeline module failed: ${text}`,
    location: where
      ? { file: relative(context, where.file), line: where.line, column: where.column }
      : (importSiteOf(context, error, entry, local, prepared.externals) ?? fileStart(context, entry)),
  };
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return `a non-Error value was thrown: ${typeof error === 'string' ? JSON.stringify(error) : String(error)}`;
  } catch {
    return 'a non-Error value was thrown';
  }
}

/**
 * For failures without a usable stack (Node's link errors: missing package, missing named export),
 * the import statement of the package the message names, in the first local file importing it.
 */
function importSiteOf(context: LoadContext, error: unknown, entry: string, local: Set<string>, externals: ExternalImports): Location | undefined {
  const message = error instanceof Error ? error.message : '';
  const named = /'([^']+)'/.exec(message)?.[1];
  if (!named) return undefined;
  const files = [entry, ...[...local].filter((file) => file !== entry)];
  for (const file of files) {
    const specifiers = externals.get(file);
    if (!specifiers) continue;
    const specifier = [...specifiers].find((candidate) => candidate === named || named.startsWith(`${candidate}/`) || candidate.startsWith(`${named}/`));
    if (!specifier) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const match = new RegExp(`(['"])${specifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1`).exec(text);
    if (!match) continue;
    const before = text.slice(0, match.index).split('\n');
    return { file: relative(context, file), line: before.length, column: before[before.length - 1]!.length + 1 };
  }
  return undefined;
}
