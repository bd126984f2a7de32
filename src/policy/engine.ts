/**
 * The policy engine: runs the enabled rules over one validated pipeline, resolves each finding's
 * severity from the configuration, applies the suppressions written in the pipeline source, and
 * reports expired, unused, unknown and forbidden (mandatory-rule) suppressions as findings of
 * their own. Suppressed findings are kept, with the suppression that excused them.
 */
import { defaultCatalog } from '../catalog/index.ts';
import type { Catalog } from '../catalog/schema.ts';
import type { Diagnostic, Location, ModelPath, Severity } from '../diagnostics.ts';
import type { Suppression, ValidPipeline } from '../model/schema.ts';
import {
  atLeast,
  environmentPolicy,
  PolicyConfigSchema,
  type PolicyConfig,
  type EnvironmentPolicy,
  type ResolvedPolicyConfig,
  type SeverityOrOff,
  suggestRuleId,
} from './config.ts';
import { indexPipeline, isPathWithin } from './model-index.ts';
import { allRules } from './registry.ts';
import type { Rule, RuleContext, RuleFinding } from './rule.ts';
import {
  RULE_FAILED,
  SUPPRESSION_EXPIRED,
  SUPPRESSION_OF_MANDATORY,
  SUPPRESSION_POLICY,
  SUPPRESSION_UNKNOWN_RULE,
  SUPPRESSION_UNUSED,
} from './rules/engine.ts';
import { collectSuppressions, daysBetween, isCalendarDate, isoDate, type PlacedSuppression } from './suppressions.ts';

/** A policy finding: a Diagnostic whose `code` is the rule id, always with a model path. */
export interface PolicyFinding extends Diagnostic {
  path: ModelPath;
  /** The environment the finding concerns, when the rule knows it. */
  environment?: string;
  /** Where the node's code ended up in the generated Jenkinsfile, when there is one. */
  jenkinsfile?: Location;
}

/** A finding that a suppression in the pipeline source excused. */
export interface SuppressedFinding {
  finding: PolicyFinding;
  suppression: Suppression;
  /** Model path of the suppression entry (its location is the suppression's TS line). */
  suppressionPath: ModelPath;
  /** Location of the suppression entry in the TS source, once mapped. */
  suppressionLocation?: Location;
}

/** A rule that ran, with its effective (configured) default severity. */
export interface ActiveRule {
  rule: Rule;
  severity: Severity;
}

/** An active rule with its resolved configuration (computed once per config). */
interface PreparedRule extends ActiveRule {
  setting: ReturnType<typeof settingOf>;
}

export interface PolicyResult {
  /** Active findings (not suppressed), in rule order then document order. */
  findings: PolicyFinding[];
  /** Findings excused by a suppression: counted and reported, never dropped. */
  suppressed: SuppressedFinding[];
  /** The rules that ran. */
  rules: ActiveRule[];
  failOn: Severity;
  /** Whether a finding is at or above `failOn`. */
  failed: boolean;
}

export interface PolicyRunContext {
  /** Project-relative path of the pipeline's TypeScript source. */
  source: string;
  /** The current time (suppression expiry); default: now. */
  now?: Date;
  /** Reads a project file (root-relative path) for rules that lint files the model names. */
  readFile?: (path: string) => string | undefined;
  /** The controller catalog the project checks against; default: the bundled one. */
  catalog?: Catalog;
}

/** Rule ids that `config.rules`/`config.mandatory` name but no rule has (report once per run). */
export function checkPolicyConfig(config: ResolvedPolicyConfig): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const known = new Set(allRules(config.customRules).map((r) => r.meta.id));
  for (const builtin of allRules()) {
    if (config.customRules.some((c) => c.meta.id === builtin.meta.id)) {
      problems.push({
        code: 'PW2101',
        severity: 'error',
        message: `custom rule ${builtin.meta.id} has the id of a built-in rule; choose another id`,
        path: ['policy', 'customRules'],
      });
    }
  }
  const unknown = (id: string, where: string, path: ModelPath) => {
    if (!known.has(id)) {
      const suggestion = suggestRuleId(id, known);
      problems.push({
        code: 'PW2101',
        severity: 'error',
        message: `${where} names rule ${id}, which does not exist${suggestion !== undefined ? ` - did you mean ${suggestion}?` : ''} (see \`pipewright rules\`)`,
        path,
      });
    }
  };
  for (const id of Object.keys(config.rules)) unknown(id, 'policy.rules', ['policy', 'rules', id]);
  config.mandatory.forEach((id, i) => unknown(id, 'policy.mandatory', ['policy', 'mandatory', i]));
  return problems;
}

interface PreparedPolicy {
  config: ResolvedPolicyConfig;
  rules: PreparedRule[];
  /** The rules whose `check` runs: `rules` without the engine's own (they find nothing). */
  checked: PreparedRule[];
  /** `RuleContext.environment` and `isProduction`: the same for every pipeline of the configuration. */
  environment: (name: string) => EnvironmentPolicy;
  isProduction: (name: string | undefined) => boolean;
  /** `rules` as reported in results. */
  active: ActiveRule[];
  known: Map<string, Rule>;
  mandatory: Set<string>;
  /** Effective severity of each rule that runs, by id. */
  severities: Map<string, Severity>;
  /** Per-environment policy by name, computed on first use (the same for every pipeline). */
  environments: Map<string, EnvironmentPolicy>;
}

/** Bound on {@link PreparedPolicy.environments}: names come from pipelines. */
const ENVIRONMENT_CACHE_LIMIT = 1_000;

function environmentOf(policy: PreparedPolicy, name: string): EnvironmentPolicy {
  let env = policy.environments.get(name);
  if (!env) {
    if (policy.environments.size >= ENVIRONMENT_CACHE_LIMIT) policy.environments.clear();
    policy.environments.set(name, (env = environmentPolicy(policy.config, name)));
  }
  return env;
}

const prepared = new WeakMap<object, PreparedPolicy>();

function settingOf(config: ResolvedPolicyConfig, id: string) {
  const setting = config.rules[id];
  if (setting === undefined) return { severity: undefined, options: {}, environments: {} };
  if (typeof setting === 'string') return { severity: setting, options: {}, environments: {} };
  return { severity: setting.severity, options: setting.options ?? {}, environments: setting.environments ?? {} };
}

/** Which rules run and how, for one configuration (cached per config object). */
function prepare(config: ResolvedPolicyConfig): PreparedPolicy {
  const cached = prepared.get(config);
  if (cached) return cached;
  const mandatory = new Set(config.mandatory);
  const packs = new Set(config.packs);
  const known = new Map<string, Rule>();
  const rules: PreparedRule[] = [];
  for (const rule of allRules(config.customRules)) {
    known.set(rule.meta.id, rule);
    const setting = settingOf(config, rule.meta.id);
    const { severity } = setting;
    if (severity === 'off') continue;
    const custom = config.customRules.includes(rule);
    // A rule runs when its pack is on, when it is custom, mandatory, or configured in `rules`.
    const enabled =
      rule.meta.pack === 'engine' ||
      custom ||
      packs.has(rule.meta.pack) ||
      config.rules[rule.meta.id] !== undefined ||
      mandatory.has(rule.meta.id);
    if (enabled) rules.push({ rule, severity: severity ?? rule.meta.severity, setting });
  }
  const active = rules.map(({ rule, severity }) => ({ rule, severity }));
  // The first rule with an id decides its severity (as a search of `rules` would).
  const severities = new Map<string, Severity>();
  for (const { rule, severity } of rules) if (!severities.has(rule.meta.id)) severities.set(rule.meta.id, severity);
  const checked = rules.filter(({ rule }) => rule.meta.pack !== 'engine');
  const result: PreparedPolicy = {
    config,
    rules,
    checked,
    environment: (name) => environmentOf(result, name),
    isProduction: (name) => (name === undefined ? false : environmentOf(result, name).production),
    active,
    known,
    mandatory,
    severities,
    environments: new Map(),
  };
  prepared.set(config, result);
  return result;
}

/** Resolves a partial config, or returns an already resolved one unchanged (keeps the cache warm). */
function resolved(config: PolicyConfig | ResolvedPolicyConfig): ResolvedPolicyConfig {
  const c = config as Partial<ResolvedPolicyConfig>;
  const complete =
    Array.isArray(c.packs) &&
    typeof c.rules === 'object' &&
    typeof c.failOn === 'string' &&
    Array.isArray(c.mandatory) &&
    typeof c.environments === 'object' &&
    Array.isArray(c.customRules) &&
    typeof c.suppressions === 'object';
  return complete ? (config as ResolvedPolicyConfig) : PolicyConfigSchema.parse(config);
}

/** The policy of one configuration, ready to run over many pipelines. */
export interface PolicyRunner {
  /** The resolved configuration. */
  readonly config: ResolvedPolicyConfig;
  /** The rules that run, with their effective default severity (the same for every pipeline). */
  readonly rules: ActiveRule[];
  /** Runs the policy over one validated pipeline. */
  run(pipeline: ValidPipeline, context: PolicyRunContext): PolicyResult;
}

/**
 * Resolves and prepares a configuration once (which rules run, their settings), for runs over
 * many pipelines. `config` is the `policy` section of the configuration (partial configs get
 * defaults).
 */
export function createPolicyRunner(config: PolicyConfig | ResolvedPolicyConfig): PolicyRunner {
  const policy = prepare(resolved(config));
  return {
    config: policy.config,
    rules: policy.active,
    run: (pipeline, context) => runPrepared(policy, pipeline, context),
  };
}

/**
 * Runs the policy over one validated pipeline.
 *
 * `config` is the `policy` section of the configuration (partial configs get defaults). For many
 * pipelines, {@link createPolicyRunner} prepares the configuration once.
 */
export function runPolicy(
  pipeline: ValidPipeline,
  config: PolicyConfig | ResolvedPolicyConfig,
  context: PolicyRunContext,
): PolicyResult {
  return runPrepared(prepare(resolved(config)), pipeline, context);
}

/** The last date asked for and its day: every pipeline of a run shares the run's date. */
let lastDay: { time: number; day: string } | undefined;

/** `YYYY-MM-DD` (UTC) of a date. */
function dayOf(now: Date): string {
  const time = now.getTime();
  if (lastDay?.time !== time) lastDay = { time, day: isoDate(now) };
  return lastDay.day;
}

function runPrepared(policy: PreparedPolicy, pipeline: ValidPipeline, context: PolicyRunContext): PolicyResult {
  const { config: cfg } = policy;
  const today = dayOf(context.now ?? new Date());
  const index = indexPipeline(pipeline);

  let reads: Map<string, string | undefined> | undefined;
  // One context per pipeline; only `options` changes from rule to rule.
  const ruleContext: { -readonly [K in keyof RuleContext]: RuleContext[K] } = {
    pipeline,
    source: context.source,
    index,
    policy: cfg,
    options: {},
    today,
    readFile: (path) => {
      // Several rules read the same templates (SECRET-005, DEPLOY-005, OBS-001): once per run.
      reads ??= new Map();
      if (!reads.has(path)) reads.set(path, context.readFile?.(path));
      return reads.get(path);
    },
    get catalog() {
      return context.catalog ?? defaultCatalog();
    },
    environment: policy.environment,
    isProduction: policy.isProduction,
  };
  // Indexed loops: in a cold run this loop is interpreted for many pipelines, where each `for of`
  // costs an iterator and a result object per step.
  const raw: PolicyFinding[] = [];
  const { checked } = policy;
  for (let r = 0; r < checked.length; r++) {
    const prepared = checked[r]!;
    const { rule } = prepared;
    ruleContext.options = prepared.setting.options;
    let found: readonly RuleFinding[];
    try {
      const result = rule.check(ruleContext);
      found = Array.isArray(result) ? result : [...result];
    } catch (error) {
      raw.push({
        code: RULE_FAILED,
        severity: severityFor(policy, RULE_FAILED) ?? 'error',
        message: `rule ${rule.meta.id} failed: ${(error as Error)?.message ?? String(error)}`,
        path: [],
      });
      continue;
    }
    for (let i = 0; i < found.length; i++) {
      const f = found[i]!;
      const severity = findingSeverity(rule, prepared.severity, prepared.setting, f.environment, policy.isProduction);
      if (severity === 'off') continue;
      const finding: PolicyFinding = { code: rule.meta.id, severity, message: f.message, path: f.path };
      if (f.environment !== undefined) finding.environment = f.environment;
      if (f.expected !== undefined) finding.expected = f.expected;
      if (f.found !== undefined) finding.found = f.found;
      raw.push(finding);
    }
  }

  // A step called from raw Groovy has the Groovy string as its path; a rule that points into the
  // step (`[...path, 'script']`) points into that string, which has no parts of its own.
  if (index.groovy.length > 0) {
    for (const finding of raw) {
      const source = index.groovy.find((g) => finding.path.length > g.path.length && isPathWithin(finding.path, g.path));
      if (source) finding.path = source.path;
    }
  }
  const placements = collectSuppressions(index);
  const { findings, suppressed } = placements.length > 0 ? applySuppressions(raw, placements, policy, today) : { findings: raw, suppressed: [] };
  let failed = false;
  for (let i = 0; i < findings.length && !failed; i++) failed = atLeast(findings[i]!.severity, cfg.failOn);
  return { findings, suppressed, rules: policy.active, failOn: cfg.failOn, failed };
}

function findingSeverity(
  rule: Rule,
  ruleSeverity: Severity,
  setting: ReturnType<typeof settingOf>,
  env: string | undefined,
  isProduction: (env: string | undefined) => boolean,
): SeverityOrOff {
  if (env !== undefined) {
    const perEnvironment = setting.environments[env];
    if (perEnvironment) return perEnvironment;
  }
  if (setting.severity !== undefined) return setting.severity;
  if (env !== undefined && rule.meta.nonProductionSeverity && !isProduction(env)) return rule.meta.nonProductionSeverity;
  return ruleSeverity;
}

/** The configured severity of an engine rule, or `undefined` when it is off. */
function severityFor(policy: PreparedPolicy, id: string): Severity | undefined {
  return policy.severities.get(id);
}

function applySuppressions(
  raw: PolicyFinding[],
  placements: PlacedSuppression[],
  policy: PreparedPolicy,
  today: string,
): { findings: PolicyFinding[]; suppressed: SuppressedFinding[] } {
  const meta: PolicyFinding[] = [];
  const report = (id: string, path: ModelPath, message: string, extra: Partial<PolicyFinding> = {}) => {
    const severity = severityFor(policy, id);
    if (severity) meta.push({ code: id, severity, message, path, ...extra });
  };
  const { suppressions: suppressionPolicy } = policy.config;

  const usable: PlacedSuppression[] = [];
  for (const placed of placements) {
    const { suppression: s, path } = placed;
    if (!policy.known.has(s.rule)) {
      report(SUPPRESSION_UNKNOWN_RULE, [...path, 'rule'], `suppression names rule ${s.rule}, which does not exist`, {
        expected: 'the id of an existing rule (pipewright rules)',
        found: s.rule,
      });
      continue;
    }
    if (policy.known.get(s.rule)!.meta.pack === 'engine') {
      report(SUPPRESSION_OF_MANDATORY, [...path, 'rule'], `${s.rule} reports problems with suppressions and cannot itself be suppressed`);
      continue;
    }
    if (policy.mandatory.has(s.rule)) {
      report(
        SUPPRESSION_OF_MANDATORY,
        [...path, 'rule'],
        `rule ${s.rule} is mandatory in this organisation and cannot be suppressed; fix the finding instead`,
      );
      continue;
    }
    if (s.expires !== undefined && !isCalendarDate(s.expires)) {
      report(SUPPRESSION_EXPIRED, [...path, 'expires'], `suppression of ${s.rule} has an invalid expiry date ${s.expires}`, {
        expected: 'a calendar date YYYY-MM-DD',
        found: s.expires,
      });
      continue;
    }
    if (s.expires !== undefined && s.expires < today) {
      report(
        SUPPRESSION_EXPIRED,
        [...path, 'expires'],
        `suppression of ${s.rule} expired on ${s.expires} (owner ${s.owner}); renew it with a new decision or fix the finding`,
        { expected: `an expiry on or after ${today}`, found: s.expires },
      );
      continue;
    }
    if (suppressionPolicy.requireTicket && !s.ticket) {
      report(SUPPRESSION_POLICY, path, `suppression of ${s.rule} needs a ticket (policy.suppressions.requireTicket)`);
    }
    if (suppressionPolicy.requireExpiry && !s.expires) {
      report(SUPPRESSION_POLICY, path, `suppression of ${s.rule} needs an expiry date (policy.suppressions.requireExpiry)`);
    }
    if (suppressionPolicy.maxDays !== undefined && s.expires && daysBetween(today, s.expires) > suppressionPolicy.maxDays) {
      report(
        SUPPRESSION_POLICY,
        [...path, 'expires'],
        `suppression of ${s.rule} expires more than ${suppressionPolicy.maxDays} days ahead (policy.suppressions.maxDays)`,
        { expected: `at most ${suppressionPolicy.maxDays} days from ${today}`, found: s.expires },
      );
    }
    usable.push(placed);
  }

  const used = new Set<PlacedSuppression>();
  const findings: PolicyFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of raw) {
    let best: PlacedSuppression | undefined;
    for (const candidate of usable) {
      if (candidate.suppression.rule !== finding.code || !isPathWithin(finding.path, candidate.scope)) continue;
      if (!best || candidate.scope.length > best.scope.length) best = candidate;
    }
    if (best) {
      used.add(best);
      suppressed.push({ finding, suppression: best.suppression, suppressionPath: best.path });
    } else findings.push(finding);
  }
  for (const placed of usable) {
    if (used.has(placed)) continue;
    const { rule } = placed.suppression;
    report(
      SUPPRESSION_UNUSED,
      placed.path,
      policy.severities.has(rule)
        ? `suppression of ${rule} matches no finding on this node; remove it`
        : `suppression of ${rule} matches no finding (the rule is not enabled); remove it`,
    );
  }
  return { findings: [...findings, ...meta], suppressed };
}
