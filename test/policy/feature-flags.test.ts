/**
 * A production flag change is a production change (#12.3): `featureFlagDeploy` into prod needs the
 * same approval (FLOW-001) and protected-branch `when` (FLOW-005) as a deploy, while the
 * image-oriented rules (scans before a release, promotion of one image) do not apply to it. Also
 * the whole compliant fintech pipeline stays clean with a flag change added after the prod deploy.
 */
import { describe, expect, it } from 'vitest';
import type { Stage, Step } from '../../src/model/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { findRule } from '../../src/policy/registry.ts';
import { isDeployStep } from '../../src/diff/facts.ts';
import { runPolicy } from '../../src/policy/engine.ts';
import type { Pipeline } from '../../src/model/schema.ts';
import { accounts, compliant, mutate, STAGE } from './fintech-fixture.ts';
import { pipeline, validPipeline } from './fixtures.ts';

/** Findings of the built-in packs with the default configuration. */
const lint = (p: Pipeline) => runPolicy(validPipeline(p), {}, { source: 'p.pipeline.ts' }).findings;

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;

const flagStep = (env: 'dev' | 'stage' | 'prod'): Step =>
  ({
    step: 'featureFlagDeploy',
    environment: env,
    aws: { role: `ecs-deployer-${env}`, account: accounts[env], region: 'eu-west-1' },
    flags: {
      provider: 'appconfig',
      application: 'a1b2c3d',
      environment: `${env}001`,
      configurationProfile: 'p7q8r9s',
      version: '7',
      strategy: 'AppConfig.Canary10Percent20Minutes',
    },
  }) as Step;

const flagStage = (env: 'dev' | 'stage' | 'prod', extra: Partial<Stage> = {}): Stage => ({
  name: `Flags ${env}`,
  agent: { type: 'label', label: `${env}-deployer` },
  when: { branch: 'main' },
  steps: [flagStep(env)],
  post: { failure: [{ step: 'notify', event: 'rolled-back', targets: [{ kind: 'slack', channel: '#payments-deploys', tokenCredentialId: 'slack-bot-token' }], environment: env }] as Step[] },
  ...extra,
});

/** The compliant pipeline with a prod flag change right after the prod deploy (behind the same approval). */
const withProdFlags = () => mutate((p) => p.stages.push(flagStage('prod')));
/** The compliant pipeline's environments, approvals and notifications, but a flag change in place of the prod deploy's approval. */
const unapprovedProdFlags = () =>
  mutate((p) => {
    p.stages.splice(STAGE.approve, 2);
    p.stages.push(flagStage('prod'));
  });

tester.run(rule('FLOW-001'), {
  valid: [{ name: 'a prod flag change after the prod approval', pipeline: withProdFlags() }],
  invalid: [
    {
      name: 'a prod flag change without an approval is an unapproved production change',
      pipeline: unapprovedProdFlags(),
      errors: [
        {
          path: ['stages', STAGE.approve, 'steps', 0],
          severity: 'error',
          environment: 'prod',
          message: 'featureFlagDeploy deploys to prod without an earlier approval for prod in this run',
        },
      ],
    },
  ],
});

tester.run(rule('FLOW-005'), {
  valid: [withProdFlags()],
  invalid: [
    {
      name: 'a prod flag change from any branch',
      pipeline: mutate((p) => p.stages.push(flagStage('prod', { when: undefined }))),
      errors: [{ path: ['stages', STAGE.deployProd + 1], environment: 'prod', message: /stage 'Flags prod' deploys to prod without a when/ }],
    },
  ],
});

tester.run(rule('SCAN-001'), {
  valid: [
    {
      name: 'a flag-only pipeline ships no code: no scans required',
      pipeline: pipeline({ environments: compliant().environments, stages: [flagStage('dev')] }),
    },
  ],
  invalid: [
    {
      name: 'a flag change does not stand in for the scans of a deploy next to it',
      pipeline: pipeline({
        environments: compliant().environments,
        stages: [{ ...flagStage('dev'), steps: [flagStep('dev'), compliant().stages[STAGE.deployDev]!.steps![0]!] }],
      }),
      errors: [{ path: ['stages', 0, 'steps', 1], message: /^ecsDeploy is not preceded by/ }],
    },
  ],
});

tester.run(rule('FLOW-006'), {
  valid: [
    {
      name: 'a flag change to prod alone is no image promotion',
      pipeline: mutate((p) => {
        p.stages.push(flagStage('prod'));
      }),
    },
  ],
  invalid: [
    {
      name: 'a flag change in dev does not promote the image through dev',
      pipeline: mutate((p) => {
        p.stages[STAGE.deployDev] = flagStage('dev');
      }),
      errors: [
        { path: ['stages', STAGE.deployStage, 'steps', 0], message: 'deploys to stage without first deploying the same image to dev in this run' },
        { path: ['stages', STAGE.deployProd, 'steps', 0], message: 'deploys to prod without first deploying the same image to dev in this run' },
      ],
    },
  ],
});

describe('the fintech pack on a pipeline with a prod flag change', () => {
  it('adds no finding to the compliant pipeline when the prod flag change is behind the approval', () => {
    const codes = (p: Pipeline) => lint(p).map((f) => `${f.code} ${f.message}`);
    expect(codes(withProdFlags())).toEqual(codes(compliant()));
  });

  it('reports the unapproved prod flag change as an error', () => {
    const findings = lint(unapprovedProdFlags());
    expect(findings.filter((f) => f.severity === 'error').map((f) => f.code)).toContain('FLOW-001');
  });
});

describe('pipewright diff', () => {
  it('counts a feature-flag deployment as a deploy (approvals and branch rules around it are release controls)', () => {
    expect(isDeployStep(flagStep('prod') as Parameters<typeof isDeployStep>[0])).toBe(true);
    expect(isDeployStep({ step: 'notify', event: 'failure', targets: [{ kind: 'email', to: ['a@example.com'] }] } as Parameters<typeof isDeployStep>[0])).toBe(false);
  });
});
