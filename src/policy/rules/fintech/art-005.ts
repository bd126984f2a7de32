import { deliveryFacts, primaryEnvironment, stepsWithControl } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** ART-005: the digest is signed after the gates pass, and production deploys verify it. */
export default defineRule({
  meta: {
    id: 'ART-005',
    title: 'Sign the digest after the gates; verify before production deploys',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'A signature made after every gate passed turns "this digest passed our controls" into something a deploy can ' +
      'verify. `cosignSign` (KMS key) runs after the push and after every scan and quality gate; image deploys to ' +
      'production (`ecsDeploy`, `eksDeploy`, `gitopsBump`) verify the signature (`verifySignature`) before they change ' +
      'anything: before a task definition is registered, before helm or kubectl touch the cluster, before the GitOps ' +
      'commit.',
    standards: ['OWASP CICD-SEC-9', 'AWS DevOps Guidance DL.CS.3', 'SLSA Build L2'],
    example: {
      bad: "ecrPush({ repository: 'payments-api', registry, aws }), ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })",
      good: "ecrPush({ repository: 'payments-api', registry, aws }), cosignSign({ key: 'awskms:///alias/ci-cosign', aws }), ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService, verifySignature: { key: 'awskms:///alias/ci-cosign' } })",
    },
  },
  check({ index, isProduction }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    const signs = stepsWithControl(facts, 'sign');
    const env = primaryEnvironment(facts, isProduction);
    const gates = [...stepsWithControl(facts, 'imageScan'), ...stepsWithControl(facts, 'sastGate'), ...stepsWithControl(facts, 'sca'), ...stepsWithControl(facts, 'secretScan')];
    for (const push of facts.pushes) {
      const sign = signs.find((s) => facts.runsBefore(push, s));
      if (!sign) {
        findings.push({ path: push.path, message: 'the pushed digest is never signed: add cosignSign() after the push', ...(env ? { environment: env } : {}), expected: 'cosignSign after the push', found: 'none' });
        continue;
      }
      const late = gates.find((g) => !facts.runsBefore(g, sign));
      if (late) {
        findings.push({
          path: sign.path,
          message: `the digest is signed before ${late.step.step === 'sh' ? 'a scan' : late.step.step} has passed; sign after every gate`,
          ...(env ? { environment: env } : {}),
        });
      }
    }
    const imageDeploys = [...facts.ofKind('ecsDeploy'), ...facts.ofKind('eksDeploy'), ...facts.ofKind('gitopsBump')].sort((a, b) => a.order - b.order);
    for (const info of imageDeploys) {
      if (!isProduction(info.step.environment) || info.step.verifySignature) continue;
      findings.push({
        path: info.path,
        message: `${info.step.step} to ${info.step.environment} does not verify the image signature before deploying`,
        environment: info.step.environment,
        expected: 'verifySignature: { key }',
        found: 'none',
      });
    }
    return findings;
  },
});
