/**
 * The published forms of a pipeline's IAM policies: pipewright's JSON, Terraform
 * (`aws_iam_policy_document` data sources) and CloudFormation (`AWS::IAM::ManagedPolicy`). All
 * deterministic: the same policies always print the same bytes.
 */
import type { PipelineIamPolicies, PublishedIamPolicies, RolePolicy } from './generate.ts';
import { documentJsonAt, stableJson, stableJsonAt, stableJsonInto, type PolicyDocument, type PolicyStatement } from './policy-document.ts';

/** Output formats of `pipewright iam`. */
export const IAM_FORMATS = ['json', 'terraform', 'cloudformation'] as const;
export type IamFormat = (typeof IAM_FORMATS)[number];

/** File extension per format (`generated/<name>/iam/<env>.json`, `--out DIR/<name>/<env>.tf`, …). */
export const IAM_FORMAT_EXTENSIONS: Readonly<Record<IamFormat, string>> = { json: '.json', terraform: '.tf', cloudformation: '.cfn.json' };

/** The published JSON form of one pipeline × environment: everything but the per-call list the tests simulate. */
export function publishedPolicies(policies: PipelineIamPolicies): unknown {
  return { ...policies, roles: policies.roles.map(({ calls: _calls, ...role }) => role) };
}

/**
 * `stableJson(publishedPolicies(policies))`, byte for byte, without copying the policies: their
 * documents are printed through {@link documentJsonAt} (once per document a fleet shares). The
 * parts are joined once, so the text is flat (hashing and writing a string of many small
 * concatenated pieces would first copy it).
 */
export function publishedPoliciesJson(policies: PublishedIamPolicies): string {
  const parts: string[] = [];
  objectJsonInto(parts, policies, '', (key, value, indent) => {
    if (key === 'roles' && Array.isArray(value)) arrayJsonInto(parts, value, indent, publishedRoleJsonInto);
    else stableJsonInto(parts, value, indent);
  });
  parts.push('\n');
  return parts.join('');
}

function publishedRoleJsonInto(parts: string[], role: unknown, indent: string): void {
  if (role === null || typeof role !== 'object' || Array.isArray(role)) {
    parts.push(stableJsonAt(role, indent));
    return;
  }
  const entryJson = (key: string, value: unknown, inner: string) => {
    if ((key === 'identityPolicy' || key === 'trustPolicy') && value !== null && typeof value === 'object') parts.push(documentJsonAt(value as PolicyDocument, inner));
    else stableJsonInto(parts, value, inner);
  };
  objectJsonInto(parts, role, indent, entryJson, 'calls');
}

/** An object as stableJson prints it at `indent` (keys sorted, undefined entries and `omit` left out), each entry's value pushed by `entryJson`. */
function objectJsonInto(parts: string[], value: object, indent: string, entryJson: (key: string, value: unknown, indent: string) => void, omit?: string): void {
  const inner = `${indent}  `;
  let empty = true;
  for (const key of Object.keys(value).sort()) {
    const entry = (value as Record<string, unknown>)[key];
    if (entry === undefined || key === omit) continue;
    parts.push(empty ? '{\n' : ',\n', inner, JSON.stringify(key), ': ');
    entryJson(key, entry, inner);
    empty = false;
  }
  parts.push(empty ? '{}' : `\n${indent}}`);
}

function arrayJsonInto(parts: string[], items: readonly unknown[], indent: string, itemJson: (parts: string[], item: unknown, indent: string) => void): void {
  if (items.length === 0) {
    parts.push('[]');
    return;
  }
  const inner = `${indent}  `;
  for (let i = 0; i < items.length; i++) {
    parts.push(i === 0 ? '[\n' : ',\n', inner);
    itemJson(parts, items[i], inner);
  }
  parts.push(`\n${indent}]`);
}

/** A role's name from its ARN (`arn:aws:iam::1:role/path/name` → `name`). */
export function roleNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** `payments-api` + `prod` + `ecs-deployer-prod` → `payments_api_prod_ecs_deployer_prod` (a Terraform/CloudFormation-safe name). */
function identifier(parts: string[], separator: string): string {
  const words = parts.join('-').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return separator === '_' ? words.join('_').toLowerCase() : words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** A Terraform string literal (JSON escapes are valid HCL escapes; `${` and `%{` are template syntax and are escaped). */
function hclString(value: string): string {
  return JSON.stringify(value).replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}

function hclList(values: readonly string[]): string {
  return `[${values.map(hclString).join(', ')}]`;
}

function hclStatement(statement: PolicyStatement, indent: string): string[] {
  const lines = [`${indent}statement {`, `${indent}  sid     = ${hclString(statement.Sid)}`, `${indent}  effect  = ${hclString(statement.Effect)}`, `${indent}  actions = ${hclList(statement.Action)}`];
  if (statement.Resource !== undefined) lines.push(`${indent}  resources = ${hclList(statement.Resource)}`);
  if (statement.Principal !== undefined) {
    const [type, identifier] = 'AWS' in statement.Principal ? ['AWS', statement.Principal.AWS] : ['Service', statement.Principal.Service];
    lines.push(`${indent}  principals {`, `${indent}    type        = ${hclString(type)}`, `${indent}    identifiers = ${hclList([identifier])}`, `${indent}  }`);
  }
  for (const test of Object.keys(statement.Condition ?? {}).sort()) {
    const entries = statement.Condition![test]!;
    for (const variable of Object.keys(entries).sort()) {
      const value = entries[variable]!;
      lines.push(
        `${indent}  condition {`,
        `${indent}    test     = ${hclString(test)}`,
        `${indent}    variable = ${hclString(variable)}`,
        `${indent}    values   = ${hclList(Array.isArray(value) ? value : [value])}`,
        `${indent}  }`,
      );
    }
  }
  lines.push(`${indent}}`);
  return lines;
}

function hclDocument(name: string, document: PolicyDocument, comment: string[]): string[] {
  return [...comment.map((line) => `# ${line}`), `data "aws_iam_policy_document" ${hclString(name)} {`, `  version = ${hclString(document.Version)}`, ...document.Statement.flatMap((s) => hclStatement(s, '  ')), '}', ''];
}

function roleComment(policies: PipelineIamPolicies, role: RolePolicy): string[] {
  return [`${policies.pipeline} / ${policies.environment}: ${role.roleArn}`, `steps: ${role.steps.join(', ')}`, ...role.notes.map((note) => `note: ${note}`)];
}

/**
 * Terraform: per role, an `aws_iam_policy_document` data source for the identity policy
 * (`<pipeline>_<env>_<role>`) and, when there is one, for the trust policy (`…_trust`), to
 * attach with `aws_iam_policy`/`aws_iam_role` in the role's account.
 */
export function toTerraform(all: readonly PipelineIamPolicies[]): string {
  const lines = ['# Generated by pipewright (pipewright iam --format terraform). Do not edit: change the pipeline and regenerate.', ''];
  for (const policies of all) {
    for (const role of policies.roles) {
      const name = identifier([policies.pipeline, policies.environment, roleNameOf(role.roleArn)], '_');
      lines.push(...hclDocument(name, role.identityPolicy, roleComment(policies, role)));
      if (role.trustPolicy !== undefined) lines.push(...hclDocument(`${name}_trust`, role.trustPolicy, [`trust policy of ${role.roleArn}`]));
    }
  }
  return lines.join('\n');
}

/**
 * CloudFormation (JSON, which CloudFormation reads as YAML too): per role an
 * `AWS::IAM::ManagedPolicy` attached to the role by name; the role's account and trust policy are
 * in the resource's `Metadata` (a stack lives in one account: deploy each resource's policy in its
 * role's account).
 */
export function toCloudFormation(all: readonly PipelineIamPolicies[]): string {
  const resources: Record<string, unknown> = {};
  for (const policies of all) {
    for (const role of policies.roles) {
      const name = `${identifier([policies.pipeline, policies.environment, roleNameOf(role.roleArn)], '')}Policy`;
      const account = /::(\d{12}):/.exec(role.roleArn)?.[1];
      resources[name] = {
        Type: 'AWS::IAM::ManagedPolicy',
        Metadata: { pipewright: { pipeline: policies.pipeline, environment: policies.environment, kind: role.kind, roleArn: role.roleArn, account, steps: role.steps, notes: role.notes, trustPolicy: role.trustPolicy } },
        Properties: {
          ManagedPolicyName: `pipewright-${policies.pipeline}-${policies.environment}-${roleNameOf(role.roleArn)}`.slice(0, 128),
          Description: `Least privilege for ${policies.pipeline} (${policies.environment}): ${role.steps.join(', ')}`.slice(0, 1000),
          Roles: [roleNameOf(role.roleArn)],
          PolicyDocument: role.identityPolicy,
        },
      };
    }
  }
  return stableJson({ AWSTemplateFormatVersion: '2010-09-09', Description: 'IAM policies generated by pipewright (pipewright iam --format cloudformation)', Resources: resources });
}

/** The text of `all` in `format`. */
export function formatPolicies(all: readonly PipelineIamPolicies[], format: IamFormat): string {
  if (format === 'terraform') return toTerraform(all);
  if (format === 'cloudformation') return toCloudFormation(all);
  return stableJson(all.map(publishedPolicies));
}
