import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../../src/diagnostics.ts';
import { loadPipelineModules, type LoadResult } from '../../src/load/loader.ts';
import { createProject, positionOf, REPO_NODE_MODULES, type TempProject } from './project.ts';

const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

async function project(files: Record<string, string>, options: { linkNodeModules?: boolean } = {}): Promise<TempProject> {
  const created = await createProject(files, options);
  projects.push(created);
  return created;
}

async function load(p: TempProject, relativeFiles: string[]): Promise<LoadResult> {
  return loadPipelineModules(
    relativeFiles.map((file) => p.file(file)),
    { root: p.root },
  );
}

function moduleOf(result: LoadResult, p: TempProject, relative: string) {
  const found = result.modules.find((loaded) => loaded.file === p.file(relative));
  if (!found) throw new Error(`no module for ${relative}`);
  return found;
}

const rendered = (diagnostics: Diagnostic[]) => diagnostics.map(formatDiagnostic);

// A shared module that counts its evaluations in a global only this test file uses.
const DEFAULTS = `
const counter = globalThis as { __pwDefaultsEvaluations?: Record<string, number> };
counter.__pwDefaultsEvaluations ??= {};
export const evaluationKey = import.meta.url + ':' + Math.random();
counter.__pwDefaultsEvaluations[evaluationKey] = (counter.__pwDefaultsEvaluations[evaluationKey] ?? 0) + 1;
export const evaluations = () => counter.__pwDefaultsEvaluations![evaluationKey];
export const agent = { type: 'label', label: 'linux' } as const;
export const shared = { marker: 'shared-instance' };
`;

const evaluations = (key: string) =>
  (globalThis as { __pwDefaultsEvaluations?: Record<string, number> }).__pwDefaultsEvaluations?.[key];

describe('loadPipelineModules', () => {
  test('loads several pipelines that share a defaults module; values and graph are right; shared module runs once', async () => {
    const p = await project({
      'pipelines/shared/defaults.ts': DEFAULTS,
      'pipelines/shared/steps.ts': `
import { sh } from 'pipewright';
import { shared } from './defaults.ts';
export const test = () => [sh('npm test', { label: 'unit tests' })];
export { shared };
`,
      'pipelines/api.pipeline.ts': `
import { definePipeline, sh } from 'pipewright';
import { agent, shared, evaluationKey, evaluations } from './shared/defaults.ts';
export default definePipeline({
  agent,
  stages: [{ name: 'Build', steps: [sh('npm ci')] }],
  environment: { KEY: evaluationKey, RUNS: String(evaluations()) },
  shared,
} as never);
`,
      'pipelines/team/web.pipeline.ts': `
import { definePipeline } from 'pipewright';
import { test, shared } from '../shared/steps.ts';
import { agent } from '../shared/defaults.ts';
export default definePipeline({ agent, stages: [{ name: 'Test', steps: test() }], shared } as never);
`,
      'pipelines/standalone.pipeline.ts': `
import { definePipeline, echo } from 'pipewright/dsl';
export default definePipeline({ agent: { type: 'any' }, stages: [{ name: 'Hi', steps: [echo('hi')] }] });
`,
    });
    const result = await load(p, ['pipelines/team/web.pipeline.ts', 'pipelines/api.pipeline.ts', 'pipelines/standalone.pipeline.ts']);

    expect(result.modules.map((loaded) => loaded.file)).toEqual([
      p.file('pipelines/team/web.pipeline.ts'),
      p.file('pipelines/api.pipeline.ts'),
      p.file('pipelines/standalone.pipeline.ts'),
    ]);
    for (const loaded of result.modules) expect(rendered(loaded.diagnostics)).toEqual([]);

    const api = moduleOf(result, p, 'pipelines/api.pipeline.ts').value as Record<string, unknown>;
    const web = moduleOf(result, p, 'pipelines/team/web.pipeline.ts').value as Record<string, unknown>;
    const standalone = moduleOf(result, p, 'pipelines/standalone.pipeline.ts').value;
    expect(api.agent).toEqual({ type: 'label', label: 'linux' });
    expect(api.stages).toEqual([{ name: 'Build', steps: [{ step: 'sh', script: 'npm ci' }] }]);
    expect(web.stages).toEqual([{ name: 'Test', steps: [{ step: 'sh', script: 'npm test', label: 'unit tests' }] }]);
    expect(standalone).toEqual({ agent: { type: 'any' }, stages: [{ name: 'Hi', steps: [{ step: 'echo', message: 'hi' }] }] });

    // One evaluation of the shared module serves every pipeline (web evaluated it first; api,
    // evaluated after, saw the count still at 1). It ran in the sandbox worker, not here: the
    // values are copies, and this realm's global was never touched.
    expect(web.shared).toEqual(api.shared);
    expect(web.shared).not.toBe(api.shared);
    const { KEY: key, RUNS: runs } = api.environment as { KEY: string; RUNS: string };
    expect(runs).toBe('1');
    expect(evaluations(key)).toBeUndefined();

    expect(result.graph).toEqual(
      new Map([
        [p.file('pipelines/team/web.pipeline.ts'), new Set([p.file('pipelines/team/web.pipeline.ts'), p.file('pipelines/shared/steps.ts'), p.file('pipelines/shared/defaults.ts')])],
        [p.file('pipelines/api.pipeline.ts'), new Set([p.file('pipelines/api.pipeline.ts'), p.file('pipelines/shared/defaults.ts')])],
        [p.file('pipelines/standalone.pipeline.ts'), new Set([p.file('pipelines/standalone.pipeline.ts')])],
      ]),
    );
  });

  test('a syntax error fails only its pipeline, with esbuild file:line:col (UTF-16 columns)', async () => {
    const broken = `import { definePipeline } from 'pipewright';\nconst label = 'größe €'; const oops = ;\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`;
    const p = await project({
      'pipelines/good.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
      'pipelines/broken.pipeline.ts': broken,
      'pipelines/other.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'none' }, stages: [] });\n`,
    });
    const result = await load(p, ['pipelines/broken.pipeline.ts', 'pipelines/good.pipeline.ts', 'pipelines/other.pipeline.ts']);

    const bad = moduleOf(result, p, 'pipelines/broken.pipeline.ts');
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics).toHaveLength(1);
    const [diagnostic] = bad.diagnostics;
    expect(diagnostic).toMatchObject({ code: 'PW1001', severity: 'error', message: 'Unexpected ";"' });
    // The `;` after `= ` on line 2; non-ASCII letters before it must not shift the column.
    const semicolon = positionOf(broken, '= ;');
    expect(diagnostic!.location).toEqual({ file: 'pipelines/broken.pipeline.ts', line: 2, column: semicolon.column + 2, endLine: 2, endColumn: semicolon.column + 3 });
    expect(semicolon).toEqual({ line: 2, column: 37 }); // so the `;` is at column 39

    expect(moduleOf(result, p, 'pipelines/good.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { type: 'any' } } });
    expect(moduleOf(result, p, 'pipelines/other.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { type: 'none' } } });
    // The broken file is still in the graph, so watch mode retries it when it changes.
    expect(result.graph.get(p.file('pipelines/broken.pipeline.ts'))).toEqual(new Set([p.file('pipelines/broken.pipeline.ts')]));
  });

  test('a syntax error in a shared module is reported on every importer (also transitive); the rest load', async () => {
    const brokenHelper = `export const agent = { type: 'label', label: 'linux' };\nexport const stages = [\n  { name: 'x' steps: [] },\n];\n`;
    const p = await project({
      'pipelines/shared/broken.ts': brokenHelper,
      'pipelines/shared/via.ts': `export { agent } from './broken.ts';\n`,
      'pipelines/a.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { agent } from './shared/broken.ts';\nexport default definePipeline({ agent, stages: [] } as never);\n`,
      'pipelines/b.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { agent } from './shared/via.ts';\nexport default definePipeline({ agent, stages: [] } as never);\n`,
      'pipelines/c.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
      'pipelines/d.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { missing } from './shared/nowhere.ts';\nexport default definePipeline({ agent: { type: 'any' }, stages: [missing] } as never);\n`,
    });
    const result = await load(p, ['pipelines/a.pipeline.ts', 'pipelines/b.pipeline.ts', 'pipelines/c.pipeline.ts', 'pipelines/d.pipeline.ts']);

    const at = positionOf(brokenHelper, 'steps');
    for (const importer of ['pipelines/a.pipeline.ts', 'pipelines/b.pipeline.ts']) {
      const loaded = moduleOf(result, p, importer);
      expect(loaded.value).toBeUndefined();
      expect(loaded.diagnostics).toEqual([
        {
          code: 'PW1001',
          severity: 'error',
          message: 'Expected "}" but found "steps"',
          location: { file: 'pipelines/shared/broken.ts', line: at.line, column: at.column, endLine: at.line, endColumn: at.column + 5 },
        },
      ]);
      expect(result.graph.get(p.file(importer))?.has(p.file('pipelines/shared/broken.ts'))).toBe(true);
    }
    expect(moduleOf(result, p, 'pipelines/c.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { type: 'any' } } });
    const unresolved = moduleOf(result, p, 'pipelines/d.pipeline.ts');
    expect(unresolved.diagnostics).toHaveLength(1);
    expect(unresolved.diagnostics[0]).toMatchObject({
      code: 'PW1001',
      message: expect.stringContaining('Could not resolve "./shared/nowhere.ts"'),
      location: { file: 'pipelines/d.pipeline.ts', line: 2, column: 25 },
    });
  });

  test('a module that throws is reported at the throwing line; a throwing helper at the helper', async () => {
    const throwing = `import { definePipeline } from 'pipewright';\nconst stages: never[] = [];\nif (stages.length === 0) {\n  throw new Error('no stages configured');\n}\nexport default definePipeline({ agent: { type: 'any' }, stages });\n`;
    const helper = `export function requireEnv(name: string): string {\n  const value = process.env[name];\n  if (!value) throw new TypeError(\`\${name} is not set\`);\n  return value;\n}\n`;
    const crashingModule = `export const config = JSON.parse('{not json');\n`;
    const p = await project({
      'pipelines/throws.pipeline.ts': throwing,
      'pipelines/shared/env.ts': helper,
      'pipelines/shared/crash.ts': crashingModule,
      'pipelines/helper-throws.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { requireEnv } from './shared/env.ts';\nexport default definePipeline({ agent: { type: 'label', label: requireEnv('PW_SURELY_UNSET_VARIABLE') }, stages: [] });\n`,
      'pipelines/crash-1.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { config } from './shared/crash.ts';\nexport default definePipeline({ agent: config, stages: [] });\n`,
      'pipelines/crash-2.pipeline.ts': `import { config } from './shared/crash.ts';\nexport default config;\n`,
      'pipelines/fine.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
    });
    const result = await load(p, [
      'pipelines/throws.pipeline.ts',
      'pipelines/helper-throws.pipeline.ts',
      'pipelines/crash-1.pipeline.ts',
      'pipelines/crash-2.pipeline.ts',
      'pipelines/fine.pipeline.ts',
    ]);

    expect(moduleOf(result, p, 'pipelines/throws.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1002',
        severity: 'error',
        message: 'Loading the pipeline module failed: Error: no stages configured',
        location: { file: 'pipelines/throws.pipeline.ts', ...positionOf(throwing, 'new Error') },
      },
    ]);
    expect(positionOf(throwing, 'new Error')).toEqual({ line: 4, column: 9 });

    expect(moduleOf(result, p, 'pipelines/helper-throws.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1002',
        severity: 'error',
        message: 'Loading the pipeline module failed: TypeError: PW_SURELY_UNSET_VARIABLE is not set',
        location: { file: 'pipelines/shared/env.ts', ...positionOf(helper, 'new TypeError') },
      },
    ]);

    // The shared module threw once; both importers see that error, at the shared module's line.
    for (const importer of ['pipelines/crash-1.pipeline.ts', 'pipelines/crash-2.pipeline.ts']) {
      const loaded = moduleOf(result, p, importer);
      expect(loaded.value).toBeUndefined();
      expect(loaded.diagnostics).toHaveLength(1);
      expect(loaded.diagnostics[0]).toMatchObject({
        code: 'PW1002',
        message: expect.stringMatching(/^Loading the pipeline module failed: SyntaxError: .*JSON/),
        location: { file: 'pipelines/shared/crash.ts', line: 1 },
      });
    }
    expect(moduleOf(result, p, 'pipelines/fine.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { type: 'any' } } });
  });

  test('default export problems: missing (PW1003), not an object or not from definePipeline (PW1004)', async () => {
    const stringExport = `const name = 'not a pipeline';\nexport default name;\n`;
    const plainExport = `import type { Pipeline } from 'pipewright';\nexport default {\n  agent: { type: 'any' },\n  stages: [],\n} satisfies Pipeline;\n`;
    const p = await project({
      'pipelines/no-default.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport const pipeline = definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
      'pipelines/string.pipeline.ts': stringExport,
      'pipelines/plain.pipeline.ts': plainExport,
      'pipelines/array.pipeline.ts': `export default [1, 2];\n`,
      'pipewright.config.ts': `export default { outDir: 'out' };\n`,
      'tools/bad.config.ts': `export default 42;\n`,
    });
    const result = await load(p, ['pipelines/no-default.pipeline.ts', 'pipelines/string.pipeline.ts', 'pipelines/plain.pipeline.ts', 'pipelines/array.pipeline.ts', 'pipewright.config.ts', 'tools/bad.config.ts']);

    expect(moduleOf(result, p, 'pipelines/no-default.pipeline.ts')).toEqual({
      file: p.file('pipelines/no-default.pipeline.ts'),
      diagnostics: [
        {
          code: 'PW1003',
          severity: 'error',
          message: 'The module has no default export.',
          location: { file: 'pipelines/no-default.pipeline.ts', line: 1, column: 1 },
          expected: 'export default definePipeline({ ... })',
          found: 'no default export',
        },
      ],
    });

    const notObject = moduleOf(result, p, 'pipelines/string.pipeline.ts');
    expect(notObject.value).toBe('not a pipeline');
    expect(notObject.diagnostics).toEqual([
      {
        code: 'PW1004',
        severity: 'error',
        message: 'The default export must be a pipeline object created with definePipeline(...).',
        location: { file: 'pipelines/string.pipeline.ts', line: 2, column: 16, endLine: 2, endColumn: 20 },
        expected: 'definePipeline({ ... })',
        found: 'a string ("not a pipeline")',
      },
    ]);

    const plain = moduleOf(result, p, 'pipelines/plain.pipeline.ts');
    expect(plain.value).toEqual({ agent: { type: 'any' }, stages: [] });
    expect(plain.diagnostics).toEqual([
      {
        code: 'PW1004',
        severity: 'error',
        message: 'The default export was not created with definePipeline(...).',
        location: { file: 'pipelines/plain.pipeline.ts', line: 2, column: 16, endLine: 5, endColumn: 21 },
        expected: 'definePipeline({ ... })',
        found: 'a plain object',
      },
    ]);

    expect(moduleOf(result, p, 'pipelines/array.pipeline.ts').diagnostics[0]).toMatchObject({ code: 'PW1004', found: 'an array' });
    // Modules that are not pipelines (the config) only need an object.
    expect(moduleOf(result, p, 'pipewright.config.ts')).toMatchObject({ diagnostics: [], value: { outDir: 'out' } });
    expect(moduleOf(result, p, 'tools/bad.config.ts').diagnostics).toEqual([
      {
        code: 'PW1004',
        severity: 'error',
        message: 'The default export must be an object.',
        location: { file: 'tools/bad.config.ts', line: 1, column: 16, endLine: 1, endColumn: 18 },
        expected: 'an object',
        found: 'a number (42)',
      },
    ]);
  });

  test('bare npm imports stay external and resolve from the project node_modules; a missing package fails only its importer', async () => {
    const invalid = `import { definePipeline } from 'pipewright';\nimport { z } from 'zod';\nconst label = z.string().min(5).parse('abc');\nexport default definePipeline({ agent: { type: 'label', label }, stages: [] });\n`;
    const missing = `import { definePipeline } from 'pipewright';\nimport leftPad from 'surely-not-an-installed-package-pw';\nexport default definePipeline({ agent: { type: 'label', label: leftPad('x') }, stages: [] });\n`;
    const p = await project(
      {
        'pipelines/shared/schema.ts': `import { z } from 'zod';\nexport const Label = z.string().min(3);\n`,
        'pipelines/zod.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { z } from 'zod';\nimport { Label } from './shared/schema.ts';\nimport { join } from 'node:path';\nexport default definePipeline({ agent: { type: 'label', label: Label.parse(join('linux', 'x64')) }, stages: [], environment: { ZOD: String(z.string().safeParse(1).success) } });\n`,
        'pipelines/missing.pipeline.ts': missing,
        'pipelines/plain.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
        'pipelines/invalid.pipeline.ts': invalid,
      },
      { linkNodeModules: true },
    );
    const result = await load(p, ['pipelines/zod.pipeline.ts', 'pipelines/missing.pipeline.ts', 'pipelines/plain.pipeline.ts', 'pipelines/invalid.pipeline.ts']);

    // The bundle lives behind the node_modules symlink; the stack still maps to the source.
    expect(moduleOf(result, p, 'pipelines/invalid.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1002',
        severity: 'error',
        message: expect.stringMatching(/^Loading the pipeline module failed: ZodError: /),
        location: { file: 'pipelines/invalid.pipeline.ts', ...positionOf(invalid, 'parse(') },
      },
    ]);

    expect(moduleOf(result, p, 'pipelines/zod.pipeline.ts')).toMatchObject({
      diagnostics: [],
      value: { agent: { type: 'label', label: 'linux/x64' }, environment: { ZOD: 'false' } },
    });
    expect(moduleOf(result, p, 'pipelines/plain.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { type: 'any' } } });
    const failed = moduleOf(result, p, 'pipelines/missing.pipeline.ts');
    expect(failed.value).toBeUndefined();
    expect(failed.diagnostics).toHaveLength(1);
    expect(failed.diagnostics[0]).toMatchObject({
      code: 'PW1002',
      message: expect.stringContaining("Cannot find package 'surely-not-an-installed-package-pw'"),
      location: { file: 'pipelines/missing.pipeline.ts', ...positionOf(missing, "'surely-not") },
    });
    // The graph lists local files only (no node_modules, no pipewright DSL).
    expect(result.graph.get(p.file('pipelines/zod.pipeline.ts'))).toEqual(new Set([p.file('pipelines/zod.pipeline.ts'), p.file('pipelines/shared/schema.ts')]));
  });

  test('npm failures stay with their importers: missing named/default export (ESM and CommonJS), package that throws on import', async () => {
    const namedImport = `import { definePipeline } from 'pipewright';\nimport { z, definitelyNotExported } from 'zod';\nexport default definePipeline({ agent: { type: 'any' }, stages: [], environment: { A: String(definitelyNotExported ?? z) } } as never);\n`;
    const viaHelper = `import { definePipeline } from 'pipewright';\nimport { label } from './shared/uses-throwing.ts';\nexport default definePipeline({ agent: { type: 'label', label }, stages: [] });\n`;
    const helper = `import 'throws-on-import';\nexport const label = 'never';\n`;
    const cjsNamed = `import { definePipeline } from 'pipewright';\nimport { present } from 'cjs-dynamic';\nexport default definePipeline({ agent: { type: 'label', label: present }, stages: [] });\n`;
    const defaultImport = `import { definePipeline } from 'pipewright';\nimport thing, { named } from 'esm-no-default';\nexport default definePipeline({ agent: { type: 'label', label: String(thing ?? named) }, stages: [] });\n`;
    const p = await project({
      'node_modules/throws-on-import/package.json': JSON.stringify({ name: 'throws-on-import', type: 'module', exports: './index.js' }),
      'node_modules/throws-on-import/index.js': `throw new RangeError('this package refuses to load');\n`,
      'pipelines/shared/uses-throwing.ts': helper,
      'pipelines/named.pipeline.ts': namedImport,
      'pipelines/helper.pipeline.ts': viaHelper,
      'node_modules/cjs-dynamic/package.json': JSON.stringify({ name: 'cjs-dynamic', main: 'index.js' }),
      'node_modules/cjs-dynamic/index.js': `Object.assign(module.exports, { present: 'yes' });\n`,
      'node_modules/esm-no-default/package.json': JSON.stringify({ name: 'esm-no-default', type: 'module', exports: './index.js' }),
      'node_modules/esm-no-default/index.js': `export const named = 1;\n`,
      'pipelines/cjs.pipeline.ts': cjsNamed,
      'pipelines/default.pipeline.ts': defaultImport,
      'pipelines/zod-ok.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { z } from 'zod';\nexport default definePipeline({ agent: { type: 'label', label: z.literal('ok').parse('ok') }, stages: [] });\n`,
      'pipelines/plain.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
    });
    await symlink(path.join(REPO_NODE_MODULES, 'zod'), p.file('node_modules/zod'), 'dir');
    const result = await load(p, [
      'pipelines/named.pipeline.ts',
      'pipelines/helper.pipeline.ts',
      'pipelines/cjs.pipeline.ts',
      'pipelines/default.pipeline.ts',
      'pipelines/zod-ok.pipeline.ts',
      'pipelines/plain.pipeline.ts',
    ]);
    expect(moduleOf(result, p, 'pipelines/cjs.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1002',
        severity: 'error',
        message: expect.stringMatching(/^Loading the pipeline module failed: SyntaxError: Named export 'present' not found\. The requested module 'cjs-dynamic' is a CommonJS module/),
        location: { file: 'pipelines/cjs.pipeline.ts', ...positionOf(cjsNamed, 'present }') },
      },
    ]);
    expect(moduleOf(result, p, 'pipelines/default.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1002',
        severity: 'error',
        message: "Loading the pipeline module failed: SyntaxError: The requested module 'esm-no-default' does not provide an export named 'default'",
        location: { file: 'pipelines/default.pipeline.ts', ...positionOf(defaultImport, 'thing,') },
      },
    ]);

    expect(moduleOf(result, p, 'pipelines/named.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1002',
        severity: 'error',
        message: "Loading the pipeline module failed: SyntaxError: The requested module 'zod' does not provide an export named 'definitelyNotExported'",
        location: { file: 'pipelines/named.pipeline.ts', ...positionOf(namedImport, 'definitelyNotExported') },
      },
    ]);
    expect(moduleOf(result, p, 'pipelines/helper.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1002',
        severity: 'error',
        message: 'Loading the pipeline module failed: RangeError: this package refuses to load',
        location: { file: 'pipelines/shared/uses-throwing.ts', ...positionOf(helper, "'throws-on-import'") },
      },
    ]);
    expect(moduleOf(result, p, 'pipelines/zod-ok.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { label: 'ok' } } });
    expect(moduleOf(result, p, 'pipelines/plain.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { type: 'any' } } });
  });

  test('a missing file, and top-level await', async () => {
    const p = await project({
      'pipelines/await.pipeline.ts': `import { definePipeline } from 'pipewright';\nconst label = await Promise.resolve('async-label');\nexport default definePipeline({ agent: { type: 'label', label }, stages: [] });\n`,
    });
    const result = await load(p, ['pipelines/gone.pipeline.ts', 'pipelines/await.pipeline.ts']);
    expect(moduleOf(result, p, 'pipelines/gone.pipeline.ts').diagnostics).toEqual([
      {
        code: 'PW1001',
        severity: 'error',
        message: `Cannot load the pipeline module: Could not resolve ${JSON.stringify(p.file('pipelines/gone.pipeline.ts'))}`,
        location: { file: 'pipelines/gone.pipeline.ts', line: 1, column: 1 },
      },
    ]);
    expect(moduleOf(result, p, 'pipelines/await.pipeline.ts')).toMatchObject({ diagnostics: [], value: { agent: { label: 'async-label' } } });
  });

  test('warm cache: an unchanged load reuses the bundle; a changed input rebuilds', async () => {
    const p = await project({
      'pipelines/shared/defaults.ts': `export const label = 'one';\n`,
      'pipelines/a.pipeline.ts': `import { definePipeline } from 'pipewright';\nimport { label } from './shared/defaults.ts';\nexport default definePipeline({ agent: { type: 'label', label }, stages: [] });\n`,
    });
    // A file written in the very millisecond a build starts might have changed while esbuild read
    // it, so such a build is not cached; the files here were written just now.
    await sleep(5);
    const cacheDirectory = p.file('.pipewright-cache');
    const bundles = () => readdirSync(cacheDirectory).filter((name) => name.endsWith('.mjs')).sort();

    const manifestModes = () =>
      readdirSync(cacheDirectory)
        .filter((name) => name.endsWith('.json'))
        .map((name) => readFileSync(path.join(cacheDirectory, name), 'utf8'))
        // A manifest is its signature (64 hex digits), a newline, and the JSON.
        .map((text) => (JSON.parse(text.slice(65)) as { mode: string }).mode);

    const first = await load(p, ['pipelines/a.pipeline.ts']);
    expect(first.modules[0]!.value).toMatchObject({ agent: { label: 'one' } });
    const built = bundles();
    expect(built).toHaveLength(1);
    // Bundles are always lazy: each pipeline evaluates on its own in the sandbox.
    expect(manifestModes()).toEqual(['lazy']);

    const second = await load(p, ['pipelines/a.pipeline.ts']);
    expect(bundles()).toEqual(built);
    expect(second.modules[0]!.value).toEqual(first.modules[0]!.value);
    expect(second.graph).toEqual(first.graph);

    // Same size, new content and mtime: must rebuild (and delete the old bundle).
    await p.write({ 'pipelines/shared/defaults.ts': `export const label = 'two';\n` });
    const later = new Date(statSync(p.file('pipelines/shared/defaults.ts')).mtimeMs + 5_000);
    utimesSync(p.file('pipelines/shared/defaults.ts'), later, later);
    const third = await load(p, ['pipelines/a.pipeline.ts']);
    expect(third.modules[0]!.value).toMatchObject({ agent: { label: 'two' } });
    const rebuilt = bundles();
    expect(rebuilt).toHaveLength(1);
    expect(rebuilt).not.toEqual(built);

    // A different entry set has its own cache slot and does not evict this one (this one throws;
    // its bundle is kept and reused all the same).
    await p.write({ 'pipelines/b.pipeline.ts': `import { definePipeline } from 'pipewright';\nif (Math.PI > 3) throw new Error('b is broken');\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n` });
    await sleep(5);
    const failing = await load(p, ['pipelines/b.pipeline.ts']);
    expect(failing.modules[0]!.diagnostics).toMatchObject([{ code: 'PW1002', message: 'Loading the pipeline module failed: Error: b is broken', location: { line: 2 } }]);
    const fourth = await load(p, ['pipelines/a.pipeline.ts']);
    expect(fourth.modules[0]!.value).toEqual(third.modules[0]!.value);
    expect(bundles()).toHaveLength(2);
    expect(manifestModes()).toEqual(['lazy', 'lazy']);
    const failingAgain = await load(p, ['pipelines/b.pipeline.ts']);
    expect(failingAgain.modules[0]!.diagnostics).toEqual(failing.modules[0]!.diagnostics);
    expect(bundles()).toHaveLength(2);
  });

  test('concurrent loads of the same files in one process both succeed', async () => {
    const p = await project({
      'pipelines/a.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
      'pipelines/b.pipeline.ts': `export default 1;\n`,
    });
    const [first, second] = await Promise.all([load(p, ['pipelines/a.pipeline.ts', 'pipelines/b.pipeline.ts']), load(p, ['pipelines/a.pipeline.ts', 'pipelines/b.pipeline.ts'])]);
    for (const result of [first, second]) {
      expect(result.modules[0]).toMatchObject({ diagnostics: [], value: { agent: { type: 'any' } } });
      expect(result.modules[1]!.diagnostics.map((d) => d.code)).toEqual(['PW1004']);
    }
  });

  test('bundles go to node_modules/.cache/pipewright when the project has node_modules', async () => {
    const p = await project({
      'node_modules/.keep': '',
      'pipelines/a.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
    });
    const result = await load(p, ['pipelines/a.pipeline.ts']);
    expect(result.modules[0]!.diagnostics).toEqual([]);
    expect(readdirSync(p.file('node_modules/.cache/pipewright')).filter((name) => name.endsWith('.mjs'))).toHaveLength(1);
    expect(() => readdirSync(p.file('.pipewright-cache'))).toThrow(/ENOENT/);
    expect(path.isAbsolute(result.modules[0]!.file)).toBe(true);
  });
});
