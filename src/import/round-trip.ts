/**
 * The round-trip guarantee of `pipewright import`: each written module is loaded for real (the
 * loader `pipewright compile` uses: esbuild bundle, `import ... from 'pipewright'`), compiled in
 * memory with `compilePipelineValue` (schema, structure checks, lowering, printing; the policy
 * engine is not part of it, so policy findings never block an import), and the compiled
 * Jenkinsfile text is parsed with the same parser as the original. The two ASTs must be equal up
 * to the rules in compare.ts (layout, comments, orders Jenkins ignores).
 */
import path from 'node:path';
import { compilePipelineValue } from '../compile.ts';
import { formatPath, hasErrors, type Diagnostic } from '../diagnostics.ts';
import type { JenkinsfileAst } from '../jenkinsfile/ast.ts';
import { isStackOverflow } from '../jenkinsfile/groovy-parser.ts';
import { parseJenkinsfile } from '../jenkinsfile/parse.ts';
import { loadPipelineModules } from '../load/loader.ts';
import { createSourceLocator } from '../load/locate.ts';
import { compareJenkinsfileAsts, type AstDifference } from './compare.ts';

export interface RoundTripResult {
  /** True when the compiled Jenkinsfile equals the original. */
  ok: boolean;
  /** Why it could not be compared (load or compile failure). */
  problem?: string;
  /** Load and compile diagnostics (warnings included), located in the module. */
  diagnostics: Diagnostic[];
  /** The first difference between the ASTs, when they differ. */
  difference?: AstDifference;
  /** The compiled Jenkinsfile, when compilation succeeded. */
  jenkinsfile?: string;
}

/** One module to check against the Jenkinsfile it was imported from. */
export interface RoundTripEntry {
  /** The original Jenkinsfile, parsed. */
  original: JenkinsfileAst;
  /** The module file (absolute, or relative to the root). */
  module: string;
  /** Pipeline name to compile under (default: from the file name). */
  name?: string;
}

/**
 * Loads the modules (one loader run for all of them; one broken module does not affect the
 * others), compiles each and compares it with its original. Results are in entry order.
 *
 * @param root project root for the loader (its bundle cache lives below it) and relative paths.
 */
export async function verifyRoundTrips(entries: readonly RoundTripEntry[], root: string): Promise<RoundTripResult[]> {
  if (entries.length === 0) return [];
  const projectRoot = path.resolve(root);
  const files = entries.map((entry) => path.resolve(projectRoot, entry.module));
  const { modules } = await loadPipelineModules(files, { root: projectRoot });
  return entries.map((entry, index) => {
    try {
      return compareOne(entry, files[index]!, modules[index]!, projectRoot);
    } catch (error) {
      // Compiling and comparing recurse once per level of nesting, like the parser.
      if (!isStackOverflow(error)) throw error;
      return { ok: false, problem: 'the module is too deeply nested to compile and compare: pipewright ran out of stack space', diagnostics: [] };
    }
  });
}

/** Loads one module, compiles it and compares the result with `original`. */
export async function verifyRoundTrip(original: JenkinsfileAst, module: string, options: { root: string; name?: string }): Promise<RoundTripResult> {
  const entry: RoundTripEntry = { original, module };
  if (options.name !== undefined) entry.name = options.name;
  return (await verifyRoundTrips([entry], options.root))[0]!;
}

function compareOne(entry: RoundTripEntry, file: string, loaded: { value?: unknown; diagnostics: Diagnostic[] }, root: string): RoundTripResult {
  if (loaded.diagnostics.length > 0 || loaded.value === undefined) {
    return { ok: false, problem: `the module does not load: ${firstError(loaded.diagnostics)}`, diagnostics: loaded.diagnostics };
  }
  const source = path.relative(root, file).split(path.sep).join('/');
  const compiled = compilePipelineValue(loaded.value, source, entry.name === undefined ? {} : { name: entry.name });
  const diagnostics = compiled.diagnostics;
  const unlocated = diagnostics.filter((d) => !d.location && d.path);
  if (unlocated.length > 0) {
    const locator = createSourceLocator(file, root);
    for (const d of unlocated) d.location = locator.locate(d.path!);
  }
  if (hasErrors(diagnostics) || compiled.jenkinsfile === undefined) {
    return { ok: false, problem: `the module does not compile: ${firstError(diagnostics)}`, diagnostics };
  }
  const reparsed = parseJenkinsfile(compiled.jenkinsfile, 'compiled Jenkinsfile');
  if (!reparsed.ast || hasErrors(reparsed.diagnostics)) {
    return { ok: false, problem: `the compiled Jenkinsfile does not parse: ${firstError(reparsed.diagnostics)}`, diagnostics, jenkinsfile: compiled.jenkinsfile };
  }
  const difference = compareJenkinsfileAsts(entry.original, reparsed.ast);
  const result: RoundTripResult = { ok: difference === undefined, diagnostics, jenkinsfile: compiled.jenkinsfile };
  if (difference) result.difference = difference;
  return result;
}

function firstError(diagnostics: readonly Diagnostic[]): string {
  const error = diagnostics.find((d) => d.severity === 'error') ?? diagnostics[0];
  if (!error) return 'it has no default export';
  const where = error.location ? `${error.location.file}:${error.location.line}:${error.location.column}` : formatPath(error.path);
  const more = diagnostics.filter((d) => d.severity === 'error').length - 1;
  return `${error.code} ${error.message} (${where}, at ${formatPath(error.path)})${more > 0 ? ` and ${more} more` : ''}`;
}
