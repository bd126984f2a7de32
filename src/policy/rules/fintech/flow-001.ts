import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** FLOW-001: a deploy to an approval-gated environment (prod) is preceded by an approval for it. */
export default defineRule({
  meta: {
    id: 'FLOW-001',
    title: 'Approve before deploying to production',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'No one may push to production without review. Every deploy into an environment whose policy requires approval ' +
      '(production by default, `policy.environments.<env>.requireApproval`) must be preceded in the same run by an ' +
      '`input` stage approving that environment (its `approvalCheck` names it), or carry the approval on its own stage.',
    standards: ['OWASP CICD-SEC-1 (insufficient flow control)', 'PCI DSS 4.0.1 6.5.1', 'SOC 2 CC8.1'],
    exception: "Automated rollback to an already-approved digest: suppress on the rollback stage with the approved run's reference.",
    example: {
      bad: "stages: [build, { name: 'Deploy prod', agent: { type: 'label', label: 'prod-deployer' }, when: { branch: 'main' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }]",
      good: "stages: [build, approvalStage({ environment: 'prod', policy: { submitters: ['release-managers'] } }), deployProd]  // deployProd: the stage above",
    },
  },
  check({ index, environment }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    for (const deploy of facts.deploys) {
      if (deploy.kind === 'traffic' || deploy.environment === undefined) continue;
      if (!environment(deploy.environment).requireApproval) continue;
      if (facts.approvalBefore(deploy.info, deploy.environment)) continue;
      const what = deploy.kind === 'shell' ? `'${deploy.command}'` : `${deploy.info.step.step}`;
      findings.push({
        path: deploy.info.path,
        message: `${what} deploys to ${deploy.environment} without an earlier approval for ${deploy.environment} in this run`,
        environment: deploy.environment,
        expected: `an input stage approving ${deploy.environment} before the deploy`,
        found: 'no approval',
      });
    }
    return findings;
  },
});
