// Builds dist/ from src/ with esbuild: the CLI, the library API and the authoring DSL as ESM entry
// points sharing chunks; npm packages stay external (zod excepted, see below). Then emits the type
// declarations consumers compile against (dist/**/*.d.ts, see tsconfig.build.json). Runs on
// `npm ci` (prepare), so a fresh clone can run `npm run compile-pipelines` straight away, and on
// `npm pack`/`npm publish`. `--no-types` skips the declarations (~0.1 s instead of several
// seconds), for benchmarks and quick local rebuilds.
//
// The package version is compiled in as `__PIPEWRIGHT_VERSION__` (src/version.ts): a chunk under
// dist/ cannot find package.json by a fixed relative URL.
//
// The build id (a hash of src/ and the lockfile) is compiled into dist/ as
// `__PIPEWRIGHT_BUILD_ID__` and written to dist/BUILD_ID: the persistent compile-result cache
// keys on it, so results of another compiler build are never reused.
import { build } from 'esbuild';
import ts from 'typescript';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

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
await build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts', 'src/cli/main.ts', 'src/dsl/index.ts', 'src/load/sandbox-policy.ts', 'src/compile-worker.ts'],
  outdir,
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  define: {
    __PIPEWRIGHT_BUILD_ID__: JSON.stringify(id),
    __PIPEWRIGHT_VERSION__: JSON.stringify(version),
    __PIPEWRIGHT_DEFAULT_CATALOG__: JSON.stringify(defaultCatalogText),
  },
  logLevel: 'warning',
});
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

if (!process.argv.includes('--no-types') && outdir === 'dist') emitDeclarations();
