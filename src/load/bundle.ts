/**
 * The esbuild side of loading: one bundle for many pipeline modules, in one of two shapes.
 *
 * Eager (the fast path): `import * as m0 from "/abs/a.pipeline.ts"; ...; export const
 * namespaces = [m0, ...]`. Importing the bundle evaluates every pipeline at once, as plain ESM;
 * one throwing module fails the whole import.
 *
 * Lazy (isolating): `export const modules = [() => import("/abs/a.pipeline.ts"), ...]` makes
 * esbuild wrap every pipeline (and every local module it imports) in a lazy initialiser, so
 * `await modules[i]()` evaluates exactly one pipeline and its imports, each module once, and a
 * module that throws fails only the pipelines that import it (esbuild's `__esm` wrapper remembers
 * the error and rethrows it to later importers). `import()` rather than `require()`: esbuild then
 * awaits modules that use top-level await and hands out the real export object. The wrappers cost
 * about a third more evaluation time, so the loader only uses this shape when the eager one fails.
 *
 * `pipewright` (and `pipewright/...`) resolves to this package's own DSL module, which is bundled
 * in; other bare imports (npm packages, Node built-ins) stay external and are resolved by Node
 * from where the bundle is written (see `cache.ts`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildOptions, Message, Metafile, Plugin } from 'esbuild';

/** Absolute file -> absolute files it imports directly (bundled modules only). */
export type ImportEdges = Map<string, Set<string>>;
/** Absolute file -> bare specifiers it imports that stay external (`zod`, `node:fs`). */
export type ExternalImports = Map<string, Set<string>>;

export interface BundleSuccess {
  ok: true;
  /** Bundle source; for a lazy bundle its last line links `<outfile>.map`. */
  code: string;
  /**
   * Source map (JSON, sources relative to the bundle's directory), lazy bundles only: stack
   * traces are only mapped there (an eager bundle that throws is replaced by a lazy one).
   */
  map?: string;
  edges: ImportEdges;
  externals: ExternalImports;
}

export interface BundleFailure {
  ok: false;
  errors: Message[];
}

/** The synthetic entry's name in esbuild messages and in the metafile. */
export const ENTRY_NAME = '<pipewright-entry>';

/** Bundle shape, see above. */
export type BundleMode = 'eager' | 'lazy';

/** In both shapes line 1 is a header and entry `i` sits on line `i + 2` (esbuild lines are 1-based). */
const FIRST_ENTRY_LINE = 2;

/** Which entry a message located in the synthetic entry belongs to, if any. */
export function entryIndexOfLine(line: number, entryCount: number): number | undefined {
  const index = line - FIRST_ENTRY_LINE;
  return index >= 0 && index < entryCount ? index : undefined;
}

let dslPath: string | undefined;

/**
 * The DSL module that `import ... from 'pipewright'` means: this package's own. Running from
 * source (tests), this file is `src/load/bundle.ts` and the DSL `src/dsl/index.ts`. In the built
 * package this code sits in some file under `dist/` (scripts/build.mjs bundles with code
 * splitting, so not necessarily `dist/load/`), hence the walk up to the package root for
 * `dist/dsl/index.js`.
 */
export function dslModulePath(): string {
  if (dslPath) return dslPath;
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return (dslPath = path.resolve(path.dirname(self), '..', 'dsl', 'index.ts'));
  for (let directory = path.dirname(self); ; directory = path.dirname(directory)) {
    if (isPipewrightPackage(directory)) return (dslPath = path.join(directory, 'dist', 'dsl', 'index.js'));
    if (path.dirname(directory) === directory) break;
  }
  return (dslPath = path.resolve(path.dirname(self), '..', 'dsl', 'index.js'));
}

function isPipewrightPackage(directory: string): boolean {
  try {
    return (JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: unknown }).name === 'pipewright';
  } catch {
    return false;
  }
}

/**
 * `pipewright/...` subpaths also mean the DSL. Bare `pipewright` goes through esbuild's `alias`
 * instead: a plugin callback per import costs a round trip to JS, ~150 ms for 1,000 pipelines.
 */
function pipewrightSubpathPlugin(dslPath: string): Plugin {
  return {
    name: 'pipewright-dsl',
    setup(build) {
      build.onResolve({ filter: /^pipewright\// }, () => ({ path: dslPath }));
    },
  };
}

/** Stand-in for a module that failed to compile; never evaluated (its importers are not run). */
const STUB_SOURCE = 'module.exports = {};\nthrow new Error("pipewright: this module failed to compile");\n';

/**
 * Replaces the given files by a CommonJS stub, so a build with broken modules still completes and
 * its metafile shows who imports them. CommonJS, so importers' named imports are not checked.
 */
function stubPlugin(files: ReadonlySet<string>): Plugin {
  const escaped = [...files].map((file) => file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return {
    name: 'pipewright-stub-broken',
    setup(build) {
      build.onLoad({ filter: new RegExp(`^(?:${escaped.join('|')})$`) }, () => ({ contents: STUB_SOURCE, loader: 'js' }));
    },
  };
}

function addEdge(map: Map<string, Set<string>>, from: string, to: string): void {
  let targets = map.get(from);
  if (!targets) map.set(from, (targets = new Set()));
  targets.add(to);
}

function baseOptions(root: string): BuildOptions {
  const dslPath = dslModulePath();
  return {
    absWorkingDir: root,
    alias: { pipewright: dslPath },
    plugins: [pipewrightSubpathPlugin(dslPath)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    packages: 'external',
    write: false,
    metafile: true,
    sourcemap: 'linked',
    sourcesContent: false,
    charset: 'utf8',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'silent',
    logLimit: 0,
  };
}

let esbuildModule: typeof import('esbuild') | undefined;

/**
 * Lazy, so a warm load (cached bundle) never loads esbuild or starts its service; `require`, as
 * esbuild is CommonJS and `import()` would first scan its 100 KB for named exports.
 */
async function loadEsbuild(): Promise<typeof import('esbuild')> {
  esbuildModule ??= createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  return esbuildModule;
}

/**
 * Starts esbuild's service process now, so that the first build does not wait for it (the CLI
 * calls this before it loads the compiler, when the run will bundle). No-op when it runs.
 */
export function startBundler(): void {
  if (bundlerStarted) return;
  bundlerStarted = true;
  esbuildModule ??= createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  try {
    // Starts the service synchronously; the returned promise is already settled.
    void esbuildModule.initialize({}).catch(() => undefined);
  } catch {
    // The service was started before (`initialize` works once): nothing to do.
  }
}

/** Whether `startBundler` ran since the service was last stopped (`initialize` works once per service). */
let bundlerStarted = false;

/** esbuild builds in flight in this process (the service must not be stopped under them). */
let buildsInFlight = 0;

async function tracked<T>(work: () => Promise<T>): Promise<T> {
  buildsInFlight += 1;
  try {
    return await work();
  } finally {
    buildsInFlight -= 1;
  }
}

/**
 * Stops esbuild's service process when no build is running: after a large bundle it holds
 * hundreds of megabytes (10,000 pipelines: ~750 MB) that the rest of the run no longer needs.
 * The next build starts it again (tens of milliseconds).
 */
export async function releaseBundler(): Promise<void> {
  if (esbuildModule && buildsInFlight === 0) {
    await esbuildModule.stop();
    bundlerStarted = false;
  }
}

function entrySource(entries: readonly string[], mode: BundleMode): string {
  if (mode === 'lazy') {
    return ['export const modules = [', ...entries.map((file) => `() => import(${JSON.stringify(file)}),`), '];'].join('\n');
  }
  return [
    '// pipewright: every pipeline, evaluated on import',
    ...entries.map((file, index) => `import * as m${index} from ${JSON.stringify(file)};`),
    `export const namespaces = [${entries.map((_, index) => `m${index}`).join(', ')}];`,
  ].join('\n');
}

/**
 * Bundles `entries` (absolute paths) behind the synthetic entry into `outfile` (in memory; the
 * caller writes it, the path only fixes the source map's relative paths). The bundle exports
 * `namespaces` (eager) or `modules` (lazy). Files in `stubs` (known to fail to compile) are
 * replaced by a stub that throws if evaluated: lazy bundles only.
 */
export async function bundleEntries(
  entries: readonly string[],
  options: { root: string; outfile: string; mode: BundleMode; stubs?: ReadonlySet<string> },
): Promise<BundleSuccess | BundleFailure> {
  const esbuild = await loadEsbuild();
  const base = baseOptions(options.root);
  const plugins = [...(base.plugins ?? [])];
  if (options.stubs && options.stubs.size > 0) plugins.push(stubPlugin(options.stubs));
  const contents = entrySource(entries, options.mode);
  try {
    const result = await tracked(() =>
      esbuild.build({
        ...base,
        sourcemap: options.mode === 'lazy' ? 'linked' : false,
        stdin: { contents, loader: 'js', resolveDir: options.root, sourcefile: ENTRY_NAME },
        outfile: options.outfile,
        plugins,
      }),
    );
    const outputs = result.outputFiles ?? [];
    const code = outputs.find((file) => file.path === options.outfile);
    const map = outputs.find((file) => file.path === `${options.outfile}.map`);
    if (!code || !result.metafile || (options.mode === 'lazy' && !map)) throw new Error('esbuild returned no bundle');
    return { ok: true, code: code.text, ...(map ? { map: map.text } : {}), ...graphOf(result.metafile, options.root) };
  } catch (error) {
    if (!isBuildFailure(error)) throw error;
    return { ok: false, errors: error.errors };
  }
}

export interface IsolatedBundle {
  entry: string;
  file: string;
  code: string;
  map: string;
}

/**
 * Bundles each entry as its own standalone module (one esbuild call, no shared chunks), so each
 * can be imported, and fail to link, on its own. The last resort when the shared bundle cannot be
 * imported (only external packages can cause that) and `externals.ts` cannot tell why.
 */
export async function bundleIsolated(
  entries: readonly string[],
  options: { root: string; outdir: string },
): Promise<{ bundles: IsolatedBundle[]; errors: Message[] }> {
  const esbuild = await loadEsbuild();
  const outputs = entries.map((entry, index) => ({ entry, name: `m${index}` }));
  try {
    const result = await tracked(() =>
      esbuild.build({
        ...baseOptions(options.root),
        entryPoints: outputs.map(({ entry, name }) => ({ in: entry, out: name })),
        outdir: options.outdir,
        outExtension: { '.js': '.mjs' },
      }),
    );
    const byPath = new Map((result.outputFiles ?? []).map((file) => [file.path, file.text]));
    const bundles: IsolatedBundle[] = [];
    for (const { entry, name } of outputs) {
      const file = path.join(options.outdir, `${name}.mjs`);
      const code = byPath.get(file);
      const map = byPath.get(`${file}.map`);
      if (code !== undefined && map !== undefined) bundles.push({ entry, file, code, map });
    }
    return { bundles, errors: [] };
  } catch (error) {
    if (!isBuildFailure(error)) throw error;
    return { bundles: [], errors: error.errors };
  }
}

function isBuildFailure(error: unknown): error is { errors: Message[] } {
  return typeof error === 'object' && error !== null && Array.isArray((error as { errors?: unknown }).errors);
}

function graphOf(metafile: Metafile, root: string): { edges: ImportEdges; externals: ExternalImports } {
  const edges: ImportEdges = new Map();
  const externals: ExternalImports = new Map();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    if (input === ENTRY_NAME) continue;
    const from = path.resolve(root, input);
    for (const record of imports) {
      if (record.external) addEdge(externals, from, record.path);
      else if (record.path !== ENTRY_NAME) addEdge(edges, from, path.resolve(root, record.path));
    }
    if (!edges.has(from)) edges.set(from, new Set());
  }
  return { edges, externals };
}

/** Every file reachable from `start` (itself included) along `edges`. */
export function reachable(start: string, edges: ImportEdges): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const next = edges.get(queue.pop()!);
    if (!next) continue;
    for (const target of next) {
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return seen;
}

let runtimeUrl: Promise<string> | undefined;

/**
 * The module custom rules need inside the sandbox (`sandbox-policy.ts`: the model index and
 * per-environment policy), as a URL the worker can import. In the built package it is the build's
 * own `dist/load/sandbox-policy.js`. From source (tests) a worker cannot run TypeScript, so it is
 * bundled here, in memory, and handed over as a `data:` URL: never a file in the cache
 * directory, which anyone who can write the project's node_modules could replace.
 */
export function policyRuntimeUrl(): Promise<string> {
  runtimeUrl ??= (async () => {
    const dsl = dslModulePath();
    const base = path.dirname(path.dirname(dsl));
    if (!dsl.endsWith('.ts')) return pathToFileURL(path.join(base, 'load', 'sandbox-policy.js')).href;
    const esbuild = await loadEsbuild();
    const result = await tracked(() =>
      esbuild.build({
        entryPoints: [path.join(base, 'load', 'sandbox-policy.ts')],
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: `node${process.versions.node}`,
        write: false,
        logLevel: 'silent',
      }),
    );
    return `data:text/javascript;base64,${Buffer.from(result.outputFiles[0]!.text).toString('base64')}`;
  })();
  return runtimeUrl;
}
