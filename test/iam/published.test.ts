/**
 * The policy files `compile` writes are printed from the generator's published policies, whose
 * documents are shared between pipelines (deep-frozen) and printed once: the text must be the
 * bytes `stableJson(publishedPolicies(…))` prints for the caller's own copies, and sharing must
 * never let one pipeline's (or trust configuration's) document stand for another's.
 */
import { describe, expect, it, vi } from 'vitest';
import { resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { compilePipelineValue } from '../../src/compile.ts';
import type { CompiledPipeline } from '../../src/compiled.ts';
import { ecrPush, ecsDeploy, type Pipeline } from '../../src/dsl/index.ts';
import { IamConfigSchema } from '../../src/iam/config.ts';
import { publishedPolicies, publishedPoliciesJson } from '../../src/iam/formats.ts';
import type { IamOptions, TrustOptions } from '../../src/iam/generate.ts';
import { stableJson, stableJsonAt, stableJsonInto } from '../../src/iam/policy-document.ts';

type GeneratorModule = typeof import('../../src/iam/generate.ts');

/** The generator of new module instances: every memo empty. */
async function freshGenerator(): Promise<GeneratorModule> {
  vi.resetModules();
  return import('../../src/iam/generate.ts');
}

/** The payments-service fixture has task-definition templates: its deploys also get an ECS task execution role. */
const FIXTURE = resolve(import.meta.dirname, 'fixtures/payments-service');

function compiled(name: string, pipeline: Pipeline): CompiledPipeline {
  const result = compilePipelineValue(pipeline, `pipelines/${name}.pipeline.ts`, { name });
  expect(result.ast, JSON.stringify(result.diagnostics)).toBeDefined();
  return { ...result, output: `generated/${name}/Jenkinsfile` };
}

const agent = { type: 'label' as const, label: 'deploy' };

/** A push and a deploy per environment; the repository, service, alarms, tags and session name vary between the cases. */
function pipeline(name: string, settings: { repository: string; service: string; alarms?: string[]; tags?: Record<string, string>; session?: string }): CompiledPipeline {
  const deploy = (environment: 'stage' | 'prod', account: string) =>
    ecsDeploy({
      environment,
      aws: { role: `ecs-deployer-${environment}`, account, region: 'eu-west-1', ...(settings.session === undefined ? {} : { roleSessionName: settings.session }) },
      cluster: `${environment}-apps`,
      service: settings.service,
      container: 'app',
      taskDefinition: `deploy/taskdef.${environment}.json`,
      ...(settings.alarms === undefined ? {} : { alarms: settings.alarms }),
      ...(settings.tags === undefined ? {} : { tags: settings.tags }),
    } as never);
  return compiled(name, {
    agent: 'none',
    stages: [
      { name: 'Image', agent, steps: [ecrPush({ registry: { accountId: '999999999999', region: 'eu-west-1' }, repository: settings.repository, aws: { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' } } as never)] },
      { name: 'Stage', agent, steps: [deploy('stage', '222222222222')] },
      { name: 'Prod', agent, steps: [deploy('prod', '333333333333')] },
    ],
  } as Pipeline);
}

const pipelines = [
  pipeline('svc-a', { repository: 'payments-api', service: 'payments-api' }),
  pipeline('svc-b', { repository: 'ledger', service: 'payments-api' }),
  pipeline('svc-c', { repository: 'payments-api', service: 'ledger', alarms: ['ledger-5xx', 'ledger-p99'] }),
  pipeline('svc-d', { repository: 'payments-api', service: 'payments-api', tags: { team: 'payments', 'cost-center': 'CC-1042' } }),
  pipeline('svc-e', { repository: 'payments-api', service: 'payments-api', session: 'jenkins-deploy' }),
];

const principal = 'arn:aws:iam::555555555555:role/jenkins-agents';
const trusts: (TrustOptions | undefined)[] = [
  undefined,
  { principal },
  { principal, externalId: 'fintech-jenkins' },
  { principal, externalId: 'other-id' },
  { principal, sessionNamePattern: 'Jenkins-*', sourceIdentityPattern: 'jenkins-*' },
  { principal: 'arn:aws:iam::666666666666:role/other-agents', externalId: 'fintech-jenkins' },
];

/** Every option set of the cases: the fixture root (execution roles) and a root without templates, each trust. */
const optionSets: IamOptions[] = [FIXTURE, tmpdir()].flatMap((root) =>
  trusts.map((trust) => ({ root, config: IamConfigSchema.parse({ secretKeys: { 'prod-apps/payments-api': ['arn:aws:kms:eu-west-1:333333333333:key/7f3c2a1e-9b8d-4c6e-a5f4-1d2e3c4b5a69'] } }), ...(trust === undefined ? {} : { trust }) })),
);

describe('published policies', () => {
  it('print the bytes of stableJson(publishedPolicies(...)) of a fresh generator, whatever the shared generator printed before', async () => {
    // Expected: each case's own copies from empty memos, printed the general way.
    const expected: string[] = [];
    for (const options of optionSets) {
      for (const compiledPipeline of pipelines) {
        const { generateIamPolicies } = await freshGenerator();
        expected.push((await generateIamPolicies(compiledPipeline, options)).map((policies) => stableJson(publishedPolicies(policies))).join(''));
      }
    }
    // The cases differ (so a document reused for another input would show), and some have an execution role.
    expect(new Set(expected).size).toBe(expected.length);
    expect(expected.some((text) => text.includes('"kind": "ecs-task-execution"'))).toBe(true);
    // One generator for every case, forwards then backwards: its shared documents serve all of them.
    const { generatePublishedIamPolicies, generateIamPolicies } = await freshGenerator();
    const cases = optionSets.flatMap((options) => pipelines.map((compiledPipeline) => ({ options, compiledPipeline })));
    for (const [i, { options, compiledPipeline }] of [...cases.entries(), ...[...cases.entries()].reverse()]) {
      const published = await generatePublishedIamPolicies(compiledPipeline, options);
      expect(published.map(publishedPoliciesJson).join(''), `case ${i}`).toBe(expected[i]);
      // The caller's own copies, after the shared documents were printed, are still the same policies.
      expect((await generateIamPolicies(compiledPipeline, options)).map((policies) => stableJson(publishedPolicies(policies))).join(''), `case ${i}`).toBe(expected[i]);
    }
  });

  it('share read-only documents, and hand the caller of generateIamPolicies copies it may change', async () => {
    const { generatePublishedIamPolicies, generateIamPolicies } = await freshGenerator();
    const options = optionSets[2]!;
    const before = (await generatePublishedIamPolicies(pipelines[0]!, options)).map(publishedPoliciesJson).join('');
    const shared = (await generatePublishedIamPolicies(pipelines[0]!, options))[0]!.roles[0]!;
    expect(Object.isFrozen(shared.identityPolicy.Statement[0]!.Action)).toBe(true);
    expect(() => (shared.identityPolicy.Statement[0]!.Action as string[]).push('ecs:DeleteCluster')).toThrow(TypeError);
    for (const policies of await generateIamPolicies(pipelines[0]!, options)) {
      for (const role of policies.roles) {
        for (const document of [role.identityPolicy, role.trustPolicy]) {
          for (const statement of document?.Statement ?? []) {
            statement.Action.push('ecs:DeleteCluster');
            statement.Resource?.push('*');
            if (statement.Condition !== undefined) for (const entries of Object.values(statement.Condition)) entries['aws:SourceIp'] = '0.0.0.0/0';
          }
        }
      }
    }
    expect((await generatePublishedIamPolicies(pipelines[0]!, options)).map(publishedPoliciesJson).join('')).toBe(before);
  });
});

describe('publishedPoliciesJson', () => {
  const document = { Version: '2012-10-17' as const, Statement: [{ Sid: 'S', Effect: 'Allow' as const, Action: ['ecs:UpdateService'], Resource: ['*'], Condition: { StringEquals: { 'aws:x': ['a', 'b'], 'aws:y': 'c' } } }] };
  const role = { roleArn: 'arn:aws:iam::1:role/r', steps: ['a "quoted"\nstep', 'é ✓'], modelSteps: [], identityPolicy: document, notes: [], calls: [{ action: 'x', steps: [], resources: [] }] };
  const cases: unknown[] = [
    { pipeline: 'p', environment: 'build', roles: [] },
    { pipeline: 'p', environment: 'prod', roles: [role] },
    { pipeline: 'p', environment: 'prod', roles: [{ ...role, kind: 'ecs-task-execution', trustPolicy: { Version: '2012-10-17', Statement: [] } }, { ...role, kind: undefined, notes: ['n'] }] },
    // Keys the published form keeps as they are (and undefined ones it leaves out), wherever they are.
    { zeta: 1, pipeline: 'p', environment: undefined, roles: [{ ...role, extra: { b: [1, null, { c: {} }], a: '' }, identityPolicy: { ...document, Statement: [] } }], calls: ['kept at the top'] },
    { pipeline: 'p', environment: 'e', roles: [{}, { calls: [] }] },
  ];

  it('prints what stableJson prints for the published form', () => {
    for (const value of cases) expect(publishedPoliciesJson(value as never)).toBe(stableJson(publishedPolicies(value as never)));
  });
});

describe('stableJsonAt', () => {
  const values: unknown[] = ['', 'a "b"\n\u2028é', [], ['x'], ['a', 'b\\c'], [1, 'a'], ['a', undefined], [null], { b: ['x'], a: 'y' }, 0, null, true];
  // eslint-disable-next-line no-sparse-arrays
  values.push([, 'a'], Object.assign(['a'], { extra: 1 }));

  it('prints what stableJson prints, at any indentation', () => {
    for (const value of values) {
      for (const indent of ['', '  ', '      ']) {
        const nested = stableJson({ k: value });
        expect(`{\n  "k": ${stableJsonAt(value, '  ')}\n}\n`).toBe(nested);
        expect(stableJsonAt(value, indent)).toBe(stableJson(value).slice(0, -1).replaceAll('\n', `\n${indent}`));
      }
    }
  });

  it('pushes the same text in parts (stableJsonInto)', () => {
    for (const value of [...values, ['a', 'b', 'c'], ['only'], ['x', 'y\n"z"']]) {
      for (const indent of ['', '  ', '      ']) {
        const parts = ['before'];
        stableJsonInto(parts, value, indent);
        expect(parts.join(''), JSON.stringify(value)).toBe(`before${stableJsonAt(value, indent)}`);
      }
    }
  });
});
