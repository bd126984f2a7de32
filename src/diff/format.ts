/**
 * Renderings of a project diff: Markdown for a pull-request comment (summary table, security-
 * relevant changes first with a warning, then per-pipeline details with the Mermaid stage graph
 * of each changed pipeline), JSON for tools, and plain text for terminals and logs.
 */
import { pipelineGraph, type StageHighlight } from '../graph/graph.ts';
import { joinNamePath, walkStages } from './facts.ts';
import type { PipelineDiff, ProjectDiff } from './project.ts';
import type { PipelineChange, SecurityCategory } from './semantic-diff.ts';

export type DiffFormat = 'markdown' | 'json' | 'text';

export interface FormatOptions {
  /** Only security-relevant changes (and only pipelines that have some). */
  securityOnly?: boolean;
  /** Markdown: include the stage graph of each changed pipeline (default true). */
  graphs?: boolean;
  /**
   * Markdown: size budget in characters (default 60,000: GitHub rejects comments over 65,536).
   * Over budget, graphs and then detail lines are left out, and the output says so.
   */
  maxLength?: number;
}

/** Words for each security category, for people. */
export const SECURITY_TITLES: Record<SecurityCategory, string> = {
  'scan-removed': 'scan removed',
  'scan-weakened': 'scan gate weakened',
  'approval-removed': 'approval removed',
  'approval-widened': 'approval widened',
  'deploy-branch-widened': 'deploy allowed in new situations',
  'deploy-agent-any': 'deploy on agent any',
  'iam-widened': 'IAM policy widened',
  'credential-added': 'new credential',
  'escape-hatch': 'raw Groovy / unmodelled step',
  'suppression-added': 'policy suppression added',
};

const visibleChanges = (pipeline: PipelineDiff, options: FormatOptions): PipelineChange[] =>
  options.securityOnly ? pipeline.changes.filter((c) => c.security) : pipeline.changes;

/** Pipelines with problems are always shown, also with --security-only: a failing side must not look clean. */
const visiblePipelines = (diff: ProjectDiff, options: FormatOptions): PipelineDiff[] =>
  diff.pipelines.filter(
    (p) => p.problems.length > 0 || (options.securityOnly ? p.changes.some((c) => c.security) : p.status !== 'unchanged'),
  );

/** One line per side that compile or lint would reject, e.g. `working tree: 1 pipeline(s) fail policy (payments)`. */
function healthLines(diff: ProjectDiff): string[] {
  const lines: string[] = [];
  for (const [label, side] of [['working tree', diff.head], [`base ${diff.base}`, diff.baseHealth]] as const) {
    if (!side) continue;
    const parts: string[] = [];
    if (side.configErrors > 0) parts.push(`${side.configErrors} configuration error(s)`);
    if (side.invalid.length > 0) parts.push(`${side.invalid.length} pipeline(s) do not compile (${side.invalid.join(', ')})`);
    if (side.failingPolicy.length > 0) parts.push(`${side.failingPolicy.length} pipeline(s) fail policy (${side.failingPolicy.join(', ')})`);
    if (parts.length > 0) lines.push(`${label}: ${parts.join('; ')}`);
  }
  return lines;
}

const countSecurity = (diff: ProjectDiff) => diff.pipelines.reduce((n, p) => n + p.changes.filter((c) => c.security).length, 0);

const baseLabel = (diff: ProjectDiff) => (diff.baseCommit ? `${diff.base} (${diff.baseCommit.slice(0, 12)})` : diff.base);

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** Machine-readable diff: summary counts plus every pipeline's changes (models left out). */
export function formatJson(diff: ProjectDiff, options: FormatOptions = {}): string {
  const pipelines = (options.securityOnly ? visiblePipelines(diff, options) : diff.pipelines).map((p) => ({
    name: p.name,
    source: p.source,
    ...(p.previousSource ? { previousSource: p.previousSource } : {}),
    status: p.status,
    securityChanges: p.changes.filter((c) => c.security).length,
    changes: visibleChanges(p, options),
    problems: p.problems,
  }));
  return `${JSON.stringify(
    {
      base: diff.base,
      ...(diff.baseCommit ? { baseCommit: diff.baseCommit } : {}),
      summary: {
        pipelines: diff.pipelines.length,
        changed: diff.pipelines.filter((p) => p.status !== 'unchanged').length,
        securityChanges: countSecurity(diff),
      },
      pipelines,
      problems: diff.problems,
      ...(diff.head ? { head: diff.head } : {}),
      ...(diff.baseHealth ? { baseHealth: diff.baseHealth } : {}),
    },
    null,
    2,
  )}\n`;
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

export interface TextColors {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain: TextColors = { red: (t) => t, yellow: (t) => t, green: (t) => t, dim: (t) => t, bold: (t) => t };

const ACTION_MARKS: Record<PipelineChange['action'], string> = { added: '+', removed: '-', changed: '~', moved: '>' };

/** Plain text, one change per line; security-relevant ones marked `!` with their reason. */
export function formatText(diff: ProjectDiff, options: FormatOptions = {}, colors: TextColors = plain): string {
  const out: string[] = [];
  const pipelines = visiblePipelines(diff, options);
  const security = countSecurity(diff);
  out.push(
    `pipewright diff against ${baseLabel(diff)}: ${diff.pipelines.filter((p) => p.status !== 'unchanged').length} of ${diff.pipelines.length} pipeline(s) changed, ` +
      (security ? colors.red(`${security} security-relevant change(s)`) : 'no security-relevant changes'),
  );
  for (const line of healthLines(diff)) out.push(colors.red(line));
  for (const problem of diff.problems) out.push(colors.red(`error: ${problem}`));
  for (const pipeline of pipelines) {
    const changes = visibleChanges(pipeline, options);
    const renamed = pipeline.previousSource ? `, was ${pipeline.previousSource}` : '';
    out.push('', colors.bold(`${pipeline.name} (${pipeline.source}${renamed}): ${pipeline.status}, ${changes.length} change(s)`));
    for (const problem of pipeline.problems) out.push(`  ${colors.red(`error: ${problem}`)}`);
    for (const c of changes) {
      if (c.security) {
        out.push(`  ${colors.red(`! [${c.security.category}] ${c.path}: ${c.message}`)}`);
        out.push(`      ${colors.red(c.security.reason)}`);
      } else {
        const mark = ACTION_MARKS[c.action];
        const paint = c.action === 'added' ? colors.green : c.action === 'removed' ? colors.red : c.action === 'changed' ? colors.yellow : colors.dim;
        out.push(`  ${paint(mark)} ${c.path}: ${c.message}`);
      }
    }
  }
  if (pipelines.length === 0) out.push(options.securityOnly ? 'no security-relevant changes' : 'no pipeline changes');
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/** Escapes text for Markdown (GitHub): punctuation that could format, and table pipes. */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(/[\\`*_[\]<>|~#&]/g, (c) => (c === '&' ? '&amp;' : `\\${c}`));
}

/** An inline code span that survives backticks in `text`; for table cells, pipes are escaped too. */
export function codeSpan(text: string, inTable = false): string {
  const flat = text.replace(/\r\n?|\n/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${inTable ? flat.replace(/\|/g, '\\|') : flat}${pad}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run inside. */
function fenced(language: string, text: string): string[] {
  const longest = Math.max(2, ...(text.match(/`{3,}/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${language}`, text.replace(/\n$/, ''), fence];
}

/** Stage highlights for the graph: the stages a change touched, by its path's stage part. */
function highlightsOf(pipeline: PipelineDiff): Map<string, StageHighlight> {
  const marks = new Map<string, StageHighlight>();
  if (!pipeline.after) return marks;
  const stages = walkStages(pipeline.after).map((ref) => joinNamePath(ref.namePath));
  const rank: Record<StageHighlight, number> = { changed: 0, added: 1, security: 2 };
  for (const c of pipeline.changes) {
    // The longest stage name path the change's path starts with.
    const stage = stages.filter((s) => c.path === s || c.path.startsWith(`${s} › `)).sort((a, b) => b.length - a.length)[0];
    if (!stage) continue;
    const mark: StageHighlight = c.security ? 'security' : c.kind === 'stage-added' && c.path === stage ? 'added' : 'changed';
    const previous = marks.get(stage);
    if (!previous || rank[mark] > rank[previous]) marks.set(stage, mark);
  }
  return marks;
}

/** Old → new values of a long or multi-line string change, as a diff block. */
function valueDiff(c: PipelineChange): string[] {
  if (c.action !== 'changed' || typeof c.before !== 'string' || typeof c.after !== 'string') return [];
  if (!c.before.includes('\n') && !c.after.includes('\n') && c.before.length + c.after.length < 120) return [];
  const lines = [...c.before.split('\n').map((l) => `- ${l}`), ...c.after.split('\n').map((l) => `+ ${l}`)];
  return fenced('diff', lines.join('\n')).map((line) => `  ${line}`);
}

function changeLine(c: PipelineChange): string[] {
  const what = `${codeSpan(c.path)}: ${escapeMarkdown(c.message)}`;
  const line = c.security
    ? `- :warning: **${escapeMarkdown(SECURITY_TITLES[c.security.category])}**: ${what}\n  _${escapeMarkdown(c.security.reason)}_`
    : `- ${ACTION_WORDS[c.action]} ${what}`;
  return [line, ...valueDiff(c)];
}

const ACTION_WORDS: Record<PipelineChange['action'], string> = {
  added: '**added**',
  removed: '**removed**',
  changed: '**changed**',
  moved: '**moved**',
};

const STATUS_WORDS: Record<PipelineDiff['status'], string> = {
  added: 'new',
  removed: 'removed',
  changed: 'changed',
  unchanged: 'unchanged',
  error: ':x: does not compile',
};

/**
 * Markdown for a pull-request comment. Security-relevant changes come first, under a GitHub
 * warning alert; each changed pipeline then lists its changes and shows its stage graph
 * (stages touched by the change outlined).
 */
export function formatMarkdown(diff: ProjectDiff, options: FormatOptions = {}): string {
  const maxLength = options.maxLength ?? 60_000;
  // Over budget: first leave out the graphs, then cut the detail lists.
  const attempts: { graphs: boolean; details?: number }[] = [
    { graphs: options.graphs ?? true },
    { graphs: false },
    { graphs: false, details: 20 },
    { graphs: false, details: 0 },
  ];
  let text = '';
  for (const attempt of attempts) {
    text = renderMarkdown(diff, options, attempt.graphs, attempt.details);
    if (text.length <= maxLength) return text;
  }
  return text;
}

function renderMarkdown(diff: ProjectDiff, options: FormatOptions, graphs: boolean, detailLimit: number | undefined): string {
  const out: string[] = [];
  const pipelines = visiblePipelines(diff, options);
  const security = countSecurity(diff);
  const changed = diff.pipelines.filter((p) => p.status !== 'unchanged');
  out.push(`## Pipeline changes against ${codeSpan(baseLabel(diff))}`, '');
  if (security > 0) {
    const affected = diff.pipelines.filter((p) => p.changes.some((c) => c.security)).length;
    out.push('> [!WARNING]', `> **${security} security-relevant change(s)** in ${affected} pipeline(s). Review them before merging.`, '');
  } else {
    out.push(`No security-relevant changes. ${changed.length} of ${diff.pipelines.length} pipeline(s) changed.`, '');
  }
  const health = healthLines(diff);
  if (health.length > 0) out.push('> [!CAUTION]', ...health.map((line) => `> ${escapeMarkdown(line)}  `), '');
  for (const problem of diff.problems) out.push(`> [!CAUTION]\n> ${escapeMarkdown(problem)}`, '');

  if (pipelines.length > 0) {
    out.push('| Pipeline | Status | Changes | Security-relevant |', '| --- | --- | ---: | ---: |');
    for (const p of pipelines) {
      const sec = p.changes.filter((c) => c.security).length;
      out.push(`| ${codeSpan(p.name, true)} | ${STATUS_WORDS[p.status]} | ${visibleChanges(p, options).length} | ${sec ? `:warning: ${sec}` : '0'} |`);
    }
    out.push('');
  } else {
    out.push(options.securityOnly ? '_No security-relevant changes._' : '_No pipeline changes._', '');
  }

  const securityRows = pipelines.flatMap((p) => p.changes.filter((c) => c.security).map((c) => ({ p, c })));
  if (securityRows.length > 0) {
    out.push('### :warning: Security-relevant changes', '', '| Pipeline | Where | What | Why |', '| --- | --- | --- | --- |');
    for (const { p, c } of securityRows) {
      out.push(
        `| ${codeSpan(p.name, true)} | ${codeSpan(c.path, true)} | **${escapeMarkdown(SECURITY_TITLES[c.security!.category])}**: ${escapeMarkdown(c.message)} | ${escapeMarkdown(c.security!.reason)} |`,
      );
    }
    out.push('');
  }

  for (const p of pipelines) {
    const changes = visibleChanges(p, options);
    const renamed = p.previousSource ? `, was ${codeSpan(p.previousSource)}` : '';
    out.push(`### ${codeSpan(p.name)} (${codeSpan(p.source)}${renamed})`, '');
    for (const problem of p.problems) out.push(`- :x: ${escapeMarkdown(problem)}`);
    if (p.problems.length) out.push('');
    const shown = detailLimit === undefined ? changes : changes.slice(0, detailLimit);
    for (const c of shown) out.push(...changeLine(c));
    if (shown.length < changes.length) out.push(`- … ${changes.length - shown.length} more change(s) left out to fit the comment; run \`pipewright diff\` locally for all of them`);
    if (shown.length) out.push('');
    if (p.after && p.status !== 'unchanged' && p.status !== 'error') {
      if (graphs) {
        out.push(
          '<details open><summary>Stage graph (this change; touched stages outlined)</summary>',
          '',
          ...fenced('mermaid', pipelineGraph(p.after, 'mermaid', { highlight: highlightsOf(p) })),
          '',
          '</details>',
          '',
        );
      } else {
        out.push('_Stage graph left out to fit the comment: `pipewright graph ' + p.name + '` prints it._', '');
      }
    }
  }
  return `${out.join('\n')}\n`;
}
