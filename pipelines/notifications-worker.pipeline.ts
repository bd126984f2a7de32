import { definePipeline, nodeService, type Stage } from 'pipewright';
import { eksGitopsEnvironments, evidenceExportPending, notifyTo, org } from './shared/org-defaults.ts';

/** Integration tests against LocalStack: nightly (timer) and on main, next to the unit tests. */
const integration: Stage = {
  name: 'Integration tests',
  when: { anyOf: [{ triggeredBy: 'TimerTrigger' }, { branch: 'main' }] },
  agent: { type: 'docker', image: 'localstack/localstack:3.8', reuseNode: true },
  environment: { QUEUE_NAME: 'notifications-dev' },
  steps: [
    { step: 'timeout', time: 15, steps: [{ step: 'retry', count: 2, steps: [{ step: 'npmRun', script: 'test:integration', junit: 'reports/junit/integration-*.xml' }] }] },
  ],
};

/**
 * notifications-worker: SQS consumer on EKS (dev kubectl, stage helm) and GitOps/ArgoCD in prod.
 * Override visible here: the integration tests join the unit tests' parallel block.
 */
const pipeline = nodeService({
  ...org,
  name: 'notifications-worker',
  environments: eksGitopsEnvironments('notifications-worker', { approvers: ['platform-release-managers'] }),
  notifications: notifyTo('#notifications'),
  overrides: {
    stages: (stages) =>
      stages.map((stage) =>
        stage.name !== 'Build & test'
          ? stage
          : { ...stage, stages: stage.stages?.map((s) => (s.name === 'Lint & unit tests' ? { ...s, parallel: [...(s.parallel ?? []), integration] } : s)) },
      ),
  },
});

export default definePipeline({ ...pipeline, triggers: { cron: 'H 2 * * 1-5' }, suppressions: [evidenceExportPending] });
