import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { lowerPipeline } from '../../src/lower/index.ts';
import type { Pipeline, Step } from '../../src/model/schema.ts';
import { findUnicodeEscapes, scanGroovy } from '../../src/validate/groovy-scan.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { checkStructure } from '../../src/validate/structure.ts';
import { expectGroovyParses, groovyParse, type GroovySource } from '../groovy/client.ts';

/** The Jenkinsfile pipewright generates for a pipeline with these steps (validated first). */
function jenkinsfileWith(steps: Step[], name: string): GroovySource {
  const model: Pipeline = { agent: 'any', stages: [{ name: 'S', steps: [...steps, { step: 'echo', message: 'after' }] }] };
  const { pipeline, diagnostics } = validateSchema(model);
  expect(diagnostics).toEqual([]);
  expect(checkStructure(pipeline!)).toEqual([]);
  return { name, text: printJenkinsfile(lowerPipeline(pipeline!)).text };
}

describe('scanGroovy (block)', () => {
  it('accepts brackets inside strings, placeholders and comments', () => {
    const bodies = [
      "echo '}'",
      'echo "}"',
      'echo "${x}}"',
      'echo "${[1, 2].collect { "${it}}" }.join(\',\')}"',
      "def s = '''\n}\n{'''",
      'def s = """\n${ [a: 1].a }\n}"""',
      '// }\necho 1',
      '/* } ) ] */ echo 1',
      "echo 'it\\'s } fine'",
      'echo "quote \\" } still string"',
    ];
    for (const body of bodies) expect(scanGroovy(body, 'block'), body).toBeUndefined();
  });

  it('reports the first problem with its position', () => {
    expect(scanGroovy('a()\n  }', 'block', 'script')).toEqual({
      kind: 'early-close',
      message: '"}" has no matching opening bracket and would close the enclosing "script {" block early (line 2, column 3)',
      line: 2,
      column: 3,
    });
    expect(scanGroovy('foo(1]', 'block')).toMatchObject({
      kind: 'mismatched-bracket',
      message: '"]" does not match the "(" opened at line 1, column 4 (line 1, column 6)',
    });
    expect(scanGroovy('x = [\n1,', 'block')).toMatchObject({ kind: 'unclosed-bracket', line: 1, column: 5 });
    expect(scanGroovy("echo '''abc", 'block')).toMatchObject({ kind: 'unterminated-string', line: 1, column: 6 });
    expect(scanGroovy('echo "a\nb"', 'block')).toMatchObject({ kind: 'unterminated-string', line: 1, column: 6 });
    expect(scanGroovy('echo "${x"', 'block')).toMatchObject({ kind: 'unterminated-string' });
    expect(scanGroovy('/* open', 'block')).toMatchObject({ kind: 'unterminated-comment', line: 1, column: 1 });
    expect(scanGroovy('a\r\nb\r}', 'block')).toMatchObject({ kind: 'early-close', line: 3, column: 1 });
  });
});

describe('scanGroovy (expression)', () => {
  it('accepts one expression, also spanning lines inside brackets', () => {
    for (const source of ['env.X', "foo(a, b) + 'x,y;'", '[\n  1,\n  2\n]', '\n  a.b()\n', '/* c */ a', 'x ? "${a}, ${b}" : 1']) {
      expect(scanGroovy(source, 'expression'), source).toBeUndefined();
    }
  });

  it('rejects what would break the surrounding call', () => {
    expect(scanGroovy('a; b', 'expression')).toMatchObject({ kind: 'top-level-separator', column: 2 });
    expect(scanGroovy('a // b', 'expression')).toMatchObject({ kind: 'line-comment' });
    expect(scanGroovy('a\nb', 'expression')).toMatchObject({ kind: 'top-level-newline', line: 1, column: 2 });
    expect(scanGroovy('a /*\n*/ b', 'expression')).toMatchObject({ kind: 'top-level-newline' });
    expect(scanGroovy('a)', 'expression')).toMatchObject({
      kind: 'early-close',
      message: '")" has no matching opening bracket and would close the expression early (line 1, column 2)',
    });
    expect(scanGroovy('  ', 'expression')).toMatchObject({ kind: 'blank' });
  });
});

describe('findUnicodeEscapes', () => {
  it('finds escapes Groovy would translate, following the even-backslash rule', () => {
    expect(findUnicodeEscapes("'a\\u0027b'")).toEqual([{ offset: 2, line: 1, column: 3, text: '\\u0027', valid: true }]);
    expect(findUnicodeEscapes('x\n\\uuu00e9')).toEqual([{ offset: 2, line: 2, column: 1, text: '\\uuu00e9', valid: true }]);
    expect(findUnicodeEscapes('C:\\users')).toEqual([{ offset: 2, line: 1, column: 3, text: '\\us', valid: false }]);
    expect(findUnicodeEscapes('\\\\u0041')).toEqual([]);
    expect(findUnicodeEscapes('\\\\\\u0041')).toEqual([{ offset: 2, line: 1, column: 3, text: '\\u0041', valid: true }]);
    expect(findUnicodeEscapes('no escapes \\n \\t')).toEqual([]);
  });

  it('flags what really breaks Groovy 2.4 (checked with the real parser)', async () => {
    const results = await groovyParse([
      { name: 'quote via \\u0027', text: "def s = 'a\\u0027b'\n" },
      { name: 'C:\\users in a comment', text: '// C:\\users\ndef s = 1\n' },
      { name: 'escaped backslash', text: "def s = 'C:\\\\users'\n" },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
  });
});

// ------------------------------------------------------------------------------- property tests with Groovy

/** Characters that may appear inside each kind of literal or comment without ending it. */
const textOf = (alphabet: string) => fc.string({ unit: fc.constantFrom(...alphabet.split('')), maxLength: 12 });
const inSingle = textOf("{}[]()\"/* ,;x$");
const inDouble = textOf("{}[]()'/* ,;x");
const inTriple = textOf('{}[]()"/* ,;x\n');
const inComment = textOf('{}[]()"\'/ ,;x$');

/** Valid Groovy statements that put brackets, quotes and comment markers in awkward places. */
const statement: fc.Memo<string> = fc.memo((depth) => {
  const leaves = [
    inSingle.map((t) => `echo '${t}'`),
    fc.tuple(inDouble, inDouble).map(([a, b]) => `echo "${a}\${x}${b}"`),
    inDouble.map((t) => `echo "\${[1, 2].collect { "\${it}${t.replace(/[{}]/g, '')}}" }.join(',')}"`),
    inTriple.map((t) => `def s = '''${t}'''`),
    inComment.map((t) => `// ${t}`),
    inComment.map((t) => `/* ${t.replace(/\*\//g, '')} */ echo 1`),
    fc.constant("def m = [a: [1, 2], b: 'x', c: [:]]"),
  ];
  if (depth <= 1) return fc.oneof(...leaves);
  const body = fc.array(statement(depth - 1), { minLength: 1, maxLength: 3 }).map((lines) => lines.join('\n'));
  return fc.oneof(
    ...leaves,
    body.map((b) => `if (env.X) {\n${b}\n} else {\n${b}\n}`),
    body.map((b) => `[1, 2].each { n ->\n${b}\n}`),
  );
});
const body = fc.array(statement(3), { minLength: 1, maxLength: 5 }).map((lines) => lines.join('\n'));

describe('scanGroovy against Groovy 2.4', () => {
  it('accepts generated valid bodies, and pipewright prints them into Jenkinsfiles Groovy parses', async () => {
    const bodies = fc.sample(body, { numRuns: 150, seed: 20240611 });
    for (const b of bodies) expect(scanGroovy(b, 'block'), b).toBeUndefined();
    await expectGroovyParses(bodies.map((groovy, i) => jenkinsfileWith([{ step: 'script', groovy }], `script body #${i}`)));
  });

  it('rejects those bodies with a stray closing brace or an unclosed opening one', () => {
    fc.assert(
      fc.property(body, fc.nat(), fc.constantFrom('}', ')', ']', '{', '(', '['), (b, at, bracket) => {
        // Insert at a statement boundary (a line start), where it is code, not literal text.
        const lines = b.split('\n');
        const starts = lines.flatMap((line, i) => (/^(echo|def|if|\[1)/.test(line) ? [i] : []));
        const index = starts[at % starts.length]!;
        lines.splice(index, 0, bracket);
        const problem = scanGroovy(lines.join('\n'), 'block');
        expect(problem?.kind).toMatch(/^(early-close|mismatched-bracket|unclosed-bracket)$/);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('accepts $groovy expressions that then parse where pipewright puts them', async () => {
    const expressions = [
      'env.BUILD_TAG.take(8)',
      "sarif(pattern: 'reports/*.sarif', id: 'security')",
      '[\n  1,\n  2\n].sum()',
      'x ? "${a}, ${b}" : [a: 1]',
      '/* note */ currentBuild.number',
    ];
    for (const e of expressions) expect(scanGroovy(e, 'expression'), e).toBeUndefined();
    const files = expressions.flatMap((source, i): GroovySource[] => [
      jenkinsfileWith([{ step: 'step', name: 'foo', args: { a: { $groovy: source }, b: 1 } }], `named #${i}`),
      jenkinsfileWith([{ step: 'step', name: 'foo', args: [{ $groovy: source }, 'x'] }], `positional #${i}`),
      jenkinsfileWith([{ step: 'step', name: 'foo', args: [[{ $groovy: source }, { k: { $groovy: source } }]] }], `nested #${i}`),
    ]);
    await expectGroovyParses(files);
  });
});
