/**
 * The lint report: what every reporter renders. Built from a compile run (or assembled directly
 * in tests): per pipeline, the problems that are not policy findings (load, schema, structure),
 * the active policy findings and the suppressed ones, plus the rules that ran.
 */
import type { Diagnostic, Severity } from '../../diagnostics.ts';
import type { CompileRun } from '../../compile.ts';
import { atLeast } from '../config.ts';
import type { PolicyFinding, SuppressedFinding } from '../engine.ts';
import type { RuleMeta } from '../rule.ts';

export interface ReportedRule {
  meta: RuleMeta;
  /** Effective default severity (after configuration). */
  severity: Severity;
}

export interface LintedPipeline {
  /** Source file, project-relative. */
  source: string;
  name: string;
  /** Generated Jenkinsfile path, project-relative (where it would be written). */
  output?: string;
  /** Problems that kept the policy from running or are not policy findings (load, schema, structure). */
  diagnostics: Diagnostic[];
  /** Active policy findings. */
  findings: PolicyFinding[];
  /** Suppressed findings, with their suppressions. */
  suppressed: SuppressedFinding[];
  /** Ids of the rules that ran on this pipeline (empty when the policy did not run). */
  rules: string[];
}

export interface LintReport {
  tool: { name: string; version: string };
  failOn: Severity;
  /** Every rule that ran on at least one pipeline, in registry order. */
  rules: ReportedRule[];
  pipelines: LintedPipeline[];
  /** Problems not tied to one pipeline (configuration). */
  diagnostics: Diagnostic[];
}

export interface LintSummary {
  errors: number;
  warnings: number;
  infos: number;
  suppressed: number;
  /** Pipelines that did not load or validate. */
  invalid: number;
  /** A finding at or above `failOn`, or an invalid pipeline, or a configuration error. */
  failed: boolean;
}

/** Builds the report from a compile run. */
export function lintReportFromRun(run: CompileRun, tool: { name: string; version: string }): LintReport {
  const rules = new Map<string, ReportedRule>();
  const pipelines: LintedPipeline[] = run.pipelines.map((p) => {
    const policy = p.policy;
    const policyFindings = new Set<Diagnostic>(policy?.findings ?? []);
    for (const r of policy?.rules ?? []) if (!rules.has(r.rule.meta.id)) rules.set(r.rule.meta.id, { meta: r.rule.meta, severity: r.severity });
    // A pipeline that failed (policy at failOn, or an error) gets no Jenkinsfile: its findings
    // cite the TypeScript source only, never a line of a file that was not written.
    const written = p.jenkinsfile !== undefined;
    const cite = (finding: PolicyFinding): PolicyFinding => {
      if (written || finding.jenkinsfile === undefined) return finding;
      const { jenkinsfile: _notWritten, ...rest } = finding;
      return rest;
    };
    return {
      source: p.source,
      name: p.name,
      output: p.output,
      diagnostics: p.diagnostics.filter((d) => !policyFindings.has(d)),
      findings: (policy?.findings ?? []).map(cite),
      suppressed: (policy?.suppressed ?? []).map((s) => ({ ...s, finding: cite(s.finding) })),
      rules: (policy?.rules ?? []).map((r) => r.rule.meta.id),
    };
  });
  return { tool, failOn: run.config.policy.failOn, rules: [...rules.values()], pipelines, diagnostics: run.diagnostics };
}

/** Counts and the overall verdict. */
export function summarize(report: LintReport): LintSummary {
  const all = [...report.diagnostics, ...report.pipelines.flatMap((p) => [...p.diagnostics, ...p.findings])];
  const count = (severity: Severity) => all.filter((d) => d.severity === severity).length;
  const invalid = report.pipelines.filter((p) => p.diagnostics.some((d) => d.severity === 'error')).length;
  const failing = report.pipelines.some((p) => p.findings.some((f) => atLeast(f.severity, report.failOn)));
  return {
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    suppressed: report.pipelines.reduce((n, p) => n + p.suppressed.length, 0),
    invalid,
    failed: failing || invalid > 0 || report.diagnostics.some((d) => d.severity === 'error'),
  };
}

/** `2 errors, 1 warning, 0 info; 1 suppressed` */
export function summaryLine(summary: LintSummary): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}, ${summary.infos} info; ${summary.suppressed} suppressed`;
}

/** A rule's metadata by id, for reporters (falls back to a stub for non-policy codes). */
export function ruleById(report: LintReport): (id: string) => ReportedRule | undefined {
  const byId = new Map(report.rules.map((r) => [r.meta.id, r]));
  return (id) => byId.get(id);
}
