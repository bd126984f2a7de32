/**
 * The gate end to end through the library API (issue #10.1): a real project compiled by
 * `compileProject` (loader, schema, structure, policy, locator), and `runPolicy` with the default
 * packs for the deploys the policy used to miss.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import type { Step } from '../../src/model/schema.ts';
import { runPolicy } from '../../src/policy/engine.ts';
import { formatSarif, formatText, lintReportFromRun } from '../../src/policy/report/index.ts';
import { colorsFor } from '../../src/cli/io.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';
import { accounts, compliant } from './fintech-fixture.ts';
import { MISSED_DEPLOYS, pipeline, sh, validPipeline } from './fixtures.ts';

let project: TempProject | undefined;
afterEach(() => project?.remove());

const DEPLOY = "sh('aws ecs update-service --cluster prod-apps --service api --task-definition api:42')";

/** The issue's repro: the only deploy is in `post { success }` (or, for comparison, in `steps`). */
const apiPipeline = (where: 'post' | 'steps') => `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux && docker' },
  options: { timeout: { time: 30 }, buildDiscarder: { numToKeep: 10 } },
  stages: [
    { name: 'Build', steps: [sh('make')] },${where === 'steps' ? `\n    { name: 'Release', steps: [${DEPLOY}] },` : ''}
  ],${where === 'post' ? `\n  post: {\n    success: [${DEPLOY}],\n  },` : ''}
});
`;

describe('a deploy in post { success } (issue #10 repro)', () => {
  it('lints with the findings the same deploy gets in steps, at the post line, and no Jenkinsfile is written or cited', async () => {
    project = createTempProject({ 'pipelines/post.pipeline.ts': apiPipeline('post'), 'pipelines/steps.pipeline.ts': apiPipeline('steps') });
    const run = await compileProject({ root: project.root, resultCache: false });
    const byName = new Map(run.pipelines.map((p) => [p.name, p]));
    const post = byName.get('post')!;
    const steps = byName.get('steps')!;
    // The findings about the deploy itself: at its step (or inside it), wherever it sits.
    const atDeploy = (p: typeof post, at: readonly (string | number)[]) =>
      [...new Set(p.policy!.findings.filter((f) => at.every((segment, i) => f.path[i] === segment)).map((f) => f.code))].sort();
    const inSteps = atDeploy(steps, ['stages', 1, 'steps', 0]);
    const inPost = atDeploy(post, ['post', 'success', 0]);
    expect(inSteps.length).toBeGreaterThanOrEqual(6);
    // Every rule that judges the deploy in `steps` judges it in `post { success }` too (and more: FLOW-005 knows no when can gate it).
    expect(inPost).toEqual(expect.arrayContaining(inSteps));
    expect(inPost).toEqual(expect.arrayContaining(['AUDIT-001', 'DEPLOY-001', 'DEPLOY-002', 'DEPLOY-003', 'FLOW-001', 'FLOW-005', 'IAM-004']));
    const flow001 = post.policy!.findings.find((f) => f.code === 'FLOW-001')!;
    expect(flow001.path).toEqual(['post', 'success', 0]);
    expect(flow001.location).toMatchObject({ file: 'pipelines/post.pipeline.ts', line: 10 });

    // The policy failed: nothing was written, and no report cites a generated Jenkinsfile line.
    expect(post.policy!.failed).toBe(true);
    expect(post.jenkinsfile).toBeUndefined();
    const report = lintReportFromRun(run, { name: 'pipewright', version: '0.0.0-test' });
    const text = formatText(report, { colors: colorsFor({ isTTY: false, write: () => true }, {}) });
    expect(text).toContain("10:15   error   FLOW-001   'aws ecs update-service' deploys to prod without an earlier approval");
    expect(text).not.toMatch(/Jenkinsfile: generated\//);
    const sarif = JSON.parse(formatSarif(report, { root: project.root }));
    for (const result of sarif.runs[0].results) {
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toMatch(/^pipelines\/(post|steps)\.pipeline\.ts$/);
      expect(result.relatedLocations).toBeUndefined();
    }
  });
});

describe('raw Groovy that runs steps, end to end', () => {
  it('a deploy hidden in a when expression is an error at the expression line, for PIPE-003 and the deploy rules alike', async () => {
    project = createTempProject({
      'pipelines/hidden.pipeline.ts': `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux && docker' },
  options: { timeout: { time: 30 }, buildDiscarder: { numToKeep: 10 } },
  stages: [
    {
      name: 'Build',
      when: {
        expression: 'sh("aws ecs update-service --cluster prod-apps --service api --task-definition api:42"); return true',
      },
      steps: [sh('make')],
    },
  ],
});
`,
    });
    const run = await compileProject({ root: project.root, resultCache: false });
    const findings = run.pipelines[0]!.policy!.findings;
    const at = (code: string) => findings.find((f) => f.code === code);
    for (const code of ['PIPE-003', 'FLOW-001', 'DEPLOY-002']) {
      expect(at(code), code).toMatchObject({ severity: 'error', path: ['stages', 0, 'when', 'expression'], location: { file: 'pipelines/hidden.pipeline.ts', line: 10 } });
    }
    expect(run.pipelines[0]!.jenkinsfile).toBeUndefined();
  });
});

describe('deploys by any command name, under a production role (issue #10 "missed deploys")', () => {
  const environments = compliant().environments;
  const release = (script: string) =>
    validPipeline(
      pipeline({
        environments,
        stages: [
          { name: 'Build', steps: [sh('make')] },
          { name: 'Release', steps: [{ step: 'step', name: 'withAWS', args: { role: 'ecs-deployer-prod', roleAccount: accounts.prod, region: 'eu-west-1' }, body: [sh(script)] } as Step] },
        ],
      }),
    );

  it.each(MISSED_DEPLOYS)('%s is an error with the default packs (IAM-005), whatever the command', (script) => {
    const result = runPolicy(release(script), {}, { source: 'pipelines/release.pipeline.ts' });
    expect(result.failed).toBe(true);
    const finding = result.findings.find((f) => f.code === 'IAM-005');
    expect(finding).toMatchObject({ severity: 'error', environment: 'prod', path: ['stages', 1, 'steps', 0, 'body', 0] });
    expect(finding!.message).toContain('role ecs-deployer-prod in account 333333333333 (withAWS)');
  });

  it('the same commands with no production capability in scope are not IAM-005 findings', () => {
    for (const script of MISSED_DEPLOYS) {
      const result = runPolicy(validPipeline(pipeline({ environments, stages: [{ name: 'Build', steps: [sh(script)] }] })), {}, { source: 'x.pipeline.ts' });
      expect(result.findings.filter((f) => f.code === 'IAM-005')).toEqual([]);
    }
  });
});
