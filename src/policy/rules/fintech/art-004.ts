import { deliveryFacts, primaryEnvironment, stepsWithControl } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** ART-004: every pushed image gets an SBOM. */
export default defineRule({
  meta: {
    id: 'ART-004',
    title: 'Generate an SBOM for every pushed image',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'An inventory of bespoke and third-party components is required, per image. After the push, an `sbom` step ' +
      'describes the pushed digest in CycloneDX or SPDX; the report is archived and can be attested with cosign.',
    standards: ['PCI DSS 4.0.1 6.3.2', 'CIS Software Supply Chain 2.4.6'],
    example: {
      bad: "steps: [dockerBuild({ repository: 'payments-api' }), ecrPush({ repository: 'payments-api', registry, aws })]",
      good: "steps: [dockerBuild({ repository: 'payments-api' }), ecrPush({ repository: 'payments-api', registry, aws }), sbom({ formats: ['cyclonedx'] })]",
    },
  },
  check({ index, isProduction }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    const sboms = stepsWithControl(facts, 'sbom');
    const builds = stepsWithControl(facts, 'dockerBuild');
    const env = primaryEnvironment(facts, isProduction);
    for (const push of facts.pushes) {
      const covered = sboms.some((s) => {
        if (s.step.step === 'sbom' && (s.step.image ?? 'pushed') === 'built') return builds.some((b) => facts.runsBefore(b, s));
        return facts.runsBefore(push, s);
      });
      if (covered) continue;
      findings.push({
        path: push.path,
        message: 'the pushed image gets no SBOM: add sbom() after the push',
        ...(env ? { environment: env } : {}),
        expected: 'an sbom step describing the pushed digest',
        found: 'none',
      });
    }
    return findings;
  },
});
