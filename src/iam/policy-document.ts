/**
 * IAM policy documents as pipewright writes them, and their deterministic JSON form.
 */

/** `{ "<operator>": { "<condition key>": value } }`. */
export type PolicyCondition = Record<string, Record<string, string | string[]>>;

/** One statement of an identity or trust policy. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  /** Who may assume the role (trust policies): the Jenkins principal, or a service (`ecs-tasks.amazonaws.com` for an ECS task execution role). */
  Principal?: { AWS: string } | { Service: string };
  Action: string[];
  Resource?: string[];
  Condition?: PolicyCondition;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * JSON with object keys sorted at every level and two-space indentation, so the same model
 * always prints the same bytes (arrays keep their order; the generator sorts them itself).
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) sorted[key] = sortKeys(entry);
    }
    return sorted;
  }
  return value;
}

/** Sid-safe PascalCase of free text (`ecs deploy dev` → `EcsDeployDev`). */
export function pascalWords(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
