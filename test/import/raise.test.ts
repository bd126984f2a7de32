/**
 * Raising a Jenkinsfile to the pipeline model (src/import/raise.ts): which constructs become
 * typed model data, which go to which escape hatch and why, and what is refused.
 */
import { describe, expect, it } from 'vitest';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { raiseJenkinsfile } from '../../src/import/raise.ts';

const raise = (text: string) => {
  const parsed = parseJenkinsfile(text);
  if (!parsed.ast) throw new Error(JSON.stringify(parsed.diagnostics));
  return raiseJenkinsfile(parsed.ast);
};
const withSteps = (steps: string, sections = '') => `pipeline {\n  agent any\n${sections}\n  stages {\n    stage('S') {\n      steps {\n${steps}\n      }\n    }\n  }\n}\n`;
const stepsOf = (text: string) => raise(text).pipeline!.stages[0]!.steps;

describe('raiseJenkinsfile: steps', () => {
  it('types the core steps, including their named forms', () => {
    expect(
      stepsOf(
        withSteps(`
        sh script: 'make', label: 'Build'
        junit testResults: 'reports/*.xml'
        archiveArtifacts artifacts: 'dist/**', fingerprint: true
        checkout scm
        dir('sub') { retry(2) { unstash 'x' } }
        withCredentials([string(credentialsId: 'tok', variable: 'TOKEN')]) { echo 'hi' }
        timeout(time: 5, unit: 'MINUTES') { lock(resource: 'db') { stash name: 's', includes: 'a/**' } }
        git url: 'https://git.example.com/a.git', branch: 'main'`),
      ),
    ).toEqual([
      { step: 'sh', script: 'make', label: 'Build' },
      { step: 'junit', testResults: 'reports/*.xml' },
      { step: 'archiveArtifacts', artifacts: 'dist/**', fingerprint: true },
      { step: 'checkout', scm: true },
      { step: 'dir', path: 'sub', steps: [{ step: 'retry', count: 2, steps: [{ step: 'unstash', name: 'x' }] }] },
      { step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'tok', variable: 'TOKEN' }], steps: [{ step: 'echo', message: 'hi' }] },
      {
        step: 'timeout',
        time: 5,
        unit: 'MINUTES',
        steps: [{ step: 'lock', resource: 'db', steps: [{ step: 'stash', name: 's', includes: 'a/**' }] }],
      },
      { step: 'git', url: 'https://git.example.com/a.git', branch: 'main' },
    ]);
  });

  it('keeps a step as step() when its typed form cannot say the same thing, with the reason', () => {
    const result = raise(
      withSteps(`
        sh script: 'test -f x', returnStatus: true
        sh "echo \${version}"
        timeout(time: 5) { echo 'a' }
        withAWS(region: 'eu-west-1') { sh 'aws sts get-caller-identity' }
        script { currentBuild.displayName = 'x' }`),
    );
    expect(result.pipeline!.stages[0]!.steps).toEqual([
      { step: 'step', name: 'sh', args: { script: 'test -f x', returnStatus: true } },
      { step: 'step', name: 'sh', args: [{ $groovy: '"echo ${version}"' }] },
      // `timeout(time: 5)` is the typed timeout (unit defaults to MINUTES, compare rule 11).
      { step: 'timeout', time: 5, steps: [{ step: 'echo', message: 'a' }] },
      { step: 'step', name: 'withAWS', args: { region: 'eu-west-1' }, body: [{ step: 'sh', script: 'aws sts get-caller-identity' }] },
      { step: 'script', groovy: "currentBuild.displayName = 'x'" },
    ]);
    expect(result.notes.map((n) => [n.hatch, n.subject, n.line])).toEqual([
      ['step', 'sh', 8],
      ['groovy', 'GString', 9],
      ['step', 'sh', 9],
      ['step', 'withAWS', 11],
      ['script', 'script', 12],
    ]);
    const reasons = result.notes.map((n) => n.reason);
    expect(reasons[0]).toMatch(/returnStatus: true swallows failures; the typed sh needs a returnStatusReason/);
    expect(reasons[2]).toBe('script of sh is a GString (Groovy interpolates it), the typed form takes a literal string');
    expect(reasons[3]).toBe('no typed helper for withAWS');
    expect(result.counts).toMatchObject({ typedSteps: 3, genericSteps: 3, scriptSteps: 1, groovyValues: 1 });
  });

  it('writes a multi-line raw value on one line (same tokens) and says so', () => {
    const result = raise(withSteps("        echo 'a' +\n             'b'"));
    expect(result.pipeline!.stages[0]!.steps).toEqual([{ step: 'step', name: 'echo', args: [{ $groovy: "'a' + 'b'" }] }]);
    expect(result.infos.map((i) => i.message)).toEqual(['a multi-line Groovy expression is written on one line in groovy(...) (tokens unchanged)']);
  });
});

describe('raiseJenkinsfile: sections', () => {
  it('types job properties anywhere but wrapper options only in the order lowering prints them', () => {
    const result = raise(withSteps("echo 'x'", "  options { timestamps(); timeout(time: 5, unit: 'MINUTES'); buildDiscarder(logRotator(numToKeepStr: '10')); ansiColor('xterm') }"));
    expect(result.pipeline!.options).toEqual({
      timestamps: true,
      buildDiscarder: { numToKeep: 10 },
      custom: [
        { name: 'timeout', args: { time: 5, unit: 'MINUTES' } },
        { name: 'ansiColor', args: ['xterm'] },
      ],
    });
    expect(result.notes.filter((n) => n.hatch === 'custom-option').map((n) => [n.subject, n.reason])).toEqual([
      ['timeout', 'kept in place: Jenkins applies wrapper options in source order, and the typed form is printed before the options above it'],
      ['ansiColor', 'option ansiColor is not modelled'],
    ]);
  });

  it('environment: literals, credentials() and groovy() for the rest', () => {
    const result = raise(withSteps("echo 'x'", "  environment {\n    A = 'a'\n    N = 3\n    H = 0xFF\n    C = credentials('tok')\n    G = credentials(\"tok-${A}\")\n    E = env.BRANCH_NAME\n    Z = null\n  }"));
    expect(result.pipeline!.environment).toEqual({
      A: 'a',
      N: 3,
      H: { $groovy: '0xFF' },
      C: { credentials: 'tok' },
      G: { $groovy: 'credentials("tok-${A}")' },
      E: { $groovy: 'env.BRANCH_NAME' },
      Z: { $groovy: 'null' },
    });
  });

  it('when: typed keys in lowering order, else allOf in source order', () => {
    const inOrder = raise(withSteps("echo 'x'").replace('steps {', "when { beforeAgent true; branch 'main'; expression { params.GO } }\n      steps {"));
    expect(inOrder.pipeline!.stages[0]!.when).toEqual({ beforeAgent: true, branch: 'main', expression: 'params.GO' });
    const outOfOrder = raise(withSteps("echo 'x'").replace('steps {', "when { expression { params.GO }; branch 'main' }\n      steps {"));
    expect(outOfOrder.pipeline!.stages[0]!.when).toEqual({ allOf: [{ expression: 'params.GO' }, { branch: 'main' }] });
  });

  it('custom agents, parameters and triggers for what the model does not type', () => {
    const result = raise(
      `pipeline {
  agent { docker 'node:20' }
  parameters { run(name: 'UP', projectName: 'a/b', filter: 'ALL', description: 'upstream run') }
  triggers { githubPush(); cron('H 2 * * *') }
  stages { stage('S') { agent { label "\${NODE}" }
    steps { echo 'x' } } }
}`,
    );
    expect(result.pipeline).toMatchObject({
      agent: { type: 'custom', name: 'docker', value: 'node:20' },
      parameters: [{ type: 'custom', symbol: 'run', name: 'UP', description: 'upstream run', args: { projectName: 'a/b', filter: 'ALL' } }],
      triggers: { cron: 'H 2 * * *', custom: [{ name: 'githubPush' }] },
      stages: [{ agent: { type: 'custom', name: 'label', value: { $groovy: '"${NODE}"' } } }],
    });
    expect(result.notes.filter((n) => n.hatch !== 'groovy').map((n) => [n.hatch, n.subject])).toEqual([
      ['custom-agent', 'docker'],
      ['custom-parameter', 'run'],
      ['custom-trigger', 'githubPush'],
      ['custom-agent', 'label'],
    ]);
  });

  it('maps @Library annotations to libraries and says so', () => {
    const result = raise(`@Library(['lib-a@1', 'lib-b@2']) _\n${withSteps("echo 'x'", "  libraries { lib('lib-c@3') }")}`);
    expect(result.pipeline!.libraries).toEqual(['lib-a@1', 'lib-b@2', 'lib-c@3']);
    expect(result.infos[0]!.message).toMatch(/^@Library annotations imported as libraries: 'lib-a@1', 'lib-b@2'/);
  });
});

describe('raiseJenkinsfile refuses what the model cannot hold', () => {
  const refusals = (text: string) => {
    const result = raise(text);
    expect(result.pipeline).toBeUndefined();
    return result.refusals.map((r) => `${r.line ?? '-'}: ${r.reason}`);
  };

  it('code outside the pipeline block', () => {
    expect(refusals(`import groovy.json.JsonOutput\n${withSteps("echo 'x'")}`)).toEqual([
      '1: code before the pipeline block (import groovy.json.JsonOutput) cannot be represented in a typed pipeline; move helpers into a shared library or script { } blocks (or delete unused code), then import again; or import with --keep-outside-code to keep it verbatim as groovyPrologue (raw Groovy)',
    ]);
    expect(refusals(`${withSteps("echo 'x'")}\ndef helper() { 1 }\n`)[0]).toMatch(/^-: code after the pipeline block \(def helper\(\) \{ 1 \}\).*; or import with --keep-outside-code to keep it verbatim as groovyEpilogue \(raw Groovy\)$/);
  });

  it('unknown when conditions, mixed step arguments and non-literal fields the model only takes as literals', () => {
    expect(refusals(withSteps("echo 'x'").replace('steps {', 'when { fancyCondition() }\n      steps {'))).toEqual([
      '6: when: fancyCondition is not a when condition the model knows (the model has no escape hatch for conditions; an expression { } with the same logic would be one)',
    ]);
    expect(refusals(withSteps("echo 'x'", '  parameters { string(name: "P_${X}") }'))).toEqual([
      '3: parameter string: its name is a GString (Groovy interpolates it); the model holds parameters with named arguments and a literal name only',
    ]);
    expect(refusals(withSteps("        foo 'a', b: 1"))).toEqual(['7: step foo mixes positional and named arguments, which the model cannot hold']);
    expect(refusals(withSteps("echo 'x'", '  libraries { lib("a@${V}") }'))).toEqual([
      "3: libraries: expected lib('name@version') with a literal string, found a GString (Groovy interpolates it)",
    ]);
    expect(refusals(withSteps("echo 'x'").replace('steps {', 'input { message "Deploy ${V}?" }\n      steps {'))).toEqual([
      '6: input: message must be message, id, ok, submitter or submitterParameter with one literal string (found a GString (Groovy interpolates it))',
      '6: input without a message',
    ]);
  });
});
