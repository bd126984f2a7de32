/** Behaviour of the presets: promotion, approvals, release refs, overrides, required choices. */
import { describe, expect, it } from 'vitest';
import { nodeService, reactApp, type Pipeline, type Stage, type Step } from '../../src/dsl/index.ts';
import { ECS_ENVIRONMENTS, EVIDENCE_EXPORT, PRESET_FIXTURES } from './fixtures.ts';
import { compile } from './support.ts';

/** Every stage, depth first, with its steps. */
function allStages(stages: readonly Stage[]): Stage[] {
  return stages.flatMap((stage) => [stage, ...allStages(stage.stages ?? []), ...allStages(stage.parallel ?? [])]);
}
/** `Pipeline` is the schema's input type, where stages are `unknown`: read them back as stages. */
function stagesOf(pipeline: Pipeline): Stage[] {
  return pipeline.stages as Stage[];
}
function stepKinds(pipeline: Pipeline): string[] {
  return allStages(stagesOf(pipeline)).flatMap((stage) => (stage.steps ?? []).map((step: Step) => step.step));
}
const base = {
  name: 'payments-api',
  registry: { accountId: '999999999999', region: 'eu-west-1', pushRole: 'ecr-pusher' },
  environments: ECS_ENVIRONMENTS,
  sonar: { installation: 'sonarqube-prod' },
  signing: { key: 'awskms:///alias/ci-cosign' },
};

describe('nodeService', () => {
  const pipeline = PRESET_FIXTURES['node-service-ecs']!();

  it('runs the whole workflow in order: scans before push, push before deploys, approval before prod', () => {
    expect(stagesOf(pipeline).map((s) => s.name)).toEqual([
      'Build & test',
      'Quality gate',
      'Image',
      'Deploy dev',
      'Deploy stage',
      'Request prod approval',
      'Approve prod',
      'Deploy prod',
    ]);
    const kinds = stepKinds(pipeline);
    const first = (kind: string) => kinds.indexOf(kind);
    for (const scan of ['trivyScan', 'snykScan', 'sonarScan', 'sonarQualityGate']) expect(first(scan)).toBeLessThan(first('ecrPush'));
    expect(kinds.filter((k) => k === 'trivyScan')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'dockerBuild')).toHaveLength(1);
    expect(first('ecrPush')).toBeLessThan(first('sbom'));
    expect(first('sbom')).toBeLessThan(first('cosignSign'));
    expect(first('approvalCheck')).toBeLessThan(kinds.lastIndexOf('ecsDeploy'));
  });

  it('deploys to each environment with its own account, role and agent, prod only from main or a release tag', () => {
    const deploys = stagesOf(pipeline).filter((s) => s.name.startsWith('Deploy '));
    expect(deploys.map((s) => s.agent)).toEqual(ECS_ENVIRONMENTS.map((e) => ({ type: 'label', label: e.agentLabel })));
    const steps = deploys.map((s) => s.steps?.[0]);
    expect(steps.map((s) => s?.step === 'ecsDeploy' && [s.environment, s.aws.account, s.aws.role])).toEqual([
      ['dev', '111111111111', 'ecs-deployer-dev'],
      ['stage', '222222222222', 'ecs-deployer-stage'],
      ['prod', '333333333333', 'ecs-deployer-prod'],
    ]);
    const prod = deploys[2]!;
    expect(prod.when).toEqual({
      beforeAgent: true,
      allOf: [
        { not: { changeRequest: true } },
        { anyOf: [{ branch: { pattern: 'main', comparator: 'EQUALS' } }, { tag: { pattern: 'v*', comparator: 'GLOB' } }] },
      ],
    });
    expect(pipeline.environments).toBe(ECS_ENVIRONMENTS);
  });

  it('asks for approval without an executor, with groups, approver, change ticket and timeout', () => {
    const approval = stagesOf(pipeline).find((s) => s.name === 'Approve prod')!;
    expect(approval.agent).toBe('none');
    expect(approval.options).toEqual({ timeout: { time: 1440, unit: 'MINUTES' } });
    expect(approval.when?.beforeInput).toBe(true);
    expect(approval.input).toMatchObject({ submitter: ['payments-release-managers'], submitterParameter: 'APPROVER' });
    expect(approval.input?.parameters?.map((p) => p.name)).toEqual(['CHANGE_ID']);
    expect(approval.steps).toEqual([{ step: 'approvalCheck', environment: 'prod' }]);
  });

  it('verifies the signature before deploying and never pushes from a pull request', () => {
    const deploy = stagesOf(pipeline).find((s) => s.name === 'Deploy prod')!.steps![0]!;
    expect(deploy).toMatchObject({ step: 'ecsDeploy', verifySignature: { key: 'awskms:///alias/ci-cosign' }, smokeTest: './scripts/smoke.sh' });
    const publish = allStages(stagesOf(pipeline)).find((s) => s.name === 'Publish')!;
    expect(publish.when).toEqual({ not: { changeRequest: true } });
  });

  it('bounds every top-level stage with a stage timeout, deploys beyond the deploy step\'s own (BASE-001)', () => {
    const timeouts = Object.fromEntries(stagesOf(pipeline).map((s) => [s.name, s.options?.timeout]));
    const minutes = (time: number) => ({ time, unit: 'MINUTES' });
    expect(timeouts).toEqual({
      'Build & test': minutes(30),
      // The gate's own timeout (15) fires first; the stage's bounds the stage.
      'Quality gate': minutes(20),
      Image: minutes(30),
      // ecsDeploy's script timeout is rollout 20 + 20; the stage adds agent and lock waits,
      // the post safety-net rollback and the evidence export.
      'Deploy dev': minutes(70),
      'Deploy stage': minutes(70),
      'Request prod approval': minutes(5),
      'Approve prod': minutes(1440),
      'Deploy prod': minutes(70),
    });
    expect(pipeline.options?.timeout).toBeUndefined();
    const longer = nodeService({ ...base, overrides: { ecsDeploy: { timeoutMinutes: 30 } } });
    expect(stagesOf(longer).find((s) => s.name === 'Deploy prod')!.options).toEqual({ timeout: minutes(80) });
    const eks = PRESET_FIXTURES['node-service-eks-gitops']!();
    expect(stagesOf(eks).filter((s) => s.name.startsWith('Deploy ')).map((s) => s.options?.timeout)).toEqual([minutes(50), minutes(50), minutes(45)]);
  });

  it('exports each deploy\'s evidence and the scan reports to the Object Lock bucket after everything else', () => {
    const stages = stagesOf(pipeline);
    const stash = (name: string) => ({ step: 'stash', name, includes: 'reports/**', allowEmpty: true });
    expect(stages.find((s) => s.name === 'Build & test')!.post).toEqual({ always: [stash('reports-build')] });
    expect(stages.find((s) => s.name === 'Image')!.post).toEqual({ always: [stash('reports-image')] });
    for (const env of ['dev', 'stage', 'prod']) {
      const post = stages.find((s) => s.name === `Deploy ${env}`)!.post!;
      expect(post.cleanup).toEqual([
        {
          step: 'evidenceExport',
          bucket: 'fintech-audit-evidence',
          prefix: 'deploys',
          aws: EVIDENCE_EXPORT.aws,
          environment: env,
          stashes: ['reports-build', 'reports-image'],
        },
      ]);
      expect(Object.keys(post)).toEqual(['success', 'unsuccessful', 'cleanup']);
    }
    const withoutExport = nodeService({ ...base, evidenceExport: EVIDENCE_EXPORT, overrides: { evidenceExport: false } });
    expect(stagesOf(withoutExport).some((s) => s.post?.cleanup !== undefined || s.post?.always !== undefined)).toBe(false);
    expect(stepKinds(withoutExport)).not.toContain('evidenceExport');
  });

  it('makes removals explicit: no SonarQube or signing unless configured or removed', () => {
    const { sonar: _sonar, ...noSonar } = base;
    expect(() => nodeService(noSonar)).toThrow(/overrides: \{ sonar: false \}/);
    const { signing: _signing, ...noSigning } = base;
    expect(() => nodeService(noSigning)).toThrow(/overrides: \{ sign: false \}/);
    const removed = nodeService({ ...noSigning, overrides: { sign: false, snyk: false } });
    expect(stepKinds(removed)).not.toContain('cosignSign');
    expect(stepKinds(removed).filter((k) => k === 'snykScan')).toHaveLength(1);
    const deploy = stagesOf(removed).find((s) => s.name === 'Deploy prod')!.steps![0]!;
    expect(deploy).not.toHaveProperty('verifySignature');
  });

  it('applies overrides to steps and lets a function have the last word on the stages', () => {
    const pipeline = PRESET_FIXTURES['node-service-overrides']!();
    expect(stagesOf(pipeline).map((s) => s.name)).toEqual(['Build & test', 'Image', 'Deploy dev']);
    const kinds = stepKinds(pipeline);
    expect(kinds).not.toContain('sonarScan');
    expect(kinds).not.toContain('notify');
    const trivyFs = allStages(stagesOf(pipeline)).flatMap((s) => s.steps ?? []).find((s) => s.step === 'trivyScan' && s.target === 'fs');
    expect(trivyFs).toEqual({ step: 'trivyScan', target: 'fs', version: '0.57.1', severity: ['CRITICAL'] });
    expect(stagesOf(pipeline)[2]!.steps![0]).toMatchObject({ engine: 'pipewright', timeoutMinutes: 15 });
    expect(pipeline.post).toBeUndefined();
  });

  it('compiles every preset fixture', () => {
    for (const make of Object.values(PRESET_FIXTURES)) expect(compile(make()).text).toMatch(/^pipeline \{/);
  });
});

describe('reactApp', () => {
  it('builds once, archives and stashes the output, and publishes the same stash to every environment', () => {
    const pipeline = PRESET_FIXTURES['react-app-s3']!();
    expect(stagesOf(pipeline).map((s) => s.name)).toEqual([
      'Build & test',
      'Quality gate',
      'Deploy dev',
      'Request prod approval',
      'Approve prod',
      'Deploy prod',
    ]);
    const build = allStages(stagesOf(pipeline)).find((s) => s.name === 'Build')!;
    expect(build.steps).toEqual([
      { step: 'npmRun', script: 'build', archive: 'dist/**' },
      { step: 'stash', name: 'site', includes: 'dist/**' },
    ]);
    const publishes = stagesOf(pipeline).flatMap((s) => s.steps ?? []).filter((s) => s.step === 's3Publish');
    expect(publishes.map((s) => s.step === 's3Publish' && [s.environment, s.bucket, s.stash])).toEqual([
      ['dev', 'fintech-web-dev', 'site'],
      ['prod', 'fintech-web-prod', 'site'],
    ]);
  });

  it('exports the evidence of S3 publishes with the build stage\'s reports (no image stage to stash)', () => {
    const pipeline = PRESET_FIXTURES['react-app-s3']!();
    const stages = stagesOf(pipeline);
    expect(stages.find((s) => s.name === 'Build & test')!.post?.always).toEqual([{ step: 'stash', name: 'reports-build', includes: 'reports/**', allowEmpty: true }]);
    const prod = stages.find((s) => s.name === 'Deploy prod')!;
    expect(prod.post?.cleanup).toEqual([expect.objectContaining({ step: 'evidenceExport', environment: 'prod', stashes: ['reports-build'] })]);
    expect(stages.every((s) => s.options?.timeout !== undefined)).toBe(true);
  });

  it('packages the build output into an image for ECS environments', () => {
    const pipeline = PRESET_FIXTURES['react-app-ecs']!();
    const image = stagesOf(pipeline).find((s) => s.name === 'Image')!;
    expect(image.stages![0]!.steps![0]).toEqual({ step: 'unstash', name: 'site' });
    expect(stepKinds(pipeline)).toEqual(expect.arrayContaining(['dockerBuild', 'ecrPush', 'cosignSign', 'ecsDeploy']));
    expect(() => reactApp({ name: 'web', environments: ECS_ENVIRONMENTS, overrides: { sonar: false } })).toThrow(/registry/);
  });
});
