import { roleName } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/**
 * Steps acting on an environment's resources. Evidence export is not one of them: it writes to the
 * audit account's Object Lock bucket (per-environment prefixes, COMPLIANCE retention, no delete),
 * which is one account for every environment by design.
 */
const EXEMPT = new Set(['evidenceExport', 'notify']);

/** IAM-006: each environment assumes a role of its own, in its own account (the generated IAM policies are then per environment). */
export default defineRule({
  meta: {
    id: 'IAM-006',
    title: 'Each environment assumes its own role in its own account',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'pipewright generates one least-privilege policy per pipeline and environment (generated/<name>/iam/<env>.json). A role ' +
      'that two environments share must hold both policies, so a dev build could act on prod resources; a role in another ' +
      'environment’s account crosses the account boundary. Every step that acts on an environment (deploys, traffic shifts, ' +
      'publishing, feature flags, signature checks) assumes a role used by that environment only, in that environment’s account.',
    standards: ['PCI DSS 4.0.1 6.5.3', 'PCI DSS 4.0.1 7.2.5', 'OWASP CICD-SEC-5'],
    exception: 'None: give each environment its own role (the audit account’s evidence writer is not checked).',
    example: {
      bad: "trafficShift({ ...prodShift, environment: 'stage' }), trafficShift(prodShift)",
      good: "trafficShift({ ...prodShift, environment: 'stage', aws: { ...prodShift.aws, role: 'traffic-shifter-stage', account: '222222222222' } }), trafficShift(prodShift)",
    },
  },
  check({ pipeline, index }) {
    const findings: RuleFinding[] = [];
    const accounts = new Map((pipeline.environments ?? []).map((env) => [env.name, env.awsAccountId]));
    const usedBy = new Map<string, { environment: string; path: readonly (string | number)[] }>();
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      const step = info.step as { step: string; environment?: unknown; aws?: { role: string; account: string } };
      if (EXEMPT.has(step.step) || typeof step.environment !== 'string' || step.aws === undefined) continue;
      const environment = step.environment;
      const own = accounts.get(environment);
      if (own !== undefined && step.aws.account !== own) {
        findings.push({
          path: [...info.path, 'aws', 'account'],
          message: `${step.step} for ${environment} assumes ${step.aws.role} in account ${step.aws.account}, not in ${environment}'s account ${own}`,
          environment,
          expected: own,
          found: step.aws.account,
        });
      }
      const key = `${step.aws.account}/${roleName(step.aws.role)}`;
      const first = usedBy.get(key);
      if (first === undefined) usedBy.set(key, { environment, path: info.path });
      else if (first.environment !== environment) {
        findings.push({
          path: [...info.path, 'aws', 'role'],
          message: `${step.step} for ${environment} assumes ${step.aws.role}, which ${first.environment} also assumes; give ${environment} a role of its own`,
          environment,
          expected: `a role used by ${environment} only`,
          found: `${step.aws.role} (also ${first.environment})`,
        });
      }
    }
    return findings;
  },
});
