import { DELIVERY_DEFAULTS } from '../../../model/delivery-defaults.ts';
import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** FLOW-007: the approval records a change ticket. */
export default defineRule({
  meta: {
    id: 'FLOW-007',
    title: 'Approvals record a change ticket',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'A production change record needs a reason and a reference auditors can follow. The approval asks for a `CHANGE_ID` ' +
      'parameter and its `approvalCheck` validates it against the ticket pattern and records it in the build description ' +
      'and the deploy evidence.',
    standards: ['PCI DSS 4.0.1 6.5.1', 'SOC 2 CC8.1'],
    example: {
      bad: "input: { message: 'Deploy?', submitter: ['release-managers'], submitterParameter: 'APPROVER' }",
      good: "input: { message: 'Deploy?', submitter: ['release-managers'], submitterParameter: 'APPROVER', parameters: [{ type: 'string', name: 'CHANGE_ID', trim: true }] }",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    const parameterName = DELIVERY_DEFAULTS.approval.changeIdParameter;
    for (const approval of deliveryFacts(index).approvals) {
      const parameters = approval.input.parameters ?? [];
      const env = approval.environment ?? 'prod';
      const ticket = parameters.findIndex((p) => p.name === parameterName);
      if (ticket < 0) {
        findings.push({
          path: approval.inputPath,
          message: `approval '${approval.stage.stage.name}' does not ask for the change ticket (${parameterName} parameter)`,
          environment: env,
          expected: `a string parameter ${parameterName}`,
          found: parameters.length > 0 ? parameters.map((p) => p.name).join(', ') : 'no parameters',
        });
      } else if (parameters[ticket]!.type !== 'string') {
        findings.push({ path: [...approval.inputPath, 'parameters', ticket], message: `${parameterName} must be a string parameter`, environment: env, expected: 'string', found: parameters[ticket]!.type });
      }
    }
    return findings;
  },
});
