import { defineRule, type RuleFinding } from '../../rule.ts';
import { BUILT_IN_LABEL, agentLabel, deliveryFacts, describeAgent } from '../../facts.ts';

/** BASE-003: deploy stages run on a chosen agent, never `agent any`. */
export default defineRule({
  meta: {
    id: 'BASE-003',
    title: 'Deploy stages do not run on `agent any`',
    pack: 'baseline',
    severity: 'error',
    rationale:
      '`agent any` lets Jenkins pick whatever executor is free, including shared build agents (and, where it has executors, ' +
      'the controller). A stage that holds deploy credentials must run on an agent chosen for it.',
    standards: ['OWASP CICD-SEC-5 (insufficient PBAC)', 'SLSA Build L3 (isolated builds)'],
    example: {
      bad: "agent: 'any', stages: [build, { name: 'Deploy prod', steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }]",
      good: "agent: 'any', stages: [build, { name: 'Deploy prod', agent: { type: 'label', label: 'prod-deployer' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }]",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    const seen = new Set<unknown>();
    for (const deploy of deliveryFacts(index).deploys) {
      const stage = deploy.info.stage;
      const agent = deploy.info.scope.agent;
      const label = agentLabel(agent);
      const isAny = agent === 'any';
      const isBuiltIn = label !== undefined && BUILT_IN_LABEL.test(label);
      if (!stage) {
        // A deploy in the pipeline's own post runs on the pipeline's agent.
        if (!isAny && !isBuiltIn) continue;
        findings.push({
          path: deploy.info.path,
          message: `the pipeline's post deploys on ${describeAgent(agent)} (the pipeline's agent); deploy from a stage with a dedicated agent label`,
          expected: 'a dedicated agent label',
          found: describeAgent(agent),
          ...(deploy.environment ? { environment: deploy.environment } : {}),
        });
        continue;
      }
      if (seen.has(stage)) continue;
      seen.add(stage);
      if (!isAny && !isBuiltIn) continue;
      const own = stage.stage.agent !== undefined;
      findings.push({
        path: own ? [...stage.path, 'agent'] : stage.path,
        message: `deploy stage '${stage.stage.name}' runs on ${describeAgent(stage.agent)}${own ? '' : ' (inherited)'}; give it a dedicated agent label`,
        expected: 'a dedicated agent label',
        found: describeAgent(stage.agent),
        ...(deploy.environment ? { environment: deploy.environment } : {}),
      });
    }
    return findings;
  },
});
