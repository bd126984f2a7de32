/**
 * Issue #10.5: `script { }` bodies are laid out so that every string value inside them stays the
 * same. Lines that start inside a multi-line literal (`'''`, `"""`, slashy, dollar-slashy) are
 * printed exactly as written; only code lines are re-indented. The referee is the real Groovy
 * 2.4.21: the String constants of the body parsed alone and of the printed Jenkinsfile are equal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { block, call, positional, str, type JenkinsfileAst } from '../../src/jenkinsfile/ast.ts';
import { groovyBlockLines } from '../../src/jenkinsfile/groovy-block.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { groovyStringConstants } from '../groovy/client.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';

/** A Jenkinsfile whose only String constant outside the body is the stage name `S`. */
function jenkinsfileWithScript(body: string, keyword: 'script' | 'expression' = 'script'): JenkinsfileAst {
  const groovy = { type: 'GroovyBlock' as const, keyword, source: body };
  const stage =
    keyword === 'script'
      ? call('stage', positional(str('S')), [block('steps', [groovy])])
      : call('stage', positional(str('S')), [block('when', [groovy]), block('steps', [call('echo', positional(str('x')))])]);
  return { type: 'Jenkinsfile', pipeline: block('pipeline', [call('agent', positional({ type: 'Identifier', name: 'any' })), block('stages', [stage])]) };
}

const HEREDOC_BODY = [
  "    sh '''",
  '      cat > values.yaml <<EOF',
  '    image:',
  '      tag: 1.2.3',
  '    EOF',
  'EOF',
  "    '''",
  '    writeFile file: "k8s.yaml", text: """',
  'apiVersion: v1',
  '  kind: ConfigMap',
  '"""',
  '    def pattern = /a',
  '   b/',
  '    def dollar = $/x',
  '        y/$',
].join('\n');

describe('script bodies keep every string value', () => {
  it('a heredoc, YAML and slashy strings come out unchanged, code lines re-indented', async () => {
    const text = printJenkinsfile(jenkinsfileWithScript(HEREDOC_BODY)).text;
    // The heredoc's terminator and the YAML stay where the author put them.
    expect(text).toContain('\nEOF\n');
    expect(text).toContain('\n    EOF\n');
    expect(text).toContain('\napiVersion: v1\n  kind: ConfigMap\n"""\n');
    // Code lines are indented to the script block (8 spaces inside stages/stage/steps/script).
    expect(text).toContain("\n          sh '''\n      cat > values.yaml <<EOF\n");
    expect(text).toContain('\n          def pattern = /a\n   b/\n');
    const before = await groovyStringConstants(HEREDOC_BODY);
    expect(before).toContain("\n      cat > values.yaml <<EOF\n    image:\n      tag: 1.2.3\n    EOF\nEOF\n    ");
    expect(await groovyStringConstants(text)).toEqual(['S', ...before]);
    await expectValidJenkinsfiles([{ name: 'heredoc.Jenkinsfile', text }]);
  });

  it('groovyBlockLines marks the lines that start inside a string', () => {
    const lines = groovyBlockLines("  a = '''x\n  y'''\n  b = 1\r\n    c = \"\"\"\r\n z\"\"\"\n");
    expect(lines).toEqual([
      { text: "a = '''x", verbatim: false },
      { text: "  y'''", verbatim: true },
      { text: 'b = 1', verbatim: false },
      { text: '  c = """', verbatim: false },
      { text: ' z"""', verbatim: true },
    ]);
  });

  /** Text for the inside of a string literal of the given kind, never able to end or break it. */
  const contentLine = (forbidden: RegExp) =>
    fc
      .tuple(
        fc.constantFrom('', ' ', '  ', '    ', '\t', '      '),
        fc.array(fc.constantFrom('EOF', 'key:', 'value', '- item', '#', 'a', 'Z9', '.', '=', '<<', '>', ',', ' ', '"', "'", '$', '/', '{', '}', '(', ')', '*'), { maxLength: 6 }),
        fc.constantFrom('', ' ', '  '),
      )
      .map(([indent, words, trailing]) => `${indent}${words.join('')}${trailing}`)
      .filter((line) => !forbidden.test(line));

  const content = (forbidden: RegExp, first: string) =>
    fc.array(contentLine(forbidden), { minLength: 1, maxLength: 6 }).map((lines) => `${first}\n${lines.join('\n')}`);

  const codeIndent = fc.constantFrom('', '  ', '    ', '\t', '        ');

  let counter = 0;
  /** One statement holding a multi-line string of each kind, or plain code. */
  const statement = fc.oneof(
    content(/'|\$/, 'sq').map((c) => `def v${counter++} = '''${c}x'''`),
    content(/"|\$/, 'dq').map((c) => `writeFile file: 'f', text: """${c}x"""`),
    content(/\/|\$/, 'sl').map((c) => `def r${counter++} = /${c}x/`),
    content(/\$|\//, 'ds').map((c) => `def d${counter++} = $/${c}x/$`),
    fc.constantFrom("echo 'plain'", 'if (true) {', '}', '', '   ', 'def n = 1 + 2', "sh 'make'"),
  );

  /** A body: statements on their own lines, each code line indented at random, LF or CRLF. */
  const body = fc
    .tuple(fc.array(fc.tuple(codeIndent, statement), { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'))
    .map(([statements, newline]) => {
      // Balance the braces the plain-code choices may have opened or closed.
      let depth = 0;
      const lines: string[] = [];
      for (const [indent, text] of statements) {
        if (text === '}' && depth === 0) continue;
        if (text === 'if (true) {') depth++;
        if (text === '}') depth--;
        lines.push(`${indent}${text}`);
      }
      while (depth-- > 0) lines.push('}');
      return `${lines.join('\n')}\n`.replaceAll('\n', newline);
    })
    .filter((text) => /'''|"""|\/|\$\//.test(text));

  it('property: the String constants of a body parsed alone and of the printed Jenkinsfile are equal', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom<'script' | 'expression'>('script', 'expression'), async (source, keyword) => {
        const before = await groovyStringConstants(source);
        const text = printJenkinsfile(jenkinsfileWithScript(source, keyword)).text;
        const after = keyword === 'script' ? ['S', ...before] : ['S', ...before, 'x'];
        expect(await groovyStringConstants(text)).toEqual(after);
        // Stable through the parser too: parse → print gives the same text.
        const reparsed = parseJenkinsfile(text);
        expect(reparsed.ast, JSON.stringify(reparsed.diagnostics)).toBeDefined();
        expect(printJenkinsfile(reparsed.ast!).text).toBe(text);
      }),
      { numRuns: 60 },
    );
  });
});
