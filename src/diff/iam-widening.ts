/**
 * IAM in `pipewright diff`: the generated policies of both sides (src/iam), compared; any
 * widening of a role's identity or trust policy (a new action, a wider resource, a removed
 * condition, a new principal) is a security-relevant change of its pipeline.
 */
import type { CompileRun } from '../compile.ts';
import type { PipelineIamPolicies, RolePolicy } from '../iam/generate.ts';
import type { PolicyWidening } from '../iam/widening.ts';
import type { PipelineDiff } from './project.ts';
import type { PipelineChange } from './semantic-diff.ts';

/** Per pipeline source, its generated policies (all environments), or why they could not be generated. */
export type IamPoliciesBySource = Map<string, PipelineIamPolicies[] | { error: string }>;

/**
 * The generated IAM policies of every compiled pipeline of a run that assumes an AWS role. Loads
 * the generator (and the AWS service reference) only when some pipeline does. Must run while
 * `run.root` exists (the task-definition templates are read from it).
 */
export async function iamPoliciesOf(run: Pick<CompileRun, 'root' | 'config' | 'pipelines'>): Promise<IamPoliciesBySource> {
  const result: IamPoliciesBySource = new Map();
  const assuming = run.pipelines.filter((p) => p.jenkinsfile?.includes('withAWS(') && p.model !== undefined);
  if (assuming.length === 0) return result;
  const { generateIamPolicies } = await import('../iam/generate.ts');
  for (const pipeline of assuming) {
    try {
      result.set(pipeline.source, await generateIamPolicies(pipeline, { root: run.root, ...(run.config.iam === undefined ? {} : { config: run.config.iam }) }));
    } catch (error) {
      result.set(pipeline.source, { error: (error as Error).message });
    }
  }
  return result;
}

const roleName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** The security-relevant changes for the widenings of one pipeline's policies, one per role and environment. */
export function iamWideningChanges(before: readonly PipelineIamPolicies[], after: readonly PipelineIamPolicies[], widen: (a: unknown, b: unknown) => PolicyWidening[]): PipelineChange[] {
  const changes: PipelineChange[] = [];
  const find = (environment: string, arn: string): RolePolicy | undefined => before.find((p) => p.environment === environment)?.roles.find((r) => r.roleArn === arn);
  for (const { environment, roles } of after) {
    for (const role of roles) {
      const old = find(environment, role.roleArn);
      const widenings = [
        ...widen(old?.identityPolicy, role.identityPolicy),
        ...(role.trustPolicy === undefined ? [] : widen(old?.trustPolicy, role.trustPolicy).map((w) => ({ ...w, message: `trust policy ${w.message}` }))),
      ];
      if (widenings.length === 0) continue;
      const kinds = [...new Set(widenings.map((w) => w.kind.replace('-', ' ')))].join(', ');
      const shown = widenings.slice(0, 6).map((w) => w.message);
      if (widenings.length > shown.length) shown.push(`and ${widenings.length - shown.length} more`);
      changes.push({
        kind: old === undefined ? 'iam-added' : 'iam-changed',
        subject: 'iam',
        action: old === undefined ? 'added' : 'changed',
        path: `IAM › ${environment} › ${roleName(role.roleArn)}`,
        message: `${old === undefined ? 'new role' : 'generated policy of'} ${role.roleArn} (${environment}) ${old === undefined ? 'is assumed: it ' : 'widened: '}${shown.join('; ')}`,
        ...(old === undefined ? {} : { before: old.identityPolicy }),
        after: role.identityPolicy,
        security: { category: 'iam-widened', reason: `the role ${roleName(role.roleArn)} may do more in ${environment} (${kinds})` },
      });
    }
  }
  return changes;
}

/**
 * Adds the IAM widenings of each compared pipeline to its changes (security-relevant first, as
 * `diffPipelines` orders them), and a problem line when one side's policies cannot be generated.
 */
export async function addIamWidenings(pipelines: PipelineDiff[], base: IamPoliciesBySource, head: IamPoliciesBySource): Promise<void> {
  if (head.size === 0) return;
  const { policyWidenings } = await import('../iam/widening.ts');
  const widen = (a: unknown, b: unknown) => policyWidenings(a as never, b as never);
  for (const pipeline of pipelines) {
    if (pipeline.status === 'error' || pipeline.status === 'removed') continue;
    const now = head.get(pipeline.source);
    if (now === undefined) continue;
    const old = base.get(pipeline.previousSource ?? pipeline.source);
    if ('error' in now) {
      pipeline.problems.push(`IAM policies not generated: ${now.error}`);
      continue;
    }
    if (old !== undefined && 'error' in old) pipeline.problems.push(`base: IAM policies not generated (every grant is compared as new): ${old.error}`);
    const changes = iamWideningChanges(old === undefined || 'error' in old ? [] : old, now, widen);
    if (changes.length === 0) continue;
    const firstOther = pipeline.changes.findIndex((c) => !c.security);
    pipeline.changes.splice(firstOther < 0 ? pipeline.changes.length : firstOther, 0, ...changes);
    if (pipeline.status === 'unchanged') pipeline.status = 'changed';
  }
}
