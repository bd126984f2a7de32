/**
 * `pipewright plugins [--format txt|yaml|json] [--check] [--catalog FILE] [--root DIR]`: the Jenkins
 * plugins the project's generated pipelines need (see src/catalog/plugins.ts).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { CatalogError, defaultCatalog, loadCatalogFile, mergeCatalogs, resolveProjectCatalog } from '../catalog/index.ts';
import { checkPlugins, formatPlugins, PLUGINS_FORMATS, requiredPlugins, type PluginsFormat } from '../catalog/plugins.ts';
import { compileProject, loadConfig } from '../compile.ts';
import { colorsFor, EXIT, renderDiagnostic, type CliIo } from './io.ts';

export const PLUGINS_USAGE = `Usage: pipewright plugins [options]

Lists the Jenkins plugins the project's pipelines need: every step, agent type, option, when
condition, trigger, parameter, tool, credential binding and post condition their Jenkinsfiles
use, mapped to plugins through the catalog, with versions (and the minimum version a used
feature needs, e.g. Office-365-Connector 5.0.0 for adaptiveCards).

Options:
  --format FORMAT   txt (plugins.txt for jenkins-plugin-manager, default), yaml
                    (plugin-installation-manager/JCasC image "plugins:" list) or json
  --check           compare with the controller's catalog (--catalog, else the catalog
                    pipewright.config.ts names, else the bundled one); exit 1 naming missing or
                    too-old plugins
  --catalog FILE    the controller's catalog JSON (pipewright catalog import writes one)
  --root DIR        project root (default: current directory)
  -h, --help        show this help

Exit codes: 0 ok, 1 --check found missing or too-old plugins, 2 a pipeline does not compile,
an unreadable catalog, or usage error.
`;

export async function runPluginsCli(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        format: { type: 'string' },
        check: { type: 'boolean' },
        catalog: { type: 'string' },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr.write(`pipewright plugins: ${(error as Error).message}\n\n${PLUGINS_USAGE}`);
    return EXIT.invalid;
  }
  if (values.help) {
    io.stdout.write(PLUGINS_USAGE);
    return EXIT.ok;
  }
  const format = (values.format ?? 'txt') as PluginsFormat;
  if (!PLUGINS_FORMATS.includes(format)) {
    io.stderr.write(`pipewright plugins: unknown format "${values.format}" (expected ${PLUGINS_FORMATS.join(', ')})\n`);
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  const colors = colorsFor(io.stderr, io.env);
  const { config, diagnostics } = await loadConfig(root);
  if (diagnostics.some((d) => d.severity === 'error')) {
    for (const d of diagnostics) io.stderr.write(`${renderDiagnostic(d, colors)}\n`);
    return EXIT.invalid;
  }

  let controller;
  try {
    controller = values.catalog !== undefined ? loadCatalogFile(resolve(io.cwd, values.catalog)) : resolveProjectCatalog(config, root);
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    io.stderr.write(`pipewright plugins: ${error.message}\n`);
    return EXIT.invalid;
  }
  // Features map to plugins through the bundled catalog and the controller's (which wins).
  const catalog = controller === defaultCatalog() ? controller : mergeCatalogs(defaultCatalog(), controller);

  const run = await compileProject({ root, config });
  const broken = run.pipelines.filter((p) => !p.ast);
  const runErrors = run.diagnostics.filter((d) => d.severity === 'error');
  if (broken.length > 0 || runErrors.length > 0) {
    for (const d of [...runErrors, ...broken.flatMap((p) => p.diagnostics.filter((x) => x.severity === 'error'))]) {
      io.stderr.write(`${renderDiagnostic(d, colors)}\n`);
    }
    io.stderr.write(`pipewright plugins: ${broken.length} pipeline(s) do not compile; their plugins cannot be listed\n`);
    return EXIT.invalid;
  }
  const requirements = requiredPlugins(run.pipelines.map((p) => ({ name: p.name, ast: p.ast! })), catalog);
  for (const { feature, pipelines } of requirements.unknown) {
    io.stderr.write(`pipewright plugins: ${feature} (${pipelines.join(', ')}) is in no catalog: its plugin is not listed\n`);
  }

  if (!values.check) {
    io.stdout.write(formatPlugins(requirements, format));
    return EXIT.ok;
  }
  const problems = checkPlugins(requirements, controller);
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ catalog: controller.name, ok: problems.length === 0, problems }, null, 2)}\n`);
  } else {
    for (const p of problems) {
      const used = `${p.features.join(', ')}; used by ${p.pipelines.join(', ')}`;
      io.stdout.write(p.problem === 'missing'
        ? `missing: ${p.id} (${used})\n`
        : `too old: ${p.id} ${p.installed}, needs at least ${p.minimumVersion} (${used})\n`);
    }
    const needed = requirements.plugins.length;
    io.stdout.write(problems.length === 0
      ? `pipewright plugins --check: the catalog "${controller.name}" has all ${needed} plugin(s) the pipelines need\n`
      : `pipewright plugins --check: ${problems.length} of ${needed} plugin(s) missing or too old in the catalog "${controller.name}"\n`);
  }
  return problems.length === 0 ? EXIT.ok : EXIT.findings;
}
