import { definePipeline, nodeService, type Stage } from 'pipewright';
import { costAllocation, ecsEnvironments, notifyTo, org } from './shared/org-defaults.ts';

/** Database migrations after a deploy, with the environment's DB credentials bound to the stage only. */
function migrate(env: 'dev' | 'stage' | 'prod', afterStage: Stage): Stage {
  return {
    name: `Migrate ${env}`,
    agent: { type: 'label', label: env === 'prod' ? 'prod-deployer' : `deploy-${env}` },
    when: { ...afterStage.when, environment: { name: 'RUN_MIGRATIONS', value: 'true' } },
    // Bounded like every top-level stage (BASE-001): a migration waiting on a lock fails the run.
    options: { timeout: { time: 30, unit: 'MINUTES' } },
    // credentials(): Jenkins binds DB_USR / DB_PSW for this stage only; the migration tool reads
    // DB_PSW from its environment, Groovy never sees either.
    environment: { DB: { credentials: `ledger-db-${env}` }, DB_HOST: `ledger-${env}.internal` },
    // The failure message is printed by the script itself: a post { failure { echo } } would cost
    // ~200 bytes of the pipeline's one 64 KB method per environment (docs/limits.md).
    steps: [
      { step: 'npmCi' },
      {
        step: 'sh',
        script: 'npm run migrate -- --host "$DB_HOST" --user "$DB_USR" || { status=$?; echo "Migrations failed: the previous schema is still in place" >&2; exit "$status"; }',
        label: `migrate ${env}`,
      },
    ],
  };
}

/** Runs the unit tests on every supported Node.js version, each cell on its own agent. */
const compatibility: Stage = {
  name: 'Compatibility',
  options: { timeout: { time: 30, unit: 'MINUTES' } },
  matrix: {
    agent: { type: 'label', label: org.buildAgent },
    axes: [{ name: 'NODE_VERSION', values: ['20', '22'] }],
    stages: [
      {
        name: 'Unit tests',
        steps: [
          {
            step: 'sh',
            label: 'npm test (Node.js version: matrix axis NODE_VERSION)',
            script: 'docker run --rm -v "$PWD:/app" -w /app "node:$NODE_VERSION-alpine" sh -c \'npm ci --no-audit && npm test\'',
          },
        ],
      },
    ],
  },
};

/**
 * ledger-service: Node.js service with PostgreSQL migrations, on ECS Fargate like payments-api.
 * Overrides visible here: an extra compatibility matrix, and a migration stage after each deploy
 * (both with their own stage timeout, like the preset's stages).
 */
const pipeline = nodeService({
  ...org,
  name: 'ledger-service',
  environments: ecsEnvironments('ledger-service', { approvers: ['ledger-release-managers'], timeoutMinutes: 720 }),
  costAllocation: costAllocation('ledger'),
  notifications: notifyTo('#ledger'),
  // Read-only checks after each rollout (health, a balance read of the synthetic smoke account);
  // a failure rolls the release back. It runs before the migration stage, so it also proves the
  // new release works with the current schema (migrations are expand/contract).
  smokeTest: './scripts/smoke.sh',
  overrides: {
    stages: (stages) =>
      stages.flatMap((stage) => {
        if (stage.name === 'Build & test') return [stage, compatibility];
        const env = /^Deploy (dev|stage|prod)$/.exec(stage.name)?.[1] as 'dev' | 'stage' | 'prod' | undefined;
        return env ? [stage, migrate(env, stage)] : [stage];
      }),
  },
});

export default definePipeline({
  ...pipeline,
  parameters: [{ type: 'booleanParam', name: 'RUN_MIGRATIONS', defaultValue: true, description: 'Apply database migrations after each deploy' }],
  triggers: { pollSCM: 'H/15 * * * *' },
});
