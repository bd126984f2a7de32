/**
 * Layout of raw Groovy bodies (`script { }`, `expression { }`) in a printed Jenkinsfile.
 *
 * The printer indents a body to its block, but only lines that start in code: a line that starts
 * inside a multi-line string literal (`'''…'''`, `"""…"""`, slashy `/…/`, dollar-slashy
 * `$/…/$`) is part of the string's value, so it is kept byte for byte (a heredoc's `EOF` must stay
 * at column 0, YAML must keep its indentation). Where string tokens begin and end comes from the
 * Groovy 2.4 lexer (groovy-lexer.ts), which follows antlr2's rules for slashy strings and GStrings.
 *
 * The parser normalises a body it reads with {@link normalizeGroovyBlockSource}, the same rule,
 * so that parse → print → parse is stable.
 */
import { lexGroovy, SourceText } from './groovy-lexer.ts';

/** One line of a body, as the printer writes it. */
export interface GroovyBlockLine {
  /** The line without its line ending; code lines without the body's common indentation. */
  readonly text: string;
  /**
   * The line starts inside a string literal: print it exactly as `text`, without indentation.
   * Otherwise it is code: print it at the block's indentation (empty lines stay empty).
   */
  readonly verbatim: boolean;
}

const STRING_TOKENS: ReadonlySet<string> = new Set(['STRING', 'GSTRING_START', 'GSTRING_MIDDLE', 'GSTRING_END']);

/**
 * Splits a raw Groovy body into lines for printing: line endings become LF (Groovy reads CRLF and
 * CR inside a literal as LF, so values do not change), blank code lines before the first and after
 * the last code line go, code lines lose the indentation they all share and whitespace-only code
 * lines become empty. Lines that start inside a string literal are kept exactly.
 */
export function groovyBlockLines(source: string): readonly GroovyBlockLine[] {
  let lines = recentLayouts.get(source);
  if (lines === undefined) {
    if (recentLayouts.size >= RECENT_LAYOUTS_LIMIT) recentLayouts.clear();
    lines = layOut(source);
    recentLayouts.set(source, lines);
  }
  return lines;
}

/**
 * Layouts of recently printed bodies. A fleet of services built from the same presets prints
 * the same generator-owned `script { }` snippets over and over, and laying one out means lexing it.
 */
const recentLayouts = new Map<string, readonly GroovyBlockLine[]>();
const RECENT_LAYOUTS_LIMIT = 500;

function layOut(source: string): readonly GroovyBlockLine[] {
  const { rawLines, inString, first, end, strip } = measure(source);
  const lines: GroovyBlockLine[] = [];
  for (let i = first; i < end; i++) {
    const line = rawLines[i]!;
    const verbatim = inString?.[i] === true;
    lines.push(Object.freeze({ text: verbatim ? line : isBlank(line) ? '' : line.slice(strip), verbatim }));
  }
  return Object.freeze(lines);
}

/**
 * Appends to `out` the lines of `source` as {@link groovyBlockLines} lays them out, as text: code
 * lines that are not empty prefixed with `indent`, lines inside a string literal as they are.
 * Builds no line objects and remembers nothing: for text that is written once (helper methods).
 */
export function pushIndentedGroovyBlock(out: string[], source: string, indent: string): void {
  if (isPlainCodeBody(source)) {
    // Every line is kept and indented as it is: one chunk, its line breaks followed by the indent.
    out.push(indent + source.replaceAll('\n', `\n${indent}`));
    return;
  }
  const { rawLines, inString, first, end, strip } = measure(source);
  for (let i = first; i < end; i++) {
    const line = rawLines[i]!;
    if (inString?.[i] === true) out.push(line);
    else out.push(isBlank(line) ? '' : indent + line.slice(strip));
  }
}

/**
 * Whether {@link measure} would keep every line of `source` as code, none blank and none losing
 * indentation: LF line endings only, a first line that starts with neither space nor tab (so the
 * shared indentation is none), no blank line (nothing dropped or emptied) and no line inside a
 * string literal, as told without the lexer. Generator snippets are such bodies; `false` only
 * means the general layout decides.
 */
function isPlainCodeBody(source: string): boolean {
  const c = source.charCodeAt(0);
  // An empty first line, or one that starts blank: the general layout (it may drop or strip it).
  if (Number.isNaN(c) || c === SPACE || c === TAB || c === LF || source.includes('\r') || BLANK_LINE.test(source)) return false;
  return !/['"/]/.test(source) || STANDALONE_CODE_TEXT.test(source);
}

/**
 * A line after the first that is empty or only spaces and tabs (LF line endings); the first line
 * is judged by its first character. Starting at a line break lets the engine skip to the next one.
 */
const BLANK_LINE = /\n[ \t]*(?:\n|$)/;

/** A body's lines and how they are laid out: which start inside a string, which are kept, the indentation to strip. */
interface Measure {
  /** The lines of the body (LF line endings). */
  readonly rawLines: readonly string[];
  /** Which lines start inside a string literal; `undefined` when none does. */
  readonly inString: readonly boolean[] | undefined;
  /** Lines `first` up to (not including) `end` are kept: blank code lines around them go. */
  readonly first: number;
  readonly end: number;
  /** The indentation all kept code lines share, in characters. */
  readonly strip: number;
}

function measure(source: string): Measure {
  const text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  const rawLines = text.split('\n');
  const inString = linesStartingInStrings(text, rawLines);
  const isBlankCode = (i: number) => inString?.[i] !== true && isBlank(rawLines[i]!);
  let first = 0;
  let end = rawLines.length;
  while (first < end && isBlankCode(first)) first++;
  while (end > first && isBlankCode(end - 1)) end--;
  // The indentation all code lines share: the longest prefix of the first one's that every other has.
  let reference: string | undefined;
  let strip = 0;
  for (let i = first; i < end; i++) {
    const line = rawLines[i]!;
    if (inString?.[i] === true || isBlank(line)) continue;
    if (reference === undefined) {
      reference = line;
      strip = leadingWhitespaceLength(line);
      continue;
    }
    let length = 0;
    while (length < strip && line.charCodeAt(length) === reference.charCodeAt(length)) length++;
    strip = length;
  }
  return { rawLines, inString, first, end, strip };
}

/** Whether `line` is empty or only spaces and tabs. */
function isBlank(line: string): boolean {
  return leadingWhitespaceLength(line) === line.length;
}

/** How many spaces and tabs `line` starts with. */
function leadingWhitespaceLength(line: string): number {
  let length = 0;
  for (; length < line.length; length++) {
    const c = line.charCodeAt(length);
    if (c !== SPACE && c !== TAB) break;
  }
  return length;
}

/**
 * A raw Groovy body normalised as the printer lays it out ({@link groovyBlockLines}), without the
 * block's indentation: what the parser stores for a `script { }` body it reads.
 */
export function normalizeGroovyBlockSource(source: string): string {
  return groovyBlockLines(source)
    .map((line) => line.text)
    .join('\n');
}

/**
 * For each line of `text` (LF line endings), whether it starts inside a string literal;
 * `undefined` when none does (the common case). After a lexer error (the body does not lex; the
 * structure check reports it) every later line counts as inside a string, so nothing is changed
 * that might be one.
 */
function linesStartingInStrings(text: string, lines: readonly string[]): boolean[] | undefined {
  // Only a quote or a slash can start a string literal that spans lines: skip the lexer otherwise.
  if (lines.length < 2 || !/['"/]/.test(text)) return undefined;
  // Lines that each lex alone as complete code lex the same way joined: no string spans lines and
  // nothing fails. A fleet's generator snippets differ from one pipeline to the next in a line or
  // two (a service name in a literal): those are mostly told by a scan, without the lexer. The
  // whole-text pattern says yes for the usual body in one native match.
  if (STANDALONE_CODE_TEXT.test(text) || lines.every(isStandaloneCodeLine)) return undefined;
  const inside = new Array<boolean>(lines.length).fill(false);
  const lineStarts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    lineStarts.push(offset);
    offset += line.length + 1;
  }
  const source = new SourceText(text);
  /** Marks the lines that start strictly after `start` and before `end` (original offsets). */
  const mark = (start: number, end: number) => {
    for (let i = firstLineAfter(lineStarts, start); i < lines.length && lineStarts[i]! < end; i++) inside[i] = true;
  };
  for (const token of lexGroovy(source).tokens) {
    if (token.type === 'ERROR') {
      mark(source.originalOffset(token.start), Number.POSITIVE_INFINITY);
      break;
    }
    if (STRING_TOKENS.has(token.type) && token.text.includes('\n')) {
      mark(source.originalOffset(token.start), source.originalOffset(token.end));
    }
  }
  return inside;
}

/**
 * Whether `line` is known to lex alone to its end without error, contains no line break, does not
 * start with `#!`, and has no slash or double quote outside a single-quoted string literal
 * (`'…'`) and no backslash but in a simple escape in one (`\'`, `\\`, `\n`, ...; not `\u`).
 * Such lines lex in any sequence exactly as they lex alone:
 * - a slash outside a string starts a comment, a slashy or dollar-slashy string or a division,
 *   the only tokens whose lexing depends on the token before; inside a single-quoted string it is
 *   content, and where such a string starts does not depend on the token before;
 * - without `"` outside one there is no GString, so a line that lexes alone leaves no string
 *   open: a single-quoted string cannot reach the end of the text without an error;
 * - a backslash only in a simple escape makes no line continuation and no `\uXXXX` translation
 *   (it and the character after it pair up the same way in the whole text);
 * - `#!` is a comment only at the very start of a text.
 * What else the lexer carries from line to line (bracket depth, the previous token) only decides
 * whether a line break is a token or which keyword an identifier is. Lines the scan leaves to the
 * lexer count only without any slash, double quote or backslash at all.
 *
 * @internal exported for the property test that checks this against the lexer.
 */
export function isStandaloneCodeLine(line: string): boolean {
  const scanned = scanStandaloneCodeLine(line);
  if (scanned !== undefined) return scanned;
  let clean = standaloneCodeLines.get(line);
  if (clean === undefined) {
    clean = !line.startsWith('#!') && !lexGroovy(new SourceText(line)).tokens.some((t) => t.type === 'ERROR');
    if (standaloneCodeLines.size >= STANDALONE_CODE_LINES_LIMIT) standaloneCodeLines.delete(standaloneCodeLines.keys().next().value!);
    standaloneCodeLines.set(line, clean);
  }
  return clean;
}

/** {@link isStandaloneCodeLine} of recent lines the scan left to the lexer, by exact text (the oldest goes first when full). */
const standaloneCodeLines = new Map<string, boolean>();
const STANDALONE_CODE_LINES_LIMIT = 4096;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DOUBLE_QUOTE = 0x22;
const HASH = 0x23;
const QUOTE = 0x27;
const DOT = 0x2e;
const SLASH = 0x2f;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const BACKSLASH = 0x5c;
const NON_CHARACTER_FFFF = 0xffff;

/** The characters after a backslash in a simple escape of a quoted string (groovy-lexer.ts `escape`). */
const SIMPLE_ESCAPES: ReadonlySet<number> = new Set([...'nrtbf"\'\\$'].map((c) => c.charCodeAt(0)));

/** What an ASCII character outside a string means to {@link scanStandaloneCodeLine}; anything else is the lexer's. */
const OTHER = 0;
/** A space, a tab or a character that is a Groovy operator on its own (OPERATORS in groovy-lexer.ts): any run of them lexes. */
const PLAIN = 1;
const IDENTIFIER_START = 2;
const DIGIT = 3;
const QUOTE_CLASS = 4;
/** A slash, double quote, backslash or line break: the line is no standalone code line by the strict rule. */
const SETTLES_NO = 5;

/** {@link OTHER} ... {@link SETTLES_NO} by ASCII code: one lookup per character instead of a chain of tests. */
const CHAR_CLASSES = (() => {
  const classes = new Uint8Array(128);
  for (const c of ' \t()[]{},;:?!=+-*%<>&|^~@.') classes[c.charCodeAt(0)] = PLAIN;
  for (let c = 0x41; c <= 0x5a; c++) classes[c] = classes[c + 0x20] = IDENTIFIER_START;
  classes[0x5f] = classes[0x24] = IDENTIFIER_START;
  for (let c = DIGIT_0; c <= DIGIT_9; c++) classes[c] = DIGIT;
  classes[QUOTE] = QUOTE_CLASS;
  for (const c of [SLASH, DOUBLE_QUOTE, BACKSLASH, CR, LF]) classes[c] = SETTLES_NO;
  return classes;
})();

const charClass = (c: number): number => (c < 128 ? CHAR_CLASSES[c]! : OTHER);
const isAsciiIdentifierPart = (c: number): boolean => {
  const type = charClass(c);
  return type === IDENTIFIER_START || type === DIGIT;
};

/**
 * {@link isStandaloneCodeLine} by one scan of the line, where it can tell without the lexer:
 * `false` for a line break anywhere, a slash, double quote or backslash outside the complete
 * single-quoted strings it has read, or a leading `#!`; `true` for a line made only of spaces,
 * tabs, ASCII identifiers and keywords, decimal integers without suffix (`0` or not starting with
 * 0), single-character operators and complete single-quoted strings (`'…'`, `''`; a slash or
 * double quote in them is content, a backslash only in a simple escape), each of which the lexer
 * reads without error whatever stands next to it; `undefined` for anything else (the lexer decides).
 *
 * @internal exported for the property test that checks it against the lexer.
 */
export function scanStandaloneCodeLine(line: string): boolean | undefined {
  const n = line.length;
  if (n >= 2 && line.charCodeAt(0) === HASH && line.charCodeAt(1) === 0x21) return false;
  let known = true;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    const type = charClass(c);
    if (type === SETTLES_NO) return false;
    if (!known) {
      // Past what the scan understands: only a character that settles it (above) still matters.
      i++;
    } else if (type === PLAIN) {
      i++;
    } else if (type === IDENTIFIER_START) {
      i++;
      while (i < n && isAsciiIdentifierPart(line.charCodeAt(i))) i++;
    } else if (type === QUOTE_CLASS) {
      if (line.charCodeAt(i + 1) === QUOTE) {
        // `''` is the empty string; `'''` opens a triple-quoted one.
        if (line.charCodeAt(i + 2) === QUOTE) known = false;
        i += 2;
        continue;
      }
      let close = i + 1;
      for (; close < n; close++) {
        const d = line.charCodeAt(close);
        // A simple escape (`\'`, `\\`, `\n`, ...) is two characters of content; `\u` and octal escapes are the lexer's.
        if (d === BACKSLASH && close + 1 < n && SIMPLE_ESCAPES.has(line.charCodeAt(close + 1))) close++;
        else if (d === QUOTE || d === BACKSLASH || d === NON_CHARACTER_FFFF || d === CR || d === LF) break;
      }
      if (close < n && line.charCodeAt(close) === QUOTE) i = close + 1;
      else {
        known = false;
        i = close;
      }
    } else if (type === DIGIT) {
      const start = i;
      i++;
      while (i < n && charClass(line.charCodeAt(i)) === DIGIT) i++;
      const next = i < n ? line.charCodeAt(i) : -1;
      // Octal, hex, binary, suffixes, exponents and fractions are the lexer's to judge.
      if ((c === DIGIT_0 && i > start + 1) || isAsciiIdentifierPart(next) || next === DOT) known = false;
    } else {
      known = false;
      i++;
    }
  }
  return known ? true : undefined;
}

/**
 * One token {@link scanStandaloneCodeLine} reads as known: a space, tab or one-character operator;
 * an identifier or keyword (whole: never split into two, so no backtracking); a decimal integer
 * without suffix that is `0` or does not start with 0 and is followed by no identifier character
 * or dot; `''` not followed by a third quote; a non-empty single-quoted string whose backslashes
 * are simple escapes and that holds no U+FFFF or line break. Each starts with a different
 * character, so a line matches in one pass.
 */
const KNOWN_TOKEN =
  "[ \\t()\\[\\]{},;:?!=+\\-*%<>&|^~@.]|[A-Za-z_$][A-Za-z0-9_$]*(?![A-Za-z0-9_$])|(?:0|[1-9][0-9]*)(?![A-Za-z0-9_$.])|''(?!')|'(?:[^'\\\\\\r\\n\\uffff]|\\\\[nrtbf\"'\\\\$])+'";

/**
 * Texts (LF line endings) whose every line {@link scanStandaloneCodeLine} answers `true` for: lines
 * of known tokens only. A line that does not match may still be standalone code: the caller asks
 * {@link isStandaloneCodeLine} line by line then. A native match instead of a JavaScript loop per
 * character, which runs unoptimised for much of a cold run.
 *
 * @internal exported for the property test that checks it against the scan.
 */
export const STANDALONE_CODE_TEXT = new RegExp(`^(?:${KNOWN_TOKEN})*(?:\\n(?:${KNOWN_TOKEN})*)*$`);

/** Index of the first line whose start offset is greater than `offset`. */
function firstLineAfter(lineStarts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
