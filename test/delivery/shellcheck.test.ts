/**
 * Every shell script the delivery steps and presets emit passes ShellCheck (Debian package) with
 * no finding at any severity: `-s bash` for scripts with the bash shebang, `-s sh` otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PRESET_FIXTURES, STEP_FIXTURES } from './fixtures.ts';
import { allFixtures, shScripts } from './support.ts';

const BASH_HEADER = '#!/bin/bash\nset -euo pipefail\n';

interface ScriptFile {
  id: string;
  path: string;
  script: string;
  shell: 'bash' | 'sh';
}

const dir = mkdtempSync(join(tmpdir(), 'pw-shellcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files: ScriptFile[] = [];
const seen = new Set<string>();
for (const [name, { ast }] of allFixtures(STEP_FIXTURES, PRESET_FIXTURES)) {
  for (const [index, { label, script }] of shScripts(ast).entries()) {
    if (seen.has(script)) continue;
    seen.add(script);
    const path = join(dir, `${name}-${index}.sh`);
    writeFileSync(path, `${script}\n`);
    files.push({ id: `${name} / ${label}`, path, script, shell: script.startsWith('#!/bin/bash\n') ? 'bash' : 'sh' });
  }
}

function shellcheck(shell: 'bash' | 'sh', paths: string[]): { status: number | null; output: string } {
  const result = spawnSync('shellcheck', ['--severity=style', '--format=gcc', `--shell=${shell}`, ...paths], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('shellcheck on emitted scripts', () => {
  it('shellcheck is installed', () => {
    expect(execFileSync('shellcheck', ['--version'], { encoding: 'utf8' })).toMatch(/version: \d+\.\d+/);
  });

  it('there are scripts of both kinds to check', () => {
    expect(files.filter((f) => f.shell === 'bash').length).toBeGreaterThan(20);
    expect(files.filter((f) => f.shell === 'sh').length).toBeGreaterThan(2);
  });

  it('every multi-line script starts with the bash shebang and strict mode', () => {
    const multiLine = files.filter((f) => f.shell === 'sh' && f.script.includes('\n'));
    expect(multiLine.map((f) => f.id)).toEqual([]);
    for (const file of files.filter((f) => f.shell === 'bash')) expect(file.script.startsWith(BASH_HEADER)).toBe(true);
  });

  it.each(['bash', 'sh'] as const)('no %s script has a ShellCheck finding', (shell) => {
    const batch = files.filter((f) => f.shell === shell);
    const { status, output } = shellcheck(shell, batch.map((f) => f.path));
    const named = batch.reduce((text, f) => text.replaceAll(f.path, f.id), output);
    expect(named).toBe('');
    expect(status).toBe(0);
  });

  it('ShellCheck does report a known problem (the check is live)', () => {
    const path = join(dir, 'negative-control.sh');
    writeFileSync(path, '#!/bin/bash\nset -euo pipefail\nimage=$1\ndocker push $image\n');
    const { status, output } = shellcheck('bash', [path]);
    expect(status).not.toBe(0);
    expect(output).toContain('SC2086');
  });
});
