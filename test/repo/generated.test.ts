import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { hasErrors } from '../../src/diagnostics.ts';
import { checkRun } from '../../src/emit/index.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe("the company's pipelines (this repository)", () => {
  it('compile without errors, deterministically, and match the committed generated/ files', async () => {
    const first = await compileProject({ root: repoRoot });
    expect(first.pipelines.length).toBeGreaterThanOrEqual(4);
    for (const pipeline of first.pipelines) {
      expect(hasErrors(pipeline.diagnostics), `${pipeline.source}: ${JSON.stringify(pipeline.diagnostics)}`).toBe(false);
    }
    const second = await compileProject({ root: repoRoot });
    expect(second.pipelines.map((p) => p.jenkinsfile)).toEqual(first.pipelines.map((p) => p.jenkinsfile));
    expect(await checkRun(first)).toEqual([]);
  });

  it('committed Jenkinsfiles parse with Groovy 2.4.21 and obey the declarative rules', async () => {
    await expectValidJenkinsfiles(`${repoRoot}/generated`);
  });
});
