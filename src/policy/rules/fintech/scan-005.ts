import { deliveryFacts, shellLines, stepsWithControl } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** SCAN-005: the image scan looks at the image that ships. */
export default defineRule({
  meta: {
    id: 'SCAN-005',
    title: 'Scan the image that ships',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A scan of some other image (a stale local build, `:latest`, a tag that can move) proves nothing about what is ' +
      'deployed. Image scans run after the image is built and look at that image (`image: \'built\'`, which `ecrPush` ' +
      'checks against the pushed image ID) or at the pushed digest (`image: \'pushed\'`, after the push).',
    standards: ['OWASP CICD-SEC-9', 'SLSA Build L2'],
    example: {
      bad: "sh('trivy image --exit-code 1 registry/payments-api:latest')",
      good: "dockerBuild({ repository: 'payments-api' }), trivyScan('image', { version: '0.58.1', image: 'built' })",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    const builds = stepsWithControl(facts, 'dockerBuild');
    const pushes = facts.ofKind('ecrPush');
    const typed = [...facts.ofKind('trivyScan').filter((s) => s.step.target === 'image'), ...facts.ofKind('snykScan').filter((s) => s.step.mode === 'container')];
    for (const info of typed) {
      const source = info.step.image ?? 'built';
      if (source === 'built' && !builds.some((b) => facts.runsBefore(b, info))) {
        findings.push({ path: info.path, message: `${info.step.step} scans the built image, but no image is built before it in this run`, expected: 'dockerBuild before the scan', found: 'none' });
      }
      if (source === 'pushed' && !pushes.some((p) => facts.runsBefore(p, info))) {
        findings.push({ path: info.path, message: `${info.step.step} scans the pushed digest, but nothing is pushed before it in this run`, expected: 'ecrPush before the scan', found: 'none' });
      }
    }
    for (const info of facts.shell) {
      for (const line of shellLines(info.step.script)) {
        const match = /\b(?:trivy\s+image|snyk\s+container\s+test|grype)\b(.*)$/.exec(line);
        if (!match) continue;
        const args = match[1]!;
        const ref = args.split(/\s+/).filter((a) => a && !a.startsWith('-')).pop();
        if (ref && (/:latest["']?$/.test(ref) || (!/\$/.test(ref) && !/@sha256:/.test(ref)))) {
          findings.push({ path: [...info.path, 'script'], message: `the image scan looks at '${ref}', not the image this run built or pushed`, expected: 'the built image or the pushed digest', found: ref });
          break;
        }
      }
    }
    return findings;
  },
});
