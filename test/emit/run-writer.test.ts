/**
 * Writing while compiling (createRunWriter + compileProject's onResult) gives the same files and
 * the same report as compiling first and then writeRun, including for two pipelines that claim
 * one output (both fail with PW4003 and neither is written) and for a file pipewright did not
 * generate.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { createRunWriter, writeRun, type WriteReport } from '../../src/emit/index.ts';
import { createTempProject, helloPipeline, type TempProject } from '../support/temp-project.ts';

const projects: TempProject[] = [];
afterEach(() => {
  for (const project of projects.splice(0)) project.remove();
});

const named = (name: string, message: string) =>
  helloPipeline(message).replace('definePipeline({', `definePipeline({\n  name: ${JSON.stringify(name)},`);

const files = {
  'pipelines/a.pipeline.ts': helloPipeline('a'),
  'pipelines/b.pipeline.ts': named('shared-name', 'b'),
  'pipelines/c.pipeline.ts': named('shared-name', 'c'),
  'pipelines/d.pipeline.ts': helloPipeline('d'),
  'pipelines/broken.pipeline.ts': "import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: 'any', stages: [] });\n",
  'generated/d/Jenkinsfile': 'pipeline { agent any }\n',
};

const summary = (report: WriteReport) => report.outcomes.map((o) => [o.pipeline.source, o.status]);

describe('createRunWriter', () => {
  it('writes while compiling, with the files and report of compile-then-writeRun', async () => {
    const streaming = createTempProject(files);
    const batch = createTempProject(files);
    projects.push(streaming, batch);

    const writer = createRunWriter(streaming.root, { removeOrphans: true });
    const streamedRun = await compileProject({ root: streaming.root, onResult: writer.offer });
    const streamed = await writer.finish(streamedRun);
    const batchRun = await compileProject({ root: batch.root });
    const batched = await writeRun(batchRun, { removeOrphans: true });

    expect(summary(streamed)).toEqual(summary(batched));
    expect(summary(streamed)).toEqual([
      ['pipelines/a.pipeline.ts', 'created'],
      ['pipelines/b.pipeline.ts', 'invalid'],
      ['pipelines/broken.pipeline.ts', 'invalid'],
      ['pipelines/c.pipeline.ts', 'invalid'],
      ['pipelines/d.pipeline.ts', 'refused'],
    ]);
    for (const source of ['pipelines/b.pipeline.ts', 'pipelines/c.pipeline.ts']) {
      expect(streamedRun.pipelines.find((p) => p.source === source)!.diagnostics.map((d) => d.code)).toContain('PW4003');
    }
    for (const file of ['generated/a/Jenkinsfile', 'generated/d/Jenkinsfile']) {
      expect(readFileSync(streaming.path(file), 'utf8')).toBe(readFileSync(batch.path(file), 'utf8'));
    }
    expect(existsSync(streaming.path('generated/shared-name/Jenkinsfile'))).toBe(false);
    expect(existsSync(streaming.path('generated/broken/Jenkinsfile'))).toBe(false);

    // A second streamed run leaves everything as it is.
    const again = createRunWriter(streaming.root, { removeOrphans: true });
    const report = await again.finish(await compileProject({ root: streaming.root, onResult: again.offer }));
    expect(report.outcomes.map((o) => o.status)).toEqual(['unchanged', 'invalid', 'invalid', 'invalid', 'refused']);
  });
});
