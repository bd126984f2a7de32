/**
 * Compiling one pipeline, in memory: schema, structure, lowering, printing, output path, policy,
 * diagnostic locations. Used by `compileProject` (compile.ts) for each pipeline as its value
 * arrives from the sandbox; it depends on nothing but its arguments and the project files.
 */
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { readProjectText, type CompileDependencies } from './cache/compile-cache.ts';
import type { CompiledPipeline } from './compiled.ts';
import type { ResolvedConfig } from './config.ts';
import type { Diagnostic } from './diagnostics.ts';
import { hasErrors } from './diagnostics.ts';
import { HEADER_LINES, withHeader } from './emit/header.ts';
import { printJenkinsfile } from './jenkinsfile/print.ts';
import { checkLimits } from './limits/check.ts';
import { createSourceLocator, locateDiagnostics, type SourceLocator } from './load/locate.ts';
import { lowerPipeline } from './lower/index.ts';
import type { ValidPipeline } from './model/schema.ts';
import type { PolicyRunner } from './policy/engine.ts';
import { jenkinsfileLocation } from './policy/jenkinsfile-lines.ts';
import { checkStructure, validateSchema } from './validate/index.ts';
import { checkPresetOptions, mayCallPreset } from './validate/preset-options.ts';
import { checkProjectCatalog } from './validate/catalog-checks.ts';

const toPosix = (path: string) => path.split(sep).join('/');

/** Pipeline name implied by a file name: `payments-api.pipeline.ts` → `payments-api`. */
export const pipelineNameFromFile = (file: string): string => basename(file).replace(/\.pipeline\.ts$/, '');

/** Resolves where a pipeline's Jenkinsfile goes; rejects paths outside the project. */
export function resolveOutput(
  root: string,
  name: string,
  model: ValidPipeline | undefined,
  config: ResolvedConfig,
): { output: string; diagnostic?: Omit<Diagnostic, 'location'> } {
  const requested = model?.output ?? config.outputs[name] ?? `${config.outDir}/${name}/Jenkinsfile`;
  const absolute = resolve(root, requested);
  const rel = relative(root, absolute);
  if (isAbsolute(requested) || rel.startsWith('..') || rel === '' || isAbsolute(rel)) {
    return {
      output: toPosix(rel),
      diagnostic: {
        code: 'PW4001',
        severity: 'error',
        message: 'the output path must be a file inside the project',
        path: ['output'],
        expected: 'a relative path inside the project root',
        found: JSON.stringify(requested),
      },
    };
  }
  return { output: toPosix(rel) };
}

/**
 * Compiles one pipeline value (already loaded) in memory: schema, structure, lowering, printing.
 * `source` is the project-relative path used in the header and in diagnostics.
 */
export function compilePipelineValue(
  value: unknown,
  source: string,
  options: { name?: string; output?: string; compileCommand?: string } = {},
): Omit<CompiledPipeline, 'output'> & { output?: string } {
  const name = options.name ?? pipelineNameFromFile(source);
  const schema = validateSchema(value);
  if (!schema.pipeline) return { source, name, diagnostics: schema.diagnostics };
  const model = schema.pipeline;
  const diagnostics = [...schema.diagnostics, ...checkStructure(model)];
  const result: Omit<CompiledPipeline, 'output'> & { output?: string } = {
    source,
    name: model.name ?? name,
    diagnostics,
    model,
  };
  if (hasErrors(diagnostics)) return result;
  const ast = lowerPipeline(model);
  try {
    const printed = printJenkinsfile(ast);
    result.ast = ast;
    result.jenkinsfile = withHeader(printed.text, source, options.compileCommand);
    result.lineOrigins = printed.lineOrigins;
  } catch (error) {
    // The printer refuses text Groovy cannot represent (U+FFFF); say where it came from.
    const origin = (error as { origin?: readonly (string | number)[] }).origin;
    diagnostics.push({
      code: 'PW4002',
      severity: 'error',
      message: (error as Error).message,
      ...(origin ? { path: origin } : {}),
    });
  }
  // Jenkins' method-size and nesting limits (src/limits): over them, the pipeline is refused.
  if (result.ast) {
    const limits = checkLimits(ast, { firstLine: HEADER_LINES + 1 }).diagnostics;
    diagnostics.push(...limits);
    if (hasErrors(limits)) {
      delete result.jenkinsfile;
      delete result.ast;
    }
  }
  return result;
}

/** What compiling a pipeline of a project needs besides the pipeline. */
export interface PipelineCompileContext {
  root: string;
  config: ResolvedConfig;
  policy: PolicyRunner;
  /** The run's date (suppression expiry). */
  now: Date;
  /** The header's "run …" hint for this project (see `compileCommandFor`); default `npx pipewright compile`. */
  compileCommand?: string;
  /**
   * Reads project files the checks and the policy ask for (task-definition templates, ...):
   * default {@link readProjectText}; `compileProject` passes one that reads each file once per run
   * (a fleet's pipelines read the same few files a thousand times).
   */
  readProjectFile?: (file: string) => string | undefined;
}

/**
 * A reader of project files that reads each file once: for one run only, so that an edit
 * between runs (watch mode) is always seen.
 */
export function createRunFileReader(root: string): (file: string) => string | undefined {
  const texts = new Map<string, string | undefined>();
  return (file) => {
    if (texts.has(file)) return texts.get(file);
    const text = readProjectText(root, file);
    texts.set(file, text);
    return text;
  };
}

/**
 * Compiles one loaded pipeline module of a project: everything but the check that no two
 * pipelines write the same file. `file` is absolute, `source` project-relative. Records in
 * `dependencies` the project files the policy read and the source text locations came from.
 */
export function compileModule(
  context: PipelineCompileContext,
  file: string,
  source: string,
  value: unknown,
  dependencies: CompileDependencies,
): CompiledPipeline {
  const { root, config, policy, now } = context;
  const readProjectFile = context.readProjectFile ?? ((file: string) => readProjectText(root, file));
  const fallbackName = pipelineNameFromFile(file);
  const compiled = compilePipelineValue(value, source, {
    name: fallbackName,
    ...(context.compileCommand !== undefined ? { compileCommand: context.compileCommand } : {}),
  });
  const { output, diagnostic } = resolveOutput(root, compiled.name, compiled.model, config);
  const diagnostics = [...compiled.diagnostics];
  if (diagnostic) diagnostics.push(diagnostic);
  // Steps, agents, conditions, options, ... against the controller's catalog, in Jenkins' words.
  const catalogCheck = compiled.model
    ? checkProjectCatalog(compiled.model, compiled.ast, config, root, (file) => dependencies.reads.set(file, readProjectFile(file)))
    : { diagnostics: [] };
  const catalogProblems = catalogCheck.diagnostics;
  diagnostics.push(...catalogProblems);
  // One read and one locator (one TypeScript parse) serve the preset-option check and locating.
  const text = readProjectText(root, source);
  let locator: SourceLocator | undefined;
  const sourceLocator = () => (locator ??= createSourceLocator(file, root, text));
  // Options a preset would silently ignore (a misspelt key) are errors at the key.
  const callsPreset = text !== undefined && mayCallPreset(text);
  if (callsPreset) dependencies.locatedText = text;
  const presetProblems = callsPreset ? checkPresetOptions(sourceLocator()) : [];
  diagnostics.push(...presetProblems);
  const result: CompiledPipeline = { ...compiled, output, diagnostics };
  // Policy runs on models that passed the schema and structure checks; a finding at or above
  // `failOn` means nothing is written for this pipeline.
  if (compiled.model && !hasErrors(diagnostics)) {
    const readFile = (file: string) => {
      const text = readProjectFile(file);
      dependencies.reads.set(file, text);
      return text;
    };
    const outcome = policy.run(compiled.model, { source, now, readFile, ...(catalogCheck.catalog ? { catalog: catalogCheck.catalog } : {}) });
    result.policy = outcome;
    for (const finding of [...outcome.findings, ...outcome.suppressed.map((s) => s.finding)]) {
      const line = jenkinsfileLocation(finding.path, output, result.lineOrigins, HEADER_LINES);
      if (line) finding.jenkinsfile = line;
    }
    diagnostics.push(...outcome.findings);
    if (outcome.failed) {
      delete result.jenkinsfile;
      delete result.ast;
    }
  }
  if (diagnostic || hasErrors(presetProblems) || hasErrors(catalogProblems)) {
    delete result.jenkinsfile;
    delete result.ast;
  }
  // Map model paths to TypeScript locations; the locator is only created when needed.
  const needLocation = diagnostics.filter((d) => !d.location && d.path);
  const suppressed = result.policy?.suppressed ?? [];
  if (needLocation.length > 0 || suppressed.length > 0) {
    if (text !== undefined) dependencies.locatedText = text;
    locateDiagnostics(sourceLocator(), diagnostics, value);
    for (const s of suppressed) {
      s.finding.location = sourceLocator().locate(s.finding.path);
      s.suppressionLocation = sourceLocator().locate(s.suppressionPath);
    }
  }
  for (const d of diagnostics) d.location ??= { file: source, line: 1, column: 1 };
  return result;
}
