import { deliveryFacts, describeAgent, timeoutMinutes } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** FLOW-004: approvals time out and hold no executor. */
export default defineRule({
  meta: {
    id: 'FLOW-004',
    title: 'Approvals time out and hold no executor',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'An approval that never expires is a standing authorization: it can be granted days later for a build nobody ' +
      'remembers. Bound it with a stage `timeout` (at most `policy.environments.<env>.approvalTimeoutMinutes`, 24 h by ' +
      'default) and run the approval stage with `agent: \'none\'` so no executor waits with the workspace and credentials.',
    standards: ['PCI DSS 4.0.1 6.5.1', 'Jenkins pipeline-input-step'],
    exception: 'A change window scheduled in advance.',
    example: {
      bad: "{ name: 'Approve prod', input: { message: 'Deploy to prod?', submitter: ['release-managers'], submitterParameter: 'APPROVER' }, steps: [approvalCheck('prod')] }",
      good: "{ name: 'Approve prod', agent: 'none', options: { timeout: { time: 24, unit: 'HOURS' } }, input: { message: 'Deploy to prod?', submitter: ['release-managers'], submitterParameter: 'APPROVER' }, steps: [approvalCheck('prod')] }",
    },
  },
  check({ index, pipeline, environment }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    for (const approval of facts.approvals) {
      const { stage } = approval;
      const name = stage.stage.name;
      const limit = environment(approval.environment ?? 'prod').approvalTimeoutMinutes;
      const extra = approval.environment ? { environment: approval.environment } : {};
      const timeout = [stage, ...[...stage.ancestors].reverse()].map((s) => s.stage.options?.timeout).find((t) => t !== undefined);
      if (!timeout) {
        findings.push({ path: stage.path, message: `approval '${name}' has no timeout: it stays open indefinitely`, expected: `options.timeout ≤ ${limit} minutes`, found: 'none', ...extra });
      } else if (timeoutMinutes(timeout) > limit) {
        findings.push({
          path: [...stage.path, 'options', 'timeout'],
          message: `approval '${name}' stays open for ${timeoutMinutes(timeout)} minutes, more than the ${limit} allowed`,
          expected: `≤ ${limit} minutes`,
          found: `${timeoutMinutes(timeout)} minutes`,
          ...extra,
        });
      }
      if (stage.agent !== 'none') {
        findings.push({
          path: stage.stage.agent !== undefined ? [...stage.path, 'agent'] : stage.path,
          message: `approval '${name}' holds an executor while waiting (${describeAgent(stage.agent)}); use agent: 'none'`,
          expected: "agent: 'none'",
          found: describeAgent(stage.agent),
          ...extra,
        });
      }
    }
    for (const [i, env] of (pipeline.environments ?? []).entries()) {
      const minutes = env.approval?.timeoutMinutes;
      const limit = environment(env.name).approvalTimeoutMinutes;
      if (minutes !== undefined && minutes > limit) {
        findings.push({
          path: ['environments', i, 'approval', 'timeoutMinutes'],
          message: `approvals for ${env.name} stay open for ${minutes} minutes, more than the ${limit} allowed`,
          environment: env.name,
          expected: `≤ ${limit}`,
          found: String(minutes),
        });
      }
    }
    return findings;
  },
});
