import { deliveryFacts, stepsWithControl } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** FLOW-006: one build per run, the same digest promoted through the environments in order. */
export default defineRule({
  meta: {
    id: 'FLOW-006',
    title: 'Build once, promote the same image through the environments in order',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'What reaches production must be exactly what was tested in the earlier environments. A run builds one image, and ' +
      'deploys the pushed digest to the environments in their declared order (`environments`: dev → stage → prod), each ' +
      'after the ones before it; a rebuild between deploys would ship something nobody tested.',
    standards: ['OWASP CICD-SEC-9 (improper artifact integrity validation)', 'SLSA Build L2'],
    exception: 'A config-only change (same image, new task-definition settings).',
    example: {
      bad: 'environments: [dev, stage, prod], stages: [build, approveProd, deployProd]  // skips dev and stage',
      good: 'environments: [dev, stage, prod], stages: [build, deployDev, deployStage, approveProd, deployProd]',
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    const builds = stepsWithControl(facts, 'dockerBuild');
    for (const extra of builds.slice(1)) {
      findings.push({ path: extra.path, message: 'the run builds a second image; build once and promote the pushed digest', expected: 'one image build per run', found: `${builds.length} builds` });
    }
    for (const build of builds) {
      const deployedBefore = facts.deploys.find((d) => d.kind !== 'traffic' && d.kind !== 'flags' && facts.runsBefore(d.info, build));
      if (deployedBefore) {
        findings.push({ path: build.path, message: 'an image is built after a deploy: later environments would get an image the earlier ones never ran', ...(deployedBefore.environment ? { environment: deployedBefore.environment } : {}) });
      }
    }
    if (facts.environments.size === 0) return findings;
    const order = [...facts.environments.values()].sort((a, b) => a.index - b.index).map((e) => e.env.name);
    for (const deploy of facts.deploys) {
      // Image promotion: traffic shifts and flag changes move no image.
      if (deploy.kind === 'traffic' || deploy.kind === 'flags' || !deploy.environment) continue;
      const position = order.indexOf(deploy.environment);
      if (position < 0) continue; // IAM-002 reports undeclared environments
      for (const earlier of order.slice(0, position)) {
        const promoted = facts.deploys.some((d) => d.environment === earlier && d.kind !== 'traffic' && d.kind !== 'flags' && facts.runsBefore(d.info, deploy.info));
        if (promoted) continue;
        findings.push({
          path: deploy.info.path,
          message: `deploys to ${deploy.environment} without first deploying the same image to ${earlier} in this run`,
          environment: deploy.environment,
          expected: `a deploy to ${earlier} before ${deploy.environment}`,
          found: 'none',
        });
      }
    }
    return findings;
  },
});
