/**
 * One traversal of a validated pipeline, shared by every rule: all stages in execution order with
 * their effective agent, `when` chain and environment blocks; every step site wherever it can run
 * (stage steps, stage and pipeline `post` under every condition, `parallel`/`matrix` branches and
 * their `post`, nested stages, wrapper bodies, and steps called from raw Groovy in `script`
 * bodies, `when` expressions, `groovy()` values and the prologue/epilogue), each with its model
 * path, enclosing wrappers and what it has in scope (agent, credentials, AWS sessions); every raw
 * Groovy source; and (lazily) every string value. Built once per pipeline, so a pack of 40 rules
 * costs one walk, not forty, and no rule needs a traversal of its own.
 */
import type { ModelPath } from '../diagnostics.ts';
import type { Agent, Environment, PostCondition, Stage, Step, ValidPipeline, When } from '../model/schema.ts';
import { POST_CONDITIONS } from '../model/schema.ts';
import { groovyCalls, SHELL_STEP_NAMES, shellScriptOf, type GroovyCall } from './groovy-calls.ts';

/**
 * A `post` block. (`Stage['post']` is typed from the schema's input side, where step lists are
 * `unknown[]`; after validation they are steps.)
 */
type Post = Partial<Record<PostCondition, readonly Step[]>>;
const postOf = (post: unknown) => post as Post | undefined;

/** An `environment` block: the pipeline's, a stage's or a matrix's. */
export interface EnvironmentBlockInfo {
  readonly environment: Environment;
  /** e.g. `['environment']`, `['stages', 2, 'environment']`, `['stages', 1, 'matrix', 'environment']`. */
  readonly path: ModelPath;
  /** The stage declaring it (for a matrix block, the stage holding the matrix); absent for the pipeline's. */
  readonly stage: StageInfo | undefined;
}

/** An `agent` declaration: the pipeline's, a stage's or a matrix's. */
export interface AgentInfo {
  readonly agent: Agent;
  readonly path: ModelPath;
  /** The stage declaring it (for a matrix agent, the stage holding the matrix); absent for the pipeline's. */
  readonly stage: StageInfo | undefined;
}

/** `options.custom` plugin options of the pipeline or a stage. */
export interface CustomOptionsInfo {
  readonly custom: readonly { name: string }[];
  /** Path of the `custom` list. */
  readonly path: ModelPath;
}

/** A stage with the context rules need. */
export interface StageInfo {
  readonly stage: Stage;
  /** e.g. `['stages', 3]`, `['stages', 1, 'parallel', 0]`, `['stages', 2, 'matrix', 'stages', 0]`. */
  readonly path: ModelPath;
  /** Enclosing stages, outermost first. */
  readonly ancestors: readonly StageInfo[];
  /** Pre-order position among all stages (document order = execution order for sequential stages). */
  readonly order: number;
  /** Whether the stage (or an ancestor) is a branch of `parallel` or `matrix`. */
  readonly concurrent: boolean;
  /** The agent the stage's steps run on: the nearest `agent` of the stage, its ancestors or the pipeline. */
  readonly agent: Agent;
  /** Model path of that agent (`['agent']` when inherited from the pipeline). */
  readonly agentPath: ModelPath;
  /** The `when` blocks that gate the stage: its ancestors' and its own, outermost first. */
  readonly whens: readonly When[];
  /** The `environment` blocks in effect in the stage (pipeline, ancestors, matrix, its own), outermost first. */
  readonly environments: readonly EnvironmentBlockInfo[];
}

/** A Jenkins credential a step can use where it runs. */
export interface CredentialInScope {
  /** Jenkins credentials id. */
  readonly id: string;
  /** Where it is bound: the binding, environment entry or wrapper argument. */
  readonly path: ModelPath;
  /** How: `environment` (`credentials('id')`), `withCredentials`, or another wrapper step (`withAWS`, `sshagent`, ...). */
  readonly via: string;
}

/** An AWS session a step runs in (`withAWS`). */
export interface AwsSessionInScope {
  readonly role: string | undefined;
  readonly account: string | undefined;
  readonly credentialsId: string | undefined;
  readonly profile: string | undefined;
  /** Path of the `withAWS` step. */
  readonly path: ModelPath;
}

/** What a step has in scope where it runs: the reach it gets without doing anything itself. */
export interface StepScope {
  /** The agent it runs on (for the pipeline's `post`, the pipeline's agent). */
  readonly agent: Agent;
  readonly agentPath: ModelPath;
  /** Credentials bound around it: environment blocks in effect and enclosing wrappers, outermost first. */
  readonly credentials: readonly CredentialInScope[];
  /** AWS sessions of enclosing `withAWS` wrappers, outermost first. */
  readonly aws: readonly AwsSessionInScope[];
}

/** A step site: a step with the context rules need. */
export interface StepInfo {
  readonly step: Step;
  /**
   * Model path of the step; for a step called from raw Groovy, the path of the Groovy source
   * (findings and suppressions attach there).
   */
  readonly path: ModelPath;
  /** The innermost stage the step belongs to (absent for the pipeline's own `post`, environment and prologue). */
  readonly stage: StageInfo | undefined;
  /** The `post` condition the step runs under, if it is in a `post` block (of a stage or the pipeline). */
  readonly post: PostCondition | undefined;
  /** Block steps wrapping this one (`withCredentials`, `lock`, `timeout`, a `script` step, ...), outermost first. */
  readonly enclosing: readonly StepInfo[];
  /** Position among all steps in document order. */
  readonly order: number;
  /** `model` for steps written in the model; `groovy` for steps called from raw Groovy. */
  readonly origin: 'model' | 'groovy';
  /** For steps called from raw Groovy: the source and the call. */
  readonly groovy?: { readonly source: GroovySourceInfo; readonly call: GroovyCall };
  /** What the step has in scope where it runs. */
  readonly scope: StepScope;
}

/** Where a raw Groovy source sits. */
export type GroovySourceKind =
  /** A `script` step's body. */
  | 'script'
  /** `when { expression }` or a `groovy()` value inside a `when` (`equals`, ...). */
  | 'when'
  /** A `groovy()` value in an `environment` block. */
  | 'environment'
  /** A `groovy()` value anywhere else (step or option arguments, parameters, agents). */
  | 'value'
  /** `groovyPrologue` / `groovyEpilogue`. */
  | 'prologue'
  | 'epilogue';

/** A raw Groovy source in the model, with the step calls it makes. */
export interface GroovySourceInfo {
  readonly kind: GroovySourceKind;
  readonly source: string;
  /** Path of the string itself (`…groovy`, `…expression`, `…$groovy`, `groovyPrologue`). */
  readonly path: ModelPath;
  /** Path of the node findings attach to: the `script` step, the `{ $groovy }` value, the expression. */
  readonly nodePath: ModelPath;
  readonly stage: StageInfo | undefined;
  readonly post: PostCondition | undefined;
  /** The step sites of the calls it makes (outermost calls and their closures' calls). */
  readonly calls: readonly StepInfo[];
  /** All calls it makes, including calls of helper functions that are not known steps. */
  readonly allCalls: readonly GroovyCall[];
}

/** A string value somewhere in the model. */
export interface StringInfo {
  readonly value: string;
  readonly path: ModelPath;
  /** The property name holding the value (or the enclosing one for array items). */
  readonly key: string | undefined;
}

/** Which strings {@link PipelineIndex.forEachString} visits. */
export interface StringFilter {
  /** Only strings at least this long. */
  readonly minLength?: number;
  /** Not strings under these keys (the property holding the string, or for array items the array's). */
  readonly skipKeys?: ReadonlySet<string>;
}

/**
 * The traversal every rule reads (`context.index`): built once per pipeline by
 * {@link indexPipeline}, so rules never walk the model themselves and cannot miss a place a step
 * can run.
 */
export interface PipelineIndex {
  readonly pipeline: ValidPipeline;
  readonly stages: readonly StageInfo[];
  /** Every step site in document order, including steps called from raw Groovy (`origin: 'groovy'`). */
  readonly steps: readonly StepInfo[];
  /** Every raw Groovy source in document order. */
  readonly groovy: readonly GroovySourceInfo[];
  /** Every `environment` block (pipeline, stages, matrices). */
  readonly environmentBlocks: readonly EnvironmentBlockInfo[];
  /** Every `agent` declaration (pipeline, stages, matrices). */
  readonly agents: readonly AgentInfo[];
  /** Every non-empty `options.custom` list (pipeline and stages). */
  readonly customOptions: readonly CustomOptionsInfo[];
  /** Every string in the model except inside `suppressions` (computed on first use). */
  strings(): readonly StringInfo[];
  /**
   * Calls `visit` for every string of {@link strings}, in the same order, without building the
   * list: for a rule that looks at each string once and needs the path of only a few. `path()`
   * returns the current string's path (a fresh array) and is valid during that call only.
   * `filter` leaves out strings the rule would skip anyway, without a call for each.
   */
  forEachString(visit: (value: string, key: string | undefined, path: () => ModelPath) => void, filter?: StringFilter): void;
  /** Steps of one stage (including nested block steps, Groovy calls and the stage's `post`). */
  stepsOf(stage: StageInfo): readonly StepInfo[];
  /** The stage at exactly this path, if any. */
  stageAt(path: ModelPath): StageInfo | undefined;
}

const POST_ORDER: readonly PostCondition[] = POST_CONDITIONS;

const isStepLike = (value: unknown): value is Step =>
  typeof value === 'object' && value !== null && typeof (value as { step?: unknown }).step === 'string';


const pathKey = (path: ModelPath) => path.join('\u0000');

/**
 * Whether a value may hold raw Groovy (a `{ $groovy }` object; in a `when`, an `expression`
 * string): a scan without allocations, so that the values holding none (most) cost no walk that
 * builds paths. It looks at everything the walk looks at; like the walk, it leaves out nested step
 * lists (their steps are indexed, and scanned, as steps of their own).
 */
function mayHoldGroovy(value: unknown, inWhen: boolean): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayHoldGroovy(value[i], inWhen)) return true;
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'string') {
      if (key === '$groovy' || (inWhen && key === 'expression')) return true;
    } else if (key !== 'suppressions' && !isStepList(item) && mayHoldGroovy(item, inWhen)) return true;
  }
  return false;
}

/** A non-empty array of steps: a nested step list (`steps`, `body`, ...) when a property holds it. */
function isStepList(value: unknown): value is Step[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isStepLike(value[i])) return false;
  return true;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** Values of a stage or matrix, besides `when` and `environment`, evaluated around its steps. */
const STAGE_VALUE_KEYS = ['input', 'options', 'agent', 'tools'] as const;
/** Values of the pipeline, besides `environment`, that may hold raw Groovy. */
const PIPELINE_VALUE_KEYS = ['agent', 'options', 'parameters', 'triggers', 'tools'] as const;

/** Credentials an environment block binds (`NAME: credentials('id')`). */
function environmentCredentials(block: EnvironmentBlockInfo): CredentialInScope[] {
  const out: CredentialInScope[] = [];
  for (const [name, value] of Object.entries(block.environment)) {
    if (typeof value === 'object' && value !== null && 'credentials' in value) {
      out.push({ id: value.credentials, path: [...block.path, name], via: 'environment' });
    }
  }
  return out;
}

const CREDENTIAL_KEY = /^credentials?(?:Id)?$/i;

/** Credentials and AWS sessions a wrapper step adds for its body. */
function wrapperScope(info: { step: Step; path: ModelPath }): { credentials: CredentialInScope[]; aws: AwsSessionInScope[] } {
  const step = info.step;
  const credentials: CredentialInScope[] = [];
  const aws: AwsSessionInScope[] = [];
  if (step.step === 'withCredentials') {
    step.bindings.forEach((b, i) => credentials.push({ id: b.credentialsId, path: [...info.path, 'bindings', i], via: 'withCredentials' }));
  } else if (step.step === 'step' && step.body) {
    const args = step.args;
    if (Array.isArray(args)) {
      // Positional ids: `sshagent(['deploy-key'])`.
      const ids = args.flat().filter((a): a is string => typeof a === 'string');
      if (/^(?:sshagent|withCredentials)$/.test(step.name)) ids.forEach((id) => credentials.push({ id, path: [...info.path, 'args'], via: step.name }));
    } else if (args) {
      const record = args as Record<string, unknown>;
      for (const [key, value] of Object.entries(record)) {
        if (!CREDENTIAL_KEY.test(key)) continue;
        const ids = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
        ids.forEach((id) => credentials.push({ id, path: [...info.path, 'args', key], via: step.name }));
      }
      if (step.name === 'withAWS') {
        const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
        aws.push({ role: text('role'), account: text('roleAccount'), credentialsId: text('credentials'), profile: text('profile'), path: info.path });
      }
    }
  }
  return { credentials, aws };
}

/** The model step standing for a Groovy call: shells become `sh`, everything else a generic step. */
function stepOfCall(call: GroovyCall): Step {
  if (SHELL_STEP_NAMES.has(call.name)) {
    const script = shellScriptOf(call);
    const text = typeof script?.value === 'string' ? script.value : script ? `\${${script.text}}` : '';
    return { step: 'sh', script: text || '${?}' };
  }
  const named = call.args.filter((a) => a.name !== undefined);
  const value = (a: (typeof call.args)[number]) => (a.value !== undefined ? (a.value as string | string[]) : { $groovy: a.text });
  const args =
    named.length > 0
      ? Object.fromEntries(named.map((a) => [a.name!, value(a)]))
      : call.args.map(value);
  if (call.name === 'withCredentials') {
    // `withCredentials([string(credentialsId: 'x', variable: 'Y')])`: keep the ids visible.
    const ids = [...call.args.map((a) => a.text).join(' ').matchAll(/credentialsId\s*:\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    return { step: 'step', name: call.name, args: { credentialsId: ids }, body: [] };
  }
  return { step: 'step', name: call.name, args, ...(call.body.length > 0 ? { body: [] } : {}) } as Step;
}

/** Builds the index of a validated pipeline. */
export function indexPipeline(pipeline: ValidPipeline): PipelineIndex {
  return new IndexBuilder(pipeline).finish();
}

/** The agent a stage's steps run on, with its path. */
interface AgentInScope {
  readonly agent: Agent;
  readonly agentPath: ModelPath;
}

/** {@link stepContents}: a value of the step may hold raw Groovy. */
const HOLDS_GROOVY = 1;
/** {@link stepContents}: a property of the step is a nested step list. */
const HOLDS_STEPS = 2;

/**
 * What a step's own properties hold, in one pass over them: {@link HOLDS_GROOVY} when
 * {@link mayHoldGroovy} of the step would be true, {@link HOLDS_STEPS} when a property (other than
 * `suppressions`) is a nested step list. Most steps hold neither, and cost this one pass.
 */
function stepContents(step: Step): number {
  let contents = 0;
  for (const key in step) {
    const item = (step as Record<string, unknown>)[key];
    if (typeof item === 'string') {
      if (key === '$groovy') contents |= HOLDS_GROOVY;
    } else if (key !== 'suppressions' && typeof item === 'object' && item !== null) {
      if (isStepList(item)) contents |= HOLDS_STEPS;
      else if ((contents & HOLDS_GROOVY) === 0 && mayHoldGroovy(item, false)) contents |= HOLDS_GROOVY;
    }
  }
  return contents;
}

/**
 * The walk that builds one index. A class rather than closures made for each pipeline: one set of
 * functions (and their optimised code) serves the whole run, and a pipeline costs one object.
 * Its parts are small methods so that each is optimised on its own (a function holding the whole
 * walk costs much optimising-compiler time in a cold run).
 */
class IndexBuilder {
  readonly stages: StageInfo[] = [];
  readonly steps: StepInfo[] = [];
  readonly groovy: GroovySourceInfo[] = [];
  readonly environmentBlocks: EnvironmentBlockInfo[] = [];
  readonly agents: AgentInfo[] = [];
  readonly customOptions: CustomOptionsInfo[] = [];
  /** Steps of each stage, by the stage's `order`. */
  readonly stepsByStage: StepInfo[][] = [];
  /** The environment blocks in effect outside stages: the pipeline's, if it has one. */
  readonly pipelineEnvironment: EnvironmentBlockInfo[];
  /**
   * Credentials of each list of environment blocks (stages without a block of their own share
   * their parent's list), and what each wrapper adds: computed once, most sites share both.
   */
  private readonly blockCredentials = new Map<readonly EnvironmentBlockInfo[], readonly CredentialInScope[]>();
  private readonly wrapperScopes = new Map<StepInfo, ReturnType<typeof wrapperScope>>();
  /** The value {@link addGroovyValues} scans: its path, and where its Groovy runs. */
  private valueBase: ModelPath = EMPTY;
  private valueKind: GroovySourceKind = 'value';
  private valueStage: StageInfo | undefined = undefined;
  private valuePost: PostCondition | undefined = undefined;
  private valueEnclosing: readonly StepInfo[] = EMPTY;
  /** The path below {@link valueBase} during that scan, on one stack. */
  private readonly below: (string | number)[] = [];

  constructor(readonly pipeline: ValidPipeline) {
    this.pipelineEnvironment = pipeline.environment ? [{ environment: pipeline.environment, path: ['environment'], stage: undefined }] : [];
  }

  finish(): PipelineIndex {
    const { pipeline, stages, stepsByStage } = this;
    this.environmentBlocks.push(...this.pipelineEnvironment);
    this.agents.push({ agent: pipeline.agent, path: ['agent'], stage: undefined });
    if (pipeline.options?.custom?.length) this.customOptions.push({ custom: pipeline.options.custom, path: ['options', 'custom'] });
    if (pipeline.environment) this.addGroovyValues(pipeline.environment, EMPTY, 'environment', 'environment', undefined);
    for (const key of PIPELINE_VALUE_KEYS) {
      if (pipeline[key]) this.addGroovyValues(pipeline[key], EMPTY, key, 'value', undefined);
    }
    if (pipeline.groovyPrologue !== undefined) {
      this.addGroovy('prologue', pipeline.groovyPrologue, ['groovyPrologue'], ['groovyPrologue'], undefined, undefined, []);
    }
    this.addStages(pipeline.stages, ['stages'], [], false, { agent: pipeline.agent, agentPath: ['agent'] }, [], this.pipelineEnvironment);
    this.addPost(postOf(pipeline.post), [], undefined);
    if (pipeline.groovyEpilogue !== undefined) {
      this.addGroovy('epilogue', pipeline.groovyEpilogue, ['groovyEpilogue'], ['groovyEpilogue'], undefined, undefined, []);
    }

    let strings: StringInfo[] | undefined;
    // Built on the first lookup: few rules look stages up by path.
    let stageByPath: Map<string, StageInfo> | undefined;
    return {
      pipeline,
      stages,
      steps: this.steps,
      groovy: this.groovy,
      environmentBlocks: this.environmentBlocks,
      agents: this.agents,
      customOptions: this.customOptions,
      strings: () => (strings ??= collectStrings(pipeline)),
      forEachString: (visit, filter) => forEachString(pipeline, visit, filter),
      stepsOf: (stage) => (stages[stage.order] === stage ? stepsByStage[stage.order]! : []),
      stageAt: (path) => (stageByPath ??= new Map(stages.map((stage) => [pathKey(stage.path), stage]))).get(pathKey(path)),
    };
  }

  /** Scope of a site: the stage's (or pipeline's) agent and environment credentials, then its wrappers'. */
  private scopeOf(stage: StageInfo | undefined, enclosing: readonly StepInfo[]): StepScope {
    const blocks = stage ? stage.environments : this.pipelineEnvironment;
    let fromEnvironment = this.blockCredentials.get(blocks);
    if (!fromEnvironment) this.blockCredentials.set(blocks, (fromEnvironment = blocks.flatMap(environmentCredentials)));
    let credentials = fromEnvironment;
    let aws: AwsSessionInScope[] | undefined;
    if (enclosing.length > 0) {
      const withWrappers = [...fromEnvironment];
      for (const wrapper of enclosing) {
        let added = this.wrapperScopes.get(wrapper);
        if (!added) this.wrapperScopes.set(wrapper, (added = wrapperScope(wrapper)));
        withWrappers.push(...added.credentials);
        if (added.aws.length > 0) (aws ??= []).push(...added.aws);
      }
      credentials = withWrappers;
    }
    return {
      agent: stage ? stage.agent : this.pipeline.agent,
      agentPath: stage ? stage.agentPath : ['agent'],
      credentials: credentials.length > 0 ? credentials : EMPTY,
      aws: aws ?? EMPTY,
    };
  }

  private push(info: StepInfo): void {
    this.steps.push(info);
    if (info.stage) this.stepsByStage[info.stage.order]!.push(info);
  }

  /** Registers a Groovy source and a step site for each step it calls. */
  private addGroovy(
    kind: GroovySourceKind,
    source: string,
    path: ModelPath,
    nodePath: ModelPath,
    stage: StageInfo | undefined,
    post: PostCondition | undefined,
    enclosing: readonly StepInfo[],
  ): void {
    const allCalls = groovyCalls(source);
    const info: GroovySourceInfo = { kind, source, path, nodePath, stage, post, calls: [], allCalls };
    this.groovy.push(info);
    this.addCalls(info, allCalls, enclosing);
  }

  /** Step sites of the known steps among `list` (and, for calls of other functions, their closures' calls). */
  private addCalls(source: GroovySourceInfo, list: readonly GroovyCall[], outer: readonly StepInfo[]): void {
    for (const call of list) {
      if (!call.knownStep) {
        this.addCalls(source, call.body, outer);
        continue;
      }
      const site: StepInfo = {
        step: stepOfCall(call),
        path: source.path,
        stage: source.stage,
        post: source.post,
        enclosing: outer,
        order: this.steps.length,
        origin: 'groovy',
        groovy: { source, call },
        scope: this.scopeOf(source.stage, outer),
      };
      (source.calls as StepInfo[]).push(site);
      this.push(site);
      if (call.body.length > 0) this.addCalls(source, call.body, [...outer, site]);
    }
  }

  /**
   * Raw Groovy inside the value of `key` in the node at `parent` (the pipeline, a stage or a
   * matrix): `{ $groovy }` objects, and `expression` strings inside `when`. Most values hold none:
   * they cost the allocation-free scan only, and their path is never built.
   */
  private addGroovyValues(value: unknown, parent: ModelPath, key: string, kind: GroovySourceKind, stage: StageInfo | undefined): void {
    if (!mayHoldGroovy(value, kind === 'when')) return;
    this.walkGroovyValues(value, [...parent, key], kind, stage, undefined, EMPTY);
  }

  /** {@link addGroovyValues} of a value known to hold some. */
  private walkGroovyValues(
    value: unknown,
    base: ModelPath,
    kind: GroovySourceKind,
    stage: StageInfo | undefined,
    post: PostCondition | undefined,
    enclosing: readonly StepInfo[],
  ): void {
    // A Groovy source registers step sites but never scans values, so one scan at a time.
    this.valueBase = base;
    this.valueKind = kind;
    this.valueStage = stage;
    this.valuePost = post;
    this.valueEnclosing = enclosing;
    this.below.length = 0;
    this.walkValue(value as object);
  }

  private pathHere(): (string | number)[] {
    return [...this.valueBase, ...this.below];
  }

  private walkValue(node: object): void {
    const below = this.below;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (typeof item !== 'object' || item === null) continue;
        below.push(i);
        this.walkValue(item);
        below.pop();
      }
      return;
    }
    const record = node as Record<string, unknown>;
    const source = record['$groovy'];
    if (typeof source === 'string') {
      this.addGroovy(this.valueKind, source, [...this.pathHere(), '$groovy'], this.pathHere(), this.valueStage, this.valuePost, this.valueEnclosing);
      return;
    }
    for (const key in record) {
      if (key === 'suppressions') continue;
      const item = record[key];
      if (this.valueKind === 'when' && key === 'expression' && typeof item === 'string') {
        this.addGroovy('when', item, [...this.pathHere(), key], [...this.pathHere(), key], this.valueStage, this.valuePost, this.valueEnclosing);
      } else if (typeof item === 'object' && item !== null && !isStepList(item)) {
        below.push(key);
        this.walkValue(item);
        below.pop();
      }
    }
  }

  private addSteps(
    list: readonly Step[],
    base: ModelPath,
    stage: StageInfo | undefined,
    post: PostCondition | undefined,
    enclosing: readonly StepInfo[],
  ): void {
    // Every step of the list has the same stage and wrappers, so the same scope.
    let scope: StepScope | undefined;
    for (let i = 0; i < list.length; i++) {
      const step = list[i]!;
      const path = [...base, i];
      const contents = stepContents(step);
      // Arguments are evaluated where the step is called, before it runs.
      if ((contents & HOLDS_GROOVY) !== 0 && step.step !== 'script') this.walkGroovyValues(step, path, 'value', stage, post, enclosing);
      const info: StepInfo = { step, path, stage, post, enclosing, order: this.steps.length, origin: 'model', scope: (scope ??= this.scopeOf(stage, enclosing)) };
      this.push(info);
      if (step.step === 'script' || (contents & HOLDS_STEPS) !== 0) this.addBody(step, info);
    }
  }

  /** A `script` step's Groovy and a block step's nested step lists (`steps`, `body`, ...), which run inside it. */
  private addBody(step: Step, info: StepInfo): void {
    const { path, stage, post } = info;
    const inner = [...info.enclosing, info];
    if (step.step === 'script') this.addGroovy('script', step.groovy, [...path, 'groovy'], path, stage, post, inner);
    for (const key in step) {
      const nested = (step as Record<string, unknown>)[key];
      if (key !== 'suppressions' && isStepList(nested)) this.addSteps(nested, [...path, key], stage, post, inner);
    }
  }

  private addPost(post: Post | undefined, base: ModelPath, stage: StageInfo | undefined): void {
    if (!post) return;
    for (const condition of POST_ORDER) {
      const list = post[condition];
      if (list) this.addSteps(list, [...base, 'post', condition], stage, condition, []);
    }
  }

  /** `when`, `environment`, `input`, `options`, `agent` and `tools` of a stage or matrix: values evaluated around its steps. */
  private addStageValues(holder: Record<string, unknown>, path: ModelPath, stage: StageInfo): void {
    if (holder['when']) this.addGroovyValues(holder['when'], path, 'when', 'when', stage);
    if (holder['environment']) this.addGroovyValues(holder['environment'], path, 'environment', 'environment', stage);
    for (let i = 0; i < STAGE_VALUE_KEYS.length; i++) {
      const key = STAGE_VALUE_KEYS[i]!;
      if (holder[key]) this.addGroovyValues(holder[key], path, key, 'value', stage);
    }
  }

  private addStages(
    list: readonly Stage[],
    base: ModelPath,
    ancestors: readonly StageInfo[],
    concurrent: boolean,
    inherited: AgentInScope,
    whens: readonly When[],
    environments: readonly EnvironmentBlockInfo[],
  ): void {
    for (let i = 0; i < list.length; i++) this.addStage(list[i]!, [...base, i], ancestors, concurrent, inherited, whens, environments);
  }

  private addStage(
    stage: Stage,
    path: ModelPath,
    ancestors: readonly StageInfo[],
    concurrent: boolean,
    inherited: AgentInScope,
    whens: readonly When[],
    environments: readonly EnvironmentBlockInfo[],
  ): void {
    const own: AgentInScope = stage.agent !== undefined ? { agent: stage.agent, agentPath: [...path, 'agent'] } : inherited;
    const ownWhens = stage.when ? [...whens, stage.when] : whens;
    const info: StageInfo = {
      stage,
      path,
      ancestors,
      order: this.stages.length,
      concurrent,
      agent: own.agent,
      agentPath: own.agentPath,
      whens: ownWhens,
      environments,
    };
    if (stage.environment) {
      const block: EnvironmentBlockInfo = { environment: stage.environment, path: [...path, 'environment'], stage: info };
      this.environmentBlocks.push(block);
      (info as { environments: readonly EnvironmentBlockInfo[] }).environments = [...environments, block];
    }
    if (stage.agent !== undefined) this.agents.push({ agent: stage.agent, path: [...path, 'agent'], stage: info });
    if (stage.options?.custom?.length) this.customOptions.push({ custom: stage.options.custom, path: [...path, 'options', 'custom'] });
    this.stages.push(info);
    this.stepsByStage.push([]);
    this.addStageValues(stage as unknown as Record<string, unknown>, path, info);
    if (stage.steps) this.addSteps(stage.steps, [...path, 'steps'], info, undefined, []);
    if (stage.stages || stage.parallel || stage.matrix) {
      const inner = [...ancestors, info];
      if (stage.stages) this.addStages(stage.stages, [...path, 'stages'], inner, concurrent, own, ownWhens, info.environments);
      if (stage.parallel) this.addStages(stage.parallel, [...path, 'parallel'], inner, true, own, ownWhens, info.environments);
      if (stage.matrix) this.addMatrix(stage.matrix, [...path, 'matrix'], info, inner, own, ownWhens);
    }
    this.addPost(postOf(stage.post), path, info);
  }

  private addMatrix(
    m: NonNullable<Stage['matrix']>,
    matrixPath: ModelPath,
    info: StageInfo,
    inner: readonly StageInfo[],
    own: AgentInScope,
    ownWhens: readonly When[],
  ): void {
    const matrixAgent = m.agent !== undefined ? { agent: m.agent, agentPath: [...matrixPath, 'agent'] } : own;
    if (m.agent !== undefined) this.agents.push({ agent: m.agent, path: [...matrixPath, 'agent'], stage: info });
    const matrixWhens = m.when ? [...ownWhens, m.when] : ownWhens;
    let matrixEnvironments = info.environments;
    if (m.environment) {
      const block: EnvironmentBlockInfo = { environment: m.environment, path: [...matrixPath, 'environment'], stage: info };
      this.environmentBlocks.push(block);
      matrixEnvironments = [...matrixEnvironments, block];
    }
    if (m.options?.custom?.length) this.customOptions.push({ custom: m.options.custom, path: [...matrixPath, 'options', 'custom'] });
    this.addStageValues(m as unknown as Record<string, unknown>, matrixPath, info);
    this.addStages(m.stages, [...matrixPath, 'stages'], inner, true, matrixAgent, matrixWhens, matrixEnvironments);
    this.addPost(postOf(m.post), matrixPath, info);
  }
}

/** A link in a path under construction: paths are only materialised for strings a rule asks about. */
interface PathLink {
  readonly parent: PathLink | undefined;
  readonly segment: string | number;
}

function materialise(link: PathLink | undefined): (string | number)[] {
  const out: (string | number)[] = [];
  for (let l = link; l; l = l.parent) out.push(l.segment);
  return out.reverse();
}

class LazyString implements StringInfo {
  private cached: ModelPath | undefined;
  constructor(
    readonly value: string,
    readonly key: string | undefined,
    private readonly link: PathLink | undefined,
  ) {}
  get path(): ModelPath {
    return (this.cached ??= materialise(this.link));
  }
}

function collectStrings(root: unknown): StringInfo[] {
  const out: StringInfo[] = [];
  const visit = (value: unknown, link: PathLink | undefined, key: string | undefined) => {
    if (typeof value === 'string') out.push(new LazyString(value, key, link));
    else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(value[i], { parent: link, segment: i }, key);
    } else if (typeof value === 'object' && value !== null) {
      for (const k in value) {
        if (k === 'suppressions') continue;
        visit((value as Record<string, unknown>)[k], { parent: link, segment: k }, k);
      }
    }
  };
  visit(root, undefined, undefined);
  return out;
}

/** The walk of {@link collectStrings} with the path on one stack, copied only when asked for. */
function forEachString(
  root: unknown,
  visit: (value: string, key: string | undefined, path: () => ModelPath) => void,
  filter: StringFilter | undefined,
): void {
  const minLength = filter?.minLength ?? 0;
  const skipKeys = filter?.skipKeys ?? NO_KEYS;
  if (typeof root === 'string') {
    if (root.length >= minLength) visit(root, undefined, () => []);
  } else if (typeof root === 'object' && root !== null) new StringWalk(visit, minLength, skipKeys).walk(root, undefined, false);
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * One {@link forEachString} walk. It runs over every node of every pipeline (SECRET-001), mostly
 * in cold code, so the walk is one method on an object rather than closures made per call, and
 * strings and other leaves are handled in the loop without a call of their own.
 */
class StringWalk {
  /** Keys and indexes from the root to the current node; `stack[0..depth)` is its path. */
  private readonly stack: (string | number)[] = [];
  private depth = 0;
  /** The current string's path (a fresh array). */
  readonly path = (): ModelPath => this.stack.slice(0, this.depth);

  constructor(
    private readonly visit: (value: string, key: string | undefined, path: () => ModelPath) => void,
    private readonly minLength: number,
    private readonly skipKeys: ReadonlySet<string>,
  ) {}

  /**
   * Visits the strings below `node` (an object or array) whose path is `stack[0..depth)`. `key`
   * names the items of an array, and `skipped` says whether it is one of the keys left out.
   */
  walk(node: object, key: string | undefined, skipped: boolean): void {
    const { stack, minLength } = this;
    const depth = this.depth;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (typeof item === 'string') {
          if (skipped || item.length < minLength) continue;
          stack[depth] = i;
          this.depth = depth + 1;
          this.visit(item, key, this.path);
        } else if (typeof item === 'object' && item !== null) {
          stack[depth] = i;
          this.depth = depth + 1;
          this.walk(item, key, skipped);
        }
      }
    } else {
      for (const k in node) {
        if (k === 'suppressions') continue;
        const item = (node as Record<string, unknown>)[k];
        if (typeof item === 'string') {
          if (item.length < minLength || this.skipKeys.has(k)) continue;
          stack[depth] = k;
          this.depth = depth + 1;
          this.visit(item, k, this.path);
        } else if (typeof item === 'object' && item !== null) {
          stack[depth] = k;
          this.depth = depth + 1;
          this.walk(item, k, Array.isArray(item) && this.skipKeys.has(k));
        }
      }
    }
    this.depth = depth;
  }
}

/** Whether `path` is `prefix` or lies inside it. */
export function isPathWithin(path: ModelPath, prefix: ModelPath): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}
