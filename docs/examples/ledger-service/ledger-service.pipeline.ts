// Imported from ../services/ledger-service/Jenkinsfile by `pipewright import`; the round trip was checked (compiling this module gives the same Jenkinsfile).
// Escape hatches (step(), script(), groovy(), custom entries) mark what is not typed yet: see the import report.
import { definePipeline, bind, credentials, groovy, junit, script, sh, withCredentials } from 'pipewright';
import * as jenkins from './jenkins-steps.ts';

export default definePipeline({
  agent: { type: 'label', label: 'linux && docker' },
  libraries: ['fintech-pipeline-lib@v4.2.0'],
  parameters: [
    {
      type: 'booleanParam',
      name: 'RUN_MIGRATIONS',
      defaultValue: true,
      description: 'Apply database migrations after each deploy',
    },
    { type: 'choice', name: 'LOG_LEVEL', choices: ['info', 'debug'], description: 'Log level of the smoke tests' },
  ],
  triggers: { pollSCM: 'H/15 * * * *' },
  options: {
    buildDiscarder: { numToKeep: 50, artifactNumToKeep: 10 },
    disableConcurrentBuilds: true,
    timeout: { time: 60, unit: 'MINUTES' },
    timestamps: true,
    custom: [{ name: 'ansiColor', args: ['xterm'] }],
  },
  environment: {
    AWS_REGION: 'eu-west-1',
    ECR_REGISTRY: '999999999999.dkr.ecr.eu-west-1.amazonaws.com',
    IMAGE: groovy('"${ECR_REGISTRY}/ledger-service"'),
    IMAGE_TAG: groovy('"${env.GIT_COMMIT.take(12)}"'),
    SNYK_TOKEN: credentials('snyk-api-token'),
  },
  stages: [
    { name: 'Install', steps: [sh('npm ci --no-audit --prefer-offline')] },
    {
      name: 'Checks',
      failFast: true,
      parallel: [
        { name: 'Lint', steps: [sh('npm run lint -- --format junit --output-file reports/eslint.xml')] },
        {
          name: 'Unit tests',
          steps: [sh('npm test -- --ci --reporters=default --reporters=jest-junit')],
          post: { always: [junit('reports/junit/*.xml', { allowEmptyResults: false })] },
        },
        { name: 'Dependencies', steps: [sh('snyk test --org=fintech --severity-threshold=high')] },
      ],
    },
    {
      name: 'Image',
      steps: [
        sh('docker build --pull -t "$IMAGE:$IMAGE_TAG" .'),
        sh('trivy image --exit-code 1 --severity HIGH,CRITICAL "$IMAGE:$IMAGE_TAG"'),
      ],
    },
    {
      name: 'Push',
      when: { branch: 'main' },
      steps: [
        jenkins.withAWS(
          [
            sh(`
                        aws ecr get-login-password --region "$AWS_REGION"                           | docker login --username AWS --password-stdin "$ECR_REGISTRY"
                        docker push "$IMAGE:$IMAGE_TAG"
                    `),
          ],
          { region: 'eu-west-1', role: 'arn:aws:iam::999999999999:role/ecr-pusher' },
        ),
      ],
    },
    {
      name: 'Deploy dev',
      agent: { type: 'label', label: 'deploy-dev' },
      when: { branch: 'main' },
      steps: [
        jenkins.withAWS(
          [sh('./ci/ecs-deploy.sh --cluster dev-apps --service ledger-service --image "$IMAGE:$IMAGE_TAG"')],
          { region: 'eu-west-1', role: 'arn:aws:iam::111111111111:role/ecs-deployer-dev' },
        ),
        withCredentials(
          [bind.usernamePassword('ledger-db-dev', 'DB_USER', 'DB_PASSWORD')],
          [
            script(`if (params.RUN_MIGRATIONS) {
    sh 'npm run migrate -- --host ledger-dev.internal'
}`),
          ],
        ),
      ],
    },
    {
      name: 'Deploy prod',
      agent: { type: 'label', label: 'prod-deployer' },
      when: { beforeInput: true, branch: 'main' },
      options: { timeout: { time: 30, unit: 'MINUTES' } },
      input: {
        message: 'Deploy ledger-service to production?',
        ok: 'Deploy',
        submitter: 'ledger-release-managers',
        submitterParameter: 'APPROVER',
      },
      steps: [
        jenkins.echo(groovy('"Approved by ${APPROVER}"')),
        jenkins.withAWS(
          [sh('./ci/ecs-deploy.sh --cluster prod-apps --service ledger-service --image "$IMAGE:$IMAGE_TAG"')],
          { region: 'eu-west-1', role: 'arn:aws:iam::333333333333:role/ecs-deployer-prod' },
        ),
      ],
    },
  ],
  post: {
    failure: [
      jenkins.slackSend({
        channel: '#ledger',
        color: 'danger',
        message: groovy('"ledger-service #${env.BUILD_NUMBER} failed: ${env.BUILD_URL}"'),
      }),
    ],
    success: [
      jenkins.slackSend({
        channel: '#ledger',
        color: 'good',
        message: groovy('"ledger-service SUCCESS: ${env.BUILD_URL}"'),
      }),
    ],
    cleanup: [jenkins.cleanWs()],
  },
});
