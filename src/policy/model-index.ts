/**
 * One traversal of a validated pipeline, shared by every rule: all stages in execution order with
 * their effective agent and `when` chain, all steps (nested and in `post`) with their model paths
 * and enclosing block steps, and (lazily) every string value. Built once per pipeline, so a pack of
 * 40 rules costs one walk, not forty.
 */
import type { ModelPath } from '../diagnostics.ts';
import { POST_CONDITIONS, type Agent, type PostCondition, type Stage, type Step, type ValidPipeline, type When } from '../model/schema.ts';

/**
 * A `post` block. (`Stage['post']` is typed from the schema's input side, where step lists are
 * `unknown[]`; after validation they are steps.)
 */
type Post = Partial<Record<PostCondition, readonly Step[]>>;
const postOf = (post: unknown) => post as Post | undefined;

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
}

/** A step with the context rules need. */
export interface StepInfo {
  readonly step: Step;
  readonly path: ModelPath;
  /** The innermost stage the step belongs to (absent for the pipeline's own `post`). */
  readonly stage: StageInfo | undefined;
  /** The `post` condition the step runs under, if it is in a `post` block (of a stage or the pipeline). */
  readonly post: PostCondition | undefined;
  /** Block steps wrapping this one (`withCredentials`, `lock`, `timeout`, ...), outermost first. */
  readonly enclosing: readonly StepInfo[];
  /** Position among all steps in document order. */
  readonly order: number;
}

/** A string value somewhere in the model. */
export interface StringInfo {
  readonly value: string;
  readonly path: ModelPath;
  /** The property name holding the value (or the enclosing one for array items). */
  readonly key: string | undefined;
}

export interface PipelineIndex {
  readonly pipeline: ValidPipeline;
  readonly stages: readonly StageInfo[];
  readonly steps: readonly StepInfo[];
  /** Every string in the model except inside `suppressions` (computed on first use). */
  strings(): readonly StringInfo[];
  /** Steps of one stage (including nested block steps and the stage's `post`). */
  stepsOf(stage: StageInfo): readonly StepInfo[];
  /** The stage at exactly this path, if any. */
  stageAt(path: ModelPath): StageInfo | undefined;
}

const POST_ORDER: readonly PostCondition[] = POST_CONDITIONS;

const isStepLike = (value: unknown): value is Step =>
  typeof value === 'object' && value !== null && typeof (value as { step?: unknown }).step === 'string';

/** Nested step lists of a block step: every array property whose items are steps (`steps`, `body`, ...). */
function nestedStepLists(step: Step): [string, Step[]][] {
  const lists: [string, Step[]][] = [];
  for (const [key, value] of Object.entries(step)) {
    if (key === 'suppressions' || !Array.isArray(value) || value.length === 0) continue;
    if (value.every(isStepLike)) lists.push([key, value as Step[]]);
  }
  return lists;
}

const pathKey = (path: ModelPath) => path.join('\u0000');

/** Builds the index of a validated pipeline. */
export function indexPipeline(pipeline: ValidPipeline): PipelineIndex {
  const stages: StageInfo[] = [];
  const steps: StepInfo[] = [];
  const stepsByStage = new Map<StageInfo, StepInfo[]>();
  const stageByPath = new Map<string, StageInfo>();

  const addSteps = (
    list: readonly Step[],
    base: ModelPath,
    stage: StageInfo | undefined,
    post: PostCondition | undefined,
    enclosing: readonly StepInfo[],
  ) => {
    list.forEach((step, i) => {
      const info: StepInfo = { step, path: [...base, i], stage, post, enclosing, order: steps.length };
      steps.push(info);
      if (stage) stepsByStage.get(stage)!.push(info);
      for (const [key, nested] of nestedStepLists(step)) addSteps(nested, [...info.path, key], stage, post, [...enclosing, info]);
    });
  };

  const addPost = (post: Post | undefined, base: ModelPath, stage: StageInfo | undefined) => {
    if (!post) return;
    for (const condition of POST_ORDER) {
      const list = post[condition];
      if (list) addSteps(list, [...base, 'post', condition], stage, condition, []);
    }
  };

  const addStages = (
    list: readonly Stage[],
    base: ModelPath,
    ancestors: readonly StageInfo[],
    concurrent: boolean,
    inherited: { agent: Agent; agentPath: ModelPath },
    whens: readonly When[],
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
      };
      stages.push(info);
      stageByPath.set(pathKey(path), info);
      stepsByStage.set(info, []);
      if (stage.steps) addSteps(stage.steps, [...path, 'steps'], info, undefined, []);
      const inner = [...ancestors, info];
      if (stage.stages) addStages(stage.stages, [...path, 'stages'], inner, concurrent, own, ownWhens);
      if (stage.parallel) addStages(stage.parallel, [...path, 'parallel'], inner, true, own, ownWhens);
      if (stage.matrix) {
        const m = stage.matrix;
        const matrixAgent = m.agent !== undefined ? { agent: m.agent, agentPath: [...path, 'matrix', 'agent'] } : own;
        const matrixWhens = m.when ? [...ownWhens, m.when] : ownWhens;
        addStages(m.stages, [...path, 'matrix', 'stages'], inner, true, matrixAgent, matrixWhens);
        addPost(postOf(m.post), [...path, 'matrix'], info);
      }
      addPost(postOf(stage.post), path, info);
    });
  };

  addStages(pipeline.stages, ['stages'], [], false, { agent: pipeline.agent, agentPath: ['agent'] }, []);
  addPost(postOf(pipeline.post), [], undefined);

  let strings: StringInfo[] | undefined;
  return {
    pipeline,
    stages,
    steps,
    strings: () => (strings ??= collectStrings(pipeline)),
    stepsOf: (stage) => stepsByStage.get(stage) ?? [],
    stageAt: (path) => stageByPath.get(pathKey(path)),
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

/** Whether `path` is `prefix` or lies inside it. */
export function isPathWithin(path: ModelPath, prefix: ModelPath): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}
