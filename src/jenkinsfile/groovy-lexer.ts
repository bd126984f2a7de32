/**
 * A lexer for Groovy 2.4 source, as Jenkins compiles Jenkinsfiles. It follows the antlr2 grammar
 * of Groovy 2.4 (`groovy.g`, class GroovyLexer) and its `UnicodeEscapingReader`:
 *
 * - `\uXXXX` escapes are replaced before lexing, everywhere (comments included), with Java's
 *   even-backslash rule; a `\u` without four hex digits is an error when the lexer reaches it.
 * - U+FFFF (raw or escaped) is antlr2's end-of-input character.
 * - Whether `/` starts a slashy string depends only on the previous significant token
 *   (`allowRegexpLiteral`), never on the parser.
 * - GStrings come out as STRING_CTOR_START / MIDDLE / END tokens around the embedded values, with
 *   the same state machine (`stringCtorState`, paren-level stack) as antlr2's lexer.
 * - Newlines are significant (NLS tokens) except directly inside `( )` and `[ ]`.
 *
 * Positions are offsets into the translated character stream; `SourceText.position()` maps them
 * back to 1-based line:column in the original text.
 */

/** antlr2 reads U+FFFF as end of input. */
const EOF_CHAR = '\uFFFF';

/** Where in the original text something is, 1-based. */
export interface LineColumn {
  line: number;
  column: number;
}

/** The original text, its `\u`-translated form and the mapping between them. */
export class SourceText {
  readonly original: string;
  /** The text after `\uXXXX` pre-translation (what the lexer reads). */
  readonly chars: string;
  /** For each translated index (and one past the end), the offset in `original`; undefined = identity. */
  private readonly originalOffsets: Int32Array | undefined;
  /** A malformed `\u` escape: the lexer fails when it reads translated index `at`. */
  readonly escapeError: { at: number; originalOffset: number } | undefined;
  private readonly lineStarts: number[];

  constructor(original: string) {
    this.original = original;
    if (!original.includes('\\u')) {
      // Nothing to translate: the common case, with an identity mapping.
      this.chars = original;
      this.originalOffsets = undefined;
      this.escapeError = undefined;
      this.lineStarts = lineStartsOf(original);
      return;
    }
    const out: string[] = [];
    const offsets: number[] = [];
    let escapeError: SourceText['escapeError'];
    const n = original.length;
    let i = 0;
    while (i < n) {
      const c = original[i]!;
      if (c !== '\\') {
        out.push(c);
        offsets.push(i);
        i++;
        continue;
      }
      if (original[i + 1] !== 'u') {
        // UnicodeEscapingReader hands the character after a backslash through unexamined, so
        // `\\u0041` stays literal (the even-backslash rule).
        out.push('\\');
        offsets.push(i);
        if (i + 1 < n) {
          out.push(original[i + 1]!);
          offsets.push(i + 1);
        }
        i += 2;
        continue;
      }
      let j = i + 1;
      while (original[j] === 'u') j++;
      const hex = original.slice(j, j + 4);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
        escapeError = { at: out.length, originalOffset: i };
        break;
      }
      out.push(String.fromCharCode(parseInt(hex, 16)));
      offsets.push(i);
      i = j + 4;
    }
    offsets.push(escapeError ? escapeError.originalOffset : n);
    this.chars = out.join('');
    this.originalOffsets = Int32Array.from(offsets);
    this.escapeError = escapeError;
    this.lineStarts = lineStartsOf(original);
  }

  /** Offset in the original text of translated index `index`. */
  originalOffset(index: number): number {
    if (this.originalOffsets === undefined) return Math.max(0, Math.min(index, this.chars.length));
    const clamped = Math.max(0, Math.min(index, this.originalOffsets.length - 1));
    return this.originalOffsets[clamped]!;
  }

  /** Line and column (1-based) in the original text of an original offset. */
  positionOfOriginal(offset: number): LineColumn {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  /** Line and column (1-based) in the original text of translated index `index`. */
  position(index: number): LineColumn {
    return this.positionOfOriginal(this.originalOffset(index));
  }

  /** The original source text between two translated indices (end exclusive). */
  originalSlice(start: number, end: number): string {
    return this.original.slice(this.originalOffset(start), this.originalOffset(end));
  }
}

/** Offsets where lines start; CRLF, CR and LF end a line (as antlr2 counts them). */
function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let k = 0; k < text.length; k++) {
    const ch = text.charCodeAt(k);
    if (ch === 10) starts.push(k + 1);
    else if (ch === 13) {
      if (text.charCodeAt(k + 1) === 10) k++;
      starts.push(k + 1);
    }
  }
  return starts;
}

/** A Groovy syntax error (lexer or parser), positioned at a translated index. */
export class GroovySyntaxError extends Error {
  readonly index: number;
  /** Set when the position is only known in the original text (bad `\u` escape). */
  readonly originalOffset: number | undefined;
  constructor(message: string, index: number, originalOffset?: number) {
    super(message);
    this.index = index;
    this.originalOffset = originalOffset;
  }
}

export type TokenType =
  | 'IDENT'
  | 'NUM'
  | 'STRING'
  | 'GSTRING_START'
  | 'GSTRING_MIDDLE'
  | 'GSTRING_END'
  | 'NLS'
  | 'EOF'
  /** A lexer error; the parser raises it when it reaches this token. */
  | 'ERROR'
  /** Keywords and operators use their own text as type, e.g. `def`, `{`, `?.`. */
  | (string & { readonly keywordOrOperator?: never });

/** How a string literal was written. */
export type StringKind = 'single' | 'double' | 'tripleSingle' | 'tripleDouble' | 'slashy' | 'dollarSlashy';

export interface Token {
  type: TokenType;
  /** Source text of the token (translated). */
  text: string;
  /** Translated start index (inclusive) and end index (exclusive). */
  start: number;
  end: number;
  /** Decoded value of a STRING token or of a GString fragment. */
  value?: string;
  /** For STRING and GSTRING_START tokens: the quoting used. */
  stringKind?: StringKind;
  /** For ERROR tokens. */
  error?: GroovySyntaxError;
}

/** A comment seen by the lexer (`//`, `/* *\/` or the `#!` header), as translated indices. */
export interface CommentSpan {
  start: number;
  end: number;
  text: string;
}

/** Groovy 2.4 keywords (the literals table of GroovyLexer). */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'abstract', 'as', 'assert', 'boolean', 'break', 'byte', 'case', 'catch', 'char', 'class', 'const',
  'continue', 'def', 'default', 'do', 'double', 'else', 'enum', 'extends', 'false', 'final', 'finally',
  'float', 'for', 'goto', 'if', 'implements', 'import', 'in', 'instanceof', 'int', 'interface', 'long',
  'native', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'short', 'static',
  'strictfp', 'super', 'switch', 'synchronized', 'this', 'threadsafe', 'throw', 'throws', 'trait',
  'transient', 'true', 'try', 'void', 'volatile', 'while',
]);

/** Tokens after which `/` is division, not a slashy string (`isExpressionEndingToken`). */
const EXPRESSION_ENDING = new Set([
  '++', '--', ')', ']', '}', 'STRING', 'GSTRING_END', 'NUM', 'IDENT',
  'as', 'assert', 'boolean', 'break', 'byte', 'case', 'catch', 'char', 'class', 'continue', 'def',
  'default', 'double', 'else', 'enum', 'extends', 'false', 'finally', 'float', 'for', 'if', 'implements',
  'import', 'in', 'instanceof', 'int', 'interface', 'long', 'native', 'new', 'null', 'package', 'private',
  'protected', 'public', 'return', 'short', 'static', 'super', 'switch', 'synchronized', 'trait', 'this',
  'threadsafe', 'throw', 'throws', 'transient', 'true', 'try', 'void', 'volatile', 'while',
]);

/** Operators and punctuation, longest first within each leading character. */
export const OPERATORS: readonly string[] = [
  '>>>=', '>>>', '>>=', '>>', '>=', '>',
  '<<=', '<<', '<=>', '<=', '<',
  '==~', '===', '==', '=~', '=',
  '!==', '!=', '!',
  '..<', '...', '..', '.&', '.',
  '*.', '**=', '**', '*=', '*',
  '?.', '?:', '?',
  '->', '--', '-=', '-',
  '++', '+=', '+',
  '%=', '%', '^=', '^', '|=', '||', '|', '&=', '&&', '&', '~',
  '(', ')', '[', ']', '{', '}', ':', ',', ';', '@',
];

const OPERATORS_BY_FIRST_CHAR = new Map<string, string[]>();
for (const op of OPERATORS) OPERATORS_BY_FIRST_CHAR.set(op[0]!, [...(OPERATORS_BY_FIRST_CHAR.get(op[0]!) ?? []), op]);

// String-constructor states, as in GroovyLexer.
const SCS_TYPE = 3;
const SCS_VAL = 4;
const SCS_LIT = 8;
const SCS_LIMIT = 16;
const SCS_SQ_TYPE = 0;
const SCS_TQ_TYPE = 1;
const SCS_RE_TYPE = 2;
const SCS_DRE_TYPE = 3;

const isLetter = (c: string): boolean => {
  const code = c.charCodeAt(0);
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    code === 95 ||
    (code >= 0xc0 && code <= 0xd6) ||
    (code >= 0xd8 && code <= 0xf6) ||
    (code >= 0xf8 && code <= 0xfffe)
  );
};
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHexDigit = (c: string): boolean => /^[0-9A-Fa-f]$/.test(c);
/** Java's Character.isJavaIdentifierStart, close enough for the dollar-escape check. */
const isJavaIdentifierStart = (c: string): boolean =>
  c !== EOF_CHAR && (c === '$' || c === '_' || /\p{L}|\p{Nl}|\p{Sc}|\p{Pc}/u.test(c));

/** What the lexer produced: tokens (ending with EOF or ERROR+EOF) and the comments it skipped. */
export interface LexResult {
  tokens: Token[];
  comments: CommentSpan[];
}

/** Tokenizes a whole source. Lexer errors become an ERROR token at the point they occur. */
export function lexGroovy(source: SourceText): LexResult {
  const lexer = new GroovyLexer(source);
  return lexer.run();
}

class GroovyLexer {
  private readonly src: SourceText;
  private readonly chars: string;
  private pos = 0;
  private readonly tokens: Token[] = [];
  private readonly comments: CommentSpan[] = [];
  private parenLevel = 0;
  private readonly parenLevelStack: number[] = [];
  private stringCtorState = 0;
  private suppressNewline = 0;
  private lastSig: string = 'EOF';

  constructor(src: SourceText) {
    this.src = src;
    this.chars = src.chars;
  }

  run(): LexResult {
    try {
      for (;;) {
        const token = this.next();
        this.tokens.push(token);
        if (token.type === 'EOF') break;
      }
    } catch (error) {
      if (!(error instanceof GroovySyntaxError)) throw error;
      this.tokens.push({ type: 'ERROR', text: '', start: error.index, end: error.index, error });
      this.tokens.push({ type: 'EOF', text: '', start: error.index, end: error.index });
    }
    return { tokens: this.tokens, comments: this.comments };
  }

  // ---------------------------------------------------------------- character access

  /** Character `k` ahead (1-based, like antlr's LA); EOF_CHAR past the end. */
  private la(k = 1): string {
    const i = this.pos + k - 1;
    const escape = this.src.escapeError;
    if (escape && i >= escape.at) {
      throw new GroovySyntaxError('Did not find four digit hex character code', escape.at, escape.originalOffset);
    }
    return i < this.chars.length ? this.chars[i]! : EOF_CHAR;
  }

  /**
   * Where a run of characters a single-quoted string holds as they are ends, from `from`: at the
   * first quote, backslash, line break, end of input (U+FFFF included) or malformed unicode escape.
   */
  private plainRunEnd(from: number): number {
    const limit = Math.min(this.chars.length, this.src.escapeError?.at ?? Number.POSITIVE_INFINITY);
    let end = from;
    for (; end < limit; end++) {
      const c = this.chars[end];
      if (c === "'" || c === '\\' || c === '\n' || c === '\r' || c === EOF_CHAR) break;
    }
    return end;
  }

  private error(message: string, index = this.pos): never {
    throw new GroovySyntaxError(message, index);
  }

  private describeChar(c: string): string {
    if (c === EOF_CHAR) return '0xFFFF';
    if (c === '\n') return "'\\n'";
    if (c === '\r') return "'\\r'";
    return `'${c}'`;
  }

  private atNewline(): boolean {
    const c = this.la();
    return c === '\n' || c === '\r';
  }

  /** ONE_NL: consumes one newline (CRLF, CR or LF); `check` applies the newline-in-string rule. */
  private oneNewline(check: boolean): void {
    const at = this.pos;
    if (this.la() === '\r' && this.la(2) === '\n') this.pos += 2;
    else this.pos += 1;
    if (check && this.suppressNewline > 0) {
      this.suppressNewline = 0;
      this.error(`end of line reached within a simple string 'x' or "x" or /x/`, at);
    }
  }

  // ---------------------------------------------------------------- tokens

  private make(type: TokenType, start: number, extra?: Partial<Token>): Token {
    const token: Token = { type, text: this.chars.slice(start, this.pos), start, end: this.pos, ...extra };
    return token;
  }

  private emit(token: Token): Token {
    this.lastSig = token.type;
    return token;
  }

  private allowRegexpLiteral(): boolean {
    return !EXPRESSION_ENDING.has(this.lastSig);
  }

  private pushParenLevel(): void {
    this.parenLevelStack.push(this.parenLevel * SCS_LIMIT + this.stringCtorState);
    this.parenLevel = 0;
    this.stringCtorState = 0;
  }

  private popParenLevel(): void {
    const saved = this.parenLevelStack.pop();
    if (saved === undefined) return;
    this.parenLevel = Math.floor(saved / SCS_LIMIT);
    this.stringCtorState = saved % SCS_LIMIT;
  }

  private restartStringCtor(expectLiteral: boolean): void {
    if (this.stringCtorState !== 0) {
      this.stringCtorState = (expectLiteral ? SCS_LIT : SCS_VAL) + (this.stringCtorState & SCS_TYPE);
    }
  }

  private next(): Token {
    if (this.stringCtorState >= SCS_LIT) {
      const quoteType = this.stringCtorState & SCS_TYPE;
      this.stringCtorState = 0;
      const start = this.pos;
      let token: Token;
      if (quoteType === SCS_SQ_TYPE) token = this.stringCtorEnd(start, false, false);
      else if (quoteType === SCS_TQ_TYPE) token = this.stringCtorEnd(start, false, true);
      else if (quoteType === SCS_RE_TYPE) token = this.regexpCtorEnd(start, false);
      else token = this.dollarRegexpCtorEnd(start, false);
      return this.emit(token);
    }
    for (;;) {
      this.skipWhitespace();
      const start = this.pos;
      const c = this.la();
      if (c === EOF_CHAR) return { type: 'EOF', text: '', start, end: start };
      if (c === '\n' || c === '\r') {
        if (this.newlines()) return this.emit(this.make('NLS', start));
        continue;
      }
      if (c === '/' && this.la(2) === '/') {
        this.singleLineComment();
        continue;
      }
      if (c === '/' && this.la(2) === '*') {
        this.multiLineComment();
        continue;
      }
      if (c === '#' && this.la(2) === '!' && start === 0) {
        this.singleLineComment();
        continue;
      }
      return this.emit(this.token(start, c));
    }
  }

  private skipWhitespace(): void {
    for (;;) {
      const c = this.la();
      if (c === ' ' || c === '\t' || c === '\f') this.pos++;
      else if (c === '\\' && (this.la(2) === '\n' || this.la(2) === '\r')) {
        this.pos++;
        this.oneNewline(false);
      } else return;
    }
  }

  /** NLS: a newline plus any following newlines, whitespace and comments. True if significant. */
  private newlines(): boolean {
    this.oneNewline(true);
    for (;;) {
      const c = this.la();
      if (c === '\n' || c === '\r') this.oneNewline(true);
      else if (c === ' ' || c === '\t' || c === '\f' || (c === '\\' && (this.la(2) === '\n' || this.la(2) === '\r')))
        this.skipWhitespace();
      else if (c === '/' && this.la(2) === '/') this.singleLineComment();
      else if (c === '/' && this.la(2) === '*') this.multiLineComment();
      else break;
    }
    return this.parenLevel === 0;
  }

  private singleLineComment(): void {
    const start = this.pos;
    this.pos += 2;
    for (;;) {
      const c = this.la();
      if (c === '\n' || c === '\r' || c === EOF_CHAR) break;
      this.pos++;
    }
    this.comments.push({ start, end: this.pos, text: this.chars.slice(start, this.pos) });
  }

  private multiLineComment(): void {
    const start = this.pos;
    this.pos += 2;
    for (;;) {
      const c = this.la();
      if (c === '*' && this.la(2) === '/') {
        this.pos += 2;
        break;
      }
      if (c === '\n' || c === '\r') this.oneNewline(true);
      else if (c === EOF_CHAR) this.error("expecting '*', found '<EOF>'");
      else this.pos++;
    }
    this.comments.push({ start, end: this.pos, text: this.chars.slice(start, this.pos) });
  }

  private token(start: number, c: string): Token {
    if (c === "'" || c === '"') return this.stringLiteral(start);
    if (c === '/') {
      if (this.allowRegexpLiteral()) return this.regexpLiteral(start);
      if (this.la(2) === '=') {
        this.pos += 2;
        return this.make('/=', start);
      }
      this.pos++;
      return this.make('/', start);
    }
    if (c === '$' && this.la(2) === '/' && this.allowRegexpLiteral()) return this.dollarRegexpLiteral(start);
    if (isDigit(c)) return this.number(start);
    if (isLetter(c) || (c === '$' && this.stringCtorState === 0)) return this.identifier(start);
    for (const op of OPERATORS_BY_FIRST_CHAR.get(c) ?? []) {
      let matches = true;
      for (let k = 1; k < op.length; k++) {
        if (this.la(k + 1) !== op[k]) {
          matches = false;
          break;
        }
      }
      if (!matches) continue;
      this.pos += op.length;
      if (op === '(' || op === '[') this.parenLevel++;
      else if (op === ')' || op === ']') this.parenLevel--;
      else if (op === '{') this.pushParenLevel();
      else if (op === '}') {
        this.popParenLevel();
        if (this.stringCtorState !== 0) this.restartStringCtor(true);
      }
      return this.make(op, start);
    }
    this.error(`unexpected char: ${this.describeChar(c)}`);
  }

  private identifier(start: number): Token {
    const inGString = this.stringCtorState !== 0;
    this.pos++;
    for (;;) {
      const c = this.la();
      if (isLetter(c) || isDigit(c) || (!inGString && c === '$')) this.pos++;
      else break;
    }
    const text = this.chars.slice(start, this.pos);
    if (inGString) {
      if (this.la() === '.' && this.la(2) !== '$' && isJavaIdentifierStart(this.la(2))) this.restartStringCtor(false);
      else this.restartStringCtor(true);
    }
    let type: TokenType = KEYWORDS.has(text) ? text : 'IDENT';
    // Java has no keywords `as`, `in` or `def`: allowed in package names.
    if ((type === 'as' || type === 'def' || type === 'in') && (this.la() === '.' || this.lastSig === '.' || this.lastSig === 'package')) {
      type = 'IDENT';
    }
    if (type === 'static' && this.la() === '.') type = 'IDENT';
    return this.make(type, start);
  }

  private number(start: number): Token {
    let isDecimal = false;
    const digitsWithUnderscore = (): void => {
      // DIGIT ((DIGIT|'_')* DIGIT)?
      this.pos++;
      let end = this.pos;
      while (isDigit(this.la()) || this.la() === '_') {
        this.pos++;
        if (isDigit(this.chars[this.pos - 1]!)) end = this.pos;
      }
      this.pos = end;
    };
    const c = this.la();
    if (c === '0') {
      isDecimal = true;
      this.pos++;
      const d = this.la();
      if (d === 'x' || d === 'X') {
        isDecimal = false;
        this.pos++;
        if (!isHexDigit(this.la())) this.error(`unexpected char: ${this.describeChar(this.la())}`);
        let end = this.pos + 1;
        this.pos++;
        while (isHexDigit(this.la()) || this.la() === '_') {
          this.pos++;
          if (isHexDigit(this.chars[this.pos - 1]!)) end = this.pos;
        }
        this.pos = end;
      } else if ((d === 'b' || d === 'B') && (this.la(2) === '0' || this.la(2) === '1')) {
        isDecimal = false;
        this.pos += 2;
        let end = this.pos;
        while (this.la() === '0' || this.la() === '1' || this.la() === '_') {
          this.pos++;
          if (this.chars[this.pos - 1] !== '_') end = this.pos;
        }
        this.pos = end;
      } else if (isDigit(d)) {
        // A float with a leading zero, or an octal number.
        const save = this.pos;
        digitsWithUnderscore();
        const e = this.la();
        const isFloat =
          (e === '.' && isDigit(this.la(2))) || e === 'e' || e === 'E' || e === 'f' || e === 'F' || e === 'd' || e === 'D';
        if (!isFloat) {
          this.pos = save;
          if (d >= '0' && d <= '7') {
            isDecimal = false;
            let end = this.pos + 1;
            this.pos++;
            while ((this.la() >= '0' && this.la() <= '7') || this.la() === '_') {
              this.pos++;
              if (this.chars[this.pos - 1] !== '_') end = this.pos;
            }
            this.pos = end;
          }
        }
      }
    } else {
      isDecimal = true;
      digitsWithUnderscore();
    }
    const s = this.la();
    if (s === 'l' || s === 'L' || s === 'i' || s === 'I' || s === 'g' || s === 'G') {
      this.pos++;
    } else if (isDecimal && ((s === '.' && isDigit(this.la(2))) || 'eEfFdD'.includes(s))) {
      if (s === '.') {
        this.pos++;
        digitsWithUnderscore();
        if (this.la() === 'e' || this.la() === 'E') this.exponent();
        if ('fFdDgG'.includes(this.la())) this.pos++;
      } else if (s === 'e' || s === 'E') {
        this.exponent();
        if ('fFdDgG'.includes(this.la())) this.pos++;
      } else {
        this.pos++;
      }
    }
    return this.make('NUM', start);
  }

  private exponent(): void {
    this.pos++;
    if (this.la() === '+' || this.la() === '-') this.pos++;
    // ('0'..'9'|'_')* ('0'..'9'): at least one digit, ending with a digit.
    let lastDigitEnd = -1;
    while (isDigit(this.la()) || this.la() === '_') {
      this.pos++;
      if (isDigit(this.chars[this.pos - 1]!)) lastDigitEnd = this.pos;
    }
    if (lastDigitEnd < 0) this.error(`expecting token in range: '0'..'9', found ${this.describeChar(this.la())}`);
    this.pos = lastDigitEnd;
  }

  // ---------------------------------------------------------------- strings

  /** ESC: a backslash escape in quoted strings; returns the decoded text. */
  private escape(): string {
    const at = this.pos;
    this.pos++; // the backslash
    const c = this.la();
    switch (c) {
      case 'n':
        this.pos++;
        return '\n';
      case 'r':
        this.pos++;
        return '\r';
      case 't':
        this.pos++;
        return '\t';
      case 'b':
        this.pos++;
        return '\b';
      case 'f':
        this.pos++;
        return '\f';
      case '"':
      case "'":
      case '\\':
      case '$':
        this.pos++;
        return c;
      case '\n':
      case '\r':
        this.oneNewline(false);
        return '';
      case 'u': {
        while (this.la() === 'u') this.pos++;
        let hex = '';
        for (let k = 0; k < 4; k++) {
          const h = this.la();
          if (!isHexDigit(h)) this.error(`unexpected char: ${this.describeChar(h)}`);
          hex += h;
          this.pos++;
        }
        return String.fromCharCode(parseInt(hex, 16));
      }
    }
    if (c >= '0' && c <= '3') {
      let digits = c;
      this.pos++;
      if (this.la() >= '0' && this.la() <= '7') {
        digits += this.la();
        this.pos++;
        if (this.la() >= '0' && this.la() <= '7') {
          digits += this.la();
          this.pos++;
        }
      }
      return String.fromCharCode(parseInt(digits, 8));
    }
    if (c >= '4' && c <= '7') {
      let digits = c;
      this.pos++;
      if (this.la() >= '0' && this.la() <= '7') {
        digits += this.la();
        this.pos++;
      }
      return String.fromCharCode(parseInt(digits, 8));
    }
    this.error(`unexpected char: '\\'`, at);
  }

  private stringLiteral(start: number): Token {
    if (this.la() === "'") {
      if (this.la(2) === "'" && this.la(3) === "'") {
        this.pos += 3;
        let value = '';
        for (;;) {
          const c = this.la();
          if (c === "'") {
            if (this.la(2) !== "'" || (this.la(2) === "'" && this.la(3) !== "'")) {
              // One or two quotes that do not close the string.
              if (this.la(2) === "'") {
                value += "''";
                this.pos += 2;
              } else {
                value += "'";
                this.pos++;
              }
              continue;
            }
            this.pos += 3;
            return this.make('STRING', start, { value, stringKind: 'tripleSingle' });
          }
          if (c === '\\') value += this.escape();
          else if (c === '\n' || c === '\r') {
            this.oneNewline(false);
            value += '\n';
          } else if (c === EOF_CHAR) this.error("expecting ''', found '<EOF>'");
          else {
            value += c;
            this.pos++;
          }
        }
      }
      // antlr2's lookahead rejects a quote followed directly by a line end before entering the rule.
      const next = this.la(2);
      if (next === '\n' || next === '\r' || next === EOF_CHAR) this.error("unexpected char: '''");
      this.pos++;
      this.suppressNewline++;
      let value = '';
      for (;;) {
        const c = this.la();
        if (c === "'") {
          this.pos++;
          this.suppressNewline--;
          return this.make('STRING', start, { value, stringKind: 'single' });
        }
        if (c === '\\') value += this.escape();
        else if (c === '\n' || c === '\r') this.error(`expecting ''', found '\\n'`);
        else if (c === EOF_CHAR) this.error("expecting ''', found '<EOF>'");
        else {
          // The run of plain characters from here, copied at once (what `la` would read one by one).
          const end = this.plainRunEnd(this.pos + 1);
          value += this.chars.slice(this.pos, end);
          this.pos = end;
        }
      }
    }
    if (this.la(2) === '"' && this.la(3) === '"') {
      this.pos += 3;
      return this.stringCtorEnd(start, true, true);
    }
    if (this.la(2) === EOF_CHAR) this.error(`unexpected char: '"'`);
    this.pos++;
    this.suppressNewline++;
    return this.stringCtorEnd(start, true, false);
  }

  /** True at `$` that starts an interpolation: `${` or `$name` (atValidDollarEscape). */
  private atValidDollarEscape(): boolean {
    if (this.la() !== '$') return false;
    let k = 2;
    let c = this.la(k++);
    if (c === '*') c = this.la(k++);
    return c === '{' || (c !== '$' && isJavaIdentifierStart(c));
  }

  /** STRING_CTOR_END: the rest of a double-quoted string (or GString fragment). */
  private stringCtorEnd(start: number, fromStart: boolean, tripleQuote: boolean): Token {
    let value = '';
    const kind: StringKind = tripleQuote ? 'tripleDouble' : 'double';
    for (;;) {
      const c = this.la();
      if (c === '"') {
        if (tripleQuote) {
          if (this.la(2) === '"' && this.la(3) === '"') {
            this.pos += 3;
            return this.make(fromStart ? 'STRING' : 'GSTRING_END', start, { value, stringKind: kind });
          }
          // One or two quotes that do not close the string.
          value += '"';
          this.pos++;
          continue;
        }
        this.pos++;
        this.suppressNewline--;
        return this.make(fromStart ? 'STRING' : 'GSTRING_END', start, { value, stringKind: kind });
      }
      if (c === '$') {
        if (!this.atValidDollarEscape()) this.error('illegal string body character after dollar sign');
        this.pos++;
        this.stringCtorState = SCS_VAL + (tripleQuote ? SCS_TQ_TYPE : SCS_SQ_TYPE);
        return this.make(fromStart ? 'GSTRING_START' : 'GSTRING_MIDDLE', start, { value, stringKind: kind });
      }
      if (c === '\\') value += this.escape();
      else if (c === '\n' || c === '\r') {
        if (!tripleQuote) this.error(`expecting anything but ''\\n''; got it anyway`);
        this.oneNewline(false);
        value += '\n';
      } else if (c === EOF_CHAR) this.error(tripleQuote ? `expecting '"""', found '<EOF>'` : 'unexpected char: 0xFFFF');
      else {
        value += c;
        this.pos++;
      }
    }
  }

  /** REGEXP_SYMBOL (one character, plus any following stars); returns its decoded text. */
  private regexpSymbol(): string {
    const c = this.la();
    let text: string;
    if (c === '\\') {
      const d = this.la(2);
      if (d === '/') {
        this.pos += 2;
        text = '/';
      } else if (d === '\n' || d === '\r') {
        this.pos++;
        this.oneNewline(false);
        text = '';
      } else {
        this.pos++;
        text = '\\';
      }
    } else if (c === '\n' || c === '\r') {
      this.oneNewline(false);
      text = '\n';
    } else {
      this.pos++;
      text = c;
    }
    while (this.la() === '*') {
      this.pos++;
      text += '*';
    }
    return text;
  }

  private isRegexpSymbolStart(c: string): boolean {
    return c !== '*' && c !== '/' && c !== '$' && c !== EOF_CHAR;
  }

  private regexpLiteral(start: number): Token {
    this.pos++; // '/'
    this.suppressNewline++;
    const c = this.la();
    if (this.isRegexpSymbolStart(c)) {
      const first = this.regexpSymbol();
      return this.regexpCtorEnd(start, true, first);
    }
    if (c === '$') {
      if (!this.atValidDollarEscape()) {
        this.pos++;
        return this.regexpCtorEnd(start, true, '$');
      }
      this.pos++;
      this.stringCtorState = SCS_VAL + SCS_RE_TYPE;
      return this.make('GSTRING_START', start, { value: '', stringKind: 'slashy' });
    }
    this.error(`unexpected char: ${this.describeChar(c)}`);
  }

  private regexpCtorEnd(start: number, fromStart: boolean, prefix = ''): Token {
    let value = prefix;
    for (;;) {
      const c = this.la();
      if (this.isRegexpSymbolStart(c)) value += this.regexpSymbol();
      else if (c === '$' && !this.atValidDollarEscape()) {
        this.pos++;
        value += '$';
      } else break;
    }
    const c = this.la();
    if (c === '/') {
      this.pos++;
      this.suppressNewline--;
      return this.make(fromStart ? 'STRING' : 'GSTRING_END', start, { value, stringKind: 'slashy' });
    }
    if (c === '$') {
      this.pos++;
      this.stringCtorState = SCS_VAL + SCS_RE_TYPE;
      return this.make(fromStart ? 'GSTRING_START' : 'GSTRING_MIDDLE', start, { value, stringKind: 'slashy' });
    }
    this.error(`unexpected char: ${this.describeChar(c)}`);
  }

  /** DOLLAR_REGEXP_SYMBOL; returns its decoded text, or undefined if none starts here. */
  private dollarRegexpSymbol(): string | undefined {
    const c = this.la();
    if (c === '$' || c === EOF_CHAR) return undefined;
    if (c === '\\') {
      const d = this.la(2);
      if (d === '\n' || d === '\r') {
        this.pos++;
        this.oneNewline(false);
        return '';
      }
      this.pos++;
      return '\\';
    }
    if (c === '/') {
      if (this.la(2) === '$') return undefined;
      this.pos++;
      return '/';
    }
    if (c === '\n' || c === '\r') {
      this.oneNewline(false);
      return '\n';
    }
    this.pos++;
    return c;
  }

  private dollarRegexpLiteral(start: number): Token {
    this.pos += 2; // '$/'
    const c = this.la();
    let first: string | undefined;
    if (c !== '$') first = this.dollarRegexpSymbol();
    if (first !== undefined) return this.dollarRegexpCtorEnd(start, true, first);
    if (c === '$') {
      if (!this.atValidDollarEscape()) {
        this.pos++;
        return this.dollarRegexpCtorEnd(start, true, '$');
      }
      this.pos++;
      this.stringCtorState = SCS_VAL + SCS_DRE_TYPE;
      return this.make('GSTRING_START', start, { value: '', stringKind: 'dollarSlashy' });
    }
    this.error(`unexpected char: ${this.describeChar(this.la())}`);
  }

  private dollarRegexpCtorEnd(start: number, fromStart: boolean, prefix = ''): Token {
    let value = prefix;
    for (;;) {
      const c = this.la();
      if (c === '/' && this.la(2) === '$') {
        this.pos += 2;
        return this.make(fromStart ? 'STRING' : 'GSTRING_END', start, { value, stringKind: 'dollarSlashy' });
      }
      if (c === '$') {
        if (this.la(2) === '/') {
          this.pos += 2;
          value += '/';
        } else if (this.la(2) === '$') {
          this.pos += 2;
          value += '$';
        } else if (!this.atValidDollarEscape()) {
          this.pos++;
          value += '$';
        } else {
          this.pos++;
          this.stringCtorState = SCS_VAL + SCS_DRE_TYPE;
          return this.make(fromStart ? 'GSTRING_START' : 'GSTRING_MIDDLE', start, { value, stringKind: 'dollarSlashy' });
        }
        continue;
      }
      const symbol = this.dollarRegexpSymbol();
      if (symbol === undefined) this.error(`unexpected char: ${this.describeChar(this.la())}`);
      value += symbol;
    }
  }
}
