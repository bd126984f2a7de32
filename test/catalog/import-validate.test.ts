/**
 * Done-when of issue #11: a GDSL served by a real controller imports, and `validate` then flags an
 * unknown parameter of a step only that controller describes (not in the bundled catalog).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCatalog } from '../../src/catalog/index.ts';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';

const GDSL = join(import.meta.dirname, 'fixtures', 'gdsl', 'storybookM3.gdsl');

const jenkinsfile = (sshArguments: string) => `pipeline {
  agent any
  stages {
    stage('Remote') {
      steps {
        sshCommand ${sshArguments}
        sh script: 'make', returnStdout: true
      }
    }
  }
}
`;

let project: TempProject;
beforeAll(async () => {
  project = createTempProject({
    'good/Jenkinsfile': jenkinsfile("command: 'uptime', dryRun: true"),
    'bad/Jenkinsfile': jenkinsfile("command: 'uptime', dryRn: true"),
  });
  const imported = await runCli(['catalog', 'import', GDSL, '--out', 'controller.json'], project.root);
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(() => project?.remove());

describe('an imported controller GDSL in validate', () => {
  it('describes a step the bundled catalog does not know', () => {
    expect(defaultCatalog().steps.some((s) => s.name === 'sshCommand')).toBe(false);
    expect(readFileSync(GDSL, 'utf8')).toContain("method(name: 'sshCommand'");
  });

  it('accepts the step with its parameters and flags a misspelt one', async () => {
    const good = await runCli(['validate', '--catalog', 'controller.json', 'good/Jenkinsfile'], project.root);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    const bad = await runCli(['validate', '--catalog', 'controller.json', 'bad/Jenkinsfile'], project.root);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('Invalid parameter "dryRn", did you mean "dryRun"?');
  });
});
