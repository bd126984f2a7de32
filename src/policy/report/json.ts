/**
 * JSON report: the whole lint result, stable key order, for scripts and dashboards.
 */
import { formatPath } from '../../diagnostics.ts';
import { ruleDocsUrl } from '../rule.ts';
import { summarize, type LintReport } from './model.ts';

/** Version of the JSON report format; bumped on incompatible changes. */
export const JSON_REPORT_VERSION = 1;

/** Renders the report as JSON (two-space indent, trailing newline). */
export function formatJson(report: LintReport): string {
  const summary = summarize(report);
  const finding = (f: (typeof report.pipelines)[number]['findings'][number]) => ({
    rule: f.code,
    severity: f.severity,
    message: f.message,
    path: formatPath(f.path),
    ...(f.environment !== undefined ? { environment: f.environment } : {}),
    ...(f.location ? { location: f.location } : {}),
    ...(f.jenkinsfile ? { jenkinsfile: f.jenkinsfile } : {}),
    ...(f.expected !== undefined ? { expected: f.expected } : {}),
    ...(f.found !== undefined ? { found: f.found } : {}),
  });
  const body = {
    version: JSON_REPORT_VERSION,
    tool: report.tool,
    failOn: report.failOn,
    summary,
    diagnostics: report.diagnostics,
    pipelines: report.pipelines.map((p) => ({
      source: p.source,
      name: p.name,
      ...(p.output !== undefined ? { output: p.output } : {}),
      diagnostics: p.diagnostics,
      findings: p.findings.map(finding),
      suppressed: p.suppressed.map((s) => ({
        ...finding(s.finding),
        suppression: { ...s.suppression, path: formatPath(s.suppressionPath), ...(s.suppressionLocation ? { location: s.suppressionLocation } : {}) },
      })),
    })),
    rules: report.rules.map((r) => ({ id: r.meta.id, title: r.meta.title, pack: r.meta.pack, severity: r.severity, docs: ruleDocsUrl(r.meta) })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}
