import type { AwsRole } from '../../../model/delivery.ts';
import { deliveryFacts, roleName } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** IAM-002: one AWS account per environment, and each stage stays in its environment's account. */
export default defineRule({
  meta: {
    id: 'IAM-002',
    title: 'One AWS account per environment; stages stay in their own',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Pre-production must be separated from production by access controls. Every declared environment has its own ' +
      'account (production’s is unique), and every step acting on an environment assumes that environment’s deploy role ' +
      'in that account and targets that environment’s cluster; deploys name environments the pipeline declares.',
    standards: ['PCI DSS 4.0.1 6.5.3', 'OWASP CICD-SEC-5'],
    exception: 'A shared ECR tooling account for pulls only (its repository policy grants pull).',
    example: {
      bad: "ecsDeploy({ environment: 'prod', aws: { role: 'ecs-deployer-dev', account: '111111111111', region: 'eu-west-1' }, ...prodService })",
      good: "ecsDeploy({ environment: 'prod', aws: { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' }, ...prodService })",
    },
  },
  check({ pipeline, index, environment }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    const byAccount = new Map<string, string>();
    for (const [i, env] of (pipeline.environments ?? []).entries()) {
      const other = byAccount.get(env.awsAccountId);
      if (other !== undefined && other !== env.name) {
        findings.push({
          path: ['environments', i, 'awsAccountId'],
          message: `environments ${other} and ${env.name} share AWS account ${env.awsAccountId}; give each environment its own account`,
          environment: env.name,
          expected: `an account of ${env.name}'s own`,
          found: env.awsAccountId,
        });
      } else byAccount.set(env.awsAccountId, env.name);
      const allowed = environment(env.name).awsAccountIds;
      if (allowed.length > 0 && !allowed.includes(env.awsAccountId)) {
        findings.push({
          path: ['environments', i, 'awsAccountId'],
          message: `${env.name} uses account ${env.awsAccountId}, which is not one of the organisation's ${env.name} accounts`,
          environment: env.name,
          expected: allowed.join(', '),
          found: env.awsAccountId,
        });
      }
    }
    for (const deploy of facts.deploys) {
      if (deploy.kind === 'shell' || !deploy.environment) continue;
      const envName = deploy.environment;
      const declared = facts.environments.get(envName);
      if (!declared) {
        findings.push({
          path: [...deploy.info.path, 'environment'],
          message: `environment '${envName}' is not declared in the pipeline's environments, so its account cannot be checked`,
          environment: envName,
          expected: `one of: ${[...facts.environments.keys()].join(', ') || '(no environments declared)'}`,
          found: envName,
        });
        continue;
      }
      const aws: AwsRole | undefined = deploy.aws;
      const env = declared.env;
      if (aws && aws.account !== env.awsAccountId) {
        findings.push({
          path: [...deploy.info.path, 'aws', 'account'],
          message: `${deploy.info.step.step} for ${envName} assumes a role in account ${aws.account}, not ${envName}'s account ${env.awsAccountId}`,
          environment: envName,
          expected: env.awsAccountId,
          found: aws.account,
        });
      }
      if (aws && (deploy.kind === 'ecs' || deploy.kind === 'eks' || deploy.kind === 'gitops') && roleName(aws.role) !== roleName(env.deployRole)) {
        findings.push({
          path: [...deploy.info.path, 'aws', 'role'],
          message: `${deploy.info.step.step} for ${envName} assumes role ${aws.role}, not ${envName}'s deploy role ${env.deployRole}`,
          environment: envName,
          expected: env.deployRole,
          found: aws.role,
        });
      }
      const step = deploy.info.step;
      if ((step.step === 'ecsDeploy' || step.step === 'eksDeploy') && env.target.kind !== 'gitops' && 'cluster' in env.target && step.cluster !== env.target.cluster) {
        findings.push({
          path: [...deploy.info.path, 'cluster'],
          message: `${step.step} for ${envName} targets cluster ${step.cluster}, not ${envName}'s cluster ${env.target.cluster}`,
          environment: envName,
          expected: env.target.cluster,
          found: step.cluster,
        });
      }
    }
    return findings;
  },
});
