/** OBS-001 (CloudWatch Logs on production task definitions) and COST-001 (cost-allocation tags in production). */
import { describe, it } from 'vitest';
import type { Step } from '../../src/model/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { findRule } from '../../src/policy/registry.ts';
import { STAGE, compliant, deployStep, mutate } from './fintech-fixture.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;
const TEMPLATE = 'deploy/taskdef.prod.json';
const deployPath = ['stages', STAGE.deployProd, 'steps', 0];

const awslogs = { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/payments-api-prod', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'app' } };
const template = (...containers: object[]) => JSON.stringify({ family: 'payments-api', containerDefinitions: containers });

tester.run(rule('OBS-001'), {
  valid: [
    { name: 'every container logs with awslogs', pipeline: compliant(), files: { [TEMPLATE]: template({ name: 'app', logConfiguration: awslogs }, { name: 'sidecar', logConfiguration: awslogs }) } },
    { name: 'template not in the project: preflight checks the running task definition', pipeline: compliant() },
    {
      name: 'a dev template without logs is not this rule\'s business',
      pipeline: compliant(),
      files: { [TEMPLATE]: template({ name: 'app', logConfiguration: awslogs }), 'deploy/taskdef.dev.json': template({ name: 'app' }) },
    },
    {
      name: 'the pipewright engine renders from the running task definition (preflight PF017)',
      pipeline: mutate((p) => {
        p.stages[STAGE.deployProd]!.steps = [deployStep('prod', { engine: 'pipewright', taskDefinition: undefined }) as Step];
      }),
      files: { [TEMPLATE]: template({ name: 'app' }) },
    },
  ],
  invalid: [
    {
      name: 'a container without logConfiguration, one with FireLens, one with awslogs but no group',
      pipeline: compliant(),
      files: {
        [TEMPLATE]: template(
          { name: 'app' },
          { name: 'router', logConfiguration: { logDriver: 'awsfirelens' } },
          { name: 'worker', logConfiguration: { logDriver: 'awslogs', options: {} } },
          { name: 'ok', logConfiguration: awslogs },
        ),
      },
      errors: [
        { path: [...deployPath, 'taskDefinition'], severity: 'error', environment: 'prod', message: /^deploy\/taskdef\.prod\.json: container "app" does not log to CloudWatch Logs \(no logConfiguration\)/ },
        { path: [...deployPath, 'taskDefinition'], message: /container "router" does not log to CloudWatch Logs \(logDriver awsfirelens\)/ },
        { path: [...deployPath, 'taskDefinition'], message: /container "worker" does not log to CloudWatch Logs \(logDriver awslogs without awslogs-group\)/ },
      ],
    },
  ],
});

tester.run(rule('COST-001'), {
  valid: [
    compliant(),
    {
      name: 'dev without tags is not required',
      pipeline: mutate((p) => {
        p.stages[STAGE.deployDev]!.steps = [deployStep('dev', { tags: undefined }) as Step];
      }),
    },
  ],
  invalid: [
    {
      name: 'prod without tags',
      pipeline: mutate((p) => {
        p.stages[STAGE.deployProd]!.steps = [deployStep('prod', { tags: undefined }) as Step];
      }),
      errors: [{ path: deployPath, severity: 'error', environment: 'prod', message: 'ecsDeploy to prod lacks the cost-allocation tag(s) service, team, environment, cost-center' }],
    },
    {
      name: 'prod without a cost center, and an empty team',
      pipeline: mutate((p) => {
        p.stages[STAGE.deployProd]!.steps = [deployStep('prod', { tags: { service: 'payments-api', team: ' ', environment: 'prod' } }) as Step];
      }),
      errors: [{ path: [...deployPath, 'tags'], message: 'ecsDeploy to prod lacks the cost-allocation tag(s) team, cost-center' }],
    },
    {
      name: 'prod tagged as another environment',
      pipeline: mutate((p) => {
        p.stages[STAGE.deployProd]!.steps = [deployStep('prod', { tags: { service: 'payments-api', team: 'payments', environment: 'stage', 'cost-center': 'CC-1042' } }) as Step];
      }),
      errors: [{ path: [...deployPath, 'tags', 'environment'], message: /tagged environment=stage: costs would be booked to the wrong environment/ }],
    },
  ],
});
