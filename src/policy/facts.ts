/**
 * Delivery facts derived from the model once per pipeline and shared by the fintech rules: which
 * steps build, scan, push, sign and deploy (typed delivery steps, and hand-written `sh` steps that
 * do the same by hand), which stages are approvals and for which environment, and which step runs
 * before which (stage order, with `parallel`/`matrix` branches counted as concurrent).
 *
 * Rules read these facts instead of re-deriving them, so "what counts as a deploy" is decided in
 * one place.
 */
import { controlKindsOf, DELIVERY_DEFAULTS, isDeliveryStep, type ControlKind } from '../model/delivery-defaults.ts';
import type { AwsRole, DeliveryEnvironment, DeliveryStep } from '../model/delivery.ts';
import type { Agent, Input, ShStep, Step, When, WhenCondition } from '../model/schema.ts';
import type { ModelPath } from '../diagnostics.ts';
import type { PipelineIndex, StageInfo, StepInfo } from './model-index.ts';

/** A typed delivery step with its context. */
export interface DeliveryStepInfo<S extends DeliveryStep = DeliveryStep> extends StepInfo {
  readonly step: S & Step;
}

/** Something that changes an environment: a typed deploy or traffic step, or a shell command doing it by hand. */
export interface DeployFact {
  readonly info: StepInfo;
  /**
   * `ecs`, `eks`, `gitops`, `s3`, `traffic` for typed steps; `flags` for a feature-flag deployment
   * (a production change by configuration: approval and branch rules apply as to a deploy);
   * `shell` for a hand-written `sh`.
   */
  readonly kind: 'ecs' | 'eks' | 'gitops' | 's3' | 'traffic' | 'flags' | 'shell';
  /** What the shell command does (`aws ecs update-service`, ...), for `shell` deploys. */
  readonly command?: string;
  /** Environment name; for shell deploys guessed from the stage name and the command. */
  readonly environment: string | undefined;
  /** The assumed role, for typed steps. */
  readonly aws: AwsRole | undefined;
}

/** A stage with `input`: a manual approval. */
export interface ApprovalFact {
  readonly stage: StageInfo;
  readonly input: Input;
  readonly inputPath: ModelPath;
  /** The `approvalCheck` step in the stage, if any (it names the environment and enforces SoD). */
  readonly check: DeliveryStepInfo<Extract<DeliveryStep, { step: 'approvalCheck' }>> | undefined;
  /** The environment approved: the check's, else a name found in the stage name or message. */
  readonly environment: string | undefined;
}

export interface DeclaredEnvironment {
  readonly env: DeliveryEnvironment;
  readonly index: number;
  readonly path: ModelPath;
}

export interface DeliveryFacts {
  /** Typed delivery steps in document order. */
  readonly delivery: readonly DeliveryStepInfo[];
  /** Typed steps of one kind (computed once per kind; shared, never mutate). */
  ofKind<K extends DeliveryStep['step']>(kind: K): readonly DeliveryStepInfo<Extract<DeliveryStep, { step: K }>>[];
  /** Typed steps providing a control (`imageScan`, `sast`, ...; computed once per kind; shared). */
  withControl(kind: ControlKind): readonly DeliveryStepInfo[];
  /** `sh` steps. */
  readonly shell: readonly (StepInfo & { step: ShStep })[];
  /** Shell steps whose script matches `pattern`. */
  shellMatching(pattern: RegExp): (StepInfo & { step: ShStep })[];
  /**
   * Deploys and traffic changes, typed and by hand, wherever they run (stage steps, `post` blocks of
   * stages and the pipeline, wrappers, steps called from raw Groovy).
   */
  readonly deploys: readonly DeployFact[];
  /** Hand-written rollbacks to the previous version in `post { failure | unsuccessful | aborted }`: back-out, not release. */
  readonly rollbacks: readonly (StepInfo & { step: ShStep })[];
  /** Image pushes: typed `ecrPush`, and `docker push` / `buildx --push` by hand. */
  readonly pushes: readonly StepInfo[];
  readonly approvals: readonly ApprovalFact[];
  /** `pipeline.environments` by name. */
  readonly environments: ReadonlyMap<string, DeclaredEnvironment>;
  /** The environments the pipeline deploys to (typed or guessed), in first-deploy order. */
  readonly deployedEnvironments: readonly string[];
  /** Whether `a` has finished before `b` starts (false for concurrent branches). */
  runsBefore(a: StepInfo, b: StepInfo): boolean;
  /** Whether stage `a` has finished before stage `b` starts. */
  stageRunsBefore(a: StageInfo, b: StageInfo): boolean;
  /** The approval gating a step for `environment`: in the step's own stage (input runs first) or an earlier stage. */
  approvalBefore(info: StepInfo, environment: string | undefined): ApprovalFact | undefined;
}

/** Shell commands that deploy or shift traffic by hand, with what they are. */
export const SHELL_DEPLOY_COMMANDS: readonly { pattern: RegExp; command: string; kind: 'deploy' | 'traffic' }[] = [
  { pattern: /\baws\s+ecs\s+update-service\b/, command: 'aws ecs update-service', kind: 'deploy' },
  { pattern: /\baws\s+ecs\s+deploy\b/, command: 'aws ecs deploy', kind: 'deploy' },
  { pattern: /\bpipewright\s+ecs-deploy\b/, command: 'pipewright ecs-deploy', kind: 'deploy' },
  { pattern: /\bhelm\s+(?:upgrade|install)\b/, command: 'helm upgrade', kind: 'deploy' },
  // Global flags may sit between `kubectl` and the verb (`kubectl --context prod apply`).
  { pattern: /\bkubectl(?:\s+-{1,2}[\w-]+(?:[ =](?!(?:set|apply|replace|patch)\b)[^\s-][^\s]*)?)*\s+(?:set\s+image|apply|replace|patch)\b/, command: 'kubectl', kind: 'deploy' },
  { pattern: /\baws\s+route53\s+change-resource-record-sets\b/, command: 'aws route53 change-resource-record-sets', kind: 'traffic' },
  { pattern: /\baws\s+elbv2\s+modify-(?:listener|rule)\b/, command: 'aws elbv2 modify-listener', kind: 'traffic' },
];

/** `post` conditions a rollback belongs in. */
const ROLLBACK_CONDITIONS: ReadonlySet<string> = new Set(['failure', 'unsuccessful', 'aborted']);

/** A shell rollback: back to the captured previous version, `rollout undo`, `helm rollback`. */
export const ROLLBACK_SHELL = /\bupdate-service\b[^\n]*PREV|\brollout\s+undo\b|\bhelm\s+rollback\b|\brollback\b/i;

const SHELL_PUSH = /\bdocker\s+push\b|\bdocker\s+buildx\s+build\b[^\n]*--push\b/;

/** Environment words recognised in stage names and commands when no typed step names the environment. */
const ENVIRONMENT_WORDS: readonly [RegExp, string][] = [
  [/\b(?:prod|production|prd)\b/i, 'prod'],
  [/\b(?:stage|staging|stg)\b/i, 'stage'],
  [/\b(?:dev|development)\b/i, 'dev'],
  [/\b(?:qa|test|uat)\b/i, 'qa'],
];

/** The pattern finding an environment name as a word, by name (names recur in every pipeline); cleared when large. */
const environmentNamePatterns = new Map<string, RegExp>();

function environmentNamePattern(name: string): RegExp {
  let pattern = environmentNamePatterns.get(name);
  if (!pattern) {
    if (environmentNamePatterns.size >= 1_000) environmentNamePatterns.clear();
    pattern = new RegExp(`(?:^|[^A-Za-z0-9])${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(?:$|[^A-Za-z0-9])`, 'i');
    environmentNamePatterns.set(name, pattern);
  }
  return pattern;
}

/** Finds an environment name in free text: declared names first, then common words. */
export function environmentIn(text: string, declared: Iterable<string>): string | undefined {
  for (const name of declared) {
    if (environmentNamePattern(name).test(text)) return name;
  }
  for (const [pattern, name] of ENVIRONMENT_WORDS) if (pattern.test(text)) return name;
  return undefined;
}

const cache = new WeakMap<PipelineIndex, DeliveryFacts>();

/** The delivery facts of an indexed pipeline (computed once). */
export function deliveryFacts(index: PipelineIndex): DeliveryFacts {
  const cached = cache.get(index);
  if (cached) return cached;
  const facts = computeFacts(index);
  cache.set(index, facts);
  return facts;
}

/** Stage `i` of the chain from the outermost ancestor down to `stage` itself. */
const chainAt = (stage: StageInfo, i: number): StageInfo => (i < stage.ancestors.length ? stage.ancestors[i]! : stage);

/** Whether `candidate` is `stage` or one of its ancestors. */
const inChain = (stage: StageInfo, candidate: StageInfo): boolean => candidate === stage || stage.ancestors.includes(candidate);

/** The deploy kind of each typed step that changes an environment. */
const DEPLOY_KINDS = {
  ecsDeploy: 'ecs',
  eksDeploy: 'eks',
  gitopsBump: 'gitops',
  s3Publish: 's3',
  trafficShift: 'traffic',
  featureFlagDeploy: 'flags',
} as const satisfies Partial<Record<DeliveryStep['step'], DeployFact['kind']>>;

/** What the deploy facts need to know of a shell script. */
interface ShellScriptFacts {
  /** The deploy or traffic command it runs by hand, if any. */
  readonly deploy: (typeof SHELL_DEPLOY_COMMANDS)[number] | undefined;
  /** Whether it is a rollback ({@link ROLLBACK_SHELL}). */
  readonly rollback: boolean;
  /** Whether it pushes an image. */
  readonly push: boolean;
}

/** By exact script text: the same scripts recur in every pipeline of a project. Cleared when large. */
const shellScriptFacts = new Map<string, ShellScriptFacts>();

function shellScriptFactsOf(script: string): ShellScriptFacts {
  let known = shellScriptFacts.get(script);
  if (!known) {
    known = {
      deploy: SHELL_DEPLOY_COMMANDS.find((c) => c.pattern.test(script)),
      rollback: ROLLBACK_SHELL.test(script),
      push: SHELL_PUSH.test(script),
    };
    if (shellScriptFacts.size >= SHELL_CACHE_LIMIT) shellScriptFacts.clear();
    shellScriptFacts.set(script, known);
  }
  return known;
}

const NO_STEPS: readonly never[] = Object.freeze([]);

/** Groups steps by the keys `keysOf` gives each (once per key and step), keeping document order; lists frozen. */
function groupSteps<S extends StepInfo, K>(steps: readonly S[], keysOf: (info: S) => readonly K[]): Map<K, readonly S[]> {
  const groups = new Map<K, S[]>();
  // Indexed loops: run once per pipeline, mostly before the code is optimised.
  for (let i = 0; i < steps.length; i++) {
    const info = steps[i]!;
    const keys = keysOf(info);
    for (let k = 0; k < keys.length; k++) {
      let list = groups.get(keys[k]!);
      if (!list) groups.set(keys[k]!, (list = []));
      if (list[list.length - 1] !== info) list.push(info);
    }
  }
  for (const list of groups.values()) Object.freeze(list);
  return groups;
}

/** {@link groupSteps} by step kind (one key a step, no list of keys for each). */
function groupByKind<S extends StepInfo>(steps: readonly S[]): Map<string, readonly S[]> {
  const groups = new Map<string, S[]>();
  for (let i = 0; i < steps.length; i++) {
    const info = steps[i]!;
    let list = groups.get(info.step.step);
    if (!list) groups.set(info.step.step, (list = []));
    list.push(info);
  }
  for (const list of groups.values()) Object.freeze(list);
  return groups;
}

function computeFacts(index: PipelineIndex): DeliveryFacts {
  const { pipeline } = index;

  const environments = new Map<string, DeclaredEnvironment>();
  (pipeline.environments ?? []).forEach((env, i) => {
    if (!environments.has(env.name)) environments.set(env.name, { env, index: i, path: ['environments', i] });
  });
  const declaredNames = [...environments.keys()];

  // One pass over the step sites for every list below (each in document order).
  const delivery: DeliveryStepInfo[] = [];
  const shell: (StepInfo & { step: ShStep })[] = [];
  const deploys: DeployFact[] = [];
  const rollbacks: (StepInfo & { step: ShStep })[] = [];
  const pushes: StepInfo[] = [];
  for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
    const info = index.steps[stepAt]!;
    const step = info.step;
    if (isDeliveryStep(step)) {
      delivery.push(info as DeliveryStepInfo);
      if (step.step === 'ecrPush') pushes.push(info);
      switch (step.step) {
        case 'ecsDeploy':
        case 'eksDeploy':
        case 'gitopsBump':
        case 's3Publish':
        case 'trafficShift':
        case 'featureFlagDeploy':
          deploys.push({ info, kind: DEPLOY_KINDS[step.step], environment: step.environment, aws: 'aws' in step ? step.aws : undefined });
          break;
        default:
          break;
      }
      continue;
    }
    if (step.step !== 'sh') continue;
    const script = shellScriptFactsOf(step.script);
    shell.push(info as StepInfo & { step: ShStep });
    if (script.push) pushes.push(info);
    const found = script.deploy;
    if (!found) continue;
    // A rollback to the captured previous version in a failure `post` is the back-out procedure
    // (DEPLOY-003 looks for it there), not a release. Any other deploy in a `post` block is one:
    // `post { success }` runs after every stage, with the same reach.
    if (info.post !== undefined && ROLLBACK_CONDITIONS.has(info.post) && script.rollback) {
      rollbacks.push(info as StepInfo & { step: ShStep });
      continue;
    }
    const environment =
      (info.stage ? environmentIn(info.stage.stage.name, declaredNames) : undefined) ?? environmentIn(step.script, declaredNames);
    deploys.push({ info, kind: 'shell', command: found.command, environment, aws: undefined });
  }

  const approvals: ApprovalFact[] = [];
  for (const stage of index.stages) {
    const input = stage.stage.input;
    if (!input) continue;
    const check = index
      .stepsOf(stage)
      .find((s): s is DeliveryStepInfo<Extract<DeliveryStep, { step: 'approvalCheck' }>> => s.step.step === 'approvalCheck' && !s.post);
    const environment = check?.step.environment ?? environmentIn(`${stage.stage.name} ${input.message}`, declaredNames);
    approvals.push({ stage, input, inputPath: [...stage.path, 'input'], check, environment });
  }

  const deployedEnvironments: string[] = [];
  for (const d of deploys) if (d.environment && !deployedEnvironments.includes(d.environment)) deployedEnvironments.push(d.environment);

  // Asked for many pairs of steps by several rules: the chains (ancestors, then the stage) are
  // read in place rather than copied.
  const stageRunsBefore = (a: StageInfo, b: StageInfo): boolean => {
    const lengthA = a.ancestors.length + 1;
    const lengthB = b.ancestors.length + 1;
    let i = 0;
    while (i < lengthA && i < lengthB && chainAt(a, i) === chainAt(b, i)) i++;
    if (i === lengthA || i === lengthB) return false; // same stage or nested: not strictly before
    const divergeA = chainAt(a, i);
    const container = divergeA.path[divergeA.path.length - 2];
    const inMatrix = divergeA.path[divergeA.path.length - 3] === 'matrix';
    if (container === 'parallel' || inMatrix) return false;
    return divergeA.order < chainAt(b, i).order;
  };

  const runsBefore = (a: StepInfo, b: StepInfo): boolean => {
    if (a === b) return false;
    if (!a.stage) return false; // the pipeline's post runs last
    if (!b.stage) return true;
    if (a.stage === b.stage) {
      if (a.post && !b.post) return false;
      if (!a.post && b.post) return true;
      return a.order < b.order;
    }
    if (inChain(b.stage, a.stage)) return false; // a in an enclosing stage's post runs after b
    if (inChain(a.stage, b.stage)) return b.post !== undefined; // b in the post of a's enclosing stage
    return stageRunsBefore(a.stage, b.stage);
  };

  const approvalBefore = (info: StepInfo, environment: string | undefined): ApprovalFact | undefined => {
    const matches = (a: ApprovalFact) => environment === undefined || a.environment === undefined || a.environment === environment;
    if (!info.stage) {
      // The pipeline's own `post { success | fixed }` runs after every stage succeeded, so after a
      // top-level approval that was answered; under other conditions the approval may never have run.
      if (info.post !== 'success' && info.post !== 'fixed') return undefined;
      return approvals.find((a) => matches(a) && a.stage.ancestors.length === 0 && !a.stage.stage.when);
    }
    const stage = info.stage;
    return approvals.find((a) => matches(a) && (inChain(stage, a.stage) || stageRunsBefore(a.stage, stage)));
  };

  // A dozen rules ask for the same few kinds and controls: grouped in one pass on the first question.
  let byKind: Map<string, readonly DeliveryStepInfo[]> | undefined;
  let byControl: Map<ControlKind, readonly DeliveryStepInfo[]> | undefined;
  const ofKind = <K extends DeliveryStep['step']>(kind: K) =>
    ((byKind ??= groupByKind(delivery)).get(kind) ?? NO_STEPS) as readonly DeliveryStepInfo<Extract<DeliveryStep, { step: K }>>[];
  const withControl = (kind: ControlKind) => (byControl ??= groupSteps(delivery, (s) => controlKindsOf(s.step))).get(kind) ?? NO_STEPS;

  return {
    delivery,
    ofKind,
    withControl,
    shell,
    shellMatching: (pattern) => shell.filter((s) => pattern.test(s.step.script)),
    deploys,
    rollbacks,
    pushes,
    approvals,
    environments,
    deployedEnvironments,
    runsBefore,
    stageRunsBefore,
    approvalBefore,
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by rules
// ---------------------------------------------------------------------------------------------

/** The label expression of an agent, if it has one. */
export function agentLabel(agent: Agent): string | undefined {
  if (typeof agent === 'string') return undefined;
  return 'label' in agent ? agent.label : undefined;
}

/** Short description of an agent for messages: `any`, `label 'x'`, `docker 'img'`. */
export function describeAgent(agent: Agent): string {
  if (typeof agent === 'string') return agent === 'any' ? 'agent any' : 'agent none';
  switch (agent.type) {
    case 'label':
    case 'node':
      return `${agent.type} '${agent.label}'`;
    case 'docker':
      return `docker '${agent.image}'`;
    default:
      return agent.type;
  }
}

/** Labels that select Jenkins' built-in (controller) node. */
export const BUILT_IN_LABEL = /(?:^|[^A-Za-z0-9_-])(?:built-in|master)(?:$|[^A-Za-z0-9_-])/;

const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\?/g, '.').replace(/\u0000/g, '.*')}$`);

/** Whether a branch pattern in a `when` is within the allowed patterns (the same glob, or a literal branch one of them matches). */
export function branchPatternAllowed(pattern: string, allowed: readonly string[]): boolean {
  if (allowed.includes(pattern)) return true;
  if (/[*?]/.test(pattern)) return false;
  return allowed.some((glob) => globToRegExp(glob).test(pattern));
}

/**
 * Whether a `when` condition only holds for builds of allowed branches or of tags: a `branch`
 * within `allowed`, a `tag`/`buildingTag`, `allOf` with one such member, `anyOf` whose members all
 * are.
 */
export function restrictsToRefs(condition: WhenCondition, allowed: readonly string[]): boolean {
  if (condition.branch !== undefined) {
    const branch = typeof condition.branch === 'string' ? condition.branch : condition.branch;
    const pattern = typeof branch === 'string' ? branch : branch.pattern;
    const comparator = typeof branch === 'string' ? 'GLOB' : (branch.comparator ?? 'GLOB');
    if (comparator !== 'REGEXP' && branchPatternAllowed(pattern, allowed)) return true;
  }
  if (condition.tag !== undefined || condition.buildingTag === true) return true;
  if (condition.allOf?.some((c) => restrictsToRefs(c, allowed))) return true;
  if (condition.anyOf && condition.anyOf.length > 0 && condition.anyOf.every((c) => restrictsToRefs(c, allowed))) return true;
  return false;
}

/** Whether a `when` chain keeps pull-request builds out (a branch/tag restriction or `not { changeRequest() }`). */
export function excludesChangeRequests(whens: readonly When[]): boolean {
  const excludes = (c: WhenCondition): boolean =>
    c.branch !== undefined ||
    c.tag !== undefined ||
    c.buildingTag === true ||
    (c.not !== undefined && c.not.changeRequest !== undefined && Object.keys(c.not).length === 1) ||
    (c.allOf?.some(excludes) ?? false) ||
    (c.anyOf !== undefined && c.anyOf.length > 0 && c.anyOf.every(excludes));
  return whens.some(excludes);
}

/** Strips ARN decoration: `arn:aws:iam::1:role/x/y` → `y`; a plain role name stays. */
export function roleName(role: string): string {
  const match = /:role\/(?:.*\/)?([^/]+)$/.exec(role);
  return match ? match[1]! : role;
}

/** Minutes of a Jenkins timeout. */
export function timeoutMinutes(timeout: { time: number; unit?: string }): number {
  const factor: Record<string, number> = {
    NANOSECONDS: 1 / 60e9,
    MICROSECONDS: 1 / 60e6,
    MILLISECONDS: 1 / 60e3,
    SECONDS: 1 / 60,
    MINUTES: 1,
    HOURS: 60,
    DAYS: 1440,
  };
  return timeout.time * (factor[timeout.unit ?? 'MINUTES'] ?? 1);
}

/** Default stash the image reference travels in. */
export const IMAGE_STASH = DELIVERY_DEFAULTS.imageStash;

/** Whether a step is wrapped (directly or further out) by a block step of one of these names. */
export function wrappedBy(info: StepInfo, names: readonly string[]): StepInfo | undefined {
  return info.enclosing.find((e) => names.includes(e.step.step) || (e.step.step === 'step' && names.includes(e.step.name)));
}

/**
 * Results per script text: a dozen rules ask about the same `sh` scripts of every pipeline.
 * Cleared when large, so a long watch session does not grow without bound.
 */
const shellLinesCache = new Map<string, readonly string[]>();
const shellControlsCache = new Map<string, readonly ControlKind[]>();
const SHELL_CACHE_LIMIT = 10_000;

function remember<T>(cache: Map<string, T>, script: string, value: T): T {
  if (cache.size >= SHELL_CACHE_LIMIT) cache.clear();
  cache.set(script, value);
  return value;
}

/** Logical shell lines: continuation backslashes joined, comments dropped. */
export function shellLines(script: string): readonly string[] {
  const cached = shellLinesCache.get(script);
  if (cached) return cached;
  const lines = script
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '$1').trim())
    .filter((line) => line.length > 0);
  return remember(shellLinesCache, script, Object.freeze(lines));
}

/** Controls a hand-written shell script provides (scanner invocations by hand). */
export function shellControls(script: string): readonly ControlKind[] {
  const cached = shellControlsCache.get(script);
  if (cached) return cached;
  const kinds = new Set<ControlKind>();
  for (const line of shellLines(script)) {
    if (/\bsonar-scanner\b|\bmvn\b[^\n]*\bsonar:sonar\b|\bgradlew?\b[^\n]*\bsonar(?:qube)?\b|\bsemgrep\b/.test(line)) kinds.add('sast');
    const trivyFs = /\btrivy\s+(?:fs|filesystem|repo|repository)\b/.test(line);
    if (trivyFs) {
      kinds.add('fsScan');
      const scanners = /--scanners[ =](\S+)/.exec(line)?.[1];
      if (!scanners || /\bvuln\b/.test(scanners)) kinds.add('sca');
      if (!scanners || /\bsecret\b/.test(scanners)) kinds.add('secretScan');
    }
    if (/\bsnyk\s+test\b/.test(line) || /\bnpm\s+audit\b/.test(line)) kinds.add('sca');
    if (/\bgitleaks\b|\btrufflehog\b/.test(line)) kinds.add('secretScan');
    if (/\btrivy\s+image\b(?![^\n]*--format[ =](?:cyclonedx|spdx))/.test(line) || /\bsnyk\s+container\s+test\b/.test(line) || /\bgrype\b/.test(line)) {
      kinds.add('imageScan');
    }
    if (/\bsyft\b|\btrivy\s+(?:image|sbom)\b[^\n]*--format[ =](?:cyclonedx|spdx)/.test(line)) kinds.add('sbom');
    if (/\bcosign\s+sign\b/.test(line)) kinds.add('sign');
    if (/\bdocker\s+(?:buildx\s+)?build\b/.test(line)) kinds.add('dockerBuild');
  }
  return remember(shellControlsCache, script, Object.freeze([...kinds]));
}

/** Per pipeline: shell steps by the control they provide, and the answers of {@link stepsWithControl}. */
interface ControlSteps {
  readonly byHand: Map<ControlKind, readonly StepInfo[]>;
  readonly answers: Map<ControlKind, readonly StepInfo[]>;
}

const controlSteps = new WeakMap<DeliveryFacts, ControlSteps>();

/** Steps (typed, or `sh` by hand) that provide a control, in document order (once per pipeline and kind; shared, never mutate). */
export function stepsWithControl(facts: DeliveryFacts, kind: ControlKind): readonly StepInfo[] {
  let known = controlSteps.get(facts);
  if (!known) {
    known = { byHand: groupSteps(facts.shell, (s) => shellControls(s.step.script)), answers: new Map() };
    controlSteps.set(facts, known);
  }
  let steps = known.answers.get(kind);
  if (!steps) {
    steps = mergeByOrder(facts.withControl(kind), known.byHand.get(kind) ?? NO_STEPS);
    known.answers.set(kind, steps);
  }
  return steps;
}

/** Two lists in document order merged into one (a stable sort by `order` of their concatenation); frozen. */
function mergeByOrder(a: readonly StepInfo[], b: readonly StepInfo[]): readonly StepInfo[] {
  if (b.length === 0) return a.length === 0 ? NO_STEPS : Object.isFrozen(a) ? a : Object.freeze([...a]);
  if (a.length === 0) return Object.isFrozen(b) ? b : Object.freeze([...b]);
  const merged: StepInfo[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) merged.push(b[j]!.order < a[i]!.order ? b[j++]! : a[i++]!);
  while (i < a.length) merged.push(a[i++]!);
  while (j < b.length) merged.push(b[j++]!);
  return Object.freeze(merged);
}

/**
 * The environment a pipeline-wide finding is attributed to: the first production environment the
 * pipeline deploys to (or declares), else the last one it deploys to, else none.
 */
export function primaryEnvironment(
  facts: DeliveryFacts,
  isProduction: (name: string) => boolean,
): string | undefined {
  const candidates = facts.deployedEnvironments.length > 0 ? facts.deployedEnvironments : [...facts.environments.keys()];
  return candidates.find(isProduction) ?? candidates[candidates.length - 1];
}

/** Ant-style glob (`reports/**`, `evidence/*.json`) to a RegExp. */
export function antGlob(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * `archiveArtifacts` steps that always run after `info` (in `post { always }` of its stage, an
 * enclosing stage, or the pipeline).
 */
export function alwaysArchives(index: PipelineIndex, info: StepInfo): (StepInfo & { step: { step: 'archiveArtifacts'; artifacts: string; fingerprint?: boolean } })[] {
  const chain = info.stage ? [...info.stage.ancestors, info.stage] : [];
  return index.steps.filter(
    (s): s is StepInfo & { step: { step: 'archiveArtifacts'; artifacts: string; fingerprint?: boolean } } =>
      s.step.step === 'archiveArtifacts' &&
      (s.post === 'always' || s.post === 'cleanup') &&
      (s.stage === undefined || chain.includes(s.stage)),
  );
}

/** Whether one of the archive steps' patterns (comma-separated Ant globs) covers `file`. */
export function archiveCovers(archives: readonly { step: { artifacts: string } }[], file: string): boolean {
  return archives.some((a) => a.step.artifacts.split(',').some((p) => antGlob(p.trim()).test(file)));
}
