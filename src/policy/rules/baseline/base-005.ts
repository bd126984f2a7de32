import { defineRule, type RuleFinding } from '../../rule.ts';

const PINNED_VERSION = /^(?:v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?|[0-9a-f]{40})$/;

/** BASE-005: shared libraries are pinned to a release tag or a commit. */
export default defineRule({
  meta: {
    id: 'BASE-005',
    title: 'Pin shared libraries to a tag or commit',
    pack: 'baseline',
    severity: 'error',
    rationale:
      'A shared library loaded from a branch (or the default version) runs whatever was pushed last, in every pipeline, with ' +
      'the pipeline’s credentials. Pin `name@vX.Y.Z` or a full commit SHA so that a library change is a reviewed bump.',
    standards: ['OWASP CICD-SEC-3 (dependency chain abuse)', 'CIS Software Supply Chain 2.4.2 (lock external dependencies)'],
    example: { bad: "libraries: ['pipeline-lib@main']", good: "libraries: ['pipeline-lib@v1.4.2']" },
  },
  check({ pipeline }) {
    const findings: RuleFinding[] = [];
    for (const [i, library] of (pipeline.libraries ?? []).entries()) {
      const at = library.lastIndexOf('@');
      const version = at > 0 ? library.slice(at + 1) : '';
      if (PINNED_VERSION.test(version)) continue;
      findings.push({
        path: ['libraries', i],
        message: version
          ? `shared library '${library}' is loaded from '${version}', not a release tag or commit`
          : `shared library '${library}' has no version: it loads the default branch`,
        expected: 'name@vX.Y.Z or name@<40-hex commit>',
        found: library,
      });
    }
    return findings;
  },
});
