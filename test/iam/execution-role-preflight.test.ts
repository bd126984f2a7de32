/**
 * `pipewright preflight --iam` checks the ECS task execution role like the Jenkins roles: the real
 * @aws-sdk/client-iam over HTTP against the fake IAM (test/aws/fake-iam-server.ts, which decides
 * SimulatePrincipalPolicy with iam-simulate), on the payments-service fixture's roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { compilePipelineValue } from '../../src/compile.ts';
import { ecrPush, ecsDeploy, type Pipeline } from '../../src/dsl/index.ts';
import { formatIamChecks, preflightIam } from '../../src/aws/preflight-iam.ts';
import { IamConfigSchema } from '../../src/iam/config.ts';
import { generateIamPolicies, type PipelineIamPolicies } from '../../src/iam/generate.ts';
import { FakeIam } from '../aws/fake-iam-server.ts';

const ROOT = resolve(import.meta.dirname, 'fixtures/payments-service');
const pipeline: Pipeline = {
  agent: 'none',
  stages: [
    { name: 'Push', agent: { type: 'label', label: 'docker' }, steps: [ecrPush({ repository: 'payments-api', registry: { accountId: '999999999999', region: 'eu-west-1' }, aws: { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' } })] },
    {
      name: 'Deploy prod',
      agent: { type: 'label', label: 'deployer' },
      steps: [ecsDeploy({ environment: 'prod', aws: { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' }, cluster: 'prod-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.prod.json' })],
    },
  ],
};
const config = IamConfigSchema.parse({ secretKeys: { 'prod-apps/payments-api': ['arn:aws:kms:eu-west-1:333333333333:key/7f3c2a1e-9b8d-4c6e-a5f4-1d2e3c4b5a69'] } });

let fake: FakeIam;
let prod: PipelineIamPolicies;
const client = () => new IAMClient({ region: 'us-east-1', endpoint: fake.endpoint, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' }, maxAttempts: 1 });

beforeAll(async () => {
  fake = await FakeIam.start();
  const compiled = compilePipelineValue(pipeline, 'pipelines/payments-api.pipeline.ts', { name: 'payments-api' });
  const policies = await generateIamPolicies({ ...compiled, output: 'generated/payments-api/Jenkinsfile' }, { root: ROOT, config });
  prod = policies.find((p) => p.environment === 'prod')!;
});
afterAll(() => fake.close());

describe('preflight --iam and the execution role', () => {
  it('a role with exactly the generated policy passes; one that lacks a secret is reported', async () => {
    const execution = prod.roles.find((r) => r.kind === 'ecs-task-execution')!;
    expect(execution.roleArn).toBe('arn:aws:iam::333333333333:role/payments-api-execution-prod');
    // Only the execution role (the Jenkins roles' preflight is test/aws/fake-iam-preflight.test.ts).
    const executionOnly = { ...prod, roles: [execution] };
    fake.attach(execution.roleArn, execution.identityPolicy);
    const [mine] = await preflightIam([executionOnly], { clientFor: client });
    expect(mine!.roleArn).toBe(execution.roleArn);
    expect([mine!.missing, mine!.excess, mine!.error]).toEqual([[], [], undefined]);
    expect(mine!.checked).toBeGreaterThanOrEqual(execution.calls.length);

    const stripe = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/payments-api/stripe-api-??????';
    const narrowed = structuredClone(execution.identityPolicy);
    for (const statement of narrowed.Statement) statement.Resource = statement.Resource!.filter((r) => r !== stripe);
    fake.attach(execution.roleArn, narrowed);
    const [again] = await preflightIam([executionOnly], { clientFor: client });
    expect(again!.missing).toEqual([{ action: 'secretsmanager:GetSecretValue', resource: stripe, decision: 'implicitDeny', steps: ['ecs deploy prod', 'ecs rollback prod'] }]);
    expect(formatIamChecks([again!]).failed).toBe(true);
  });
});
