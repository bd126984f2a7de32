/**
 * `reactApp`: the React front end's workflow. Build and test once, scan, archive the build
 * output, then promote the same artifact through the environments: to S3 + CloudFront
 * (environment target `s3`) or, as an nginx image, to ECS (target `ecs`, using the image stage
 * of `nodeService`).
 *
 *     Build & test   Install → Lint + Type check + Unit tests → Trivy fs + Snyk + SonarQube → Build
 *     Quality gate   (agent none)
 *     Image          only when an environment runs on ECS/EKS/GitOps
 *     Deploy <env>   for each environment in order, with approvals where required; with
 *                    `evidenceExport`, evidence and scan reports go to the Object Lock bucket
 *
 * Every top-level stage has a stage timeout (BASE-001).
 */
import { DELIVERY_DEFAULTS } from '../model/delivery-defaults.ts';
import type { DeliveryEnvironment, NpmRunStep } from '../model/delivery.ts';
import type { Pipeline, Stage, Step } from '../model/schema.ts';
import {
  applyOverride,
  DEFAULT_BUILD_AGENT,
  imageStage,
  notificationPost,
  notifyTargets,
  environmentNotifyTargets,
  featureFlagStepFor,
  parallelStages,
  PRESET_PIPELINE_OPTIONS,
  PRESET_TOOL_VERSIONS,
  promotionStages,
  REPORT_STASHES,
  type NodeServiceOptions,
  type NodeServiceOverrides,
  type StepOverride,
  withEcsReleaseSettings,
} from './node-service.ts';
import { deployStepFor, qualityGateStage } from './stages.ts';
import { npmCi, npmRun, snykScan, sonarScan, trivyScan } from './steps.ts';

/** Explicit changes to the React preset. */
export interface ReactAppOverrides extends NodeServiceOverrides {
  /** `npm run typecheck`. */
  typecheck?: StepOverride<NpmRunStep>;
  /** `npm run build`. */
  build?: Partial<Omit<NpmRunStep, 'step'>>;
}

/** Inputs of {@link reactApp}. */
export interface ReactAppOptions extends Omit<NodeServiceOptions, 'registry' | 'overrides' | 'smokeTest'> {
  /** Build output directory (default `dist`). */
  outputDir?: string;
  /** Registry for the nginx image; required when an environment's target is not `s3`. */
  registry?: NodeServiceOptions['registry'];
  /** Explicit changes to the preset. */
  overrides?: ReactAppOverrides;
}

/** Stash that carries the build output to the deploy stages. */
export const SITE_STASH = 'site';

/** The React front-end workflow; see the module comment. */
export function reactApp(options: ReactAppOptions): Pipeline {
  const o = options.overrides ?? {};
  const outputDir = (options.outputDir ?? DELIVERY_DEFAULTS.s3.source).replace(/\/+$/, '');
  const buildAgent = { type: 'label' as const, label: options.buildAgent ?? DEFAULT_BUILD_AGENT };
  const tools = options.nodeTool === false ? {} : { tools: { nodejs: options.nodeTool ?? 'node-20' } };
  const trivyVersion = options.toolVersions?.trivy ?? PRESET_TOOL_VERSIONS.trivy;
  const snykCommon = {
    ...(options.snykOrg !== undefined ? { org: options.snykOrg } : {}),
    ...(options.toolVersions?.snyk !== undefined ? { version: options.toolVersions.snyk } : {}),
  };
  const targets = notifyTargets(options.notifications, o.notifications === false);
  const exportSettings = o.evidenceExport === false ? undefined : options.evidenceExport;
  const needsImage = options.environments.some((environment) => environment.target.kind !== 's3');

  if (o.sonar !== false && options.sonar === undefined) {
    throw new Error(`reactApp(${options.name}): set sonar: { installation } or remove SonarQube explicitly with overrides: { sonar: false }`);
  }
  if (needsImage && options.registry === undefined) {
    throw new Error(`reactApp(${options.name}): environments deploy an image, so set registry: { accountId, region, pushRole }`);
  }
  if (needsImage && o.sign !== false && options.signing === undefined) {
    throw new Error(`reactApp(${options.name}): set signing: { key } or remove signing explicitly with overrides: { sign: false }`);
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
      ...parallelStages('Checks', [
        ['Lint', applyOverride(npmRun('lint'), o.lint)],
        ['Type check', applyOverride(npmRun('typecheck'), o.typecheck)],
        ['Unit tests', applyOverride(npmRun('test', { junit: 'reports/junit/*.xml' }), o.unitTests)],
      ]),
      ...parallelStages('Static analysis', [
        ['Trivy filesystem', applyOverride(trivyScan('fs', { version: trivyVersion }), o.trivyFs)],
        ['Snyk dependencies', applyOverride(snykScan('test', snykCommon), o.snyk)],
        ['SonarQube', sonarSteps],
      ]),
      {
        name: 'Build',
        steps: [
          npmRun('build', { archive: `${outputDir}/**`, ...o.build }),
          { step: 'stash', name: SITE_STASH, includes: `${outputDir}/**` } satisfies Step,
        ],
      },
    ],
    ...(exportSettings !== undefined
      ? { post: { always: [{ step: 'stash', name: REPORT_STASHES.build, includes: 'reports/**', allowEmpty: true } satisfies Step] } }
      : {}),
  };

  let signed = false;
  const stages: Stage[] = [build];
  const reportStashes: string[] = [REPORT_STASHES.build];
  if (sonarSteps.length > 0) stages.push(qualityGateStage());
  if (needsImage && options.registry !== undefined) {
    const image = imageStage({
      repository: options.registry.repository ?? options.name,
      registry: options.registry,
      buildAgent,
      trivyVersion,
      snyk: snykCommon,
      ...(options.signing !== undefined ? { signing: options.signing } : {}),
      overrides: o,
      ...(exportSettings !== undefined ? { reportStash: REPORT_STASHES.image } : {}),
    });
    reportStashes.push(REPORT_STASHES.image);
    // The image packages the build output: bring it back onto the image stage's agent.
    const firstNested = image.stage.stages?.[0];
    if (firstNested?.steps) firstNested.steps.unshift({ step: 'unstash', name: SITE_STASH });
    stages.push(image.stage);
    signed = image.signed;
  }
  const { bake: bakeOverride, ...ecsOverrides } = o.ecsDeploy ?? {};
  const deploy = (environment: DeliveryEnvironment): Step[] => [
    withEcsReleaseSettings(
      deployStepFor(environment, {
        service: options.name,
        siteStash: SITE_STASH,
        ...(signed && options.signing !== undefined ? { verifySignatureKey: options.signing.key } : {}),
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
  stages.push(
    ...promotionStages(
      options.environments,
      options.name,
      (environment) => environmentNotifyTargets(options.notifications, o.notifications === false, environment.name),
      deploy,
      exportSettings !== undefined ? { settings: exportSettings, stashes: reportStashes } : undefined,
    ),
  );

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
