import { definePipeline, nodeService, sh, type Stage } from 'pipewright';
import { eksGitopsEnvironments, notifyTo, org } from './shared/org-defaults.ts';

/**
 * LocalStack, pinned by digest (ART-003), pulled through the tooling account's ECR pull-through
 * cache of Docker Hub (build agents log in with docker-credential-ecr-login). The digest here is a
 * placeholder for this example repository: take the real one from
 * `docker buildx imagetools inspect <mirror>/localstack/localstack:3.8` when updating the tag.
 */
const localstackImage =
  '999999999999.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/localstack/localstack:3.8@sha256:5bfca2f2fcb1fc3ee424a9b2884e5c8d032d89e6811467b73c8327bf6ed80fbd';

/**
 * Starts LocalStack as a sidecar container next to the build (docker-workflow's `withRun`, done in
 * shell so the pipeline stays declarative: PIPE-001 allows no `script {}`), published on the agent's
 * loopback only, and waits until its health endpoint answers. The container id goes to a file
 * for the `cleanup` post condition, which removes the container whatever happened (also on abort).
 */
const startLocalstack = sh(
  [
    '#!/bin/bash',
    'set -euo pipefail',
    'rm -f .localstack.cid',
    'docker run --detach --rm --cidfile .localstack.cid \\',
    '  --publish "127.0.0.1:${LOCALSTACK_PORT}:4566" --env SERVICES=sqs,sns --env EAGER_SERVICE_LOADING=1 \\',
    '  "$LOCALSTACK_IMAGE" > /dev/null',
    'for _ in $(seq 1 60); do',
    '  if curl --silent --fail --max-time 2 "${AWS_ENDPOINT_URL}/_localstack/health" > /dev/null; then exit 0; fi',
    '  sleep 2',
    'done',
    'echo "LocalStack did not answer on ${AWS_ENDPOINT_URL} within 120 s; its last log lines:" >&2',
    'docker logs --tail 50 "$(cat .localstack.cid)" >&2 || true',
    'exit 1',
  ].join('\n'),
  { label: 'start LocalStack sidecar' },
);

const stopLocalstack = sh(
  [
    '#!/bin/bash',
    'if [ -s .localstack.cid ]; then docker rm --force "$(cat .localstack.cid)" > /dev/null || true; fi',
    'rm -f .localstack.cid',
  ].join('\n'),
  { label: 'stop LocalStack sidecar' },
);

/**
 * Integration tests against LocalStack: nightly (timer) and on main, next to the unit tests. The
 * tests run on the Node build agent (its `tools { nodejs }`), not inside the LocalStack image: a
 * docker agent runs its image with `cat` as the command, so LocalStack itself would never start,
 * and the host's Node.js is not on that container's path. The port is fixed: the build agents are
 * ephemeral and the pipeline disables concurrent builds, so nothing else holds it.
 */
const integration: Stage = {
  name: 'Integration tests',
  when: { anyOf: [{ triggeredBy: 'TimerTrigger' }, { branch: 'main' }] },
  environment: {
    QUEUE_NAME: 'notifications-dev',
    LOCALSTACK_IMAGE: localstackImage,
    LOCALSTACK_PORT: '4566',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
  },
  steps: [
    { step: 'timeout', time: 15, steps: [startLocalstack, { step: 'retry', count: 2, steps: [{ step: 'npmRun', script: 'test:integration', junit: 'reports/junit/integration-*.xml' }] }] },
  ],
  post: { cleanup: [stopLocalstack] },
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
