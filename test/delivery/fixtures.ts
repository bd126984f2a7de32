/**
 * Delivery-step and preset fixtures for the golden, shellcheck and credential tests. Every
 * fixture is a whole pipeline (steps wrapped in a minimal one), so it goes through the same
 * schema → lower → print path as a real pipeline file.
 */
import {
  approvalStage,
  cosignSign,
  dockerBuild,
  ecrPush,
  ecsDeploy,
  eksDeploy,
  email,
  evidenceExport,
  featureFlagDeploy,
  gitopsBump,
  nodeService,
  notify,
  npmCi,
  npmRun,
  qualityGateStage,
  reactApp,
  s3Publish,
  sbom,
  slack,
  sns,
  snykScan,
  sonarScan,
  teams,
  trafficShift,
  trivyScan,
  type DeliveryEnvironment,
  type Pipeline,
  type Stage,
  type Step,
} from '../../src/dsl/index.ts';

const buildAgent = { type: 'label' as const, label: 'linux && docker && ephemeral' };
const prodRole = { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' };
const pushRole = { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' };
const KMS_KEY = 'awskms:///alias/ci-cosign';
const auditRole = { role: 'evidence-writer', account: '444444444444', region: 'eu-west-1' };

/** A one-stage pipeline around `steps`. */
function around(steps: Step[], stage: Partial<Stage> = {}): Pipeline {
  return { agent: 'none', stages: [{ name: 'Step', agent: buildAgent, steps, ...stage }] };
}

/** One pipeline per step and option variant: `test/golden/delivery/step-<name>.Jenkinsfile`. */
export const STEP_FIXTURES: Record<string, Pipeline> = {
  'npm-ci': around([npmCi()]),
  'npm-ci-private-registry': around([
    npmCi({ cacheDir: '/var/cache/npm', ignoreScripts: true, npmrcCredentialId: 'npmrc-artifactory', directory: 'web' }),
  ]),
  'npm-run-test': around([npmRun('test', { args: ['--ci', '--reporters=jest-junit'], junit: 'reports/junit/*.xml', archive: 'coverage/**' })]),
  'npm-run-lint-in-directory': around([npmRun('lint', { directory: 'web' })]),
  'trivy-fs': around([trivyScan('fs', { version: '0.58.1' })]),
  'trivy-image-governed': around([
    trivyScan('image', {
      version: '0.58.1',
      image: 'pushed',
      scanners: ['vuln'],
      severity: ['CRITICAL'],
      ignoreUnfixed: { rationale: 'base image vendor ships no fixes for these; tracked in SEC-812' },
      ignoreFile: '.trivyignore',
      cacheDir: '/srv/trivy-cache',
      timeoutMinutes: 20,
      reportName: 'trivy-image-pushed',
    }),
  ]),
  'snyk-test': around([snykScan('test')]),
  'snyk-container': around([
    snykScan('container', {
      org: 'fintech-payments',
      severityThreshold: 'critical',
      failOn: 'upgradable',
      tokenCredentialId: 'snyk-api-token',
      dockerfile: 'docker/Dockerfile',
      monitor: true,
      version: '1.1293.1',
    }),
  ]),
  'sonar-scan': around([
    sonarScan({ installation: 'sonarqube-prod', projectKey: 'payments-api', tests: 'test', lcovReport: 'coverage/lcov.info' }),
  ]),
  'sonar-quality-gate': { agent: 'none', stages: [qualityGateStage({ timeoutMinutes: 10 })] },
  'docker-build': around([dockerBuild({ repository: 'payments-api' })]),
  'docker-build-full': around([
    dockerBuild({
      repository: 'payments/api',
      dockerfile: 'docker/Dockerfile',
      context: 'app',
      buildArgs: { APP_VERSION: '1.4.2', NODE_ENV: 'production' },
      secrets: [{ id: 'npmrc', credentialId: 'npmrc-artifactory' }],
      target: 'runtime',
      platform: 'linux/arm64',
      version: '1.4.2',
      labels: { 'com.example.team': 'payments' },
    }),
  ]),
  'ecr-push': around([
    ecrPush({ repository: 'payments-api', registry: { accountId: '999999999999', region: 'eu-west-1' }, aws: pushRole }),
  ]),
  'sbom-syft': around([sbom({ formats: ['cyclonedx', 'spdx-json'] })]),
  'sbom-trivy-built': around([sbom({ tool: 'trivy', image: 'built' })]),
  'cosign-sign': around([cosignSign({ key: KMS_KEY, aws: pushRole, attest: ['cyclonedx', 'spdx-json'] })]),
  'cosign-sign-private': around([
    cosignSign({
      key: 'awskms:///arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      aws: { ...pushRole, durationSeconds: 1800 },
      signatureRepository: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/signatures',
      skipTlogUpload: { rationale: 'private images: digests must not reach the public Rekor log (RISK-77)' },
    }),
  ]),
  'ecs-deploy-aws-cli': around([
    ecsDeploy({
      environment: 'prod',
      aws: prodRole,
      cluster: 'prod-apps',
      service: 'payments-api',
      container: 'app',
      taskDefinition: 'deploy/taskdef.prod.json',
      timeoutMinutes: 25,
      smokeTest: './scripts/smoke.sh --env prod',
      verifySignature: { key: KMS_KEY },
    }),
  ]),
  'ecs-deploy-pipewright': around([
    ecsDeploy({
      environment: 'dev',
      aws: { role: 'ecs-deployer-dev', account: '111111111111', region: 'eu-west-1', roleSessionName: 'payments-api-dev' },
      cluster: 'dev-apps',
      service: 'payments-api',
      container: 'app',
      engine: 'pipewright',
    }),
  ]),
  'eks-deploy-helm': around([
    eksDeploy({
      environment: 'stage',
      aws: { role: 'eks-deployer-stage', account: '222222222222', region: 'eu-west-1' },
      cluster: 'stage-eks',
      namespace: 'payments',
      method: { kind: 'helm', release: 'payments-api', chart: 'charts/payments-api', valuesFile: 'charts/values-stage.yaml' },
      verifySignature: { key: KMS_KEY },
    }),
  ]),
  'eks-deploy-kubectl': around([
    eksDeploy({
      environment: 'dev',
      aws: { role: 'eks-deployer-dev', account: '111111111111', region: 'eu-west-1' },
      cluster: 'dev-eks',
      namespace: 'payments',
      method: { kind: 'kubectl', deployment: 'payments-api', container: 'app' },
      timeoutMinutes: 5,
    }),
  ]),
  'gitops-bump-https-kustomize': around([
    gitopsBump({
      environment: 'prod',
      repository: 'https://github.example.com/platform/deployments.git',
      file: 'apps/payments-api/prod/kustomization.yaml',
      editor: { kind: 'kustomize', imageName: 'payments-api' },
      auth: { kind: 'https', credentialId: 'gitops-bot-token' },
      verifySignature: { key: KMS_KEY },
      aws: { role: 'gitops-readonly-prod', account: '333333333333', region: 'eu-west-1' },
    }),
  ]),
  'gitops-bump-ssh-yq': around([
    gitopsBump({
      environment: 'stage',
      repository: 'git@github.example.com:platform/deployments.git',
      branch: 'stage',
      file: 'apps/payments-api/values.yaml',
      editor: { kind: 'yq', yamlPath: '.image.ref' },
      auth: { kind: 'ssh', credentialId: 'gitops-deploy-key' },
      authorName: 'Payments CI',
      authorEmail: 'payments-ci@example.com',
    }),
  ]),
  'traffic-shift-alb': around([
    trafficShift({
      environment: 'prod',
      aws: { role: 'traffic-shifter-prod', account: '333333333333', region: 'eu-west-1' },
      change: {
        kind: 'alb',
        listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:listener/app/payments/50dc6c495c0c9188/f2f7dc8efc522ab2',
        weights: [
          { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/payments-blue/73e2d6bc24d8a067', weight: 90 },
          { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/payments-green/09ab23cd45ef6789', weight: 10 },
        ],
      },
    }),
  ]),
  'traffic-shift-route53': around([
    trafficShift({
      environment: 'prod',
      aws: { role: 'dns-shifter-prod', account: '333333333333', region: 'eu-west-1' },
      change: {
        kind: 'route53',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        recordName: 'api.payments.example.com',
        recordType: 'A',
        weights: [
          { setIdentifier: 'eu-west-1-blue', weight: 0 },
          { setIdentifier: 'eu-west-1-green', weight: 100 },
        ],
      },
    }),
  ]),
  's3-publish': around([
    s3Publish({
      environment: 'stage',
      aws: { role: 'web-publisher-stage', account: '222222222222', region: 'eu-west-1' },
      bucket: 'fintech-web-stage',
      prefix: 'app',
      stash: 'site',
      cloudFrontDistributionId: 'E2QWRUHAPOMQZL',
    }),
  ]),
  'evidence-export': around([{ step: 'unstash', name: 'image-ref' }], {
    post: {
      cleanup: [
        evidenceExport({
          bucket: 'fintech-audit-evidence',
          prefix: '/deploys/',
          aws: auditRole,
          environment: 'prod',
          stashes: ['reports-build', 'reports-image'],
          retainDays: 2555,
        }),
      ],
    },
  }),
  'evidence-export-defaults': around([evidenceExport({ bucket: 'fintech-audit-evidence', aws: auditRole })]),
  'approval-stage': {
    agent: 'none',
    stages: [
      approvalStage({
        environment: 'prod',
        service: 'payments-api',
        policy: { submitters: ['payments-release-managers', 'sre-oncall'], timeoutMinutes: 240, changeIdPattern: '^CHG-[0-9]+$' },
      }),
    ],
  },
  'feature-flag-appconfig': around([
    featureFlagDeploy({
      environment: 'prod',
      aws: { role: 'flags-deployer-prod', account: '333333333333', region: 'eu-west-1' },
      flags: {
        provider: 'appconfig',
        application: 'a1b2c3d',
        environment: 'e4f5g6h',
        configurationProfile: 'p7q8r9s',
        version: '7',
        strategy: 'AppConfig.Canary10Percent20Minutes',
      },
      timeoutMinutes: 40,
    }),
  ]),
  'notify-sns-email': {
    agent: 'none',
    stages: [{ name: 'Announce', agent: 'none', steps: [notify('approval', [email('payments-release@example.com')], { environment: 'prod', service: 'payments-api' })] }],
    post: {
      failure: [
        notify('failure', [sns('arn:aws:sns:eu-west-1:999999999999:delivery-alerts', 'alerts-publisher'), email('payments-oncall@example.com', 'sre@example.com')], {
          service: 'payments-api',
        }),
      ],
    },
  },
  'notify-slack-teams': {
    agent: 'none',
    stages: [{ name: 'Announce', agent: 'none', steps: [notify('approval', [slack('#payments-deploys', 'slack-bot-token')], { environment: 'prod' })] }],
    post: {
      failure: [notify('failure', [slack('#payments-deploys', 'slack-bot-token', 'fintech'), teams('teams-deploy-webhook')], { service: 'payments-api' })],
      fixed: [notify('fixed', [teams('teams-deploy-webhook')])],
    },
  },
};

/** The three standard ECS environments. */
export const ECS_ENVIRONMENTS: DeliveryEnvironment[] = [
  {
    name: 'dev',
    awsAccountId: '111111111111',
    region: 'eu-west-1',
    deployRole: 'ecs-deployer-dev',
    agentLabel: 'deploy-dev',
    target: { kind: 'ecs', cluster: 'dev-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.dev.json' },
  },
  {
    name: 'stage',
    awsAccountId: '222222222222',
    region: 'eu-west-1',
    deployRole: 'ecs-deployer-stage',
    agentLabel: 'deploy-stage',
    target: { kind: 'ecs', cluster: 'stage-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.stage.json' },
  },
  {
    name: 'prod',
    awsAccountId: '333333333333',
    region: 'eu-west-1',
    deployRole: 'ecs-deployer-prod',
    agentLabel: 'prod-deployer',
    target: { kind: 'ecs', cluster: 'prod-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.prod.json' },
    approval: { submitters: ['payments-release-managers'] },
    releaseFrom: { branches: ['main'], tags: 'v*' },
  },
];

const registry = { accountId: '999999999999', region: 'eu-west-1', pushRole: 'ecr-pusher' };
/** The organisation's audit archive (an Object Lock bucket in the audit account). */
export const EVIDENCE_EXPORT = { bucket: 'fintech-audit-evidence', prefix: 'deploys', aws: auditRole };
const notifications = {
  slack: { channel: '#payments-deploys', tokenCredentialId: 'slack-bot-token' },
  teams: { webhookCredentialId: 'teams-deploy-webhook' },
};

/** One pipeline per preset variant: `test/golden/delivery/preset-<name>.Jenkinsfile`. */
export const PRESET_FIXTURES: Record<string, () => Pipeline> = {
  'node-service-ecs': () =>
    nodeService({
      name: 'payments-api',
      registry,
      environments: ECS_ENVIRONMENTS,
      sonar: { installation: 'sonarqube-prod' },
      signing: { key: KMS_KEY, role: 'cosign-signer' },
      notifications,
      smokeTest: './scripts/smoke.sh',
      evidenceExport: EVIDENCE_EXPORT,
    }),
  'node-service-eks-gitops': () =>
    nodeService({
      name: 'ledger-service',
      registry,
      sonar: { installation: 'sonarqube-prod', projectKey: 'fintech:ledger' },
      signing: { key: KMS_KEY },
      environments: [
        {
          name: 'dev',
          awsAccountId: '111111111111',
          region: 'eu-west-1',
          deployRole: 'eks-deployer-dev',
          agentLabel: 'deploy-dev',
          target: { kind: 'eks', cluster: 'dev-eks', namespace: 'ledger', method: { kind: 'kubectl', deployment: 'ledger', container: 'app' } },
        },
        {
          name: 'stage',
          awsAccountId: '222222222222',
          region: 'eu-west-1',
          deployRole: 'eks-deployer-stage',
          agentLabel: 'deploy-stage',
          target: { kind: 'eks', cluster: 'stage-eks', namespace: 'ledger', method: { kind: 'helm', release: 'ledger', chart: 'charts/ledger' } },
        },
        {
          name: 'prod',
          awsAccountId: '333333333333',
          region: 'eu-west-1',
          deployRole: 'gitops-readonly-prod',
          agentLabel: 'prod-deployer',
          target: {
            kind: 'gitops',
            repository: 'https://github.example.com/platform/deployments.git',
            file: 'apps/ledger/prod/kustomization.yaml',
            editor: { kind: 'kustomize', imageName: 'ledger' },
            auth: { kind: 'https', credentialId: 'gitops-bot-token' },
          },
          approval: { submitters: ['ledger-release-managers'], timeoutMinutes: 720 },
        },
      ],
      notifications: { teams: notifications.teams },
    }),
  'node-service-overrides': () =>
    nodeService({
      name: 'notifications-worker',
      registry,
      environments: ECS_ENVIRONMENTS.slice(0, 1),
      signing: { key: KMS_KEY },
      buildAgent: 'linux && docker',
      nodeTool: false,
      toolVersions: { trivy: '0.57.1', snyk: '1.1293.1' },
      snykOrg: 'fintech',
      overrides: {
        sonar: false,
        lint: false,
        snykContainer: false,
        trivyFs: { severity: ['CRITICAL'] },
        ecsDeploy: { engine: 'pipewright', timeoutMinutes: 15 },
        notifications: false,
        stages: (stages) => stages.filter((stage) => stage.name !== 'Deploy dev').concat(stages.filter((s) => s.name === 'Deploy dev')),
      },
    }),
  'react-app-s3': () =>
    reactApp({
      name: 'web',
      sonar: { installation: 'sonarqube-prod' },
      notifications: { slack: notifications.slack },
      evidenceExport: EVIDENCE_EXPORT,
      environments: [
        {
          name: 'dev',
          awsAccountId: '111111111111',
          region: 'eu-west-1',
          deployRole: 'web-publisher-dev',
          agentLabel: 'deploy-dev',
          target: { kind: 's3', bucket: 'fintech-web-dev', cloudFrontDistributionId: 'E1DEVDISTRIB01' },
        },
        {
          name: 'prod',
          awsAccountId: '333333333333',
          region: 'eu-west-1',
          deployRole: 'web-publisher-prod',
          agentLabel: 'prod-deployer',
          target: { kind: 's3', bucket: 'fintech-web-prod', cloudFrontDistributionId: 'E2PRODDISTRIB2' },
          approval: { submitters: ['web-release-managers'] },
        },
      ],
    }),
  'react-app-ecs': () =>
    reactApp({
      name: 'web-portal',
      outputDir: 'build',
      registry,
      signing: { key: KMS_KEY },
      sonar: { installation: 'sonarqube-prod' },
      environments: [ECS_ENVIRONMENTS[0] as DeliveryEnvironment],
      overrides: { typecheck: false },
    }),
};
