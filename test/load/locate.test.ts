import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ModelPath } from '../../src/diagnostics.ts';
import { createSourceLocator } from '../../src/load/locate.ts';
import { createProject, positionOf, type TempProject } from './project.ts';

// Positions below are computed from this text with `positionOf(needle)`; a few are also spelled
// out as numbers, to show what the needles mean.
const PIPELINE = `import { definePipeline, defineStage, sh, junit, dir } from 'pipewright';
import { orgDefaults, sharedEnv } from './shared/defaults.ts';

const base = {
  options: { timeout: { time: 30 } },
  ...orgDefaults,
} as const;

const installSteps = [sh('npm ci'), sh('npm run build')];
const KEY = 'post';

const build = defineStage({
  name: 'Build',
  steps: [...installSteps, sh('npm test', { label: 'unit tests', returnStatus: false })],
});

const image = 'node:20';

export default definePipeline({
  ...base,
  agent: { type: 'docker', image },
  'environment': { ...sharedEnv, MODE: 'ci', ['REGION']: 'eu-west-1' },
  stages: [
    build,
    (defineStage({ name: 'Report', steps: [junit('reports/*.xml'), dir('sub', [sh('ls')])] }) satisfies object),
    ...orgDefaults.stages,
    { name: 'Late', steps: [] },
  ],
  [KEY]: { always: [sh('echo done')] },
  parameters: [, { type: 'string', name: 'HOLE' }],
});
`;

let project: TempProject;
let file: string;

beforeAll(async () => {
  project = await createProject({ 'pipelines/app.pipeline.ts': PIPELINE });
  file = project.file('pipelines/app.pipeline.ts');
});
afterAll(async () => {
  await project.remove();
});

const at = (needle: string, occurrence = 1) => ({ file: 'pipelines/app.pipeline.ts', ...positionOf(PIPELINE, needle, occurrence) });

function locate(path: ModelPath, text?: string) {
  return createSourceLocator(file, project.root, text).locate(path);
}

describe('createSourceLocator().locate', () => {
  test('the root is the default export expression, with its full range', () => {
    expect(locate([])).toEqual({ ...at('definePipeline({\n'), endLine: 31, endColumn: 3 });
    expect(at('definePipeline({\n')).toEqual({ file: 'pipelines/app.pipeline.ts', line: 19, column: 16 });
  });

  test('properties: identifier, string-literal, computed and shorthand names', () => {
    expect(locate(['agent'])).toEqual({ ...at("{ type: 'docker'"), endLine: 21, endColumn: at('image },').column + 'image }'.length });
    expect(locate(['agent', 'type'])).toMatchObject(at("'docker'"));
    expect(locate(['environment', 'MODE'])).toMatchObject(at("'ci'"));
    expect(locate(['environment', 'REGION'])).toMatchObject(at("'eu-west-1'"));
    // Shorthand: the use site; a computed key through a same-file const.
    expect(locate(['agent', 'image'])).toMatchObject({ ...at('image }'), endColumn: at('image }').column + 5 });
    expect(locate(['post', 'always', 0])).toMatchObject(at("sh('echo done')"));
  });

  test('spreads: a same-file object literal is searched; an imported one stops at the spread', () => {
    // `options` comes from `...base`, a same-file const.
    expect(locate(['options', 'timeout', 'time'])).toMatchObject(at('30'));
    // `tools` is not written anywhere in this file; `base` spreads `orgDefaults` (imported).
    expect(locate(['tools', 'nodejs'])).toMatchObject(at('...orgDefaults,'));
    expect(locate(['environment', 'SHARED_TOKEN'])).toMatchObject(at('...sharedEnv'));
  });

  test('array elements, counting through same-file spreads and stopping at others', () => {
    // stages[0] is the identifier `build` (use site); going deeper follows the same-file const.
    expect(locate(['stages', 0])).toMatchObject(at('build,'));
    expect(locate(['stages', 0, 'name'])).toMatchObject(at("'Build'"));
    // steps = [...installSteps (2 elements), sh('npm test', ...)]
    expect(locate(['stages', 0, 'steps', 1])).toMatchObject(at("sh('npm run build')"));
    expect(locate(['stages', 0, 'steps', 2])).toMatchObject(at("sh('npm test'"));
    // stages[2] onwards come from an imported array: the spread is as close as the file gets.
    expect(locate(['stages', 2, 'name'])).toMatchObject(at('...orgDefaults.stages'));
    expect(locate(['stages', 3])).toMatchObject(at('...orgDefaults.stages'));
    // A hole counts as an element.
    expect(locate(['parameters', 1, 'name'])).toMatchObject(at("'HOLE'"));
  });

  test('helper calls: their object-literal argument is followed; otherwise the call is the answer', () => {
    expect(locate(['stages', 0, 'steps', 2, 'label'])).toMatchObject(at("'unit tests'"));
    expect(locate(['stages', 0, 'steps', 2, 'returnStatus'])).toMatchObject(at('false'));
    // `script` is a positional argument: the call is the deepest node.
    expect(locate(['stages', 0, 'steps', 2, 'script'])).toMatchObject(at("sh('npm test'"));
    // Through parentheses and `satisfies`, into defineStage's argument.
    expect(locate(['stages', 1, 'name'])).toMatchObject(at("'Report'"));
    expect(locate(['stages', 1, 'steps', 0, 'testResults'])).toMatchObject(at("junit('reports/*.xml')"));
    expect(locate(['stages', 1, 'steps', 1, 'steps', 0])).toMatchObject(at("dir('sub'"));
  });

  test('a path that cannot be followed ends at the deepest node reached', () => {
    expect(locate(['agent', 'nope', 'deeper'])).toMatchObject(at("{ type: 'docker'"));
    expect(locate(['stages', 9])).toMatchObject(at('...orgDefaults.stages'));
    expect(locate(['stages', 4, 'name'])).toMatchObject(at('...orgDefaults.stages'));
    expect(locate(['stages', 0, 'steps', 2, 'label', 'x'])).toMatchObject(at("'unit tests'"));
  });

  test('default export forms: identifier const, plain object with satisfies/as, export { x as default }', () => {
    const viaConst = `import { definePipeline } from 'pipewright';\nconst pipeline = definePipeline({\n  stages: [{ name: 'A', steps: [] }],\n});\nexport default pipeline;\n`;
    expect(locate([], viaConst)).toMatchObject({ line: 5, column: 16 });
    expect(locate(['stages', 0, 'name'], viaConst)).toMatchObject(positionOf(viaConst, "'A'"));

    const plain = `export default ({\n  agent: { type: 'any' },\n} satisfies object) as unknown;\n`;
    expect(locate(['agent', 'type'], plain)).toMatchObject(positionOf(plain, "'any'"));

    const named = `const config = { outDir: 'out' };\nexport { config as default };\n`;
    expect(locate(['outDir'], named)).toMatchObject(positionOf(named, "'out'"));

    const later = `const a = { x: 1, x: 2 };\nexport default { ...a, 'x': 3, y: { ...a } };\n`;
    expect(locate(['x'], later)).toMatchObject(positionOf(later, '3'));
    expect(locate(['y', 'x'], later)).toMatchObject(positionOf(later, '2'));
  });

  test('never throws: unreadable file, no default export, cyclic consts', () => {
    const missing = createSourceLocator(project.file('pipelines/missing.pipeline.ts'), project.root);
    expect(missing.locate(['stages', 0])).toEqual({ file: 'pipelines/missing.pipeline.ts', line: 1, column: 1 });
    expect(locate(['a'], 'export const a = 1;\n')).toEqual({ file: 'pipelines/app.pipeline.ts', line: 1, column: 1 });
    const cyclic = `const a = b;\nconst b = a;\nexport default a;\n`;
    expect([1, 2]).toContain(locate(['x', 'y'], cyclic).line);
    expect(locate(['x'], 'export default {{{ broken')).toMatchObject({ file: 'pipelines/app.pipeline.ts' });
  });
});
