/**
 * Sizing verbatim Groovy (`script { }` and `expression { }` bodies, raw expressions, the prologue
 * and epilogue): the source is parsed with pipewright's Groovy 2.4 parser and each node is costed
 * with the CPS bytecode model. The parser keeps some constructs only as spans (`for`, `try`,
 * casts, indexing, `new`, ...); those are costed per token with averages of the model's node
 * costs, which is where the estimate is least exact.
 */
import { lexGroovy, SourceText, type Token } from '../jenkinsfile/groovy-lexer.ts';
import {
  parseGroovy,
  parseGroovyExpression,
  type GArg,
  type GExpr,
  type GStmt,
  type Span,
} from '../jenkinsfile/groovy-parser.ts';
import { hasShape, lexPlainGroovy, lexPlainGroovyState, plainGroovyShape, type PlainGroovyShape } from './plain-groovy-lexer.ts';
import {
  binary,
  closure,
  constant,
  declareVariable,
  dynamicVariable,
  elvis,
  functionCall,
  gstring,
  ifElse,
  list,
  localVariable,
  map,
  property,
  returnStatement,
  ternary,
  thisReference,
  unary,
  type CpsMethod,
  type Emit,
} from './cps-bytecode.ts';

/** Average bytes per token of constructs the parser keeps only as spans (see the module comment). */
const TOKEN_COST = { identifier: 30, literal: 14, operator: 18, keyword: 16 } as const;
const IGNORED_TOKENS = new Set(['NLS', 'EOF', '(', ')', '[', ']', '{', '}', ',', ';', ':', 'ERROR']);

/**
 * Whether the fast paths (the plain lexer, script methods costed per definition with a memo) are
 * on. They give exactly what the reference path (the full lexer, whole texts) gives; tests turn
 * them off with {@link withReferencePath} to check that.
 */
let fastPaths = true;

/** Runs `f` with the fast paths off: the reference the fast paths are held to (tests). */
export function withReferencePath<T>(f: () => T): T {
  const saved = fastPaths;
  fastPaths = false;
  try {
    return f();
  } finally {
    fastPaths = saved;
  }
}

/** Names declared with `def`/a type in enclosing bodies: they compile to local variables. */
export class Scope {
  private readonly names = new Set<string>();
  constructor(private readonly parent?: Scope) {}
  declare(name: string): void {
    this.names.add(name);
  }
  has(name: string): boolean {
    return this.names.has(name) || (this.parent?.has(name) ?? false);
  }
  child(): Scope {
    return new Scope(this);
  }
}

/** A script-level method definition found in verbatim Groovy (`def pwNotify1() { ... }`): its own CPS method. */
export interface ScriptMethod {
  readonly name: string;
  readonly line: number;
  readonly params: readonly string[];
  /** Shared between texts of one shape (see scriptMethodsByDefinition): never modified. */
  readonly body: readonly Emit[];
}

/** What a piece of verbatim Groovy compiles to. */
export interface GroovySource {
  statements: Emit[];
  methods: ScriptMethod[];
  /** Whether it declares a script-level variable (`def x = ...`, `@Library(...) _`). */
  declaresVariables: boolean;
}

/**
 * A piece of source, lexed once: nested bodies and expressions are parsed from views of the same
 * tokens (a sub-range plus an EOF), never lexed again.
 */
class Snippet {
  private constructor(
    readonly source: SourceText,
    /** The tokens of this view, ending with EOF. */
    readonly tokens: Token[],
    /** Jenkinsfile line of the source's first line. */
    private readonly firstLine: number,
  ) {}

  static of(text: string, firstLine: number): Snippet {
    const source = new SourceText(text);
    return new Snippet(source, (fastPaths ? lexPlainGroovy(source) : undefined) ?? lexGroovy(source).tokens, firstLine);
  }

  /** A snippet of tokens lexed already. */
  static lexed(source: SourceText, tokens: Token[], firstLine: number): Snippet {
    return new Snippet(source, tokens, firstLine);
  }

  line(index: number): number {
    return this.firstLine + this.source.position(index).line - 1;
  }

  /** The tokens from `start` to `end` (source indices) as a view to parse. */
  range(start: number, end: number): Snippet {
    const inner = this.tokensIn(start, end);
    return new Snippet(this.source, [...inner, { type: 'EOF', text: '', start: end, end }], this.firstLine);
  }

  /** The tokens (EOF excluded) that lie within `start`..`end`, found by binary search. */
  tokensIn(start: number, end: number): Token[] {
    const tokens = this.tokens;
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tokens[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const out: Token[] = [];
    for (let i = lo; i < tokens.length && tokens[i]!.end <= end; i++) if (tokens[i]!.type !== 'EOF') out.push(tokens[i]!);
    return out;
  }
}

/** Costs a body of statements (a `script { }` block, a method body). Never throws: unparsable text is costed per token. */
export function groovyStatements(text: string, firstLine: number, scope: Scope): Emit[] {
  return statementsOf(Snippet.of(text, firstLine), scope);
}

function statementsOf(snippet: Snippet, scope: Scope): Emit[] {
  let statements: GStmt[];
  try {
    statements = parseGroovy(snippet.tokens, snippet.source);
  } catch {
    return [tokenCost(snippet.tokens)];
  }
  const out: Emit[] = [];
  for (const s of statements) out.push(...statement(snippet, s, scope, undefined));
  return out;
}

/** Costs one verbatim expression (a `Raw` AST value). */
export function groovyExpression(text: string, line: number, scope: Scope): Emit {
  const snippet = Snippet.of(text, line);
  try {
    const expr = parseGroovyExpression(snippet.source, snippet.tokens);
    if (expr) return expression(snippet, expr, scope);
  } catch {
    // fall through to the token estimate
  }
  return tokenCost(snippet.tokens);
}

/** Costs a whole prologue or epilogue: top-level statements of run(), and script method definitions. */
export function groovyScript(text: string, firstLine: number, scope: Scope): GroovySource {
  const byDefinition = fastPaths ? scriptMethodsByDefinition(text, firstLine) : undefined;
  if (byDefinition) return { statements: [], methods: byDefinition, declaresVariables: false };
  const snippet = Snippet.of(text, firstLine);
  const result: GroovySource = { statements: [], methods: [], declaresVariables: false };
  // The common case (what lowering emits): only `def name(...) { ... }` definitions. Their bodies
  // are parsed once each, without parsing the whole text first.
  const definitions = onlyMethodDefinitions(snippet);
  if (definitions) {
    for (const d of definitions) {
      const method = methodDefinition(snippet, d.start, d.end);
      if (method) result.methods.push(scriptMethod(method));
    }
    return result;
  }
  let statements: GStmt[];
  try {
    statements = parseGroovy(snippet.tokens, snippet.source);
  } catch {
    result.statements.push(tokenCost(snippet.tokens));
    return result;
  }
  for (const s of statements) {
    if (s.kind === 'other' && s.what === 'declaration') {
      const method = methodDefinition(snippet, s.start, s.end);
      if (method) {
        result.methods.push(scriptMethod(method));
        continue;
      }
      result.declaresVariables = true;
    }
    if (s.kind === 'other' && s.what === 'import') continue;
    result.statements.push(...statement(snippet, s, scope, result));
  }
  return result;
}

// ------------------------------------------------------------------ statements

function statement(snippet: Snippet, s: GStmt, scope: Scope, script: GroovySource | undefined): Emit[] {
  if (s.kind === 'expr') return [expression(snippet, s.expr, scope)];
  const tokens = snippet.tokensIn(s.start, s.end).filter((t) => t.type !== 'NLS');
  switch (s.what) {
    case 'declaration':
      return [declaration(snippet, tokens, scope, script)];
    case 'if':
      return [ifStatement(snippet, tokens, scope)];
    case 'return':
    case 'throw': {
      const rest = tokens.slice(1);
      const value = rest.length > 0 ? subExpression(snippet, rest[0]!.start, rest[rest.length - 1]!.end, scope) : constant(null);
      return [s.what === 'return' ? returnStatement(value) : unaryNoLine(value)];
    }
    case 'import':
    case 'package':
    case 'class':
      return [];
    default:
      return [tokenCost(tokens)];
  }
}

/** `b.throw_(line, e)`-like nodes: one call site with a line and the value. */
function unaryNoLine(value: Emit): Emit {
  return (m: CpsMethod) => {
    m.callSite(2);
    m.line(-1);
    value(m);
  };
}

/** `def x = v`, `String x = v`, `def x`, `@Library('l') _`. */
function declaration(snippet: Snippet, tokens: Token[], scope: Scope, script: GroovySource | undefined): Emit {
  const assign = tokens.findIndex((t) => t.type === '=');
  const head = assign < 0 ? tokens : tokens.slice(0, assign);
  const nameToken = [...head].reverse().find((t) => t.type === 'IDENT');
  const name = nameToken?.text ?? '_';
  if (script) script.declaresVariables = true;
  scope.declare(name);
  const line = snippet.line(tokens[0]?.start ?? 0);
  if (assign < 0 || assign === tokens.length - 1) return declareVariable(line, name, undefined);
  const init = subExpression(snippet, tokens[assign + 1]!.start, tokens[tokens.length - 1]!.end, scope);
  return declareVariable(line, name, init);
}

/** The spans of the top-level `def name(...) { ... }` definitions, if that is all the text holds. */
function onlyMethodDefinitions(snippet: Snippet): Span[] | undefined {
  const tokens = snippet.tokens;
  const out: Span[] = [];
  let i = 0;
  while (i < tokens.length) {
    const type = tokens[i]!.type;
    if (type === 'NLS' || type === ';') {
      i++;
      continue;
    }
    if (type === 'EOF') break;
    if (type !== 'def' || tokens[i + 1]?.type !== 'IDENT' || tokens[i + 2]?.type !== '(') return undefined;
    const close = matching(tokens, i + 2);
    if (close < 0 || tokens[close + 1]?.type !== '{') return undefined;
    const end = matching(tokens, close + 1);
    if (end < 0) return undefined;
    out.push({ start: tokens[i]!.start, end: tokens[end]!.end });
    i = end + 1;
  }
  return out;
}

/** A script-level `def name(params) { body }`, before its body is costed. */
interface MethodDefinition {
  name: string;
  line: number;
  params: string[];
  /** The per-token estimate of the body. */
  tokenBytes: number;
  /** The body costed node by node. */
  parseBody(): Emit[];
}

/** `def name(params) { body }` at script level, else undefined. */
function methodDefinition(snippet: Snippet, start: number, end: number): MethodDefinition | undefined {
  const tokens = snippet.tokensIn(start, end).filter((t) => t.type !== 'NLS');
  const open = tokens.findIndex((t) => t.type === '(');
  const brace = tokens.findIndex((t) => t.type === '{');
  if (open < 1 || brace < open || tokens[open - 1]!.type !== 'IDENT' || tokens.slice(0, open).some((t) => t.type === '=')) return undefined;
  const close = matching(tokens, open);
  const params = tokens.slice(open + 1, close).filter((t, i, all) => t.type === 'IDENT' && (all[i + 1]?.type === ',' || all[i + 1]?.type === ')' || all[i + 1] === undefined || all[i + 1]?.type === '='));
  const bodyClose = matching(tokens, brace);
  const bodyStart = tokens[brace]!.end;
  const bodyEnd = tokens[bodyClose]?.start ?? end;
  const paramNames = params.map((p) => p.text);
  return {
    name: tokens[open - 1]!.text,
    line: snippet.line(tokens[0]!.start),
    params: paramNames,
    tokenBytes: tokenBytes(tokens.slice(brace + 1, bodyClose < 0 ? tokens.length : bodyClose)),
    parseBody: () => {
      const methodScope = new Scope();
      for (const p of paramNames) methodScope.declare(p);
      return statementsOf(snippet.range(bodyStart, bodyEnd), methodScope);
    },
  };
}

/**
 * A script method is a CPS method of its own, after the pipeline's in the class (its constants do
 * not change the pipeline's size): the per-token estimate does unless it could come near the
 * limit, and only then is the body parsed.
 */
function scriptMethod(d: MethodDefinition): ScriptMethod {
  return { name: d.name, line: d.line, params: d.params, body: isSmallBody(d.tokenBytes) ? [addBytes(d.tokenBytes)] : d.parseBody() };
}

/** Token-estimated size above which a script method's body is parsed and costed node by node. */
const PARSE_SCRIPT_METHODS_ABOVE = 20_000;

const isSmallBody = (tokenBytes: number): boolean => tokenBytes < PARSE_SCRIPT_METHODS_ABOVE;

// ------------------------------------------------------------------ script methods, one definition at a time

/**
 * What one piece of a script (see {@link scriptMethodsByDefinition}) defines: its methods with
 * lines relative to the piece, and the line feeds it holds. Null: not a piece the fast path takes.
 */
type PieceMethods = { methods: readonly RelativeScriptMethod[]; lineFeeds: number } | null;

/**
 * Pieces already costed, by their shape (the exact text but for string values, which the
 * per-token estimate does not read; see plainGroovyShape): generated helpers recur across
 * pipelines and environments, often with other names and messages in their strings.
 */
const shapeMemo = new Map<string, PieceMethods>();
/** The shape of the last piece lexed, by its first line (see piecesMethods). */
const shapeByFirstLine = new Map<string, PlainGroovyShape>();
/** Bound on each memo: emptied when full (a fleet's distinct helpers fit many times over). */
const PIECE_MEMO_ENTRIES = 4096;

/**
 * The script methods of a text that holds only `def name(...) { ... }` definitions (what lowering
 * emits as the epilogue), costed one definition at a time with a memo of each piece's text; or
 * undefined when the text is not of that kind (the caller then costs it whole, which gives the
 * same methods for texts this accepts).
 *
 * The text is cut before every `def` at the start of a line. Each piece is lexed on its own with
 * the plain lexer; that gives the tokens the whole text's lexing gives only if the lexer is back
 * in its initial state at the cut: so every piece must lex as plain Groovy (no string or comment
 * left open: the plain lexer refuses those) and end with brackets balanced (then the piece's
 * last token is the newline before the cut, after which a fresh lexer reads `def` as the whole
 * text's lexer does). A piece's methods (names, parameters, lines, per-token estimate) depend
 * only on its shape, which is what they are computed from and memoized by.
 */
function scriptMethodsByDefinition(text: string, firstLine: number): ScriptMethod[] | undefined {
  const relative = scriptShapeMethods(text);
  if (!relative) return undefined;
  const out: ScriptMethod[] = [];
  for (const m of relative) out.push({ name: m.name, line: firstLine + m.line - 1, params: m.params, body: m.body });
  return out;
}

/** A script method with its line relative to the text's first line (1), and its body costed per token. */
interface RelativeScriptMethod {
  readonly name: string;
  readonly line: number;
  readonly params: readonly string[];
  readonly body: readonly Emit[];
}

/**
 * Whole script texts already costed one definition at a time, by their first line (a few shapes
 * each, the latest first): a fleet's epilogues are the same helpers with other pipeline names in
 * their strings, so a text is checked against a known shape in one pass instead of being cut,
 * and its pieces looked up, again.
 */
const scriptShapes = new Map<string, KnownScriptShape[]>();
/** A script text's shape, its methods, and the characters the entry holds (for the bound). */
interface KnownScriptShape {
  shape: PlainGroovyShape;
  methods: readonly RelativeScriptMethod[];
  chars: number;
}
/** Shapes kept per first line (texts of other pipelines that start alike). */
const SCRIPT_SHAPES_PER_FIRST_LINE = 4;
/** Bounds on {@link scriptShapes}: first lines, and characters held (emptied when either is reached). */
const SCRIPT_SHAPE_FIRST_LINES = 1024;
const SCRIPT_SHAPE_CHARS = 4_000_000;
let scriptShapeChars = 0;

/**
 * {@link scriptMethodsByDefinition} with lines relative to the text. A text of the same shape as
 * one costed before (see hasShape) has its methods: the cuts before `def` lie in the text between
 * strings (a plain string holds no line end), so its pieces are the known text's pieces with
 * other string values, which have the same shapes, hence the same methods and line feeds.
 */
function scriptShapeMethods(text: string): readonly RelativeScriptMethod[] | undefined {
  if (text.includes('\r')) return undefined; // lines are counted by line feeds below
  const lineEnd = text.indexOf('\n');
  const head = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const known = scriptShapes.get(head);
  if (known) {
    for (let i = 0; i < known.length; i++) {
      if (!hasShape(text, known[i]!.shape)) continue;
      const hit = known[i]!;
      if (i > 0) {
        known.splice(i, 1);
        known.unshift(hit); // latest first
      }
      return hit.methods;
    }
  }
  const methods = methodsByPieces(text);
  if (methods === undefined) return undefined;
  const shape = plainGroovyShape(text);
  // Held: the first line, the shape's text and its segments (about twice the text).
  if (shape?.balanced) rememberScriptShape(head, { shape, methods, chars: head.length + 2 * text.length });
  return methods;
}

function rememberScriptShape(head: string, known: KnownScriptShape): void {
  if (scriptShapes.size >= SCRIPT_SHAPE_FIRST_LINES || scriptShapeChars + known.chars > SCRIPT_SHAPE_CHARS) {
    scriptShapes.clear();
    scriptShapeChars = 0;
  }
  let entries = scriptShapes.get(head);
  if (!entries) scriptShapes.set(head, (entries = []));
  entries.unshift(known); // latest first
  scriptShapeChars += known.chars;
  if (entries.length > SCRIPT_SHAPES_PER_FIRST_LINE) scriptShapeChars -= entries.pop()!.chars;
}

/** The text cut before every `def` at a line start, each piece's methods looked up by its shape. */
function methodsByPieces(text: string): RelativeScriptMethod[] | undefined {
  const out: RelativeScriptMethod[] = [];
  let line = 1;
  let start = 0;
  while (start < text.length) {
    const cut = text.indexOf('\ndef', start);
    const end = cut < 0 ? text.length : cut + 1;
    const methods = piecesMethods(text.slice(start, end));
    if (methods === null) return undefined;
    for (const m of methods.methods) out.push({ name: m.name, line: line + m.line - 1, params: m.params, body: m.body });
    line += methods.lineFeeds;
    start = end;
  }
  return out;
}

/** The methods of a piece, memoized by its shape. */
function piecesMethods(piece: string): PieceMethods {
  // A piece like one seen before but for its strings (the same first line) is checked against
  // that one's shape without lexing it.
  const lineEnd = piece.indexOf('\n');
  const firstLine = lineEnd < 0 ? piece : piece.slice(0, lineEnd);
  const similar = shapeByFirstLine.get(firstLine);
  const shaped = similar && hasShape(piece, similar) ? similar : plainGroovyShape(piece);
  if (shaped && shaped !== similar) {
    if (shapeByFirstLine.size >= PIECE_MEMO_ENTRIES) shapeByFirstLine.clear();
    shapeByFirstLine.set(firstLine, shaped);
  }
  if (!shaped?.balanced) return null;
  let methods = shapeMemo.get(shaped.shape);
  if (methods === undefined) remember(shapeMemo, shaped.shape, (methods = pieceMethods(shaped.shape)));
  return methods;
}

function remember(memo: Map<string, PieceMethods>, key: string, methods: PieceMethods): void {
  if (memo.size >= PIECE_MEMO_ENTRIES) memo.clear();
  memo.set(key, methods);
}

/** The methods one piece (or its shape) defines, lines from 1; null when the fast path does not take it. */
function pieceMethods(piece: string): PieceMethods {
  const lexed = lexPlainGroovyState(piece);
  if (!lexed?.balanced) return null;
  const snippet = Snippet.lexed(lexed.source, lexed.tokens, 1);
  const definitions = onlyMethodDefinitions(snippet);
  if (!definitions) return null;
  const methods: NonNullable<PieceMethods>['methods'][number][] = [];
  for (const d of definitions) {
    const method = methodDefinition(snippet, d.start, d.end);
    if (!method) continue;
    if (!isSmallBody(method.tokenBytes)) return null; // parsed node by node, with the whole text's lines
    methods.push({ name: method.name, line: method.line, params: method.params, body: [addBytes(method.tokenBytes)] });
  }
  return { methods, lineFeeds: countLineFeeds(piece) };
}

function countLineFeeds(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** `if (c) { a } else if (d) b else { c }`. */
function ifStatement(snippet: Snippet, tokens: Token[], scope: Scope): Emit {
  const open = tokens.findIndex((t) => t.type === '(');
  const close = matching(tokens, open);
  if (open < 0 || close < 0) return tokenCost(tokens);
  const test = subExpression(snippet, tokens[open + 1]!.start, tokens[close - 1]!.end, scope);
  const [then, afterThen] = body(snippet, tokens, close + 1, scope);
  let otherwise: Emit | undefined;
  if (tokens[afterThen]?.type === 'else') {
    const rest = tokens.slice(afterThen + 1);
    if (rest[0]?.type === 'if') otherwise = ifStatement(snippet, rest, scope);
    else otherwise = body(snippet, tokens, afterThen + 1, scope)[0];
  }
  return ifElse(test, then, otherwise);
}

/** A `{ block }` or a single statement starting at tokens[at]; returns it and the index after it. */
function body(snippet: Snippet, tokens: Token[], at: number, scope: Scope): [Emit, number] {
  const first = tokens[at];
  if (!first) return [(m) => m.callSite(0), at];
  if (first.type === '{') {
    const close = matching(tokens, at);
    const inner = snippet.range(first.end, tokens[close]?.start ?? first.end);
    const statements = statementsOf(inner, scope.child());
    return [(m) => {
      m.callSite(statements.length);
      for (const s of statements) s(m);
    }, close + 1];
  }
  // A single statement: up to an `else` at this level, or the end.
  let end = at;
  let depth = 0;
  for (; end < tokens.length; end++) {
    const t = tokens[end]!.type;
    if (t === '(' || t === '[' || t === '{') depth++;
    else if (t === ')' || t === ']' || t === '}') depth--;
    else if (t === 'else' && depth === 0) break;
  }
  const statements = statementsOf(snippet.range(first.start, tokens[end - 1]!.end), scope);
  return [(m) => {
    m.callSite(statements.length);
    for (const s of statements) s(m);
  }, end];
}

/** Index of the bracket closing tokens[open], or -1. */
function matching(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!.type;
    if (t === '(' || t === '[' || t === '{' || t === 'GSTRING_START') depth++;
    else if (t === ')' || t === ']' || t === '}' || t === 'GSTRING_END') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

// ------------------------------------------------------------------ expressions

function subExpression(snippet: Snippet, start: number, end: number, scope: Scope): Emit {
  const sub = snippet.range(start, end);
  try {
    const expr = parseGroovyExpression(sub.source, sub.tokens);
    if (expr) return expression(sub, expr, scope);
  } catch {
    // fall through
  }
  return tokenCost(sub.tokens);
}

/**
 * One level of a chain (`a + b + c`, `a.b.c`, `a.b().c()`, `!!x`): what its node emits before the
 * inner part (call site, line) and after it (name, operand, arguments).
 */
interface ChainLevel {
  before: Emit;
  after?: Emit;
}

/**
 * Chains of any length are walked and emitted with loops (never recursion), as the parser builds
 * them: a 200,000-operand `+` or property chain must not exhaust the stack.
 */
function chain(levels: ChainLevel[], innermost: Emit): Emit {
  if (levels.length === 0) return innermost;
  return (m) => {
    for (const level of levels) level.before(m);
    innermost(m);
    for (let i = levels.length - 1; i >= 0; i--) levels[i]!.after?.(m);
  };
}

const opening =
  (arity: number, line: number): Emit =>
  (m) => {
    m.callSite(arity);
    m.line(line);
  };

function expression(snippet: Snippet, start: GExpr, scope: Scope): Emit {
  // Left spines (outermost level first) are collected in a loop.
  const levels: ChainLevel[] = [];
  let e = start;
  for (;;) {
    const line = snippet.line(e.start);
    if (e.kind === 'paren') {
      e = e.inner;
    } else if (e.kind === 'binary') {
      levels.push({ before: opening(3, line), after: expression(snippet, e.right, scope) });
      e = e.left;
    } else if (e.kind === 'unary') {
      levels.push({ before: opening(2, line) });
      e = e.operand;
    } else if (e.kind === 'property' && e.name !== undefined) {
      const name = constant(e.name);
      levels.push({ before: opening(4, line), after: (m) => (name(m), m.rawBoolean()) });
      e = e.target;
    } else if (e.kind === 'call' && e.callee.kind === 'property' && e.callee.name !== undefined) {
      const args = callArguments(snippet, e.args, scope);
      for (const c of e.closures) args.push(closureExpression(snippet, c.start, c.end, c.hasParams, c.body, scope));
      const name = constant(e.callee.name);
      levels.push({
        before: opening(4 + args.length, line),
        after: (m) => {
          name(m);
          m.rawBoolean();
          for (const a of args) a(m);
        },
      });
      e = e.callee.target;
    } else break;
  }
  return chain(levels, leaf(snippet, e, scope));
}

/** An expression that is not a chain level (chains are handled by {@link expression}). */
function leaf(snippet: Snippet, e: GExpr, scope: Scope): Emit {
  const line = snippet.line(e.start);
  switch (e.kind) {
    case 'ident':
      return scope.has(e.name) ? localVariable(line, e.name) : dynamicVariable(line, e.name);
    case 'string':
      return constant(e.value);
    case 'number':
      return constant(Number(e.text.replace(/[_gGlLiIdDfF]$/g, '').replace(/_/g, '')) || 0);
    case 'literal':
      if (e.word === 'this' || e.word === 'super') return thisReference;
      return constant(e.word === 'null' ? null : e.word === 'true');
    case 'gstring':
      return gstringExpression(snippet, e.start, e.end, scope);
    case 'property': {
      const target = expression(snippet, e.target, scope);
      if (e.name === undefined) return property(line, target, tokenCost(snippet.tokensIn(e.target.end, e.end)));
      return property(line, target, constant(e.name));
    }
    case 'call': {
      const args = callArguments(snippet, e.args, scope);
      for (const c of e.closures) args.push(closureExpression(snippet, c.start, c.end, c.hasParams, c.body, scope));
      if (e.callee.kind === 'ident') return functionCall(line, undefined, e.callee.name, args);
      if (e.callee.kind === 'property' && e.callee.name !== undefined) {
        return functionCall(line, expression(snippet, e.callee.target, scope), e.callee.name, args);
      }
      return functionCall(line, expression(snippet, e.callee, scope), 'call', args);
    }
    case 'list':
      return list(e.items.map((a) => expression(snippet, a.value, scope)));
    case 'map':
      return map(e.entries.map((a) => [a.label?.key !== undefined ? constant(a.label.key) : tokenCost([]), expression(snippet, a.value, scope)] as const));
    case 'closure':
      return closureExpression(snippet, e.start, e.end, e.hasParams, e.body, scope);
    case 'assign': {
      const target = e.target.kind === 'ident' && !scope.has(e.target.name) ? dynamicVariable(line, e.target.name) : expression(snippet, e.target, scope);
      return binary(line, target, expression(snippet, e.value, scope));
    }
    case 'paren':
      return expression(snippet, e.inner, scope);
    case 'unary':
      return unary(line, expression(snippet, e.operand, scope));
    case 'binary':
      return binary(line, expression(snippet, e.left, scope), expression(snippet, e.right, scope));
    case 'other':
      return otherExpression(snippet, e.what, e.start, e.end, scope);
  }
}

/** Named arguments become one map, first; then the positional ones. */
function callArguments(snippet: Snippet, args: GArg[], scope: Scope): Emit[] {
  const named = args.filter((a) => a.label);
  const positional = args.filter((a) => !a.label);
  const out: Emit[] = [];
  if (named.length > 0) {
    out.push(map(named.map((a) => [a.label!.key !== undefined ? constant(a.label!.key) : tokenCost([]), expression(snippet, a.value, scope)] as const)));
  }
  for (const a of positional) out.push(expression(snippet, a.value, scope));
  return out;
}

function closureExpression(snippet: Snippet, start: number, end: number, hasParams: boolean, statements: GStmt[], scope: Scope): Emit {
  const inner = scope.child();
  let params: string[] = [];
  if (hasParams) {
    const tokens = snippet.tokensIn(start, end);
    const arrow = tokens.findIndex((t) => t.type === '->');
    params = tokens.slice(1, arrow < 0 ? 1 : arrow).filter((t) => t.type === 'IDENT').map((t) => t.text);
    params = params.filter((p, i, all) => i === all.length - 1 || !/^[A-Z]/.test(p));
    for (const p of params) inner.declare(p);
  }
  const body: Emit[] = [];
  for (const s of statements) body.push(...statement(snippet, s, inner, undefined));
  return closure(snippet.line(start), body, hasParams && params.length === 0 ? null : params);
}

/** `"a ${x} b"`: string fragments and the value expressions between them. */
function gstringExpression(snippet: Snippet, start: number, end: number, scope: Scope): Emit {
  const tokens = snippet.tokensIn(start, end);
  const strings: string[] = [];
  const values: Emit[] = [];
  let valueStart = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'GSTRING_START' || t.type === 'GSTRING_MIDDLE' || t.type === 'GSTRING_END') {
      if (valueStart >= 0 && valueStart < i) {
        let from = valueStart;
        let to = i - 1;
        if (tokens[from]!.type === '{' && tokens[to]!.type === '}') {
          from++;
          to--;
        }
        values.push(from <= to ? subExpression(snippet, tokens[from]!.start, tokens[to]!.end, scope) : constant(null));
      }
      strings.push(t.value ?? '');
      valueStart = i + 1;
    }
  }
  return gstring(snippet.line(start), values, strings);
}

/** Constructs the parser keeps as spans: elvis and ternary are split; the rest is costed per token. */
function otherExpression(snippet: Snippet, what: string, start: number, end: number, scope: Scope): Emit {
  const tokens = snippet.tokensIn(start, end);
  if (what === 'elvis' || what === 'ternary') {
    const q = topLevelIndex(tokens, what === 'elvis' ? '?:' : '?');
    if (q > 0) {
      const test = subExpression(snippet, tokens[0]!.start, tokens[q - 1]!.end, scope);
      if (what === 'elvis') return elvis(test, subExpression(snippet, tokens[q + 1]!.start, tokens[tokens.length - 1]!.end, scope));
      const colon = topLevelIndex(tokens, ':', q + 1);
      if (colon > q) {
        return ternary(
          test,
          subExpression(snippet, tokens[q + 1]!.start, tokens[colon - 1]!.end, scope),
          subExpression(snippet, tokens[colon + 1]!.start, tokens[tokens.length - 1]!.end, scope),
        );
      }
    }
  }
  return tokenCost(tokens);
}

function topLevelIndex(tokens: Token[], type: string, from = 0): number {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!.type;
    if (t === '(' || t === '[' || t === '{' || t === 'GSTRING_START') depth++;
    else if (t === ')' || t === ']' || t === '}' || t === 'GSTRING_END') depth--;
    else if (t === type && depth === 0) return i;
  }
  return -1;
}

/** The per-token estimate for constructs the model does not parse. */
function tokenCost(tokens: readonly Token[]): Emit {
  return addBytes(tokenBytes(tokens));
}

function tokenBytes(tokens: readonly Token[]): number {
  let bytes = 0;
  for (const t of tokens) {
    if (IGNORED_TOKENS.has(t.type)) continue;
    if (t.type === 'IDENT') bytes += TOKEN_COST.identifier;
    else if (t.type === 'STRING' || t.type === 'NUM' || t.type.startsWith('GSTRING')) bytes += TOKEN_COST.literal;
    else if (/^[a-z]+$/.test(t.type)) bytes += TOKEN_COST.keyword;
    else bytes += TOKEN_COST.operator;
  }
  return bytes;
}

const addBytes =
  (bytes: number): Emit =>
  (m) => {
    m.bytes += bytes;
  };

// ------------------------------------------------------------------ environment values

/**
 * An `environment { }` value as Declarative's `translateEnvironmentValue` rewrites it: references
 * to other keys of the same block become `{ getClosure('K').call() }`, other bare names
 * `{ this.getScriptPropOrParam('N') }`, and the parts of GStrings, `+`, property chains and calls
 * are rewritten recursively (the rewritten nodes have no line). `closure` tells whether the result
 * is already a closure (then Declarative does not wrap it in another).
 */
export function environmentValue(text: string, line: number, target: string, keys: ReadonlySet<string>, scope: Scope): { emit: Emit; closure: boolean } {
  const snippet = Snippet.of(text, line);
  let expr: GExpr | undefined;
  try {
    expr = parseGroovyExpression(snippet.source, snippet.tokens);
  } catch {
    expr = undefined;
  }
  if (!expr) return { emit: tokenCost(snippet.tokens), closure: false };
  return translate(snippet, expr, target, keys, scope);
}

function translate(snippet: Snippet, start: GExpr, target: string, keys: ReadonlySet<string>, scope: Scope): { emit: Emit; closure: boolean } {
  // `+` and property chains are walked with a loop (see chain()); their levels have no line.
  const levels: ChainLevel[] = [];
  let e = start;
  for (;;) {
    if (e.kind === 'paren') e = e.inner;
    else if (e.kind === 'binary') {
      const right = translate(snippet, e.right, target, keys, scope);
      levels.push({ before: opening(3, -1), after: right.closure ? functionCall(-1, right.emit, 'call', []) : right.emit });
      e = e.left;
    } else if (e.kind === 'property' && e.name !== undefined && !(e.target.kind === 'ident' && e.target.name === 'env' && keys.has(e.name))) {
      const name = constant(e.name);
      levels.push({ before: opening(4, -1), after: (m) => (name(m), m.rawBoolean()) });
      e = e.target;
    } else break;
  }
  const inner = translateLeaf(snippet, e, target, keys, scope);
  if (levels.length === 0) return inner;
  return { emit: chain(levels, inner.closure ? functionCall(-1, inner.emit, 'call', []) : inner.emit), closure: false };
}

function translateLeaf(snippet: Snippet, e: GExpr, target: string, keys: ReadonlySet<string>, scope: Scope): { emit: Emit; closure: boolean } {
  const plain = (emit: Emit) => ({ emit, closure: false });
  const call = (x: GExpr): Emit => {
    const t = translate(snippet, x, target, keys, scope);
    return t.closure ? functionCall(-1, t.emit, 'call', []) : t.emit;
  };
  const scriptProperty = (name: string) => ({
    emit: closure(-1, [returnStatement(functionCall(-1, thisReference, 'getScriptPropOrParam', [constant(name)]))]),
    closure: true,
  });
  const otherKey = (name: string) => ({
    emit: closure(-1, [returnStatement(functionCall(-1, functionCall(-1, undefined, 'getClosure', [constant(name)]), 'call', []))]),
    closure: true,
  });
  switch (e.kind) {
    case 'gstring': {
      const tokens = snippet.tokensIn(e.start, e.end);
      const strings: string[] = [];
      const values: Emit[] = [];
      let valueStart = -1;
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        if (t.type !== 'GSTRING_START' && t.type !== 'GSTRING_MIDDLE' && t.type !== 'GSTRING_END') continue;
        if (valueStart >= 0 && valueStart < i) {
          let from = valueStart;
          let to = i - 1;
          if (tokens[from]!.type === '{' && tokens[to]!.type === '}') {
            from++;
            to--;
          }
          const sub = snippet.range(tokens[from]!.start, tokens[to]!.end);
          let inner: GExpr | undefined;
          try {
            inner = parseGroovyExpression(sub.source, sub.tokens);
          } catch {
            inner = undefined;
          }
          values.push(inner ? call2(sub, inner) : tokenCost(sub.tokens));
        }
        strings.push(t.value ?? '');
        valueStart = i + 1;
      }
      return plain(gstring(-1, values, strings));
    }
    case 'property':
      if (e.target.kind === 'ident' && e.target.name === 'env' && e.name !== undefined && keys.has(e.name)) {
        return e.name === target ? scriptProperty(e.name) : otherKey(e.name);
      }
      return plain(property(-1, call(e.target), e.name !== undefined ? constant(e.name) : tokenCost([])));
    case 'ident':
      if (keys.has(e.name) && e.name !== target) return otherKey(e.name);
      if (scope.has(e.name)) return plain(expression(snippet, e, scope));
      return scriptProperty(e.name);
    case 'call': {
      const args = callArguments(snippet, e.args, scope);
      if (e.callee.kind === 'property' && e.callee.name !== undefined) return plain(functionCall(-1, call(e.callee.target), e.callee.name, args));
      if (e.callee.kind === 'ident') return plain(functionCall(-1, thisReference, e.callee.name, args));
      return plain(expression(snippet, e, scope));
    }
    default:
      return plain(expression(snippet, e, scope));
  }

  function call2(sub: Snippet, x: GExpr): Emit {
    const t = translate(sub, x, target, keys, scope);
    return t.closure ? functionCall(-1, t.emit, 'call', []) : t.emit;
  }
}
