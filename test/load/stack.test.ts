import { mkdir, writeFile } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findOriginal, parseStack } from '../../src/load/stack.ts';
import { createProject, type TempProject } from './project.ts';

let project: TempProject;
beforeAll(async () => {
  project = await createProject({});
});
afterAll(async () => {
  await project.remove();
});

test('findOriginal agrees with node:module SourceMap on every mapped position of a real esbuild map', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) {
    files[`src/m${i}.ts`] = `import { shared } from './shared.ts';\nexport const value${i}: { n: number; s: string } = { n: ${i} * shared.base, s: \`v\${${i}}é😀\` };\nexport function f${i}(x: number) {\n  if (x > ${i}) throw new Error('too big ' + x);\n  return [x, ...[1, 2, 3].map((y) => y * x)];\n}\n`;
  }
  files['src/shared.ts'] = `export const shared = { base: 2 } as const;\n`;
  files['src/entry.ts'] = Object.keys(files).filter((name) => name !== 'src/shared.ts').map((name) => `export * from './${path.basename(name)}';`).join('\n');
  await project.write(files);
  await mkdir(project.file('out'), { recursive: true });
  const result = await build({
    absWorkingDir: project.root,
    entryPoints: ['src/entry.ts'],
    bundle: true,
    format: 'esm',
    write: false,
    sourcemap: 'external',
    sourcesContent: false,
    outfile: project.file('out/bundle.js'),
    logLevel: 'silent',
  });
  const mapText = result.outputFiles.find((file) => file.path.endsWith('.map'))!.text;
  const code = result.outputFiles.find((file) => file.path.endsWith('.js'))!.text;
  const payload = JSON.parse(mapText) as SourceMapPayload;
  const reference = new SourceMap(payload);

  let compared = 0;
  for (const [line, text] of code.split('\n').entries()) {
    for (let column = 0; column <= text.length; column++) {
      const expected = reference.findEntry(line, column) as { generatedLine?: number; originalSource?: string; originalLine?: number; originalColumn?: number };
      const actual = findOriginal(payload.mappings, line, column);
      if (expected.generatedLine !== line) {
        // Node falls back to an earlier line; this decoder only answers within the line.
        expect(actual).toBeUndefined();
        continue;
      }
      expect(actual && { source: payload.sources[actual.source], line: actual.line, column: actual.column }).toEqual({
        source: expected.originalSource!.replace(/^.*?(?=\.\.\/src\/)/, ''),
        line: expected.originalLine,
        column: expected.originalColumn,
      });
      compared += 1;
    }
  }
  expect(compared).toBeGreaterThan(1000);
  await writeFile(project.file('out/bundle.js.map'), mapText);
});

test('parseStack reads file URLs, paths, async and anonymous frames; skips internals', () => {
  const stack = [
    "TypeError: Cannot read properties of undefined (reading 'y')",
    '    at pipelines/b.pipeline.ts (file:///tmp/x/cache/bundle%20one.mjs:75:40)',
    '    at __init (file:///tmp/x/cache/bundle.mjs:8:58)',
    '    at async Promise.all (index 0)',
    '    at /abs/path/helper.ts:3:7',
    '    at node:internal/modules/esm/module_job:123:5',
    '    at async load (/abs/loader.js:10:2)',
  ].join('\n');
  expect(parseStack(stack)).toEqual([
    { file: '/tmp/x/cache/bundle one.mjs', line: 75, column: 40 },
    { file: '/tmp/x/cache/bundle.mjs', line: 8, column: 58 },
    { file: '/abs/path/helper.ts', line: 3, column: 7 },
    { file: '/abs/loader.js', line: 10, column: 2 },
  ]);
});
