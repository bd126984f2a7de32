/**
 * Defaults, file conventions and kind lists of the delivery steps. Dependency-free (no zod), so
 * the DSL, the presets, the lowering and the policy engine all read the same values.
 */
import type { DeliveryStep, DeliveryStepKind } from './delivery.ts';

/** Files the image and deploy steps hand over through the workspace (and stashes). */
export const DELIVERY_FILES = {
  /** Image ID written by `docker build --iidfile`; `ecrPush` checks the pushed image against it. */
  imageId: 'image-id.txt',
  /** Local tag `repository:<commit sha>` of the built image. */
  imageLocal: 'image-local.txt',
  /** Pushed reference `registry/repository@sha256:…`, the only thing deploys consume (ART-002). */
  imageRef: 'image-ref.txt',
  /** Directory of scanner reports (JSON, SARIF, SBOM). */
  reportsDir: 'reports',
  /** Directory of deploy evidence. */
  evidenceDir: 'evidence',
} as const;

/** Default values the lowering applies when a field is absent. */
export const DELIVERY_DEFAULTS = {
  npmCacheDir: '$HOME/.npm',
  trivy: {
    severity: ['HIGH', 'CRITICAL'],
    exitCode: 1,
    cacheDir: '/var/cache/trivy',
    timeoutMinutes: 15,
    fsScanners: ['vuln', 'secret', 'misconfig'],
    imageScanners: ['vuln', 'secret'],
    image: 'built',
  },
  snyk: {
    severityThreshold: 'high',
    tokenCredentialId: 'snyk-token',
    allProjects: true,
    dockerfile: 'Dockerfile',
    image: 'built',
  },
  sonar: { sources: 'src', qualityGateTimeoutMinutes: 15 },
  docker: { dockerfile: 'Dockerfile', context: '.', pull: true },
  imageStash: 'image-ref',
  sbom: { tool: 'syft', formats: ['cyclonedx'], image: 'pushed' },
  awsSessionSeconds: 900,
  ecs: { engine: 'aws-cli', timeoutMinutes: 20 },
  eks: { timeoutMinutes: 10, imageKeys: { repository: 'image.repository', digest: 'image.digest' } },
  gitops: { branch: 'main', authorName: 'pipewright', authorEmail: 'pipewright@jenkins.invalid' },
  s3: { source: 'dist' },
  evidenceExport: { paths: ['evidence', 'reports'], retainDays: 400 },
  approval: {
    timeoutMinutes: 1440,
    changeIdPattern: '^[A-Z][A-Z0-9]+-[0-9]+$',
    forbidSelfApproval: true,
    approverVariable: 'APPROVER',
    changeIdParameter: 'CHANGE_ID',
  },
  releaseFrom: { branches: ['main'] },
  /** `featureFlagDeploy`: minutes to wait for COMPLETE, and the Jenkins `timeout` beyond it (stop + evidence). */
  featureFlags: { timeoutMinutes: 30, timeoutMarginMinutes: 5 },
} as const;

/** Every delivery step kind. */
export const DELIVERY_STEP_KINDS = [
  'npmCi',
  'npmRun',
  'trivyScan',
  'snykScan',
  'sonarScan',
  'sonarQualityGate',
  'dockerBuild',
  'ecrPush',
  'sbom',
  'cosignSign',
  'ecsDeploy',
  'eksDeploy',
  'gitopsBump',
  'trafficShift',
  's3Publish',
  'evidenceExport',
  'approvalCheck',
  'notify',
  'featureFlagDeploy',
] as const satisfies readonly DeliveryStepKind[];

const kindSet: ReadonlySet<string> = new Set(DELIVERY_STEP_KINDS);

/** True when a step (of any kind) is a delivery step. */
export function isDeliveryStep(step: { step: string }): step is DeliveryStep {
  return kindSet.has(step.step);
}

/**
 * The control a step implements, in the policy catalog's vocabulary (`kind` in §1): what the
 * policy engine looks for when it checks ordering and coverage (SCAN-001, FLOW-006, ...).
 */
export type ControlKind =
  | 'build'
  | 'test'
  | 'sast'
  | 'sastGate'
  | 'sca'
  | 'fsScan'
  | 'secretScan'
  | 'imageScan'
  | 'dockerBuild'
  | 'ecrPush'
  | 'sbom'
  | 'sign'
  | 'deploy'
  | 'dns'
  | 'approval'
  | 'evidenceExport'
  | 'notify'
  /** A production change by configuration: a feature-flag deployment. */
  | 'flags';

/** The controls a delivery step provides. */
export function controlKindsOf(step: DeliveryStep): ControlKind[] {
  switch (step.step) {
    case 'npmCi':
      return ['build'];
    case 'npmRun':
      return step.script === 'test' || step.script.startsWith('test:') ? ['test'] : ['build'];
    case 'trivyScan': {
      if (step.target === 'image') return ['imageScan'];
      const scanners = step.scanners ?? DELIVERY_DEFAULTS.trivy.fsScanners;
      const kinds: ControlKind[] = ['fsScan'];
      if (scanners.includes('vuln')) kinds.push('sca');
      if (scanners.includes('secret')) kinds.push('secretScan');
      return kinds;
    }
    case 'snykScan':
      return step.mode === 'container' ? ['imageScan'] : ['sca'];
    case 'sonarScan':
      return ['sast'];
    case 'sonarQualityGate':
      return ['sastGate'];
    case 'dockerBuild':
      return ['dockerBuild'];
    case 'ecrPush':
      return ['ecrPush'];
    case 'sbom':
      return ['sbom'];
    case 'cosignSign':
      return ['sign'];
    case 'ecsDeploy':
    case 'eksDeploy':
    case 'gitopsBump':
    case 's3Publish':
      return ['deploy'];
    case 'trafficShift':
      return ['dns'];
    case 'evidenceExport':
      return ['evidenceExport'];
    case 'approvalCheck':
      return ['approval'];
    case 'notify':
      return ['notify'];
    case 'featureFlagDeploy':
      return ['flags'];
  }
}

/**
 * Minutes of the Jenkins `timeout` a deploy step's lowering puts around its script, beyond the
 * rollout deadline (and the bake). ECS: the rollback, which both engines follow until this margin
 * is used up (less {@link ECS_ROLLBACK_RESERVE_SECONDS}), plus verification and the smoke test, so
 * Jenkins does not kill the script mid-rollback. EKS: helm's or kubectl's own rollback.
 */
export const DEPLOY_TIMEOUT_MARGIN_MINUTES = { ecs: 20, eks: 10 } as const;

/**
 * Seconds before the Jenkins timeout at which an ECS deploy stops following its rollback, so the
 * script still writes its evidence and exits before Jenkins kills it (the post `unsuccessful`
 * safety net then finds the rollback under way and follows it for the rest of the stage).
 */
export const ECS_ROLLBACK_RESERVE_SECONDS = 60;

/**
 * The Jenkins `timeout` (minutes) the lowering puts around a deploy step's script, or `undefined`
 * for steps that have none (GitOps bumps, S3 publishing, traffic shifts).
 */
export function deployScriptTimeoutMinutes(step: DeliveryStep): number | undefined {
  switch (step.step) {
    case 'ecsDeploy':
      // The bake runs after the rollout, inside the same timeout.
      return (step.timeoutMinutes ?? DELIVERY_DEFAULTS.ecs.timeoutMinutes) + (step.bake?.minutes ?? 0) + DEPLOY_TIMEOUT_MARGIN_MINUTES.ecs;
    case 'eksDeploy':
      return (step.timeoutMinutes ?? DELIVERY_DEFAULTS.eks.timeoutMinutes) + DEPLOY_TIMEOUT_MARGIN_MINUTES.eks;
    case 'featureFlagDeploy':
      return (step.timeoutMinutes ?? DELIVERY_DEFAULTS.featureFlags.timeoutMinutes) + DELIVERY_DEFAULTS.featureFlags.timeoutMarginMinutes;
    default:
      return undefined;
  }
}

/** Lock resource serializing deploys of one service into one environment (DEPLOY-006). */
export function deployLockName(kind: 'ecs' | 'eks' | 'gitops' | 's3' | 'traffic', environment: string, target: string): string {
  return `${kind}-${environment}-${target}`;
}
