/**
 * `ecs-deploy`: a verified, reversible ECS (Fargate) rolling release of one image digest.
 *
 * Describe the service → describe its task definition → register a new revision with only the
 * image changed → UpdateService with the deployment circuit breaker (rollback on) → follow the
 * deployment until the PRIMARY deployment is the new revision with rolloutState COMPLETED. On
 * FAILED, timeout, abort or an ECS circuit-breaker rollback, make sure the service is back on the
 * previous revision (explicit UpdateService unless ECS already rolled back) and wait for it.
 * Every run yields an evidence record (policy DEPLOY-001..004, AUDIT-001); see docs/ecs-deploy.md.
 *
 * Optional: CloudWatch `alarms` (checked to exist first, then set as the service's
 * `deploymentConfiguration.alarms` with rollback), a `bake` after the rollout (DescribeAlarms until
 * it ends; an alarm in ALARM rolls back explicitly), cost-allocation `tags` (on the new revision, on
 * the service through TagResource, `propagateTags: TASK_DEFINITION`), and a `deadline` the rollback
 * is followed to (instead of a fixed bound like the 10 minutes of `aws ecs wait services-stable`).
 */
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type ContainerDefinition,
  type Deployment,
  type DeploymentConfiguration,
  type ECSClientConfig,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type ServiceEvent,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { lintTaskDefinition } from '../policy/taskdef-lint.ts';

/** Default time between DescribeServices polls (the same as `aws ecs wait services-stable`). */
export const DEFAULT_POLL_INTERVAL_MS = 15_000;
/** Default bound on the rollout (DEPLOY-002 wants ≤ 30 min). */
export const DEFAULT_TIMEOUT_MS = 15 * 60_000;
/** Default bound on waiting for the previous revision after a failed rollout. */
export const DEFAULT_ROLLBACK_TIMEOUT_MS = 10 * 60_000;
/** SDK attempts per call (1 try + 5 retries, standard retry mode with exponential backoff). */
export const DEFAULT_MAX_ATTEMPTS = 6;
/**
 * Bound on one HTTP attempt (request sent to response read). ECS control-plane calls answer in
 * well under a second; an endpoint that accepts the connection and never answers must not hold
 * the release (the SDK default is no bound at all).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** Bound on opening the TCP/TLS connection of one attempt. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
/**
 * After SIGTERM/SIGINT (Jenkins abort), how long the rollback may take before the run stops and
 * writes its final evidence: a rollback is started, not necessarily seen to completion.
 */
export const DEFAULT_ABORT_GRACE_MS = 30_000;

/**
 * Task-definition fields DescribeTaskDefinition returns that RegisterTaskDefinition does not
 * accept. The type check below fails if an SDK upgrade adds or removes one.
 */
export const READ_ONLY_TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const satisfies ReadonlyArray<keyof TaskDefinition>;

type ReadOnlyField = (typeof READ_ONLY_TASK_DEFINITION_FIELDS)[number];
type NotRegistrable = Exclude<keyof TaskDefinition, keyof RegisterTaskDefinitionCommandInput>;
const readOnlyFieldListIsExact: [Exclude<NotRegistrable, ReadOnlyField>, Exclude<ReadOnlyField, NotRegistrable>] extends [
  never,
  never,
]
  ? true
  : never = true;
void readOnlyFieldListIsExact;

/** Options of one release. */
export interface EcsDeployOptions {
  /** Cluster name or ARN. */
  cluster: string;
  /** Service name or ARN. */
  service: string;
  /** Image to release, by digest: `REPO@sha256:<64 hex>` (ART-002). */
  image: string;
  /** Container whose image is replaced; may be omitted when the task definition has one container. */
  container?: string;
  /** Bound on the rollout; default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Time between polls; default {@link DEFAULT_POLL_INTERVAL_MS}. */
  pollIntervalMs?: number;
  /** Bound on waiting for the previous revision after a failure; default {@link DEFAULT_ROLLBACK_TIMEOUT_MS}. */
  rollbackTimeoutMs?: number;
  /**
   * Where to write the evidence JSON (written at start, after UpdateService and at the end),
   * relative to {@link EcsDeployOptions.workingDirectory}. Checked before any AWS call (see
   * {@link checkEvidencePath}).
   */
  evidenceFile?: string;
  /** Resolves a relative `evidenceFile`; missing evidence directories are created only inside it. Default `process.cwd()`. */
  workingDirectory?: string;
  /** AWS region; default from the provider chain (AWS_REGION, profile, ...). Only used without `deps.client`. */
  region?: string;
  /** Environment for the build fields of the evidence (BUILD_URL, JOB_NAME, BUILD_NUMBER, GIT_COMMIT); default `process.env`. */
  env?: Record<string, string | undefined>;
  /**
   * Aborting (Jenkins abort → SIGTERM) cancels the AWS call in flight and rolls back within
   * {@link EcsDeployOptions.abortGraceMs}. The abort reason, when an Error or a string, is quoted
   * in the evidence (`received SIGTERM`).
   */
  signal?: AbortSignal;
  /** Bound on the rollback once `signal` has fired; default {@link DEFAULT_ABORT_GRACE_MS}. */
  abortGraceMs?: number;
  /**
   * The release deadline (epoch milliseconds), e.g. the end of the Jenkins timeout around the
   * deploy: a rollback is followed until then, however long ECS takes, instead of for
   * `rollbackTimeoutMs`. Must lie after the rollout timeout (and the bake).
   */
  deadline?: number;
  /**
   * CloudWatch alarm names: checked to exist before anything changes, then set as the service's
   * `deploymentConfiguration.alarms` `{ alarmNames, enable: true, rollback: true }` next to the
   * circuit breaker, so ECS rolls back when one enters ALARM during the rollout.
   */
  alarms?: string[];
  /**
   * After a COMPLETED rollout, watch `alarms` (default: {@link EcsDeployOptions.alarms}) for
   * `durationMs` with DescribeAlarms every poll interval; the first one in ALARM rolls the service
   * back to the previous revision (outcome `rolled-back`, `bake.result: 'alarm'` in the evidence).
   */
  bake?: { durationMs: number; alarms?: string[] };
  /**
   * Cost-allocation tags (`service`, `team`, `environment`, `cost-center`, ...): added to the new
   * revision's tags, put on the service with TagResource (UpdateService cannot tag) and propagated
   * to its tasks from the task definition (`propagateTags: TASK_DEFINITION`).
   */
  tags?: Record<string, string>;
}

/** Injection points; all optional. */
export interface EcsDeployDeps {
  /** ECS client; default {@link createEcsClient}`({ region })`. Not destroyed by `ecsDeploy` when given. */
  client?: ECSClient;
  /**
   * CloudWatch client for the alarm checks and the bake; default {@link createCloudWatchClient}
   * `({ region })`, created only when alarms are set. Not destroyed by `ecsDeploy` when given.
   */
  cloudWatch?: CloudWatchClient;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Progress output, one line per call; default stdout. */
  log?: (line: string) => void;
}

/**
 * How a release ended. `aborted`: stopped by `signal` after UpdateService; the rollback to the
 * previous revision was started (see `rollback`) but not seen COMPLETED within the abort grace.
 */
export type EcsDeployOutcome = 'success' | 'rolled-back' | 'rollback-failed' | 'failed-before-update' | 'aborted';

/** The deploy record (AUDIT-001). Unknown values are `null`. */
export interface EcsDeployEvidence {
  schemaVersion: 1;
  tool: 'pipewright ecs-deploy';
  cluster: string;
  service: string;
  /** Container whose image was replaced. */
  container: string | null;
  /** AWS account, from the cluster (or service) ARN. */
  account: string | null;
  region: string | null;
  previousTaskDefinitionArn: string | null;
  newTaskDefinitionArn: string | null;
  /** Full image reference `REPO@sha256:…`. */
  image: string;
  /** `sha256:…`. */
  imageDigest: string | null;
  /** ECS deployment id started by UpdateService. */
  deploymentId: string | null;
  /** ISO-8601 UTC. */
  startedAt: string;
  finishedAt: string | null;
  /** `in-progress` only in the copies written before the end (a killed run leaves that behind). */
  outcome: EcsDeployOutcome | 'in-progress';
  reason: string;
  /** How the service got back to the previous revision, when it had to. */
  rollback: {
    initiatedBy: 'ecs-circuit-breaker' | 'ecs-deploy';
    deploymentId: string | null;
    taskDefinitionArn: string;
    completed: boolean;
  } | null;
  /** The service's task definition at the last observation. */
  finalTaskDefinitionArn: string | null;
  /** CloudWatch alarms set on the deployment (`deploymentConfiguration.alarms`); empty when none. */
  alarms: string[];
  /** Cost-allocation tags put on the revision and the service; empty when none. */
  tags: Record<string, string>;
  /** The bake after the rollout, when one was asked for. */
  bake: {
    durationMs: number;
    alarms: string[];
    /** `not-run` until the rollout completed; `alarm` when one fired (then the service was rolled back). */
    result: 'not-run' | 'watching' | 'passed' | 'alarm' | 'interrupted';
    /** The alarm found in ALARM. */
    alarm: string | null;
    startedAt: string | null;
    finishedAt: string | null;
  } | null;
  buildUrl: string | null;
  job: string | null;
  build: string | null;
  gitCommit: string | null;
}

/** Result of {@link ecsDeploy}. */
export interface EcsDeployResult {
  outcome: EcsDeployOutcome;
  /** True only for `success`. */
  ok: boolean;
  /** One line, for humans. */
  reason: string;
  evidence: EcsDeployEvidence & { outcome: EcsDeployOutcome };
  /** Set when the evidence file could not be written (the release itself may have succeeded). */
  evidenceWriteError?: string;
}

/** Invalid options (for example an image by tag). Thrown before any AWS call. */
export class EcsDeployUsageError extends Error {
  override name = 'EcsDeployUsageError';
}

/** A problem that ends the release with a clear reason (not an SDK error). */
class ReleaseError extends Error {
  override name = 'ReleaseError';
}

const DIGEST_IMAGE = /^(?<repository>[^\s@]+)@(?<digest>sha256:[0-9a-f]{64})$/;
/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`. */
const ECR_REGISTRY = /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?$/;
/** ECR's repository-name pattern (CreateRepository `repositoryName`), 2–256 characters. */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** Path of a non-ECR registry (OCI distribution spec: `_`, `__` or runs of `-` also separate). */
const OCI_REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** A DNS host name, optionally with a port. */
const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?$/;

/**
 * Splits and checks `[REGISTRY/]REPOSITORY@sha256:<64 hex>`. Throws {@link EcsDeployUsageError}
 * for tags, tag+digest, malformed digests (releases go by digest, ART-002: tags can be moved),
 * and for a registry or repository name no registry would accept, so that nothing but an image
 * reference reaches the task definition. An ECR registry must be
 * `<12-digit account>.dkr.ecr.<region>.amazonaws.com` and its repository must follow ECR's
 * repository-name rules (2–256 characters,
 * `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`); other registries (a host
 * with a dot or a port, or `localhost`; none means Docker Hub) follow the OCI distribution rules.
 */
export function parseDigestImageRef(image: string): { repository: string; digest: string } {
  const match = DIGEST_IMAGE.exec(image);
  if (!match?.groups) {
    throw new EcsDeployUsageError(
      `image must be REPO@sha256:<64 lowercase hex> (deploy by digest, not by tag); got "${image}"`,
    );
  }
  const repository = match.groups.repository as string;
  const lastSegment = repository.slice(repository.lastIndexOf('/') + 1);
  if (lastSegment.includes(':')) {
    throw new EcsDeployUsageError(
      `image must not carry a tag next to the digest (the tag is ignored and misleads reviewers); got "${image}"`,
    );
  }
  const slash = repository.indexOf('/');
  const first = slash < 0 ? '' : repository.slice(0, slash);
  // The Docker rule: the first component is a registry host when it has a dot or a port, or is localhost.
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = hasHost ? first : undefined;
  const path = hasHost ? repository.slice(slash + 1) : repository;
  const looksLikeEcr = host !== undefined && /\.dkr\.ecr|amazonaws\.com/i.test(host);
  if (looksLikeEcr && !ECR_REGISTRY.test(host)) {
    throw new EcsDeployUsageError(
      `image registry "${host}" is not an ECR registry host (<12-digit account>.dkr.ecr.<region>.amazonaws.com); got "${image}"`,
    );
  }
  if (host !== undefined && !looksLikeEcr && !REGISTRY_HOST.test(host)) {
    throw new EcsDeployUsageError(`image registry "${host}" is not a host name (with an optional port); got "${image}"`);
  }
  if (looksLikeEcr) {
    if (path.length < 2 || path.length > 256 || !ECR_REPOSITORY.test(path)) {
      throw new EcsDeployUsageError(
        `image repository "${path}" is not a valid ECR repository name (2-256 characters: lowercase letters and digits, ` +
          `separated by single ".", "_" or "-", in "/"-separated parts); got "${image}"`,
      );
    }
  } else if (path.length < 1 || path.length > 256 || !OCI_REPOSITORY.test(path)) {
    throw new EcsDeployUsageError(
      `image repository "${path}" is not a valid repository name (lowercase letters and digits, separated by ".", "_", "__" or "-", ` +
        `in "/"-separated parts); got "${image}"`,
    );
  }
  return { repository, digest: match.groups.digest as string };
}

/** Settings for {@link createEcsClient}; everything else comes from the default provider chain. */
export interface EcsClientSettings {
  region?: string;
  /** Explicit endpoint; otherwise `AWS_ENDPOINT_URL_ECS` / `AWS_ENDPOINT_URL` / config file, then AWS. */
  endpoint?: string;
  credentials?: ECSClientConfig['credentials'];
  /** Default {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number;
  /** Bound on one HTTP attempt; default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number;
  /** Bound on connecting; default {@link DEFAULT_CONNECTION_TIMEOUT_MS}. */
  connectionTimeoutMs?: number;
}

/**
 * Request-handler settings for every AWS SDK client pipewright creates: a bound on connecting and
 * on each attempt. `throwOnRequestTimeout` matters: without it the Node handler of this SDK only
 * logs a warning when `requestTimeout` passes and keeps waiting.
 */
export function sdkRequestHandlerOptions(
  settings: { requestTimeoutMs?: number; connectionTimeoutMs?: number } = {},
): { requestTimeout: number; connectionTimeout: number; throwOnRequestTimeout: true } {
  return {
    requestTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connectionTimeout: settings.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    throwOnRequestTimeout: true,
  };
}

/**
 * The ECS client `ecs-deploy` uses: standard retry mode (exponential backoff with jitter,
 * throttling and transient errors retried) with {@link DEFAULT_MAX_ATTEMPTS} attempts, each
 * bounded by {@link DEFAULT_REQUEST_TIMEOUT_MS} (see {@link sdkRequestHandlerOptions}). Region,
 * credentials (including a role assumed by `withAWS`) and the endpoint override come from the
 * SDK's default chains unless given.
 */
export function createEcsClient(settings: EcsClientSettings = {}): ECSClient {
  return new ECSClient({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: sdkRequestHandlerOptions(settings),
  });
}

/**
 * The CloudWatch client for alarm checks and bakes: the same retries and per-attempt bounds as
 * {@link createEcsClient}; endpoint from `AWS_ENDPOINT_URL_CLOUDWATCH` / `AWS_ENDPOINT_URL` unless given.
 */
export function createCloudWatchClient(settings: Omit<EcsClientSettings, 'credentials'> = {}): CloudWatchClient {
  return new CloudWatchClient({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: sdkRequestHandlerOptions(settings),
  });
}

/**
 * Renders the RegisterTaskDefinition input for the next revision: the current definition with the
 * image of one container replaced, read-only fields stripped, everything else carried over
 * (DEPLOY-004), and the tags passed on (reserved `aws:` tags cannot be set and are dropped).
 * Throws with the container names when the container is ambiguous or unknown.
 */
export function renderTaskDefinitionInput(
  current: TaskDefinition,
  tags: Tag[] | undefined,
  image: string,
  containerName?: string,
): { input: RegisterTaskDefinitionCommandInput; container: string; previousImage: string | undefined } {
  const containers = current.containerDefinitions ?? [];
  const names = containers.map((container) => container.name ?? '(unnamed)');
  const label = shortTaskDefinition(current.taskDefinitionArn ?? current.family ?? '?');
  let target: ContainerDefinition | undefined;
  if (containerName !== undefined) {
    target = containers.find((container) => container.name === containerName);
    if (!target) {
      throw new ReleaseError(
        `container "${containerName}" not found in task definition ${label}; containers: ${names.join(', ') || '(none)'}`,
      );
    }
  } else if (containers.length === 1) {
    target = containers[0];
  } else {
    throw new ReleaseError(
      `task definition ${label} has ${containers.length} containers (${names.join(', ') || 'none'}); name one with --container`,
    );
  }
  if (!current.family) throw new ReleaseError(`task definition ${label} has no family`);

  const carried = structuredClone(current) as Record<string, unknown>;
  for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) delete carried[field];
  const input = carried as unknown as RegisterTaskDefinitionCommandInput;
  input.containerDefinitions = containers.map((container) =>
    container === target ? { ...structuredClone(container), image } : structuredClone(container),
  );
  const passedTags = (tags ?? []).filter((tag) => !tag.key?.startsWith('aws:'));
  if (passedTags.length > 0) input.tags = passedTags;
  return { input, container: target?.name as string, previousImage: target?.image };
}

/**
 * Releases `options.image` to an ECS service and verifies the result; never throws for release
 * problems (they end up in `outcome`/`reason`). Throws {@link EcsDeployUsageError} for invalid
 * options and an unusable evidence path, before any AWS call.
 */
export async function ecsDeploy(options: EcsDeployOptions, deps: EcsDeployDeps = {}): Promise<EcsDeployResult> {
  validateOptions(options);
  const resolvedOptions = { ...options };
  if (options.evidenceFile !== undefined) {
    resolvedOptions.evidenceFile = await checkEvidencePath(options.evidenceFile, options.workingDirectory ?? process.cwd());
  }
  const ownClient = !deps.client;
  const client = deps.client ?? createEcsClient(options.region ? { region: options.region } : {});
  const needsCloudWatch = (options.alarms?.length ?? 0) > 0 || options.bake !== undefined;
  const ownCloudWatch = needsCloudWatch && !deps.cloudWatch;
  const cloudWatch = deps.cloudWatch ?? (needsCloudWatch ? createCloudWatchClient(options.region ? { region: options.region } : {}) : undefined);
  try {
    return await new Release(resolvedOptions, client, deps, cloudWatch).run();
  } finally {
    if (ownClient) client.destroy();
    if (ownCloudWatch) cloudWatch?.destroy();
  }
}

function validateOptions(options: EcsDeployOptions): void {
  if (!options.cluster?.trim()) throw new EcsDeployUsageError('cluster is required');
  if (!options.service?.trim()) throw new EcsDeployUsageError('service is required');
  if (typeof options.image !== 'string') throw new EcsDeployUsageError('image is required');
  parseDigestImageRef(options.image);
  if (options.container !== undefined && !options.container.trim()) {
    throw new EcsDeployUsageError('container must not be empty');
  }
  if (options.evidenceFile !== undefined && !options.evidenceFile.trim()) {
    throw new EcsDeployUsageError('evidence file must not be empty');
  }
  for (const key of ['timeoutMs', 'pollIntervalMs', 'rollbackTimeoutMs', 'abortGraceMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new EcsDeployUsageError(`${key} must be a positive number of milliseconds; got ${value}`);
    }
  }
  for (const name of [...(options.alarms ?? []), ...(options.bake?.alarms ?? [])]) {
    if (!/^[^\x00-\x1f\x7f]{1,255}$/.test(name)) throw new EcsDeployUsageError(`alarm name must be 1-255 printable characters; got "${name}"`);
  }
  if ((options.alarms?.length ?? 0) > 10) throw new EcsDeployUsageError('an ECS service takes at most 10 deployment alarms');
  if (options.bake !== undefined) {
    if (!(Number.isFinite(options.bake.durationMs) && options.bake.durationMs > 0)) {
      throw new EcsDeployUsageError(`bake duration must be a positive number of milliseconds; got ${options.bake.durationMs}`);
    }
    if ((options.bake.alarms ?? options.alarms ?? []).length === 0) throw new EcsDeployUsageError('a bake needs alarms to watch (--alarm or --bake-alarm)');
  }
  for (const [key, value] of Object.entries(options.tags ?? {})) {
    if (!/^[A-Za-z0-9 +\-=._:/@]{1,128}$/.test(key) || key.toLowerCase().startsWith('aws:')) {
      throw new EcsDeployUsageError(`tag key "${key}" is not allowed (1-128 letters, digits, spaces, + - = . _ : / @; no aws: prefix)`);
    }
    if (!/^[A-Za-z0-9 +\-=._:/@]{0,256}$/.test(value)) throw new EcsDeployUsageError(`tag value of "${key}" is not allowed: "${value}"`);
  }
  if (options.deadline !== undefined && !Number.isFinite(options.deadline)) {
    throw new EcsDeployUsageError(`deadline must be a time in epoch milliseconds; got ${options.deadline}`);
  }
}

/**
 * Checks, before anything else happens, that the evidence record can be written at `file`
 * (resolved against `workingDirectory`); returns the absolute path. The file must not be a
 * directory (or anything but a regular file); its directory must exist and take a probe file, or
 * be missing only below an existing directory inside `workingDirectory` (created at the first
 * write). Throws {@link EcsDeployUsageError} with the reason otherwise, e.g. for
 * `/proc/nope/x.json` (Node's recursive mkdir loops forever under `/proc`).
 */
export async function checkEvidencePath(file: string, workingDirectory: string): Promise<string> {
  const target = resolve(workingDirectory, file);
  const problem = (why: string) => new EcsDeployUsageError(`evidence file "${file}": ${why}`);
  const existing = await statOrMissing(target);
  if (existing instanceof Error) throw problem(`cannot check it (${describeError(existing)})`);
  if (existing?.isDirectory()) throw problem('is a directory; give a file path such as evidence/deploy-record.json');
  if (existing && !existing.isFile()) throw problem('exists and is not a regular file');

  let ancestor = dirname(target);
  const missing: string[] = [];
  for (;;) {
    const found = await statOrMissing(ancestor);
    if (found instanceof Error) throw problem(`cannot check ${ancestor} (${describeError(found)})`);
    if (found) {
      if (!found.isDirectory()) throw problem(`${ancestor} is not a directory`);
      break;
    }
    missing.unshift(ancestor);
    const parent = dirname(ancestor);
    if (parent === ancestor) throw problem('no existing directory above it');
    ancestor = parent;
  }
  if (missing.length > 0) {
    const inside = relative(resolve(workingDirectory), ancestor);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw problem(
        `directory ${missing[0]} does not exist (only directories inside the working directory ${resolve(workingDirectory)} are created)`,
      );
    }
    try {
      await access(ancestor, fsConstants.W_OK | fsConstants.X_OK);
    } catch (error) {
      throw problem(`directory ${ancestor} is not writable (${describeError(error)})`);
    }
    return target;
  }
  // The directory exists: a probe file proves it takes files (access() says yes to root everywhere).
  const probe = `${target}.${process.pid}.probe`;
  try {
    await (await open(probe, 'wx')).close();
  } catch (error) {
    throw problem(`cannot create files in ${ancestor} (${describeError(error)})`);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  return target;
}

async function statOrMissing(path: string): Promise<import('node:fs').Stats | undefined | Error> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : asError(error);
  }
}

/**
 * Creates `directory` and its missing parents one level at a time. Not `mkdir({recursive})`: on
 * some file systems (`/proc`) Node's recursive mkdir retries ENOENT forever at 100% CPU.
 */
async function ensureDirectory(directory: string): Promise<void> {
  const missing: string[] = [];
  for (let current = directory; ; current = dirname(current)) {
    const found = await statOrMissing(current);
    if (found instanceof Error) throw found;
    if (found) {
      if (!found.isDirectory()) throw new Error(`${current} is not a directory`);
      break;
    }
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** What a bounded wait for a task definition to become PRIMARY and COMPLETED saw. */
type WaitResult =
  | { kind: 'completed'; primary: Deployment }
  | { kind: 'failed'; primary: Deployment }
  | { kind: 'replaced'; primary: Deployment }
  | { kind: 'timeout'; primary: Deployment | undefined }
  | { kind: 'aborted'; primary: Deployment | undefined };

/** One run of {@link ecsDeploy}; holds the evidence as it fills in. */
class Release {
  private readonly now: () => Date;
  private readonly injectedSleep: ((ms: number) => Promise<void>) | undefined;
  private readonly log: (line: string) => void;
  private readonly pollIntervalMs: number;
  private readonly evidence: EcsDeployEvidence;
  private readonly startMs: number;
  private readonly deadlineMs: number;
  private readonly seenEventIds = new Set<string>();
  private polls = 0;
  /** Fires at the release deadline (`timeoutMs` after the start). */
  private readonly deadline = new AbortController();
  /** Fires `abortGraceMs` after the caller's signal: the end of the rollback after an abort. */
  private readonly grace = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly onCallerAbort = () => {
    const graceMs = this.options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS;
    this.later(graceMs, () => this.grace.abort(new ReleaseError(`the abort grace of ${formatMs(graceMs)} is used up`)));
  };
  /**
   * Cancels the AWS call in flight and the waits of the current phase. Release phase: the
   * caller's signal or the deadline. Rollback phase: the rollback bound or the abort grace.
   */
  private phaseSignal: AbortSignal;

  constructor(
    private readonly options: EcsDeployOptions,
    private readonly client: ECSClient,
    deps: EcsDeployDeps,
    private readonly cloudWatch: CloudWatchClient | undefined,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.injectedSleep = deps.sleep;
    this.log = deps.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const env = options.env ?? process.env;
    const started = this.now();
    this.startMs = started.getTime();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.deadlineMs = this.startMs + timeoutMs;
    // The bake runs after the rollout; the release phase ends after both.
    const releaseMs = timeoutMs + (options.bake?.durationMs ?? 0);
    this.later(releaseMs, () => this.deadline.abort(new ReleaseError(`the release timeout of ${formatMs(releaseMs)} is reached`)));
    this.phaseSignal = options.signal ? AbortSignal.any([options.signal, this.deadline.signal]) : this.deadline.signal;
    if (options.signal?.aborted) this.onCallerAbort();
    else options.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.evidence = {
      schemaVersion: 1,
      tool: 'pipewright ecs-deploy',
      cluster: options.cluster,
      service: options.service,
      container: options.container ?? null,
      account: null,
      region: null,
      previousTaskDefinitionArn: null,
      newTaskDefinitionArn: null,
      image: options.image,
      imageDigest: parseDigestImageRef(options.image).digest,
      deploymentId: null,
      startedAt: started.toISOString(),
      finishedAt: null,
      outcome: 'in-progress',
      reason: '',
      rollback: null,
      finalTaskDefinitionArn: null,
      alarms: [...(options.alarms ?? [])],
      tags: { ...options.tags },
      bake: options.bake
        ? {
            durationMs: options.bake.durationMs,
            alarms: [...(options.bake.alarms ?? options.alarms ?? [])],
            result: 'not-run',
            alarm: null,
            startedAt: null,
            finishedAt: null,
          }
        : null,
      buildUrl: env.BUILD_URL || null,
      job: env.JOB_NAME || null,
      build: env.BUILD_NUMBER || null,
      gitCommit: env.GIT_COMMIT || null,
    };
  }

  async run(): Promise<EcsDeployResult> {
    try {
      return await this.release();
    } finally {
      for (const timer of this.timers) clearTimeout(timer);
      this.options.signal?.removeEventListener('abort', this.onCallerAbort);
    }
  }

  private async release(): Promise<EcsDeployResult> {
    // Written first so a run killed midway (SIGKILL, agent lost) still leaves a record behind,
    // and an unwritable evidence path stops the release before it touches AWS.
    const initialWriteError = await this.writeEvidence();
    if (initialWriteError) {
      return this.finish('failed-before-update', `cannot write evidence file: ${initialWriteError}`);
    }

    let updateSent = false;
    let failure: string;
    let lastSeen: WaitResult | undefined;
    try {
      const previous = await this.prepare();
      updateSent = true;
      const newArn = this.evidence.newTaskDefinitionArn as string;
      const updated = await this.updateToNewRevision(previous.service, newArn);
      if (updated !== true) {
        updateSent = false;
        throw updated;
      }
      await this.writeEvidence();

      const rollout = await this.waitForCompleted(newArn, this.deadlineMs);
      if (rollout.kind === 'completed') {
        const done = `service ${this.options.service} runs ${shortTaskDefinition(newArn)} (deployment ${rollout.primary.id}, rolloutState COMPLETED)`;
        const firing = await this.bake();
        if (firing === undefined) return this.finish('success', this.evidence.bake ? `${done}; bake passed` : done);
        failure = `bake: alarm ${firing} is in ALARM after the rollout of ${shortTaskDefinition(newArn)}`;
      } else {
        failure = this.describeFailure(rollout, newArn);
        lastSeen = rollout;
      }
    } catch (error) {
      if (!updateSent) {
        this.evidence.region ??= await this.clientRegion();
        return this.finish('failed-before-update', describeError(error));
      }
      // The service may already run the new revision: put it back on the known-good one.
      failure = describeError(error);
      if (this.evidence.bake?.result === 'watching') {
        this.evidence.bake.result = 'interrupted';
        this.evidence.bake.finishedAt = this.now().toISOString();
      }
    }
    try {
      return await this.rollBack(failure, lastSeen);
    } catch (rollbackError) {
      return this.finish(
        'rollback-failed',
        `${failure}; rollback to ${this.previousLabel()} not confirmed: ${describeError(rollbackError)}`,
      );
    }
  }

  /** Everything up to (not including) UpdateService. Returns the service as described. */
  private async prepare(): Promise<{ service: Service }> {
    const { service, failureArn } = await this.describeService();
    const arnSource = service?.clusterArn ?? service?.serviceArn ?? failureArn;
    const parsed = arnSource ? parseArn(arnSource) : undefined;
    this.evidence.account = parsed?.account ?? null;
    this.evidence.region = parsed?.region ?? (await this.clientRegion());
    if (!service) {
      throw new ReleaseError(`service "${this.options.service}" not found in cluster "${this.options.cluster}" (MISSING)`);
    }
    if (service.status !== 'ACTIVE') {
      throw new ReleaseError(`service "${this.options.service}" is ${service.status ?? 'in an unknown state'}, not ACTIVE`);
    }
    const controller = service.deploymentController?.type ?? 'ECS';
    if (controller !== 'ECS') {
      throw new ReleaseError(
        `service "${this.options.service}" uses the ${controller} deployment controller; ecs-deploy only does ECS rolling updates`,
      );
    }
    const previousArn = service.taskDefinition;
    if (!previousArn) throw new ReleaseError(`service "${this.options.service}" has no task definition`);
    this.evidence.previousTaskDefinitionArn = previousArn;
    this.evidence.finalTaskDefinitionArn = previousArn;
    const primary = primaryDeployment(service);
    const inProgress = primary?.rolloutState
      ? primary.rolloutState === 'IN_PROGRESS'
      : (service.deployments?.length ?? 0) > 1;
    if (inProgress) {
      // Rolling back to a revision that never finished rolling out would not be a known-good state.
      throw new ReleaseError(
        `service "${this.options.service}" has a deployment in progress (${primary?.id ?? '?'}, ${shortTaskDefinition(primary?.taskDefinition ?? previousArn)}); wait for it to finish or check for a concurrent release`,
      );
    }
    for (const event of service.events ?? []) if (event.id) this.seenEventIds.add(event.id);

    // CloudWatch ignores unknown alarm names: a typo would make the alarms and the bake watch nothing.
    const watched = [...new Set([...this.evidence.alarms, ...(this.evidence.bake?.alarms ?? [])])];
    if (watched.length > 0) {
      const found = new Set(await this.describeAlarms(watched));
      const missing = watched.filter((name) => !found.has(name));
      if (missing.length > 0) {
        throw new ReleaseError(`CloudWatch alarm(s) not found in ${this.evidence.account ?? '?'}/${this.evidence.region ?? '?'}: ${missing.join(', ')}`);
      }
    }

    const described = await this.aws('DescribeTaskDefinition', (options) =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: previousArn, include: ['TAGS'] }), options),
    );
    if (!described.taskDefinition) throw new ReleaseError(`DescribeTaskDefinition returned nothing for ${previousArn}`);
    const costTags = Object.entries(this.evidence.tags).map(([key, value]) => ({ key, value }));
    const rendered = renderTaskDefinitionInput(
      described.taskDefinition,
      [...(described.tags ?? []).filter((tag) => !(tag.key !== undefined && tag.key in this.evidence.tags)), ...costTags],
      this.options.image,
      this.options.container,
    );
    this.evidence.container = rendered.container;
    this.log(
      `service ${this.options.service} (cluster ${this.options.cluster}, account ${this.evidence.account ?? '?'}, ${this.evidence.region ?? '?'}) runs ${shortTaskDefinition(previousArn)}; container "${rendered.container}": ${rendered.previousImage ?? '?'} -> ${this.options.image}`,
    );
    // SECRET-005 / DEPLOY-005 on what would be registered: the live definition carries forward
    // whatever was changed outside the pipeline.
    const findings = lintTaskDefinition(rendered.input, this.evidence.account ? { account: this.evidence.account } : {});
    for (const finding of findings) this.log(`task definition ${finding.rule} ${finding.at}: ${finding.message}`);
    const secretFindings = findings.filter((finding) => finding.rule === 'SECRET-005');
    if (secretFindings.length > 0) {
      throw new ReleaseError(
        `the task definition passes secrets outside Secrets Manager/SSM (SECRET-005): ${secretFindings.map((finding) => finding.message).join('; ')}`,
      );
    }
    if (rendered.previousImage === this.options.image) {
      this.log('note: the image is unchanged; registering a new revision anyway (redeploy of the same digest)');
    }
    this.throwIfStopped('before RegisterTaskDefinition');

    const registered = await this.aws('RegisterTaskDefinition', (options) =>
      this.client.send(new RegisterTaskDefinitionCommand(rendered.input), options),
    );
    const newArn = registered.taskDefinition?.taskDefinitionArn;
    if (!newArn) throw new ReleaseError('RegisterTaskDefinition returned no task definition ARN');
    this.evidence.newTaskDefinitionArn = newArn;
    this.log(`registered ${shortTaskDefinition(newArn)} (${newArn})`);
    if (costTags.length > 0) {
      // UpdateService cannot tag; the service's own tags come from TagResource on its ARN.
      const serviceArn = service.serviceArn;
      if (!serviceArn) throw new ReleaseError(`service "${this.options.service}" has no ARN to tag`);
      this.throwIfStopped('before TagResource');
      await this.aws('TagResource', (options) =>
        this.client.send(new TagResourceCommand({ resourceArn: serviceArn, tags: costTags }), options),
      );
      this.log(`tagged ${this.options.service}: ${costTags.map((tag) => `${tag.key}=${tag.value}`).join(', ')}`);
    }
    this.throwIfStopped('before UpdateService');
    return { service };
  }

  /**
   * UpdateService to the new revision with the circuit breaker on, other deployment settings kept.
   * Returns true when the service now points at the new revision; the error when it certainly
   * does not (ECS rejected the call, or a retried call failed and the service is unchanged).
   * Throws when that cannot be told (the check itself failed or was cancelled).
   */
  private async updateToNewRevision(service: Service, newArn: string): Promise<true | Error> {
    const deploymentConfiguration: DeploymentConfiguration = {
      ...service.deploymentConfiguration,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      ...(this.evidence.alarms.length > 0 ? { alarms: { alarmNames: this.evidence.alarms, enable: true, rollback: true } } : {}),
    };
    const propagate = Object.keys(this.evidence.tags).length > 0 ? { propagateTags: 'TASK_DEFINITION' as const } : {};
    try {
      const response = await this.aws('UpdateService', (options) =>
        this.client.send(
          new UpdateServiceCommand({
            cluster: this.options.cluster,
            service: this.options.service,
            taskDefinition: newArn,
            deploymentConfiguration,
            ...propagate,
          }),
          options,
        ),
      );
      const deployment = response.service?.deployments?.find(
        (candidate) => candidate.status === 'PRIMARY' && candidate.taskDefinition === newArn,
      );
      this.evidence.deploymentId = deployment?.id ?? null;
      this.evidence.finalTaskDefinitionArn = response.service?.taskDefinition ?? newArn;
    } catch (error) {
      const status = httpStatus(error);
      if (status !== undefined && status >= 400 && status < 500) return asError(error);
      // 5xx, network failure after the SDK's retries, or cancelled: the update may or may not have
      // happened. Once cancelled, the check below cannot run either; the rollback sorts it out.
      if (this.phaseSignal.aborted) throw error;
      const { service: now } = await this.describeService();
      if (now?.taskDefinition !== newArn) return asError(error);
      this.evidence.deploymentId = primaryDeployment(now)?.id ?? null;
      this.log(`UpdateService answered ${describeError(error)}, but the service now points at the new revision`);
    }
    this.log(
      `UpdateService: ${this.options.service} -> ${shortTaskDefinition(newArn)} with deploymentCircuitBreaker {enable: true, rollback: true}${this.evidence.alarms.length > 0 ? ` and alarms ${this.evidence.alarms.join(', ')} (rollback)` : ''}; deployment ${this.evidence.deploymentId ?? '?'}`,
    );
    return true;
  }

  /**
   * Makes sure the service ends on the previous revision: waits for ECS's own circuit-breaker
   * rollback when there is one, otherwise issues UpdateService to the previous ARN, then waits
   * (bounded) for it to be PRIMARY and COMPLETED. Bounded by `rollbackTimeoutMs` and, once the
   * caller's signal has fired, by the abort grace: every call and wait is cancelled at either.
   */
  private async rollBack(reason: string, lastSeen: WaitResult | undefined): Promise<EcsDeployResult> {
    const previousArn = this.evidence.previousTaskDefinitionArn as string;
    // Followed to the release deadline when there is one (not for a fixed 10 minutes, which a slow
    // rollback outlasts), else for rollbackTimeoutMs.
    const rollbackTimeoutMs =
      this.options.deadline !== undefined
        ? Math.max(0, this.options.deadline - this.now().getTime())
        : (this.options.rollbackTimeoutMs ?? DEFAULT_ROLLBACK_TIMEOUT_MS);
    const bound = new AbortController();
    this.later(rollbackTimeoutMs, () =>
      bound.abort(
        new ReleaseError(
          this.options.deadline !== undefined
            ? `the release deadline ${new Date(this.options.deadline).toISOString()} is reached`
            : `the rollback timeout of ${formatMs(rollbackTimeoutMs)} is reached`,
        ),
      ),
    );
    this.phaseSignal = AbortSignal.any([this.grace.signal, bound.signal]);
    const rollbackDeadline = this.now().getTime() + rollbackTimeoutMs;
    this.log(`release failed: ${reason}`);
    if (this.options.signal?.aborted) {
      this.log(`rolling back within the abort grace of ${formatMs(this.options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS)}`);
    }

    let primary = lastSeen?.kind === 'replaced' ? lastSeen.primary : primaryDeployment((await this.describeService()).service);
    if (lastSeen?.kind === 'failed' && primary?.taskDefinition !== previousArn) {
      // The circuit breaker marks the deployment FAILED and then starts its own rollback; give it
      // one poll before starting a competing deployment.
      await this.pause(this.pollIntervalMs);
      primary = primaryDeployment((await this.describeService()).service);
    }

    if (primary?.taskDefinition === previousArn) {
      this.evidence.rollback = {
        initiatedBy: 'ecs-circuit-breaker',
        deploymentId: primary.id ?? null,
        taskDefinitionArn: previousArn,
        completed: false,
      };
      this.log(`ECS is rolling back to ${shortTaskDefinition(previousArn)} (deployment ${primary.id ?? '?'}); waiting for it`);
    } else {
      this.log(`rolling back: UpdateService ${this.options.service} -> ${shortTaskDefinition(previousArn)}`);
      const response = await this.aws('UpdateService', (options) =>
        this.client.send(
          new UpdateServiceCommand({ cluster: this.options.cluster, service: this.options.service, taskDefinition: previousArn }),
          options,
        ),
      );
      const deployment = response.service?.deployments?.find(
        (candidate) => candidate.status === 'PRIMARY' && candidate.taskDefinition === previousArn,
      );
      this.evidence.rollback = {
        initiatedBy: 'ecs-deploy',
        deploymentId: deployment?.id ?? null,
        taskDefinitionArn: previousArn,
        completed: false,
      };
      this.evidence.finalTaskDefinitionArn = response.service?.taskDefinition ?? previousArn;
    }
    await this.writeEvidence();

    const back = await this.waitForCompleted(previousArn, rollbackDeadline);
    if (back.kind === 'completed') {
      this.evidence.rollback.completed = true;
      return this.finish('rolled-back', `${reason}; service is back on ${shortTaskDefinition(previousArn)} (COMPLETED)`);
    }
    if (this.options.signal?.aborted && (back.kind === 'aborted' || back.kind === 'timeout')) {
      return this.finish(
        'aborted',
        `${reason}; rollback to ${shortTaskDefinition(previousArn)} started (deployment ${this.evidence.rollback.deploymentId ?? '?'}, by ${this.evidence.rollback.initiatedBy}) but not seen COMPLETED before stopping: ${this.describeFailure(back, previousArn)}`,
      );
    }
    return this.finish(
      'rollback-failed',
      `${reason}; rollback to ${shortTaskDefinition(previousArn)} ${this.describeFailure(back, previousArn)}`,
    );
  }

  /**
   * The bake: DescribeAlarms (state ALARM) every poll interval until the bake time is over. Returns
   * the first alarm found in ALARM, or undefined when the bake passed. Throws when the release is
   * stopped meanwhile (deadline, abort): the caller rolls back.
   */
  private async bake(): Promise<string | undefined> {
    const bake = this.evidence.bake;
    if (!bake) return undefined;
    bake.result = 'watching';
    bake.startedAt = this.now().toISOString();
    const end = this.now().getTime() + bake.durationMs;
    this.log(`bake: watching ${bake.alarms.join(', ')} for ${formatMs(bake.durationMs)}`);
    await this.writeEvidence();
    for (;;) {
      const [firing] = await this.describeAlarms(bake.alarms, 'ALARM');
      if (firing !== undefined) {
        bake.result = 'alarm';
        bake.alarm = firing;
        bake.finishedAt = this.now().toISOString();
        this.log(`${this.elapsed()} bake: alarm ${firing} is in ALARM`);
        return firing;
      }
      if (this.now().getTime() >= end) break;
      this.throwIfStopped('during the bake');
      await this.pause(Math.min(this.pollIntervalMs, Math.max(0, end - this.now().getTime())));
      this.throwIfStopped('during the bake');
    }
    bake.result = 'passed';
    bake.finishedAt = this.now().toISOString();
    this.log(`${this.elapsed()} bake: no alarm in ${formatMs(bake.durationMs)}`);
    return undefined;
  }

  /** Names of the given alarms (metric and composite) that exist, or that are in `state`. */
  private async describeAlarms(names: string[], state?: 'ALARM'): Promise<string[]> {
    const cloudWatch = this.cloudWatch;
    if (!cloudWatch) throw new ReleaseError('alarms are set but there is no CloudWatch client');
    const found: string[] = [];
    let nextToken: string | undefined;
    do {
      const response = await this.aws('DescribeAlarms', (options) =>
        cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: names,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            ...(state ? { StateValue: state } : {}),
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
          options,
        ),
      );
      for (const alarm of [...(response.MetricAlarms ?? []), ...(response.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName) found.push(alarm.AlarmName);
      }
      nextToken = response.NextToken;
    } while (nextToken);
    return found;
  }

  /**
   * Polls until `taskDefinitionArn` is the PRIMARY deployment with rolloutState COMPLETED, or not:
   * another deployment took over, `deadlineMs` passed, or the phase signal fired.
   */
  private async waitForCompleted(taskDefinitionArn: string, deadlineMs: number): Promise<WaitResult> {
    let primary: Deployment | undefined;
    for (;;) {
      const observed = await this.poll();
      if (observed) {
        primary = primaryDeployment(observed);
        if (primary?.taskDefinition === taskDefinitionArn) {
          if (primary.rolloutState === 'COMPLETED') return { kind: 'completed', primary };
          if (primary.rolloutState === 'FAILED') return { kind: 'failed', primary };
        } else if (primary) {
          return { kind: 'replaced', primary };
        }
      }
      const stopped = this.stopKind(deadlineMs);
      if (stopped) return { kind: stopped, primary };
      await this.pause(Math.min(this.pollIntervalMs, Math.max(0, deadlineMs - this.now().getTime())));
      const stoppedWhileWaiting = this.stopKind(deadlineMs);
      if (stoppedWhileWaiting) return { kind: stoppedWhileWaiting, primary };
    }
  }

  /** Why waiting has to stop now, if it has to: the caller aborted, or a deadline passed. */
  private stopKind(deadlineMs: number): 'aborted' | 'timeout' | undefined {
    if (this.phaseSignal.aborted) return this.options.signal?.aborted ? 'aborted' : 'timeout';
    return this.now().getTime() >= deadlineMs ? 'timeout' : undefined;
  }

  /** One DescribeServices with a progress line; undefined after a transient error (already retried by the SDK) or a cancellation. */
  private async poll(): Promise<Service | undefined> {
    this.polls += 1;
    let service: Service | undefined;
    try {
      service = (await this.describeService()).service;
    } catch (error) {
      if (this.phaseSignal.aborted) return undefined;
      if (!isTransient(error)) throw error;
      this.log(`${this.elapsed()} poll ${this.polls}: DescribeServices failed after retries (${describeError(error)}); polling on`);
      return undefined;
    }
    if (!service) throw new ReleaseError(`service "${this.options.service}" disappeared during the release`);
    this.evidence.finalTaskDefinitionArn = service.taskDefinition ?? this.evidence.finalTaskDefinitionArn;
    const primary = primaryDeployment(service);
    const deployments = service.deployments?.length ?? 0;
    this.log(
      `${this.elapsed()} poll ${this.polls}: PRIMARY ${shortTaskDefinition(primary?.taskDefinition ?? '?')} ` +
        `running ${primary?.runningCount ?? '?'}/${primary?.desiredCount ?? '?'} pending ${primary?.pendingCount ?? '?'} ` +
        `rolloutState ${primary?.rolloutState ?? '?'}${deployments > 1 ? ` (${deployments} deployments)` : ''}`,
    );
    for (const event of this.newEvents(service.events ?? [])) {
      this.log(`  event ${event.createdAt?.toISOString() ?? '?'} ${event.message ?? ''}`);
    }
    return service;
  }

  private newEvents(events: ServiceEvent[]): ServiceEvent[] {
    const fresh = events.filter((event) => event.id && !this.seenEventIds.has(event.id));
    for (const event of fresh) this.seenEventIds.add(event.id as string);
    // ECS lists events newest first; print them in the order they happened.
    return fresh.reverse();
  }

  private async describeService(): Promise<{ service: Service | undefined; failureArn: string | undefined }> {
    const response = await this.aws('DescribeServices', (options) =>
      this.client.send(new DescribeServicesCommand({ cluster: this.options.cluster, services: [this.options.service] }), options),
    );
    return { service: response.services?.[0], failureArn: response.failures?.[0]?.arn };
  }

  /**
   * Sends one AWS call with the phase signal, so the deadline, the caller's abort and the rollback
   * bounds cancel it mid-flight (each HTTP attempt is also bounded by the client's request
   * timeout). A cancelled call becomes a {@link ReleaseError} saying which call and why.
   */
  private async aws<Output>(operation: string, send: (options: { abortSignal: AbortSignal }) => Promise<Output>): Promise<Output> {
    const signal = this.phaseSignal;
    try {
      signal.throwIfAborted();
      return await send({ abortSignal: signal });
    } catch (error) {
      if (signal.aborted) throw new ReleaseError(`${operation} cancelled: ${abortCause(signal)}`);
      throw error;
    }
  }

  private describeFailure(result: WaitResult, taskDefinitionArn: string): string {
    const name = shortTaskDefinition(taskDefinitionArn);
    switch (result.kind) {
      case 'completed':
        return `${name} completed`;
      case 'failed':
        return `deployment ${result.primary.id ?? '?'} of ${name} FAILED: ${result.primary.rolloutStateReason ?? 'no reason given'}`;
      case 'replaced':
        return `PRIMARY deployment is no longer ${name} but ${shortTaskDefinition(result.primary.taskDefinition ?? '?')} (deployment ${result.primary.id ?? '?'}, ${result.primary.rolloutState ?? '?'})${result.primary.taskDefinition === this.evidence.previousTaskDefinitionArn ? ': ECS circuit breaker rolled back' : ''}`;
      case 'timeout':
        return `${name} did not reach COMPLETED in time (rolloutState ${result.primary?.rolloutState ?? '?'}, running ${result.primary?.runningCount ?? '?'}/${result.primary?.desiredCount ?? '?'})`;
      case 'aborted':
        return `aborted while waiting for ${name} (${abortCause(this.phaseSignal)})`;
    }
  }

  private finish(outcome: EcsDeployOutcome, reason: string): Promise<EcsDeployResult> {
    this.evidence.outcome = outcome;
    this.evidence.reason = reason;
    this.evidence.finishedAt = this.now().toISOString();
    return this.writeEvidence().then((evidenceWriteError) => ({
      outcome,
      ok: outcome === 'success',
      reason,
      evidence: structuredClone(this.evidence) as EcsDeployResult['evidence'],
      ...(evidenceWriteError ? { evidenceWriteError } : {}),
    }));
  }

  /** Writes the evidence atomically (temp file + rename); returns the error message, if any. */
  private async writeEvidence(): Promise<string | undefined> {
    const file = this.options.evidenceFile;
    if (!file) return undefined;
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      await ensureDirectory(dirname(file));
      await writeFile(temporary, `${JSON.stringify(this.evidence, null, 2)}\n`, 'utf8');
      await rename(temporary, file);
      return undefined;
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      return describeError(error);
    }
  }

  /**
   * Waits between polls; the phase signal cuts the wait short. The rollback phase has its own
   * signal, so an abort that already happened does not turn the rollback wait into a busy loop.
   */
  private async pause(ms: number): Promise<void> {
    if (this.injectedSleep) return this.injectedSleep(ms);
    await delay(ms, undefined, { signal: this.phaseSignal }).catch(() => undefined);
  }

  private throwIfStopped(where: string): void {
    if (this.phaseSignal.aborted) throw new ReleaseError(`stopped ${where}: ${abortCause(this.phaseSignal)}`);
  }

  /** A timer that does not keep the process alive and is cleared when the run ends. */
  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private async clientRegion(): Promise<string | null> {
    try {
      return (await this.client.config.region()) || null;
    } catch {
      return null;
    }
  }

  private previousLabel(): string {
    return shortTaskDefinition(this.evidence.previousTaskDefinitionArn ?? '?');
  }

  private elapsed(): string {
    return `+${Math.round((this.now().getTime() - this.startMs) / 1000)}s`;
  }
}

/** Why a signal fired: its reason's message (`received SIGTERM`, `the release timeout of 5s is reached`). */
function abortCause(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string' && reason) return reason;
  if (reason instanceof Error && reason.message) return reason.message;
  return 'aborted';
}

/** `90000` → `1m30s`, `500` → `500ms`. */
function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes === 0) return `${seconds}s`;
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

function primaryDeployment(service: Service | undefined): Deployment | undefined {
  return service?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
}

/** `arn:aws:ecs:eu-west-1:123456789012:task-definition/app:8` → `app:8`. */
function shortTaskDefinition(arnOrName: string): string {
  return arnOrName.slice(arnOrName.lastIndexOf('/') + 1);
}

function parseArn(arn: string): { region: string | null; account: string | null } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { region: parts[3] || null, account: parts[4] || null };
}

function httpStatus(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return metadata?.httpStatusCode;
}

/** Errors worth another poll: throttling, 5xx, or no HTTP answer at all (network). */
function isTransient(error: unknown): boolean {
  if (error instanceof ReleaseError) return false;
  const status = httpStatus(error);
  const name = (error as { name?: string } | undefined)?.name ?? '';
  return status === undefined || status >= 500 || status === 429 || /Throttl|RequestLimitExceeded/.test(name);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** `Name: message` for SDK errors, the message for our own. */
function describeError(error: unknown): string {
  if (error instanceof ReleaseError) return error.message;
  if (error instanceof Error) {
    const message = error.message.split('\n')[0] ?? '';
    return error.name && error.name !== 'Error' ? `${error.name}: ${message}` : message;
  }
  return String(error);
}
