import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { discoverPipelineFiles } from '../../src/load/discover.ts';
import { createProject, type TempProject } from './project.ts';

let project: TempProject;

beforeAll(async () => {
  project = await createProject({
    'pipelines/web.pipeline.ts': '',
    'pipelines/api.pipeline.ts': '',
    'pipelines/team-b/deep/worker.pipeline.ts': '',
    'pipelines/shared/defaults.ts': '',
    'pipelines/notes.pipeline.md': '',
    'pipelines/node_modules/pkg/vendored.pipeline.ts': '',
    'pipelines/.cache/stale.pipeline.ts': '',
    'ci/other.pipeline.ts': '',
    'elsewhere.pipeline.ts': '',
  });
  // A directory with the suffix is not a pipeline file.
  await mkdir(project.file('pipelines/odd.pipeline.ts'));
});
afterAll(async () => {
  await project.remove();
});

test('finds pipelines/**/*.pipeline.ts, sorted and absolute, skipping node_modules and dot-directories', async () => {
  expect(await discoverPipelineFiles(project.root)).toEqual([
    project.file('pipelines/api.pipeline.ts'),
    project.file('pipelines/team-b/deep/worker.pipeline.ts'),
    project.file('pipelines/web.pipeline.ts'),
  ]);
});

test('searches another directory when asked; a missing directory yields nothing', async () => {
  expect(await discoverPipelineFiles(project.root, { dir: 'ci' })).toEqual([project.file('ci/other.pipeline.ts')]);
  expect(await discoverPipelineFiles(project.root, { dir: 'no-such-dir' })).toEqual([]);
});
