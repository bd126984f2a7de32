/**
 * `pipewright import`, as a library: Jenkinsfiles → typed pipeline modules, each one checked by
 * compiling it back (round-trip.ts). A module stays on disk only when its round trip holds.
 *
 * Per file: parse (syntax and declarative rules, as `pipewright validate`) → raise to the model
 * (raise.ts) → write the module (emit-module.ts) → load, compile, parse, compare. Files that
 * cannot be represented are refused before anything is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pipelineNameFromFile } from '../compile.ts';
import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import { writeAtomic } from '../emit/write.ts';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import type { JenkinsfileAst } from '../jenkinsfile/ast.ts';
import { MAX_NESTING_DEPTH, isStackOverflow } from '../jenkinsfile/groovy-parser.ts';
import { parseJenkinsfile } from '../jenkinsfile/parse.ts';
import { validateJenkinsfile } from '../jenkinsfile/validate.ts';
import type { AstDifference } from './compare.ts';
import { emitPipelineModule } from './emit-module.ts';
import { defaultCatalog } from '../catalog/index.ts';
import type { Catalog } from '../catalog/schema.ts';
import { generateTypedSteps } from '../catalog/typed-steps.ts';
import { TYPED_STEPS_FILE } from './catalog-steps.ts';
import { raiseJenkinsfile, type ImportInfo, type ImportNote, type ImportRefusal, type ImportRewrite, type RaiseCounts } from './raise.ts';
import { verifyRoundTrips } from './round-trip.ts';

export { raiseJenkinsfile, type EscapeHatch, type ImportInfo, type ImportNote, type ImportRefusal, type ImportRewrite, type RaiseCounts, type RaiseOptions, type RaiseResult } from './raise.ts';
export { parseGString, shellScript, type GStringPart } from './gstring.ts';
export { emitPipelineModule, type EmitModuleOptions } from './emit-module.ts';
export { CatalogStepTyper, TYPED_STEPS_FILE, type CatalogCallForm } from './catalog-steps.ts';
export { verifyRoundTrip, verifyRoundTrips, type RoundTripEntry, type RoundTripResult } from './round-trip.ts';
export { compareJenkinsfileAsts, type AstDifference } from './compare.ts';

/** One Jenkinsfile to import. */
export interface ImportInput {
  /** The Jenkinsfile's path as shown in reports (the file is read by the caller). */
  source: string;
  /** Its text. */
  text: string;
  /** Where to write the module (absolute, or relative to the root). */
  out: string;
  /** Pipeline name; default: the module file name without `.pipeline.ts`. */
  name?: string;
  /** Things the caller noticed reading the file (e.g. the encoding it was converted from). */
  infos?: ImportInfo[];
}

export interface ImportOptions {
  /** Project root: relative `out` paths and the loader's bundle cache are below it. */
  root: string;
  /** Overwrite existing modules (default: refuse). */
  force?: boolean;
  /** Keep a module whose round trip failed, for inspection (default: delete it). */
  keepFailed?: boolean;
  /**
   * Write nothing: compare each existing module with its Jenkinsfile instead (status `same` or
   * `different`), e.g. while a service still runs its hand-written Jenkinsfile and the module is
   * being edited towards typed steps.
   */
  check?: boolean;
  /**
   * Keep code outside the pipeline block (`def` helpers, `import`s) verbatim as
   * `groovyPrologue`/`groovyEpilogue`, an escape hatch policy flags, instead of refusing the file.
   */
  keepOutsideCode?: boolean;
  /**
   * The controller catalog (default: the bundled one). Steps pipewright has no helper for become
   * calls of its typed functions (`jenkins.cleanWs()`), from `jenkins-steps.ts` next to the
   * modules (generated, as `pipewright catalog types` does); `false` keeps them as `step(...)`.
   */
  catalog?: Catalog | false;
}

/**
 * `imported`: written and round-trip verified. With `check` (nothing written): `same` when the
 * existing module compiles to the Jenkinsfile's pipeline, `different` when it does not.
 */
export type ImportStatus = 'imported' | 'refused' | 'round-trip-failed' | 'same' | 'different';

/** What happened to one Jenkinsfile. */
export interface ImportReport {
  source: string;
  /** The module path (as given). */
  out: string;
  name: string;
  status: ImportStatus;
  /** Why the file was refused (status `refused`). */
  refusals: ImportRefusal[];
  /** Escape hatches used, with reasons. */
  notes: ImportNote[];
  /** Other things worth knowing (e.g. `@Library` mapped to `libraries`). */
  infos: ImportInfo[];
  /**
   * `sh` GStrings rewritten into literal scripts the shell expands (`"${env.X}"` → `'$X'`); the
   * round trip compares with the Jenkinsfile with these rewrites applied.
   */
  rewrites: ImportRewrite[];
  counts: RaiseCounts;
  /** Typed steps by name. */
  typedStepNames: Record<string, number>;
  /** The round trip, when a module was written. */
  roundTrip?: {
    ok: boolean;
    problem?: string;
    difference?: AstDifference;
    /** Warnings (and, on failure, errors) from loading and compiling the module. */
    diagnostics: Diagnostic[];
  };
  /** Whether the module is on disk after the import (with `check`: whether it existed). */
  written: boolean;
}

const EMPTY_COUNTS: RaiseCounts = { typedSteps: 0, catalogSteps: 0, genericSteps: 0, scriptSteps: 0, groovyValues: 0, typedSettings: 0, customSettings: 0 };

/**
 * Imports Jenkinsfiles into pipeline modules and verifies each by a round trip. Reports are in
 * input order. Throws only for environment failures (e.g. an unwritable directory).
 */
export async function importJenkinsfiles(inputs: readonly ImportInput[], options: ImportOptions): Promise<ImportReport[]> {
  const root = path.resolve(options.root);
  const reports: ImportReport[] = [];
  const pending: { report: ImportReport; original: JenkinsfileAst; file: string }[] = [];
  const claimed = new Set<string>();
  const catalog = options.catalog === false ? undefined : (options.catalog ?? defaultCatalog());
  /** Directories whose modules call the typed catalog steps (the module is written there once). */
  const typedStepsDirs = new Set<string>();
  for (const input of inputs) {
    const file = path.resolve(root, input.out);
    const name = input.name ?? pipelineNameFromFile(file);
    const report: ImportReport = {
      source: input.source,
      out: input.out,
      name,
      status: 'refused',
      refusals: [],
      notes: [],
      infos: [],
      rewrites: [],
      counts: { ...EMPTY_COUNTS },
      typedStepNames: {},
      written: false,
    };
    reports.push(report);

    // Nesting within the parser's limit (MAX_NESTING_DEPTH) fits the stack; should some later
    // stage still run out, the file is refused with a reason instead of ending the whole run.
    try {
      const parsed = parseJenkinsfile(input.text, input.source);
      const problems = parsed.ast ? [...parsed.diagnostics, ...validateJenkinsfile(parsed.ast, { file: input.source })] : parsed.diagnostics;
      if (!parsed.ast && parsed.diagnostics.some((d) => d.code === 'PW5002')) {
        // Jenkins' own message quotes the whole file: say it shortly.
        report.refusals = [{ reason: 'not a declarative Jenkinsfile (no top-level pipeline { } block; scripted pipelines are not imported)', line: 1, column: 1 }];
        continue;
      }
      if (!parsed.ast || hasErrors(problems)) {
        report.refusals = problems
          .filter((d) => d.severity === 'error')
          .map((d) => ({ reason: `not a valid declarative Jenkinsfile: ${d.code} ${d.message}`, ...(d.location ? { line: d.location.line, column: d.location.column } : {}) }));
        continue;
      }
      if (options.check) {
        if (!existsSync(file)) {
          report.refusals = [{ reason: `${input.out} does not exist: nothing to compare (import it first)` }];
          continue;
        }
        pending.push({ report, original: parsed.ast, file });
        continue;
      }
      const raised = raiseJenkinsfile(parsed.ast, { keepOutsideCode: options.keepOutsideCode ?? false, ...(catalog ? { catalog } : {}) });
      Object.assign(report, {
        notes: raised.notes,
        infos: [...(input.infos ?? []), ...raised.infos],
        rewrites: raised.rewrites,
        counts: raised.counts,
        typedStepNames: raised.typedStepNames,
      });
      if (!raised.pipeline) {
        report.refusals = raised.refusals;
        continue;
      }
      if (claimed.has(file)) {
        report.refusals = [{ reason: `another Jenkinsfile of this run is imported to ${input.out}` }];
        continue;
      }
      if (!options.force && existsSync(file)) {
        report.refusals = [{ reason: `${input.out} exists (use --force to overwrite it)` }];
        continue;
      }
      claimed.add(file);
      const pipeline = input.name !== undefined && input.name !== pipelineNameFromFile(file) ? { name: input.name, ...raised.pipeline } : raised.pipeline;
      if (raised.counts.catalogSteps > 0 && catalog) {
        const dir = path.dirname(file);
        if (!typedStepsDirs.has(dir)) {
          typedStepsDirs.add(dir);
          writeTypedSteps(dir, catalog, options.force ?? false, report);
        }
      }
      const text = await emitPipelineModule(pipeline, {
        file,
        catalogCalls: raised.catalogCalls,
        catalogModule: `./${TYPED_STEPS_FILE}`,
        onUnformatted: (reason) => report.infos.push({ message: `the module is written unformatted: ${reason} (run your formatter on it, or flatten the nesting)` }),
        header: [
          `Imported from ${input.source.replace(/[\r\n\u2028\u2029]+/g, ' ')} by \`pipewright import\`; the round trip was checked (compiling this module gives the same Jenkinsfile).`,
          'Escape hatches (step(), script(), groovy(), custom entries) mark what is not typed yet: see the import report.',
        ],
      });
      await writeAtomic(file, text);
      report.written = true;
      pending.push({ report, original: raised.expected, file });
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      report.status = 'refused';
      report.refusals = [{ reason: `too deeply nested to import: pipewright ran out of stack space (flatten the nesting; the parser takes up to ${MAX_NESTING_DEPTH} levels)` }];
    }
  }

  const results = await verifyRoundTrips(
    pending.map(({ report, original, file }) => ({ original, module: file, name: report.name })),
    root,
  );
  for (const [index, { report, file }] of pending.entries()) {
    const result = results[index]!;
    report.roundTrip = { ok: result.ok, diagnostics: result.diagnostics };
    if (result.problem !== undefined) report.roundTrip.problem = result.problem;
    if (result.difference) report.roundTrip.difference = result.difference;
    if (options.check) {
      report.status = result.ok ? 'same' : 'different';
      report.written = true;
      continue;
    }
    report.status = result.ok ? 'imported' : 'round-trip-failed';
    if (!result.ok && !options.keepFailed) {
      await rm(file, { force: true });
      report.written = false;
    }
  }
  return reports;
}

function writeAtomicSync(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** The first line of a module `pipewright catalog types` generated (such a file is regenerated freely). */
const GENERATED_HEADER = '// Typed Jenkins steps generated by `pipewright catalog types`';

/**
 * Writes `jenkins-steps.ts` (the catalog's typed steps) into `dir`, unless a file there that
 * pipewright did not generate would be overwritten without `force`.
 */
function writeTypedSteps(dir: string, catalog: Catalog, force: boolean, report: ImportReport): void {
  const file = path.join(dir, TYPED_STEPS_FILE);
  const text = generateTypedSteps(catalog);
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8');
    if (existing === text) return;
    if (!force && !existing.startsWith(GENERATED_HEADER)) {
      report.infos.push({ message: `${TYPED_STEPS_FILE} exists and was not generated by pipewright: kept as it is (the module imports its typed steps from it)` });
      return;
    }
  }
  writeAtomicSync(file, text);
  report.infos.push({ message: `wrote ${path.join(path.dirname(report.out), TYPED_STEPS_FILE)}: the catalog's typed steps ("${catalog.name}", as \`pipewright catalog types\` generates them), which the module's jenkins.* calls use` });
}

/** Imports one Jenkinsfile (see {@link importJenkinsfiles}). */
export async function importJenkinsfile(input: ImportInput, options: ImportOptions): Promise<ImportReport> {
  return (await importJenkinsfiles([input], options))[0]!;
}
