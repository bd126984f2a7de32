// Module hooks that let a plain `node` process run pipewright from src/ (TypeScript), the way the
// test runner does: each `.ts` module is transformed on load with esbuild (no bundling). Used by
// the end-to-end tests that need real separate processes (concurrent runs, kill -9, pipes).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const { code } = transformSync(readFileSync(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: file,
    sourcemap: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}
