/**
 * Organisation-wide delivery defaults shared by every service pipeline: accounts, registry,
 * scanners, signing, notifications and the standard environments. A change here recompiles
 * every pipeline that imports it.
 */
import type { CostAllocation, DeliveryEnvironment, NotificationSettings, NodeServiceOptions } from 'pipewright';

/**
 * One AWS account per environment (IAM-002), plus the tooling account that owns ECR and KMS and
 * the audit account that holds the evidence archive.
 */
export const accounts = {
  tooling: { accountId: '999999999999', region: 'eu-west-1' },
  audit: { accountId: '444444444444', region: 'eu-west-1' },
  dev: { accountId: '111111111111', region: 'eu-west-1' },
  stage: { accountId: '222222222222', region: 'eu-west-1' },
  prod: { accountId: '333333333333', region: 'eu-west-1' },
} as const;

/** Ephemeral build agents with Docker; never the built-in node. */
export const buildAgentLabel = 'linux && docker && ephemeral';

/**
 * Settings every service shares: registry and push role, SonarQube, cosign key, pinned scanners,
 * and the evidence archive (AUDIT-002): every deploy stage exports its evidence and the scan
 * reports to an S3 bucket with Object Lock in the audit account, each object locked in COMPLIANCE
 * mode for 400 days (about 13 months; PCI DSS 10.5.1 asks for 12). `evidence-writer` may only put
 * objects (with retention) under `deploys/`: it can neither delete nor shorten a lock.
 */
export const org = {
  registry: { accountId: accounts.tooling.accountId, region: accounts.tooling.region, pushRole: 'ecr-pusher' },
  sonar: { installation: 'sonarqube-prod' },
  signing: { key: 'awskms:///alias/ci-cosign', role: 'cosign-signer' },
  evidenceExport: {
    bucket: 'fintech-audit-evidence',
    prefix: 'deploys',
    aws: { role: 'evidence-writer', account: accounts.audit.accountId, region: accounts.audit.region },
  },
  toolVersions: { trivy: '0.58.1', snyk: '1.1293.1' },
  snykOrg: 'fintech',
  buildAgent: buildAgentLabel,
} satisfies Partial<NodeServiceOptions>;

/** Slack (bot token) and, optionally, Teams (webhook URL in a secret-text credential). */
export function notifyTo(channel: string, teamsWebhookCredentialId?: string): NotificationSettings {
  return {
    slack: { channel, tokenCredentialId: 'slack-bot-token' },
    ...(teamsWebhookCredentialId !== undefined ? { teams: { webhookCredentialId: teamsWebhookCredentialId } } : {}),
  };
}

/** Cost centers of the teams that own services (AWS cost-allocation tag `cost-center`). */
export const costCenters = { payments: 'CC-1042', ledger: 'CC-2077', platform: 'CC-3001', web: 'CC-4010' } as const;

/**
 * Cost allocation of a team's service (COST-001): the presets tag every ECS task definition and
 * service with `service`, `team`, `environment` and `cost-center`.
 */
export function costAllocation(team: keyof typeof costCenters): CostAllocation {
  return { team, costCenter: costCenters[team] };
}

/**
 * The CloudWatch alarms every ECS service has in each environment (created with the service's
 * infrastructure): the ALB's 5xx rate and the p99 latency. Deploys set them on the service
 * (`deploymentConfiguration.alarms`, rollback on) and prod watches them in a 10-minute bake.
 */
export function serviceAlarms(service: string, env: 'dev' | 'stage' | 'prod'): string[] {
  return [`${service}-${env}-5xx`, `${service}-${env}-p99-latency`];
}

/** Who approves production, and how long an approval stays open. */
export interface ProdApproval {
  /** Jenkins groups allowed to approve prod. */
  approvers: string[];
  /** Minutes (default 24 h). */
  timeoutMinutes?: number;
}

/** Common fields of an environment in account `env`. */
function environment(name: 'dev' | 'stage' | 'prod', role: string, target: DeliveryEnvironment['target']): DeliveryEnvironment {
  return {
    name,
    awsAccountId: accounts[name].accountId,
    region: accounts[name].region,
    deployRole: role,
    // Prod deploys run on dedicated, isolated agents (IAM-004).
    agentLabel: name === 'prod' ? 'prod-deployer' : `deploy-${name}`,
    target,
  };
}

/**
 * dev → stage → prod on the shared ECS Fargate clusters. Task-definition templates live in the
 * service repository as `deploy/taskdef.<env>.json`; each environment's alarms come from
 * {@link serviceAlarms}. Prod needs an approval and deploys only from `main` or a `v*` release tag.
 */
export function ecsEnvironments(service: string, prod: ProdApproval, container = 'app'): DeliveryEnvironment[] {
  const ecs = (name: 'dev' | 'stage' | 'prod') =>
    environment(name, `ecs-deployer-${name}`, {
      kind: 'ecs',
      cluster: `${name}-apps`,
      service,
      container,
      taskDefinition: `deploy/taskdef.${name}.json`,
      alarms: serviceAlarms(service, name),
    });
  return [
    ecs('dev'),
    ecs('stage'),
    {
      ...ecs('prod'),
      approval: { submitters: prod.approvers, ...(prod.timeoutMinutes !== undefined ? { timeoutMinutes: prod.timeoutMinutes } : {}) },
      releaseFrom: { branches: ['main'], tags: 'v*' },
    },
  ];
}

/** EKS for dev and stage (the platform team's clusters), GitOps (ArgoCD) for prod. */
export function eksGitopsEnvironments(service: string, prod: ProdApproval): DeliveryEnvironment[] {
  return [
    environment('dev', 'eks-deployer-dev', {
      kind: 'eks',
      cluster: 'dev-eks',
      namespace: service,
      method: { kind: 'kubectl', deployment: service, container: 'app' },
    }),
    environment('stage', 'eks-deployer-stage', {
      kind: 'eks',
      cluster: 'stage-eks',
      namespace: service,
      method: { kind: 'helm', release: service, chart: `charts/${service}`, valuesFile: 'charts/values-stage.yaml' },
    }),
    {
      ...environment('prod', 'gitops-readonly-prod', {
        kind: 'gitops',
        repository: 'https://github.example.com/platform/deployments.git',
        file: `apps/${service}/prod/kustomization.yaml`,
        editor: { kind: 'kustomize', imageName: service },
        auth: { kind: 'https', credentialId: 'gitops-bot-token' },
      }),
      approval: { submitters: prod.approvers },
      releaseFrom: { branches: ['main'], tags: 'v*' },
    },
  ];
}

/** S3 + CloudFront sites for the front end, one bucket and distribution per account. */
export function siteEnvironments(site: string, distributions: Record<'dev' | 'stage' | 'prod', string>, prod: ProdApproval): DeliveryEnvironment[] {
  const s3 = (name: 'dev' | 'stage' | 'prod') =>
    environment(name, `web-publisher-${name}`, {
      kind: 's3',
      bucket: `fintech-${site}-${name}`,
      cloudFrontDistributionId: distributions[name],
    });
  return [s3('dev'), s3('stage'), { ...s3('prod'), approval: { submitters: prod.approvers }, releaseFrom: { branches: ['main'] } }];
}
