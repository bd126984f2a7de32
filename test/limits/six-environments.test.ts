/**
 * The size budget of the company's delivery preset: a nodeService with six ECS environments must
 * compile below 85% of the JVM's method limit (issue #11), and the company's pipelines stay within
 * the budget. Built with the real preset and org defaults, lowered and printed by the real compiler.
 */
import { describe, expect, it } from 'vitest';
import { compilePipelineValue } from '../../src/compile-pipeline.ts';
import { nodeService } from '../../src/presets/node-service.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { estimateMethodSize, METHOD_SIZE_LIMIT } from '../../src/limits/method-size.ts';
import type { DeliveryEnvironment } from '../../src/index.ts';
import { ecsEnvironments, notifyTo, org } from '../../pipelines/shared/org-defaults.ts';

/**
 * payments-api's options with `count` ECS environments: dev, stage, then extra ones cloned from
 * stage (qa, perf, preprod, ...), then prod. The fixture node-service-6env.Jenkinsfile was printed
 * from `sixEnvironmentService(6)`.
 */
function sixEnvironmentService(count: number) {
  const [dev, stage, prod] = ecsEnvironments('payments-api', { approvers: ['payments-release-managers'] }) as [DeliveryEnvironment, DeliveryEnvironment, DeliveryEnvironment];
  const extra = ['qa', 'perf', 'preprod', 'uat', 'sandbox'].slice(0, count - 3).map(
    (name): DeliveryEnvironment => ({
      ...stage,
      name,
      agentLabel: `deploy-${name}`,
      target: { ...(stage.target as Extract<DeliveryEnvironment['target'], { kind: 'ecs' }>), cluster: `${name}-apps`, taskDefinition: `deploy/taskdef.${name}.json` },
    }),
  );
  return nodeService({
    ...org,
    name: 'payments-api',
    environments: [dev, stage, ...extra, prod],
    notifications: notifyTo('#payments-deploys', 'teams-payments-webhook'),
    smokeTest: './scripts/smoke.sh',
  });
}

describe('the delivery preset within the method-size budget', () => {
  it('a nodeService with six environments compiles below 85% of the limit (no PW3040 error)', () => {
    const compiled = compilePipelineValue(sixEnvironmentService(6), 'pipelines/payments-api.pipeline.ts');
    expect(compiled.diagnostics.filter((d) => d.code === 'PW3040' && d.severity === 'error')).toEqual([]);
    expect(compiled.jenkinsfile).toBeDefined();
    const estimate = estimateMethodSize(parseJenkinsfile(compiled.jenkinsfile!, 'Jenkinsfile').ast!);
    expect(estimate.largest.bytes / METHOD_SIZE_LIMIT).toBeLessThan(0.85);
    // Six environments cost more than three: the check sees the per-environment stages.
    const three = estimateMethodSize(compilePipelineValue(sixEnvironmentService(3), 'pipelines/payments-api.pipeline.ts').ast!, { firstLine: 3 });
    expect(estimate.largest.bytes).toBeGreaterThan(three.largest.bytes + 3 * 2_000);
  });
});
