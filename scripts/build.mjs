// Builds dist/ from src/ with esbuild: the CLI, the library API and the authoring DSL as ESM entry
// points sharing chunks; npm packages stay external (zod excepted, see below). Then emits the type
// declarations consumers compile against (dist/**/*.d.ts, see tsconfig.build.json). Runs on
// `npm ci` (prepare), so a fresh clone can run `npm run compile-pipelines` straight away, and on
// `npm pack`/`npm publish`. `--no-types` skips the declarations (~0.1 s instead of several
// seconds), for benchmarks and quick local rebuilds.
//
// The CLI is also built as one CommonJS script, dist/cli.cjs, with V8's code cache of it made by
// running it on sample projects (dist/cli.cjs.cache; see buildCliScript and writeCodeCache):
// bin/pipewright.js starts commands from it, as Node 20 has no code cache for ES modules.
//
// The package version is compiled in as `__PIPEWRIGHT_VERSION__` (src/version.ts): a chunk under
// dist/ cannot find package.json by a fixed relative URL.
//
// The build id (a hash of src/ and the lockfile) is compiled into dist/ as
// `__PIPEWRIGHT_BUILD_ID__` and written to dist/BUILD_ID: the persistent compile-result cache
// keys on it, so results of another compiler build are never reused.
import { build } from 'esbuild';
import ts from 'typescript';
import { execFileSync } from 'node:child_process';
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function buildId() {
  const digest = createHash('sha256');
  const files = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
  for (const file of [...files, 'package-lock.json']) {
    let content;
    try {
      content = readFileSync(join(root, file));
    } catch {
      content = Buffer.alloc(0);
    }
    digest.update(`${file}\0${content.length}\0`).update(content);
  }
  return digest.digest('hex').slice(0, 32);
}

const id = buildId();
// `--outdir DIR` (relative to the repository; default dist): a second build beside dist/, e.g. to
// profile a change while dist/ stays the build everyone else runs. Declarations go to dist/ only.
const outdirAt = process.argv.indexOf('--outdir');
const outdir = outdirAt > 0 ? process.argv[outdirAt + 1] : 'dist';
if (outdir === undefined || outdir.startsWith('-')) throw new Error('--outdir needs a directory');

// npm packages stay external, except zod: bundled, it loads as part of a chunk instead of as
// ~100 separate modules (~50 ms less start-up for every command). Nothing crosses the package
// boundary as a zod object (user configs and pipelines hand over plain values), so a private copy
// is safe.
const BUNDLED_PACKAGES = new Set(['zod']);
const { dependencies = {}, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies)
  .filter((name) => !BUNDLED_PACKAGES.has(name))
  .flatMap((name) => [name, `${name}/*`]);
// The bundled controller catalog (src/catalog/index.ts): compiled in as one string literal, which
// costs nothing until `defaultCatalog()` parses it (an imported JSON module would be evaluated as
// an object literal on every start-up); minified, as the committed file is indented for review.
const defaultCatalogText = JSON.stringify(JSON.parse(readFileSync(join(root, 'src/catalog/default-catalog.json'), 'utf8')));
rmSync(join(root, outdir), { recursive: true, force: true });
/** The CLI as one CommonJS script (src/cli/code-cache.ts CLI_SCRIPT_NAME), see buildCliScript. */
const CLI_SCRIPT = 'cli.cjs';
const define = {
  __PIPEWRIGHT_BUILD_ID__: JSON.stringify(id),
  __PIPEWRIGHT_VERSION__: JSON.stringify(version),
  __PIPEWRIGHT_DEFAULT_CATALOG__: JSON.stringify(defaultCatalogText),
};
await build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts', 'src/cli/main.ts', 'src/cli/code-cache.ts', 'src/dsl/index.ts', 'src/load/sandbox-policy.ts', 'src/compile-worker.ts'],
  outdir,
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  define,
  logLevel: 'warning',
});
await buildCliScript();
writeFileSync(join(root, outdir, 'BUILD_ID'), `${id}\n`);
// The same catalog as a file, for tools that read it without pipewright's API.
writeFileSync(join(root, outdir, 'default-catalog.json'), `${defaultCatalogText}\n`);

/**
 * A relative module specifier in emitted declarations: `from './x.ts'`, `import('./x.ts')`,
 * `import './x.ts'`. The sources import with `.ts` extensions (rewriteRelativeImportExtensions
 * rewrites them in JavaScript only), so declarations keep them; consumers resolve `.js`.
 */
const TS_SPECIFIER = /((?:\bfrom|\bimport\s*\(|\bimport)\s*)(['"])(\.{1,2}\/[^'"\n]*?)\.ts\2/g;

/** Emits dist/**\/*.d.ts with tsc's API; exits non-zero when a declaration cannot be emitted. */
function emitDeclarations() {
  const configPath = join(root, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const result = program.emit(undefined, (fileName, text) => {
    mkdirSync(dirname(fileName), { recursive: true });
    writeFileSync(fileName, text.replace(TS_SPECIFIER, (_, keyword, quote, path) => `${keyword}${quote}${path}.js${quote}`));
  }, undefined, true);
  // Declaration errors, not the whole type check: `npm run typecheck` does that, and a type error
  // elsewhere should not stop `npm ci` (prepare) from building a runnable dist/.
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...result.diagnostics];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    process.exit(1);
  }
}

/**
 * The CLI once more as one CommonJS script, `cli.cjs` beside the chunks (so `import.meta.url`
 * based paths resolve as from a chunk), which bin/pipewright.js runs with V8's code cache (see
 * src/cli/code-cache.ts; Node 20 has no code cache for ES modules). A script compiled by
 * `node:vm` cannot `import()`: every dynamic import must be bundled in.
 */
async function buildCliScript() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    outfile: join(outdir, CLI_SCRIPT),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    sourcemap: true,
    metafile: true,
    // Without comments (some are not ASCII) the script is ASCII, which decodes several times
    // faster than UTF-8 at every start; a third smaller, too. Stack traces map through the source map.
    minifyWhitespace: true,
    define: { ...define, 'import.meta.url': '__pipewrightModuleUrl' },
    // ES modules are strict; the script must be too.
    banner: { js: `"use strict";\nconst __pipewrightModuleUrl = require("node:url").pathToFileURL(__filename).href;` },
    logLevel: 'warning',
  });
  if (!isAscii(readFileSync(join(root, outdir, CLI_SCRIPT)))) process.stderr.write(`build: ${CLI_SCRIPT} is not ASCII (a non-ASCII regular expression?): it decodes slower at every start\n`);
  for (const output of Object.values(result.metafile.outputs)) {
    const unbundled = output.imports.filter((entry) => entry.kind === 'dynamic-import' && entry.external);
    if (unbundled.length > 0) throw new Error(`${CLI_SCRIPT} would import() ${unbundled.map((entry) => entry.path).join(', ')} at run time: import it statically`);
  }
}

/** A small project for the code cache run: a shared module and pipelines importing it. */
const SAMPLE_SHARED = `import type { Agent, PipelineOptions, Stage } from 'pipewright';
import { junit, sh } from 'pipewright';

export const agent: Agent = { type: 'label', label: 'linux && docker' };
export const options: PipelineOptions = { timeout: { time: 30, unit: 'MINUTES' }, buildDiscarder: { numToKeep: 20 }, timestamps: true };
export function testStage(name: string): Stage {
  return { name, steps: [sh('npm ci', { label: 'install' }), sh('npm test')], post: { always: [junit('reports/**/*.xml', { allowEmptyResults: true })] } };
}
`;
const samplePipeline = (name) => `import { archiveArtifacts, bind, definePipeline, echo, sh, withCredentials } from 'pipewright';
import { agent, options, testStage } from './shared/defaults.ts';

export default definePipeline({
  agent,
  options,
  environment: { SERVICE: '${name}', AWS_REGION: 'eu-west-1' },
  parameters: [{ type: 'string', name: 'TARGET', defaultValue: 'dev', description: 'Target environment' }],
  stages: [
    testStage('Test'),
    {
      name: 'Checks',
      parallel: [
        { name: 'Lint', steps: [sh('npm run lint')] },
        { name: 'Audit', steps: [withCredentials([bind.string('licence-api-token', 'LICENCE_TOKEN')], [sh('./scripts/licence-check.sh')])] },
      ],
    },
    { name: 'Package', when: { branch: 'main' }, steps: [sh('npm run build'), archiveArtifacts('dist/**', { fingerprint: true }), echo('packaged')] },
    { name: 'Deploy', when: { allOf: [{ branch: 'main' }, { not: { changeRequest: true } }] }, steps: [sh('./deploy.sh "$TARGET"')] },
  ],
  post: { failure: [echo('failed')], cleanup: [sh('rm -rf dist')] },
});
`;

/**
 * Runs the CLI script on sample projects (in a child process: a fresh V8 with default flags, as
 * bin/pipewright.js runs) and writes its code cache beside it. The sample is this repository's
 * own pipelines and configuration when present (a staged package has none), and a small
 * synthetic project. Output is discarded; a failure only costs the cache (the CLI compiles from
 * source without it), so it warns and the build goes on.
 */
function writeCodeCache() {
  const work = mkdtempSync(join(tmpdir(), 'pipewright-code-cache-'));
  try {
    const synthetic = join(work, 'synthetic');
    mkdirSync(join(synthetic, 'pipelines', 'shared'), { recursive: true });
    writeFileSync(join(synthetic, 'pipelines', 'shared', 'defaults.ts'), SAMPLE_SHARED);
    for (const name of ['orders', 'billing']) writeFileSync(join(synthetic, 'pipelines', `${name}.pipeline.ts`), samplePipeline(name));
    const runs = [
      ['compile', '--root', synthetic, '--quiet'],
      // Again, warm: the bundle and result caches are reused.
      ['compile', '--root', synthetic, '--quiet'],
      ['lint', '--root', synthetic, '--format', 'json', '--output', join(work, 'lint.json')],
    ];
    if (existsSync(join(root, 'pipelines')) && existsSync(join(root, 'pipewright.config.ts'))) {
      const project = join(work, 'project');
      cpSync(join(root, 'pipelines'), join(project, 'pipelines'), { recursive: true });
      cpSync(join(root, 'pipewright.config.ts'), join(project, 'pipewright.config.ts'));
      runs.unshift(['compile', '--root', project, '--quiet']);
    }
    const launcher = pathToFileURL(join(root, outdir, 'cli', 'code-cache.js')).href;
    const script = `const { writeCliCodeCache } = await import(${JSON.stringify(launcher)});\nconst codes = await writeCliCodeCache(${JSON.stringify(join(root, outdir))}, ${JSON.stringify(runs)});\nif (codes.some((code) => code !== 0)) console.error('build: a code cache sample run failed (exit codes ' + codes.join(', ') + '); the cache covers less');`;
    // Caches as on a developer's machine, with a cache key of its own (not the user's).
    const env = { ...process.env, PIPEWRIGHT_CACHE_KEY_DIR: join(work, 'cache-key') };
    delete env.NODE_OPTIONS;
    delete env.CI;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: work, env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
  } catch (error) {
    process.stderr.write(`build: no code cache for ${CLI_SCRIPT} (the CLI starts without it): ${error.message}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

writeCodeCache();
if (!process.argv.includes('--no-types') && outdir === 'dist') emitDeclarations();
