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
 *   `"`.
 * - A String containing a line feed that is a direct argument (positional or named) of a
 *   statement call without a block prints as a `'''\` multi-line literal (readable `sh`
 *   scripts); every other String prints as a single-line `'…'` literal.
 * - `script { }` / `expression { }` bodies are re-indented line by line: line endings become
 *   LF, leading and trailing blank lines go, the common leading whitespace is stripped and the
 *   relative indentation kept; whitespace-only lines print empty; nothing else changes.
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
  NodeMeta,
  Statement,
} from './ast.ts';
import {
  UnrepresentableStringError,
  groovyKeyLiteral,
  groovyMultilineStringLiteral,
  groovyStringLiteral,
  isGroovyIdentifier,
} from './groovy-literal.ts';

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

/** The node a piece of output is credited to: the nearest node with an origin, and its depth. */
interface Attribution {
  origin: Origin | undefined;
  depth: number;
}

/** A run of output text credited to one node; may contain LF (multi-line literals, verbatim Groovy). */
interface Piece {
  text: string;
  by: Attribution;
}

const NO_ATTRIBUTION: Attribution = { origin: undefined, depth: -1 };

function attribute(node: NodeMeta, parent: Attribution, depth: number): Attribution {
  return node.origin !== undefined ? { origin: node.origin, depth } : parent;
}

/** Groovy treats CRLF and lone CR as line breaks too; the output uses LF only. */
function normalizeLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Prints a Jenkinsfile AST as Groovy source. Deterministic: the same AST always gives the same
 * bytes.
 *
 * @throws UnrepresentableStringError (with `origin` set when known) for a string containing U+FFFF.
 * @throws JenkinsfilePrintError for names that are not Groovy identifiers, duplicate named
 *   arguments (a Groovy parse error), or a comment that could end or escape its line.
 */
export function printJenkinsfile(ast: JenkinsfileAst): PrintedJenkinsfile {
  const printer = new Printer();
  if (ast.prologue) printer.verbatim(ast.prologue);
  printer.statement(ast.pipeline, 0, NO_ATTRIBUTION, 0);
  if (ast.epilogue) printer.verbatim(ast.epilogue);
  return { text: `${printer.lines.join('\n')}\n`, lineOrigins: printer.origins };
}

class Printer {
  readonly lines: string[] = [];
  readonly origins: (Origin | undefined)[] = [];

  /** Verbatim Groovy lines, credited to no node. */
  verbatim(text: string): void {
    const lines = normalizeLineEndings(text).replace(/\n$/, '').split('\n');
    for (const line of lines) {
      this.lines.push(line);
      this.origins.push(undefined);
    }
  }

  /**
   * Writes one logical line at `indent`. Pieces containing LF continue on following physical
   * lines without indentation (their text is exact, e.g. a multi-line literal). Each physical
   * line is credited to the deepest attributed piece with text on it, else to `owner`.
   */
  private emit(indent: number, pieces: Piece[], owner: Attribution): void {
    const credit: (Attribution | undefined)[] = [];
    let line = 0;
    for (const piece of pieces) {
      const segments = piece.text.split('\n');
      segments.forEach((segment, i) => {
        const interiorEmptyLine = i > 0 && i < segments.length - 1;
        const current = credit[line + i];
        if ((segment !== '' || interiorEmptyLine) && piece.by.origin !== undefined && (current === undefined || piece.by.depth > current.depth)) {
          credit[line + i] = piece.by;
        }
      });
      line += segments.length - 1;
    }
    const physical = pieces.map((piece) => piece.text).join('').split('\n');
    physical.forEach((text, i) => {
      this.lines.push(i === 0 && text !== '' ? INDENT.repeat(indent) + text : text);
      this.origins.push((credit[i] ?? owner).origin);
    });
  }

  statement(node: Statement, indent: number, parent: Attribution, depth: number): void {
    const by = attribute(node, parent, depth);
    switch (node.type) {
      case 'Call':
        this.call(node, indent, by, depth);
        return;
      case 'Assignment':
        requireIdentifier(node.name, 'assignment target', by);
        this.emit(indent, [{ text: `${node.name} = `, by }, ...expression(node.value, by, depth + 1)], by);
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
        this.emit(indent, [{ text: node.text === '' ? '//' : `// ${node.text}`, by }], by);
        return;
      default:
        throw new JenkinsfilePrintError(`unknown statement type ${JSON.stringify((node as { type: unknown }).type)}`, by.origin);
    }
  }

  private call(node: CallStatement, indent: number, by: Attribution, depth: number): void {
    requireIdentifier(node.name, 'call name', by);
    const hasArgs = node.args.positional.length > 0 || node.args.named.length > 0;
    const head: Piece[] = [{ text: node.name, by }];
    if (node.body === undefined) {
      if (!hasArgs) head.push({ text: '()', by });
      else if (commandStyleIsUnambiguous(node.args)) {
        head.push({ text: ' ', by }, ...argumentList(node.args, by, depth, true));
      } else {
        head.push({ text: '(', by }, ...argumentList(node.args, by, depth, true), { text: ')', by });
      }
      this.emit(indent, head, by);
      return;
    }
    if (hasArgs) head.push({ text: '(', by }, ...argumentList(node.args, by, depth, false), { text: ')', by });
    if (node.body.length === 0) {
      this.emit(indent, [...head, { text: ' { }', by }], by);
      return;
    }
    this.emit(indent, [...head, { text: ' {', by }], by);
    for (const child of node.body) this.statement(child, indent + 1, by, depth + 1);
    this.emit(indent, [{ text: '}', by }], by);
  }

  private groovyBlock(node: GroovyBlock, indent: number, by: Attribution): void {
    const lines = reindent(node.source);
    if (lines.length === 0) {
      this.emit(indent, [{ text: `${node.keyword} { }`, by }], by);
      return;
    }
    this.emit(indent, [{ text: `${node.keyword} {`, by }], by);
    for (const line of lines) this.emit(indent + 1, [{ text: line, by }], by);
    this.emit(indent, [{ text: '}', by }], by);
  }
}

/**
 * Groovy source lines with LF endings, outer blank lines dropped, the common leading whitespace
 * removed (relative indentation kept) and whitespace-only lines emptied.
 */
function reindent(source: string): string[] {
  const lines = normalizeLineEndings(source).split('\n');
  const isBlank = (line: string) => /^[ \t]*$/.test(line);
  while (lines.length > 0 && isBlank(lines[0] as string)) lines.shift();
  while (lines.length > 0 && isBlank(lines[lines.length - 1] as string)) lines.pop();
  let common: string | undefined;
  for (const line of lines) {
    if (isBlank(line)) continue;
    const leading = /^[ \t]*/.exec(line)?.[0] ?? '';
    if (common === undefined) common = leading;
    else {
      let length = 0;
      while (length < common.length && length < leading.length && common[length] === leading[length]) length++;
      common = common.slice(0, length);
    }
  }
  const strip = common?.length ?? 0;
  return lines.map((line) => (isBlank(line) ? '' : line.slice(strip)));
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

/** Positional arguments, then named ones, comma separated. */
function argumentList(args: Arguments, by: Attribution, depth: number, multilineStrings: boolean): Piece[] {
  const keys = new Set<string>();
  for (const { key } of args.named) {
    // Groovy refuses `foo(a: 1, a: 2)` at parse time ("Duplicate named parameter").
    if (keys.has(key)) throw new JenkinsfilePrintError(`duplicate named argument ${JSON.stringify(key)}`, by.origin);
    keys.add(key);
  }
  const items: Piece[][] = [
    ...args.positional.map((value) => expression(value, by, depth + 1, multilineStrings)),
    ...args.named.map((entry) => mapEntry(entry, by, depth + 1, multilineStrings)),
  ];
  return joinPieces(items, ', ', by);
}

function joinPieces(items: Piece[][], separator: string, by: Attribution): Piece[] {
  return items.flatMap((item, i) => (i === 0 ? item : [{ text: separator, by }, ...item]));
}

function mapEntry(entry: MapEntry, parent: Attribution, depth: number, multilineStrings = false): Piece[] {
  const by = attribute(entry, parent, depth);
  return [{ text: `${literal(groovyKeyLiteral, entry.key, by)}: `, by }, ...expression(entry.value, by, depth + 1, multilineStrings)];
}

/**
 * @param multilineStrings whether a String containing LF may print as a `'''` literal (only
 *   for direct arguments of a statement call without a block).
 */
function expression(node: Expression, parent: Attribution, depth: number, multilineStrings = false): Piece[] {
  const by = attribute(node, parent, depth);
  switch (node.type) {
    case 'String': {
      const write = multilineStrings && node.value.includes('\n') ? groovyMultilineStringLiteral : groovyStringLiteral;
      return [{ text: literal(write, node.value, by), by }];
    }
    case 'Number':
      return [{ text: node.text, by }];
    case 'Boolean':
      return [{ text: node.value ? 'true' : 'false', by }];
    case 'Null':
      return [{ text: 'null', by }];
    case 'Identifier':
      return [{ text: node.name, by }];
    case 'Raw':
      return [{ text: normalizeLineEndings(node.source), by }];
    case 'List':
      return [
        { text: '[', by },
        ...joinPieces(node.items.map((item) => expression(item, by, depth + 1)), ', ', by),
        { text: ']', by },
      ];
    case 'Map':
      if (node.entries.length === 0) return [{ text: '[:]', by }];
      return [
        { text: '[', by },
        ...joinPieces(node.entries.map((entry) => mapEntry(entry, by, depth + 1)), ', ', by),
        { text: ']', by },
      ];
    case 'CallExpression':
      requireIdentifier(node.name, 'call name', by);
      return [{ text: `${node.name}(`, by }, ...argumentList(node.args, by, depth, false), { text: ')', by }];
    default:
      throw new JenkinsfilePrintError(`unknown expression type ${JSON.stringify((node as { type: unknown }).type)}`, by.origin);
  }
}

/** Runs a groovy-literal writer, crediting an UnrepresentableStringError to the node's origin. */
function literal(write: (value: string) => string, value: string, by: Attribution): string {
  try {
    return write(value);
  } catch (error) {
    if (error instanceof UnrepresentableStringError && error.origin === undefined && by.origin !== undefined) {
      error.origin = by.origin;
    }
    throw error;
  }
}

function requireIdentifier(name: string, what: string, by: Attribution): void {
  if (!isGroovyIdentifier(name)) {
    throw new JenkinsfilePrintError(`${what} ${JSON.stringify(name)} is not a Groovy identifier`, by.origin);
  }
}
