import { bind, checkoutScm, definePipeline, lock, sh, withCredentials } from 'pipewright';
import { accounts, buildAgent, nodeBuildAndTest, prodDeployAgent, slackPost, standardOptions } from './shared/org-defaults.ts';

/** payments-api: Node.js service on ECS Fargate, promoted dev → prod by image digest. */
export default definePipeline({
  agent: buildAgent,
  options: standardOptions,
  environment: {
    SERVICE: 'payments-api',
    AWS_REGION: accounts.dev.region,
    ECR_REGISTRY: `${accounts.dev.accountId}.dkr.ecr.${accounts.dev.region}.amazonaws.com`,
  },
  stages: [
    { name: 'Checkout', steps: [checkoutScm()] },
    nodeBuildAndTest('node-20'),
    {
      name: 'Security scans',
      failFast: true,
      parallel: [
        {
          name: 'Trivy filesystem',
          steps: [
            sh(
              'trivy fs --cache-dir /var/cache/trivy --scanners vuln,secret,misconfig --severity HIGH,CRITICAL --exit-code 1 --format sarif --output reports/trivy-fs.sarif .',
              { label: 'trivy fs' },
            ),
          ],
        },
        {
          name: 'Snyk dependencies',
          steps: [
            withCredentials(
              [bind.string('snyk-token', 'SNYK_TOKEN')],
              [sh('snyk test --all-projects --severity-threshold=high --json-file-output=reports/snyk-oss.json', { label: 'snyk test' })],
            ),
          ],
        },
      ],
    },
    {
      name: 'Image',
      steps: [
        sh(
          [
            '#!/bin/bash',
            'set -euo pipefail',
            'IMG="$ECR_REGISTRY/$SERVICE:$GIT_COMMIT"',
            'DOCKER_BUILDKIT=1 docker build --pull --label org.opencontainers.image.revision="$GIT_COMMIT" -t "$IMG" .',
            'trivy image --cache-dir /var/cache/trivy --severity HIGH,CRITICAL --exit-code 1 "$IMG"',
          ].join('\n'),
          { label: 'docker build + image scan' },
        ),
      ],
    },
    {
      name: 'Deploy to dev',
      when: { branch: 'main' },
      steps: [
        lock(`ecs-dev-payments-api`, [
          sh('pipewright ecs-deploy --cluster dev-apps --service payments-api --image "$(cat image-ref.txt)" --evidence evidence/deploy-dev.json', {
            label: 'ecs-deploy dev',
          }),
        ]),
      ],
    },
    {
      name: 'Approve production',
      agent: 'none',
      when: { branch: 'main', beforeInput: true },
      options: { timeout: { time: 24, unit: 'HOURS' } },
      input: {
        message: 'Deploy payments-api to production?',
        ok: 'Deploy',
        submitter: ['payments-release-managers'],
        submitterParameter: 'APPROVER',
        parameters: [{ type: 'string', name: 'CHANGE_ID', description: 'Change ticket (CHG-1234)', trim: true }],
      },
      steps: [sh('echo "approved by $APPROVER for $CHANGE_ID"', { label: 'record approval' })],
    },
    {
      name: 'Deploy to production',
      agent: prodDeployAgent,
      when: { branch: 'main' },
      steps: [
        lock(`ecs-prod-payments-api`, [
          sh('pipewright ecs-deploy --cluster prod-apps --service payments-api --image "$(cat image-ref.txt)" --evidence evidence/deploy-prod.json', {
            label: 'ecs-deploy prod',
          }),
        ]),
      ],
    },
  ],
  post: slackPost('#payments-deploys'),
});
