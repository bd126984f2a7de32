import { BUILT_IN_LABEL, agentLabel, deliveryFacts, describeAgent } from '../../facts.ts';
import type { StageInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** IAM-004: production stages run on their dedicated agents. */
export default defineRule({
  meta: {
    id: 'IAM-004',
    title: 'Production deploys run on dedicated agents',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A production deploy stage holds production credentials; it must run on agents reserved for it (ephemeral, isolated ' +
      'from build agents that run pull-request code), never on `any`, the built-in node, or the build agent it inherits. ' +
      'The label must be the environment’s `agentLabel` and, where configured, one of `policy.environments.<env>.agentLabels`.',
    standards: ['SLSA Build L3 (isolation)', 'CIS Software Supply Chain 3.1 (build workers)'],
    example: {
      bad: "{ name: 'Deploy prod', when: { branch: 'main' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }  // inherits the build agent",
      good: "{ name: 'Deploy prod', agent: { type: 'label', label: 'prod-deployer' }, when: { branch: 'main' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }",
    },
  },
  check({ index, environment }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    const seen = new Set<StageInfo>();
    for (const deploy of facts.deploys) {
      const env = deploy.environment;
      const stage = deploy.info.stage;
      if (!env || !environment(env).production) continue;
      if (!stage) {
        // A deploy in the pipeline's own post runs on the pipeline's agent, which builds too.
        const agent = deploy.info.scope.agent;
        findings.push({
          path: deploy.info.path,
          message: `the pipeline's post deploys to ${env} on the pipeline's agent (${describeAgent(agent)}); deploy from a stage on ${env}'s dedicated agent`,
          environment: env,
          expected: facts.environments.get(env)?.env.agentLabel ?? 'a dedicated label',
          found: describeAgent(agent),
        });
        continue;
      }
      if (seen.has(stage)) continue;
      seen.add(stage);
      const label = agentLabel(stage.agent);
      const own = stage.agentPath.length > 1;
      const path = own ? stage.agentPath : stage.path;
      const declaredLabel = facts.environments.get(env)?.env.agentLabel;
      const allowed = environment(env).agentLabels;
      const expected = declaredLabel ?? (allowed.length > 0 ? allowed.join(' | ') : 'a dedicated label');
      const base = { environment: env, expected, found: describeAgent(stage.agent) };
      if (!own) {
        findings.push({ path, message: `stage '${stage.stage.name}' deploys to ${env} on the pipeline's agent (${describeAgent(stage.agent)}); give it ${env}'s dedicated agent`, ...base });
      } else if (label === undefined || BUILT_IN_LABEL.test(label)) {
        findings.push({ path, message: `stage '${stage.stage.name}' deploys to ${env} on ${describeAgent(stage.agent)}, not a dedicated agent label`, ...base });
      } else if (declaredLabel !== undefined && label !== declaredLabel) {
        findings.push({ path, message: `stage '${stage.stage.name}' deploys to ${env} on '${label}', not ${env}'s agent label '${declaredLabel}'`, ...base });
      } else if (allowed.length > 0 && !allowed.includes(label)) {
        findings.push({ path, message: `agent label '${label}' is not one of the organisation's ${env} agents (${allowed.join(', ')})`, ...base });
      }
    }
    return findings;
  },
});
