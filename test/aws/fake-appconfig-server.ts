/**
 * A small, stateful stand-in for AWS AppConfig that speaks the real wire protocol (REST-JSON:
 * `POST /applications/{app}/environments/{env}/deployments` for StartDeployment, `GET …/{number}`
 * for GetDeployment, `DELETE …/{number}` for StopDeployment; errors as `x-amzn-ErrorType` plus a
 * `{"Message": …}` body) on 127.0.0.1, so tests run the real AWS CLI (or SDK) against it with
 * `AWS_ENDPOINT_URL`. It also answers STS GetCallerIdentity (query protocol), because every
 * generated AWS script first checks the account it runs in.
 *
 * A deployment follows a scripted sequence of states, one per GetDeployment call (the last one
 * repeats), so a test decides whether it completes, bakes, is rolled back by an alarm, or hangs.
 * Every request is recorded in {@link FakeAppConfig.calls}. It models what the tests need; it is
 * a test double, not an emulator.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** AppConfig deployment states (API reference, `DeploymentState`). */
export type DeploymentState = 'BAKING' | 'VALIDATING' | 'DEPLOYING' | 'COMPLETE' | 'ROLLING_BACK' | 'ROLLED_BACK' | 'REVERTED';

/** One step of a scripted deployment: the state GetDeployment reports, and optionally why. */
export interface ScriptedState {
  state: DeploymentState;
  /** Percentage of targets reached (default: 100 for COMPLETE/BAKING, else grows with the poll count). */
  percentage?: number;
  /** An event logged when this state is first reported (e.g. the alarm that started a rollback). */
  event?: { type: string; triggeredBy: 'USER' | 'APPCONFIG' | 'CLOUDWATCH_ALARM' | 'INTERNAL_ERROR'; description: string };
}

/** One recorded HTTP request. */
export interface FakeAppConfigCall {
  operation: 'StartDeployment' | 'GetDeployment' | 'StopDeployment' | 'GetEnvironment' | 'GetCallerIdentity' | 'Unknown';
  method: string;
  path: string;
  body: Record<string, unknown>;
  /** The SigV4 `Authorization` header (which credentials signed the call). */
  authorization: string | undefined;
}

interface Deployment {
  ApplicationId: string;
  EnvironmentId: string;
  DeploymentNumber: number;
  ConfigurationProfileId: string;
  ConfigurationVersion: string;
  DeploymentStrategyId: string;
  Description?: string;
  State: DeploymentState;
  PercentageComplete: number;
  EventLog: { EventType: string; TriggeredBy: string; Description: string; OccurredAt: number }[];
  StartedAt: number;
  CompletedAt?: number;
  script: ScriptedState[];
  polls: number;
}

const PATH = /^\/applications\/([^/]+)\/environments\/([^/]+)\/deployments(?:\/(\d+))?$/;
const ENVIRONMENT_PATH = /^\/applications\/([^/]+)\/environments\/([^/]+)$/;

/** The fake service; {@link start} it, point `AWS_ENDPOINT_URL` at the returned URL. */
export class FakeAppConfig {
  readonly calls: FakeAppConfigCall[] = [];
  /** The account GetCallerIdentity reports. */
  account = '333333333333';
  /** States the next started deployment goes through (one per GetDeployment; the last repeats). */
  nextScript: ScriptedState[] = [{ state: 'COMPLETE' }];
  /** Known applications → environments (ids); anything else is ResourceNotFoundException. */
  readonly environments = new Map<string, Set<string>>();
  /** CloudWatch alarm ARNs monitoring an environment (`<application>/<environment>`), for GetEnvironment. */
  readonly monitors = new Map<string, string[]>();
  private readonly deployments = new Map<string, Deployment[]>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });

  /** Registers an application with its environments. */
  addApplication(application: string, ...environments: string[]): this {
    this.environments.set(application, new Set(environments));
    return this;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Calls of one operation. */
  callsOf(operation: FakeAppConfigCall['operation']): FakeAppConfigCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  /** The deployments started in an environment, oldest first (the wire shape, without the script). */
  deploymentsIn(application: string, environment: string): Omit<Deployment, 'script' | 'polls'>[] {
    return (this.deployments.get(`${application}/${environment}`) ?? []).map(({ script: _s, polls: _p, ...wire }) => wire);
  }

  private handle(req: http.IncomingMessage, text: string, res: http.ServerResponse): void {
    const method = req.method ?? '';
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    const authorization = req.headers.authorization;
    if (method === 'POST' && path === '/' && /Action=GetCallerIdentity/.test(text)) {
      this.calls.push({ operation: 'GetCallerIdentity', method, path, body: {}, authorization });
      res.setHeader('content-type', 'text/xml');
      res.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          `<Arn>arn:aws:sts::${this.account}:assumed-role/flags-deployer/build</Arn><UserId>AROAEXAMPLE:build</UserId>` +
          `<Account>${this.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
      return;
    }
    const environmentMatch = method === 'GET' ? ENVIRONMENT_PATH.exec(path) : null;
    if (environmentMatch) {
      const [, application, environment] = environmentMatch as unknown as [string, string, string];
      this.calls.push({ operation: 'GetEnvironment', method, path, body: {}, authorization });
      if (!this.environments.get(application)?.has(environment)) {
        return this.error(res, 404, 'ResourceNotFoundException', `Environment ${environment} of application ${application} not found`);
      }
      const alarms = this.monitors.get(`${application}/${environment}`) ?? [];
      return this.json(res, 200, {
        ApplicationId: application,
        Id: environment,
        Name: environment,
        State: 'READY_FOR_DEPLOYMENT',
        Monitors: alarms.map((AlarmArn) => ({ AlarmArn, AlarmRoleArn: 'arn:aws:iam::333333333333:role/appconfig-monitor' })),
      });
    }
    const match = PATH.exec(path);
    let body: Record<string, unknown> = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      return this.error(res, 400, 'BadRequestException', 'request body is not JSON');
    }
    const operation: FakeAppConfigCall['operation'] = !match
      ? 'Unknown'
      : method === 'POST' && match[3] === undefined
        ? 'StartDeployment'
        : method === 'GET' && match[3] !== undefined
          ? 'GetDeployment'
          : method === 'DELETE' && match[3] !== undefined
            ? 'StopDeployment'
            : 'Unknown';
    this.calls.push({ operation, method, path, body, authorization });
    if (!match || operation === 'Unknown') return this.error(res, 404, 'ResourceNotFoundException', `no route for ${method} ${path}`);
    const [, application, environment, number] = match as unknown as [string, string, string, string | undefined];
    if (!this.environments.get(application)?.has(environment)) {
      return this.error(res, 404, 'ResourceNotFoundException', `Environment ${environment} of application ${application} not found`);
    }
    const key = `${application}/${environment}`;
    const list = this.deployments.get(key) ?? [];
    this.deployments.set(key, list);
    if (operation === 'StartDeployment') {
      for (const field of ['ConfigurationProfileId', 'ConfigurationVersion', 'DeploymentStrategyId']) {
        if (typeof body[field] !== 'string' || body[field] === '') return this.error(res, 400, 'BadRequestException', `${field} is required`);
      }
      if (list.some((d) => !['COMPLETE', 'ROLLED_BACK', 'REVERTED'].includes(d.State))) {
        return this.error(res, 409, 'ConflictException', 'a deployment is already in progress in this environment');
      }
      const now = Date.now() / 1000;
      const deployment: Deployment = {
        ApplicationId: application,
        EnvironmentId: environment,
        DeploymentNumber: list.length + 1,
        ConfigurationProfileId: body['ConfigurationProfileId'] as string,
        ConfigurationVersion: body['ConfigurationVersion'] as string,
        DeploymentStrategyId: body['DeploymentStrategyId'] as string,
        ...(typeof body['Description'] === 'string' ? { Description: body['Description'] } : {}),
        State: 'DEPLOYING',
        PercentageComplete: 0,
        EventLog: [{ EventType: 'DEPLOYMENT_STARTED', TriggeredBy: 'USER', Description: 'Deployment started', OccurredAt: now }],
        StartedAt: now,
        script: this.nextScript.length > 0 ? [...this.nextScript] : [{ state: 'COMPLETE' }],
        polls: 0,
      };
      list.push(deployment);
      return this.json(res, 201, this.wire(deployment));
    }
    const deployment = list.find((d) => d.DeploymentNumber === Number(number));
    if (!deployment) return this.error(res, 404, 'ResourceNotFoundException', `Deployment ${number} not found`);
    if (operation === 'GetDeployment') {
      this.advance(deployment);
      return this.json(res, 200, this.wire(deployment));
    }
    // StopDeployment: only a deployment still in progress can be stopped; AppConfig rolls it back.
    if (['COMPLETE', 'ROLLED_BACK', 'REVERTED'].includes(deployment.State)) {
      return this.error(res, 400, 'BadRequestException', `Deployment ${number} is ${deployment.State} and cannot be stopped`);
    }
    const now = Date.now() / 1000;
    deployment.State = 'ROLLED_BACK';
    deployment.script = [{ state: 'ROLLED_BACK' }];
    deployment.EventLog.unshift(
      { EventType: 'ROLLBACK_STARTED', TriggeredBy: 'USER', Description: 'Deployment stopped by the user', OccurredAt: now },
      { EventType: 'ROLLBACK_COMPLETED', TriggeredBy: 'APPCONFIG', Description: 'Rollback completed', OccurredAt: now },
    );
    return this.json(res, 202, this.wire(deployment));
  }

  /** Moves a deployment to its next scripted state. */
  private advance(deployment: Deployment): void {
    const step = deployment.script[Math.min(deployment.polls, deployment.script.length - 1)]!;
    const first = deployment.polls < deployment.script.length;
    deployment.polls += 1;
    deployment.State = step.state;
    deployment.PercentageComplete =
      step.percentage ?? (step.state === 'COMPLETE' || step.state === 'BAKING' ? 100 : Math.min(90, deployment.polls * 10));
    const now = Date.now() / 1000;
    if (first && step.event) {
      deployment.EventLog.unshift({ EventType: step.event.type, TriggeredBy: step.event.triggeredBy, Description: step.event.description, OccurredAt: now });
    }
    if (step.state === 'COMPLETE' && deployment.CompletedAt === undefined) {
      deployment.CompletedAt = now;
      deployment.EventLog.unshift({ EventType: 'DEPLOYMENT_COMPLETED', TriggeredBy: 'APPCONFIG', Description: 'Deployment completed', OccurredAt: now });
    }
  }

  private wire(deployment: Deployment): Omit<Deployment, 'script' | 'polls'> {
    const { script: _script, polls: _polls, ...wire } = deployment;
    return wire;
  }

  private json(res: http.ServerResponse, status: number, value: unknown): void {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(value));
  }

  private error(res: http.ServerResponse, status: number, type: string, message: string): void {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-amzn-errortype', type);
    res.end(JSON.stringify({ Message: message }));
  }
}
