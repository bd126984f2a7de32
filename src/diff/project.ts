/**
 * The semantic diff of a whole project: every pipeline of the base compile paired with its
 * counterpart in the new one (by source file, then by pipeline name for renamed files), and
 * `pipewright diff` end to end (base from git, new from the working tree).
 */
import { resolve } from 'node:path';
import type { CompiledPipeline, CompileRun } from '../compile.ts';
import { compileProject } from '../compile.ts';
import { formatDiagnostic, type Diagnostic } from '../diagnostics.ts';
import type { ValidPipeline } from '../model/schema.ts';
import { atLeast } from '../policy/config.ts';
import { compileAtRef } from './git-base.ts';
import { addIamWidenings, iamPoliciesOf } from './iam-widening.ts';
import { diffPipelines, type PipelineChange } from './semantic-diff.ts';

export type PipelineDiffStatus = 'added' | 'removed' | 'changed' | 'unchanged' | 'error';

/** The diff of one pipeline. */
export interface PipelineDiff {
  /** Pipeline name (the new one when it was renamed). */
  name: string;
  /** Source file (new side; base side for removed pipelines), relative to the project root. */
  source: string;
  /** Base source file, when it differs (the file was renamed or moved). */
  previousSource?: string;
  status: PipelineDiffStatus;
  /** Security-relevant first (see `diffPipelines`). */
  changes: PipelineChange[];
  /** The base model, when it compiled. */
  before?: ValidPipeline;
  /** The new model, when it compiled. */
  after?: ValidPipeline;
  /** Why the comparison is incomplete: errors of either side, rendered one per line. */
  problems: string[];
}

/**
 * How one side of the diff fares under the project's own checks, counted as `compile`/`lint` count
 * them: a pipeline is invalid when it does not load, fails the schema or the structure rules
 * (exit 2), and fails policy when it has findings at or above the configured `failOn` (exit 1).
 */
export interface SideHealth {
  /** Names of the pipelines that are invalid. */
  invalid: string[];
  /** Names of the (otherwise valid) pipelines that fail policy. */
  failingPolicy: string[];
  /** Configuration errors (not tied to one pipeline): the side is invalid as a whole. */
  configErrors: number;
}

/** The diff of every pipeline of a project. */
export interface ProjectDiff {
  /** The base, as given (`origin/main`). */
  base: string;
  /** The commit the base resolved to, when it came from git. */
  baseCommit?: string;
  pipelines: PipelineDiff[];
  /** Problems not tied to one pipeline (configuration errors on either side). */
  problems: string[];
  /** Whether the new side has errors that hide changes (a pipeline or the configuration does not load). */
  headBroken: boolean;
  /** The new side (working tree): what `compile`/`lint` would reject. Decides the exit code. */
  head: SideHealth;
  /** The base side: reported, but it does not decide the exit code (the change may be fixing it). */
  baseHealth: SideHealth;
}

type Side = Pick<CompileRun, 'pipelines' | 'diagnostics'>;

/** A pipeline's errors split as compile and lint count them: invalid (exit 2) and policy (exit 1). */
function failuresOf(pipeline: CompiledPipeline): { invalid: Diagnostic[]; policy: Diagnostic[] } {
  const findings = new Set<Diagnostic>(pipeline.policy?.findings ?? []);
  const invalid = pipeline.diagnostics.filter((d) => d.severity === 'error' && !findings.has(d));
  const policy = pipeline.policy?.failed
    ? pipeline.policy.findings.filter((f) => atLeast(f.severity, pipeline.policy!.failOn))
    : [];
  return { invalid, policy };
}

/**
 * What stops a pipeline on one side, one line each: load, schema and structure errors, and policy
 * findings at or above `failOn`. A pipeline without a model cannot be compared; one with a model
 * is compared, and its errors are still reported (a pull request that fails policy must not look
 * clean in the diff).
 */
const errorsOf = (pipeline: CompiledPipeline, side: 'base' | 'head'): string[] => {
  const { invalid, policy } = failuresOf(pipeline);
  const prefix = side === 'base' ? 'base: ' : '';
  const failOn = pipeline.policy?.failOn;
  return [
    ...invalid.map((d) => `${prefix}${formatDiagnostic(d)}`),
    ...policy.map((d) => `${prefix}policy (fails at ${failOn}): ${formatDiagnostic(d)}`),
  ];
};

function healthOf(run: Side): SideHealth {
  const health: SideHealth = {
    invalid: [],
    failingPolicy: [],
    configErrors: run.diagnostics.filter((d) => d.severity === 'error').length,
  };
  for (const pipeline of run.pipelines) {
    const { invalid, policy } = failuresOf(pipeline);
    if (!pipeline.model || invalid.length > 0) health.invalid.push(pipeline.name);
    else if (policy.length > 0) health.failingPolicy.push(pipeline.name);
  }
  return health;
}

/** Pairs the pipelines of two compiles and diffs each pair. Pipelines keep the new compile's order. */
export function diffRuns(base: Side, head: Side, baseName: string): Omit<ProjectDiff, 'baseCommit'> {
  const unpairedBase = [...base.pipelines];
  const take = (match: (p: CompiledPipeline) => boolean): CompiledPipeline | undefined => {
    const index = unpairedBase.findIndex(match);
    return index < 0 ? undefined : unpairedBase.splice(index, 1)[0];
  };
  const pairs: [CompiledPipeline | undefined, CompiledPipeline][] = head.pipelines.map((p) => [take((b) => b.source === p.source), p]);
  // A file that was renamed or moved keeps its pipeline name.
  for (const pair of pairs) pair[0] ??= take((b) => b.name === pair[1].name && !head.pipelines.some((h) => h.source === b.source));

  const pipelines: PipelineDiff[] = pairs.map(([old, now]) => {
    const problems = [...(old ? errorsOf(old, 'base') : []), ...errorsOf(now, 'head')];
    const result: Omit<PipelineDiff, 'status' | 'changes'> = { name: now.name, source: now.source, problems };
    if (old && old.source !== now.source) result.previousSource = old.source;
    if (old?.model) result.before = old.model;
    if (now.model) result.after = now.model;
    if (!now.model) return { ...result, status: 'error', changes: [] };
    if (old && !old.model) {
      problems.push(`base ${old.source}: does not compile, so the whole pipeline is compared as new`);
    }
    const changes = diffPipelines(old?.model, now.model);
    const status: PipelineDiffStatus = !old ? 'added' : changes.length > 0 ? 'changed' : 'unchanged';
    return { ...result, status, changes };
  });
  for (const old of unpairedBase) {
    pipelines.push({
      name: old.name,
      source: old.source,
      status: 'removed',
      changes: diffPipelines(old.model ?? { agent: 'none', stages: [] }, undefined),
      ...(old.model ? { before: old.model } : {}),
      problems: errorsOf(old, 'base'),
    });
  }
  const problems = [
    ...base.diagnostics.filter((d) => d.severity === 'error').map((d) => `base: ${formatDiagnostic(d)}`),
    ...head.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)),
  ];
  const headHealth = healthOf(head);
  const headBroken = headHealth.configErrors > 0 || pipelines.some((p) => p.status === 'error');
  return { base: baseName, pipelines, problems, headBroken, head: headHealth, baseHealth: healthOf(base) };
}

/**
 * `pipewright diff --base <ref>`: compiles the project at `ref` (from git, leaving the working
 * tree alone) and in the working tree, and diffs every pipeline.
 */
export async function diffAgainstRef(root: string, ref: string): Promise<ProjectDiff> {
  const projectRoot = resolve(root);
  const [base, head] = await Promise.all([compileAtRef(projectRoot, ref), compileProject({ root: projectRoot })]);
  const diff = diffRuns(base.run, head, ref);
  // Widened IAM policies are security-relevant changes of their pipelines.
  await addIamWidenings(diff.pipelines, base.iam, await iamPoliciesOf(head));
  return { ...diff, baseCommit: base.commit };
}

/** Whether any pipeline has a security-relevant change. */
export const hasSecurityChanges = (diff: ProjectDiff): boolean => diff.pipelines.some((p) => p.changes.some((c) => c.security));
