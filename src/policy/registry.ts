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
import flow001 from './rules/fintech/flow-001.ts';
import flow002 from './rules/fintech/flow-002.ts';
import flow003 from './rules/fintech/flow-003.ts';
import flow004 from './rules/fintech/flow-004.ts';
import flow005 from './rules/fintech/flow-005.ts';
import flow006 from './rules/fintech/flow-006.ts';
import flow007 from './rules/fintech/flow-007.ts';
import iam001 from './rules/fintech/iam-001.ts';
import iam002 from './rules/fintech/iam-002.ts';
import iam003 from './rules/fintech/iam-003.ts';
import iam004 from './rules/fintech/iam-004.ts';
import iam005 from './rules/fintech/iam-005.ts';
import iam006 from './rules/fintech/iam-006.ts';
import iam007 from './rules/fintech/iam-007.ts';
import secret001 from './rules/fintech/secret-001.ts';
import secret002 from './rules/fintech/secret-002.ts';
import secret003 from './rules/fintech/secret-003.ts';
import secret004 from './rules/fintech/secret-004.ts';
import secret005 from './rules/fintech/secret-005.ts';
import scan001 from './rules/fintech/scan-001.ts';
import scan002 from './rules/fintech/scan-002.ts';
import scan003 from './rules/fintech/scan-003.ts';
import scan004 from './rules/fintech/scan-004.ts';
import scan005 from './rules/fintech/scan-005.ts';
import scan006 from './rules/fintech/scan-006.ts';
import scan007 from './rules/fintech/scan-007.ts';
import scan008 from './rules/fintech/scan-008.ts';
import art001 from './rules/fintech/art-001.ts';
import art002 from './rules/fintech/art-002.ts';
import art003 from './rules/fintech/art-003.ts';
import art004 from './rules/fintech/art-004.ts';
import art005 from './rules/fintech/art-005.ts';
import art006 from './rules/fintech/art-006.ts';
import deploy001 from './rules/fintech/deploy-001.ts';
import deploy002 from './rules/fintech/deploy-002.ts';
import deploy003 from './rules/fintech/deploy-003.ts';
import deploy004 from './rules/fintech/deploy-004.ts';
import deploy005 from './rules/fintech/deploy-005.ts';
import deploy006 from './rules/fintech/deploy-006.ts';
import deploy007 from './rules/fintech/deploy-007.ts';
import audit001 from './rules/fintech/audit-001.ts';
import audit002 from './rules/fintech/audit-002.ts';
import pipe001 from './rules/fintech/pipe-001.ts';
import pipe002 from './rules/fintech/pipe-002.ts';
import pipe003 from './rules/fintech/pipe-003.ts';
import pipe004 from './rules/fintech/pipe-004.ts';
import notify001 from './rules/fintech/notify-001.ts';
import obs001 from './rules/fintech/obs-001.ts';
import cost001 from './rules/fintech/cost-001.ts';

/** The `baseline` pack: Jenkins hygiene. */
export const baselineRules: readonly Rule[] = [base001, base002, base003, base004, base005, base006, base007, base008];

/** The `fintech` pack: the policy catalog's rules that can be checked on the model. */
export const fintechRules: readonly Rule[] = [
  flow001,
  flow002,
  flow003,
  flow004,
  flow005,
  flow006,
  flow007,
  iam001,
  iam002,
  iam003,
  iam004,
  iam005,
  iam006,
  iam007,
  secret001,
  secret002,
  secret003,
  secret004,
  secret005,
  scan001,
  scan002,
  scan003,
  scan004,
  scan005,
  scan006,
  scan007,
  scan008,
  art001,
  art002,
  art003,
  art004,
  art005,
  art006,
  deploy001,
  deploy002,
  deploy003,
  deploy004,
  deploy005,
  deploy006,
  deploy007,
  audit001,
  audit002,
  pipe001,
  pipe002,
  pipe003,
  pipe004,
  notify001,
  obs001,
  cost001,
];

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
