import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** DEPLOY-007: traffic changes happen behind an approval and are waited for. */
export default defineRule({
  meta: {
    id: 'DEPLOY-007',
    title: 'Traffic changes behind an approval',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'Moving traffic (ALB listener weights, Route 53 weighted records) is a production change in its own right. It ' +
      'happens after an approval for its environment, waits until the change is in effect, and archives the reverse ' +
      'change (the typed `trafficShift` does the last two).',
    standards: ['PCI DSS 4.0.1 6.5.1'],
    exception: 'A pre-approved canary schedule with fixed weights.',
    example: {
      bad: "{ name: 'Shift traffic', agent: { type: 'label', label: 'prod-deployer' }, when: { branch: 'main' }, steps: [trafficShift(prodShift)] }",
      good: "approveProd, { name: 'Shift traffic', agent: { type: 'label', label: 'prod-deployer' }, when: { branch: 'main' }, steps: [trafficShift(prodShift)] }",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const deploy of facts.deploys) {
      const isTraffic = deploy.kind === 'traffic' || (deploy.kind === 'shell' && /route53|elbv2/.test(deploy.command ?? ''));
      if (!isTraffic) continue;
      if (!facts.approvalBefore(deploy.info, deploy.environment)) {
        findings.push({
          path: deploy.info.path,
          message: `the traffic change${deploy.environment ? ` in ${deploy.environment}` : ''} runs without an earlier approval`,
          ...(deploy.environment ? { environment: deploy.environment } : {}),
          expected: 'an approval stage before the traffic change',
          found: 'none',
        });
      }
      if (deploy.kind === 'shell' && deploy.info.step.step === 'sh' && /route53/.test(deploy.command ?? '') && !/\bwait\s+resource-record-sets-changed\b/.test(deploy.info.step.script)) {
        findings.push({
          path: [...deploy.info.path, 'script'],
          message: 'the Route 53 change is not waited for (aws route53 wait resource-record-sets-changed)',
          ...(deploy.environment ? { environment: deploy.environment } : {}),
        });
      }
    }
    return findings;
  },
});
