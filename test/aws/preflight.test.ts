/**
 * preflight against local AWS endpoints: a real temporary project (pipeline files importing
 * 'pipewright', compiled with compileProject), the real @aws-sdk/client-ecs and client-ecr clients
 * talking HTTP to test/aws/fake-ecs-server.ts and fake-ecr-server.ts. One fake pair per region.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { compileProject, type CompileRun } from '../../src/compile.ts';
import type { Diagnostic } from '../../src/diagnostics.ts';
import {
  PREFLIGHT_CHECKS,
  PREFLIGHT_OPERATIONS,
  ReadOnlyViolation,
  canMatchCommitTag,
  guardReadOnly,
  preflight,
  preflightTargets,
  scanFilterMatches,
  type PreflightClients,
} from '../../src/aws/preflight.ts';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';
import { FakeCloudWatch } from './fake-cloudwatch-server.ts';
import { FakeEcr } from './fake-ecr-server.ts';
import { FakeEcs } from './fake-ecs-server.ts';

const ACCOUNT = '210987654321';
const OTHER_ACCOUNT = '333333333333';
const DEV_REGION = 'eu-central-1';
const PROD_REGION = 'eu-west-1';
const require = createRequire(import.meta.url);
/** ajv-draft-04 is CommonJS: the default import is `module.exports`, whose `default` is the class. */
const Ajv4 = AjvDraft04.default;
/** A real XML parser (jsdom ships no types; only this much of it is used). */
const { JSDOM } = require('jsdom') as {
  JSDOM: new (text: string, options: { contentType: string }) => { window: { document: XmlDocument } };
};
interface XmlElement {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<XmlElement> & Iterable<XmlElement>;
  textContent: string | null;
}
type XmlDocument = Pick<XmlElement, 'getElementsByTagName'>;
const CREDENTIALS = { accessKeyId: 'AKIDFAKEPREFLIGHT', secretAccessKey: 'fake-secret' };
const PIPELINE_FILE = 'pipelines/payments-api.pipeline.ts';

/** The pipeline under test: build + push in dev's account, ECS deploys to dev and prod. */
function pipelineSource(options: { prodAccount?: string; pushAccount?: string; extra?: string } = {}): string {
  const prodAccount = options.prodAccount ?? ACCOUNT;
  const pushAccount = options.pushAccount ?? ACCOUNT;
  return `import { definePipeline, dockerBuild, ecrPush, ecsDeploy } from 'pipewright';

const docker = { type: 'label', label: 'linux && docker' } as const;

export default definePipeline({
  agent: 'none',
  stages: [
    {
      name: 'Image',
      agent: docker,
      steps: [
        dockerBuild({ repository: 'payments-api' }),
        ecrPush({
          repository: 'payments-api',
          registry: { accountId: '${pushAccount}', region: '${DEV_REGION}' },
          aws: { role: 'ecr-pusher', account: '${pushAccount}', region: '${DEV_REGION}' },
        }),
      ],
    },
    {
      name: 'Deploy dev',
      agent: { type: 'label', label: 'dev-deployer' },
      steps: [
        ecsDeploy({
          environment: 'dev',
          cluster: 'dev-apps',
          service: 'payments-api-dev',
          container: 'app',
          engine: 'pipewright',
          aws: { role: 'ecs-deployer-dev', account: '${ACCOUNT}', region: '${DEV_REGION}' },
        }),
      ],
    },
    {
      name: 'Deploy prod',
      agent: { type: 'label', label: 'prod-deployer' },
      steps: [
        ecsDeploy({
          environment: 'prod',
          cluster: 'prod-apps',
          service: 'payments-api-prod',
          container: 'app',
          engine: 'pipewright',
          aws: { role: 'ecs-deployer-prod', account: '${prodAccount}', region: '${PROD_REGION}' },
          alarms: ['payments-api-prod-5xx'],
          bake: { minutes: 10, alarms: ['payments-api-prod-5xx', 'payments-api-prod-latency'] },
        }),
      ],
    },${options.extra ?? ''}
  ],
});
`;
}

/** 1-based line and column where `needle` starts in `text`, searching from `after`'s first occurrence. */
function positionOf(text: string, needle: string, after = ''): { line: number; column: number } {
  const start = text.indexOf(after);
  const index = text.indexOf(needle, start < 0 ? 0 : start);
  if (start < 0 || index < 0) throw new Error(`"${needle}" not found after "${after}"`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const TASK_DEFINITION = (family: string) => ({
  family,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  containerDefinitions: [
    { name: 'app', image: `${ACCOUNT}.dkr.ecr.${DEV_REGION}.amazonaws.com/payments-api@sha256:${'1'.repeat(64)}`, essential: true, logConfiguration: awslogs(family, 'app') },
    { name: 'log-router', image: `amazon/aws-for-fluent-bit@sha256:${'2'.repeat(64)}`, essential: true, logConfiguration: awslogs(family, 'log-router') },
  ],
});

/** awslogs to the family's log group, in the task's region (no awslogs-region: the region of the task). */
function awslogs(family: string, prefix: string) {
  return { logDriver: 'awslogs', options: { 'awslogs-group': `/ecs/${family}`, 'awslogs-stream-prefix': prefix } };
}

const GOOD_DEPLOYMENT_CONFIGURATION = {
  deploymentCircuitBreaker: { enable: true, rollback: true },
  maximumPercent: 200,
  minimumHealthyPercent: 100,
};

interface RegionFakes {
  ecs: FakeEcs;
  ecr: FakeEcr;
  /** CloudWatch alarms and CloudWatch Logs log groups. */
  cw: FakeCloudWatch;
}

/** Every fake started by the current test; closed after it. */
const started: Array<FakeEcs | FakeEcr | FakeCloudWatch> = [];

async function ecsFake(region: string): Promise<FakeEcs> {
  const fake = await FakeEcs.start({ region, accountId: ACCOUNT });
  started.push(fake);
  return fake;
}

async function ecrFake(region: string): Promise<FakeEcr> {
  const fake = await FakeEcr.start({ region, accountId: ACCOUNT });
  started.push(fake);
  return fake;
}

async function cloudWatchFake(region: string): Promise<FakeCloudWatch> {
  const fake = await FakeCloudWatch.start({ region, accountId: ACCOUNT });
  started.push(fake);
  return fake;
}

/** CloudWatch set up correctly for the environments: log groups with a retention, prod's alarms. */
async function goodCloudWatch(region: string, envs: Array<'dev' | 'prod'>): Promise<FakeCloudWatch> {
  const cw = await cloudWatchFake(region);
  for (const env of envs) cw.addLogGroup(`/ecs/payments-api-${env}`, 400);
  if (envs.includes('prod')) {
    cw.addAlarm('payments-api-prod-5xx');
    cw.addAlarm('payments-api-prod-latency', { type: 'CompositeAlarm' });
  }
  return cw;
}

/**
 * A region where the ECS service (and, in dev's region, the ECR repository) are set up correctly:
 * log group with a retention, prod's alarms.
 */
async function goodRegion(region: string, env: 'dev' | 'prod'): Promise<RegionFakes> {
  const ecs = await ecsFake(region);
  const ecr = await ecrFake(region);
  const cw = await goodCloudWatch(region, [env]);
  ecs.addCluster(`${env}-apps`);
  const arn = ecs.seedTaskDefinition(TASK_DEFINITION(`payments-api-${env}`));
  ecs.addService({
    cluster: `${env}-apps`,
    name: `payments-api-${env}`,
    taskDefinition: arn,
    deploymentConfiguration: GOOD_DEPLOYMENT_CONFIGURATION,
  });
  if (env === 'dev') {
    ecr.addRepository({ name: 'payments-api', imageTagMutability: 'IMMUTABLE' });
    ecr.setRegistryScanning('ENHANCED', [{ scanFrequency: 'CONTINUOUS_SCAN', filters: ['*'] }]);
  }
  return { ecs, ecr, cw };
}

let project: TempProject;
let run: CompileRun;
let source: string;
const clients: PreflightClients[] = [];

type RegionInput = Omit<RegionFakes, 'cw'> & { cw?: FakeCloudWatch };

/** The fakes per region; a region (or a CloudWatch) left out is set up correctly. */
async function world(dev?: RegionInput, prod?: RegionInput): Promise<Record<string, RegionFakes>> {
  const complete = async (given: RegionInput | undefined, region: string, env: 'dev' | 'prod'): Promise<RegionFakes> =>
    given ? { ...given, cw: given.cw ?? (await goodCloudWatch(region, [env])) } : goodRegion(region, env);
  return { [DEV_REGION]: await complete(dev, DEV_REGION, 'dev'), [PROD_REGION]: await complete(prod, PROD_REGION, 'prod') };
}

/** Destroys the clients and closes the fakes of the current test. */
async function cleanUp(): Promise<void> {
  for (const pair of clients.splice(0)) {
    pair.ecs.destroy();
    pair.ecr.destroy();
    pair.logs?.destroy();
    pair.cloudwatch?.destroy();
  }
  await Promise.all(started.splice(0).map((fake) => fake.close()));
}

/** Clients for the fakes of a region: the real SDK clients with an endpoint override. */
function clientsFor(fakes: Record<string, RegionFakes>) {
  return (region: string): PreflightClients => {
    const fake = fakes[region];
    if (!fake) throw new Error(`test: no fake for region ${region}`);
    const pair = {
      ecs: new ECSClient({ region, endpoint: fake.ecs.endpoint, credentials: CREDENTIALS, maxAttempts: 3 }),
      ecr: new ECRClient({ region, endpoint: fake.ecr.endpoint, credentials: CREDENTIALS, maxAttempts: 3 }),
      logs: new CloudWatchLogsClient({ region, endpoint: fake.cw.endpoint, credentials: CREDENTIALS, maxAttempts: 3 }),
      cloudwatch: new CloudWatchClient({ region, endpoint: fake.cw.endpoint, credentials: CREDENTIALS, maxAttempts: 3 }),
    };
    clients.push(pair);
    return pair;
  };
}

async function compile(text: string): Promise<CompileRun> {
  source = text;
  project.write(PIPELINE_FILE, text);
  const compiled = await compileProject({ root: project.root });
  // Compiler errors only: policy findings (lint's business) do not stop preflight.
  const errors = compiled.pipelines.flatMap((p) => p.diagnostics).filter((d) => d.severity === 'error' && d.code.startsWith('PW'));
  expect(errors).toEqual([]);
  expect(compiled.pipelines[0]?.model).toBeDefined();
  return compiled;
}

async function check(fakes: Record<string, RegionFakes>, env?: string): Promise<Diagnostic[]> {
  return preflight(run, { clientsFor: clientsFor(fakes), ...(env ? { env } : {}) });
}

/** Every operation any fake received. */
function operations(fakes: Record<string, RegionFakes>): string[] {
  return Object.values(fakes).flatMap((f) => [...f.ecs.calls, ...f.ecr.calls, ...f.cw.calls].map((call) => call.operation));
}

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => d.code);

beforeAll(async () => {
  project = createTempProject();
  run = await compile(pipelineSource());
});
afterAll(() => project.remove());
afterEach(cleanUp);

describe('preflight targets', () => {
  it('finds the ECS deploy steps and the ECR repository, with model paths, filtered by environment', () => {
    const all = preflightTargets(run);
    expect(all.deploys.map((t) => [t.environment, t.cluster, t.service, t.container, t.region, t.account, t.origin])).toEqual([
      ['dev', 'dev-apps', 'payments-api-dev', 'app', DEV_REGION, ACCOUNT, 'step'],
      ['prod', 'prod-apps', 'payments-api-prod', 'app', PROD_REGION, ACCOUNT, 'step'],
    ]);
    expect(all.deploys[0]!.paths.service).toEqual(['stages', 1, 'steps', 0, 'service']);
    expect(all.repositories.map((r) => [r.repository, r.registryId, r.region])).toEqual([['payments-api', ACCOUNT, DEV_REGION]]);
    expect(all.repositories[0]!.path).toEqual(['stages', 0, 'steps', 1, 'repository']);
    expect(preflightTargets(run, 'prod').deploys.map((t) => t.environment)).toEqual(['prod']);
    expect(preflightTargets(run, 'qa')).toEqual({ deploys: [], repositories: [] });
  });
});

describe('preflight against a good setup', () => {
  it('reports nothing and calls only read operations, in both regions', async () => {
    const fakes = await world();
    expect(await check(fakes)).toEqual([]);
    const ops = operations(fakes);
    expect(new Set(ops)).toEqual(new Set(PREFLIGHT_OPERATIONS));
    for (const operation of ops) expect(operation).toMatch(/^(Describe|Get|List)[A-Z]/);
    expect(fakes[DEV_REGION]!.ecs.callsTo('DescribeServices').map((c) => c.body)).toEqual([
      { cluster: 'dev-apps', services: ['payments-api-dev'] },
    ]);
    expect(fakes[PROD_REGION]!.ecs.callsTo('DescribeServices').map((c) => c.body)).toEqual([
      { cluster: 'prod-apps', services: ['payments-api-prod'] },
    ]);
    expect(fakes[DEV_REGION]!.ecr.calls.find((c) => c.operation === 'DescribeRepositories')?.body).toEqual({
      registryId: ACCOUNT,
      repositoryNames: ['payments-api'],
    });
    // Nothing was changed: no RegisterTaskDefinition, no UpdateService.
    expect(fakes[DEV_REGION]!.ecs.revisions('payments-api-dev')).toHaveLength(1);
  });

  it('accepts a service on FARGATE_SPOT capacity providers, a legacy scan-on-push repository and a sha256-* exclusion', async () => {
    const dev = await ecsFake(DEV_REGION);
    dev.addCluster('dev-apps');
    dev.addService({
      cluster: 'dev-apps',
      name: 'payments-api-dev',
      taskDefinition: dev.seedTaskDefinition(TASK_DEFINITION('payments-api-dev')),
      deploymentConfiguration: GOOD_DEPLOYMENT_CONFIGURATION,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }],
    });
    const ecr = await ecrFake(DEV_REGION);
    ecr.addRepository({ name: 'payments-api', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['sha256-*'], scanOnPush: true });
    const fakes = await world({ ecs: dev, ecr });
    expect(await check(fakes)).toEqual([]);
  });
});

describe('preflight against broken setups', () => {
  it('reports containers without CloudWatch Logs, a missing log group, one without retention, and a missing alarm', async () => {
    const prod = await goodRegion(PROD_REGION, 'prod');
    const definition = TASK_DEFINITION('payments-api-prod');
    // The sidecar logs through FireLens only; the app's group exists but keeps logs forever.
    definition.containerDefinitions[1]!.logConfiguration = { logDriver: 'awsfirelens', options: {} } as never;
    const arn = prod.ecs.seedTaskDefinition(definition);
    prod.ecs.addService({ cluster: 'prod-apps', name: 'payments-api-prod', taskDefinition: arn, deploymentConfiguration: GOOD_DEPLOYMENT_CONFIGURATION });
    const cw = await cloudWatchFake(PROD_REGION);
    cw.addLogGroup('/ecs/payments-api-prod');
    cw.addAlarm('payments-api-prod-5xx');
    const dev = await goodRegion(DEV_REGION, 'dev');
    const devDefinition = TASK_DEFINITION('payments-api-dev');
    devDefinition.containerDefinitions[0]!.logConfiguration = awslogs('payments-api-dev-typo', 'app');
    const fakes = await world({ ecs: await ecsFake(DEV_REGION), ecr: dev.ecr, cw: dev.cw }, { ...prod, cw });
    const devEcs = fakes[DEV_REGION]!.ecs;
    devEcs.addCluster('dev-apps');
    devEcs.addService({ cluster: 'dev-apps', name: 'payments-api-dev', taskDefinition: devEcs.seedTaskDefinition(devDefinition), deploymentConfiguration: GOOD_DEPLOYMENT_CONFIGURATION });

    const diagnostics = await check(fakes);
    const summary = diagnostics.map((d) => [d.code, d.severity, d.message, (d.path ?? []).join('.')]);
    expect(summary).toEqual([
      ['PF018', 'error', `[dev] log group "/ecs/payments-api-dev-typo" of container "app" (payments-api-dev:1) does not exist in ${DEV_REGION}, account ${ACCOUNT}`, 'stages.1.steps.0.container'],
      ['PF019', 'warning', '[prod] log group "/ecs/payments-api-prod" of container "app" has no retention: its logs are kept (and billed) forever', 'stages.2.steps.0.container'],
      ['PF017', 'error', '[prod] container "log-router" of payments-api-prod:2 does not log to CloudWatch Logs (logDriver awsfirelens)', 'stages.2.steps.0.container'],
      ['PF020', 'error', `[prod] CloudWatch alarm "payments-api-prod-latency" not found (${PROD_REGION}, account ${ACCOUNT})`, 'stages.2.steps.0.bake.alarms.1'],
    ]);
    // Located at the TS source of the field that names the alarm.
    const alarm = diagnostics.find((d) => d.code === 'PF020')!;
    expect(alarm.location).toMatchObject(positionOf(source, "'payments-api-prod-latency'"));
    // Only reads: DescribeLogGroups by exact prefix, DescribeAlarms for both alarm types.
    expect(cw.callsTo('DescribeLogGroups').map((c) => c.body)).toEqual([{ logGroupNamePrefix: '/ecs/payments-api-prod' }]);
    expect(cw.callsTo('DescribeAlarms').map((c) => c.body)).toEqual([
      { AlarmNames: ['payments-api-prod-5xx', 'payments-api-prod-latency'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
  });

  it('reports a missing service at the TS location of the ecsDeploy step\'s service field', async () => {
    const dev = await ecsFake(DEV_REGION);
    dev.addCluster('dev-apps');
    const fakes = await world({ ecs: dev, ecr: (await goodRegion(DEV_REGION, 'dev')).ecr });
    const diagnostics = await check(fakes);
    expect(diagnostics).toHaveLength(1);
    const [finding] = diagnostics;
    const at = positionOf(source, "'payments-api-dev'", "environment: 'dev'");
    expect(finding).toMatchObject({
      code: 'PF003',
      severity: 'error',
      path: ['stages', 1, 'steps', 0, 'service'],
      location: { file: PIPELINE_FILE, line: at.line, column: at.column },
    });
    expect(finding!.message).toBe(`[dev] ECS service "payments-api-dev" not found in cluster "dev-apps" (${DEV_REGION}, account ${ACCOUNT})`);
    expect(at.line).toBe(source.split('\n').findIndex((line) => line.includes("service: 'payments-api-dev'")) + 1);
  });

  it('reports a missing and an INACTIVE cluster at the cluster field, and stops checking that target', async () => {
    const dev = await ecsFake(DEV_REGION);
    dev.addCluster('dev-apps', { status: 'INACTIVE' });
    const prod = await ecsFake(PROD_REGION);
    const fakes = await world(
      { ecs: dev, ecr: (await goodRegion(DEV_REGION, 'dev')).ecr },
      { ecs: prod, ecr: await ecrFake(PROD_REGION) },
    );
    const diagnostics = await check(fakes);
    expect(diagnostics.map((d) => [d.code, d.severity, d.path?.at(-1), d.found])).toEqual([
      ['PF002', 'error', 'cluster', 'INACTIVE'],
      ['PF001', 'error', 'cluster', 'MISSING'],
    ]);
    expect(diagnostics[0]!.location).toMatchObject(positionOf(source, "'dev-apps'"));
    expect(diagnostics[1]!.location).toMatchObject(positionOf(source, "'prod-apps'"));
    expect(dev.callsTo('DescribeServices')).toHaveLength(0);
  });

  it('reports a container that is not in the service\'s current task definition, naming the containers there', async () => {
    const dev = await ecsFake(DEV_REGION);
    dev.addCluster('dev-apps');
    const definition = TASK_DEFINITION('payments-api-dev');
    definition.containerDefinitions[0]!.name = 'web';
    dev.addService({
      cluster: 'dev-apps',
      name: 'payments-api-dev',
      taskDefinition: dev.seedTaskDefinition(definition),
      deploymentConfiguration: GOOD_DEPLOYMENT_CONFIGURATION,
    });
    const fakes = await world({ ecs: dev, ecr: (await goodRegion(DEV_REGION, 'dev')).ecr });
    const diagnostics = await check(fakes);
    expect(codes(diagnostics)).toEqual(['PF006']);
    expect(diagnostics[0]).toMatchObject({
      severity: 'error',
      path: ['stages', 1, 'steps', 0, 'container'],
      expected: 'one of web, log-router',
      found: 'app',
      location: positionOf(source, "'app'", "environment: 'dev'"),
    });
    expect(diagnostics[0]!.message).toContain('payments-api-dev:1');
    expect(dev.callsTo('DescribeTaskDefinition').map((c) => c.body.taskDefinition)).toEqual([
      `arn:aws:ecs:${DEV_REGION}:${ACCOUNT}:task-definition/payments-api-dev:1`,
    ]);
  });

  it('reports an EC2 launch type and an EC2 capacity provider as not Fargate', async () => {
    const dev = await ecsFake(DEV_REGION);
    dev.addCluster('dev-apps');
    dev.addService({
      cluster: 'dev-apps',
      name: 'payments-api-dev',
      taskDefinition: dev.seedTaskDefinition(TASK_DEFINITION('payments-api-dev')),
      deploymentConfiguration: GOOD_DEPLOYMENT_CONFIGURATION,
      launchType: 'EC2',
    });
    const prod = await ecsFake(PROD_REGION);
    // No strategy on the service: the cluster's default strategy applies.
    prod.addCluster('prod-apps', { defaultCapacityProviderStrategy: [{ capacityProvider: 'asg-m7g', weight: 1 }] });
    prod.addService({
      cluster: 'prod-apps',
      name: 'payments-api-prod',
      taskDefinition: prod.seedTaskDefinition(TASK_DEFINITION('payments-api-prod')),
      deploymentConfiguration: GOOD_DEPLOYMENT_CONFIGURATION,
      capacityProviderStrategy: [],
    });
    const fakes = await world(
      { ecs: dev, ecr: (await goodRegion(DEV_REGION, 'dev')).ecr },
      { ecs: prod, ecr: await ecrFake(PROD_REGION) },
    );
    const diagnostics = await check(fakes);
    expect(diagnostics.map((d) => [d.code, d.severity, d.found])).toEqual([
      ['PF005', 'error', 'launch type EC2'],
      ['PF005', 'error', 'capacity providers asg-m7g (cluster default)'],
    ]);
    expect(diagnostics[0]!.location).toMatchObject(positionOf(source, "'payments-api-dev'"));
  });

  it('reports a CODE_DEPLOY controller as an error and a missing circuit breaker as a warning', async () => {
    const dev = await ecsFake(DEV_REGION);
    dev.addCluster('dev-apps');
    dev.addService({
      cluster: 'dev-apps',
      name: 'payments-api-dev',
      taskDefinition: dev.seedTaskDefinition(TASK_DEFINITION('payments-api-dev')),
      deploymentController: 'CODE_DEPLOY',
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 },
    });
    const fakes = await world({ ecs: dev, ecr: (await goodRegion(DEV_REGION, 'dev')).ecr });
    const diagnostics = await check(fakes);
    expect(diagnostics.map((d) => [d.code, d.severity, d.found])).toEqual([
      ['PF007', 'error', 'CODE_DEPLOY'],
      ['PF008', 'warning', '{"enable":true,"rollback":false}'],
    ]);
  });

  it('reports mutable tags, including an exclusion filter that matches commit-SHA tags', async () => {
    const dev = await goodRegion(DEV_REGION, 'dev');
    const ecr = await ecrFake(DEV_REGION);
    ecr.addRepository({ name: 'payments-api', imageTagMutability: 'MUTABLE' });
    ecr.setRegistryScanning('BASIC', [{ scanFrequency: 'SCAN_ON_PUSH', filters: ['payments-*'] }]);
    let fakes = await world({ ecs: dev.ecs, ecr });
    let diagnostics = await check(fakes);
    expect(diagnostics.map((d) => [d.code, d.severity, d.found])).toEqual([['PF010', 'error', 'MUTABLE']]);
    expect(diagnostics[0]).toMatchObject({
      path: ['stages', 0, 'steps', 1, 'repository'],
      location: positionOf(source, "'payments-api'", 'ecrPush('),
    });

    await cleanUp();
    const loose = await ecrFake(DEV_REGION);
    loose.addRepository({ name: 'payments-api', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['sha256-*', '*'], scanOnPush: true });
    fakes = await world({ ecs: (await goodRegion(DEV_REGION, 'dev')).ecs, ecr: loose });
    diagnostics = await check(fakes);
    expect(diagnostics.map((d) => [d.code, d.found])).toEqual([['PF010', '*']]);
  });

  it('reports a repository without scanning, and one whose registry rules do not match it', async () => {
    const ecr = await ecrFake(DEV_REGION);
    ecr.addRepository({ name: 'payments-api', scanOnPush: false });
    let fakes = await world({ ecs: (await goodRegion(DEV_REGION, 'dev')).ecs, ecr });
    let diagnostics = await check(fakes);
    expect(codes(diagnostics)).toEqual(['PF011']);
    expect(diagnostics[0]!.message).toContain('repository scan-on-push is off and the registry has no BASIC scan-on-push rule');

    await cleanUp();
    // ENHANCED: the repository-level setting no longer counts, only matching rules do.
    const enhanced = await ecrFake(DEV_REGION);
    enhanced.addRepository({ name: 'payments-api', scanOnPush: true });
    enhanced.setRegistryScanning('ENHANCED', [{ scanFrequency: 'CONTINUOUS_SCAN', filters: ['ledger-*'] }]);
    fakes = await world({ ecs: (await goodRegion(DEV_REGION, 'dev')).ecs, ecr: enhanced });
    diagnostics = await check(fakes);
    expect(codes(diagnostics)).toEqual(['PF011']);
    expect(diagnostics[0]!.message).toContain('no ENHANCED registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) matches "payments-api"');
  });

  it('reports a missing repository', async () => {
    const ecr = await ecrFake(DEV_REGION);
    ecr.addRepository({ name: 'payments-api-old' });
    const fakes = await world({ ecs: (await goodRegion(DEV_REGION, 'dev')).ecs, ecr });
    const diagnostics = await check(fakes);
    expect(diagnostics.map((d) => [d.code, d.severity, d.found])).toEqual([['PF009', 'error', 'RepositoryNotFoundException']]);
    expect(diagnostics[0]!.message).toBe(`ECR repository "payments-api" not found (registry ${ACCOUNT}, ${DEV_REGION})`);
    expect(diagnostics[0]!.location).toMatchObject({ file: PIPELINE_FILE, ...positionOf(source, "'payments-api'", 'ecrPush(') });
  });

  it('turns AWS errors into PF015 findings at the field concerned; throttling is retried away', async () => {
    const fakes = await world();
    fakes[DEV_REGION]!.ecs.injectErrors({ operation: 'DescribeServices', count: 1, type: 'AccessDeniedException', message: 'not authorized to perform ecs:DescribeServices' });
    fakes[PROD_REGION]!.ecs.injectErrors({ operation: 'DescribeClusters', count: 2, type: 'ThrottlingException' });
    const diagnostics = await check(fakes);
    expect(codes(diagnostics)).toEqual(['PF015']);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', path: ['stages', 1, 'steps', 0, 'service'] });
    expect(diagnostics[0]!.message).toContain('DescribeServices failed: AccessDeniedException: not authorized to perform ecs:DescribeServices');
    expect(fakes[PROD_REGION]!.ecs.callsTo('DescribeClusters').map((c) => c.status)).toEqual([400, 400, 200]);
  });
});

describe('preflight --env', () => {
  it('checks only the chosen environment: no call reaches the other region', async () => {
    const brokenProd = await ecsFake(PROD_REGION);
    const fakes = await world(undefined, { ecs: brokenProd, ecr: await ecrFake(PROD_REGION) });
    expect(await check(fakes, 'dev')).toEqual([]);
    expect(brokenProd.calls).toEqual([]);
    expect(fakes[DEV_REGION]!.ecs.calls.length).toBeGreaterThan(0);
    // The repository is in dev's account, so a dev run checks it too.
    expect(fakes[DEV_REGION]!.ecr.calls.map((c) => c.operation)).toContain('DescribeRepositories');

    const prodOnly = await check(fakes, 'prod');
    expect(codes(prodOnly)).toEqual(['PF001']);
  });
});

describe('preflight across accounts', () => {
  it('does not check targets in another account than the credentials, and says so', async () => {
    run = await compile(pipelineSource({ prodAccount: OTHER_ACCOUNT }));
    try {
      const fakes = await world();
      const diagnostics = await check(fakes);
      expect(diagnostics.map((d) => [d.code, d.severity, d.path?.at(-1)])).toEqual([['PF014', 'warning', 'cluster']]);
      expect(diagnostics[0]!.message).toContain(`in account ${OTHER_ACCOUNT}, but these credentials are for account ${ACCOUNT}`);
      expect(fakes[PROD_REGION]!.ecs.callsTo('DescribeServices')).toHaveLength(0);
      // --env prod selects the prod target and, its account owning no registry, no repository.
      const prodOnly = await check(fakes, 'prod');
      expect(codes(prodOnly)).toEqual(['PF014', 'PF016']);
      expect(prodOnly[1]!.severity).toBe('error');
    } finally {
      run = await compile(pipelineSource());
    }
  });
});

describe('preflight with pipeline.environments', () => {
  it('checks an ECS environment target no deploy step covers, located in environments[i].target', async () => {
    const extraEnvironment = pipelineSource().replace(
      "  agent: 'none',\n",
      `  agent: 'none',
  environments: [
    {
      name: 'stage',
      awsAccountId: '${ACCOUNT}',
      region: '${DEV_REGION}',
      deployRole: 'ecs-deployer-stage',
      agentLabel: 'stage-deployer',
      target: { kind: 'ecs', cluster: 'dev-apps', service: 'payments-api-stage', container: 'app' },
    },
  ],
`,
    );
    run = await compile(extraEnvironment);
    try {
      const fakes = await world();
      const diagnostics = await check(fakes, 'stage');
      expect(diagnostics.map((d) => [d.code, d.path])).toEqual([['PF003', ['environments', 0, 'target', 'service']]]);
      expect(diagnostics[0]!.location).toMatchObject(positionOf(source, "'payments-api-stage'"));
    } finally {
      run = await compile(pipelineSource());
    }
  });
});

describe('read-only guard', () => {
  it('refuses a write operation before it is sent', async () => {
    const fakes = await world();
    const client = new ECSClient({ region: DEV_REGION, endpoint: fakes[DEV_REGION]!.ecs.endpoint, credentials: CREDENTIALS });
    const remove = guardReadOnly(client);
    try {
      await expect(client.send(new UpdateServiceCommand({ cluster: 'dev-apps', service: 'payments-api-dev', forceNewDeployment: true }))).rejects.toBeInstanceOf(
        ReadOnlyViolation,
      );
      expect(fakes[DEV_REGION]!.ecs.calls).toEqual([]);
      remove();
      // Without the guard the same client reaches the endpoint: the guard, not the setup, refused it.
      await client.send(new UpdateServiceCommand({ cluster: 'dev-apps', service: 'payments-api-dev', forceNewDeployment: true }));
      expect(fakes[DEV_REGION]!.ecs.callsTo('UpdateService')).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });
});

describe('filters', () => {
  it('follows ECR scanning-filter semantics (AWS documentation table)', () => {
    const names = ['prod', 'repo-prod', 'prod-repo', 'repo-prod-repo', 'prodrepo'];
    const table: Record<string, boolean[]> = {
      prod: [true, true, true, true, true],
      '*prod': [true, true, false, false, false],
      'prod*': [true, false, true, false, true],
      '*prod*': [true, true, true, true, true],
      'prod*repo': [false, false, true, false, true],
    };
    for (const [filter, expected] of Object.entries(table)) {
      expect(names.map((name) => scanFilterMatches(filter, name)), filter).toEqual(expected);
    }
  });

  it('knows which tag exclusions can match a commit SHA', () => {
    expect(['*', 'a*', '*0', 'deadbeef', '**'].map(canMatchCommitTag)).toEqual([true, true, true, true, true]);
    expect(['sha256-*', 'latest', 'v*', 'abc', '*.sig', 'release-*'].map(canMatchCommitTag)).toEqual([false, false, false, false, false, false]);
  });
});

/**
 * The CLI end to end, as in CI: `pipewright preflight` through the command table, clients from
 * the SDK's default chains, endpoints from AWS_ENDPOINT_URL_ECS / AWS_ENDPOINT_URL_ECR and
 * credentials from the environment. One ECS and one ECR fake serve both regions here.
 */
describe('pipewright preflight (CLI)', () => {
  const AWS_VARIABLES = [
    'AWS_ENDPOINT_URL_ECS', 'AWS_ENDPOINT_URL_ECR', 'AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_EC2_METADATA_DISABLED', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', 'AWS_ENDPOINT_URL_CLOUDWATCH', 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  ];
  let saved: Record<string, string | undefined>;
  let ecs: FakeEcs;
  let ecr: FakeEcr;
  let cw: FakeCloudWatch;

  /** Both services in one fake ECS; `broken` leaves one out or breaks it. */
  async function startFakes(broken?: 'no-prod-service' | 'dev-container' | 'no-breaker'): Promise<void> {
    ecs = await ecsFake(DEV_REGION);
    ecr = await ecrFake(DEV_REGION);
    for (const env of ['dev', 'prod'] as const) {
      ecs.addCluster(`${env}-apps`);
      if (env === 'prod' && broken === 'no-prod-service') continue;
      const definition = TASK_DEFINITION(`payments-api-${env}`);
      if (env === 'dev' && broken === 'dev-container') definition.containerDefinitions[0]!.name = 'web';
      ecs.addService({
        cluster: `${env}-apps`,
        name: `payments-api-${env}`,
        taskDefinition: ecs.seedTaskDefinition(definition),
        deploymentConfiguration: broken === 'no-breaker' ? { maximumPercent: 200, minimumHealthyPercent: 100 } : GOOD_DEPLOYMENT_CONFIGURATION,
      });
    }
    ecr.addRepository({ name: 'payments-api', imageTagMutability: 'IMMUTABLE' });
    ecr.setRegistryScanning('BASIC', [{ scanFrequency: 'SCAN_ON_PUSH', filters: ['*'] }]);
    process.env.AWS_ENDPOINT_URL_ECS = ecs.endpoint;
    process.env.AWS_ENDPOINT_URL_ECR = ecr.endpoint;
    cw = await goodCloudWatch(DEV_REGION, ['dev', 'prod']);
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH = cw.endpoint;
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = cw.endpoint;
  }

  const cli = (...argv: string[]) => runCli(['preflight', ...argv], project.root);
  const allOperations = () => [...ecs.calls, ...ecr.calls, ...cw.calls].map((call) => call.operation);

  beforeAll(() => {
    saved = Object.fromEntries(AWS_VARIABLES.map((name) => [name, process.env[name]]));
  });
  beforeEach(() => {
    for (const name of AWS_VARIABLES) delete process.env[name];
    process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    process.env.AWS_CONFIG_FILE = join(project.root, 'no-aws-config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(project.root, 'no-aws-credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('--format json: a good setup exits 0 with no findings; only reads reach AWS, signed per region', async () => {
    await startFakes();
    const result = await cli('--format', 'json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ tool: { name: 'pipewright preflight' }, failOn: 'error', summary: { errors: 0, warnings: 0, failed: false } });
    expect(report.pipelines.map((p: { source: string; findings: unknown[] }) => [p.source, p.findings])).toEqual([[PIPELINE_FILE, []]]);
    expect(report.rules.map((r: { id: string }) => r.id)).toEqual(Object.keys(PREFLIGHT_CHECKS));
    expect(new Set(allOperations())).toEqual(new Set(PREFLIGHT_OPERATIONS));
    // One client per target region, each signing for its own region.
    const scopes = ecs.calls.map((call) => /Credential=[^/]+\/\d+\/([^/]+)\//.exec(call.authorization ?? '')?.[1]);
    expect(new Set(scopes)).toEqual(new Set([DEV_REGION, PROD_REGION]));
  });

  it('--format json: a missing service exits 1 with the finding at the pipeline\'s TS location', async () => {
    await startFakes('no-prod-service');
    const result = await cli('--format', 'json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.summary).toMatchObject({ errors: 1, warnings: 0, failed: true });
    expect(report.pipelines[0].findings).toEqual([
      expect.objectContaining({
        rule: 'PF003',
        severity: 'error',
        path: 'stages[2].steps[0].service',
        location: expect.objectContaining({ file: PIPELINE_FILE, ...positionOf(source, "'payments-api-prod'") }),
        found: 'MISSING',
      }),
    ]);
    for (const operation of allOperations()) expect(operation).toMatch(/^(Describe|Get|List)[A-Z]/);
  });

  it('--format sarif --output: valid SARIF 2.1.0 with the rule, level and region of each finding', async () => {
    await startFakes('dev-container');
    const result = await cli('--env', 'dev', '--format', 'sarif', '--output', 'reports/preflight-dev.sarif');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('sarif report written to reports/preflight-dev.sarif');
    const sarif = JSON.parse(readFileSync(project.path('reports/preflight-dev.sarif'), 'utf8'));
    const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
    // The SARIF schema's language pattern is not valid with the `u` flag, hence unicodeRegExp: false.
    const ajv = new Ajv4({ allErrors: true, strict: false, unicodeRegExp: false });
    ajvFormats.default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const [run0] = sarif.runs;
    expect(run0.tool.driver.name).toBe('pipewright preflight');
    expect(run0.results).toHaveLength(1);
    const [finding] = run0.results;
    expect(finding).toMatchObject({ ruleId: 'PF006', level: 'error' });
    expect(run0.tool.driver.rules[finding.ruleIndex]).toMatchObject({ id: 'PF006', shortDescription: { text: 'container not in the service task definition' } });
    const at = positionOf(source, "'app'", "environment: 'dev'");
    expect(finding.locations[0].physicalLocation).toMatchObject({
      artifactLocation: { uri: PIPELINE_FILE, uriBaseId: '%SRCROOT%' },
      region: { startLine: at.line, startColumn: at.column },
    });
    // --env dev: the prod service was never asked about.
    expect(ecs.callsTo('DescribeServices').map((c) => c.body.cluster)).toEqual(['dev-apps']);
  });

  it('warnings do not fail the run; junit, github and text carry them', async () => {
    await startFakes('no-breaker');
    const junit = await cli('--format', 'junit');
    expect(junit.code).toBe(0);
    const doc = new JSDOM(junit.stdout, { contentType: 'text/xml' }).window.document;
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(doc.getElementsByTagName('testsuites')[0]!.getAttribute('name')).toBe('pipewright preflight');
    const cases = [...doc.getElementsByTagName('testcase')];
    expect(cases.map((c) => c.getAttribute('name')!.split(' ')[0])).toEqual(
      ['PF001', 'PF002', 'PF003', 'PF004', 'PF005', 'PF006', 'PF007', 'PF008', 'PF009', 'PF010', 'PF011', 'PF012', 'PF013', 'PF014', 'PF015', 'PF016'],
    );
    expect(doc.getElementsByTagName('failure')).toHaveLength(0);
    const breaker = cases.find((c) => c.getAttribute('name')!.startsWith('PF008'))!;
    expect(breaker.getElementsByTagName('system-out')[0]!.textContent).toMatch(/warning PF008 at stages\[1\]\.steps\[0\]\.service/);

    const github = await cli('--format', 'github', '--env', 'prod');
    expect(github.code).toBe(0);
    const at = positionOf(source, "'payments-api-prod'");
    expect(github.stdout.split('\n')[0]).toMatch(
      new RegExp(`^::warning file=pipelines/payments-api\\.pipeline\\.ts,line=${at.line},col=${at.column},endLine=${at.line},endColumn=\\d+,title=PF008 deployment circuit breaker with rollback not enabled::\\[prod\\] ECS service "payments-api-prod" has the deployment circuit breaker off`),
    );

    const text = await cli();
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(PIPELINE_FILE);
    expect(text.stdout).toMatch(new RegExp(`${at.line}:${at.column}\\s+warning\\s+PF008\\s+\\[prod\\] ECS service "payments-api-prod"`));
    expect(text.stdout).toContain(`> ${String(at.line).padStart(2)} |           service: 'payments-api-prod',`);
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe('pipewright preflight: 1 pipeline(s): 0 errors, 2 warnings, 0 info; 0 suppressed - passed (failOn: error)');
  });

  it('exits 2 for usage errors, an unknown environment and a pipeline that does not compile, without calling AWS', async () => {
    await startFakes();
    const badFormat = await cli('--format', 'xml');
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format must be one of text, json, sarif, junit, github');
    expect((await cli('--bogus')).code).toBe(2);
    const unknownEnv = await cli('--env', 'qa');
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stderr).toContain('no pipeline deploys to an ECS environment "qa" (environments: dev, prod)');
    expect((await cli('--help')).code).toBe(0);

    project.write('pipelines/broken.pipeline.ts', `import { definePipeline, ecsDeploy } from 'pipewright';

export default definePipeline({
  agent: 'any',
  stages: [{ name: 'Deploy', steps: [ecsDeploy({ environment: 'dev', cluster: 'dev-apps' } as never)] }],
});
`);
    try {
      const broken = await cli('--format', 'json');
      expect(broken.code).toBe(2);
      expect(broken.stdout).toBe('');
      expect(broken.stderr).toMatch(/pipelines\/broken\.pipeline\.ts:\d+:\d+ - error PW2\d{3}/);
      expect(broken.stderr).toContain('no AWS call was made');
    } finally {
      project.remove();
      project = createTempProject();
      run = await compile(pipelineSource());
    }
    expect(allOperations()).toEqual([]);
  });
});
