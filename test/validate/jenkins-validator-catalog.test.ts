/**
 * `validate` with a catalog: partial (bundled) vs complete catalogs, `--catalog FILE`,
 * `--no-catalog`, the project's catalog, and Jenkins' messages at line:column. Real files in a
 * temporary directory, the CLI in process.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { defaultCatalog } from '../../src/catalog/index.ts';
import { runValidateCli } from '../../src/cli/validate.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';

const JENKINSFILE = `pipeline {
    agent {
        kubernetez {
            yaml 'x'
        }
    }
    options {
        timeout(time: 5, banana: 'MINUTES')
    }
    stages {
        stage('Build') {
            options {
                skipStagesAfterUnstable()
            }
            steps {
                sleep(tme: 3)
                echo 'hi'
            }
        }
    }
}
`;

let project: TempProject | undefined;
afterEach(() => {
  project?.remove();
  project = undefined;
});

async function validate(args: string[], files: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  project ??= createTempProject(files);
  let stdout = '';
  let stderr = '';
  const code = await runValidateCli(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd: project.root });
  return { code, stdout, stderr };
}

describe('validate --catalog', () => {
  test('the bundled catalog (partial): argument problems are errors, unknown names warnings, at line:column', async () => {
    const { code, stdout } = await validate(['Jenkinsfile', '--format', 'json'], { Jenkinsfile: JENKINSFILE });
    expect(code).toBe(1);
    const [file] = JSON.parse(stdout).files;
    const lines = file.diagnostics.map((d: { severity: string; code: string; location: { line: number; column: number }; message: string }) =>
      `${d.location.line}:${d.location.column} ${d.severity} ${d.code} ${d.message}`);
    expect(lines).toEqual([
      expect.stringMatching(/^3:9 warning PW5125 Invalid agent type "kubernetez" specified\. Must be one of \[any, docker, dockerfile, kubernetes, label, node, none\]$/),
      '8:26 error PW5137 Invalid parameter "banana", did you mean "unit"?',
      expect.stringMatching(/^13:17 warning PW5134 Invalid option type "skipStagesAfterUnstable"\. Valid option types: \[.*timeout.*\]$/),
      '16:23 error PW5137 Invalid parameter "tme", did you mean "time"?',
    ]);
  });

  test('a complete catalog from --catalog FILE makes unknown names errors', async () => {
    const catalog = { ...defaultCatalog(), complete: true, name: 'ours' };
    const { code, stdout } = await validate(['Jenkinsfile', '--catalog', 'catalog.json', '--format', 'json'], {
      Jenkinsfile: JENKINSFILE,
      'catalog.json': JSON.stringify(catalog),
    });
    expect(code).toBe(1);
    const severities = JSON.parse(stdout).files[0].diagnostics.map((d: { code: string; severity: string }) => `${d.code} ${d.severity}`);
    expect(severities).toEqual(['PW5125 error', 'PW5137 error', 'PW5134 error', 'PW5137 error']);
  });

  test('--no-catalog checks the structure only', async () => {
    const { code, stdout } = await validate(['Jenkinsfile', '--no-catalog'], { Jenkinsfile: JENKINSFILE });
    expect(code).toBe(0);
    expect(stdout).toBe('Jenkinsfile successfully validated.\n');
  });

  test('warnings only: valid, and the warnings are printed', async () => {
    const text = JENKINSFILE.replace("timeout(time: 5, banana: 'MINUTES')", "timeout(time: 5, unit: 'MINUTES')").replace('sleep(tme: 3)', 'sleep(time: 3)');
    const { code, stdout } = await validate(['Jenkinsfile'], { Jenkinsfile: text });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Jenkinsfile successfully validated\.\nJenkinsfile:3:9: warning: Invalid agent type "kubernetez"/);
  });

  test("the project's catalog (pipewright.config.ts) is the default", async () => {
    const catalog = { ...defaultCatalog(), complete: true, name: 'ours', describables: defaultCatalog().describables.filter((d) => d.symbol !== 'kubernetes') };
    const text = JENKINSFILE.replace('kubernetez', 'kubernetes').replace("banana: 'MINUTES'", "unit: 'MINUTES'").replace('sleep(tme: 3)', 'sleep(time: 3)').replace(/ {12}options \{\n {16}skipStagesAfterUnstable\(\)\n {12}\}\n/, '');
    const { code, stdout } = await validate(['Jenkinsfile'], {
      Jenkinsfile: text,
      'jenkins/catalog.json': JSON.stringify(catalog),
      'pipewright.config.ts': "import { defineConfig } from 'pipewright';\n\nexport default defineConfig({ catalog: 'jenkins/catalog.json' });\n",
    });
    expect(stdout).toMatch(/^Errors encountered validating Jenkinsfile:\nJenkinsfile:3:9: Invalid agent type "kubernetes" specified\. Must be one of \[any, docker, dockerfile, label, node, none\]\n$/);
    expect(code).toBe(1);
  });

  test('an unreadable catalog is exit 2', async () => {
    const { code, stderr } = await validate(['Jenkinsfile', '--catalog', 'nope.json'], { Jenkinsfile: JENKINSFILE });
    expect(code).toBe(2);
    expect(stderr).toContain('nope.json');
  });
});
