// Builds dist/ from src/ with esbuild: the CLI, the library API and the authoring DSL as ESM entry
// points sharing chunks; npm packages stay external (zod excepted, see below). Runs on `npm ci` (prepare) in ~0.1 s, so a
// fresh clone can run `npm run compile-pipelines` straight away. Type declarations for publishing
// come from `npm run build:types` (tsc), which is slower and not needed to run the tool.
//
// The build id (a hash of src/ and the lockfile) is compiled into dist/ as
// `__PIPEWRIGHT_BUILD_ID__` and written to dist/BUILD_ID: the persistent compile-result cache
// keys on it, so results of another compiler build are never reused.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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

// npm packages stay external, except zod: bundled, it loads as part of a chunk instead of as
// ~100 separate modules (~50 ms less start-up for every command). Nothing crosses the package
// boundary as a zod object (user configs and pipelines hand over plain values), so a private copy
// is safe.
const BUNDLED_PACKAGES = new Set(['zod']);
const { dependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies)
  .filter((name) => !BUNDLED_PACKAGES.has(name))
  .flatMap((name) => [name, `${name}/*`]);
rmSync(`${root}/dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts', 'src/cli/main.ts', 'src/dsl/index.ts'],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  define: { __PIPEWRIGHT_BUILD_ID__: JSON.stringify(id) },
  logLevel: 'warning',
});
writeFileSync(join(root, 'dist', 'BUILD_ID'), `${id}\n`);
