/**
 * src/jenkinsfile/groovy-block.ts STANDALONE_CODE_TEXT: the whole-body pattern that answers "every
 * line is standalone code" in one match must say yes exactly where the per-line scan says yes for
 * every line, so the layout of a body never depends on which of the two answered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groovyBlockLines, pushIndentedGroovyBlock, scanStandaloneCodeLine, STANDALONE_CODE_TEXT } from '../../src/jenkinsfile/groovy-block.ts';

/** Pieces the scan reads itself, and pieces it hands to the lexer or rejects. */
const piece = fc.constantFrom(
  "''", "'a b'", "'#x $y é'", "'''", "'", 'a', 'x1', '$x', '_', 'def', '0', '1', '10', '007', '08', '0x1F', '1L', '1.5', '1e3', '1_0', '9.',
  ' ', '\t', '\f', '(', ')', '[', ']', '{', '}', ',', ';', ':', '?', '!', '=', '+', '-', '*', '%', '<', '>', '&', '|', '^', '~', '@', '.',
  '#', '#!', '`', 'é', '\uffff', '\u2028', '/', '"', '\\', '\r', "'a/b'", `'x"y'`, "'it\\'s'", "'a\\\\'", "'\\n\\t\\$'", "'\\u0041'", "'\\q'",
  "'\\0'", "'caf\uffff'", "'line\u2028sep'",
);
const line = fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join(''));

describe('STANDALONE_CODE_TEXT', () => {
  it('matches a line exactly when the scan answers yes for it', () => {
    let yes = 0;
    fc.assert(
      fc.property(line, (text) => {
        if (text.includes('\n')) return;
        const scanned = scanStandaloneCodeLine(text) === true;
        if (scanned) yes++;
        expect(STANDALONE_CODE_TEXT.test(text)).toBe(scanned);
      }),
      { numRuns: 30000 },
    );
    // Both answers occur often enough for the comparison to mean something.
    expect(yes).toBeGreaterThan(3000);
    expect(yes).toBeLessThan(27000);
  });

  it('matches a text exactly when the scan answers yes for each of its lines', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const text = lines.join('\n');
        expect(STANDALONE_CODE_TEXT.test(text)).toBe(text.split('\n').every((l) => scanStandaloneCodeLine(l) === true));
      }),
      { numRuns: 20000 },
    );
  });

  it('says yes for the generator snippets a fleet differs in, and no for a body with a multi-line string', () => {
    const snippet = [
      "def pwMessage = 'payments-api-042 deployed in dev | image ' + (env.IMAGE_REF ?: 'not built') + ' | build ' + env.BUILD_URL",
      "slackSend(channel: '#payments-deploys', tokenCredentialId: 'slack-bot-token', botUser: true, color: 'good', message: pwMessage)",
      "error('CHANGE_ID \\'' + pwChangeId + '\\' does not match ' + '^[A-Z]+-[0-9]+$')",
    ].join('\n');
    expect(STANDALONE_CODE_TEXT.test(snippet)).toBe(true);
    expect(STANDALONE_CODE_TEXT.test("def s = '''\n  kept\n'''")).toBe(false);
    // The layout is the same whichever answered: the multi-line string's line stays verbatim.
    expect(groovyBlockLines("  def s = '''\n  kept\n'''").map((l) => l.verbatim)).toEqual([false, true, true]);
    expect(groovyBlockLines(`  ${snippet.split('\n').join('\n  ')}`).every((l) => !l.verbatim)).toBe(true);
  });

  it('answers a long line that fails at its end without backtracking through it', () => {
    const long = `${'abc1 '.repeat(20000)}/`;
    const started = performance.now();
    expect(STANDALONE_CODE_TEXT.test(long)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('pushIndentedGroovyBlock', () => {
  /** Lines with leading blanks, blank lines, CR and multi-line strings among plain code. */
  const plainLine = fc
    .array(fc.constantFrom("'a b'", 'x1', ' ', '(', ')', '=', '.', "'#x'", '10', 'def'), { minLength: 1, maxLength: 6 })
    .map((pieces) => `x${pieces.join('')}`);
  const bodyLine = fc.oneof(
    { arbitrary: plainLine, weight: 4 },
    { arbitrary: line, weight: 2 },
    { arbitrary: fc.constantFrom('', ' ', '\t', '  x = 1', '\tif (a) {', "'''", '"""', '/*', '*/', 'y\r', '$/', '/$'), weight: 1 },
  );
  const body = fc.array(bodyLine, { minLength: 1, maxLength: 6 }).map((lines) => lines.join('\n'));

  it('writes the lines groovyBlockLines lays out, code indented, whether or not the body is plain code', () => {
    let plain = 0;
    fc.assert(
      fc.property(body, (source) => {
        const out: string[] = ['before'];
        pushIndentedGroovyBlock(out, source, '  ');
        const expected = groovyBlockLines(source).map((l) => (l.verbatim || l.text === '' ? l.text : `  ${l.text}`));
        expect(out.slice(1).join('\n')).toBe(expected.join('\n'));
        expect(out[0]).toBe('before');
        if (out.length === 2 && expected.length > 1) plain++;
      }),
      { numRuns: 20000 },
    );
    // Bodies of several plain code lines take the one-chunk path often enough to be compared.
    expect(plain).toBeGreaterThan(500);
  });
});
