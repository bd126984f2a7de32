import { defineRule, type RuleFinding } from '../../rule.ts';
import { deliveryFacts, wrappedBy } from '../../facts.ts';

/** BASE-004: deploys never run twice at once. */
export default defineRule({
  meta: {
    id: 'BASE-004',
    title: 'Serialize deploys (lock or disableConcurrentBuilds)',
    pack: 'baseline',
    severity: 'warning',
    rationale:
      'Two runs deploying at once race each other: the later one may roll back to a target the earlier one replaced, and ' +
      'neither run’s evidence describes what is live. Typed deploy steps take a per-environment lock themselves; hand-written ' +
      'deploys need `lock` (stage option or step) or `disableConcurrentBuilds()`.',
    standards: ['Jenkins lockable-resources', 'PCI DSS 4.0.1 6.5.1'],
    example: {
      bad: "{ name: 'Deploy', steps: [sh('aws ecs update-service ...')] }",
      good: "{ name: 'Deploy', options: { lock: { resource: 'ecs-prod-payments-api' } }, steps: [sh('aws ecs update-service ...')] }",
    },
  },
  check({ pipeline, index }) {
    const findings: RuleFinding[] = [];
    if (pipeline.options?.disableConcurrentBuilds) return findings;
    for (const deploy of deliveryFacts(index).deploys) {
      if (deploy.kind !== 'shell') continue; // typed deploys lock per environment in their lowering
      const stage = deploy.info.stage;
      const stageLocked = stage && [...stage.ancestors, stage].some((s) => s.stage.options?.lock);
      if (stageLocked || wrappedBy(deploy.info, ['lock'])) continue;
      findings.push({
        path: deploy.info.path,
        message: `'${deploy.command}' runs without a lock and the pipeline allows concurrent builds; wrap it in lock(...) or set disableConcurrentBuilds`,
        expected: 'lock or disableConcurrentBuilds',
        found: 'neither',
      });
    }
    return findings;
  },
});
