import { describe, it } from 'vitest';
import type { Step } from '../../src/model/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { findRule } from '../../src/policy/registry.ts';
import { STAGE, compliant, mutate } from './fintech-fixture.ts';
import { sh } from './fixtures.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;

tester.run(rule('FLOW-001'), {
  valid: [
    compliant(),
    { name: 'stage that carries its own input', pipeline: mutate((p) => {
      const approve = p.stages[STAGE.approve]!;
      p.stages.splice(STAGE.approve, 1);
      const prod = p.stages[STAGE.approve]!;
      prod.input = approve.input;
      prod.steps = [{ step: 'approvalCheck', environment: 'prod' } as Step, ...(prod.steps ?? [])];
    }) },
    { name: 'dev needs no approval', pipeline: mutate((p) => p.stages.splice(STAGE.approve, 2)) },
  ],
  invalid: [
    {
      name: 'approval removed',
      pipeline: mutate((p) => p.stages.splice(STAGE.approve, 1)),
      errors: [{ path: ['stages', STAGE.approve, 'steps', 0], message: /ecsDeploy deploys to prod without an earlier approval/, environment: 'prod', severity: 'error' }],
    },
    {
      name: 'approval after the deploy',
      pipeline: mutate((p) => p.stages.push(p.stages.splice(STAGE.approve, 1)[0]!)),
      errors: [{ path: ['stages', STAGE.approve, 'steps', 0] }],
    },
    {
      name: 'approval for another environment',
      pipeline: mutate((p) => { (p.stages[STAGE.approve]!.steps![0] as { environment: string }).environment = 'stage'; }),
      errors: [{ environment: 'prod' }],
    },
    {
      name: 'shell deploy in a prod stage',
      pipeline: mutate((p) => p.stages.splice(STAGE.approve, 2, { name: 'Release to production', steps: [sh('aws ecs update-service --cluster prod-apps')] })),
      errors: [{ message: /'aws ecs update-service' deploys to prod/ }],
    },
    {
      name: 'config requires approval for stage too',
      config: { environments: { stage: { requireApproval: true } } },
      pipeline: compliant(),
      errors: [{ path: ['stages', STAGE.deployStage, 'steps', 0], environment: 'stage' }],
    },
  ],
});

tester.run(rule('FLOW-002'), {
  valid: [compliant(), { pipeline: compliant(), config: { environments: { prod: { approverGroups: ['payments-release-managers'] } } } }],
  invalid: [
    { pipeline: mutate((p) => { delete p.stages[STAGE.approve]!.input!.submitter; }), errors: [{ path: ['stages', STAGE.approve, 'input'], message: /no submitter/ }] },
    { pipeline: mutate((p) => { p.stages[STAGE.approve]!.input!.submitter = 'authenticated'; }), errors: [{ path: ['stages', STAGE.approve, 'input', 'submitter'], message: /everyone/ }] },
    {
      name: 'group not allowed by the org',
      config: { environments: { prod: { approverGroups: ['cab'] } } },
      pipeline: compliant(),
      errors: [
        { path: ['stages', STAGE.approve, 'input', 'submitter'], message: /'payments-release-managers' is not an approver group allowed for prod/ },
        { path: ['environments', 2, 'approval', 'submitters', 0] },
      ],
    },
  ],
});

tester.run(rule('FLOW-003'), {
  valid: [compliant()],
  invalid: [
    { pipeline: mutate((p) => { delete p.stages[STAGE.approve]!.input!.submitterParameter; }), errors: [{ path: ['stages', STAGE.approve, 'input'], message: /does not record the approver/ }] },
    { pipeline: mutate((p) => { p.stages[STAGE.approve]!.steps = [sh('echo ok')]; }), errors: [{ path: ['stages', STAGE.approve], message: /no approvalCheck/ }] },
    {
      pipeline: mutate((p) => { (p.stages[STAGE.approve]!.steps![0] as Record<string, unknown>).forbidSelfApproval = false; }),
      errors: [{ path: ['stages', STAGE.approve, 'steps', 0, 'forbidSelfApproval'] }],
    },
    {
      name: 'check reads another variable',
      pipeline: mutate((p) => { p.stages[STAGE.approve]!.input!.submitterParameter = 'APPROVED_BY'; }),
      errors: [{ message: /reads APPROVER, but the input records the approver in APPROVED_BY/ }],
    },
    { pipeline: mutate((p) => { p.environments![2]!.approval!.forbidSelfApproval = false; }), errors: [{ path: ['environments', 2, 'approval', 'forbidSelfApproval'] }] },
  ],
});

tester.run(rule('FLOW-004'), {
  valid: [compliant()],
  invalid: [
    { pipeline: mutate((p) => { delete p.stages[STAGE.approve]!.options; }), errors: [{ path: ['stages', STAGE.approve], message: /no timeout/, severity: 'warning' }] },
    { pipeline: mutate((p) => { p.stages[STAGE.approve]!.options = { timeout: { time: 3, unit: 'DAYS' } }; }), errors: [{ path: ['stages', STAGE.approve, 'options', 'timeout'], message: /4320 minutes, more than the 1440/ }] },
    { pipeline: mutate((p) => { delete p.stages[STAGE.approve]!.agent; }), errors: [{ path: ['stages', STAGE.approve], message: /holds an executor/ }] },
    { pipeline: mutate((p) => { p.environments![2]!.approval!.timeoutMinutes = 2000; }), errors: [{ path: ['environments', 2, 'approval', 'timeoutMinutes'] }] },
  ],
});

tester.run(rule('FLOW-005'), {
  valid: [
    compliant(),
    { name: 'release tags', pipeline: mutate((p) => { p.stages[STAGE.deployProd]!.when = { tag: 'v*' }; }) },
    { name: 'anyOf of protected refs', pipeline: mutate((p) => { p.stages[STAGE.deployProd]!.when = { anyOf: [{ branch: 'main' }, { branch: 'release/1.2' }] }; }) },
  ],
  invalid: [
    {
      pipeline: mutate((p) => { p.stages[STAGE.deployProd]!.when = { branch: 'feature/*' }; }),
      errors: [{ path: ['stages', STAGE.deployProd, 'when'], message: /without a when restricting it to main, release\/\*/, environment: 'prod' }],
    },
    {
      name: 'no when: also runs in pull requests',
      pipeline: mutate((p) => { delete p.stages[STAGE.deployProd]!.when; }),
      errors: [{ path: ['stages', STAGE.deployProd] }],
    },
    {
      name: 'push stage runs for pull requests',
      pipeline: mutate((p) => { delete p.stages[STAGE.publish]!.when; }),
      errors: [{ path: ['stages', STAGE.publish], message: /runs ecrPush with AWS credentials in pull-request builds/ }],
    },
    { pipeline: mutate((p) => { p.environments![2]!.releaseFrom = { branches: ['develop'] }; }), errors: [{ path: ['environments', 2, 'releaseFrom', 'branches', 0] }] },
    {
      name: 'evidence export (audit-account role) in a stage that runs for pull requests',
      pipeline: mutate((p) => {
        p.stages[STAGE.build]!.post = {
          always: [{ step: 'evidenceExport', bucket: 'fintech-audit-evidence', aws: { role: 'evidence-writer', account: '444444444444', region: 'eu-west-1' } } as Step],
        };
      }),
      errors: [{ path: ['stages', STAGE.build], message: /runs evidenceExport with AWS credentials in pull-request builds/ }],
    },
  ],
});

tester.run(rule('FLOW-006'), {
  valid: [compliant()],
  invalid: [
    {
      name: 'prod without stage',
      pipeline: mutate((p) => p.stages.splice(STAGE.deployStage, 1)),
      errors: [{ path: ['stages', STAGE.deployStage + 1, 'steps', 0], message: /without first deploying the same image to stage/ }],
    },
    {
      name: 'second build',
      pipeline: mutate((p) => p.stages[STAGE.deployStage]!.steps!.unshift({ step: 'dockerBuild', repository: 'payments-api' } as Step)),
      errors: [{ message: /second image/ }, { message: /built after a deploy/, environment: 'dev' }],
    },
  ],
});

tester.run(rule('FLOW-007'), {
  valid: [compliant()],
  invalid: [
    {
      pipeline: mutate((p) => { delete p.stages[STAGE.approve]!.input!.parameters; }),
      errors: [{ path: ['stages', STAGE.approve, 'input'], message: /change ticket/, severity: 'error', environment: 'prod' }],
    },
    {
      name: 'warning outside production',
      pipeline: mutate((p) => {
        delete p.stages[STAGE.approve]!.input!.parameters;
        (p.stages[STAGE.approve]!.steps![0] as { environment: string }).environment = 'stage';
      }),
      errors: [{ severity: 'warning', environment: 'stage' }],
    },
    {
      pipeline: mutate((p) => { p.stages[STAGE.approve]!.input!.parameters = [{ type: 'booleanParam', name: 'CHANGE_ID' }]; }),
      errors: [{ path: ['stages', STAGE.approve, 'input', 'parameters', 0] }],
    },
  ],
});
