/**
 * `pipewright import <Jenkinsfile|dir>... [--out FILE | --out-dir DIR] [--name NAME] [--format text|json]`:
 * hand-written declarative Jenkinsfiles → typed pipeline modules, each verified by compiling it
 * back (src/import/). A directory is searched for `Jenkinsfile` and `*.Jenkinsfile`; several
 * directories import a list of service repos in one run.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importJenkinsfiles, type ImportInput, type ImportReport } from '../import/index.ts';
import { PIPELINE_NAME, pickPipelineName } from '../import/names.ts';
import { JenkinsfileEncodingError, decodeJenkinsfile, parseJenkinsfileEncoding, type JenkinsfileEncoding } from '../jenkinsfile/decode.ts';
import { formatImportReport, formatImportSummary } from '../import/report.ts';
import { colorsFor, EXIT, renderDiagnostic, type CliIo } from './io.ts';
import { CatalogError, loadCatalogFile, resolveProjectCatalog } from '../catalog/index.ts';
import { loadConfig } from '../compile.ts';

export const IMPORT_USAGE = `Usage: pipewright import <Jenkinsfile|directory>... [options]

Imports hand-written declarative Jenkinsfiles as typed pipeline modules. Each module is then
loaded, compiled and compared with the original Jenkinsfile; it is kept only when both are the
same pipeline (layout, comments and orders Jenkins ignores aside). Constructs the DSL does not
type go to escape hatches (step(), script(), groovy(), custom entries), never dropped; the report
says which and why. Code outside the pipeline block (def helpers, imports, classes) is refused by
default, naming the code; with --keep-outside-code it is kept verbatim as groovyPrologue /
groovyEpilogue (raw Groovy that policy flags) and the file is imported. A #! line is dropped
either way (Jenkins does not need it). Comments and @Library(...) _ annotations are not code:
the annotations become the libraries directive.

A directory is searched for files named Jenkinsfile or *.Jenkinsfile (skipping node_modules and
dot directories); give several directories to import a list of service repos.

Options:
  --out FILE           module path, for a single Jenkinsfile
                       (default: <out-dir>/<name>.pipeline.ts)
  --out-dir DIR        directory for the modules (default: pipelines)
  --name NAME          pipeline name, for a single Jenkinsfile (default from the file name:
                       NAME.Jenkinsfile, Jenkinsfile.NAME, NAME.groovy → NAME; DIR/Jenkinsfile →
                       DIR's name; a name taken in this run gets the directory path, then -2, -3)
  --format text|json   report format (default: text)
  --encoding NAME      the Jenkinsfiles' encoding: utf-8 (default), latin1 or windows-1252. A
                       file that is not valid UTF-8 is refused (exit 2) naming the first invalid
                       byte, never imported with U+FFFD in place of its characters; with latin1
                       or windows-1252 it is converted and the report says so
  --catalog FILE       the controller's catalog JSON (pipewright catalog import writes one);
                       default: the catalog pipewright.config.ts names, else the bundled one.
                       Steps it describes become typed calls (jenkins.cleanWs()) of the
                       jenkins-steps.ts the import writes beside the modules
  --force              overwrite existing modules
  --keep-failed        keep a module whose round trip failed, for inspection
  --keep-outside-code  keep code outside the pipeline block (def helpers, imports) verbatim as
                       groovyPrologue/groovyEpilogue (an escape hatch) instead of refusing the file
  --check              write nothing: check that each existing module still compiles to the
                       same pipeline as its Jenkinsfile (while both live side by side)
  -h, --help           show this help

Exit codes: 0 every Jenkinsfile imported with its round trip OK (--check: every module the
same); 1 some Jenkinsfile refused or failed its round trip (--check: a module differs or is
missing); 2 an input could not be read, or bad usage.
`;

interface Found {
  /** As shown in reports: relative to the working directory. */
  display: string;
  absolute: string;
}

/**
 * Runs `pipewright import`. `argv` are the arguments after `import`. Resolves to the exit code:
 * 0 all imported, 1 some refused or failed the round trip, 2 unreadable input or usage error.
 */
export async function runImportCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'out-dir': { type: 'string' },
        name: { type: 'string' },
        format: { type: 'string' },
        encoding: { type: 'string' },
        force: { type: 'boolean' },
        'keep-failed': { type: 'boolean' },
        'keep-outside-code': { type: 'boolean' },
        check: { type: 'boolean' },
        catalog: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(IMPORT_USAGE);
    return EXIT.ok;
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') return usage(io, `--format must be text or json, not ${JSON.stringify(format)}`);
  if (positionals.length === 0) return usage(io, 'no Jenkinsfile or directory given');
  const encoding: JenkinsfileEncoding | undefined = values.encoding === undefined ? 'utf-8' : parseJenkinsfileEncoding(values.encoding);
  if (encoding === undefined) return usage(io, `--encoding must be utf-8, latin1 or windows-1252, not ${JSON.stringify(values.encoding)}`);
  if (values.out !== undefined && values['out-dir'] !== undefined) return usage(io, '--out and --out-dir cannot be combined');
  if (values.name !== undefined && !PIPELINE_NAME.test(values.name)) {
    return usage(io, `--name ${JSON.stringify(values.name)}: a pipeline name may use letters, digits, ".", "_" and "-"`);
  }

  const cwd = io.cwd;
  const unreadable: string[] = [];
  const found: Found[] = [];
  for (const input of positionals) {
    const absolute = path.resolve(cwd, input);
    let info;
    try {
      info = await stat(absolute);
    } catch (error) {
      unreadable.push(`cannot read ${input}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    if (info.isDirectory()) {
      const files = await findJenkinsfiles(absolute);
      if (files.length === 0) unreadable.push(`no Jenkinsfile or *.Jenkinsfile under ${input}`);
      for (const file of files) found.push({ display: relativeDisplay(cwd, file), absolute: file });
    } else found.push({ display: relativeDisplay(cwd, absolute), absolute });
  }
  if (found.length > 1 && (values.out !== undefined || values.name !== undefined)) {
    return usage(io, `--out and --name take a single Jenkinsfile; ${found.length} were found (use --out-dir)`);
  }

  const inputs: ImportInput[] = [];
  const taken = new Set<string>();
  for (const file of found) {
    let decoded;
    try {
      decoded = decodeJenkinsfile(await readFile(file.absolute), encoding);
    } catch (error) {
      const reason = error instanceof JenkinsfileEncodingError ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      unreadable.push(`cannot read ${file.display}: ${reason}`);
      continue;
    }
    const text = decoded.text;
    const name = values.name ?? pickPipelineName(file.absolute, cwd, taken);
    const out = values.out ?? path.join(values['out-dir'] ?? 'pipelines', `${name}.pipeline.ts`);
    const input: ImportInput = { source: file.display, text, out };
    if (encoding !== 'utf-8' && /[^\x00-\x7f]/.test(text)) {
      input.infos = [{ message: `read as ${encoding} and converted: the module and the Jenkinsfile compiled from it are UTF-8` }];
    } else if (decoded.bom) {
      input.infos = [{ message: 'UTF-8 byte order mark dropped (Groovy ignores it)', line: 1 }];
    }
    if (values.name !== undefined || (values.out !== undefined && path.basename(out).replace(/\.pipeline\.ts$/, '') !== name)) input.name = name;
    inputs.push(input);
  }

  let catalog;
  try {
    if (values.catalog !== undefined) catalog = loadCatalogFile(path.resolve(cwd, values.catalog));
    else {
      const { config, diagnostics } = await loadConfig(cwd);
      if (diagnostics.some((d) => d.severity === 'error')) {
        for (const d of diagnostics) io.stderr.write(`${renderDiagnostic(d, colorsFor(io.stderr, io.env))}\n`);
        return EXIT.invalid;
      }
      catalog = resolveProjectCatalog(config, cwd);
    }
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    io.stderr.write(`pipewright import: ${error.message}\n`);
    return EXIT.invalid;
  }
  const reports = await importJenkinsfiles(inputs, {
    root: cwd,
    catalog,
    force: values.force ?? false,
    keepFailed: values['keep-failed'] ?? false,
    keepOutsideCode: values['keep-outside-code'] ?? false,
    check: values.check ?? false,
  });
  const success = values.check ? 'same' : 'imported';

  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ ok: unreadable.length === 0 && reports.every((r) => r.status === success), unreadable, files: reports }, null, 2)}\n`);
  } else {
    const colors = colorsFor(io.stdout, io.env);
    for (const message of unreadable) io.stderr.write(`pipewright import: ${message}\n`);
    for (const report of reports) io.stdout.write(`${formatImportReport(report, colors)}\n\n`);
    io.stdout.write(`${formatImportSummary(reports, unreadable.length)}\n`);
  }
  if (unreadable.length > 0) return EXIT.invalid;
  return reports.every((report: ImportReport) => report.status === success) ? EXIT.ok : EXIT.findings;
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`pipewright import: ${message}\n\n${IMPORT_USAGE}`);
  return EXIT.invalid;
}

const isJenkinsfile = (name: string) => name === 'Jenkinsfile' || name.endsWith('.Jenkinsfile');

/** Jenkinsfiles under a directory, sorted; node_modules and dot directories are skipped. */
async function findJenkinsfiles(directory: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(directory, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      out.push(...(await findJenkinsfiles(full)));
    } else if (entry.isFile() && isJenkinsfile(entry.name)) out.push(full);
  }
  return out;
}

/** The path relative to the working directory (`../repos/x/Jenkinsfile` included), `/` separators. */
function relativeDisplay(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return (path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}
