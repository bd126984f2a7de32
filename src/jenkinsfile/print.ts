/**
 * The Jenkinsfile printer: one deterministic pass over the AST (src/jenkinsfile/ast.ts), in the
 * spirit of Prettier: two-space indent, LF line endings, a final newline, no trailing spaces
 * (verbatim user Groovy excepted). All string literals come from groovy-literal.ts.
 *
 * Layout rules:
 * - Zero-argument calls always print `()` (`buildingTag()`): the declarative parser rejects a
 *   bare name.
 * - A call with a block prints `name(args) {` … `}` (`name {` without arguments; `name { }` for an
 *   empty block).
 * - A statement call without a block prints command style (`sh 'x'`, `agent any`,
 *   `junit testResults: 'a', allowEmptyResults: true`) when Groovy 2.4 reads that unambiguously,
 *   otherwise with parentheses: when it mixes positional and named arguments, when a named key
 *   needs quotes, or when the first positional argument is a list or map (`foo [1]` would be an
 *   index), a negative number (`foo -1` is a subtraction), or verbatim Groovy not starting with
 *   `"`; and when the name starts with a capital letter (`GenericTrigger token: 'x'` declares a
 *   variable of that type in Groovy 2.4).
 * - A String containing a line feed that is a direct argument (positional or named) of a
 *   statement call without a block prints as a `'''\` multi-line literal (readable `sh`
 *   scripts); every other String prints as a single-line `'…'` literal.
 * - `script { }` / `expression { }` bodies are re-indented line by line (groovy-block.ts): line
 *   endings become LF, leading and trailing blank lines go, the common leading whitespace is
 *   stripped and the relative indentation kept; whitespace-only lines print empty. Lines that
 *   start inside a multi-line string literal are printed exactly as written, unindented, so every
 *   string value in the body stays the same.
 * - The prologue and epilogue are printed verbatim (line endings normalised to LF) before and
 *   after the pipeline block; include blank lines in them if you want separation.
 */
import type {
  Arguments,
  CallStatement,
  Expression,
  GroovyBlock,
  JenkinsfileAst,
  MapEntry,
  Statement,
} from './ast.ts';
import {
  StringConstantTooLongError,
  UnrepresentableStringError,
  appendGroovyStringLiteral,
  groovyKeyLiteral,
  groovyMultilineStringLiteral,
  isGroovyIdentifier,
} from './groovy-literal.ts';
import { groovyBlockLines } from './groovy-block.ts';

/** Model path of the pipeline value a node was lowered from. */
export type Origin = readonly (string | number)[];

export interface PrintedJenkinsfile {
  /** The Jenkinsfile text: LF line endings, ending with a newline. */
  text: string;
  /**
   * `lineOrigins[i]` is the origin of the innermost node with an origin that produced line i+1
   * (deepest in the AST; the first one on the line when several are equally deep), or
   * `undefined` for lines no such node produced (prologue, epilogue, nodes without origins).
   */
  lineOrigins: (Origin | undefined)[];
}

/** Thrown for an AST the printer cannot turn into valid Groovy (a bug in whoever built it). */
export class JenkinsfilePrintError extends Error {
  /** Origin of the nearest node with one, when known. */
  readonly origin?: Origin;

  constructor(message: string, origin: Origin | undefined) {
    super(message);
    this.name = 'JenkinsfilePrintError';
    if (origin !== undefined) this.origin = origin;
  }
}

const INDENT = '  ';

/** `INDENT.repeat(n)` by level: a table, extended when a deeper level first occurs. */
const indents: string[] = Array.from({ length: 16 }, (_, level) => INDENT.repeat(level));
function indentation(level: number): string {
  for (let n = indents.length; n <= level; n++) indents.push(indents[n - 1] + INDENT);
  return indents[level]!;
}

const LF = 0x0a;

/** `}` + LF at an indent, by level. */
const closingLines: string[] = [];
function closingLine(level: number): string {
  return closingLines[level] ?? (closingLines[level] = `${indentation(level)}}\n`);
}

/**
 * Starts of statement lines made of an indent, a call name and a constant ending (`steps {` + LF,
 * `timestamps()` + LF, `sh `, `stage(`), by level and name: a fleet prints the same few names at
 * the same levels over and over, and one piece joins faster than three. Each table is keyed by
 * the exact name at one level and holds one ending. Bounded: only short names, and past the
 * limit a level's new pieces are built each time.
 */
const blockOpenings: Map<string, string>[] = [];
const bareCalls: Map<string, string>[] = [];
const commandStarts: Map<string, string>[] = [];
const parenthesisStarts: Map<string, string>[] = [];
const REMEMBERED_PIECES_PER_LEVEL = 1024;
const REMEMBERED_NAME_LENGTH = 64;

function rememberedPiece(pieces: Map<string, string>[], level: number, name: string, ending: string): string {
  const atLevel = pieces[level] ?? (pieces[level] = new Map());
  let piece = atLevel.get(name);
  if (piece === undefined) {
    piece = indentation(level) + name + ending;
    if (atLevel.size < REMEMBERED_PIECES_PER_LEVEL && name.length <= REMEMBERED_NAME_LENGTH) atLevel.set(name, piece);
  }
  return piece;
}

/**
 * `key: ` and `, key: ` of named arguments and map entries, by exact key (the few keys of the
 * step vocabulary recur in every pipeline). Bounded like the line starts. Only pieces of keys
 * that groovy-literal.ts accepted are kept: a refused key throws each time, as before.
 */
const firstKeyPieces = new Map<string, string>();
const laterKeyPieces = new Map<string, string>();
const REMEMBERED_KEYS = 4096;

function keyPiece(key: string, afterAnother: boolean, origin: Origin | undefined): string {
  const pieces = afterAnother ? laterKeyPieces : firstKeyPieces;
  let piece = pieces.get(key);
  if (piece === undefined) {
    const keyLiteral = literal(groovyKeyLiteral, key, origin);
    piece = afterAnother ? `, ${keyLiteral}: ` : `${keyLiteral}: `;
    if (pieces.size < REMEMBERED_KEYS && key.length <= REMEMBERED_NAME_LENGTH) pieces.set(key, piece);
  }
  return piece;
}

/** Number of LFs in `text`. */
function countLineBreaks(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

/**
 * LF counts of recent long multi-line pieces, by exact text. A fleet prints the same kilobytes of
 * scripts in every pipeline, and the escaper hands back the same literal string for the same
 * value (groovy-literal.ts): a lookup of a string whose hash V8 already keeps costs less than
 * walking its lines again. Bounded by characters; the oldest entries go first.
 */
const rememberedLineBreaks = new Map<string, number>();
let rememberedChars = 0;
const REMEMBERED_MIN_LENGTH = 256;
const REMEMBERED_CHARS_LIMIT = 4_000_000;

function lineBreaksOf(text: string): number {
  if (text.length < REMEMBERED_MIN_LENGTH) return countLineBreaks(text);
  let count = rememberedLineBreaks.get(text);
  if (count === undefined) {
    count = countLineBreaks(text);
    rememberedChars += text.length;
    for (const old of rememberedLineBreaks.keys()) {
      if (rememberedChars <= REMEMBERED_CHARS_LIMIT) break;
      rememberedLineBreaks.delete(old);
      rememberedChars -= old.length;
    }
    rememberedLineBreaks.set(text, count);
  }
  return count;
}

/** Groovy treats CRLF and lone CR as line breaks too; the output uses LF only. */
function normalizeLineEndings(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/**
 * Prints a Jenkinsfile AST as Groovy source. Deterministic: the same AST always gives the same
 * bytes.
 *
 * @throws UnrepresentableStringError (with `origin` set when known) for a string containing U+FFFF.
 * @throws StringConstantTooLongError (with `origin` set when known) for a string longer than a
 *   class file's string constant can be (Jenkins would fail at class generation).
 * @throws JenkinsfilePrintError for names that are not Groovy identifiers, duplicate named
 *   arguments (a Groovy parse error), or a comment that could end or escape its line.
 */
export function printJenkinsfile(ast: JenkinsfileAst): PrintedJenkinsfile {
  const printer = new Printer();
  if (ast.prologue) printer.verbatim(ast.prologue);
  printer.statement(ast.pipeline, 0, undefined, -1, 0);
  if (ast.epilogue) printer.verbatim(ast.epilogue);
  return { text: printer.parts.join(''), lineOrigins: printer.origins };
}

/**
 * Writes the output as a list of pieces joined once at the end (no string is built per line or
 * per literal: concatenations made trees of strings that the join then had to flatten), and
 * credits each physical line to a node as it ends. A logical line starts at an indent with
 * `startLine` (or with a first piece that has the indentation, `startLineWith`), takes pieces of
 * text with `put`, and ends with `endLine` (or a last piece with the LF, `endLineWith`); a line
 * that is one constant piece is written with `wholeLine`. A piece containing LF
 * continues on following physical lines without indentation (its text is exact, e.g. a
 * multi-line literal). Each physical line is credited to the deepest attributed piece with text
 * on it (the first among equally deep ones; an empty line inside a piece counts as text), else
 * to the logical line's owner (the statement that printed it).
 *
 * A piece is credited to the nearest node with an origin: the methods take that `origin` and the
 * depth of its node (`originDepth`, -1 for none) as two arguments, not as an object per node (a
 * fleet prints hundreds of thousands of nodes; those objects were much of the printer's garbage).
 *
 * Every logical line starts with text on its first physical line (a name, a keyword, `}`, `//`),
 * except the empty lines of a script body, which `line` writes without indentation: so the
 * indentation is written when the line starts, as the old printer wrote it for a line whose first
 * physical line was not empty.
 */
class Printer {
  /** The output, in pieces. */
  readonly parts: string[] = [];
  /** One entry per physical line. */
  readonly origins: (Origin | undefined)[] = [];
  /** Origin of the statement printing the current logical line: the fallback credit of its lines. */
  private owner: Origin | undefined = undefined;
  /** Origin of the deepest attributed piece with text on the current physical line, and its depth (-1: none yet). */
  private creditOrigin: Origin | undefined = undefined;
  private creditDepth = -1;

  /** Verbatim Groovy lines, credited to no node. */
  verbatim(text: string): void {
    const normalized = normalizeLineEndings(text);
    this.parts.push(normalized);
    let lines = countLineBreaks(normalized);
    if (!normalized.endsWith('\n')) {
      this.parts.push('\n');
      lines++;
    }
    this.creditLines(undefined, lines);
  }

  /** Credits the next `count` physical lines to `origin`. */
  private creditLines(origin: Origin | undefined, count: number): void {
    // Pushed one by one: growing the array by setting its length can turn it into a dictionary.
    const origins = this.origins;
    for (let n = count; n > 0; n--) origins.push(origin);
  }

  /** Starts a logical line printed by a statement credited to `owner`: its first piece has text. */
  private startLine(indent: number, owner: Origin | undefined): void {
    if (indent > 0) this.parts.push(indentation(indent));
    this.owner = owner;
  }

  /** Starts a logical line with its first piece, `text` (not empty, no LF), which has the indentation. */
  private startLineWith(text: string, origin: Origin | undefined, originDepth: number): void {
    this.parts.push(text);
    this.owner = origin;
    this.creditOrigin = origin;
    this.creditDepth = origin !== undefined ? originDepth : -1;
  }

  /** Appends a piece that contains no LF (most pieces: names, punctuation, one-line literals). */
  private putLine(text: string, origin: Origin | undefined, originDepth: number): void {
    this.parts.push(text);
    if (origin !== undefined && originDepth > this.creditDepth && text !== '') {
      this.creditOrigin = origin;
      this.creditDepth = originDepth;
    }
  }

  /** Appends a piece that may contain LFs. */
  private put(text: string, origin: Origin | undefined, originDepth: number): void {
    const firstBreak = text.indexOf('\n');
    if (firstBreak === -1) this.putLine(text, origin, originDepth);
    else this.putLines(text, firstBreak, countLineBreaks(text), origin, originDepth);
  }

  /** Appends a multi-line literal (it always has LFs), its number of lines found among the remembered ones. */
  private putMultilineLiteral(text: string, origin: Origin | undefined, originDepth: number): void {
    this.putLines(text, text.indexOf('\n'), lineBreaksOf(text), origin, originDepth);
  }

  /** Appends a piece with `lineBreaks` LFs, the first at `firstBreak`. */
  private putLines(text: string, firstBreak: number, lineBreaks: number, origin: Origin | undefined, originDepth: number): void {
    // The piece ends the current physical line, fills whole lines (lineBreaks - 1 of them), and
    // starts the next one.
    this.parts.push(text);
    const creditsFirstLine = firstBreak > 0 && origin !== undefined && originDepth > this.creditDepth;
    this.origins.push(creditsFirstLine ? origin : (this.creditOrigin ?? this.owner));
    // Every whole line is the piece's text (an empty one counts as text).
    if (lineBreaks > 1) this.creditLines(origin ?? this.owner, lineBreaks - 1);
    const credited = text.charCodeAt(text.length - 1) !== LF && origin !== undefined;
    this.creditOrigin = credited ? origin : undefined;
    this.creditDepth = credited ? originDepth : -1;
  }

  /** Appends the single-line literal of a String (groovy-literal.ts writes it). */
  private putStringLiteral(value: string, origin: Origin | undefined, originDepth: number): void {
    try {
      appendGroovyStringLiteral(this.parts, value);
    } catch (error) {
      throw credited(error, origin);
    }
    // A literal has text: at least its quotes.
    if (origin !== undefined && originDepth > this.creditDepth) {
      this.creditOrigin = origin;
      this.creditDepth = originDepth;
    }
  }

  /** A whole line of text (ending with LF) printed by a statement credited to `origin`. */
  private wholeLine(text: string, origin: Origin | undefined): void {
    this.parts.push(text);
    this.origins.push(origin);
  }

  /** Ends the current logical line with `ending`: text (credited like a piece) and the LF, in one piece. */
  private endLineWith(ending: string, origin: Origin | undefined, originDepth: number): void {
    this.parts.push(ending);
    this.origins.push(origin !== undefined && originDepth > this.creditDepth ? origin : (this.creditOrigin ?? this.owner));
    this.creditOrigin = undefined;
    this.creditDepth = -1;
  }

  /** Ends the current logical line. */
  private endLine(): void {
    this.parts.push('\n');
    this.origins.push(this.creditOrigin ?? this.owner);
    this.creditOrigin = undefined;
    this.creditDepth = -1;
  }

  /** A whole line of one piece without LF (written without indentation when empty). */
  private line(indent: number, text: string, origin: Origin | undefined, originDepth: number): void {
    if (text === '') {
      this.owner = origin;
    } else {
      this.startLine(indent, origin);
      this.putLine(text, origin, originDepth);
    }
    this.endLine();
  }

  /**
   * @param parentOrigin origin of the nearest ancestor with one, a node at depth `parentDepth`
   *   (-1: none).
   * @param depth the node's depth in the AST.
   */
  statement(node: Statement, indent: number, parentOrigin: Origin | undefined, parentDepth: number, depth: number): void {
    const own = node.origin;
    const origin = own !== undefined ? own : parentOrigin;
    const originDepth = own !== undefined ? depth : parentDepth;
    switch (node.type) {
      case 'Call':
        this.call(node, indent, origin, originDepth, depth);
        return;
      case 'Assignment':
        requireIdentifier(node.name, 'assignment target', origin);
        this.startLine(indent, origin);
        this.putLine(node.name, origin, originDepth);
        this.putLine(' = ', origin, originDepth);
        this.expression(node.value, origin, originDepth, depth + 1, false);
        this.endLine();
        return;
      case 'GroovyBlock':
        this.groovyBlock(node, indent, origin, originDepth);
        return;
      case 'Comment':
        if (/[\r\n\uffff]|\\u/.test(node.text)) {
          throw new JenkinsfilePrintError(
            `comment ${JSON.stringify(node.text)} contains a line break, U+FFFF or a \\u escape (Groovy would translate it before lexing)`,
            origin,
          );
        }
        this.line(indent, node.text === '' ? '//' : `// ${node.text}`, origin, originDepth);
        return;
      default:
        throw new JenkinsfilePrintError(`unknown statement type ${JSON.stringify((node as { type: unknown }).type)}`, origin);
    }
  }

  private call(node: CallStatement, indent: number, origin: Origin | undefined, originDepth: number, depth: number): void {
    const name = node.name;
    requireIdentifier(name, 'call name', origin);
    const args = node.args;
    const hasArgs = args.positional.length > 0 || args.named.length > 0;
    const body = node.body;
    if (!hasArgs && body !== undefined && body.length > 0) {
      // The most common line of a Jenkinsfile: `stages {`, `steps {`, `post {`, ...
      this.wholeLine(rememberedPiece(blockOpenings, indent, name, ' {\n'), origin);
    } else if (!hasArgs && body === undefined) {
      this.wholeLine(rememberedPiece(bareCalls, indent, name, '()\n'), origin);
      return;
    } else if (body === undefined) {
      // `GenericTrigger token: 'x'` would read as a declaration of a variable of type GenericTrigger.
      if (!startsWithCapital(name) && commandStyleIsUnambiguous(args)) {
        this.startLineWith(rememberedPiece(commandStarts, indent, name, ' '), origin, originDepth);
        this.argumentList(args, origin, originDepth, depth, true);
        this.endLine();
      } else {
        this.startLineWith(rememberedPiece(parenthesisStarts, indent, name, '('), origin, originDepth);
        this.argumentList(args, origin, originDepth, depth, true);
        this.endLineWith(')\n', origin, originDepth);
      }
      return;
    } else {
      if (hasArgs) {
        this.startLineWith(rememberedPiece(parenthesisStarts, indent, name, '('), origin, originDepth);
        this.argumentList(args, origin, originDepth, depth, false);
      } else {
        this.startLineWith(indentation(indent) + name, origin, originDepth);
      }
      if (body.length === 0) {
        this.endLineWith(hasArgs ? ') { }\n' : ' { }\n', origin, originDepth);
        return;
      }
      this.endLineWith(hasArgs ? ') {\n' : ' {\n', origin, originDepth);
    }
    for (let i = 0; i < body.length; i++) this.statement(body[i]!, indent + 1, origin, originDepth, depth + 1);
    this.wholeLine(closingLine(indent), origin);
  }

  private groovyBlock(node: GroovyBlock, indent: number, origin: Origin | undefined, originDepth: number): void {
    const lines = groovyBlockLines(node.source);
    if (lines.length === 0) {
      this.line(indent, `${node.keyword} { }`, origin, originDepth);
      return;
    }
    this.line(indent, `${node.keyword} {`, origin, originDepth);
    for (const line of lines) {
      if (line.verbatim) {
        // The line continues a multi-line string literal: its text is part of the value.
        this.parts.push(line.text, '\n');
        this.origins.push(origin);
      } else {
        this.line(indent + 1, line.text, origin, originDepth);
      }
    }
    this.line(indent, '}', origin, originDepth);
  }

  /** Positional arguments, then named ones, comma separated. */
  private argumentList(args: Arguments, origin: Origin | undefined, originDepth: number, depth: number, multilineStrings: boolean): void {
    const { positional, named } = args;
    if (named.length > 1) requireDistinctKeys(named, origin);
    for (let i = 0; i < positional.length; i++) {
      if (i > 0) this.putLine(', ', origin, originDepth);
      this.expression(positional[i]!, origin, originDepth, depth + 1, multilineStrings);
    }
    for (let i = 0; i < named.length; i++) {
      this.mapEntry(named[i]!, i > 0 || positional.length > 0, origin, originDepth, depth + 1, multilineStrings);
    }
  }

  /**
   * @param afterAnother whether the entry follows another argument or entry (`, ` first). The
   *   comma is credited with the key, to the entry: the same line credit as a comma credited to
   *   the parent, which is never deeper than the entry.
   */
  private mapEntry(
    entry: MapEntry,
    afterAnother: boolean,
    parentOrigin: Origin | undefined,
    parentDepth: number,
    depth: number,
    multilineStrings: boolean,
  ): void {
    const own = entry.origin;
    const origin = own !== undefined ? own : parentOrigin;
    const originDepth = own !== undefined ? depth : parentDepth;
    this.putLine(keyPiece(entry.key, afterAnother, origin), origin, originDepth);
    this.expression(entry.value, origin, originDepth, depth + 1, multilineStrings);
  }

  /**
   * @param multilineStrings whether a String containing LF may print as a `'''` literal (only
   *   for direct arguments of a statement call without a block).
   */
  private expression(node: Expression, parentOrigin: Origin | undefined, parentDepth: number, depth: number, multilineStrings: boolean): void {
    const own = node.origin;
    const origin = own !== undefined ? own : parentOrigin;
    const originDepth = own !== undefined ? depth : parentDepth;
    switch (node.type) {
      case 'String': {
        const value = node.value;
        if (multilineStrings && value.includes('\n')) this.putMultilineLiteral(literal(groovyMultilineStringLiteral, value, origin), origin, originDepth);
        else this.putStringLiteral(value, origin, originDepth);
        return;
      }
      case 'Number':
        this.put(node.text, origin, originDepth);
        return;
      case 'Boolean':
        this.putLine(node.value ? 'true' : 'false', origin, originDepth);
        return;
      case 'Null':
        this.putLine('null', origin, originDepth);
        return;
      case 'Identifier':
        this.put(node.name, origin, originDepth);
        return;
      case 'Raw':
        this.put(normalizeLineEndings(node.source), origin, originDepth);
        return;
      case 'List': {
        const items = node.items;
        this.putLine('[', origin, originDepth);
        for (let i = 0; i < items.length; i++) {
          if (i > 0) this.putLine(', ', origin, originDepth);
          this.expression(items[i]!, origin, originDepth, depth + 1, false);
        }
        this.putLine(']', origin, originDepth);
        return;
      }
      case 'Map': {
        const entries = node.entries;
        if (entries.length === 0) {
          this.putLine('[:]', origin, originDepth);
          return;
        }
        this.putLine('[', origin, originDepth);
        for (let i = 0; i < entries.length; i++) this.mapEntry(entries[i]!, i > 0, origin, originDepth, depth + 1, false);
        this.putLine(']', origin, originDepth);
        return;
      }
      case 'CallExpression':
        requireIdentifier(node.name, 'call name', origin);
        this.putLine(node.name, origin, originDepth);
        this.putLine('(', origin, originDepth);
        this.argumentList(node.args, origin, originDepth, depth, false);
        this.putLine(')', origin, originDepth);
        return;
      default:
        throw new JenkinsfilePrintError(`unknown expression type ${JSON.stringify((node as { type: unknown }).type)}`, origin);
    }
  }
}

/** Groovy refuses `foo(a: 1, a: 2)` at parse time ("Duplicate named parameter"). */
function requireDistinctKeys(named: readonly MapEntry[], origin: Origin | undefined): void {
  // Argument lists are short: compare in place rather than build a set per call.
  for (let i = 1; i < named.length; i++) {
    const key = named[i]!.key;
    for (let j = 0; j < i; j++) {
      if (named[j]!.key === key) throw new JenkinsfilePrintError(`duplicate named argument ${JSON.stringify(key)}`, origin);
    }
  }
}

/**
 * Whether `name a, b` / `name k: v` reads in Groovy 2.4 exactly like `name(a, b)` / `name(k: v)`.
 */
function commandStyleIsUnambiguous(args: Arguments): boolean {
  if (args.positional.length > 0 && args.named.length > 0) return false;
  const first = args.positional[0];
  if (first === undefined) {
    for (const entry of args.named) if (!isGroovyIdentifier(entry.key)) return false;
    return true;
  }
  switch (first.type) {
    case 'String':
    case 'Boolean':
    case 'Null':
    case 'CallExpression':
      return true;
    case 'Number':
      return /^[0-9]/.test(first.text);
    case 'Identifier':
      return /^[A-Za-z_$]/.test(first.name);
    case 'Raw':
      return first.source.startsWith('"');
    case 'List':
    case 'Map':
      return false;
  }
}

/**
 * Runs a groovy-literal writer, crediting an UnrepresentableStringError or a
 * StringConstantTooLongError to the node's origin.
 */
function literal(write: (value: string) => string, value: string, origin: Origin | undefined): string {
  try {
    return write(value);
  } catch (error) {
    throw credited(error, origin);
  }
}

/** `error`, credited to `origin` when it is a groovy-literal refusal without one. */
function credited(error: unknown, origin: Origin | undefined): unknown {
  const refusal = error instanceof UnrepresentableStringError || error instanceof StringConstantTooLongError;
  if (refusal && error.origin === undefined && origin !== undefined) error.origin = origin;
  return error;
}

function startsWithCapital(name: string): boolean {
  const first = name.charCodeAt(0);
  return first >= 0x41 && first <= 0x5a;
}

function requireIdentifier(name: string, what: string, origin: Origin | undefined): void {
  if (!isGroovyIdentifier(name)) {
    throw new JenkinsfilePrintError(`${what} ${JSON.stringify(name)} is not a Groovy identifier`, origin);
  }
}
