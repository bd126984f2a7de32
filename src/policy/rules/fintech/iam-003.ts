import { deliveryFacts, roleName } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** IAM-003: pushing, signing and deploying use separate least-privilege roles. */
export default defineRule({
  meta: {
    id: 'IAM-003',
    title: 'Separate push, sign and deploy roles',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'One role that can both push images and deploy to production lets any compromised build step do both. The ECR push ' +
      'role, the signing role and each environment’s deploy role are different roles, each with only what its step needs.',
    standards: ['PCI DSS 4.0.1 7.2.5', 'OWASP CICD-SEC-5'],
    exception: 'A small internal service with one deployer, documented.',
    example: {
      bad: "ecrPush({ repository: 'payments-api', registry, aws: prodAws }), ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })  // prodAws: role ecs-deployer-prod",
      good: "ecrPush({ repository: 'payments-api', registry, aws: { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' } }), ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    const key = (aws: { role: string; account: string }) => `${aws.account}/${roleName(aws.role)}`;
    const deployRoles = new Map<string, string>();
    for (const d of facts.deploys) if (d.aws && d.environment) deployRoles.set(key(d.aws), d.environment);
    for (const info of [...facts.ofKind('ecrPush'), ...facts.ofKind('cosignSign')]) {
      const aws = info.step.aws;
      const env = deployRoles.get(key(aws));
      if (env === undefined) continue;
      findings.push({
        path: [...info.path, 'aws', 'role'],
        message: `${info.step.step} uses ${env}'s deploy role ${aws.role}; give it its own least-privilege role`,
        environment: env,
        expected: `a role of its own, not ${env}'s deploy role`,
        found: aws.role,
      });
    }
    const pushRoles = new Set(facts.ofKind('ecrPush').map((p) => key(p.step.aws)));
    for (const info of facts.ofKind('cosignSign')) {
      if (!pushRoles.has(key(info.step.aws))) continue;
      findings.push({ path: [...info.path, 'aws', 'role'], message: `cosignSign uses the ECR push role ${info.step.aws.role}; give signing its own role (kms:Sign only)`, expected: 'a signing role (kms:Sign only)', found: info.step.aws.role });
    }
    return findings;
  },
});
