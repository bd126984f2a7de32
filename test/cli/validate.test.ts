/**
 * `pipewright validate`: output formats, headers like Jenkins' linter, exit codes, allow-lists,
 * against real files in a temporary directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runValidateCli } from '../../src/cli/validate.ts';

const dir = mkdtempSync(join(tmpdir(), 'pipewright-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runValidateCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

const VALID = "pipeline {\n  agent any\n  stages {\n    stage('Build') {\n      steps {\n        sh 'make'\n      }\n    }\n  }\n}\n";
const INVALID = "pipeline {\n  stages {\n    stage('Build') {\n      steps {\n      }\n    }\n  }\n}\n";
const BROKEN = "pipeline {\n  agent any\n  stages {\n    stage('Build') {\n      steps {\n        sh 'make\n      }\n    }\n  }\n}\n";

describe('pipewright validate', () => {
  it('says the file is valid and exits 0', async () => {
    file('Jenkinsfile', VALID);
    expect(await run('Jenkinsfile')).toEqual({ code: 0, stdout: 'Jenkinsfile successfully validated.\n', stderr: '' });
  });

  it('lists errors as file:line:col: message under the linter header and exits 1', async () => {
    file('bad.Jenkinsfile', INVALID);
    expect(await run('bad.Jenkinsfile')).toEqual({
      code: 1,
      stdout:
        'Errors encountered validating Jenkinsfile:\n' +
        'bad.Jenkinsfile:1:1: Missing required section "agent"\n' +
        'bad.Jenkinsfile:4:13: No steps specified for branch\n',
      stderr: '',
    });
  });

  it('reports Groovy syntax errors', async () => {
    file('broken.Jenkinsfile', BROKEN);
    const result = await run('broken.Jenkinsfile');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("Errors encountered validating Jenkinsfile:\nbroken.Jenkinsfile:6:17: expecting ''', found '\\n'\n");
  });

  it('prefixes headers with the file name when given several files; exit 1 if any is invalid', async () => {
    file('Jenkinsfile', VALID);
    file('bad.Jenkinsfile', INVALID);
    const result = await run('Jenkinsfile', 'bad.Jenkinsfile');
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual([
      'Jenkinsfile: Jenkinsfile successfully validated.',
      'bad.Jenkinsfile: Errors encountered validating Jenkinsfile:',
    ]);
  });

  it('prints JSON with --format json', async () => {
    file('Jenkinsfile', VALID);
    file('bad.Jenkinsfile', INVALID);
    const result = await run('--format', 'json', 'Jenkinsfile', 'bad.Jenkinsfile');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { valid: boolean; files: { file: string; valid: boolean; diagnostics: { code: string; location: unknown }[] }[] };
    expect(report.valid).toBe(false);
    expect(report.files.map((f) => [f.file, f.valid, f.diagnostics.map((d) => d.code)])).toEqual([
      ['Jenkinsfile', true, []],
      ['bad.Jenkinsfile', false, ['PW5103', 'PW5112']],
    ]);
    expect(report.files[1]!.diagnostics[1]!.location).toEqual({ file: 'bad.Jenkinsfile', line: 4, column: 13 });
  });

  it('applies an allow-list file', async () => {
    file('Jenkinsfile', VALID);
    file('allow.json', JSON.stringify({ steps: ['echo'] }));
    const result = await run('--allow-list', 'allow.json', 'Jenkinsfile');
    expect(result).toEqual({
      code: 1,
      stdout: "Errors encountered validating Jenkinsfile:\nJenkinsfile:6:9: No such DSL method 'sh' found among steps [echo]\n",
      stderr: '',
    });
  });

  it('exits 2 for an unreadable file, even next to valid ones', async () => {
    file('Jenkinsfile', VALID);
    const result = await run('Jenkinsfile', 'missing.Jenkinsfile');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pipewright validate: cannot read missing.Jenkinsfile: ENOENT\n');
    expect(result.stdout).toBe('Jenkinsfile: Jenkinsfile successfully validated.\n');
  });

  it.each([
    [[], 'no Jenkinsfile given'],
    [['--format', 'xml', 'Jenkinsfile'], '--format must be text or json'],
    [['--bogus', 'Jenkinsfile'], "Unknown option '--bogus'"],
  ])('exits 2 on bad usage: %j', async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: pipewright validate');
  });

  it('exits 2 for a malformed allow-list', async () => {
    file('Jenkinsfile', VALID);
    file('bad-allow.json', JSON.stringify({ stepz: ['sh'] }));
    const result = await run('--allow-list', 'bad-allow.json', 'Jenkinsfile');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown key "stepz"');
  });

  it('prints help and exits 0', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Exit codes: 0 all files valid, 1 some file invalid, 2 a file could not be read or bad usage.');
  });
});
