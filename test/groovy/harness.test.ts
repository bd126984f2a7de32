import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectGroovyParses, groovyParse, groovyStringConstants } from './client.ts';

const VALID_JENKINSFILE = `@Library('x@1') _

pipeline {
  agent any
  options {
    timeout(time: 10, unit: 'MINUTES')
  }
  environment {
    REGION = 'eu-west-1'
    TOKEN = credentials('token-id')
  }
  stages {
    stage('Build') {
      steps {
        sh '''
          npm ci
          npm run build
        '''
        junit testResults: 'reports/*.xml', allowEmptyResults: true
      }
    }
    stage('Deploy') {
      when {
        buildingTag()
      }
      steps {
        script {
          def names = ['a', 'b']
          names.each { n -> echo "deploying \${n}" }
        }
      }
    }
  }
  post {
    always {
      cleanWs()
    }
  }
}
`;

/** The line (1-based) of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`${needle} not in text`);
  return index + 1;
}

describe('groovyParse (Groovy 2.4.21 up to CONVERSION)', () => {
  it('accepts a declarative Jenkinsfile with @Library(...) _', async () => {
    expect(await groovyParse([{ name: 'Jenkinsfile', text: VALID_JENKINSFILE }])).toEqual([
      { name: 'Jenkinsfile', ok: true, errors: [] },
    ]);
  });

  it('reports each broken file on the right line, independently, in input order', async () => {
    const unterminated = VALID_JENKINSFILE.replace("junit testResults: 'reports/*.xml'", "junit testResults: 'reports/*.xml");
    const missingBrace = VALID_JENKINSFILE.replace(/}\n$/, '');
    const groovy3Lambda = VALID_JENKINSFILE.replace('names.each { n -> echo "deploying ${n}" }', 'names.each(n -> echo(n))');
    const rawUnicodeQuote = "echo 'a\\u0027b'\n";
    const results = await groovyParse([
      { name: 'unterminated', text: unterminated },
      { name: 'valid', text: VALID_JENKINSFILE },
      { name: 'missing-brace', text: missingBrace },
      { name: 'groovy3-lambda', text: groovy3Lambda },
      { name: 'raw-unicode-quote', text: rawUnicodeQuote },
    ]);
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['unterminated', false],
      ['valid', true],
      ['missing-brace', false],
      ['groovy3-lambda', false],
      ['raw-unicode-quote', false],
    ]);
    const [unterminatedResult, , missingBraceResult, lambdaResult, quoteResult] = results;
    expect(unterminatedResult?.errors[0]?.line).toBe(lineOf(unterminated, 'junit testResults'));
    // The parser only notices at end of input: the line after the last one.
    expect(missingBraceResult?.errors[0]).toMatchObject({ line: missingBrace.split('\n').length, message: expect.stringContaining("expecting '}'") });
    expect(lambdaResult?.errors[0]).toMatchObject({ line: lineOf(groovy3Lambda, 'names.each('), message: 'unexpected token: ->' });
    // \u0027 is translated to a raw quote before lexing, which closes the literal early.
    expect(quoteResult?.errors[0]?.line).toBe(1);
    for (const result of results.filter((r) => !r.ok)) expect(result.errors.length).toBeGreaterThan(0);
  });

  it('gives a position for a malformed \\u escape, even inside a comment', async () => {
    const [result] = await groovyParse([{ name: 'c', text: "pipeline {}\n// C:\\users\n" }]);
    expect(result).toMatchObject({ ok: false, errors: [{ line: 2, column: expect.any(Number), message: expect.stringContaining('four digit hex') }] });
    expect(result?.errors[0]?.column).toBeGreaterThan(0);
  });

  it('treats U+FFFF as end of input, as antlr2 does', async () => {
    const [result] = await groovyParse([{ name: 'ffff', text: "echo 'a\uffffb'\n" }]);
    expect(result?.ok).toBe(false);
  });
});

describe('groovyStringConstants', () => {
  it('returns string literals exactly, escaped or raw', async () => {
    // Groovy source written by hand (not by pipewright's printer), with the JS value expected.
    const cases: [groovy: string, value: string][] = [
      ["'it\\'s \"quoted\"'", 'it\'s "quoted"'],
      ["'C:\\\\dir\\\\'", 'C:\\dir\\'],
      ["'$5 and ${x} and $y'", '$5 and ${x} and $y'],
      ["'nul\\u0000 raw\u0000'", 'nul\u0000 raw\u0000'],
      ["'cr\\r lf\\n tab\\t bs\\b ff\\f'", 'cr\r lf\n tab\t bs\b ff\f'],
      ["'emoji 😀 \\uD83D\\uDE00'", 'emoji \u{1F600} \u{1F600}'],
      ["'sep\u2028 \\u2028'", 'sep\u2028 \u2028'],
      ["'lone \\uD800 \\uDC00'", 'lone \ud800 \udc00'],
      ["'fffe \\uFFFE'", 'fffe \ufffe'],
      ["'''multi\nline \\''''", "multi\nline '"],
      ['"double $$ no placeholder"'.replace('$$', '\\$'), 'double $ no placeholder'],
    ];
    const source = cases.map(([groovy], i) => `echo ${groovy}  // case ${i}\n`).join('');
    expect(await groovyStringConstants(source)).toEqual(cases.map(([, value]) => value));
  });

  it('includes map keys, named arguments and annotation values, but not method or property names', async () => {
    const source = [
      "@Library('lib@1') _",
      "junit testResults: 'a.xml', allowEmptyResults: true",
      "def m = [plain: 'v', 'quoted key': 'w']",
      'x.someProperty.someMethod(hudson.model.Result.SUCCESS)',
      'echo "fragment ${x} ignored"',
      "def f() { return 'in method' }",
      '',
    ].join('\n');
    expect(await groovyStringConstants(source)).toEqual([
      'lib@1',
      'testResults',
      'a.xml',
      'allowEmptyResults',
      'plain',
      'v',
      'quoted key',
      'w',
      'in method',
    ]);
  });

  it('throws with the syntax errors when the text does not parse', async () => {
    await expect(groovyStringConstants("echo 'open\n")).rejects.toThrow(/<text>:1:\d+ expecting '''/);
  });
});

describe('expectGroovyParses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipewright-harness-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes for valid sources and lists every error of every broken one', async () => {
    await expectGroovyParses([{ name: 'ok', text: VALID_JENKINSFILE }]);
    const failure = expectGroovyParses([
      { name: 'ok', text: VALID_JENKINSFILE },
      { name: 'bad1', text: "echo 'x\n" },
      { name: 'bad2', text: 'pipeline {\n' },
    ]);
    await expect(failure).rejects.toThrow(/2 of 3 file\(s\)[\s\S]*\nbad1:1:\d+ expecting '''[\s\S]*\nbad2:2:1 /);
  });

  it('checks every Jenkinsfile / *.Jenkinsfile below a directory, and only those', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'Jenkinsfile'), VALID_JENKINSFILE);
    writeFileSync(join(dir, 'a', 'b', 'deploy.Jenkinsfile'), VALID_JENKINSFILE);
    writeFileSync(join(dir, 'a', 'notes.groovy'), "echo 'not a Jenkinsfile, never parsed\n");
    await expectGroovyParses(dir);
    writeFileSync(join(dir, 'a', 'Jenkinsfile'), "pipeline {\n  echo 'open\n}\n");
    await expect(expectGroovyParses(dir)).rejects.toThrow(
      new RegExp(`^1 of 3 file\\(s\\) [^\\n]*\\n${join(dir, 'a', 'Jenkinsfile')}:2:\\d+ expecting '''`),
    );
  });

  it('fails for a directory without Jenkinsfiles', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    await expect(expectGroovyParses(empty)).rejects.toThrow(/no Jenkinsfile found/);
  });
});
