import { checkoutScm, definePipeline, junit, retry, sh, timeout } from 'pipewright';
import { buildAgent, slackPost, standardOptions } from './shared/org-defaults.ts';

/** notifications-worker: SQS consumer; nightly integration run plus branch builds. */
export default definePipeline({
  agent: buildAgent,
  options: standardOptions,
  triggers: { cron: 'H 2 * * 1-5' },
  environment: { SERVICE: 'notifications-worker', QUEUE_NAME: 'notifications-dev' },
  stages: [
    { name: 'Checkout', steps: [checkoutScm()] },
    { name: 'Install', steps: [sh('npm ci --no-audit', { label: 'npm ci' })] },
    {
      name: 'Tests',
      parallel: [
        {
          name: 'Unit',
          steps: [sh('npm test -- --reporter=junit --outputFile=reports/junit/unit.xml', { label: 'unit tests' })],
          post: { always: [junit('reports/junit/unit.xml')] },
        },
        {
          name: 'Integration',
          when: { anyOf: [{ triggeredBy: 'TimerTrigger' }, { branch: 'main' }] },
          agent: { type: 'docker', image: 'localstack/localstack:3.8', reuseNode: true },
          steps: [
            timeout(15, [
              retry(2, [sh('npm run test:integration -- --queue "$QUEUE_NAME"', { label: 'integration tests' })]),
            ]),
          ],
        },
      ],
    },
  ],
  post: slackPost('#notifications'),
});
