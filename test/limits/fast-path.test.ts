/**
 * The estimator's fast paths (the plain lexer; script methods costed one definition at a time,
 * with memos by each definition's text and shape) give exactly what the reference path (the full lexer,
 * whole texts, no memo) gives: every method's bytes, every stage's bytes, not merely within the
 * calibration tolerance. On the calibration fixtures, the valid corpus, the repository's
 * Jenkinsfiles, lowered payments-api variants, and texts made to trip the per-definition cut.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePipelineValue } from '../../src/compile-pipeline.ts';
import type { JenkinsfileAst } from '../../src/jenkinsfile/ast.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { withReferencePath } from '../../src/limits/groovy-source.ts';
import { estimateMethodSize, type EstimateOptions } from '../../src/limits/method-size.ts';
import { nodeService } from '../../src/presets/node-service.ts';
import { costAllocation, ecsEnvironments, notifyTo, org } from '../../pipelines/shared/org-defaults.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

function expectSameAsReference(ast: JenkinsfileAst, label: string, options: EstimateOptions = {}): void {
  const reference = withReferencePath(() => estimateMethodSize(ast, options));
  // Twice: the second run reads the memo the first one filled.
  expect(estimateMethodSize(ast, options), label).toEqual(reference);
  expect(estimateMethodSize(ast, options), label).toEqual(reference);
}

function parsed(file: string): JenkinsfileAst {
  const result = parseJenkinsfile(readFileSync(file, 'utf8'), file);
  expect(result.ast, file).toBeDefined();
  return result.ast!;
}

/** A pipeline with the given epilogue (helpers) and one stage calling them. */
function withEpilogue(epilogue: string): JenkinsfileAst {
  const text = `pipeline {\n  agent any\n  stages {\n    stage('A') {\n      steps {\n        sh 'make'\n      }\n    }\n  }\n}\n${epilogue}`;
  const result = parseJenkinsfile(text, 'Jenkinsfile');
  expect(result.ast?.epilogue).toBeTruthy();
  return result.ast!;
}

describe('the fast paths give exactly the reference estimate', () => {
  it('on the calibration fixtures', () => {
    const dir = path.join(ROOT, 'test/limits/fixtures');
    const files = readdirSync(dir).filter((f) => f.endsWith('.Jenkinsfile'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expectSameAsReference(parsed(path.join(dir, f)), f);
  });

  it('on the valid corpus and the repository\'s generated Jenkinsfiles', () => {
    const corpus = path.join(ROOT, 'test/corpus/valid');
    for (const f of readdirSync(corpus)) expectSameAsReference(parsed(path.join(corpus, f)), f);
    const generated = readdirSync(path.join(ROOT, 'generated')).map((g) => path.join(ROOT, 'generated', g, 'Jenkinsfile'));
    for (const f of generated) expectSameAsReference(parsed(f), f, { firstLine: 1 });
  });

  it('on lowered payments-api pipelines of different names (the memo holds helpers of one while the next is costed)', () => {
    const sizes = new Set<number>();
    for (const [name, approvers] of [['payments-api', 'payments-release-managers'], ['ledger-api', 'ledger-release-managers'], ['payments-api-2', 'x']] as const) {
      const value = nodeService({
        ...org,
        name,
        environments: ecsEnvironments(name, { approvers: [approvers] }),
        notifications: notifyTo('#payments-deploys', 'teams-payments-webhook'),
        smokeTest: './scripts/smoke.sh',
        costAllocation: costAllocation('payments'),
      });
      const compiled = compilePipelineValue(value, `pipelines/${name}.pipeline.ts`);
      expect(compiled.ast?.epilogue).toBeTruthy();
      expectSameAsReference(compiled.ast!, name, { firstLine: 3 });
      sizes.add(estimateMethodSize(compiled.ast!, { firstLine: 3 }).methods.length);
    }
    expect([...sizes].every((n) => n > 10)).toBe(true);
  });

  it('a helper whose text changes is costed anew (the memo is keyed by the exact text)', () => {
    const helper = (body: string) => `def pwNotify1() {\n${body}\n}\ndef pwOther1() {\n  echo('same')\n}\n`;
    const small = withEpilogue(helper("  echo('a')"));
    const larger = withEpilogue(helper("  echo('a')\n  sh(script: 'make ' + env.X, label: 'make')"));
    const bytes = (ast: JenkinsfileAst) => estimateMethodSize(ast).methods.find((m) => m.name === 'def pwNotify1()')!.bytes;
    const first = bytes(small);
    expect(bytes(larger)).toBeGreaterThan(first);
    expect(bytes(small)).toBe(first);
    expectSameAsReference(small, 'small');
    expectSameAsReference(larger, 'larger');
  });

  it('helpers that differ only in their strings share a shape, and each gets the reference estimate', () => {
    const helper = (message: string, extra: string) => `def pwNotify1() {\n  def pwMessage = '${message}' + env.BUILD_URL\n  slackSend(channel: '#c', message: pwMessage${extra})\n}\n`;
    const asts = [
      helper('a deployed', ''),
      helper('b deployed in prod', ''),
      helper('c', ", color: 'good'"),
      helper('d', ", color: 'good', failOnError: true"),
      // the first line of those before, strings the plain lexer does not take
      helper('e', ', color: "${env.COLOR}"'),
      helper('f \\u0041', ", color: 'good'"),
      helper("g \\' \\n", ', color: "good"'),
    ].map(withEpilogue);
    for (const [i, ast] of asts.entries()) expectSameAsReference(ast, `helper ${i}`);
    const bytes = asts.map((ast) => estimateMethodSize(ast).methods.find((m) => m.name === 'def pwNotify1()')!.bytes);
    expect(bytes[0]).toBe(bytes[1]);
    expect(bytes[2]).toBeGreaterThan(bytes[1]!);
    expect(bytes[3]).toBeGreaterThan(bytes[2]!);
  });

  it('epilogues of one shape (a fleet: other names in the strings) and epilogues that differ from it in one place', () => {
    const helpers = (name: string, extra = '') =>
      `def pwNotify1() {\n  def pwMessage = '${name} deployed' + env.BUILD_URL\n  slackSend(channel: '#c', message: pwMessage)\n}\n` +
      `def pwEvidence1() {\n  archiveArtifacts(artifacts: 'evidence/${name}.*', allowEmptyArchive: true)${extra}\n}\n` +
      `def pwNotify2() {\n  echo('${name} failed')\n}\n`;
    const epilogues = [
      helpers('payments-api-000'),
      helpers('payments-api-001'),
      helpers('ledger'), // strings of other lengths
      helpers("it\\'s"), // an escape in a string
      helpers('x', "\n  echo('more')"), // a statement more (same first line as those before)
      helpers('x', '\n  echo(env.A)'), // a name where the one before has a string
      helpers('x', "\n  echo('a' + 'b')"),
      helpers('x', '\n  echo("${env.A}")'), // a GString: not plain, costed whole
      helpers('x', "\n}\ndef pwExtra() {\n  echo('extra')"), // a definition more
      helpers('x', "\n  echo('a')\n  echo('b')"), // a line more: later lines move
      helpers('payments-api-000'),
    ];
    const bytes: number[][] = [];
    for (const e of epilogues) {
      const ast = withEpilogue(e);
      expectSameAsReference(ast, JSON.stringify(e));
      bytes.push(estimateMethodSize(ast).methods.map((m) => m.bytes));
    }
    // More shapes with one first line than are kept for it, twice round.
    for (let round = 0; round < 2; round++) {
      for (let n = 1; n <= 6; n++) expectSameAsReference(withEpilogue(helpers(`r${round}`, "\n  echo('x')".repeat(n))), `${n} more`);
    }
    expect(bytes[1]).toEqual(bytes[0]);
    expect(bytes[4]).not.toEqual(bytes[0]);
    expect(bytes[5]).not.toEqual(bytes[6]);
    expect(bytes[8]!.length).toBe(bytes[0]!.length + 1);
  });

  it('the generated Jenkinsfiles\' epilogues mutated at random (a character replaced; strings renamed) after the originals were costed', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const replacements = ["'", '"', '\n', ' ', 'x', '$', '\\', '{', '}', '(', 'def ', '\r', '\\u0041'];
    let checked = 0;
    for (const dir of readdirSync(path.join(ROOT, 'generated'))) {
      const ast = parsed(path.join(ROOT, 'generated', dir, 'Jenkinsfile'));
      const epilogue = ast.epilogue;
      if (!epilogue) continue;
      expectSameAsReference(ast, dir);
      for (let i = 0; i < 40; i++) {
        const at = random(epilogue.length);
        const mutated =
          i % 2 === 0
            ? epilogue.slice(0, at) + replacements[random(replacements.length)] + epilogue.slice(at + 1)
            : epilogue.replace(/'[^'\n]*'/g, (literal) => (random(3) === 0 ? `'${'y'.repeat(random(12))}'` : literal));
        expectSameAsReference({ ...ast, epilogue: mutated }, `${dir} #${i}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('lines: script methods defined around line 128 (where a line number costs a byte more)', () => {
    for (let steps = 90; steps <= 114; steps += 6) {
      const helpers = Array.from({ length: 12 }, (_, i) => `def m${i}() {\n  echo('${i}')\n}\n`).join('');
      const text = `pipeline {\n  agent any\n  stages {\n    stage('A') {\n      steps {\n${"        sh 'make'\n".repeat(steps)}      }\n    }\n  }\n}\n${helpers}`;
      const ast = parseJenkinsfile(text, 'Jenkinsfile').ast!;
      expectSameAsReference(ast, `${steps} steps`);
      const sizes = new Set(estimateMethodSize(ast).methods.filter((m) => m.name.startsWith('def m')).map((m) => m.bytes));
      expect(sizes.size, `${steps} steps`).toBe(2); // before and after line 128
    }
  });

  it('texts the per-definition cut must not take apart, and texts outside the plain subset', () => {
    const epilogues = [
      // `def` at a line start inside a multi-line string, in a GString, in a block comment
      "def a() {\n  sh '''\ndef b() {\n'''\n}\ndef c() {\n  echo('c')\n}\n",
      'def a() {\n  sh """\ndef b() { ${x} }\n"""\n}\n',
      'def a() {\n  /*\ndef b() {\n  */\n  echo(1)\n}\ndef c() { echo(2) }\n',
      // a definition inside another (the first piece ends inside a brace)
      "def a() {\ndef b() {\n  echo('b')\n}\n}\n",
      // an unclosed parenthesis across the cut
      "def a() { f(\n}\ndef b() { echo('x') }\n",
      // line ends other than LF, a \\u escape, a line continuation, a comment header
      "def a() {\r\n  echo('a')\r\n}\r\ndef b() {\r\n}\r\n",
      "def a() {\n  echo('\\u0041')\n}\ndef b() {\n}\n",
      "// helpers\n// more\ndef a() {\n  echo('a') \\\n}\ndef b() { echo('b') }",
      // statements besides definitions, a variable, two definitions on one line
      "def a() { echo('a') }; def b() { echo('b') }\ndef c() { }\n",
      "def x = 1\ndef a() { echo(x) }\n",
      // strings next to strings, quotes and names (the shape replaces their values)
      "def a() { echo('x''y'); echo(\"q\"'r'); echo('it\\'s'+b) }\ndef b() { f('a'.trim(), 'b'c) }\n",
      // a body large enough to be parsed node by node
      `def big() {\n${Array.from({ length: 400 }, (_, i) => `  sh(script: 'make step-${i}', label: 's${i}')`).join('\n')}\n}\ndef small() { echo('s') }\n`,
    ];
    for (const e of epilogues) {
      const result = parseJenkinsfile(`pipeline {\n  agent any\n  stages {\n    stage('A') {\n      steps {\n        sh 'make'\n      }\n    }\n  }\n}\n${e}`, 'Jenkinsfile');
      if (result.ast) expectSameAsReference(result.ast, JSON.stringify(e));
    }
    const big = estimateMethodSize(withEpilogue(epilogues.at(-1)!)).methods.find((m) => m.name === 'def big()')!;
    expect(big.bytes).toBeGreaterThan(20_000);
  });
});
