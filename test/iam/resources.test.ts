/**
 * Resources the generator takes from the emitted commands and the configuration: option values
 * (with the step's withEnv), CloudWatch alarms of a gated deploy, cost tags, iam:PassRole from
 * iam.taskRoles, a hand-written step that names its resources, and the trust policy's conditions.
 */
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { compilePipelineValue } from '../../src/compile.ts';
import type { CompiledPipeline } from '../../src/compiled.ts';
import { ecsDeploy, type Pipeline } from '../../src/dsl/index.ts';
import { generateIamPolicies, pluginAwsCalls } from '../../src/iam/generate.ts';
import { STEP_FIXTURES } from '../delivery/fixtures.ts';
import { invocationOptions } from '../../src/iam/invocations.ts';
import { IamConfigSchema } from '../../src/iam/config.ts';
import { decide } from './simulator.ts';

const agent = { type: 'label' as const, label: 'deploy-prod' };
const prodRole = { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' };

function compiled(name: string, pipeline: Pipeline): CompiledPipeline {
  const result = compilePipelineValue(pipeline, `pipelines/${name}.pipeline.ts`, { name });
  expect(result.ast, JSON.stringify(result.diagnostics)).toBeDefined();
  return { ...result, output: `generated/${name}/Jenkinsfile` };
}

const deploy = (extra: Record<string, unknown>) =>
  ecsDeploy({ environment: 'prod', aws: prodRole, cluster: 'prod-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.prod.json', ...extra } as never);

describe('invocationOptions', () => {
  it('reads option values, resolving $VAR from the step environment and dropping run-time values', () => {
    const options = invocationOptions(`aws ecs update-service --cluster "$ECS_CLUSTER" --service \${ECS_SERVICE} --task-definition "$new_td" --force-new-deployment`, {
      ECS_CLUSTER: 'prod-apps',
      ECS_SERVICE: 'payments-api',
    });
    expect(options.get('cluster')).toEqual(['prod-apps']);
    expect(options.get('service')).toEqual(['payments-api']);
    expect(options.get('task-definition')).toEqual([]);
    expect(options.get('force-new-deployment')).toEqual([]);
    expect(invocationOptions("aws cloudwatch describe-alarms --alarm-names 'a b' c --output=json").get('alarm-names')).toEqual(['a b', 'c']);
  });
});

describe('generated resources', () => {
  it('grants cloudwatch:DescribeAlarms on exactly the alarms a gated deploy names, and nothing without alarms', async () => {
    const gated = compiled('gated', { agent: 'none', stages: [{ name: 'Deploy', agent, steps: [deploy({ alarms: ['payments-5xx', 'payments-latency'] })] }] });
    const [prod] = await generateIamPolicies(gated, { root: tmpdir() });
    const role = prod!.roles[0]!;
    const describe = role.identityPolicy.Statement.find((s) => s.Action.includes('cloudwatch:DescribeAlarms'));
    // The step may not have alarms in this checkout's model yet: then the script asks nothing.
    if (describe === undefined) {
      expect(gated.jenkinsfile).not.toContain('describe-alarms');
      return;
    }
    expect(describe.Resource).toEqual(['arn:aws:cloudwatch:eu-west-1:333333333333:alarm:payments-5xx', 'arn:aws:cloudwatch:eu-west-1:333333333333:alarm:payments-latency']);
    const ask = (alarm: string) => decide(role.identityPolicy, role.roleArn, { action: 'cloudwatch:DescribeAlarms', resource: `arn:aws:cloudwatch:eu-west-1:333333333333:alarm:${alarm}`, context: {} });
    expect(await ask('payments-5xx')).toBe('Allowed');
    expect(await ask('payments-latency')).toBe('Allowed');
    expect(await ask('ledger-5xx')).not.toBe('Allowed');

    const ungated = compiled('ungated', { agent: 'none', stages: [{ name: 'Deploy', agent, steps: [deploy({})] }] });
    const [plain] = await generateIamPolicies(ungated, { root: tmpdir() });
    expect(plain!.roles[0]!.identityPolicy.Statement.flatMap((s) => s.Action)).not.toContain('cloudwatch:DescribeAlarms');
    expect(plain!.roles[0]!.identityPolicy.Statement.flatMap((s) => s.Action)).not.toContain('ecs:TagResource');
  });

  it('passes only the iam.taskRoles of the service when no template is in the project, and says so', async () => {
    const pipeline = compiled('roles', { agent: 'none', stages: [{ name: 'Deploy', agent, steps: [deploy({})] }] });
    const config = IamConfigSchema.parse({ taskRoles: { 'prod-apps/payments-api': { taskRole: 'payments-api-task', executionRole: 'arn:aws:iam::333333333333:role/payments-api-execution' } } });
    const [prod] = await generateIamPolicies(pipeline, { root: tmpdir(), config });
    const role = prod!.roles[0]!;
    expect(role.notes.join('\n')).toMatch(/iam:PassRole on the task and execution roles of prod-apps\/payments-api from pipewright.config.ts/);
    const pass = (name: string, service = 'ecs-tasks.amazonaws.com') =>
      decide(role.identityPolicy, role.roleArn, { action: 'iam:PassRole', resource: `arn:aws:iam::333333333333:role/${name}`, context: { 'iam:PassedToService': service } });
    expect(await pass('payments-api-task')).toBe('Allowed');
    expect(await pass('payments-api-execution')).toBe('Allowed');
    expect(await pass('payments-api-task', 'ec2.amazonaws.com')).not.toBe('Allowed');
    expect(await pass('ledger-service-task')).not.toBe('Allowed');
  });

  it('scopes snsPublish in pipewright\'s notification Groovy to the topic it names', async () => {
    const fixture = STEP_FIXTURES['notify-sns-email'];
    if (fixture === undefined) return; // SNS notification targets not in this checkout
    const pipeline = compiled('notify-sns-email', fixture);
    const roles = (await generateIamPolicies(pipeline, { root: tmpdir() })).flatMap((p) => p.roles);
    const topic = 'arn:aws:sns:eu-west-1:999999999999:delivery-alerts';
    const role = roles.find((r) => r.roleArn === 'arn:aws:iam::999999999999:role/alerts-publisher')!;
    expect(role.identityPolicy.Statement).toEqual([{ Sid: 'SnsPublishSnsTopic', Effect: 'Allow', Action: ['sns:Publish'], Resource: [topic] }]);
    expect(await decide(role.identityPolicy, role.roleArn, { action: 'sns:Publish', resource: topic, context: {} })).toBe('Allowed');
    expect(await decide(role.identityPolicy, role.roleArn, { action: 'sns:Publish', resource: `${topic}-other`, context: {} })).not.toBe('Allowed');
    expect(await decide(role.identityPolicy, role.roleArn, { action: 'sns:Subscribe', resource: topic, context: {} })).not.toBe('Allowed');
  });

  it('reads withAWS + snsPublish from Groovy text; a topic known only at run time cannot be scoped', () => {
    const groovy = "def pwNotify1() {\n  withAWS(role: 'alerts', roleAccount: '999999999999', region: 'eu-west-1', duration: 900) {\n    snsPublish(topicArn: 'arn:aws:sns:eu-west-1:999999999999:a', message: 'x')\n    snsPublish(topicArn: env.TOPIC, message: 'y')\n  }\n}\n";
    const calls = pluginAwsCalls(groovy, undefined);
    expect(calls.map((c) => [c.aws.role, c.script])).toEqual([
      ['alerts', "aws sns publish --topic-arn 'arn:aws:sns:eu-west-1:999999999999:a'"],
      ['alerts', 'aws sns publish --topic-arn "$TOPIC"'],
    ]);
  });

  it('writes the trust conditions: external id, fixed session name or pattern, source identity', async () => {
    const pipeline = compiled('trust', { agent: 'none', stages: [{ name: 'Deploy', agent, steps: [deploy({})] }] });
    const trust = { principal: 'arn:aws:iam::555555555555:role/jenkins-agents', externalId: 'ci', sessionNamePattern: 'payments-*', sourceIdentityPattern: 'jenkins-*' };
    const [prod] = await generateIamPolicies(pipeline, { root: tmpdir(), trust });
    expect(prod!.roles[0]!.trustPolicy!.Statement).toEqual([
      {
        Sid: 'JenkinsAssumesRole',
        Effect: 'Allow',
        Principal: { AWS: trust.principal },
        Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'sts:ExternalId': 'ci' }, StringLike: { 'sts:RoleSessionName': 'payments-*', 'sts:SourceIdentity': 'jenkins-*' } },
      },
      { Sid: 'JenkinsSetsSourceIdentity', Effect: 'Allow', Principal: { AWS: trust.principal }, Action: ['sts:SetSourceIdentity'], Condition: { StringLike: { 'sts:SourceIdentity': 'jenkins-*' } } },
    ]);
  });
});
