/**
 * The Groovy 2.4.21 oracle every test uses: parses (never runs) sources with the real Groovy
 * compiler up to Phases.CONVERSION, or compiles them to Phases.CLASS_GENERATION, through the JVM
 * started once by test/groovy/global-setup.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { GROOVY_PARSE_URL_KEY } from './provided-context.ts';

/** A source to parse; `name` is only used in reports. */
export interface GroovySource {
  name: string;
  text: string;
}

/** A Groovy syntax error. Line and column are 1-based; 0 when Groovy reports no position. */
export interface GroovySyntaxError {
  line: number;
  column: number;
  message: string;
}

export interface GroovyParseResult {
  name: string;
  ok: boolean;
  errors: GroovySyntaxError[];
}

async function post(path: string, body: unknown): Promise<unknown> {
  const base = inject(GROOVY_PARSE_URL_KEY);
  if (!base) throw new Error('Groovy parse server URL not provided: is test/groovy/global-setup.ts the globalSetup?');
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // JSON.stringify escapes lone surrogates (\udXXX), so any JS string travels exactly.
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Groovy parse server: HTTP ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** Parses each file independently with Groovy 2.4.21; results are in input order. */
export async function groovyParse(files: GroovySource[]): Promise<GroovyParseResult[]> {
  const answer = (await post('/parse', { files })) as { results: GroovyParseResult[] };
  if (answer.results.length !== files.length) {
    throw new Error(`Groovy parse server answered ${answer.results.length} results for ${files.length} files`);
  }
  return answer.results;
}

/**
 * Compiles each file independently with Groovy 2.4.21 up to Phases.CLASS_GENERATION (bytecode in
 * memory, nothing written, nothing run): what Jenkins does before running a Jenkinsfile, where
 * class-file limits such as the 65,535-byte string constant apply. Sources must not need classes
 * Groovy cannot resolve (no `@Library`); unknown method calls (`pipeline`, `sh`) are fine.
 * Results are in input order.
 */
export async function groovyCompile(files: GroovySource[]): Promise<GroovyParseResult[]> {
  const answer = (await post('/compile', { files })) as { results: GroovyParseResult[] };
  if (answer.results.length !== files.length) {
    throw new Error(`Groovy parse server answered ${answer.results.length} results for ${files.length} files`);
  }
  return answer.results;
}

/**
 * Every String constant in the parsed AST of `text`, in visiting order (script body first, then
 * `def` methods): string literals anywhere (arguments, map values, closures, `@Library('x')`),
 * plus map keys and named-argument names. Not included: method and property names, and the
 * literal fragments of GStrings. Throws, listing the syntax errors, when `text` does not parse.
 */
export async function groovyStringConstants(text: string): Promise<string[]> {
  const answer = (await post('/constants', { text })) as
    | { ok: true; constants: string[] }
    | { ok: false; errors: GroovySyntaxError[] };
  if (!answer.ok) {
    throw new Error(`Groovy source does not parse:\n${formatErrors([{ name: '<text>', ok: false, errors: answer.errors }])}`);
  }
  return answer.constants;
}

/**
 * Fails unless every file parses with Groovy 2.4.21, listing every error as
 * `file:line:column message`. Given a directory, checks every file named `Jenkinsfile` or
 * `*.Jenkinsfile` below it (and fails if there is none, so a wrong path cannot pass).
 */
export async function expectGroovyParses(files: GroovySource[] | string): Promise<void> {
  const sources = typeof files === 'string' ? jenkinsfilesBelow(files) : files;
  if (sources.length === 0) {
    throw new Error(typeof files === 'string' ? `no Jenkinsfile found below ${files}` : 'no files to parse');
  }
  const failed = (await groovyParse(sources)).filter((result) => !result.ok);
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${sources.length} file(s) do not parse with Groovy 2.4.21:\n${formatErrors(failed)}`,
    );
  }
}

function formatErrors(results: GroovyParseResult[]): string {
  return results
    .flatMap((result) => result.errors.map((e) => `${result.name}:${e.line}:${e.column} ${e.message}`))
    .join('\n');
}

/** Files named `Jenkinsfile` or `*.Jenkinsfile` below `dir`, sorted, read as UTF-8. */
export function jenkinsfilesBelow(dir: string): GroovySource[] {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && (entry.name === 'Jenkinsfile' || entry.name.endsWith('.Jenkinsfile')))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((path) => ({ name: path, text: readFileSync(path, 'utf8') }));
}
