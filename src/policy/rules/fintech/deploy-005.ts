import { defineRule } from '../../rule.ts';
import { taskDefinitionFindings } from './taskdef-findings.ts';

/** DEPLOY-005: the task definition is hardened. */
export default defineRule({
  meta: {
    id: 'DEPLOY-005',
    title: 'Harden the task definition',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'Containers run as a non-root `user` with `readonlyRootFilesystem: true`, never `privileged`, log to CloudWatch ' +
      'Logs (`awslogs`), and the task role (what the application may do) is not the execution role (what ECS needs to ' +
      'pull the image and read the secrets). Checked on the template of each `ecsDeploy` when it is in the project, and ' +
      'reported as warnings on the rendered task definition at deploy time.',
    standards: ['AWS Security Hub ECS.4, ECS.5, ECS.9', 'CIS Docker Benchmark 5.4, 5.12'],
    exception: 'An application that truly needs a writable root filesystem: document it and give it a tmpfs or a volume.',
    example: {
      bad: 'deploy/taskdef.prod.json:\n{ "family": "payments-api", "containerDefinitions": [{ "name": "app", "user": "root" }] }',
      good: 'deploy/taskdef.prod.json:\n{ "family": "payments-api", "containerDefinitions": [{ "name": "app", "user": "1000:1000", "readonlyRootFilesystem": true, "logConfiguration": { "logDriver": "awslogs", "options": { "awslogs-group": "/ecs/payments-api-prod", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app" } } }] }',
    },
  },
  check(context) {
    return taskDefinitionFindings(context, 'DEPLOY-005');
  },
});
