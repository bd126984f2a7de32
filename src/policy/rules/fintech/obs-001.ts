import type { ModelPath } from '../../../diagnostics.ts';
import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';
import { parseTemplate } from './taskdef-findings.ts';

/** OBS-001: production ECS services log to CloudWatch Logs. */
export default defineRule({
  meta: {
    id: 'OBS-001',
    title: 'Production ECS services log to CloudWatch Logs',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A container without the `awslogs` log driver loses its output when the task stops: nothing is left for incident ' +
      'analysis or for the audit trail of a production change. Every container of a production task-definition template ' +
      'must use `logConfiguration.logDriver: "awslogs"` with an `awslogs-group`. Checked here on the template of each ' +
      'production `ecsDeploy` when it is in the project (aws-cli engine); a template that is not in the project, and the ' +
      'pipewright engine (which renders from the running task definition), are checked by `pipewright preflight` ' +
      '(PF017 awslogs, PF018 the log group exists, PF019 it has a retention).',
    standards: ['AWS Security Hub ECS.9', 'PCI DSS 4.0.1 10.2.1', 'AWS Well-Architected OPS04-BP01'],
    example: {
      bad: 'deploy/taskdef.prod.json:\n{ "family": "payments-api", "containerDefinitions": [{ "name": "app", "image": "x" }] }',
      good: 'deploy/taskdef.prod.json:\n{ "family": "payments-api", "containerDefinitions": [{ "name": "app", "image": "x", "logConfiguration": { "logDriver": "awslogs", "options": { "awslogs-group": "/ecs/payments-api-prod", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app" } } }] }',
    },
  },
  check({ index, readFile, isProduction }) {
    const findings: RuleFinding[] = [];
    for (const info of deliveryFacts(index).ofKind('ecsDeploy')) {
      const step = info.step;
      if (!isProduction(step.environment) || step.taskDefinition === undefined) continue;
      const text = readFile(step.taskDefinition);
      if (text === undefined) continue; // not in this project: preflight checks the running task definition
      const at: ModelPath = [...info.path, 'taskDefinition'];
      const parsed = parseTemplate(text);
      if (!parsed.ok) continue; // SECRET-005 reports a template that is not JSON
      const template = parsed.json as { containerDefinitions?: Array<{ name?: string; logConfiguration?: { logDriver?: string; options?: Record<string, string> } }> };
      const containers = Array.isArray(template?.containerDefinitions) ? template.containerDefinitions : [];
      for (const container of containers) {
        const logging = container?.logConfiguration;
        if (logging?.logDriver === 'awslogs' && logging.options?.['awslogs-group']) continue;
        const found = logging === undefined ? 'no logConfiguration' : `logDriver ${logging.logDriver ?? '(none)'}${logging.logDriver === 'awslogs' ? ' without awslogs-group' : ''}`;
        findings.push({
          path: at,
          message: `${step.taskDefinition}: container "${container?.name ?? '(unnamed)'}" does not log to CloudWatch Logs (${found}); use the awslogs driver with an awslogs-group`,
          environment: step.environment,
          expected: 'logDriver awslogs with awslogs-group',
          found,
        });
      }
    }
    return findings;
  },
});
