/**
 * `nodeService`: the company's Node.js service workflow on ECS Fargate (or EKS/GitOps targets)
 * from a few fields, with secure defaults and explicit, visible overrides.
 *
 *     Build & test   (build agent)  Install → Lint + Unit tests → Trivy fs + Snyk + SonarQube
 *     Quality gate   (agent none)   waitForQualityGate abortPipeline: true
 *     Image          (build agent)  Build → Trivy image + Snyk container → Push to ECR → SBOM → Sign
 *     Deploy <env>   (env agent)    for each environment in order, the same digest; before an
 *                                   environment with an approval policy: Request approval, Approve;
 *                                   with `evidenceExport`, evidence and scan reports go to the
 *                                   Object Lock bucket in the stage's post cleanup
 *     post           failure / fixed notifications
 *
 * Every top-level stage has a stage timeout (BASE-001); the pipeline has none, as it would count
 * approval waits.
 */
import { DELIVERY_DEFAULTS, deployScriptTimeoutMinutes, isDeliveryStep } from '../model/delivery-defaults.ts';
import type {
  AwsRole,
  Bake,
  CosignSignStep,
  DeliveryEnvironment,
  DockerBuildStep,
  EcsDeployStep,
  EvidenceExportStep,
  FeatureFlagDeployStep,
  NotifyTarget,
  NpmCiStep,
  NpmRunStep,
  SbomStep,
  SnykScanStep,
  SonarScanStep,
  TrivyScanStep,
} from '../model/delivery.ts';
import type { Pipeline, PipelineOptions, Post, Stage, Step } from '../model/schema.ts';
import { approvalRequestStage, approvalStage, deployStage, deployStepFor, qualityGateStage, releaseWhen, STAGE_TIMEOUT_MINUTES } from './stages.ts';
import {
  cosignSign,
  dockerBuild,
  ecrPush,
  email,
  evidenceExport,
  featureFlagDeploy,
  notify,
  npmCi,
  npmRun,
  sbom,
  slack,
  sns,
  snykScan,
  sonarScan,
  teams,
  trivyScan,
} from './steps.ts';

/** Tool versions the presets pin when the pipeline does not (SCAN-008). */
export const PRESET_TOOL_VERSIONS = { trivy: '0.58.1' } as const;

/** Default build agent: ephemeral, with Docker; never the built-in node. */
export const DEFAULT_BUILD_AGENT = 'linux && docker && ephemeral';

/** Where the deploy stages export their evidence and the scan reports (AUDIT-002). */
export interface EvidenceExportSettings {
  /** S3 bucket created with Object Lock enabled. */
  bucket: string;
  /** Key prefix (default none). */
  prefix?: string;
  /** Role allowed to write to the bucket, usually in a separate audit account. */
  aws: AwsRole;
  /** Days each object stays locked (default 400, about 13 months). */
  retainDays?: number;
}

/** Stashes carrying the build stages' `reports/` to the deploy stages' evidence export. */
export const REPORT_STASHES = { build: 'reports-build', image: 'reports-image' } as const;

/** `stash` of the stage's `reports/` (empty allowed), for the evidence export. */
function stashReports(name: string): Step {
  return { step: 'stash', name, includes: 'reports/**', allowEmpty: true };
}

/** The evidence export of one environment's deploy stage, restoring the report stashes first. */
export function evidenceExportFor(settings: EvidenceExportSettings, environment: string, stashes: readonly string[]): EvidenceExportStep {
  return evidenceExport({
    bucket: settings.bucket,
    ...(settings.prefix !== undefined ? { prefix: settings.prefix } : {}),
    aws: settings.aws,
    environment,
    ...(stashes.length > 0 ? { stashes: [...stashes] } : {}),
    ...(settings.retainDays !== undefined ? { retainDays: settings.retainDays } : {}),
  });
}

/** A step override: `false` removes the step, an object changes its options. */
export type StepOverride<T> = false | Partial<Omit<T, 'step'>>;

/** Where notifications go. */
export interface NotificationSettings {
  /** Slack channel and bot-token credential. */
  slack?: { channel: string; tokenCredentialId: string; teamDomain?: string };
  /** Teams Workflows webhook URL in a secret-text credential. */
  teams?: { webhookCredentialId: string };
  /**
   * SNS: the run's failures and fixes go to `topicArn` (published with `role`, assumed in the
   * topic's account); an environment listed in `environments` gets its approval, deployed and
   * rolled-back messages on its own topic, in its own account, instead.
   */
  sns?: { topicArn: string; role: string; environments?: Record<string, { topicArn: string; role: string }> };
  /** E-mail recipients (`emailext`), ideally distribution lists. */
  email?: { to: string[] };
}

/**
 * Feature flags in AWS AppConfig, deployed in the deploy stage of each listed environment right
 * after the service (same approval, branch rules, agent and role; a flag change is a production
 * change). Ship the code dark, then turn the feature on by deploying a new flag version.
 */
export interface FeatureFlagSettings {
  provider: 'appconfig';
  /** AppConfig application id. */
  application: string;
  /** Configuration profile id of the flags. */
  configurationProfile: string;
  /** Deployment strategy id, e.g. `AppConfig.Linear50PercentEvery30Seconds` or `AppConfig.Canary10Percent20Minutes`. */
  strategy: string;
  /** Minutes to wait for COMPLETE (default 30, at most 50). */
  timeoutMinutes?: number;
  /** Environments that get the flag step: their AppConfig environment id and the version to deploy. */
  environments: Record<string, { environment: string; version: string; strategy?: string }>;
}

/** The flag step of one environment, or none when the settings do not list it. */
export function featureFlagStepFor(settings: FeatureFlagSettings | undefined, environment: DeliveryEnvironment): FeatureFlagDeployStep[] {
  const flags = settings?.environments[environment.name];
  if (settings === undefined || flags === undefined) return [];
  return [
    featureFlagDeploy({
      environment: environment.name,
      aws: {
        role: environment.deployRole,
        account: environment.awsAccountId,
        region: environment.region,
        ...(environment.sessionDurationSeconds !== undefined ? { durationSeconds: environment.sessionDurationSeconds } : {}),
      },
      flags: {
        provider: settings.provider,
        application: settings.application,
        environment: flags.environment,
        configurationProfile: settings.configurationProfile,
        version: flags.version,
        strategy: flags.strategy ?? settings.strategy,
      },
      ...(settings.timeoutMinutes !== undefined ? { timeoutMinutes: settings.timeoutMinutes } : {}),
    }),
  ];
}

/** Explicit changes to the preset; each one is visible in the pipeline source. */
export interface NodeServiceOverrides {
  /** `npm ci`. */
  install?: Partial<Omit<NpmCiStep, 'step'>>;
  /** `npm run lint`. */
  lint?: StepOverride<NpmRunStep>;
  /** `npm run test` with JUnit reports. */
  unitTests?: StepOverride<NpmRunStep>;
  /** Trivy filesystem scan (dependencies, secrets, misconfig). */
  trivyFs?: StepOverride<TrivyScanStep>;
  /** Snyk open-source test. */
  snyk?: StepOverride<SnykScanStep>;
  /** SonarQube analysis (and its quality-gate stage). */
  sonar?: StepOverride<SonarScanStep>;
  /** Docker build. */
  dockerBuild?: Partial<Omit<DockerBuildStep, 'step'>>;
  /** Trivy scan of the built image. */
  trivyImage?: StepOverride<TrivyScanStep>;
  /** Snyk container test of the built image. */
  snykContainer?: StepOverride<SnykScanStep>;
  /** SBOM. */
  sbom?: StepOverride<SbomStep>;
  /** cosign signature (requires `signing`). */
  sign?: StepOverride<CosignSignStep>;
  /**
   * ECS deploy settings applied to every ECS environment. `bake` replaces the prod default bake
   * (see {@link PRESET_PROD_BAKE_MINUTES}) in every environment with alarms; `false` removes it.
   */
  ecsDeploy?: Partial<Pick<EcsDeployStep, 'engine' | 'timeoutMinutes' | 'smokeTest'>> & { bake?: Omit<Bake, 'alarms'> | false };
  /** Notifications: `false` removes them all. */
  notifications?: false;
  /** Evidence export: `false` removes it although `evidenceExport` is set (AUDIT-002 will ask why). */
  evidenceExport?: false;
  /** Last word on the stage list: add, replace or remove stages. */
  stages?: (stages: Stage[]) => Stage[];
  /** Pipeline options merged over the preset's. */
  options?: PipelineOptions;
}

/** Minutes a production ECS deploy watches its environment's alarms after the rollout (the bake). */
export const PRESET_PROD_BAKE_MINUTES = 10;

/** Who pays for a service: the cost-allocation tags of its ECS deploys. */
export interface CostAllocation {
  /** Owning team, the `team` tag. */
  team: string;
  /** Cost center, the `cost-center` tag (e.g. `CC-1042`). */
  costCenter: string;
  /** More tags (e.g. `product`); `service`, `team`, `environment` and `cost-center` are set by the preset. */
  tags?: Record<string, string>;
}

/**
 * Alarms, bake and cost tags of an `ecsDeploy` step in `environment`: the ECS target's `alarms`
 * on the deployment, a {@link PRESET_PROD_BAKE_MINUTES}-minute bake watching them in `prod` (or
 * the `bake` override in every environment with alarms; `false`: none), and the cost tags.
 */
export function withEcsReleaseSettings(
  step: Step,
  environment: DeliveryEnvironment,
  settings: { service: string; costAllocation?: CostAllocation; bake?: Omit<Bake, 'alarms'> | false },
): Step {
  if (step.step !== 'ecsDeploy' || environment.target.kind !== 'ecs') return step;
  const alarms = environment.target.alarms;
  const bake =
    alarms === undefined || settings.bake === false
      ? undefined
      : (settings.bake ?? (environment.name === 'prod' ? { minutes: PRESET_PROD_BAKE_MINUTES } : undefined));
  const cost = settings.costAllocation;
  return {
    ...step,
    ...(alarms !== undefined ? { alarms } : {}),
    ...(bake !== undefined ? { bake } : {}),
    ...(cost !== undefined
      ? { tags: { ...cost.tags, service: settings.service, team: cost.team, environment: environment.name, 'cost-center': cost.costCenter } }
      : {}),
  } as Step;
}

/** Inputs of {@link nodeService}. */
export interface NodeServiceOptions {
  /** Service name: ECR repository, Sonar project key and lock names default to it. */
  name: string;
  /** Where images are pushed, and the push role (IAM-003: not a deploy role). */
  registry: { accountId: string; region: string; pushRole: string; repository?: string };
  /** Environments in promotion order; the same digest goes to each in turn. */
  environments: DeliveryEnvironment[];
  /** SonarQube installation (Jenkins) and project key (default `name`). */
  sonar?: { installation: string; projectKey?: string };
  /** cosign key on AWS KMS and the role allowed to use it (default role: the push role). */
  signing?: { key: string; role?: string };
  /** Slack / Teams / SNS / e-mail targets. */
  notifications?: NotificationSettings;
  /** Feature flags (AWS AppConfig) deployed after the service in the listed environments. */
  featureFlags?: FeatureFlagSettings;
  /** Build agent label (default {@link DEFAULT_BUILD_AGENT}). */
  buildAgent?: string;
  /** Node.js tool installation for the build stages (default `node-20`; `false` for none). */
  nodeTool?: string | false;
  /** Pinned scanner versions (default {@link PRESET_TOOL_VERSIONS}). */
  toolVersions?: { trivy?: string; snyk?: string };
  /** Snyk organisation. */
  snykOrg?: string;
  /** Smoke test command run after each ECS rollout. */
  smokeTest?: string;
  /**
   * Export each deploy's evidence and the scan reports to an S3 bucket with Object Lock, in every
   * deploy stage's `post { cleanup }` (AUDIT-002). Usually set once in the organisation defaults.
   */
  evidenceExport?: EvidenceExportSettings;
  /** Explicit changes to the preset. */
  /**
   * Cost allocation (COST-001): every ECS deploy tags its task definition and service with
   * `service` (the service name), `team`, `environment` (the environment name), `cost-center` and
   * `tags`. Usually from a helper in the organisation defaults.
   */
  costAllocation?: CostAllocation;
  overrides?: NodeServiceOverrides;
}

/** The notify targets of the settings (none when notifications are removed). */
export function notifyTargets(settings: NotificationSettings | undefined, removed: boolean): NotifyTarget[] {
  if (removed || settings === undefined) return [];
  const targets: NotifyTarget[] = [];
  if (settings.slack) targets.push(slack(settings.slack.channel, settings.slack.tokenCredentialId, settings.slack.teamDomain));
  if (settings.teams) targets.push(teams(settings.teams.webhookCredentialId));
  if (settings.sns) targets.push(sns(settings.sns.topicArn, settings.sns.role));
  if (settings.email) targets.push(email(...settings.email.to));
  return targets;
}

/** The notify targets for one environment's events: its own SNS topic when the settings name one. */
export function environmentNotifyTargets(settings: NotificationSettings | undefined, removed: boolean, environment: string): NotifyTarget[] {
  const own = settings?.sns?.environments?.[environment];
  const targets = notifyTargets(settings, removed);
  return own === undefined ? targets : targets.map((t) => (t.kind === 'sns' ? sns(own.topicArn, own.role) : t));
}

/** `base` with the override applied, or nothing when the override removes the step. */
export function applyOverride<T extends { step: string }>(base: T, override: StepOverride<T> | undefined): T[] {
  if (override === false) return [];
  return [{ ...base, ...(override ?? {}) } as T];
}

/** One stage per step (parallel branches need stages); no stage at all for no steps. */
export function parallelStages(name: string, branches: [string, Step[]][]): Stage[] {
  const present = branches.filter(([, steps]) => steps.length > 0);
  if (present.length === 0) return [];
  if (present.length === 1) {
    const [[branchName, steps]] = present as [[string, Step[]]];
    return [{ name: branchName, steps }];
  }
  return [{ name, failFast: false, parallel: present.map(([branchName, steps]) => ({ name: branchName, steps })) }];
}

/** The evidence export of the promotion stages: where to, and which report stashes to restore. */
export interface PromotionEvidence {
  settings: EvidenceExportSettings;
  stashes: readonly string[];
}

/**
 * Stages that deploy the digest to every environment in order, with approvals where required and,
 * given `evidence`, the evidence export in each deploy stage's `post { cleanup }`.
 */
export function promotionStages(
  environments: DeliveryEnvironment[],
  service: string,
  allTargets: NotifyTarget[] | ((environment: DeliveryEnvironment) => NotifyTarget[]),
  deploy: (environment: DeliveryEnvironment) => Step | Step[],
  evidence?: PromotionEvidence,
): Stage[] {
  const stages: Stage[] = [];
  for (const environment of environments) {
    const targets = typeof allTargets === 'function' ? allTargets(environment) : allTargets;
    const steps = [deploy(environment)].flat();
    if (environment.approval !== undefined) {
      if (targets.length > 0) stages.push(approvalRequestStage(environment, targets, service));
      stages.push(approvalStage({ environment: environment.name, policy: environment.approval, when: releaseWhen(environment), service }));
    }
    stages.push(
      deployStage(environment, steps, {
        notify: targets,
        service,
        // Steps of one stage run one after the other: the stage needs the sum of their timeouts.
        ...(steps.length > 1 ? { timeoutMinutes: sequentialStageTimeoutMinutes(steps) } : {}),
        ...(evidence !== undefined ? { evidenceExport: evidenceExportFor(evidence.settings, environment.name, evidence.stashes) } : {}),
      }),
    );
  }
  return stages;
}

/** Stage timeout for deploy steps run in sequence (a deploy, then a flag change): their own timeouts added up, plus the deploy margin. */
function sequentialStageTimeoutMinutes(steps: readonly Step[]): number {
  const own = steps.map((step) => (isDeliveryStep(step) ? deployScriptTimeoutMinutes(step) : undefined) ?? STAGE_TIMEOUT_MINUTES.deployWithoutOwnTimeout);
  return own.reduce((a, b) => a + b, 0) + STAGE_TIMEOUT_MINUTES.deployMargin;
}

/** Inputs of {@link imageStage}. */
export interface ImageStageOptions {
  /** ECR repository. */
  repository: string;
  /** Registry account, region and push role. */
  registry: { accountId: string; region: string; pushRole: string };
  /** Agent of the stage (the Docker daemon holds the image between its nested stages). */
  buildAgent: { type: 'label'; label: string };
  /** Pinned Trivy version. */
  trivyVersion: string;
  /** Snyk organisation / version. */
  snyk: { org?: string; version?: string };
  /** cosign key and role; no signing step without it. */
  signing?: { key: string; role?: string };
  /** Step overrides. */
  overrides: Pick<NodeServiceOverrides, 'dockerBuild' | 'trivyImage' | 'snykContainer' | 'sbom' | 'sign'>;
  /** Stash the stage's `reports/` under this name for the deploy stages' evidence export. */
  reportStash?: string;
}

/**
 * The image stage: Build image → Trivy image + Snyk container on the built image → Publish (ECR
 * push, SBOM, signature; never for pull requests). One agent for all of it, so the scanned image
 * is the pushed one (SCAN-005).
 */
export function imageStage(options: ImageStageOptions): { stage: Stage; signed: boolean } {
  const o = options.overrides;
  const pushRole = { role: options.registry.pushRole, account: options.registry.accountId, region: options.registry.region };
  const signing = options.signing;
  const signSteps =
    signing === undefined
      ? []
      : applyOverride(
          cosignSign({ key: signing.key, aws: { ...pushRole, role: signing.role ?? options.registry.pushRole }, attest: ['cyclonedx'] }),
          o.sign,
        );
  const stage: Stage = {
    name: 'Image',
    agent: options.buildAgent,
    options: { timeout: { time: 30, unit: 'MINUTES' } },
    stages: [
      { name: 'Build image', steps: [dockerBuild({ repository: options.repository, ...o.dockerBuild })] },
      ...parallelStages('Scan image', [
        ['Trivy image', applyOverride(trivyScan('image', { version: options.trivyVersion }), o.trivyImage)],
        ['Snyk container', applyOverride(snykScan('container', options.snyk), o.snykContainer)],
      ]),
      {
        name: 'Publish',
        // Pull requests are built and scanned, never pushed (FLOW-005).
        when: { not: { changeRequest: true } },
        steps: [
          ecrPush({
            repository: options.repository,
            registry: { accountId: options.registry.accountId, region: options.registry.region },
            aws: pushRole,
          }),
          ...applyOverride(sbom(), o.sbom),
          ...signSteps,
        ],
      },
    ],
    ...(options.reportStash !== undefined ? { post: { always: [stashReports(options.reportStash)] } } : {}),
  };
  return { stage, signed: signSteps.length > 0 };
}

/** Pipeline-level options of the presets. No pipeline timeout: it would include approval waits. */
export const PRESET_PIPELINE_OPTIONS: PipelineOptions = {
  buildDiscarder: { numToKeep: 200, artifactNumToKeep: 200 },
  disableConcurrentBuilds: true,
  timestamps: true,
};

/** Pipeline `post`: failure and fixed notifications. */
export function notificationPost(targets: NotifyTarget[], service: string): Post | undefined {
  if (targets.length === 0) return undefined;
  return { fixed: [notify('fixed', targets, { service })], failure: [notify('failure', targets, { service })] };
}

/**
 * The Node.js service workflow. Requires `sonar` unless `overrides.sonar` is `false`, and
 * `signing` unless `overrides.sign` is `false`, so leaving out a control is always explicit.
 */
export function nodeService(options: NodeServiceOptions): Pipeline {
  const o = options.overrides ?? {};
  const repository = options.registry.repository ?? options.name;
  const buildAgent = { type: 'label' as const, label: options.buildAgent ?? DEFAULT_BUILD_AGENT };
  const tools = options.nodeTool === false ? {} : { tools: { nodejs: options.nodeTool ?? 'node-20' } };
  const trivyVersion = options.toolVersions?.trivy ?? PRESET_TOOL_VERSIONS.trivy;
  const snykCommon = {
    ...(options.snykOrg !== undefined ? { org: options.snykOrg } : {}),
    ...(options.toolVersions?.snyk !== undefined ? { version: options.toolVersions.snyk } : {}),
  };
  const targets = notifyTargets(options.notifications, o.notifications === false);
  const exportSettings = o.evidenceExport === false ? undefined : options.evidenceExport;

  if (o.sonar !== false && options.sonar === undefined) {
    throw new Error(`nodeService(${options.name}): set sonar: { installation } or remove SonarQube explicitly with overrides: { sonar: false }`);
  }
  if (o.sign !== false && options.signing === undefined) {
    throw new Error(`nodeService(${options.name}): set signing: { key } or remove signing explicitly with overrides: { sign: false }`);
  }

  const sonarSteps =
    options.sonar === undefined
      ? []
      : applyOverride(sonarScan({ installation: options.sonar.installation, projectKey: options.sonar.projectKey ?? options.name }), o.sonar);

  const build: Stage = {
    name: 'Build & test',
    agent: buildAgent,
    ...tools,
    options: { timeout: { time: 30, unit: 'MINUTES' } },
    stages: [
      { name: 'Install', steps: [npmCi(o.install)] },
      ...parallelStages('Lint & unit tests', [
        ['Lint', applyOverride(npmRun('lint'), o.lint)],
        ['Unit tests', applyOverride(npmRun('test', { junit: 'reports/junit/*.xml' }), o.unitTests)],
      ]),
      ...parallelStages('Static analysis', [
        ['Trivy filesystem', applyOverride(trivyScan('fs', { version: trivyVersion }), o.trivyFs)],
        ['Snyk dependencies', applyOverride(snykScan('test', snykCommon), o.snyk)],
        ['SonarQube', sonarSteps],
      ]),
    ],
    ...(exportSettings !== undefined ? { post: { always: [stashReports(REPORT_STASHES.build)] } } : {}),
  };

  const { stage: image, signed } = imageStage({
    repository,
    registry: options.registry,
    buildAgent,
    trivyVersion,
    snyk: snykCommon,
    ...(options.signing !== undefined ? { signing: options.signing } : {}),
    overrides: o,
    ...(exportSettings !== undefined ? { reportStash: REPORT_STASHES.image } : {}),
  });
  const signing = options.signing;

  const { bake: bakeOverride, ...ecsOverrides } = o.ecsDeploy ?? {};
  const deploy = (environment: DeliveryEnvironment): Step[] => [
    withEcsReleaseSettings(
      deployStepFor(environment, {
        service: options.name,
        ...(options.smokeTest !== undefined ? { smokeTest: options.smokeTest } : {}),
        ...(signed && signing !== undefined ? { verifySignatureKey: signing.key } : {}),
        ...ecsOverrides,
      }),
      environment,
      {
        service: options.name,
        ...(options.costAllocation !== undefined ? { costAllocation: options.costAllocation } : {}),
        ...(bakeOverride !== undefined ? { bake: bakeOverride } : {}),
      },
    ),
    ...featureFlagStepFor(options.featureFlags, environment),
  ];

  const stages = [
    build,
    ...(sonarSteps.length > 0 ? [qualityGateStage({ timeoutMinutes: DELIVERY_DEFAULTS.sonar.qualityGateTimeoutMinutes })] : []),
    image,
    ...promotionStages(
      options.environments,
      options.name,
      (environment) => environmentNotifyTargets(options.notifications, o.notifications === false, environment.name),
      deploy,
      exportSettings !== undefined ? { settings: exportSettings, stashes: [REPORT_STASHES.build, REPORT_STASHES.image] } : undefined,
    ),
  ];

  const post = notificationPost(targets, options.name);
  return {
    name: options.name,
    agent: 'none',
    options: { ...PRESET_PIPELINE_OPTIONS, ...o.options },
    environments: options.environments,
    stages: o.stages ? o.stages(stages) : stages,
    ...(post !== undefined ? { post } : {}),
  };
}
