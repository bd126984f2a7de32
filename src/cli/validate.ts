/**
 * `pipewright validate <Jenkinsfile...> [--format text|json] [--allow-list FILE.json]`: checks
 * declarative Jenkinsfiles offline — Groovy 2.4 syntax, then Jenkins' declarative rules — and
 * prints Jenkins' own messages with file:line:column.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Diagnostic } from '../diagnostics.ts';
import { MAX_NESTING_DEPTH, isStackOverflow } from '../jenkinsfile/groovy-parser.ts';
import { JenkinsfileEncodingError, decodeJenkinsfile, parseJenkinsfileEncoding, type JenkinsfileEncoding } from '../jenkinsfile/decode.ts';
import { parseJenkinsfile } from '../jenkinsfile/parse.ts';
import { validateJenkinsfile, type JenkinsfileAllowLists } from '../jenkinsfile/validate.ts';
import { checkLimits } from '../limits/check.ts';
import { CatalogError, loadCatalogFile, resolveProjectCatalog, type Catalog } from '../catalog/index.ts';
import { loadConfig } from '../compile.ts';

export const VALIDATE_USAGE = `Usage: pipewright validate <Jenkinsfile...> [options]

Checks declarative Jenkinsfiles offline: Groovy 2.4 syntax and the structural rules of
Jenkins' declarative pipeline plugin, reported with Jenkins' own messages.

Options:
  --format text|json    output format (default: text)
  --encoding NAME       the files' encoding: utf-8 (default), latin1 or windows-1252. A file
                        that is not valid UTF-8 is refused (exit 2) naming the first invalid
                        byte, since Jenkins would read U+FFFD in its place; a UTF-8 byte order
                        mark is ignored, as Groovy does
  --catalog FILE        the controller catalog to check against (pipewright catalog import
                        writes one): agent types, when conditions, options, triggers, tools,
                        parameter types and the parameters of every step and option it
                        describes. Default: the catalog pipewright.config.ts names (in the
                        current directory), else the bundled one
  --no-catalog          check the structure only (any name is accepted)
  --allow-list FILE     JSON file with the names your Jenkins knows, e.g.
                        {"steps": [...], "options": [...], "triggers": [...], "tools": [...],
                         "agentTypes": [...], "whenConditions": [...]}; names outside a given
                        list are errors (without a list, any name is accepted)
  -h, --help            show this help

Nesting is accepted up to ${MAX_NESTING_DEPTH} levels (every block, closure, bracket, parenthesis and \${ }
opens one; a nested stage costs two), far beyond what Jenkins' Groovy parses on its default 1 MB
thread stack (about 60 nested stages); deeper files get PW5005 at the first level too many.
Chains (a.b.c, a + b + c) may be of any length.

Exit codes: 0 all files valid, 1 some file invalid, 2 a file could not be read or bad usage.
`;

/** Where the command writes; `cwd` resolves relative paths (default: the process's). */
export interface ValidateCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  cwd?: string;
}

const ALLOW_LIST_KEYS = ['steps', 'options', 'triggers', 'tools', 'agentTypes', 'whenConditions'] as const;

/** The result for one file, as printed by `--format json`. */
export interface ValidateFileResult {
  file: string;
  /** True when the file was read and has no errors. */
  valid: boolean;
  diagnostics: Diagnostic[];
  /** Why the file could not be read. */
  error?: string;
}

/**
 * Runs `pipewright validate`. `argv` are the arguments after `validate`.
 * Resolves to the exit code: 0 valid, 1 invalid, 2 unreadable file or usage error.
 */
export async function runValidateCli(
  argv: string[],
  io: ValidateCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        encoding: { type: 'string' },
        'allow-list': { type: 'string' },
        catalog: { type: 'string' },
        'no-catalog': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`pipewright validate: ${(error as Error).message}\n\n${VALIDATE_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout.write(VALIDATE_USAGE);
    return 0;
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') {
    io.stderr.write(`pipewright validate: --format must be text or json, not ${JSON.stringify(format)}\n\n${VALIDATE_USAGE}`);
    return 2;
  }
  if (positionals.length === 0) {
    io.stderr.write(`pipewright validate: no Jenkinsfile given\n\n${VALIDATE_USAGE}`);
    return 2;
  }
  const encoding: JenkinsfileEncoding | undefined = values.encoding === undefined ? 'utf-8' : parseJenkinsfileEncoding(values.encoding);
  if (encoding === undefined) {
    io.stderr.write(`pipewright validate: --encoding must be utf-8, latin1 or windows-1252, not ${JSON.stringify(values.encoding)}\n\n${VALIDATE_USAGE}`);
    return 2;
  }
  const cwd = io.cwd ?? process.cwd();
  let allow: JenkinsfileAllowLists | undefined;
  if (values['allow-list'] !== undefined) {
    const loaded = await loadAllowList(resolve(cwd, values['allow-list']));
    if (typeof loaded === 'string') {
      io.stderr.write(`pipewright validate: allow-list ${values['allow-list']}: ${loaded}\n`);
      return 2;
    }
    allow = loaded;
  }
  let catalog: Catalog | undefined;
  try {
    catalog = values['no-catalog'] ? undefined : await validateCatalog(values.catalog, cwd);
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    io.stderr.write(`pipewright validate: ${error.message}\n`);
    return 2;
  }

  const results: ValidateFileResult[] = [];
  for (const file of positionals) {
    let text: string;
    try {
      text = decodeJenkinsfile(await readFile(resolve(cwd, file)), encoding).text;
    } catch (error) {
      const reason = error instanceof JenkinsfileEncodingError ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      results.push({ file, valid: false, diagnostics: [], error: reason });
      continue;
    }
    results.push(validateText(text, file, allow, catalog));
  }

  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ valid: results.every((r) => r.valid), files: results }, null, 2)}\n`);
  } else {
    const prefix = (file: string) => (positionals.length > 1 ? `${file}: ` : '');
    for (const result of results) {
      if (result.error !== undefined) {
        io.stderr.write(`pipewright validate: cannot read ${result.file}: ${result.error}\n`);
      } else if (result.valid) {
        io.stdout.write(`${prefix(result.file)}Jenkinsfile successfully validated.\n`);
        // Warnings: names a partial catalog does not list (the controller may have the plugin).
        for (const d of result.diagnostics) {
          io.stdout.write(`${d.location ? `${d.location.file}:${d.location.line}:${d.location.column}: ` : `${result.file}: `}warning: ${d.message}\n`);
        }
      } else {
        io.stdout.write(`${prefix(result.file)}Errors encountered validating Jenkinsfile:\n`);
        for (const d of result.diagnostics) {
          io.stdout.write(`${d.location ? `${d.location.file}:${d.location.line}:${d.location.column}: ` : `${result.file}: `}${d.message}\n`);
        }
      }
    }
  }
  if (results.some((r) => r.error !== undefined)) return 2;
  return results.every((r) => r.valid) ? 0 : 1;
}

/**
 * The catalog `validate` checks against: `--catalog FILE`, else the one the project's
 * pipewright.config.ts (in `cwd`) names, else the bundled default. Throws CatalogError.
 */
async function validateCatalog(file: string | undefined, cwd: string): Promise<Catalog> {
  if (file !== undefined) return loadCatalogFile(resolve(cwd, file));
  const { config } = await loadConfig(cwd);
  return resolveProjectCatalog(config, cwd);
}

/**
 * Parses and validates one Jenkinsfile text; diagnostics sorted by position. With a `catalog`,
 * names and arguments are checked against the controller it describes.
 */
export function validateText(text: string, file: string, allow?: JenkinsfileAllowLists, catalog?: Catalog): ValidateFileResult {
  const diagnostics: Diagnostic[] = [];
  try {
    const parsed = parseJenkinsfile(text, file);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.ast) diagnostics.push(...validateJenkinsfile(parsed.ast, { file, ...(allow ? { allow } : {}), ...(catalog ? { catalog } : {}) }));
    if (parsed.ast) diagnostics.push(...checkLimits(parsed.ast, { file, nesting: false }).diagnostics);
  } catch (error) {
    // The parser's nesting limit keeps this from happening; a one-line error should it still.
    if (!isStackOverflow(error)) throw error;
    diagnostics.length = 0;
    diagnostics.push({ code: 'PW5005', severity: 'error', message: 'pipewright ran out of stack space validating this file (too deeply nested)', location: { file, line: 1, column: 1 } });
  }
  const ordered = diagnostics
    .map((d, order) => ({ d, order }))
    .sort((a, b) =>
      (a.d.location?.line ?? 0) - (b.d.location?.line ?? 0) ||
      (a.d.location?.column ?? 0) - (b.d.location?.column ?? 0) ||
      a.order - b.order)
    .map((entry) => entry.d);
  return { file, valid: !ordered.some((d) => d.severity === 'error'), diagnostics: ordered };
}

async function loadAllowList(path: string): Promise<JenkinsfileAllowLists | string> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'expected a JSON object';
  const allow: JenkinsfileAllowLists = {};
  for (const [key, value] of Object.entries(data)) {
    if (!(ALLOW_LIST_KEYS as readonly string[]).includes(key)) {
      return `unknown key ${JSON.stringify(key)} (expected ${ALLOW_LIST_KEYS.join(', ')})`;
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return `${key} must be an array of strings`;
    allow[key as (typeof ALLOW_LIST_KEYS)[number]] = value;
  }
  return allow;
}
