/**
 * Real processes against real projects: two `pipewright compile` runs at once, a run killed with
 * SIGKILL mid-write, a run waiting on a live lock, `--check` piped into `head -1`, a full disk
 * (a tiny tmpfs in a private mount namespace) and a directory the user cannot write (the run as
 * `nobody`). The CLI runs from src/ (support/cli-process.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readHeader } from '../../src/emit/header.ts';
import { LOCK_FILE } from '../../src/emit/lock.ts';
import { createTempProject, helloPipeline, runCli, type TempProject } from '../support/temp-project.ts';
import { cliCommand, runCliProcess, startCli } from './support/cli-process.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function fleet(count: number, message: string): TempProject {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`pipelines/p${String(i).padStart(4, '0')}.pipeline.ts`] = helloPipeline(`${message} ${i}`);
  const project = createTempProject(files);
  cleanups.push(() => project.remove());
  return project;
}

function rewriteFleet(project: TempProject, count: number, message: string) {
  for (let i = 0; i < count; i++) project.write(`pipelines/p${String(i).padStart(4, '0')}.pipeline.ts`, helloPipeline(`${message} ${i}`));
}

/** Every file below `dir`, project-relative. */
function filesBelow(project: TempProject, dir: string): string[] {
  if (!existsSync(project.path(dir))) return [];
  return readdirSync(project.path(dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(project.root.length + 1));
}

const tempFiles = (project: TempProject) => filesBelow(project, 'generated').filter((f) => f.endsWith('.tmp'));

describe('two runs at once', () => {
  it('never lose or break a file: both finish cleanly, every output is right, no temp file or lock stays', async () => {
    const count = 150;
    const project = fleet(count, 'round 0');
    expect((await runCli(['compile'], project.root)).code).toBe(0);
    for (let round = 1; round <= 3; round++) {
      rewriteFleet(project, count, `round ${round}`);
      const [a, b] = await Promise.all([runCliProcess(['compile'], project.root), runCliProcess(['compile'], project.root)]);
      for (const run of [a, b]) {
        expect(run.stderr, `round ${round}`).not.toMatch(/internal error|ENOENT|rename/);
        expect(run.code, `round ${round}: ${run.stdout.slice(-500)}${run.stderr}`).toBe(0);
      }
      // One of them wrote everything, the other found it up to date (the lock serialises them).
      const summaries = [a, b].map((run) => /pipewright compile: \d+ pipeline\(s\): (.*) \(/.exec(run.stdout)?.[1]).sort();
      expect(summaries, `round ${round}`).toEqual([`${count} unchanged`, `${count} updated`].sort());
      for (let i = 0; i < count; i++) {
        const name = `p${String(i).padStart(4, '0')}`;
        const text = readFileSync(project.path(`generated/${name}/Jenkinsfile`), 'utf8');
        expect(text).toContain(`echo 'round ${round} ${i}'`);
        const header = readHeader(text)!;
        expect(header.recordedHash).toBe(header.actualHash);
      }
      expect(tempFiles(project)).toEqual([]);
      expect(existsSync(project.path(LOCK_FILE))).toBe(false);
    }
  }, 240_000);
});

describe('a run killed with SIGKILL mid-run', () => {
  it('leaves a stale lock and temp files that --check reports and the next run cleans up', async () => {
    const count = 400;
    const project = fleet(count, 'first');
    const child = startCli(['compile'], project.root);
    const killedPid = child.pid!;
    // Kill it once it is writing: the lock is taken and some outputs exist.
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const written = existsSync(project.path('generated')) ? readdirSync(project.path('generated')).length : 0;
        if ((existsSync(project.path(LOCK_FILE)) && written >= 20) || Date.now() - started > 60_000) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 2);
      child.on('error', reject);
    });
    await new Promise((resolve) => child.on('close', resolve));
    expect(child.signalCode).toBe('SIGKILL');
    expect(existsSync(project.path(LOCK_FILE))).toBe(true);
    expect(JSON.parse(readFileSync(project.path(LOCK_FILE), 'utf8')).pid).toBe(killedPid);
    // What an interrupted atomic write leaves next to its output (a write cut between creating the
    // temp file and renaming it), named by the killed process: one empty, one partial.
    mkdirSync(project.path('generated/p0001'), { recursive: true });
    mkdirSync(project.path('generated/p0002'), { recursive: true });
    writeFileSync(project.path(`generated/p0001/Jenkinsfile.pipewright-${killedPid}-k1lled.tmp`), '');
    writeFileSync(project.path(`generated/p0002/Jenkinsfile.pipewright-${killedPid}-k2lled.tmp`), '// Generated by pipewright from pipelines/p0002.pipeline.ts. Do');
    const leftovers = tempFiles(project);
    expect(leftovers.length).toBeGreaterThanOrEqual(2);

    const check = await runCliProcess(['compile', '--check'], project.root);
    expect(check.code).toBe(1);
    for (const file of leftovers) expect(check.stdout).toContain(`temp: ${file} is a temp file left by an interrupted run (pid ${killedPid})`);

    rewriteFleet(project, count, 'second');
    const next = await runCliProcess(['compile'], project.root);
    expect(next.stderr).not.toContain('internal error');
    expect(next.code).toBe(0);
    expect(next.stdout).toContain(`removed ${leftovers.length} temp file(s) left by interrupted runs`);
    expect(tempFiles(project)).toEqual([]);
    expect(existsSync(project.path(LOCK_FILE))).toBe(false);
    const check2 = await runCliProcess(['compile', '--check'], project.root);
    expect(check2.stdout).toMatch(/400 Jenkinsfile\(s\) up to date/);
    expect(check2.code).toBe(0);
  }, 240_000);
});

describe('the project lock', () => {
  it('waits for a live owner up to the timeout, then says who holds it and writes nothing; a dead owner is taken over', async () => {
    const project = fleet(2, 'locked');
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanups.push(() => holder.kill('SIGKILL'));
    const lock = { pid: holder.pid, hostname: hostname(), started: '2026-12-06T00:00:00.000Z', token: 'other-run' };
    writeFileSync(project.path(LOCK_FILE), JSON.stringify(lock));

    const blocked = await runCliProcess(['compile'], project.root, { env: { ...process.env, NO_COLOR: '1', PIPEWRIGHT_LOCK_TIMEOUT_MS: '400' } });
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain(`another pipewright run holds the project lock (pid ${holder.pid} on ${hostname()}, started 2026-12-06T00:00:00.000Z); waited`);
    expect(blocked.stdout).toContain('If that run no longer exists, delete the lock file.');
    expect(blocked.stdout).toContain('2 failed');
    expect(filesBelow(project, 'generated')).toEqual([]);
    expect(JSON.parse(readFileSync(project.path(LOCK_FILE), 'utf8')).token).toBe('other-run');

    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.on('close', resolve));
    const after = await runCli(['compile'], project.root);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('2 created');
    expect(existsSync(project.path(LOCK_FILE))).toBe(false);
  }, 120_000);
});

describe('compile --check | head -1', () => {
  it('ends quietly when the reader goes away, with the exit code of the check', () => {
    const project = fleet(80, 'before');
    expect(spawnSync(process.execPath, cliCommand(['compile']), { cwd: project.root, encoding: 'utf8' }).status).toBe(0);
    rewriteFleet(project, 80, 'after');
    project.write('pipelines/broken.pipeline.ts', "import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: 'any', stages: [] });\n");
    const command = `${[process.execPath, ...cliCommand(['compile', '--check'])].map((a) => `'${a}'`).join(' ')} | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`;
    const result = spawnSync('bash', ['-c', command], { cwd: project.root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stderr).not.toMatch(/EPIPE|internal error|Unhandled|    at /);
    expect(result.stderr).toContain('rc=2');
  }, 120_000);
});

describe('a full disk', () => {
  it('reports each output that could not be written (ENOSPC) in one line, writes the rest, exits 1, leaves no temp file', () => {
    const project = fleet(8, 'x'.repeat(3000));
    // A 12 KB tmpfs over generated/, in a private mount namespace: three 4 KB pages, so some
    // Jenkinsfiles fit and the rest hit ENOSPC.
    const node = [process.execPath, ...cliCommand(['compile'])].map((a) => `'${a}'`).join(' ');
    const script = `mkdir -p generated && mount -t tmpfs -o size=12k tmpfs generated && ${node}; echo "rc=$?"; find generated -name '*.tmp' | sed 's/^/tmp: /'`;
    const result = spawnSync('unshare', ['-m', 'sh', '-c', script], { cwd: project.root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(result.stderr).not.toContain('internal error');
    expect(result.stdout).toContain('rc=1');
    expect(result.stdout).toMatch(/x p\d{4}\s+not written: generated\/p\d{4}\/Jenkinsfile: no space left on the device \(write ENOSPC\)/);
    expect(result.stdout).toMatch(/\+ p\d{4}\s+generated\/p\d{4}\/Jenkinsfile created/);
    expect(result.stdout).toMatch(/pipewright compile: 8 pipeline\(s\): \d created, \d failed/);
    expect(result.stdout).not.toContain('tmp: ');
  }, 120_000);
});

describe('permission denied', () => {
  it('as a user who cannot write generated/ or read a pipelines directory: one line each, exit 1, no stack', () => {
    const project = fleet(2, 'ro');
    project.write('generated/README.md', 'read-only outputs\n');
    chmodSync(project.root, 0o777);
    chmodSync(project.path('generated'), 0o555);
    const asNobody = (args: string[]) =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...cliCommand(args)], {
        cwd: project.root,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', HOME: '/tmp' },
      });
    const result = asNobody(['compile']);
    expect(result.stderr).not.toMatch(/internal error|    at /);
    expect(result.stdout).toMatch(/x p0000\s+not written: generated\/p0000\/Jenkinsfile: permission denied at .*generated\/p0000 \(mkdir EACCES\)/);
    expect(result.stdout).toContain('2 failed');
    expect(result.status).toBe(1);

    // Outputs written (as root), then one made unreadable: --check says which, and fails.
    chmodSync(project.path('generated'), 0o755);
    expect(spawnSync(process.execPath, cliCommand(['compile']), { cwd: project.root, encoding: 'utf8' }).status).toBe(0);
    chmodSync(project.path('generated/p0001'), 0o000);
    const check = asNobody(['compile', '--check']);
    expect(check.stderr).not.toMatch(/internal error|    at /);
    expect(check.stdout).toMatch(/unreadable: generated\/p0001\/Jenkinsfile: permission denied .*EACCES\); not checked/);
    expect(check.stdout).not.toContain('p0000');
    expect(check.status).toBe(1);
    chmodSync(project.path('generated/p0001'), 0o755);

    project.write('pipelines/private/x.pipeline.ts', helloPipeline('x'));
    chmodSync(project.path('pipelines/private'), 0o000);
    const unreadable = asNobody(['compile', '--check']);
    expect(unreadable.stderr).not.toMatch(/internal error|    at /);
    expect(unreadable.stderr).toMatch(/pipewright compile: .*pipelines\/private: permission denied \(scandir EACCES\)/);
    expect(unreadable.status).toBe(1);
  }, 120_000);
});
