/**
 * ecs-deploy against a local ECS endpoint: the real @aws-sdk/client-ecs client (serialization,
 * SigV4 signing, standard retries) talks HTTP to test/aws/fake-ecs-server.ts. No mocked client.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  READ_ONLY_TASK_DEFINITION_FIELDS,
  EcsDeployUsageError,
  createEcsClient,
  ecsDeploy,
  parseDigestImageRef,
  renderTaskDefinitionInput,
  type EcsDeployOptions,
} from '../../src/aws/ecs-deploy.ts';
import { parseDuration, runEcsDeployCli } from '../../src/cli/ecs-deploy.ts';
import { FakeEcs } from './fake-ecs-server.ts';

const ACCOUNT = '210987654321';
const REGION = 'eu-central-1';
const CLUSTER = 'payments';
const SERVICE = 'payments-api';
const REPO = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/payments-api`;
const OLD_IMAGE = `${REPO}@sha256:${'1'.repeat(64)}`;
const NEW_DIGEST = `sha256:${'ab'.repeat(32)}`;
const NEW_IMAGE = `${REPO}@${NEW_DIGEST}`;
const SIDECAR_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/aws-for-fluent-bit@sha256:${'2'.repeat(64)}`;
const FAKE_KEY_ID = 'AKIDFAKEECSDEPLOY';
const BUILD_ENV = {
  BUILD_URL: 'https://jenkins.example.internal/job/payments-api/42/',
  JOB_NAME: 'payments-api',
  BUILD_NUMBER: '42',
  GIT_COMMIT: 'c0ffee0123456789c0ffee0123456789c0ffee01',
};

/** The current task definition of the service: two containers and the Fargate settings that must survive. */
const TASK_DEFINITION = {
  family: 'payments-api',
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/payments-api-task`,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/payments-api-execution`,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  ephemeralStorage: { sizeInGiB: 30 },
  volumes: [{ name: 'tmp' }],
  containerDefinitions: [
    {
      name: 'app',
      image: OLD_IMAGE,
      essential: true,
      user: '10001',
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
      environment: [{ name: 'SPRING_PROFILES_ACTIVE', value: 'prod' }],
      secrets: [{ name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-pass` }],
      mountPoints: [{ sourceVolume: 'tmp', containerPath: '/tmp' }],
      logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch' } },
    },
    {
      name: 'log-router',
      image: SIDECAR_IMAGE,
      essential: true,
      firelensConfiguration: { type: 'fluentbit' },
    },
  ],
  tags: [
    { key: 'team', value: 'payments' },
    { key: 'cost-center', value: 'cc-204' },
  ],
};

/** Fake state for one test: cluster, task definition (revision 1) and an ACTIVE service on it. */
async function startWorld(options: { containers?: 'one' | 'two' } = {}) {
  const fake = await FakeEcs.start({ region: REGION, accountId: ACCOUNT });
  fake.addCluster(CLUSTER);
  const definition = structuredClone(TASK_DEFINITION);
  if (options.containers === 'one') definition.containerDefinitions = definition.containerDefinitions.slice(0, 1);
  const previousArn = fake.seedTaskDefinition(definition, [{ key: 'aws:cloudformation:stack-name', value: 'payments' }]);
  fake.addService({
    cluster: CLUSTER,
    name: SERVICE,
    taskDefinition: previousArn,
    desiredCount: 2,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 50,
      alarms: { alarmNames: ['payments-api-5xx'], enable: true, rollback: false },
    },
  });
  return { fake, previousArn };
}

function clientFor(fake: FakeEcs, maxAttempts?: number) {
  return createEcsClient({
    endpoint: fake.endpoint,
    region: REGION,
    credentials: { accessKeyId: FAKE_KEY_ID, secretAccessKey: 'fake-secret' },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
}

function baseOptions(overrides: Partial<EcsDeployOptions> = {}): EcsDeployOptions {
  return {
    cluster: CLUSTER,
    service: SERVICE,
    image: NEW_IMAGE,
    container: 'app',
    pollIntervalMs: 5,
    timeoutMs: 10_000,
    rollbackTimeoutMs: 10_000,
    env: BUILD_ENV,
    workingDirectory: workDir,
    ...overrides,
  };
}

function primaryOf(fake: FakeEcs) {
  return fake.service(CLUSTER, SERVICE).deployments.find((deployment) => deployment.status === 'PRIMARY');
}

let workDir: string;
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'pw-ecs-deploy-'));
});
afterEach(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('ecsDeploy with the SDK client pointed at the fake endpoint', () => {
  let fake: FakeEcs;
  let previousArn: string;
  let client: ReturnType<typeof createEcsClient>;
  let lines: string[];
  beforeEach(async () => {
    ({ fake, previousArn } = await startWorld());
    client = clientFor(fake);
    lines = [];
  });
  afterEach(async () => {
    client.destroy();
    await fake.close();
  });
  const log = (line: string) => lines.push(line);

  it('clean rollout: registers the new revision, enables the circuit breaker, waits for COMPLETED, writes evidence', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'complete', afterPolls: 3 });
    const evidenceFile = join(workDir, 'evidence', 'deploy-record.json');
    let evidenceDuringRollout: any;
    const result = await ecsDeploy(baseOptions({ evidenceFile }), {
      client,
      log: (line) => {
        lines.push(line);
        if (line.includes(' poll 1:') && !evidenceDuringRollout) {
          evidenceDuringRollout = JSON.parse(readFileSync(evidenceFile, 'utf8'));
        }
      },
    });

    expect(result.reason).toMatch(/runs payments-api:2/);
    expect(result.outcome).toBe('success');
    expect(result.ok).toBe(true);
    const newArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/payments-api:2`;

    expect(fake.calls.map((call) => call.operation)).toEqual([
      'DescribeServices',
      'DescribeTaskDefinition',
      'RegisterTaskDefinition',
      'UpdateService',
      'DescribeServices',
      'DescribeServices',
      'DescribeServices',
    ]);
    // Every request was SigV4-signed with the credentials given to the client.
    for (const call of fake.calls) expect(call.authorization).toContain(`Credential=${FAKE_KEY_ID}/`);
    expect(fake.callsTo('DescribeTaskDefinition')[0]?.body).toEqual({ taskDefinition: previousArn, include: ['TAGS'] });

    // The registered revision: new image in `app`, everything else carried over, user tags passed on.
    const registered = fake.callsTo('RegisterTaskDefinition')[0]?.body as Record<string, any>;
    const { tags: sentTags, ...sentDefinition } = registered;
    const { tags: originalTags, ...original } = structuredClone(TASK_DEFINITION);
    original.containerDefinitions[0]!.image = NEW_IMAGE;
    expect(sentDefinition).toEqual({ ...original, placementConstraints: [] });
    expect(sentTags).toEqual(originalTags);
    for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) expect(registered).not.toHaveProperty(field);
    expect(fake.taskDefinition(newArn).containerDefinitions[0].image).toBe(NEW_IMAGE);
    expect(fake.taskDefinition(newArn).containerDefinitions[1].image).toBe(SIDECAR_IMAGE);

    // UpdateService: new revision, circuit breaker with rollback, the other deployment settings kept.
    expect(fake.callsTo('UpdateService').map((call) => call.body)).toEqual([
      {
        cluster: CLUSTER,
        service: SERVICE,
        taskDefinition: newArn,
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: true, rollback: true },
          maximumPercent: 200,
          minimumHealthyPercent: 50,
          alarms: { alarmNames: ['payments-api-5xx'], enable: true, rollback: false },
        },
      },
    ]);
    const primary = primaryOf(fake);
    expect(primary).toMatchObject({ taskDefinition: newArn, rolloutState: 'COMPLETED', runningCount: 2 });
    expect(fake.service(CLUSTER, SERVICE).taskDefinition).toBe(newArn);

    // One progress line per poll, with counts, rollout state and the new service events.
    const pollLines = lines.filter((line) => / poll \d+:/.test(line));
    expect(pollLines).toHaveLength(3);
    expect(pollLines[0]).toMatch(/PRIMARY payments-api:2 running 0\/2 pending 2 rolloutState IN_PROGRESS \(2 deployments\)/);
    expect(pollLines[1]).toMatch(/running 1\/2 pending 1 rolloutState IN_PROGRESS/);
    expect(pollLines[2]).toMatch(/running 2\/2 pending 0 rolloutState COMPLETED/);
    expect(lines.some((line) => /event .*has started 1 tasks/.test(line))).toBe(true);
    expect(lines.some((line) => /event .*has reached a steady state/.test(line))).toBe(true);
    // The event from before the release is not reprinted.
    expect(lines.filter((line) => /has reached a steady state/.test(line))).toHaveLength(1);

    // Evidence: complete, on disk, identical to the returned record.
    const written = JSON.parse(readFileSync(evidenceFile, 'utf8'));
    expect(written).toEqual(result.evidence);
    expect(written).toMatchObject({
      schemaVersion: 1,
      cluster: CLUSTER,
      service: SERVICE,
      container: 'app',
      account: ACCOUNT,
      region: REGION,
      previousTaskDefinitionArn: previousArn,
      newTaskDefinitionArn: newArn,
      image: NEW_IMAGE,
      imageDigest: NEW_DIGEST,
      deploymentId: primary?.id,
      outcome: 'success',
      rollback: null,
      finalTaskDefinitionArn: newArn,
      buildUrl: BUILD_ENV.BUILD_URL,
      job: 'payments-api',
      build: '42',
      gitCommit: BUILD_ENV.GIT_COMMIT,
    });
    expect(written.deploymentId).toMatch(/^ecs-svc\//);
    expect(Date.parse(written.finishedAt)).toBeGreaterThanOrEqual(Date.parse(written.startedAt));
    expect(written.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // While the rollout ran, the file already recorded what was changed (a killed run leaves this).
    expect(evidenceDuringRollout).toMatchObject({
      outcome: 'in-progress',
      previousTaskDefinitionArn: previousArn,
      newTaskDefinitionArn: newArn,
      deploymentId: primary?.id,
      finishedAt: null,
    });
  });

  it('circuit-breaker rollback by ECS: fails, waits for ECS to restore the previous revision, issues no UpdateService of its own', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'circuit-breaker-rollback', failAfterPolls: 2, rollbackCompletesAfterPolls: 2 });
    const result = await ecsDeploy(baseOptions(), { client, log });

    expect(result.outcome).toBe('rolled-back');
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/PRIMARY deployment is no longer payments-api:2 but payments-api:1.*ECS circuit breaker rolled back/);
    expect(result.reason).toMatch(/back on payments-api:1 \(COMPLETED\)/);
    expect(fake.callsTo('UpdateService')).toHaveLength(1);
    expect(fake.callsTo('UpdateService')[0]?.body.taskDefinition).toMatch(/payments-api:2$/);
    expect(fake.service(CLUSTER, SERVICE).taskDefinition).toBe(previousArn);
    expect(primaryOf(fake)).toMatchObject({ taskDefinition: previousArn, rolloutState: 'COMPLETED' });
    expect(result.evidence.rollback).toEqual({
      initiatedBy: 'ecs-circuit-breaker',
      deploymentId: primaryOf(fake)?.id,
      taskDefinitionArn: previousArn,
      completed: true,
    });
    expect(result.evidence.finalTaskDefinitionArn).toBe(previousArn);
    expect(lines.some((line) => /event .*deployment failed: tasks failed to start/.test(line))).toBe(true);
  });

  it('an ECS rollback already COMPLETED when first seen is still a failure, not a false success (DEPLOY-002)', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'circuit-breaker-rollback', failAfterPolls: 1, rollbackCompletesAfterPolls: 0 });
    const result = await ecsDeploy(baseOptions(), { client, log });

    // The service is stable and COMPLETED, exactly what `aws ecs wait services-stable` accepts.
    expect(primaryOf(fake)).toMatchObject({ taskDefinition: previousArn, rolloutState: 'COMPLETED' });
    expect(fake.service(CLUSTER, SERVICE).deployments).toHaveLength(1);
    expect(result.outcome).toBe('rolled-back');
    expect(result.ok).toBe(false);
    expect(fake.callsTo('UpdateService')).toHaveLength(1);
    expect(result.evidence.rollback).toMatchObject({ initiatedBy: 'ecs-circuit-breaker', completed: true });
  });

  it('rolloutState FAILED without an ECS rollback: rolls back explicitly to the previous ARN', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'fail', afterPolls: 2 }, { kind: 'complete', afterPolls: 2 });
    const result = await ecsDeploy(baseOptions(), { client, log });

    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toMatch(/deployment ecs-svc\/\S+ of payments-api:2 FAILED: ECS deployment circuit breaker/);
    const updates = fake.callsTo('UpdateService').map((call) => call.body);
    expect(updates).toHaveLength(2);
    expect(updates[1]).toEqual({ cluster: CLUSTER, service: SERVICE, taskDefinition: previousArn });
    expect(primaryOf(fake)).toMatchObject({ taskDefinition: previousArn, rolloutState: 'COMPLETED' });
    expect(result.evidence.rollback).toMatchObject({ initiatedBy: 'ecs-deploy', completed: true });
  });

  it('timeout: explicit rollback UpdateService to the previous ARN, service back on the previous revision', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' }, { kind: 'complete', afterPolls: 2 });
    const result = await ecsDeploy(baseOptions({ timeoutMs: 150, pollIntervalMs: 10 }), { client, log });

    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toMatch(/payments-api:2 did not reach COMPLETED in time \(rolloutState IN_PROGRESS, running 0\/2\)/);
    const updates = fake.callsTo('UpdateService').map((call) => call.body);
    expect(updates).toHaveLength(2);
    expect(updates[1]).toEqual({ cluster: CLUSTER, service: SERVICE, taskDefinition: previousArn });
    expect(fake.service(CLUSTER, SERVICE).taskDefinition).toBe(previousArn);
    expect(primaryOf(fake)).toMatchObject({ taskDefinition: previousArn, rolloutState: 'COMPLETED' });
    expect(result.evidence).toMatchObject({
      outcome: 'rolled-back',
      rollback: { initiatedBy: 'ecs-deploy', taskDefinitionArn: previousArn, completed: true },
      finalTaskDefinitionArn: previousArn,
    });
    expect(result.evidence.rollback?.deploymentId).toBe(primaryOf(fake)?.id);
  });

  it('a rollback that does not complete in its bound ends as rollback-failed', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' }, { kind: 'never-complete' });
    const result = await ecsDeploy(baseOptions({ timeoutMs: 400, pollIntervalMs: 10, rollbackTimeoutMs: 400 }), {
      client,
      log,
    });

    expect(result.outcome, result.reason).toBe('rollback-failed');
    expect(result.reason).toMatch(/did not reach COMPLETED in time.*; rollback to payments-api:1 payments-api:1 did not reach COMPLETED in time/);
    expect(fake.callsTo('UpdateService')).toHaveLength(2);
    expect(result.evidence.rollback).toMatchObject({ initiatedBy: 'ecs-deploy', completed: false });
  });

  it('aborting during the rollout (Jenkins abort) rolls back instead of leaving the release half-done', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' }, { kind: 'complete', afterPolls: 5 });
    const abort = new AbortController();
    let rollbackStartedAt = 0;
    const result = await ecsDeploy(baseOptions({ signal: abort.signal, pollIntervalMs: 200 }), {
      client,
      log: (line) => {
        lines.push(line);
        if (line.includes(' poll 1:')) abort.abort();
        if (line.startsWith('rolling back:')) rollbackStartedAt = Date.now();
      },
    });
    const rollbackMs = Date.now() - rollbackStartedAt;

    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toMatch(/^aborted while waiting for payments-api:2/);
    expect(fake.callsTo('UpdateService')[1]?.body.taskDefinition).toBe(previousArn);
    expect(primaryOf(fake)).toMatchObject({ taskDefinition: previousArn, rolloutState: 'COMPLETED' });
    // The rollback wait still sleeps between its 5 polls after the abort (no busy loop against the API).
    expect(rollbackMs).toBeGreaterThanOrEqual(4 * 200 - 10);
  });

  it('throttling and a 5xx are retried by the SDK (standard mode) and the release succeeds', async () => {
    fake.injectErrors({ operation: 'DescribeServices', count: 2, type: 'ThrottlingException', message: 'Rate exceeded' });
    fake.injectErrors({ operation: 'RegisterTaskDefinition', count: 1, type: 'ServerException', status: 500 });
    fake.injectErrors({ operation: 'UpdateService', count: 1, type: 'ThrottlingException' });
    const result = await ecsDeploy(baseOptions(), { client, log });

    expect(result.outcome).toBe('success');
    const summary = fake.calls.map((call) => `${call.operation} ${call.status} ${call.sdkRequest}`);
    expect(summary).toEqual([
      'DescribeServices 400 attempt=1; max=6',
      'DescribeServices 400 attempt=2; max=6',
      'DescribeServices 200 attempt=3; max=6',
      'DescribeTaskDefinition 200 attempt=1; max=6',
      'RegisterTaskDefinition 500 attempt=1; max=6',
      'RegisterTaskDefinition 200 attempt=2; max=6',
      'UpdateService 400 attempt=1; max=6',
      'UpdateService 200 attempt=2; max=6',
      'DescribeServices 200 attempt=1; max=6',
    ]);
    expect(fake.calls.filter((call) => call.errorType === 'ThrottlingException')).toHaveLength(3);
    // Retries did not duplicate the side effects.
    expect(fake.revisions('payments-api')).toHaveLength(2);
    expect(fake.service(CLUSTER, SERVICE).deployments).toHaveLength(1);
  });

  it('throttling beyond maxAttempts fails before any change, with the SDK error as the reason', async () => {
    const twoAttempts = clientFor(fake, 2);
    fake.injectErrors({ operation: '*', count: 5, type: 'ThrottlingException', message: 'Rate exceeded' });
    const result = await ecsDeploy(baseOptions(), { client: twoAttempts, log });
    twoAttempts.destroy();

    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe('ThrottlingException: Rate exceeded');
    expect(fake.calls.map((call) => `${call.operation} ${call.sdkRequest}`)).toEqual([
      'DescribeServices attempt=1; max=2',
      'DescribeServices attempt=2; max=2',
    ]);
  });

  it('an UpdateService whose answer was lost (5xx after the change) is verified by DescribeServices and followed', async () => {
    const twoAttempts = clientFor(fake, 2);
    fake.injectErrors({ operation: 'UpdateService', count: 2, type: 'ServerException', status: 500, afterProcessing: true });
    const result = await ecsDeploy(baseOptions(), { client: twoAttempts, log });
    twoAttempts.destroy();

    expect(result.outcome).toBe('success');
    expect(fake.callsTo('UpdateService').map((call) => call.status)).toEqual([500, 500]);
    expect(lines.some((line) => /UpdateService answered ServerException.*now points at the new revision/.test(line))).toBe(true);
    expect(result.evidence.deploymentId).toBe(primaryOf(fake)?.id);
  });

  it('UpdateService rejected by ECS (4xx): failed-before-update, no rollback call', async () => {
    fake.injectErrors({ operation: 'UpdateService', count: 1, type: 'AccessDeniedException', message: 'not authorized to perform: ecs:UpdateService' });
    const result = await ecsDeploy(baseOptions(), { client, log });

    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe('AccessDeniedException: not authorized to perform: ecs:UpdateService');
    expect(fake.callsTo('UpdateService')).toHaveLength(1);
    expect(fake.service(CLUSTER, SERVICE).taskDefinition).toBe(previousArn);
  });

  it('missing service: clear reason, nothing registered or updated, evidence still written', async () => {
    const evidenceFile = join(workDir, 'missing.json');
    const result = await ecsDeploy(baseOptions({ service: 'payments-apx', evidenceFile }), { client, log });

    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe('service "payments-apx" not found in cluster "payments" (MISSING)');
    expect(fake.calls.map((call) => call.operation)).toEqual(['DescribeServices']);
    const written = JSON.parse(readFileSync(evidenceFile, 'utf8'));
    expect(written).toMatchObject({ outcome: 'failed-before-update', account: ACCOUNT, region: REGION, newTaskDefinitionArn: null });
  });

  it('missing cluster: the ECS error is the reason', async () => {
    const result = await ecsDeploy(baseOptions({ cluster: 'payment' }), { client, log });
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe('ClusterNotFoundException: Cluster not found.');
    expect(result.evidence).toMatchObject({ region: REGION, account: null, previousTaskDefinitionArn: null });
  });

  it('unknown container name: lists the containers of the task definition, registers nothing', async () => {
    const result = await ecsDeploy(baseOptions({ container: 'web' }), { client, log });
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe('container "web" not found in task definition payments-api:1; containers: app, log-router');
    expect(fake.callsTo('RegisterTaskDefinition')).toHaveLength(0);
    expect(fake.callsTo('UpdateService')).toHaveLength(0);
  });

  it('no container name with two containers: ambiguous, lists them', async () => {
    const { container: _omitted, ...options } = baseOptions();
    const result = await ecsDeploy(options, { client, log });
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe('task definition payments-api:1 has 2 containers (app, log-router); name one with --container');
    expect(fake.callsTo('RegisterTaskDefinition')).toHaveLength(0);
  });

  it('refuses to start while another deployment is in progress (its revision is not known-good)', async () => {
    fake.addService({ cluster: CLUSTER, name: 'payments-worker', taskDefinition: previousArn, currentRolloutState: 'IN_PROGRESS' });
    const result = await ecsDeploy(baseOptions({ service: 'payments-worker' }), { client, log });
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toMatch(
      /^service "payments-worker" has a deployment in progress \(ecs-svc\/\d+, payments-api:1\); wait for it to finish or check for a concurrent release$/,
    );
    expect(fake.calls.map((call) => call.operation)).toEqual(['DescribeServices']);
  });

  it('refuses services on the CODE_DEPLOY controller (UpdateService cannot change their task definition)', async () => {
    fake.addService({ cluster: CLUSTER, name: 'payments-bg', taskDefinition: previousArn, deploymentController: 'CODE_DEPLOY' });
    const result = await ecsDeploy(baseOptions({ service: 'payments-bg' }), { client, log });
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toBe(
      'service "payments-bg" uses the CODE_DEPLOY deployment controller; ecs-deploy only does ECS rolling updates',
    );
    expect(fake.calls.map((call) => call.operation)).toEqual(['DescribeServices']);
  });

  it('image given by tag is rejected before any AWS call', async () => {
    for (const image of [`${REPO}:1.4.2`, `${REPO}:latest`, `${REPO}:1.4.2@${NEW_DIGEST}`, `${REPO}@sha256:ABC`]) {
      await expect(ecsDeploy(baseOptions({ image }), { client, log })).rejects.toThrow(EcsDeployUsageError);
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('an unwritable evidence path stops the release before any AWS call', async () => {
    const blocker = join(workDir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    await expect(ecsDeploy(baseOptions({ evidenceFile: join(blocker, 'evidence.json') }), { client, log })).rejects.toThrow(
      /^evidence file ".*not-a-dir\/evidence\.json": .*not-a-dir is not a directory$/,
    );
    expect(fake.calls).toHaveLength(0);
  });
});

describe('renderTaskDefinitionInput on a DescribeTaskDefinition answer deserialized by the SDK', () => {
  it('strips every read-only field, replaces only the image, drops reserved aws: tags', async () => {
    const { fake, previousArn } = await startWorld();
    const client = clientFor(fake);
    try {
      const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: previousArn, include: ['TAGS'] }));
      const current = described.taskDefinition!;
      // The SDK answer really carries the read-only fields (so stripping them is not vacuous).
      expect(current.registeredAt).toBeInstanceOf(Date);
      expect(current).toHaveProperty('taskDefinitionArn', previousArn);
      expect(current).toHaveProperty('requiresAttributes');
      expect(described.tags?.map((tag) => tag.key)).toContain('aws:cloudformation:stack-name');

      const { input, container, previousImage } = renderTaskDefinitionInput(current, described.tags, NEW_IMAGE, 'app');
      for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) expect(input).not.toHaveProperty(field);
      expect(container).toBe('app');
      expect(previousImage).toBe(OLD_IMAGE);
      expect(input.containerDefinitions?.map((definition) => definition.image)).toEqual([NEW_IMAGE, SIDECAR_IMAGE]);
      expect(input.tags).toEqual(TASK_DEFINITION.tags);
      expect(current.containerDefinitions?.[0]?.image).toBe(OLD_IMAGE); // input not mutated
      expect(input).toMatchObject({ cpu: '512', memory: '1024', networkMode: 'awsvpc', family: 'payments-api' });
    } finally {
      client.destroy();
      await fake.close();
    }
  });

  it('uses the only container when none is named', async () => {
    const { fake, previousArn } = await startWorld({ containers: 'one' });
    const client = clientFor(fake);
    try {
      const { taskDefinition } = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: previousArn }));
      const rendered = renderTaskDefinitionInput(taskDefinition!, undefined, NEW_IMAGE);
      expect(rendered.container).toBe('app');
      expect(rendered.input.containerDefinitions?.[0]?.image).toBe(NEW_IMAGE);
      expect(rendered.input).not.toHaveProperty('tags');
    } finally {
      client.destroy();
      await fake.close();
    }
  });
});

describe('parseDigestImageRef and parseDuration', () => {
  it('accepts REPO@sha256:<64 hex>, including a registry with a port', () => {
    expect(parseDigestImageRef(NEW_IMAGE)).toEqual({ repository: REPO, digest: NEW_DIGEST });
    expect(parseDigestImageRef(`registry.local:5000/team/app@${NEW_DIGEST}`).repository).toBe('registry.local:5000/team/app');
  });

  it('rejects tags, tag+digest and short or uppercase digests with the reason', () => {
    expect(() => parseDigestImageRef(`${REPO}:latest`)).toThrow(/deploy by digest, not by tag/);
    expect(() => parseDigestImageRef(`${REPO}:v1@${NEW_DIGEST}`)).toThrow(/must not carry a tag next to the digest/);
    expect(() => parseDigestImageRef(`${REPO}@sha256:${'a'.repeat(63)}`)).toThrow(EcsDeployUsageError);
    expect(() => parseDigestImageRef(`${REPO}@sha256:${'A'.repeat(64)}`)).toThrow(EcsDeployUsageError);
  });

  it('parses durations with units (decimals allowed) and refuses bare numbers', () => {
    expect(parseDuration('15m', '--timeout')).toBe(900_000);
    expect(parseDuration('15s', '--poll-interval')).toBe(15_000);
    expect(parseDuration('250ms', '--poll-interval')).toBe(250);
    expect(parseDuration('1h', '--timeout')).toBe(3_600_000);
    expect(() => parseDuration('15', '--timeout')).toThrow(/--timeout must be a duration/);
    expect(() => parseDuration('0s', '--timeout')).toThrow(/greater than zero/);
    expect(parseDuration('1.5m', '--timeout')).toBe(90_000);
    expect(parseDuration('0.05s', '--poll-interval')).toBe(50);
    expect(() => parseDuration('1.m', '--timeout')).toThrow(/--timeout must be a duration/);
  });
});

/**
 * The CLI builds its own client from the default chains, as in Jenkins: endpoint from
 * AWS_ENDPOINT_URL_ECS, credentials and region from the environment.
 */
describe('runEcsDeployCli through AWS_ENDPOINT_URL_ECS', () => {
  const AWS_VARIABLES = [
    'AWS_ENDPOINT_URL_ECS', 'AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
    'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_EC2_METADATA_DISABLED', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  ];
  let saved: Record<string, string | undefined>;
  let fake: FakeEcs;
  let previousArn: string;
  let stdout: string;
  let stderr: string;
  const io = () => ({
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: BUILD_ENV,
    cwd: workDir,
  });
  const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);
  const required = () => ['--cluster', CLUSTER, '--service', SERVICE, '--container', 'app', '--poll-interval', '5ms'];

  beforeAll(() => {
    saved = Object.fromEntries(AWS_VARIABLES.map((name) => [name, process.env[name]]));
  });
  beforeEach(async () => {
    ({ fake, previousArn } = await startWorld());
    for (const name of AWS_VARIABLES) delete process.env[name];
    process.env.AWS_ENDPOINT_URL_ECS = fake.endpoint;
    process.env.AWS_ACCESS_KEY_ID = FAKE_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret';
    process.env.AWS_REGION = REGION;
    process.env.AWS_CONFIG_FILE = join(workDir, 'no-config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(workDir, 'no-credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    stdout = '';
    stderr = '';
  });
  afterEach(async () => {
    await fake.close();
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('clean rollout: exit 0, evidence written, success as the last line', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'complete', afterPolls: 2 });
    const evidenceFile = join(workDir, 'out', 'deploy-record.json');
    const code = await runEcsDeployCli([...required(), '--image', NEW_IMAGE, '--evidence', evidenceFile, '--timeout', '1m'], io());

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lastLine(stdout)).toBe(
      `ecs-deploy: success: service ${SERVICE} runs payments-api:2 (deployment ${primaryOf(fake)?.id}, rolloutState COMPLETED)`,
    );
    expect(fake.calls.length).toBeGreaterThan(4);
    for (const call of fake.calls) expect(call.authorization).toContain(`Credential=${FAKE_KEY_ID}/`);
    // The region came from AWS_REGION: it is in the SigV4 credential scope.
    expect(fake.calls[0]?.authorization).toContain(`/${REGION}/ecs/aws4_request`);
    const evidence = JSON.parse(readFileSync(evidenceFile, 'utf8'));
    expect(evidence).toMatchObject({ outcome: 'success', account: ACCOUNT, region: REGION, buildUrl: BUILD_ENV.BUILD_URL, build: '42' });
  });

  it('circuit-breaker rollback: exit 1 (not success), service back on the previous revision', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'circuit-breaker-rollback', failAfterPolls: 2 });
    const evidenceFile = join(workDir, 'cb.json');
    const code = await runEcsDeployCli([...required(), '--image', NEW_IMAGE, '--evidence', evidenceFile], io());

    expect(code).toBe(1);
    expect(stdout).not.toMatch(/ecs-deploy: success/);
    expect(lastLine(stderr)).toMatch(/^ecs-deploy: rolled-back: PRIMARY deployment is no longer payments-api:2 .*back on payments-api:1/);
    expect(fake.callsTo('UpdateService')).toHaveLength(1);
    expect(primaryOf(fake)).toMatchObject({ taskDefinition: previousArn, rolloutState: 'COMPLETED' });
    expect(JSON.parse(readFileSync(evidenceFile, 'utf8')).outcome).toBe('rolled-back');
  });

  it('timeout: exit 1 after an explicit rollback to the previous ARN', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' }, { kind: 'complete', afterPolls: 1 });
    const code = await runEcsDeployCli([...required(), '--image', NEW_IMAGE, '--timeout', '100ms'], io());

    expect(code).toBe(1);
    expect(lastLine(stderr)).toMatch(/^ecs-deploy: rolled-back: payments-api:2 did not reach COMPLETED in time/);
    expect(fake.callsTo('UpdateService').at(-1)?.body).toEqual({ cluster: CLUSTER, service: SERVICE, taskDefinition: previousArn });
    expect(fake.service(CLUSTER, SERVICE).taskDefinition).toBe(previousArn);
  });

  it('missing service: exit 1 with the reason', async () => {
    const code = await runEcsDeployCli(['--cluster', CLUSTER, '--service', 'nope', '--image', NEW_IMAGE], io());
    expect(code).toBe(1);
    expect(lastLine(stderr)).toBe('ecs-deploy: failed-before-update: service "nope" not found in cluster "payments" (MISSING)');
  });

  it('image by tag: exit 2 before any AWS call', async () => {
    const evidenceFile = join(workDir, 'tag.json');
    const code = await runEcsDeployCli([...required(), '--image', `${REPO}:1.4.2`, '--evidence', evidenceFile], io());
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ecs-deploy: usage error: image must be REPO@sha256:<64 lowercase hex> \(deploy by digest, not by tag\)/);
    expect(fake.calls).toHaveLength(0);
    expect(existsSync(evidenceFile)).toBe(false);
  });

  it('usage errors exit 2 without calling AWS; --help exits 0', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--cluster', CLUSTER, '--image', NEW_IMAGE], /missing --service/],
      [[...required(), '--image', NEW_IMAGE, '--timeout', '15'], /--timeout must be a duration/],
      [[...required(), '--image', NEW_IMAGE, '--force-new-deployment'], /Unknown option '--force-new-deployment'/],
      [[...required(), '--image', NEW_IMAGE, 'extra'], /unexpected argument "extra"/],
      [[...required(), '--image', NEW_IMAGE, '--evidence', ' '], /--evidence must not be empty/],
    ];
    for (const [argv, message] of cases) {
      stderr = '';
      expect(await runEcsDeployCli(argv, io())).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr).toContain('Usage: pipewright ecs-deploy');
    }
    expect(fake.calls).toHaveLength(0);
    stdout = '';
    expect(await runEcsDeployCli(['--help'], io())).toBe(0);
    expect(stdout).toMatch(/^Usage: pipewright ecs-deploy/);
  });
});
