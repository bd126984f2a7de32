import { BUILT_IN_LABEL, agentLabel } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** BASE-008: nothing runs on the controller. */
export default defineRule({
  meta: {
    id: 'BASE-008',
    title: 'Never run on the built-in node',
    pack: 'baseline',
    severity: 'error',
    rationale:
      'Builds on the controller (`built-in`, formerly `master`) can read its files: credentials, secrets.key and every job’s ' +
      'configuration. Jenkins itself recommends zero executors on the controller.',
    standards: ['Jenkins security: controller isolation', 'CIS Software Supply Chain 3.1 (build environment)'],
    example: { bad: "agent: { type: 'label', label: 'built-in' }", good: "agent: { type: 'label', label: 'linux && ephemeral' }" },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const { path, agent } of index.agents) {
      const label = agentLabel(agent);
      if (label === undefined || !BUILT_IN_LABEL.test(label)) continue;
      findings.push({ path, message: `agent label '${label}' selects the controller's built-in node`, expected: 'a label of build agents', found: label });
    }
    return findings;
  },
});
