/**
 * The compile worker: a second thread that compiles pipelines (schema, lowering, printing, limits,
 * catalog, policy, locations and the IAM side files) while the main thread compiles others, so a
 * large run uses the machine's second core (see `compile-threads.ts`, which starts it).
 *
 * It runs pipewright's own code only. It receives plain data (the resolved configuration and the
 * loaded pipeline values, the same values the main thread compiles) and answers with plain data;
 * no pipeline module is evaluated here (that stays in the sandbox worker). A build entry point
 * (`dist/compile-worker.js`); from source there is no worker and the main thread compiles all.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CompileDependencies } from './cache/compile-cache.ts';
import type { CompiledPipeline } from './compiled.ts';
import { compileModule, createRunFileReader, type PipelineCompileContext } from './compile-pipeline.ts';
import type { ResolvedConfig } from './config.ts';
import { createPolicyRunner } from './policy/engine.ts';

/** What the worker is started with (`workerData`). */
export interface CompileWorkerSetup {
  root: string;
  config: ResolvedConfig;
  /** The run's date, as milliseconds since the epoch. */
  now: number;
  compileCommand: string;
  /** Generate the IAM side files of each pipeline (`CompileOptions.sideFiles`). */
  sideFiles: boolean;
}

/** One pipeline to compile. */
export interface CompileRequest {
  id: number;
  /** Absolute path of the pipeline file. */
  file: string;
  /** Project-relative, `/` separators. */
  source: string;
  value: unknown;
}

/**
 * A compiled pipeline as the worker returns it: without `model`, `ast` and `lineOrigins` (the
 * main thread recomputes them on access; `lazy` lists those the result had) and without the
 * policy's `rules` (the same rule objects as the main thread's, which hold functions).
 */
export interface CompileReply {
  id: number;
  result?: Omit<CompiledPipeline, 'model' | 'ast' | 'lineOrigins'>;
  lazy?: ('model' | 'ast' | 'lineOrigins')[];
  reads?: CompileDependencies['reads'];
  locatedText?: string;
  /** Set when compiling threw (a bug): the main thread fails the run with it. */
  error?: { message: string; stack?: string };
}

if (parentPort) {
  const port = parentPort;
  const setup = workerData as CompileWorkerSetup;
  const readProjectFile = createRunFileReader(setup.root);
  const context: PipelineCompileContext = {
    root: setup.root,
    config: setup.config,
    policy: createPolicyRunner(setup.config.policy),
    now: new Date(setup.now),
    compileCommand: setup.compileCommand,
    readProjectFile,
  };
  const iamEmit = setup.sideFiles ? import('./iam/emit.ts').then(async (module) => (await module.readStepServiceReference(), module)) : undefined;

  const compile = async (request: CompileRequest): Promise<CompileReply> => {
    const dependencies: CompileDependencies = { reads: new Map() };
    const result = compileModule(context, request.file, request.source, request.value, dependencies);
    if (iamEmit !== undefined && result.jenkinsfile !== undefined) {
      const { assumesAwsRole, iamFilesFor } = await iamEmit;
      result.sideFiles = assumesAwsRole(result)
        ? await iamFilesFor(result, {
            root: setup.root,
            compileCommand: setup.compileCommand,
            readFile: (file) => {
              const text = readProjectFile(file);
              dependencies.reads.set(file, text);
              return text;
            },
            ...(setup.config.iam === undefined ? {} : { config: setup.config.iam }),
          })
        : [];
    }
    const lazy = (['model', 'ast', 'lineOrigins'] as const).filter((field) => result[field] !== undefined);
    const { model: _model, ast: _ast, lineOrigins: _lineOrigins, ...outputs } = result;
    if (outputs.policy) outputs.policy = { ...outputs.policy, rules: [] };
    const reply: CompileReply = { id: request.id, result: outputs, lazy, reads: dependencies.reads };
    if (dependencies.locatedText !== undefined) reply.locatedText = dependencies.locatedText;
    return reply;
  };

  port.on('message', (request: CompileRequest) => {
    compile(request).then(
      (reply) => port.postMessage(reply),
      (error: unknown) => port.postMessage({ id: request.id, error: { message: String((error as Error)?.message ?? error), stack: (error as Error)?.stack } } satisfies CompileReply),
    );
  });
}
