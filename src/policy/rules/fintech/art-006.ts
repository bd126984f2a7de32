import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const OCI_KEYS = ['org.opencontainers.image.revision', 'org.opencontainers.image.source', 'org.opencontainers.image.created', 'org.opencontainers.image.version'];

/** ART-006: images carry OCI provenance labels bound to the commit. */
export default defineRule({
  meta: {
    id: 'ART-006',
    title: 'OCI labels tie the image to its commit',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'From a running container one must get back to the commit: `org.opencontainers.image.revision` (= the commit), ' +
      '`.source`, `.created` and `.version`. The typed `dockerBuild` sets them from the build; they must not be ' +
      'overridden in `labels`, and hand-written builds must set at least the revision.',
    standards: ['SLSA Build L1 (provenance)', 'OCI image annotations'],
    example: {
      bad: "sh('docker build -t \"$IMG\" .')",
      good: "dockerBuild({ repository: 'payments-api' })  // sets the OCI labels",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const info of facts.ofKind('dockerBuild')) {
      for (const key of Object.keys(info.step.labels ?? {})) {
        if (OCI_KEYS.includes(key)) {
          findings.push({ path: [...info.path, 'labels', key], message: `labels override ${key}, which dockerBuild sets from the build itself`, expected: 'labels without the OCI keys', found: key });
        }
      }
    }
    for (const info of facts.shell) {
      for (const line of shellLines(info.step.script)) {
        if (/\bdocker\s+(?:buildx\s+)?build\b/.test(line) && !/org\.opencontainers\.image\.revision=/.test(line)) {
          findings.push({ path: [...info.path, 'script'], message: 'docker build without --label org.opencontainers.image.revision="$GIT_COMMIT"', expected: 'OCI revision label', found: 'no revision label' });
          break;
        }
      }
    }
    return findings;
  },
});
