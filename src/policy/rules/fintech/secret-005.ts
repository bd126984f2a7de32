import { defineRule } from '../../rule.ts';
import { taskDefinitionFindings } from './taskdef-findings.ts';

/** SECRET-005: container secrets come from Secrets Manager or SSM ARNs, never from plain environment values. */
export default defineRule({
  meta: {
    id: 'SECRET-005',
    title: 'Pass container secrets with secrets[].valueFrom, never in environment',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A task definition is readable by anyone with `ecs:DescribeTaskDefinition`, and every revision is kept. Secrets ' +
      'go into `secrets[]` with `valueFrom` the full ARN of a Secrets Manager secret or an SSM SecureString parameter ' +
      '(KMS-encrypted; the execution role may read exactly those ARNs), in the account the service runs in. Checked on ' +
      'the template of each `ecsDeploy` when it is in the project, and again on the rendered task definition at deploy time.',
    standards: ['AWS Security Hub ECS.8', 'AWS Config ecs-no-environment-secrets', 'PCI DSS 4.0.1 3.5.1, 8.3.2'],
    example: {
      bad: 'deploy/taskdef.prod.json:\n{ "family": "payments-api", "containerDefinitions": [{ "name": "app", "environment": [{ "name": "DB_PASSWORD", "value": "correct-horse-battery-staple" }] }] }',
      good: 'deploy/taskdef.prod.json:\n{ "family": "payments-api", "containerDefinitions": [{ "name": "app", "secrets": [{ "name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:333333333333:secret:payments/db-AbCdEf" }] }] }',
    },
  },
  check(context) {
    return taskDefinitionFindings(context, 'SECRET-005');
  },
});
