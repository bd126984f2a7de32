/**
 * `pipewright lint`, `pipewright explain RULE-ID` and `pipewright rules`: the policy on the
 * command line.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { compileProject, loadConfig } from '../compile.ts';
import type { Severity } from '../diagnostics.ts';
import { renderExplain, renderRulesMarkdown } from '../policy/docs.ts';
import { allRules, findRule } from '../policy/registry.ts';
import { REPORT_FORMATS, lintReportFromRun, renderReport, summarize, summaryLine, type ReportFormat } from '../policy/report/index.ts';
import { colorsFor, EXIT, renderDiagnostic, type CliIo } from './io.ts';

export const LINT_USAGE = `Usage: pipewright lint [files...] [options]

Runs the policy rules over the pipelines (pipelines/**/*.pipeline.ts) and reports the findings at
their TypeScript source lines. Writes no Jenkinsfile.

Options:
  --format FORMAT   text (default), json, sarif, junit, github
  --output FILE     write the report to FILE instead of standard output
  --fail-on LEVEL   error (default: the config's policy.failOn), warning or info
  --root DIR        project root (default: current directory)
  -h, --help        show this help

Exit codes: 0 no finding at or above the threshold, 1 findings at or above it,
2 pipelines that do not load or validate, or bad usage/configuration.
`;

export const EXPLAIN_USAGE = `Usage: pipewright explain RULE-ID [--root DIR]

Prints a rule's rationale, the standards it maps to, an example violation and its fix.
`;

export const RULES_USAGE = `Usage: pipewright rules [--format text|json|markdown] [--pack NAME] [--output FILE] [--root DIR]

Lists every rule (built-in and the configuration's custom rules). \`--format markdown\` is docs/rules.md.
`;

const FAIL_ON = ['error', 'warning', 'info'] as const;

/** pipewright's version: from the nearest package.json above this module (src/ or a dist/ chunk). */
async function toolVersion(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pipewright' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

async function emit(io: CliIo, output: string | undefined, text: string): Promise<void> {
  if (output === undefined) {
    io.stdout.write(text);
    return;
  }
  const file = resolve(io.cwd, output);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, 'utf8');
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, io: CliIo, usage: string, command: string) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    io.stderr.write(`pipewright ${command}: ${(error as Error).message}\n\n${usage}`);
    return undefined;
  }
}

/** `pipewright lint`. */
export async function runLintCli(argv: string[], io: CliIo): Promise<number> {
  const args = parse(
    argv,
    {
      format: { type: 'string' },
      output: { type: 'string' },
      'fail-on': { type: 'string' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    io,
    LINT_USAGE,
    'lint',
  );
  if (!args) return EXIT.invalid;
  const values = args.values as { format?: string; output?: string; 'fail-on'?: string; root?: string; help?: boolean };
  if (values.help) {
    io.stdout.write(LINT_USAGE);
    return EXIT.ok;
  }
  const format = (values.format ?? 'text') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    io.stderr.write(`pipewright lint: unknown format "${values.format}" (expected ${REPORT_FORMATS.join(', ')})\n`);
    return EXIT.invalid;
  }
  const failOn = values['fail-on'];
  if (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn)) {
    io.stderr.write(`pipewright lint: --fail-on must be one of ${FAIL_ON.join(', ')}\n`);
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  const loaded = await loadConfig(root);
  const config = failOn ? { ...loaded.config, policy: { ...loaded.config.policy, failOn: failOn as Severity } } : loaded.config;
  const run = await compileProject({
    root,
    config,
    lazyModels: true,
    ...(args.positionals.length > 0 ? { files: args.positionals.map((f) => resolve(io.cwd, f)) } : {}),
  });
  run.diagnostics.unshift(...loaded.diagnostics);
  const report = lintReportFromRun(run, { name: 'pipewright', version: await toolVersion() });
  const toFile = values.output !== undefined;
  const colors = colorsFor(toFile ? { write: () => true } : io.stdout, io.env);
  const text = renderReport(format, report, {
    colors,
    root,
    readSource: (file) => {
      try {
        return readFileSync(join(root, file), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
  await emit(io, values.output, text);
  const summary = summarize(report);
  if (toFile) {
    io.stderr.write(`pipewright lint: ${summaryLine(summary)}; ${format} report written to ${values.output}\n`);
  }
  if (format !== 'text' && !toFile) {
    // Machine formats own stdout; problems that stop a pipeline from loading also go to stderr.
    for (const d of [...report.diagnostics, ...report.pipelines.flatMap((p) => p.diagnostics)]) {
      io.stderr.write(`${renderDiagnostic(d, colorsFor(io.stderr, io.env))}\n`);
    }
  }
  const invalid = summary.invalid > 0 || report.diagnostics.some((d) => d.severity === 'error');
  if (invalid) return EXIT.invalid;
  return summary.failed ? EXIT.findings : EXIT.ok;
}

async function customRules(root: string) {
  const { config, diagnostics } = await loadConfig(root);
  return { rules: config.policy.customRules, diagnostics };
}

/** `pipewright explain RULE-ID`. */
export async function runExplainCli(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv, { root: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, io, EXPLAIN_USAGE, 'explain');
  if (!args) return EXIT.invalid;
  if (args.values['help']) {
    io.stdout.write(EXPLAIN_USAGE);
    return EXIT.ok;
  }
  const [id, ...extra] = args.positionals;
  if (id === undefined || extra.length > 0) {
    io.stderr.write(`pipewright explain: name one rule id\n\n${EXPLAIN_USAGE}`);
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, (args.values['root'] as string | undefined) ?? '.');
  const { rules } = await customRules(root);
  const rule = findRule(id, rules);
  if (!rule) {
    const wanted = id.toUpperCase();
    const prefix = wanted.split('-')[0] ?? wanted;
    const similar = allRules(rules)
      .map((r) => r.meta.id)
      .filter((candidate) => candidate.startsWith(prefix));
    io.stderr.write(`pipewright explain: no rule ${id}${similar.length > 0 ? `; did you mean ${similar.join(', ')}?` : ' (see `pipewright rules`)'}\n`);
    return EXIT.invalid;
  }
  io.stdout.write(renderExplain(rule));
  return EXIT.ok;
}

/** `pipewright rules`. */
export async function runRulesCli(argv: string[], io: CliIo): Promise<number> {
  const args = parse(
    argv,
    { format: { type: 'string' }, pack: { type: 'string' }, output: { type: 'string' }, root: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    io,
    RULES_USAGE,
    'rules',
  );
  if (!args) return EXIT.invalid;
  const values = args.values as { format?: string; pack?: string; output?: string; root?: string; help?: boolean };
  if (values.help) {
    io.stdout.write(RULES_USAGE);
    return EXIT.ok;
  }
  const format = values.format ?? 'text';
  if (!['text', 'json', 'markdown'].includes(format)) {
    io.stderr.write(`pipewright rules: unknown format "${format}" (expected text, json, markdown)\n`);
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  // docs/rules.md documents the built-in rules only; the other formats include custom rules.
  const custom = format === 'markdown' ? [] : (await customRules(root)).rules;
  const metas = allRules(custom)
    .map((r) => r.meta)
    .filter((m) => values.pack === undefined || m.pack === values.pack);
  let text: string;
  if (format === 'markdown') text = renderRulesMarkdown(metas);
  else if (format === 'json') text = `${JSON.stringify(metas, null, 2)}\n`;
  else {
    const width = Math.max(...metas.map((m) => m.id.length), 2);
    text = `${metas.map((m) => `${m.id.padEnd(width)}  ${m.severity.padEnd(7)}  ${m.pack.padEnd(8)}  ${m.title}`).join('\n')}\n`;
  }
  await emit(io, values.output, text);
  return EXIT.ok;
}
