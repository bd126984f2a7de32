import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { watchProject, type ProjectWatcher, type RebuildEvent } from '../../src/watch.ts';
import { createTempProject, helloPipeline, type TempProject } from '../support/temp-project.ts';

let project: TempProject | undefined;
let watcher: ProjectWatcher | undefined;
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  project?.remove();
});

/** Starts a watcher and returns a function that waits for the next rebuild. */
async function startWatching(root: string) {
  const events: RebuildEvent[] = [];
  const waiters: ((event: RebuildEvent) => void)[] = [];
  const errors: unknown[] = [];
  watcher = watchProject({
    root,
    onRebuild: (event) => {
      events.push(event);
      waiters.shift()?.(event);
    },
    onError: (error) => errors.push(error),
  });
  const initial = await watcher.ready;
  const next = () =>
    new Promise<RebuildEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no rebuild within 10 s; errors: ${errors.join('; ')}`)), 10_000);
      waiters.push((event) => {
        clearTimeout(timer);
        resolve(event);
      });
    });
  return { initial, next, events, errors };
}

const sharedModule = (label: string) => `export const agentLabel = ${JSON.stringify(label)};\n`;
const importingPipeline = (stage: string) => `import { definePipeline, sh } from 'pipewright';
import { agentLabel } from './shared/defaults.ts';

export default definePipeline({
  agent: { type: 'label', label: agentLabel },
  stages: [{ name: ${JSON.stringify(stage)}, steps: [sh('make')] }],
});
`;

describe('watchProject (real file events)', () => {
  it('builds everything first, then recompiles only the edited pipeline', async () => {
    project = createTempProject({
      'pipelines/a.pipeline.ts': helloPipeline('a'),
      'pipelines/b.pipeline.ts': helloPipeline('b'),
    });
    const { initial, next } = await startWatching(project.root);
    expect(initial.recompiled.sort()).toEqual(['pipelines/a.pipeline.ts', 'pipelines/b.pipeline.ts']);
    const bBefore = readFileSync(project.path('generated/b/Jenkinsfile'), 'utf8');

    const rebuilt = next();
    project.write('pipelines/a.pipeline.ts', helloPipeline('a, edited'));
    const event = await rebuilt;
    expect(event.trigger).toEqual(['pipelines/a.pipeline.ts']);
    expect(event.recompiled).toEqual(['pipelines/a.pipeline.ts']);
    expect(event.milliseconds).toBeGreaterThan(0);
    expect(readFileSync(project.path('generated/a/Jenkinsfile'), 'utf8')).toContain("echo 'a, edited'");
    expect(readFileSync(project.path('generated/b/Jenkinsfile'), 'utf8')).toBe(bBefore);
  });

  it('follows the import graph: a shared module edit recompiles every importer, and only them', async () => {
    project = createTempProject({
      'pipelines/shared/defaults.ts': sharedModule('linux'),
      'pipelines/one.pipeline.ts': importingPipeline('One'),
      'pipelines/two.pipeline.ts': importingPipeline('Two'),
      'pipelines/alone.pipeline.ts': helloPipeline('alone'),
    });
    const { next } = await startWatching(project.root);
    const rebuilt = next();
    project.write('pipelines/shared/defaults.ts', sharedModule('linux && arm64'));
    const event = await rebuilt;
    expect(event.recompiled.sort()).toEqual(['pipelines/one.pipeline.ts', 'pipelines/two.pipeline.ts']);
    expect(readFileSync(project.path('generated/one/Jenkinsfile'), 'utf8')).toContain("label 'linux && arm64'");
    expect(readFileSync(project.path('generated/two/Jenkinsfile'), 'utf8')).toContain("label 'linux && arm64'");
  });

  it('keeps the last good output on a syntax error, reports it with its location, and recovers', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('good') });
    const { next } = await startWatching(project.root);
    const good = readFileSync(project.path('generated/a/Jenkinsfile'), 'utf8');

    let rebuilt = next();
    project.write('pipelines/a.pipeline.ts', "import { definePipeline } from 'pipewright';\nexport default definePipeline({ stages: [ );\n");
    const broken = await rebuilt;
    expect(broken.diagnostics.some((d) => d.code === 'PW1001' && d.location?.file === 'pipelines/a.pipeline.ts' && d.location.line === 2)).toBe(true);
    expect(broken.report.outcomes[0]!.status).toBe('invalid');
    expect(readFileSync(project.path('generated/a/Jenkinsfile'), 'utf8')).toBe(good);

    rebuilt = next();
    project.write('pipelines/a.pipeline.ts', helloPipeline('fixed'));
    const fixed = await rebuilt;
    expect(fixed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(readFileSync(project.path('generated/a/Jenkinsfile'), 'utf8')).toContain("echo 'fixed'");
  });

  it('compiles new files, removes the output of deleted ones, and handles a rename', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a') });
    const { next } = await startWatching(project.root);

    let rebuilt = next();
    project.write('pipelines/new.pipeline.ts', helloPipeline('new'));
    expect((await rebuilt).recompiled).toEqual(['pipelines/new.pipeline.ts']);
    expect(existsSync(project.path('generated/new/Jenkinsfile'))).toBe(true);

    rebuilt = next();
    rmSync(project.path('pipelines/new.pipeline.ts'));
    expect((await rebuilt).removed).toEqual(['generated/new/Jenkinsfile']);
    expect(existsSync(project.path('generated/new/Jenkinsfile'))).toBe(false);

    // The two names of a rename may arrive in one burst of events or in two, so a rename may
    // take one rebuild or two.
    const seen: RebuildEvent[] = [];
    while (!seen.some((e) => e.removed.length > 0) || !seen.some((e) => e.recompiled.length > 0)) {
      rebuilt = next();
      if (seen.length === 0) renameSync(project.path('pipelines/a.pipeline.ts'), project.path('pipelines/renamed.pipeline.ts'));
      seen.push(await rebuilt);
    }
    expect(seen.flatMap((e) => e.recompiled)).toEqual(['pipelines/renamed.pipeline.ts']);
    expect(seen.flatMap((e) => e.removed)).toEqual(['generated/a/Jenkinsfile']);
    expect(existsSync(project.path('generated/a/Jenkinsfile'))).toBe(false);
    expect(readFileSync(project.path('generated/renamed/Jenkinsfile'), 'utf8')).toContain("echo 'a'");
  });

  it('watches directories created after the start, and the files already in them', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a') });
    const { next } = await startWatching(project.root);
    let rebuilt = next();
    // Directory and file appear together (as with a checkout or a copy).
    project.write('pipelines/team/deep/b.pipeline.ts', helloPipeline('b'));
    expect((await rebuilt).recompiled).toEqual(['pipelines/team/deep/b.pipeline.ts']);
    expect(readFileSync(project.path('generated/b/Jenkinsfile'), 'utf8')).toContain("echo 'b'");
    // Edits inside the new directory are seen too.
    rebuilt = next();
    project.write('pipelines/team/deep/b.pipeline.ts', helloPipeline('b, edited'));
    expect((await rebuilt).recompiled).toEqual(['pipelines/team/deep/b.pipeline.ts']);
    expect(readFileSync(project.path('generated/b/Jenkinsfile'), 'utf8')).toContain("echo 'b, edited'");
  });

  it('does not delete a hand-written Jenkinsfile when its namesake pipeline is removed', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a') });
    const { next } = await startWatching(project.root);
    const handWritten = "pipeline { agent any }\n";
    project.write('generated/a/Jenkinsfile', handWritten);
    const rebuilt = next();
    rmSync(project.path('pipelines/a.pipeline.ts'));
    expect((await rebuilt).removed).toEqual([]);
    expect(readFileSync(project.path('generated/a/Jenkinsfile'), 'utf8')).toBe(handWritten);
  });

  it('debounces a burst of saves into one rebuild with the final content', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('v0') });
    const { next, events } = await startWatching(project.root);
    const rebuilt = next();
    for (let i = 1; i <= 10; i++) project.write('pipelines/a.pipeline.ts', helloPipeline(`v${i}`));
    await rebuilt;
    await new Promise((r) => setTimeout(r, 300));
    expect(events.length).toBe(1); // one rebuild for the whole burst
    expect(readFileSync(project.path('generated/a/Jenkinsfile'), 'utf8')).toContain("echo 'v10'");
  });
});
