/**
 * The `policy` section of `pipewright.config.ts`: which packs run, per-rule severity or `off`,
 * per-environment options, the `failOn` threshold, rules the organisation makes mandatory
 * (unsuppressible), custom rules and the suppression policy.
 */
import { z } from 'zod';
import type { Severity } from '../diagnostics.ts';
import { editDistance } from '../validate/describe.ts';
import { RULE_ID_PATTERN, type Rule } from './rule.ts';

export const SeveritySchema = z.enum(['error', 'warning', 'info']);
const SeverityOrOffSchema = z.union([SeveritySchema, z.literal('off')]);
export type SeverityOrOff = z.infer<typeof SeverityOrOffSchema>;

/** Scanner severities (Trivy/Snyk naming, upper case). */
export const ScanSeveritySchema = z.enum(['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
export type ScanSeverity = z.infer<typeof ScanSeveritySchema>;

const ruleId = z.string().regex(RULE_ID_PATTERN, {
  // `scan-001` is SCAN-001 in the wrong case: say so.
  error: (issue) => {
    const upper = typeof issue.input === 'string' ? issue.input.toUpperCase() : undefined;
    const suggestion = upper !== undefined && RULE_ID_PATTERN.test(upper) ? ` - did you mean ${upper}?` : '';
    return `expected a rule id such as SCAN-001${suggestion}`;
  },
});

/** `'warning'`, `'off'`, or `{ severity, options, environments }` for one rule. */
export const RuleSettingSchema = z.union([
  SeverityOrOffSchema,
  z.strictObject({
    /** Severity of the rule's findings (`off` disables the rule). */
    severity: SeverityOrOffSchema.optional(),
    /** Options passed to the rule as `context.options`. */
    options: z.record(z.string(), z.unknown()).optional(),
    /** Severity of findings attributed to one environment, e.g. `{ dev: 'warning' }`. */
    environments: z.record(z.string(), SeverityOrOffSchema).optional(),
  }),
]);
export type RuleSetting = z.input<typeof RuleSettingSchema>;

/** What the organisation requires of one deployment environment. */
export const EnvironmentPolicySchema = z.strictObject({
  /** Production-grade controls apply ("error (prod)" rules are errors here). Default: name starts with `prod`. */
  production: z.boolean().optional(),
  /** Scanner severities every gate must block on before an image reaches this environment. */
  scanSeverities: z.array(ScanSeveritySchema).optional(),
  /** A deploy to this environment needs a prior approval. Default: production environments. */
  requireApproval: z.boolean().optional(),
  /** Groups allowed as approval submitters for this environment. Empty: any named group. */
  approverGroups: z.array(z.string().min(1)).optional(),
  /** Branch patterns (Jenkins `when { branch }` GLOB syntax) a deploy to this environment may run from. */
  protectedBranches: z.array(z.string().min(1)).optional(),
  /** Agent labels deploy stages of this environment must run on. Empty: any dedicated label. */
  agentLabels: z.array(z.string().min(1)).optional(),
  /** Longest allowed approval timeout in minutes. */
  approvalTimeoutMinutes: z.number().int().positive().optional(),
  /** AWS account ids this environment may use. Empty: not checked beyond uniqueness. */
  awsAccountIds: z.array(z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id')).optional(),
});
export type EnvironmentPolicyInput = z.input<typeof EnvironmentPolicySchema>;

/** An environment's policy after defaults are applied. */
export interface EnvironmentPolicy {
  name: string;
  production: boolean;
  scanSeverities: ScanSeverity[];
  requireApproval: boolean;
  approverGroups: string[];
  protectedBranches: string[];
  agentLabels: string[];
  approvalTimeoutMinutes: number;
  awsAccountIds: string[];
}

const isRule = (value: unknown): value is Rule => {
  if (typeof value !== 'object' || value === null) return false;
  const rule = value as Partial<Rule>;
  const meta = rule.meta as Partial<Rule['meta']> | undefined;
  return (
    typeof rule.check === 'function' &&
    typeof meta === 'object' &&
    meta !== null &&
    typeof meta.id === 'string' &&
    RULE_ID_PATTERN.test(meta.id) &&
    typeof meta.title === 'string' &&
    typeof meta.pack === 'string' &&
    SeveritySchema.safeParse(meta.severity).success &&
    typeof meta.rationale === 'string' &&
    Array.isArray(meta.standards) &&
    typeof meta.example === 'object' &&
    meta.example !== null
  );
};

/** A custom rule object (same API as the built-in rules, see `defineRule`). */
export const CustomRuleSchema = z.custom<Rule>(isRule, {
  message:
    'expected a rule object: { meta: { id, title, pack, severity, rationale, standards, example: { bad, good } }, check(context) }',
});

export const PolicyConfigSchema = z
  .strictObject({
    /** Rule packs to run. Custom rules run when their `meta.pack` is listed here. */
    packs: z.array(z.string().min(1)).default(['baseline', 'fintech']),
    /** Per-rule severity, `off`, options or per-environment severity. */
    rules: z.record(ruleId, RuleSettingSchema).default({}),
    /** Findings at or above this severity fail `lint` and stop `compile` from writing the pipeline. */
    failOn: SeveritySchema.default('error'),
    /** Rules no pipeline may suppress (a suppression of one is itself an error finding). */
    mandatory: z.array(ruleId).default([]),
    /** Per-environment requirements, by environment name (`dev`, `stage`, `prod`, ...). */
    environments: z.record(z.string().min(1), EnvironmentPolicySchema).default({}),
    /** Custom rules (import them in the config file and list them here). */
    customRules: z.array(CustomRuleSchema).default([]),
    /** What every suppression must carry beyond the schema's reason and owner. */
    suppressions: z
      .strictObject({
        /** Every suppression needs a `ticket`. */
        requireTicket: z.boolean().default(false),
        /** Every suppression needs an `expires` date. */
        requireExpiry: z.boolean().default(false),
        /** Longest allowed time from today to `expires`, in days. */
        maxDays: z.number().int().positive().optional(),
      })
      .default({ requireTicket: false, requireExpiry: false }),
  })
  .superRefine((config, ctx) => {
    for (const id of config.mandatory) {
      const setting = config.rules[id];
      const severity = typeof setting === 'string' ? setting : setting?.severity;
      if (severity === 'off') {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', id],
          message: `rule ${id} is mandatory and cannot be turned off`,
        });
      }
    }
    const seen = new Set<string>();
    config.customRules.forEach((rule, i) => {
      if (seen.has(rule.meta.id)) {
        ctx.addIssue({ code: 'custom', path: ['customRules', i], message: `duplicate custom rule id ${rule.meta.id}` });
      }
      seen.add(rule.meta.id);
    });
  });

/** What `policy` in `pipewright.config.ts` accepts. */
export type PolicyConfig = z.input<typeof PolicyConfigSchema>;
/** The policy configuration with defaults applied. */
export type ResolvedPolicyConfig = z.output<typeof PolicyConfigSchema>;

/** The policy configuration with nothing configured. */
export const defaultPolicyConfig = (): ResolvedPolicyConfig => PolicyConfigSchema.parse({});

/** Resolves a (possibly partial) policy config: `resolvePolicyConfig({ failOn: 'warning' })`. */
export const resolvePolicyConfig = (config: PolicyConfig = {}): ResolvedPolicyConfig => PolicyConfigSchema.parse(config);

/** Defaults per environment kind; the configured entry is merged over these. */
const PRODUCTION_DEFAULTS = {
  production: true,
  scanSeverities: ['HIGH', 'CRITICAL'] as ScanSeverity[],
  requireApproval: true,
  protectedBranches: ['main', 'release/*'],
  approvalTimeoutMinutes: 1440,
};
const NON_PRODUCTION_DEFAULTS = {
  production: false,
  scanSeverities: ['CRITICAL'] as ScanSeverity[],
  requireApproval: false,
  protectedBranches: [] as string[],
  approvalTimeoutMinutes: 1440,
};

/** An environment's policy: the configured entry merged over the production/non-production defaults. */
export function environmentPolicy(config: ResolvedPolicyConfig, name: string): EnvironmentPolicy {
  const configured = config.environments[name] ?? {};
  const production = configured.production ?? /^prod/i.test(name);
  const defaults = production ? PRODUCTION_DEFAULTS : NON_PRODUCTION_DEFAULTS;
  return {
    name,
    production,
    scanSeverities: configured.scanSeverities ?? [...defaults.scanSeverities],
    requireApproval: configured.requireApproval ?? defaults.requireApproval,
    approverGroups: configured.approverGroups ?? [],
    protectedBranches: configured.protectedBranches ?? [...defaults.protectedBranches],
    agentLabels: configured.agentLabels ?? [],
    approvalTimeoutMinutes: configured.approvalTimeoutMinutes ?? defaults.approvalTimeoutMinutes,
    awsAccountIds: configured.awsAccountIds ?? [],
  };
}

/**
 * The rule id `id` was probably meant to be, for "did you mean" messages: the same id in other
 * case (`scan-001`), the same number written differently (`SCAN-0001`, `SCAN-1`), or a one-letter
 * slip in the pack prefix with the same number (`SACN-001`). Numbers are not guessed (`SCAN-999`
 * suggests nothing): near numbers are different rules.
 */
export function suggestRuleId(id: string, known: Iterable<string>): string | undefined {
  const parse = (value: string) => /^([A-Za-z][A-Za-z0-9]*)-(\d+)$/.exec(value);
  const wanted = parse(id);
  let slip: string | undefined;
  for (const candidate of known) {
    if (candidate.toLowerCase() === id.toLowerCase()) return candidate;
    const parts = parse(candidate);
    if (!wanted || !parts || Number(parts[2]) !== Number(wanted[2])) continue;
    const prefix = wanted[1]!.toUpperCase();
    if (parts[1] === prefix) return candidate;
    if (slip === undefined && editDistance(prefix, parts[1]!) === 1) slip = candidate;
  }
  return slip;
}

/** Severity ordering: `atLeast('error', 'warning')` is true. */
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };
export const atLeast = (severity: Severity, threshold: Severity): boolean =>
  SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
