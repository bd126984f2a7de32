/**
 * A small, stateful stand-in for Amazon ECS that speaks the real wire protocol (AWS JSON 1.1 over
 * HTTP, `x-amz-target: AmazonEC2ContainerServiceV20141113.<Operation>`) on 127.0.0.1, so tests
 * drive the real `@aws-sdk/client-ecs` client (serialization, signing, retries) instead of a mock.
 *
 * State: clusters, services (with a deployments array and events) and task-definition families.
 * Deployments move forward one step per DescribeServices call ("poll") according to a scripted
 * {@link RolloutScenario} queued per service. Every request is recorded in {@link FakeEcs.calls}.
 *
 * Shapes follow the ECS API reference (timestamps as epoch seconds, errors as
 * `{"__type": "<Name>", "message": ...}` with HTTP 400). It only models what the tests need; it is
 * a test double, not an emulator. ECR has its own fake (`fake-ecr-server.ts`), for `preflight`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

/** What a deployment started by UpdateService does over the next DescribeServices polls. */
export type RolloutScenario =
  /** Tasks start gradually; the deployment is COMPLETED on poll `afterPolls` (1 = the first poll). */
  | { kind: 'complete'; afterPolls: number }
  /**
   * Tasks keep failing; on poll `failAfterPolls` the circuit breaker marks the deployment FAILED
   * and ECS rolls back on its own: a new PRIMARY deployment of the last COMPLETED task definition,
   * which completes `rollbackCompletesAfterPolls` polls later (default 1; 0 = already COMPLETED
   * in the same answer).
   */
  | { kind: 'circuit-breaker-rollback'; failAfterPolls: number; rollbackCompletesAfterPolls?: number }
  /** Circuit breaker without rollback: the deployment turns FAILED and stays PRIMARY. */
  | { kind: 'fail'; afterPolls: number }
  /** Tasks never become healthy and the deployment stays IN_PROGRESS. */
  | { kind: 'never-complete' };

/** One recorded HTTP request. */
export interface FakeEcsCall {
  /** Operation name, for example `DescribeServices`. */
  operation: string;
  /** Parsed JSON request body. */
  body: Record<string, any>;
  /** `Date.now()` when the request was read. */
  receivedAt: number;
  /** The SDK's `amz-sdk-request` header, for example `attempt=2; max=6`. */
  sdkRequest: string | undefined;
  /** The SigV4 `Authorization` header (to check which credentials signed the call). */
  authorization: string | undefined;
  /** HTTP status the fake answered with; 0 for a request it swallowed (see {@link FakeEcs.blackHoleAfter}). */
  status: number;
  /** `__type` of the error answered, if any. */
  errorType?: string;
}

/** An error the fake answers instead of processing a request (throttling, 5xx, ...). */
export interface InjectedError {
  /** Operation to fail, or `*` for any operation. */
  operation: string;
  /** How many matching calls to fail (the next N). */
  count: number;
  /** Error `__type`, for example `ThrottlingException`. */
  type: string;
  /** HTTP status; 400 unless given. */
  status?: number;
  message?: string;
  /** Process the request first, then answer the error (a lost response: the change happened). */
  afterProcessing?: boolean;
}

interface WireDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
  capacityProviderStrategy?: CapacityProviderItem[];
  platformVersion: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
}

interface WireEvent {
  id: string;
  createdAt: number;
  message: string;
}

interface ServiceState {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  /** Absent when the service uses a capacity provider strategy (the two are exclusive). */
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
  capacityProviderStrategy?: CapacityProviderItem[];
  platformVersion: string;
  deploymentConfiguration: Record<string, any>;
  deploymentController: { type: string };
  networkConfiguration?: Record<string, any>;
  createdAt: number;
  deployments: WireDeployment[];
  /** Newest first, as ECS returns them. */
  events: WireEvent[];
  /** Rollouts for the next UpdateService calls that start a deployment, in order. */
  queuedScenarios: RolloutScenario[];
  /** Scenario and poll count per in-flight deployment id. */
  progress: Map<string, { scenario: RolloutScenario; polls: number }>;
  /** Task definition of the last deployment that reached COMPLETED (the circuit breaker's target). */
  lastCompletedTaskDefinition: string;
  /** Resource tags (TagResource), and how tasks get tags (`propagateTags`). */
  tags: Array<{ key: string; value: string }>;
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
}

/** One entry of a capacity provider strategy, as ECS spells it. */
export interface CapacityProviderItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

/** Cluster states ECS reports. */
export type ClusterStatus = 'ACTIVE' | 'PROVISIONING' | 'DEPROVISIONING' | 'FAILED' | 'INACTIVE';

interface ClusterState {
  clusterArn: string;
  clusterName: string;
  status: ClusterStatus;
  capacityProviders: string[];
  defaultCapacityProviderStrategy: CapacityProviderItem[];
}

interface TaskDefinitionRecord {
  taskDefinition: Record<string, any>;
  tags: Array<{ key: string; value: string }>;
}

/** Seed for {@link FakeEcs.addService}. */
export interface FakeServiceSeed {
  cluster: string;
  name: string;
  /** ARN or `family:revision` of an already registered task definition. */
  taskDefinition: string;
  desiredCount?: number;
  status?: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  deploymentController?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  deploymentConfiguration?: Record<string, any>;
  /** Rollout state of the service's current (only) deployment. */
  currentRolloutState?: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** Launch type (default FARGATE); ignored when `capacityProviderStrategy` is given. */
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
  /** Capacity provider strategy instead of a launch type. */
  capacityProviderStrategy?: CapacityProviderItem[];
}

/** Thrown inside request handling and turned into an ECS-shaped error response. */
class EcsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Keys RegisterTaskDefinition accepts (from the ECS API reference). */
const REGISTER_TASK_DEFINITION_KEYS = new Set([
  'family', 'taskRoleArn', 'executionRoleArn', 'networkMode', 'containerDefinitions', 'volumes',
  'placementConstraints', 'requiresCompatibilities', 'cpu', 'memory', 'tags', 'pidMode', 'ipcMode',
  'proxyConfiguration', 'inferenceAccelerators', 'ephemeralStorage', 'runtimePlatform',
  'enableFaultInjection',
]);

/**
 * The fake ECS endpoint. Start with {@link FakeEcs.start}, seed state, point an `ECSClient` at
 * {@link FakeEcs.endpoint}, and `close()` it when done.
 */
export class FakeEcs {
  /** Every request received, in order (including the ones answered with injected errors). */
  readonly calls: FakeEcsCall[] = [];
  readonly region: string;
  readonly accountId: string;
  private readonly clusters = new Map<string, ClusterState>();
  private readonly services = new Map<string, ServiceState>();
  private readonly families = new Map<string, TaskDefinitionRecord[]>();
  private readonly injectedErrors: InjectedError[] = [];
  private nextId = 1;
  /** Black-hole mode: after this many more answered calls of the operation, nothing is answered. */
  private blackHole: { operation: string; remaining: number; active: boolean } | undefined;

  private constructor(
    private readonly server: http.Server,
    options: { region: string; accountId: string },
  ) {
    this.region = options.region;
    this.accountId = options.accountId;
  }

  /** Starts the server on 127.0.0.1 with a random free port. */
  static async start(options: { region?: string; accountId?: string } = {}): Promise<FakeEcs> {
    const server = http.createServer();
    const fake = new FakeEcs(server, {
      region: options.region ?? 'eu-west-1',
      accountId: options.accountId ?? '123456789012',
    });
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Stops the server, dropping keep-alive connections the SDK may still hold. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- seeding -------------------------------------------------------------------------------

  /** Adds a cluster (ACTIVE unless `status` says otherwise); returns its ARN. */
  addCluster(
    name: string,
    options: { status?: ClusterStatus; defaultCapacityProviderStrategy?: CapacityProviderItem[] } = {},
  ): string {
    const clusterArn = `arn:aws:ecs:${this.region}:${this.accountId}:cluster/${name}`;
    const strategy = options.defaultCapacityProviderStrategy ?? [];
    this.clusters.set(name, {
      clusterArn,
      clusterName: name,
      status: options.status ?? 'ACTIVE',
      capacityProviders: [...new Set(strategy.map((item) => item.capacityProvider))],
      defaultCapacityProviderStrategy: strategy,
    });
    return clusterArn;
  }

  /**
   * Registers a task definition as if through the API; returns its ARN. `systemTags` are attached
   * afterwards, like the `aws:` tags CloudFormation puts on resources (users cannot set those).
   */
  seedTaskDefinition(input: Record<string, any>, systemTags: Array<{ key: string; value: string }> = []): string {
    const { taskDefinition } = this.registerTaskDefinition(structuredClone(input));
    const record = this.findTaskDefinition(taskDefinition.taskDefinitionArn);
    record.tags = [...record.tags, ...systemTags];
    return taskDefinition.taskDefinitionArn as string;
  }

  addService(seed: FakeServiceSeed): string {
    const cluster = this.clusters.get(seed.cluster);
    if (!cluster) throw new Error(`seed: unknown cluster ${seed.cluster}`);
    const taskDefinition = this.findTaskDefinition(seed.taskDefinition).taskDefinition.taskDefinitionArn;
    const desiredCount = seed.desiredCount ?? 2;
    const now = nowSeconds();
    const rolloutState = seed.currentRolloutState ?? 'COMPLETED';
    const serviceArn = `arn:aws:ecs:${this.region}:${this.accountId}:service/${seed.cluster}/${seed.name}`;
    const state: ServiceState = {
      serviceArn,
      serviceName: seed.name,
      clusterArn: cluster.clusterArn,
      status: seed.status ?? 'ACTIVE',
      desiredCount,
      taskDefinition,
      ...(seed.capacityProviderStrategy
        ? { capacityProviderStrategy: structuredClone(seed.capacityProviderStrategy) }
        : { launchType: seed.launchType ?? 'FARGATE' }),
      platformVersion: 'LATEST',
      deploymentConfiguration: seed.deploymentConfiguration ?? {
        deploymentCircuitBreaker: { enable: false, rollback: false },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deploymentController: { type: seed.deploymentController ?? 'ECS' },
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-0a'], securityGroups: ['sg-0a'], assignPublicIp: 'DISABLED' },
      },
      createdAt: now - 86_400,
      deployments: [],
      events: [],
      queuedScenarios: [],
      progress: new Map(),
      lastCompletedTaskDefinition: taskDefinition,
      tags: [],
      propagateTags: 'NONE',
    };
    const deployment = this.newDeployment(state, taskDefinition);
    deployment.rolloutState = rolloutState;
    if (rolloutState === 'COMPLETED') {
      deployment.runningCount = desiredCount;
      deployment.pendingCount = 0;
    }
    state.deployments.push(deployment);
    this.addEvent(state, `(service ${seed.name}) has reached a steady state.`, now - 3600);
    this.services.set(serviceKey(seed.cluster, seed.name), state);
    return serviceArn;
  }

  /** Queues how the next deployment started by UpdateService on this service will progress. */
  queueRollout(cluster: string, service: string, ...scenarios: RolloutScenario[]): void {
    this.serviceState(cluster, service).queuedScenarios.push(...scenarios);
  }

  /**
   * A black-holed endpoint: after the next `count` calls of `operation` have been answered, every
   * request is read and recorded (status 0) but never answered, and the connection stays open, as
   * with a dropped route or a hung load balancer. `count` 0: `operation` itself is swallowed.
   */
  blackHoleAfter(operation: string, count = 1): void {
    this.blackHole = { operation, remaining: count, active: false };
  }

  /** Answers the next `count` matching calls with an error instead of processing them. */
  injectErrors(error: InjectedError): void {
    this.injectedErrors.push({ ...error });
  }

  // ---- inspection ----------------------------------------------------------------------------

  /** Calls of one operation that the fake processed or rejected, in order. */
  callsTo(operation: string): FakeEcsCall[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  /** A copy of a service's wire state (deployments, events, task definition). */
  service(cluster: string, service: string): ServiceState {
    return structuredClone(this.serviceState(cluster, service));
  }

  /** A registered task definition by ARN or `family[:revision]`, as DescribeTaskDefinition returns it. */
  taskDefinition(reference: string): Record<string, any> {
    return structuredClone(this.findTaskDefinition(reference).taskDefinition);
  }

  /** All revisions registered in a family, oldest first. */
  revisions(family: string): Array<Record<string, any>> {
    return (this.families.get(family) ?? []).map((record) => structuredClone(record.taskDefinition));
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      const call: FakeEcsCall = {
        operation,
        body: {},
        receivedAt: Date.now(),
        sdkRequest: header(req, 'amz-sdk-request'),
        authorization: header(req, 'authorization'),
        status: 200,
      };
      this.calls.push(call);
      const hole = this.blackHole;
      let swallow = hole?.active ?? false;
      if (hole && !hole.active && operation === hole.operation) {
        if (hole.remaining === 0) hole.active = swallow = true;
        else if (--hole.remaining === 0) hole.active = true; // this one is answered, the ones after it are not
      }
      if (swallow) {
        call.status = 0;
        return; // never answered; close() drops the connection
      }
      let payload: unknown;
      try {
        if (req.method !== 'POST') throw new EcsError('UnknownOperationException', `unsupported method ${req.method}`);
        call.body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const injected = this.takeInjectedError(operation);
        if (injected && !injected.afterProcessing) throw injected.error;
        payload = this.dispatch(operation, call.body);
        if (injected) throw injected.error;
      } catch (error) {
        const ecsError =
          error instanceof EcsError ? error : new EcsError('ServerException', `fake ECS bug: ${String(error)}`, 500);
        call.status = ecsError.status;
        call.errorType = ecsError.type;
        payload = { __type: ecsError.type, message: ecsError.message };
      }
      res.statusCode = call.status;
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.setHeader('x-amzn-requestid', `req-${this.calls.length}`);
      res.end(JSON.stringify(payload));
    });
  }

  private takeInjectedError(operation: string): { error: EcsError; afterProcessing: boolean } | undefined {
    const match = this.injectedErrors.find(
      (error) => error.count > 0 && (error.operation === '*' || error.operation === operation),
    );
    if (!match) return undefined;
    match.count -= 1;
    return {
      error: new EcsError(match.type, match.message ?? 'Rate exceeded', match.status ?? 400),
      afterProcessing: match.afterProcessing ?? false,
    };
  }

  private dispatch(operation: string, body: Record<string, any>): unknown {
    switch (operation) {
      case 'DescribeClusters':
        return this.describeClusters(body);
      case 'DescribeServices':
        return this.describeServices(body);
      case 'DescribeTaskDefinition':
        return this.describeTaskDefinition(body);
      case 'RegisterTaskDefinition':
        return this.registerTaskDefinition(body);
      case 'UpdateService':
        return this.updateService(body);
      case 'TagResource':
        return this.tagResource(body);
      case 'ListTagsForResource':
        return { tags: this.tagsOf(body.resourceArn) };
      default:
        throw new EcsError('UnknownOperationException', `The fake ECS does not implement ${operation}.`);
    }
  }

  // ---- operations ----------------------------------------------------------------------------

  private describeClusters(body: Record<string, any>): unknown {
    const names: string[] = body.clusters ?? ['default'];
    const clusters = [];
    const failures = [];
    for (const reference of names) {
      const cluster = this.clusters.get(clusterName(reference));
      if (cluster) clusters.push({ ...cluster, activeServicesCount: this.servicesIn(cluster.clusterName) });
      // ECS answers an unknown name with the ARN it would have in the caller's account.
      else failures.push({ arn: `arn:aws:ecs:${this.region}:${this.accountId}:cluster/${clusterName(reference)}`, reason: 'MISSING' });
    }
    return { clusters, failures };
  }

  private describeServices(body: Record<string, any>): unknown {
    const cluster = this.requireCluster(body.cluster);
    if (!Array.isArray(body.services) || body.services.length === 0 || body.services.length > 10) {
      throw new EcsError('InvalidParameterException', 'services must contain between 1 and 10 items.');
    }
    const services = [];
    const failures = [];
    for (const reference of body.services as string[]) {
      const state = this.services.get(serviceKey(cluster.clusterName, serviceName(reference)));
      if (!state) {
        failures.push({
          arn: `arn:aws:ecs:${this.region}:${this.accountId}:service/${cluster.clusterName}/${serviceName(reference)}`,
          reason: 'MISSING',
        });
        continue;
      }
      this.advance(state);
      services.push(this.wireService(state));
    }
    return { services, failures };
  }

  private describeTaskDefinition(body: Record<string, any>): unknown {
    if (typeof body.taskDefinition !== 'string') {
      throw new EcsError('ClientException', 'taskDefinition is required.');
    }
    const record = this.findTaskDefinition(body.taskDefinition);
    const includeTags = Array.isArray(body.include) && body.include.includes('TAGS');
    return { taskDefinition: record.taskDefinition, ...(includeTags ? { tags: record.tags } : {}) };
  }

  private registerTaskDefinition(body: Record<string, any>): { taskDefinition: Record<string, any>; tags: unknown } {
    for (const key of Object.keys(body)) {
      if (!REGISTER_TASK_DEFINITION_KEYS.has(key)) {
        throw new EcsError('ClientException', `Unknown parameter in RegisterTaskDefinition input: "${key}".`);
      }
    }
    const family = body.family;
    if (typeof family !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
      throw new EcsError('ClientException', 'Family must be 1-255 letters, numbers, hyphens or underscores.');
    }
    const containers = body.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw new EcsError('ClientException', 'Container list cannot be empty.');
    }
    for (const container of containers) {
      if (!container.name || !container.image) {
        throw new EcsError('ClientException', 'Container.name and Container.image should not be null or empty.');
      }
    }
    // User tags may not use the reserved `aws:` prefix (documented tagging restriction).
    for (const tag of body.tags ?? []) {
      if (String(tag?.key).toLowerCase().startsWith('aws:')) {
        throw new EcsError('InvalidParameterException', `Tag key ${tag.key} uses the reserved aws: prefix.`);
      }
    }
    // Fargate validations real ECS performs; they catch a renderer that drops task-level settings.
    const requires: string[] = body.requiresCompatibilities ?? [];
    if (requires.includes('FARGATE')) {
      if (body.networkMode !== 'awsvpc') {
        throw new EcsError('ClientException', "Fargate only supports network mode 'awsvpc'.");
      }
      if (!body.cpu) throw new EcsError('ClientException', "Fargate requires that 'cpu' be defined at the task level.");
      if (!body.memory) {
        throw new EcsError('ClientException', "Fargate requires that 'memory' be defined at the task level.");
      }
    }
    const revisions = this.families.get(family) ?? [];
    const revision = revisions.length + 1;
    const { tags = [], ...definition } = body;
    const taskDefinition = {
      ...definition,
      taskDefinitionArn: `arn:aws:ecs:${this.region}:${this.accountId}:task-definition/${family}:${revision}`,
      revision,
      status: 'ACTIVE',
      volumes: definition.volumes ?? [],
      placementConstraints: definition.placementConstraints ?? [],
      compatibilities: requires.includes('FARGATE') ? ['EC2', 'FARGATE'] : ['EC2'],
      requiresAttributes: [
        { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' },
        { name: 'ecs.capability.task-eni' },
      ],
      registeredAt: nowSeconds(),
      registeredBy: `arn:aws:sts::${this.accountId}:assumed-role/deployer/jenkins`,
    };
    revisions.push({ taskDefinition, tags });
    this.families.set(family, revisions);
    return { taskDefinition, tags };
  }

  private updateService(body: Record<string, any>): unknown {
    const cluster = this.requireCluster(body.cluster);
    if (typeof body.service !== 'string') throw new EcsError('InvalidParameterException', 'service is required.');
    const state = this.services.get(serviceKey(cluster.clusterName, serviceName(body.service)));
    if (!state) throw new EcsError('ServiceNotFoundException', 'Service not found.');
    if (state.status !== 'ACTIVE') throw new EcsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    if (state.deploymentController.type !== 'ECS' && body.taskDefinition) {
      throw new EcsError(
        'InvalidParameterException',
        `Unable to update task definition on services with a ${state.deploymentController.type} deployment controller.`,
      );
    }
    if (body.deploymentConfiguration) {
      state.deploymentConfiguration = { ...state.deploymentConfiguration, ...body.deploymentConfiguration };
    }
    if (typeof body.desiredCount === 'number') state.desiredCount = body.desiredCount;
    if (body.propagateTags !== undefined) {
      if (!['TASK_DEFINITION', 'SERVICE', 'NONE'].includes(body.propagateTags)) {
        throw new EcsError('InvalidParameterException', `Invalid propagateTags value ${body.propagateTags}.`);
      }
      state.propagateTags = body.propagateTags;
    }
    const alarms = body.deploymentConfiguration?.alarms;
    if (alarms !== undefined && (!Array.isArray(alarms.alarmNames) || typeof alarms.enable !== 'boolean' || typeof alarms.rollback !== 'boolean')) {
      throw new EcsError('InvalidParameterException', 'deploymentConfiguration.alarms needs alarmNames, enable and rollback.');
    }
    if (body.taskDefinition) {
      let arn: string;
      try {
        arn = this.findTaskDefinition(body.taskDefinition).taskDefinition.taskDefinitionArn;
      } catch {
        throw new EcsError('ClientException', 'TaskDefinition not found.');
      }
      if (arn !== state.taskDefinition || body.forceNewDeployment) this.startDeployment(state, arn);
    }
    return { service: this.wireService(state) };
  }

  /** TagResource on a service (new ARN format) or a task definition; tags merge by key. */
  private tagResource(body: Record<string, any>): unknown {
    const tags: Array<{ key: string; value: string }> = body.tags;
    if (!Array.isArray(tags) || tags.length === 0) throw new EcsError('InvalidParameterException', 'tags must not be empty.');
    for (const tag of tags) {
      if (typeof tag?.key !== 'string' || String(tag.key).toLowerCase().startsWith('aws:')) {
        throw new EcsError('InvalidParameterException', `Invalid tag key ${tag?.key}.`);
      }
    }
    const target = this.taggable(body.resourceArn);
    target.tags = [...target.tags.filter((old) => !tags.some((tag) => tag.key === old.key)), ...tags.map((tag) => ({ key: tag.key, value: tag.value ?? '' }))];
    return {};
  }

  private tagsOf(resourceArn: unknown): Array<{ key: string; value: string }> {
    return structuredClone(this.taggable(resourceArn).tags);
  }

  private taggable(resourceArn: unknown): { tags: Array<{ key: string; value: string }> } {
    const arn = String(resourceArn ?? '');
    const service = /^arn:aws:ecs:[^:]+:\d{12}:service\/([^/]+)\/([^/]+)$/.exec(arn);
    if (service) {
      const state = this.services.get(serviceKey(service[1]!, service[2]!));
      if (!state) throw new EcsError('InvalidParameterException', 'The specified resource could not be found.');
      return state;
    }
    if (/:task-definition\//.test(arn)) {
      try {
        return this.findTaskDefinition(arn);
      } catch {
        throw new EcsError('InvalidParameterException', 'The specified resource could not be found.');
      }
    }
    // Old-format service ARNs (without the cluster) cannot be tagged.
    throw new EcsError('InvalidParameterException', `The ARN ${arn} cannot be tagged (long ARN format required).`);
  }

  // ---- deployment simulation -----------------------------------------------------------------

  private startDeployment(
    state: ServiceState,
    taskDefinition: string,
    scenario: RolloutScenario = state.queuedScenarios.shift() ?? { kind: 'complete', afterPolls: 1 },
  ): WireDeployment {
    for (const deployment of state.deployments) {
      if (deployment.status === 'PRIMARY') deployment.status = 'ACTIVE';
    }
    const deployment = this.newDeployment(state, taskDefinition);
    state.deployments.unshift(deployment);
    state.taskDefinition = taskDefinition;
    state.progress.set(deployment.id, { scenario, polls: 0 });
    return deployment;
  }

  private newDeployment(state: ServiceState, taskDefinition: string): WireDeployment {
    const now = nowSeconds();
    return {
      id: `ecs-svc/${String(this.nextId++).padStart(19, '0')}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: state.desiredCount,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      ...(state.capacityProviderStrategy
        ? { capacityProviderStrategy: structuredClone(state.capacityProviderStrategy) }
        : { launchType: state.launchType ?? 'FARGATE' }),
      platformVersion: '1.4.0',
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
    };
  }

  /** One poll's worth of progress for every in-flight deployment of the service. */
  private advance(state: ServiceState): void {
    for (const deployment of [...state.deployments]) {
      const progress = state.progress.get(deployment.id);
      // Skip deployments dropped earlier in this same poll (drained when another one completed).
      if (!progress || deployment.rolloutState !== 'IN_PROGRESS' || !state.deployments.includes(deployment)) continue;
      progress.polls += 1;
      deployment.updatedAt = nowSeconds();
      const { scenario, polls } = progress;
      switch (scenario.kind) {
        case 'complete':
          if (polls >= scenario.afterPolls) this.complete(state, deployment);
          else this.startSomeTasks(state, deployment, polls / scenario.afterPolls);
          break;
        case 'never-complete':
          this.failSomeTasks(state, deployment);
          break;
        case 'fail':
          this.failSomeTasks(state, deployment);
          if (polls >= scenario.afterPolls) this.markFailed(state, deployment);
          break;
        case 'circuit-breaker-rollback':
          this.failSomeTasks(state, deployment);
          if (polls >= scenario.failAfterPolls) {
            this.markFailed(state, deployment);
            this.circuitBreakerRollback(state, deployment, scenario.rollbackCompletesAfterPolls ?? 1);
          }
          break;
      }
    }
  }

  private startSomeTasks(state: ServiceState, deployment: WireDeployment, fraction: number): void {
    const running = Math.floor(deployment.desiredCount * fraction);
    if (running > deployment.runningCount) {
      this.addEvent(state, `(service ${state.serviceName}) has started ${running - deployment.runningCount} tasks: (task ${this.taskId()}).`);
    }
    deployment.runningCount = running;
    deployment.pendingCount = deployment.desiredCount - running;
  }

  private failSomeTasks(state: ServiceState, deployment: WireDeployment): void {
    deployment.pendingCount = deployment.desiredCount;
    deployment.failedTasks += 1;
    this.addEvent(
      state,
      `(service ${state.serviceName}) (task ${this.taskId()}) failed container health checks.`,
    );
  }

  private complete(state: ServiceState, deployment: WireDeployment): void {
    deployment.runningCount = deployment.desiredCount;
    deployment.pendingCount = 0;
    deployment.rolloutState = 'COMPLETED';
    deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
    state.progress.delete(deployment.id);
    if (deployment.status === 'PRIMARY') {
      // The older deployments have drained; ECS drops them from the list.
      for (const other of state.deployments) if (other !== deployment) state.progress.delete(other.id);
      state.deployments = state.deployments.filter((other) => other === deployment);
      state.lastCompletedTaskDefinition = deployment.taskDefinition;
      this.addEvent(state, `(service ${state.serviceName}) (deployment ${deployment.id}) deployment completed.`);
      this.addEvent(state, `(service ${state.serviceName}) has reached a steady state.`);
    }
  }

  private markFailed(state: ServiceState, deployment: WireDeployment): void {
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    state.progress.delete(deployment.id);
    this.addEvent(
      state,
      `(service ${state.serviceName}) (deployment ${deployment.id}) deployment failed: tasks failed to start.`,
    );
  }

  private circuitBreakerRollback(state: ServiceState, failed: WireDeployment, completesAfterPolls: number): void {
    const target = state.lastCompletedTaskDefinition;
    const rollback = this.startDeployment(state, target, { kind: 'complete', afterPolls: completesAfterPolls });
    // 0: the rollback finished before anyone looked again (a slow poller only ever sees it COMPLETED).
    if (completesAfterPolls === 0) this.complete(state, rollback);
    this.addEvent(
      state,
      `(service ${state.serviceName}) rolling back to deployment ${rollback.id} (${target}) after ${failed.id} failed.`,
    );
  }

  // ---- helpers -------------------------------------------------------------------------------

  private wireService(state: ServiceState): Record<string, any> {
    const primary = state.deployments.find((deployment) => deployment.status === 'PRIMARY');
    const { queuedScenarios, progress, lastCompletedTaskDefinition, tags, ...wire } = state;
    return structuredClone({
      ...wire,
      runningCount: state.deployments.reduce((sum, deployment) => sum + deployment.runningCount, 0),
      pendingCount: state.deployments.reduce((sum, deployment) => sum + deployment.pendingCount, 0),
      currentServiceDeployment: primary
        ? `arn:aws:ecs:${this.region}:${this.accountId}:service-deployment/${state.serviceName}/${primary.id}`
        : undefined,
      schedulingStrategy: 'REPLICA',
    });
  }

  private addEvent(state: ServiceState, message: string, createdAt = nowSeconds()): void {
    state.events.unshift({ id: crypto.randomUUID(), createdAt, message });
    state.events.length = Math.min(state.events.length, 100);
  }

  private taskId(): string {
    return (this.nextId++).toString(16).padStart(32, 'a');
  }

  private requireCluster(reference: unknown) {
    const name = clusterName(typeof reference === 'string' ? reference : 'default');
    const cluster = this.clusters.get(name);
    if (!cluster) throw new EcsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  private serviceState(cluster: string, service: string): ServiceState {
    const state = this.services.get(serviceKey(cluster, service));
    if (!state) throw new Error(`fake ECS: no service ${cluster}/${service}`);
    return state;
  }

  private servicesIn(cluster: string): number {
    return [...this.services.values()].filter((state) => state.clusterArn.endsWith(`:cluster/${cluster}`)).length;
  }

  private findTaskDefinition(reference: string): TaskDefinitionRecord {
    const familyRevision = reference.startsWith('arn:') ? reference.slice(reference.indexOf('/') + 1) : reference;
    const [family, revisionText] = familyRevision.split(':') as [string, string | undefined];
    const revisions = this.families.get(family) ?? [];
    const record =
      revisionText === undefined
        ? revisions.findLast((candidate) => candidate.taskDefinition.status === 'ACTIVE')
        : revisions[Number(revisionText) - 1];
    if (!record) throw new EcsError('ClientException', 'Unable to describe task definition.');
    return record;
  }
}

function nowSeconds(): number {
  return Date.now() / 1000;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function clusterName(reference: string): string {
  return reference.startsWith('arn:') ? reference.slice(reference.lastIndexOf('/') + 1) : reference;
}

function serviceName(reference: string): string {
  return reference.startsWith('arn:') ? reference.slice(reference.lastIndexOf('/') + 1) : reference;
}

function serviceKey(cluster: string, service: string): string {
  return `${cluster}/${service}`;
}
