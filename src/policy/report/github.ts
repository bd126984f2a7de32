/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), which GitHub shows as
 * annotations on the pull request's changed lines. Suppressed findings are not annotated; the
 * last line reports how many there are.
 */
import { formatLocation, formatPath, type Diagnostic } from '../../diagnostics.ts';
import type { PolicyFinding } from '../engine.ts';
import { ruleById, summarize, summaryLine, type LintReport } from './model.ts';

/** Escapes a workflow-command message. */
export const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** Escapes a workflow-command property value. */
export const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

/** Renders the report as workflow commands, one per finding. */
export function formatGithub(report: LintReport): string {
  const rule = ruleById(report);
  const lines: string[] = [];
  const annotate = (d: Diagnostic) => {
    const props: string[] = [];
    if (d.location) {
      props.push(`file=${escapeProperty(d.location.file)}`, `line=${d.location.line}`, `col=${d.location.column}`);
      if (d.location.endLine !== undefined) props.push(`endLine=${d.location.endLine}`);
      if (d.location.endColumn !== undefined) props.push(`endColumn=${d.location.endColumn}`);
    }
    const title = rule(d.code)?.meta.title;
    props.push(`title=${escapeProperty(title ? `${d.code} ${title}` : d.code)}`);
    const jenkinsfile = (d as PolicyFinding).jenkinsfile;
    const context = [d.path ? formatPath(d.path) : undefined, jenkinsfile ? `Jenkinsfile ${formatLocation(jenkinsfile)}` : undefined].filter(Boolean).join('; ');
    lines.push(`::${COMMAND[d.severity]} ${props.join(',')}::${escapeData(context ? `${d.message} (${context})` : d.message)}`);
  };
  for (const d of report.diagnostics) annotate(d);
  for (const p of report.pipelines) for (const d of [...p.diagnostics, ...p.findings]) annotate(d);
  const summary = summarize(report);
  lines.push(`pipewright lint: ${report.pipelines.length} pipeline(s): ${summaryLine(summary)}; ${summary.failed ? 'failed' : 'passed'} (failOn: ${report.failOn})`);
  return `${lines.join('\n')}\n`;
}
