/**
 * `pipewright preflight --iam`: asks IAM, with the read-only `iam:SimulatePrincipalPolicy`, whether
 * each real role a pipeline assumes allows every call the pipeline makes (from the generated
 * policy, src/iam) and whether it allows more: a probe list of dangerous actions, on the role's
 * own resources and on any resource. Reports both.
 */
import { IAMClient, SimulatePrincipalPolicyCommand, type ContextEntry, type EvaluationResult } from '@aws-sdk/client-iam';
import type { PipelineIamPolicies, RequiredCall, RolePolicy } from '../iam/generate.ts';

/** Actions no pipeline role should have, probed on `*` and on the role's own resources. */
export const IAM_PROBE_ACTIONS: readonly string[] = [
  'iam:CreateRole',
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:CreateAccessKey',
  'iam:PassRole',
  'sts:AssumeRole',
  'ecs:DeleteService',
  'ecs:DeleteCluster',
  'ecr:DeleteRepository',
  'ecr:BatchDeleteImage',
  'ecr:SetRepositoryPolicy',
  's3:DeleteObject',
  's3:PutBucketPolicy',
  's3:DeleteBucket',
  'kms:Decrypt',
  'kms:ScheduleKeyDeletion',
  'kms:PutKeyPolicy',
  'secretsmanager:GetSecretValue',
  'cloudwatch:DeleteAlarms',
  'ec2:RunInstances',
];

/** What IAM said about one role. */
export interface RoleIamCheck {
  pipeline: string;
  environment: string;
  roleArn: string;
  /** Calls the pipeline makes that the role does not allow (with IAM's decision). */
  missing: { action: string; resource: string; decision: string; steps: string[] }[];
  /** Probe actions the role allows. */
  excess: { action: string; resource: string }[];
  /** Calls checked (needed) and probes asked. */
  checked: number;
  probed: number;
  /** Why the role could not be simulated (access denied, no such role, …). */
  error?: string;
}

/** The context values a call's conditions need (`iam:PassedToService`, `s3:object-lock-mode`, …), as IAM context entries. */
function contextOf(call: RequiredCall): ContextEntry[] {
  const entries: ContextEntry[] = [];
  for (const keys of Object.values(call.condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      entries.push({ ContextKeyName: key, ContextKeyValues: Array.isArray(value) ? value : [value], ContextKeyType: 'string' });
    }
  }
  return entries;
}

async function simulate(client: IAMClient, roleArn: string, actions: string[], resources: string[], context: ContextEntry[]): Promise<EvaluationResult[]> {
  const results: EvaluationResult[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: actions,
        ResourceArns: resources,
        ...(context.length > 0 ? { ContextEntries: context } : {}),
        ...(marker === undefined ? {} : { Marker: marker }),
      }),
    );
    results.push(...(page.EvaluationResults ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker !== undefined);
  return results;
}

/**
 * A concrete resource for a simulation: the generated ARNs hold `*` where only run time knows the
 * value (a task-definition revision, a build number in a key, a KMS key behind an alias); IAM
 * simulates requests on resources, so each `*` becomes a sample value (`1`).
 */
export const sampleResource = (arn: string): string => (arn === '*' ? arn : arn.replace(/\*/g, '1'));

/** Checks one role: every needed call allowed, no probe action allowed. */
export async function checkRole(client: IAMClient, policies: Pick<PipelineIamPolicies, 'pipeline' | 'environment'>, role: RolePolicy): Promise<RoleIamCheck> {
  const check: RoleIamCheck = { pipeline: policies.pipeline, environment: policies.environment, roleArn: role.roleArn, missing: [], excess: [], checked: 0, probed: 0 };
  try {
    // Needed: one simulation per call (its resources and the context its conditions ask for).
    for (const call of role.calls) {
      const results = await simulate(client, role.roleArn, [call.action], call.resources.map(sampleResource), contextOf(call));
      check.checked += results.length;
      for (const result of results) {
        if (result.EvalDecision !== 'allowed') {
          check.missing.push({ action: call.action, resource: result.EvalResourceName ?? call.resources.join(', '), decision: result.EvalDecision ?? 'unknown', steps: call.steps });
        }
      }
    }
    // More than needed: the probe list on any resource and on the role's own resources, minus what a step needs there.
    const own = [...new Set(role.calls.flatMap((c) => c.resources).filter((r) => r !== '*').map(sampleResource))].sort();
    const needed = new Set(role.calls.flatMap((c) => c.resources.map((r) => `${c.action}\n${sampleResource(r)}`)));
    const results = await simulate(client, role.roleArn, [...IAM_PROBE_ACTIONS], ['*', ...own], []);
    for (const result of results) {
      const key = `${result.EvalActionName}\n${result.EvalResourceName}`;
      if (needed.has(key)) continue;
      check.probed++;
      if (result.EvalDecision === 'allowed') check.excess.push({ action: result.EvalActionName!, resource: result.EvalResourceName! });
    }
  } catch (error) {
    check.error = `${(error as { name?: string }).name ?? 'Error'}: ${(error as Error).message}`;
  }
  return check;
}

/** Options of {@link preflightIam}. */
export interface PreflightIamOptions {
  /** The IAM client per role (IAM is global; the role's partition decides the endpoint). Default: a new `IAMClient` from the SDK's default chains. */
  clientFor?: (roleArn: string) => IAMClient;
  /** Only this environment. */
  env?: string;
}

/** Checks every role of the given policies against IAM. */
export async function preflightIam(all: readonly PipelineIamPolicies[], options: PreflightIamOptions = {}): Promise<RoleIamCheck[]> {
  const clients = new Map<string, IAMClient>();
  const clientFor =
    options.clientFor ??
    ((roleArn: string) => {
      const partition = roleArn.split(':')[1] ?? 'aws';
      const region = partition === 'aws-cn' ? 'cn-north-1' : partition === 'aws-us-gov' ? 'us-gov-west-1' : 'us-east-1';
      if (!clients.has(region)) clients.set(region, new IAMClient({ region }));
      return clients.get(region)!;
    });
  const checks: RoleIamCheck[] = [];
  for (const policies of all) {
    if (options.env !== undefined && policies.environment !== options.env) continue;
    for (const role of policies.roles) checks.push(await checkRole(clientFor(role.roleArn), policies, role));
  }
  for (const client of clients.values()) client.destroy();
  return checks;
}

/** The report, one block per role; `failed` when a role misses a needed call, allows a probe, or could not be checked. */
export function formatIamChecks(checks: readonly RoleIamCheck[]): { text: string; failed: boolean } {
  const lines: string[] = [];
  let failed = false;
  for (const check of checks) {
    const ok = check.error === undefined && check.missing.length === 0 && check.excess.length === 0;
    failed ||= !ok;
    lines.push(`${ok ? 'ok' : 'FAIL'} ${check.pipeline}/${check.environment} ${check.roleArn}: ${check.checked} needed call(s) checked, ${check.probed} probe(s)`);
    if (check.error !== undefined) lines.push(`  error: could not simulate the role (${check.error})`);
    for (const m of check.missing) lines.push(`  missing: ${m.action} on ${m.resource} is ${m.decision} (needed by ${m.steps.join(', ')})`);
    for (const e of check.excess) lines.push(`  allows more: ${e.action} on ${e.resource}`);
  }
  const missing = checks.reduce((n, c) => n + c.missing.length, 0);
  const excess = checks.reduce((n, c) => n + c.excess.length, 0);
  const errors = checks.filter((c) => c.error !== undefined).length;
  lines.push(`pipewright preflight --iam: ${checks.length} role(s): ${missing} missing permission(s), ${excess} permission(s) beyond the pipeline's needs${errors > 0 ? `, ${errors} role(s) not checked` : ''}`);
  return { text: `${lines.join('\n')}\n`, failed };
}
