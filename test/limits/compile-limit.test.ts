/**
 * Jenkins' method-size limit as a compile error, through the real CLI (in-process dispatcher,
 * real temporary projects, real files): a pipeline over 85% of 65,535 bytes is refused and nothing
 * is written; between 70% and 85% it compiles with a warning; `validate` reports the same check
 * on Jenkinsfiles.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { estimateMethodSize, METHOD_SIZE_LIMIT } from '../../src/limits/method-size.ts';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';

/** A pipeline of `n` stages with two `sh` steps each (about 390 bytes of bytecode per stage). */
const generatedPipeline = (n: number) => `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: Array.from({ length: ${n} }, (_, i) => ({
    name: \`Step \${i + 1}\`,
    steps: [sh(\`make step-\${i + 1}\`), sh('make verify')],
  })),
});
`;

let project: TempProject | undefined;
afterEach(() => {
  project?.remove();
  project = undefined;
});

describe('compile', () => {
  it('refuses a pipeline whose method would exceed 85% of the limit, naming the costliest stages; writes nothing', async () => {
    project = createTempProject({ 'pipelines/big.pipeline.ts': generatedPipeline(170) });
    const result = await runCli(['compile'], project.root);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code).not.toBe(0);
    expect(output).toMatch(/error PW3040 at stages: the pipeline block compiles to about [\d,]+ bytes of bytecode in one method, (8[6-9]|9\d|1\d\d)% of the JVM's 65,535-byte limit \(refused above 85%: Jenkins fails to start it with "Method too large"\); costliest stages: "Step \d+" [\d,]+ bytes/);
    expect(output).toContain('split the pipeline');
    expect(output).toMatch(/pipelines\/big\.pipeline\.ts:\d+:\d+/);
    expect(existsSync(project.path('generated/big/Jenkinsfile'))).toBe(false);
  });

  it('compiles a pipeline between 70% and 85% with a warning, and the estimate matches the written Jenkinsfile', async () => {
    project = createTempProject({ 'pipelines/mid.pipeline.ts': generatedPipeline(130) });
    const result = await runCli(['compile'], project.root);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code).toBe(0);
    expect(output).toMatch(/warning PW3040 at stages: the pipeline block compiles to about [\d,]+ bytes of bytecode in one method, (7[1-9]|8[0-5])% of the JVM's 65,535-byte limit \(refused above 85%\)/);
    const written = readFileSync(project.path('generated/mid/Jenkinsfile'), 'utf8');
    // The estimate compile made from the lowered AST is the one the written file gives when parsed.
    const fromFile = estimateMethodSize(parseJenkinsfile(written, 'Jenkinsfile').ast!).largest.bytes;
    const reported = Number(/about ([\d,]+) bytes/.exec(output)![1]!.replace(/,/g, ''));
    expect(Math.abs(reported - fromFile)).toBeLessThan(0.01 * fromFile);
    expect(fromFile / METHOD_SIZE_LIMIT).toBeGreaterThan(0.7);
  });

  it('says nothing about a pipeline well within the budget', async () => {
    project = createTempProject({ 'pipelines/small.pipeline.ts': generatedPipeline(20) });
    const result = await runCli(['compile'], project.root);
    expect(result.code).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toContain('PW3040');
    expect(existsSync(project.path('generated/small/Jenkinsfile'))).toBe(true);
  });
});

describe('validate', () => {
  const fixture = (name: string) => path.join(import.meta.dirname, 'fixtures', name);

  it('reports a Jenkinsfile over the limit as an error at the pipeline line (the 27-cell matrix the oracle refuses)', async () => {
    const result = await runCli(['validate', fixture('matrix-27-cells.Jenkinsfile')], process.cwd());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/matrix-27-cells\.Jenkinsfile:1:1: the pipeline block compiles to about [\d,]+ bytes of bytecode in one method, 1\d\d% of the JVM's 65,535-byte limit/);
    expect(result.stdout).toContain('costliest stages: "Test matrix"');
  });

  it('accepts the generated Jenkinsfiles of this repository without a size warning', async () => {
    const files = ['ledger-service', 'payments-api', 'notifications-worker', 'web', 'platform-pr-check'].map((n) => fixture(`generated-${n}.Jenkinsfile`));
    const result = await runCli(['validate', '--no-catalog', ...files], process.cwd());
    expect(result.stdout).not.toContain('PW3040');
    expect(result.stdout).not.toContain('bytes of bytecode');
  });
});
