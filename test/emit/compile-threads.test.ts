/**
 * A run on two compile threads (src/compile-threads.ts, the worker in src/compile-worker.ts)
 * gives exactly what one thread gives: the same Jenkinsfiles and IAM policies byte for byte, the
 * same diagnostics and lint report, the same exit codes; its results go into the result cache
 * like the main thread's. The real CLI, built as a package (the worker is a build entry point),
 * on a project of the company's own pipelines with copies and a broken one.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliPackage, runPackagedCli, type CliPackage } from '../load/cli-package.ts';
import { createProject, type TempProject } from '../load/project.ts';

const repo = path.resolve(import.meta.dirname, '../..');
let cli: CliPackage;
const projects: TempProject[] = [];
beforeAll(async () => {
  cli = await buildCliPackage('thread-test-build');
}, 60_000);
afterAll(async () => {
  cli?.remove();
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

/** The company's pipelines, two extra copies of payments-api, and one pipeline that does not compile. */
async function fleetProject(): Promise<TempProject> {
  const project = await createProject({ 'node_modules/.keep': '' });
  projects.push(project);
  cpSync(path.join(repo, 'pipelines'), project.file('pipelines'), { recursive: true });
  cpSync(path.join(repo, 'pipewright.config.ts'), project.file('pipewright.config.ts'));
  const payments = readFileSync(path.join(repo, 'pipelines', 'payments-api.pipeline.ts'), 'utf8');
  for (const copy of ['payments-api-2', 'payments-api-3']) {
    writeFileSync(project.file(`pipelines/${copy}.pipeline.ts`), payments.replace("name: 'payments-api',", `name: '${copy}',`));
  }
  writeFileSync(project.file('pipelines/broken.pipeline.ts'), payments.replace("name: 'payments-api',", "name: 'broken', timeout: 'soon',"));
  return project;
}

/** Every file below `directory`, relative path → text. */
function tree(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(path.relative(directory, path.join(entry.parentPath, entry.name)), readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
  }
  return files;
}

/** CLI output without the run's duration. */
const withoutTimes = (text: string) => text.replace(/\(\d+\.\d+ s\)/g, '(… s)');

describe('two compile threads', () => {
  it('compile writes the same files with the same report and exit code as one thread; the cache serves both', async () => {
    const one = await fleetProject();
    const two = await fleetProject();
    const single = await runPackagedCli(cli, ['compile'], one.root, { PIPEWRIGHT_COMPILE_THREADS: '1' });
    const double = await runPackagedCli(cli, ['compile'], two.root, { PIPEWRIGHT_COMPILE_THREADS: '2' });
    expect(single.code).toBe(2); // the broken pipeline
    expect(double.code).toBe(single.code);
    expect(withoutTimes(double.stdout).replaceAll(two.root, '<root>')).toBe(withoutTimes(single.stdout).replaceAll(one.root, '<root>'));
    expect(withoutTimes(double.stderr).replaceAll(two.root, '<root>')).toBe(withoutTimes(single.stderr).replaceAll(one.root, '<root>'));
    expect(single.stderr).toMatch(/broken\.pipeline\.ts:\d+:\d+/);
    const written = tree(two.file('generated'));
    expect([...written.keys()].filter((file) => file.endsWith('Jenkinsfile')).length).toBe(7);
    expect([...written.keys()].some((file) => file.includes('/iam/'))).toBe(true);
    expect(written).toEqual(tree(one.file('generated')));

    // A warm run on two threads: every valid pipeline from the cache, nothing rewritten.
    const warm = await runPackagedCli(cli, ['compile'], two.root, { PIPEWRIGHT_COMPILE_THREADS: '2' });
    expect(warm.code).toBe(2);
    expect(warm.stdout).toMatch(/7 unchanged/);
    expect(tree(two.file('generated'))).toEqual(written);
    expect((await runPackagedCli(cli, ['compile', '--check', 'pipelines/payments-api-2.pipeline.ts'], two.root, { PIPEWRIGHT_COMPILE_THREADS: '2' })).code).toBe(0);
  }, 120_000);

  it('the library reports the threads a run used (two when asked for, one when told), and worker results give back their models', async () => {
    const project = await fleetProject();
    const built = (await import(path.join(path.dirname(path.dirname(cli.bin)), 'dist', 'index.js'))) as typeof import('../../src/index.ts');
    const saved = process.env.PIPEWRIGHT_COMPILE_THREADS;
    try {
      process.env.PIPEWRIGHT_COMPILE_THREADS = '2';
      const run = await built.compileProject({ root: project.root, lazyModels: true });
      expect(run.threads).toBe(2);
      expect(run.pipelines.filter((p) => p.jenkinsfile !== undefined).length).toBe(7);
      process.env.PIPEWRIGHT_COMPILE_THREADS = '1';
      expect((await built.compileProject({ root: project.root, lazyModels: true })).threads).toBe(1);
      // Models and ASTs of results compiled on the worker come back on the main thread when read.
      const eager = await built.compileProject({ root: project.root });
      for (const [index, pipeline] of run.pipelines.entries()) {
        expect(pipeline.model).toEqual(eager.pipelines[index]!.model);
        expect(pipeline.ast).toEqual(eager.pipelines[index]!.ast);
        expect(pipeline.jenkinsfile).toBe(eager.pipelines[index]!.jenkinsfile);
      }
    } finally {
      if (saved === undefined) delete process.env.PIPEWRIGHT_COMPILE_THREADS;
      else process.env.PIPEWRIGHT_COMPILE_THREADS = saved;
    }
  }, 120_000);

  it('lint reports the same findings on two threads', async () => {
    const project = await fleetProject();
    const single = await runPackagedCli(cli, ['lint', '--format', 'json'], project.root, { PIPEWRIGHT_COMPILE_THREADS: '1' });
    const double = await runPackagedCli(cli, ['lint', '--format', 'json'], project.root, { PIPEWRIGHT_COMPILE_THREADS: '2' });
    expect(double.code).toBe(single.code);
    expect(JSON.parse(double.stdout)).toEqual(JSON.parse(single.stdout));
    expect(single.stdout).toContain('broken.pipeline.ts');
  }, 120_000);
});
