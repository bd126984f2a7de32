/**
 * The semantic diff of two versions of one pipeline model: what a reviewer needs to know about a
 * change in behaviour ("prod deploy lost its approval", "image scan removed"), not a text diff of
 * Groovy.
 *
 * Stages are matched by their name path (`Build › Unit tests`); a stage that keeps its name but
 * moves under another parent is reported as moved. Steps have no names, so they are aligned by
 * content first and then by identity (label, or what they work on), which turns "the scan's
 * severity changed" into one change instead of a removal plus an addition.
 *
 * Security-relevant changes are classified in a second pass that compares what the two versions
 * *mean* (their scans and gates, deploy conditions, approvals, credentials, escape hatches), so a
 * scan that merely moved is not reported as removed. Those changes come first in the result.
 */
import type { ModelPath } from '../diagnostics.ts';
import type { Agent, Stage, ValidPipeline, When } from '../model/schema.ts';
import {
  approvalsBefore,
  approvalSubmitters,
  describeApproval,
  describeAgent,
  describeStep,
  describeWhen,
  escapeHatchOf,
  gateWeakenings,
  groovyExpressionsIn,
  isStepLike,
  joinNamePath,
  nestedStepLists,
  pipelineApprovals,
  pipelineCredentials,
  pipelineDeploys,
  pipelineScans,
  sameValue,
  shellCommandKey,
  stableStringify,
  stepIdentity,
  walkSteps,
  whenTerms,
  type ApprovalFact,
  type CredentialUse,
  type DeployFact,
  type ScanFact,
  type StepLike,
} from './facts.ts';

/** What a change is about. */
export type ChangeSubject =
  | 'pipeline'
  | 'stage'
  | 'step'
  | 'agent'
  | 'environment'
  | 'parameter'
  | 'trigger'
  | 'option'
  | 'tool'
  | 'library'
  | 'credential'
  | 'post'
  | 'when'
  | 'input'
  | 'matrix'
  | 'suppression'
  | 'setting'
  /** The generated IAM policy of a role the pipeline assumes (see src/diff/iam-widening.ts). */
  | 'iam';

export type ChangeAction = 'added' | 'removed' | 'moved' | 'changed';

/** The security-relevant kinds of change, most serious first. */
export const SECURITY_CATEGORIES = [
  'scan-removed',
  'scan-weakened',
  'approval-removed',
  'approval-widened',
  'deploy-branch-widened',
  'deploy-agent-any',
  'iam-widened',
  'credential-added',
  'escape-hatch',
  'suppression-added',
] as const;
export type SecurityCategory = (typeof SECURITY_CATEGORIES)[number];

/** Why a change matters for security. */
export interface SecurityClassification {
  /** The most serious category that applies. */
  category: SecurityCategory;
  /** Plain-words reason(s), `; `-separated when several apply. */
  reason: string;
}

/** One semantic change between two versions of a pipeline. */
export interface PipelineChange {
  /** `stage-removed`, `step-changed`, `environment-added`, ... */
  kind: `${ChangeSubject}-${ChangeAction}`;
  subject: ChangeSubject;
  action: ChangeAction;
  /** Where, for people: `Security scans › Trivy › step 1 (sh "trivy fs") › script`. */
  path: string;
  /** One sentence for people. */
  message: string;
  /** Old value (absent for additions). */
  before?: unknown;
  /** New value (absent for removals). */
  after?: unknown;
  /** Path in the base model (for removed, moved and changed things). */
  beforePath?: ModelPath;
  /** Path in the new model (for added, moved and changed things). */
  afterPath?: ModelPath;
  /** Set when the change is security-relevant. */
  security?: SecurityClassification;
}

type DeliveryEnvironments = NonNullable<ValidPipeline['environments']>;

const EMPTY_PIPELINE: ValidPipeline = { agent: 'none', stages: [] };

/**
 * Compares two versions of a pipeline. `undefined` on one side means the pipeline was added or
 * removed. Security-relevant changes come first (most serious category first), then the others
 * in model order.
 */
export function diffPipelines(before: ValidPipeline | undefined, after: ValidPipeline | undefined): PipelineChange[] {
  if (!before && !after) return [];
  if (!before) {
    // A new pipeline: one summary line, plus what a reviewer must see (its credentials, escape
    // hatches, suppressions, unrestricted deploys) as found by diffing against an empty pipeline.
    const summary = change('pipeline', 'added', '(pipeline)', `pipeline added with ${countStages(after!.stages)} stage(s)`, {
      after: after!.name,
      afterPath: [],
    });
    const security = new PipelineDiffer(EMPTY_PIPELINE, after!).run().filter((c) => c.security);
    return [...security, summary];
  }
  if (!after) {
    return [
      change('pipeline', 'removed', '(pipeline)', `pipeline removed (it had ${countStages(before.stages)} stage(s))`, {
        before: before.name,
        beforePath: [],
      }),
    ];
  }
  return new PipelineDiffer(before, after).run();
}

/** Security-relevant changes only (in the same order). */
export const securityChanges = (changes: readonly PipelineChange[]): PipelineChange[] => changes.filter((c) => c.security);

function countStages(stages: readonly Stage[]): number {
  return stages.reduce(
    (n, s) => n + 1 + countStages(s.stages ?? []) + countStages(s.parallel ?? []) + countStages(s.matrix?.stages ?? []),
    0,
  );
}

function change(
  subject: ChangeSubject,
  action: ChangeAction,
  path: string,
  message: string,
  extra: Partial<Pick<PipelineChange, 'before' | 'after' | 'beforePath' | 'afterPath' | 'security'>> = {},
): PipelineChange {
  const result: PipelineChange = { kind: `${subject}-${action}`, subject, action, path, message };
  for (const key of ['before', 'after', 'beforePath', 'afterPath', 'security'] as const) {
    if (extra[key] !== undefined) (result as unknown as Record<string, unknown>)[key] = extra[key];
  }
  return result;
}

/** A short rendering of a value for messages. */
export function formatValue(value: unknown, max = 80): string {
  let text: string;
  if (value === undefined) text = '(none)';
  else if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'object' && value !== null && typeof (value as { credentials?: unknown }).credentials === 'string') {
    text = `credentials(${JSON.stringify((value as { credentials: string }).credentials)})`;
  } else if (typeof value === 'object' && value !== null && typeof (value as { $groovy?: unknown }).$groovy === 'string') {
    text = `groovy(${JSON.stringify((value as { $groovy: string }).$groovy)})`;
  } else text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const at = (base: string, part: string): string => (base ? `${base} › ${part}` : part);
const dotted = (base: string, key: string): string => (base && !base.endsWith('›') ? `${base}.${key}` : key);

/** Fields of a stage that hold its body or that are diffed by dedicated code. */
const STAGE_BODY_FIELDS = new Set(['name', 'steps', 'stages', 'parallel', 'matrix']);

type Pair<T> = { before: T; after: T; beforeIndex: number; afterIndex: number };

/** Longest increasing subsequence of `values` (indices into `values`). */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = [];
  const previous: number[] = new Array(values.length).fill(-1);
  values.forEach((value, i) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (values[tails[mid]!]! < value) low = mid + 1;
      else high = mid;
    }
    if (low > 0) previous[i] = tails[low - 1]!;
    tails[low] = i;
  });
  const kept = new Set<number>();
  let cursor = tails.length > 0 ? tails[tails.length - 1]! : -1;
  while (cursor >= 0) {
    kept.add(cursor);
    cursor = previous[cursor]!;
  }
  return kept;
}

/** Pairs whose relative order changed (not in the longest order-preserving subset). */
function movedPairs<T>(pairs: Pair<T>[]): Set<Pair<T>> {
  const sorted = [...pairs].sort((a, b) => a.beforeIndex - b.beforeIndex);
  const kept = longestIncreasing(sorted.map((p) => p.afterIndex));
  return new Set(sorted.filter((_, i) => !kept.has(i)));
}

/** Aligns two step lists: equal content first (in order), then equal identity. */
function alignSteps(before: StepLike[], after: StepLike[]): { pairs: Pair<StepLike>[]; removed: number[]; added: number[] } {
  const beforeKeys = before.map(stableStringify);
  const afterKeys = after.map(stableStringify);
  const pairedBefore = new Map<number, number>();
  const pairedAfter = new Set<number>();
  // Longest common subsequence of identical steps keeps unchanged steps in place.
  const n = before.length;
  const m = after.length;
  const table: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i]![j] = beforeKeys[i] === afterKeys[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (beforeKeys[i] === afterKeys[j]) {
      pairedBefore.set(i, j);
      pairedAfter.add(j);
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) i++;
    else j++;
  }
  const pairBy = (key: (step: StepLike, index: number, side: 'before' | 'after') => string | undefined) => {
    for (let i = 0; i < n; i++) {
      if (pairedBefore.has(i)) continue;
      const wanted = key(before[i]!, i, 'before');
      if (wanted === undefined) continue;
      for (let j = 0; j < m; j++) {
        if (pairedAfter.has(j) || key(after[j]!, j, 'after') !== wanted) continue;
        pairedBefore.set(i, j);
        pairedAfter.add(j);
        break;
      }
    }
  };
  pairBy((_, index, side) => (side === 'before' ? beforeKeys[index]! : afterKeys[index]!)); // moved, unchanged
  pairBy((step) => stepIdentity(step)); // edited in place
  pairBy((step) => {
    // Relabelled only: same step once the label is ignored.
    const { label: _label, ...rest } = step;
    return stableStringify(rest);
  });
  pairBy((step) => shellCommandKey(step)); // relabelled and edited: same command
  const pairs = [...pairedBefore].map(([i, j]) => ({ before: before[i]!, after: after[j]!, beforeIndex: i, afterIndex: j }));
  return {
    pairs,
    removed: before.map((_, i) => i).filter((i) => !pairedBefore.has(i)),
    added: after.map((_, j) => j).filter((j) => !pairedAfter.has(j)),
  };
}

/** Children of a stage, whatever holds them (nested stages, parallel branches, matrix). */
function childStages(stage: Stage): { field: ModelPath; stages: Stage[] } {
  if (stage.stages) return { field: ['stages'], stages: stage.stages };
  if (stage.parallel) return { field: ['parallel'], stages: stage.parallel };
  if (stage.matrix) return { field: ['matrix', 'stages'], stages: stage.matrix.stages };
  return { field: ['stages'], stages: [] };
}

function bodyKind(stage: Stage): string {
  if (stage.steps) return 'steps';
  if (stage.stages) return 'sequential stages';
  if (stage.parallel) return 'parallel branches';
  if (stage.matrix) return 'matrix';
  return '(empty)';
}

interface StageSide {
  stage: Stage;
  names: string[];
  path: ModelPath;
}

/** Changes that can carry the classification of what they did (not the derived credential list). */
const STRUCTURAL_SUBJECTS = new Set<ChangeSubject>(['stage', 'step', 'post', 'agent', 'when', 'input', 'matrix', 'setting', 'environment', 'option', 'parameter', 'tool', 'trigger']);

const SEVERITY_RANK = new Map<SecurityCategory, number>(SECURITY_CATEGORIES.map((c, i) => [c, i]));

class PipelineDiffer {
  private readonly changes: PipelineChange[] = [];
  /** Stages present only in the base / only in the new version, for cross-parent move pairing. */
  private readonly removedStages: StageSide[] = [];
  private readonly addedStages: StageSide[] = [];

  constructor(
    private readonly before: ValidPipeline,
    private readonly after: ValidPipeline,
  ) {}

  run(): PipelineChange[] {
    const { before, after } = this;
    if (before.name !== after.name && before.name !== undefined && after.name !== undefined) {
      this.push(change('setting', 'changed', 'name', `pipeline renamed ${formatValue(before.name)} → ${formatValue(after.name)}`, {
        before: before.name,
        after: after.name,
        beforePath: ['name'],
        afterPath: ['name'],
      }));
    }
    this.diffScalar('setting', 'output', before.output, after.output, ['output'], ['output']);
    this.diffAgent('agent', before.agent, after.agent, ['agent'], ['agent']);
    this.diffRecord('environment', 'environment', before.environment, after.environment, ['environment'], ['environment']);
    this.diffRecord('option', 'options', before.options, after.options, ['options'], ['options']);
    this.diffParameters('parameters', before.parameters, after.parameters, ['parameters'], ['parameters']);
    this.diffRecord('trigger', 'triggers', before.triggers, after.triggers, ['triggers'], ['triggers']);
    this.diffRecord('tool', 'tools', before.tools, after.tools, ['tools'], ['tools']);
    this.diffLibraries(before.libraries, after.libraries);
    this.diffSuppressions('', before.suppressions, after.suppressions, ['suppressions'], ['suppressions']);
    this.diffDeliveryEnvironments(before.environments, after.environments);

    this.diffStageLists(
      { stages: before.stages, names: [], path: ['stages'] },
      { stages: after.stages, names: [], path: ['stages'] },
    );
    this.pairCrossParentMoves();
    for (const side of this.removedStages) this.reportStageRemoved(side);
    for (const side of this.addedStages) this.reportStageAdded(side);

    this.diffPost('', before.post, after.post, ['post'], ['post']);

    this.classifyCredentials();
    this.classifyScans();
    this.classifyApprovals();
    this.classifyDeploys();

    // Security first (most serious category first), then model order; sort is stable.
    return this.changes
      .map((c, index) => ({ c, index }))
      .sort((a, b) => {
        const rank = (c: PipelineChange) => (c.security ? SEVERITY_RANK.get(c.security.category)! : SECURITY_CATEGORIES.length);
        return rank(a.c) - rank(b.c) || a.index - b.index;
      })
      .map(({ c }) => c);
  }

  private push(c: PipelineChange): PipelineChange {
    this.changes.push(c);
    return c;
  }

  // -------------------------------------------------------------------------------------------
  // Generic fields
  // -------------------------------------------------------------------------------------------

  private diffScalar(subject: ChangeSubject, path: string, before: unknown, after: unknown, beforePath: ModelPath, afterPath: ModelPath) {
    if (sameValue(before, after)) return;
    if (before === undefined) this.push(change(subject, 'added', path, `${path} set to ${formatValue(after)}`, { after, afterPath }));
    else if (after === undefined) this.push(change(subject, 'removed', path, `${path} removed (was ${formatValue(before)})`, { before, beforePath }));
    else {
      this.push(change(subject, 'changed', path, `${path}: ${formatValue(before)} → ${formatValue(after)}`, { before, after, beforePath, afterPath }));
    }
  }

  /** Per-key diff of a record (environment, options, triggers, tools). */
  private diffRecord(
    subject: ChangeSubject,
    path: string,
    before: object | undefined,
    after: object | undefined,
    beforePath: ModelPath,
    afterPath: ModelPath,
  ) {
    const b = (before ?? {}) as Record<string, unknown>;
    const a = (after ?? {}) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    for (const key of keys) {
      const oldValue = b[key];
      const newValue = a[key];
      if (sameValue(oldValue, newValue)) continue;
      const where = dotted(path, key);
      const bp = [...beforePath, key];
      const ap = [...afterPath, key];
      const c =
        oldValue === undefined
          ? this.push(change(subject, 'added', where, `${where} added: ${formatValue(newValue)}`, { after: newValue, afterPath: ap }))
          : newValue === undefined
            ? this.push(change(subject, 'removed', where, `${where} removed (was ${formatValue(oldValue)})`, { before: oldValue, beforePath: bp }))
            : this.push(
                change(subject, 'changed', where, `${where}: ${formatValue(oldValue)} → ${formatValue(newValue)}`, {
                  before: oldValue,
                  after: newValue,
                  beforePath: bp,
                  afterPath: ap,
                }),
              );
      const newGroovy = groovyExpressionsIn(newValue).filter((g) => !groovyExpressionsIn(oldValue).includes(g));
      if (newGroovy.length > 0) classify(c, 'escape-hatch', `raw Groovy expression ${formatValue(newGroovy[0])} evaluated by Jenkins`);
    }
  }

  private diffAgent(path: string, before: Agent | undefined, after: Agent | undefined, beforePath: ModelPath, afterPath: ModelPath) {
    if (sameValue(before, after)) return;
    const extra = { before, after, beforePath, afterPath };
    if (before === undefined) this.push(change('agent', 'added', path, `${path} set to ${describeAgent(after)}`, extra));
    else if (after === undefined) this.push(change('agent', 'removed', path, `${path} removed (was ${describeAgent(before)}; inherits now)`, extra));
    else this.push(change('agent', 'changed', path, `${path}: ${describeAgent(before)} → ${describeAgent(after)}`, extra));
  }

  private diffParameters(path: string, before: readonly { name: string }[] | undefined, after: readonly { name: string }[] | undefined, beforePath: ModelPath, afterPath: ModelPath) {
    const b = before ?? [];
    const a = after ?? [];
    b.forEach((param, i) => {
      const j = a.findIndex((p) => p.name === param.name);
      const where = dotted(path, param.name);
      if (j < 0) this.push(change('parameter', 'removed', where, `parameter ${param.name} removed`, { before: param, beforePath: [...beforePath, i] }));
      else if (!sameValue(param, a[j])) {
        this.diffRecord('parameter', where, param, a[j], [...beforePath, i], [...afterPath, j]);
      }
    });
    a.forEach((param, j) => {
      if (!b.some((p) => p.name === param.name)) {
        this.push(change('parameter', 'added', dotted(path, param.name), `parameter ${param.name} added: ${formatValue(param)}`, { after: param, afterPath: [...afterPath, j] }));
      }
    });
  }

  private diffLibraries(before: string[] | undefined, after: string[] | undefined) {
    const name = (lib: string) => lib.split('@')[0]!;
    const b = before ?? [];
    const a = after ?? [];
    b.forEach((lib, i) => {
      const j = a.findIndex((l) => name(l) === name(lib));
      if (j < 0) this.push(change('library', 'removed', `libraries.${name(lib)}`, `shared library ${lib} removed`, { before: lib, beforePath: ['libraries', i] }));
      else if (a[j] !== lib) {
        this.push(change('library', 'changed', `libraries.${name(lib)}`, `shared library ${formatValue(lib)} → ${formatValue(a[j])}`, {
          before: lib,
          after: a[j],
          beforePath: ['libraries', i],
          afterPath: ['libraries', j],
        }));
      }
    });
    a.forEach((lib, j) => {
      if (b.some((l) => name(l) === name(lib))) return;
      const c = this.push(change('library', 'added', `libraries.${name(lib)}`, `shared library ${lib} added`, { after: lib, afterPath: ['libraries', j] }));
      classify(c, 'escape-hatch', `shared library ${lib} runs Groovy that pipewright does not see`);
    });
  }

  private diffSuppressions(base: string, before: unknown[] | undefined, after: unknown[] | undefined, beforePath: ModelPath, afterPath: ModelPath) {
    const where = base ? `${base} › suppressions` : 'suppressions';
    const b = before ?? [];
    const a = after ?? [];
    const key = (s: unknown) => stableStringify(s);
    b.forEach((s, i) => {
      if (a.some((t) => key(t) === key(s))) return;
      const rule = (s as { rule: string }).rule;
      this.push(change('suppression', 'removed', where, `suppression of ${rule} removed`, { before: s, beforePath: [...beforePath, i] }));
    });
    a.forEach((s, j) => {
      if (b.some((t) => key(t) === key(s))) return;
      const suppression = s as { rule: string; reason: string; owner: string; expires?: string };
      const previous = b.find((t) => (t as { rule: string }).rule === suppression.rule);
      const c = this.push(
        change('suppression', previous ? 'changed' : 'added', where, `${previous ? 'suppression changed' : 'suppression added'}: ${suppression.rule} (${suppression.reason})`, {
          ...(previous ? { before: previous } : {}),
          after: s,
          afterPath: [...afterPath, j],
        }),
      );
      classify(
        c,
        'suppression-added',
        `policy rule ${suppression.rule} is suppressed${previous ? ' with new terms' : ''} (owner ${suppression.owner}${suppression.expires ? `, until ${suppression.expires}` : ', no expiry'})`,
      );
    });
  }

  /** Delivery environments (`environments`), matched by name; their approval and release policies are security-relevant. */
  private diffDeliveryEnvironments(before: DeliveryEnvironments | undefined, after: DeliveryEnvironments | undefined) {
    const b = before ?? [];
    const a = after ?? [];
    b.forEach((env, i) => {
      const j = a.findIndex((e) => e.name === env.name);
      const where = `environments.${env.name}`;
      if (j < 0) {
        this.push(change('environment', 'removed', where, `delivery environment ${env.name} removed`, { before: env, beforePath: ['environments', i] }));
        return;
      }
      const next = a[j]!;
      if (sameValue(env, next)) return;
      const bp: ModelPath = ['environments', i];
      const ap: ModelPath = ['environments', j];
      const { approval: oldApproval, releaseFrom: oldRelease, ...oldRest } = env;
      const { approval: newApproval, releaseFrom: newRelease, ...newRest } = next;
      this.diffRecord('environment', where, oldRest, newRest, bp, ap);
      if (!sameValue(oldApproval, newApproval)) {
        const c = this.push(
          change('input', oldApproval ? (newApproval ? 'changed' : 'removed') : 'added', `${where}.approval`, `approval policy: ${formatValue(oldApproval)} → ${formatValue(newApproval)}`, {
            before: oldApproval,
            after: newApproval,
            beforePath: [...bp, 'approval'],
            afterPath: [...ap, 'approval'],
          }),
        );
        if (oldApproval && !newApproval) classify(c, 'approval-removed', `deploys to ${env.name} no longer need an approval`);
        else if (oldApproval && newApproval) {
          const widened = newApproval.submitters.filter((s) => !oldApproval.submitters.includes(s));
          if (widened.length > 0) classify(c, 'approval-widened', `new approvers for ${env.name}: ${widened.join(', ')}`);
          if (oldApproval.forbidSelfApproval !== false && newApproval.forbidSelfApproval === false) {
            classify(c, 'approval-widened', `the person who started the build may approve deploys to ${env.name} now (forbidSelfApproval: false)`);
          }
        }
      }
      if (!sameValue(oldRelease, newRelease)) {
        const c = this.push(
          change('when', 'changed', `${where}.releaseFrom`, `release policy: ${formatValue(oldRelease ?? 'default (main)')} → ${formatValue(newRelease ?? 'default (main)')}`, {
            before: oldRelease,
            after: newRelease,
            beforePath: [...bp, 'releaseFrom'],
            afterPath: [...ap, 'releaseFrom'],
          }),
        );
        const branches = (r: typeof oldRelease) => r?.branches ?? (r?.tags ? [] : ['main']);
        const newBranches = branches(newRelease).filter((x) => !branches(oldRelease).includes(x));
        const newTags = newRelease?.tags && newRelease.tags !== oldRelease?.tags ? [newRelease.tags] : [];
        if (newBranches.length + newTags.length > 0) {
          classify(c, 'deploy-branch-widened', `deploys to ${env.name} allowed from ${[...newBranches.map((x) => `branch ${x}`), ...newTags.map((t) => `tags ${t}`)].join(', ')} now`);
        }
      }
    });
    a.forEach((env, j) => {
      if (!b.some((e) => e.name === env.name)) {
        this.push(change('environment', 'added', `environments.${env.name}`, `delivery environment ${env.name} added (account ${env.awsAccountId})`, { after: env, afterPath: ['environments', j] }));
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Stages
  // -------------------------------------------------------------------------------------------

  private diffStageLists(before: { stages: Stage[]; names: string[]; path: ModelPath }, after: { stages: Stage[]; names: string[]; path: ModelPath }) {
    const pairs: Pair<Stage>[] = [];
    before.stages.forEach((stage, i) => {
      const j = after.stages.findIndex((s) => s.name === stage.name);
      if (j >= 0) pairs.push({ before: stage, after: after.stages[j]!, beforeIndex: i, afterIndex: j });
      else this.removedStages.push({ stage, names: [...before.names, stage.name], path: [...before.path, i] });
    });
    after.stages.forEach((stage, j) => {
      if (!before.stages.some((s) => s.name === stage.name)) this.addedStages.push({ stage, names: [...after.names, stage.name], path: [...after.path, j] });
    });
    const moved = movedPairs(pairs);
    for (const pair of pairs) {
      const b: StageSide = { stage: pair.before, names: [...before.names, pair.before.name], path: [...before.path, pair.beforeIndex] };
      const a: StageSide = { stage: pair.after, names: [...after.names, pair.after.name], path: [...after.path, pair.afterIndex] };
      if (moved.has(pair)) {
        const previous = after.stages[pair.afterIndex - 1];
        this.push(
          change('stage', 'moved', joinNamePath(a.names), `stage moved: now ${previous ? `after "${previous.name}"` : 'first'} (position ${pair.beforeIndex + 1} → ${pair.afterIndex + 1})`, {
            before: pair.beforeIndex,
            after: pair.afterIndex,
            beforePath: b.path,
            afterPath: a.path,
          }),
        );
      }
      this.diffStage(b, a);
    }
  }

  /** Stages that left one parent and appear under another with the same name: moves, not removals. */
  private pairCrossParentMoves() {
    for (let i = 0; i < this.removedStages.length; i++) {
      const removed = this.removedStages[i]!;
      const j = this.addedStages.findIndex((added) => added.stage.name === removed.stage.name);
      if (j < 0) continue;
      const added = this.addedStages[j]!;
      this.removedStages.splice(i--, 1);
      this.addedStages.splice(j, 1);
      this.push(
        change('stage', 'moved', joinNamePath(added.names), `stage moved from "${joinNamePath(removed.names)}" to "${joinNamePath(added.names)}"`, {
          before: joinNamePath(removed.names),
          after: joinNamePath(added.names),
          beforePath: removed.path,
          afterPath: added.path,
        }),
      );
      this.diffStage(removed, added);
    }
  }

  private reportStageRemoved(side: StageSide): PipelineChange {
    // Whether a removed approval matters is decided by classifyApprovals (it may have moved).
    const c = this.push(
      change('stage', 'removed', joinNamePath(side.names), `stage removed (${summarizeStage(side.stage)})`, { before: side.stage, beforePath: side.path }),
    );
    return c;
  }

  private reportStageAdded(side: StageSide) {
    const c = this.push(change('stage', 'added', joinNamePath(side.names), `stage added (${summarizeStage(side.stage)})`, { after: side.stage, afterPath: side.path }));
    for (const ref of walkStagesOf(side.stage, side.path)) {
      for (const step of walkSteps(ref.stage.steps, [...ref.path, 'steps'])) {
        const hatch = escapeHatchOf(step.step);
        if (hatch) classify(c, 'escape-hatch', `${hatch} (${describeStep(step.step)})`);
      }
      if (ref.stage.when?.expression) classify(c, 'escape-hatch', `raw Groovy when expression {${ref.stage.when.expression}}`);
      for (const s of allSuppressionsIn(ref.stage)) classify(c, 'suppression-added', `policy rule ${s.rule} is suppressed (owner ${s.owner}${s.expires ? `, until ${s.expires}` : ', no expiry'})`);
    }
  }

  private diffStage(b: StageSide, a: StageSide) {
    const where = joinNamePath(a.names);
    const before = b.stage;
    const after = a.stage;
    if (bodyKind(before) !== bodyKind(after)) {
      this.push(change('stage', 'changed', where, `stage body: ${bodyKind(before)} → ${bodyKind(after)}`, {
        before: bodyKind(before),
        after: bodyKind(after),
        beforePath: b.path,
        afterPath: a.path,
      }));
    }
    this.diffStageSettings(where, before, after, b.path, a.path);
    if (before.matrix || after.matrix) this.diffMatrix(where, before.matrix, after.matrix, [...b.path, 'matrix'], [...a.path, 'matrix']);
    this.diffStepLists(at(where, 'steps'), asSteps(before.steps), asSteps(after.steps), [...b.path, 'steps'], [...a.path, 'steps']);
    const bc = childStages(before);
    const ac = childStages(after);
    this.diffStageLists(
      { stages: bc.stages, names: b.names, path: [...b.path, ...bc.field] },
      { stages: ac.stages, names: a.names, path: [...a.path, ...ac.field] },
    );
  }

  /** The settings a stage and a matrix share: agent, when, environment, options, input, tools, post. */
  private diffStageSettings(where: string, before: Partial<Stage>, after: Partial<Stage>, bp: ModelPath, ap: ModelPath, prefix = '') {
    const label = (field: string) => at(where, `${prefix}${field}`);
    this.diffAgent(label('agent'), before.agent, after.agent, [...bp, 'agent'], [...ap, 'agent']);
    this.diffWhen(label('when'), before.when, after.when, [...bp, 'when'], [...ap, 'when']);
    this.diffRecord('environment', label('environment'), before.environment, after.environment, [...bp, 'environment'], [...ap, 'environment']);
    this.diffRecord('option', label('options'), before.options, after.options, [...bp, 'options'], [...ap, 'options']);
    this.diffRecord('tool', label('tools'), before.tools, after.tools, [...bp, 'tools'], [...ap, 'tools']);
    this.diffInput(label('input'), before.input, after.input, [...bp, 'input'], [...ap, 'input']);
    this.diffPost(where ? `${where} › ${prefix}` : prefix, before.post, after.post, [...bp, 'post'], [...ap, 'post']);
    if (before.failFast !== after.failFast) this.diffScalar('setting', label('failFast'), before.failFast, after.failFast, [...bp, 'failFast'], [...ap, 'failFast']);
    if (!prefix) this.diffSuppressions(where, before.suppressions, after.suppressions, [...bp, 'suppressions'], [...ap, 'suppressions']);
    // Anything the schema grows later is still reported, field by field.
    const known = new Set(['agent', 'when', 'environment', 'options', 'tools', 'input', 'post', 'failFast', 'suppressions', 'axes', 'excludes']);
    const keys = new Set([...Object.keys(before), ...Object.keys(after)].filter((k) => !known.has(k) && !STAGE_BODY_FIELDS.has(k)));
    for (const key of keys) {
      this.diffScalar('setting', label(key), (before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], [...bp, key], [...ap, key]);
    }
  }

  private diffMatrix(where: string, before: Stage['matrix'], after: Stage['matrix'], bp: ModelPath, ap: ModelPath) {
    if (!before || !after) return; // the body kind change is already reported
    const axes = (m: NonNullable<Stage['matrix']>) => new Map(m.axes.map((axis, i) => [axis.name, { values: axis.values, i }]));
    const b = axes(before);
    const a = axes(after);
    for (const [name, { values, i }] of b) {
      const other = a.get(name);
      const path = at(where, `matrix.axes.${name}`);
      if (!other) this.push(change('matrix', 'removed', path, `matrix axis ${name} removed (was ${values.join(', ')})`, { before: values, beforePath: [...bp, 'axes', i] }));
      else if (!sameValue(values, other.values)) {
        this.push(change('matrix', 'changed', path, `matrix axis ${name}: ${values.join(', ')} → ${other.values.join(', ')}`, {
          before: values,
          after: other.values,
          beforePath: [...bp, 'axes', i, 'values'],
          afterPath: [...ap, 'axes', other.i, 'values'],
        }));
      }
    }
    for (const [name, { values, i }] of a) {
      if (!b.has(name)) this.push(change('matrix', 'added', at(where, `matrix.axes.${name}`), `matrix axis ${name} added: ${values.join(', ')}`, { after: values, afterPath: [...ap, 'axes', i] }));
    }
    if (!sameValue(before.excludes, after.excludes)) {
      this.push(change('matrix', 'changed', at(where, 'matrix.excludes'), `matrix excludes: ${formatValue(before.excludes)} → ${formatValue(after.excludes)}`, {
        before: before.excludes,
        after: after.excludes,
        beforePath: [...bp, 'excludes'],
        afterPath: [...ap, 'excludes'],
      }));
    }
    this.diffStageSettings(where, before as Partial<Stage>, after as Partial<Stage>, bp, ap, 'matrix.');
  }

  private diffWhen(path: string, before: When | undefined, after: When | undefined, beforePath: ModelPath, afterPath: ModelPath) {
    if (sameValue(before, after)) return;
    const extra = { before, after, beforePath, afterPath };
    const c =
      before === undefined
        ? this.push(change('when', 'added', path, `runs only when ${describeWhen(after)}`, extra))
        : after === undefined
          ? this.push(change('when', 'removed', path, `condition removed: runs always now (was: ${describeWhen(before)})`, extra))
          : this.push(change('when', 'changed', path, `condition: ${describeWhen(before)} → ${describeWhen(after)}`, extra));
    const newExpressions = expressionsOfWhen(after).filter((e) => !expressionsOfWhen(before).includes(e));
    if (newExpressions.length > 0) classify(c, 'escape-hatch', `raw Groovy when expression {${newExpressions[0]}}`);
  }

  private diffInput(path: string, before: Stage['input'], after: Stage['input'], beforePath: ModelPath, afterPath: ModelPath) {
    if (sameValue(before, after)) return;
    if (!after) {
      // Classified by classifyApprovals: the same approval may have moved to another stage.
      this.push(change('input', 'removed', path, `approval removed (was: ${formatValue(before!.message)})`, { before, beforePath }));
      return;
    }
    if (!before) {
      this.push(change('input', 'added', path, `approval added: ${formatValue(after.message)}${after.submitter ? ` (submitter ${formatValue(after.submitter)})` : ''}`, { after, afterPath }));
      return;
    }
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      if (sameValue(b[key], a[key])) continue;
      const extra = { before: b[key], after: a[key], beforePath: [...beforePath, key], afterPath: [...afterPath, key] };
      const c = this.push(change('input', 'changed', `${path}.${key}`, `${key}: ${formatValue(b[key])} → ${formatValue(a[key])}`, extra));
      if (key === 'submitter') {
        const oldSubmitters = approvalSubmitters({ name: '', input: before });
        const newSubmitters = approvalSubmitters({ name: '', input: after });
        if (newSubmitters === undefined) {
          classify(c, 'approval-widened', 'submitter removed: anyone with Build permission on the job can approve now');
        } else {
          const widened = newSubmitters.filter((s) => !(oldSubmitters ?? []).includes(s));
          const wildcard = newSubmitters.filter((s) => s === '*' || /^(?:authenticated|anonymous|everyone)$/i.test(s));
          if (wildcard.length > 0) classify(c, 'approval-widened', `submitter ${wildcard.join(', ')} lets everyone approve`);
          else if (widened.length > 0) classify(c, 'approval-widened', `new approvers: ${widened.join(', ')}`);
        }
      }
    }
  }

  private diffPost(where: string, before: object | undefined, after: object | undefined, beforePath: ModelPath, afterPath: ModelPath) {
    const b = (before ?? {}) as Record<string, StepLike[] | undefined>;
    const a = (after ?? {}) as Record<string, StepLike[] | undefined>;
    for (const condition of new Set([...Object.keys(b), ...Object.keys(a)])) {
      const base = `${where}post.${condition}`;
      this.diffStepLists(base, b[condition] ?? [], a[condition] ?? [], [...beforePath, condition], [...afterPath, condition], 'post');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Steps
  // -------------------------------------------------------------------------------------------

  private diffStepLists(where: string, before: StepLike[], after: StepLike[], beforePath: ModelPath, afterPath: ModelPath, subject: ChangeSubject = 'step') {
    if (sameValue(before, after)) return;
    const { pairs, removed, added } = alignSteps(before, after);
    const name = (step: StepLike, index: number) => at(where, `step ${index + 1} (${describeStep(step)})`);
    for (const i of removed) {
      const step = before[i]!;
      const c = this.push(change(subject, 'removed', name(step, i), `${subject === 'post' ? 'post step' : 'step'} removed: ${describeStep(step)}`, { before: step, beforePath: [...beforePath, i] }));
      if (walkSteps([step], []).some((s) => s.step.step === 'approvalCheck')) {
        classify(c, 'approval-widened', 'the approval check (separation of duties, change ticket) is gone');
      }
    }
    for (const j of added) {
      const step = after[j]!;
      const c = this.push(change(subject, 'added', name(step, j), `${subject === 'post' ? 'post step' : 'step'} added: ${describeStep(step)}`, { after: step, afterPath: [...afterPath, j] }));
      for (const inner of walkSteps([step], [])) {
        const hatch = escapeHatchOf(inner.step);
        if (hatch) classify(c, 'escape-hatch', `${hatch} (${describeStep(inner.step)})`);
        for (const s of (inner.step.suppressions as { rule: string; owner: string; expires?: string }[] | undefined) ?? []) {
          classify(c, 'suppression-added', `policy rule ${s.rule} is suppressed (owner ${s.owner}${s.expires ? `, until ${s.expires}` : ', no expiry'})`);
        }
      }
    }
    const moved = movedPairs(pairs);
    for (const pair of pairs) {
      const bp = [...beforePath, pair.beforeIndex];
      const ap = [...afterPath, pair.afterIndex];
      const here = name(pair.after, pair.afterIndex);
      if (moved.has(pair)) {
        this.push(change(subject, 'moved', here, `step moved: position ${pair.beforeIndex + 1} → ${pair.afterIndex + 1}`, {
          before: pair.beforeIndex,
          after: pair.afterIndex,
          beforePath: bp,
          afterPath: ap,
        }));
      }
      this.diffStep(here, pair.before, pair.after, bp, ap, subject);
    }
  }

  private diffStep(where: string, before: StepLike, after: StepLike, beforePath: ModelPath, afterPath: ModelPath, subject: ChangeSubject) {
    if (sameValue(before, after)) return;
    const nestedBefore = new Map(nestedStepLists(before).map((l) => [l.field, l.steps]));
    const nestedAfter = new Map(nestedStepLists(after).map((l) => [l.field, l.steps]));
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const field of fields) {
      if (nestedBefore.has(field) || nestedAfter.has(field)) {
        this.diffStepLists(at(where, field), nestedBefore.get(field) ?? [], nestedAfter.get(field) ?? [], [...beforePath, field], [...afterPath, field], subject);
        continue;
      }
      if (field === 'suppressions') {
        this.diffSuppressions(where, before.suppressions as unknown[] | undefined, after.suppressions as unknown[] | undefined, [...beforePath, field], [...afterPath, field]);
        continue;
      }
      const oldValue = before[field];
      const newValue = after[field];
      if (sameValue(oldValue, newValue)) continue;
      const extra = { before: oldValue, after: newValue, beforePath: [...beforePath, field], afterPath: [...afterPath, field] };
      const c = this.push(change(subject, 'changed', at(where, field), `${field}: ${formatValue(oldValue)} → ${formatValue(newValue)}`, extra));
      if (after.step === 'script' && field === 'groovy') classify(c, 'escape-hatch', 'raw Groovy script block changed');
      else if (after.step === 'approvalCheck' && field === 'forbidSelfApproval' && newValue === false) {
        classify(c, 'approval-widened', 'the person who started the build may approve now (forbidSelfApproval: false)');
      }
      else if (before.step !== after.step) {
        const hatch = escapeHatchOf(after);
        if (hatch) classify(c, 'escape-hatch', hatch);
      } else {
        const added = groovyExpressionsIn(newValue).filter((g) => !groovyExpressionsIn(oldValue).includes(g));
        if (added.length > 0) classify(c, 'escape-hatch', `raw Groovy expression ${formatValue(added[0])} evaluated by Jenkins`);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Security pass
  // -------------------------------------------------------------------------------------------

  /**
   * Adds a classification to the change that caused it: the most specific structural change at
   * (or inside, or around) a path of the first target group that has one; else a new change.
   */
  private attach(
    security: SecurityClassification,
    groups: { beforePaths?: ModelPath[]; afterPaths?: ModelPath[] }[],
    fallback: () => PipelineChange,
    preferFields: string[] = [],
  ) {
    const isPrefix = (prefix: ModelPath, path: ModelPath) => prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
    for (const group of groups) {
      const candidates: { c: PipelineChange; score: number }[] = [];
      for (const c of this.changes) {
        if (c.action === 'moved' || !STRUCTURAL_SUBJECTS.has(c.subject)) continue;
        for (const [mine, theirs] of [
          [c.beforePath, group.beforePaths],
          [c.afterPath, group.afterPaths],
        ] as const) {
          if (!mine || !theirs) continue;
          for (const target of theirs) {
            if (!isPrefix(mine, target) && !isPrefix(target, mine)) continue;
            const preferred = preferFields.includes(String(mine[mine.length - 1])) ? 0.5 : 0;
            candidates.push({ c, score: Math.min(mine.length, target.length) + preferred - (mine.length > target.length ? 0.25 : 0) });
          }
        }
      }
      if (candidates.length === 0) continue;
      candidates.sort((x, y) => y.score - x.score);
      classify(candidates[0]!.c, security.category, security.reason);
      return;
    }
    const created = this.push(fallback());
    classify(created, security.category, security.reason);
  }

  private classifyCredentials() {
    const before = pipelineCredentials(this.before);
    const after = pipelineCredentials(this.after);
    const ids = (uses: CredentialUse[]) => new Set(uses.map((u) => u.id));
    const beforeIds = ids(before);
    const afterIds = ids(after);
    const where = (use: CredentialUse) => (use.stagePath.length ? joinNamePath(use.stagePath) : '(pipeline)');
    for (const id of afterIds) {
      if (beforeIds.has(id)) continue;
      const uses = after.filter((u) => u.id === id);
      const unique = (items: string[]) => [...new Set(items)].join('; ');
      const c = this.push(
        change('credential', 'added', where(uses[0]!), `credential ${JSON.stringify(id)} used: ${unique(uses.map((u) => `${u.how} in ${where(u)}`))}`, {
          after: id,
          afterPath: uses[0]!.modelPath,
        }),
      );
      classify(c, 'credential-added', `new credential ${JSON.stringify(id)} (${unique(uses.map((u) => u.how))})`);
    }
    for (const id of beforeIds) {
      if (afterIds.has(id)) continue;
      const uses = before.filter((u) => u.id === id);
      this.push(change('credential', 'removed', where(uses[0]!), `credential ${JSON.stringify(id)} no longer used`, { before: id, beforePath: uses[0]!.modelPath }));
    }
    // A credential the base bound only in some stages, now bound in another one: it reaches code
    // it did not reach before. (Pipeline-level bindings reach every stage already.)
    const reported = new Set<string>();
    for (const use of after) {
      if (!beforeIds.has(use.id) || use.stagePath.length === 0) continue;
      const leaf = use.stagePath[use.stagePath.length - 1];
      if (before.some((u) => u.id === use.id && (u.stagePath.length === 0 || u.stagePath[u.stagePath.length - 1] === leaf))) continue;
      const key = `${use.id}\u0000${where(use)}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const c = this.push(
        change('credential', 'added', where(use), `credential ${JSON.stringify(use.id)} now also used in ${where(use)} (${use.how})`, {
          after: use.id,
          afterPath: use.modelPath,
        }),
      );
      classify(c, 'credential-added', `credential ${JSON.stringify(use.id)} bound in a stage that did not have it (${where(use)})`);
    }
  }

  private classifyScans() {
    const before = pipelineScans(this.before);
    const after = pipelineScans(this.after);
    const unmatched = new Set(after);
    const pairs: [ScanFact, ScanFact][] = [];
    const lost: ScanFact[] = [];
    // Same scan in the same stage first, then the same scan anywhere (it moved).
    const remaining: ScanFact[] = [];
    for (const scan of before) {
      const match = [...unmatched].find((s) => s.label === scan.label && joinNamePath(s.stagePath) === joinNamePath(scan.stagePath));
      if (match) {
        unmatched.delete(match);
        pairs.push([scan, match]);
      } else remaining.push(scan);
    }
    for (const scan of remaining) {
      const match = [...unmatched].find((s) => s.label === scan.label);
      if (match) {
        unmatched.delete(match);
        pairs.push([scan, match]);
      } else lost.push(scan);
    }
    const stageOf = (scan: ScanFact) => (scan.stagePath.length ? `stage "${joinNamePath(scan.stagePath)}"` : 'pipeline post');
    for (const scan of lost) {
      this.attach(
        { category: 'scan-removed', reason: `${scan.label} scan removed (was in ${stageOf(scan)})` },
        [{ beforePaths: [scan.modelPath] }],
        () => change('step', 'removed', joinNamePath(scan.stagePath), `${scan.label} scan removed`, { before: scan.label, beforePath: scan.modelPath }),
        ['script'],
      );
    }
    for (const [old, now] of pairs) {
      const reasons = gateWeakenings(old.gate, now.gate);
      if (reasons.length === 0) continue;
      this.attach(
        { category: 'scan-weakened', reason: `${now.label} gate weakened in ${stageOf(now)}: ${reasons.join('; ')}` },
        [{ afterPaths: [now.modelPath] }, { beforePaths: [old.modelPath] }],
        () => change('step', 'changed', joinNamePath(now.stagePath), `${now.label} gate weakened`, { before: old.gate, after: now.gate, beforePath: old.modelPath, afterPath: now.modelPath }),
        ['returnStatus', 'severity', 'severityThreshold', 'exitCode', 'ignoreUnfixed', 'failOn', 'script'],
      );
    }
  }

  private classifyApprovals() {
    const before = pipelineApprovals(this.before);
    const unmatched = new Set(pipelineApprovals(this.after));
    const sameSubmitters = (a: ApprovalFact, b: ApprovalFact) => stableStringify([...(a.submitters ?? [])].sort()) === stableStringify([...(b.submitters ?? [])].sort());
    const matchers: ((old: ApprovalFact, now: ApprovalFact) => boolean)[] = [
      (old, now) => joinNamePath(old.stage.namePath) === joinNamePath(now.stage.namePath) && stableStringify(old.modelPath.slice(-2)) === stableStringify(now.modelPath.slice(-2)),
      (old, now) => old.message === now.message,
      (old, now) => sameSubmitters(old, now),
    ];
    const pairs: [ApprovalFact, ApprovalFact][] = [];
    let remaining = before;
    for (const matches of matchers) {
      remaining = remaining.filter((old) => {
        const now = [...unmatched].find((candidate) => matches(old, candidate));
        if (!now) return true;
        unmatched.delete(now);
        pairs.push([old, now]);
        return false;
      });
    }
    for (const lost of remaining) {
      this.attach(
        { category: 'approval-removed', reason: `approval "${joinNamePath(lost.stage.namePath)}" removed: ${describeApproval(lost)}` },
        [{ beforePaths: [lost.modelPath] }, { beforePaths: [lost.stage.modelPath] }],
        () => change('input', 'removed', joinNamePath(lost.stage.namePath), 'approval removed', { before: lost.message, beforePath: lost.modelPath }),
      );
    }
    // Approvals that moved or were renamed: the per-field diff did not compare their submitters.
    for (const [old, now] of pairs) {
      if (joinNamePath(old.stage.namePath) === joinNamePath(now.stage.namePath)) continue;
      const widened = now.submitters ? now.submitters.filter((s) => !(old.submitters ?? []).includes(s)) : undefined;
      if (widened && widened.length === 0) continue;
      const reason = widened
        ? `approval "${joinNamePath(now.stage.namePath)}" (was "${joinNamePath(old.stage.namePath)}"): new approvers: ${widened.join(', ')}`
        : `approval "${joinNamePath(now.stage.namePath)}" has no submitter: anyone with Build permission on the job can approve now`;
      this.attach(
        { category: 'approval-widened', reason },
        [{ afterPaths: [now.modelPath] }, { afterPaths: [now.stage.modelPath] }],
        () => change('input', 'changed', joinNamePath(now.stage.namePath), 'approvers changed', { before: old.submitters, after: now.submitters, afterPath: now.modelPath }),
      );
    }
  }

  private classifyDeploys() {
    const before = pipelineDeploys(this.before);
    const after = pipelineDeploys(this.after);
    const beforeGates = approvalsBefore(this.before);
    const afterGates = approvalsBefore(this.after);
    const findBefore = (deploy: DeployFact): DeployFact | undefined =>
      before.find((d) => joinNamePath(d.stage.namePath) === joinNamePath(deploy.stage.namePath)) ??
      before.find((d) => d.stage.stage.name === deploy.stage.stage.name) ??
      (deploy.environment ? before.find((d) => d.environment === deploy.environment) : undefined);
    for (const deploy of after) {
      const where = joinNamePath(deploy.stage.namePath);
      const env = deploy.environment ? ` (${deploy.environment})` : '';
      const afterTerms = whenTerms([...deploy.stage.ancestorWhens, deploy.stage.stage.when]);
      const old = findBefore(deploy);
      const stagePath = deploy.stage.modelPath;
      if (!old) {
        const restricted = afterTerms.some((t) => t.key !== 'not' && /\b(?:branch|tag|buildingTag)\b/.test(t.text));
        if (!restricted) {
          this.attach(
            { category: 'deploy-branch-widened', reason: `new deploy stage "${where}"${env} runs on every branch (no branch or tag condition)` },
            [{ afterPaths: [stagePath] }],
            () => change('stage', 'added', where, 'deploy stage added without a branch condition', { afterPath: stagePath }),
          );
        }
      } else {
        const beforeTerms = whenTerms([...old.stage.ancestorWhens, old.stage.stage.when]);
        const dropped = beforeTerms.filter((t) => !afterTerms.some((u) => u.id === t.id));
        if (dropped.length > 0) {
          const added = afterTerms.filter((t) => !beforeTerms.some((u) => u.id === t.id));
          const reason =
            `deploy stage "${where}"${env} may run in new situations: ` +
            `no longer requires ${conjunction(dropped)}` +
            (added.length ? `; requires ${conjunction(added)} instead` : '');
          this.attach(
            { category: 'deploy-branch-widened', reason },
            [
              { afterPaths: [[...stagePath, 'when']] },
              { afterPaths: enclosing(stagePath, 'when') },
              { beforePaths: [[...old.stage.modelPath, 'when'], ...enclosing(old.stage.modelPath, 'when')] },
            ],
            () =>
              change('when', 'changed', where, `deploy condition: ${describeWhen(old.stage.stage.when) || '(inherited)'} → ${describeWhen(deploy.stage.stage.when) || '(inherited)'}`, {
                before: old.stage.stage.when,
                after: deploy.stage.stage.when,
                beforePath: old.stage.modelPath,
                afterPath: stagePath,
              }),
          );
        }
      }
      if (old) {
        const oldGate = beforeGates.get(old.stage.stage) ?? [];
        const newGate = afterGates.get(deploy.stage.stage) ?? [];
        if (oldGate.length > 0 && newGate.length === 0) {
          this.attach(
            {
              category: 'approval-removed',
              reason: `deploy stage "${where}"${env} no longer waits for an approval (it waited for ${oldGate.map(describeApproval).join(' and ')})`,
            },
            [{ beforePaths: oldGate.map((a) => a.modelPath) }, { beforePaths: oldGate.map((a) => a.stage.modelPath) }, { afterPaths: [stagePath] }],
            () => change('stage', 'changed', where, 'deploy no longer behind an approval', { afterPath: stagePath, beforePath: old.stage.modelPath }),
          );
        }
      }
      const oldAgent = old?.stage.effectiveAgent;
      if (deploy.stage.effectiveAgent === 'any' && (old === undefined || oldAgent !== 'any')) {
        this.attach(
          {
            category: 'deploy-agent-any',
            reason: `deploy stage "${where}"${env} runs on agent any (any executor, not a dedicated deploy agent)${old ? `; was ${describeAgent(oldAgent)}` : ''}`,
          },
          [
            { afterPaths: [[...stagePath, 'agent']] },
            { afterPaths: enclosing(stagePath, 'agent') },
            { afterPaths: [['agent']] },
            ...(old ? [] : [{ afterPaths: [stagePath] }]),
          ],
          () => change('agent', 'changed', where, `deploy stage agent: ${describeAgent(oldAgent)} → any`, { before: oldAgent, after: 'any', afterPath: stagePath }),
        );
      }
    }
  }
}

/**
 * Paths of `field` on the stages (and matrices) enclosing the stage at `stagePath`, nearest
 * first: for `['stages', 2, 'matrix', 'stages', 0]` and `when` that is
 * `['stages', 2, 'matrix', 'when']`, then `['stages', 2, 'when']`.
 */
function enclosing(stagePath: ModelPath, field: string): ModelPath[] {
  const paths: ModelPath[] = [];
  for (let end = stagePath.length - 2; end >= 1; end--) {
    const last = stagePath[end - 1];
    if (typeof last === 'number' || last === 'matrix') paths.push([...stagePath.slice(0, end), field]);
  }
  return paths;
}

/** Conditions joined with "and", alternatives in parentheses. */
const conjunction = (terms: { text: string }[]): string =>
  terms.map((t) => (/\s(?:or|and)\s/.test(t.text) ? `(${t.text})` : t.text)).join(' and ');

/** Adds (or merges) a security classification; the more serious category wins. */
function classify(c: PipelineChange, category: SecurityCategory, reason: string): void {
  if (!c.security) {
    c.security = { category, reason };
    return;
  }
  if (c.security.reason.split('; ').includes(reason)) return;
  const keep = SEVERITY_RANK.get(c.security.category)! <= SEVERITY_RANK.get(category)! ? c.security.category : category;
  c.security = { category: keep, reason: `${c.security.reason}; ${reason}` };
}

function expressionsOfWhen(when: unknown): string[] {
  if (Array.isArray(when)) return when.flatMap(expressionsOfWhen);
  if (typeof when !== 'object' || when === null) return [];
  const w = when as Record<string, unknown>;
  return [
    ...(typeof w.expression === 'string' ? [w.expression] : []),
    ...expressionsOfWhen(w.allOf),
    ...expressionsOfWhen(w.anyOf),
    ...expressionsOfWhen(w.not),
  ];
}

function walkStagesOf(stage: Stage, path: ModelPath): { stage: Stage; path: ModelPath }[] {
  const { field, stages } = childStages(stage);
  return [{ stage, path }, ...stages.flatMap((child, i) => walkStagesOf(child, [...path, ...field, i]))];
}

function allSuppressionsIn(stage: Stage): { rule: string; owner: string; expires?: string }[] {
  const own = (stage.suppressions ?? []) as { rule: string; owner: string; expires?: string }[];
  const steps = walkSteps(stage.steps, []).flatMap((s) => (s.step.suppressions as typeof own | undefined) ?? []);
  return [...own, ...steps];
}

function summarizeStage(stage: Stage): string {
  const parts: string[] = [];
  if (stage.steps) {
    const steps = stage.steps.filter(isStepLike).map((s) => describeStep(s as StepLike));
    parts.push(steps.length > 3 ? `${steps.slice(0, 3).join(', ')} and ${steps.length - 3} more` : steps.join(', ') || 'no steps');
  }
  if (stage.stages) parts.push(`${stage.stages.length} nested stage(s)`);
  if (stage.parallel) parts.push(`parallel: ${stage.parallel.map((s) => s.name).join(', ')}`);
  if (stage.matrix) parts.push(`matrix ${stage.matrix.axes.map((a) => `${a.name}=${a.values.join('|')}`).join(' × ')}`);
  if (stage.input) parts.push(`approval ${JSON.stringify(stage.input.message)}`);
  if (stage.when) parts.push(`when ${describeWhen(stage.when)}`);
  return parts.join('; ');
}


const asSteps = (steps: readonly unknown[] | undefined): StepLike[] => (steps ?? []).filter(isStepLike);
