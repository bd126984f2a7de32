import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../../src/diagnostics.ts';
import { loadPipelineModules, type LoadResult } from '../../src/load/loader.ts';
import { createProject, type TempProject } from './project.ts';

const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

async function project(files: Record<string, string>): Promise<TempProject> {
  const created = await createProject(files);
  projects.push(created);
  return created;
}

function moduleOf(result: LoadResult, p: TempProject, relative: string) {
  const found = result.modules.find((loaded) => loaded.file === p.file(relative));
  if (!found) throw new Error(`no module for ${relative}`);
  return found;
}

const rendered = (diagnostics: Diagnostic[]) => diagnostics.map(formatDiagnostic);

describe('chunked loads (issue #14: memory of large loads)', () => {
  test('a load larger than chunkSize is bundled and evaluated in chunks: same values, diagnostics and graph as one bundle; each chunk has its own reusable bundle', async () => {
    const pipeline = (label: string) =>
      `import { definePipeline } from 'pipewright';\nimport { agentLabel } from './shared/defaults.ts';\nexport default definePipeline({ agent: { type: 'label', label: agentLabel('${label}') }, stages: [] });\n`;
    const files: Record<string, string> = {
      'pipelines/shared/defaults.ts': `export const agentLabel = (name: string) => 'linux-' + name;\n`,
      'pipelines/broken.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [ });\n`,
      'pipelines/throws.pipeline.ts': `import { definePipeline } from 'pipewright';\nif (Math.PI > 3) throw new Error('throws is broken');\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
      'pipelines/exits.pipeline.ts': `process.exit(3);\nexport default {};\n`,
    };
    for (let index = 0; index < 7; index += 1) files[`pipelines/p${index}.pipeline.ts`] = pipeline(`p${index}`);
    const p = await project(files);
    await sleep(5);
    const relativeFiles = Object.keys(files).filter((name) => name.endsWith('.pipeline.ts'));
    const chunked = (chunkSize: number) => loadPipelineModules(relativeFiles.map((file) => p.file(file)), { root: p.root, chunkSize });
    const summary = (result: LoadResult) => ({ modules: result.modules.map(({ file, value, diagnostics }) => ({ file, value, diagnostics: rendered(diagnostics) })), graph: result.graph });

    const whole = await chunked(1000);
    const cacheDirectory = p.file('.pipewright-cache');
    const bundles = () => readdirSync(cacheDirectory).filter((name) => name.endsWith('.mjs')).sort();
    expect(bundles()).toHaveLength(1);
    expect(moduleOf(whole, p, 'pipelines/p6.pipeline.ts').value).toMatchObject({ agent: { label: 'linux-p6' } });
    expect(moduleOf(whole, p, 'pipelines/broken.pipeline.ts').diagnostics.map((d) => d.code)).toEqual(['PW1001']);
    expect(moduleOf(whole, p, 'pipelines/throws.pipeline.ts').diagnostics.map((d) => d.code)).toEqual(['PW1002']);
    expect(moduleOf(whole, p, 'pipelines/exits.pipeline.ts').diagnostics.map((d) => d.code)).toEqual(['PW1005']);

    // 10 entries in chunks of at most 3: 4 chunks (3, 2, 3, 2 entries), 4 more bundles.
    const inChunks = await chunked(3);
    expect(summary(inChunks)).toEqual(summary(whole));
    const chunkBundles = bundles();
    expect(chunkBundles).toHaveLength(5);

    // Warm: every chunk reuses its bundle except the one with the build error (a bundle built
    // around errors is never reused), which is rebuilt in its own slot; the result is the same.
    const warm = await chunked(3);
    const slot = (name: string) => name.split('-').slice(0, 2).join('-');
    const rebuilt = bundles().filter((name) => !chunkBundles.includes(name));
    expect(rebuilt).toHaveLength(1);
    expect(chunkBundles.map(slot)).toContain(slot(rebuilt[0]!));
    expect(bundles().map(slot)).toEqual(chunkBundles.map(slot));
    expect(summary(warm)).toEqual(summary(whole));
  });

  test('a load of at least overlapFrom entries is bundled as a leading chunk and the rest, evaluated by one worker: same values, diagnostics and graph as one bundle', async () => {
    const pipeline = (label: string) =>
      `import { definePipeline } from 'pipewright';\nimport { agentLabel } from './shared/defaults.ts';\nexport default definePipeline({ agent: { type: 'label', label: agentLabel('${label}') }, stages: [] });\n`;
    const files: Record<string, string> = {
      'pipelines/shared/defaults.ts': `export const agentLabel = (name: string) => 'linux-' + name;\n`,
      // Sorted first, so in the leading chunk: its worker is replaced, and the rest still load.
      'pipelines/a-exits.pipeline.ts': `process.exit(3);\nexport default {};\n`,
      'pipelines/broken.pipeline.ts': `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [ });\n`,
      'pipelines/throws.pipeline.ts': `import { definePipeline } from 'pipewright';\nif (Math.PI > 3) throw new Error('throws is broken');\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`,
    };
    for (let index = 0; index < 9; index += 1) files[`pipelines/p${index}.pipeline.ts`] = pipeline(`p${index}`);
    const p = await project(files);
    await sleep(5);
    const entries = Object.keys(files)
      .filter((name) => name.endsWith('.pipeline.ts'))
      .sort()
      .map((file) => p.file(file));
    const summary = (result: LoadResult) => ({ modules: result.modules.map(({ file, value, diagnostics }) => ({ file, value, diagnostics: rendered(diagnostics) })), graph: result.graph });
    const cacheDirectory = p.file('.pipewright-cache');
    const bundles = () => readdirSync(cacheDirectory).filter((name) => name.endsWith('.mjs'));

    const whole = await loadPipelineModules(entries, { root: p.root, overlapFrom: 1000 });
    expect(bundles()).toHaveLength(1);
    expect(moduleOf(whole, p, 'pipelines/p8.pipeline.ts').value).toMatchObject({ agent: { label: 'linux-p8' } });
    expect(moduleOf(whole, p, 'pipelines/a-exits.pipeline.ts').diagnostics.map((d) => d.code)).toEqual(['PW1005']);

    // 12 entries from overlapFrom 12: a leading chunk of 3 (a-exits, broken, p0) and 9 more.
    const streamed: string[] = [];
    const split = await loadPipelineModules(entries, { root: p.root, overlapFrom: 12, onModule: (loaded) => streamed.push(loaded.file) });
    expect(summary(split)).toEqual(summary(whole));
    expect([...streamed].sort()).toEqual([...entries].sort());
    expect(bundles()).toHaveLength(3);

    // One entry fewer than overlapFrom: one bundle again (the slot of the whole load, reused).
    const below = await loadPipelineModules(entries, { root: p.root, overlapFrom: 13 });
    expect(summary(below)).toEqual(summary(whole));
    expect(bundles()).toHaveLength(3);
  });
});
