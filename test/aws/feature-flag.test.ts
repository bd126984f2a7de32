/**
 * The `featureFlagDeploy` script, run for real: bash, jq and the real AWS CLI, talking to the
 * AppConfig stand-in (`fake-appconfig-server.ts`) on 127.0.0.1 through `AWS_ENDPOINT_URL`. What is
 * checked is what the CLI sent, the exit status and the evidence the script wrote.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallStatement } from '../../src/jenkinsfile/ast.ts';
import { STEP_FIXTURES } from '../delivery/fixtures.ts';
import { compile, statements } from '../delivery/support.ts';
import { FakeAppConfig } from './fake-appconfig-server.ts';

/** The flag script and its `withEnv` variables, from the lowered fixture. */
function flagStep(): { script: string; env: Record<string, string> } {
  const { ast } = compile(STEP_FIXTURES['feature-flag-appconfig']!);
  for (const statement of statements(ast)) {
    if (statement.type !== 'Call' || statement.name !== 'withEnv') continue;
    const sh = statement.body?.find((s): s is CallStatement => s.type === 'Call' && s.name === 'sh');
    const script = sh?.args.named.find((a) => a.key === 'script')?.value;
    const list = statement.args.positional[0];
    if (script?.type !== 'String' || list?.type !== 'List') continue;
    const env: Record<string, string> = {};
    for (const item of list.items) {
      if (item.type !== 'String') continue;
      const at = item.value.indexOf('=');
      env[item.value.slice(0, at)] = item.value.slice(at + 1);
    }
    return { script: script.value, env };
  }
  throw new Error('no flag script in the feature-flag-appconfig fixture');
}

interface Run {
  status: number | null;
  output: string;
}

function run(script: string, cwd: string, env: Record<string, string>, onOutput?: (text: string, kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env });
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString();
      onOutput?.(output, () => child.kill('SIGTERM'));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('featureFlagDeploy script (AppConfig, real AWS CLI)', () => {
  const appconfig = new FakeAppConfig().addApplication('a1b2c3d', 'e4f5g6h');
  const { script, env: stepEnv } = flagStep();
  let endpoint = '';
  let dir = '';
  let workspace = '';
  let counter = 0;

  beforeAll(async () => {
    endpoint = await appconfig.start();
    dir = mkdtempSync(join(tmpdir(), 'pw-flags-'));
  });
  afterAll(async () => {
    await appconfig.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    appconfig.calls.length = 0;
    appconfig.account = '333333333333';
    // A fresh AppConfig environment per test: AppConfig allows one deployment at a time in each.
    counter += 1;
    workspace = mkdtempSync(join(dir, 'ws-'));
  });

  /** The environment Jenkins would give the script, pointed at the fake. */
  function env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'ASIAFAKEFLAGSDEPLOYER',
      AWS_SECRET_ACCESS_KEY: 'fake-secret',
      AWS_SESSION_TOKEN: 'fake-session',
      AWS_DEFAULT_REGION: stepEnv.PW_AWS_REGION!,
      AWS_MAX_ATTEMPTS: '1',
      PW_FLAGS_POLL_SECONDS: '0',
      JOB_NAME: 'payments-api/main',
      BUILD_NUMBER: '42',
      BUILD_URL: 'https://jenkins.example.com/job/payments-api/job/main/42/',
      GIT_COMMIT: '0123456789abcdef0123456789abcdef01234567',
      DEPLOY_APPROVER: 'alice',
      DEPLOY_CHANGE_ID: 'CHG-1234',
      ...stepEnv,
      PW_FLAGS_ENVIRONMENT: environmentId(),
      ...overrides,
    };
  }
  /** AppConfig environment id of the current test (4–7 lower-case letters and digits). */
  const environmentId = () => `env${counter}`;
  const evidence = () => JSON.parse(readFileSync(join(workspace, `evidence/flags-prod-a1b2c3d-p7q8r9s.json`), 'utf8')) as Record<string, unknown>;

  it('starts the deployment, follows it through baking to COMPLETE and records SUCCESS', async () => {
    appconfig.addApplication('a1b2c3d', 'e4f5g6h', environmentId());
    const alarm = 'arn:aws:cloudwatch:eu-west-1:333333333333:alarm:payments-api-5xx';
    appconfig.monitors.set(`a1b2c3d/${environmentId()}`, [alarm]);
    appconfig.nextScript = [{ state: 'DEPLOYING', percentage: 10 }, { state: 'DEPLOYING', percentage: 60 }, { state: 'BAKING' }, { state: 'COMPLETE' }];
    const result = await run(script, workspace, env());
    expect(result.output).toContain('are live in prod');
    expect(result.output).not.toContain('has no monitors');
    expect(result.status).toBe(0);
    expect(appconfig.callsOf('GetEnvironment').map((c) => c.path)).toEqual([`/applications/a1b2c3d/environments/${environmentId()}`]);
    const [start] = appconfig.callsOf('StartDeployment');
    expect(start?.path).toBe(`/applications/a1b2c3d/environments/${environmentId()}/deployments`);
    expect(start?.body).toMatchObject({
      ConfigurationProfileId: 'p7q8r9s',
      ConfigurationVersion: '7',
      DeploymentStrategyId: 'AppConfig.Canary10Percent20Minutes',
      Description: 'payments-api/main #42',
    });
    // Signed with the session the withAWS wrapper provides.
    expect(start?.authorization).toContain('Credential=ASIAFAKEFLAGSDEPLOYER/');
    expect(appconfig.callsOf('GetDeployment')).toHaveLength(4);
    expect(appconfig.callsOf('StopDeployment')).toEqual([]);
    expect(evidence()).toMatchObject({
      event: 'flags',
      result: 'SUCCESS',
      provider: 'appconfig',
      environment: 'prod',
      account: '333333333333',
      application: 'a1b2c3d',
      appConfigEnvironment: environmentId(),
      configurationProfile: 'p7q8r9s',
      configurationVersion: '7',
      deploymentStrategy: 'AppConfig.Canary10Percent20Minutes',
      deploymentNumber: '1',
      state: 'COMPLETE',
      monitors: [alarm],
      approver: 'alice',
      changeId: 'CHG-1234',
      gitCommit: '0123456789abcdef0123456789abcdef01234567',
    });
    expect((evidence().eventLog as { EventType: string }[]).map((e) => e.EventType)).toEqual(['DEPLOYMENT_COMPLETED', 'DEPLOYMENT_STARTED']);
  });

  it('fails the stage when an alarm makes AppConfig roll the flags back, naming the alarm', async () => {
    appconfig.addApplication('a1b2c3d', 'e4f5g6h', environmentId());
    appconfig.nextScript = [
      { state: 'DEPLOYING', percentage: 10 },
      {
        state: 'ROLLING_BACK',
        event: { type: 'ROLLBACK_STARTED', triggeredBy: 'CLOUDWATCH_ALARM', description: 'Alarm payments-api-5xx entered ALARM' },
      },
      { state: 'ROLLED_BACK' },
    ];
    const result = await run(script, workspace, env());
    expect(result.status).toBe(1);
    expect(result.output).toContain('AppConfig rolled the flag deployment back: Alarm payments-api-5xx entered ALARM (by CLOUDWATCH_ALARM)');
    // AppConfig is already rolling back: nothing to stop.
    expect(appconfig.callsOf('StopDeployment')).toEqual([]);
    expect(evidence()).toMatchObject({
      result: 'FAILURE',
      state: 'ROLLING_BACK',
      reason: 'Alarm payments-api-5xx entered ALARM (by CLOUDWATCH_ALARM)',
    });
  });

  it('fails on ROLLED_BACK reported directly (a rollback finished between two polls); warns about an environment without monitors', async () => {
    appconfig.addApplication('a1b2c3d', 'e4f5g6h', environmentId());
    appconfig.nextScript = [{ state: 'ROLLED_BACK' }];
    const result = await run(script, workspace, env());
    expect(result.status).toBe(1);
    expect(result.output).toContain(`warning: AppConfig environment ${environmentId()} has no monitors: no alarm can roll this flag change back`);
    expect(evidence()).toMatchObject({ monitors: [] });
    expect(result.output).toContain('no reason in the event log');
    expect(evidence()).toMatchObject({ result: 'FAILURE', state: 'ROLLED_BACK' });
  });

  it('stops a deployment that does not complete before the deadline (AppConfig rolls it back)', async () => {
    appconfig.addApplication('a1b2c3d', 'e4f5g6h', environmentId());
    appconfig.nextScript = [{ state: 'DEPLOYING', percentage: 20 }];
    const result = await run(script, workspace, env({ PW_FLAGS_TIMEOUT_MINUTES: '0' }));
    expect(result.status).toBe(1);
    expect(result.output).toContain('the flag deployment is DEPLOYING after 0 minutes');
    const stops = appconfig.callsOf('StopDeployment');
    expect(stops.map((c) => c.path)).toEqual([`/applications/a1b2c3d/environments/${environmentId()}/deployments/1`]);
    expect(appconfig.deploymentsIn('a1b2c3d', environmentId())[0]?.State).toBe('ROLLED_BACK');
    expect(evidence()).toMatchObject({ result: 'FAILURE', state: 'STOPPED', reason: 'not COMPLETE within 0 minutes' });
  });

  it('stops the deployment when Jenkins aborts the step (TERM)', async () => {
    appconfig.addApplication('a1b2c3d', 'e4f5g6h', environmentId());
    appconfig.nextScript = [{ state: 'DEPLOYING', percentage: 20 }];
    let killed = false;
    const result = await run(script, workspace, env({ PW_FLAGS_POLL_SECONDS: '1' }), (output, kill) => {
      if (!killed && output.includes('DEPLOYING, 20% of targets')) {
        killed = true;
        kill();
      }
    });
    expect(killed).toBe(true);
    expect(result.status).toBe(143);
    expect(appconfig.callsOf('StopDeployment')).toHaveLength(1);
    expect(evidence()).toMatchObject({ result: 'FAILURE', state: 'STOPPED' });
  });

  it('refuses to start when the role is in another account (IAM-002)', async () => {
    appconfig.addApplication('a1b2c3d', 'e4f5g6h', environmentId());
    appconfig.account = '111111111111';
    const result = await run(script, workspace, env());
    expect(result.status).toBe(1);
    expect(result.output).toContain('the assumed role is in account 111111111111, expected 333333333333');
    expect(appconfig.callsOf('StartDeployment')).toEqual([]);
    expect(existsSync(join(workspace, 'evidence/flags-prod-a1b2c3d-p7q8r9s.json'))).toBe(false);
  });

  it('fails when AppConfig refuses the deployment (unknown environment), with the evidence of the attempt', async () => {
    const result = await run(script, workspace, env({ PW_FLAGS_ENVIRONMENT: 'nope123' }));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('ResourceNotFoundException');
    expect(evidence()).toMatchObject({ result: 'FAILURE', state: 'NOT_STARTED', deploymentNumber: '' });
  });
});
