/**
 * Warm runs trust an output's stat stamp (see src/cache/file-stamp.ts) instead of reading it, on a
 * real project whose outputs have settled: the results are those of a fresh compile, and no change
 * of an output (same-size edit with the mtime set back, replacement by rename, deletion), before
 * the run or while it goes, is ever taken for the compiled text.
 */
import { readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputChangedError } from '../../src/cache/compile-cache.ts';
import { SETTLE_MS } from '../../src/cache/file-stamp.ts';
import { compileProject, type CompiledPipeline, type CompileRun } from '../../src/compile.ts';
import { createRunWriter, writeRun, type WriteOutcome } from '../../src/emit/index.ts';
import { createTempProject, helloPipeline, type TempProject } from '../support/temp-project.ts';

let project: TempProject | undefined;
afterEach(() => project?.remove());

const CACHE = { buildId: 'test-build-stamps' };

const deployStage = (environment: string, account: string) =>
  `{ name: 'Deploy ${environment}', agent: { type: 'label', label: 'deploy' }, steps: [ecsDeploy({ environment: '${environment}', aws: { role: 'deployer', account: '${account}', region: 'eu-west-1' }, cluster: '${environment}-apps', service: 'api', container: 'app', taskDefinition: 'deploy/taskdef.json' })] }`;
const deployPipeline = `import { definePipeline, ecsDeploy } from 'pipewright';
export default definePipeline({
  agent: 'none',
  stages: [${deployStage('dev', '111111111111')}, ${deployStage('stage', '222222222222')}],
});
`;

/** Whether a result's Jenkinsfile was served unread (it is read on first access). */
const unread = (pipeline: CompiledPipeline) => typeof Object.getOwnPropertyDescriptor(pipeline, 'jenkinsfile')?.get === 'function';
const sideUnread = (pipeline: CompiledPipeline) => pipeline.sideFiles!.map((side) => typeof Object.getOwnPropertyDescriptor(side, 'text')?.get === 'function');
/** Whether a result was served by the cache (its model is then computed on access; these runs do not ask for lazy models). */
const fromCache = (pipeline: CompiledPipeline) => typeof Object.getOwnPropertyDescriptor(pipeline, 'model')?.get === 'function';
const bySource = (run: CompileRun, name: string) => run.pipelines.find((p) => p.source === `pipelines/${name}.pipeline.ts`)!;
const plain = (run: CompileRun) => JSON.parse(JSON.stringify(run.pipelines)) as unknown;
const statusOf = (outcomes: readonly WriteOutcome[], file: string) => outcomes.find((o) => (o.file ?? o.pipeline.output) === file)?.status;

/** A compile that writes while compiling, as `pipewright compile` does (stamps the writer records reach the cache). */
async function compileWriting(root: string) {
  const writer = createRunWriter(root, { removeOrphans: true });
  const run = await compileProject({ root, resultCache: CACHE, sideFiles: true, onResult: writer.offer });
  const report = await writer.finish(run);
  return { run, outcomes: [...report.outcomes, ...(report.generatedFiles ?? [])] };
}

/** Until the files written so far are older than SETTLE_MS: their stamps may then be recorded. */
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS + 300));

/** The same text with one character changed (same size). */
const sameSizeEdit = (text: string, from: string, to: string) => {
  expect(from.length).toBe(to.length);
  expect(text).toContain(from);
  return text.replace(from, to);
};

describe('result cache: warm runs by stat stamp', () => {
  it('serves settled outputs unread, as a fresh compile, and never takes a changed output for the compiled one', async () => {
    project = createTempProject({
      'pipewright.config.ts': 'export default { policy: { packs: [] } };\n',
      'pipelines/a.pipeline.ts': helloPipeline('a'),
      'pipelines/b.pipeline.ts': helloPipeline('b'),
      'pipelines/api.pipeline.ts': deployPipeline,
      'deploy/taskdef.json': JSON.stringify({ family: 'api', taskRoleArn: 'api-task', executionRoleArn: 'api-execution', containerDefinitions: [] }),
    });
    const root = project.root;
    const files = {
      a: project.path('generated/a/Jenkinsfile'),
      b: project.path('generated/b/Jenkinsfile'),
      dev: project.path('generated/api/iam/dev.json'),
      stage: project.path('generated/api/iam/stage.json'),
    };
    const first = await compileWriting(root);
    expect(first.outcomes.map((o) => o.status)).toEqual(['created', 'created', 'created', 'created', 'created']);
    const genuine = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, readFileSync(file, 'utf8')]));
    const fresh = await compileProject({ root, resultCache: false, sideFiles: true });
    // Whole-second mtimes, so that the edits below can set them back to the nanosecond.
    const wholeSecond = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    for (const file of [files.b, files.stage]) utimesSync(file, wholeSecond, wholeSecond);

    // Outputs written just now are racy: read (and found unchanged), their stamps not recorded.
    const racy = await compileWriting(root);
    expect(racy.run.pipelines.every(fromCache)).toBe(true);
    expect(racy.run.pipelines.some(unread)).toBe(false);

    // Settled: this run reads them once more and records their stamps; the next one reads nothing.
    await settle();
    const recording = await compileWriting(root);
    expect(recording.run.pipelines.some(unread)).toBe(false);
    const warm = await compileWriting(root);
    expect(warm.run.pipelines.every((p) => fromCache(p) && unread(p))).toBe(true);
    expect(sideUnread(bySource(warm.run, 'api'))).toEqual([true, true]);
    expect(warm.outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    // Read on access, they are what a fresh compile gives.
    expect(plain(warm.run)).toEqual(plain(fresh));

    // Changed while a run goes, after the lookup vouched for the outputs by their stamps:
    const served = await compileProject({ root, resultCache: CACHE, sideFiles: true });
    expect(served.pipelines.every(unread)).toBe(true);
    // a same-size edit of a Jenkinsfile is refused as a hand edit, and the result's text is still the compiled one;
    writeFileSync(files.a, sameSizeEdit(genuine.a!, "echo 'a'", "echo 'x'"));
    // a side file deleted meanwhile cannot be written from a text that was never read: a failure, not a guess.
    rmSync(files.dev);
    const raced = await writeRun(served);
    const racedOutcomes = [...raced.outcomes, ...(raced.generatedFiles ?? [])];
    expect(statusOf(racedOutcomes, 'generated/a/Jenkinsfile')).toBe('refused');
    expect(statusOf(racedOutcomes, 'generated/api/iam/dev.json')).toBe('failed');
    expect(racedOutcomes.find((o) => o.file === 'generated/api/iam/dev.json')!.reason).toMatch(/changed while pipewright was compiling/);
    expect(statusOf(racedOutcomes, 'generated/b/Jenkinsfile')).toBe('unchanged');
    expect(readFileSync(files.a, 'utf8')).not.toBe(genuine.a);
    expect(bySource(served, 'a').jenkinsfile).toBe(genuine.a);
    expect(() => bySource(served, 'api').sideFiles![0]!.text).toThrow(OutputChangedError);
    expect(bySource(served, 'api').sideFiles![1]!.text).toBe(genuine.stage);

    // Changed between runs, by edits that keep the size and the mtime: never served, never overwritten.
    writeFileSync(files.a, genuine.a!);
    writeFileSync(files.dev, genuine.dev!);
    writeFileSync(files.b, sameSizeEdit(genuine.b!, "echo 'b'", "echo 'y'"));
    utimesSync(files.b, wholeSecond, wholeSecond);
    const replacement = `${files.stage}.replacement`;
    writeFileSync(replacement, sameSizeEdit(genuine.stage!, '222222222222', '333333333333'));
    utimesSync(replacement, wholeSecond, wholeSecond);
    renameSync(replacement, files.stage);
    for (const file of [files.b, files.stage]) expect(statSync(file, { bigint: true }).mtimeNs).toBe(BigInt(wholeSecond.getTime()) * 1_000_000n);
    const after = await compileWriting(root);
    expect(fromCache(bySource(after.run, 'b'))).toBe(false);
    expect(fromCache(bySource(after.run, 'api'))).toBe(false);
    expect(statusOf(after.outcomes, 'generated/b/Jenkinsfile')).toBe('refused');
    expect(statusOf(after.outcomes, 'generated/api/iam/stage.json')).toBe('refused');
    expect(statusOf(after.outcomes, 'generated/api/iam/dev.json')).toBe('unchanged');
    expect(readFileSync(files.b, 'utf8')).not.toBe(genuine.b);
    expect(readFileSync(files.stage, 'utf8')).not.toBe(genuine.stage);
    expect(readFileSync(files.dev, 'utf8')).toBe(genuine.dev);
    expect(bySource(after.run, 'b').jenkinsfile).toBe(genuine.b);
    // a, written back with its compiled text (a new stamp), is served again once read and found so.
    expect(fromCache(bySource(after.run, 'a'))).toBe(true);
    expect(unread(bySource(after.run, 'a'))).toBe(false);
    expect(bySource(after.run, 'a').jenkinsfile).toBe(genuine.a);
  }, 90_000);
});
