/**
 * ecs-deploy keeps its bounds: a hung AWS call, SIGTERM, an unusable evidence path and a bad image
 * reference. The hang and signal cases run the real CLI in its own process (bundled from src/ with
 * esbuild) against test/aws/fake-ecs-server.ts in black-hole mode, and time it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  EcsDeployUsageError,
  checkEvidencePath,
  createEcsClient,
  ecsDeploy,
  parseDigestImageRef,
  type EcsDeployOptions,
} from '../../src/aws/ecs-deploy.ts';
import { runEcsDeployCli } from '../../src/cli/ecs-deploy.ts';
import { FakeEcs } from './fake-ecs-server.ts';

const ACCOUNT = '210987654321';
const REGION = 'eu-central-1';
const CLUSTER = 'payments';
const SERVICE = 'payments-api';
const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const NEW_IMAGE = `${REGISTRY}/payments-api@${DIGEST}`;
const KEY_ID = 'AKIDFAKELIMITS';

async function startWorld() {
  const fake = await FakeEcs.start({ region: REGION, accountId: ACCOUNT });
  fake.addCluster(CLUSTER);
  const previousArn = fake.seedTaskDefinition({
    family: 'payments-api',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'app', image: `${REGISTRY}/payments-api@sha256:${'1'.repeat(64)}`, essential: true }],
  });
  fake.addService({ cluster: CLUSTER, name: SERVICE, taskDefinition: previousArn, desiredCount: 2 });
  return { fake, previousArn };
}

let workDir: string;
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'pw-ecs-limits-'));
});
afterEach(() => {
  rmSync(workDir, { recursive: true, force: true });
});

// ---- the real CLI in its own process --------------------------------------------------------

let bundleDir: string;
let cliBundle: string;

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'pw-ecs-cli-'));
  const entry = join(bundleDir, 'entry.ts');
  const cliModule = resolve(import.meta.dirname, '../../src/cli/ecs-deploy.ts');
  writeFileSync(
    entry,
    `import { runEcsDeployCli } from ${JSON.stringify(cliModule)};\n` +
      'process.exitCode = await runEcsDeployCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });\n',
  );
  cliBundle = join(bundleDir, 'ecs-deploy-cli.mjs');
  await build({
    entryPoints: [entry],
    outfile: cliBundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    // The SDK is CommonJS and requires Node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
}, 60_000);

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

interface RunningCli {
  child: ChildProcess;
  startedAt: number;
  output: () => { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }>;
}

function startCli(fake: FakeEcs, argv: string[]): RunningCli {
  const child = spawn(process.execPath, [cliBundle, ...argv], {
    cwd: workDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL_ECS: fake.endpoint,
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'fake-secret',
      AWS_REGION: REGION,
      AWS_CONFIG_FILE: join(workDir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      BUILD_URL: 'https://jenkins.example.internal/job/payments-api/7/',
    },
  });
  const startedAt = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal, seconds: (Date.now() - startedAt) / 1000 })),
  );
  return { child, startedAt, output: () => ({ stdout, stderr }), exited };
}

/** Waits for `exited`, killing the child (SIGKILL) if it outlives `limitSeconds`: a hang fails the test instead of the run. */
async function exitWithin(cli: RunningCli, limitSeconds: number) {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<'overdue'>((done) => (timer = setTimeout(() => done('overdue'), limitSeconds * 1000)));
  const result = await Promise.race([cli.exited, overdue]);
  clearTimeout(timer);
  if (result === 'overdue') {
    cli.child.kill('SIGKILL');
    await cli.exited;
    const { stdout, stderr } = cli.output();
    throw new Error(`ecs-deploy still running after ${limitSeconds}s\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
  return result;
}

async function until(condition: () => boolean, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

const cliArgs = (evidence: string, ...extra: string[]) => [
  '--cluster', CLUSTER, '--service', SERVICE, '--container', 'app', '--image', NEW_IMAGE, '--evidence', evidence, ...extra,
];

describe('ecs-deploy CLI process against a black-holed endpoint', () => {
  let fake: FakeEcs;
  let previousArn: string;
  beforeEach(async () => {
    ({ fake, previousArn } = await startWorld());
  });
  afterEach(async () => {
    await fake.close();
  });

  it('a call that never answers after UpdateService: exits within --timeout + --rollback-timeout, evidence final', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' });
    fake.blackHoleAfter('UpdateService');
    const cli = startCli(fake, cliArgs('evidence/deploy.json', '--timeout', '5s', '--rollback-timeout', '3s', '--poll-interval', '500ms'));
    const exit = await exitWithin(cli, 25);
    const { stdout, stderr } = cli.output();

    const exitedAt = Date.now();
    expect(exit.code, `${stdout}\n${stderr}`).toBe(1);
    // 5 s release bound + 3 s rollback bound, counted from the process's first AWS call (the
    // process start and the bundle load come before it), plus a little slack for a busy machine.
    const afterFirstCall = (exitedAt - fake.calls[0]!.receivedAt) / 1000;
    expect(afterFirstCall).toBeGreaterThanOrEqual(7);
    expect(afterFirstCall).toBeLessThan(8 + 3);
    expect(fake.callsTo('UpdateService').map((call) => call.status)).toEqual([200]);
    expect(fake.calls.filter((call) => call.status === 0).length).toBeGreaterThanOrEqual(2);
    const evidence = JSON.parse(readFileSync(join(workDir, 'evidence/deploy.json'), 'utf8'));
    expect(evidence).toMatchObject({ outcome: 'rollback-failed', previousTaskDefinitionArn: previousArn, rollback: null });
    expect(evidence.finishedAt).not.toBeNull();
    expect(evidence.reason).toMatch(/did not reach COMPLETED in time/);
    expect(evidence.reason).toMatch(/DescribeServices cancelled: the rollback timeout of 3s is reached/);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/^ecs-deploy: rollback-failed: /);
  }, 40_000);

  it('SIGTERM while a call hangs: cancels it, tries the rollback within --abort-grace, writes final evidence, exits 1', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' });
    fake.blackHoleAfter('UpdateService');
    const cli = startCli(fake, cliArgs('deploy.json', '--timeout', '10m', '--abort-grace', '3s', '--poll-interval', '200ms'));
    // The first poll after UpdateService is swallowed: the process now waits on a dead connection.
    await until(() => fake.calls.some((call) => call.status === 0), 15_000, 'a swallowed call');
    await new Promise((done) => setTimeout(done, 300));
    const signalledAt = Date.now();
    cli.child.kill('SIGTERM');
    const exit = await exitWithin(cli, 20);
    const afterSignal = (Date.now() - signalledAt) / 1000;
    const { stdout, stderr } = cli.output();

    expect(exit.code, `${stdout}\n${stderr}`).toBe(1);
    expect(exit.signal).toBeNull();
    expect(afterSignal).toBeGreaterThanOrEqual(2.5);
    expect(afterSignal).toBeLessThan(3 + 3);
    expect(stderr).toContain('ecs-deploy: received SIGTERM; cancelling the AWS call in flight and rolling back (at most 3s');
    const evidence = JSON.parse(readFileSync(join(workDir, 'deploy.json'), 'utf8'));
    expect(evidence.outcome).toBe('rollback-failed');
    expect(evidence.finishedAt).not.toBeNull();
    expect(evidence.reason).toMatch(/^aborted while waiting for payments-api:2 \(received SIGTERM\)/);
    expect(evidence.reason).toMatch(/cancelled: the abort grace of 3s is used up/);
  }, 40_000);

  it('SIGTERM with a responsive endpoint: rolls back to the previous revision and says so', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' }, { kind: 'complete', afterPolls: 2 });
    const cli = startCli(fake, cliArgs('deploy.json', '--timeout', '10m', '--poll-interval', '200ms'));
    await until(() => /poll 1:/.test(cli.output().stdout), 15_000, 'the first poll');
    cli.child.kill('SIGTERM');
    const exit = await exitWithin(cli, 15);
    const { stdout, stderr } = cli.output();

    expect(exit.code, `${stdout}\n${stderr}`).toBe(1);
    expect(fake.callsTo('UpdateService').at(-1)?.body).toEqual({ cluster: CLUSTER, service: SERVICE, taskDefinition: previousArn });
    expect(fake.service(CLUSTER, SERVICE).taskDefinition).toBe(previousArn);
    const evidence = JSON.parse(readFileSync(join(workDir, 'deploy.json'), 'utf8'));
    expect(evidence).toMatchObject({ outcome: 'rolled-back', rollback: { initiatedBy: 'ecs-deploy', completed: true } });
    expect(evidence.reason).toMatch(/^aborted while waiting for payments-api:2 \(received SIGTERM\); service is back on payments-api:1/);
  }, 30_000);
});

describe('ecsDeploy bounds (library)', () => {
  let fake: FakeEcs;
  let client: ReturnType<typeof createEcsClient>;
  beforeEach(async () => {
    ({ fake } = await startWorld());
    client = createEcsClient({ endpoint: fake.endpoint, region: REGION, credentials: { accessKeyId: KEY_ID, secretAccessKey: 'x' } });
  });
  afterEach(async () => {
    client.destroy();
    await fake.close();
  });
  const options = (overrides: Partial<EcsDeployOptions>): EcsDeployOptions => ({
    cluster: CLUSTER,
    service: SERVICE,
    image: NEW_IMAGE,
    container: 'app',
    pollIntervalMs: 50,
    env: {},
    workingDirectory: workDir,
    ...overrides,
  });

  it('UpdateService itself never answers: cancelled at the deadline, then the rollback is bounded too', async () => {
    fake.blackHoleAfter('UpdateService', 0);
    const started = Date.now();
    const result = await ecsDeploy(options({ timeoutMs: 1000, rollbackTimeoutMs: 800 }), { client, log: () => {} });
    const seconds = (Date.now() - started) / 1000;

    expect(seconds).toBeLessThan(1 + 0.8 + 1);
    expect(result.outcome).toBe('rollback-failed');
    expect(result.reason).toMatch(/^UpdateService cancelled: the release timeout of 1s is reached; rollback to payments-api:1 not confirmed: DescribeServices cancelled: the rollback timeout of 800ms is reached$/);
  });

  it('an abort whose rollback is started but not seen COMPLETED within the grace ends as aborted', async () => {
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'never-complete' }, { kind: 'never-complete' });
    const abort = new AbortController();
    const evidenceFile = join(workDir, 'aborted.json');
    const result = await ecsDeploy(options({ signal: abort.signal, abortGraceMs: 400, evidenceFile }), {
      client,
      log: (line) => {
        if (line.includes(' poll 1:')) abort.abort(new Error('received SIGINT'));
      },
    });

    expect(result.outcome).toBe('aborted');
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^aborted while waiting for payments-api:2 \(received SIGINT\); rollback to payments-api:1 started \(deployment ecs-svc\/\d+, by ecs-deploy\) but not seen COMPLETED before stopping/);
    expect(result.evidence.rollback).toMatchObject({ initiatedBy: 'ecs-deploy', completed: false });
    expect(JSON.parse(readFileSync(evidenceFile, 'utf8')).outcome).toBe('aborted');
  });

  it('every SDK client call carries a request timeout that throws (not only a warning)', async () => {
    fake.blackHoleAfter('DescribeServices', 0);
    const quick = createEcsClient({
      endpoint: fake.endpoint,
      region: REGION,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: 'x' },
      maxAttempts: 2,
      requestTimeoutMs: 300,
    });
    const started = Date.now();
    const result = await ecsDeploy(options({ timeoutMs: 60_000 }), { client: quick, log: () => {} });
    quick.destroy();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.outcome).toBe('failed-before-update');
    expect(result.reason).toMatch(/^TimeoutError: .*exceeded the configured 300 ms requestTimeout/);
    expect(fake.callsTo('DescribeServices').map((call) => call.sdkRequest)).toEqual(['attempt=1; max=2', 'attempt=2; max=2']);
  });
});

describe('evidence path checked up front', () => {
  let fake: FakeEcs;
  beforeEach(async () => {
    ({ fake } = await startWorld());
  });
  afterEach(async () => {
    await fake.close();
  });
  const io = (sink: { out: string; err: string }) => ({
    stdout: { write: (text: string) => (sink.out += text) },
    stderr: { write: (text: string) => (sink.err += text) },
    env: {},
    cwd: workDir,
  });

  it('unusable paths: exit 2 at once with the reason, before any AWS call', async () => {
    writeFileSync(join(workDir, 'a-file'), 'x');
    mkdirSync(join(workDir, 'a-dir'));
    const cases: Array<[string, RegExp]> = [
      ['/proc/nope/x.json', /evidence file "\/proc\/nope\/x\.json": directory \/proc\/nope does not exist \(only directories inside the working directory .* are created\)/],
      ['/proc/x.json', /evidence file "\/proc\/x\.json": cannot create files in \/proc/],
      ['a-dir', /evidence file "\/.*\/a-dir": is a directory/],
      ['a-file/x.json', /evidence file "\/.*\/a-file\/x\.json": \/.*\/a-file is not a directory/],
      [join(tmpdir(), `pw-missing-${process.pid}`, 'x.json'), /does not exist \(only directories inside the working directory/],
    ];
    for (const [path, message] of cases) {
      const sink = { out: '', err: '' };
      const started = Date.now();
      const code = await runEcsDeployCli(['--cluster', CLUSTER, '--service', SERVICE, '--image', NEW_IMAGE, '--evidence', path], {
        ...io(sink),
      });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(code, sink.err).toBe(2);
      expect(sink.err).toMatch(message);
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('a missing directory inside the working directory is created (level by level) at the first write', async () => {
    expect(await checkEvidencePath('out/deep/x.json', workDir)).toBe(join(workDir, 'out/deep/x.json'));
    expect(existsSync(join(workDir, 'out'))).toBe(false); // the check creates nothing
    fake.queueRollout(CLUSTER, SERVICE, { kind: 'complete', afterPolls: 1 });
    const client = createEcsClient({ endpoint: fake.endpoint, region: REGION, credentials: { accessKeyId: KEY_ID, secretAccessKey: 'x' } });
    const result = await ecsDeploy(
      { cluster: CLUSTER, service: SERVICE, image: NEW_IMAGE, pollIntervalMs: 5, evidenceFile: 'out/deep/x.json', workingDirectory: workDir, env: {} },
      { client, log: () => {} },
    );
    client.destroy();
    expect(result.outcome).toBe('success');
    expect(JSON.parse(readFileSync(join(workDir, 'out/deep/x.json'), 'utf8')).outcome).toBe('success');
  });
});

describe('--image is validated in full', () => {
  const hex = 'c'.repeat(64);
  it('accepts ECR, other registries and Docker Hub names by digest', () => {
    for (const image of [
      `${REGISTRY}/payments-api@sha256:${hex}`,
      `${REGISTRY}/team/payments.api_v2@sha256:${hex}`,
      `${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com/ab@sha256:${hex}`,
      `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app@sha256:${hex}`,
      `registry.local:5000/team/my__app@sha256:${hex}`,
      `localhost/app@sha256:${hex}`,
      `library/nginx@sha256:${hex}`,
    ]) {
      expect(parseDigestImageRef(image).digest, image).toBe(`sha256:${hex}`);
    }
  });

  it('refuses repository names ECR would refuse, and hosts that are not registries', () => {
    const refused: Array<[string, RegExp]> = [
      [`$(id)@sha256:${hex}`, /image repository "\$\(id\)" is not a valid repository name/],
      [`${REGISTRY}/$(id)@sha256:${hex}`, /image repository "\$\(id\)" is not a valid ECR repository name/],
      [`${REGISTRY}/Payments@sha256:${hex}`, /is not a valid ECR repository name/],
      [`${REGISTRY}/pay--ments@sha256:${hex}`, /is not a valid ECR repository name/],
      [`${REGISTRY}/a@sha256:${hex}`, /is not a valid ECR repository name \(2-256 characters/],
      [`${REGISTRY}/${'a'.repeat(257)}@sha256:${hex}`, /is not a valid ECR repository name/],
      [`${REGISTRY}/team//app@sha256:${hex}`, /is not a valid ECR repository name/],
      [`${REGISTRY}/app/@sha256:${hex}`, /is not a valid ECR repository name/],
      [`${REGISTRY}/-app@sha256:${hex}`, /is not a valid ECR repository name/],
      [`12345.dkr.ecr.${REGION}.amazonaws.com/app@sha256:${hex}`, /image registry "12345\.dkr\.ecr\.eu-central-1\.amazonaws\.com" is not an ECR registry host/],
      [`${ACCOUNT}.dkr.ecr.amazonaws.com/app@sha256:${hex}`, /is not an ECR registry host/],
      [`evil_host.example:5000/app@sha256:${hex}`, /image registry "evil_host\.example:5000" is not a host name/],
      [`reg.example/a;b@sha256:${hex}`, /image repository "a;b" is not a valid repository name/],
      [`reg.example/a b@sha256:${hex}`, /deploy by digest/],
    ];
    for (const [image, message] of refused) {
      expect(() => parseDigestImageRef(image), image).toThrow(EcsDeployUsageError);
      expect(() => parseDigestImageRef(image), image).toThrow(message);
    }
  });

  it('the CLI refuses `$(id)@sha256:…` with exit 2 before any AWS call', async () => {
    const sink = { out: '', err: '' };
    const code = await runEcsDeployCli(['--cluster', CLUSTER, '--service', SERVICE, '--image', `$(id)@sha256:${hex}`], {
      stdout: { write: (text: string) => (sink.out += text) },
      stderr: { write: (text: string) => (sink.err += text) },
      env: {},
      cwd: workDir,
    });
    expect(code).toBe(2);
    expect(sink.err).toMatch(/^ecs-deploy: usage error: image repository "\$\(id\)" is not a valid repository name/);
  });
});
