/**
 * The import report as text: per Jenkinsfile, how much was typed, what went to escape hatches and
 * why, and the round-trip verdict; then a summary line. docs/migration.md explains it.
 */
import { formatDiagnostic } from '../diagnostics.ts';
import type { ImportNote } from './raise.ts';
import type { ImportReport } from './index.ts';

/** Colour functions (identity when colours are off). */
export interface ReportColors {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain: ReportColors = { red: (t) => t, yellow: (t) => t, green: (t) => t, dim: (t) => t, bold: (t) => t };

/** Lines `1, 4, 9` (at most `max`, then `…`). */
function lines(numbers: readonly (number | undefined)[], max = 6): string {
  const known = [...new Set(numbers.filter((n): n is number => n !== undefined))].sort((a, b) => a - b);
  if (known.length === 0) return '';
  const shown = known.slice(0, max).join(', ');
  return `${known.length === 1 ? 'line' : 'lines'} ${shown}${known.length > max ? ', …' : ''}`;
}

const HATCH_LABEL: Record<ImportNote['hatch'], (subject: string) => string> = {
  step: (subject) => `step('${subject}')`,
  script: () => 'script(...)',
  groovy: () => 'groovy(...)',
  'custom-option': (subject) => `option ${subject} (custom)`,
  'custom-trigger': (subject) => `trigger ${subject} (custom)`,
  'custom-agent': (subject) => `agent ${subject} (custom)`,
  'custom-parameter': (subject) => `parameter ${subject} (custom)`,
};

/** Escape hatches grouped: same hatch, subject and reason together (groovy values by kind). */
function escapeHatchLines(notes: readonly ImportNote[]): string[] {
  const out: string[] = [];
  const groovy = notes.filter((note) => note.hatch === 'groovy');
  const others = notes.filter((note) => note.hatch !== 'groovy');
  const groups = new Map<string, ImportNote[]>();
  for (const note of others) {
    const key = `${note.hatch}\u0000${note.subject}\u0000${note.reason}`;
    groups.set(key, [...(groups.get(key) ?? []), note]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const where = lines(group.map((note) => note.line));
    out.push(`${HATCH_LABEL[first.hatch](first.subject)}${group.length > 1 ? ` ×${group.length}` : ''}: ${first.reason}${where ? ` (${where})` : ''}`);
  }
  if (groovy.length > 0) {
    const kinds = new Map<string, ImportNote[]>();
    for (const note of groovy) kinds.set(note.subject, [...(kinds.get(note.subject) ?? []), note]);
    const parts = [...kinds.entries()].map(([kind, group]) => `${kind} ×${group.length} (${lines(group.map((n) => n.line), 4) || 'no line'})`);
    out.push(`groovy(...) ×${groovy.length}: values kept as Groovy source: ${parts.join(', ')}`);
  }
  return out;
}

/** The report of one Jenkinsfile, as lines of text (no trailing newline). */
export function formatImportReport(report: ImportReport, colors: ReportColors = plain): string {
  const out: string[] = [];
  const target = `${report.source} → ${report.out}`;
  switch (report.status) {
    case 'same':
    case 'different':
      return formatCheckReport(report, colors);
    case 'imported':
      out.push(`${colors.bold(target)}: ${colors.green('imported, round trip OK')} (the module compiles to the same Jenkinsfile)`);
      break;
    case 'refused':
      out.push(`${colors.bold(report.source)}: ${colors.red('refused')}, nothing written`);
      for (const refusal of report.refusals) {
        out.push(`  ${refusal.line !== undefined ? `line ${refusal.line}: ` : ''}${refusal.reason}`);
      }
      return out.join('\n');
    case 'round-trip-failed':
      out.push(
        `${colors.bold(target)}: ${colors.red('round trip FAILED')}${report.written ? ' (module kept for inspection: do not use it as is)' : ' (module removed; --keep-failed keeps it)'}`,
      );
      break;
  }
  const c = report.counts;
  const totalSteps = c.typedSteps + c.genericSteps + c.scriptSteps;
  const names = Object.entries(report.typedStepNames)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([name, count]) => `${name === 'checkout' ? 'checkoutScm' : name} ×${count}`)
    .join(', ');
  const percent = totalSteps === 0 ? 100 : Math.round((100 * c.typedSteps) / totalSteps);
  out.push(`  typed: ${c.typedSteps} of ${totalSteps} steps (${percent}%)${names ? `: ${names}` : ''}`);
  out.push(
    `  escape hatches: ${c.genericSteps} step(), ${c.scriptSteps} script(), ${c.groovyValues} groovy() values, ${c.customSettings} custom agents/options/parameters/triggers (${c.typedSettings} typed)`,
  );
  for (const line of escapeHatchLines(report.notes)) out.push(`    ${line}`);
  if (c.catalogSteps > 0) out.push(`  catalog-typed calls: ${c.catalogSteps} (jenkins.* from jenkins-steps.ts, the catalog's typed steps; same Jenkinsfile)`);
  for (const rewrite of report.rewrites) {
    out.push(
      `  rewrote: ${rewrite.line !== undefined ? `line ${rewrite.line}: ` : ''}sh ${shorten(rewrite.original)} → '${shorten(rewrite.script)}' (${rewrite.variables.map((v) => `$${v}`).join(', ')} expanded by the shell, not Groovy)`,
    );
  }
  for (const info of report.infos) out.push(`  note: ${info.line !== undefined ? `line ${info.line}: ` : ''}${info.message}`);
  const roundTrip = report.roundTrip;
  if (roundTrip && !roundTrip.ok) {
    if (roundTrip.problem) out.push(`  ${colors.red(roundTrip.problem)}`);
    if (roundTrip.difference) {
      out.push(`  first difference at ${roundTrip.difference.path}`);
      out.push(`    original: ${roundTrip.difference.original}`);
      out.push(`    compiled: ${roundTrip.difference.compiled}`);
    }
  }
  const warnings = (roundTrip?.diagnostics ?? []).filter((d) => roundTrip?.ok || d.severity !== 'error');
  for (const d of warnings) out.push(`  ${colors.yellow(formatDiagnostic(d))}`);
  if (roundTrip && !roundTrip.ok) {
    for (const d of roundTrip.diagnostics.filter((x) => x.severity === 'error').slice(1)) out.push(`  ${colors.red(formatDiagnostic(d))}`);
  }
  return out.join('\n');
}

/** One line, at most 80 characters. */
function shorten(text: string): string {
  const line = text.replace(/\s*\n\s*/g, ' ⏎ ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** `--check`: whether an existing module still compiles to the Jenkinsfile's pipeline. */
function formatCheckReport(report: ImportReport, colors: ReportColors): string {
  const out = [`${colors.bold(`${report.source} ↔ ${report.out}`)}: `];
  const roundTrip = report.roundTrip!;
  if (roundTrip.ok) {
    out[0] += colors.green('same pipeline');
  } else {
    out[0] += colors.red('different');
    if (roundTrip.problem) out.push(`  ${colors.red(roundTrip.problem)}`);
    if (roundTrip.difference) {
      out.push(`  first difference at ${roundTrip.difference.path}`);
      out.push(`    Jenkinsfile: ${roundTrip.difference.original}`);
      out.push(`    module:      ${roundTrip.difference.compiled}`);
    }
  }
  for (const d of roundTrip.diagnostics.filter((x) => x.severity !== 'error')) out.push(`  ${colors.yellow(formatDiagnostic(d))}`);
  return out.join('\n');
}

/** `3 Jenkinsfiles: 2 imported (round trip OK), 1 refused, 0 failed the round trip` */
export function formatImportSummary(reports: readonly ImportReport[], unreadable = 0): string {
  const count = (status: ImportReport['status']) => reports.filter((r) => r.status === status).length;
  const total = reports.length + unreadable;
  if (reports.some((r) => r.status === 'same' || r.status === 'different')) {
    const noModule = count('refused');
    return `${total} Jenkinsfile${total === 1 ? '' : 's'}: ${count('same')} same as their module, ${count('different')} different${noModule > 0 ? `, ${noModule} not compared` : ''}${unreadable > 0 ? `, ${unreadable} unreadable` : ''}`;
  }
  const steps = reports.filter((r) => r.status === 'imported').reduce(
    (sum, r) => ({ typed: sum.typed + r.counts.typedSteps, all: sum.all + r.counts.typedSteps + r.counts.genericSteps + r.counts.scriptSteps }),
    { typed: 0, all: 0 },
  );
  const typed = steps.all > 0 ? `; imported steps typed: ${steps.typed} of ${steps.all} (${Math.round((100 * steps.typed) / steps.all)}%)` : '';
  return `${total} Jenkinsfile${total === 1 ? '' : 's'}: ${count('imported')} imported (round trip OK), ${count('refused')} refused, ${count('round-trip-failed')} failed the round trip${unreadable > 0 ? `, ${unreadable} unreadable` : ''}${typed}`;
}
