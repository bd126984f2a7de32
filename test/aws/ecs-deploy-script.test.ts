/**
 * The aws-cli engine's deploy and safety-net scripts, exactly as `lowerEcsDeploy` emits them, run
 * with bash and the real AWS CLI (`aws` on PATH; v1 honours AWS_ENDPOINT_URL / _ECS) against the
 * in-repo fakes: ECS (JSON 1.1), CloudWatch (JSON 1.0), STS (query). The poll interval comes from
 * PW_POLL_SECONDS, which the scripts read with a 15-second default.
 *
 * Scenarios: an alarm fires during the bake (rollback to the previous task definition, exit 1,
 * evidence says so); the bake passes; a rollback that takes longer than the 40 polls of `aws ecs
 * wait services-stable` is followed to COMPLETED; alarms and cost tags reach ECS; a missing alarm
 * stops the deploy before anything changes; the post safety net follows a rollback.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Statement } from '../../src/jenkinsfile/ast.ts';
import { lowerEcsDeploy } from '../../src/lower/delivery/deploy-ecs.ts';
import { EcsDeployStepSchema, type EcsDeployStep } from '../../src/model/delivery.ts';
import { FakeCloudWatch } from './fake-cloudwatch-server.ts';
import { FakeEcs } from './fake-ecs-server.ts';

const ACCOUNT = '333333333333';
const REGION = 'eu-west-1';
const IMAGE = `${'999999999999'}.dkr.ecr.eu-west-1.amazonaws.com/payments-api@sha256:${'ab'.repeat(32)}`;

/** The `aws` executable; through a pyenv shim each call costs seconds more, so use its target. */
function awsDirectory(): string | undefined {
  try {
    return dirname(execFileSync('pyenv', ['which', 'aws'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}
const AWS_DIR = awsDirectory();

/** Each `sh` of the lowering with the `withEnv` variables around it. */
function scriptsOf(statements: Statement[], env: Record<string, string> = {}): Array<{ label: string; script: string; env: Record<string, string> }> {
  const found: Array<{ label: string; script: string; env: Record<string, string> }> = [];
  for (const statement of statements) {
    if (statement.type !== 'Call') continue;
    let scope = env;
    if (statement.name === 'withEnv') {
      const list = statement.args.positional[0];
      if (list?.type !== 'List') throw new Error('withEnv without a list');
      scope = { ...env };
      for (const item of list.items) {
        if (item.type !== 'String') throw new Error('withEnv entry is not a string');
        const at = item.value.indexOf('=');
        scope[item.value.slice(0, at)] = item.value.slice(at + 1);
      }
    }
    if (statement.name === 'sh') {
      const script = statement.args.named.find((entry) => entry.key === 'script')?.value;
      const label = statement.args.named.find((entry) => entry.key === 'label')?.value;
      if (script?.type !== 'String' || label?.type !== 'String') throw new Error('sh without literal label and script');
      found.push({ label: label.value, script: script.value, env: scope });
    }
    if (statement.body) found.push(...scriptsOf(statement.body, scope));
  }
  return found;
}

function lowered(step: Omit<EcsDeployStep, 'step'>) {
  const parsed = EcsDeployStepSchema.parse({ step: 'ecsDeploy', ...step });
  const lowering = lowerEcsDeploy(parsed);
  const [deploy] = scriptsOf(lowering.steps);
  const [safetyNet] = scriptsOf(lowering.post?.unsuccessful ?? []);
  if (!deploy || !safetyNet) throw new Error('deploy or safety-net script missing');
  return { deploy, safetyNet };
}

const BASE: Omit<EcsDeployStep, 'step'> = {
  environment: 'prod',
  aws: { role: 'ecs-deployer-prod', account: ACCOUNT, region: REGION },
  cluster: 'prod-apps',
  service: 'payments-api',
  container: 'app',
  taskDefinition: 'deploy/taskdef.prod.json',
};

const TEMPLATE = {
  family: 'payments-api',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/payments-api-execution`,
  containerDefinitions: [
    {
      name: 'app',
      image: 'placeholder',
      essential: true,
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/payments-api', 'awslogs-region': REGION, 'awslogs-stream-prefix': 'app' } },
    },
  ],
  tags: [{ key: 'owner', value: 'template' }],
};

interface Run {
  code: number;
  output: string;
}

describe('ecsDeploy aws-cli scripts against fake ECS and CloudWatch', () => {
  let ecs: FakeEcs;
  let cloudwatch: FakeCloudWatch;
  let work: string;
  let previousTd: string;

  beforeAll(async () => {
    expect(execFileSync('bash', ['-c', 'aws --version 2>&1'], { encoding: 'utf8', env: env({}) })).toMatch(/^aws-cli\//);
  });

  beforeEach(async () => {
    ecs = await FakeEcs.start({ accountId: ACCOUNT, region: REGION });
    cloudwatch = await FakeCloudWatch.start({ accountId: ACCOUNT, region: REGION });
    ecs.addCluster('prod-apps');
    previousTd = ecs.seedTaskDefinition({ ...TEMPLATE, containerDefinitions: [{ ...TEMPLATE.containerDefinitions[0], image: `${IMAGE.split('@')[0]}@sha256:${'cd'.repeat(32)}` }] });
    ecs.addService({ cluster: 'prod-apps', name: 'payments-api', taskDefinition: previousTd });
    cloudwatch.addAlarm('payments-api-prod-5xx');
    cloudwatch.addAlarm('payments-api-prod-p99', { type: 'CompositeAlarm' });
    work = mkdtempSync(join(tmpdir(), 'pw-ecs-script-'));
    mkdirSync(join(work, 'deploy'));
    writeFileSync(join(work, 'deploy/taskdef.prod.json'), JSON.stringify(TEMPLATE));
    writeFileSync(join(work, 'image-ref.txt'), `${IMAGE}\n`);
  });

  afterEach(async () => {
    await ecs.close();
    await cloudwatch.close();
    rmSync(work, { recursive: true, force: true });
  });

  function env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: `${AWS_DIR ? `${AWS_DIR}:` : ''}${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: work ?? tmpdir(),
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_DEFAULT_REGION: REGION,
      AWS_MAX_ATTEMPTS: '2',
      ...(cloudwatch ? { AWS_ENDPOINT_URL: cloudwatch.endpoint } : {}),
      ...(ecs ? { AWS_ENDPOINT_URL_ECS: ecs.endpoint } : {}),
      BUILD_URL: 'https://jenkins.example.com/job/payments-api/42/',
      JOB_NAME: 'payments-api/main',
      BUILD_NUMBER: '42',
      PW_POLL_SECONDS: '0.05',
      ...extra,
    };
  }

  function run(script: { script: string; env: Record<string, string> }, extra: Record<string, string> = {}): Promise<Run> {
    const file = join(work, `script-${Math.random().toString(16).slice(2)}.sh`);
    writeFileSync(file, script.script);
    return new Promise((done) => {
      execFile('bash', [file], { cwd: work, env: env({ ...script.env, ...extra }), timeout: 900_000 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
      });
    });
  }

  const evidence = () => JSON.parse(readFileSync(join(work, 'evidence/ecs-prod-payments-api.json'), 'utf8'));

  it('an alarm in ALARM during the bake rolls back to the previous task definition and fails, with evidence', async () => {
    const { deploy } = lowered({
      ...BASE,
      alarms: ['payments-api-prod-5xx', 'payments-api-prod-p99'],
      bake: { minutes: 5 },
    });
    // Existence check (1st call naming it), first bake poll OK (2nd), then ALARM (3rd).
    cloudwatch.scheduleState('payments-api-prod-5xx', 'ALARM', 3);
    const result = await run(deploy);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('bake: alarm payments-api-prod-5xx is in ALARM');

    const updates = ecs.callsTo('UpdateService');
    expect(updates).toHaveLength(2);
    const newTd = updates[0]!.body.taskDefinition as string;
    expect(newTd).toMatch(/task-definition\/payments-api:2$/);
    expect(updates[1]!.body.taskDefinition).toBe(previousTd);
    expect(ecs.service('prod-apps', 'payments-api').taskDefinition).toBe(previousTd);
    expect(evidence()).toMatchObject({
      event: 'rollback',
      result: 'ROLLED_BACK',
      bake: 'ALARM',
      alarm: 'payments-api-prod-5xx',
      previousTaskDefinitionArn: previousTd,
      taskDefinitionArn: newTd,
    });
    // The bake watched both alarms, metric and composite, and asked only for those in ALARM.
    const bakePolls = cloudwatch.callsTo('DescribeAlarms').filter((call) => call.body.StateValue === 'ALARM');
    expect(bakePolls).toHaveLength(2);
    expect(bakePolls[0]!.body).toMatchObject({
      AlarmNames: ['payments-api-prod-5xx', 'payments-api-prod-p99'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(bakePolls[0]!.contentType).toBe('application/x-amz-json-1.0');
    // Not moved to "deployed": the post safety net would still see this run's release as unfinished.
    expect(existsSync(join(work, 'evidence/ecs-prod-payments-api.deployed-task-definition'))).toBe(false);
  }, 240_000);

  it('a bake without alarms succeeds and records PASSED; alarms and cost tags reach ECS', async () => {
    const { deploy } = lowered({
      ...BASE,
      alarms: ['payments-api-prod-5xx'],
      bake: { minutes: 1, alarms: ['payments-api-prod-p99'] },
      tags: { service: 'payments-api', team: 'payments', environment: 'prod', 'cost-center': 'CC-1042' },
    });
    const result = await run(deploy, { PW_POLL_SECONDS: '10' });
    expect(result.code, result.output).toBe(0);
    expect(evidence()).toMatchObject({ event: 'deploy', result: 'SUCCESS', bake: 'PASSED', alarm: '' });

    const [update] = ecs.callsTo('UpdateService');
    expect(update!.body.deploymentConfiguration).toEqual({
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      alarms: { alarmNames: ['payments-api-prod-5xx'], enable: true, rollback: true },
    });
    expect(update!.body.propagateTags).toBe('TASK_DEFINITION');
    const service = ecs.service('prod-apps', 'payments-api');
    expect(service.propagateTags).toBe('TASK_DEFINITION');
    const costTags = [
      { key: 'service', value: 'payments-api' },
      { key: 'team', value: 'payments' },
      { key: 'environment', value: 'prod' },
      { key: 'cost-center', value: 'CC-1042' },
    ];
    expect(service.tags).toEqual(costTags);
    // The service is tagged by ARN (update-service cannot tag) before the update.
    const tagCall = ecs.callsTo('TagResource')[0]!;
    expect(tagCall.body.resourceArn).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod-apps/payments-api`);
    expect(ecs.calls.indexOf(tagCall)).toBeLessThan(ecs.calls.indexOf(update!));
    // The registered revision carries the template's tags plus the cost tags.
    const register = ecs.callsTo('RegisterTaskDefinition')[0]!;
    expect(register.body.tags).toEqual([{ key: 'owner', value: 'template' }, ...costTags]);
    // The bake watched its own alarm list for about a minute.
    const bakePolls = cloudwatch.callsTo('DescribeAlarms').filter((call) => call.body.StateValue === 'ALARM');
    expect(bakePolls.length).toBeGreaterThanOrEqual(2);
    expect(bakePolls.every((call) => JSON.stringify(call.body.AlarmNames) === '["payments-api-prod-p99"]')).toBe(true);
    expect(bakePolls.at(-1)!.receivedAt - bakePolls[0]!.receivedAt).toBeGreaterThanOrEqual(50_000);
  }, 240_000);

  it('a rollback slower than the 40 polls of `aws ecs wait services-stable` is followed to COMPLETED', async () => {
    const { deploy } = lowered(BASE);
    // The rollout FAILS (circuit breaker without rollback); the script's own rollback then takes 42
    // polls. Slow on a loaded machine: every poll is one AWS CLI process.
    ecs.queueRollout('prod-apps', 'payments-api', { kind: 'fail', afterPolls: 1 }, { kind: 'complete', afterPolls: 42 });
    const result = await run(deploy, { PW_POLL_SECONDS: '0' });
    expect(result.code, result.output).toBe(1);
    expect(result.output).not.toContain('not confirmed');
    expect(evidence()).toMatchObject({ event: 'rollback', result: 'ROLLED_BACK', previousTaskDefinitionArn: previousTd });
    const service = ecs.service('prod-apps', 'payments-api');
    expect(service.taskDefinition).toBe(previousTd);
    expect(service.deployments).toEqual([expect.objectContaining({ taskDefinition: previousTd, rolloutState: 'COMPLETED' })]);
    // More DescribeServices after the rollback's UpdateService than the waiter would ever make.
    const rollbackUpdate = ecs.callsTo('UpdateService')[1]!;
    const pollsAfter = ecs.calls.filter((call) => call.operation === 'DescribeServices' && call.receivedAt >= rollbackUpdate.receivedAt);
    expect(pollsAfter.length).toBeGreaterThan(40);
    expect(deploy.script).not.toContain('wait services-stable');
  }, 900_000);

  it('a missing alarm stops the deploy before anything is registered or updated', async () => {
    const { deploy } = lowered({ ...BASE, alarms: ['payments-api-prod-5xx', 'no-such-alarm'] });
    const result = await run(deploy);
    expect(result.code).toBe(1);
    expect(result.output).toContain('CloudWatch alarm(s) not found in 333333333333/eu-west-1: no-such-alarm');
    expect(ecs.callsTo('RegisterTaskDefinition')).toHaveLength(0);
    expect(ecs.callsTo('UpdateService')).toHaveLength(0);
    expect(evidence()).toMatchObject({ event: 'deploy', result: 'FAILURE', taskDefinitionArn: '' });
  }, 240_000);

  it('the post safety net rolls back a release the killed script left live and follows it', async () => {
    const { safetyNet } = lowered(BASE);
    const newTd = ecs.seedTaskDefinition({ ...TEMPLATE, containerDefinitions: [{ ...TEMPLATE.containerDefinitions[0], image: IMAGE }] });
    // As if the deploy script had updated the service and been killed.
    // (Not execFileSync: the fakes answer from this process's event loop.)
    const killed = await run({ script: 'aws ecs update-service --cluster prod-apps --service payments-api --task-definition "$NEW_TD" > /dev/null', env: { NEW_TD: newTd } });
    expect(killed.code, killed.output).toBe(0);
    mkdirSync(join(work, 'evidence'));
    writeFileSync(join(work, 'evidence/ecs-prod-payments-api.previous-task-definition'), `${previousTd}\n`);
    writeFileSync(join(work, 'evidence/ecs-prod-payments-api.new-task-definition'), `${newTd}\n`);
    ecs.queueRollout('prod-apps', 'payments-api', { kind: 'complete', afterPolls: 3 });
    const result = await run(safetyNet);
    expect(result.code, result.output).toBe(0);
    expect(ecs.service('prod-apps', 'payments-api').taskDefinition).toBe(previousTd);
    const record = JSON.parse(readFileSync(join(work, 'evidence/ecs-prod-payments-api.rollback.json'), 'utf8'));
    expect(record).toMatchObject({ event: 'rollback', result: 'ROLLED_BACK', fromTaskDefinitionArn: newTd, toTaskDefinitionArn: previousTd });
    expect(safetyNet.script).not.toContain('wait services-stable');
  }, 240_000);
});
