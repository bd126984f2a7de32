/**
 * `pipewright preflight --iam`: the real @aws-sdk/client-iam over HTTP against the fake IAM
 * (test/aws/fake-iam-server.ts), which decides SimulatePrincipalPolicy with iam-simulate over the
 * policies attached to each role. The pipelines are this repository's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { compileProject } from '../../src/compile.ts';
import { generateIamPolicies, type PipelineIamPolicies } from '../../src/iam/generate.ts';
import { formatIamChecks, IAM_PROBE_ACTIONS, preflightIam } from '../../src/aws/preflight-iam.ts';
import { runCli } from '../support/temp-project.ts';
import { FakeIam } from './fake-iam-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let fake: FakeIam;
let all: PipelineIamPolicies[] = [];
const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };

beforeAll(async () => {
  fake = await FakeIam.start();
  const run = await compileProject({ root: ROOT });
  for (const pipeline of run.pipelines.filter((p) => p.name === 'payments-api')) {
    all.push(...(await generateIamPolicies(pipeline, { root: ROOT, ...(run.config.iam ? { config: run.config.iam } : {}) })));
  }
}, 180_000);
afterAll(() => fake.close());

const client = () => new IAMClient({ region: 'us-east-1', endpoint: fake.endpoint, credentials, maxAttempts: 1 });
const prod = () => all.find((p) => p.environment === 'prod')!;

describe('preflight --iam against the fake IAM', () => {
  it('a role with exactly the generated policy: every call allowed, nothing more', async () => {
    for (const role of prod().roles) fake.attach(role.roleArn, role.identityPolicy);
    const checks = await preflightIam([prod()], { clientFor: client });
    expect(checks.map((c) => [c.roleArn, c.missing, c.excess, c.error])).toEqual(prod().roles.map((r) => [r.roleArn, [], [], undefined]));
    expect(checks.every((c) => c.checked > 0 && c.probed >= IAM_PROBE_ACTIONS.length)).toBe(true);
    // Real query-protocol requests, signed by the SDK.
    const request = fake.calls.at(-1)!;
    expect(request.action).toBe('SimulatePrincipalPolicy');
    expect(request.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKE\/\d{8}\/us-east-1\/iam\/aws4_request/);
    expect(formatIamChecks(checks).failed).toBe(false);
  });

  it('reports a missing permission and a wider grant, with IAM\'s decision', async () => {
    const [deployer, evidence] = prod().roles;
    const narrowed = structuredClone(deployer!.identityPolicy);
    narrowed.Statement = narrowed.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== 'ecs:UpdateService') })).filter((s) => s.Action.length > 0);
    fake.attach(deployer!.roleArn, narrowed);
    fake.attach(evidence!.roleArn, evidence!.identityPolicy, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::fintech-audit-evidence/*' }] });
    const checks = await preflightIam([prod()], { clientFor: client });
    const byRole = new Map(checks.map((c) => [c.roleArn.split('/').pop(), c]));
    expect(byRole.get('ecs-deployer-prod')!.missing).toEqual([
      { action: 'ecs:UpdateService', resource: 'arn:aws:ecs:eu-west-1:333333333333:service/prod-apps/payments-api', decision: 'implicitDeny', steps: expect.arrayContaining(['ecs deploy prod']) },
    ]);
    expect(byRole.get('ecs-deployer-prod')!.excess).toEqual([]);
    expect(byRole.get('evidence-writer')!.missing).toEqual([]);
    expect(byRole.get('evidence-writer')!.excess).toEqual([{ action: 's3:DeleteObject', resource: 'arn:aws:s3:::fintech-audit-evidence/deploys/1/prod/1' }]);
    const report = formatIamChecks(checks);
    expect(report.failed).toBe(true);
    expect(report.text).toContain('missing: ecs:UpdateService on arn:aws:ecs:eu-west-1:333333333333:service/prod-apps/payments-api is implicitDeny');
    expect(report.text).toContain('allows more: s3:DeleteObject on arn:aws:s3:::fintech-audit-evidence/deploys/1/prod/1');
  });

  it('a role that does not exist or cannot be simulated is reported, not skipped', async () => {
    fake.policies.clear();
    const [deployer] = prod().roles;
    fake.denied.add(deployer!.roleArn);
    try {
      const checks = await preflightIam([prod()], { clientFor: client });
      expect(checks[0]!.error).toMatch(/^AccessDenied: User is not authorized to perform: iam:SimulatePrincipalPolicy/);
      expect(checks[1]!.error).toMatch(/^NoSuchEntity/);
      expect(formatIamChecks(checks).text).toContain('2 role(s) not checked');
    } finally {
      fake.denied.clear();
    }
  });

  it('pipewright preflight --iam --env prod, with the SDK configured from the environment', async () => {
    for (const role of prod().roles) fake.attach(role.roleArn, role.identityPolicy);
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_IAM: fake.endpoint, AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_MAX_ATTEMPTS: '1' });
    delete process.env.AWS_PROFILE;
    try {
      const result = await runCli(['preflight', '--iam', '--env', 'prod'], ROOT);
      expect(result.stderr).toBe('');
      // Every prod role of every pipeline: the payments-api ones are attached, the others do not exist in the fake.
      expect(result.stdout).toMatch(/^ok payments-api\/prod arn:aws:iam::333333333333:role\/ecs-deployer-prod: \d+ needed call\(s\) checked/m);
      expect(result.stdout).toMatch(/^FAIL web\/prod arn:aws:iam::333333333333:role\/web-publisher-prod: .*\n {2}error: could not simulate the role \(NoSuchEntity/m);
      expect(result.code).toBe(1);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
