// Builds dist/ from src/ with esbuild: the CLI, the library API and the authoring DSL as ESM entry
// points sharing chunks; npm packages stay external. Runs on `npm ci` (prepare) in ~0.1 s, so a
// fresh clone can run `npm run compile-pipelines` straight away. Type declarations for publishing
// come from `npm run build:types` (tsc), which is slower and not needed to run the tool.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
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
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
