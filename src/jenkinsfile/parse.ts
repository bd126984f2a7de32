/**
 * The Jenkinsfile parser: declarative Jenkinsfile text → the Jenkinsfile AST the printer uses
 * (src/jenkinsfile/ast.ts), with a 1-based `loc` on every node.
 *
 * It lexes and parses the whole file as Groovy 2.4 (groovy-lexer.ts, groovy-parser.ts), so a
 * file is rejected exactly when Groovy would fail to compile it (PW5001), then reads the first
 * top-level `pipeline { }` call as declarative structure:
 *
 * - method calls (`sh 'x'`, `stage('a') { }`, `junit testResults: 'a'`) become `Call` statements,
 *   their trailing closure the `body`; calls on a property chain (`foo.bar()`) keep the dotted
 *   name so that the validator can report them;
 * - `NAME = value` inside `environment { }` becomes an `Assignment`;
 * - `script { }` / `expression { }` bodies become `GroovyBlock`s; their source is the original
 *   text between the braces with line endings, outer blank lines and common indentation
 *   normalised exactly as the printer re-indents it (so parse → print → parse is stable);
 * - values: string literals (all quote forms, escapes decoded), numbers (text kept), booleans,
 *   null, names and property chains (`env.X`), lists, maps and plain calls; everything else
 *   (GStrings, closures, operators, ...) is a `Raw` expression holding the original source text;
 * - code before and after the pipeline block is kept verbatim in `prologue` / `epilogue`.
 *
 * Nesting is limited to MAX_NESTING_DEPTH levels (groovy-parser.ts; PW5005 at the first level too
 * many); chains of any length (`a.b.c`, `a + b + c`) are fine.
 *
 * Statements the AST cannot hold in their place (e.g. `def x = 1` directly in `steps`) are
 * reported with Jenkins' own message for that place (ModelParser rules that quote source text)
 * and left out of the AST. Comments are skipped; `comments` lists them with positions.
 */
import { normalizeGroovyBlockSource } from './groovy-block.ts';
import type {
  Arguments,
  CallStatement,
  Expression,
  JenkinsfileAst,
  MapEntry,
  SourcePosition,
  Statement,
} from './ast.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { GroovySyntaxError, SourceText, lexGroovy } from './groovy-lexer.ts';
import { NestingTooDeepError, parseGroovy, type GArg, type GCall, type GClosure, type GExpr, type GStmt } from './groovy-parser.ts';
import { JENKINSFILE_RULES, REPORTED_STATEMENT_NAME, type JenkinsfileRuleCode } from './rules.ts';

/** A comment found in the Jenkinsfile (comments are not part of the AST). */
export interface JenkinsfileComment {
  loc: SourcePosition;
  text: string;
}

export interface ParseJenkinsfileResult {
  /** The AST; absent when the file does not compile or has no top-level `pipeline` step. */
  ast?: JenkinsfileAst;
  /** Syntax errors (PW5001) and the declarative parse rules (PW5002–PW5021). */
  diagnostics: Diagnostic[];
  /** Every comment, in source order. */
  comments: JenkinsfileComment[];
}

/**
 * Parses a declarative Jenkinsfile.
 *
 * @param text the Jenkinsfile contents; a leading byte order mark (U+FEFF) is ignored, as Groovy does.
 * @param file the file name used in diagnostic locations (default `Jenkinsfile`).
 */
export function parseJenkinsfile(text: string, file = 'Jenkinsfile'): ParseJenkinsfileResult {
  // Groovy skips a BOM; without this the file would have no top-level pipeline step (PW5002).
  const source = new SourceText(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const lexed = lexGroovy(source);
  const comments = lexed.comments.map((c) => ({ loc: source.position(c.start), text: source.originalSlice(c.start, c.end) }));
  let statements: GStmt[];
  try {
    statements = parseGroovy(lexed.tokens, source);
  } catch (error) {
    if (!(error instanceof GroovySyntaxError)) throw error;
    const at = error.originalOffset !== undefined ? source.positionOfOriginal(error.originalOffset) : source.position(error.index);
    return { diagnostics: [diagnostic(error instanceof NestingTooDeepError ? 'PW5005' : 'PW5001', error.message, at, file)], comments };
  }
  const reader = new DeclarativeReader(source, file);
  const ast = reader.read(statements);
  return ast ? { ast, diagnostics: reader.diagnostics, comments } : { diagnostics: reader.diagnostics, comments };
}

function diagnostic(code: JenkinsfileRuleCode, message: string, at: SourcePosition, file: string): Diagnostic {
  return { code, severity: 'error', message, location: { file, line: at.line, column: at.column } };
}

/** Where a statement sits, deciding Jenkins' message for statements that are not method calls. */
type Context =
  | 'top'
  | 'pipeline'
  | 'stages'
  | 'stage'
  | 'steps'
  | 'when'
  | 'whenNested'
  | 'environment'
  | 'options'
  | 'triggers'
  | 'parameters'
  | 'tools'
  | 'libraries'
  | 'post'
  | 'agent'
  | 'agentMap'
  | 'input'
  | 'matrix'
  | 'axes'
  | 'axis'
  | 'excludes'
  | 'exclude'
  | 'generic';

const SECTION_CONTEXTS: Partial<Record<string, Context>> = {
  stages: 'stages',
  environment: 'environment',
  options: 'options',
  parameters: 'parameters',
  triggers: 'triggers',
  tools: 'tools',
  libraries: 'libraries',
  post: 'post',
  agent: 'agent',
};
const STAGE_CONTEXTS: Partial<Record<string, Context>> = {
  steps: 'steps',
  stages: 'stages',
  parallel: 'stages',
  matrix: 'matrix',
  when: 'when',
  environment: 'environment',
  options: 'options',
  tools: 'tools',
  post: 'post',
  agent: 'agent',
  input: 'input',
};
const MATRIX_CONTEXTS: Partial<Record<string, Context>> = {
  axes: 'axes',
  excludes: 'excludes',
  stages: 'stages',
  agent: 'agent',
  when: 'when',
  post: 'post',
  options: 'options',
  input: 'input',
  tools: 'tools',
  environment: 'environment',
};

function childContext(context: Context, name: string): Context {
  switch (context) {
    case 'top':
      return name === 'pipeline' ? 'pipeline' : 'generic';
    case 'pipeline':
      return SECTION_CONTEXTS[name] ?? 'generic';
    case 'stages':
      return name === 'stage' ? 'stage' : 'generic';
    case 'stage':
      return STAGE_CONTEXTS[name] ?? 'generic';
    case 'matrix':
      return MATRIX_CONTEXTS[name] ?? 'generic';
    case 'axes':
      return name === 'axis' ? 'axis' : 'generic';
    case 'excludes':
      return name === 'exclude' ? 'exclude' : 'generic';
    case 'exclude':
      return name === 'axis' ? 'axis' : 'generic';
    case 'steps':
    case 'post':
      return 'steps';
    case 'when':
    case 'whenNested':
      return 'whenNested';
    case 'input':
      return name === 'parameters' ? 'parameters' : 'generic';
    case 'agent':
    case 'agentMap':
      return 'agentMap';
    default:
      return 'generic';
  }
}

/** Where an `x = y` statement stays in the AST (as Jenkins counts it as an entry there). */
const ASSIGNMENT_CONTEXTS: ReadonlySet<Context> = new Set(['generic', 'options', 'triggers', 'parameters']);

const IDENTIFIER = /^[A-Za-z_$\u00C0-\u00D6\u00D8-\u00F6\u00F8-\uFFFE][A-Za-z0-9_$\u00C0-\u00D6\u00D8-\u00F6\u00F8-\uFFFE]*$/;

/** The name of a callee written as a name or a property chain (`foo`, `a.b.c`); `this.` dropped. */
function calleeName(callee: GExpr): string | undefined {
  if (callee.kind === 'ident') return callee.name;
  if (callee.kind === 'property' && callee.op === '.' && callee.name !== undefined) {
    if (callee.target.kind === 'literal' && callee.target.word === 'this') return callee.name;
    const target = propertyChainName(callee.target);
    return target === undefined ? undefined : `${target}.${callee.name}`;
  }
  return undefined;
}

/** `a.b.c` for a chain of plain names joined by `.`, else undefined. A loop: chains have no length limit. */
function propertyChainName(expr: GExpr): string | undefined {
  const names: string[] = [];
  let node = expr;
  while (node.kind === 'property') {
    if (node.op !== '.' || node.name === undefined || !IDENTIFIER.test(node.name)) return undefined;
    names.push(node.name);
    node = node.target;
  }
  if (node.kind !== 'ident') return undefined;
  names.push(node.name);
  return names.reverse().join('.');
}

/**
 * Groovy source text normalised as the printer lays out `script { }` bodies (groovy-block.ts):
 * LF line endings, outer blank lines dropped, common leading whitespace of code lines removed,
 * whitespace-only code lines emptied; lines inside multi-line string literals kept exactly.
 */
export { normalizeGroovyBlockSource };

class DeclarativeReader {
  readonly diagnostics: Diagnostic[] = [];
  private readonly source: SourceText;
  private readonly file: string;

  constructor(source: SourceText, file: string) {
    this.source = source;
    this.file = file;
  }

  private at(index: number): SourcePosition {
    return this.source.position(index);
  }

  private report(code: JenkinsfileRuleCode, message: string, index: number | SourcePosition): void {
    const at = typeof index === 'number' ? this.at(index) : index;
    this.diagnostics.push(diagnostic(code, message, at, this.file));
  }

  private text(start: number, end: number): string {
    return this.source.originalSlice(start, end);
  }

  read(statements: GStmt[]): JenkinsfileAst | undefined {
    const index = statements.findIndex((s) => isPipelineCall(s));
    if (index < 0) {
      const nested = findNestedPipeline(statements);
      if (nested) {
        this.report('PW5003', JENKINSFILE_RULES.PW5003.messages[0]!, nested.start);
      } else {
        this.report('PW5002', `Jenkinsfile content '${this.source.original}' did not contain the 'pipeline' step`, { line: 1, column: 1 });
      }
      return undefined;
    }
    const statement = statements[index]!;
    const call = (statement as { expr: GCall }).expr;
    const pipeline = this.callStatement(call, 'top', 'pipeline', statement.start) as CallStatement;
    const ast: JenkinsfileAst = { type: 'Jenkinsfile', pipeline };
    const prologue = this.prologue(statement.start);
    if (prologue !== undefined) ast.prologue = prologue;
    const epilogue = this.epilogue(statement.end);
    if (epilogue !== undefined) ast.epilogue = epilogue;
    return ast;
  }

  /** Text before the pipeline statement, without the indentation of the pipeline's line. */
  private prologue(start: number): string | undefined {
    const text = this.source.original.slice(0, this.source.originalOffset(start)).replace(/\r\n?/g, '\n').replace(/[ \t]+$/, '');
    return /^\s*$/.test(text) ? undefined : text;
  }

  /** Text after the pipeline statement, from the line after it. */
  private epilogue(end: number): string | undefined {
    let text = this.source.original.slice(this.source.originalOffset(end)).replace(/\r\n?/g, '\n');
    const firstLineEnd = text.indexOf('\n');
    if (firstLineEnd >= 0 && /^[ \t]*$/.test(text.slice(0, firstLineEnd))) text = text.slice(firstLineEnd + 1);
    return /^\s*$/.test(text) ? undefined : text;
  }

  // ---------------------------------------------------------------- statements

  private statements(body: GStmt[], context: Context, parentStart: number, blockStart: number): Statement[] {
    const out: Statement[] = [];
    let envErrorSeen = false;
    for (const statement of body) {
      const converted = this.statement(statement, context, parentStart, blockStart);
      if (converted === 'env-error') {
        if (!envErrorSeen) this.report('PW5015', 'Expected name=value pairs', parentStart);
        envErrorSeen = true;
      }
      if (converted && converted !== 'env-error') out.push(converted);
      else {
        // Reported (or, in an agent block, left to the validator): keep the place for counting.
        out.push({ type: 'Call', name: REPORTED_STATEMENT_NAME, args: { positional: [], named: [] }, loc: this.at(statement.start) });
      }
    }
    return out;
  }

  /** Converts one statement, or reports it; 'env-error' asks for the environment block's summary error. */
  private statement(statement: GStmt, context: Context, parentStart: number, blockStart: number): Statement | undefined | 'env-error' {
    // As Jenkins' getSourceText renders it: the statement's lines, LF-joined, trimmed.
    const src = this.text(statement.start, statement.end).replace(/\r\n?/g, '\n').trim();
    if (statement.kind === 'expr') {
      const expr = statement.expr;
      if (context === 'environment') return this.environmentStatement(expr, src, statement.start);
      if (context === 'libraries') return this.libraryStatement(expr, src, statement.start, parentStart);
      if (expr.kind === 'call') {
        const name = calleeName(expr.callee);
        if (name === undefined) {
          this.report('PW5021', 'Expected a symbol', statement.start);
          return undefined;
        }
        return this.callStatement(expr, context, name, statement.start);
      }
      // Kept for the validator, which reports them with the message for their place.
      if (expr.kind === 'assign' && expr.op === '=' && ASSIGNMENT_CONTEXTS.has(context)) {
        const name = propertyChainName(expr.target);
        if (name !== undefined) return { type: 'Assignment', name, value: this.expression(expr.value), loc: this.at(statement.start) };
      }
      if (expr.kind === 'map' && (context === 'options' || context === 'triggers' || context === 'parameters')) {
        const what = { options: 'Options', triggers: 'Triggers', parameters: 'Build parameters' }[context];
        this.report('PW5016', `${what} cannot be defined as maps`, statement.start);
        return undefined;
      }
    } else if (context === 'environment') {
      return 'env-error';
    }
    this.reportMisplaced(context, src, statement.start, parentStart, blockStart);
    return undefined;
  }

  /** Jenkins' message for a statement that is not a method call, by context. */
  private reportMisplaced(context: Context, src: string, start: number, parentStart: number, blockStart: number): void {
    switch (context) {
      case 'pipeline':
      case 'matrix':
      case 'axes':
      case 'axis':
      case 'excludes':
      case 'exclude':
        this.report('PW5010', `Not a valid section definition: "${src}". Some extra configuration is required.`, start);
        return;
      case 'input':
        this.report('PW5010', `Not a valid section definition: "${src}". Some extra configuration is required.`, parentStart);
        return;
      case 'stage':
        this.report('PW5011', `Not a valid stage section definition: "${src}". Some extra configuration is required.`, parentStart);
        return;
      case 'stages':
        this.report('PW5012', 'Expected a stage', start);
        return;
      case 'when':
        this.report('PW5014', 'Expected a when condition', parentStart);
        return;
      case 'whenNested':
        this.report('PW5014', 'Expected a when condition', start);
        return;
      case 'options':
        this.report('PW5016', 'Expected an option', start);
        return;
      case 'triggers':
        this.report('PW5016', 'Expected a trigger', start);
        return;
      case 'parameters':
        this.report('PW5016', 'Expected a build parameter definition', start);
        return;
      case 'tools':
        this.report('PW5018', 'Expected to find ‘someTool "someVersion"’', parentStart);
        return;
      case 'post':
        this.report('PW5019', JENKINSFILE_RULES.PW5019.messages[0]!, start);
        return;
      case 'agent':
        // The validator reports it: Jenkins' message depends on how many statements the block has.
        return;
      case 'agentMap':
        // At the block: Jenkins reports it on the closure (ModelASTClosureMap).
        this.report('PW5020', 'Expected to find ‘someKey "someValue"’', blockStart);
        return;
      default:
        this.report('PW5013', 'Expected a step', start);
    }
  }

  private environmentStatement(expr: GExpr, src: string, start: number): Statement | 'env-error' {
    if (expr.kind === 'assign' && expr.op === '=') {
      const name = propertyChainName(expr.target);
      if (name !== undefined) return { type: 'Assignment', name, value: this.expression(expr.value), loc: this.at(start) };
    }
    if (src.includes('=')) {
      const key = src.split('=')[0]!.trim();
      this.report('PW5015', `"${key}" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.`, start);
    } else {
      this.report('PW5015', `"${src}" is not a valid environment expression. Use "key = value" pairs with valid Java/shell keys.`, start);
    }
    return 'env-error';
  }

  /** `libraries { lib('name@version') }`: Jenkins' checks quote the source, so they live here. */
  private libraryStatement(expr: GExpr, src: string, start: number, parentStart: number): CallStatement | undefined {
    const call = expr.kind === 'call' ? expr : undefined;
    if (!call || calleeName(call.callee) !== 'lib') {
      this.report('PW5017', `Expected a "lib(...)" but got ${src}`, parentStart);
      return undefined;
    }
    if (call.closures.length > 0) {
      this.report('PW5017', 'Libraries definitions cannot have blocks', start);
      return undefined;
    }
    const only = call.args.length === 1 ? call.args[0]! : undefined;
    const isValue = only !== undefined && !only.label && !only.spread && only.value.kind !== 'call' && only.value.kind !== 'closure';
    if (!isValue) {
      this.report('PW5017', `Expected a "lib(...)" but got ${this.text(call.start, call.end).trim()}`, start);
      return undefined;
    }
    return { type: 'Call', name: 'lib', args: this.arguments(call.args), loc: this.at(start) };
  }

  private callStatement(call: GCall, context: Context, name: string, start: number): Statement {
    const loc = this.at(start);
    const closures = [...call.closures];
    const last = closures.length > 0 ? closures[closures.length - 1] : undefined;
    const bodyClosure = last && !last.hasParams ? closures.pop() : undefined;
    const args = this.arguments(call.args);
    for (const closure of closures) args.positional.push(this.raw(closure));
    if ((name === 'script' || name === 'expression') && bodyClosure && args.positional.length === 0 && args.named.length === 0) {
      return { type: 'GroovyBlock', keyword: name, source: this.blockSource(bodyClosure), loc };
    }
    const node: CallStatement = { type: 'Call', name, args, loc };
    if (bodyClosure) {
      node.body = this.statements(bodyClosure.body, childContext(context, name), start, bodyClosure.start);
      node.bodyLoc = this.at(bodyClosure.start);
    }
    return node;
  }

  /** The body of `script { }`: original text between the braces, normalised like the printer. */
  private blockSource(closure: GClosure): string {
    let text = this.text(closure.bodyStart, closure.bodyEnd);
    // The first line after `{` and the last before `}` cannot be inside a string literal.
    text = text.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
    return normalizeGroovyBlockSource(text);
  }

  // ---------------------------------------------------------------- expressions

  private arguments(args: GArg[]): Arguments {
    const out: Arguments = { positional: [], named: [] };
    for (const arg of args) {
      if (arg.label && arg.label.key !== undefined && !arg.spread) {
        const entry: MapEntry = { key: arg.label.key, value: this.expression(arg.value), loc: this.at(arg.label.start) };
        out.named.push(entry);
      } else if (arg.label || arg.spread) {
        // A computed key or a spread argument: kept verbatim.
        out.positional.push({ type: 'Raw', source: this.text(arg.start, arg.end), loc: this.at(arg.start) });
      } else {
        out.positional.push(this.expression(arg.value));
      }
    }
    return out;
  }

  private raw(expr: GExpr): Expression {
    return { type: 'Raw', source: this.text(expr.start, expr.end), loc: this.at(expr.start) };
  }

  expression(expr: GExpr): Expression {
    const loc = this.at(expr.start);
    switch (expr.kind) {
      case 'string':
        return { type: 'String', value: expr.value, loc };
      case 'number':
        return { type: 'Number', text: expr.text, loc };
      case 'literal':
        if (expr.word === 'true' || expr.word === 'false') return { type: 'Boolean', value: expr.word === 'true', loc };
        if (expr.word === 'null') return { type: 'Null', loc };
        return this.raw(expr);
      case 'unary':
        // Groovy folds a minus sign into a number constant.
        if (expr.op === '-' && expr.operand.kind === 'number') return { type: 'Number', text: `-${expr.operand.text}`, loc };
        return this.raw(expr);
      case 'ident':
        return { type: 'Identifier', name: expr.name, loc };
      case 'property': {
        const name = propertyChainName(expr);
        return name === undefined ? this.raw(expr) : { type: 'Identifier', name, loc };
      }
      case 'list':
        if (expr.items.some((item) => item.spread || item.label)) return this.raw(expr);
        return { type: 'List', items: expr.items.map((item) => this.expression(item.value)), loc };
      case 'map': {
        if (expr.entries.some((entry) => entry.spread || !entry.label || entry.label.key === undefined)) return this.raw(expr);
        const entries = expr.entries.map((entry) => ({
          key: entry.label!.key!,
          value: this.expression(entry.value),
          loc: this.at(entry.label!.start),
        }));
        return { type: 'Map', entries, loc };
      }
      case 'call': {
        if (expr.callee.kind !== 'ident' || expr.closures.length > 0 || expr.command) return this.raw(expr);
        return { type: 'CallExpression', name: expr.callee.name, args: this.arguments(expr.args), loc };
      }
      default:
        return this.raw(expr);
    }
  }
}

/** A top-level `pipeline(...)` / `pipeline { }` / `pipeline x` method call statement. */
function isPipelineCall(statement: GStmt): boolean {
  return statement.kind === 'expr' && statement.expr.kind === 'call' && calleeName(statement.expr.callee) === 'pipeline' &&
    statement.expr.callee.kind === 'ident';
}

/** A `pipeline { }` call nested in the block of another call, if any. */
function findNestedPipeline(statements: GStmt[]): GCall | undefined {
  for (const statement of statements) {
    if (statement.kind !== 'expr' || statement.expr.kind !== 'call') continue;
    for (const closure of statement.expr.closures) {
      for (const inner of closure.body) {
        if (inner.kind === 'expr' && inner.expr.kind === 'call' && inner.expr.callee.kind === 'ident' &&
          inner.expr.callee.name === 'pipeline' && inner.expr.closures.length > 0) {
          return inner.expr;
        }
      }
      const deeper = findNestedPipeline(closure.body);
      if (deeper) return deeper;
    }
  }
  return undefined;
}
