import { definePipeline, nodeService, type Stage } from 'pipewright';
import { eksGitopsEnvironments, notifyTo, org } from './shared/org-defaults.ts';

/** Integration tests against LocalStack: nightly (timer) and on main, next to the unit tests. */
const integration: Stage = {
  name: 'Integration tests',
  when: { anyOf: [{ triggeredBy: 'TimerTrigger' }, { branch: 'main' }] },
  // Pinned by digest (ART-003), pulled through the tooling account's ECR pull-through cache of
  // Docker Hub (build agents log in with docker-credential-ecr-login). The digest here is a
  // placeholder for this example repository: take the real one from
  // `docker buildx imagetools inspect <mirror>/localstack/localstack:3.8` when updating the tag.
  agent: {
    type: 'docker',
    image: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/localstack/localstack:3.8@sha256:5bfca2f2fcb1fc3ee424a9b2884e5c8d032d89e6811467b73c8327bf6ed80fbd',
    reuseNode: true,
  },
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

export default definePipeline({ ...pipeline, triggers: { cron: 'H 2 * * 1-5' } });
