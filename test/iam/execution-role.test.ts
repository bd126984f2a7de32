/**
 * The ECS task execution role (issue #12, section 5): generated from the task-definition template
 * in the project (test/iam/fixtures/payments-service, a payments service with a migration init
 * container, the app and a Datadog agent; secrets from Secrets Manager with json keys, a partial
 * ARN, SSM parameters by ARN and by name), proven with @cloud-copilot/iam-simulate: exactly the
 * template's secrets in its own environment, nothing else.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { compilePipelineValue } from '../../src/compile.ts';
import type { CompiledPipeline } from '../../src/compiled.ts';
import { ecrPush, ecsDeploy, type Pipeline } from '../../src/dsl/index.ts';
import { IamConfigSchema } from '../../src/iam/config.ts';
import { secretResourceOf } from '../../src/iam/execution-role.ts';
import { toCloudFormation, toTerraform } from '../../src/iam/formats.ts';
import { generateIamPolicies, type PipelineIamPolicies, type RolePolicy } from '../../src/iam/generate.ts';
import type { PolicyDocument } from '../../src/iam/policy-document.ts';
import { policyWidenings } from '../../src/iam/widening.ts';
import { decide } from './simulator.ts';

const ROOT = resolve(import.meta.dirname, 'fixtures/payments-service');
const buildAgent = { type: 'label' as const, label: 'docker' };
const stageRole = { role: 'ecs-deployer-stage', account: '222222222222', region: 'eu-west-1' };
const prodRole = { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' };
const PROD_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/7f3c2a1e-9b8d-4c6e-a5f4-1d2e3c4b5a69';
const config = IamConfigSchema.parse({
  trust: { principal: 'arn:aws:iam::555555555555:role/jenkins-agents' },
  secretKeys: { 'prod-apps/payments-api': [PROD_KEY] },
});

function compiled(name: string, pipeline: Pipeline): CompiledPipeline {
  const result = compilePipelineValue(pipeline, `pipelines/${name}.pipeline.ts`, { name });
  expect(result.ast, JSON.stringify(result.diagnostics)).toBeDefined();
  return { ...result, output: `generated/${name}/Jenkinsfile` };
}

const deploy = (environment: 'stage' | 'prod', extra: Record<string, unknown> = {}) =>
  ecsDeploy({
    environment,
    aws: environment === 'prod' ? prodRole : stageRole,
    cluster: `${environment}-apps`,
    service: 'payments-api',
    container: 'app',
    taskDefinition: `deploy/taskdef.${environment}.json`,
    ...extra,
  } as never);

const service = (deploys: ReturnType<typeof ecsDeploy>[]): Pipeline => ({
  agent: 'none',
  stages: [
    { name: 'Push', agent: buildAgent, steps: [ecrPush({ repository: 'payments-api', registry: { accountId: '999999999999', region: 'eu-west-1' }, aws: { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' } })] },
    ...deploys.map((step, i) => ({ name: `Deploy ${i}`, agent: { type: 'label' as const, label: 'deployer' }, steps: [step] })),
  ],
});

function executionRole(policies: PipelineIamPolicies[], environment: string): RolePolicy {
  const roles = policies.find((p) => p.environment === environment)!.roles.filter((r) => r.kind === 'ecs-task-execution');
  expect(roles).toHaveLength(1);
  return roles[0]!;
}

const allow = (policy: PolicyDocument, role: RolePolicy, action: string, resource: string, context: Record<string, string> = {}) => decide(policy, role.roleArn, { action, resource, context });

describe('secretResourceOf', () => {
  const task = { partition: 'aws', region: 'eu-west-1', account: '333333333333' };
  it('reduces a json-key/version suffix to the secret, completes a partial ARN with the random suffix, resolves SSM names in the task\'s region and account', () => {
    const sm = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret';
    expect(secretResourceOf(`${sm}:prod/db-Xk9LmQ:password:AWSCURRENT:`, task)).toEqual({ service: 'secretsmanager', arn: `${sm}:prod/db-Xk9LmQ`, region: 'eu-west-1' });
    expect(secretResourceOf(`${sm}:prod/db-Xk9LmQ`, task)!.arn).toBe(`${sm}:prod/db-Xk9LmQ`);
    expect(secretResourceOf(`${sm}:prod/stripe-api`, task)!.arn).toBe(`${sm}:prod/stripe-api-??????`);
    expect(secretResourceOf(`${sm}:prod/stripe-api:key::`, task)!.arn).toBe(`${sm}:prod/stripe-api-??????`);
    expect(secretResourceOf('arn:aws:secretsmanager:us-east-1:444444444444:secret:shared/x-AbCdEf', task)).toEqual({ service: 'secretsmanager', arn: 'arn:aws:secretsmanager:us-east-1:444444444444:secret:shared/x-AbCdEf', region: 'us-east-1' });
    expect(secretResourceOf('arn:aws:ssm:eu-west-1:333333333333:parameter/prod/jwt', task)).toEqual({ service: 'ssm', arn: 'arn:aws:ssm:eu-west-1:333333333333:parameter/prod/jwt', region: 'eu-west-1' });
    expect(secretResourceOf('/prod/ledger-token', task)!.arn).toBe('arn:aws:ssm:eu-west-1:333333333333:parameter/prod/ledger-token');
    expect(secretResourceOf('flags-sdk-key', { ...task, partition: 'aws-cn', region: 'cn-north-1' })!.arn).toBe('arn:aws-cn:ssm:cn-north-1:333333333333:parameter/flags-sdk-key');
    // Neither a secret nor a parameter: never granted (no wildcard in its place).
    for (const other of ['', 'arn:aws:s3:::config-bucket/prod/.env', '${DB_SECRET_ARN}', 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:*', 'secret with spaces']) expect(secretResourceOf(other, task)).toBeUndefined();
  });
});

describe('the ECS task execution role', () => {
  const pipeline = compiled('payments-api', service([deploy('stage'), deploy('prod')]));
  const generate = () => generateIamPolicies(pipeline, { root: ROOT, config });

  it('is one more role of each environment, marked as the execution role, with the template\'s secrets exactly', async () => {
    const policies = await generate();
    const prod = executionRole(policies, 'prod');
    expect(prod.roleArn).toBe('arn:aws:iam::333333333333:role/payments-api-execution-prod');
    expect(prod.notes[0]).toBe("ECS task execution role of prod-apps/payments-api (deploy/taskdef.prod.json): ECS assumes it to start the service's tasks (image pull, container secrets, log streams), Jenkins never does");
    expect(prod.steps).toEqual(['ecs deploy prod', 'ecs rollback prod']);
    // The Jenkins deploy role is still there, and passes exactly this role.
    const deployer = policies.find((p) => p.environment === 'prod')!.roles.find((r) => r.kind === undefined)!;
    expect(deployer.roleArn).toBe('arn:aws:iam::333333333333:role/ecs-deployer-prod');
    expect(deployer.identityPolicy.Statement.find((s) => s.Action.includes('iam:PassRole'))!.Resource).toContain(prod.roleArn);

    const resourcesOf = (action: string) => prod.identityPolicy.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource!);
    const sm = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:';
    expect(resourcesOf('secretsmanager:GetSecretValue')).toEqual([
      `${sm}prod/payments-api/postgres-app-T3vPq1`,
      `${sm}prod/payments-api/postgres-master-Xk9LmQ`,
      `${sm}prod/payments-api/stripe-api-??????`,
      `${sm}shared/datadog/api-key-8HfG2c`,
    ]);
    expect(resourcesOf('ssm:GetParameters')).toEqual([
      'arn:aws:ssm:eu-west-1:333333333333:parameter/prod.payments-api.flags-sdk-key',
      'arn:aws:ssm:eu-west-1:333333333333:parameter/prod/payments-api/jwt-signing-key',
      'arn:aws:ssm:eu-west-1:333333333333:parameter/prod/payments-api/ledger-api-token',
    ]);
    const decrypt = prod.identityPolicy.Statement.find((s) => s.Action.includes('kms:Decrypt'))!;
    expect(decrypt).toEqual({
      Sid: 'TaskExecutionKmsKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [PROD_KEY],
      Condition: { StringEquals: { 'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com', 'ssm.eu-west-1.amazonaws.com'] } },
    });
    expect(resourcesOf('ecr:BatchGetImage')).toEqual([
      'arn:aws:ecr:eu-west-1:999999999999:repository/mirror/datadog-agent',
      'arn:aws:ecr:eu-west-1:999999999999:repository/payments-api',
      'arn:aws:ecr:eu-west-1:999999999999:repository/payments-api-migrations',
    ]);
    expect(resourcesOf('ecr:GetAuthorizationToken')).toEqual(['*']);
    expect(resourcesOf('logs:PutLogEvents')).toEqual([
      'arn:aws:logs:eu-west-1:333333333333:log-group:/ecs/prod/datadog-agent:log-stream:datadog/datadog-agent/*',
      'arn:aws:logs:eu-west-1:333333333333:log-group:/ecs/prod/payments-api:log-stream:migrate/db-migrate/*',
      'arn:aws:logs:eu-west-1:333333333333:log-group:/ecs/prod/payments-api:log-stream:payments-api/app/*',
    ]);
    expect(resourcesOf('logs:CreateLogGroup')).toEqual(['arn:aws:logs:eu-west-1:333333333333:log-group:/ecs/prod/datadog-agent']);
    expect(prod.identityPolicy.Statement.flatMap((s) => s.Action).sort()).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetAuthorizationToken',
      'ecr:GetDownloadUrlForLayer',
      'kms:Decrypt',
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'ssm:GetParameters',
    ]);
    // Stage names no key: no kms:Decrypt (AWS managed keys), and the notes say how to add one.
    const stage = executionRole(policies, 'stage');
    expect(stage.identityPolicy.Statement.flatMap((s) => s.Action)).not.toContain('kms:Decrypt');
    expect(stage.notes.join('\n')).toMatch(/no kms:Decrypt granted: .*iam\.secretKeys\['stage-apps\/payments-api'\]/);
    expect(JSON.stringify(await generate())).toBe(JSON.stringify(policies));
  });

  it('allows every call it lists, as ECS makes them (simulated on concrete ARNs)', async () => {
    const policies = await generate();
    let checked = 0;
    for (const environment of ['stage', 'prod']) {
      const role = executionRole(policies, environment);
      for (const call of role.calls) {
        for (const resource of call.resources) {
          // Run-time parts of an ARN: a task id in a log stream, the random suffix of a secret named without it.
          const concrete = resource.replace(/\*$/, resource === '*' ? '*' : '0f2c4e6a8b1d3f5a7c9e0b2d4f6a8c1e').replace('??????', 'a1B2c3');
          const context = Object.fromEntries(Object.values(call.condition ?? {}).flatMap((entries) => Object.entries(entries).map(([key, value]) => [key, String(value)])));
          expect(await allow(role.identityPolicy, role, call.action, concrete, context), `${environment}: ${call.action} on ${concrete}`).toBe('Allowed');
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('reads exactly the template\'s secrets in its own environment and is denied everything else', async () => {
    const policies = await generate();
    const prod = executionRole(policies, 'prod');
    const stage = executionRole(policies, 'stage');
    const sm = (account: string, id: string) => `arn:aws:secretsmanager:eu-west-1:${account}:secret:${id}`;
    const ssm = (account: string, name: string) => `arn:aws:ssm:eu-west-1:${account}:parameter/${name}`;
    const get = (role: RolePolicy, secret: string) => allow(role.identityPolicy, role, 'secretsmanager:GetSecretValue', secret);
    const parameters = (role: RolePolicy, parameter: string) => allow(role.identityPolicy, role, 'ssm:GetParameters', parameter);

    // Its own secrets, as the fixture names them (the partial ARN with the suffix Secrets Manager gave it).
    const ownProd = [sm('333333333333', 'prod/payments-api/postgres-app-T3vPq1'), sm('333333333333', 'prod/payments-api/postgres-master-Xk9LmQ'), sm('333333333333', 'prod/payments-api/stripe-api-Zr8Wq2'), sm('333333333333', 'shared/datadog/api-key-8HfG2c')];
    for (const secret of ownProd) expect(await get(prod, secret), secret).toBe('Allowed');
    for (const name of ['prod/payments-api/jwt-signing-key', 'prod/payments-api/ledger-api-token', 'prod.payments-api.flags-sdk-key']) expect(await parameters(prod, ssm('333333333333', name)), name).toBe('Allowed');
    expect(await get(stage, sm('222222222222', 'stage/payments-api/postgres-app-Wm7Yb2'))).toBe('Allowed');
    expect(await parameters(stage, ssm('222222222222', 'stage/payments-api/ledger-api-token'))).toBe('Allowed');

    // Another environment's secrets, either way.
    for (const secret of ['stage/payments-api/postgres-app-Wm7Yb2', 'stage/payments-api/stripe-api-Zr8Wq2', 'shared/datadog/api-key-Jd3Ks9']) {
      expect(await get(prod, sm('222222222222', secret)), secret).not.toBe('Allowed');
    }
    for (const secret of ownProd) expect(await get(stage, secret), `stage reads ${secret}`).not.toBe('Allowed');
    expect(await parameters(stage, ssm('333333333333', 'prod/payments-api/jwt-signing-key'))).not.toBe('Allowed');
    // The same names in another account (the stage template's names with the prod account) are not the prod role's either.
    expect(await get(prod, sm('222222222222', 'prod/payments-api/postgres-app-T3vPq1'))).not.toBe('Allowed');

    // Secrets the template does not name, next to the ones it does.
    for (const id of ['prod/payments-api/admin-credentials-Ab12Cd', 'prod/payments-api/postgres-app-T3vPq2', 'prod/payments-api/stripe-api-live-Zr8Wq2', 'prod/payments-api/stripe-api', 'prod/ledger-service/postgres-app-Hh4Jj5']) {
      expect(await get(prod, sm('333333333333', id)), id).not.toBe('Allowed');
    }
    for (const name of ['prod/ledger-service/jwt-signing-key', 'prod/payments-api/jwt-signing-key-old', 'prod/payments-api']) expect(await parameters(prod, ssm('333333333333', name)), name).not.toBe('Allowed');

    // Other verbs on its own secrets and parameters.
    const own = ownProd[0]!;
    for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:PutResourcePolicy', 'secretsmanager:RotateSecret']) {
      expect(await allow(prod.identityPolicy, prod, action, own), action).not.toBe('Allowed');
    }
    expect(await allow(prod.identityPolicy, prod, 'secretsmanager:ListSecrets', '*')).not.toBe('Allowed');
    const jwt = ssm('333333333333', 'prod/payments-api/jwt-signing-key');
    for (const action of ['ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameterHistory']) {
      expect(await allow(prod.identityPolicy, prod, action, jwt), action).not.toBe('Allowed');
    }
    expect(await allow(prod.identityPolicy, prod, 'ssm:GetParametersByPath', ssm('333333333333', 'prod'))).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'ssm:GetParameter', ssm('333333333333', 'prod/ledger-service/db-url'))).not.toBe('Allowed');

    // The key: only through Secrets Manager / SSM in the task's region, only kms:Decrypt.
    const via = (service: string) => ({ 'kms:ViaService': service });
    expect(await allow(prod.identityPolicy, prod, 'kms:Decrypt', PROD_KEY, via('secretsmanager.eu-west-1.amazonaws.com'))).toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'kms:Decrypt', PROD_KEY, via('ssm.eu-west-1.amazonaws.com'))).toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'kms:Decrypt', PROD_KEY)).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'kms:Decrypt', PROD_KEY, via('s3.eu-west-1.amazonaws.com'))).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'kms:Decrypt', PROD_KEY, via('secretsmanager.us-east-1.amazonaws.com'))).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'kms:Decrypt', 'arn:aws:kms:eu-west-1:333333333333:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d', via('secretsmanager.eu-west-1.amazonaws.com'))).not.toBe('Allowed');
    for (const action of ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant', 'kms:ScheduleKeyDeletion']) {
      expect(await allow(prod.identityPolicy, prod, action, PROD_KEY, via('secretsmanager.eu-west-1.amazonaws.com')), action).not.toBe('Allowed');
    }

    // Image pulls from its repositories only; logs into its own groups only.
    const repository = (name: string) => `arn:aws:ecr:eu-west-1:999999999999:repository/${name}`;
    expect(await allow(prod.identityPolicy, prod, 'ecr:BatchGetImage', repository('payments-api'))).toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'ecr:BatchGetImage', repository('ledger-service'))).not.toBe('Allowed');
    for (const action of ['ecr:PutImage', 'ecr:BatchDeleteImage', 'ecr:SetRepositoryPolicy', 'ecr:DeleteRepository']) {
      expect(await allow(prod.identityPolicy, prod, action, repository('payments-api')), action).not.toBe('Allowed');
    }
    const stream = (group: string, name: string) => `arn:aws:logs:eu-west-1:333333333333:log-group:${group}:log-stream:${name}`;
    expect(await allow(prod.identityPolicy, prod, 'logs:PutLogEvents', stream('/ecs/prod/payments-api', 'payments-api/app/0f2c4e6a'))).toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'logs:PutLogEvents', stream('/ecs/prod/ledger-service', 'ledger-service/app/0f2c4e6a'))).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'logs:PutLogEvents', stream('/ecs/prod/payments-api', 'forged/app/0f2c4e6a'))).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'logs:DeleteLogGroup', 'arn:aws:logs:eu-west-1:333333333333:log-group:/ecs/prod/payments-api')).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'logs:CreateLogGroup', 'arn:aws:logs:eu-west-1:333333333333:log-group:/ecs/prod/payments-api')).not.toBe('Allowed');

    // No escalation.
    expect(await allow(prod.identityPolicy, prod, 'iam:PassRole', 'arn:aws:iam::333333333333:role/payments-api-task-prod', { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'sts:AssumeRole', 'arn:aws:iam::333333333333:role/ecs-deployer-prod')).not.toBe('Allowed');
    expect(await allow(prod.identityPolicy, prod, 'ecs:RunTask', 'arn:aws:ecs:eu-west-1:333333333333:task-definition/payments-api-prod:42')).not.toBe('Allowed');
  });

  it('lets only ECS tasks of its own account assume it', async () => {
    const prod = executionRole(await generate(), 'prod');
    expect(prod.trustPolicy!.Statement).toEqual([
      { Sid: 'EcsTasksAssumeRole', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: ['sts:AssumeRole'], Condition: { StringEquals: { 'aws:SourceAccount': '333333333333' } } },
    ]);
    const assume = async (principal: string, context: Record<string, string>) => {
      const result = await runSimulation(
        {
          request: { principal, action: 'sts:AssumeRole', resource: { resource: prod.roleArn, accountId: '333333333333' }, contextVariables: context },
          identityPolicies: [],
          resourcePolicy: prod.trustPolicy!,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      return result.resultType === 'single' ? result.overallResult : JSON.stringify(result);
    };
    expect(await assume('ecs-tasks.amazonaws.com', { 'aws:SourceAccount': '333333333333' })).toBe('Allowed');
    expect(await assume('ecs-tasks.amazonaws.com', { 'aws:SourceAccount': '222222222222' })).not.toBe('Allowed');
    expect(await assume('lambda.amazonaws.com', { 'aws:SourceAccount': '333333333333' })).not.toBe('Allowed');
    expect(await assume('arn:aws:iam::555555555555:role/jenkins-agents', {})).not.toBe('Allowed');
  });

  it('appears in the terraform and cloudformation forms, and a new secret in the template is a widening', async () => {
    const policies = await generate();
    const terraform = toTerraform(policies);
    expect(terraform).toContain('data "aws_iam_policy_document" "payments_api_prod_payments_api_execution_prod_trust"');
    expect(terraform).toMatch(/principals \{\n\s+type\s+= "Service"\n\s+identifiers = \["ecs-tasks.amazonaws.com"\]/);
    const cloudformation = JSON.parse(toCloudFormation(policies)) as { Resources: Record<string, { Metadata: { pipewright: { kind?: string; roleArn: string } } }> };
    const kinds = Object.values(cloudformation.Resources).map((r) => [r.Metadata.pipewright.roleArn, r.Metadata.pipewright.kind]);
    expect(kinds).toContainEqual(['arn:aws:iam::333333333333:role/payments-api-execution-prod', 'ecs-task-execution']);
    expect(kinds).toContainEqual(['arn:aws:iam::333333333333:role/ecs-deployer-prod', undefined]);

    // The same service with one more secret in its prod template.
    const root = mkdtempSync(join(tmpdir(), 'pipewright-execution-role-'));
    try {
      mkdirSync(join(root, 'deploy'));
      const template = JSON.parse(readFileSync(join(ROOT, 'deploy/taskdef.prod.json'), 'utf8'));
      template.containerDefinitions[1].secrets.push({ name: 'PLAID_SECRET', valueFrom: 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/payments-api/plaid-Qw3Er5' });
      writeFileSync(join(root, 'deploy/taskdef.prod.json'), JSON.stringify(template));
      writeFileSync(join(root, 'deploy/taskdef.stage.json'), readFileSync(join(ROOT, 'deploy/taskdef.stage.json')));
      const before = executionRole(policies, 'prod');
      const after = executionRole(await generateIamPolicies(pipeline, { root, config }), 'prod');
      expect(policyWidenings(before.identityPolicy, after.identityPolicy).map((w) => [w.kind, w.action, w.resource])).toEqual([
        ['resource-widened', 'secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/payments-api/plaid-Qw3Er5'],
      ]);
      expect(policyWidenings(after.identityPolicy, before.identityPolicy)).toEqual([]);
      // A trust policy that lets another service in is a new principal.
      const lambda = structuredClone(before.trustPolicy!);
      lambda.Statement[0]!.Principal = { Service: 'lambda.amazonaws.com' };
      expect(policyWidenings(before.trustPolicy, lambda).map((w) => w.kind)).toEqual(['principal-added']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('fail closed', () => {
  it('generates no execution role without the template in the project, nor for the pipewright engine', async () => {
    const missing = compiled('payments-api', service([deploy('prod')]));
    const elsewhere = await generateIamPolicies(missing, { root: tmpdir(), config });
    expect(elsewhere.flatMap((p) => p.roles).filter((r) => r.kind !== undefined)).toEqual([]);
    const engine = compiled('payments-api', service([deploy('prod', { engine: 'pipewright', taskDefinition: undefined })]));
    const rendered = await generateIamPolicies(engine, { root: ROOT, config });
    expect(rendered.flatMap((p) => p.roles).filter((r) => r.kind !== undefined)).toEqual([]);
    for (const policies of [elsewhere, rendered]) {
      for (const role of policies.flatMap((p) => p.roles)) expect(JSON.stringify(role.identityPolicy)).not.toMatch(/secretsmanager|ssm:|kms:Decrypt/);
    }
    // The deploy role's notes say why.
    const deployer = (policies: PipelineIamPolicies[]) => policies.find((p) => p.environment === 'prod')!.roles[0]!;
    expect(deployer(elsewhere).notes).toContain('no execution-role policy for prod-apps/payments-api: the task-definition template deploy/taskdef.prod.json is not in the project, so its secrets cannot be granted exactly');
    expect(deployer(rendered).notes).toContain("no execution-role policy for prod-apps/payments-api: the pipewright engine renders from the service's current task definition, not from a template in the project, so its secrets cannot be granted exactly");
    // With the template, no such note.
    expect((await generateIamPolicies(missing, { root: ROOT, config })).flatMap((p) => p.roles).flatMap((r) => r.notes).filter((n) => n.startsWith('no execution-role policy'))).toEqual([]);
  });

  it('grants no secret a template names in a form it cannot scope, and says so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipewright-execution-role-'));
    try {
      mkdirSync(join(root, 'deploy'));
      writeFileSync(
        join(root, 'deploy/taskdef.prod.json'),
        JSON.stringify({
          family: 'payments-api-prod',
          executionRoleArn: 'payments-api-execution-prod',
          containerDefinitions: [
            {
              name: 'app',
              image: 'placeholder',
              secrets: [
                { name: 'DOTENV', valueFrom: 'arn:aws:s3:::payments-config/prod/.env' },
                { name: 'ANY', valueFrom: 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:*' },
                { name: 'TOKEN', valueFrom: '/prod/payments-api/token' },
              ],
              logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '${LOG_GROUP}' } },
              environmentFiles: [{ value: 'arn:aws:s3:::payments-config/prod/app.env', type: 's3' }],
            },
            { name: 'proxy', image: 'docker.io/envoyproxy/envoy:v1.31.2' },
            { name: 'worker', image: 'placeholder', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/prod/worker', 'awslogs-region': '${AWS_REGION}', 'awslogs-stream-prefix': 'w' } } },
          ],
        }),
      );
      const prod = executionRole(await generateIamPolicies(compiled('payments-api', service([deploy('prod')])), { root }), 'prod');
      expect(prod.roleArn).toBe('arn:aws:iam::333333333333:role/payments-api-execution-prod');
      const statements = prod.identityPolicy.Statement;
      expect(statements.flatMap((s) => s.Action).filter((a) => a.startsWith('secretsmanager:') || a.startsWith('logs:'))).toEqual([]);
      expect(statements.find((s) => s.Action.includes('ssm:GetParameters'))!.Resource).toEqual(['arn:aws:ssm:eu-west-1:333333333333:parameter/prod/payments-api/token']);
      const notes = prod.notes.join('\n');
      expect(notes).toContain("secret DOTENV comes from 'arn:aws:s3:::payments-config/prod/.env', neither a Secrets Manager secret ARN nor an SSM parameter: not granted");
      expect(notes).toContain("secret ANY comes from 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:*'");
      expect(notes).toContain("container app logs with awslogs to '${LOG_GROUP}' (region eu-west-1), not literal names: no log grant");
      expect(notes).toContain("container worker logs with awslogs to '/ecs/prod/worker' (region ${AWS_REGION}, prefix 'w'), not literal names: no log grant");
      expect(notes).toContain('container proxy pulls docker.io/envoyproxy/envoy:v1.31.2, not from ECR');
      expect(notes).toContain('container app reads environment file arn:aws:s3:::payments-config/prod/app.env: not granted');
      expect(JSON.stringify(prod.identityPolicy)).not.toContain('s3:');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses an execution role that is a role the pipeline assumes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipewright-execution-role-'));
    try {
      mkdirSync(join(root, 'deploy'));
      writeFileSync(join(root, 'deploy/taskdef.prod.json'), JSON.stringify({ family: 'payments-api-prod', executionRoleArn: 'ecs-deployer-prod', containerDefinitions: [{ name: 'app', image: 'placeholder', secrets: [{ name: 'X', valueFrom: '/prod/x' }] }] }));
      await expect(generateIamPolicies(compiled('payments-api', service([deploy('prod')])), { root })).rejects.toThrow(
        'prod-apps/payments-api: the execution role of deploy/taskdef.prod.json (arn:aws:iam::333333333333:role/ecs-deployer-prod) is a role the pipeline\'s steps assume; give the tasks a role of their own',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('says so on the deploy role when the template names no execution role', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipewright-execution-role-'));
    try {
      mkdirSync(join(root, 'deploy'));
      writeFileSync(join(root, 'deploy/taskdef.prod.json'), JSON.stringify({ family: 'payments-api-prod', taskRoleArn: 'payments-api-task-prod', containerDefinitions: [{ name: 'app', image: 'placeholder', secrets: [{ name: 'X', valueFrom: '/prod/x' }] }] }));
      const policies = await generateIamPolicies(compiled('payments-api', service([deploy('prod')])), { root, config: IamConfigSchema.parse({ taskRoles: { 'prod-apps/payments-api': { executionRole: 'configured-execution' } } }) });
      const roles = policies.find((p) => p.environment === 'prod')!.roles;
      expect(roles.map((r) => r.kind)).toEqual([undefined]);
      expect(roles[0]!.notes).toContain('no execution-role policy for prod-apps/payments-api: the template deploy/taskdef.prod.json names no executionRoleArn');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
