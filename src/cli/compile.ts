/**
 * `pipewright compile [files...] [--check] [--force] [--root DIR]`
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { compileProject } from '../compile.ts';
import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import { atLeast } from '../policy/config.ts';
import type { CompiledPipeline } from '../compile.ts';
import { checkRun, checkStartTime, createRunWriter, type RunWriter } from '../emit/index.ts';
import { describeFsError, isFsError } from '../emit/fs-errors.ts';
import { colorsFor, EXIT, renderDiagnostic, type CliIo } from './io.ts';

export const COMPILE_USAGE = `Usage: pipewright compile [files...] [options]

Compiles pipelines/**/*.pipeline.ts to Jenkinsfiles (default generated/<name>/Jenkinsfile), and
the IAM policies of pipelines that assume AWS roles beside them (<dir>/iam/<environment>.json).

Options:
  --check        compile in memory and compare with the files on disk; write nothing
  --watch        recompile affected pipelines on every change
  --no-cache     compute everything from source (no cached results or bundles; also in CI,
                 i.e. when CI is set, and always for --check)
  --force        overwrite files that pipewright did not generate or that were edited by hand
                 (the discarded edits are shown as a diff)
  --root DIR     project root (default: current directory)
  --quiet        print only problems and the summary
  -h, --help     show this help

Exit codes: 0 ok, 1 check failures or files not written (refused or failed), 2 invalid
pipelines or usage.

Runs that write take a lock (.pipewright.lock in the project root) and wait for another run's
lock up to 60 s (PIPEWRIGHT_LOCK_TIMEOUT_MS). Outputs are never written outside the project or
through a symbolic link.
`;

/** ` (2 policy findings below failOn: pipewright lint)`, or nothing. */
function policyNote(pipeline: CompiledPipeline): string {
  const policy = pipeline.policy;
  const below = policy?.findings.filter((f) => !atLeast(f.severity, policy.failOn)).length ?? 0;
  return below > 0 ? ` (${below} policy finding(s) below failOn: see pipewright lint)` : '';
}

export async function runCompileCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        check: { type: 'boolean' },
        watch: { type: 'boolean' },
        force: { type: 'boolean' },
        'no-cache': { type: 'boolean' },
        root: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`pipewright compile: ${(error as Error).message}\n\n${COMPILE_USAGE}`);
    return EXIT.invalid;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout.write(COMPILE_USAGE);
    return EXIT.ok;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  if (values.watch) {
    const { runWatch } = await import('./watch.ts');
    return runWatch({ root, force: Boolean(values.force) }, io);
  }
  const started = performance.now();
  // The CLI needs the Jenkinsfiles and diagnostics only: models are not kept (lazyModels). Files
  // are written while the rest compiles (writer.offer), unless this is a check.
  const writer = values.check ? undefined : createRunWriter(root, { force: Boolean(values.force), removeOrphans: true });
  try {
    return await compileAndReport(root, positionals, values, writer, io, started);
  } catch (error) {
    // A file-system failure outside any one output (the cache directory, the pipelines directory,
    // the project root): one line naming the path, not a stack trace.
    const written = (await writer?.abandon()) ?? [];
    if (!isFsError(error)) throw error;
    io.stderr.write(`pipewright compile: ${describeFsError(error)}\n`);
    for (const outcome of written) {
      io.stderr.write(`  ${outcome.pipeline.output}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}\n`);
    }
    const what = values.check ? 'nothing was checked' : `${written.length > 0 ? 'only the files listed above were touched; ' : ''}no other file was written`;
    io.stderr.write(`pipewright compile: stopped; ${what}\n`);
    return EXIT.findings;
  }
}

async function compileAndReport(
  root: string,
  positionals: string[],
  values: { check?: boolean; quiet?: boolean; 'no-cache'?: boolean },
  writer: RunWriter | undefined,
  io: CliIo,
  started: number,
): Promise<number> {
  const colors = colorsFor(io.stdout, io.env);
  // Before any code of the project runs: --check compares only outputs that were not changed after this.
  const beforeProjectCode = checkStartTime();
  const run = await compileProject({
    root,
    lazyModels: true,
    // The IAM policies beside each Jenkinsfile, generated while each AST is at hand.
    sideFiles: true,
    // Only a run that writes may reuse cached results and bundles; --check never takes their word.
    reuseCache: Boolean(writer) && !values['no-cache'] && !io.env.CI,
    ...(writer ? { onResult: writer.offer } : {}),
    ...(positionals.length > 0 ? { files: positionals.map((f) => resolve(io.cwd, f)) } : {}),
  });
  const seconds = () => ((performance.now() - started) / 1000).toFixed(2);

  for (const d of run.diagnostics) io.stderr.write(`${renderDiagnostic(d, colors)}\n`);
  let invalid = hasErrors(run.diagnostics) ? 1 : 0;
  for (const pipeline of run.pipelines) {
    if (hasErrors(pipeline.diagnostics) || pipeline.policy?.failed) invalid++;
    // Policy findings below failOn do not stop the pipeline: compile counts them, lint lists them.
    const belowFailOn = new Set<Diagnostic>(pipeline.policy?.findings.filter((f) => !atLeast(f.severity, pipeline.policy!.failOn)));
    for (const d of pipeline.diagnostics) if (!belowFailOn.has(d)) io.stderr.write(`${renderDiagnostic(d, colors)}\n`);
  }

  if (values.check) {
    const problems = await checkRun(run, { unchangedSince: beforeProjectCode });
    for (const problem of problems) {
      io.stdout.write(`${colors.red(`${problem.kind}:`)} ${problem.message}\n`);
      if (problem.diff) io.stdout.write(problem.diff);
    }
    const total = run.pipelines.length;
    if (problems.length === 0 && invalid === 0) {
      io.stdout.write(`pipewright compile --check: ${total} Jenkinsfile(s) up to date (${seconds()} s)\n`);
      return EXIT.ok;
    }
    io.stdout.write(`pipewright compile --check: ${problems.length} problem(s) in ${total} pipeline(s) (${seconds()} s)\n`);
    return invalid > 0 ? EXIT.invalid : EXIT.findings;
  }

  const report = await writer!.finish(run);
  const counts = { created: 0, updated: 0, unchanged: 0, refused: 0, failed: 0, invalid: 0 };
  const width = Math.max(0, ...run.pipelines.map((p) => p.name.length));
  for (const outcome of report.outcomes) {
    counts[outcome.status]++;
    const { pipeline, status } = outcome;
    const mark =
      status === 'invalid' || status === 'refused' || status === 'failed'
        ? colors.red('x')
        : status === 'unchanged'
          ? colors.dim('=')
          : colors.green('+');
    const detail =
      status === 'invalid'
        ? `${pipeline.diagnostics.filter((d) => d.severity === 'error').length} error(s)${pipeline.policy?.failed ? ` (policy fails at ${pipeline.policy.failOn})` : ''} in ${pipeline.source}; nothing written`
        : status === 'refused' || status === 'failed'
          ? (outcome.reason ?? '')
          : outcome.handEdited
            ? `${pipeline.output} ${status}, overwriting hand edits (--force: ${outcome.handEdited}); discarded:`
            : `${pipeline.output} ${status}${policyNote(pipeline)}`;
    if (!values.quiet || status === 'invalid' || status === 'refused' || status === 'failed' || outcome.handEdited) {
      io.stdout.write(`  ${mark} ${pipeline.name.padEnd(width)}  ${detail}\n`);
      if (outcome.discarded) io.stdout.write(outcome.discarded);
    }
  }
  // The IAM policies beside the Jenkinsfiles: listed when written or in trouble, counted apart.
  const policyCounts = { created: 0, updated: 0, unchanged: 0, refused: 0, failed: 0, invalid: 0 };
  for (const outcome of report.generatedFiles ?? []) {
    policyCounts[outcome.status]++;
    const trouble = outcome.status === 'refused' || outcome.status === 'failed';
    if (trouble || (!values.quiet && outcome.status !== 'unchanged' && outcome.status !== 'invalid') || outcome.handEdited) {
      const mark = trouble ? colors.red('x') : colors.green('+');
      const detail = trouble ? (outcome.reason ?? '') : `${outcome.file} ${outcome.status}${outcome.handEdited ? `, overwriting hand edits (--force: ${outcome.handEdited}); discarded:` : ''}`;
      io.stdout.write(`  ${mark} ${outcome.pipeline.name.padEnd(width)}  ${detail}\n`);
      if (outcome.discarded) io.stdout.write(outcome.discarded);
    }
  }
  for (const orphan of report.removedOrphans) io.stdout.write(`  - removed ${orphan} (its pipeline is gone)\n`);
  for (const directory of report.removedDirectories ?? []) io.stdout.write(`  - removed empty directory ${directory}/\n`);
  const temps = report.removedTempFiles ?? [];
  if (temps.length > 0) io.stdout.write(`  - removed ${temps.length} temp file(s) left by interrupted runs\n`);
  const leftAlone = report.leftAlone ?? [];
  for (const left of leftAlone) io.stdout.write(`  ${colors.red('!')} ${left.reason}\n`);
  const summary = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const policySummary = Object.entries(policyCounts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const policies = policySummary === '' ? '' : `; ${(report.generatedFiles ?? []).length} IAM policy file(s): ${policySummary}`;
  io.stdout.write(`pipewright compile: ${run.pipelines.length} pipeline(s): ${summary || 'nothing to do'}${policies} (${seconds()} s)\n`);
  if (invalid > 0) return EXIT.invalid;
  if (counts.refused > 0 || counts.failed > 0 || policyCounts.refused > 0 || policyCounts.failed > 0 || leftAlone.length > 0) return EXIT.findings;
  return EXIT.ok;
}
