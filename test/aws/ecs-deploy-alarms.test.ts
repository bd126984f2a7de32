/**
 * `ecsDeploy` (the SDK engine behind `pipewright ecs-deploy`) with CloudWatch alarms, a bake, cost
 * tags and a release deadline: real `@aws-sdk/client-ecs` and `@aws-sdk/client-cloudwatch`
 * clients over HTTP against test/aws/fake-ecs-server.ts and test/aws/fake-cloudwatch-server.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCloudWatchClient, createEcsClient, ecsDeploy, EcsDeployUsageError, type EcsDeployOptions } from '../../src/aws/ecs-deploy.ts';
import { parseDeadline, runEcsDeployCli } from '../../src/cli/ecs-deploy.ts';
import { FakeCloudWatch } from './fake-cloudwatch-server.ts';
import { FakeEcs } from './fake-ecs-server.ts';

const ACCOUNT = '333333333333';
const REGION = 'eu-west-1';
const REPO = `999999999999.dkr.ecr.${REGION}.amazonaws.com/payments-api`;
const IMAGE = `${REPO}@sha256:${'ab'.repeat(32)}`;
const CREDENTIALS = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };
const COST_TAGS = { service: 'payments-api', team: 'payments', environment: 'prod', 'cost-center': 'CC-1042' };

describe('ecsDeploy with alarms, bake, tags and a deadline', () => {
  let ecs: FakeEcs;
  let cloudwatch: FakeCloudWatch;
  let previousArn: string;
  let work: string;
  let lines: string[];
  let clients: { client: ReturnType<typeof createEcsClient>; cloudWatch: ReturnType<typeof createCloudWatchClient> };

  beforeEach(async () => {
    ecs = await FakeEcs.start({ accountId: ACCOUNT, region: REGION });
    cloudwatch = await FakeCloudWatch.start({ accountId: ACCOUNT, region: REGION });
    ecs.addCluster('prod-apps');
    previousArn = ecs.seedTaskDefinition({
      family: 'payments-api',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: `${REPO}@sha256:${'cd'.repeat(32)}`, essential: true }],
      tags: [{ key: 'team', value: 'old-team' }, { key: 'owner', value: 'payments' }],
    });
    ecs.addService({ cluster: 'prod-apps', name: 'payments-api', taskDefinition: previousArn });
    cloudwatch.addAlarm('payments-api-prod-5xx');
    cloudwatch.addAlarm('payments-api-prod-health', { type: 'CompositeAlarm' });
    clients = {
      client: createEcsClient({ endpoint: ecs.endpoint, region: REGION, credentials: CREDENTIALS }),
      cloudWatch: new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient({ endpoint: cloudwatch.endpoint, region: REGION, credentials: CREDENTIALS }),
    };
    work = mkdtempSync(join(tmpdir(), 'pw-ecs-alarms-'));
    lines = [];
  });

  afterEach(async () => {
    clients.client.destroy();
    clients.cloudWatch.destroy();
    await ecs.close();
    await cloudwatch.close();
    rmSync(work, { recursive: true, force: true });
  });

  const options = (extra: Partial<EcsDeployOptions> = {}): EcsDeployOptions => ({
    cluster: 'prod-apps',
    service: 'payments-api',
    image: IMAGE,
    container: 'app',
    pollIntervalMs: 5,
    timeoutMs: 10_000,
    rollbackTimeoutMs: 10_000,
    workingDirectory: work,
    evidenceFile: 'evidence/deploy.json',
    env: {},
    ...extra,
  });
  const deploy = (extra: Partial<EcsDeployOptions> = {}) => ecsDeploy(options(extra), { ...clients, log: (line) => lines.push(line) });
  const evidenceFile = () => JSON.parse(readFileSync(join(work, 'evidence/deploy.json'), 'utf8'));

  it('an alarm entering ALARM during the bake rolls back explicitly to the previous revision; the evidence records it', async () => {
    // 1st DescribeAlarms naming it: the existence check; 2nd and 3rd: bake polls; ALARM on the 4th.
    cloudwatch.scheduleState('payments-api-prod-health', 'ALARM', 4);
    const result = await deploy({ alarms: ['payments-api-prod-5xx', 'payments-api-prod-health'], bake: { durationMs: 5_000 } });
    expect(result.outcome).toBe('rolled-back');
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^bake: alarm payments-api-prod-health is in ALARM after the rollout of payments-api:2; service is back on payments-api:1/);
    const updates = ecs.callsTo('UpdateService').map((call) => call.body.taskDefinition);
    expect(updates).toEqual([expect.stringMatching(/payments-api:2$/), previousArn]);
    expect(ecs.service('prod-apps', 'payments-api').taskDefinition).toBe(previousArn);
    const evidence = evidenceFile();
    expect(evidence).toMatchObject({
      outcome: 'rolled-back',
      alarms: ['payments-api-prod-5xx', 'payments-api-prod-health'],
      bake: { durationMs: 5_000, result: 'alarm', alarm: 'payments-api-prod-health', alarms: ['payments-api-prod-5xx', 'payments-api-prod-health'] },
      rollback: { initiatedBy: 'ecs-deploy', taskDefinitionArn: previousArn, completed: true },
    });
    // The bake asked CloudWatch for both alarm types, in ALARM only, over JSON 1.0.
    const bakeCalls = cloudwatch.callsTo('DescribeAlarms').filter((call) => call.body.StateValue === 'ALARM');
    expect(bakeCalls.length).toBe(3);
    expect(bakeCalls[0]).toMatchObject({ target: 'GraniteServiceVersion20100801.DescribeAlarms', contentType: 'application/x-amz-json-1.0' });
    expect(bakeCalls[0]!.body.AlarmTypes).toEqual(['MetricAlarm', 'CompositeAlarm']);
  });

  it('a quiet bake succeeds after its duration; alarms go into deploymentConfiguration; tags reach revision and service', async () => {
    const started = Date.now();
    const result = await deploy({ alarms: ['payments-api-prod-5xx'], bake: { durationMs: 300, alarms: ['payments-api-prod-health'] }, tags: COST_TAGS });
    expect(result.outcome, result.reason).toBe('success');
    expect(result.reason).toMatch(/bake passed$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result.evidence.bake).toMatchObject({ result: 'passed', alarm: null, alarms: ['payments-api-prod-health'] });

    const [update] = ecs.callsTo('UpdateService');
    expect(update!.body.deploymentConfiguration.alarms).toEqual({ alarmNames: ['payments-api-prod-5xx'], enable: true, rollback: true });
    expect(update!.body.deploymentConfiguration.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(update!.body.propagateTags).toBe('TASK_DEFINITION');
    // The revision: the template's tags, the cost tags winning over a template tag with the same key.
    expect(ecs.callsTo('RegisterTaskDefinition')[0]!.body.tags).toEqual([
      { key: 'owner', value: 'payments' },
      { key: 'service', value: 'payments-api' },
      { key: 'team', value: 'payments' },
      { key: 'environment', value: 'prod' },
      { key: 'cost-center', value: 'CC-1042' },
    ]);
    const service = ecs.service('prod-apps', 'payments-api');
    expect(service.tags).toEqual(Object.entries(COST_TAGS).map(([key, value]) => ({ key, value })));
    expect(service.propagateTags).toBe('TASK_DEFINITION');
    expect(ecs.callsTo('TagResource')[0]!.body.resourceArn).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod-apps/payments-api`);
  });

  it('a missing alarm fails before anything is registered', async () => {
    const result = await deploy({ alarms: ['payments-api-prod-5xx', 'typo-alarm'] });
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe(`CloudWatch alarm(s) not found in ${ACCOUNT}/${REGION}: typo-alarm`);
    expect(ecs.callsTo('RegisterTaskDefinition')).toEqual([]);
    expect(ecs.callsTo('UpdateService')).toEqual([]);
  });

  it('with a deadline, a rollback slower than the 40 polls of services-stable is followed until COMPLETED', async () => {
    ecs.queueRollout('prod-apps', 'payments-api', { kind: 'fail', afterPolls: 1 }, { kind: 'complete', afterPolls: 60 });
    // rollbackTimeoutMs would stop after a few polls; the deadline (60 s away) is what bounds the rollback.
    const result = await deploy({ rollbackTimeoutMs: 50, deadline: Date.now() + 60_000 });
    expect(result.outcome, result.reason).toBe('rolled-back');
    expect(result.evidence.rollback).toMatchObject({ initiatedBy: 'ecs-deploy', completed: true });
    const rollbackAt = ecs.callsTo('UpdateService')[1]!.receivedAt;
    expect(ecs.callsTo('DescribeServices').filter((call) => call.receivedAt >= rollbackAt).length).toBeGreaterThanOrEqual(60);
  });

  it('a rollback still IN_PROGRESS at the deadline is followed until then, then ends as rollback-failed', async () => {
    ecs.queueRollout('prod-apps', 'payments-api', { kind: 'fail', afterPolls: 1 }, { kind: 'never-complete' });
    const deadline = Date.now() + 800;
    const result = await deploy({ deadline, rollbackTimeoutMs: 50 });
    expect(Date.now()).toBeGreaterThanOrEqual(deadline - 20);
    expect(result.outcome).toBe('rollback-failed');
    expect(result.reason).toMatch(/rollback to payments-api:1 payments-api:1 did not reach COMPLETED in time \(rolloutState IN_PROGRESS/);
  });

  it('the CLI passes --alarm, --bake, --bake-alarm, --tag and --deadline through', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ECS: ecs.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDFAKE',
      AWS_SECRET_ACCESS_KEY: 'fake-secret',
      AWS_REGION: REGION,
    });
    cloudwatch.scheduleState('payments-api-prod-5xx', 'ALARM', 2);
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await runEcsDeployCli(
        [
          '--cluster', 'prod-apps', '--service', 'payments-api', '--image', IMAGE, '--container', 'app',
          '--alarm', 'payments-api-prod-health', '--bake', '0.5s', '--bake-alarm', 'payments-api-prod-5xx',
          '--tag', 'team=payments', '--tag', 'cost-center=CC-1042', '--deadline', String(Math.floor(Date.now() / 1000) + 60),
          '--poll-interval', '0.01s', '--evidence', 'evidence/cli.json',
        ],
        { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {}, cwd: work } as never,
      );
      expect(code, err.join('')).toBe(1);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    expect(err.join('')).toContain('ecs-deploy: rolled-back: bake: alarm payments-api-prod-5xx is in ALARM');
    const evidence = JSON.parse(readFileSync(join(work, 'evidence/cli.json'), 'utf8'));
    expect(evidence).toMatchObject({
      alarms: ['payments-api-prod-health'],
      tags: { team: 'payments', 'cost-center': 'CC-1042' },
      bake: { durationMs: 500, alarms: ['payments-api-prod-5xx'], result: 'alarm' },
      outcome: 'rolled-back',
    });
  });

  it('a live task definition with a secret in plain environment is not registered (SECRET-005 at deploy time)', async () => {
    const leaky = ecs.seedTaskDefinition({
      family: 'payments-api',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: `${REPO}@sha256:${'cd'.repeat(32)}`, environment: [{ name: 'DB_PASSWORD', value: 'hunter2hunter2' }] }],
    });
    ecs.addCluster('leaky-apps');
    ecs.addService({ cluster: 'leaky-apps', name: 'payments-api', taskDefinition: leaky });
    const result = await deploy({ cluster: 'leaky-apps' });
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toMatch(/^the task definition passes secrets outside Secrets Manager\/SSM \(SECRET-005\): .*DB_PASSWORD/);
    expect(ecs.callsTo('RegisterTaskDefinition')).toEqual([]);
    expect(ecs.callsTo('UpdateService')).toEqual([]);
  });

  it('refuses a bake without alarms, reserved tag keys and malformed deadlines before any AWS call', async () => {
    await expect(deploy({ bake: { durationMs: 1000 } })).rejects.toThrow(EcsDeployUsageError);
    await expect(deploy({ tags: { 'aws:owner': 'x' } })).rejects.toThrow(/tag key "aws:owner"/);
    expect(() => parseDeadline('tomorrow')).toThrow(/--deadline/);
    expect(parseDeadline('1800000000')).toBe(1_800_000_000_000);
    expect(parseDeadline('2026-12-06T23:00:00Z')).toBe(Date.UTC(2026, 11, 6, 23));
    expect(ecs.calls).toEqual([]);
  });
});
