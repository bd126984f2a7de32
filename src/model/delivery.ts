/**
 * The delivery model: typed steps for the company's build → scan → image → registry → deploy
 * workflow, plus the environments a service is promoted through.
 *
 * Every delivery step is a `Step` kind (discriminator `step`) and lowers to plain Jenkins steps in
 * `src/lower/delivery/`. Conventions every lowering follows, so the policy engine can rely on them:
 *
 * - `sh` bodies are single-quoted Groovy literals; multi-line ones start with `#!/bin/bash` and
 *   `set -euo pipefail`.
 * - User values reach the shell through `withEnv([...])` and are referenced as `"$PW_..."`. Only
 *   values that are checked here against a strict pattern or an enum (flags, severities, build-arg
 *   names, secret ids, numbers) are written into script text.
 * - Scanners write JSON and SARIF under `reports/`, deploys write evidence JSON under `evidence/`;
 *   both are archived in the enclosing stage's `post { always { } }`, also when the step fails,
 *   and `evidenceExport` copies them to an S3 Object Lock bucket outside Jenkins.
 * - Image hand-over files in the workspace (see `DELIVERY_FILES` in `delivery-defaults.ts`):
 *   `image-id.txt` (image ID from `docker build --iidfile`), `image-local.txt` (local tag
 *   `repository:<commit sha>`), `image-ref.txt` (pushed `registry/repository@sha256:…`, stashed
 *   as `image-ref` and unstashed by every deploy step).
 *
 * Defaults are listed in `DELIVERY_DEFAULTS` (`delivery-defaults.ts`, zod-free so the DSL can use
 * it) and applied by the lowering; the schemas here do not fill them in, so a validated model is
 * exactly what its author wrote.
 *
 * Shared pieces (suppressions, author-keyed maps) come from `common.ts`; `schema.ts` imports this
 * module for the `StepSchema` union, and this module does not import `schema.ts`.
 */
import { z } from 'zod';
import { dataRecord, SuppressionSchema } from './common.ts';

// ---------------------------------------------------------------------------------------------
// Field patterns. A value that matches one of these may be written into script text; everything
// else is passed through the environment.
// ---------------------------------------------------------------------------------------------

/** Patterns used by the delivery schemas, exported so the policy engine and docs can reuse them. */
export const DELIVERY_PATTERNS = {
  /** Shell/Groovy identifier (environment variable names, build-arg names). */
  identifier: /^[A-Za-z_][A-Za-z0-9_]*$/,
  /** A path relative to the workspace: no leading `/`, no `..` segment, conservative characters. */
  relativePath: /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._@+/-]+$/,
  /** An absolute or relative path with conservative characters (cache directories). */
  path: /^(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._@+/-]+$/,
  /** Strict token that may be spliced into script text (`^[A-Za-z0-9._/-]+$`). */
  token: /^[A-Za-z0-9._/-]+$/,
  /** Name of a report file (without extension), e.g. `trivy-fs`. */
  reportName: /^[a-z0-9][a-z0-9._-]*$/,
  /** ECR repository name. */
  ecrRepository: /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
  /** 12-digit AWS account id. */
  awsAccountId: /^\d{12}$/,
  /** AWS region, e.g. `eu-west-1`, `us-gov-west-1`. */
  awsRegion: /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d+$/,
  /** IAM role name or role ARN (as `withAWS(role:)` accepts). */
  iamRole: /^(?:arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+|[A-Za-z0-9+=,.@_-]{1,64})$/,
  /** ECS cluster, service or container name; EKS cluster, namespace, release, deployment names. */
  resourceName: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/,
  /** Delivery environment name, e.g. `dev`, `stage`, `prod`. */
  environmentName: /^[a-z][a-z0-9-]{0,30}$/,
  /** Docker build-arg / BuildKit secret / label key parts. */
  dockerKey: /^[a-z0-9][a-z0-9._-]*$/,
  /** npm script name, e.g. `test`, `test:unit`, `build`. */
  npmScript: /^[A-Za-z0-9][A-Za-z0-9:._-]*$/,
  /** Extra argument to an npm script; spliced after `--`, so it stays a single safe token. */
  npmArg: /^[A-Za-z0-9=:._/,@+-]+$/,
  /** SonarQube project key. */
  sonarProjectKey: /^[A-Za-z0-9_.:-]+$/,
  /** Snyk organisation slug or id. */
  snykOrg: /^[A-Za-z0-9_-]+$/,
  /** Pinned tool version, e.g. `0.58.1` (no `latest`, no ranges). */
  toolVersion: /^v?\d+\.\d+\.\d+(?:[-+][A-Za-z0-9.]+)?$/,
  /** cosign key reference on AWS KMS, e.g. `awskms:///alias/ci-cosign`. */
  kmsKeyRef: /^awskms:\/\/[A-Za-z0-9.:-]*\/[A-Za-z0-9:/_.-]+$/,
  /** Git repository URL over https or ssh (no embedded credentials). */
  gitUrl: /^(?:https:\/\/[A-Za-z0-9.-]+(?::\d+)?\/[A-Za-z0-9._~/-]+|ssh:\/\/git@[A-Za-z0-9.-]+(?::\d+)?\/[A-Za-z0-9._~/-]+|git@[A-Za-z0-9.-]+:[A-Za-z0-9._~/-]+)$/,
  /** Git branch name. */
  gitBranch: /^[A-Za-z0-9][A-Za-z0-9._/-]*$/,
  /**
   * A branch name or an Ant-style glob over branch names, as Jenkins' `when { branch pattern: …,
   * comparator: 'GLOB' }` matches them: `*` within one `/`-separated segment, `**` across
   * segments, `?` one character (e.g. `release/*`, `hotfix/**`). Otherwise the characters of
   * `gitBranch`.
   */
  gitBranchGlob: /^[A-Za-z0-9*?][A-Za-z0-9._/*?-]*$/,
  /** yq path expression, e.g. `.image.digest` or `.spec.template.spec.containers[0].image`. */
  yqPath: /^(?:\.[A-Za-z0-9_-]+|\[\d+\])+$/,
  /** S3 bucket name. */
  s3Bucket: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  /** CloudFront distribution id. */
  cloudFrontDistribution: /^[A-Z0-9]{8,20}$/,
  /** Elastic Load Balancing listener ARN. */
  listenerArn: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/(?:app|net)\/[A-Za-z0-9-]+\/[0-9a-f]+\/[0-9a-f]+$/,
  /** Elastic Load Balancing target group ARN. */
  targetGroupArn: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]+\/[0-9a-f]+$/,
  /** Route 53 hosted zone id. */
  hostedZoneId: /^Z[A-Z0-9]{1,31}$/,
  /** DNS record name. */
  dnsName: /^(?:\*\.)?[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/,
  /** Route 53 set identifier of a weighted record. */
  setIdentifier: /^[A-Za-z0-9_.-]{1,128}$/,
  /** Slack channel name or id. */
  slackChannel: /^[#@]?[A-Za-z0-9._-]+$/,
  /** Jenkins user or group name in an input `submitter` list (commas separate entries). */
  submitter: /^[^,*\s][^,*]*$/,
  /** AWS AppConfig application, environment or configuration-profile id (e.g. `a1b2c3d`). */
  appConfigId: /^[a-z0-9]{4,7}$/,
  /**
   * AWS AppConfig deployment strategy: a predefined one (`AppConfig.Linear50PercentEvery30Seconds`,
   * `AppConfig.Canary10Percent20Minutes`, ...) or the id of the organisation's own.
   */
  appConfigStrategy: /^(?:AppConfig\.[A-Za-z0-9]+|[a-z0-9]{4,7})$/,
  /** AppConfig configuration version: a hosted version number or an S3 object version id. */
  appConfigVersion: /^[A-Za-z0-9._]{1,1024}$/,
  /** SNS topic ARN (standard or FIFO topic). */
  snsTopicArn: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/,
  /** E-mail address (one recipient). */
  emailAddress: /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/,
  /** CloudWatch alarm name: 1-255 printable characters (no control characters, no leading `-`). */
  cloudWatchAlarmName: /^[^\x00-\x1f\x7f-][^\x00-\x1f\x7f]{0,254}$/,
  /** Resource tag key as ECS accepts it (1-128 letters, digits, spaces and `+ - = . _ : / @`). */
  tagKey: /^[A-Za-z0-9 +\-=._:/@]{1,128}$/,
  /** Resource tag value as ECS accepts it (0-256 letters, digits, spaces and `+ - = . _ : / @`). */
  tagValue: /^[A-Za-z0-9 +\-=._:/@]{0,256}$/,
} as const;

const P = DELIVERY_PATTERNS;

/**
 * Values of these patterns (paths, directories, stash and image names) reach command lines as
 * positional arguments (`docker build … "$PW_DOCKER_CONTEXT"`, `trivy fs "$target"`, `jq …
 * "$PW_TASKDEF_TEMPLATE"`, `helm upgrade … "$PW_HELM_CHART"`), where a leading `-` would be read
 * as an option: they must not start with one.
 */
const REACHES_COMMAND_LINE: ReadonlySet<RegExp> = new Set([P.relativePath, P.path, P.token]);
const NOT_AN_OPTION = /^[^-]/;
const notAnOptionMessage = (what: string) => `${what} must not start with "-": a command would read it as an option`;

const matching = (pattern: RegExp, what: string) => {
  const field = z.string().regex(pattern, `${what} must match ${pattern.source}`);
  return REACHES_COMMAND_LINE.has(pattern) ? field.regex(NOT_AN_OPTION, notAnOptionMessage(what)) : field;
};
const nonEmpty = (what: string) => z.string().min(1, `${what} must not be empty`);
const positiveInt = z.number().int().positive();
const minutes = (max: number) => z.number().int().min(1).max(max);

const suppressions = z.array(SuppressionSchema).optional();

/** A reason for a risk decision; auditors read it, so it must say something. */
const rationale = z.string().min(20, 'a rationale must be at least 20 characters: auditors read it');

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/** Severities as Trivy spells them. */
export const TrivySeveritySchema = z.enum(['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
export type TrivySeverity = z.infer<typeof TrivySeveritySchema>;

/** Which image a scan or SBOM looks at. */
export const ImageSourceSchema = z.enum(['built', 'pushed']);
/**
 * `built`: the local image from `dockerBuild` (`image-local.txt`); `ecrPush` later checks that the
 * pushed image has the same image ID, so the scanned image is the shipped one (SCAN-005).
 * `pushed`: the pushed digest (`image-ref.txt`).
 */
export type ImageSource = z.infer<typeof ImageSourceSchema>;

/**
 * An assumed AWS role, emitted as `withAWS(role:, roleAccount:, region:, duration:)` around the
 * step's shell. No static keys exist in the model (IAM-001).
 */
export const AwsRoleSchema = z.strictObject({
  /** Role name (in `account`) or full role ARN, e.g. `ecs-deployer-prod`. */
  role: matching(P.iamRole, 'role'),
  /** 12-digit id of the account that owns the role. */
  account: matching(P.awsAccountId, 'account'),
  /** AWS region for the session and the CLI calls. */
  region: matching(P.awsRegion, 'region'),
  /** Session length in seconds, 900–3600 (default 900: short sessions). */
  durationSeconds: z.number().int().min(900).max(3600).optional(),
  /**
   * Session name recorded in CloudTrail. Default: Jenkins' own (job name + build number), which
   * links CloudTrail events to the build; override only with something at least as traceable.
   */
  roleSessionName: matching(/^[A-Za-z0-9+=,.@_-]{2,64}$/, 'roleSessionName').optional(),
});
export type AwsRole = z.input<typeof AwsRoleSchema>;

/** Who may approve a promotion into an environment, and how. */
export const ApprovalPolicySchema = z.strictObject({
  /** Jenkins groups allowed to approve (`input submitter`); never `*` or single people (FLOW-002). */
  submitters: z.array(matching(P.submitter, 'submitter')).min(1, 'name at least one approver group'),
  /** How long the approval stays open, in minutes (default 1440 = 24 h, FLOW-004). */
  timeoutMinutes: minutes(10080).optional(),
  /**
   * Regular expression the change ticket (`CHANGE_ID` parameter) must match
   * (default `^[A-Z][A-Z0-9]+-[0-9]+$`, e.g. `CHG-1234`, FLOW-007).
   */
  changeIdPattern: z.string().min(1).optional(),
  /** Reject an approver who started the build (default true, FLOW-003). */
  forbidSelfApproval: z.boolean().optional(),
});
export type ApprovalPolicy = z.input<typeof ApprovalPolicySchema>;

/** Which refs may deploy into an environment. Pull-request builds never deploy (FLOW-005). */
export const ReleasePolicySchema = z.strictObject({
  /**
   * Branches that may deploy, default `['main']`: exact names, or Ant-style globs such as
   * `release/*` (`*` within a path segment, `**` across segments, `?` one character), emitted as
   * `when { branch pattern: …, comparator: 'GLOB' }`.
   */
  branches: z
    .array(
      z
        .string()
        .regex(
          P.gitBranchGlob,
          'a release branch is a branch name or an Ant-style glob such as "release/*": letters, digits, ".", "_", "/", "-", "*" and "?", starting with a letter, a digit, "*" or "?"',
        ),
    )
    .optional(),
  /** Glob of release tags that may deploy, e.g. `v*` (default none). */
  tags: z.string().min(1).optional(),
});
export type ReleasePolicy = z.input<typeof ReleasePolicySchema>;

/**
 * CloudWatch alarm names of one environment (each 1-255 printable characters, at most 10: the
 * limit of an ECS service's `deploymentConfiguration.alarms.alarmNames`). They must exist in the
 * environment's account and region (`pipewright preflight` checks that).
 */
export const CloudWatchAlarmNamesSchema = z
  .array(matching(P.cloudWatchAlarmName, 'alarm name'))
  .min(1, 'name at least one alarm, or leave the field out')
  .max(10, 'an ECS service takes at most 10 deployment alarms')
  .refine((names) => new Set(names).size === names.length, 'alarm names must be unique');

/**
 * Resource tags for cost allocation (AWS Billing cost-allocation tags), e.g.
 * `{ service: 'payments-api', team: 'payments', environment: 'prod', 'cost-center': 'CC-1042' }`.
 * Keys and values use the characters ECS accepts (letters, digits, spaces, `+ - = . _ : / @`);
 * `aws:` keys are reserved by AWS; at most 40 tags (ECS allows 50 per resource and AWS adds its own).
 * COST-001 requires `service`, `team`, `environment` and `cost-center` on production deploys.
 */
export const CostTagsSchema = z
  .record(matching(P.tagKey, 'tag key'), matching(P.tagValue, 'tag value'))
  .refine((tags) => Object.keys(tags).length <= 40, 'at most 40 tags')
  .refine((tags) => !Object.keys(tags).some((key) => key.toLowerCase().startsWith('aws:')), 'tag keys starting with "aws:" are reserved by AWS');
export type CostTags = z.input<typeof CostTagsSchema>;

/** The cost-allocation tag keys COST-001 requires on production deploys. */
export const REQUIRED_COST_TAGS = ['service', 'team', 'environment', 'cost-center'] as const;

/**
 * A bake: after the rollout is COMPLETED (and the smoke test passed), watch CloudWatch alarms for
 * `minutes` (`cloudwatch:DescribeAlarms`). If one of them is in ALARM, the deploy rolls the service
 * back to the previous task definition itself, fails the stage and records `bake: ALARM` and the
 * alarm in the evidence.
 */
export const BakeSchema = z.strictObject({
  /** How long to watch after the rollout, 1-30 minutes (prod default in the presets: 10). */
  minutes: minutes(30),
  /** Alarms to watch (default: the step's `alarms`). */
  alarms: CloudWatchAlarmNamesSchema.optional(),
});
export type Bake = z.input<typeof BakeSchema>;

/** An ECS Fargate service as a deploy target. */
export const EcsTargetSchema = z.strictObject({
  kind: z.literal('ecs'),
  /** ECS cluster name. */
  cluster: matching(P.resourceName, 'cluster'),
  /** ECS service name. */
  service: matching(P.resourceName, 'service'),
  /** Container in the task definition whose image is replaced. */
  container: matching(P.resourceName, 'container'),
  /** Task-definition template in the repository (DEPLOY-004), e.g. `deploy/taskdef.prod.json`. */
  taskDefinition: matching(P.relativePath, 'taskDefinition').optional(),
  /**
   * CloudWatch alarms of this environment's service (e.g. its 5xx rate and p99 latency). The
   * presets pass them to `ecsDeploy` as `alarms` (ECS rolls back when one fires during the
   * rollout) and, in prod, watch them in a 10-minute bake.
   */
  alarms: CloudWatchAlarmNamesSchema.optional(),
});

/** How an EKS workload is rolled out. */
export const EksMethodSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    /** `helm upgrade --install --atomic --wait`: helm rolls back by itself on failure. */
    kind: z.literal('helm'),
    /** Release name. */
    release: matching(P.resourceName, 'release'),
    /** Chart directory in the repository. */
    chart: matching(P.relativePath, 'chart'),
    /** Values file for this environment. */
    valuesFile: matching(P.relativePath, 'valuesFile').optional(),
    /** Value keys receiving the repository and the digest (default `image.repository`, `image.digest`). */
    imageKeys: z
      .strictObject({
        repository: matching(/^[A-Za-z0-9_.-]+$/, 'repository key'),
        digest: matching(/^[A-Za-z0-9_.-]+$/, 'digest key'),
      })
      .optional(),
  }),
  z.strictObject({
    /** `kubectl set image` + `rollout status`; `rollout undo` on failure. */
    kind: z.literal('kubectl'),
    /** Deployment name. */
    deployment: matching(P.resourceName, 'deployment'),
    /** Container name in the pod template. */
    container: matching(P.resourceName, 'container'),
  }),
]);
export type EksMethod = z.input<typeof EksMethodSchema>;

/**
 * How a GitOps bump writes the digest: `kustomize edit set image <imageName>=<repo@digest>` in
 * the file's directory, or `yq` setting `yamlPath` to the `repo@digest` reference.
 */
export const GitopsEditorSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('kustomize'),
    /** Image name as written in the kustomization's `images:`. */
    imageName: matching(P.token, 'imageName'),
  }),
  z.strictObject({
    kind: z.literal('yq'),
    /** Path of the image reference, e.g. `.image.ref`. */
    yamlPath: matching(P.yqPath, 'yamlPath'),
  }),
]);
export type GitopsEditor = z.input<typeof GitopsEditorSchema>;

/**
 * Credentials for a GitOps push: `https` with a username/password (token) credential, given to git
 * through `GIT_ASKPASS`; `ssh` with an SSH key credential (host keys must be known to the agent).
 */
export const GitopsAuthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('https'), credentialId: nonEmpty('credentialId') }),
  z.strictObject({ kind: z.literal('ssh'), credentialId: nonEmpty('credentialId') }),
]);
export type GitopsAuth = z.input<typeof GitopsAuthSchema>;

/** An EKS workload as a deploy target (helm release or plain deployment). */
export const EksTargetSchema = z.strictObject({
  kind: z.literal('eks'),
  /** EKS cluster name. */
  cluster: matching(P.resourceName, 'cluster'),
  /** Kubernetes namespace. */
  namespace: matching(P.resourceName, 'namespace'),
  /** How to roll out. */
  method: EksMethodSchema,
});

/** A GitOps manifests repository (ArgoCD/Flux pull the change). */
export const GitOpsTargetSchema = z.strictObject({
  kind: z.literal('gitops'),
  /** Manifests repository URL (https or ssh, no credentials in it). */
  repository: matching(P.gitUrl, 'repository'),
  /** Branch ArgoCD/Flux watches (default `main`). */
  branch: matching(P.gitBranch, 'branch').optional(),
  /** File that holds the image reference for this environment, e.g. `apps/payments/prod/kustomization.yaml`. */
  file: matching(P.relativePath, 'file'),
  /** How the digest is written. */
  editor: GitopsEditorSchema,
  /** Push credentials. */
  auth: GitopsAuthSchema,
});

/** A static site in S3 behind CloudFront (front ends). */
export const S3SiteTargetSchema = z.strictObject({
  kind: z.literal('s3'),
  /** Bucket. */
  bucket: matching(P.s3Bucket, 'bucket'),
  /** Key prefix (default none). */
  prefix: matching(/^[A-Za-z0-9._/-]+$/, 'prefix').optional(),
  /** CloudFront distribution to invalidate. */
  cloudFrontDistributionId: matching(P.cloudFrontDistribution, 'cloudFrontDistributionId').optional(),
});

/**
 * One environment a service is promoted through. Pipelines list them in promotion order
 * (dev → stage → prod); the same image digest is deployed to each in turn (FLOW-006).
 */
export const DeliveryEnvironmentSchema = z.strictObject({
  /** Short name, used in stage names, lock names and evidence files, e.g. `prod`. */
  name: matching(P.environmentName, 'environment name'),
  /** The environment's own AWS account (IAM-002: one account per environment). */
  awsAccountId: matching(P.awsAccountId, 'awsAccountId'),
  /** Region of the environment. */
  region: matching(P.awsRegion, 'region'),
  /** Role the deploy stage assumes in `awsAccountId` (name or ARN). */
  deployRole: matching(P.iamRole, 'deployRole'),
  /** Session length for the deploy role, 900–3600 s (default 900). */
  sessionDurationSeconds: z.number().int().min(900).max(3600).optional(),
  /** Agent label of the deploy stage; prod gets a dedicated label (IAM-004). */
  agentLabel: nonEmpty('agentLabel'),
  /** What is deployed. */
  target: z.discriminatedUnion('kind', [EcsTargetSchema, EksTargetSchema, GitOpsTargetSchema, S3SiteTargetSchema]),
  /** Approval before deploying here; absent means no approval (typical for dev). */
  approval: ApprovalPolicySchema.optional(),
  /** Refs that may deploy here (default: branch `main` only). */
  releaseFrom: ReleasePolicySchema.optional(),
});
export type DeliveryEnvironment = z.input<typeof DeliveryEnvironmentSchema>;

// ---------------------------------------------------------------------------------------------
// Node.js
// ---------------------------------------------------------------------------------------------

export const NpmCiStepSchema = z.strictObject({
  step: z.literal('npmCi'),
  /** npm cache directory (default `$HOME/.npm` on the agent); `--prefer-offline` uses it first. */
  cacheDir: matching(P.path, 'cacheDir').optional(),
  /** Run `npm ci --ignore-scripts` (default false: many packages need install scripts). */
  ignoreScripts: z.boolean().optional(),
  /**
   * Jenkins file credential holding an `.npmrc` for a private registry; bound for this step only
   * and passed as `NPM_CONFIG_USERCONFIG`, never copied into the workspace.
   */
  npmrcCredentialId: nonEmpty('npmrcCredentialId').optional(),
  /** Package directory relative to the workspace (default the workspace root). */
  directory: matching(P.relativePath, 'directory').optional(),
  suppressions,
});
export type NpmCiStep = z.input<typeof NpmCiStepSchema>;

export const NpmRunStepSchema = z.strictObject({
  step: z.literal('npmRun'),
  /** Script from package.json, e.g. `test`, `lint`, `build`. */
  script: matching(P.npmScript, 'script'),
  /** Extra arguments after `--`; each must be a safe token (they are written into the script). */
  args: z.array(matching(P.npmArg, 'argument')).optional(),
  /** JUnit XML pattern published in `post { always }` (e.g. `reports/junit/*.xml`). */
  junit: nonEmpty('junit').optional(),
  /** Other files archived in `post { always }` (Ant pattern, e.g. `coverage/**`). */
  archive: nonEmpty('archive').optional(),
  /** Package directory relative to the workspace (default the workspace root). */
  directory: matching(P.relativePath, 'directory').optional(),
  suppressions,
});
export type NpmRunStep = z.input<typeof NpmRunStepSchema>;

// ---------------------------------------------------------------------------------------------
// Scanners
// ---------------------------------------------------------------------------------------------

export const TrivyScanStepSchema = z
  .strictObject({
    step: z.literal('trivyScan'),
    /** `fs`: the repository (dependencies, secrets, IaC misconfig); `image`: the container image. */
    target: z.enum(['fs', 'image']),
    /** For `fs`: directory to scan, relative to the workspace (default `.`). */
    path: matching(P.relativePath, 'path').optional(),
    /** For `image`: the built image (default, scanned before push) or the pushed digest. */
    image: ImageSourceSchema.optional(),
    /** Scanners (default fs: vuln, secret, misconfig; image: vuln, secret). */
    scanners: z.array(z.enum(['vuln', 'secret', 'misconfig', 'license'])).min(1).optional(),
    /** Severities that fail the gate (default HIGH, CRITICAL; SCAN-003). */
    severity: z.array(TrivySeveritySchema).min(1).optional(),
    /** Exit code of the gate run when findings remain (default 1; 0 disables the gate, SCAN-002). */
    exitCode: z.number().int().min(0).max(255).optional(),
    /** Ignore vulnerabilities without a fix, with the reason (SCAN-004). */
    ignoreUnfixed: z.strictObject({ rationale }).optional(),
    /** `.trivyignore` in the repository (entries carry an expiry and a ticket, SCAN-004). */
    ignoreFile: matching(P.relativePath, 'ignoreFile').optional(),
    /** Vulnerability DB cache directory on the agent (default `/var/cache/trivy`, SCAN-008). */
    cacheDir: matching(P.path, 'cacheDir').optional(),
    /** Pinned Trivy version; the step fails if the agent's `trivy` differs (SCAN-008). */
    version: matching(P.toolVersion, 'version'),
    /** Scan timeout in minutes (default 15). */
    timeoutMinutes: minutes(120).optional(),
    /** Report base name under `reports/` (default `trivy-fs` / `trivy-image`): `.json` and `.sarif`. */
    reportName: matching(P.reportName, 'reportName').optional(),
    suppressions,
  })
  .refine((s) => s.target === 'fs' || s.path === undefined, { message: '`path` applies to fs scans only', path: ['path'] })
  .refine((s) => s.target === 'image' || s.image === undefined, {
    message: '`image` applies to image scans only',
    path: ['image'],
  });
export type TrivyScanStep = z.input<typeof TrivyScanStepSchema>;

export const SnykScanStepSchema = z
  .strictObject({
    step: z.literal('snykScan'),
    /** `test`: open-source dependencies (SCA); `container`: the container image. */
    mode: z.enum(['test', 'container']),
    /** For `container`: the built image (default) or the pushed digest. */
    image: ImageSourceSchema.optional(),
    /** For `container`: Dockerfile used for base-image advice (default `Dockerfile`). */
    dockerfile: matching(P.relativePath, 'dockerfile').optional(),
    /** Lowest severity that fails the build (default `high`). */
    severityThreshold: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    /** Only fail on issues that can be fixed this way (`--fail-on`); default: fail on all. */
    failOn: z.enum(['all', 'upgradable', 'patchable']).optional(),
    /** Jenkins secret-text credential with the Snyk API token, bound as `SNYK_TOKEN` (default `snyk-token`). */
    tokenCredentialId: nonEmpty('tokenCredentialId').optional(),
    /** Snyk organisation (`--org`). */
    org: matching(P.snykOrg, 'org').optional(),
    /** For `test`: scan every project in the repository (default true). */
    allProjects: z.boolean().optional(),
    /** After a passing test, upload a snapshot with `snyk monitor` (default false). */
    monitor: z.boolean().optional(),
    /** Pinned Snyk CLI version; the step fails if the agent's `snyk` differs (SCAN-008). */
    version: matching(P.toolVersion, 'version').optional(),
    /** Report base name under `reports/` (default `snyk-oss` / `snyk-container`). */
    reportName: matching(P.reportName, 'reportName').optional(),
    suppressions,
  })
  .refine((s) => s.mode === 'container' || (s.image === undefined && s.dockerfile === undefined), {
    message: '`image` and `dockerfile` apply to container scans only',
    path: ['mode'],
  })
  .refine((s) => s.mode === 'test' || s.allProjects === undefined, {
    message: '`allProjects` applies to `snyk test` only',
    path: ['allProjects'],
  });
export type SnykScanStep = z.input<typeof SnykScanStepSchema>;

export const SonarScanStepSchema = z.strictObject({
  step: z.literal('sonarScan'),
  /** SonarQube installation name configured in Jenkins, used for `withSonarQubeEnv` (SCAN-007). */
  installation: nonEmpty('installation'),
  /** SonarQube project key. */
  projectKey: matching(P.sonarProjectKey, 'projectKey'),
  /** Source directories, comma-separated (default `src`). */
  sources: matching(/^[A-Za-z0-9._/-]+(?:,[A-Za-z0-9._/-]+)*$/, 'sources').optional(),
  /** Test directories, comma-separated. */
  tests: matching(/^[A-Za-z0-9._/-]+(?:,[A-Za-z0-9._/-]+)*$/, 'tests').optional(),
  /** LCOV coverage report (`sonar.javascript.lcov.reportPaths`), e.g. `coverage/lcov.info`. */
  lcovReport: matching(P.relativePath, 'lcovReport').optional(),
  suppressions,
});
export type SonarScanStep = z.input<typeof SonarScanStepSchema>;

export const SonarQualityGateStepSchema = z.strictObject({
  step: z.literal('sonarQualityGate'),
  /**
   * Minutes to wait for SonarQube's webhook (default 15). The step is
   * `timeout { waitForQualityGate abortPipeline: true }`; put it in an `agent none` stage
   * (`qualityGateStage()` does) so no executor waits.
   */
  timeoutMinutes: minutes(120).optional(),
  suppressions,
});
export type SonarQualityGateStep = z.input<typeof SonarQualityGateStepSchema>;

// ---------------------------------------------------------------------------------------------
// Image
// ---------------------------------------------------------------------------------------------

export const DockerBuildStepSchema = z.strictObject({
  step: z.literal('dockerBuild'),
  /**
   * Repository name, e.g. `payments-api`. The image is tagged `<repository>:<commit sha>` only:
   * there is no tag option, so no `latest` and no mutable tag (ART-001).
   */
  repository: matching(P.ecrRepository, 'repository'),
  /** Dockerfile path (default `Dockerfile`). */
  dockerfile: matching(P.relativePath, 'dockerfile').optional(),
  /** Build context directory (default `.`). */
  context: matching(P.relativePath, 'context').optional(),
  /**
   * Non-secret build args (`--build-arg NAME`); values pass through the environment. Names that
   * look like secrets are refused by the policy engine (SECRET-004): use `secrets`.
   */
  buildArgs: dataRecord(matching(P.identifier, 'build-arg name'), z.string()).optional(),
  /**
   * BuildKit secrets from Jenkins file credentials: `--secret id=<id>,src=<file>`; mounted only
   * in `RUN --mount=type=secret,id=<id>` and never stored in the image.
   */
  secrets: z
    .array(
      z.strictObject({
        /** Secret id the Dockerfile mounts. */
        id: matching(P.dockerKey, 'secret id'),
        /** Jenkins file credential holding the secret. */
        credentialId: nonEmpty('credentialId'),
      }),
    )
    .optional(),
  /** Always pull the base image (`--pull`, default true, ART-003). */
  pull: z.boolean().optional(),
  /** Multi-stage target. */
  target: matching(P.dockerKey, 'target').optional(),
  /** Target platform (default: the agent's). */
  platform: z.enum(['linux/amd64', 'linux/arm64']).optional(),
  /** Value of `org.opencontainers.image.version` (default: the commit SHA). */
  version: z.string().min(1).optional(),
  /**
   * Extra labels. The OCI labels revision, source, created and version are always set (ART-006);
   * keys are checked, values pass through the environment.
   */
  labels: dataRecord(matching(/^[a-z0-9][a-z0-9._-]*(?:\.[a-z0-9][a-z0-9._-]*)*$/, 'label key'), z.string()).optional(),
  suppressions,
});
export type DockerBuildStep = z.input<typeof DockerBuildStepSchema>;

export const EcrPushStepSchema = z.strictObject({
  step: z.literal('ecrPush'),
  /** ECR repository; must be the `dockerBuild` repository (the local image `image-local.txt` is pushed). */
  repository: matching(P.ecrRepository, 'repository'),
  /** The registry: `<accountId>.dkr.ecr.<region>.amazonaws.com`. */
  registry: z.strictObject({
    /** Account that owns the registry (may be a shared tooling account). */
    accountId: matching(P.awsAccountId, 'accountId'),
    /** Region of the registry. */
    region: matching(P.awsRegion, 'region'),
  }),
  /** Push role (IAM-003: not the deploy role). */
  aws: AwsRoleSchema,
  /** Stash name for `image-ref.txt` (default `image-ref`); deploy steps unstash it. */
  stash: matching(P.token, 'stash').optional(),
  suppressions,
});
export type EcrPushStep = z.input<typeof EcrPushStepSchema>;

export const SbomStepSchema = z.strictObject({
  step: z.literal('sbom'),
  /** Generator (default `syft`). */
  tool: z.enum(['syft', 'trivy']).optional(),
  /** Formats (default `['cyclonedx']`): `reports/sbom.cdx.json`, `reports/sbom.spdx.json` (ART-004). */
  formats: z.array(z.enum(['cyclonedx', 'spdx-json'])).min(1).optional(),
  /** Image to describe (default `pushed`: the digest that ships). */
  image: ImageSourceSchema.optional(),
  suppressions,
});
export type SbomStep = z.input<typeof SbomStepSchema>;

export const CosignSignStepSchema = z.strictObject({
  step: z.literal('cosignSign'),
  /** KMS key reference, e.g. `awskms:///alias/ci-cosign` (ART-005). */
  key: matching(P.kmsKeyRef, 'key'),
  /** Role with `kms:Sign` on the key (and ECR push for the signature). */
  aws: AwsRoleSchema,
  /** Attest these SBOMs produced by an earlier `sbom` step (default: none). */
  attest: z.array(z.enum(['cyclonedx', 'spdx-json'])).optional(),
  /**
   * Separate repository for signatures (`COSIGN_REPOSITORY`), for IMMUTABLE ECR repositories
   * where `sha256-*.sig` tags cannot be rewritten.
   */
  signatureRepository: matching(/^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+$/, 'signatureRepository').optional(),
  /** Do not upload to the public transparency log, with the reason (a recorded risk decision). */
  skipTlogUpload: z.strictObject({ rationale }).optional(),
  suppressions,
});
export type CosignSignStep = z.input<typeof CosignSignStepSchema>;

// ---------------------------------------------------------------------------------------------
// Deploy
// ---------------------------------------------------------------------------------------------

const deployCommon = {
  /** Environment name (a `DeliveryEnvironment.name`); names the lock and the evidence file. */
  environment: matching(P.environmentName, 'environment'),
  /** Deploy role in the environment's account (IAM-002). */
  aws: AwsRoleSchema,
  /** Stash holding `image-ref.txt` (default `image-ref`). */
  imageStash: matching(P.token, 'imageStash').optional(),
};

/**
 * The deploy role's session must outlive the Jenkins timeout around the deploy (rollout timeout
 * plus 10 minutes) with a margin, or a rollback would run with expired credentials. When
 * `durationSeconds` is left out the lowering picks such a duration itself.
 */
function sessionOutlivesDeploy(durationSeconds: number | undefined, rolloutMinutes: number): boolean {
  return durationSeconds === undefined || durationSeconds >= (rolloutMinutes + 15) * 60;
}

export const EcsDeployStepSchema = z
  .strictObject({
    step: z.literal('ecsDeploy'),
    ...deployCommon,
    /** ECS cluster. */
    cluster: matching(P.resourceName, 'cluster'),
    /** ECS service. */
    service: matching(P.resourceName, 'service'),
    /** Container whose image is replaced by the promoted digest. */
    container: matching(P.resourceName, 'container'),
    /**
     * Task-definition template in the repository (DEPLOY-004); required for `engine: 'aws-cli'`.
     * The `pipewright` engine renders from the service's current task definition instead.
     */
    taskDefinition: matching(P.relativePath, 'taskDefinition').optional(),
    /**
     * `aws-cli` (default): the shell recipe of policy-catalog §2.6, visible in the Jenkinsfile,
     * needing only `aws` and `jq`, rendering from the versioned template. `pipewright`: calls
     * `pipewright ecs-deploy` (SDK-based, retries and progress; needs pipewright on the agent).
     */
    engine: z.enum(['aws-cli', 'pipewright']).optional(),
    /** Minutes to wait for the rollout (default 20, at most 30, DEPLOY-002). */
    timeoutMinutes: minutes(30).optional(),
    /**
     * Smoke test run after a COMPLETED rollout, e.g. `./scripts/smoke.sh`; a failure rolls back.
     * It is the pipeline author's own shell command, passed through the environment and run with
     * `bash -c`, with `IMAGE_REF`, `DEPLOY_ENV`, `ECS_CLUSTER`, `ECS_SERVICE` set.
     */
    smokeTest: z.string().min(1).regex(NOT_AN_OPTION, notAnOptionMessage('smokeTest')).optional(),
    /** Verify the cosign signature of the digest before registering a task definition (ART-005). */
    verifySignature: z.strictObject({ key: matching(P.kmsKeyRef, 'key') }).optional(),
    /**
     * CloudWatch alarms of the environment. The update sets the service's
     * `deploymentConfiguration.alarms` to `{ alarmNames, enable: true, rollback: true }` next to the
     * circuit breaker: ECS rolls back by itself when one enters ALARM during the rollout.
     * `preflight` checks that they exist.
     */
    alarms: CloudWatchAlarmNamesSchema.optional(),
    /**
     * Watch alarms for a while after the rollout (`bake.alarms`, default `alarms`); one in ALARM
     * rolls the service back to the previous task definition, fails the stage and is recorded in
     * the evidence. The Jenkins timeout around the deploy grows by `bake.minutes`.
     */
    bake: BakeSchema.optional(),
    /**
     * Cost-allocation tags (`service`, `team`, `environment`, `cost-center`, ...) put on the
     * registered task definition (`register-task-definition --tags`) and on the service
     * (`ecs tag-resource`, since `update-service` cannot tag), with `propagateTags: TASK_DEFINITION`
     * so the tasks carry them too. COST-001 requires them in production.
     */
    tags: CostTagsSchema.optional(),
    suppressions,
  })
  .refine((s) => s.bake === undefined || s.bake.alarms !== undefined || s.alarms !== undefined, {
    message: 'a bake watches alarms: set `alarms` on the step or `bake.alarms`',
    path: ['bake'],
  })
  .refine((s) => (s.timeoutMinutes ?? 20) + (s.bake?.minutes ?? 0) <= 35, {
    message: 'timeoutMinutes plus bake.minutes must be at most 35: the deploy role session (at most 1 hour) must outlast the rollout, the bake and a rollback',
    path: ['bake', 'minutes'],
  })
  .refine((s) => s.engine === 'pipewright' || s.taskDefinition !== undefined, {
    message: 'the aws-cli engine renders the task definition from a template in the repository: set `taskDefinition`',
    path: ['taskDefinition'],
  })
  .refine((s) => s.engine !== 'pipewright' || s.taskDefinition === undefined, {
    message: 'the pipewright engine renders from the current task definition; `taskDefinition` is for the aws-cli engine',
    path: ['taskDefinition'],
  })
  .refine((s) => sessionOutlivesDeploy(s.aws.durationSeconds, (s.timeoutMinutes ?? 20) + (s.bake?.minutes ?? 0)), {
    message: 'aws.durationSeconds must cover the rollout timeout and the bake plus 15 minutes (rollback and smoke test), or be left out',
    path: ['aws', 'durationSeconds'],
  });
export type EcsDeployStep = z.input<typeof EcsDeployStepSchema>;

export const EksDeployStepSchema = z
  .strictObject({
  step: z.literal('eksDeploy'),
  ...deployCommon,
  /** EKS cluster (kubeconfig from `aws eks update-kubeconfig` into a temporary file). */
  cluster: matching(P.resourceName, 'cluster'),
  /** Namespace. */
  namespace: matching(P.resourceName, 'namespace'),
  /** How to roll out. */
  method: EksMethodSchema,
  /** Minutes to wait for the rollout (default 10). */
  timeoutMinutes: minutes(30).optional(),
  /**
   * Verify the cosign signature of the digest with the deploy role before anything changes in the
   * cluster (ART-005).
   */
  verifySignature: z.strictObject({ key: matching(P.kmsKeyRef, 'key') }).optional(),
  suppressions,
})
  .refine((s) => sessionOutlivesDeploy(s.aws.durationSeconds, s.timeoutMinutes ?? 10), {
    message: 'aws.durationSeconds must cover the rollout timeout plus 15 minutes, or be left out',
    path: ['aws', 'durationSeconds'],
  });
export type EksDeployStep = z.input<typeof EksDeployStepSchema>;

export const GitopsBumpStepSchema = z
  .strictObject({
    step: z.literal('gitopsBump'),
    /** Environment name (lock, commit message, evidence). */
    environment: matching(P.environmentName, 'environment'),
    /** Manifests repository (https or ssh). */
    repository: matching(P.gitUrl, 'repository'),
    /** Branch ArgoCD/Flux watches (default `main`). */
    branch: matching(P.gitBranch, 'branch').optional(),
    /** File to edit, relative to the manifests repository root. */
    file: matching(P.relativePath, 'file'),
    /** How to write the digest. */
    editor: GitopsEditorSchema,
    /** Push credentials. */
    auth: GitopsAuthSchema,
    /** Commit author name (default `pipewright`). */
    authorName: z.string().min(1).optional(),
    /** Commit author e-mail (default `pipewright@jenkins.invalid`). */
    authorEmail: z.string().regex(/^[^\s@]+@[^\s@]+$/).optional(),
    /** Stash holding `image-ref.txt` (default `image-ref`). */
    imageStash: matching(P.token, 'imageStash').optional(),
    /**
     * Verify the cosign signature of the digest before the bump is committed (ART-005). cosign reads
     * the KMS public key and the signature from ECR, so it needs `aws`.
     */
    verifySignature: z.strictObject({ key: matching(P.kmsKeyRef, 'key') }).optional(),
    /**
     * Role for the signature verification only (the environment's read-only deploy role in its own
     * account, IAM-002); git never runs with it. Required with `verifySignature`.
     */
    aws: AwsRoleSchema.optional(),
    suppressions,
  })
  .refine((s) => (s.auth.kind === 'https') === s.repository.startsWith('https://'), {
    message: '`auth.kind` must match the repository URL scheme',
    path: ['auth'],
  })
  .refine((s) => (s.verifySignature === undefined) === (s.aws === undefined), {
    message: '`aws` is the role that verifies the signature: set both `verifySignature` and `aws`, or neither',
    path: ['aws'],
  });
export type GitopsBumpStep = z.input<typeof GitopsBumpStepSchema>;

export const TrafficShiftStepSchema = z.strictObject({
  step: z.literal('trafficShift'),
  /** Environment name (lock, evidence). */
  environment: matching(P.environmentName, 'environment'),
  /** Role allowed to change the listener or the records. */
  aws: AwsRoleSchema,
  /** What to change. Put the step behind an approval (DEPLOY-007). */
  change: z.discriminatedUnion('kind', [
    z.strictObject({
      /** Forward weights of an ALB listener's default action. */
      kind: z.literal('alb'),
      /** Listener ARN. */
      listenerArn: matching(P.listenerArn, 'listenerArn'),
      /** Target groups and weights (0–999), at least two. */
      weights: z
        .array(z.strictObject({ targetGroupArn: matching(P.targetGroupArn, 'targetGroupArn'), weight: z.number().int().min(0).max(999) }))
        .min(2),
    }),
    z.strictObject({
      /** Weights of existing Route 53 weighted records (only `Weight` changes). */
      kind: z.literal('route53'),
      /** Hosted zone id. */
      hostedZoneId: matching(P.hostedZoneId, 'hostedZoneId'),
      /** Record name, e.g. `api.example.com.`. */
      recordName: matching(P.dnsName, 'recordName'),
      /** Record type. */
      recordType: z.enum(['A', 'AAAA', 'CNAME']),
      /** Set identifiers and their new weights (0–255). */
      weights: z
        .array(z.strictObject({ setIdentifier: matching(P.setIdentifier, 'setIdentifier'), weight: z.number().int().min(0).max(255) }))
        .min(1),
    }),
  ]),
  suppressions,
});
export type TrafficShiftStep = z.input<typeof TrafficShiftStepSchema>;

export const S3PublishStepSchema = z.strictObject({
  step: z.literal('s3Publish'),
  /** Environment name (lock, evidence). */
  environment: matching(P.environmentName, 'environment'),
  /** Publisher role in the environment's account. */
  aws: AwsRoleSchema,
  /** Directory to upload, relative to the workspace (default `dist`). */
  source: matching(P.relativePath, 'source').optional(),
  /** Bucket. */
  bucket: matching(P.s3Bucket, 'bucket'),
  /** Key prefix (default none). */
  prefix: matching(/^[A-Za-z0-9._/-]+$/, 'prefix').optional(),
  /** Stash to restore first (e.g. `web-dist`). */
  stash: matching(P.token, 'stash').optional(),
  /** CloudFront distribution to invalidate, waiting for the invalidation to complete. */
  cloudFrontDistributionId: matching(P.cloudFrontDistribution, 'cloudFrontDistributionId').optional(),
  suppressions,
});
export type S3PublishStep = z.input<typeof S3PublishStepSchema>;

// ---------------------------------------------------------------------------------------------
// Feature flags
// ---------------------------------------------------------------------------------------------

/**
 * Flags in AWS AppConfig: a configuration version of a (feature-flag) configuration profile,
 * deployed to an AppConfig environment with a deployment strategy. Ids, as the AppConfig API takes
 * them (`aws appconfig list-applications` shows them).
 */
export const AppConfigFlagsSchema = z.strictObject({
  provider: z.literal('appconfig'),
  /** AppConfig application id. */
  application: matching(P.appConfigId, 'application'),
  /** AppConfig environment id (its alarms are the monitors that roll a bad flag change back). */
  environment: matching(P.appConfigId, 'environment'),
  /** Configuration profile id (type `AWS.AppConfig.FeatureFlags` or freeform). */
  configurationProfile: matching(P.appConfigId, 'configurationProfile'),
  /** Configuration version to deploy (hosted configuration version number, e.g. `7`). */
  version: matching(P.appConfigVersion, 'version'),
  /**
   * Deployment strategy id: linear (`AppConfig.Linear50PercentEvery30Seconds`,
   * `AppConfig.Linear20PercentEvery6Minutes`), canary (`AppConfig.Canary10Percent20Minutes`),
   * `AppConfig.AllAtOnce`, or an own strategy's id.
   */
  strategy: matching(P.appConfigStrategy, 'strategy'),
});
export type AppConfigFlags = z.input<typeof AppConfigFlagsSchema>;

/** Where flags live, by `provider` (AppConfig today; room for LaunchDarkly or Unleash). */
export const FeatureFlagSourceSchema = z.discriminatedUnion('provider', [AppConfigFlagsSchema]);
export type FeatureFlagSource = z.input<typeof FeatureFlagSourceSchema>;

export const FeatureFlagDeployStepSchema = z
  .strictObject({
    step: z.literal('featureFlagDeploy'),
    /** Delivery environment (a `DeliveryEnvironment.name`): policy, evidence file name. */
    environment: matching(P.environmentName, 'environment'),
    /** Role in the environment's account allowed to deploy the configuration (IAM-002). */
    aws: AwsRoleSchema,
    /** The flags and how they roll out. */
    flags: FeatureFlagSourceSchema,
    /**
     * Minutes to wait for the deployment to reach COMPLETE, bake time included (default 30, at
     * most 50 so that one AWS session covers the wait and the stop). Past it the deployment is
     * stopped (rolled back) and the step fails.
     */
    timeoutMinutes: minutes(50).optional(),
    suppressions,
  })
  .refine((s) => s.aws.durationSeconds === undefined || s.aws.durationSeconds >= ((s.timeoutMinutes ?? 30) + 10) * 60, {
    message: 'aws.durationSeconds must cover the flag timeout plus 10 minutes (stop and evidence), or be left out',
    path: ['aws', 'durationSeconds'],
  });
/**
 * A production change by configuration: starts a deployment of a flag configuration version,
 * follows it until COMPLETE, stops it (AppConfig rolls back) on timeout or abort, fails when
 * AppConfig rolls it back (an environment alarm fired), and writes evidence like a deploy.
 */
export type FeatureFlagDeployStep = z.input<typeof FeatureFlagDeployStepSchema>;

// ---------------------------------------------------------------------------------------------
// Audit evidence
// ---------------------------------------------------------------------------------------------

export const EvidenceExportStepSchema = z.strictObject({
  step: z.literal('evidenceExport'),
  /**
   * The audit archive: an S3 bucket created with Object Lock enabled (versioned). Every object is
   * written with its own COMPLIANCE-mode retention, so nobody (root included) can delete or
   * overwrite it before the date (AUDIT-002).
   */
  bucket: matching(P.s3Bucket, 'bucket'),
  /** Key prefix (default none). Keys are `<prefix>/<JOB_NAME>/<BUILD_NUMBER>[/<environment>]/<path>`. */
  prefix: matching(/^[A-Za-z0-9._/-]+$/, 'prefix').optional(),
  /**
   * Role that may write to the archive (`s3:PutObject`, `s3:PutObjectRetention` under the prefix,
   * nothing else), usually in a separate audit account.
   */
  aws: AwsRoleSchema,
  /** Environment whose deploy evidence is exported: a key component and the receipt's name. */
  environment: matching(P.environmentName, 'environment').optional(),
  /** Workspace files or directories to export (default `['evidence', 'reports']`). */
  paths: z.array(matching(P.relativePath, 'path')).min(1).optional(),
  /** Stashes to restore first, e.g. the scan reports of the build stages (the presets' `reports-*`). */
  stashes: z.array(matching(P.token, 'stash')).optional(),
  /**
   * Days each object is locked, from the upload (default 400, about 13 months: PCI DSS 10.5.1 asks
   * for twelve, the policy catalog for at least thirteen; AUDIT-002 checks the minimum).
   */
  retainDays: z.number().int().min(1).max(3650).optional(),
  suppressions,
});
/**
 * Copies this run's audit evidence out of Jenkins, into an S3 bucket with Object Lock, where
 * Jenkins' build discarder cannot reach it (AUDIT-002). Put it in the `post { cleanup { } }` of a
 * deploy stage (the presets do), so it runs last and whatever the result, after the deploy's own
 * post steps (safety-net rollback record included).
 */
export type EvidenceExportStep = z.input<typeof EvidenceExportStepSchema>;

// ---------------------------------------------------------------------------------------------
// Approvals and notifications
// ---------------------------------------------------------------------------------------------

export const ApprovalCheckStepSchema = z.strictObject({
  step: z.literal('approvalCheck'),
  /** Environment being approved. */
  environment: matching(P.environmentName, 'environment'),
  /** Variable set by the input's `submitterParameter` (default `APPROVER`). */
  approverVariable: matching(P.identifier, 'approverVariable').optional(),
  /** Regular expression the `CHANGE_ID` parameter must match (default `^[A-Z][A-Z0-9]+-[0-9]+$`). */
  changeIdPattern: z.string().min(1).optional(),
  /** Refuse an approver who started the build (default true, FLOW-003). */
  forbidSelfApproval: z.boolean().optional(),
  suppressions,
});
/**
 * Runs after an approval (`approvalStage()` adds it): checks separation of duties and the change
 * ticket at run time, then records approver and ticket in `env.DEPLOY_APPROVER`,
 * `env.DEPLOY_CHANGE_ID` and the build description for later deploy evidence.
 */
export type ApprovalCheckStep = z.input<typeof ApprovalCheckStepSchema>;

/** Events a notification reports. */
export const NotifyEventSchema = z.enum(['failure', 'fixed', 'approval', 'deployed', 'rolled-back']);
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;

export const NotifyTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('slack'),
    /** Channel, e.g. `#payments-deploys`. */
    channel: matching(P.slackChannel, 'channel'),
    /** Jenkins secret-text credential with the bot token (`slackSend tokenCredentialId`). */
    tokenCredentialId: nonEmpty('tokenCredentialId'),
    /** Slack workspace (`teamDomain`), when the global configuration does not set it. */
    teamDomain: matching(/^[a-z0-9-]+$/, 'teamDomain').optional(),
  }),
  z.strictObject({
    kind: z.literal('teams'),
    /**
     * Jenkins secret-text credential holding the Teams Workflows webhook URL; bound with
     * `withCredentials` because `office365ConnectorSend` takes only a plain URL (NOTIFY-001).
     */
    webhookCredentialId: nonEmpty('webhookCredentialId'),
  }),
  z.strictObject({
    kind: z.literal('sns'),
    /**
     * Topic to publish to (`snsPublish` inside `withAWS`, pipeline-aws plugin). One topic per
     * environment, in the environment's account (IAM-002); subscribers (e-mail, chat bots,
     * paging) are configured on the topic.
     */
    topicArn: matching(P.snsTopicArn, 'topicArn'),
    /**
     * Role allowed to `sns:Publish` to the topic (name or ARN); it is assumed in the topic's account
     * and region, both read from `topicArn`.
     */
    role: matching(P.iamRole, 'role'),
  }),
  z.strictObject({
    kind: z.literal('email'),
    /**
     * Recipients (`emailext to:`, Email Extension plugin): distribution lists rather than people,
     * so a change of team does not need a pipeline change.
     */
    to: z.array(matching(P.emailAddress, 'to')).min(1),
  }),
]);
export type NotifyTarget = z.input<typeof NotifyTargetSchema>;

export const NotifyStepSchema = z.strictObject({
  step: z.literal('notify'),
  /** What happened; picks the wording and colour. */
  event: NotifyEventSchema,
  /** Where to send it. */
  targets: z.array(NotifyTargetSchema).min(1),
  /** Service named in the message (default the job name). */
  service: z.string().min(1).optional(),
  /** Environment named in the message. */
  environment: matching(P.environmentName, 'environment').optional(),
  suppressions,
});
/**
 * Sends one message now, to every target (Slack, Teams, SNS, e-mail). The message carries service,
 * environment, image digest (`env.IMAGE_REF`, set after `ecrPush`), approver and change ticket
 * when known (`env.PW_NOTIFY_APPROVAL`, set by `approvalCheck`), and the build link.
 */
export type NotifyStep = z.input<typeof NotifyStepSchema>;

// ---------------------------------------------------------------------------------------------
// The union
// ---------------------------------------------------------------------------------------------

/** Every delivery step schema, for the `StepSchema` discriminated union in `schema.ts`. */
export const DELIVERY_STEP_SCHEMAS = [
  NpmCiStepSchema,
  NpmRunStepSchema,
  TrivyScanStepSchema,
  SnykScanStepSchema,
  SonarScanStepSchema,
  SonarQualityGateStepSchema,
  DockerBuildStepSchema,
  EcrPushStepSchema,
  SbomStepSchema,
  CosignSignStepSchema,
  EcsDeployStepSchema,
  EksDeployStepSchema,
  GitopsBumpStepSchema,
  TrafficShiftStepSchema,
  S3PublishStepSchema,
  EvidenceExportStepSchema,
  ApprovalCheckStepSchema,
  NotifyStepSchema,
  FeatureFlagDeployStepSchema,
] as const;

/** A typed delivery step. */
export type DeliveryStep =
  | NpmCiStep
  | NpmRunStep
  | TrivyScanStep
  | SnykScanStep
  | SonarScanStep
  | SonarQualityGateStep
  | DockerBuildStep
  | EcrPushStep
  | SbomStep
  | CosignSignStep
  | EcsDeployStep
  | EksDeployStep
  | GitopsBumpStep
  | TrafficShiftStep
  | S3PublishStep
  | EvidenceExportStep
  | ApprovalCheckStep
  | NotifyStep
  | FeatureFlagDeployStep;

export type DeliveryStepKind = DeliveryStep['step'];
