/**
 * `preflight`: checks, before a pipeline merges, that the AWS resources it names exist and are set
 * up the way its deploy steps need them. Read-only: only Describe/Get calls are made (a guard on
 * the SDK clients refuses anything else), nothing in AWS is changed.
 *
 * Per ECS deploy target (an `ecsDeploy` step, or an `ecs` target in `pipeline.environments`):
 * the cluster exists and is ACTIVE; the service exists in it and is ACTIVE; it runs on Fargate
 * (launch type or capacity providers); the container the step replaces exists in the service's
 * current task definition; the deployment controller is ECS (rolling updates) and the deployment
 * circuit breaker is on with rollback; every container of that task definition logs to CloudWatch
 * Logs (`awslogs` driver, the log group exists and has a retention); the CloudWatch alarms the step
 * (or the environment) names for its deployment and bake exist. The running task definition is
 * what is checked: the `pipewright` engine renders from it, and for the aws-cli engine's template
 * OBS-001 checks the same at compile time when the template is in the project.
 *
 * Per ECR repository an `ecrPush` step pushes to: it exists; its tags are immutable (IMMUTABLE,
 * or IMMUTABLE_WITH_EXCLUSION whose exclusions cannot match the commit-SHA tags the pipeline
 * pushes); images are scanned on push (registry scanning rules, or the legacy repository setting).
 *
 * Each problem is a {@link Diagnostic} (codes in {@link PREFLIGHT_CHECKS}) located at the field
 * of the pipeline's TypeScript source that names the resource. See docs/ecs-deploy.md#preflight.
 */
import { resolve } from 'node:path';
import {
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  type GetRegistryScanningConfigurationCommandOutput,
  type Repository,
} from '@aws-sdk/client-ecr';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type CapacityProviderStrategyItem,
  type Cluster,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, type LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import type { CompiledPipeline, CompileRun } from '../compile.ts';
import type { Diagnostic, ModelPath, Severity } from '../diagnostics.ts';
import { createSourceLocator, type SourceLocator } from '../load/locate.ts';
import type { CosignSignStep, EcrPushStep, EcsDeployStep } from '../model/delivery.ts';
import { indexPipeline } from '../policy/model-index.ts';
import { DEFAULT_MAX_ATTEMPTS, createCloudWatchClient, createEcsClient, sdkRequestHandlerOptions } from './ecs-deploy.ts';

/** The SDK clients preflight uses for one region. */
export interface PreflightClients {
  ecs: ECSClient;
  ecr: ECRClient;
  /**
   * CloudWatch Logs (log groups of the task definition's containers) and CloudWatch (alarms).
   * When left out, preflight creates them with the SDK's default chains (and destroys them).
   */
  logs?: CloudWatchLogsClient;
  cloudwatch?: CloudWatchClient;
}

export interface PreflightOptions {
  /**
   * Check only the deploy targets of this environment (and the ECR repositories in that
   * environment's accounts); default: every target of every pipeline.
   */
  env?: string;
  /**
   * Clients for a region. Default: new clients per region with credentials and endpoint from the
   * SDK's default chains (`AWS_ENDPOINT_URL_ECS` / `AWS_ENDPOINT_URL_ECR` are honoured); those
   * are destroyed at the end. Clients given here are left open.
   */
  clientsFor?: (region: string) => PreflightClients;
  /** How many targets are checked at the same time (default 4). */
  concurrency?: number;
}

/** A preflight check: what the reporters show about it (SARIF rules, JUnit cases, docs). */
export interface PreflightCheck {
  severity: Severity;
  title: string;
  /** Why it matters, in a sentence or two. */
  rationale: string;
  /** What to change. */
  fix: string;
  /** Policy-catalog rules and external controls it backs. */
  standards: readonly string[];
}

/** The checks, by diagnostic code. */
export const PREFLIGHT_CHECKS = {
  PF001: {
    severity: 'error',
    title: 'ECS cluster not found',
    rationale: 'The deploy step names a cluster that does not exist in its account and region: the deploy would fail.',
    fix: 'Fix `cluster`, or the region/account of the step.',
    standards: [],
  },
  PF002: {
    severity: 'error',
    title: 'ECS cluster not ACTIVE',
    rationale: 'An INACTIVE, PROVISIONING, DEPROVISIONING or FAILED cluster cannot run the release.',
    fix: 'Deploy to a live cluster.',
    standards: [],
  },
  PF003: {
    severity: 'error',
    title: 'ECS service not found in the cluster',
    rationale: 'The deploy step names a service the cluster does not have: the deploy would fail.',
    fix: 'Fix `service` or `cluster`.',
    standards: [],
  },
  PF004: {
    severity: 'error',
    title: 'ECS service not ACTIVE',
    rationale: 'A DRAINING or INACTIVE service cannot be updated.',
    fix: 'Recreate the service or fix its name.',
    standards: [],
  },
  PF005: {
    severity: 'error',
    title: 'ECS service does not run on Fargate',
    rationale: 'pipewright deploys Fargate services; EC2 or external capacity has other failure modes and controls.',
    fix: 'Use the FARGATE launch type or FARGATE/FARGATE_SPOT capacity providers.',
    standards: [],
  },
  PF006: {
    severity: 'error',
    title: 'container not in the service task definition',
    rationale: 'The deploy replaces the image of this container; a name the task definition lacks fails the release.',
    fix: 'Fix `container` (the finding lists the containers of the current task definition).',
    standards: ['DEPLOY-004'],
  },
  PF007: {
    severity: 'error',
    title: 'deployment controller is not ECS (rolling update)',
    rationale: 'With the CODE_DEPLOY or EXTERNAL controller, UpdateService cannot change the task definition: the deploy would fail.',
    fix: 'Use the ECS deployment controller.',
    standards: ['DEPLOY-001'],
  },
  PF008: {
    severity: 'warning',
    title: 'deployment circuit breaker with rollback not enabled',
    rationale: 'Both engines turn the circuit breaker on during the update; a definition without it drifts from what runs.',
    fix: 'Set deploymentCircuitBreaker {enable: true, rollback: true} where the service is defined.',
    standards: ['DEPLOY-001'],
  },
  PF009: {
    severity: 'error',
    title: 'ECR repository not found',
    rationale: 'The push step names a repository that does not exist: the push would fail.',
    fix: 'Create the repository (IMMUTABLE tags, scanning) or fix `repository`.',
    standards: ['ART-001'],
  },
  PF010: {
    severity: 'error',
    title: 'ECR repository tags are mutable',
    rationale: 'A mutable tag can be overwritten after it was scanned and approved.',
    fix: 'IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION whose filters cannot match commit-SHA tags (e.g. sha256-*).',
    standards: ['ART-001', 'AWS Security Hub ECR.2'],
  },
  PF011: {
    severity: 'error',
    title: 'ECR images are not scanned on push',
    rationale: 'Images pushed without a registry scan reach the registry unchecked.',
    fix: 'A registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) whose filter matches the repository.',
    standards: ['ART-001', 'AWS Security Hub ECR.1'],
  },
  PF012: {
    severity: 'warning',
    title: 'ECR scanning could not be verified',
    rationale: 'The repository does not scan on push by itself and the registry scanning configuration was unreadable.',
    fix: 'Grant ecr:GetRegistryScanningConfiguration to the preflight role.',
    standards: ['ART-001'],
  },
  PF013: {
    severity: 'warning',
    title: 'cosign signatures cannot be re-pushed to an IMMUTABLE repository',
    rationale: 'cosign writes sha256-<digest>.sig tags; in an IMMUTABLE repository signing the same digest twice fails.',
    fix: 'IMMUTABLE_WITH_EXCLUSION with the filter sha256-*, or a cosignSign signatureRepository.',
    standards: ['ART-005'],
  },
  PF014: {
    severity: 'warning',
    title: 'target is in another AWS account than the credentials',
    rationale: 'Resources with the same names in the wrong account prove nothing, so the target is not checked.',
    fix: "Run preflight with credentials for the target's account (--env per environment).",
    standards: [],
  },
  PF015: {
    severity: 'error',
    title: 'AWS call failed: the check could not be made',
    rationale: 'Access denied, missing credentials or an unreachable endpoint after retries: nothing is known about the resource.',
    fix: 'Fix the credentials or the permissions (see the read-only policy in docs/ecs-deploy.md).',
    standards: [],
  },
  PF016: {
    severity: 'error',
    title: 'no target could be checked with these credentials',
    rationale: 'Every selected target is in another account than the credentials: the run verified nothing.',
    fix: 'Run with the role of the environment being checked.',
    standards: [],
  },
  PF017: {
    severity: 'error',
    title: 'container does not log to CloudWatch Logs',
    rationale: 'Without the awslogs driver a container\'s output is lost when its task stops: no trail for incidents or audits.',
    fix: 'logConfiguration { logDriver: "awslogs", options: { awslogs-group, awslogs-region, awslogs-stream-prefix } } on every container.',
    standards: ['OBS-001', 'DEPLOY-005', 'AWS Security Hub ECS.9', 'PCI DSS 4.0.1 10.2'],
  },
  PF018: {
    severity: 'error',
    title: 'CloudWatch Logs log group not found',
    rationale: 'A task whose awslogs group does not exist fails to start (unless awslogs-create-group is set, which creates it without retention).',
    fix: 'Create the log group (with a retention) where the service is defined.',
    standards: ['OBS-001'],
  },
  PF019: {
    severity: 'warning',
    title: 'log group keeps its logs forever (no retention)',
    rationale: 'Logs without a retention are never deleted: unbounded cost, and no stated retention for the audit.',
    fix: 'Set a retention (e.g. 400 days for PCI DSS 10.5.1) on the log group.',
    standards: ['OBS-001', 'PCI DSS 4.0.1 10.5.1'],
  },
  PF020: {
    severity: 'error',
    title: 'CloudWatch alarm not found',
    rationale: 'The deploy sets the alarms on the service and the bake watches them; an alarm that does not exist watches nothing (the deploy stops before any change).',
    fix: 'Create the alarm in the environment\'s account and region, or fix its name.',
    standards: ['DEPLOY-001'],
  },
} as const satisfies Record<string, PreflightCheck>;

export type PreflightCode = keyof typeof PREFLIGHT_CHECKS;

/** The only operations preflight calls; the client guard refuses every other one. */
export const PREFLIGHT_OPERATIONS = [
  'DescribeClusters',
  'DescribeServices',
  'DescribeTaskDefinition',
  'DescribeRepositories',
  'GetRegistryScanningConfiguration',
  'DescribeLogGroups',
  'DescribeAlarms',
] as const;

/** An ECS service a pipeline deploys to. */
export interface EcsDeployTarget {
  /** Project-relative source of the pipeline. */
  source: string;
  pipeline: string;
  /** Where the target is declared: an `ecsDeploy` step or `pipeline.environments[i].target`. */
  origin: 'step' | 'environment';
  environment: string;
  cluster: string;
  service: string;
  container: string;
  region: string;
  /** Account the deploy runs in (the step's role account or the environment's account). */
  account: string;
  /** Model paths of the fields that name the cluster, service and container. */
  paths: { cluster: ModelPath; service: ModelPath; container: ModelPath };
  /** CloudWatch alarms the deploy sets or bakes with, each with the model path of its name. */
  alarms: Array<{ name: string; path: ModelPath }>;
}

/** An ECR repository a pipeline pushes to. */
export interface RepositoryTarget {
  source: string;
  pipeline: string;
  repository: string;
  /** Registry (account) id. */
  registryId: string;
  region: string;
  /** Model path of the `ecrPush` step's `repository` field. */
  path: ModelPath;
  /** The pipeline signs with cosign into this repository (no `signatureRepository`). */
  signsInRepository: boolean;
}

/** What {@link preflight} would check. */
export interface PreflightTargets {
  deploys: EcsDeployTarget[];
  repositories: RepositoryTarget[];
}

/**
 * The deploy targets and repositories of the compiled pipelines (pipelines without a valid model
 * are skipped), filtered by environment. With `env`, repositories are kept only when their
 * registry is in an account of that environment (the credentials for an environment's account
 * cannot be expected to read another account's registry).
 */
export function preflightTargets(run: CompileRun, env?: string): PreflightTargets {
  const deploys: EcsDeployTarget[] = [];
  const repositories: RepositoryTarget[] = [];
  for (const pipeline of run.pipelines) {
    if (!pipeline.model) continue;
    const found = pipelineTargets(pipeline);
    const selected = env === undefined ? found.deploys : found.deploys.filter((target) => target.environment === env);
    deploys.push(...selected);
    const accounts = new Set(selected.map((target) => target.account));
    for (const declared of pipeline.model.environments ?? []) if (declared.name === env) accounts.add(declared.awsAccountId);
    repositories.push(
      ...(env === undefined ? found.repositories : found.repositories.filter((target) => accounts.has(target.registryId))),
    );
  }
  return { deploys, repositories };
}

/** Every environment name that has an ECS deploy target, for usage messages. */
export function preflightEnvironments(run: CompileRun): string[] {
  return [...new Set(preflightTargets(run).deploys.map((target) => target.environment))].sort();
}

function pipelineTargets(pipeline: CompiledPipeline): PreflightTargets {
  const model = pipeline.model!;
  const index = indexPipeline(model);
  const deploys: EcsDeployTarget[] = [];
  const repositories: RepositoryTarget[] = [];
  const base = { source: pipeline.source, pipeline: pipeline.name };
  const cosignSteps = index.steps.filter((info) => info.step.step === 'cosignSign').map((info) => info.step as unknown as CosignSignStep);
  for (const info of index.steps) {
    if (info.step.step === 'ecsDeploy') {
      const step = info.step as unknown as EcsDeployStep;
      deploys.push({
        ...base,
        origin: 'step',
        environment: step.environment,
        cluster: step.cluster,
        service: step.service,
        container: step.container,
        region: step.aws.region,
        account: step.aws.account,
        paths: { cluster: [...info.path, 'cluster'], service: [...info.path, 'service'], container: [...info.path, 'container'] },
        alarms: [
          ...(step.alarms ?? []).map((name, i) => ({ name, path: [...info.path, 'alarms', i] })),
          ...(step.bake?.alarms ?? []).map((name, i) => ({ name, path: [...info.path, 'bake', 'alarms', i] })),
        ],
      });
    } else if (info.step.step === 'ecrPush') {
      const step = info.step as unknown as EcrPushStep;
      const known = repositories.some(
        (r) => r.repository === step.repository && r.registryId === step.registry.accountId && r.region === step.registry.region,
      );
      if (known) continue;
      repositories.push({
        ...base,
        repository: step.repository,
        registryId: step.registry.accountId,
        region: step.registry.region,
        path: [...info.path, 'repository'],
        signsInRepository: cosignSteps.some((cosign) => cosign.signatureRepository === undefined),
      });
    }
  }
  // Environments' ECS targets, unless a deploy step already names the same service there.
  (model.environments ?? []).forEach((env, i) => {
    if (env.target.kind !== 'ecs') return;
    const { cluster, service, container } = env.target;
    const covered = deploys.some(
      (d) => d.environment === env.name && d.cluster === cluster && d.service === service && d.region === env.region,
    );
    if (covered) return;
    const targetPath = ['environments', i, 'target'];
    deploys.push({
      ...base,
      origin: 'environment',
      environment: env.name,
      cluster,
      service,
      container,
      region: env.region,
      account: env.awsAccountId,
      paths: { cluster: [...targetPath, 'cluster'], service: [...targetPath, 'service'], container: [...targetPath, 'container'] },
      alarms: (env.target.alarms ?? []).map((name, j) => ({ name, path: [...targetPath, 'alarms', j] })),
    });
  });
  return { deploys, repositories };
}

/** Clients for a region with the SDK's default chains and standard retries. */
export function createPreflightClients(region: string): Required<PreflightClients> {
  return {
    ecs: createEcsClient({ region }),
    ecr: new ECRClient({ region, maxAttempts: DEFAULT_MAX_ATTEMPTS, retryMode: 'standard', requestHandler: sdkRequestHandlerOptions() }),
    logs: createLogsClient(region),
    cloudwatch: createCloudWatchClient({ region }),
  };
}

function createLogsClient(region: string): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ region, maxAttempts: DEFAULT_MAX_ATTEMPTS, retryMode: 'standard', requestHandler: sdkRequestHandlerOptions() });
}

const GUARD_NAME = 'pipewrightPreflightReadOnly';

/** Thrown by the read-only guard for an operation preflight must never send. */
export class ReadOnlyViolation extends Error {
  override name = 'ReadOnlyViolation';
}

/**
 * Adds a middleware to an SDK client that refuses, before anything is sent, every operation whose
 * name does not start with Describe, Get or List. Returns a function that removes it again.
 */
export function guardReadOnly(client: ECSClient | ECRClient | CloudWatchLogsClient | CloudWatchClient): () => void {
  const stack = client.middlewareStack as unknown as {
    add(middleware: unknown, options: { step: 'initialize'; name: string; override?: boolean }): void;
    remove(name: string): boolean;
  };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      if (!/^(?:Describe|Get|List)[A-Z]/.test(operation)) {
        throw new ReadOnlyViolation(`preflight is read-only; refusing to send ${operation || 'an unnamed operation'}`);
      }
      return next(args);
    },
    { step: 'initialize', name: GUARD_NAME, override: true },
  );
  return () => void stack.remove(GUARD_NAME);
}

/**
 * Checks the AWS resources the pipelines of `run` name, with read-only calls, and returns the
 * problems found (empty when everything is in place). Pipelines that did not compile are skipped:
 * report their diagnostics first. Never throws for AWS errors (they become PF015 findings).
 */
export async function preflight(run: CompileRun, options: PreflightOptions = {}): Promise<Diagnostic[]> {
  const targets = preflightTargets(run, options.env);
  const session = new Session(run, options);
  try {
    const tasks: Array<() => Promise<Diagnostic[]>> = [
      ...targets.deploys.map((target) => () => session.checkDeploy(target)),
      ...targets.repositories.map((target) => () => session.checkRepository(target)),
    ];
    const results = await runPool(tasks, options.concurrency ?? 4);
    const diagnostics = results.flat();
    const total = tasks.length;
    if (total > 0 && session.skippedForAccount === total) {
      const accounts = [...session.callerAccounts].join(', ') || 'unknown';
      // A run-level finding, reported at the first checked pipeline's default export.
      const first = targets.deploys[0]?.source ?? targets.repositories[0]!.source;
      diagnostics.push(
        session.diagnostic(
          first,
          'PF016',
          [],
          `none of the ${total} target(s) is in the account of these credentials (${accounts}); nothing was checked: run preflight with credentials for the targets' account${options.env ? '' : ' (use --env per environment)'}`,
          {},
        ),
      );
    }
    return diagnostics;
  } finally {
    session.close();
  }
}

/** Runs tasks with at most `limit` in flight; results in task order. */
async function runPool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  return results;
}

/** A failed AWS call, kept to report where the call mattered. */
class CallFailed {
  constructor(
    readonly operation: string,
    readonly error: unknown,
  ) {}
  get name(): string {
    return (this.error as { name?: string })?.name ?? 'Error';
  }
  describe(): string {
    const error = this.error as { name?: string; message?: string };
    if (error?.name === 'CredentialsProviderError') {
      return `${this.operation}: no AWS credentials from the default provider chain (${error.message})`;
    }
    return `${this.operation} failed: ${error?.name ?? 'Error'}: ${error?.message ?? String(this.error)}`;
  }
}

type Outcome<T> = T | CallFailed;

/** State of one preflight run: clients and caches per region, locators per pipeline. */
class Session {
  readonly callerAccounts = new Set<string>();
  skippedForAccount = 0;
  private readonly clients = new Map<string, { clients: PreflightClients; release: () => void }>();
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly locators = new Map<string, SourceLocator>();

  constructor(
    private readonly run: CompileRun,
    private readonly options: PreflightOptions,
  ) {}

  close(): void {
    for (const { release } of this.clients.values()) release();
    this.clients.clear();
  }

  // ---- ECS -----------------------------------------------------------------------------------

  async checkDeploy(target: EcsDeployTarget): Promise<Diagnostic[]> {
    const out: Diagnostic[] = [];
    const where = `${target.region}, account ${target.account}`;
    const label = `[${target.environment}]`;
    const report = (code: PreflightCode, field: keyof EcsDeployTarget['paths'], message: string, extra: Partial<Diagnostic> = {}) =>
      out.push(this.diagnostic(target.source, code, target.paths[field], `${label} ${message}`, extra));

    const clusters = await this.describeCluster(target.region, target.cluster);
    if (clusters instanceof CallFailed) {
      report('PF015', 'cluster', `cannot check cluster "${target.cluster}" (${where}): ${clusters.describe()}`);
      return out;
    }
    const cluster = clusters.cluster;
    const seenAccount = accountOf(cluster?.clusterArn ?? clusters.failureArn);
    if (seenAccount) this.callerAccounts.add(seenAccount);
    if (seenAccount && seenAccount !== target.account) {
      this.skippedForAccount += 1;
      report(
        'PF014',
        'cluster',
        `not checked: the target is in account ${target.account}, but these credentials are for account ${seenAccount}; run preflight with credentials for ${target.account}${this.options.env ? '' : ` (--env ${target.environment})`}`,
        { expected: `account ${target.account}`, found: `account ${seenAccount}` },
      );
      return out;
    }
    if (!cluster) {
      report('PF001', 'cluster', `ECS cluster "${target.cluster}" not found (${where})`, {
        found: clusters.failureReason ?? 'MISSING',
      });
      return out;
    }
    if (cluster.status !== 'ACTIVE') {
      report('PF002', 'cluster', `ECS cluster "${target.cluster}" is ${cluster.status ?? 'in an unknown state'}, not ACTIVE (${where})`, {
        expected: 'ACTIVE',
        found: cluster.status ?? 'unknown',
      });
      return out;
    }

    const services = await this.describeService(target.region, target.cluster, target.service);
    if (services instanceof CallFailed) {
      report('PF015', 'service', `cannot check service "${target.service}": ${services.describe()}`);
      return out;
    }
    const service = services.service;
    if (!service) {
      report('PF003', 'service', `ECS service "${target.service}" not found in cluster "${target.cluster}" (${where})`, {
        found: services.failureReason ?? 'MISSING',
      });
      return out;
    }
    if (service.status !== 'ACTIVE') {
      report('PF004', 'service', `ECS service "${target.service}" is ${service.status ?? 'in an unknown state'}, not ACTIVE`, {
        expected: 'ACTIVE',
        found: service.status ?? 'unknown',
      });
      return out;
    }

    const compute = computeOf(service, cluster);
    if (compute.fargate === false) {
      report('PF005', 'service', `ECS service "${target.service}" runs on ${compute.found}, not Fargate; pipewright deploys Fargate services`, {
        expected: 'FARGATE launch type or FARGATE/FARGATE_SPOT capacity providers',
        found: compute.found,
      });
    } else if (compute.fargate === undefined) {
      report('PF005', 'service', `cannot tell whether ECS service "${target.service}" runs on Fargate: it has no launch type and no capacity provider strategy`, {
        severity: 'warning',
        expected: 'FARGATE',
        found: compute.found,
      });
    }

    const controller = service.deploymentController?.type ?? 'ECS';
    if (controller !== 'ECS') {
      report(
        'PF007',
        'service',
        `ECS service "${target.service}" uses the ${controller} deployment controller: UpdateService cannot change its task definition, so the deploy step would fail`,
        { expected: 'ECS (rolling update)', found: controller },
      );
    }
    const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker;
    if (!breaker?.enable || !breaker.rollback) {
      report(
        'PF008',
        'service',
        `ECS service "${target.service}" has the deployment circuit breaker ${breaker?.enable ? 'without rollback' : 'off'}; the deploy step turns it on, so set enable+rollback where the service is defined (Terraform/CloudFormation) to avoid drift`,
        { expected: 'deploymentCircuitBreaker {enable: true, rollback: true}', found: JSON.stringify(breaker ?? {}) },
      );
    }

    if (!service.taskDefinition) {
      report('PF015', 'container', `ECS service "${target.service}" has no task definition to check the container against`);
      return out;
    }
    const taskDefinition = await this.describeTaskDefinition(target.region, service.taskDefinition);
    if (taskDefinition instanceof CallFailed) {
      report('PF015', 'container', `cannot check container "${target.container}": ${taskDefinition.describe()}`);
      return out;
    }
    const names = (taskDefinition.containerDefinitions ?? []).map((c) => c.name ?? '(unnamed)');
    if (!names.includes(target.container)) {
      report(
        'PF006',
        'container',
        `container "${target.container}" is not in ${shortArn(service.taskDefinition)}, the task definition service "${target.service}" runs`,
        { expected: `one of ${names.join(', ') || '(no containers)'}`, found: target.container },
      );
    }

    // CloudWatch Logs (OBS-001): every container, awslogs, an existing group with a retention.
    const label2 = shortArn(service.taskDefinition);
    for (const container of taskDefinition.containerDefinitions ?? []) {
      const name = container.name ?? '(unnamed)';
      const logging = container.logConfiguration;
      const group = logging?.options?.['awslogs-group'];
      if (logging?.logDriver !== 'awslogs' || !group) {
        const found = logging ? `logDriver ${logging.logDriver ?? '?'}${logging.logDriver === 'awslogs' ? ' without awslogs-group' : ''}` : 'no logConfiguration';
        report('PF017', 'container', `container "${name}" of ${label2} does not log to CloudWatch Logs (${found})`, {
          expected: 'logDriver awslogs with an awslogs-group',
          found,
        });
        continue;
      }
      const groupRegion = logging.options?.['awslogs-region'] ?? target.region;
      const described = await this.describeLogGroup(groupRegion, group);
      if (described instanceof CallFailed) {
        report('PF015', 'container', `cannot check log group "${group}" of container "${name}": ${described.describe()}`);
      } else if (!described) {
        report('PF018', 'container', `log group "${group}" of container "${name}" (${label2}) does not exist in ${groupRegion}, account ${target.account}`, {
          expected: `log group ${group}`,
          found: 'none',
        });
      } else if (described.retentionInDays === undefined) {
        report('PF019', 'container', `log group "${group}" of container "${name}" has no retention: its logs are kept (and billed) forever`, {
          expected: 'a retention in days',
          found: 'never expire',
        });
      }
    }

    // The alarms the deploy sets on the service and the bake watches must exist.
    if (target.alarms.length > 0) {
      const names = [...new Set(target.alarms.map((alarm) => alarm.name))];
      const existing = await this.describeAlarms(target.region, names);
      if (existing instanceof CallFailed) {
        out.push(this.diagnostic(target.source, 'PF015', target.alarms[0]!.path, `${label} cannot check the CloudWatch alarms: ${existing.describe()}`, {}));
      } else {
        for (const alarm of target.alarms.filter((a) => !existing.has(a.name))) {
          out.push(
            this.diagnostic(target.source, 'PF020', alarm.path, `${label} CloudWatch alarm "${alarm.name}" not found (${where})`, {
              expected: `alarm ${alarm.name}`,
              found: 'none',
            }),
          );
        }
      }
    }
    return out;
  }

  private describeLogGroup(region: string, name: string): Promise<Outcome<LogGroup | undefined>> {
    return this.once(`loggroup\0${region}\0${name}`, async () => {
      const logs = this.clientsFor(region).logs!;
      let nextToken: string | undefined;
      do {
        const answer = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, ...(nextToken ? { nextToken } : {}) }));
        const found = answer.logGroups?.find((group) => group.logGroupName === name);
        if (found) return found;
        nextToken = answer.nextToken;
      } while (nextToken);
      return undefined;
    }, 'DescribeLogGroups');
  }

  private describeAlarms(region: string, names: string[]): Promise<Outcome<Set<string>>> {
    return this.once(`alarms\0${region}\0${names.join('\0')}`, async () => {
      const cloudwatch = this.clientsFor(region).cloudwatch!;
      const found = new Set<string>();
      let nextToken: string | undefined;
      do {
        const answer = await cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], ...(nextToken ? { NextToken: nextToken } : {}) }),
        );
        for (const alarm of [...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])]) if (alarm.AlarmName) found.add(alarm.AlarmName);
        nextToken = answer.NextToken;
      } while (nextToken);
      return found;
    }, 'DescribeAlarms');
  }

  private describeCluster(region: string, name: string): Promise<Outcome<{ cluster?: Cluster; failureArn?: string; failureReason?: string }>> {
    return this.once(`cluster\0${region}\0${name}`, async () => {
      const answer = await this.clientsFor(region).ecs.send(new DescribeClustersCommand({ clusters: [name] }));
      const cluster = answer.clusters?.find((c) => c.clusterName === name || c.clusterArn?.endsWith(`:cluster/${name}`));
      const failure = answer.failures?.[0];
      return {
        ...(cluster ? { cluster } : {}),
        ...(failure?.arn ? { failureArn: failure.arn } : {}),
        ...(failure?.reason ? { failureReason: failure.reason } : {}),
      };
    }, 'DescribeClusters');
  }

  private describeService(region: string, cluster: string, name: string): Promise<Outcome<{ service?: Service; failureReason?: string }>> {
    return this.once(`service\0${region}\0${cluster}\0${name}`, async () => {
      const answer = await this.clientsFor(region).ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
      const service = answer.services?.find((s) => s.serviceName === name || s.serviceArn?.endsWith(`/${name}`));
      const failure = answer.failures?.[0];
      return { ...(service ? { service } : {}), ...(failure?.reason ? { failureReason: failure.reason } : {}) };
    }, 'DescribeServices');
  }

  private describeTaskDefinition(region: string, arn: string): Promise<Outcome<TaskDefinition>> {
    return this.once(`taskdef\0${region}\0${arn}`, async () => {
      const answer = await this.clientsFor(region).ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
      return answer.taskDefinition ?? {};
    }, 'DescribeTaskDefinition');
  }

  // ---- ECR -----------------------------------------------------------------------------------

  async checkRepository(target: RepositoryTarget): Promise<Diagnostic[]> {
    const out: Diagnostic[] = [];
    const where = `registry ${target.registryId}, ${target.region}`;
    const report = (code: PreflightCode, message: string, extra: Partial<Diagnostic> = {}) =>
      out.push(this.diagnostic(target.source, code, target.path, message, extra));

    // The caller's own registry: its id tells which account the credentials are for.
    const scanning = await this.registryScanning(target.region);
    const callerRegistry = scanning instanceof CallFailed ? undefined : scanning.registryId;
    if (callerRegistry) this.callerAccounts.add(callerRegistry);
    if (callerRegistry && callerRegistry !== target.registryId) {
      this.skippedForAccount += 1;
      report(
        'PF014',
        `ECR repository "${target.repository}" not checked: it is in registry ${target.registryId}, but these credentials are for account ${callerRegistry}; run preflight with credentials for ${target.registryId}`,
        { expected: `account ${target.registryId}`, found: `account ${callerRegistry}` },
      );
      return out;
    }

    const described = await this.describeRepository(target.region, target.registryId, target.repository);
    if (described instanceof CallFailed) {
      if (described.name === 'RepositoryNotFoundException') {
        report('PF009', `ECR repository "${target.repository}" not found (${where})`, { found: 'RepositoryNotFoundException' });
      } else {
        report('PF015', `cannot check ECR repository "${target.repository}" (${where}): ${described.describe()}`);
      }
      return out;
    }
    const repository = described;

    const mutability = repository.imageTagMutability ?? 'MUTABLE';
    const exclusions = (repository.imageTagMutabilityExclusionFilters ?? []).map((f) => f.filter ?? '');
    if (mutability === 'IMMUTABLE_WITH_EXCLUSION') {
      const loose = exclusions.filter(canMatchCommitTag);
      if (loose.length > 0) {
        report(
          'PF010',
          `ECR repository "${target.repository}" excludes the commit-SHA tags the pipeline pushes from immutability (filter ${loose.map((f) => `"${f}"`).join(', ')}); a pushed tag could be overwritten`,
          { expected: 'exclusions that cannot match a hex commit SHA, e.g. "sha256-*"', found: loose.join(', ') },
        );
      }
    } else if (mutability !== 'IMMUTABLE') {
      report('PF010', `ECR repository "${target.repository}" has ${mutability} tags: a pushed tag can be overwritten (ART-001)`, {
        expected: 'IMMUTABLE or IMMUTABLE_WITH_EXCLUSION',
        found: mutability,
      });
    } else if (target.signsInRepository) {
      report(
        'PF013',
        `ECR repository "${target.repository}" is IMMUTABLE and the pipeline's cosign step writes its signature tags (sha256-<digest>.sig) into it: signing the same digest again fails; use IMMUTABLE_WITH_EXCLUSION with "sha256-*" or a signatureRepository`,
        { expected: 'IMMUTABLE_WITH_EXCLUSION (sha256-*) or signatureRepository', found: 'IMMUTABLE' },
      );
    }

    const scan = scanVerdict(repository, scanning);
    if (scan.kind === 'not-scanned') {
      report('PF011', `ECR repository "${target.repository}" is not scanned on push: ${scan.why} (ART-001, Security Hub ECR.1)`, {
        expected: 'a registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) matching the repository, or scan-on-push',
        found: scan.why,
      });
    } else if (scan.kind === 'unknown') {
      report('PF012', `cannot verify that ECR repository "${target.repository}" is scanned on push: ${scan.why}`);
    }
    return out;
  }

  private registryScanning(region: string): Promise<Outcome<GetRegistryScanningConfigurationCommandOutput>> {
    return this.once(
      `scanning\0${region}`,
      () => this.clientsFor(region).ecr.send(new GetRegistryScanningConfigurationCommand({})),
      'GetRegistryScanningConfiguration',
    );
  }

  private describeRepository(region: string, registryId: string, name: string): Promise<Outcome<Repository>> {
    return this.once(`repository\0${region}\0${registryId}\0${name}`, async () => {
      const answer = await this.clientsFor(region).ecr.send(
        new DescribeRepositoriesCommand({ registryId, repositoryNames: [name] }),
      );
      const repository = answer.repositories?.find((r) => r.repositoryName === name);
      if (!repository) throw Object.assign(new Error(`no repository "${name}" in the answer`), { name: 'RepositoryNotFoundException' });
      return repository;
    }, 'DescribeRepositories');
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** Runs `call` once per key (concurrent targets share the answer); failures become {@link CallFailed}. */
  private once<T>(key: string, call: () => Promise<T>, operation: string): Promise<Outcome<T>> {
    let pending = this.cache.get(key) as Promise<Outcome<T>> | undefined;
    if (!pending) {
      pending = call().catch((error: unknown) => new CallFailed(operation, error));
      this.cache.set(key, pending);
    }
    return pending;
  }

  private clientsFor(region: string): PreflightClients {
    let entry = this.clients.get(region);
    if (!entry) {
      const given = this.options.clientsFor;
      const clients = given ? { ...given(region) } : createPreflightClients(region);
      // Clients the caller did not give are preflight's own (and destroyed at the end).
      const own: Array<{ destroy(): void }> = given ? [] : [clients.ecs, clients.ecr];
      if (!clients.logs) own.push((clients.logs = createLogsClient(region)));
      if (!clients.cloudwatch) own.push((clients.cloudwatch = createCloudWatchClient({ region })));
      const unguard = [clients.ecs, clients.ecr, clients.logs, clients.cloudwatch].map((client) => guardReadOnly(client));
      entry = {
        clients,
        release: () => {
          for (const remove of unguard) remove();
          for (const client of own) client.destroy();
        },
      };
      this.clients.set(region, entry);
    }
    return entry.clients;
  }

  diagnostic(source: string, code: PreflightCode, path: ModelPath, message: string, extra: Partial<Diagnostic>): Diagnostic {
    let locator = this.locators.get(source);
    if (!locator) {
      locator = createSourceLocator(resolve(this.run.root, source), this.run.root);
      this.locators.set(source, locator);
    }
    return {
      code,
      severity: PREFLIGHT_CHECKS[code].severity,
      message,
      path,
      location: locator.locate(path),
      ...extra,
    };
  }
}

/** Whether a service runs on Fargate: by launch type, else its (or the cluster's default) capacity providers. */
function computeOf(service: Service, cluster: Cluster): { fargate: boolean | undefined; found: string } {
  if (service.launchType) return { fargate: service.launchType === 'FARGATE', found: `launch type ${service.launchType}` };
  const own = service.capacityProviderStrategy ?? [];
  const strategy: CapacityProviderStrategyItem[] = own.length > 0 ? own : (cluster.defaultCapacityProviderStrategy ?? []);
  if (strategy.length === 0) return { fargate: undefined, found: 'no launch type or capacity provider strategy' };
  const providers = strategy.map((item) => item.capacityProvider ?? '?');
  const fargate = providers.every((name) => name === 'FARGATE' || name === 'FARGATE_SPOT');
  return { fargate, found: `capacity providers ${providers.join(', ')}${own.length > 0 ? '' : ' (cluster default)'}` };
}

/**
 * Whether images pushed to the repository are scanned. Registry rules decide when the caller's
 * registry configuration is readable: ENHANCED scans what a SCAN_ON_PUSH or CONTINUOUS_SCAN rule
 * matches; BASIC scans on push what a SCAN_ON_PUSH rule matches, and without any rule the
 * repository's own (legacy) scan-on-push setting applies.
 */
function scanVerdict(
  repository: Repository,
  scanning: Outcome<GetRegistryScanningConfigurationCommandOutput>,
): { kind: 'scanned' } | { kind: 'not-scanned' | 'unknown'; why: string } {
  const name = repository.repositoryName ?? '';
  const repositoryScanOnPush = repository.imageScanningConfiguration?.scanOnPush === true;
  if (scanning instanceof CallFailed) {
    return repositoryScanOnPush
      ? { kind: 'scanned' }
      : { kind: 'unknown', why: `repository scan-on-push is off and the registry scanning configuration could not be read (${scanning.describe()})` };
  }
  const config = scanning.scanningConfiguration ?? {};
  const scanType = config.scanType ?? 'BASIC';
  const rules = config.rules ?? [];
  const frequencies = scanType === 'ENHANCED' ? ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN'] : ['SCAN_ON_PUSH'];
  const matching = rules.filter(
    (rule) => frequencies.includes(rule.scanFrequency ?? '') && (rule.repositoryFilters ?? []).some((f) => scanFilterMatches(f.filter ?? '', name)),
  );
  if (matching.length > 0) return { kind: 'scanned' };
  if (scanType === 'BASIC' && rules.length === 0) {
    return repositoryScanOnPush
      ? { kind: 'scanned' }
      : { kind: 'not-scanned', why: 'repository scan-on-push is off and the registry has no BASIC scan-on-push rule' };
  }
  return { kind: 'not-scanned', why: `no ${scanType} registry scanning rule (${frequencies.join(' or ')}) matches "${name}"` };
}

/**
 * ECR scanning-filter semantics: a filter without `*` matches every repository name containing
 * it; with `*`, the whole name must match, `*` standing for zero or more characters.
 */
export function scanFilterMatches(filter: string, name: string): boolean {
  if (!filter.includes('*')) return name.includes(filter);
  return wildcard(filter).test(name);
}

/**
 * Whether a tag-mutability exclusion filter (wildcards only, whole-tag match) could match a
 * lowercase hex commit SHA tag of 7 to 40 characters: its literal characters are all hex digits
 * and few enough to fit.
 */
export function canMatchCommitTag(filter: string): boolean {
  const literals = filter.replace(/\*/g, '');
  if (!/^[0-9a-f]*$/.test(literals)) return false;
  return filter.includes('*') ? literals.length <= 40 : literals.length >= 7 && literals.length <= 40;
}

function wildcard(filter: string): RegExp {
  return new RegExp(`^${filter.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Account id from an ARN (`arn:aws:ecs:region:ACCOUNT:...`). */
function accountOf(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** `family:revision` of a task-definition ARN. */
function shortArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
