/**
 * The one registry of built-in rules: every rule module is listed here, in pack order. `explain`,
 * `rules`, the generated docs, SARIF's rule table and the engine all read rule metadata from this
 * module (plus the custom rules of the configuration).
 */
import type { Rule, RuleMeta } from './rule.ts';
import { engineRules } from './rules/engine.ts';
import base001 from './rules/baseline/base-001.ts';
import base002 from './rules/baseline/base-002.ts';
import base003 from './rules/baseline/base-003.ts';
import base004 from './rules/baseline/base-004.ts';
import base005 from './rules/baseline/base-005.ts';
import base006 from './rules/baseline/base-006.ts';
import base007 from './rules/baseline/base-007.ts';
import base008 from './rules/baseline/base-008.ts';

/** The `baseline` pack: Jenkins hygiene. */
export const baselineRules: readonly Rule[] = [base001, base002, base003, base004, base005, base006, base007, base008];

/** The `fintech` pack: the policy catalog's rules that can be checked on the model. */
export const fintechRules: readonly Rule[] = [];

/** Every built-in rule: engine findings, then the baseline and fintech packs. */
export const BUILTIN_RULES: readonly Rule[] = [...engineRules, ...baselineRules, ...fintechRules];

/** Built-in packs and the ids of their rules. */
export const PACKS: Readonly<Record<string, readonly string[]>> = {
  engine: engineRules.map((r) => r.meta.id),
  baseline: baselineRules.map((r) => r.meta.id),
  fintech: fintechRules.map((r) => r.meta.id),
};

/** Built-in rules followed by the given custom rules. */
export function allRules(customRules: readonly Rule[] = []): Rule[] {
  return [...BUILTIN_RULES, ...customRules];
}

/** A rule by id (case-insensitive), built-in or custom. */
export function findRule(id: string, customRules: readonly Rule[] = []): Rule | undefined {
  const wanted = id.toUpperCase();
  return allRules(customRules).find((r) => r.meta.id.toUpperCase() === wanted);
}

/** Metadata of every rule, built-in and custom. */
export function allRuleMeta(customRules: readonly Rule[] = []): RuleMeta[] {
  return allRules(customRules).map((r) => r.meta);
}
