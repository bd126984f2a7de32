/**
 * A small stand-in for AWS IAM's `SimulatePrincipalPolicy` that speaks the real wire protocol (the
 * AWS query protocol: form-encoded POST, `Action=SimulatePrincipalPolicy&Version=2010-05-08`, XML
 * answers) on 127.0.0.1, so tests drive the real `@aws-sdk/client-iam` client. Decisions come from
 * @cloud-copilot/iam-simulate evaluating the policies seeded for each role, so the fake decides
 * like IAM's evaluation logic instead of from a hand-written table.
 *
 * It models only SimulatePrincipalPolicy (with Marker paging, MaxItems) and the NoSuchEntity and
 * AccessDenied errors; every request is recorded in {@link FakeIam.calls}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runSimulation } from '@cloud-copilot/iam-simulate';

/** One recorded request: its form parameters and the SigV4 Authorization header. */
export interface FakeIamCall {
  action: string;
  params: URLSearchParams;
  authorization: string | undefined;
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** `Prefix.member.1`, `Prefix.member.2`, … of a query request. */
function members(params: URLSearchParams, prefix: string): string[] {
  const values: string[] = [];
  for (let i = 1; params.has(`${prefix}.member.${i}`); i++) values.push(params.get(`${prefix}.member.${i}`)!);
  return values;
}

export class FakeIam {
  readonly calls: FakeIamCall[] = [];
  /** Attached (identity) policies per role ARN. */
  readonly policies = new Map<string, unknown[]>();
  /** Role ARNs whose simulation the caller may not run (answered with AccessDenied). */
  readonly denied = new Set<string>();
  /** Results per page (the real API pages at 1000 by default; small here to exercise the client's paging). */
  pageSize = 25;
  private server: http.Server | undefined;

  static async start(): Promise<FakeIam> {
    const fake = new FakeIam();
    fake.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        fake.handle(body, request.headers.authorization).then(
          ({ status, xml }) => {
            response.writeHead(status, { 'content-type': 'text/xml' });
            response.end(xml);
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'text/xml' });
            response.end(fake.error('Receiver', 'ServiceFailure', String(error)));
          },
        );
      });
    });
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Attaches identity policies to a role (replacing earlier ones). */
  attach(roleArn: string, ...documents: unknown[]): void {
    this.policies.set(roleArn, documents);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private error(type: string, code: string, message: string): string {
    return `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>fake-iam</RequestId></ErrorResponse>`;
  }

  private async handle(body: string, authorization: string | undefined): Promise<{ status: number; xml: string }> {
    const params = new URLSearchParams(body);
    const action = params.get('Action') ?? '';
    this.calls.push({ action, params, authorization });
    if (action !== 'SimulatePrincipalPolicy') return { status: 400, xml: this.error('Sender', 'InvalidAction', `${action} is not modelled by the fake`) };
    const roleArn = params.get('PolicySourceArn') ?? '';
    if (this.denied.has(roleArn)) {
      return { status: 403, xml: this.error('Sender', 'AccessDenied', `User is not authorized to perform: iam:SimulatePrincipalPolicy on resource: ${roleArn}`) };
    }
    const documents = this.policies.get(roleArn);
    if (documents === undefined) return { status: 404, xml: this.error('Sender', 'NoSuchEntity', `The role with name ${roleArn.split('/').pop()} cannot be found.`) };
    const actions = members(params, 'ActionNames');
    const resources = members(params, 'ResourceArns');
    const context: Record<string, string | string[]> = {};
    for (let i = 1; params.has(`ContextEntries.member.${i}.ContextKeyName`); i++) {
      const values = members(params, `ContextEntries.member.${i}.ContextKeyValues`);
      context[params.get(`ContextEntries.member.${i}.ContextKeyName`)!] = values.length === 1 ? values[0]! : values;
    }
    const account = /::(\d{12}):/.exec(roleArn)?.[1] ?? '000000000000';
    const results: string[] = [];
    for (const resource of resources.length > 0 ? resources : ['*']) {
      for (const name of actions) {
        const outcome = await runSimulation(
          {
            request: { principal: roleArn, action: name, resource: { resource, accountId: account }, contextVariables: context },
            identityPolicies: documents.map((policy, i) => ({ name: `attached-${i}`, policy })),
            // KMS and other resource-policy services: the account's default delegation to IAM.
            ...(resource.startsWith('arn:aws:kms:')
              ? { resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] } }
              : {}),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          },
          {},
        );
        const decision =
          outcome.resultType === 'single' ? (outcome.overallResult === 'Allowed' ? 'allowed' : outcome.overallResult === 'ExplicitlyDenied' ? 'explicitDeny' : 'implicitDeny') : 'implicitDeny';
        results.push(`<member><EvalActionName>${escapeXml(name)}</EvalActionName><EvalResourceName>${escapeXml(resource)}</EvalResourceName><EvalDecision>${decision}</EvalDecision><MatchedStatements/><MissingContextValues/></member>`);
      }
    }
    const start = Number(params.get('Marker') ?? '0');
    const size = Math.min(Number(params.get('MaxItems') ?? this.pageSize), this.pageSize);
    const page = results.slice(start, start + size);
    const truncated = start + size < results.length;
    return {
      status: 200,
      xml:
        `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>` +
        `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<Marker>${start + size}</Marker>` : ''}<EvaluationResults>${page.join('')}</EvaluationResults>` +
        `</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>fake-iam-${this.calls.length}</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`,
    };
  }
}
