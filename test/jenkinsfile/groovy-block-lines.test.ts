/**
 * src/jenkinsfile/groovy-block.ts skips lexing a body whose lines each lex alone as complete code
 * (isStandaloneCodeLine): then no line can start inside a string. Checked here against the lexer
 * on the whole text, for random bodies made of the characters that matter to it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groovyBlockLines, isStandaloneCodeLine, scanStandaloneCodeLine } from '../../src/jenkinsfile/groovy-block.ts';
import { lexGroovy, SourceText } from '../../src/jenkinsfile/groovy-lexer.ts';

const STRING_TOKENS = new Set(['STRING', 'GSTRING_START', 'GSTRING_MIDDLE', 'GSTRING_END']);

/** Pieces of Groovy: mostly code and complete literals, sometimes what opens a string, comment or GString. */
const codePiece = fc.constantFrom(
  "''", "'a/b'", "'//x'", "'/*'", `'say "hi"'`, "'it\\'s'", "'a\\\\'", "'\\n\\$x'", "'\\\\u0041'", "'''a'''", "'a b'", "'#x'", "'$x'", '{', '}', '(', ')', '[', ']', '$', 'a', 'def', 'as', 'in', 'x.y', '1', '0x1', '1.5', ' ', '\t', '+', '=', '?:', ',', '.', '@', 'é', '#', '!',
);
const riskyPiece = fc.constantFrom("'", "'''", '\uffff', '"', '"${x}"', '/', '//', '/*', '*/', '$/', '/$', '\\', '\\u0041', '#!', '0x', '1.', '1e', '09', '${');
const piece = fc.oneof({ arbitrary: codePiece, weight: 6 }, { arbitrary: riskyPiece, weight: 1 });
const line = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(''));
const body = fc.array(line, { minLength: 2, maxLength: 6 }).map((lines) => lines.join('\n'));

describe('bodies whose lines each lex alone as code', () => {
  it('lex as a whole without error and without a string that spans lines', () => {
    let accepted = 0;
    fc.assert(
      fc.property(body, (text) => {
        if (!text.split('\n').every(isStandaloneCodeLine)) return;
        accepted++;
        const tokens = lexGroovy(new SourceText(text)).tokens;
        expect(tokens.filter((t) => t.type === 'ERROR')).toEqual([]);
        expect(tokens.filter((t) => STRING_TOKENS.has(t.type) && t.text.includes('\n'))).toEqual([]);
        expect(groovyBlockLines(text).filter((l) => l.verbatim)).toEqual([]);
      }),
      { numRuns: 20000 },
    );
    // Not vacuous: many bodies pass the check.
    expect(accepted).toBeGreaterThan(2000);
  });

  it('are told apart from lines that leave a string, a comment or a GString open, or start with #!', () => {
    for (const open of ["x = '''", "'", 'y = "${', '/* c', 'a \\', '#!x', "p = '''a'''", "s = 'a' + 'b'", 'if (x) {', '}']) {
      const expected = ["p = '''a'''", "s = 'a' + 'b'", 'if (x) {', '}'].includes(open);
      expect(isStandaloneCodeLine(open)).toBe(expected);
    }
    // A multi-line string in a body is still found by the lexer.
    const lines = groovyBlockLines("def s = '''\n  kept\n'''\necho s");
    expect(lines.map((l) => l.verbatim)).toEqual([false, true, true, false]);
  });
});

/** The strict definition, for lines the lexer decides: no slash or double quote at all. */
const lexesAloneAsCode = (line: string): boolean =>
  !/[/"\\\r\n]/.test(line) && !line.startsWith('#!') && !lexGroovy(new SourceText(line)).tokens.some((t) => t.type === 'ERROR');

/**
 * The scan's definition: as lexesAloneAsCode, but a slash, double quote or backslash may stand
 * inside a '…' literal.
 */
const lexesAloneAsCodeWithQuotedSlashes = (line: string): boolean => {
  // A translated \uXXXX would change the text before lexing.
  if (/[\r\n]/.test(line) || line.startsWith('#!') || new SourceText(line).chars !== line) return false;
  const tokens = lexGroovy(new SourceText(line)).tokens;
  if (tokens.some((t) => t.type === 'ERROR')) return false;
  const insideSingleQuoted = (index: number) => tokens.some((t) => t.type === 'STRING' && t.stringKind === 'single' && t.start < index && index < t.end - 1);
  return [...line].every((c, index) => (c !== '/' && c !== '"' && c !== '\\') || insideSingleQuoted(index));
};

describe('the scan that tells standalone code lines without the lexer', () => {
  /** Pieces the scan reads itself, and pieces it must hand to the lexer or reject. */
  const scanPiece = fc.constantFrom(
    "''", "'a b'", "'#x $y é'", "'''", "'", 'a', 'x1', '$x', '_', 'def', 'as', '0', '1', '10', '007', '08', '0x1F', '1L', '1g', '1.5', '1e3', '1e', '1_0',
    '9.', ' ', '\t', '\f', '(', ')', '[', ']', '{', '}', ',', ';', ':', '?', '!', '=', '+', '-', '*', '%', '<', '>', '&', '|', '^', '~', '@', '.',
    '..<', '?.', '#', '#!', '`', 'é', '\uffff', '/', '"', '\\', '\u0041', '\r', "'a/b'", `'x"y'`, "'//'", "'/*'", "'it\\'s'", "'a\\\\'", "'\\n\\t\\$'", "'\\u0041'", "'\\q'", "'\\0'", "'\\\\u0041'",
  );
  const scanLine = fc.array(scanPiece, { maxLength: 10 }).map((pieces) => pieces.join(''));

  it('agrees with the lexer wherever it answers, and answers for the usual generator lines', () => {
    let answered = 0;
    fc.assert(
      fc.property(scanLine, (line) => {
        const scanned = scanStandaloneCodeLine(line);
        if (scanned === undefined) return;
        answered++;
        // A yes holds by the lexer; a no is what the lexer's (stricter) rule says too.
        if (scanned) expect(lexesAloneAsCodeWithQuotedSlashes(line)).toBe(true);
        else expect(lexesAloneAsCode(line)).toBe(false);
        expect(isStandaloneCodeLine(line)).toBe(scanned);
      }),
      { numRuns: 30000 },
    );
    expect(answered).toBeGreaterThan(5000);
    // Lines like the ones a fleet's snippets differ in are answered without the lexer.
    for (const line of [
      "  def pwMessage = 'payments-api-042 deployed in dev | image ' + (env.IMAGE_REF ?: 'not built') + ' | build ' + env.BUILD_URL",
      "unstash(name: 'pw-reports-payments-api-042', allowEmpty: true); env.PW_START = currentBuild.startTimeInMillis",
      'if (currentBuild.result == null) { currentBuild.result = 0 }',
    ]) {
      expect(scanStandaloneCodeLine(line)).toBe(true);
      expect(lexesAloneAsCode(line)).toBe(true);
    }
  });

  it('leaves to the lexer what it does not read, and the answer is the lexer\'s', () => {
    for (const line of ["x = '''", "s = '", 'n = 1e', 'n = 1e3', 'n = 0x1F', 'n = 08', 'a # b', 'é = 1', "t = 'a\uffff'"]) {
      expect(scanStandaloneCodeLine(line)).toBeUndefined();
      expect(isStandaloneCodeLine(line)).toBe(lexesAloneAsCode(line));
    }
    for (const line of ['a / b', 'x = "y"', 'a \\', '#!groovy', "s = 'a' / 2", "s = 'a' \\ 'b'"]) expect(scanStandaloneCodeLine(line)).toBe(false);
    // A backslash in a simple escape is content too; a unicode escape is the lexer's.
    expect(scanStandaloneCodeLine("error('CHANGE_ID \\'' + id + '\\' does not match')")).toBe(true);
    expect(scanStandaloneCodeLine("s = 'caf\\u00e9'")).toBe(false);
    // A slash or double quote inside a single-quoted string is content.
    expect(scanStandaloneCodeLine(`archiveArtifacts(artifacts: 'reports/junit/*.xml', label: 'say "hi"')`)).toBe(true);
  });
});
