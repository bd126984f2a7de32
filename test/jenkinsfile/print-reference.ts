/**
 * The Jenkinsfile printer as it was before it was made leaner (issue #14: an object per attributed
 * node, a Set per named-argument list, an LF appended after the join). Kept only as the reference
 * src/jenkinsfile/print.ts is compared against (text and line origins, fast-check). Do not use
 * elsewhere.
 */
import type {
  Arguments,
  CallStatement,
  Expression,
  GroovyBlock,
  JenkinsfileAst,
  MapEntry,
  NodeMeta,
  Statement,
} from '../../src/jenkinsfile/ast.ts';
import {
  StringConstantTooLongError,
  UnrepresentableStringError,
  groovyKeyLiteral,
  groovyMultilineStringLiteral,
  groovyStringLiteral,
  isGroovyIdentifier,
} from '../../src/jenkinsfile/groovy-literal.ts';
import { groovyBlockLines } from '../../src/jenkinsfile/groovy-block.ts';
import { JenkinsfilePrintError, type Origin, type PrintedJenkinsfile } from '../../src/jenkinsfile/print.ts';

const INDENT = '  ';

/** `INDENT.repeat(n)`, memoised. */
const indents: string[] = [''];
function indentation(level: number): string {
  for (let n = indents.length; n <= level; n++) indents.push(indents[n - 1] + INDENT);
  return indents[level]!;
}

/** The node a piece of output is credited to: the nearest node with an origin, and its depth. */
interface Attribution {
  origin: Origin | undefined;
  depth: number;
}

const NO_ATTRIBUTION: Attribution = { origin: undefined, depth: -1 };

function attribute(node: NodeMeta, parent: Attribution, depth: number): Attribution {
  return node.origin !== undefined ? { origin: node.origin, depth } : parent;
}

/** Physical lines ended by LFs inside a piece, credited alike: `count` lines of `text`. */
interface EndedLines {
  text: string;
  count: number;
  credit: Attribution | undefined;
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
export function referencePrintJenkinsfile(ast: JenkinsfileAst): PrintedJenkinsfile {
  const printer = new Printer();
  if (ast.prologue) printer.verbatim(ast.prologue);
  printer.statement(ast.pipeline, 0, NO_ATTRIBUTION, 0);
  if (ast.epilogue) printer.verbatim(ast.epilogue);
  return { text: `${printer.lines.join('\n')}\n`, lineOrigins: printer.origins };
}

/**
 * Writes the output one logical line at a time, streaming: pieces of text are appended with
 * `put`, each credited to a node; `endLine` writes the line at an indent. A piece containing LF
 * continues on following physical lines without indentation (its text is exact, e.g. a
 * multi-line literal). Each physical line is credited to the deepest attributed piece with text
 * on it (the first among equally deep ones; an empty line inside a piece counts as text), else
 * to the line's owner.
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
  /** Deepest attributed piece with text on the current physical line. */
  private credit: Attribution | undefined;

  /** Verbatim Groovy lines, credited to no node. */
  verbatim(text: string): void {
    const normalized = normalizeLineEndings(text);
    const lines = normalized.endsWith('\n') ? normalized.slice(0, -1) : normalized;
    this.lines.push(lines);
    for (let n = lineBreaks(lines); n >= 0; n--) this.origins.push(undefined);
  }

  private put(text: string, by: Attribution): void {
    const firstBreak = text.indexOf('\n');
    if (firstBreak === -1) {
      this.text += text;
      if (text !== '' && by.origin !== undefined && (this.credit === undefined || by.depth > this.credit.depth)) this.credit = by;
      return;
    }
    // The piece ends the current physical line, fills whole lines, and starts the next one: its
    // whole lines are kept as one chunk (a script of hundreds of lines is not split).
    const lastBreak = text.lastIndexOf('\n');
    const head = text.slice(0, firstBreak);
    this.text += head;
    if (head !== '' && by.origin !== undefined && (this.credit === undefined || by.depth > this.credit.depth)) this.credit = by;
    this.done.push({ text: this.text, count: 1, credit: this.credit });
    if (lastBreak > firstBreak) {
      // Every whole line is the piece's text (an empty one counts as text).
      const count = lineBreaks(text, firstBreak + 1, lastBreak) + 1;
      this.done.push({ text: text.slice(firstBreak + 1, lastBreak), count, credit: by.origin !== undefined ? by : undefined });
    }
    this.text = text.slice(lastBreak + 1);
    this.credit = this.text !== '' && by.origin !== undefined ? by : undefined;
  }

  /** Ends the current logical line: its first physical line is indented unless empty. */
  private endLine(indent: number, owner: Attribution): void {
    let first = true;
    if (this.done.length > 0) {
      for (const ended of this.done) {
        this.lines.push(first && ended.text !== '' ? indentation(indent) + ended.text : ended.text);
        const origin = (ended.credit ?? owner).origin;
        for (let n = ended.count; n > 0; n--) this.origins.push(origin);
        first = false;
      }
      this.done = [];
    }
    this.lines.push(first && this.text !== '' ? indentation(indent) + this.text : this.text);
    this.origins.push((this.credit ?? owner).origin);
    this.text = '';
    this.credit = undefined;
  }

  /** A whole line of one piece. */
  private line(indent: number, text: string, by: Attribution): void {
    this.put(text, by);
    this.endLine(indent, by);
  }

  statement(node: Statement, indent: number, parent: Attribution, depth: number): void {
    const by = attribute(node, parent, depth);
    switch (node.type) {
      case 'Call':
        this.call(node, indent, by, depth);
        return;
      case 'Assignment':
        requireIdentifier(node.name, 'assignment target', by);
        this.put(`${node.name} = `, by);
        this.expression(node.value, by, depth + 1, false);
        this.endLine(indent, by);
        return;
      case 'GroovyBlock':
        this.groovyBlock(node, indent, by);
        return;
      case 'Comment':
        if (/[\r\n\uffff]|\\u/.test(node.text)) {
          throw new JenkinsfilePrintError(
            `comment ${JSON.stringify(node.text)} contains a line break, U+FFFF or a \\u escape (Groovy would translate it before lexing)`,
            by.origin,
          );
        }
        this.line(indent, node.text === '' ? '//' : `// ${node.text}`, by);
        return;
      default:
        throw new JenkinsfilePrintError(`unknown statement type ${JSON.stringify((node as { type: unknown }).type)}`, by.origin);
    }
  }

  private call(node: CallStatement, indent: number, by: Attribution, depth: number): void {
    requireIdentifier(node.name, 'call name', by);
    const hasArgs = node.args.positional.length > 0 || node.args.named.length > 0;
    this.put(node.name, by);
    if (node.body === undefined) {
      if (!hasArgs) this.put('()', by);
      // `GenericTrigger token: 'x'` would read as a declaration of a variable of type GenericTrigger.
      else if (!startsWithCapital(node.name) && commandStyleIsUnambiguous(node.args)) {
        this.put(' ', by);
        this.argumentList(node.args, by, depth, true);
      } else {
        this.put('(', by);
        this.argumentList(node.args, by, depth, true);
        this.put(')', by);
      }
      this.endLine(indent, by);
      return;
    }
    if (hasArgs) {
      this.put('(', by);
      this.argumentList(node.args, by, depth, false);
      this.put(')', by);
    }
    if (node.body.length === 0) {
      this.put(' { }', by);
      this.endLine(indent, by);
      return;
    }
    this.put(' {', by);
    this.endLine(indent, by);
    for (const child of node.body) this.statement(child, indent + 1, by, depth + 1);
    this.line(indent, '}', by);
  }

  private groovyBlock(node: GroovyBlock, indent: number, by: Attribution): void {
    const lines = groovyBlockLines(node.source);
    if (lines.length === 0) {
      this.line(indent, `${node.keyword} { }`, by);
      return;
    }
    this.line(indent, `${node.keyword} {`, by);
    for (const line of lines) {
      if (line.verbatim) {
        // The line continues a multi-line string literal: its text is part of the value.
        this.lines.push(line.text);
        this.origins.push(by.origin);
      } else {
        this.line(indent + 1, line.text, by);
      }
    }
    this.line(indent, '}', by);
  }

  /** Positional arguments, then named ones, comma separated. */
  private argumentList(args: Arguments, by: Attribution, depth: number, multilineStrings: boolean): void {
    if (args.named.length > 1) {
      const keys = new Set<string>();
      for (const { key } of args.named) {
        // Groovy refuses `foo(a: 1, a: 2)` at parse time ("Duplicate named parameter").
        if (keys.has(key)) throw new JenkinsfilePrintError(`duplicate named argument ${JSON.stringify(key)}`, by.origin);
        keys.add(key);
      }
    }
    let first = true;
    for (const value of args.positional) {
      if (!first) this.put(', ', by);
      first = false;
      this.expression(value, by, depth + 1, multilineStrings);
    }
    for (const entry of args.named) {
      if (!first) this.put(', ', by);
      first = false;
      this.mapEntry(entry, by, depth + 1, multilineStrings);
    }
  }

  private mapEntry(entry: MapEntry, parent: Attribution, depth: number, multilineStrings: boolean): void {
    const by = attribute(entry, parent, depth);
    this.put(`${literal(groovyKeyLiteral, entry.key, by)}: `, by);
    this.expression(entry.value, by, depth + 1, multilineStrings);
  }

  /**
   * @param multilineStrings whether a String containing LF may print as a `'''` literal (only
   *   for direct arguments of a statement call without a block).
   */
  private expression(node: Expression, parent: Attribution, depth: number, multilineStrings: boolean): void {
    const by = attribute(node, parent, depth);
    switch (node.type) {
      case 'String': {
        const write = multilineStrings && node.value.includes('\n') ? groovyMultilineStringLiteral : groovyStringLiteral;
        this.put(literal(write, node.value, by), by);
        return;
      }
      case 'Number':
        this.put(node.text, by);
        return;
      case 'Boolean':
        this.put(node.value ? 'true' : 'false', by);
        return;
      case 'Null':
        this.put('null', by);
        return;
      case 'Identifier':
        this.put(node.name, by);
        return;
      case 'Raw':
        this.put(normalizeLineEndings(node.source), by);
        return;
      case 'List':
        this.put('[', by);
        node.items.forEach((item, i) => {
          if (i > 0) this.put(', ', by);
          this.expression(item, by, depth + 1, false);
        });
        this.put(']', by);
        return;
      case 'Map':
        if (node.entries.length === 0) {
          this.put('[:]', by);
          return;
        }
        this.put('[', by);
        node.entries.forEach((entry, i) => {
          if (i > 0) this.put(', ', by);
          this.mapEntry(entry, by, depth + 1, false);
        });
        this.put(']', by);
        return;
      case 'CallExpression':
        requireIdentifier(node.name, 'call name', by);
        this.put(`${node.name}(`, by);
        this.argumentList(node.args, by, depth, false);
        this.put(')', by);
        return;
      default:
        throw new JenkinsfilePrintError(`unknown expression type ${JSON.stringify((node as { type: unknown }).type)}`, by.origin);
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
function literal(write: (value: string) => string, value: string, by: Attribution): string {
  try {
    return write(value);
  } catch (error) {
    const credited = error instanceof UnrepresentableStringError || error instanceof StringConstantTooLongError;
    if (credited && error.origin === undefined && by.origin !== undefined) {
      error.origin = by.origin;
    }
    throw error;
  }
}

function startsWithCapital(name: string): boolean {
  const first = name.charCodeAt(0);
  return first >= 0x41 && first <= 0x5a;
}

function requireIdentifier(name: string, what: string, by: Attribution): void {
  if (!isGroovyIdentifier(name)) {
    throw new JenkinsfilePrintError(`${what} ${JSON.stringify(name)} is not a Groovy identifier`, by.origin);
  }
}
