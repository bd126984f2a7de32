import { branchPatternAllowed, deliveryFacts, excludesChangeRequests, restrictsToRefs } from '../../facts.ts';
import { defineRule } from '../../rule.ts';
import type { StageInfo } from '../../model-index.ts';

const CREDENTIALED_STEPS = new Set(['ecrPush', 'cosignSign', 'ecsDeploy', 'eksDeploy', 'gitopsBump', 'trafficShift', 's3Publish', 'evidenceExport']);

/** FLOW-005: production deploys only from protected refs; pull-request builds never push or deploy. */
export default defineRule({
  meta: {
    id: 'FLOW-005',
    title: 'Deploy to production only from protected branches or release tags',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A pull request can change the pipeline itself (poisoned pipeline execution). Production deploys must be gated by ' +
      '`when` on a protected branch (`policy.environments.<env>.protectedBranches`, default main and release/*) or a ' +
      'release tag, and stages that push images or use AWS roles must not run for pull-request builds.',
    standards: ['OWASP CICD-SEC-1', 'OWASP CICD-SEC-4 (poisoned pipeline execution)', 'CIS Software Supply Chain 1.1.3, 1.1.9'],
    exception: 'A `hotfix/*` branch under the same approval gates (add it to protectedBranches in the config).',
    example: {
      bad: "{ name: 'Deploy prod', steps: [ecsDeploy({ environment: 'prod', ... })] }",
      good: "{ name: 'Deploy prod', when: { branch: 'main' }, steps: [ecsDeploy({ environment: 'prod', ... })] }",
    },
  },
  *check({ index, pipeline, environment }) {
    const facts = deliveryFacts(index);
    const reported = new Set<StageInfo>();
    for (const deploy of facts.deploys) {
      const env = deploy.environment;
      const stage = deploy.info.stage;
      if (!env || !stage || !environment(env).production || reported.has(stage)) continue;
      const allowed = environment(env).protectedBranches;
      if (stage.whens.some((w) => restrictsToRefs(w, allowed))) continue;
      reported.add(stage);
      yield {
        path: stage.stage.when ? [...stage.path, 'when'] : stage.path,
        message: `stage '${stage.stage.name}' deploys to ${env} without a when restricting it to ${allowed.join(', ')} or a release tag`,
        environment: env,
        expected: `when: { branch: '${allowed[0] ?? 'main'}' } or a tag condition`,
        found: stage.stage.when ? 'a when without a protected-branch condition' : 'no when',
      };
    }
    for (const [i, declared] of (pipeline.environments ?? []).entries()) {
      if (!environment(declared.name).production) continue;
      const allowed = environment(declared.name).protectedBranches;
      for (const [j, branch] of (declared.releaseFrom?.branches ?? []).entries()) {
        if (branchPatternAllowed(branch, allowed)) continue;
        yield {
          path: ['environments', i, 'releaseFrom', 'branches', j],
          message: `${declared.name} may be released from branch '${branch}', which is not protected (${allowed.join(', ')})`,
          environment: declared.name,
          expected: allowed.join(', '),
          found: branch,
        };
      }
    }
    const seen = new Set<StageInfo>();
    for (const info of index.steps) {
      const stage = info.stage;
      if (!stage || seen.has(stage) || !CREDENTIALED_STEPS.has(info.step.step)) continue;
      seen.add(stage);
      if (reported.has(stage) || excludesChangeRequests(stage.whens)) continue;
      yield {
        path: stage.stage.when ? [...stage.path, 'when'] : stage.path,
        message: `stage '${stage.stage.name}' runs ${info.step.step} with AWS credentials in pull-request builds too; restrict it with when (branch, tag or not changeRequest)`,
        expected: "when: { not: { changeRequest: true } } or a branch/tag condition",
        found: 'no such condition',
      };
    }
  },
});
