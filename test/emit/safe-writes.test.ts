/**
 * Writes and deletes stay inside the project, and problems on disk are per-file messages, not
 * crashes: symbolic links at a directory component or at the file itself, a malformed header,
 * a path component that is a file, hand-edited outputs, and the directories removing an orphan
 * empties. Real files and real symbolic links throughout.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { describeFsError } from '../../src/emit/fs-errors.ts';
import { writeRun } from '../../src/emit/index.ts';
import { readHeader, withHeader } from '../../src/emit/header.ts';
import { createTempProject, helloPipeline, runCli, type TempProject } from '../support/temp-project.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function project(files: Record<string, string>): TempProject {
  const created = createTempProject(files);
  cleanups.push(() => created.remove());
  return created;
}

/** A directory outside the project, like ~/.ssh. */
function outsideDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipewright-outside-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const withOutput = (output: string, message = 'hello') =>
  helloPipeline(message).replace('definePipeline({', `definePipeline({\n  name: 'keys',\n  output: ${JSON.stringify(output)},`);

describe('outputs through symbolic links', () => {
  it('refuses an output whose directory is a symlink leading outside the project, and writes nothing there', async () => {
    const outside = outsideDirectory();
    writeFileSync(join(outside, 'authorized_keys'), 'ssh-ed25519 AAAA mine\n');
    const p = project({ 'pipelines/keys.pipeline.ts': withOutput('generated/ssh/authorized_keys'), 'pipelines/hello.pipeline.ts': helloPipeline() });
    mkdirSync(p.path('generated'), { recursive: true });
    symlinkSync(outside, p.path('generated/ssh'));

    const result = await runCli(['compile', '--force'], p.root);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/x keys\s+generated\/ssh leads outside the project \(generated\/ssh resolves to .* through a symbolic link\)/);
    expect(readFileSync(join(outside, 'authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAA mine\n');
    // The other pipeline is still written.
    expect(result.stdout).toMatch(/\+ hello\s+generated\/hello\/Jenkinsfile created/);

    const check = await runCli(['compile', '--check'], p.root);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('unsafe: generated/ssh leads outside the project');
  });

  it('refuses a new output directory below such a symlink too', async () => {
    const outside = outsideDirectory();
    const p = project({ 'pipelines/keys.pipeline.ts': withOutput('generated/ssh/deeper/Jenkinsfile') });
    mkdirSync(p.path('generated'), { recursive: true });
    symlinkSync(outside, p.path('generated/ssh'));
    const result = await runCli(['compile'], p.root);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('generated/ssh/deeper leads outside the project');
    expect(existsSync(join(outside, 'deeper'))).toBe(false);
  });

  it('never writes through or replaces a symlink at the final component, even with --force', async () => {
    const outside = outsideDirectory();
    const victim = join(outside, 'bashrc');
    writeFileSync(victim, 'export PATH=/usr/bin\n');
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    mkdirSync(p.path('generated/hello'), { recursive: true });
    symlinkSync(victim, p.path('generated/hello/Jenkinsfile'));

    for (const args of [['compile'], ['compile', '--force']]) {
      const result = await runCli(args, p.root);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('generated/hello/Jenkinsfile is a symbolic link; pipewright never writes through, replaces or deletes a symbolic link');
      expect(lstatSync(p.path('generated/hello/Jenkinsfile')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(p.path('generated/hello/Jenkinsfile'))).toBe(victim);
      expect(readFileSync(victim, 'utf8')).toBe('export PATH=/usr/bin\n');
    }
    const check = await runCli(['compile', '--check'], p.root);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('unsafe: generated/hello/Jenkinsfile is a symbolic link');
  });

  it('allows a symlink that stays inside the project', async () => {
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    mkdirSync(p.path('build/jenkins'), { recursive: true });
    mkdirSync(p.path('generated'), { recursive: true });
    symlinkSync(p.path('build/jenkins'), p.path('generated/hello'));
    const result = await runCli(['compile'], p.root);
    expect(result.code).toBe(0);
    expect(readHeader(readFileSync(p.path('build/jenkins/Jenkinsfile'), 'utf8'))?.source).toBe('pipelines/hello.pipeline.ts');
  });
});

describe('the orphan sweep', () => {
  it('never deletes through a symlinked directory, nor a symlinked file, nor anything when generated/ leads outside', async () => {
    const outside = outsideDirectory();
    const generatedElsewhere = withHeader("pipeline {\n  agent any\n}\n", 'pipelines/gone.pipeline.ts');
    writeFileSync(join(outside, 'Jenkinsfile'), generatedElsewhere);
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    mkdirSync(p.path('generated'), { recursive: true });
    symlinkSync(outside, p.path('generated/gone'));
    symlinkSync(join(outside, 'Jenkinsfile'), p.path('generated/linked-Jenkinsfile'));
    const result = await runCli(['compile'], p.root);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('removed');
    expect(readFileSync(join(outside, 'Jenkinsfile'), 'utf8')).toBe(generatedElsewhere);
    expect(lstatSync(p.path('generated/linked-Jenkinsfile')).isSymbolicLink()).toBe(true);

    // The whole output directory a symlink to outside: nothing is swept (nor written) there.
    const q = project({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    symlinkSync(outside, q.path('generated'));
    const swept = await runCli(['compile'], q.root);
    expect(swept.code).toBe(1);
    expect(swept.stdout).toContain('generated/hello leads outside the project');
    expect(swept.stdout).toContain('not swept: generated leads outside the project');
    expect(readFileSync(join(outside, 'Jenkinsfile'), 'utf8')).toBe(generatedElsewhere);
  });

  it('removes the directories that removing an orphan left empty, and only those', async () => {
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline(), 'pipelines/old.pipeline.ts': helloPipeline('old') });
    await runCli(['compile'], p.root);
    p.write('generated/kept/notes.md', 'not generated\n');
    rmSync(p.path('pipelines/old.pipeline.ts'));
    const result = await runCli(['compile'], p.root);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('removed generated/old/Jenkinsfile');
    expect(result.stdout).toContain('removed empty directory generated/old/');
    expect(existsSync(p.path('generated/old'))).toBe(false);
    expect(existsSync(p.path('generated/kept/notes.md'))).toBe(true);
    expect(existsSync(p.path('generated/hello/Jenkinsfile'))).toBe(true);
  });

  it('removes nested emptied directories but stops at one that still holds a file', async () => {
    const nested = helloPipeline('n').replace('definePipeline({', "definePipeline({\n  output: 'generated/team/svc/Jenkinsfile',");
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline(), 'pipelines/n.pipeline.ts': nested });
    await runCli(['compile'], p.root);
    expect(existsSync(p.path('generated/team/svc/Jenkinsfile'))).toBe(true);
    p.write('generated/team/README.md', 'team notes\n');
    rmSync(p.path('pipelines/n.pipeline.ts'));
    const result = await runCli(['compile'], p.root);
    expect(result.stdout).toContain('removed empty directory generated/team/svc/');
    expect(existsSync(p.path('generated/team/svc'))).toBe(false);
    expect(existsSync(p.path('generated/team/README.md'))).toBe(true);
  });
});

describe('a malformed header', () => {
  const malformed = '// Generated by pipewright from pipelines/%E0%A4%A. Do not edit: change the source.\n// pipewright-body-sha256: 00\npipeline { agent any }\n';

  it('is a per-file message for compile and --check, not a URIError crash', async () => {
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline(), 'generated/weird/Jenkinsfile': malformed });
    const compile = await runCli(['compile'], p.root);
    expect(compile.stderr).not.toContain('URIError');
    expect(compile.stderr).not.toContain('internal error');
    expect(compile.stdout).toMatch(/\+ hello\s+generated\/hello\/Jenkinsfile created/);
    expect(compile.stdout).toContain('generated/weird/Jenkinsfile looks generated from pipelines/%E0%A4%A');
    expect(compile.stdout).toContain('not valid percent-encoding');
    expect(compile.code).toBe(1);
    expect(readFileSync(p.path('generated/weird/Jenkinsfile'), 'utf8')).toBe(malformed);

    const check = await runCli(['compile', '--check'], p.root);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('orphan: generated/weird/Jenkinsfile looks generated from pipelines/%E0%A4%A');
  });

  it('on a pipeline output counts as a hand edit: refused without --force', async () => {
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline(), 'generated/hello/Jenkinsfile': malformed });
    const compile = await runCli(['compile'], p.root);
    expect(compile.code).toBe(1);
    expect(compile.stdout).toContain('generated/hello/Jenkinsfile was edited by hand (its header names the source as "pipelines/%E0%A4%A"');
    const check = await runCli(['compile', '--check'], p.root);
    expect(check.stdout).toContain('hand-edited: generated/hello/Jenkinsfile was edited by hand');
  });
});

describe('hand-edited outputs (#13.3)', () => {
  it('are not overwritten without --force, consistently with --check; --force says so and shows what was discarded', async () => {
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline('hello') });
    await runCli(['compile'], p.root);
    const file = p.path('generated/hello/Jenkinsfile');
    const edited = readFileSync(file, 'utf8').replace("echo 'hello'", "echo 'hotfix in prod'");
    writeFileSync(file, edited);
    p.write('pipelines/hello.pipeline.ts', helloPipeline('goodbye'));

    const check = await runCli(['compile', '--check'], p.root);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('hand-edited: generated/hello/Jenkinsfile was edited by hand');

    const refused = await runCli(['compile'], p.root);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      'generated/hello/Jenkinsfile was edited by hand (its body no longer matches the hash in its header); change pipelines/hello.pipeline.ts instead, or pass --force',
    );
    expect(refused.stdout).toContain('1 refused');
    expect(readFileSync(file, 'utf8')).toBe(edited);

    const forced = await runCli(['compile', '--force'], p.root);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('generated/hello/Jenkinsfile updated, overwriting hand edits (--force: its body no longer matches the hash in its header); discarded:');
    expect(forced.stdout).toContain("--- generated/hello/Jenkinsfile (hand-edited, discarded)");
    expect(forced.stdout).toContain("-        echo 'hotfix in prod'");
    expect(forced.stdout).toContain("+        echo 'goodbye'");
    expect(readFileSync(file, 'utf8')).toContain("echo 'goodbye'");
    expect((await runCli(['compile', '--check'], p.root)).code).toBe(0);
  });
});

describe('file-system failures', () => {
  it('a path component that is a file: one line naming the output, the rest written, exit 1', async () => {
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline(), 'pipelines/other.pipeline.ts': helloPipeline('other'), 'generated/hello': 'a file where a directory should be\n' });
    const result = await runCli(['compile'], p.root);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('internal error');
    expect(result.stdout).toMatch(/x hello\s+generated\/hello: a component of the path is a file, not a directory \(ENOTDIR\)/);
    expect(result.stdout).toMatch(/\+ other\s+generated\/other\/Jenkinsfile created/);
    expect(result.stdout).toContain('1 created, 1 refused');
    const check = await runCli(['compile', '--check'], p.root);
    expect(check.code).toBe(1);
    expect(check.stderr).not.toContain('internal error');
  });

  it('maps errno codes to one line naming the file', () => {
    const error = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: x, ${syscall} '${path}'`), { code, syscall, path });
    expect(describeFsError(error('ENOSPC', 'write', '/p/generated/a/Jenkinsfile.pipewright-1-x.tmp'), 'generated/a/Jenkinsfile')).toBe(
      'generated/a/Jenkinsfile: no space left on the device at /p/generated/a/Jenkinsfile.pipewright-1-x.tmp (write ENOSPC)',
    );
    expect(describeFsError(error('EACCES', 'open', '/p/generated/a/Jenkinsfile'), 'generated/a/Jenkinsfile')).toBe(
      'generated/a/Jenkinsfile: permission denied (open EACCES)',
    );
    expect(describeFsError(error('EROFS', 'mkdir', '/p/generated/a'))).toBe('/p/generated/a: read-only file system (mkdir EROFS)');
    expect(describeFsError(new TypeError('not a file-system error'), 'x')).toBe('x: not a file-system error');
  });

  it('a result-cache path that exists as a file means no cache, not a failed run', async () => {
    const p = project({ 'pipelines/hello.pipeline.ts': helloPipeline() });
    p.write('node_modules/.cache/pipewright/results', 'a file where the results directory should be\n');
    for (let round = 0; round < 2; round++) {
      const run = await compileProject({ root: p.root, resultCache: { buildId: 'test-build' }, reuseCache: true });
      expect(run.pipelines[0]!.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const report = await writeRun(run, { removeOrphans: true });
      expect(report.outcomes.map((o) => o.status)).toEqual([round === 0 ? 'created' : 'unchanged']);
    }
    expect(readFileSync(p.path('node_modules/.cache/pipewright/results'), 'utf8')).toBe('a file where the results directory should be\n');
  });
});
