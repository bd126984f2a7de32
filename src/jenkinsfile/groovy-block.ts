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
const BLANK = /^[ \t]*$/;

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
  const text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  const rawLines = text.split('\n');
  const inString = linesStartingInStrings(text, rawLines);
  const lines = rawLines.map((line, i) => ({ text: line, verbatim: inString[i] === true }));
  const isBlankCode = (line: GroovyBlockLine) => !line.verbatim && BLANK.test(line.text);
  while (lines.length > 0 && isBlankCode(lines[0]!)) lines.shift();
  while (lines.length > 0 && isBlankCode(lines[lines.length - 1]!)) lines.pop();
  let common: string | undefined;
  for (const line of lines) {
    if (line.verbatim || BLANK.test(line.text)) continue;
    const leading = /^[ \t]*/.exec(line.text)![0];
    if (common === undefined) common = leading;
    else {
      let length = 0;
      while (length < common.length && length < leading.length && common[length] === leading[length]) length++;
      common = common.slice(0, length);
    }
  }
  const strip = common?.length ?? 0;
  for (const line of lines) {
    if (!line.verbatim) line.text = BLANK.test(line.text) ? '' : line.text.slice(strip);
  }
  return Object.freeze(lines.map((line) => Object.freeze(line)));
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
 * For each line of `text` (LF line endings), whether it starts inside a string literal. After a
 * lexer error (the body does not lex; the structure check reports it) every later line counts as
 * inside a string, so nothing is changed that might be one.
 */
function linesStartingInStrings(text: string, lines: readonly string[]): boolean[] {
  const inside = new Array<boolean>(lines.length).fill(false);
  // Only a quote or a slash can start a string literal that spans lines: skip the lexer otherwise.
  if (lines.length < 2 || !/['"/]/.test(text)) return inside;
  // Lines that each lex alone as complete code lex the same way joined: no string spans lines and
  // nothing fails. A fleet's generator snippets differ from one pipeline to the next in a line or
  // two (a service name in a literal), so only those lines are lexed again.
  if (lines.every(isStandaloneCodeLine)) return inside;
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
 * Whether `line` lexes alone to its end without error, contains no slash, double quote, backslash
 * or line break, and does not start with `#!`. Such lines lex in any sequence exactly as they lex alone:
 * - without `/` there is no comment and no slashy or dollar-slashy string, the only tokens whose
 *   lexing depends on the token before;
 * - without `"` there is no GString, so a line that lexes alone leaves no string open: a
 *   single-quoted string cannot reach the end of the text without an error;
 * - without a backslash there is no line continuation and no `\uXXXX` translation;
 * - `#!` is a comment only at the very start of a text.
 * What else the lexer carries from line to line (bracket depth, the previous token) only decides
 * whether a line break is a token or which keyword an identifier is.
 *
 * @internal exported for the property test that checks this against the lexer.
 */
export function isStandaloneCodeLine(line: string): boolean {
  let clean = standaloneCodeLines.get(line);
  if (clean === undefined) {
    clean = !/[/"\\\r\n]/.test(line) && !line.startsWith('#!') && !lexGroovy(new SourceText(line)).tokens.some((t) => t.type === 'ERROR');
    if (standaloneCodeLines.size >= STANDALONE_CODE_LINES_LIMIT) standaloneCodeLines.delete(standaloneCodeLines.keys().next().value!);
    standaloneCodeLines.set(line, clean);
  }
  return clean;
}

/** {@link isStandaloneCodeLine} of recent lines, by exact text (the oldest goes first when full). */
const standaloneCodeLines = new Map<string, boolean>();
const STANDALONE_CODE_LINES_LIMIT = 4096;

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
