/**
 * The persistent compile-result cache, on real temporary projects: hits give the same results as
 * a fresh compile (lazy model/ast/lineOrigins included), and every input a result depends on
 * invalidates it: the pipeline source, the configuration, the compiler build id, a project file a
 * policy rule read, the source text a location was taken from. Damaged cache files are ignored.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileProject, type CompiledPipeline, type CompileRun } from '../../src/compile.ts';
import { writeRun } from '../../src/emit/index.ts';
import { createTempProject, helloPipeline, type TempProject } from '../support/temp-project.ts';

let project: TempProject | undefined;
afterEach(() => project?.remove());

const CACHE = { buildId: 'test-build-a' };

/** Whether a result was served by the cache (its model is then computed on access). */
const fromCache = (pipeline: CompiledPipeline) => typeof Object.getOwnPropertyDescriptor(pipeline, 'model')?.get === 'function';

/** Everything a result says, as plain data (reads the lazy fields too). */
const plain = (run: CompileRun) => JSON.parse(JSON.stringify(run.pipelines)) as unknown;

const bySource = (run: CompileRun, source: string) => run.pipelines.find((p) => p.source === source)!;

/**
 * A compile that writes its outputs, as `pipewright compile` does: the cache serves a result only
 * while its output files are exactly what was compiled.
 */
async function compileWritten(options: Parameters<typeof compileProject>[0]): Promise<CompileRun> {
  const run = await compileProject(options);
  await writeRun(run);
  return run;
}

/** The cache's shard files of the project (it has no node_modules, so `.pipewright-cache/`). */
function shardFiles(root: string): string[] {
  const results = join(root, '.pipewright-cache', 'results');
  return readdirSync(results, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => join(entry.parentPath, entry.name));
}

const scanPipeline = (comment = '') => `import { definePipeline, sh } from 'pipewright';
${comment}
export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  options: { timeout: { time: 10, unit: 'MINUTES' }, buildDiscarder: { numToKeep: 5 } },
  stages: [
    { name: 'Scan', steps: [sh('trivy fs --exit-code 1 --format json --output reports/fs.json --ignorefile .trivyignore .')] },
  ],
});
`;

describe('compile result cache', () => {
  it('serves unchanged pipelines from the cache with the same results as a fresh compile', async () => {
    project = createTempProject({
      'pipelines/a.pipeline.ts': helloPipeline('a'),
      'pipelines/b.pipeline.ts': helloPipeline('b'),
      'pipelines/scan.pipeline.ts': scanPipeline(),
      '.trivyignore': 'CVE-2024-1234\n',
    });
    const first = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(first.pipelines.some(fromCache)).toBe(false);
    expect(shardFiles(project.root).length).toBeGreaterThan(0);

    const second = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(second.pipelines.every(fromCache)).toBe(true);
    const fresh = await compileProject({ root: project.root, resultCache: false });
    expect(fresh.pipelines.some(fromCache)).toBe(false);
    expect(plain(second)).toEqual(plain(fresh));

    // The scan pipeline has policy findings (SCAN-004 on the ignore file): they are the very
    // objects in `diagnostics`, as in a fresh result, and carry their TypeScript locations.
    const scan = bySource(second, 'pipelines/scan.pipeline.ts');
    const finding = scan.policy!.findings.find((f) => f.code === 'SCAN-004')!;
    expect(finding.location).toMatchObject({ file: 'pipelines/scan.pipeline.ts', line: 7 });
    expect(scan.diagnostics).toContain(finding);
    expect(scan.policy!.rules.length).toBe(bySource(fresh, 'pipelines/scan.pipeline.ts').policy!.rules.length);

    // Lazy fields equal a fresh compile's, and can still be replaced or deleted like data.
    const a = bySource(second, 'pipelines/a.pipeline.ts');
    expect(a.model).toEqual(bySource(fresh, 'pipelines/a.pipeline.ts').model);
    expect(a.ast).toEqual(bySource(fresh, 'pipelines/a.pipeline.ts').ast);
    expect(a.lineOrigins).toEqual(bySource(fresh, 'pipelines/a.pipeline.ts').lineOrigins);
    delete a.ast;
    expect(a.ast).toBeUndefined();

    // Writing a cached run finds the same files.
    const report = await writeRun(second);
    const expected = fresh.pipelines.map((p) => (p.jenkinsfile === undefined ? 'invalid' : 'unchanged'));
    expect(report.outcomes.map((o) => o.status)).toEqual(expected);
    expect(expected).toContain('unchanged');
    expect(readFileSync(project.path('generated/a/Jenkinsfile'), 'utf8')).toBe(bySource(fresh, 'pipelines/a.pipeline.ts').jenkinsfile);
  });

  it('does not serve a result whose output was edited or deleted since it was compiled', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a'), 'pipelines/b.pipeline.ts': helloPipeline('b') });
    const first = await compileWritten({ root: project.root, resultCache: CACHE });
    const genuine = bySource(first, 'pipelines/a.pipeline.ts').jenkinsfile!;
    project.write('generated/a/Jenkinsfile', genuine.replace("echo 'a'", "echo 'edited'"));
    rmSync(project.path('generated/b/Jenkinsfile'));
    const run = await compileProject({ root: project.root, resultCache: CACHE });
    for (const source of ['pipelines/a.pipeline.ts', 'pipelines/b.pipeline.ts']) expect(fromCache(bySource(run, source))).toBe(false);
    expect(bySource(run, 'pipelines/a.pipeline.ts').jenkinsfile).toBe(genuine);
  });

  it('recompiles a pipeline whose source changed, and only that one', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a'), 'pipelines/b.pipeline.ts': helloPipeline('b') });
    const first = await compileWritten({ root: project.root, resultCache: CACHE });
    project.write('pipelines/a.pipeline.ts', helloPipeline('a, edited'));
    const run = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(fromCache(bySource(run, 'pipelines/a.pipeline.ts'))).toBe(false);
    expect(bySource(run, 'pipelines/a.pipeline.ts').jenkinsfile).toContain("echo 'a, edited'");
    expect(fromCache(bySource(run, 'pipelines/b.pipeline.ts'))).toBe(true);
    // Going back to the earlier source and its output (a branch switch, both committed) hits the
    // earlier result: several results per source are kept.
    project.write('pipelines/a.pipeline.ts', helloPipeline('a'));
    project.write('generated/a/Jenkinsfile', bySource(first, 'pipelines/a.pipeline.ts').jenkinsfile!);
    const back = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(fromCache(bySource(back, 'pipelines/a.pipeline.ts'))).toBe(true);
    expect(bySource(back, 'pipelines/a.pipeline.ts').jenkinsfile).toContain("echo 'a'");
  });

  it('recompiles everything when the configuration changes', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a') });
    const before = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(bySource(before, 'pipelines/a.pipeline.ts').output).toBe('generated/a/Jenkinsfile');
    project.write('pipewright.config.ts', `export default { outDir: 'jenkins' };\n`);
    const after = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(fromCache(bySource(after, 'pipelines/a.pipeline.ts'))).toBe(false);
    expect(bySource(after, 'pipelines/a.pipeline.ts').output).toBe('jenkins/a/Jenkinsfile');
    // A policy setting changes results too.
    project.write('pipewright.config.ts', `export default { outDir: 'jenkins', policy: { rules: { 'BASE-001': 'error' } } };\n`);
    const stricter = await compileWritten({ root: project.root, resultCache: CACHE });
    const pipeline = bySource(stricter, 'pipelines/a.pipeline.ts');
    expect(fromCache(pipeline)).toBe(false);
    expect(pipeline.policy!.failed).toBe(true);
    expect(pipeline.jenkinsfile).toBeUndefined();
  });

  it('recompiles everything for another compiler build', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a') });
    await compileWritten({ root: project.root, resultCache: CACHE });
    const other = await compileWritten({ root: project.root, resultCache: { buildId: 'test-build-b' } });
    expect(other.pipelines.some(fromCache)).toBe(false);
    const again = await compileWritten({ root: project.root, resultCache: { buildId: 'test-build-b' } });
    expect(again.pipelines.every(fromCache)).toBe(true);
  });

  it('recompiles when a project file a policy rule read changes', async () => {
    project = createTempProject({ 'pipelines/scan.pipeline.ts': scanPipeline(), '.trivyignore': 'CVE-2024-1234\n' });
    const first = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(bySource(first, 'pipelines/scan.pipeline.ts').policy!.findings.map((f) => f.code)).toContain('SCAN-004');
    project.write('.trivyignore', '# SEC-812: not reachable\nCVE-2024-1234 exp:2999-12-31\n');
    const second = await compileWritten({ root: project.root, resultCache: CACHE });
    const scan = bySource(second, 'pipelines/scan.pipeline.ts');
    expect(fromCache(scan)).toBe(false);
    expect(scan.policy!.findings.map((f) => f.code)).not.toContain('SCAN-004');
  });

  it('recompiles when the source text moves a located diagnostic, even though the value is the same', async () => {
    project = createTempProject({ 'pipelines/scan.pipeline.ts': scanPipeline(), '.trivyignore': 'CVE-2024-1234\n' });
    await compileWritten({ root: project.root, resultCache: CACHE });
    project.write('pipelines/scan.pipeline.ts', scanPipeline('// one\n// two\n'));
    const run = await compileWritten({ root: project.root, resultCache: CACHE });
    const scan = bySource(run, 'pipelines/scan.pipeline.ts');
    expect(fromCache(scan)).toBe(false);
    expect(scan.policy!.findings.find((f) => f.code === 'SCAN-004')!.location).toMatchObject({ line: 9 });
  });

  it('ignores damaged cache files and rebuilds them', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a'), 'pipelines/b.pipeline.ts': helloPipeline('b') });
    const fresh = await compileProject({ root: project.root, resultCache: false });
    await compileWritten({ root: project.root, resultCache: CACHE });
    const shards = shardFiles(project.root);
    // One shard truncated, the others with a body that no longer matches their checksum.
    shards.forEach((file, index) => {
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, index === 0 ? text.slice(0, text.length / 2) : text.replace('generated/', 'hacked/'));
    });
    const damaged = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(damaged.pipelines.some(fromCache)).toBe(false);
    expect(plain(damaged)).toEqual(plain(fresh));
    const rebuilt = await compileWritten({ root: project.root, resultCache: CACHE });
    expect(rebuilt.pipelines.every(fromCache)).toBe(true);
    // Garbage that is not even text is ignored too.
    for (const file of shardFiles(project.root)) writeFileSync(file, Buffer.from([0xff, 0x00, 0x13, 0x37]));
    expect(plain(await compileWritten({ root: project.root, resultCache: CACHE }))).toEqual(plain(fresh));
  });

  it('lazyModels: fresh results keep only their outputs; model, ast and lineOrigins come back on first read', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a'), 'pipelines/scan.pipeline.ts': scanPipeline(), '.trivyignore': 'CVE-2024-1\n' });
    const lazy = await compileProject({ root: project.root, resultCache: false, lazyModels: true });
    const eager = await compileProject({ root: project.root, resultCache: false });
    expect(lazy.pipelines.every(fromCache)).toBe(true);
    expect(eager.pipelines.some(fromCache)).toBe(false);
    expect(plain(lazy)).toEqual(plain(eager));
    const scan = bySource(lazy, 'pipelines/scan.pipeline.ts');
    expect(scan.diagnostics).toContain(scan.policy!.findings[0]);
    expect(scan.model).toBe(scan.model); // computed once
  });

  it('sideFiles: the IAM policies come with each result, from the cache too, and a changed task-definition template recompiles', async () => {
    const deploy = `import { definePipeline, ecsDeploy } from 'pipewright';
export default definePipeline({
  agent: 'none',
  stages: [{ name: 'Deploy dev', agent: { type: 'label', label: 'deploy' }, steps: [ecsDeploy({ environment: 'dev', aws: { role: 'deployer', account: '111111111111', region: 'eu-west-1' }, cluster: 'dev-apps', service: 'api', container: 'app', taskDefinition: 'deploy/taskdef.json' })] }],
});
`;
    const template = (taskRole: string) => JSON.stringify({ family: 'api-dev', taskRoleArn: taskRole, executionRoleArn: 'api-execution', containerDefinitions: [] });
    project = createTempProject({ 'pipewright.config.ts': 'export default { policy: { packs: [] } };\n', 'pipelines/api.pipeline.ts': deploy, 'deploy/taskdef.json': template('api-task') });
    const options = { root: project.root, resultCache: CACHE, sideFiles: true } as const;
    const passRoles = (run: CompileRun) => {
      const files = bySource(run, 'pipelines/api.pipeline.ts').sideFiles!;
      expect(files.map((f) => f.file)).toEqual(['generated/api/iam/dev.json']);
      const policy = JSON.parse(files[0]!.text!) as { roles: { identityPolicy: { Statement: { Action: string[]; Resource: string[] }[] } }[] };
      return policy.roles[0]!.identityPolicy.Statement.find((s) => s.Action.includes('iam:PassRole'))!.Resource;
    };
    const first = await compileWritten(options);
    expect(passRoles(first)).toEqual(['arn:aws:iam::111111111111:role/api-execution', 'arn:aws:iam::111111111111:role/api-task']);
    // Without the option nothing is generated while compiling.
    expect(bySource(await compileProject({ root: project.root, resultCache: false }), 'pipelines/api.pipeline.ts').sideFiles).toBeUndefined();

    const second = await compileWritten(options);
    const served = bySource(second, 'pipelines/api.pipeline.ts');
    expect(fromCache(served)).toBe(true);
    expect(served.sideFiles).toEqual(bySource(first, 'pipelines/api.pipeline.ts').sideFiles);

    // The template is a dependency of the side files: a new task role is a new result.
    project.write('deploy/taskdef.json', template('api-task-v2'));
    const third = await compileWritten(options);
    expect(fromCache(bySource(third, 'pipelines/api.pipeline.ts'))).toBe(false);
    expect(passRoles(third)).toEqual(['arn:aws:iam::111111111111:role/api-execution', 'arn:aws:iam::111111111111:role/api-task-v2']);
  });

  it('is off when running from source unless a build id is given', async () => {
    project = createTempProject({ 'pipelines/a.pipeline.ts': helloPipeline('a') });
    await compileProject({ root: project.root });
    const second = await compileProject({ root: project.root });
    expect(second.pipelines.some(fromCache)).toBe(false);
    expect(() => shardFiles(project!.root)).toThrow(/ENOENT/);
  });
});
