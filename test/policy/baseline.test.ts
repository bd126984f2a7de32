import { describe, it } from 'vitest';
import type { Pipeline } from '../../src/model/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { baselineRules } from '../../src/policy/registry.ts';
import { pipeline, sh } from './fixtures.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => baselineRules.find((r) => r.meta.id === id)!;

tester.run(rule('BASE-001'), {
  valid: [
    pipeline(),
    pipeline({ options: undefined, stages: [{ name: 'A', options: { timeout: { time: 5 } }, steps: [sh('make')] }] }),
  ],
  invalid: [
    { pipeline: pipeline({ options: { buildDiscarder: { numToKeep: 5 } } }), errors: [{ path: ['options'], message: /no timeout/ }] },
    { pipeline: pipeline({ options: undefined }), errors: [{ path: [] }] },
  ],
});

tester.run(rule('BASE-002'), {
  valid: [pipeline()],
  invalid: [{ pipeline: pipeline({ options: { timeout: { time: 5 } } }), errors: [{ path: ['options'], severity: 'warning' }] }],
});

const deployStage = (over: Partial<Pipeline['stages'][number]> = {}): Pipeline['stages'][number] => ({
  name: 'Deploy prod',
  steps: [sh('aws ecs update-service --cluster prod --service api --task-definition "$TD"')],
  ...over,
});

tester.run(rule('BASE-003'), {
  valid: [
    pipeline({ stages: [deployStage()] }),
    pipeline({ agent: 'any', stages: [deployStage({ agent: { type: 'label', label: 'prod-deployer' } })] }),
  ],
  invalid: [
    {
      name: 'inherited agent any',
      pipeline: pipeline({ agent: 'any', stages: [deployStage()] }),
      errors: [{ path: ['stages', 0], message: /runs on agent any \(inherited\)/, environment: 'prod' }],
    },
    {
      name: 'own built-in label',
      pipeline: pipeline({ stages: [deployStage({ agent: { type: 'label', label: 'built-in' } })] }),
      errors: [{ path: ['stages', 0, 'agent'] }],
    },
  ],
});

tester.run(rule('BASE-004'), {
  valid: [
    pipeline({ stages: [deployStage({ options: { lock: { resource: 'ecs-prod-api' } } })] }),
    pipeline({ stages: [deployStage({ steps: [{ step: 'lock', resource: 'ecs-prod-api', steps: [sh('aws ecs update-service --x')] }] })] }),
    pipeline({ options: { timeout: { time: 5 }, disableConcurrentBuilds: true }, stages: [deployStage()] }),
  ],
  invalid: [{ pipeline: pipeline({ stages: [deployStage()] }), errors: [{ path: ['stages', 0, 'steps', 0], message: /without a lock/ }] }],
});

tester.run(rule('BASE-005'), {
  valid: [pipeline({ libraries: ['lib@v1.4.2', 'other@1.0.0', `sha@${'a'.repeat(40)}`] })],
  invalid: [
    {
      pipeline: pipeline({ libraries: ['ok@v1.0.0', 'lib@main', 'bare'] }),
      errors: [
        { path: ['libraries', 1], message: /'main', not a release tag/ },
        { path: ['libraries', 2], message: /has no version/ },
      ],
    },
  ],
});

tester.run(rule('BASE-006'), {
  valid: [pipeline({ stages: [{ name: 'A', when: { branch: 'main' }, steps: [sh('make')] }] })],
  invalid: [
    {
      pipeline: pipeline({
        environment: { BUILD_ID_SHORT: { $groovy: 'env.BUILD_ID.take(6)' } },
        stages: [{ name: 'A', when: { expression: 'params.DEPLOY' }, steps: [sh('make')] }],
      }),
      errors: [
        { path: ['environment', 'BUILD_ID_SHORT'], message: /raw Groovy expression/ },
        { path: ['stages', 0, 'when', 'expression'], message: /when.expression/ },
      ],
    },
  ],
});

tester.run(rule('BASE-007'), {
  valid: [pipeline()],
  invalid: [
    {
      pipeline: pipeline({
        options: { timeout: { time: 5 }, custom: [{ name: 'ansiColor', args: ['xterm'] }] },
        stages: [{ name: 'A', steps: [{ step: 'step', name: 'httpRequest', args: { url: 'https://example.com' } }] }],
      }),
      errors: [
        { path: ['stages', 0, 'steps', 0], message: "untyped plugin step 'httpRequest'", severity: 'info' },
        { path: ['options', 'custom', 0], message: "untyped plugin option 'ansiColor'" },
      ],
    },
  ],
});

tester.run(rule('BASE-008'), {
  valid: [pipeline({ agent: { type: 'label', label: 'master-builds-x' } })],
  invalid: [
    {
      pipeline: pipeline({
        agent: { type: 'label', label: 'master' },
        stages: [{ name: 'A', agent: { type: 'node', label: 'linux && built-in' }, steps: [sh('make')] }],
      }),
      errors: [{ path: ['agent'] }, { path: ['stages', 0, 'agent'] }],
    },
  ],
});
