/**
 * A small Groovy 2.4 lexer, just precise enough to tell whether a raw Groovy source (a `script`
 * body, a `when { expression { } }` body, or a `{ $groovy }` expression) can be pasted into a
 * generated Jenkinsfile without breaking the code around it: brackets balance, strings and
 * comments end, and nothing closes the enclosing `script {` block early.
 *
 * It knows `'…'`, `"…"` (with `${ … }` placeholders, which may nest), `'''…'''`, `"""…"""`,
 * `//` and `/* … *\/` comments. Slashy strings (`/…/`, `$/…/$`) are NOT recognised: a `/` is
 * only ever a comment start or an operator, so brackets inside a slashy regex count. Authors can
 * write such a pattern as a quoted string instead.
 *
 * `\uXXXX` pre-translation (which Groovy applies before lexing) is checked separately, by
 * {@link findUnicodeEscapes}; this scanner reads the source as written.
 */

/** A problem found in a raw Groovy source. Line and column are 1-based, within the source. */
export interface GroovyScanProblem {
  kind:
    | 'early-close'
    | 'mismatched-bracket'
    | 'unclosed-bracket'
    | 'unterminated-string'
    | 'unterminated-comment'
    | 'line-comment'
    | 'top-level-newline'
    | 'top-level-separator'
    | 'blank';
  message: string;
  line: number;
  column: number;
}

/**
 * How the source is embedded: `block` = the body of `script { }` / `expression { }`;
 * `expression` = a value inside a call's argument list, which must stay one expression.
 */
export type GroovyEmbedding = 'block' | 'expression';

const CLOSING: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

interface Opening {
  char: string;
  offset: number;
  /** Set for the `${` of a GString placeholder: its `}` returns into that string. */
  string?: { triple: boolean; openedAt: number };
}

/**
 * Scans `source`; returns the first problem found (lexing cannot sensibly continue after one).
 * `blockName` names the enclosing block in messages (`script` → `the enclosing "script {" block`).
 */
export function scanGroovy(source: string, embedding: GroovyEmbedding, blockName?: string): GroovyScanProblem | undefined {
  const position = lineColumn(source);
  const problem = (kind: GroovyScanProblem['kind'], offset: number, message: string): GroovyScanProblem => {
    const { line, column } = position(offset);
    return { kind, message: `${message} (line ${line}, column ${column})`, line, column };
  };
  const at = (offset: number) => {
    const { line, column } = position(offset);
    return `line ${line}, column ${column}`;
  };

  if (embedding === 'expression' && source.trim() === '') return problem('blank', 0, 'the expression is blank');

  const stack: Opening[] = [];
  const enclosing =
    embedding === 'expression' ? 'the expression' : blockName ? `the enclosing "${blockName} {" block` : 'the enclosing block';
  let i = 0;
  const n = source.length;

  const firstContent = source.search(/\S/);
  const lastContent = source.length - 1 - (source.split('').reverse().join('').search(/\S/));

  /**
   * Scans a string body from `start` (after the opening quote or after a placeholder's `}`) to
   * its closing quote, or to the next `${`, which pushes a placeholder and returns to code.
   */
  const scanString = (start: number, quote: "'" | '"', triple: boolean, openedAt: number): GroovyScanProblem | undefined => {
    const delimiter = triple ? quote.repeat(3) : quote;
    let j = start;
    while (j < n) {
      const c = source[j]!;
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (!triple && (c === '\n' || c === '\r')) {
        return problem('unterminated-string', openedAt, 'a string literal is not terminated before the end of its line');
      }
      if (source.startsWith(delimiter, j)) {
        i = j + delimiter.length;
        return undefined;
      }
      if (quote === '"' && c === '$' && source[j + 1] === '{') {
        stack.push({ char: '{', offset: j + 1, string: { triple, openedAt } });
        i = j + 2;
        return undefined;
      }
      j++;
    }
    return problem('unterminated-string', openedAt, 'a string literal is not terminated');
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      if (embedding === 'expression') {
        return problem('line-comment', i, 'a // comment would hide the rest of the generated line; use /* … */');
      }
      while (i < n && source[i] !== '\n' && source[i] !== '\r') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) return problem('unterminated-comment', i, 'a /* comment is not terminated');
      if (embedding === 'expression' && stack.length === 0 && /[\r\n]/.test(source.slice(i, end))) {
        return problem('top-level-newline', i, 'an expression may only break lines inside brackets');
      }
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      const triple = source.startsWith(c.repeat(3), i);
      const failure = scanString(i + (triple ? 3 : 1), c, triple, i);
      if (failure) return failure;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      stack.push({ char: c, offset: i });
      i++;
      continue;
    }
    if (c === ')' || c === ']' || c === '}') {
      const top = stack.pop();
      if (!top) {
        return problem('early-close', i, `"${c}" has no matching opening bracket and would close ${enclosing} early`);
      }
      if (top.char !== CLOSING[c]) {
        return problem('mismatched-bracket', i, `"${c}" does not match the "${top.char}" opened at ${at(top.offset)}`);
      }
      i++;
      if (top.string) {
        const failure = scanString(i, '"', top.string.triple, top.string.openedAt);
        if (failure) return failure;
      }
      continue;
    }
    if (embedding === 'expression' && stack.length === 0) {
      if (c === '\n' || c === '\r') {
        if (i > firstContent && i < lastContent) {
          return problem('top-level-newline', i, 'an expression may only break lines inside brackets');
        }
      } else if (c === ',' || c === ';') {
        return problem('top-level-separator', i, `a top-level "${c}" would split the expression in two`);
      }
    }
    if (c === '\\') {
      i += 2; // line continuation, or a stray backslash Groovy will report itself
      continue;
    }
    i++;
  }

  const unclosed = stack.pop();
  if (unclosed) {
    if (unclosed.string) return problem('unterminated-string', unclosed.offset - 1, 'a "${" placeholder is not closed');
    return problem('unclosed-bracket', unclosed.offset, `"${unclosed.char}" is never closed`);
  }
  return undefined;
}

/** A `\u` that Groovy would pre-translate, with what it would become. */
export interface UnicodeEscape {
  offset: number;
  line: number;
  column: number;
  /** The escape as written, e.g. `\u0027` or `\users`. */
  text: string;
  /** True when four hex digits follow (a real escape); false when Groovy would fail to read it. */
  valid: boolean;
}

/**
 * Every `\u` that Groovy 2.4 would treat as a Unicode escape: a backslash preceded by an even
 * number of backslashes and followed by one or more `u`. Groovy translates these before lexing,
 * everywhere (strings, comments, code), so `\u0027` is a real quote; and one without four hex
 * digits after it is a compile error.
 */
export function findUnicodeEscapes(source: string): UnicodeEscape[] {
  const position = lineColumn(source);
  const found: UnicodeEscape[] = [];
  for (let i = 0; i < source.length; i++) {
    if (source[i] !== '\\') continue;
    if (source[i + 1] === '\\') {
      i++; // an escaped backslash: the next one is not eligible
      continue;
    }
    if (source[i + 1] !== 'u') continue;
    const match = /^\\u+([0-9A-Fa-f]{0,4})/.exec(source.slice(i))!;
    const valid = match[1]!.length === 4;
    found.push({ offset: i, ...position(i), text: valid ? match[0] : source.slice(i, i + match[0].length + 1), valid });
    i += match[0].length - 1;
  }
  return found;
}

/** Maps offsets in `source` to 1-based line/column (LF, CR and CRLF end lines). */
function lineColumn(source: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\n' || (c === '\r' && source[i + 1] !== '\n')) starts.push(i + 1);
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}
