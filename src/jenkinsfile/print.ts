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
  groovyKeyLiteral,
  groovyMultilineStringLiteral,
  groovyStringLiteral,
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

/** `INDENT.repeat(n)`, memoised. */
const indents: string[] = [''];
function indentation(level: number): string {
  for (let n = indents.length; n <= level; n++) indents.push(indents[n - 1] + INDENT);
  return indents[level]!;
}

/** Physical lines ended by LFs inside a piece: `count` lines of `text`, credited to `origin` (else to the line's owner). */
interface EndedLines {
  text: string;
  count: number;
  origin: Origin | undefined;
}

/** Number of LFs in `text` from `start` (inclusive) to `end` (exclusive). */
function lineBreaks(text: string, start = 0, end = text.length): number {
  let count = 0;
  for (let at = text.indexOf('\n', start); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count++;
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
  // An empty last chunk gives the final LF: join returns one flat string, which the header's hash
  // and the write read as it is (appending the LF afterwards made a rope each had to flatten).
  printer.lines.push('');
  return { text: printer.lines.join('\n'), lineOrigins: printer.origins };
}

/**
 * Writes the output one logical line at a time, streaming: pieces of text are appended with
 * `put`, each credited to a node; `endLine` writes the line at an indent. A piece containing LF
 * continues on following physical lines without indentation (its text is exact, e.g. a
 * multi-line literal). Each physical line is credited to the deepest attributed piece with text
 * on it (the first among equally deep ones; an empty line inside a piece counts as text), else
 * to the line's owner.
 *
 * A piece is credited to the nearest node with an origin: the methods take that `origin` and the
 * depth of its node (`originDepth`, -1 for none) as two arguments, not as an object per node (a
 * fleet prints hundreds of thousands of nodes; those objects were much of the printer's garbage).
 */
class Printer {
  /** Output chunks, joined with LF: a chunk is one physical line, or several (with their LFs). */
  readonly lines: string[] = [];
  /** One entry per physical line. */
  readonly origins: (Origin | undefined)[] = [];
  /** Physical lines of the current logical line already ended by an LF inside a piece. */
  private done: EndedLines[] = [];
  /** Text of the current physical line. */
  private text = '';
  /** Origin of the deepest attributed piece with text on the current physical line, and its depth (-1: none yet). */
  private creditOrigin: Origin | undefined = undefined;
  private creditDepth = -1;

  /** Verbatim Groovy lines, credited to no node. */
  verbatim(text: string): void {
    const normalized = normalizeLineEndings(text);
    const lines = normalized.endsWith('\n') ? normalized.slice(0, -1) : normalized;
    this.lines.push(lines);
    for (let n = lineBreaks(lines); n >= 0; n--) this.origins.push(undefined);
  }

  /** Appends a piece that contains no LF (most pieces: names, punctuation, one-line literals). */
  private putLine(text: string, origin: Origin | undefined, originDepth: number): void {
    this.text += text;
    if (origin !== undefined && originDepth > this.creditDepth && text !== '') {
      this.creditOrigin = origin;
      this.creditDepth = originDepth;
    }
  }

  /** Appends a piece that may contain LFs. */
  private put(text: string, origin: Origin | undefined, originDepth: number): void {
    const firstBreak = text.indexOf('\n');
    if (firstBreak === -1) {
      this.putLine(text, origin, originDepth);
      return;
    }
    // The piece ends the current physical line, fills whole lines, and starts the next one: its
    // whole lines are kept as one chunk (a script of hundreds of lines is not split).
    const lastBreak = text.lastIndexOf('\n');
    this.putLine(text.slice(0, firstBreak), origin, originDepth);
    this.done.push({ text: this.text, count: 1, origin: this.creditOrigin });
    if (lastBreak > firstBreak) {
      // Every whole line is the piece's text (an empty one counts as text).
      const count = lineBreaks(text, firstBreak + 1, lastBreak) + 1;
      this.done.push({ text: text.slice(firstBreak + 1, lastBreak), count, origin });
    }
    this.text = text.slice(lastBreak + 1);
    const credited = this.text !== '' && origin !== undefined;
    this.creditOrigin = credited ? origin : undefined;
    this.creditDepth = credited ? originDepth : -1;
  }

  /** Ends the current logical line: its first physical line is indented unless empty. */
  private endLine(indent: number, ownerOrigin: Origin | undefined): void {
    let first = true;
    if (this.done.length > 0) {
      for (const ended of this.done) {
        this.lines.push(first && ended.text !== '' ? indentation(indent) + ended.text : ended.text);
        const origin = ended.origin ?? ownerOrigin;
        for (let n = ended.count; n > 0; n--) this.origins.push(origin);
        first = false;
      }
      this.done = [];
    }
    this.lines.push(first && this.text !== '' ? indentation(indent) + this.text : this.text);
    this.origins.push(this.creditOrigin ?? ownerOrigin);
    this.text = '';
    this.creditOrigin = undefined;
    this.creditDepth = -1;
  }

  /** A whole line of one piece without LF. */
  private line(indent: number, text: string, origin: Origin | undefined, originDepth: number): void {
    this.putLine(text, origin, originDepth);
    this.endLine(indent, origin);
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
        this.putLine(node.name, origin, originDepth);
        this.putLine(' = ', origin, originDepth);
        this.expression(node.value, origin, originDepth, depth + 1, false);
        this.endLine(indent, origin);
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
    requireIdentifier(node.name, 'call name', origin);
    const args = node.args;
    const hasArgs = args.positional.length > 0 || args.named.length > 0;
    this.putLine(node.name, origin, originDepth);
    const body = node.body;
    if (body === undefined) {
      if (!hasArgs) this.putLine('()', origin, originDepth);
      // `GenericTrigger token: 'x'` would read as a declaration of a variable of type GenericTrigger.
      else if (!startsWithCapital(node.name) && commandStyleIsUnambiguous(args)) {
        this.putLine(' ', origin, originDepth);
        this.argumentList(args, origin, originDepth, depth, true);
      } else {
        this.putLine('(', origin, originDepth);
        this.argumentList(args, origin, originDepth, depth, true);
        this.putLine(')', origin, originDepth);
      }
      this.endLine(indent, origin);
      return;
    }
    if (hasArgs) {
      this.putLine('(', origin, originDepth);
      this.argumentList(args, origin, originDepth, depth, false);
      this.putLine(')', origin, originDepth);
    }
    if (body.length === 0) {
      this.putLine(' { }', origin, originDepth);
      this.endLine(indent, origin);
      return;
    }
    this.putLine(' {', origin, originDepth);
    this.endLine(indent, origin);
    for (let i = 0; i < body.length; i++) this.statement(body[i]!, indent + 1, origin, originDepth, depth + 1);
    this.line(indent, '}', origin, originDepth);
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
        this.lines.push(line.text);
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
      if (i > 0 || positional.length > 0) this.putLine(', ', origin, originDepth);
      this.mapEntry(named[i]!, origin, originDepth, depth + 1, multilineStrings);
    }
  }

  private mapEntry(entry: MapEntry, parentOrigin: Origin | undefined, parentDepth: number, depth: number, multilineStrings: boolean): void {
    const own = entry.origin;
    const origin = own !== undefined ? own : parentOrigin;
    const originDepth = own !== undefined ? depth : parentDepth;
    this.put(literal(groovyKeyLiteral, entry.key, origin), origin, originDepth);
    this.putLine(': ', origin, originDepth);
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
        const write = multilineStrings && node.value.includes('\n') ? groovyMultilineStringLiteral : groovyStringLiteral;
        this.put(literal(write, node.value, origin), origin, originDepth);
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
        for (let i = 0; i < entries.length; i++) {
          if (i > 0) this.putLine(', ', origin, originDepth);
          this.mapEntry(entries[i]!, origin, originDepth, depth + 1, false);
        }
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
  if (first === undefined) return args.named.every((entry) => isGroovyIdentifier(entry.key));
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
    const credited = error instanceof UnrepresentableStringError || error instanceof StringConstantTooLongError;
    if (credited && error.origin === undefined && origin !== undefined) {
      error.origin = origin;
    }
    throw error;
  }
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
