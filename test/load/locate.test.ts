import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ModelPath } from '../../src/diagnostics.ts';
import { createSourceLocator, locateDiagnostics } from '../../src/load/locate.ts';
import type { Diagnostic } from '../../src/diagnostics.ts';
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

  test('locateKey: the key of a property (for an unknown property), not its value', () => {
    const locator = createSourceLocator(file, project.root);
    expect(locator.locateKey(['agent', 'type'])).toMatchObject({ ...at("type: 'docker'"), endColumn: at("type: 'docker'").column + 4 });
    expect(locator.locateKey(['environment', 'MODE'])).toMatchObject(at("MODE: 'ci'"));
    expect(locator.locateKey(['stages', 1, 'name'])).toMatchObject(at("name: 'Report'"));
    // Through a same-file stage constant, and the top level.
    expect(locator.locateKey(['stages', 0, 'steps'])).toMatchObject(at('steps: [...installSteps'));
    expect(locator.locateKey(['parameters'])).toMatchObject(at('parameters: ['));
    // No property of that name: where locate() would point.
    expect(locator.locateKey(['agent', 'nope'])).toEqual(locate(['agent', 'nope']));
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

  test('helper calls: options objects and positional arguments are followed to the argument', () => {
    expect(locate(['stages', 0, 'steps', 2, 'label'])).toMatchObject(at("'unit tests'"));
    expect(locate(['stages', 0, 'steps', 2, 'returnStatus'])).toMatchObject(at('false'));
    // `script` is sh's first argument, `testResults` junit's.
    expect(locate(['stages', 0, 'steps', 2, 'script'])).toMatchObject(at("'npm test'"));
    // Through parentheses and `satisfies`, into defineStage's argument.
    expect(locate(['stages', 1, 'name'])).toMatchObject(at("'Report'"));
    expect(locate(['stages', 1, 'steps', 0, 'testResults'])).toMatchObject(at("'reports/*.xml'"));
    // Nested steps: dir(path, steps) keeps its steps in `.steps`.
    expect(locate(['stages', 1, 'steps', 1, 'steps', 0])).toMatchObject(at("sh('ls')"));
    expect(locate(['stages', 1, 'steps', 1, 'path'])).toMatchObject(at("'sub'"));
  });

  test('nested steps inside every wrapping helper, through import aliases and namespace imports', () => {
    const nested = [
      `import { definePipeline, sh, withCredentials as creds, bind, dir, timeout, lock, retry, step } from 'pipewright';`,
      `import * as pw from 'pipewright';`,
      `export default definePipeline({`,
      `  stages: [{ name: 'S', steps: [`,
      `    creds([bind.string('npm-token', 'NPM_TOKEN')], [`,
      `      sh('echo one'),`,
      `      sh('echo $NPM_TOKEN', { label: 'two' }),`,
      `    ]),`,
      `    dir('web', [timeout(5, [lock('db', [retry(3, [sh('deep')])])], { unit: 'SECONDS' })]),`,
      `    pw.withCredentials([pw.bind.usernamePassword('reg', 'U', 'P')], [pw.sh('ns')]),`,
      `    step('recordIssues', { tools: 'x' }, [sh('in body')]),`,
      `  ] }],`,
      `});`,
    ].join('\n');
    const at = (needle: string) => positionOf(nested, needle);
    const steps = ['stages', 0, 'steps'] as const;
    expect(locate([...steps, 0, 'steps', 1], nested)).toMatchObject(at("sh('echo $NPM_TOKEN'"));
    expect(locate([...steps, 0, 'steps', 1, 'script'], nested)).toMatchObject(at("'echo $NPM_TOKEN'"));
    expect(locate([...steps, 0, 'steps', 1, 'label'], nested)).toMatchObject(at("'two'"));
    expect(locate([...steps, 0, 'bindings', 0, 'variable'], nested)).toMatchObject(at("'NPM_TOKEN'"));
    expect(locate([...steps, 1, 'steps', 0, 'steps', 0, 'steps', 0, 'steps', 0, 'script'], nested)).toMatchObject(at("'deep'"));
    expect(locate([...steps, 1, 'steps', 0, 'unit'], nested)).toMatchObject(at("'SECONDS'"));
    expect(locate([...steps, 1, 'steps', 0, 'time'], nested)).toMatchObject(at('5,'));
    expect(locate([...steps, 2, 'steps', 0, 'script'], nested)).toMatchObject(at("'ns'"));
    expect(locate([...steps, 2, 'bindings', 0, 'passwordVariable'], nested)).toMatchObject(at("'P'"));
    expect(locate([...steps, 3, 'body', 0, 'script'], nested)).toMatchObject(at("'in body'"));
    expect(locate([...steps, 3, 'args', 'tools'], nested)).toMatchObject(at("'x'"));
  });

  test('locateValue: a value built by a preset is traced to the literal in the call, with the option path', () => {
    const preset = [
      `import { definePipeline, nodeService } from 'pipewright';`,
      `const REGION = 'eu-west1';`,
      `export default definePipeline(`,
      `  nodeService({`,
      `    name: 'api',`,
      `    registry: { accountId: '1', region: REGION, pushRole: 'pusher' },`,
      `    environments: [{ name: 'dev', region: 'eu-west-1', timeoutMinutes: 5 }],`,
      `    overrides: { lint: { script: 'lint:ci' } },`,
      `  }),`,
      `);`,
    ].join('\n');
    const locator = createSourceLocator(file, project.root, preset);
    const at = (needle: string) => positionOf(preset, needle);
    // Copied under another name by the preset: the last key (`region`) and the value decide.
    expect(locator.locateValue(['stages', 2, 'stages', 2, 'steps', 0, 'aws', 'region'], 'eu-west1')).toEqual({
      location: expect.objectContaining(at("'eu-west1'")),
      sourcePath: 'nodeService({ registry.region })',
    });
    // Copied as is: the walk follows the call's object argument.
    expect(locator.locateValue(['environments', 0, 'region'], 'eu-west-1')).toEqual({
      location: expect.objectContaining(at("'eu-west-1'")),
      sourcePath: 'nodeService({ environments[0].region })',
    });
    // A string found by value alone, when it is the only literal with that value.
    expect(locator.locateValue(['stages', 0, 'stages', 1, 'parallel', 0, 'steps', 0, 'script'], 'lint:ci').location).toMatchObject(at("'lint:ci'"));
    // A number needs a property name in common; a value the file does not contain stays at the call.
    expect(locator.locateValue(['stages', 0, 'options', 'timeout', 'time'], 5).location).toMatchObject(at('nodeService({'));
    expect(locator.locateValue(['stages', 3, 'environments', 0, 'timeoutMinutes'], 5).location).toMatchObject(at('5 }'));
    expect(locator.locateValue(['stages', 0, 'agent', 'label'], 'linux && docker').location).toMatchObject(at('nodeService({'));
    // Without a value, `locate` stops at the preset call.
    expect(locator.locate(['stages', 2, 'stages', 2, 'steps', 0, 'aws', 'region'])).toMatchObject(at('nodeService({'));
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

  test('locateDiagnostics: identical PW diagnostics at one span are reported once; at 1:1 (no source) they are not merged', () => {
    const text = `import { definePipeline } from 'pipewright';\nconst step = { step: 'sh', script: 42 };\nexport default definePipeline({ stages: [{ name: 'A', steps: [step, step] }] });\n`;
    const value = { stages: [{ name: 'A', steps: [{ step: 'sh', script: 42 }, { step: 'sh', script: 42 }] }] };
    const problem = (path: (string | number)[], code = 'PW2001'): Diagnostic => ({ code, severity: 'error', message: '`script` must be a string', path, found: 'number 42' });
    const diagnostics = [
      problem(['stages', 0, 'steps', 1, 'script']),
      problem(['stages', 0, 'steps', 0, 'script']),
      problem(['stages', 0, 'steps', 0, 'script'], 'SECRET-001'),
    ];
    locateDiagnostics(createSourceLocator(file, project.root, text), diagnostics, value);
    expect(diagnostics.map((d) => [d.code, d.location?.line, d.location?.column, d.otherPaths])).toEqual([
      ['PW2001', 2, positionOf(text, '42').column, [['stages', 0, 'steps', 0, 'script']]],
      // Policy findings keep their own identity.
      ['SECRET-001', 2, positionOf(text, '42').column, undefined],
    ]);

    const nowhere = [problem(['stages', 0, 'steps', 1, 'script']), problem(['stages', 0, 'steps', 0, 'script'])];
    locateDiagnostics(createSourceLocator(project.file('pipelines/missing.pipeline.ts'), project.root), nowhere, value);
    expect(nowhere).toHaveLength(2);
  });
});
