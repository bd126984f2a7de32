/**
 * `pipewright catalog import|export-script|types`: thin CLI over src/catalog/import/,
 * src/catalog/export-script.ts and src/catalog/typed-steps.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, type CliIo } from './io.ts';

export const CATALOG_USAGE = `Usage: pipewright catalog <command> [options]

Commands:
  import <file|URL|->...   import a controller's catalog and write it as JSON
  export-script            print the Groovy script that exports a controller's catalog
  types                    generate typed step functions for every catalog step

pipewright catalog import <file|URL|->... [options]
  Reads, in order, any of: the GDSL a controller serves at JENKINS_URL/pipeline-syntax/gdsl (read
  as data, never run), the JSON the export script prints, the installed plugins
  (JENKINS_URL/pluginManager/api/json?depth=1 or a plugins.txt). Each is merged onto the bundled
  catalog: the controller decides which steps and plugins exist, the bundled catalog fills in what
  GDSL cannot say (plugins of steps, describable types, required parameters).
  --format F        gdsl, json or plugins (default: detected per input)
  --out FILE        where to write (default: the file pipewright.config.ts names as 'catalog',
                    else jenkins-catalog.json); - prints to stdout
  --name NAME       the catalog's name (default: the first input)
  --no-bundled      do not merge onto the bundled catalog
  URLs are fetched with basic authentication when JENKINS_USER and JENKINS_TOKEN (an API token)
  are set.

pipewright catalog export-script [--out FILE]
  Prints the read-only Groovy script for Manage Jenkins > Script Console or
  'jenkins-cli groovy = < export.groovy > dump.json'; import its output with 'catalog import'.

pipewright catalog types [--catalog FILE] [--out FILE] [--import-from MODULE] [--exclude a,b]
  Writes a TypeScript module with one typed function per step (default: to stdout) of the catalog
  FILE, else the one pipewright.config.ts names, else the bundled catalog.
  --import-from M   module the generated code imports pipewright's types from (default pipewright)
  --exclude a,b     steps to leave out (for example sh,echo, which pipewright already types)

Common: --root DIR (project root, default: current directory), -h/--help.
Exit codes: 0 ok, 2 unreadable or invalid input, or usage error.
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The catalog file pipewright.config.ts names, if any (loads the config only when it exists). */
async function configuredCatalog(root: string): Promise<string | undefined> {
  const { CONFIG_FILE } = await import('../config.ts');
  if (!existsSync(resolve(root, CONFIG_FILE))) return undefined;
  const { loadConfig } = await import('../compile.ts');
  const { config } = await loadConfig(root);
  return (config as { catalog?: string }).catalog;
}

function write(io: CliIo, out: string | undefined, text: string, root: string): string | undefined {
  if (out === undefined || out === '-') {
    io.stdout.write(text);
    return undefined;
  }
  const target = resolve(root, out);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  return target;
}

async function runImport(argv: string[], io: CliIo, stdin: () => Promise<string>): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      'no-bundled': { type: 'boolean' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(CATALOG_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) {
    io.stderr.write(`pipewright catalog import: give at least one file, URL or - (stdin)\n\n${CATALOG_USAGE}`);
    return EXIT.invalid;
  }
  const format = values.format;
  if (format !== undefined && format !== 'gdsl' && format !== 'json' && format !== 'plugins') {
    io.stderr.write(`pipewright catalog import: unknown format "${format}" (expected gdsl, json or plugins)\n`);
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  const { importCatalogText, readImportSource, combineImports } = await import('../catalog/import/index.ts');
  const { CatalogSchema } = await import('../catalog/schema.ts');
  const user = io.env.JENKINS_USER;
  const token = io.env.JENKINS_TOKEN;
  const credentials = user && token ? { user, token } : undefined;
  const imports = [];
  for (const source of positionals) {
    try {
      const text = await readImportSource(source, { cwd: io.cwd, stdin, ...(credentials ? { credentials } : {}) });
      const imported = importCatalogText(text, { source, ...(format ? { format } : {}) });
      imports.push(imported);
      const counts = `${imported.catalog.steps.length} steps, ${imported.catalog.describables.length} describables, ${imported.catalog.plugins.length} plugins`;
      io.stderr.write(`${source}: ${imported.format}: ${counts}\n`);
      for (const warning of imported.warnings) io.stderr.write(`  warning: ${warning}\n`);
    } catch (error) {
      io.stderr.write(`pipewright catalog import: ${source}: ${(error as Error).message}\n`);
      return EXIT.invalid;
    }
  }
  const base = values['no-bundled'] ? undefined : (await import('../catalog/index.ts')).defaultCatalog();
  const catalog = combineImports(imports, base, values.name ?? (imports.length === 1 || !base ? imports[0]!.source : `${imports.map((i) => i.source).join(' + ')}`));
  const checked = CatalogSchema.safeParse(catalog);
  if (!checked.success) {
    io.stderr.write(`pipewright catalog import: internal error: the merged catalog does not match the schema: ${checked.error.message}\n`);
    return EXIT.invalid;
  }
  let out = values.out;
  if (out === undefined) {
    try {
      out = (await configuredCatalog(root)) ?? 'jenkins-catalog.json';
    } catch (error) {
      io.stderr.write(`pipewright catalog import: cannot read pipewright.config.ts: ${(error as Error).message}\n`);
      return EXIT.invalid;
    }
  }
  const written = write(io, out, `${JSON.stringify(checked.data, null, 2)}\n`, root);
  if (written) {
    const shown = relative(io.cwd, written) || written;
    io.stderr.write(`wrote ${shown}: ${catalog.steps.length} steps, ${catalog.describables.length} describables, ${catalog.plugins.length} plugins\n`);
    io.stderr.write(`name it in pipewright.config.ts: catalog: '${relative(root, written)}'\n`);
  }
  return EXIT.ok;
}

async function runExportScript(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, root: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(CATALOG_USAGE);
    return EXIT.ok;
  }
  const { EXPORT_SCRIPT } = await import('../catalog/export-script.ts');
  write(io, values.out, EXPORT_SCRIPT, resolve(io.cwd, values.root ?? '.'));
  return EXIT.ok;
}

async function runTypes(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      catalog: { type: 'string' },
      out: { type: 'string' },
      'import-from': { type: 'string' },
      exclude: { type: 'string' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(CATALOG_USAGE);
    return EXIT.ok;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  const { defaultCatalog, parseCatalog } = await import('../catalog/index.ts');
  let catalog;
  try {
    const file = values.catalog === undefined ? await configuredCatalog(root) : resolve(io.cwd, values.catalog);
    catalog = file === undefined ? defaultCatalog() : parseCatalog(readFileSync(resolve(root, file), 'utf8'), file);
  } catch (error) {
    io.stderr.write(`pipewright catalog types: ${(error as Error).message}\n`);
    return EXIT.invalid;
  }
  const { generateTypedSteps } = await import('../catalog/typed-steps.ts');
  const exclude = values.exclude?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [];
  const text = generateTypedSteps(catalog, { ...(values['import-from'] ? { importFrom: values['import-from'] } : {}), exclude });
  const written = write(io, values.out, text, io.cwd);
  if (written) io.stderr.write(`wrote ${relative(io.cwd, written) || written}: typed functions for ${catalog.steps.length - exclude.filter((n) => catalog.steps.some((s) => s.name === n)).length} steps of "${catalog.name}"\n`);
  return EXIT.ok;
}

/**
 * Runs `pipewright catalog ...` and returns the exit code. `stdin` reads the standard input for
 * `catalog import -` (default: the process's).
 */
export async function runCatalogCli(argv: string[], io: CliIo, stdin: () => Promise<string> = readStdin): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'import':
        return await runImport(rest, io, stdin);
      case 'export-script':
        return await runExportScript(rest, io);
      case 'types':
        return await runTypes(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        (command === undefined ? io.stderr : io.stdout).write(CATALOG_USAGE);
        return command === undefined ? EXIT.invalid : EXIT.ok;
      default:
        io.stderr.write(`pipewright catalog: unknown command "${command}"\n\n${CATALOG_USAGE}`);
        return EXIT.invalid;
    }
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`pipewright catalog ${command}: ${(error as Error).message}\n\n${CATALOG_USAGE}`);
      return EXIT.invalid;
    }
    throw error;
  }
}
