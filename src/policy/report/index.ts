/**
 * The reporters behind `pipewright lint --format`.
 */
import type { Colors } from '../../cli/io.ts';
import { formatGithub } from './github.ts';
import { formatJson } from './json.ts';
import { formatJunit } from './junit.ts';
import type { LintReport } from './model.ts';
import { formatSarif } from './sarif.ts';
import { formatText } from './text.ts';

export const REPORT_FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderOptions {
  colors: Colors;
  /** Absolute project root (SARIF `originalUriBaseIds`). */
  root?: string;
  /** Reads a project file for code frames (text). */
  readSource?: (file: string) => string | undefined;
}

/** Renders a lint report in one of the formats. */
export function renderReport(format: ReportFormat, report: LintReport, options: RenderOptions): string {
  switch (format) {
    case 'text':
      return formatText(report, { colors: options.colors, ...(options.readSource ? { readSource: options.readSource } : {}) });
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, options.root ? { root: options.root } : {});
    case 'junit':
      return formatJunit(report);
    case 'github':
      return formatGithub(report);
  }
}

export { formatGithub, formatJson, formatJunit, formatSarif, formatText };
export { lintReportFromRun, summarize, summaryLine, type LintReport, type LintSummary, type LintedPipeline } from './model.ts';
