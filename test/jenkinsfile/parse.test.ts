/**
 * parseJenkinsfile: Groovy 2.4 lexing and parsing (checked against the real Groovy 2.4.21
 * compiler through test/groovy/client.ts) and the Jenkinsfile AST it builds.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallStatement, Expression, JenkinsfileAst, Statement } from '../../src/jenkinsfile/ast.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { groovyParse, groovyStringConstants } from '../groovy/client.ts';

/** Parses a Jenkinsfile that must be free of diagnostics. */
function ast(text: string): JenkinsfileAst {
  const result = parseJenkinsfile(text);
  expect(result.diagnostics).toEqual([]);
  return result.ast!;
}

/** The statements of `steps { }` in `pipeline { agent any; stages { stage('s') { steps { <steps> } } } }`. */
function steps(stepsSource: string): Statement[] {
  const tree = ast(`pipeline {\n  agent any\n  stages {\n    stage('s') {\n      steps {\n${stepsSource}\n      }\n    }\n  }\n}\n`);
  const stages = tree.pipeline.body!.find((s) => s.type === 'Call' && s.name === 'stages') as CallStatement;
  const stage = stages.body![0] as CallStatement;
  const stepsBlock = stage.body!.find((s) => s.type === 'Call' && s.name === 'steps') as CallStatement;
  return stepsBlock.body!;
}

function onlyStep(stepsSource: string): CallStatement {
  const [step, ...rest] = steps(stepsSource);
  expect(rest).toEqual([]);
  expect(step!.type).toBe('Call');
  return step as CallStatement;
}

/** The first positional argument of the single step, without its position. */
function argument(stepsSource: string): Expression {
  return strip(onlyStep(stepsSource).args.positional[0]!) as Expression;
}

function strip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === 'loc' || key === 'bodyLoc' ? undefined : v))) as T;
}

function errors(text: string): { code: string; at: string; message: string }[] {
  return parseJenkinsfile(text).diagnostics.map((d) => ({
    code: d.code,
    at: `${d.location!.line}:${d.location!.column}`,
    message: d.message,
  }));
}

describe('string literals', () => {
  it.each([
    [String.raw`echo 'single \'quoted\' \\ $notInterpolated'`, `single 'quoted' \\ $notInterpolated`],
    [String.raw`echo "double \"quoted\" \$HOME \t tab"`, 'double "quoted" $HOME \t tab'],
    ["echo '''triple\n  single'''", 'triple\n  single'],
    ['echo """triple\n  double"""', 'triple\n  double'],
    ["echo '''one \\\ntwo'''", 'one two'],
    ["echo 'a\\\nb'", 'ab'],
    [String.raw`echo(/slashy \d+ \/ and \t/)`, String.raw`slashy \d+ / and \t`],
    [String.raw`echo($/dollar $$ and $/ and \d/$)`, String.raw`dollar $ and / and \d`],
    [String.raw`echo '\101\7\0'`, 'A\u0007\u0000'],
    ["echo ''''quoted'''", "'quoted"],
    ['echo ""', ''],
    ["echo ''", ''],
  ])('%s → value', (source, value) => {
    expect(argument(source)).toEqual({ type: 'String', value });
  });

  it('normalises CR and CRLF inside triple-quoted strings to LF, as Groovy does', () => {
    expect(argument("echo '''a\r\nb\rc'''")).toEqual({ type: 'String', value: 'a\nb\nc' });
  });

  it('keeps a GString as Raw source text, quotes and all', () => {
    expect(argument('echo "Hello ${env.USER} and $name"')).toEqual({ type: 'Raw', source: '"Hello ${env.USER} and $name"' });
    expect(argument('echo """multi ${\n  x\n} line"""')).toEqual({ type: 'Raw', source: '"""multi ${\n  x\n} line"""' });
    expect(argument('echo(/slashy $x/)')).toEqual({ type: 'Raw', source: '/slashy $x/' });
  });

  it('reads every string of the valid corpus as Groovy 2.4.21 does', async () => {
    const dir = join(import.meta.dirname, '..', 'corpus', 'valid');
    const files = readdirSync(dir).filter((n) => n.endsWith('.Jenkinsfile'));
    expect(files.length).toBeGreaterThan(80);
    const missing: string[] = [];
    for (const name of files) {
      const text = readFileSync(join(dir, name), 'utf8');
      // Groovy's String constants: literals, map keys and named-argument names anywhere in the file.
      const groovy = await groovyStringConstants(text);
      const ours = stringsOf(ast(text));
      const pool = new Map<string, number>();
      for (const s of groovy) pool.set(s, (pool.get(s) ?? 0) + 1);
      for (const s of ours) {
        const left = pool.get(s) ?? 0;
        if (left === 0) missing.push(`${name}: ${JSON.stringify(s)}`);
        else pool.set(s, left - 1);
      }
    }
    expect(missing).toEqual([]);
  });
});

/** String values, named-argument keys and map keys of an AST (what Groovy has as String constants). */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) stringsOf(item, out);
  else if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (node.type === 'String') out.push(node.value as string);
    if (typeof node.key === 'string' && 'value' in node) out.push(node.key);
    for (const [key, child] of Object.entries(node)) if (key !== 'loc' && key !== 'prologue' && key !== 'epilogue') stringsOf(child, out);
  }
  return out;
}

describe('\\u escapes (translated before lexing, as Groovy 2.4 does)', () => {
  it('applies them inside strings, names and keys', () => {
    expect(argument(String.raw`echo 'caf\u00e9 \u0041'`)).toEqual({ type: 'String', value: 'café A' });
    expect(argument(String.raw`echo 'many u: \uuuu0042'`)).toEqual({ type: 'String', value: 'many u: B' });
    expect(onlyStep(String.raw`\u0065cho 'x'`).name).toBe('echo');
  });

  it('leaves \\\\u0041 literal (even number of backslashes)', () => {
    expect(argument(String.raw`echo 'a\\u0041'`)).toEqual({ type: 'String', value: String.raw`a\u0041` });
    expect(argument(String.raw`echo 'a\\\u0041'`)).toEqual({ type: 'String', value: String.raw`a\A` });
  });

  it('makes an escaped dollar interpolate', () => {
    expect(argument(String.raw`echo "\u0024{env.X}"`)).toEqual({ type: 'Raw', source: String.raw`"\u0024{env.X}"` });
  });

  it('reports \\u without four hex digits, even in a comment, at the backslash', () => {
    const text = "pipeline {\n  agent any // see C:\\users\\me\n}\n";
    expect(errors(text)).toEqual([{ code: 'PW5001', at: '2:22', message: 'Did not find four digit hex character code' }]);
  });

  it('treats U+FFFF as the end of the file: later text is ignored, inside a string it is an error', () => {
    const trailing = "pipeline {\n  agent any\n  stages { stage('a') { steps { echo 'a' } } }\n}\n// \\uFFFF {{{ not parsed\n";
    const result = parseJenkinsfile(trailing);
    expect(result.diagnostics).toEqual([]);
    expect(result.ast!.epilogue).toBe('// \\uFFFF {{{ not parsed\n');
    expect(errors("pipeline { echo 'a\\uFFFFb' }\n")).toEqual([{ code: 'PW5001', at: '1:19', message: "expecting ''', found '<EOF>'" }]);
  });

  it('reports positions in the original text, after escapes', () => {
    const [, second] = steps(String.raw`echo '\u0041\u0042'; echo 'c'`) as CallStatement[];
    expect(second!.loc).toEqual({ line: 6, column: 22 });
  });
});

describe('numbers, booleans, null', () => {
  it.each(['42', '42L', '3.14', '1.5e10', '6.02E-23', '0xFF', '0755', '0b1010', '1_000', '2.5f', '19.99G', '9223372036854775808'])(
    'keeps %s as text',
    (text) => {
      expect(argument(`retry ${text}`)).toEqual({ type: 'Number', text });
    },
  );

  it('folds a minus sign into the number, as Groovy does', () => {
    expect(argument('retry(-5)')).toEqual({ type: 'Number', text: '-5' });
    expect(argument('retry(- 2.5)')).toEqual({ type: 'Number', text: '-2.5' });
  });

  it('reads booleans and null', () => {
    expect(onlyStep('foo a: true, b: false, c: null').args.named.map((e) => strip(e.value))).toEqual([
      { type: 'Boolean', value: true },
      { type: 'Boolean', value: false },
      { type: 'Null' },
    ]);
  });
});

describe('arguments', () => {
  it('separates positional and named arguments of a command expression', () => {
    const step = strip(onlyStep("junit 'a.xml', allowEmptyResults: true, keepLongStdio: false"));
    expect(step).toEqual({
      type: 'Call',
      name: 'junit',
      args: {
        positional: [{ type: 'String', value: 'a.xml' }],
        named: [
          { key: 'allowEmptyResults', value: { type: 'Boolean', value: true } },
          { key: 'keepLongStdio', value: { type: 'Boolean', value: false } },
        ],
      },
    });
  });

  it('reads lists, maps, nested calls and quoted keys', () => {
    const step = strip(onlyStep("build job: 'x', parameters: [string(name: 'A', value: 'b')], opts: ['k-1': [:], (dyn): 2]"));
    expect(step.args.named[1]).toEqual({
      key: 'parameters',
      value: {
        type: 'List',
        items: [
          {
            type: 'CallExpression',
            name: 'string',
            args: { positional: [], named: [{ key: 'name', value: { type: 'String', value: 'A' } }, { key: 'value', value: { type: 'String', value: 'b' } }] },
          },
        ],
      },
    });
    // A computed key cannot be a map entry: the whole map stays Raw.
    expect(step.args.named[2]!.value).toEqual({ type: 'Raw', source: "['k-1': [:], (dyn): 2]" });
    expect(argument("foo(['a-b': [:]])")).toEqual({ type: 'Map', entries: [{ key: 'a-b', value: { type: 'Map', entries: [] } }] });
  });

  it('reads property chains as identifiers and other expressions as Raw', () => {
    expect(argument('foo hudson.model.Result.SUCCESS')).toEqual({ type: 'Identifier', name: 'hudson.model.Result.SUCCESS' });
    expect(argument('foo env.BRANCH_NAME')).toEqual({ type: 'Identifier', name: 'env.BRANCH_NAME' });
    expect(argument('foo env?.BRANCH_NAME')).toEqual({ type: 'Raw', source: 'env?.BRANCH_NAME' });
    expect(argument("foo a == 'b' ? 1 : 2")).toEqual({ type: 'Raw', source: "a == 'b' ? 1 : 2" });
    expect(argument('foo x.trim()')).toEqual({ type: 'Raw', source: 'x.trim()' });
    expect(argument('foo(*list)')).toEqual({ type: 'Raw', source: '*list' });
  });

  it('keeps positional arguments of a parenthesised call with a trailing closure', () => {
    const step = onlyStep("timeout(time: 5, unit: 'MINUTES') {\n  sh 'x'\n}");
    expect(step.name).toBe('timeout');
    expect(step.args.named.map((e) => e.key)).toEqual(['time', 'unit']);
    expect(step.body!.map((s) => (s as CallStatement).name)).toEqual(['sh']);
  });

  it('attaches a block on the next line to a call (Groovy appended block)', () => {
    const step = onlyStep("dir('x')\n{\n  sh 'y'\n}");
    expect(step.body).toHaveLength(1);
  });

  it('keeps a closure argument that is not the last one as Raw', () => {
    const step = onlyStep("foo({ a -> a }) { sh 'x' }");
    expect(strip(step.args.positional)).toEqual([{ type: 'Raw', source: '{ a -> a }' }]);
    expect(step.body).toHaveLength(1);
  });

  it('reads `a b c d` as a command chain a(b).c(d): a call on an object', () => {
    const result = parseJenkinsfile(
      "pipeline {\n  agent any\n  stages { stage('s') { steps {\n    sh 'a' sh 'b'\n  } } }\n}\n",
    );
    expect(result.diagnostics.map((d) => [d.code, d.message, d.location!.line, d.location!.column])).toEqual([
      ['PW5021', 'Expected a symbol', 4, 5],
    ]);
  });
});

describe('slashy strings and division', () => {
  it('reads / after a name as division, like Groovy 2.4', () => {
    expect(argument('echo(x / 2 / y)')).toEqual({ type: 'Raw', source: 'x / 2 / y' });
    // `echo /foo/` is `echo / foo /`: a syntax error in Groovy 2.4.
    expect(errors("pipeline {\n  echo /foo/\n}\n").map((e) => e.code)).toEqual(['PW5001']);
  });

  it('reads / after ( , = and operators as a slashy string', () => {
    expect(argument('echo(/a/)')).toEqual({ type: 'String', value: 'a' });
    expect(onlyStep('foo x: /a+b/').args.named[0]!.value).toMatchObject({ type: 'String', value: 'a+b' });
  });
});

describe('script and expression blocks', () => {
  it('keeps the body verbatim, normalised like the printer re-indents it', () => {
    const [block] = steps("        script {\r\n            def x = '}'   // a } in a comment\r\n            if (x) {\r\n                echo \"${x.size()}\"\r\n            }\r\n\r\n        }");
    expect(strip(block)).toEqual({
      type: 'GroovyBlock',
      keyword: 'script',
      source: "def x = '}'   // a } in a comment\nif (x) {\n    echo \"${x.size()}\"\n}",
    });
  });

  it('keeps a one-line body without the surrounding spaces', () => {
    expect(strip(steps('script { echo "a" }')[0])).toEqual({ type: 'GroovyBlock', keyword: 'script', source: 'echo "a"' });
    expect(strip(steps('script { }')[0])).toEqual({ type: 'GroovyBlock', keyword: 'script', source: '' });
  });

  it('reads `expression { }` in when as a GroovyBlock', () => {
    const tree = ast("pipeline {\n  agent any\n  stages {\n    stage('a') {\n      when { expression { return env.X == '1' } }\n      steps { echo 'a' }\n    }\n  }\n}\n");
    const stage = ((tree.pipeline.body![1] as CallStatement).body![0] as CallStatement);
    const when = stage.body![0] as CallStatement;
    expect(strip(when.body)).toEqual([{ type: 'GroovyBlock', keyword: 'expression', source: "return env.X == '1'" }]);
    expect(when.body![0]!.loc).toEqual({ line: 5, column: 14 });
  });

  it('reports a Groovy syntax error inside a script block (message and position as Groovy 2.4.21 prints them)', () => {
    expect(errors("pipeline {\n  stages { stage('a') { steps { script {\n    def f = (a, b) -> a + b\n  } } } }\n}\n")).toEqual([
      { code: 'PW5001', at: '3:15', message: "expecting ')', found ','" },
    ]);
    expect(errors("pipeline {\n  stages { stage('a') { steps { script {\n    names.collect(s -> s.size())\n  } } } }\n}\n")).toEqual([
      { code: 'PW5001', at: '3:21', message: 'unexpected token: ->' },
    ]);
  });
});

describe('file structure', () => {
  it('keeps @Library, imports and helpers around the pipeline verbatim', () => {
    const text = "@Library('lib@1') _\nimport a.B\n\n  pipeline {\n  agent any\n}\n\ndef helper() {\n  1\n}\n";
    const tree = ast(text);
    expect(tree.prologue).toBe("@Library('lib@1') _\nimport a.B\n\n");
    expect(tree.epilogue).toBe('\ndef helper() {\n  1\n}\n');
    expect(tree.pipeline.loc).toEqual({ line: 4, column: 3 });
  });

  it('has no prologue or epilogue when there is only whitespace around', () => {
    const tree = ast('\n\npipeline {\n  agent any\n}\n\n\n');
    expect(tree.prologue).toBeUndefined();
    expect(tree.epilogue).toBeUndefined();
  });

  it('skips comments but lists them with positions', () => {
    const result = parseJenkinsfile("// head\npipeline { /* inline */\n  agent any // tail\n}\n");
    expect(result.comments).toEqual([
      { loc: { line: 1, column: 1 }, text: '// head' },
      { loc: { line: 2, column: 12 }, text: '/* inline */' },
      { loc: { line: 3, column: 13 }, text: '// tail' },
    ]);
    expect(strip(result.ast!.pipeline.body)).toEqual([{ type: 'Call', name: 'agent', args: { positional: [{ type: 'Identifier', name: 'any' }], named: [] } }]);
  });

  it('accepts semicolons as separators', () => {
    expect(steps("echo 'a'; echo 'b';; echo 'c'").map((s) => (s as CallStatement).args.positional[0])).toMatchObject([
      { value: 'a' },
      { value: 'b' },
      { value: 'c' },
    ]);
  });

  it('counts columns in UTF-16 units with tabs as one column, like Groovy', () => {
    const tree = ast("pipeline {\n\tagent any\n\tenvironment { A = 'é'; B = '1' }\n}\n");
    const env = tree.pipeline.body![1] as CallStatement;
    expect(env.body!.map((s) => s.loc)).toEqual([
      { line: 3, column: 16 },
      { line: 3, column: 25 },
    ]);
  });

  it('uses the file name in diagnostics', () => {
    expect(parseJenkinsfile('pipeline {', 'ci/Jenkinsfile').diagnostics[0]!.location).toEqual({ file: 'ci/Jenkinsfile', line: 1, column: 11 });
  });

  it('reports a file without a pipeline step, and a nested one', () => {
    const scripted = "node {\n  sh 'make'\n}\n";
    expect(errors(scripted)).toEqual([
      { code: 'PW5002', at: '1:1', message: `Jenkinsfile content '${scripted}' did not contain the 'pipeline' step` },
    ]);
    expect(errors("node {\n  stage('x') {\n    pipeline { agent any }\n  }\n}\n")).toEqual([
      { code: 'PW5003', at: '3:5', message: 'pipeline block must be at the top-level, not within another block.' },
    ]);
  });
});

describe('statements the AST cannot hold', () => {
  it('reports them with the message Jenkins uses in that place', () => {
    const text = [
      'pipeline {',
      '  def a = 1',
      '  agent any',
      '  stages {',
      '    x++',
      "    stage('s') {",
      '      if (a) { }',
      '      steps {',
      "        def v = 'x'",
      '      }',
      '      when { b = 1; branch "x" }',
      '    }',
      '  }',
      '  tools { println 1 }',
      '  post { always { return } }',
      '}',
    ].join('\n');
    expect(errors(text)).toEqual([
      { code: 'PW5010', at: '2:3', message: 'Not a valid section definition: "def a = 1". Some extra configuration is required.' },
      { code: 'PW5012', at: '5:5', message: 'Expected a stage' },
      { code: 'PW5011', at: '6:5', message: 'Not a valid stage section definition: "if (a) { }". Some extra configuration is required.' },
      { code: 'PW5013', at: '9:9', message: 'Expected a step' },
      { code: 'PW5014', at: '11:7', message: 'Expected a when condition' },
      { code: 'PW5013', at: '15:19', message: 'Expected a step' },
    ]);
  });

  it('keeps a placeholder in the block so that Jenkins-style counts stay right', () => {
    const result = parseJenkinsfile("pipeline {\n  agent any\n  stages { stage('s') { steps { def v = 1 } } }\n}\n");
    const stage = (result.ast!.pipeline.body![1] as CallStatement).body![0] as CallStatement;
    expect(strip((stage.body![0] as CallStatement).body)).toEqual([{ type: 'Call', name: '', args: { positional: [], named: [] } }]);
  });
});

describe('agreement with Groovy 2.4.21 on syntax errors', () => {
  // Tricky but small Groovy sources; for each, our parser and Groovy must agree on whether it compiles.
  const snippets: string[] = [
    "sh 'x'", "echo 'a' + 'b'", 'foo a b c d', "foo 'a' 'b'", 'foo() bar()', "sh 'a' sh 'b'", 'echo -1', 'foo bar: 1, 2',
    'echo /foo/', 'echo(/foo/)', 'x = /foo/', 'foo(1)\n(2)', 'foo\n.bar()', 'foo\n?.bar()', "stage('x')\n{\n  sh 'y'\n}",
    'foo(1,,2)', 'foo(1,,)', 'foo(1,2,)', 'x = [1, b: 2]', 'foo(*:map)', 'x = a ?: c', 'x = a < b < c', 'x = a as List<String>',
    'x = (String) y', 'x = new int[5]', 'x = a =~ /b/', 'x = {-> 1}', '{ -> 1 }', '{ 1 }', 'foo()\n{ 1 }', 'foo();\n{ 1 }',
    'def (a, b) = [1, 2]', 'def E = 1', 'String Foo = 1', 'Foo Bar = 1', 'Foo<Bar> = 1', "@Library('x') _\ndef E = 1",
    'if (a = 1) { }', 'for (s : list) { }', 'for (String s : list) { }', 'for (int i = 0; i < 3; i++) { }',
    'switch (x) {\n case 1:\n case 2:\n  foo()\n default:\n  bar()\n}', 'try { a() }\ncatch (IOException | RuntimeException e) { }',
    'synchronized (this) { x() }', 'class Foo {\n  def x = 1\n}', "x = '''a''''", 'x = "a ${\nb}"', 'x = """a ${\nb}"""',
    'x = "$5"', 'x = "\\$5"', "x = 'a\\s'", 'x = /a\\/b/', 'x = $/a$$b$/c/$', 'x = //', "x = 'a' 'b'", 'x = 0x', 'x = 1e',
    'x = 08', 'x = 1.toString()', 'x = [1].collect(y -> y)', 'x = (a !in b)', 'x = a?[0]', 'x = String::valueOf',
    'do { x++ } while (x < 3)', 'x = a === b', 'foo() = 1', '"a" = 1', 'a + b = 1', 'a.b = 1', 'a[0] = 1', '(a) = 1',
    'foo(a: 1, a: 2)', 'foo a: 1, a: 2', "x = [a: 1, a: 2]", 'x = a\n? b : c', 'x = a\n|| b', 'foo(a b)', 'foo(a, b c)',
    'x = (a; b)', 'return', 'assert x : "m"', 'label: for (x in y) { break label }', '#!/usr/bin/env groovy\nx = 1',
    'x = 1 /* unterminated', "x = '\\u005c'", "x = 'a\\u000ab'", "x = 'caf\\u00e9'", 'x = $y', 'sh ${y}', 'x = @Foo',
    'foo a,\n b', 'foo a\n, b', 'x = a.\nb', 'def x =\n1', 'x\n= 1', 'import static java.lang.Math.*', 'def "a b"() { }',
    'enum Color { RED, GREEN }', 'x = { a\n -> a }', 'foo {} bar', 'foo 1 {}', 'x = "${}"', "x = \"${'a'}\" as String",
  ];

  it('on every snippet', async () => {
    const results = await groovyParse(snippets.map((text, i) => ({ name: `snippet-${i}`, text: `${text}\n` })));
    const disagreements: string[] = [];
    snippets.forEach((text, i) => {
      const ours = parseJenkinsfile(`${text}\n`).diagnostics.filter((d) => d.code === 'PW5001');
      const groovy = results[i]!;
      if (groovy.ok !== (ours.length === 0)) {
        disagreements.push(`${JSON.stringify(text)}: groovy ok=${groovy.ok} ${JSON.stringify(groovy.errors)}; ours ${JSON.stringify(ours.map((d) => d.message))}`);
      }
    });
    expect(disagreements).toEqual([]);
    // Both outcomes are exercised.
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(30);
    expect(results.filter((r) => !r.ok).length).toBeGreaterThan(30);
  });
});
