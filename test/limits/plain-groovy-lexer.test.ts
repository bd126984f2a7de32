/**
 * The plain lexer (src/limits/plain-groovy-lexer.ts) against the full Groovy lexer: wherever it
 * returns tokens, they are exactly the full lexer's, and a text's shape lexes to the same tokens
 * but for string values and columns. Real Jenkinsfiles (the valid and invalid
 * corpora, the calibration fixtures, the repository's generated files) whole and in windows of
 * lines, and random texts over an alphabet of the characters that make Groovy lexing depend on
 * context.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lexGroovy, SourceText, type Token } from '../../src/jenkinsfile/groovy-lexer.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { hasShape, lexPlainGroovy, lexPlainGroovyState, plainGroovyShape } from '../../src/limits/plain-groovy-lexer.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

function jenkinsfiles(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of ['test/corpus/valid', 'test/corpus/invalid', 'test/limits/fixtures']) {
    for (const f of readdirSync(path.join(ROOT, dir))) {
      if (f.endsWith('.json')) continue;
      out.push({ name: `${dir}/${f}`, text: readFileSync(path.join(ROOT, dir, f), 'utf8') });
    }
  }
  for (const g of readdirSync(path.join(ROOT, 'generated'))) {
    const file = path.join(ROOT, 'generated', g, 'Jenkinsfile');
    try {
      out.push({ name: `generated/${g}/Jenkinsfile`, text: readFileSync(file, 'utf8') });
    } catch {
      // a generated folder without a Jenkinsfile
    }
  }
  return out;
}

/** Texts where the plain lexer's tokens (or its shape's) differ from the full lexer's. */
const mismatches: string[] = [];

/** What a text's shape keeps of each token: its type, its text unless a string, its line. */
function shapeOf(tokens: Token[], source: SourceText): string[] {
  return tokens.map((t) => `${t.type} ${t.type === 'STRING' ? '' : t.text} ${source.position(t.start).line}`);
}

/**
 * Compares on one text (a difference goes to `mismatches`): the plain lexer's tokens with the
 * full lexer's, and the tokens of its shape with them but for strings and columns. Returns
 * whether the plain lexer took the text.
 */
function agrees(text: string, label: string): boolean {
  const plain = lexPlainGroovy(new SourceText(text));
  const shaped = plainGroovyShape(text);
  if ((shaped === undefined) !== (plain === undefined)) mismatches.push(`shape taken or not of ${label}`);
  if (!plain || !shaped) return false;
  const full = lexGroovy(new SourceText(text)).tokens;
  if (!isDeepStrictEqual(plain, full)) mismatches.push(label);
  const shapeSource = new SourceText(shaped.shape);
  const shapeTokens = lexGroovy(shapeSource).tokens;
  if (!isDeepStrictEqual(shapeOf(shapeTokens, shapeSource), shapeOf(full, new SourceText(text)))) mismatches.push(`shape of ${label}`);
  if (shaped.balanced !== lexPlainGroovyState(text)?.balanced) mismatches.push(`balance of ${label}`);
  return true;
}

describe('the plain lexer gives the full lexer\'s tokens', () => {
  it('on real Jenkinsfiles, whole and in windows of up to 6 lines', () => {
    let taken = 0;
    let texts = 0;
    for (const { name, text } of jenkinsfiles()) {
      texts++;
      if (agrees(text, name)) taken++;
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        for (let j = i + 1; j <= Math.min(lines.length, i + 6); j++) {
          texts++;
          if (agrees(lines.slice(i, j).join('\n'), `${name}:${i + 1}-${j}`)) taken++;
        }
      }
    }
    expect(mismatches).toEqual([]);
    // Not vacuous: the plain lexer takes a good share of real Groovy.
    expect(taken).toBeGreaterThan(texts / 5);
  });

  it('on random texts mixing strings, escapes, comments, numbers, slashes, dollars and keywords', () => {
    const alphabet = [
      'a', 'b1', 'def', 'in', 'as', 'static', 'package', '.', "'", '"', '\\', "'x'", '"y"', "\\'", '\\n', '\\$', "''", "'''", '"""',
      '(', ')', '[', ']', '{', '}', '\n', '\r\n', '\r', ' ', '\t', '=', '==~', '?:', '?.', '*.', '->', '-', '+', '<', '>', '>>>=',
      '!', '&', '|', ',', ';', ':', '@', '$', '/', '//', '/*', '*/', '/* c */', '// c', '0', '7', '12', '1.5', '0x1', '7L', '1_0', '3e',
      '_', 'é', '#', '\\u0041', '~', '%', '^',
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let taken = 0;
    const runs = 60_000;
    for (let k = 0; k < runs; k++) {
      let text = '';
      const length = 1 + Math.floor(random() * 12);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      if (agrees(text, JSON.stringify(text))) taken++;
    }
    expect(mismatches).toEqual([]);
    expect(taken).toBeGreaterThan(runs / 10);
  });

  it('on the cases where a word\'s token depends on its neighbours, and other corners it takes', () => {
    const texts = [
      'static.x', 'static x', 'a.def', 'def.b', 'x.in', 'in.y', 'as.z', 'a.as', 'package in.as.def\n', 'a.static', 'a . def',
      "''", "'' + ''", '""', "'a''b'", '"q"\'r\'', "'a'b", "f('x','y')", "'\\''", "'it''s' + x", "'a\\'b'", "'\\n\\t\\$'", '"\\"q"', 'f(a,\nb)', 'f[\n1]', '{ (\n) }\n', 'x // c\ny', 'x /* c\n */ y', '\n\n  // c\n\t\n z',
      '0', '0 ', '10 + 2', 'a==~b', 'a*.b', 'a?.b?:c', 'a <=> b >>>= c', 'a..<b', 'a...b', 'a.&b', '} } }', ') ]',
    ];
    for (const text of texts) expect(agrees(text, JSON.stringify(text)), JSON.stringify(text)).toBe(true);
    expect(mismatches).toEqual([]);
  });

  it('a text that hasShape() of another\'s shape has that very shape (strings rewritten at random)', () => {
    const inside = ['a', ' ', "'", '"', '\\', "\\'", '\\n', '$', '${x}', '\n', '\\u0041', '\uFFFF', '//'];
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const base = [
      "def pwNotify1() {\n  def m = 'payments-api deployed' + env.X\n  slackSend(channel: '#c', message: m, color: \"good\")\n}\n",
      "f('a', 'b')\ng(\"c\") + 'd'.trim()\n",
    ];
    let matched = 0;
    let refused = 0;
    for (const text of base) {
      const known = plainGroovyShape(text)!;
      expect(known).toBeDefined();
      for (let k = 0; k < 3000; k++) {
        // Each string's content replaced by 0-3 random parts; sometimes its quotes too.
        const rewritten = text.replace(/'[^'\n]*'|"[^"\n]*"/g, (literal) => {
          let content = '';
          for (let n = Math.floor(random() * 4); n > 0; n--) content += inside[Math.floor(random() * inside.length)];
          const quote = random() < 0.2 ? (literal[0] === "'" ? '"' : "'") : literal[0];
          return `${quote}${content}${quote}`;
        });
        if (hasShape(rewritten, known)) {
          matched++;
          const shaped = plainGroovyShape(rewritten);
          expect(shaped?.shape, JSON.stringify(rewritten)).toBe(known.shape);
          expect(shaped?.balanced).toBe(known.balanced);
        } else refused++;
      }
    }
    expect(matched).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('takes the helpers lowering emits (the epilogues of the generated Jenkinsfiles), ending balanced', () => {
    const files = jenkinsfiles().filter((f) => f.name.startsWith('generated/') || f.name.includes('/generated-'));
    const epilogues = files.map((f) => parseJenkinsfile(f.text, f.name).ast?.epilogue).filter((e): e is string => !!e);
    expect(epilogues.length).toBeGreaterThan(0);
    for (const epilogue of epilogues) {
      const lexed = lexPlainGroovyState(epilogue);
      expect(lexed?.balanced).toBe(true);
      expect(lexed!.tokens).toEqual(lexGroovy(new SourceText(epilogue)).tokens);
    }
  });

  it('reports open brackets and braces at the end as unbalanced', () => {
    expect(lexPlainGroovyState('def a() {\n')?.balanced).toBe(false);
    expect(lexPlainGroovyState('f(a,\n')?.balanced).toBe(false);
    expect(lexPlainGroovyState('f(a)\n')?.balanced).toBe(true);
  });
});
