/**
 * The round-trip equality (src/import/compare.ts): each thing it ignores is ignored, and each
 * change that matters to Jenkins is reported, with its path and both sides.
 */
import { describe, expect, it } from 'vitest';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { compareJenkinsfileAsts } from '../../src/import/compare.ts';

const ast = (text: string) => {
  const parsed = parseJenkinsfile(text);
  if (!parsed.ast) throw new Error(JSON.stringify(parsed.diagnostics));
  return parsed.ast;
};
const diff = (a: string, b: string) => compareJenkinsfileAsts(ast(a), ast(b));

const pipeline = (body: string, stageBody = "steps { sh 'make' }") => `pipeline {\n${body}\nstages { stage('Build') { ${stageBody} } }\n}\n`;

describe('compareJenkinsfileAsts ignores', () => {
  it('layout and comments', () => {
    expect(diff(pipeline('agent any'), `// header\npipeline { agent any; /* c */ stages { stage('Build') {\n steps {\n   sh('make') // x\n } } } }`)).toBeUndefined();
  });

  it('layout inside raw Groovy values, but not their tokens', () => {
    expect(diff(pipeline('agent any', "steps { echo 'a' +\n  'b' }"), pipeline('agent any', "steps { echo('a' + 'b') }"))).toBeUndefined();
    expect(diff(pipeline('agent any', "steps { echo 'a' + 'b' }"), pipeline('agent any', "steps { echo 'a' + 'c' }"))).toMatchObject({
      original: "'a' + 'b'",
      compiled: "'a' + 'c'",
    });
  });

  it('the order of pipeline sections, stage directives, post conditions, triggers and agent entries', () => {
    expect(diff(pipeline("agent any\nenvironment { A = '1' }"), pipeline("environment { A = '1' }\nagent any"))).toBeUndefined();
    expect(
      diff(pipeline('agent any', "when { branch 'main' }\nagent { docker { image 'x'; label 'y' } }\nsteps { sh 'make' }"), pipeline('agent any', "agent { docker { label 'y'; image 'x' } }\nsteps { sh 'make' }\nwhen { branch 'main' }")),
    ).toBeUndefined();
    expect(diff(pipeline('agent any\npost { failure { echo "f" }\nalways { echo "a" } }'), pipeline('agent any\npost { always { echo "a" }\nfailure { echo "f" } }'))).toBeUndefined();
    expect(diff(pipeline("agent any\ntriggers { pollSCM('H'); cron('H 2 * * *') }"), pipeline("agent any\ntriggers { cron('H 2 * * *'); pollSCM('H') }"))).toBeUndefined();
  });

  it('the order of job properties among options, not of wrapper options', () => {
    expect(
      diff(pipeline('agent any\noptions { timestamps(); disableResume(); buildDiscarder(logRotator(numToKeepStr: "5")) }'), pipeline('agent any\noptions { buildDiscarder(logRotator(numToKeepStr: "5")); disableResume(); timestamps() }')),
    ).toBeUndefined();
    expect(diff(pipeline("agent any\noptions { retry(2); timeout(time: 5, unit: 'MINUTES') }"), pipeline("agent any\noptions { timeout(time: 5, unit: 'MINUTES'); retry(2) }"))).toEqual({
      path: 'pipeline › [2] options › [1]',
      original: 'retry(2)',
      compiled: "timeout(time: 5, unit: 'MINUTES')",
    });
  });

  it('named argument order, not positional order', () => {
    expect(diff(pipeline('agent any', "steps { junit testResults: 'a', allowEmptyResults: true }"), pipeline('agent any', "steps { junit allowEmptyResults: true, testResults: 'a' }"))).toBeUndefined();
    expect(diff(pipeline('agent any', "steps { foo 'a', 'b' }"), pipeline('agent any', "steps { foo 'b', 'a' }"))).toMatchObject({ original: "'a'", compiled: "'b'" });
  });

  it('when flags position and a sole top-level allOf, not condition order', () => {
    expect(diff(pipeline('agent any', "when { branch 'a'; beforeAgent true }\nsteps { sh 'make' }"), pipeline('agent any', "when { beforeAgent true; branch 'a' }\nsteps { sh 'make' }"))).toBeUndefined();
    expect(
      diff(pipeline('agent any', "when { allOf { expression { x }; branch 'a' } }\nsteps { sh 'make' }"), pipeline('agent any', "when { expression { x }; branch 'a' }\nsteps { sh 'make' }")),
    ).toBeUndefined();
    expect(diff(pipeline('agent any', "when { expression { x }; branch 'a' }\nsteps { sh 'make' }"), pipeline('agent any', "when { branch 'a'; expression { x } }\nsteps { sh 'make' }"))).toBeDefined();
  });

  it('bare-identifier stage names, agent string forms and a lone named step parameter', () => {
    expect(diff(pipeline('agent any').replace("stage('Build')", 'stage(Build)'), pipeline('agent any'))).toBeUndefined();
    expect(diff(pipeline("agent 'none'"), pipeline('agent none'))).toBeUndefined();
    expect(diff(pipeline('agent any', "steps { sh script: 'make' }"), pipeline('agent any', "steps { sh 'make' }"))).toBeUndefined();
    // Only for the step's own parameter, and only in step lists.
    expect(diff(pipeline('agent any', "steps { sh label: 'make' }"), pipeline('agent any', "steps { sh 'make' }"))).toBeDefined();
  });

  it('@Library annotations, as the first libraries entries; other outside code is a difference', () => {
    expect(
      diff(`#!/usr/bin/env groovy\n@Library(['a@1', 'b@2']) _\n${pipeline("agent any\nlibraries { lib('c@3') }")}`, pipeline("agent any\nlibraries { lib('a@1'); lib('b@2'); lib('c@3') }")),
    ).toBeUndefined();
    expect(diff(`@Library('a@1') _\n${pipeline('agent any')}`, pipeline("agent any\nlibraries { lib('a@1') }"))).toBeUndefined();
    expect(diff(`def x = 1\n${pipeline('agent any')}`, pipeline('agent any'))).toEqual({
      path: 'code before the pipeline block / pipeline',
      original: 'def x = 1',
      compiled: "pipeline { … }",
    });
  });
});

describe('compareJenkinsfileAsts reports', () => {
  it('changed, added and removed steps with their path', () => {
    expect(diff(pipeline('agent any', "steps { sh 'make'; echo 'x' }"), pipeline('agent any', "steps { sh 'make' }"))).toEqual({
      path: "pipeline › [2] stages › [1] stage('Build') › [1] steps › [2] echo",
      original: "echo('x')",
      compiled: '(nothing)',
    });
    expect(diff(pipeline('agent any', "steps { sh 'make' }"), pipeline('agent any', "steps { sh 'make test' }"))).toEqual({
      path: "pipeline › [2] stages › [1] stage('Build') › [1] steps › [1] sh › argument 1",
      original: "'make'",
      compiled: "'make test'",
    });
  });

  it('a statement of another shape (block or not, other arguments) as a whole', () => {
    expect(diff(pipeline("agent { label 'linux' }"), pipeline('agent none'))).toEqual({ path: 'pipeline › [1] agent', original: 'agent { … }', compiled: 'agent(none)' });
    expect(diff(pipeline('agent any', "steps { junit 'a' }"), pipeline('agent any', "steps { junit 'a', allowEmptyResults: true }"))).toMatchObject({
      original: "junit('a')",
      compiled: "junit('a', allowEmptyResults: true)",
    });
  });

  it('environment order, value types and script bodies', () => {
    expect(diff(pipeline("agent any\nenvironment { A = '1'; B = '2' }"), pipeline("agent any\nenvironment { B = '2'; A = '1' }"))).toBeDefined();
    expect(diff(pipeline("agent any\nenvironment { A = '1' }"), pipeline('agent any\nenvironment { A = 1 }'))).toMatchObject({ original: "'1'", compiled: '1' });
    expect(diff(pipeline('agent any', 'steps { script { a() } }'), pipeline('agent any', 'steps { script { b() } }'))).toMatchObject({
      original: 'script { a() }',
      compiled: 'script { b() }',
    });
  });

  it('a GString against a plain string with the same text', () => {
    expect(diff(pipeline('agent any', 'steps { echo "x ${y}" }'), pipeline('agent any', "steps { echo 'x ${y}' }"))).toBeDefined();
  });
});
