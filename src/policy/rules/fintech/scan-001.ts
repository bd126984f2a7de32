import type { ControlKind } from '../../../model/delivery-defaults.ts';
import { deliveryFacts, primaryEnvironment, stepsWithControl } from '../../facts.ts';
import type { StepInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const REQUIRED: readonly [ControlKind, string][] = [
  ['sast', 'SAST (sonarScan)'],
  ['sca', 'dependency scan (trivyScan fs with vuln, or snykScan test)'],
  ['secretScan', 'secret scan (trivyScan fs with the secret scanner)'],
  ['imageScan', 'image scan (trivyScan image, or snykScan container)'],
];

/** SCAN-001: SAST, SCA, secret and image scans all run before the image is pushed. */
export default defineRule({
  meta: {
    id: 'SCAN-001',
    title: 'Scan before pushing the image',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Custom code is reviewed and dependencies are scanned before release. Before an image is pushed to ECR (or, without ' +
      'a push, before it is deployed) the run must have completed SAST, a dependency scan, a secret scan and (when it ' +
      'builds an image) an image scan; a scan running in parallel with the push does not count. An image scan of the ' +
      'pushed digest counts when it runs before every deploy.',
    standards: ['PCI DSS 4.0.1 6.2.3', 'CIS Software Supply Chain 3.2.2', 'OWASP CICD-SEC-3'],
    exception: 'A base-image-only rebuild that reuses the SAST result of the same commit.',
    example: {
      bad: "steps: [dockerBuild({ repository: 'payments-api' }), ecrPush({ repository: 'payments-api', registry, aws })]",
      good: "stages: [build, { name: 'Image', steps: [sonarScan({ installation: 'sonarqube', projectKey: 'payments-api' }), trivyScan('fs', { version: '0.58.1' }), dockerBuild({ repository: 'payments-api' }), trivyScan('image', { version: '0.58.1' }), ecrPush({ repository: 'payments-api', registry, aws })] }]",
    },
  },
  check({ index, isProduction }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    // Traffic shifts and flag changes ship no code: they are not scan gates.
    const shipsCode = (d: { kind: string }) => d.kind !== 'traffic' && d.kind !== 'flags';
    const gates: StepInfo[] = facts.pushes.length > 0 ? [...facts.pushes] : facts.deploys.filter(shipsCode).map((d) => d.info);
    if (gates.length === 0) return findings;
    const env = primaryEnvironment(facts, isProduction);
    // Without an image (a static site published to S3), there is no image to scan.
    const buildsImage = facts.pushes.length > 0 || stepsWithControl(facts, 'dockerBuild').length > 0;
    const required = REQUIRED.filter(([kind]) => kind !== 'imageScan' || buildsImage);
    const controls = new Map(required.map(([kind]) => [kind, stepsWithControl(facts, kind)]));
    const deploys = facts.deploys.filter(shipsCode).map((d) => d.info);
    for (const gate of gates) {
      const missing = required.filter(([kind]) => {
        const before = controls.get(kind)!.some((scan) => facts.runsBefore(scan, gate));
        if (before || kind !== 'imageScan') return !before;
        // An image scan of the pushed digest counts when every deploy after the push waits for it.
        const pushedScans = facts.ofKind('trivyScan').filter((s) => s.step.image === 'pushed') as StepInfo[];
        const snykPushed = facts.ofKind('snykScan').filter((s) => s.step.image === 'pushed') as StepInfo[];
        const later = deploys.filter((d) => facts.runsBefore(gate, d));
        return !(later.length > 0 && [...pushedScans, ...snykPushed].some((scan) => later.every((d) => facts.runsBefore(scan, d))));
      });
      if (missing.length === 0) continue;
      const what = gate.step.step === 'ecrPush' ? 'ecrPush' : gate.step.step === 'sh' ? "'sh' push/deploy" : gate.step.step;
      findings.push({
        path: gate.path,
        message: `${what} is not preceded by: ${missing.map(([, label]) => label).join('; ')}`,
        ...(env ? { environment: env } : {}),
        expected: missing.map(([kind]) => kind).join(', '),
        found: 'not run before this step',
      });
    }
    return findings;
  },
});
