import { policyWidenings } from '../../../iam/widening.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

interface GeneratedFile {
  roles?: { roleArn: string; identityPolicy: { Statement: unknown[] } }[];
}

const roleNameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/**
 * IAM-007: a role whose attached policy (given in the configuration) allows more than the
 * pipeline's generated least-privilege policy.
 */
export default defineRule({
  meta: {
    id: 'IAM-007',
    title: 'Attached role policies are no wider than the generated ones',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'pipewright generates the least-privilege policy of every role a pipeline assumes (generated/<name>/iam/<env>.json). ' +
      'When the configuration carries the policy actually attached to a role (policy.rules["IAM-007"].options.attachedPolicies, ' +
      'role ARN → policy document, e.g. exported from Terraform state), every action, resource or missing condition it allows ' +
      'beyond the generated policies of all environments that assume the role is a finding. Without attached policies the rule ' +
      'has nothing to compare; `pipewright preflight --iam` asks AWS instead.',
    standards: ['PCI DSS 4.0.1 7.2.5', 'PCI DSS 4.0.1 7.2.2', 'OWASP CICD-SEC-5'],
    exception: 'A role shared by several pipelines: its attached policy is the union of their generated policies (suppress per pipeline with the reason).',
    example: {
      bad: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })  // options.attachedPolicies['arn:aws:iam::333333333333:role/ecs-deployer-prod'] allows ecs:*",
      good: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })  // the attached policy is the generated generated/<name>/iam/prod.json",
    },
  },
  check({ pipeline, source, options, index, readFile }) {
    const findings: RuleFinding[] = [];
    const attached = (options.attachedPolicies ?? {}) as Record<string, { Statement?: unknown[] }>;
    if (Object.keys(attached).length === 0) return findings;
    const outDir = typeof options.outDir === 'string' ? options.outDir : 'generated';
    const name = pipeline.name ?? source.replace(/^.*\//, '').replace(/\.pipeline\.ts$/, '');
    // Every environment's generated policy of each role, together (a role several environments assume needs their union).
    const generated = new Map<string, unknown[]>();
    const environments = new Set(['build', ...(pipeline.environments ?? []).map((e) => e.name)]);
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      const environment = (info.step as { environment?: unknown }).environment;
      if (typeof environment === 'string') environments.add(environment);
    }
    for (const environment of environments) {
      const text = readFile(`${outDir}/${name}/iam/${environment}.json`);
      if (text === undefined) continue;
      for (const role of (JSON.parse(text) as GeneratedFile).roles ?? []) {
        generated.set(role.roleArn, [...(generated.get(role.roleArn) ?? []), ...role.identityPolicy.Statement]);
      }
    }
    for (const [roleArn, statements] of generated) {
      const policy = attached[roleArn];
      if (policy?.Statement === undefined) continue;
      const widenings = policyWidenings({ Statement: statements }, { Statement: policy.Statement });
      if (widenings.length === 0) continue;
      const step = index.steps.find((info) => {
        const aws = (info.step as { aws?: { role: string; account: string } }).aws;
        return aws !== undefined && roleNameOf(roleArn) === roleNameOf(aws.role) && roleArn.includes(`::${aws.account}:`);
      });
      const environment = step === undefined ? undefined : (step.step as { environment?: unknown }).environment;
      const shown = widenings.slice(0, 4).map((w) => w.message).join('; ');
      findings.push({
        path: step === undefined ? ['name'] : [...step.path, 'aws', 'role'],
        message: `the policy attached to ${roleArn} is wider than the generated one: ${shown}${widenings.length > 4 ? `; and ${widenings.length - 4} more` : ''}`,
        ...(typeof environment === 'string' ? { environment } : {}),
      });
    }
    return findings;
  },
});
