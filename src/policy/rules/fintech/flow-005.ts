import { branchPatternAllowed, deliveryFacts, excludesChangeRequests, restrictsToRefs } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';
import { actsWithScope, cachedProductionReach, productionCapabilities, productionCredentialGlobs } from '../../capabilities.ts';
import type { StageInfo, StepInfo } from '../../model-index.ts';

const CREDENTIALED_STEPS = new Set(['ecrPush', 'cosignSign', 'ecsDeploy', 'eksDeploy', 'gitopsBump', 'trafficShift', 's3Publish', 'evidenceExport', 'featureFlagDeploy']);

/** Where a stage-less step runs: the pipeline's `post { x }`, environment or prologue. */
function pipelineLevel(info: StepInfo): string {
  if (info.post) return `the pipeline's post { ${info.post} }`;
  if (info.groovy) return info.groovy.source.kind === 'environment' ? "the pipeline's environment" : 'code outside the stages';
  return 'the pipeline level';
}

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
      bad: "{ name: 'Deploy prod', agent: { type: 'label', label: 'prod-deployer' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }",
      good: "{ name: 'Deploy prod', agent: { type: 'label', label: 'prod-deployer' }, when: { branch: 'main' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }",
    },
  },
  check(context) {
    const findings: RuleFinding[] = [];
    const { index, pipeline, environment } = context;
    const facts = deliveryFacts(index);
    const reported = new Set<StageInfo>();
    for (const deploy of facts.deploys) {
      const env = deploy.environment;
      if (!env || !environment(env).production) continue;
      const stage = deploy.info.stage;
      const allowed = environment(env).protectedBranches;
      if (!stage) {
        // The pipeline's own `post` runs for every build, pull requests included; no `when` can gate it.
        const what = deploy.kind === 'shell' ? `'${deploy.command}'` : deploy.info.step.step;
        findings.push({
          path: deploy.info.path,
          message: `${what} deploys to ${env} from ${pipelineLevel(deploy.info)}, which runs for every branch and pull request; deploy from a stage with a when restricting it to ${allowed.join(', ')} or a release tag`,
          environment: env,
          expected: `a deploy stage with when: { branch: '${allowed[0] ?? 'main'}' } or a tag condition`,
          found: pipelineLevel(deploy.info),
        });
        continue;
      }
      if (reported.has(stage)) continue;
      if (stage.whens.some((w) => restrictsToRefs(w, allowed))) continue;
      reported.add(stage);
      findings.push({
        path: stage.stage.when ? [...stage.path, 'when'] : stage.path,
        message: `stage '${stage.stage.name}' deploys to ${env} without a when restricting it to ${allowed.join(', ')} or a release tag`,
        environment: env,
        expected: `when: { branch: '${allowed[0] ?? 'main'}' } or a tag condition`,
        found: stage.stage.when ? 'a when without a protected-branch condition' : 'no when',
      });
    }
    for (const [i, declared] of (pipeline.environments ?? []).entries()) {
      if (!environment(declared.name).production) continue;
      const allowed = environment(declared.name).protectedBranches;
      for (const [j, branch] of (declared.releaseFrom?.branches ?? []).entries()) {
        if (branchPatternAllowed(branch, allowed)) continue;
        findings.push({
          path: ['environments', i, 'releaseFrom', 'branches', j],
          message: `${declared.name} may be released from branch '${branch}', which is not protected (${allowed.join(', ')})`,
          environment: declared.name,
          expected: allowed.join(', '),
          found: branch,
        });
      }
    }
    // Steps with credentials: the typed ones that assume AWS roles, and any step holding a
    // production capability (role, credential, production agent) wherever it runs.
    const reach = cachedProductionReach(index, context, productionCredentialGlobs(context.policy));
    const seen = new Set<StageInfo>();
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      const typed = CREDENTIALED_STEPS.has(info.step.step);
      const capabilities = typed || !actsWithScope(info) ? [] : productionCapabilities(info, reach);
      if (!typed && capabilities.length === 0) continue;
      const what = typed ? `${info.step.step} with AWS credentials` : `'${info.origin === 'groovy' ? info.groovy!.call.name : info.step.step === 'step' ? info.step.name : info.step.step}' with ${capabilities[0]!.environment} access (${capabilities[0]!.description})`;
      const stage = info.stage;
      if (!stage) {
        findings.push({
          path: info.path,
          message: `${pipelineLevel(info)} runs ${what}, also in pull-request builds; move it into a stage restricted with when (branch, tag or not changeRequest)`,
          ...(capabilities[0] ? { environment: capabilities[0].environment } : {}),
          expected: 'a stage with when: { not: { changeRequest: true } } or a branch/tag condition',
          found: pipelineLevel(info),
        });
        continue;
      }
      if (seen.has(stage)) continue;
      seen.add(stage);
      if (reported.has(stage) || excludesChangeRequests(stage.whens)) continue;
      findings.push({
        path: stage.stage.when ? [...stage.path, 'when'] : stage.path,
        message: `stage '${stage.stage.name}' runs ${what} in pull-request builds too; restrict it with when (branch, tag or not changeRequest)`,
        ...(capabilities[0] ? { environment: capabilities[0].environment } : {}),
        expected: "when: { not: { changeRequest: true } } or a branch/tag condition",
        found: 'no such condition',
      });
    }
    return findings;
  },
});
