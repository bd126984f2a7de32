/**
 * Alarms, bake and cost tags as the presets and the company pipelines use them (#12 done-when:
 * "the company's pipelines use alarms, bake and tags in prod and still lint clean").
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileProject, type CompileRun } from '../../src/compile.ts';
import type { DeliveryEnvironment, EcsDeployStep } from '../../src/model/delivery.ts';
import type { Pipeline, Stage, Step } from '../../src/model/schema.ts';
import { nodeService, PRESET_PROD_BAKE_MINUTES, withEcsReleaseSettings } from '../../src/presets/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function ecsSteps(stages: readonly Stage[]): EcsDeployStep[] {
  return stages.flatMap((stage) => [
    ...((stage.steps ?? []) as Step[]).filter((step): step is Step & EcsDeployStep => step.step === 'ecsDeploy'),
    ...ecsSteps(stage.stages ?? []),
    ...ecsSteps(stage.parallel ?? []),
  ]);
}

const env = (name: 'dev' | 'prod', account: string, alarms?: string[]): DeliveryEnvironment => ({
  name,
  awsAccountId: account,
  region: 'eu-west-1',
  deployRole: `ecs-deployer-${name}`,
  agentLabel: `${name}-deployer`,
  target: {
    kind: 'ecs',
    cluster: `${name}-apps`,
    service: 'orders',
    container: 'app',
    taskDefinition: `deploy/taskdef.${name}.json`,
    ...(alarms ? { alarms } : {}),
  },
  ...(name === 'prod' ? { approval: { submitters: ['release-managers'] } } : {}),
});

const base = {
  name: 'orders',
  registry: { accountId: '999999999999', region: 'eu-west-1', pushRole: 'ecr-pusher' },
  overrides: { sonar: false as const, sign: false as const },
};

describe('nodeService: alarms, bake and cost tags', () => {
  it('passes each target\'s alarms, bakes in prod only, and tags every ECS deploy', () => {
    const pipeline: Pipeline = nodeService({
      ...base,
      environments: [env('dev', '111111111111', ['orders-dev-5xx']), env('prod', '333333333333', ['orders-prod-5xx', 'orders-prod-p99'])],
      costAllocation: { team: 'orders', costCenter: 'CC-7', tags: { product: 'shop' } },
    });
    const [dev, prod] = ecsSteps(pipeline.stages as Stage[]);
    expect(dev).toMatchObject({ environment: 'dev', alarms: ['orders-dev-5xx'] });
    expect(dev!.bake).toBeUndefined();
    expect(prod).toMatchObject({
      environment: 'prod',
      alarms: ['orders-prod-5xx', 'orders-prod-p99'],
      bake: { minutes: PRESET_PROD_BAKE_MINUTES },
      tags: { product: 'shop', service: 'orders', team: 'orders', environment: 'prod', 'cost-center': 'CC-7' },
    });
    expect(dev!.tags).toMatchObject({ environment: 'dev' });
    // The prod deploy stage's timeout includes the bake.
    const prodStage = (pipeline.stages as Stage[]).find((stage) => stage.name === 'Deploy prod')!;
    const devStage = (pipeline.stages as Stage[]).find((stage) => stage.name === 'Deploy dev')!;
    expect(prodStage.options?.timeout?.time).toBe((devStage.options?.timeout?.time ?? 0) + PRESET_PROD_BAKE_MINUTES);
  });

  it('no alarms: no bake; `bake: false` removes it; a bake override applies wherever there are alarms', () => {
    const prodOnly = (overrides: object) =>
      ecsSteps(nodeService({ ...base, environments: [env('dev', '111111111111', ['a']), env('prod', '333333333333', ['b'])], overrides: { ...base.overrides, ...overrides } }).stages as Stage[]);
    expect(prodOnly({ ecsDeploy: { bake: false } }).map((step) => step.bake)).toEqual([undefined, undefined]);
    expect(prodOnly({ ecsDeploy: { bake: { minutes: 5 } } }).map((step) => step.bake)).toEqual([{ minutes: 5 }, { minutes: 5 }]);
    const withoutAlarms = ecsSteps(nodeService({ ...base, environments: [env('prod', '333333333333')] }).stages as Stage[]);
    expect(withoutAlarms[0]).not.toHaveProperty('bake');
    expect(withoutAlarms[0]).not.toHaveProperty('alarms');
    expect(withoutAlarms[0]).not.toHaveProperty('tags');
    // Other steps pass through unchanged.
    const sh: Step = { step: 'sh', script: 'true' };
    expect(withEcsReleaseSettings(sh, env('prod', '333333333333', ['b']), { service: 'orders' })).toBe(sh);
  });
});

describe('the company pipelines', () => {
  let run: CompileRun;
  beforeAll(async () => {
    run = await compileProject({ root: ROOT, files: ['payments-api', 'ledger-service'].map((name) => join(ROOT, `pipelines/${name}.pipeline.ts`)) });
  }, 120_000);

  it('deploy to prod with alarms, a bake and cost tags, and lint clean', () => {
    expect(run.pipelines).toHaveLength(2);
    for (const pipeline of run.pipelines) {
      expect(pipeline.diagnostics.filter((d) => d.severity !== 'info'), pipeline.name).toEqual([]);
      expect(pipeline.policy?.suppressed ?? [], pipeline.name).toEqual([]);
      const prod = ecsSteps(pipeline.model!.stages as Stage[]).find((step) => step.environment === 'prod')!;
      expect(prod.alarms, pipeline.name).toEqual([`${pipeline.name}-prod-5xx`, `${pipeline.name}-prod-p99-latency`]);
      expect(prod.bake).toEqual({ minutes: 10 });
      expect(Object.keys(prod.tags ?? {}).sort()).toEqual(['cost-center', 'environment', 'service', 'team']);
      expect(prod.tags).toMatchObject({ service: pipeline.name, environment: 'prod' });
      // In the Jenkinsfile: one PW_ECS_RELEASE per ECS deploy; the script reads it.
      const text = pipeline.jenkinsfile!;
      expect(text.match(/'PW_ECS_RELEASE=\{/g)).toHaveLength(3);
      expect(text).toContain('"bake":{"minutes":10}');
      expect(text).not.toContain('wait services-stable');
    }
  });
});
