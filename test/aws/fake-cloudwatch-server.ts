/**
 * Stand-ins for Amazon CloudWatch (alarms), CloudWatch Logs (log groups) and STS
 * (GetCallerIdentity) on one 127.0.0.1 endpoint, speaking the wire protocols the real clients use:
 *
 * - CloudWatch: AWS JSON 1.0, `x-amz-target: GraniteServiceVersion20100801.<Operation>` with
 *   `x-amzn-query-mode: true` (awsQueryCompatible). Both `@aws-sdk/client-cloudwatch` 3.11xx and
 *   the AWS CLI v1.45 (botocore 1.43) send this; timestamps are epoch seconds.
 * - CloudWatch Logs: AWS JSON 1.1, `x-amz-target: Logs_20140328.<Operation>`.
 * - STS: the query protocol (form-encoded `Action=GetCallerIdentity`, XML answer), as the CLI sends it.
 *
 * Alarm states are scriptable: {@link FakeCloudWatch.scheduleState} switches an alarm's state when
 * the n-th DescribeAlarms naming it arrives, which is how a test makes an alarm fire during a bake.
 * A test double, not an emulator: only what the tests need is modelled.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const CLOUDWATCH_PREFIX = 'GraniteServiceVersion20100801.';
const LOGS_PREFIX = 'Logs_20140328.';

/** Alarm states CloudWatch reports. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One recorded request. */
export interface FakeCloudWatchCall {
  service: 'cloudwatch' | 'logs' | 'sts';
  operation: string;
  body: Record<string, any>;
  /** `x-amz-target` header, when the protocol has one. */
  target: string | undefined;
  contentType: string | undefined;
  receivedAt: number;
}

interface AlarmRecord {
  name: string;
  type: 'MetricAlarm' | 'CompositeAlarm';
  state: AlarmState;
  reason: string;
  updatedAt: number;
  /** Pending state changes, applied when the DescribeAlarms call with this number (naming the alarm) arrives. */
  schedule: Array<{ onCall: number; state: AlarmState }>;
  /** DescribeAlarms calls that named this alarm so far. */
  describedCount: number;
}

interface LogGroupRecord {
  logGroupName: string;
  retentionInDays?: number;
  creationTime: number;
}

class FakeError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The fake endpoint. Start with {@link FakeCloudWatch.start}, `close()` when done. */
export class FakeCloudWatch {
  readonly calls: FakeCloudWatchCall[] = [];
  readonly region: string;
  readonly accountId: string;
  private readonly alarms = new Map<string, AlarmRecord>();
  private readonly logGroups = new Map<string, LogGroupRecord>();

  private constructor(
    private readonly server: http.Server,
    options: { region: string; accountId: string },
  ) {
    this.region = options.region;
    this.accountId = options.accountId;
  }

  static async start(options: { region?: string; accountId?: string } = {}): Promise<FakeCloudWatch> {
    const server = http.createServer();
    const fake = new FakeCloudWatch(server, {
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

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- seeding -------------------------------------------------------------------------------

  /** Adds (or replaces) an alarm, OK unless `state` says otherwise. */
  addAlarm(name: string, options: { state?: AlarmState; type?: 'MetricAlarm' | 'CompositeAlarm' } = {}): void {
    this.alarms.set(name, {
      name,
      type: options.type ?? 'MetricAlarm',
      state: options.state ?? 'OK',
      reason: 'Threshold Crossed: no datapoints were received',
      updatedAt: Date.now() / 1000,
      schedule: [],
      describedCount: 0,
    });
  }

  /** Sets the alarm's state now. */
  setState(name: string, state: AlarmState): void {
    const alarm = this.requireAlarm(name);
    alarm.state = state;
    alarm.updatedAt = Date.now() / 1000;
    alarm.reason = `Threshold Crossed: state set to ${state} by the test`;
  }

  /** The alarm enters `state` when the `onCall`-th DescribeAlarms that names it arrives (1 = the first). */
  scheduleState(name: string, state: AlarmState, onCall: number): void {
    this.requireAlarm(name).schedule.push({ onCall, state });
  }

  /** Adds a log group; `retentionInDays` absent means "never expire". */
  addLogGroup(name: string, retentionInDays?: number): void {
    this.logGroups.set(name, { logGroupName: name, ...(retentionInDays !== undefined ? { retentionInDays } : {}), creationTime: Date.now() });
  }

  /** Calls of one operation, in order. */
  callsTo(operation: string): FakeCloudWatchCall[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const target = header(req, 'x-amz-target');
      const contentType = header(req, 'content-type');
      let call: FakeCloudWatchCall;
      if (target?.startsWith(CLOUDWATCH_PREFIX) || target?.startsWith(LOGS_PREFIX)) {
        const service = target.startsWith(CLOUDWATCH_PREFIX) ? 'cloudwatch' : 'logs';
        const operation = target.slice((service === 'cloudwatch' ? CLOUDWATCH_PREFIX : LOGS_PREFIX).length);
        call = { service, operation, body: {}, target, contentType, receivedAt: Date.now() };
        this.calls.push(call);
        const jsonType = service === 'cloudwatch' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
        res.setHeader('content-type', jsonType);
        res.setHeader('x-amzn-requestid', `req-${this.calls.length}`);
        try {
          call.body = JSON.parse(raw || '{}');
          const payload = service === 'cloudwatch' ? this.cloudWatch(operation, call.body) : this.logs(operation, call.body);
          res.statusCode = 200;
          res.end(JSON.stringify(payload));
        } catch (error) {
          const fake = error instanceof FakeError ? error : new FakeError('InternalFailure', `fake bug: ${String(error)}`, 500);
          res.statusCode = fake.status;
          // awsQueryCompatible services also name the query-protocol error code in this header.
          if (service === 'cloudwatch') res.setHeader('x-amzn-query-error', `${fake.type};Sender`);
          res.end(JSON.stringify({ __type: fake.type, message: fake.message }));
        }
        return;
      }
      const form = new URLSearchParams(raw);
      const operation = form.get('Action') ?? '';
      call = { service: 'sts', operation, body: Object.fromEntries(form), target, contentType, receivedAt: Date.now() };
      this.calls.push(call);
      res.setHeader('content-type', 'text/xml');
      if (operation !== 'GetCallerIdentity') {
        res.statusCode = 400;
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>fake: ${operation}</Message></Error></ErrorResponse>`);
        return;
      }
      res.statusCode = 200;
      res.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          `<Arn>arn:aws:sts::${this.accountId}:assumed-role/ecs-deployer/jenkins</Arn><UserId>AROAEXAMPLE:jenkins</UserId>` +
          `<Account>${this.accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-${this.calls.length}</RequestId>` +
          '</ResponseMetadata></GetCallerIdentityResponse>',
      );
    });
  }

  private cloudWatch(operation: string, body: Record<string, any>): unknown {
    if (operation !== 'DescribeAlarms') throw new FakeError('InvalidAction', `The fake CloudWatch does not implement ${operation}.`);
    const names: string[] | undefined = body.AlarmNames;
    if (names !== undefined && (!Array.isArray(names) || names.length > 100)) {
      throw new FakeError('ValidationError', 'AlarmNames must have at most 100 members.');
    }
    // Default alarm types: metric alarms only (as CloudWatch does).
    const types: string[] = body.AlarmTypes ?? ['MetricAlarm'];
    const selected = names === undefined ? [...this.alarms.values()] : names.flatMap((name) => this.alarms.get(name) ?? []);
    for (const alarm of selected) {
      alarm.describedCount += 1;
      for (const change of alarm.schedule.filter((c) => c.onCall === alarm.describedCount)) {
        alarm.state = change.state;
        alarm.updatedAt = Date.now() / 1000;
        alarm.reason = `Threshold Crossed: 3 datapoints were greater than the threshold (scheduled ${change.state})`;
      }
    }
    const visible = selected.filter((alarm) => types.includes(alarm.type) && (body.StateValue === undefined || alarm.state === body.StateValue));
    const wire = (alarm: AlarmRecord) => ({
      AlarmName: alarm.name,
      AlarmArn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${alarm.name}`,
      StateValue: alarm.state,
      StateReason: alarm.reason,
      StateUpdatedTimestamp: alarm.updatedAt,
      ActionsEnabled: true,
    });
    return {
      MetricAlarms: visible.filter((a) => a.type === 'MetricAlarm').map((a) => ({ ...wire(a), MetricName: '5XXError', Namespace: 'AWS/ApplicationELB', Threshold: 5 })),
      CompositeAlarms: visible.filter((a) => a.type === 'CompositeAlarm').map((a) => ({ ...wire(a), AlarmRule: 'ALARM(a) OR ALARM(b)' })),
    };
  }

  private logs(operation: string, body: Record<string, any>): unknown {
    if (operation !== 'DescribeLogGroups') throw new FakeError('UnknownOperationException', `The fake CloudWatch Logs does not implement ${operation}.`);
    const prefix: string | undefined = body.logGroupNamePrefix;
    const identifiers: string[] | undefined = body.logGroupIdentifiers;
    if (prefix !== undefined && identifiers !== undefined) {
      throw new FakeError('InvalidParameterException', 'logGroupNamePrefix and logGroupIdentifiers are mutually exclusive.');
    }
    const groups = [...this.logGroups.values()]
      .filter((group) => (prefix === undefined || group.logGroupName.startsWith(prefix)) && (identifiers === undefined || identifiers.includes(group.logGroupName)))
      .sort((a, b) => a.logGroupName.localeCompare(b.logGroupName));
    return {
      logGroups: groups.map((group) => ({
        ...group,
        arn: `arn:aws:logs:${this.region}:${this.accountId}:log-group:${group.logGroupName}:*`,
        storedBytes: 0,
      })),
    };
  }

  private requireAlarm(name: string): AlarmRecord {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`fake CloudWatch: no alarm ${name}`);
    return alarm;
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
