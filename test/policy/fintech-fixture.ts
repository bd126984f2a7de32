/**
 * A complete, compliant fintech pipeline (dev → stage → prod on ECS) for rule tests: every
 * fintech rule passes on it, and each invalid case changes one thing. `compliant()` returns a
 * fresh deep copy, so tests can mutate it freely.
 */
import type { Pipeline, Stage, Step } from '../../src/model/schema.ts';

const region = 'eu-west-1';
const slack = [{ kind: 'slack' as const, channel: '#payments-deploys', tokenCredentialId: 'slack-bot-token' }];
export const accounts = { dev: '111111111111', stage: '222222222222', prod: '333333333333', tooling: '444444444444' };

export const deployStep = (env: 'dev' | 'stage' | 'prod', extra: Record<string, unknown> = {}): Step =>
  ({
    step: 'ecsDeploy',
    environment: env,
    aws: { role: `ecs-deployer-${env}`, account: accounts[env], region },
    cluster: `${env}-apps`,
    service: 'payments-api',
    container: 'app',
    taskDefinition: `deploy/taskdef.${env}.json`,
    smokeTest: './scripts/smoke.sh',
    ...(env === 'prod' ? { verifySignature: { key: 'awskms:///alias/ci-cosign' } } : {}),
    // Cost allocation (COST-001).
    tags: { service: 'payments-api', team: 'payments', environment: env, 'cost-center': 'CC-1042' },
    ...extra,
  }) as Step;

export const deployStage = (env: 'dev' | 'stage' | 'prod', steps: Step[] = [deployStep(env)]): Stage => ({
  name: `Deploy ${env}`,
  agent: { type: 'label', label: `${env}-deployer` },
  when: { branch: 'main' },
  steps,
  post: { failure: [{ step: 'notify', event: 'rolled-back', targets: slack, environment: env }] as Step[] },
});

export const approvalStage = (): Stage => ({
  name: 'Approve prod',
  agent: 'none',
  when: { branch: 'main', beforeInput: true },
  options: { timeout: { time: 24, unit: 'HOURS' } },
  input: {
    message: 'Deploy payments-api to production?',
    ok: 'Deploy',
    submitter: ['payments-release-managers'],
    submitterParameter: 'APPROVER',
    parameters: [{ type: 'string', name: 'CHANGE_ID', description: 'Change ticket', trim: true }],
  },
  steps: [{ step: 'approvalCheck', environment: 'prod' }] as Step[],
});

const environments = (['dev', 'stage', 'prod'] as const).map((env) => ({
  name: env,
  awsAccountId: accounts[env],
  region,
  deployRole: `ecs-deployer-${env}`,
  agentLabel: `${env}-deployer`,
  target: { kind: 'ecs' as const, cluster: `${env}-apps`, service: 'payments-api', container: 'app', taskDefinition: `deploy/taskdef.${env}.json` },
  ...(env === 'prod' ? { approval: { submitters: ['payments-release-managers'] } } : {}),
}));

const base: Pipeline = {
  agent: { type: 'label', label: 'linux && docker && ephemeral' },
  options: { timeout: { time: 60, unit: 'MINUTES' }, buildDiscarder: { daysToKeep: 400 }, disableConcurrentBuilds: true },
  environments,
  stages: [
    { name: 'Checkout', steps: [{ step: 'checkout', scm: true }] },
    { name: 'Build & test', steps: [{ step: 'npmCi' }, { step: 'npmRun', script: 'test', junit: 'reports/junit/*.xml' }] as Step[] },
    {
      name: 'Scans',
      failFast: true,
      parallel: [
        { name: 'SAST', steps: [{ step: 'sonarScan', installation: 'sonarqube-prod', projectKey: 'payments-api' }] as Step[] },
        { name: 'Dependencies and secrets', steps: [{ step: 'trivyScan', target: 'fs', version: '0.58.1' }] as Step[] },
      ],
    },
    { name: 'Quality gate', agent: 'none', steps: [{ step: 'sonarQualityGate', timeoutMinutes: 15 }] as Step[] },
    {
      name: 'Image',
      steps: [
        { step: 'dockerBuild', repository: 'payments-api' },
        { step: 'trivyScan', target: 'image', version: '0.58.1' },
      ] as Step[],
    },
    {
      name: 'Publish',
      when: { branch: 'main' },
      steps: [
        {
          step: 'ecrPush',
          repository: 'payments-api',
          registry: { accountId: accounts.tooling, region },
          aws: { role: 'ecr-pusher', account: accounts.tooling, region },
        },
        { step: 'sbom', formats: ['cyclonedx'] },
        { step: 'cosignSign', key: 'awskms:///alias/ci-cosign', aws: { role: 'cosign-signer', account: accounts.tooling, region } },
      ] as Step[],
    },
    deployStage('dev'),
    deployStage('stage', [deployStep('stage'), { step: 'notify', event: 'approval', targets: slack, environment: 'prod' } as Step]),
    approvalStage(),
    deployStage('prod'),
  ],
  post: { failure: [{ step: 'notify', event: 'failure', targets: slack }] as Step[] },
};

/** A fresh copy of the compliant pipeline. */
export const compliant = (): Pipeline => structuredClone(base);

/** Stage index by name in the compliant pipeline. */
export const STAGE = {
  checkout: 0,
  build: 1,
  scans: 2,
  gate: 3,
  image: 4,
  publish: 5,
  deployDev: 6,
  deployStage: 7,
  approve: 8,
  deployProd: 9,
} as const;

/** Applies `change` to a fresh compliant pipeline and returns it. */
export function mutate(change: (p: Pipeline & { stages: Stage[] }) => void): Pipeline {
  const p = compliant() as Pipeline & { stages: Stage[] };
  change(p);
  return p;
}
