/**
 * The authoring DSL: what a `*.pipeline.ts` file imports from `pipewright`.
 *
 * Everything here is a plain function returning plain data, with no runtime dependencies, so
 * loading a thousand pipelines stays cheap. Validation happens in the compiler, against the zod
 * schemas in `src/model/schema.ts`, never here.
 *
 * @example
 * ```ts
 * import { definePipeline, sh, junit } from 'pipewright';
 *
 * export default definePipeline({
 *   agent: { type: 'label', label: 'linux' },
 *   stages: [{ name: 'Test', steps: [sh('npm ci'), sh('npm test'), junit('reports/*.xml')] }],
 * });
 * ```
 */
import type {
  ArchiveArtifactsStep,
  CheckoutScmStep,
  CredentialBinding,
  DirStep,
  EchoStep,
  GenericStep,
  GitStep,
  GroovyExpression,
  GroovyValue,
  JunitStep,
  LockStep,
  Pipeline,
  RetryStep,
  ScriptStep,
  ShStep,
  Stage,
  StashStep,
  Step,
  TimeoutStep,
  TimeUnit,
  UnstashStep,
  WithCredentialsStep,
} from '../model/schema.ts';
import type { PipewrightConfig } from '../config.ts';

export type * from '../model/schema.ts';
export type * from '../model/delivery.ts';
// Typed delivery steps, stage helpers and the nodeService/reactApp presets (also dependency-free).
export * from '../presets/index.ts';
// Custom policy rules (listed in pipewright.config.ts): the rule API and the delivery facts helper.
export { defineRule } from '../policy/rule.ts';
export type { Rule, RuleContext, RuleFinding, RuleMeta } from '../policy/rule.ts';
export { deliveryFacts } from '../policy/facts.ts';
export type { DeliveryFacts, DeployFact, ApprovalFact } from '../policy/facts.ts';
export type { PipelineIndex, StageInfo, StepInfo } from '../policy/model-index.ts';

/** Marks the default export of a pipeline module. Used by the loader to recognise it. */
export const PIPELINE_MARKER = Symbol.for('pipewright.pipeline');

/**
 * Declares a pipeline. Returns its argument unchanged (marked for the loader); it exists for type
 * checking and editor completion. Export the result as the module's default export.
 *
 * The parameter is typed `Pipeline`, not a generic `P extends Pipeline`: only a non-generic
 * parameter gets TypeScript's excess-property check, which is what turns a misspelt key
 * (`stpes`) into a compile error.
 */
export function definePipeline(pipeline: Pipeline): Pipeline {
  Object.defineProperty(pipeline, PIPELINE_MARKER, { value: true, enumerable: false });
  return pipeline;
}

/** Declares a stage (identity helper for completion in shared modules). */
export function defineStage(stage: Stage): Stage {
  return stage;
}

/**
 * `credentials('id')` in `environment`: binds a Jenkins credential. For username/password
 * credentials Jenkins also sets `NAME_USR` and `NAME_PSW`.
 */
export function credentials(id: string): { credentials: string } {
  return { credentials: id };
}

/**
 * A raw Groovy expression (escape hatch). Emitted verbatim, so it can do anything: the policy
 * engine flags every use. Prefer literal values and shell `$VARS`.
 */
export function groovy(source: string): GroovyExpression {
  return { $groovy: source };
}

type Options<T> = Omit<T, 'step'>;

/**
 * Runs a shell script. The script is emitted as a single-quoted Groovy literal, so `$VAR` is
 * expanded by the shell at run time and never by Groovy.
 */
export function sh(script: string, options: Omit<Options<ShStep>, 'script'> = {}): ShStep {
  return { step: 'sh', script, ...options };
}

/** Prints a message to the build log. */
export function echo(message: string): EchoStep {
  return { step: 'echo', message };
}

/** `checkout scm`: checks out the revision the pipeline was loaded from. */
export function checkoutScm(): CheckoutScmStep {
  return { step: 'checkout', scm: true };
}

/** Clones a git repository. */
export function git(options: Options<GitStep>): GitStep {
  return { step: 'git', ...options };
}

/** Publishes JUnit XML test reports. */
export function junit(testResults: string, options: Omit<Options<JunitStep>, 'testResults'> = {}): JunitStep {
  return { step: 'junit', testResults, ...options };
}

/** Archives build artifacts. */
export function archiveArtifacts(
  artifacts: string,
  options: Omit<Options<ArchiveArtifactsStep>, 'artifacts'> = {},
): ArchiveArtifactsStep {
  return { step: 'archiveArtifacts', artifacts, ...options };
}

/** Stashes files for a later stage on another agent. */
export function stash(name: string, options: Omit<Options<StashStep>, 'name'> = {}): StashStep {
  return { step: 'stash', name, ...options };
}

/** Restores a stash. */
export function unstash(name: string): UnstashStep {
  return { step: 'unstash', name };
}

/** Runs steps in a subdirectory of the workspace. */
export function dir(path: string, steps: Step[]): DirStep {
  return { step: 'dir', path, steps };
}

/** Binds credentials to environment variables for the nested steps only. */
export function withCredentials(bindings: CredentialBinding[], steps: Step[]): WithCredentialsStep {
  return { step: 'withCredentials', bindings, steps };
}

/** Credential binding helpers for {@link withCredentials}. */
export const bind = {
  /** Username and password into two variables. */
  usernamePassword: (credentialsId: string, usernameVariable: string, passwordVariable: string): CredentialBinding => ({
    type: 'usernamePassword',
    credentialsId,
    usernameVariable,
    passwordVariable,
  }),
  /** Secret text into a variable. */
  string: (credentialsId: string, variable: string): CredentialBinding => ({ type: 'string', credentialsId, variable }),
  /** Secret file; the variable holds its path. */
  file: (credentialsId: string, variable: string): CredentialBinding => ({ type: 'file', credentialsId, variable }),
  /** SSH private key file (plus optional user name and passphrase variables). */
  sshUserPrivateKey: (
    credentialsId: string,
    keyFileVariable: string,
    options: { usernameVariable?: string; passphraseVariable?: string } = {},
  ): CredentialBinding => ({ type: 'sshUserPrivateKey', credentialsId, keyFileVariable, ...options }),
};

/** Fails the nested steps if they take longer than `time` (default unit MINUTES). */
export function timeout(time: number, steps: Step[], options: { unit?: TimeUnit; activity?: boolean } = {}): TimeoutStep {
  return { step: 'timeout', time, ...options, steps };
}

/** Retries the nested steps up to `count` times. */
export function retry(count: number, steps: Step[]): RetryStep {
  return { step: 'retry', count, steps };
}

/** Holds a lockable resource while the nested steps run. */
export function lock(resource: string, steps: Step[], options: Omit<Options<LockStep>, 'steps' | 'resource'> = {}): LockStep {
  return { step: 'lock', resource, ...options, steps };
}

/**
 * Raw Groovy inside `script { }`: the escape hatch for anything the DSL does not model. Emitted
 * verbatim (its braces must balance); the policy engine flags every use.
 */
export function script(groovySource: string): ScriptStep {
  return { step: 'script', groovy: groovySource };
}

/**
 * Any Jenkins step by name, for plugin steps pipewright does not model. Arguments are emitted as
 * literals.
 *
 * @example step('recordIssues', { tools: [groovy("sarif(pattern: 'reports/*.sarif')")] })
 */
export function step(
  name: string,
  args?: readonly GroovyValue[] | { readonly [key: string]: GroovyValue },
  body?: Step[],
): GenericStep {
  const result: GenericStep = { step: 'step', name };
  if (args !== undefined) result.args = args;
  if (body !== undefined) result.body = body;
  return result;
}

/** Declares the project configuration in `pipewright.config.ts` (identity, for completion). */
export function defineConfig(config: PipewrightConfig): PipewrightConfig {
  return config;
}
