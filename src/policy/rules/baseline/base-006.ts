import { defineRule, type RuleFinding } from '../../rule.ts';

/** BASE-006: raw Groovy expressions are visible escape hatches. */
export default defineRule({
  meta: {
    id: 'BASE-006',
    title: 'Flag raw Groovy expressions',
    pack: 'baseline',
    severity: 'warning',
    rationale:
      '`groovy(...)` values and `when: { expression }` are emitted verbatim: pipewright cannot check or escape them, and ' +
      'they run in the Jenkins sandbox with the pipeline’s permissions. Prefer the typed equivalents; where none exists, ' +
      'keep the expression small and suppress this finding with a reason reviewers can judge.',
    standards: ['OWASP CICD-SEC-4 (poisoned pipeline execution)'],
    example: {
      bad: "when: { expression: 'env.BRANCH_NAME == \"main\"' }",
      good: "when: { branch: 'main' }",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const source of index.groovy) {
      if (source.kind !== 'when' && source.kind !== 'environment' && source.kind !== 'value') continue;
      const isExpression = source.path[source.path.length - 1] === 'expression';
      findings.push({
        path: source.nodePath,
        message: isExpression
          ? `when.expression \`${source.source.slice(0, 60)}\` is raw Groovy; prefer a typed condition`
          : `raw Groovy expression \`${source.source.slice(0, 60)}\` is emitted verbatim`,
        expected: isExpression ? 'a typed when condition' : 'a typed value',
        found: source.source.slice(0, 80),
      });
    }
    return findings;
  },
});
