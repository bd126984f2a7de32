/**
 * Every delivery step kind that assumes a role (the delivery fixtures of test/delivery) gets a
 * valid policy that allows what its script calls; iam:PassRole is granted only for the roles of
 * the task-definition template, only to ECS tasks.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePipelineValue } from '../../src/compile.ts';
import type { CompiledPipeline } from '../../src/compiled.ts';
import { generateIamPolicies } from '../../src/iam/generate.ts';
import { STEP_FIXTURES } from '../delivery/fixtures.ts';
import { concreteRequest, decide } from './simulator.ts';

function compiled(name: string): CompiledPipeline {
  const result = compilePipelineValue(STEP_FIXTURES[name], `pipelines/${name}.pipeline.ts`, { name });
  expect(result.ast, JSON.stringify(result.diagnostics)).toBeDefined();
  return { ...result, output: `generated/${name}/Jenkinsfile` };
}

function stepOf(pipeline: CompiledPipeline, path: string): Record<string, any> {
  let value: any = pipeline.model;
  for (const part of path.split('/')) value = value[/^\d+$/.test(part) ? Number(part) : part];
  return value;
}

const withRole = Object.keys(STEP_FIXTURES).filter((name) => compiled(name).jenkinsfile!.includes('withAWS('));

describe('pipewright iam per delivery step kind', () => {
  it('covers every fixture that assumes a role', () => {
    expect(withRole).toEqual(expect.arrayContaining(['ecr-push', 'cosign-sign', 'cosign-sign-private', 'ecs-deploy-aws-cli', 'ecs-deploy-pipewright', 'eks-deploy-helm', 'traffic-shift-alb', 'traffic-shift-route53']));
  });

  it.each(withRole)('%s: every call is allowed on its own resource', async (name) => {
    const pipeline = compiled(name);
    const policies = await generateIamPolicies(pipeline, { root: tmpdir() });
    const roles = policies.flatMap((p) => p.roles);
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      for (const path of role.modelSteps) {
        const step = stepOf(pipeline, path);
        for (const call of role.calls) {
          const request = concreteRequest(call.action, call.resourceType, step, name)!;
          expect(request, `${call.action} on ${call.resourceType}`).toBeDefined();
          expect(await decide(role.identityPolicy, role.roleArn, request), `${call.action} on ${request.resource}`).toBe('Allowed');
        }
      }
    }
  });

  it('pipewright ecs-deploy: the SDK calls of the engine are granted on the service and task-definition family', async () => {
    const [policies] = await generateIamPolicies(compiled('ecs-deploy-pipewright'), { root: tmpdir() });
    const actions = policies!.roles.flatMap((r) => r.identityPolicy.Statement.flatMap((s) => s.Action));
    expect(actions).toEqual(expect.arrayContaining(['ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:UpdateService']));
    expect(policies!.roles[0]!.notes.join('\n')).toMatch(/family assumed .*pipewright engine/);
  });

  it('grants iam:PassRole only on the template\'s task and execution roles, only to ecs-tasks.amazonaws.com', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipewright-iam-'));
    try {
      mkdirSync(join(root, 'deploy'));
      writeFileSync(
        join(root, 'deploy/taskdef.prod.json'),
        JSON.stringify({
          family: 'payments-api-prod',
          taskRoleArn: 'arn:aws:iam::333333333333:role/payments-api-task',
          executionRoleArn: 'payments-api-execution',
          containerDefinitions: [{ name: 'app', image: 'placeholder' }],
        }),
      );
      const pipeline = compiled('ecs-deploy-aws-cli');
      const [policies] = await generateIamPolicies(pipeline, { root });
      const role = policies!.roles[0]!;
      expect(role.notes).toEqual(['no trust policy: give the Jenkins principal (--principal, or iam.trust.principal in pipewright.config.ts)']);
      const passRole = role.identityPolicy.Statement.find((s) => s.Action.includes('iam:PassRole'))!;
      expect(passRole).toEqual({
        Sid: 'EcsDeployProdIamRole',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: ['arn:aws:iam::333333333333:role/payments-api-execution', 'arn:aws:iam::333333333333:role/payments-api-task'],
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      });
      const pass = (resource: string, service: string) =>
        decide(role.identityPolicy, role.roleArn, { action: 'iam:PassRole', resource, context: { 'iam:PassedToService': service } });
      expect(await pass('arn:aws:iam::333333333333:role/payments-api-task', 'ecs-tasks.amazonaws.com')).toBe('Allowed');
      expect(await pass('arn:aws:iam::333333333333:role/payments-api-execution', 'ecs-tasks.amazonaws.com')).toBe('Allowed');
      expect(await pass('arn:aws:iam::333333333333:role/payments-api-task', 'lambda.amazonaws.com')).not.toBe('Allowed');
      expect(await pass('arn:aws:iam::333333333333:role/admin', 'ecs-tasks.amazonaws.com')).not.toBe('Allowed');
      const step = { ...stepOf(pipeline, role.modelSteps[0]!), family: 'payments-api-prod' };
      const register = concreteRequest('ecs:RegisterTaskDefinition', 'task-definition', step, 'payments-api')!;
      expect(await decide(role.identityPolicy, role.roleArn, register)).toBe('Allowed');
      const otherFamily = concreteRequest('ecs:RegisterTaskDefinition', 'task-definition', { ...step, family: 'ledger-service-prod' }, 'payments-api')!;
      expect(await decide(role.identityPolicy, role.roleArn, otherFamily)).not.toBe('Allowed');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
