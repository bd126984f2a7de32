import { bind, checkoutScm, credentials, definePipeline, echo, lock, sh, withCredentials } from 'pipewright';
import { accounts, buildAgent, nodeBuildAndTest, slackPost, standardOptions } from './shared/org-defaults.ts';

/** ledger-service: Node.js service with PostgreSQL (RDS) migrations, tested on two Node versions. */
export default definePipeline({
  agent: buildAgent,
  options: standardOptions,
  parameters: [
    { type: 'booleanParam', name: 'RUN_MIGRATIONS', defaultValue: true, description: 'Apply database migrations after deploy' },
    { type: 'choice', name: 'TARGET_ENV', choices: ['dev', 'stage'], description: 'Environment to deploy to' },
  ],
  triggers: { pollSCM: 'H/15 * * * *' },
  environment: {
    SERVICE: 'ledger-service',
    AWS_REGION: accounts.dev.region,
    // Bound by Jenkins; the shell reads $ARTIFACTORY_USR / $ARTIFACTORY_PSW, Groovy never sees them.
    ARTIFACTORY: credentials('artifactory-readonly'),
  },
  stages: [
    { name: 'Checkout', steps: [checkoutScm()] },
    {
      name: 'Compatibility',
      matrix: {
        axes: [{ name: 'NODE_VERSION', values: ['node-20', 'node-22'] }],
        stages: [
          {
            name: 'Unit tests',
            steps: [sh('npm ci --no-audit && npm test', { label: 'npm test on $NODE_VERSION' })],
          },
        ],
      },
    },
    nodeBuildAndTest('node-20'),
    {
      name: 'Migration dry run',
      steps: [
        withCredentials(
          [bind.usernamePassword('ledger-db-dev', 'DB_USER', 'DB_PASSWORD')],
          [sh('npm run migrate -- --dry-run --url "postgres://$DB_USER:$DB_PASSWORD@ledger-dev.internal:5432/ledger"', { label: 'migrate --dry-run' })],
        ),
      ],
    },
    {
      name: 'Deploy',
      when: { allOf: [{ branch: 'main' }, { not: { changeRequest: true } }] },
      stages: [
        {
          name: 'Release',
          steps: [
            lock('ecs-dev-ledger-service', [
              sh('pipewright ecs-deploy --cluster "$TARGET_ENV-apps" --service ledger-service --image "$(cat image-ref.txt)"', {
                label: 'ecs-deploy',
              }),
            ]),
          ],
        },
        {
          name: 'Migrate',
          when: { environment: { name: 'RUN_MIGRATIONS', value: 'true' } },
          steps: [
            withCredentials(
              [bind.usernamePassword('ledger-db-dev', 'DB_USER', 'DB_PASSWORD')],
              [sh('npm run migrate -- --url "postgres://$DB_USER:$DB_PASSWORD@ledger-dev.internal:5432/ledger"', { label: 'migrate' })],
            ),
            echo('Migrations applied'),
          ],
        },
      ],
    },
  ],
  post: slackPost('#ledger'),
});
