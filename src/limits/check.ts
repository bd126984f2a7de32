/**
 * Jenkins' run-time limits as compile-time diagnostics: the size of the one CPS method a
 * declarative pipeline becomes (PW3040) and the depth of nested stages (PW3041). Same family as
 * PW3034 (a string constant over 65,535 bytes); see docs/limits.md.
 */
import type { Diagnostic, Severity } from '../diagnostics.ts';
import type { JenkinsfileAst } from '../jenkinsfile/ast.ts';
import { estimateMethodSize, METHOD_SIZE_LIMIT, type MethodSizeEstimate, type StageCost } from './method-size.ts';

/** Above this share of {@link METHOD_SIZE_LIMIT} the estimate is an error: the pipeline is refused. */
export const METHOD_SIZE_ERROR_RATIO = 0.85;
/** Above this share it is a warning. */
export const METHOD_SIZE_WARNING_RATIO = 0.7;
/**
 * Deepest stage nesting without a warning. Groovy 2.4.21 on Jenkins' default 1 MB thread stack
 * throws StackOverflowError compiling about 60 nested stages (measured; see groovy-parser.ts
 * MAX_NESTING_DEPTH), so compile warns above 50. It is not an error: a controller started with a
 * larger thread stack (-Xss) compiles deeper pipelines, and `validate`/`import` accept up to 256
 * levels on purpose (nothing any Jenkins can load is refused).
 */
export const MAX_STAGE_NESTING = 50;

/** The limit rules, as listed in docs/limits.md (same shape as the structure rules). */
export const LIMIT_RULES = [
  {
    code: 'PW3040',
    id: 'method-too-large',
    summary:
      'The estimated bytecode of the method Jenkins compiles the pipeline into is at most 85% of the JVM limit of 65,535 bytes (a warning above 70%): above it, Jenkins refuses the pipeline at start-up with "Method too large" (JENKINS-37984).',
    source: 'jenkins',
  },
  {
    code: 'PW3041',
    id: 'stages-nested-too-deep',
    summary: `A warning: stages nest more than ${MAX_STAGE_NESTING} deep; Jenkins' Groovy runs out of its default 1 MB thread stack from about 60 nested stages.`,
    source: 'jenkins',
  },
] as const;

/** Options of {@link checkLimits}. */
export interface LimitCheckOptions {
  /** Line the AST's first line prints on (lowered ASTs: after the generated header). Default 1. */
  firstLine?: number;
  /**
   * The Jenkinsfile being validated: diagnostics then get a `location` (the `pipeline` line, or
   * the first stage too deep). Without it (compile), they get a model `path` instead.
   */
  file?: string;
  /** How many of the costliest stages the message names. Default 5. */
  topStages?: number;
  /** Whether to warn about deep stage nesting (PW3041). Default true. */
  nesting?: boolean;
}

/** The result of {@link checkLimits}: the diagnostics and the estimate they come from. */
export interface LimitCheckResult {
  diagnostics: Diagnostic[];
  estimate: MethodSizeEstimate;
}

/**
 * Checks a Jenkinsfile AST against Jenkins' method-size and stage-nesting limits. One walk (the
 * estimate); cheap enough for every compile.
 */
export function checkLimits(ast: JenkinsfileAst, options: LimitCheckOptions = {}): LimitCheckResult {
  const estimate = estimateMethodSize(ast, options.firstLine !== undefined ? { firstLine: options.firstLine } : {});
  const diagnostics: Diagnostic[] = [];
  const size = methodSizeDiagnostic(ast, estimate, options);
  if (size) diagnostics.push(size);
  if ((options.nesting ?? true) && estimate.maxStageDepth > MAX_STAGE_NESTING) {
    const deep = estimate.stages.find((s) => s.depth === MAX_STAGE_NESTING + 1)!;
    diagnostics.push({
      code: 'PW3041',
      severity: 'warning',
      message: `stages are nested ${estimate.maxStageDepth} deep, more than ${MAX_STAGE_NESTING}: on its default 1 MB thread stack, Jenkins' Groovy compiler overflows from about 60 nested stages (StackOverflowError when the run starts); flatten the stages (sequential stages in one "stages" block need no nesting)`,
      ...where(deep, options, ast),
    });
  }
  return { diagnostics, estimate };
}

/** PW3040 for an estimate, or undefined when it is within the budget. */
function methodSizeDiagnostic(ast: JenkinsfileAst, estimate: MethodSizeEstimate, options: LimitCheckOptions): Diagnostic | undefined {
  const { bytes, name } = estimate.largest;
  const ratio = bytes / METHOD_SIZE_LIMIT;
  let severity: Severity;
  if (ratio > METHOD_SIZE_ERROR_RATIO) severity = 'error';
  else if (ratio > METHOD_SIZE_WARNING_RATIO) severity = 'warning';
  else return undefined;
  const percent = Math.round(ratio * 100);
  const inMethod = name === 'pipeline' ? 'the pipeline block' : name === 'matrix declarations' ? "a matrix's shared stages" : `script method ${name}`;
  const top = costliest(estimate, name, options.topStages ?? 5);
  const inStages = estimate.stages.filter((s) => s.method === name && s.depth === 1).reduce((sum, s) => sum + s.bytes, 0);
  const outside = inStages < bytes / 2 ? ' (most of it is outside the stages)' : '';
  const stages = top.length > 0 ? `; costliest stages: ${top.map((s) => `"${s.path.join(' > ')}" ${formatBytes(s.bytes)}`).join(', ')}${outside}` : outside;
  const verdict =
    severity === 'error'
      ? `refused above ${Math.round(METHOD_SIZE_ERROR_RATIO * 100)}%: Jenkins fails to start it with "Method too large"`
      : `refused above ${Math.round(METHOD_SIZE_ERROR_RATIO * 100)}%`;
  return {
    code: 'PW3040',
    severity,
    message: `${inMethod} compiles to about ${formatBytes(bytes)} of bytecode in one method, ${percent}% of the JVM's 65,535-byte limit (${verdict})${stages}; split the pipeline, deploy fewer environments per pipeline, or move Groovy logic into shell scripts (Declarative's SCRIPT_SPLITTING_TRANSFORMATION is off by default, experimental and refuses script-level variables; see docs/limits.md)`,
    expected: `at most ${formatBytes(Math.floor(METHOD_SIZE_LIMIT * (severity === 'error' ? METHOD_SIZE_ERROR_RATIO : METHOD_SIZE_WARNING_RATIO)))}`,
    found: formatBytes(bytes),
    ...where(undefined, options, ast),
  };
}

/**
 * The stages that cost most in `method`: top-level ones first (what a split moves), then the
 * costliest nested one of each, without listing a stage and its own parent twice.
 */
function costliest(estimate: MethodSizeEstimate, method: string, n: number): StageCost[] {
  const inMethod = estimate.stages.filter((s) => s.method === method);
  const minDepth = Math.min(...inMethod.map((s) => s.depth));
  return inMethod
    .filter((s) => s.depth === minDepth)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, n);
}

/** `12,345 bytes` */
function formatBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/** A location (validate) or model path (compile) for a diagnostic about `stage` or the whole pipeline. */
function where(stage: StageCost | undefined, options: LimitCheckOptions, ast: JenkinsfileAst): Pick<Diagnostic, 'location' | 'path'> {
  if (options.file !== undefined) {
    const loc = stage?.loc ?? ast.pipeline.loc ?? { line: 1, column: 1 };
    return { location: { file: options.file, line: loc.line, column: loc.column } };
  }
  if (stage?.origin) return { path: stage.origin };
  return { path: ['stages'] };
}
