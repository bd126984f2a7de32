import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const SCANNER_IMAGE = /(?:^|\/)(?:trivy|snyk|sonar-scanner-cli|sonarsource|grype|syft|cosign)(?:[:@]|$)/;

/** SCAN-008: scanner versions are pinned and their database is cached. */
export default defineRule({
  meta: {
    id: 'SCAN-008',
    title: 'Pin scanner versions; cache the vulnerability database',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'A scanner that floats to `latest` can change what it reports (or break) between two runs of the same commit. ' +
      'Scanner CLIs are pinned (`version`, checked against the agent’s binary), scanner images are pinned by tag or ' +
      'digest, and Trivy’s database is cached (`--cache-dir`) so `--skip-db-update` never scans against a missing DB.',
    standards: ['CIS Software Supply Chain 2.4.2', 'Trivy: DB and air-gapped use'],
    exception: 'An air-gapped mirror with its own freshness check.',
    example: {
      bad: "snykScan('test')",
      good: "snykScan('test', { version: '1.1294.0' })",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const info of facts.ofKind('snykScan')) {
      if (!info.step.version) findings.push({ path: info.path, message: 'snykScan does not pin the Snyk CLI version', expected: "version: 'x.y.z'", found: 'none' });
    }
    for (const { path, agent } of index.agents) {
      if (typeof agent !== 'object' || agent.type !== 'docker' || !SCANNER_IMAGE.test(agent.image)) continue;
      const pinned = /@sha256:[0-9a-f]{64}$/.test(agent.image) || /:(?!latest$)[\w.-]*\d[\w.-]*$/.test(agent.image);
      if (!pinned) findings.push({ path: [...path, 'image'], message: `scanner image '${agent.image}' is not pinned to a version or digest`, expected: 'image:<version> or image@sha256:<digest>', found: agent.image });
    }
    for (const info of facts.shell) {
      for (const line of shellLines(info.step.script)) {
        if (/\btrivy\b/.test(line) && /--skip-(?:db-)?update\b/.test(line) && !/--cache-dir\b/.test(line)) {
          findings.push({ path: [...info.path, 'script'], message: 'trivy --skip-db-update without --cache-dir: the scan may run against a missing or stale database', expected: '--cache-dir <warm cache>', found: '--skip-db-update without --cache-dir' });
          break;
        }
      }
    }
    return findings;
  },
});
