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
   */
  forEachString(visit: (value: string, key: string | undefined, path: () => ModelPath) => void): void;
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
const isStepList = (value: unknown): value is Step[] => Array.isArray(value) && value.length > 0 && value.every(isStepLike);

const EMPTY: readonly never[] = Object.freeze([]);

/** Values of a stage or matrix, besides `when` and `environment`, evaluated around its steps. */
const STAGE_VALUE_KEYS = ['input', 'options', 'agent', 'tools'] as const;

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
  const stages: StageInfo[] = [];
  const steps: StepInfo[] = [];
  const groovy: GroovySourceInfo[] = [];
  const environmentBlocks: EnvironmentBlockInfo[] = [];
  const agents: AgentInfo[] = [];
  const customOptions: CustomOptionsInfo[] = [];
  /** Steps of each stage, by the stage's `order`. */
  const stepsByStage: StepInfo[][] = [];

  const pipelineEnvironment: EnvironmentBlockInfo[] = pipeline.environment
    ? [{ environment: pipeline.environment, path: ['environment'], stage: undefined }]
    : [];
  environmentBlocks.push(...pipelineEnvironment);
  agents.push({ agent: pipeline.agent, path: ['agent'], stage: undefined });
  if (pipeline.options?.custom?.length) customOptions.push({ custom: pipeline.options.custom, path: ['options', 'custom'] });

  /** Scope of a site: the stage's (or pipeline's) agent and environment credentials, then its wrappers'. */
  // Per list of environment blocks (stages without a block of their own share their parent's) and
  // per wrapper, computed once: most sites share both.
  const blockCredentials = new Map<readonly EnvironmentBlockInfo[], CredentialInScope[]>();
  const wrapperScopes = new Map<StepInfo, ReturnType<typeof wrapperScope>>();
  const scopeOf = (stage: StageInfo | undefined, enclosing: readonly StepInfo[]): StepScope => {
    const blocks = stage ? stage.environments : pipelineEnvironment;
    let fromEnvironment = blockCredentials.get(blocks);
    if (!fromEnvironment) blockCredentials.set(blocks, (fromEnvironment = blocks.flatMap(environmentCredentials)));
    const credentials: CredentialInScope[] = [...fromEnvironment];
    const aws: AwsSessionInScope[] = [];
    for (const wrapper of enclosing) {
      let added = wrapperScopes.get(wrapper);
      if (!added) wrapperScopes.set(wrapper, (added = wrapperScope(wrapper)));
      credentials.push(...added.credentials);
      aws.push(...added.aws);
    }
    return {
      agent: stage ? stage.agent : pipeline.agent,
      agentPath: stage ? stage.agentPath : ['agent'],
      credentials: credentials.length > 0 ? credentials : EMPTY,
      aws: aws.length > 0 ? aws : EMPTY,
    };
  };

  const push = (info: StepInfo) => {
    steps.push(info);
    if (info.stage) stepsByStage[info.stage.order]!.push(info);
  };

  /** Registers a Groovy source and a step site for each step it calls. */
  const addGroovy = (
    kind: GroovySourceKind,
    source: string,
    path: ModelPath,
    nodePath: ModelPath,
    stage: StageInfo | undefined,
    post: PostCondition | undefined,
    enclosing: readonly StepInfo[],
  ) => {
    const allCalls = groovyCalls(source);
    const calls: StepInfo[] = [];
    const info: GroovySourceInfo = { kind, source, path, nodePath, stage, post, calls, allCalls };
    groovy.push(info);
    const visit = (list: readonly GroovyCall[], outer: readonly StepInfo[]) => {
      for (const call of list) {
        if (!call.knownStep) {
          visit(call.body, outer);
          continue;
        }
        const site: StepInfo = {
          step: stepOfCall(call),
          path,
          stage,
          post,
          enclosing: outer,
          order: steps.length,
          origin: 'groovy',
          groovy: { source: info, call },
          scope: scopeOf(stage, outer),
        };
        calls.push(site);
        push(site);
        if (call.body.length > 0) visit(call.body, [...outer, site]);
      }
    };
    visit(allCalls, enclosing);
  };

  /**
   * Raw Groovy inside a value: `{ $groovy }` objects, and `expression` strings inside `when`. The
   * walk keeps the path below `base` on one stack and copies it only for a Groovy source it finds
   * (most values hold none).
   */
  const addGroovyValues = (
    value: unknown,
    base: ModelPath,
    kind: GroovySourceKind,
    stage: StageInfo | undefined,
    post: PostCondition | undefined,
    enclosing: readonly StepInfo[],
  ) => {
    if (!mayHoldGroovy(value, kind === 'when')) return;
    const below: (string | number)[] = [];
    const pathHere = (): (string | number)[] => [...base, ...below];
    const walk = (node: object): void => {
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          const item: unknown = node[i];
          if (typeof item !== 'object' || item === null) continue;
          below.push(i);
          walk(item);
          below.pop();
        }
        return;
      }
      const record = node as Record<string, unknown>;
      const source = record['$groovy'];
      if (typeof source === 'string') {
        addGroovy(kind, source, [...pathHere(), '$groovy'], pathHere(), stage, post, enclosing);
        return;
      }
      for (const key in record) {
        if (key === 'suppressions') continue;
        const item = record[key];
        if (kind === 'when' && key === 'expression' && typeof item === 'string') {
          addGroovy(kind, item, [...pathHere(), key], [...pathHere(), key], stage, post, enclosing);
        } else if (typeof item === 'object' && item !== null && !isStepList(item)) {
          below.push(key);
          walk(item);
          below.pop();
        }
      }
    };
    walk(value as object);
  };

  const addSteps = (
    list: readonly Step[],
    base: ModelPath,
    stage: StageInfo | undefined,
    post: PostCondition | undefined,
    enclosing: readonly StepInfo[],
  ) => {
    // Every step of the list has the same stage and wrappers, so the same scope.
    let scope: StepScope | undefined;
    for (let i = 0; i < list.length; i++) {
      const step = list[i]!;
      const path = [...base, i];
      // Arguments are evaluated where the step is called, before it runs.
      if (step.step !== 'script') addGroovyValues(step, path, 'value', stage, post, enclosing);
      const info: StepInfo = { step, path, stage, post, enclosing, order: steps.length, origin: 'model', scope: (scope ??= scopeOf(stage, enclosing)) };
      push(info);
      let inner: readonly StepInfo[] | undefined;
      if (step.step === 'script') addGroovy('script', step.groovy, [...path, 'groovy'], path, stage, post, (inner ??= [...enclosing, info]));
      // Nested step lists of a block step: every array property whose items are steps (`steps`, `body`, ...).
      for (const key in step) {
        const nested = (step as Record<string, unknown>)[key];
        if (key !== 'suppressions' && isStepList(nested)) addSteps(nested, [...path, key], stage, post, (inner ??= [...enclosing, info]));
      }
    }
  };

  const addPost = (post: Post | undefined, base: ModelPath, stage: StageInfo | undefined) => {
    if (!post) return;
    for (const condition of POST_ORDER) {
      const list = post[condition];
      if (list) addSteps(list, [...base, 'post', condition], stage, condition, []);
    }
  };

  /** `when`, `environment`, `input`, `options`, `agent` and `tools` of a stage or matrix: values evaluated around its steps. */
  const addStageValues = (holder: Record<string, unknown>, path: ModelPath, stage: StageInfo) => {
    if (holder['when']) addGroovyValues(holder['when'], [...path, 'when'], 'when', stage, undefined, []);
    if (holder['environment']) addGroovyValues(holder['environment'], [...path, 'environment'], 'environment', stage, undefined, []);
    for (const key of STAGE_VALUE_KEYS) {
      if (holder[key]) addGroovyValues(holder[key], [...path, key], 'value', stage, undefined, []);
    }
  };

  if (pipeline.environment) addGroovyValues(pipeline.environment, ['environment'], 'environment', undefined, undefined, []);
  for (const key of ['agent', 'options', 'parameters', 'triggers', 'tools'] as const) {
    if (pipeline[key]) addGroovyValues(pipeline[key], [key], 'value', undefined, undefined, []);
  }
  if (pipeline.groovyPrologue !== undefined) {
    addGroovy('prologue', pipeline.groovyPrologue, ['groovyPrologue'], ['groovyPrologue'], undefined, undefined, []);
  }

  const addStages = (
    list: readonly Stage[],
    base: ModelPath,
    ancestors: readonly StageInfo[],
    concurrent: boolean,
    inherited: { agent: Agent; agentPath: ModelPath },
    whens: readonly When[],
    environments: readonly EnvironmentBlockInfo[],
  ) => {
    list.forEach((stage, i) => {
      const path = [...base, i];
      const own = stage.agent !== undefined ? { agent: stage.agent, agentPath: [...path, 'agent'] } : inherited;
      const ownWhens = stage.when ? [...whens, stage.when] : whens;
      const info: StageInfo = {
        stage,
        path,
        ancestors,
        order: stages.length,
        concurrent,
        agent: own.agent,
        agentPath: own.agentPath,
        whens: ownWhens,
        environments,
      };
      if (stage.environment) {
        const block: EnvironmentBlockInfo = { environment: stage.environment, path: [...path, 'environment'], stage: info };
        environmentBlocks.push(block);
        (info as { environments: readonly EnvironmentBlockInfo[] }).environments = [...environments, block];
      }
      if (stage.agent !== undefined) agents.push({ agent: stage.agent, path: [...path, 'agent'], stage: info });
      if (stage.options?.custom?.length) customOptions.push({ custom: stage.options.custom, path: [...path, 'options', 'custom'] });
      stages.push(info);
      stepsByStage.push([]);
      addStageValues(stage as unknown as Record<string, unknown>, path, info);
      if (stage.steps) addSteps(stage.steps, [...path, 'steps'], info, undefined, []);
      const inner = [...ancestors, info];
      if (stage.stages) addStages(stage.stages, [...path, 'stages'], inner, concurrent, own, ownWhens, info.environments);
      if (stage.parallel) addStages(stage.parallel, [...path, 'parallel'], inner, true, own, ownWhens, info.environments);
      if (stage.matrix) {
        const m = stage.matrix;
        const matrixPath = [...path, 'matrix'];
        const matrixAgent = m.agent !== undefined ? { agent: m.agent, agentPath: [...matrixPath, 'agent'] } : own;
        if (m.agent !== undefined) agents.push({ agent: m.agent, path: [...matrixPath, 'agent'], stage: info });
        const matrixWhens = m.when ? [...ownWhens, m.when] : ownWhens;
        let matrixEnvironments = info.environments;
        if (m.environment) {
          const block: EnvironmentBlockInfo = { environment: m.environment, path: [...matrixPath, 'environment'], stage: info };
          environmentBlocks.push(block);
          matrixEnvironments = [...matrixEnvironments, block];
        }
        if (m.options?.custom?.length) customOptions.push({ custom: m.options.custom, path: [...matrixPath, 'options', 'custom'] });
        addStageValues(m as unknown as Record<string, unknown>, matrixPath, info);
        addStages(m.stages, [...matrixPath, 'stages'], inner, true, matrixAgent, matrixWhens, matrixEnvironments);
        addPost(postOf(m.post), matrixPath, info);
      }
      addPost(postOf(stage.post), path, info);
    });
  };

  addStages(pipeline.stages, ['stages'], [], false, { agent: pipeline.agent, agentPath: ['agent'] }, [], pipelineEnvironment);
  addPost(postOf(pipeline.post), [], undefined);
  if (pipeline.groovyEpilogue !== undefined) {
    addGroovy('epilogue', pipeline.groovyEpilogue, ['groovyEpilogue'], ['groovyEpilogue'], undefined, undefined, []);
  }

  let strings: StringInfo[] | undefined;
  // Built on the first lookup: few rules look stages up by path.
  let stageByPath: Map<string, StageInfo> | undefined;
  return {
    pipeline,
    stages,
    steps,
    groovy,
    environmentBlocks,
    agents,
    customOptions,
    strings: () => (strings ??= collectStrings(pipeline)),
    forEachString: (visit) => forEachString(pipeline, visit),
    stepsOf: (stage) => (stages[stage.order] === stage ? stepsByStage[stage.order]! : []),
    stageAt: (path) => (stageByPath ??= new Map(stages.map((stage) => [pathKey(stage.path), stage]))).get(pathKey(path)),
  };
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
function forEachString(root: unknown, visit: (value: string, key: string | undefined, path: () => ModelPath) => void): void {
  const stack: (string | number)[] = [];
  const path = (): ModelPath => stack.slice();
  const walk = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') visit(value, key, path);
    else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        stack.push(i);
        walk(value[i], key);
        stack.pop();
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const k in value) {
        if (k === 'suppressions') continue;
        stack.push(k);
        walk((value as Record<string, unknown>)[k], k);
        stack.pop();
      }
    }
  };
  walk(root, undefined);
}

/** Whether `path` is `prefix` or lies inside it. */
export function isPathWithin(path: ModelPath, prefix: ModelPath): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}
