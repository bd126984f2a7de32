/**
 * The ONE module that turns user text into Groovy source. Everything follows the "safe emission
 * recipe" for Jenkins' Groovy 2.4 (antlr2) parser (/work/shared/reference/jenkins-declarative.md
 * §5): only non-interpolating single-quoted literals, escaped unit by unit, pure ASCII output.
 *
 * Why pure ASCII: Jenkins reads the Jenkinsfile in the SCM's encoding, so raw non-ASCII text could
 * change meaning; `\uXXXX` escapes cannot. Why `\uXXXX` is never used for `'`, `\`, LF or CR:
 * Groovy replaces `\uXXXX` before lexing (like Java), so `\u0027` would be a raw quote.
 */

/** Thrown for text that no Groovy 2.4 string literal can hold. */
export class UnrepresentableStringError extends Error {
  /** UTF-16 index of the offending character in the value. */
  readonly index: number;
  /** The offending UTF-16 code unit. */
  readonly codeUnit: number;
  /**
   * Model path of the value, when known: the printer sets it so that callers can point at the
   * pipeline value that carried the character.
   */
  origin?: readonly (string | number)[];

  constructor(index: number, codeUnit: number) {
    super(
      `U+${hex4(codeUnit)} at index ${index} cannot be written in a Groovy 2.4 string literal ` +
        '(the antlr2 lexer reads U+FFFF as end of file, even as a \\uFFFF escape)',
    );
    this.name = 'UnrepresentableStringError';
    this.index = index;
    this.codeUnit = codeUnit;
  }
}

/**
 * The largest string constant a JVM class file holds: 65,535 bytes of modified UTF-8 (a
 * `CONSTANT_Utf8_info` has a 16-bit length). Groovy turns every string literal into such a
 * constant at class generation, the phase Jenkins runs, and fails beyond it ("String too long" /
 * "UTF8 string too large"), although the file parses. The only place that knows the limit.
 */
export const MAX_STRING_CONSTANT_BYTES = 65_535;

/**
 * Length of `value` in the JVM's modified UTF-8, unit by unit: U+0001–U+007F take 1 byte,
 * U+0000 and U+0080–U+07FF 2, every other UTF-16 unit 3 (so a supplementary character, two
 * surrogates, takes 6).
 */
export function modifiedUtf8Length(value: string): number {
  let bytes = value.length;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === 0 || unit >= 0x80) bytes += unit >= 0x800 ? 2 : 1;
  }
  return bytes;
}

/** Whether a Groovy string constant with this value fits in a class file ({@link MAX_STRING_CONSTANT_BYTES}). */
export function fitsStringConstant(value: string): boolean {
  // At most 3 bytes per unit: short strings need no count.
  if (value.length <= MAX_STRING_CONSTANT_BYTES / 3) return true;
  return value.length <= MAX_STRING_CONSTANT_BYTES && modifiedUtf8Length(value) <= MAX_STRING_CONSTANT_BYTES;
}

/** Thrown for a string too long for a class file's string constant (see {@link MAX_STRING_CONSTANT_BYTES}). */
export class StringConstantTooLongError extends Error {
  /** Length of the value in modified UTF-8. */
  readonly bytes: number;
  /** Model path of the value, when known (set by the printer, as for {@link UnrepresentableStringError}). */
  origin?: readonly (string | number)[];

  constructor(bytes: number) {
    super(stringTooLongMessage(bytes));
    this.name = 'StringConstantTooLongError';
    this.bytes = bytes;
  }
}

/** Why a string of `bytes` (modified UTF-8) cannot be in a Jenkinsfile, and what to do instead. */
export function stringTooLongMessage(bytes: number): string {
  return (
    `this string is ${bytes} bytes in UTF-8 as Java counts it, more than the ${MAX_STRING_CONSTANT_BYTES} a Groovy string ` +
    'constant can hold: Jenkins would fail to compile the Jenkinsfile ("String too long"); ' +
    'put the text in a file in the repository (e.g. a script run with sh) or split it'
  );
}

function requireFitsStringConstant(value: string): void {
  if (!fitsStringConstant(value)) throw new StringConstantTooLongError(modifiedUtf8Length(value));
}

const SPACE = 0x20;
const END_OF_FILE_FOR_ANTLR2 = 0xffff;

/** Printable ASCII except `'` and `\\`: written as is inside `'…'`. */
const NOTHING_TO_ESCAPE = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/;

function hex4(unit: number): string {
  return unit.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * How each ASCII unit is written inside `'…'`: named escapes for `\ ' LF CR TAB BS FF`, `\u00XX`
 * for other C0 controls and DEL, `undefined` for printable ASCII that needs nothing (`$` and `"`
 * included).
 */
const ASCII_ESCAPES: readonly (string | undefined)[] = Array.from({ length: 0x80 }, (_, unit) => {
  switch (unit) {
    case 0x5c:
      return '\\\\';
    case 0x27:
      return "\\'";
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    default:
      return unit >= 0x20 && unit < 0x7f ? undefined : `\\u${hex4(unit)}`;
  }
});

/** Printable ASCII (and LF): only `'`, `\\` (and a space before an LF) need escaping. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const PRINTABLE_ASCII_LINES = /^[\x20-\x7e\n]*$/;
const QUOTE_OR_BACKSLASH = /['\\]/g;
const SPACE_BEFORE_LF = / (?=\n)/g;

/** Every unit that `'…'` cannot hold as is. */
const NEEDS_ESCAPE = /[^\x20-\x26\x28-\x5b\x5d-\x7e]/g;
/** The same for `'''…'''`, where LF stays a line break but a space just before an LF is escaped. */
const NEEDS_ESCAPE_MULTILINE = /[^\x20-\x26\x28-\x5b\x5d-\x7e\n]| (?=\n)/g;

/**
 * The escape of one unit matched by {@link NEEDS_ESCAPE} or {@link NEEDS_ESCAPE_MULTILINE}: named
 * escapes for `\\ ' LF CR TAB BS FF`, `\u00XX` for other C0 controls and DEL, `\u0020` for the
 * space before an LF, `\uXXXX` for every non-ASCII unit (lone surrogates included).
 */
function escapeMatch(unit: string, index: number): string {
  const code = unit.charCodeAt(0);
  if (code < 0x80) return code === SPACE ? '\\u0020' : (ASCII_ESCAPES[code] as string);
  if (code === END_OF_FILE_FOR_ANTLR2) throw new UnrepresentableStringError(index, code);
  return `\\u${hex4(code)}`;
}

/**
 * A single-quoted, non-interpolating Groovy 2.4 literal whose value is exactly `value` (compared
 * as UTF-16 units), written in printable ASCII only.
 *
 * @throws UnrepresentableStringError if `value` contains U+FFFF.
 * @throws StringConstantTooLongError if `value` is too long for a class file (see {@link fitsStringConstant}).
 */
export function groovyStringLiteral(value: string): string {
  return `'${escapedStringBody(value)}'`;
}

/**
 * Appends {@link groovyStringLiteral}`(value)` to `out` in three pieces (quote, text, quote), for a
 * writer that joins its output once: a value with nothing to escape (most are) is appended as it
 * is, without building a string for the literal.
 *
 * @throws UnrepresentableStringError if `value` contains U+FFFF.
 * @throws StringConstantTooLongError if `value` is too long for a class file (see {@link fitsStringConstant}).
 */
export function appendGroovyStringLiteral(out: string[], value: string): void {
  out.push("'", escapedStringBody(value), "'");
}

/** What goes between the quotes of {@link groovyStringLiteral}`(value)`. */
function escapedStringBody(value: string): string {
  requireFitsStringConstant(value);
  // Most values are printable ASCII without quote or backslash: nothing to escape.
  if (NOTHING_TO_ESCAPE.test(value)) return value;
  // Otherwise the regular expression engine finds the units to escape and copies the runs between
  // them, instead of an append per unit: this is the hottest function of a large compile (#14).
  if (PRINTABLE_ASCII.test(value)) return value.replace(QUOTE_OR_BACKSLASH, '\\$&');
  return value.replace(NEEDS_ESCAPE, escapeMatch);
}

/**
 * A `'''…'''` literal whose value is exactly `value`, for readable multi-line text such as shell
 * scripts: LF stays a real line break, everything else is escaped as in {@link
 * groovyStringLiteral} (CR in particular, which Groovy would normalise to LF), every `'` is
 * escaped (so no `'''` can end the literal early, and a value ending in `'` stays exact), and a
 * space just before a line break is written `\u0020` so that no output line ends in a space.
 *
 * The literal starts with `'''\` + LF: Groovy drops a backslash-newline, so the text begins on its
 * own line without adding a character (a value that itself starts with LF stays exact).
 *
 * @throws UnrepresentableStringError if `value` contains U+FFFF.
 * @throws StringConstantTooLongError if `value` is too long for a class file (see {@link fitsStringConstant}).
 */
export function groovyMultilineStringLiteral(value: string): string {
  if (value.length < REMEMBERED_MIN_LENGTH) return multilineStringLiteral(value);
  let literal = rememberedMultilineLiterals.get(value);
  if (literal === undefined) {
    literal = multilineStringLiteral(value);
    rememberedChars += value.length + literal.length;
    for (const [oldValue, oldLiteral] of rememberedMultilineLiterals) {
      if (rememberedChars <= REMEMBERED_CHARS_LIMIT) break;
      rememberedMultilineLiterals.delete(oldValue);
      rememberedChars -= oldValue.length + oldLiteral.length;
    }
  } else {
    // Most recently used last: the least recently used goes first when the memo is full.
    rememberedMultilineLiterals.delete(value);
  }
  rememberedMultilineLiterals.set(value, literal);
  return literal;
}

/**
 * Multi-line literals of recent long values, by exact value (a Map compares keys by content). A
 * fleet prints the same generator scripts (deploys, rollbacks, scanners: kilobytes each) in every
 * pipeline and environment; a hit costs a lookup instead of an escape, and returns the same
 * string. Only literals {@link multilineStringLiteral} wrote are stored (it throws before
 * returning for a value it refuses).
 */
const rememberedMultilineLiterals = new Map<string, string>();
/** Characters of the values and literals in {@link rememberedMultilineLiterals}. */
let rememberedChars = 0;
const REMEMBERED_MIN_LENGTH = 256;
const REMEMBERED_CHARS_LIMIT = 4_000_000;

function multilineStringLiteral(value: string): string {
  requireFitsStringConstant(value);
  let body: string;
  if (PRINTABLE_ASCII_LINES.test(value)) {
    body = value.replace(QUOTE_OR_BACKSLASH, '\\$&');
    // A space before a line break is rare: look for one before running a second replace.
    if (body.includes(' \n')) body = body.replace(SPACE_BEFORE_LF, '\\u0020');
  } else {
    body = value.replace(NEEDS_ESCAPE_MULTILINE, escapeMatch);
  }
  return `'''\\\n${body}'''`;
}

/** Groovy 2.4 reserved words (plus the literals `true`, `false`, `null`): never bare names. */
const GROOVY_KEYWORDS: ReadonlySet<string> = new Set([
  'abstract', 'as', 'assert', 'boolean', 'break', 'byte', 'case', 'catch', 'char', 'class',
  'const', 'continue', 'def', 'default', 'do', 'double', 'else', 'enum', 'extends', 'false',
  'final', 'finally', 'float', 'for', 'goto', 'if', 'implements', 'import', 'in', 'instanceof',
  'int', 'interface', 'long', 'native', 'new', 'null', 'package', 'private', 'protected',
  'public', 'return', 'short', 'static', 'strictfp', 'super', 'switch', 'synchronized', 'this',
  'threadsafe', 'throw', 'throws', 'trait', 'transient', 'true', 'try', 'void', 'volatile',
  'while',
]);

const ASCII_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether `name` is a Groovy reserved word (or `true`/`false`/`null`). */
export function isGroovyKeyword(name: string): boolean {
  return GROOVY_KEYWORDS.has(name);
}

/**
 * Whether `name` can be written bare as a Groovy identifier (a variable, method or environment
 * name): ASCII letters, digits, `_` and `$`, not starting with a digit, and not a reserved word.
 * Non-ASCII letters are valid in Groovy but deliberately refused, to keep output pure ASCII.
 */
export function isGroovyIdentifier(name: string): boolean {
  if (validIdentifiers.has(name)) return true;
  const valid = ASCII_IDENTIFIER.test(name) && !GROOVY_KEYWORDS.has(name);
  if (valid && validIdentifiers.size < VALID_IDENTIFIERS_LIMIT) validIdentifiers.add(name);
  return valid;
}

/**
 * Names already found valid: the printer checks every call name and named-argument key, drawn
 * from a small vocabulary (`stage`, `steps`, `sh`, `label`, ...), and a set lookup of a name
 * costs less than running the pattern again.
 */
const validIdentifiers = new Set<string>();
const VALID_IDENTIFIERS_LIMIT = 4096;

/**
 * A map key or named-argument name: bare when it is a valid identifier (`[a: 1]`, `$class:`),
 * else a quoted literal (`['a-b': 1]`). Both forms give the same String key in Groovy.
 *
 * @throws UnrepresentableStringError if `key` contains U+FFFF.
 */
export function groovyKeyLiteral(key: string): string {
  requireFitsStringConstant(key);
  return isGroovyIdentifier(key) ? key : groovyStringLiteral(key);
}
