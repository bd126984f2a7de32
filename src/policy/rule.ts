/**
 * The rule API. A rule is a plain object, ESLint-style: `meta` (id, title, default severity,
 * rationale and the standards it maps to, docs anchor, a bad/good example) and `check(context)`,
 * which reads the validated pipeline model and yields findings attached to model paths. Built-in
 * and custom rules use exactly this API; custom rules are listed in `pipewright.config.ts`.
 */
import type { Catalog } from '../catalog/schema.ts';
import type { ModelPath, Severity } from '../diagnostics.ts';
import type { ValidPipeline } from '../model/schema.ts';
import type { EnvironmentPolicy, ResolvedPolicyConfig } from './config.ts';
import type { PipelineIndex } from './model-index.ts';

/** A rule's identifier: upper-case letters/digits, a dash, digits (e.g. `SCAN-001`, `ACME-12`). */
export const RULE_ID_PATTERN = /^[A-Z][A-Z0-9]*-[0-9]{1,4}$/;

/** Descriptive data about a rule; everything `explain`, `rules`, the docs and SARIF show. */
export interface RuleMeta {
  /** Stable id, e.g. `SCAN-001`. Findings use it as their diagnostic code. */
  id: string;
  /** Short imperative title, e.g. `Scan before pushing to ECR`. */
  title: string;
  /** Pack the rule belongs to (`baseline`, `fintech`, or a custom pack name). */
  pack: string;
  /** Severity when the configuration does not override it. */
  severity: Severity;
  /**
   * Severity outside production environments, for rules the catalog marks "error (prod)":
   * findings the rule attributes to a non-production environment use this instead.
   */
  nonProductionSeverity?: Severity;
  /** Why the rule exists, in a few sentences. */
  rationale: string;
  /** Standards and controls the rule implements, e.g. `PCI DSS 4.0.1 6.2.3`, `OWASP CICD-SEC-1`. */
  standards: readonly string[];
  /** The exception the catalog accepts (documented as the suppression to use), if any. */
  exception?: string;
  /**
   * Documentation link. Built-in rules leave it out and get `docs/rules.md#<id>`; custom rules
   * may point to their own pages.
   */
  docs?: string;
  /** A minimal violating snippet and its fix (pipeline TypeScript), shown by `pipewright explain`. */
  example: { bad: string; good: string };
}

/** One problem a rule found. */
export interface RuleFinding {
  /** Model path of the node that causes the problem (its TS source location is looked up). */
  path: ModelPath;
  /** One sentence; say what is wrong and what to do. */
  message: string;
  /**
   * The environment the finding concerns (e.g. `prod`), when the rule knows it. Used for
   * `nonProductionSeverity` and per-environment severity overrides.
   */
  environment?: string;
  /**
   * What was expected, when that is a short phrase. Give `expected` and `found` together or not at
   * all: reporters print "(expected X, found Y)" (RuleTester checks this).
   */
  expected?: string;
  /** What was found instead (together with `expected`). */
  found?: string;
}

/** What a rule's `check` can see. */
export interface RuleContext {
  /** The validated pipeline model. */
  readonly pipeline: ValidPipeline;
  /** Project-relative path of the pipeline's TypeScript source. */
  readonly source: string;
  /** Pre-computed traversal of the model (stages in order, steps with paths, strings, ...). */
  readonly index: PipelineIndex;
  /** The resolved policy configuration. */
  readonly policy: ResolvedPolicyConfig;
  /** Options configured for this rule (`policy.rules[id].options`), or `{}`. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Today's date as `YYYY-MM-DD` (UTC), for rules that compare dates. */
  readonly today: string;
  /**
   * Reads a file of the project (path relative to the project root), or `undefined` when it does
   * not exist or no project is at hand (rules checking in-memory models). For rules that lint a
   * file the model points at, such as a `.trivyignore`.
   */
  readFile(path: string): string | undefined;
  /**
   * The controller catalog (steps, plugins, describables) the project checks against: the one
   * pipewright.config.ts names, else the bundled default.
   */
  readonly catalog: Catalog;
  /** Per-environment policy (the configured entry merged over the defaults). */
  environment(name: string): EnvironmentPolicy;
  /** Whether `name` is a production environment (per `policy.environments[name].production`). */
  isProduction(name: string | undefined): boolean;
}

/** A policy rule. */
export interface Rule {
  readonly meta: RuleMeta;
  /**
   * Inspects the model; returns (or yields) findings. Must not mutate the model. Built-in rules
   * return arrays: a generator costs an iterator per loop and per result on every pipeline.
   */
  check(context: RuleContext): Iterable<RuleFinding>;
}

/** Identity helper that gives a rule object its type (and editor completion). */
export function defineRule(rule: Rule): Rule {
  return rule;
}

/** The docs URL/anchor of a rule: its own `docs`, else the entry in `docs/rules.md`. */
export function ruleDocsUrl(meta: RuleMeta): string {
  return meta.docs ?? `docs/rules.md#${meta.id.toLowerCase()}`;
}
