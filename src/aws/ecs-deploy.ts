/**
 * `ecs-deploy`: a verified, reversible ECS (Fargate) rolling release of one image digest.
 *
 * Describe the service → describe its task definition → register a new revision with only the
 * image changed → UpdateService with the deployment circuit breaker (rollback on) → follow the
 * deployment until the PRIMARY deployment is the new revision with rolloutState COMPLETED. On
 * FAILED, timeout, abort or an ECS circuit-breaker rollback, make sure the service is back on the
 * previous revision (explicit UpdateService unless ECS already rolled back) and wait for it.
 * Every run yields an evidence record (policy DEPLOY-001..004, AUDIT-001); see docs/ecs-deploy.md.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
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

/** Default time between DescribeServices polls (the same as `aws ecs wait services-stable`). */
export const DEFAULT_POLL_INTERVAL_MS = 15_000;
/** Default bound on the rollout (DEPLOY-002 wants ≤ 30 min). */
export const DEFAULT_TIMEOUT_MS = 15 * 60_000;
/** Default bound on waiting for the previous revision after a failed rollout. */
export const DEFAULT_ROLLBACK_TIMEOUT_MS = 10 * 60_000;
/** SDK attempts per call (1 try + 5 retries, standard retry mode with exponential backoff). */
export const DEFAULT_MAX_ATTEMPTS = 6;

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
  /** Where to write the evidence JSON (written at start, after UpdateService and at the end). */
  evidenceFile?: string;
  /** AWS region; default from the provider chain (AWS_REGION, profile, ...). Only used without `deps.client`. */
  region?: string;
  /** Environment for the build fields of the evidence (BUILD_URL, JOB_NAME, BUILD_NUMBER, GIT_COMMIT); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Aborting during the rollout counts as a failure and rolls back (Jenkins abort → SIGTERM). */
  signal?: AbortSignal;
}

/** Injection points; all optional. */
export interface EcsDeployDeps {
  /** ECS client; default {@link createEcsClient}`({ region })`. Not destroyed by `ecsDeploy` when given. */
  client?: ECSClient;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Progress output, one line per call; default stdout. */
  log?: (line: string) => void;
}

/** How a release ended. */
export type EcsDeployOutcome = 'success' | 'rolled-back' | 'rollback-failed' | 'failed-before-update';

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

/**
 * Splits `REPO@sha256:<64 hex>`. Throws {@link EcsDeployUsageError} for tags, tag+digest and
 * malformed digests: releases go by digest (ART-002), tags can be moved.
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
}

/**
 * The ECS client `ecs-deploy` uses: standard retry mode (exponential backoff with jitter,
 * throttling and transient errors retried) with {@link DEFAULT_MAX_ATTEMPTS} attempts. Region,
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
 * options, before any AWS call.
 */
export async function ecsDeploy(options: EcsDeployOptions, deps: EcsDeployDeps = {}): Promise<EcsDeployResult> {
  validateOptions(options);
  const ownClient = !deps.client;
  const client = deps.client ?? createEcsClient(options.region ? { region: options.region } : {});
  try {
    return await new Release(options, client, deps).run();
  } finally {
    if (ownClient) client.destroy();
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
  for (const key of ['timeoutMs', 'pollIntervalMs', 'rollbackTimeoutMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new EcsDeployUsageError(`${key} must be a positive number of milliseconds; got ${value}`);
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
  private readonly seenEventIds = new Set<string>();
  private polls = 0;

  constructor(
    private readonly options: EcsDeployOptions,
    private readonly client: ECSClient,
    deps: EcsDeployDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.injectedSleep = deps.sleep;
    this.log = deps.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const env = options.env ?? process.env;
    const started = this.now();
    this.startMs = started.getTime();
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
      buildUrl: env.BUILD_URL || null,
      job: env.JOB_NAME || null,
      build: env.BUILD_NUMBER || null,
      gitCommit: env.GIT_COMMIT || null,
    };
  }

  async run(): Promise<EcsDeployResult> {
    // Written first so a run killed midway (SIGKILL, agent lost) still leaves a record behind,
    // and an unwritable evidence path stops the release before it touches AWS.
    const initialWriteError = await this.writeEvidence();
    if (initialWriteError) {
      return this.finish('failed-before-update', `cannot write evidence file: ${initialWriteError}`);
    }

    let updateSent = false;
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

      const deadline = this.startMs + (this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const rollout = await this.waitForCompleted(newArn, deadline, this.options.signal);
      if (rollout.kind === 'completed') {
        return this.finish(
          'success',
          `service ${this.options.service} runs ${shortTaskDefinition(newArn)} (deployment ${rollout.primary.id}, rolloutState COMPLETED)`,
        );
      }
      return await this.rollBack(this.describeFailure(rollout, newArn), rollout);
    } catch (error) {
      const reason = describeError(error);
      if (!updateSent) {
        this.evidence.region ??= await this.clientRegion();
        return this.finish('failed-before-update', reason);
      }
      // The service may already run the new revision: put it back on the known-good one.
      try {
        return await this.rollBack(reason, undefined);
      } catch (rollbackError) {
        return this.finish(
          'rollback-failed',
          `${reason}; rollback to ${this.previousLabel()} not confirmed: ${describeError(rollbackError)}`,
        );
      }
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

    const described = await this.client.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: previousArn, include: ['TAGS'] }),
    );
    if (!described.taskDefinition) throw new ReleaseError(`DescribeTaskDefinition returned nothing for ${previousArn}`);
    const rendered = renderTaskDefinitionInput(
      described.taskDefinition,
      described.tags,
      this.options.image,
      this.options.container,
    );
    this.evidence.container = rendered.container;
    this.log(
      `service ${this.options.service} (cluster ${this.options.cluster}, account ${this.evidence.account ?? '?'}, ${this.evidence.region ?? '?'}) runs ${shortTaskDefinition(previousArn)}; container "${rendered.container}": ${rendered.previousImage ?? '?'} -> ${this.options.image}`,
    );
    if (rendered.previousImage === this.options.image) {
      this.log('note: the image is unchanged; registering a new revision anyway (redeploy of the same digest)');
    }
    this.throwIfAborted('before RegisterTaskDefinition');

    const registered = await this.client.send(new RegisterTaskDefinitionCommand(rendered.input));
    const newArn = registered.taskDefinition?.taskDefinitionArn;
    if (!newArn) throw new ReleaseError('RegisterTaskDefinition returned no task definition ARN');
    this.evidence.newTaskDefinitionArn = newArn;
    this.log(`registered ${shortTaskDefinition(newArn)} (${newArn})`);
    this.throwIfAborted('before UpdateService');
    return { service };
  }

  /**
   * UpdateService to the new revision with the circuit breaker on, other deployment settings kept.
   * Returns true when the service now points at the new revision; the error when it certainly
   * does not (ECS rejected the call, or a retried call failed and the service is unchanged).
   */
  private async updateToNewRevision(service: Service, newArn: string): Promise<true | Error> {
    const deploymentConfiguration: DeploymentConfiguration = {
      ...service.deploymentConfiguration,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    };
    try {
      const response = await this.client.send(
        new UpdateServiceCommand({
          cluster: this.options.cluster,
          service: this.options.service,
          taskDefinition: newArn,
          deploymentConfiguration,
        }),
      );
      const deployment = response.service?.deployments?.find(
        (candidate) => candidate.status === 'PRIMARY' && candidate.taskDefinition === newArn,
      );
      this.evidence.deploymentId = deployment?.id ?? null;
      this.evidence.finalTaskDefinitionArn = response.service?.taskDefinition ?? newArn;
    } catch (error) {
      const status = httpStatus(error);
      if (status !== undefined && status >= 400 && status < 500) return asError(error);
      // 5xx or network failure after the SDK's retries: the update may or may not have happened.
      const { service: now } = await this.describeService();
      if (now?.taskDefinition !== newArn) return asError(error);
      this.evidence.deploymentId = primaryDeployment(now)?.id ?? null;
      this.log(`UpdateService answered ${describeError(error)}, but the service now points at the new revision`);
    }
    this.log(
      `UpdateService: ${this.options.service} -> ${shortTaskDefinition(newArn)} with deploymentCircuitBreaker {enable: true, rollback: true}; deployment ${this.evidence.deploymentId ?? '?'}`,
    );
    return true;
  }

  /**
   * Makes sure the service ends on the previous revision: waits for ECS's own circuit-breaker
   * rollback when there is one, otherwise issues UpdateService to the previous ARN, then waits
   * (bounded) for it to be PRIMARY and COMPLETED.
   */
  private async rollBack(reason: string, lastSeen: WaitResult | undefined): Promise<EcsDeployResult> {
    const previousArn = this.evidence.previousTaskDefinitionArn as string;
    const rollbackDeadline = this.now().getTime() + (this.options.rollbackTimeoutMs ?? DEFAULT_ROLLBACK_TIMEOUT_MS);
    this.log(`release failed: ${reason}`);

    let primary = lastSeen?.kind === 'replaced' ? lastSeen.primary : primaryDeployment((await this.describeService()).service);
    if (lastSeen?.kind === 'failed' && primary?.taskDefinition !== previousArn) {
      // The circuit breaker marks the deployment FAILED and then starts its own rollback; give it
      // one poll before starting a competing deployment.
      await this.pause(this.pollIntervalMs, undefined);
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
      const response = await this.client.send(
        new UpdateServiceCommand({ cluster: this.options.cluster, service: this.options.service, taskDefinition: previousArn }),
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

    const back = await this.waitForCompleted(previousArn, rollbackDeadline, undefined);
    if (back.kind === 'completed') {
      this.evidence.rollback.completed = true;
      return this.finish('rolled-back', `${reason}; service is back on ${shortTaskDefinition(previousArn)} (COMPLETED)`);
    }
    return this.finish(
      'rollback-failed',
      `${reason}; rollback to ${shortTaskDefinition(previousArn)} ${this.describeFailure(back, previousArn)}`,
    );
  }

  /** Polls until `taskDefinitionArn` is the PRIMARY deployment with rolloutState COMPLETED, or not. */
  private async waitForCompleted(
    taskDefinitionArn: string,
    deadlineMs: number,
    signal: AbortSignal | undefined,
  ): Promise<WaitResult> {
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
      if (signal?.aborted) return { kind: 'aborted', primary };
      if (this.now().getTime() >= deadlineMs) return { kind: 'timeout', primary };
      await this.pause(Math.min(this.pollIntervalMs, Math.max(0, deadlineMs - this.now().getTime())), signal);
      if (signal?.aborted) return { kind: 'aborted', primary };
    }
  }

  /** One DescribeServices with a progress line; undefined after a transient error (already retried by the SDK). */
  private async poll(): Promise<Service | undefined> {
    this.polls += 1;
    let service: Service | undefined;
    try {
      service = (await this.describeService()).service;
    } catch (error) {
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
    const response = await this.client.send(
      new DescribeServicesCommand({ cluster: this.options.cluster, services: [this.options.service] }),
    );
    return { service: response.services?.[0], failureArn: response.failures?.[0]?.arn };
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
        return `aborted while waiting for ${name}`;
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
    try {
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(this.evidence, null, 2)}\n`, 'utf8');
      await rename(temporary, file);
      return undefined;
    } catch (error) {
      return describeError(error);
    }
  }

  /**
   * Waits between polls. `signal` cuts the wait short during the rollout; the rollback wait passes
   * none, so an abort that already happened does not turn it into a busy loop.
   */
  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.injectedSleep) return this.injectedSleep(ms);
    await delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
  }

  private throwIfAborted(where: string): void {
    if (this.options.signal?.aborted) throw new ReleaseError(`aborted ${where}`);
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
