/**
 * Issue #10.5: `__proto__` keys in generic step args, options and custom parameters were dropped
 * silently (zod skips an own `__proto__` key; an object literal's `__proto__: {...}` makes
 * inherited entries zod never reads). They are refused now, at the author's line, whether the
 * value comes from TypeScript, from JSON, or as plain data from another realm or a worker.
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { PROTO_KEY_MESSAGE, PROTOTYPE_MESSAGE } from '../../src/model/common.ts';
import type { Pipeline } from '../../src/model/schema.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';

const json = (text: string) => JSON.parse(text) as Record<string, never>;

/** `[path, message]` of every schema diagnostic. */
function problems(pipeline: unknown): [unknown, string][] {
  return validateSchema(pipeline).diagnostics.map((d) => [d.path, d.message]);
}

const withStep = (step: unknown): Pipeline => ({ agent: 'any', stages: [{ name: 'S', steps: [step as never] }] });

describe('__proto__ keys are refused, never dropped', () => {
  it('in generic step args, nested values, options, custom parameters, environment, tools and build args', () => {
    const pipeline = {
      agent: 'any',
      environment: json('{"__proto__": "x", "A": "1"}'),
      tools: json('{"__proto__": "node-20"}'),
      options: { custom: [{ name: 'ansiColor', args: json('{"__proto__": "xterm"}') }] },
      parameters: [{ type: 'custom', symbol: 'credentials', name: 'C', args: json('{"__proto__": "x"}') }],
      stages: [
        {
          name: 'S',
          steps: [
            { step: 'step', name: 'recordIssues', args: json('{"__proto__": {"a": 1}, "b": 2}') },
            { step: 'step', name: 'recordIssues', args: { tools: [json('{"__proto__": 1}')] } },
            { step: 'dockerBuild', repository: 'api', buildArgs: json('{"__proto__": "1"}') },
          ],
        },
      ],
    };
    expect(problems(pipeline)).toEqual([
      [['environment', '__proto__'], PROTO_KEY_MESSAGE],
      [['options', 'custom', 0, 'args', '__proto__'], PROTO_KEY_MESSAGE],
      [['parameters', 0, 'args', '__proto__'], PROTO_KEY_MESSAGE],
      [['tools', '__proto__'], PROTO_KEY_MESSAGE],
      [['stages', 0, 'steps', 0, 'args', '__proto__'], PROTO_KEY_MESSAGE],
      [['stages', 0, 'steps', 1, 'args', 'tools', 0, '__proto__'], PROTO_KEY_MESSAGE],
      [['stages', 0, 'steps', 2, 'buildArgs', '__proto__'], PROTO_KEY_MESSAGE],
    ]);
  });

  it('an object literal written with __proto__: {...} (inherited entries) is refused too', () => {
    const args = { __proto__: { pattern: '**/*.xml' }, enabled: true };
    expect(problems(withStep({ step: 'step', name: 'recordIssues', args }))).toEqual([
      [['stages', 0, 'steps', 0, 'args'], PROTOTYPE_MESSAGE],
    ]);
  });

  it('plain data from a worker (structured clone keeps an own __proto__ key) is refused', () => {
    const cloned = structuredClone(withStep({ step: 'step', name: 'recordIssues', args: json('{"__proto__": "x"}') }));
    expect(Object.hasOwn((cloned.stages[0]!.steps![0] as { args: object }).args, '__proto__')).toBe(true);
    expect(problems(cloned)).toEqual([[['stages', 0, 'steps', 0, 'args', '__proto__'], PROTO_KEY_MESSAGE]]);
  });

  it('ordinary maps from another realm (a vm context) and null-prototype maps are accepted', () => {
    const foreign = runInNewContext('({ enabled: true, tools: [{ id: "x" }] })') as object;
    expect(Object.getPrototypeOf(foreign)).not.toBe(Object.prototype);
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(problems(withStep({ step: 'step', name: 'recordIssues', args: foreign }))).toEqual([]);
    expect(problems(withStep({ step: 'step', name: 'recordIssues', args: bare }))).toEqual([]);
  });

  it('the delivery model no longer imports the pipeline model (no import cycle)', () => {
    const delivery = readFileSync(new URL('../../src/model/delivery.ts', import.meta.url), 'utf8');
    expect(delivery).not.toMatch(/from '\.\/schema\.ts'/);
  });
});

describe('__proto__ in a pipeline file', () => {
  const projects: TempProject[] = [];
  afterAll(() => {
    for (const project of projects) project.remove();
  });

  it('is an error at the line of the key, and nothing is written', async () => {
    const project = createTempProject({
      'pipelines/proto.pipeline.ts': `import { definePipeline, step } from 'pipewright';

export default definePipeline({
  agent: 'any',
  stages: [
    {
      name: 'Build',
      steps: [
        step('recordIssues', {
          ['__proto__']: 'x',
          enabled: true,
        }),
      ],
    },
  ],
});
`,
    });
    projects.push(project);
    const run = await compileProject({ root: project.root, resultCache: false });
    const [compiled] = run.pipelines;
    expect(compiled!.jenkinsfile).toBeUndefined();
    expect(compiled!.diagnostics.filter((d) => d.severity === 'error')).toMatchObject([
      { path: ['stages', 0, 'steps', 0, 'args', '__proto__'], message: PROTO_KEY_MESSAGE, location: { file: 'pipelines/proto.pipeline.ts' } },
    ]);
    expect(compiled!.diagnostics[0]!.location).toMatchObject({ line: 10 });
  });
});
