/**
 * `RuleTester`: test a rule (built-in or custom) with valid and invalid pipelines in a few lines,
 * in the spirit of ESLint's RuleTester. Every fixture is validated with the real pipeline schema
 * first, so a test cannot pass on a pipeline that pipewright would reject anyway.
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * const tester = new RuleTester({ describe, it });
 * tester.run(myRule, {
 *   valid: [pipelineWithScan],
 *   invalid: [{ pipeline: pipelineWithoutScan, errors: [{ message: /image scan/, path: ['stages', 2, 'steps', 0] }] }],
 * });
 * ```
 */
import type { Catalog } from '../catalog/schema.ts';
import { formatPath, type ModelPath, type Severity } from '../diagnostics.ts';
import { PipelineSchema, type Pipeline } from '../model/schema.ts';
import type { PolicyConfig } from './config.ts';
import { runPolicy, type PolicyFinding } from './engine.ts';
import { BUILTIN_RULES } from './registry.ts';
import type { Rule } from './rule.ts';

/** What one finding is expected to look like (every given field must match). */
export interface ExpectedFinding {
  /** Exact message, or a pattern it must match. */
  message?: string | RegExp;
  path?: ModelPath;
  severity?: Severity;
  environment?: string;
}

export interface ValidCase {
  /** Test name (default: `valid #n`). */
  name?: string;
  pipeline: Pipeline;
  /** Policy config for this case (merged over the tester's). */
  config?: PolicyConfig;
  /** Rule options (`policy.rules[id].options`). */
  options?: Record<string, unknown>;
  /** Project files the rule may read (`context.readFile`), by root-relative path. */
  files?: Record<string, string>;
  /** The controller catalog (`context.catalog`); default: the bundled one. */
  catalog?: Catalog;
}

export interface InvalidCase extends ValidCase {
  /** The expected findings, in order, or just their number. */
  errors: readonly ExpectedFinding[] | number;
}

export interface RuleTesterOptions {
  /** Policy config every case starts from (packs are ignored: only the rule under test runs). */
  config?: PolicyConfig;
  /** "Today" for date-dependent rules (default: now). */
  now?: Date;
  /** Test-framework hooks; without them each case runs immediately and throws on failure. */
  describe?: (name: string, body: () => void) => void;
  it?: (name: string, body: () => void) => void;
}

/** Thrown when a case fails. */
export class RuleTesterError extends Error {
  override name = 'RuleTesterError';
}

const isValidCase = (c: Pipeline | ValidCase): c is ValidCase =>
  typeof c === 'object' && c !== null && 'pipeline' in c && typeof (c as ValidCase).pipeline === 'object';

export class RuleTester {
  constructor(private readonly options: RuleTesterOptions = {}) {}

  /** Registers (or runs) one test per case. */
  run(rule: Rule, cases: { valid?: readonly (Pipeline | ValidCase)[]; invalid?: readonly InvalidCase[] }): void {
    const describe = this.options.describe ?? ((_name: string, body: () => void) => body());
    const it = this.options.it ?? ((_name: string, body: () => void) => body());
    describe(`${rule.meta.id} ${rule.meta.title}`, () => {
      (cases.valid ?? []).forEach((c, i) => {
        const testCase: ValidCase = isValidCase(c) ? c : { pipeline: c };
        it(testCase.name ?? `valid #${i + 1}`, () => {
          const findings = this.findings(rule, testCase);
          if (findings.length > 0) {
            throw new RuleTesterError(
              `${rule.meta.id}: expected no findings, got ${findings.length}:\n${findings.map(describeFinding).join('\n')}`,
            );
          }
        });
      });
      (cases.invalid ?? []).forEach((c, i) => {
        it(c.name ?? `invalid #${i + 1}`, () => {
          const findings = this.findings(rule, c);
          const expected = typeof c.errors === 'number' ? undefined : c.errors;
          const count = typeof c.errors === 'number' ? c.errors : c.errors.length;
          if (count === 0) throw new RuleTesterError('an invalid case must expect at least one finding');
          if (findings.length !== count) {
            throw new RuleTesterError(
              `${rule.meta.id}: expected ${count} finding(s), got ${findings.length}:\n${findings.map(describeFinding).join('\n') || '  (none)'}`,
            );
          }
          // Reporters print "(expected X, found Y)": a finding gives both or neither, never a `?`.
          findings.forEach((f, j) => {
            if ((f.expected === undefined) !== (f.found === undefined)) {
              throw new RuleTesterError(
                `${rule.meta.id} finding #${j + 1} gives ${f.expected === undefined ? 'found' : 'expected'} without ${f.expected === undefined ? 'expected' : 'found'}: ${f.message}`,
              );
            }
          });
          expected?.forEach((want, j) => {
            const got = findings[j]!;
            const problems: string[] = [];
            if (want.message !== undefined) {
              const ok = typeof want.message === 'string' ? got.message === want.message : want.message.test(got.message);
              if (!ok) problems.push(`message ${JSON.stringify(got.message)} does not match ${String(want.message)}`);
            }
            if (want.path !== undefined && formatPath(want.path) !== formatPath(got.path)) {
              problems.push(`path ${formatPath(got.path)} is not ${formatPath(want.path)}`);
            }
            if (want.severity !== undefined && want.severity !== got.severity) {
              problems.push(`severity ${got.severity} is not ${want.severity}`);
            }
            if (want.environment !== undefined && want.environment !== got.environment) {
              problems.push(`environment ${String(got.environment)} is not ${want.environment}`);
            }
            if (problems.length > 0) throw new RuleTesterError(`${rule.meta.id} finding #${j + 1}: ${problems.join('; ')}`);
          });
        });
      });
    });
  }

  /** The rule's findings (suppressed ones excluded) for one case. */
  private findings(rule: Rule, testCase: ValidCase): PolicyFinding[] {
    const parsed = PipelineSchema.safeParse(testCase.pipeline);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `  ${formatPath(issue.path as ModelPath)}: ${issue.message}`);
      throw new RuleTesterError(`fixture is not a valid pipeline:\n${issues.join('\n')}`);
    }
    const base = { ...this.options.config, ...testCase.config };
    const builtin = BUILTIN_RULES.includes(rule);
    // Keep a severity configured for the rule under test; add the case's options.
    const configured = base.rules?.[rule.meta.id];
    const setting = typeof configured === 'string' ? { severity: configured } : { ...configured };
    const config: PolicyConfig = {
      ...base,
      packs: [],
      mandatory: [],
      customRules: builtin ? [] : [rule],
      rules: { [rule.meta.id]: { ...setting, options: testCase.options ?? setting.options ?? {} } },
    };
    const files = testCase.files ?? {};
    const result = runPolicy(parsed.data, config, {
      source: 'test.pipeline.ts',
      now: this.options.now ?? new Date(),
      readFile: (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
      ...(testCase.catalog ? { catalog: testCase.catalog } : {}),
    });
    const failure = result.findings.find((f) => f.code === 'POLICY-001');
    if (failure) throw new RuleTesterError(failure.message);
    return result.findings.filter((f) => f.code === rule.meta.id);
  }
}

function describeFinding(f: PolicyFinding): string {
  return `  ${f.severity} at ${formatPath(f.path)}: ${f.message}`;
}
