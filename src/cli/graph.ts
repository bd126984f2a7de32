/**
 * `pipewright graph <pipeline name or file> [--format mermaid|dot] [--root DIR]`
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { relative, resolve, sep } from 'node:path';
import { compileProject, loadConfig } from '../compile.ts';
import { pipelineGraph, type GraphFormat } from '../graph/graph.ts';
import { colorsFor, EXIT, renderDiagnostic, type CliIo } from './io.ts';

export const GRAPH_USAGE = `Usage: pipewright graph <pipeline name or file> [options]

Prints the stage graph of a pipeline: sequential stages, parallel branches, matrices, approvals
(hexagons), deploys with their environment (parallelograms) and when conditions (edge labels).

Options:
  --format FORMAT   mermaid (default; GitHub renders it in Markdown) or dot (Graphviz)
  --root DIR        project root (default: current directory)
  -h, --help        show this help

Exit codes: 0 ok, 2 unknown pipeline, a pipeline that does not compile, or usage error.
`;

const FORMATS: readonly GraphFormat[] = ['mermaid', 'dot'];

export async function runGraphCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { format: { type: 'string' }, root: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.stderr.write(`pipewright graph: ${(error as Error).message}\n\n${GRAPH_USAGE}`);
    return EXIT.invalid;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout.write(GRAPH_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    io.stderr.write(`pipewright graph: name one pipeline (a name or a file)\n\n${GRAPH_USAGE}`);
    return EXIT.invalid;
  }
  const format = (values.format ?? 'mermaid') as GraphFormat;
  if (!FORMATS.includes(format)) {
    io.stderr.write(`pipewright graph: unknown format "${values.format}" (expected ${FORMATS.join(', ')})\n`);
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  const wanted = positionals[0]!;
  const { config } = await loadConfig(root);

  // A file path compiles just that file; a name tries `<pipelinesDir>/<name>.pipeline.ts` first
  // (the usual layout), then every pipeline (a `name` that differs from the file name).
  const asFile = resolve(io.cwd, wanted);
  const conventional = resolve(root, config.pipelinesDir, `${wanted}.pipeline.ts`);
  const isFile = /\.ts$/.test(wanted) || wanted.includes('/') || wanted.includes(sep);
  let run;
  if (isFile) {
    if (!existsSync(asFile)) {
      io.stderr.write(`pipewright graph: no such file: ${wanted}\n`);
      return EXIT.invalid;
    }
    run = await compileProject({ root, config, files: [asFile] });
  } else if (existsSync(conventional)) {
    run = await compileProject({ root, config, files: [conventional] });
    if (run.pipelines[0]?.name !== wanted) run = await compileProject({ root, config });
  } else {
    run = await compileProject({ root, config });
  }
  const source = isFile ? relative(root, asFile).split(sep).join('/') : undefined;
  const pipeline = run.pipelines.find((p) => (source ? p.source === source : p.name === wanted));
  if (!pipeline) {
    const names = run.pipelines.map((p) => p.name).join(', ') || '(none)';
    io.stderr.write(`pipewright graph: no pipeline named "${wanted}" (pipelines: ${names})\n`);
    return EXIT.invalid;
  }
  if (!pipeline.model) {
    const colors = colorsFor(io.stderr, io.env);
    for (const d of pipeline.diagnostics.filter((d) => d.severity === 'error')) io.stderr.write(`${renderDiagnostic(d, colors)}\n`);
    return EXIT.invalid;
  }
  // Structure and policy findings do not change the stage graph: they are compile's and lint's to report.
  io.stdout.write(pipelineGraph(pipeline.model, format, { title: pipeline.name }));
  return EXIT.ok;
}
