/**
 * Whether one IAM policy allows more than another: the widenings `pipewright diff` reports
 * (a new action, a wider resource, a removed condition, a new principal) and the check that a
 * role's attached policy is no wider than the generated one (rule IAM-007).
 *
 * Sound, not complete: a widening is reported unless the other policy visibly covers the
 * grant. Wildcards in the wider policy's actions are compared as text (`ecs:Describe*` is covered
 * only by a pattern that covers that text), `Deny` statements are not credited, and `NotAction` /
 * `NotResource` statements count as allowing everything.
 */
import type { PolicyDocument } from './policy-document.ts';

/** One way the new policy allows more than the old one. */
export interface PolicyWidening {
  kind: 'action-added' | 'resource-widened' | 'condition-removed' | 'principal-added';
  /** The action concerned (`ecs:UpdateService`). */
  action: string;
  /** The resource (or principal) the new policy allows it on. */
  resource: string;
  /** For people: what the new policy allows that the old one did not. */
  message: string;
}

/** A statement as this module reads any policy document, loosely typed (attached policies come from configuration). */
interface LooseStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: string | { AWS?: string | string[] } | Record<string, unknown>;
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether glob `pattern` (`*`, `?`) matches all of `value`, where `*` in `value` is a literal (so it must be matched by a `*` of the pattern). */
export function globCovers(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '[^*]');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalsOf(statement: LooseStatement): string[] {
  const principal = statement.Principal;
  if (principal === undefined) return [];
  if (typeof principal === 'string') return [principal];
  return [...list((principal as { AWS?: string | string[] }).AWS), ...list((principal as { Service?: string | string[] }).Service)];
}

/** Condition entries as `operator|key` → values (values as strings). */
function conditionEntries(statement: LooseStatement): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) entries.set(`${operator}|${key.toLowerCase()}`, (Array.isArray(value) ? value : [value]).map(String));
  }
  return entries;
}

/** Whether `narrow`'s conditions are at least as strict as `wide`'s: every condition of `wide` is in `narrow` with no more values. */
function conditionsAtLeast(narrow: Map<string, string[]>, wide: Map<string, string[]>): boolean {
  for (const [key, values] of wide) {
    const mine = narrow.get(key);
    if (mine === undefined || !mine.every((v) => values.includes(v))) return false;
  }
  return true;
}

/**
 * What `after` allows that `before` does not, one entry per (action, resource) grant not covered.
 * `before` undefined: everything `after` allows is new.
 */
export function policyWidenings(before: PolicyDocument | { Statement: unknown[] } | undefined, after: PolicyDocument | { Statement: unknown[] }): PolicyWidening[] {
  const old = ((before?.Statement ?? []) as LooseStatement[]).filter((s) => (s.Effect ?? 'Allow') === 'Allow');
  const widenings: PolicyWidening[] = [];
  const seen = new Set<string>();
  const push = (widening: PolicyWidening) => {
    const key = `${widening.kind}\n${widening.action}\n${widening.resource}`;
    if (!seen.has(key)) widenings.push(widening);
    seen.add(key);
  };
  for (const statement of (after.Statement as LooseStatement[]).filter((s) => (s.Effect ?? 'Allow') === 'Allow')) {
    const actions = statement.NotAction !== undefined ? ['*'] : list(statement.Action);
    const principals = principalsOf(statement);
    const resources = statement.NotResource !== undefined ? ['*'] : principals.length > 0 ? principals : list(statement.Resource).length > 0 ? list(statement.Resource) : ['*'];
    const conditions = conditionEntries(statement);
    for (const action of actions) {
      for (const resource of resources) {
        const sameAction = old.filter((b) => b.NotAction !== undefined || list(b.Action).some((pattern) => globCovers(pattern, action, true)));
        const onResource = sameAction.filter((b) => {
          if (b.NotResource !== undefined) return true;
          const theirs = principals.length > 0 ? principalsOf(b) : list(b.Resource).length > 0 ? list(b.Resource) : ['*'];
          return theirs.some((pattern) => globCovers(pattern, resource));
        });
        if (onResource.some((b) => conditionsAtLeast(conditions, conditionEntries(b)))) continue;
        if (sameAction.length === 0) {
          push({ kind: 'action-added', action, resource, message: `allows ${action} on ${resource} (a new action)` });
        } else if (onResource.length === 0) {
          push(
            principals.length > 0
              ? { kind: 'principal-added', action, resource, message: `lets ${resource} call ${action} (a new principal)` }
              : { kind: 'resource-widened', action, resource, message: `allows ${action} on ${resource} (before: ${[...new Set(sameAction.flatMap((b) => list(b.Resource)))].join(', ') || '*'})` },
          );
        } else {
          const dropped = [...conditionEntries(onResource[0]!)].filter(([key, values]) => !(conditions.get(key) ?? []).every((v) => values.includes(v)) || !conditions.has(key)).map(([key]) => key.replace('|', ' '));
          push({ kind: 'condition-removed', action, resource, message: `allows ${action} on ${resource} without the condition ${dropped.join(', ') || '(changed)'} it had` });
        }
      }
    }
  }
  return widenings;
}
