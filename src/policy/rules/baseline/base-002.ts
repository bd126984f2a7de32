import { defineRule, type RuleFinding } from '../../rule.ts';

/** BASE-002: old builds are discarded deliberately. */
export default defineRule({
  meta: {
    id: 'BASE-002',
    title: 'Configure a build discarder',
    pack: 'baseline',
    severity: 'warning',
    rationale:
      'Without `buildDiscarder` every build and its artifacts stay on the controller until the disk fills up; with one, ' +
      'retention is an explicit decision (and AUDIT-002 can check it against the evidence export).',
    standards: ['Jenkins declarative options.buildDiscarder'],
    example: {
      bad: "options: { timeout: { time: 30 } }",
      good: "options: { timeout: { time: 30 }, buildDiscarder: { numToKeep: 50, artifactNumToKeep: 20 } }",
    },
  },
  check({ pipeline }) {
    const findings: RuleFinding[] = [];
    if (pipeline.options?.buildDiscarder) return findings;
    findings.push({
      path: pipeline.options ? ['options'] : [],
      message: 'no build discarder: set options.buildDiscarder so retention is a deliberate choice',
      expected: 'options.buildDiscarder',
      found: 'none',
    });
    return findings;
  },
});
