/**
 * The shape of one compiled pipeline, on its own so that the compiler's modules (compile.ts,
 * compile-pipeline.ts, the result cache) can share it without importing each other in a circle.
 */
import type { Diagnostic } from './diagnostics.ts';
import type { JenkinsfileAst } from './jenkinsfile/ast.ts';
import type { ValidPipeline } from './model/schema.ts';
import type { PolicyResult } from './policy/engine.ts';

/** A file generated beside a pipeline's Jenkinsfile (its IAM policies), or why it could not be generated. */
export interface SideFile {
  /** Project-relative, `/` separators (for an error: the directory the files would go to). */
  file: string;
  /** The file's complete text, header included (absent with `error`). */
  text?: string;
  /** Why the file could not be generated (one line). */
  error?: string;
}

/**
 * The result of compiling one pipeline source file.
 *
 * A result served from the persistent result cache (see {@link CompileOptions.resultCache}) is the
 * same as a fresh one; its `model`, `ast` and `lineOrigins` are computed from the loaded value
 * on first access (accessor properties), so callers that never read them never pay for them.
 */
export interface CompiledPipeline {
  /** Source file, relative to the project root, `/` separators. */
  source: string;
  /** Pipeline name (from `name`, else the file name without `.pipeline.ts`). */
  name: string;
  /** Output path, relative to the project root, `/` separators. */
  output: string;
  /** Errors and warnings, with TypeScript source locations. */
  diagnostics: Diagnostic[];
  /** The validated model (absent when the source did not load or failed the schema). */
  model?: ValidPipeline;
  /** The lowered Jenkinsfile AST (absent when there are errors). */
  ast?: JenkinsfileAst;
  /** The complete Jenkinsfile text, header included (absent when there are errors). */
  jenkinsfile?: string;
  /** For each line of `jenkinsfile`, the model path that produced it (for source maps). */
  lineOrigins?: (readonly (string | number)[] | undefined)[];
  /** Policy result (absent when the pipeline did not get as far as the policy). Its active findings are also in `diagnostics`. */
  policy?: PolicyResult;
  /**
   * The files generated beside the Jenkinsfile (`iam/<env>.json` for a pipeline that assumes AWS
   * roles), when the run computed them (`CompileOptions.sideFiles`); writing and `--check`
   * compute them otherwise.
   */
  sideFiles?: SideFile[];
}
