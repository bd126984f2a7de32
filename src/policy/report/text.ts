/**
 * Human-readable report: findings grouped by pipeline file, each with a code frame of the
 * TypeScript source and the generated Jenkinsfile line; suppressed findings listed separately;
 * colours when the stream is a TTY (the caller decides, see `colorsFor`).
 */
import { formatLocation, formatPath, type Diagnostic, type Location } from '../../diagnostics.ts';
import type { Colors } from '../../cli/io.ts';
import type { PolicyFinding } from '../engine.ts';
import { summarize, summaryLine, type LintReport } from './model.ts';

export interface TextReportOptions {
  colors: Colors;
  /** Reads a project file (for code frames); `undefined` leaves the frame out. */
  readSource?: (file: string) => string | undefined;
  /** Lines of context above and below the finding (default 2). */
  context?: number;
}

/** A code frame: the lines around `location`, the line itself marked and a caret under the column. */
export function codeFrame(text: string, location: Location, colors: Colors, context = 2): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, location.line - context);
  const last = Math.min(lines.length, location.line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === location.line ? colors.red('>') : ' ';
    const gutter = colors.dim(`${String(n).padStart(width)} |`);
    out.push(`  ${marker} ${gutter} ${lines[n - 1] ?? ''}`.trimEnd());
    if (n === location.line) {
      const pad = (lines[n - 1] ?? '').slice(0, Math.max(0, location.column - 1)).replace(/[^\t]/g, ' ');
      out.push(`    ${colors.dim(`${' '.repeat(width)} |`)} ${pad}${colors.red('^')}`);
    }
  }
  return out.join('\n');
}

function severityLabel(d: Diagnostic, colors: Colors): string {
  const label = d.severity.padEnd(7);
  return d.severity === 'error' ? colors.red(label) : d.severity === 'warning' ? colors.yellow(label) : colors.dim(label);
}

/** Renders the report as text. */
export function formatText(report: LintReport, options: TextReportOptions): string {
  const { colors } = options;
  const out: string[] = [];
  const frame = (location: Location | undefined) => {
    if (!location || !options.readSource) return;
    const text = options.readSource(location.file);
    if (text !== undefined) out.push(codeFrame(text, location, colors, options.context));
  };
  const item = (d: Diagnostic) => {
    const where = d.location ? `${d.location.line}:${d.location.column}` : '-';
    // A problem traced to a preset option names the option first, the model path second.
    const model = d.path ? formatPath(d.path) : undefined;
    const at = d.sourcePath !== undefined ? colors.dim(` (${d.sourcePath}${model ? `; model ${model}` : ''})`) : model ? colors.dim(` (${model})`) : '';
    out.push(`  ${where.padEnd(7)} ${severityLabel(d, colors)} ${colors.bold(d.code.padEnd(10))} ${d.message}${at}`);
    const jenkinsfile = (d as PolicyFinding).jenkinsfile;
    if (jenkinsfile) out.push(`  ${' '.repeat(7)} ${colors.dim(`Jenkinsfile: ${formatLocation(jenkinsfile)}`)}`);
    frame(d.location);
  };
  for (const d of report.diagnostics) item(d);
  for (const pipeline of report.pipelines) {
    const problems = [...pipeline.diagnostics, ...pipeline.findings];
    if (problems.length === 0 && pipeline.suppressed.length === 0) continue;
    out.push(colors.bold(pipeline.source));
    for (const d of problems) item(d);
    if (pipeline.suppressed.length > 0) {
      out.push(colors.dim(`  suppressed (${pipeline.suppressed.length}):`));
      for (const s of pipeline.suppressed) {
        const f = s.finding;
        const where = f.location ? `${f.location.line}:${f.location.column}` : '-';
        const details = [`owner ${s.suppression.owner}`, s.suppression.ticket && `ticket ${s.suppression.ticket}`, s.suppression.expires && `expires ${s.suppression.expires}`]
          .filter(Boolean)
          .join(', ');
        out.push(colors.dim(`  ${where.padEnd(7)} ${f.severity.padEnd(7)} ${f.code.padEnd(10)} ${f.message}`));
        out.push(colors.dim(`  ${' '.repeat(7)} suppressed: "${s.suppression.reason}" (${details})${s.suppressionLocation ? ` at ${formatLocation(s.suppressionLocation)}` : ''}`));
      }
    }
    out.push('');
  }
  const summary = summarize(report);
  const verdict = summary.failed ? colors.red(`failed (failOn: ${report.failOn})`) : colors.green(`passed (failOn: ${report.failOn})`);
  out.push(`pipewright lint: ${report.pipelines.length} pipeline(s): ${summaryLine(summary)} - ${verdict}`);
  return `${out.join('\n')}\n`;
}
