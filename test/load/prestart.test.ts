import { afterEach, describe, expect, test } from 'vitest';
import { bundleEntries, releaseBundler, startBundler } from '../../src/load/bundle.ts';
import { hasBundleCache } from '../../src/load/cache.ts';
import { loadPipelineModules } from '../../src/load/loader.ts';
import { prestartLoad } from '../../src/load/prestart.ts';
import { disposeSandbox } from '../../src/load/sandbox.ts';
import { createProject, type TempProject } from './project.ts';

const projects: TempProject[] = [];
afterEach(async () => {
  disposeSandbox();
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

const PIPELINE = `import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: { type: 'any' }, stages: [] });\n`;

describe('prestartLoad (issue #14: start-up before the compiler is loaded)', () => {
  test('a load after prestartLoad gives the same values and diagnostics; the bundle cache is known only once a load made it', async () => {
    const p = await createProject({
      'pipelines/ok.pipeline.ts': PIPELINE,
      'pipelines/exits.pipeline.ts': `process.exit(0);\nexport default {};\n`,
    });
    projects.push(p);
    const files = [p.file('pipelines/ok.pipeline.ts'), p.file('pipelines/exits.pipeline.ts')];
    expect(hasBundleCache(p.root)).toBe(false);

    prestartLoad({ root: p.root, reuseBundles: false });
    const prestarted = await loadPipelineModules(files, { root: p.root, reuseBundles: false });
    expect(hasBundleCache(p.root)).toBe(true);
    const plain = await loadPipelineModules(files, { root: p.root, reuseBundles: false });

    const summary = (result: typeof plain) => result.modules.map(({ file, value, diagnostics }) => ({ file, value, codes: diagnostics.map((d) => d.code) }));
    expect(summary(prestarted)).toEqual(summary(plain));
    expect(summary(prestarted)).toEqual([
      { file: files[0], value: expect.objectContaining({ agent: { type: 'any' } }), codes: [] },
      { file: files[1], value: undefined, codes: ['PW1005'] },
    ]);
  });

  test("esbuild's service started ahead of time builds, and starts again after it was released", async () => {
    const p = await createProject({ 'pipelines/ok.pipeline.ts': PIPELINE });
    projects.push(p);
    const build = () => bundleEntries([p.file('pipelines/ok.pipeline.ts')], { root: p.root, outfile: p.file('out.mjs'), mode: 'lazy' });
    startBundler();
    startBundler();
    expect((await build()).ok).toBe(true);
    await releaseBundler();
    startBundler();
    expect((await build()).ok).toBe(true);
    await releaseBundler();
  });
});
