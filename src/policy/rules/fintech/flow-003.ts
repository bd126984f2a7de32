import { DELIVERY_DEFAULTS } from '../../../model/delivery-defaults.ts';
import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** FLOW-003: the approver is recorded and checked against whoever started the build. */
export default defineRule({
  meta: {
    id: 'FLOW-003',
    title: 'Separation of duties on approvals',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'The person who approves a production change must not be the one who made or started it. Jenkins cannot enforce this ' +
      'by itself: the approval must record the approver (`submitterParameter`) and an `approvalCheck` step must compare it ' +
      'with the users who started the build and refuse self-approval (it also catches administrators, who can always approve).',
    standards: ['PCI DSS 4.0.1 6.2.3.1', 'PCI DSS 4.0.1 6.5.4', 'SOC 2 CC8.1'],
    exception: 'A documented break-glass change, with a post-implementation review within 24–48 h.',
    example: {
      bad: "{ name: 'Approve prod', input: { message: 'Deploy?', submitter: ['release-managers'] }, steps: [echo('ok')] }",
      good: "{ name: 'Approve prod', input: { message: 'Deploy?', submitter: ['release-managers'], submitterParameter: 'APPROVER' }, steps: [approvalCheck('prod')] }",
    },
  },
  check({ index, pipeline }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    for (const approval of facts.approvals) {
      const name = approval.stage.stage.name;
      const extra = approval.environment ? { environment: approval.environment } : {};
      const parameter = approval.input.submitterParameter;
      if (!parameter) {
        findings.push({ path: approval.inputPath, message: `approval '${name}' does not record the approver: set submitterParameter`, expected: 'submitterParameter', found: 'none', ...extra });
      }
      if (!approval.check) {
        findings.push({ path: approval.stage.path, message: `approval '${name}' has no approvalCheck step, so self-approval is not refused`, expected: 'approvalCheck step', found: 'none', ...extra });
        continue;
      }
      const check = approval.check.step;
      if (check.forbidSelfApproval === false) {
        findings.push({ path: [...approval.check.path, 'forbidSelfApproval'], message: `approvalCheck in '${name}' allows self-approval`, expected: 'forbidSelfApproval: true', found: 'false', ...extra });
      }
      const variable = check.approverVariable ?? DELIVERY_DEFAULTS.approval.approverVariable;
      if (parameter && parameter !== variable) {
        findings.push({
          path: approval.check.path,
          message: `approvalCheck in '${name}' reads ${variable}, but the input records the approver in ${parameter}`,
          expected: parameter,
          found: variable,
          ...extra,
        });
      }
    }
    for (const [i, env] of (pipeline.environments ?? []).entries()) {
      if (env.approval?.forbidSelfApproval === false) {
        findings.push({
          path: ['environments', i, 'approval', 'forbidSelfApproval'],
          message: `environment ${env.name} allows self-approval`,
          environment: env.name,
          expected: 'forbidSelfApproval: true',
          found: 'false',
        });
      }
    }
    return findings;
  },
});
