/**
 * The round-trip check (src/import/round-trip.ts) on real files: it passes for an imported
 * module, catches a module that was changed afterwards (with the path and both sides), reports a
 * module that does not compile, and is not blocked by policy findings.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { importJenkinsfile, verifyRoundTrip } from '../../src/import/index.ts';
import { runPolicy } from '../../src/policy/engine.ts';
import { resolvePolicyConfig } from '../../src/policy/config.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';

const JENKINSFILE = `pipeline {
    agent { label 'built-in' }
    environment { REGION = 'eu-west-1' }
    stages {
        stage('Build') {
            steps {
                sh 'make build'
                withAWS(region: 'eu-west-1') { sh 'make test' }
            }
        }
    }
}
`;

let project: TempProject | undefined;
afterEach(() => project?.remove());

const original = () => parseJenkinsfile(JENKINSFILE).ast!;

async function imported(): Promise<TempProject> {
  project = createTempProject();
  const report = await importJenkinsfile({ source: 'Jenkinsfile', text: JENKINSFILE, out: 'pipelines/svc.pipeline.ts' }, { root: project.root });
  expect(report.status).toBe('imported');
  return project;
}

describe('verifyRoundTrip', () => {
  it('holds for the imported module', async () => {
    const p = await imported();
    const result = await verifyRoundTrip(original(), 'pipelines/svc.pipeline.ts', { root: p.root });
    expect(result).toMatchObject({ ok: true });
    expect(result.jenkinsfile).toContain("sh 'make test'");
  });

  it('reports the first difference when the module no longer says the same thing', async () => {
    const p = await imported();
    const file = p.path('pipelines/svc.pipeline.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("sh('make test')", "sh('make tests')"));
    const result = await verifyRoundTrip(original(), file, { root: p.root });
    expect(result.ok).toBe(false);
    expect(result.difference).toEqual({
      path: "pipeline › [3] stages › [1] stage('Build') › [1] steps › [2] withAWS › [1] sh › argument 1",
      original: "'make test'",
      compiled: "'make tests'",
    });
  });

  it('reports a module that does not compile, located in the module', async () => {
    const p = await imported();
    const file = p.path('pipelines/svc.pipeline.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("sh('make build')", "sh('')"));
    const result = await verifyRoundTrip(original(), file, { root: p.root });
    expect(result.ok).toBe(false);
    expect(result.problem).toMatch(/^the module does not compile: PW2\d{3} .*\(pipelines\/svc\.pipeline\.ts:\d+:\d+, at stages\[0\]\.steps\[0\]\.script\)$/);
  });

  it('is not blocked by error-level policy findings (compile runs without the policy engine)', async () => {
    const p = await imported();
    const { loadPipelineModules } = await import('../../src/load/loader.ts');
    const { modules } = await loadPipelineModules([p.path('pipelines/svc.pipeline.ts')], { root: p.root });
    const model = validateSchema(modules[0]!.value).pipeline!;
    const policy = runPolicy(model, resolvePolicyConfig(), { source: 'pipelines/svc.pipeline.ts' });
    expect(policy.failed).toBe(true);
    expect(policy.findings.map((f) => f.code)).toContain('BASE-008');
    expect((await verifyRoundTrip(original(), 'pipelines/svc.pipeline.ts', { root: p.root })).ok).toBe(true);
  });
});
