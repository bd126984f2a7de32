/**
 * A fast lexer for the plain subset of Groovy that pipewright's generated helpers and most script
 * blocks are written in: ASCII names, keywords, operators, newlines, and quoted strings without
 * interpolation. It returns exactly the tokens the full lexer (src/jenkinsfile/groovy-lexer.ts)
 * returns for such text, or `undefined` as soon as it meets anything outside the subset (then the
 * caller runs the full lexer). test/limits/plain-groovy-lexer.test.ts holds it to the full lexer.
 *
 * Outside the subset (the full lexer's state machine decides those): `$` outside strings,
 * double-quoted strings with `$`, triple-quoted strings, a `/` that does not start a comment
 * (division and slashy strings depend on context), numbers other than plain decimal integers,
 * backslashes outside strings (line continuations), `\u` escapes anywhere, non-ASCII characters
 * outside strings, U+FFFF, and anything the full lexer reports as an error.
 */
import { KEYWORDS, OPERATORS, SourceText, type Token } from '../jenkinsfile/groovy-lexer.ts';

/** Operators by first character, first match wins: the full lexer's own table, indexed by char code. */
const OPERATORS_BY_FIRST_CHAR: readonly (readonly string[] | undefined)[] = (() => {
  const byFirst: string[][] = [];
  for (const op of OPERATORS) (byFirst[op.charCodeAt(0)] ??= []).push(op);
  return byFirst;
})();

const SPACE = 32;
const TAB = 9;
const FORM_FEED = 12;
const LF = 10;
const CR = 13;
const SINGLE_QUOTE = 39;
const DOUBLE_QUOTE = 34;
const BACKSLASH = 92;
const DOT = 46;
const SLASH = 47;
const STAR = 42;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** Single-character escapes the subset accepts in quoted strings, and what they decode to. */
const SIMPLE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [110, '\n'], // n
  [114, '\r'], // r
  [116, '\t'], // t
  [98, '\b'], // b
  [102, '\f'], // f
  [DOUBLE_QUOTE, '"'],
  [SINGLE_QUOTE, "'"],
  [BACKSLASH, '\\'],
  [36, '$'], // $
]);

const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isNamePart = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);

/**
 * The tokens of `source` (ending with EOF) if it is plain Groovy as described above, else
 * undefined. Never throws.
 */
export function lexPlainGroovy(source: SourceText): Token[] | undefined {
  if (source.chars !== source.original) return undefined; // `\u` escapes, translated before lexing
  return lexPlain(source.original, [], undefined)?.tokens;
}

/**
 * {@link lexPlainGroovy} of a text, with the source and whether the lexer ends as it starts:
 * every `(`, `[` and `{` closed (then a fresh lexer continues the text as this one would, from a
 * line start).
 */
export function lexPlainGroovyState(text: string): { source: SourceText; tokens: Token[]; balanced: boolean } | undefined {
  const source = new SourceText(text);
  if (source.chars !== text) return undefined;
  const lexed = lexPlain(text, [], undefined);
  return lexed && { source, tokens: lexed.tokens!, balanced: lexed.balanced };
}

/**
 * The shape of a plain Groovy text: the text with every string literal replaced by `'' ` (an
 * empty string and a space, so that it cannot run into a following quote). It lexes to the same
 * tokens on the same lines but for the strings' values and the columns after them; so whatever
 * depends only on token types, names and lines is the same for every text of one shape. Also
 * whether the lexer ends balanced (see {@link lexPlainGroovyState}). Undefined for text outside
 * the plain subset. Lexes without making tokens.
 */
export function plainGroovyShape(text: string): PlainGroovyShape | undefined {
  const strings: number[] = [];
  const lexed = lexPlain(text, undefined, strings);
  if (!lexed) return undefined;
  const segments: string[] = [];
  let from = 0;
  for (let i = 0; i < strings.length; i += 2) {
    segments.push(text.slice(from, strings[i]));
    from = strings[i + 1]!;
  }
  segments.push(text.slice(from));
  return { shape: segments.join("'' "), segments, balanced: lexed.balanced };
}

/** What {@link plainGroovyShape} finds. */
export interface PlainGroovyShape {
  shape: string;
  /** The text between the string literals (one more than there are strings). */
  segments: readonly string[];
  balanced: boolean;
}

/**
 * Whether `text` has the shape `known` without lexing it: it is `known`'s segments with a string
 * literal the plain lexer reads between each two. Then it lexes as the text `known` came from
 * does (the lexer meets the same characters in the same state up to each string, reads the
 * string to its end, and is in the same state after it), so its shape and balance are `known`'s.
 */
export function hasShape(text: string, known: PlainGroovyShape): boolean {
  if (text.includes('\\u') || text.includes('\uFFFF')) return false;
  const segments = known.segments;
  let pos = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    // A slice compared whole: V8's startsWith compares character by character, several times slower.
    if (text.slice(pos, pos + segment.length) !== segment) return false;
    pos += segment.length;
    if (i === segments.length - 1) break;
    const quote = text.charCodeAt(pos);
    if (quote !== SINGLE_QUOTE && quote !== DOUBLE_QUOTE) return false;
    const end = quotedStringEnd(text, pos, quote);
    if (end < 0) return false;
    pos = end;
  }
  return pos === text.length;
}

/**
 * The lexer: appends the tokens to `tokens` (when given) and the start and end of every string
 * literal to `strings` (when given); undefined at the first thing outside the subset.
 */
function lexPlain(text: string, tokens: Token[] | undefined, strings: number[] | undefined): { tokens: Token[] | undefined; balanced: boolean } | undefined {
  // U+FFFF is the full lexer's end of input; `\u` escapes are translated before lexing.
  if (text.includes('\\u') || text.includes('\uFFFF')) return undefined;
  const n = text.length;
  let pos = 0;
  /** `(`/`[` depth within the current `{ }` (newlines are not tokens inside them). */
  let parenLevel = 0;
  const parenLevelStack: number[] = [];
  /** Type of the last token (the full lexer's `lastSig`). */
  let last = 'EOF';

  for (;;) {
    let c = text.charCodeAt(pos);
    while (c === SPACE || c === TAB || c === FORM_FEED) c = text.charCodeAt(++pos);
    const start = pos;
    if (pos >= n) {
      tokens?.push({ type: 'EOF', text: '', start, end: start });
      return { tokens, balanced: parenLevel === 0 && parenLevelStack.length === 0 };
    }
    if (c === SLASH) {
      // Comments are comments whatever came before; a lone `/` is division or a slashy string.
      const end = commentEnd(text, pos);
      if (end < 0) return undefined;
      pos = end;
      continue;
    }
    if (c === LF || c === CR) {
      // NLS: the newline and any following newlines, whitespace and comments.
      for (;;) {
        if (c === LF || c === CR || c === SPACE || c === TAB || c === FORM_FEED) c = text.charCodeAt(++pos);
        else if (c === SLASH) {
          const end = commentEnd(text, pos);
          if (end < 0) return undefined;
          pos = end;
          c = text.charCodeAt(pos);
        } else break;
      }
      if (c === BACKSLASH && pos < n) return undefined; // a line continuation may follow
      if (parenLevel === 0) {
        last = 'NLS';
        tokens?.push({ type: 'NLS', text: text.slice(start, pos), start, end: pos });
      }
      continue;
    }
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      const end = plainIntegerEnd(text, pos);
      if (end < 0) return undefined;
      pos = end;
      last = 'NUM';
      tokens?.push({ type: 'NUM', text: text.slice(start, pos), start, end: pos });
      continue;
    }
    if (isNameStart(c)) {
      do c = text.charCodeAt(++pos);
      while (isNamePart(c));
      if (c === 36 /* $ */ || c >= 0x80) return undefined; // the full lexer's names go on
      const word = text.slice(start, pos);
      let type: string = KEYWORDS.has(word) ? word : 'IDENT';
      // As the full lexer: `as`, `def` and `in` are names in dotted paths; `static.` too.
      if ((type === 'as' || type === 'def' || type === 'in') && (c === DOT || last === '.' || last === 'package')) type = 'IDENT';
      if (type === 'static' && c === DOT) type = 'IDENT';
      last = type;
      tokens?.push({ type, text: word, start, end: pos });
      continue;
    }
    if (c === SINGLE_QUOTE || c === DOUBLE_QUOTE) {
      const end = quotedStringEnd(text, start, c);
      if (end < 0) return undefined;
      pos = end;
      last = 'STRING';
      tokens?.push(quotedString(text, start, end, c));
      strings?.push(start, pos);
      continue;
    }
    const candidates = OPERATORS_BY_FIRST_CHAR[c];
    if (!candidates) return undefined; // `/`, `$`, digits, `\`, `#`, non-ASCII: the full lexer decides
    let op: string | undefined;
    for (const candidate of candidates) {
      if (candidate.length === 1 || text.startsWith(candidate, pos)) {
        op = candidate;
        break;
      }
    }
    if (op === undefined) return undefined;
    pos += op.length;
    if (op === '(' || op === '[') parenLevel++;
    else if (op === ')' || op === ']') parenLevel--;
    else if (op === '{') {
      parenLevelStack.push(parenLevel);
      parenLevel = 0;
    } else if (op === '}') {
      const saved = parenLevelStack.pop();
      if (saved !== undefined) parenLevel = saved;
    }
    last = op;
    tokens?.push({ type: op, text: op, start, end: pos });
  }
}

/**
 * End of the one-line `'...'` or `"..."` string without interpolation at `start` (after its
 * closing quote), or -1 for anything else (triple quotes, `$` in double quotes, a line end, the
 * end of the text, an escape outside {@link SIMPLE_ESCAPES}). Reads without allocating.
 */
function quotedStringEnd(text: string, start: number, quote: number): number {
  // `''` + quote is a triple-quoted string; a quote followed by a line end or the end is an error.
  const next = text.charCodeAt(start + 1);
  if (next === quote && text.charCodeAt(start + 2) === quote) return -1;
  if (next === LF || next === CR || Number.isNaN(next)) return -1;
  // Most strings hold no escape, line end or `$`: the closing quote is found and the characters
  // before it checked by native scans (a loop per character runs slowly until it is optimised,
  // and a cold run is mostly unoptimised code); otherwise the loop below decides.
  const close = text.indexOf(quote === SINGLE_QUOTE ? "'" : '"', start + 1);
  if (close > 0) {
    const body = text.slice(start + 1, close);
    if (!body.includes('\\') && !body.includes('\n') && !body.includes('\r') && (quote !== DOUBLE_QUOTE || !body.includes('$'))) return close + 1;
  }
  let pos = start + 1;
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c === quote) return pos + 1;
    if (c === BACKSLASH) {
      if (!SIMPLE_ESCAPES.has(text.charCodeAt(pos + 1))) return -1;
      pos += 2;
      continue;
    }
    if (c === LF || c === CR || Number.isNaN(c)) return -1;
    if (c === 36 /* $ */ && quote === DOUBLE_QUOTE) return -1;
    pos++;
  }
}

/** The full lexer's token for the string {@link quotedStringEnd} found from `start` to `end`. */
function quotedString(text: string, start: number, end: number, quote: number): Token {
  // Plain characters are taken as runs (slices) between escapes.
  let value = '';
  let chunkStart = start + 1;
  for (let pos = chunkStart; pos < end - 1; pos++) {
    if (text.charCodeAt(pos) !== BACKSLASH) continue;
    value += text.slice(chunkStart, pos) + SIMPLE_ESCAPES.get(text.charCodeAt(pos + 1))!;
    pos++; // the escaped character
    chunkStart = pos + 1;
  }
  value += text.slice(chunkStart, end - 1);
  return { type: 'STRING', text: text.slice(start, end), start, end, value, stringKind: quote === SINGLE_QUOTE ? 'single' : 'double' };
}

/** End of the `//` or `/* *\/` comment at `pos` (a `//` comment ends before its line end), or -1 if there is none. */
function commentEnd(text: string, pos: number): number {
  const next = text.charCodeAt(pos + 1);
  if (next === SLASH) {
    let end = pos + 2;
    for (let c = text.charCodeAt(end); !(c === LF || c === CR || Number.isNaN(c)); c = text.charCodeAt(++end));
    return end;
  }
  if (next === STAR) {
    const close = text.indexOf('*/', pos + 2);
    return close < 0 ? -1 : close + 2; // unclosed: the full lexer's error
  }
  return -1;
}

/**
 * End of a plain decimal integer at `pos` (`0`, or a non-zero digit and digits), or -1 when the
 * full lexer's number rules could read more (`_`, a suffix, a fraction, an exponent, hex, octal,
 * binary, or a letter right after the digits).
 */
function plainIntegerEnd(text: string, pos: number): number {
  let end = pos + 1;
  if (text.charCodeAt(pos) !== DIGIT_0) while (text.charCodeAt(end) >= DIGIT_0 && text.charCodeAt(end) <= DIGIT_9) end++;
  const after = text.charCodeAt(end);
  if ((after >= DIGIT_0 && after <= DIGIT_9) || isNameStart(after) || after === DOT || after === 36 /* $ */ || after >= 0x80) return -1;
  return end;
}
