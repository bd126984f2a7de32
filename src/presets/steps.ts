/**
 * Authoring helpers for the typed delivery steps: plain functions returning plain data (no zod at
 * run time; the compiler validates against `src/model/delivery.ts`). Options and defaults are
 * documented on the step types and in docs/steps.md.
 */
import type {
  ApprovalCheckStep,
  CosignSignStep,
  DockerBuildStep,
  EcrPushStep,
  EcsDeployStep,
  EksDeployStep,
  EvidenceExportStep,
  FeatureFlagDeployStep,
  GitopsBumpStep,
  NotifyEvent,
  NotifyStep,
  NotifyTarget,
  NpmCiStep,
  NpmRunStep,
  S3PublishStep,
  SbomStep,
  SnykScanStep,
  SonarQualityGateStep,
  SonarScanStep,
  TrafficShiftStep,
  TrivyScanStep,
} from '../model/delivery.ts';

type Options<T> = Omit<T, 'step'>;

/** `npm ci` with a cache (`--prefer-offline --no-audit --no-fund`). */
export function npmCi(options: Options<NpmCiStep> = {}): NpmCiStep {
  return { step: 'npmCi', ...options };
}

/**
 * `npm run <script>`; `junit` publishes JUnit XML in the stage's `post { always }`.
 *
 * @example npmRun('test', { args: ['--ci'], junit: 'reports/junit/*.xml' })
 */
export function npmRun(script: string, options: Omit<Options<NpmRunStep>, 'script'> = {}): NpmRunStep {
  return { step: 'npmRun', script, ...options };
}

/**
 * Trivy scan of the repository (`fs`) or the image, with a failing gate and JSON + SARIF reports.
 *
 * @example trivyScan('fs', { version: '0.58.1' })
 */
export function trivyScan(target: TrivyScanStep['target'], options: Omit<Options<TrivyScanStep>, 'target'>): TrivyScanStep {
  return { step: 'trivyScan', target, ...options };
}

/**
 * Snyk `test` (dependencies) or `container test` (image); exit codes 1/2/3 all fail the build.
 *
 * @example snykScan('test', { org: 'fintech' })
 */
export function snykScan(mode: SnykScanStep['mode'], options: Omit<Options<SnykScanStep>, 'mode'> = {}): SnykScanStep {
  return { step: 'snykScan', mode, ...options };
}

/** SonarQube analysis inside `withSonarQubeEnv(installation)`. */
export function sonarScan(options: Options<SonarScanStep>): SonarScanStep {
  return { step: 'sonarScan', ...options };
}

/** `timeout { waitForQualityGate abortPipeline: true }`; put it in an `agent none` stage (see `qualityGateStage`). */
export function sonarQualityGate(options: Options<SonarQualityGateStep> = {}): SonarQualityGateStep {
  return { step: 'sonarQualityGate', ...options };
}

/** BuildKit image build tagged with the commit SHA only (no `latest`, no mutable tags). */
export function dockerBuild(options: Options<DockerBuildStep>): DockerBuildStep {
  return { step: 'dockerBuild', ...options };
}

/** Push the built image to ECR and capture its digest into `image-ref.txt` (stashed). */
export function ecrPush(options: Options<EcrPushStep>): EcrPushStep {
  return { step: 'ecrPush', ...options };
}

/** SBOM of the pushed image (CycloneDX by default). */
export function sbom(options: Options<SbomStep> = {}): SbomStep {
  return { step: 'sbom', ...options };
}

/** cosign signature (and SBOM attestations) of the pushed digest with a KMS key. */
export function cosignSign(options: Options<CosignSignStep>): CosignSignStep {
  return { step: 'cosignSign', ...options };
}

/** ECS Fargate deploy by digest with verification, rollback and evidence. */
export function ecsDeploy(options: Options<EcsDeployStep>): EcsDeployStep {
  return { step: 'ecsDeploy', ...options };
}

/** EKS deploy by digest (helm `--atomic --wait` or `kubectl set image` + `rollout status`). */
export function eksDeploy(options: Options<EksDeployStep>): EksDeployStep {
  return { step: 'eksDeploy', ...options };
}

/** Bump the digest in a GitOps manifests repository (commit + push). */
export function gitopsBump(options: Options<GitopsBumpStep>): GitopsBumpStep {
  return { step: 'gitopsBump', ...options };
}

/** Weighted traffic shift on an ALB listener or Route 53 records; put it behind an approval. */
export function trafficShift(options: Options<TrafficShiftStep>): TrafficShiftStep {
  return { step: 'trafficShift', ...options };
}

/** Publish a built front end to S3 (and invalidate CloudFront). */
export function s3Publish(options: Options<S3PublishStep>): S3PublishStep {
  return { step: 's3Publish', ...options };
}

/**
 * Export this run's evidence (and scan reports) to an S3 bucket with Object Lock, outside Jenkins'
 * build retention (AUDIT-002). Put it in a deploy stage's `post: { cleanup: [...] }`.
 *
 * @example evidenceExport({ bucket: 'fintech-audit-evidence', aws: { role: 'evidence-writer', account: '444444444444', region: 'eu-west-1' }, environment: 'prod' })
 */
export function evidenceExport(options: Options<EvidenceExportStep>): EvidenceExportStep {
  return { step: 'evidenceExport', ...options };
}

/** Separation-of-duties and change-ticket check after an approval (`approvalStage` adds it). */
export function approvalCheck(environment: string, options: Omit<Options<ApprovalCheckStep>, 'environment'> = {}): ApprovalCheckStep {
  return { step: 'approvalCheck', environment, ...options };
}

/**
 * Sends a message about `event` to Slack, Teams, SNS and/or e-mail targets.
 *
 * @example notify('deployed', [slack('#deploys', 'slack-bot')], { environment: 'prod' })
 */
export function notify(
  event: NotifyEvent,
  targets: NotifyTarget[],
  options: Omit<Options<NotifyStep>, 'event' | 'targets'> = {},
): NotifyStep {
  return { step: 'notify', event, targets, ...options };
}

/** A Slack notification target (`slackSend` with a bot-token credential). */
export function slack(channel: string, tokenCredentialId: string, teamDomain?: string): NotifyTarget {
  return teamDomain === undefined
    ? { kind: 'slack', channel, tokenCredentialId }
    : { kind: 'slack', channel, tokenCredentialId, teamDomain };
}

/** A Microsoft Teams notification target (Workflows webhook URL in a secret-text credential). */
export function teams(webhookCredentialId: string): NotifyTarget {
  return { kind: 'teams', webhookCredentialId };
}

/**
 * An SNS notification target: `snsPublish` to the topic under `role`, assumed in the topic's
 * account and region (read from the ARN). Use one topic per environment, in its account.
 *
 * @example notify('failure', [sns('arn:aws:sns:eu-west-1:333333333333:payments-alerts', 'alerts-publisher-prod')])
 */
export function sns(topicArn: string, role: string): NotifyTarget {
  return { kind: 'sns', topicArn, role };
}

/**
 * An e-mail notification target (`emailext`, Email Extension plugin); prefer distribution lists.
 *
 * @example notify('failure', [email('payments-oncall@example.com')])
 */
export function email(...to: string[]): NotifyTarget {
  return { kind: 'email', to };
}

/**
 * Deploy a feature-flag configuration version (AWS AppConfig) with a deployment strategy; waits for
 * COMPLETE, stops it on timeout or abort, fails when AppConfig rolls it back, writes evidence. A
 * production flag change is a production change: same approval and branch rules as a deploy.
 *
 * @example featureFlagDeploy({ environment: 'prod', aws: prodAws, flags: { provider: 'appconfig', application: 'a1b2c3d', environment: 'e4f5g6h', configurationProfile: 'p7q8r9s', version: '7', strategy: 'AppConfig.Canary10Percent20Minutes' } })
 */
export function featureFlagDeploy(options: Options<FeatureFlagDeployStep>): FeatureFlagDeployStep {
  return { step: 'featureFlagDeploy', ...options };
}
