import { deliveryFacts, wrappedBy } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** DEPLOY-006: deploys of one service and environment are serialized across runs and branches. */
export default defineRule({
  meta: {
    id: 'DEPLOY-006',
    title: 'Lock each environment while deploying to it',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      '`disableConcurrentBuilds` only serializes runs of one job; two branches of a multibranch project (or two jobs) ' +
      'can still deploy the same service at once, invalidating each other’s rollback target and evidence. Deploys hold ' +
      'a lock named after the environment and service (the typed deploys take `ecs-<env>-<service>`).',
    standards: ['Jenkins lockable-resources', 'PCI DSS 4.0.1 6.5.1'],
    example: {
      bad: "{ name: 'Deploy prod', steps: [sh('aws ecs update-service ...')] }",
      good: "{ name: 'Deploy prod', steps: [lock('ecs-prod-payments-api', [sh('aws ecs update-service ...')])] }",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const deploy of deliveryFacts(index).deploys) {
      if (deploy.kind !== 'shell') continue;
      const stage = deploy.info.stage;
      const lockStep = wrappedBy(deploy.info, ['lock']);
      const stageLock = stage ? [...stage.ancestors, stage].map((s) => s.stage.options?.lock).find((l) => l !== undefined) : undefined;
      const resource =
        (lockStep?.step.step === 'lock' ? (lockStep.step.resource ?? lockStep.step.label) : undefined) ?? stageLock?.resource ?? stageLock?.label;
      if (resource && (!deploy.environment || resource.toLowerCase().includes(deploy.environment.toLowerCase()))) continue;
      findings.push({
        path: deploy.info.path,
        message: resource
          ? `the lock '${resource}' does not name the environment ${deploy.environment}; use one lock per environment and service`
          : `'${deploy.command}' holds no lock for its environment and service`,
        ...(deploy.environment ? { environment: deploy.environment } : {}),
        expected: `lock('<kind>-${deploy.environment ?? '<env>'}-<service>')`,
        found: resource ?? 'no lock',
      });
    }
    return findings;
  },
});
