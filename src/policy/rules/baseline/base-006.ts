import { defineRule } from '../../rule.ts';

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
  *check({ index }) {
    for (const s of index.strings()) {
      const isGroovy = s.key === '$groovy';
      const isExpression = s.key === 'expression' && s.path.includes('when');
      if (!isGroovy && !isExpression) continue;
      const path = isGroovy ? s.path.slice(0, -1) : s.path;
      yield {
        path,
        message: isGroovy
          ? `raw Groovy expression \`${s.value.slice(0, 60)}\` is emitted verbatim`
          : `when.expression \`${s.value.slice(0, 60)}\` is raw Groovy; prefer a typed condition`,
        found: s.value.slice(0, 80),
      };
    }
  },
});
