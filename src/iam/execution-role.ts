/**
 * The ECS task execution role of an aws-cli ECS deploy (issue #12, section 5): the role ECS itself
 * assumes to start the service's tasks — pull the image, fetch the containers' secrets, create
 * their log streams. Its identity policy is derived from the task-definition template in the
 * project and grants exactly what that template names:
 *
 * - `secretsmanager:GetSecretValue` on each Secrets Manager secret and `ssm:GetParameters` on each
 *   SSM parameter of `containerDefinitions[].secrets`, `logConfiguration.secretOptions` and
 *   `repositoryCredentials.credentialsParameter`;
 * - `kms:Decrypt` only on the customer-managed keys `iam.secretKeys` names for the service, only
 *   through Secrets Manager / SSM in the secrets' region (`kms:ViaService`);
 * - the image pull: `ecr:GetAuthorizationToken` (the reference lists no resource type for it) and
 *   the layer reads on the deployed image's repository (the `ecrPush` that fills the deploy's image
 *   stash) and on the ECR repositories of the other containers;
 * - `logs:CreateLogStream`/`PutLogEvents` on the `awslogs` streams of each container (and
 *   `logs:CreateLogGroup` when the template asks the driver to create the group).
 *
 * Its trust policy lets `ecs-tasks.amazonaws.com` assume it for the task's account only. Without
 * the template (the pipewright engine, or a template rendered elsewhere) nothing is generated and
 * the deploy role's notes say so: a secret grant is never guessed.
 */
import type { AwsRole, EcsDeployStep } from '../model/delivery.ts';
import { modelValueAt } from '../model/value-at.ts';
import type { IamConfig } from './config.ts';
import type { RequiredCall, RolePolicy } from './generate.ts';
import { pascalWords, type PolicyCondition, type PolicyDocument, type PolicyStatement } from './policy-document.ts';
import { loadTaskDefinitionTemplate, partitionOf, roleArn as assumedRoleArn, type ProjectFileReader } from './resources.ts';
import { validatePolicy } from './validate.ts';

/** Where the task runs: ARNs of resources named without one (an SSM parameter name, a role name) are built for it. */
export interface TaskLocation {
  partition: string;
  region: string;
  account: string;
}

/** A container secret as IAM authorizes it: the service that holds it and the policy's resource ARN. */
export interface SecretResource {
  service: 'secretsmanager' | 'ssm';
  /** The secret's ARN (a Secrets Manager secret named without its random suffix ends in `-??????`), or the parameter's ARN. */
  arn: string;
  region: string;
}

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<id>[:json-key[:version-stage[:version-id]]]`. */
const SECRETS_MANAGER_REFERENCE = /^(arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:([\w/+=.@-]+))(?::[^:]*){0,3}$/;
/** `arn:<partition>:ssm:<region>:<account>:parameter/<name>`. */
const SSM_PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:([a-z0-9-]+):\d{12}:parameter\/[\w.\-/]+$/;
/** An SSM parameter given by name (`/prod/payments/db-url` or `db-url`): ECS resolves it in the task's region and account. */
const SSM_PARAMETER_NAME = /^\/?[\w.-]+(?:\/[\w.-]+)*$/;
/**
 * Secrets Manager appends `-` and six random characters to a secret's name to make its ARN, and
 * treats an id ending that way as complete (CreateSecret: "do not end your secret name with a
 * hyphen followed by six characters"). An id without them is a partial ARN, which IAM authorizes
 * against the full one: `name-??????` matches exactly that suffix (`?` is one character).
 */
const RANDOM_SUFFIX = /-[A-Za-z0-9]{6}$/;

/**
 * The resource `valueFrom` of a container secret names, or `undefined` when it is neither a
 * Secrets Manager secret ARN nor an SSM parameter (ARN or name): such a reference gets no grant.
 */
export function secretResourceOf(valueFrom: string, task: TaskLocation): SecretResource | undefined {
  const secret = SECRETS_MANAGER_REFERENCE.exec(valueFrom);
  if (secret !== null) {
    const [, arn, region, id] = secret as unknown as [string, string, string, string];
    return { service: 'secretsmanager', arn: RANDOM_SUFFIX.test(id) ? arn : `${arn}-??????`, region };
  }
  const parameter = SSM_PARAMETER_ARN.exec(valueFrom);
  if (parameter !== null) return { service: 'ssm', arn: valueFrom, region: parameter[1]! };
  if (!valueFrom.startsWith('arn:') && SSM_PARAMETER_NAME.test(valueFrom)) {
    return { service: 'ssm', arn: `arn:${task.partition}:ssm:${task.region}:${task.account}:parameter/${valueFrom.replace(/^\//, '')}`, region: task.region };
  }
  return undefined;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag][@digest]` → the repository's ARN. */
function ecrRepositoryArn(image: string): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*?)(?::[\w.-]+)?(?:@sha256:[a-f0-9]{64})?$/.exec(image);
  if (match === null) return undefined;
  const [, account, region, repository] = match as unknown as [string, string, string, string];
  return `arn:${partitionOf(region)}:ecr:${region}:${account}:repository/${repository}`;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** What one execution role needs, accumulated over the deploys (of one environment) whose template names it. */
interface ExecutionNeeds {
  roleArn: string;
  environment: string;
  steps: Set<string>;
  modelSteps: Set<string>;
  /** `<cluster>/<service> (<template>)` of each deploy whose tasks run with the role. */
  services: Set<string>;
  repositories: Set<string>;
  secrets: Map<string, SecretResource>;
  keys: Set<string>;
  logStreams: Set<string>;
  logGroupsCreated: Set<string>;
  sourceAccounts: Set<string>;
  notes: Set<string>;
}

/** An `sh` step of the Jenkinsfile as the generator found it: its label, the role it runs with and the model path of its delivery step. */
export interface ShellStepOrigin {
  label: string;
  aws: AwsRole;
  origin: readonly (string | number)[] | undefined;
}

export interface ExecutionRoleOptions {
  root: string;
  readFile?: ProjectFileReader;
  config?: IamConfig;
}

/** Repositories of the model's `ecrPush` steps that fill `stash` (the `image-ref.txt` a deploy unstashes). */
function pushedRepositories(model: unknown, stash: string): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) {
      const registry = value.registry;
      if (value.step === 'ecrPush' && typeof value.repository === 'string' && isObject(registry) && (text(value.stash) ?? 'image-ref') === stash) {
        const region = String(registry.region);
        found.add(`arn:${partitionOf(region)}:ecr:${region}:${String(registry.accountId)}:repository/${value.repository}`);
      } else for (const entry of Object.values(value)) visit(entry);
    }
  };
  visit(model);
  return [...found].sort();
}

/** Literal names only: an IAM wildcard (`*`, `?`) or policy variable (`${…}`) in a value would widen the grant. */
const LOG_NAME = /^[\w.\-/#]+$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** The `awslogs` streams of one container (`logs:CreateLogStream`/`PutLogEvents`), and its group when the driver creates it. */
function collectLogStreams(needs: ExecutionNeeds, where: string, container: string, options: Json, task: TaskLocation): void {
  const group = text(options['awslogs-group']);
  const region = text(options['awslogs-region']) ?? task.region;
  const prefix = text(options['awslogs-stream-prefix']);
  const literal = group !== undefined && LOG_NAME.test(group) && REGION.test(region) && /^[\w-]+$/.test(container) && (prefix === undefined || LOG_NAME.test(prefix));
  if (!literal) {
    needs.notes.add(`${where}: container ${container} logs with awslogs to ${group === undefined ? 'no awslogs-group' : `'${group}'`} (region ${region}${prefix === undefined ? '' : `, prefix '${prefix}'`}), not literal names: no log grant`);
    return;
  }
  const groupArn = `arn:${partitionOf(region)}:logs:${region}:${task.account}:log-group:${group}`;
  // With a prefix the streams are <prefix>/<container>/<task id>; without one ECS names them itself.
  needs.logStreams.add(`${groupArn}:log-stream:${prefix === undefined ? '*' : `${prefix}/${container}/*`}`);
  if (options['awslogs-create-group'] === 'true') needs.logGroupsCreated.add(groupArn);
}

/** Adds what one deploy's template needs to its execution role's needs. */
function collectNeeds(needs: ExecutionNeeds, step: EcsDeployStep, template: Json, model: unknown, task: TaskLocation, config: IamConfig | undefined): void {
  const where = `${step.cluster}/${step.service} (template ${step.taskDefinition})`;
  needs.sourceAccounts.add(task.account);
  const stash = step.imageStash ?? 'image-ref';
  const containers = objects(template.containerDefinitions);
  if (!containers.some((c) => c.name === step.container)) {
    needs.notes.add(`${where}: the template has no container "${step.container}"; the deploy fails before registering it`);
  }
  for (const container of containers) {
    const name = text(container.name) ?? '(unnamed)';
    // The deployed container runs the pushed digest (the deploy replaces its template image).
    if (container.name === step.container) {
      const pushed = pushedRepositories(model, stash);
      if (pushed.length === 0) needs.notes.add(`${where}: no ecrPush step of this pipeline fills the image stash "${stash}": no image pull granted for container ${name}`);
      for (const repository of pushed) needs.repositories.add(repository);
    } else {
      const image = text(container.image);
      const repository = image === undefined ? undefined : ecrRepositoryArn(image);
      if (repository !== undefined) needs.repositories.add(repository);
      else needs.notes.add(`${where}: container ${name} pulls ${image ?? '(no image)'}, not from ECR: no pull granted (a private registry needs repositoryCredentials)`);
    }
    const references: [string, string][] = [
      ...objects(container.secrets).map((s): [string, string] => [`secret ${text(s.name) ?? '(unnamed)'}`, text(s.valueFrom) ?? '']),
      ...objects(isObject(container.logConfiguration) ? container.logConfiguration.secretOptions : undefined).map((s): [string, string] => [`log secret option ${text(s.name) ?? '(unnamed)'}`, text(s.valueFrom) ?? '']),
    ];
    const credentials = isObject(container.repositoryCredentials) ? text(container.repositoryCredentials.credentialsParameter) : undefined;
    if (credentials !== undefined) references.push(['repository credentials', credentials]);
    for (const [what, valueFrom] of references) {
      const secret = secretResourceOf(valueFrom, task);
      if (secret === undefined) needs.notes.add(`${where}: container ${name} ${what} comes from '${valueFrom}', neither a Secrets Manager secret ARN nor an SSM parameter: not granted`);
      else needs.secrets.set(secret.arn, secret);
    }
    for (const file of objects(container.environmentFiles)) {
      needs.notes.add(`${where}: container ${name} reads environment file ${text(file.value) ?? '(none)'}: not granted (s3:GetObject and s3:GetBucketLocation are yours to add)`);
    }
    const log = isObject(container.logConfiguration) ? container.logConfiguration : undefined;
    if (log?.logDriver === 'awslogs') collectLogStreams(needs, where, name, isObject(log.options) ? log.options : {}, task);
  }
  const keys = config?.secretKeys?.[`${step.cluster}/${step.service}`] ?? [];
  for (const key of keys) needs.keys.add(key);
  if (keys.length > 0 && needs.secrets.size === 0) needs.notes.add(`${where}: iam.secretKeys names keys but the template has no secrets: no kms:Decrypt granted`);
  if (keys.length === 0 && needs.secrets.size > 0) {
    needs.notes.add(`${where}: no kms:Decrypt granted: the secrets are taken to be encrypted with the AWS managed keys (name customer-managed keys in iam.secretKeys['${step.cluster}/${step.service}'])`);
  }
}

/** The identity policy, its calls and the trust policy of one execution role. */
async function policyOf(needs: ExecutionNeeds): Promise<RolePolicy> {
  const steps = [...needs.steps].sort();
  const calls: RequiredCall[] = [];
  const statements: PolicyStatement[] = [];
  const grant = (service: string, resourceType: string | undefined, actions: string[], resources: Iterable<string>, condition?: PolicyCondition, callConditions?: PolicyCondition[]): void => {
    const sorted = [...new Set(resources)].sort();
    if (sorted.length === 0) return;
    const statement: PolicyStatement = { Sid: `TaskExecution${pascalWords(service)}${resourceType === undefined ? 'AnyResource' : pascalWords(resourceType)}`, Effect: 'Allow', Action: [...actions].sort(), Resource: sorted };
    if (condition !== undefined) statement.Condition = condition;
    statements.push(statement);
    for (const action of statement.Action) {
      for (const callCondition of callConditions ?? [condition]) {
        const call: RequiredCall = { action, steps, resources: sorted };
        if (resourceType !== undefined) call.resourceType = resourceType;
        if (callCondition !== undefined) call.condition = callCondition;
        calls.push(call);
      }
    }
  };
  const secrets = [...needs.secrets.values()];
  if (needs.repositories.size > 0) grant('ecr', undefined, ['ecr:GetAuthorizationToken'], ['*']);
  grant('ecr', 'repository', ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], needs.repositories);
  grant('secretsmanager', 'Secret', ['secretsmanager:GetSecretValue'], secrets.filter((s) => s.service === 'secretsmanager').map((s) => s.arn));
  grant('ssm', 'parameter', ['ssm:GetParameters'], secrets.filter((s) => s.service === 'ssm').map((s) => s.arn));
  if (secrets.length > 0) {
    // Decrypt only as Secrets Manager / SSM do it for these secrets: each service in each region the secrets live in.
    const via = [...new Set(secrets.map((s) => `${s.service}.${s.region}.amazonaws.com`))].sort();
    grant('kms', 'key', ['kms:Decrypt'], needs.keys, { StringEquals: { 'kms:ViaService': via.length === 1 ? via[0]! : via } }, via.map((service) => ({ StringEquals: { 'kms:ViaService': service } })));
  }
  grant('logs', 'log-stream', ['logs:CreateLogStream', 'logs:PutLogEvents'], needs.logStreams);
  grant('logs', 'log-group', ['logs:CreateLogGroup'], needs.logGroupsCreated);
  statements.sort((a, b) => (a.Sid < b.Sid ? -1 : a.Sid > b.Sid ? 1 : 0));
  calls.sort((a, b) => (a.action === b.action ? JSON.stringify([a.resources, a.condition]).localeCompare(JSON.stringify([b.resources, b.condition])) : a.action < b.action ? -1 : 1));

  const identityPolicy: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  const accounts = [...needs.sourceAccounts].sort();
  const trustPolicy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EcsTasksAssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        // The confused-deputy guard: only ECS acting for the task's own account.
        Condition: { StringEquals: { 'aws:SourceAccount': accounts.length === 1 ? accounts[0]! : accounts } },
      },
    ],
  };
  await validatePolicy(identityPolicy);
  await validatePolicy(trustPolicy);
  const notes = [
    `ECS task execution role of ${[...needs.services].sort().join(', ')}: ECS assumes it to start the service's tasks (image pull, container secrets, log streams), Jenkins never does`,
    ...needs.notes,
  ];
  return {
    kind: 'ecs-task-execution',
    roleArn: needs.roleArn,
    steps,
    modelSteps: [...needs.modelSteps].sort(),
    identityPolicy,
    trustPolicy,
    calls,
    notes: [...new Set(notes)].sort(),
  };
}

/**
 * The execution-role policies of a pipeline's aws-cli ECS deploys whose task-definition template
 * is in the project, per environment (one per execution role: deploys of an environment that
 * share one are merged).
 *
 * @param model The pipeline model (its `ecrPush` steps name the deployed image's repository).
 * @param shells The `sh` steps of the Jenkinsfile with the model path of their delivery step.
 */
export async function executionRolePolicies(model: unknown, shells: readonly ShellStepOrigin[], options: ExecutionRoleOptions): Promise<{ environment: string; policy: RolePolicy }[]> {
  const deploys = new Map<string, { step: EcsDeployStep; labels: Set<string> }>();
  for (const shell of shells) {
    if (shell.origin === undefined) continue;
    const value = modelValueAt(model, shell.origin);
    if (!isObject(value) || value.step !== 'ecsDeploy') continue;
    const step = value as unknown as EcsDeployStep;
    if ((step.engine ?? 'aws-cli') !== 'aws-cli' || step.taskDefinition === undefined) continue;
    const path = shell.origin.join('/');
    const deploy = deploys.get(path) ?? { step, labels: new Set<string>() };
    deploy.labels.add(shell.label);
    deploys.set(path, deploy);
  }
  const assumedByJenkins = new Set(shells.map((shell) => assumedRoleArn(shell.aws)));
  const roles = new Map<string, ExecutionNeeds>();
  for (const [path, { step, labels }] of deploys) {
    const template = loadTaskDefinitionTemplate(options.root, step.taskDefinition, options.readFile);
    if (template === undefined) continue;
    const task: TaskLocation = { partition: partitionOf(step.aws.region), region: step.aws.region, account: step.aws.account };
    // The role the deploy passes: the template's, or iam.taskRoles' when the template names no role at all (as for iam:PassRole).
    const namesRoles = text(template.taskRoleArn) !== undefined || text(template.executionRoleArn) !== undefined;
    const named = text(template.executionRoleArn) ?? (namesRoles ? undefined : options.config?.taskRoles[`${step.cluster}/${step.service}`]?.executionRole);
    if (named === undefined) continue;
    const roleArn = named.startsWith('arn:') ? named : `arn:${task.partition}:iam::${task.account}:role/${named}`;
    if (assumedByJenkins.has(roleArn)) {
      // Its policy would be one document for two principals: ECS tasks would get the deploy rights.
      throw new Error(`${step.cluster}/${step.service}: the execution role of ${step.taskDefinition} (${roleArn}) is a role the pipeline's steps assume; give the tasks a role of their own`);
    }
    const key = `${step.environment}\n${roleArn}`;
    const needs: ExecutionNeeds = roles.get(key) ?? {
      roleArn,
      environment: step.environment,
      steps: new Set(),
      modelSteps: new Set(),
      services: new Set(),
      repositories: new Set(),
      secrets: new Map(),
      keys: new Set(),
      logStreams: new Set(),
      logGroupsCreated: new Set(),
      sourceAccounts: new Set(),
      notes: new Set(),
    };
    roles.set(key, needs);
    for (const label of labels) needs.steps.add(label);
    needs.modelSteps.add(path);
    needs.services.add(`${step.cluster}/${step.service} (${step.taskDefinition})`);
    if (text(template.executionRoleArn) === undefined) needs.notes.add(`${step.cluster}/${step.service}: the template names no executionRoleArn; the execution role is iam.taskRoles' (pipewright.config.ts)`);
    collectNeeds(needs, step, template, model, task, options.config);
  }
  const policies: { environment: string; policy: RolePolicy }[] = [];
  for (const needs of roles.values()) {
    const policy = await policyOf(needs);
    // A template without secrets, ECR images or awslogs needs no execution role policy: none is written.
    if (policy.identityPolicy.Statement.length > 0) policies.push({ environment: needs.environment, policy });
  }
  return policies;
}
