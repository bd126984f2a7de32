/**
 * Watch mode reacts to, and logs, only files that can be pipeline modules: editors' temp files
 * (`sed -i`'s `sedXXXXXX`, vim's `4913` probe and `.swp`, `~` backups, emacs `#x#`) are not
 * changes to a pipeline. Real editors' file operations on a real watched tree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withHeader } from '../../src/emit/header.ts';
import { createFileWatcher, isWatchableSource } from '../../src/fs-watcher.ts';
import { watchProject, type RebuildEvent } from '../../src/watch.ts';
import { createTempProject, helloPipeline, type TempProject } from '../support/temp-project.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const until = async (condition: () => boolean, what: string, ms = 20_000) => {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** What vim does around a save (probe file, swap file, backup), then `sed -i` (temp file + rename). */
function editLikeEditors(project: TempProject, file: string, from: string, to: string) {
  writeFileSync(project.path('pipelines/4913'), '');
  rmSync(project.path('pipelines/4913'));
  writeFileSync(project.path('pipelines/.hello.pipeline.ts.swp'), 'swap');
  writeFileSync(project.path(`${file}~`), readFileSync(project.path(file)));
  writeFileSync(project.path('pipelines/#hello.pipeline.ts#'), 'emacs autosave');
  const sed = spawnSync('sed', ['-i', `s/${from}/${to}/`, file], { cwd: project.root, encoding: 'utf8' });
  expect(sed.status, sed.stderr).toBe(0);
}

describe('watching a pipelines directory', () => {
  it('reports pipeline modules only, not editor temp files', async () => {
    const project = createTempProject({ 'pipelines/hello.pipeline.ts': helloPipeline('hello'), 'pipelines/shared/defaults.ts': 'export const x = 1;\n' });
    cleanups.push(() => project.remove());
    const seen: string[] = [];
    const watcher = createFileWatcher({ onChange: (file) => seen.push(file.slice(project.root.length + 1)), onError: (e) => seen.push(`error ${String(e)}`) });
    cleanups.push(() => watcher.close());
    watcher.addTree(project.path('pipelines'));
    editLikeEditors(project, 'pipelines/hello.pipeline.ts', 'hello', 'bonjour');
    writeFileSync(project.path('pipelines/shared/defaults.ts'), 'export const x = 2;\n');
    await until(() => seen.includes('pipelines/shared/defaults.ts') && seen.includes('pipelines/hello.pipeline.ts'), 'both modules');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...new Set(seen)].sort()).toEqual(['pipelines/hello.pipeline.ts', 'pipelines/shared/defaults.ts']);
  });

  it('watch mode rebuilds and logs the pipeline sed -i edited, without the temp files around it', async () => {
    const project = createTempProject({ 'pipelines/hello.pipeline.ts': helloPipeline('hello'), 'pipelines/other.pipeline.ts': helloPipeline('other') });
    cleanups.push(() => project.remove());
    const events: RebuildEvent[] = [];
    const errors: unknown[] = [];
    const watcher = watchProject({ root: project.root, debounceMs: 50, onRebuild: (e) => events.push(e), onError: (e) => errors.push(e) });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    editLikeEditors(project, 'pipelines/hello.pipeline.ts', 'hello', 'bonjour');
    await until(() => readFileSync(project.path('generated/hello/Jenkinsfile'), 'utf8').includes("echo 'bonjour'"), 'the rebuild');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(errors).toEqual([]);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event.trigger).toEqual(['pipelines/hello.pipeline.ts']);
      expect(event.recompiled).toEqual(['pipelines/hello.pipeline.ts']);
    }
  });

  it('removes a deleted pipeline\'s output and the directory it leaves empty, but never through a symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'pipewright-outside-'));
    cleanups.push(() => rmSync(outside, { recursive: true, force: true }));
    const elsewhere = withHeader('pipeline {\n  agent any\n}\n', 'pipelines/linked.pipeline.ts');
    writeFileSync(join(outside, 'Jenkinsfile'), elsewhere);
    const project = createTempProject({
      'pipelines/hello.pipeline.ts': helloPipeline('hello'),
      'pipelines/linked.pipeline.ts': helloPipeline('linked'),
    });
    cleanups.push(() => project.remove());
    mkdirSync(project.path('generated'), { recursive: true });
    symlinkSync(outside, project.path('generated/linked'));
    const events: RebuildEvent[] = [];
    const watcher = watchProject({ root: project.root, debounceMs: 50, onRebuild: (e) => events.push(e) });
    cleanups.push(() => watcher.close());
    const initial = await watcher.ready;
    expect(initial.report.outcomes.find((o) => o.pipeline.name === 'linked')?.status).toBe('refused');
    rmSync(project.path('pipelines/hello.pipeline.ts'));
    rmSync(project.path('pipelines/linked.pipeline.ts'));
    await until(() => events.some((e) => e.removed.includes('generated/hello/Jenkinsfile')), 'the removal');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(project.path('generated/hello'))).toBe(false);
    expect(readFileSync(join(outside, 'Jenkinsfile'), 'utf8')).toBe(elsewhere);
    expect(events.flatMap((e) => e.removed)).toEqual(['generated/hello/Jenkinsfile']);
  });

  it('tells module names from editor artefacts', () => {
    for (const name of ['a.pipeline.ts', 'defaults.ts', 'x.mts', 'x.cjs', 'x.js', 'data.json', 'x.tsx']) expect(isWatchableSource(name), name).toBe(true);
    for (const name of ['sedZpcpt6', '4913', '.a.pipeline.ts.swp', 'a.pipeline.ts~', '#a.ts#', '.#a.ts', 'a.ts.orig', 'Jenkinsfile.pipewright-1-x.tmp']) {
      expect(isWatchableSource(name), name).toBe(false);
    }
  });
});
