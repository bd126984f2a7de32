/**
 * The generator keeps its answers per exact input (a fleet repeats the same scripts and steps):
 * no answer may be reused for a different input. Each case feeds the memos one input, then a
 * different one, and compares with what a fresh generator (new module instances, empty memos)
 * answers for the second.
 */
import { describe, expect, it, vi } from 'vitest';
import { tmpdir } from 'node:os';
import { compilePipelineValue } from '../../src/compile.ts';
import type { CompiledPipeline } from '../../src/compiled.ts';
import { ecrPush, ecsDeploy, type Pipeline } from '../../src/dsl/index.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { equalsPlainCopy, exactKey, plainSnapshot } from '../../src/iam/exact-key.ts';
import { invocationOptions, shellVariablesOf } from '../../src/iam/invocations.ts';
import { pascalWords, stableJson } from '../../src/iam/policy-document.ts';
import type { PolicyDocument } from '../../src/iam/policy-document.ts';

type Generate = typeof import('../../src/iam/generate.ts').generateIamPolicies;

/** `generateIamPolicies` of new module instances: every memo empty. */
async function freshGenerator(): Promise<Generate> {
  vi.resetModules();
  return (await import('../../src/iam/generate.ts')).generateIamPolicies;
}

const agent = { type: 'label' as const, label: 'deploy' };
const role = (environment: string) => ({ role: `ecs-deployer-${environment}`, account: '333333333333', region: 'eu-west-1' });

function compiled(name: string, pipeline: Pipeline): CompiledPipeline {
  const result = compilePipelineValue(pipeline, `pipelines/${name}.pipeline.ts`, { name });
  expect(result.ast, JSON.stringify(result.diagnostics)).toBeDefined();
  return { ...result, output: `generated/${name}/Jenkinsfile` };
}

/** A deploy pipeline; its service, cluster, repository, environment, alarms and tags vary between the cases. */
function deployPipeline(name: string, settings: { service: string; cluster: string; repository: string; environment?: string; alarms?: string[]; tags?: Record<string, string> }): CompiledPipeline {
  return compiled(name, {
    agent: 'none',
    stages: [
      {
        name: 'Image',
        agent,
        steps: [ecrPush({ registry: { accountId: '999999999999', region: 'eu-west-1' }, repository: settings.repository, aws: { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' } } as never)],
      },
      {
        name: 'Deploy',
        agent,
        steps: [
          ecsDeploy({
            environment: settings.environment ?? 'prod',
            aws: role('prod'),
            cluster: settings.cluster,
            service: settings.service,
            container: 'app',
            taskDefinition: 'deploy/taskdef.prod.json',
            ...(settings.alarms === undefined ? {} : { alarms: settings.alarms }),
            ...(settings.tags === undefined ? {} : { tags: settings.tags }),
          } as never),
        ],
      },
    ],
  } as Pipeline);
}

const text = (policies: Awaited<ReturnType<Generate>>) => stableJson(policies);

describe('memoized generation', () => {
  const variants: [string, Parameters<typeof deployPipeline>[1]][] = [
    ['base', { service: 'payments-api', cluster: 'prod-apps', repository: 'payments-api' }],
    ['other service', { service: 'ledger', cluster: 'prod-apps', repository: 'payments-api' }],
    ['other cluster', { service: 'payments-api', cluster: 'prod-core', repository: 'payments-api' }],
    ['other repository', { service: 'payments-api', cluster: 'prod-apps', repository: 'ledger' }],
    ['alarms', { service: 'payments-api', cluster: 'prod-apps', repository: 'payments-api', alarms: ['payments-5xx'] }],
    ['other alarms', { service: 'payments-api', cluster: 'prod-apps', repository: 'payments-api', alarms: ['payments-latency'] }],
    ['tags', { service: 'payments-api', cluster: 'prod-apps', repository: 'payments-api', tags: { team: 'payments' } }],
    // The same calls made by steps of other names (their statements' Sids name the steps).
    ['other environment', { service: 'payments-api', cluster: 'prod-apps', repository: 'payments-api', environment: 'production' }],
  ];

  it('answers each pipeline as a fresh generator does, whatever it generated before', async () => {
    const pipelines = variants.map(([label, settings], i) => [label, deployPipeline(`svc-${i}`, settings)] as const);
    // What each pipeline's policies are, each from empty memos.
    const expected = new Map<string, string>();
    for (const [label, pipeline] of pipelines) expected.set(label, text(await (await freshGenerator())(pipeline, { root: tmpdir() })));
    // The variants differ where their inputs differ (so a reused answer would show).
    expect(new Set(expected.values()).size).toBe(variants.length);
    // One generator for all, in order and again in reverse: the memos hold every earlier input.
    const shared = await freshGenerator();
    for (const [label, pipeline] of [...pipelines, ...[...pipelines].reverse()]) {
      expect(text(await shared(pipeline, { root: tmpdir() })), label).toBe(expected.get(label));
    }
  });

  it('hands out copies: changing one result changes no later one', async () => {
    const generate = await freshGenerator();
    const pipeline = deployPipeline('copies', variants[0]![1]);
    const first = await generate(pipeline, { root: tmpdir() });
    const before = text(first);
    for (const environment of first) {
      for (const policy of environment.roles) {
        for (const statement of policy.identityPolicy.Statement) {
          statement.Action.push('ecs:DeleteCluster');
          statement.Resource?.push('*');
          if (statement.Condition !== undefined) for (const entries of Object.values(statement.Condition)) entries['aws:SourceIp'] = '0.0.0.0/0';
        }
        for (const call of policy.calls) {
          call.resources.push('*');
          call.steps.push('intruder');
        }
      }
    }
    expect(text(await generate(pipeline, { root: tmpdir() }))).toBe(before);
  });
});

describe('invocationOptions memo', () => {
  const command = 'aws ecs update-service --cluster "$ECS_CLUSTER" --service ${ECS_SERVICE}';

  it('is keyed by the values of the variables the command names', () => {
    expect(shellVariablesOf(command)).toEqual(['ECS_CLUSTER', 'ECS_SERVICE']);
    expect(invocationOptions(command, { ECS_CLUSTER: 'dev-apps', ECS_SERVICE: 'a' }).get('cluster')).toEqual(['dev-apps']);
    expect(invocationOptions(command, { ECS_CLUSTER: 'prod-apps', ECS_SERVICE: 'a' }).get('cluster')).toEqual(['prod-apps']);
    // A variable the command does not name changes nothing.
    expect(invocationOptions(command, { ECS_CLUSTER: 'prod-apps', ECS_SERVICE: 'a', OTHER: 'x' }).get('cluster')).toEqual(['prod-apps']);
    // Unset: a run-time value, left out (not the value of an earlier call).
    expect(invocationOptions(command, { ECS_SERVICE: 'a' }).get('cluster')).toEqual([]);
    expect(invocationOptions(command, { ECS_CLUSTER: '', ECS_SERVICE: 'a' }).get('cluster')).toEqual([]);
  });

  it('hands out copies', () => {
    invocationOptions(command, { ECS_CLUSTER: 'x', ECS_SERVICE: 'a' }).get('cluster')!.push('intruder');
    expect(invocationOptions(command, { ECS_CLUSTER: 'x', ECS_SERVICE: 'a' }).get('cluster')).toEqual(['x']);
  });

  it('reads a variable named like an Object method as the environment has it', () => {
    const odd = 'aws ecs update-service --cluster "$toString"';
    expect(invocationOptions(odd, { toString: 'prod-apps' }).get('cluster')).toEqual(['prod-apps']);
    expect(invocationOptions(odd, {}).get('cluster')).not.toEqual(['prod-apps']);
  });
});

describe('pascalWords memo', () => {
  it('answers each text as the words it is made of, whatever it answered before', () => {
    const texts = ['ecs deploy dev', 'ecs deploy dev2', 'ecs-deploy dev', 'Ecs deploy dev', 'ecs  deploy dev', 'task-definition', 'listener/app', '', '--', 'sns publish'];
    const fresh = (text: string) => text.split(/[^A-Za-z0-9]+/).filter(Boolean).map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
    for (const text of [...texts, ...[...texts].reverse()]) expect(pascalWords(text), text).toBe(fresh(text));
    expect(pascalWords('ecs deploy dev2')).not.toBe(pascalWords('ecs deploy dev'));
  });
});

describe('validatePolicy memo', () => {
  const statement = (resource: string, condition?: PolicyDocument['Statement'][number]['Condition']): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: [{ Sid: 'S', Effect: 'Allow', Action: ['ecs:UpdateService'], Resource: [resource], ...(condition === undefined ? {} : { Condition: condition }) }],
  });

  it('still refuses what differs from a statement it found valid', async () => {
    vi.resetModules();
    const { validatePolicy } = await import('../../src/iam/validate.ts');
    await validatePolicy(statement('arn:aws:ecs:eu-west-1:333333333333:service/prod-apps/payments-api'));
    await expect(validatePolicy(statement('arn:aws:s3:::bucket'))).rejects.toThrow(/is not the ARN of a resource type of ecs:UpdateService/);
    await expect(validatePolicy(statement('arn:aws:ecs:eu-west-1:333333333333:service/prod-apps/payments-api', { StringEquals: { 'sns:Endpoint': 'x' } }))).rejects.toThrow(/condition key sns:Endpoint/);
    await expect(validatePolicy(statement('*'))).rejects.toThrow(/takes a resource/);
  });
});

describe('exactKey', () => {
  const distinct: unknown[] = [
    {},
    { a: undefined },
    { a: null },
    { a: 'undefined' },
    [undefined],
    [null],
    [],
    [[]],
    ['1'],
    [1],
    [0],
    [-0],
    ['a', 'b'],
    ['a,b'],
    ['ab'],
    { a: 'b' },
    { ab: '' },
    { b: 'a' },
    { a: 1, b: 2 },
    { b: 2, a: 1 },
    [true],
    ['t'],
    [Number.POSITIVE_INFINITY],
    [Number.NaN],
    ['s1:x'],
    [{ '1:x': '' }],
  ];

  it('gives different plain data different keys, and the same data the same key', () => {
    const keys = distinct.map((value) => exactKey(value));
    expect(keys.every((key) => key !== undefined)).toBe(true);
    expect(new Set(keys).size).toBe(distinct.length);
    for (const value of distinct) expect(exactKey(structuredClone(value))).toBe(exactKey(value));
  });

  it('refuses what is not plain data', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    // eslint-disable-next-line no-sparse-arrays
    for (const value of [new Map(), new Date(0), () => 1, [, 1], cyclic, { a: Symbol('s') }, { a: 1n }, new (class Resource {})()]) {
      expect(exactKey(value)).toBeUndefined();
      expect(plainSnapshot(value)).toBeUndefined();
    }
  });

  it('compares in place as the keys compare (equalsPlainCopy)', () => {
    const nested = distinct.map((value) => ({ outer: [value, { inner: value }] }));
    for (const values of [distinct, nested]) {
      for (const a of values) {
        for (const b of values) {
          const copy = plainSnapshot(b)!.copy;
          expect(equalsPlainCopy(a, copy), `${exactKey(a)} vs ${exactKey(b)}`).toBe(exactKey(a) === exactKey(b));
        }
      }
    }
    // Not plain data equals nothing; a top-level entry can be left out of the comparison (the copy was taken without it).
    expect(equalsPlainCopy(new Map(), plainSnapshot({})!.copy)).toBe(false);
    expect(equalsPlainCopy({ a: 1, notes: ['x'], b: 2 }, plainSnapshot({ a: 1, b: 2 })!.copy, 'notes')).toBe(true);
    expect(equalsPlainCopy({ a: 1, notes: ['x'], b: 3 }, plainSnapshot({ a: 1, b: 2 })!.copy, 'notes')).toBe(false);
    expect(equalsPlainCopy({ a: 1, b: 2 }, plainSnapshot({ b: 2, a: 1 })!.copy)).toBe(false);
    expect(equalsPlainCopy({ a: { notes: 1 } }, plainSnapshot({ a: {} })!.copy, 'notes')).toBe(false);
  });

  it('snapshots: the same key, and a copy that shares nothing with the original', () => {
    const value = { types: { service: { ClusterName: 'prod-apps', ServiceName: undefined } }, passRoles: ['a', 'b'], ['__proto__']: 'own' };
    Object.defineProperty(value, '__proto__', { value: { polluted: true }, enumerable: true });
    const snapshot = plainSnapshot(value)!;
    expect(snapshot.key).toBe(exactKey(value));
    expect(exactKey(snapshot.copy)).toBe(snapshot.key);
    expect(snapshot.copy).not.toBe(value);
    expect(snapshot.copy.types).not.toBe(value.types);
    expect(snapshot.copy.passRoles).not.toBe(value.passRoles);
    expect(Object.getPrototypeOf(snapshot.copy)).toBe(Object.prototype);
  });
});

describe('hand-written steps', () => {
  /**
   * A parsed Jenkinsfile (no model step behind it) with one stage whose `sh` steps run under the
   * `notifier` role of `account` and one `withEnv` of `environment`.
   */
  const notifierPipeline = (name: string, environment: string[], steps: string[], account = '333333333333'): CompiledPipeline => {
    const jenkinsfile = `pipeline {
  agent none
  stages {
    stage('Notify') {
      steps {
        withAWS(role: 'notifier', roleAccount: '${account}', region: 'eu-west-1') {
          withEnv([${environment.map((entry) => `'${entry}'`).join(', ')}]) {
${steps.map((step) => `            ${step}`).join('\n')}
          }
        }
      }
    }
  }
}
`;
    const { ast } = parseJenkinsfile(jenkinsfile);
    expect(ast).toBeDefined();
    return { source: `pipelines/${name}.pipeline.ts`, name, output: `generated/${name}/Jenkinsfile`, diagnostics: [], ast: ast!, model: {} as never, jenkinsfile };
  };

  /** A hand-written `sh` under a role and a `withEnv`. */
  const handWritten = (name: string, topic: string): CompiledPipeline =>
    notifierPipeline(name, [`TOPIC=arn:aws:sns:eu-west-1:333333333333:${topic}`, 'DEPLOY_ENV=prod'], [
      `sh(label: 'notify', script: 'aws sns publish --topic-arn "$TOPIC" --message done')`,
    ]);

  it("resolve from what their commands name under each withEnv, never an earlier step's values", async () => {
    const generate = await freshGenerator();
    const first = text(await generate(handWritten('a', 'deploys'), { root: tmpdir() }));
    const second = text(await generate(handWritten('a', 'alerts'), { root: tmpdir() }));
    expect(first).toContain(':deploys');
    expect(second).toContain(':alerts');
    expect(second).toBe(text(await (await freshGenerator())(handWritten('a', 'alerts'), { root: tmpdir() })));
  });

  it('name the steps that make a call, whatever steps made the same calls before', async () => {
    // The same command under the same role and values: the same resolved calls, made by steps of other labels.
    const labelled = (labels: string[]): CompiledPipeline =>
      notifierPipeline(
        'labels',
        ['TOPIC=arn:aws:sns:eu-west-1:333333333333:deploys'],
        labels.map((label) => `sh(label: '${label}', script: 'aws sns publish --topic-arn "$TOPIC" --message done')`),
      );
    const inputs = [['notify'], ['notify ops'], ['notify', 'notify ops'], ['notify ops', 'notify'], ['notify', 'notify']].map(labelled);
    const expected: string[] = [];
    for (const pipeline of inputs) expected.push(text(await (await freshGenerator())(pipeline, { root: tmpdir() })));
    expect(expected[0]).toContain('"NotifySnsTopic"');
    expect(expected[1]).toContain('"NotifyOpsSnsTopic"');
    expect(new Set(expected.slice(0, 3)).size).toBe(3);
    const shared = await freshGenerator();
    for (const [i, pipeline] of [...inputs, ...[...inputs].reverse()].entries()) {
      expect(text(await shared(pipeline, { root: tmpdir() }))).toBe(expected[i < inputs.length ? i : 2 * inputs.length - 1 - i]);
    }
  });

  /** Two `withEnv` values a command joins into one topic name (`$A-$B`), under a role of the given account. */
  const joined = (a: string, b: string, account = '333333333333'): CompiledPipeline =>
    notifierPipeline('joined', [`A=${a}`, `B=${b}`], [`sh(label: 'notify', script: 'aws sns publish --topic-arn "arn:aws:sns:eu-west-1:${account}:$A-$B" --message done')`], account);

  it('keeps apart inputs whose values would run together in a key (x + yz, xy + z), and roles of other accounts', async () => {
    const inputs = [joined('x', 'yz'), joined('xy', 'z'), joined('x', 'yz', '444444444444'), joined('', 'xyz'), joined('xyz', '')];
    const expected: string[] = [];
    for (const pipeline of inputs) expected.push(text(await (await freshGenerator())(pipeline, { root: tmpdir() })));
    expect(expected[0]).toContain(':x-yz');
    expect(expected[1]).toContain(':xy-z');
    expect(new Set(expected).size).toBe(inputs.length);
    const shared = await freshGenerator();
    for (const [i, pipeline] of [...inputs, ...[...inputs].reverse()].entries()) {
      expect(text(await shared(pipeline, { root: tmpdir() }))).toBe(expected[i < inputs.length ? i : 2 * inputs.length - 1 - i]);
    }
  });
});
