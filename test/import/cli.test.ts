/**
 * `pipewright import` end to end, through the CLI entry point, on real temporary directories:
 * report content, files written (or not), batch mode over service repos, exit codes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';

const SERVICE = `@Library('fintech-pipeline-lib@v4') _

pipeline {
    agent { label 'docker' }
    options {
        timeout(time: 30, unit: 'MINUTES')
        ansiColor('xterm')
    }
    environment {
        IMAGE = "payments:\${env.BUILD_NUMBER}"
    }
    stages {
        stage('Test') {
            steps {
                sh 'make test'
                junit 'reports/*.xml'
            }
        }
        stage('Push') {
            when { branch 'main' }
            steps {
                withAWS(region: 'eu-west-1', role: 'ci-push') {
                    sh 'make push'
                }
            }
        }
    }
}
`;

const simple = (message: string) => `pipeline {\n  agent any\n  stages {\n    stage('Hello') {\n      steps {\n        echo '${message}'\n      }\n    }\n  }\n}\n`;

const WITH_HELPER = `def greeting() { 'hi' }\n\n${simple('x')}`;

let project: TempProject | undefined;
afterEach(() => project?.remove());

describe('pipewright import', () => {
  it('imports one Jenkinsfile and reports what was typed, the escape hatches and the round trip', async () => {
    project = createTempProject({ 'payments-api/Jenkinsfile': SERVICE });
    const { code, stdout, stderr } = await runCli(['import', 'payments-api/Jenkinsfile'], project.root);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'payments-api/Jenkinsfile → pipelines/payments-api.pipeline.ts: imported, round trip OK (the module compiles to the same Jenkinsfile)',
        '  typed: 4 of 4 steps (100%): sh ×2, junit ×1, withAWS ×1',
        '  escape hatches: 0 step(), 0 script(), 1 groovy() values, 1 custom agents/options/parameters/triggers (2 typed)',
        "    option ansiColor (custom): option ansiColor is not modelled (line 7)",
        '    groovy(...) ×1: values kept as Groovy source: GString ×1 (line 10)',
        "  catalog-typed calls: 1 (jenkins.* from jenkins-steps.ts, the catalog's typed steps; same Jenkinsfile)",
        "  note: line 1: @Library annotation imported as libraries: 'fintech-pipeline-lib@v4' (the library's steps work the same; a script { } block that names a class from its src/ would need the annotation)",
        '  note: wrote pipelines/jenkins-steps.ts: the catalog\'s typed steps ("pipewright default", as `pipewright catalog types` generates them), which the module\'s jenkins.* calls use',
        '',
        '1 Jenkinsfile: 1 imported (round trip OK), 0 refused, 0 failed the round trip; imported steps typed: 4 of 4 (100%)',
        '',
      ].join('\n'),
    );
    const module = readFileSync(project.path('pipelines/payments-api.pipeline.ts'), 'utf8');
    expect(module).toContain("import { definePipeline, groovy, junit, sh } from 'pipewright';");
    expect(module).toContain("import * as jenkins from './jenkins-steps.ts';");
    expect(module).toContain("libraries: ['fintech-pipeline-lib@v4'],");
    expect(module).toContain("jenkins.withAWS([sh('make push')], { region: 'eu-west-1', role: 'ci-push' })");
  });

  it('--catalog FILE: steps that catalog does not describe stay step(), with the reason', async () => {
    const tiny = { format: 1, name: 'tiny controller', source: 'gdsl', complete: false, plugins: [], steps: [], describables: [] };
    project = createTempProject({ 'payments-api/Jenkinsfile': SERVICE, 'catalog.json': JSON.stringify(tiny) });
    const { stdout, code } = await runCli(['import', 'payments-api', '--catalog', 'catalog.json'], project.root);
    expect(code).toBe(0);
    expect(stdout).toContain("    step('withAWS'): no typed helper for withAWS; withAWS is not a step of the catalog (tiny controller) (line 22)");
    expect(existsSync(project.path('pipelines/jenkins-steps.ts'))).toBe(false);
    const missing = await runCli(['import', 'payments-api', '--catalog', 'nope.json', '--force'], project.root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pipewright import: .*nope\.json: cannot read the catalog/);
  });

  it('imports a directory of service repos in one run; a refused file gets no module and exit 1', async () => {
    project = createTempProject({
      'repos/ledger/Jenkinsfile': simple('ledger'),
      'repos/fx-rates/Jenkinsfile': simple('fx'),
      'repos/legacy/Jenkinsfile': WITH_HELPER,
      'repos/legacy/node_modules/dep/Jenkinsfile': simple('not a service'),
      'repos/ledger/ci/nightly.Jenkinsfile': simple('nightly'),
    });
    const { code, stdout } = await runCli(['import', 'repos', '--out-dir', 'converted'], project.root);
    expect(code).toBe(1);
    expect(stdout).toContain('repos/fx-rates/Jenkinsfile → converted/fx-rates.pipeline.ts: imported, round trip OK');
    expect(stdout).toContain('repos/ledger/Jenkinsfile → converted/ledger.pipeline.ts: imported, round trip OK');
    expect(stdout).toContain('repos/ledger/ci/nightly.Jenkinsfile → converted/nightly.pipeline.ts: imported, round trip OK');
    expect(stdout).toContain(
      'repos/legacy/Jenkinsfile: refused, nothing written\n  line 1: code before the pipeline block (def greeting() { \'hi\' }) cannot be represented in a typed pipeline',
    );
    expect(stdout).toContain('4 Jenkinsfiles: 3 imported (round trip OK), 1 refused, 0 failed the round trip');
    expect(existsSync(project.path('converted/ledger.pipeline.ts'))).toBe(true);
    expect(existsSync(project.path('converted/fx-rates.pipeline.ts'))).toBe(true);
    expect(existsSync(project.path('converted/nightly.pipeline.ts'))).toBe(true);
    expect(existsSync(project.path('converted/legacy.pipeline.ts'))).toBe(false);
    expect(stdout).not.toContain('node_modules');
  });

  it('takes several repos as arguments and keeps pipeline names unique', async () => {
    project = createTempProject({ 'a/ci/Jenkinsfile': simple('a'), 'b/ci/Jenkinsfile': simple('b') });
    const { code, stdout } = await runCli(['import', 'a', 'b', '--format', 'json'], project.root);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { ok: boolean; files: { source: string; out: string; name: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => [f.source, f.out, f.name, f.status])).toEqual([
      ['a/ci/Jenkinsfile', 'pipelines/ci.pipeline.ts', 'ci', 'imported'],
      ['b/ci/Jenkinsfile', 'pipelines/b-ci.pipeline.ts', 'b-ci', 'imported'],
    ]);
  });

  it('writes --out with --name set in the module; refuses to overwrite without --force', async () => {
    project = createTempProject({ 'Jenkinsfile': simple('one') });
    expect((await runCli(['import', 'Jenkinsfile', '--out', 'p/main.pipeline.ts', '--name', 'payments'], project.root)).code).toBe(0);
    expect(readFileSync(project.path('p/main.pipeline.ts'), 'utf8')).toContain("name: 'payments',");
    const again = await runCli(['import', 'Jenkinsfile', '--out', 'p/main.pipeline.ts', '--name', 'payments'], project.root);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('Jenkinsfile: refused, nothing written\n  p/main.pipeline.ts exists (use --force to overwrite it)');
    expect((await runCli(['import', 'Jenkinsfile', '--out', 'p/main.pipeline.ts', '--force'], project.root)).code).toBe(0);
  });

  it('removes a module whose round trip fails (exit 1), or keeps it with --keep-failed', async () => {
    // A string constant over 65,535 bytes in a script block: Groovy parses it, the compiler refuses it (PW3034).
    const text = simple('x').replace("echo 'x'", `script { echo '${'x'.repeat(70_000)}' }`);
    project = createTempProject({ 'svc/Jenkinsfile': text });
    const failed = await runCli(['import', 'svc/Jenkinsfile'], project.root);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('svc/Jenkinsfile → pipelines/svc.pipeline.ts: round trip FAILED (module removed; --keep-failed keeps it)');
    expect(failed.stdout).toMatch(/the module does not compile: PW3034 /);
    expect(failed.stdout).toContain('0 imported (round trip OK), 0 refused, 1 failed the round trip');
    expect(existsSync(project.path('pipelines/svc.pipeline.ts'))).toBe(false);
    const kept = await runCli(['import', 'svc/Jenkinsfile', '--keep-failed'], project.root);
    expect(kept.code).toBe(1);
    expect(kept.stdout).toContain('round trip FAILED (module kept for inspection: do not use it as is)');
    expect(existsSync(project.path('pipelines/svc.pipeline.ts'))).toBe(true);
  });

  it('--check compares existing modules with their Jenkinsfiles and writes nothing', async () => {
    project = createTempProject({ 'svc/Jenkinsfile': SERVICE, 'other/Jenkinsfile': simple('other') });
    expect((await runCli(['import', 'svc'], project.root)).code).toBe(0);
    const module = project.path('pipelines/svc.pipeline.ts');
    const same = await runCli(['import', '--check', 'svc'], project.root);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('svc/Jenkinsfile ↔ pipelines/svc.pipeline.ts: same pipeline\n\n1 Jenkinsfile: 1 same as their module, 0 different\n');
    // An edit that changes the pipeline is caught; one that keeps it (typing a step) is not.
    const text = readFileSync(module, 'utf8');
    project.write('pipelines/svc.pipeline.ts', text.replace("sh('make test')", "sh('make test-all')"));
    const changed = await runCli(['import', '--check', 'svc', 'other'], project.root);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain(
      "svc/Jenkinsfile ↔ pipelines/svc.pipeline.ts: different\n  first difference at pipeline › [5] stages › [1] stage('Test') › [1] steps › [1] sh › argument 1\n    Jenkinsfile: 'make test'\n    module:      'make test-all'",
    );
    expect(changed.stdout).toContain('other/Jenkinsfile: refused, nothing written\n  pipelines/other.pipeline.ts does not exist: nothing to compare (import it first)');
    expect(existsSync(project.path('pipelines/other.pipeline.ts'))).toBe(false);
    project.write('pipelines/svc.pipeline.ts', text.replace("step('withAWS', { region: 'eu-west-1', role: 'ci-push' }, [sh('make push')])", "{ step: 'step', name: 'withAWS', args: { role: 'ci-push', region: 'eu-west-1' }, body: [{ step: 'sh', script: 'make push' }] }"));
    expect((await runCli(['import', '--check', 'svc'], project.root)).code).toBe(0);
  });

  it('refuses a Jenkinsfile that is not valid declarative, with the line', async () => {
    project = createTempProject({ 'bad/Jenkinsfile': "pipeline {\n  agent any\n  stages {\n    stage('x') { steps { echo 'a' }\n  }\n}\n" });
    const { code, stdout } = await runCli(['import', 'bad/Jenkinsfile'], project.root);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^bad\/Jenkinsfile: refused, nothing written\n {2}line \d+: not a valid declarative Jenkinsfile: PW5001 /);
  });

  it('exit 2 for unreadable inputs and bad usage', async () => {
    project = createTempProject({ 'ok/Jenkinsfile': simple('ok'), 'ok2/Jenkinsfile': simple('ok2'), 'empty/README.md': 'no Jenkinsfile here' });
    const missing = await runCli(['import', 'missing/Jenkinsfile', 'ok/Jenkinsfile'], project.root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('pipewright import: cannot read missing/Jenkinsfile: ENOENT\n');
    expect(missing.stdout).toContain('2 Jenkinsfiles: 1 imported (round trip OK), 0 refused, 0 failed the round trip, 1 unreadable');
    const empty = await runCli(['import', 'empty'], project.root);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('pipewright import: no Jenkinsfile or *.Jenkinsfile under empty\n');
    for (const argv of [['import'], ['import', 'ok', '--format', 'xml'], ['import', 'ok', 'ok2', '--out', 'x.pipeline.ts'], ['import', 'ok', '--out', 'a', '--out-dir', 'b'], ['import', 'ok', '--name', 'bad name']]) {
      const result = await runCli(argv, project.root);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain('Usage: pipewright import');
    }
    const help = await runCli(['import', '--help'], project.root);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 every Jenkinsfile imported with its round trip OK');
  });
  it('names modules after the Jenkinsfile: Jenkinsfile.prod → prod, deploy.groovy → deploy, x.Jenkinsfile → x, DIR/Jenkinsfile → DIR', async () => {
    project = createTempProject({
      'Jenkinsfile.prod': simple('prod'),
      'deploy.groovy': simple('deploy'),
      'x.Jenkinsfile': simple('x'),
      'payments api/Jenkinsfile': simple('payments'),
      'ci/Prod.Jenkinsfile': simple('case-insensitive twin of prod'),
      'ci/deploy.groovy': simple('twin of deploy'),
    });
    const files = ['Jenkinsfile.prod', 'deploy.groovy', 'x.Jenkinsfile', 'payments api/Jenkinsfile', 'ci/Prod.Jenkinsfile', 'ci/deploy.groovy'];
    const { code, stdout } = await runCli(['import', ...files, '--format', 'json'], project.root);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { files: { source: string; name: string; out: string; status: string }[] };
    expect(report.files.map((f) => [f.source, f.name, f.out, f.status])).toEqual([
      ['Jenkinsfile.prod', 'prod', 'pipelines/prod.pipeline.ts', 'imported'],
      ['deploy.groovy', 'deploy', 'pipelines/deploy.pipeline.ts', 'imported'],
      ['x.Jenkinsfile', 'x', 'pipelines/x.pipeline.ts', 'imported'],
      // Sanitised to a valid pipeline name.
      ['payments api/Jenkinsfile', 'payments-api', 'pipelines/payments-api.pipeline.ts', 'imported'],
      // Prod collides with prod on case-insensitive file systems: the directory path is prefixed.
      ['ci/Prod.Jenkinsfile', 'ci-Prod', 'pipelines/ci-Prod.pipeline.ts', 'imported'],
      ['ci/deploy.groovy', 'ci-deploy', 'pipelines/ci-deploy.pipeline.ts', 'imported'],
    ]);
    for (const file of report.files) expect(existsSync(project.path(file.out))).toBe(true);
  });

  it('drops a #! line with --keep-outside-code (the round trip holds) and says so', async () => {
    project = createTempProject({ 'svc/Jenkinsfile': `#!/usr/bin/env groovy\n${WITH_HELPER}` });
    const { code, stdout } = await runCli(['import', 'svc/Jenkinsfile', '--keep-outside-code'], project.root);
    expect(stdout).toContain('svc/Jenkinsfile → pipelines/svc.pipeline.ts: imported, round trip OK');
    expect(stdout).toContain("note: line 1: the #!/usr/bin/env groovy line is dropped: Groovy allows #! only on line 1, which holds the compiled Jenkinsfile's header, and Jenkins does not need it");
    expect(code).toBe(0);
    const module = readFileSync(project.path('pipelines/svc.pipeline.ts'), 'utf8');
    expect(module).toContain("groovyPrologue: `def greeting() { 'hi' }\n\n`,");
    expect(module).not.toContain('#!');
  });

  it('a refusal for outside code names --keep-outside-code; --help describes both modes', async () => {
    project = createTempProject({ 'legacy/Jenkinsfile': WITH_HELPER });
    const refused = await runCli(['import', 'legacy/Jenkinsfile'], project.root);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('or import with --keep-outside-code to keep it verbatim as groovyPrologue (raw Groovy)');
    const help = await runCli(['import', '--help'], project.root);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('refused by\ndefault');
    expect(help.stdout).toContain('with --keep-outside-code it is kept verbatim as groovyPrologue /\ngroovyEpilogue');
    expect(help.stdout).not.toContain('outside its pipeline block is refused.');
  });
});
