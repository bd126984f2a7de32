import { defineConfig } from 'pipewright';

/**
 * The organisation's policy for every pipeline in this repository (docs/policy.md). The security
 * team owns this file: packs, the rules no pipeline may suppress, and what each environment
 * requires. Per-pipeline exceptions are suppressions in the pipeline source, never here.
 */
export default defineConfig({
  policy: {
    packs: ['baseline', 'fintech'],
    failOn: 'error',
    // Controls a pipeline cannot excuse itself from (a suppression of one is itself an error).
    mandatory: ['FLOW-001', 'FLOW-003', 'FLOW-005', 'IAM-001', 'SCAN-001', 'SCAN-002', 'SECRET-001', 'SECRET-003', 'PIPE-001'],
    environments: {
      dev: { scanSeverities: ['CRITICAL'], awsAccountIds: ['111111111111'] },
      stage: { scanSeverities: ['HIGH', 'CRITICAL'], awsAccountIds: ['222222222222'] },
      prod: {
        production: true,
        scanSeverities: ['HIGH', 'CRITICAL'],
        approverGroups: ['payments-release-managers', 'ledger-release-managers', 'platform-release-managers', 'web-release-managers'],
        protectedBranches: ['main'],
        agentLabels: ['prod-deployer'],
        approvalTimeoutMinutes: 1440,
        awsAccountIds: ['333333333333'],
      },
    },
    rules: {
      // Hand-written steps that hold production access (a prod credential, role or agent) are
      // errors unless the security team reviewed the exact script here (IAM-005, docs/policy.md).
      'IAM-005': {
        options: {
          reviewedScripts: [
            {
              script:
                'npm run migrate -- --host "$DB_HOST" --user "$DB_USR" || { status=$?; echo "Migrations failed: the previous schema is still in place" >&2; exit "$status"; }',
              reason: 'ledger-service schema migrations (expand/contract, reviewed with the service); no typed step exists for database migrations',
            },
          ],
        },
      },
    },
    // Exceptions need an owner and an end date, at most six months ahead.
    suppressions: { requireTicket: false, requireExpiry: true, maxDays: 183 },
  },
  // Generated IAM (generated/<name>/iam/<env>.json, docs/iam.md): who assumes the pipeline roles,
  // and the ECS task/execution roles the deploy roles may pass (the task-definition templates live
  // in the service repositories, not here).
  iam: {
    trust: {
      principal: 'arn:aws:iam::555555555555:role/jenkins-agents',
      externalId: 'fintech-jenkins',
    },
    taskRoles: {
      'dev-apps/payments-api': { taskRole: 'payments-api-task', executionRole: 'payments-api-execution' },
      'stage-apps/payments-api': { taskRole: 'payments-api-task', executionRole: 'payments-api-execution' },
      'prod-apps/payments-api': { taskRole: 'payments-api-task', executionRole: 'payments-api-execution' },
      'dev-apps/ledger-service': { taskRole: 'ledger-service-task', executionRole: 'ledger-service-execution' },
      'stage-apps/ledger-service': { taskRole: 'ledger-service-task', executionRole: 'ledger-service-execution' },
      'prod-apps/ledger-service': { taskRole: 'ledger-service-task', executionRole: 'ledger-service-execution' },
    },
  },
});
