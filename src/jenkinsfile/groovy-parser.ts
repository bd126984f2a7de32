/**
 * A recursive-descent parser for the Groovy 2.4 statement and expression grammar (after the
 * antlr2 grammar `groovy.g` Jenkins compiles with), producing a small concrete syntax tree with
 * source spans. It exists so that the Jenkinsfile parser accepts and rejects the same files as
 * Groovy 2.4 does, and can see the shape of the declarative part: method calls, command
 * expressions (`sh 'x'`), trailing closures, assignments, literals.
 *
 * Syntactic predicates of the grammar (`(X)=> X`) are implemented by speculative parsing with
 * backtracking. Class bodies are skipped as balanced blocks (Jenkinsfiles rarely declare classes).
 */
import { GroovySyntaxError, type SourceText, type StringKind, type Token } from './groovy-lexer.ts';

/** Translated start (inclusive) and end (exclusive) indices of a node. */
export interface Span {
  start: number;
  end: number;
}

export interface GIdent extends Span {
  kind: 'ident';
  name: string;
}
export interface GString extends Span {
  kind: 'string';
  value: string;
  stringKind: StringKind;
}
export interface GGString extends Span {
  kind: 'gstring';
}
export interface GNumber extends Span {
  kind: 'number';
  text: string;
}
export interface GLiteral extends Span {
  kind: 'literal';
  word: 'true' | 'false' | 'null' | 'this' | 'super';
}
/** `target.name`, `target?.name`, `target*.name`, `target.&name`; `name` undefined when computed. */
export interface GProperty extends Span {
  kind: 'property';
  target: GExpr;
  name: string | undefined;
  op: string;
}
/** A method call: `callee(args) { closure }`, or a command expression `callee arg, arg`. */
export interface GCall extends Span {
  kind: 'call';
  callee: GExpr;
  args: GArg[];
  closures: GClosure[];
  /** True for a command expression (`sh 'x'`). */
  command: boolean;
}
export interface GList extends Span {
  kind: 'list';
  items: GArg[];
}
export interface GMap extends Span {
  kind: 'map';
  entries: GArg[];
}
export interface GClosure extends Span {
  kind: 'closure';
  hasParams: boolean;
  body: GStmt[];
  /** Index just after `{` and index of `}`. */
  bodyStart: number;
  bodyEnd: number;
}
export interface GAssign extends Span {
  kind: 'assign';
  op: string;
  target: GExpr;
  value: GExpr;
}
export interface GParen extends Span {
  kind: 'paren';
  inner: GExpr;
}
export interface GUnary extends Span {
  kind: 'unary';
  op: string;
  operand: GExpr;
}
export interface GBinary extends Span {
  kind: 'binary';
  op: string;
  left: GExpr;
  right: GExpr;
}
/** Any other expression (ternary, index, cast, `new`, ...), kept only as a span. */
export interface GOther extends Span {
  kind: 'other';
  what: string;
}

export type GExpr =
  | GIdent
  | GString
  | GGString
  | GNumber
  | GLiteral
  | GProperty
  | GCall
  | GList
  | GMap
  | GClosure
  | GAssign
  | GParen
  | GUnary
  | GBinary
  | GOther;

/** A map key or named-argument label; `key` is undefined for a computed label. */
export interface GLabel extends Span {
  key: string | undefined;
}
export interface GArg extends Span {
  label?: GLabel;
  spread?: '*' | '*:';
  value: GExpr;
}

export interface GExprStatement extends Span {
  kind: 'expr';
  expr: GExpr;
}
/** Declarations, control flow, imports, class definitions...: only the span is kept. */
export interface GOtherStatement extends Span {
  kind: 'other';
  what: string;
}
export type GStmt = GExprStatement | GOtherStatement;

/**
 * A parser failure that a syntactic predicate may backtrack from (lexer errors never are).
 * Speculative parsing throws many of these, so they are created without a stack trace.
 */
class ParseFailure extends GroovySyntaxError {
  constructor(message: string, index: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, index);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/**
 * How deeply constructs may nest: every `{ }` block or closure, `( )` group, argument list,
 * `[ ]` list, map or index, GString `${ }`, cast, brace-less statement body (`if (a) if (b) x`,
 * `else if` chains), label, nested `switch`, ternary/elvis branch and assignment value opens one
 * level. A declarative stage nested in another costs two (`stage('x') {` and `stages {`).
 *
 * Chains are not nesting and have no limit: property and method chains (`a.b().c`), binary
 * operator chains (`a + b + c`), runs of prefix operators (`!!x`) and command chains are parsed
 * by loops, and every walker of the trees handles them by loops too.
 *
 * Why 256: 100 nested stages (about 205 levels) must pass, and that is about what compile emits
 * for deep models. Measured cold (a fresh `node`, default ~1 MB stack), the parser itself runs
 * out at about 445 nested closures or 590 parentheses, so 256 leaves room for the caller's frames
 * and the walkers after it (declarative reader, validator, importer; see
 * test/jenkinsfile/parse-nesting.test.ts). Groovy 2.4.21 on Jenkins' default 1 MB thread stack
 * throws StackOverflowError from about 60 nested stages, 100-150 nested closures, parentheses or
 * brackets, or 100 nested GStrings, so nothing Jenkins can load is refused; with an 8 MB stack it
 * reaches about 1,000 nested closures, which pipewright refuses beyond 256 (documented).
 */
export const MAX_NESTING_DEPTH = 256;

/**
 * Nesting beyond {@link MAX_NESTING_DEPTH}: a hard stop (syntactic predicates never backtrack
 * from it), reported at the opening token of the first level too many.
 */
export class NestingTooDeepError extends GroovySyntaxError {
  constructor(index: number, message = `nesting deeper than ${MAX_NESTING_DEPTH} levels: pipewright's parser stops here (each block, closure, bracket, parenthesis and \${ } opens a level; Groovy 2.4 on a 1 MB thread stack already fails at about 60 nested stages)`) {
    super(message, index);
  }
}

const MODIFIERS = new Set([
  'private', 'public', 'protected', 'static', 'transient', 'final', 'abstract', 'native', 'threadsafe',
  'synchronized', 'volatile', 'strictfp',
]);
const BUILTIN_TYPES = new Set(['void', 'boolean', 'byte', 'char', 'short', 'int', 'float', 'long', 'double']);
/** Keywords allowed after a dot and as argument labels (`keywordPropertyNames`). */
const KEYWORD_PROPERTY_NAMES = new Set([
  'as', 'assert', 'break', 'case', 'catch', 'class', 'const', 'continue', 'def', 'default', 'do', 'else',
  'enum', 'extends', 'false', 'finally', 'for', 'goto', 'if', 'implements', 'import', 'in', 'instanceof',
  'interface', 'new', 'null', 'package', 'return', 'super', 'switch', 'this', 'throw', 'throws', 'trait',
  'true', 'try', 'while', ...MODIFIERS, ...BUILTIN_TYPES,
]);
const ASSIGNMENT_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '>>=', '>>>=', '<<=', '&=', '^=', '|=', '**=']);
const BRANCH_KEYWORDS = new Set(['return', 'break', 'continue', 'throw', 'assert']);

/** lc_stmt values of the grammar: where an appended block may follow a newline. */
const LC_NONE = 0;
const LC_STMT = 1;
const LC_INIT = 2;

/** Parses a whole compilation unit (a Jenkinsfile). Throws GroovySyntaxError on the first error. */
export function parseGroovy(tokens: Token[], source: SourceText): GStmt[] {
  const parser = new GroovyParser(tokens, source);
  try {
    return parser.compilationUnit();
  } catch (error) {
    // MAX_NESTING_DEPTH keeps the parser far inside the stack; should a caller's own stack be
    // nearly used up, stopping at the current token still beats a RangeError with a stack trace.
    if (isStackOverflow(error)) throw new NestingTooDeepError(parser.position(), 'the parser ran out of stack space here');
    throw error;
  }
}

/** Whether `error` is V8's "Maximum call stack size exceeded". */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

class GroovyParser {
  private readonly tokens: Token[];
  private readonly source: SourceText;
  private i = 0;
  /** The node most recently produced by pathExpression (the grammar's `lastPathExpression`). */
  private lastPathExpression: GExpr | undefined;
  /** Statement separator seen before the current statement: 'NLS', ';', or 'EOF' (start). */
  private sepToken = 'EOF';
  /** Levels of nesting open at the current token (see MAX_NESTING_DEPTH). */
  private depth = 0;

  constructor(tokens: Token[], source: SourceText) {
    this.tokens = tokens;
    this.source = source;
  }

  /** Start index of the current token (for errors raised outside the parser's own checks). */
  position(): number {
    return this.tokens[Math.min(this.i, this.tokens.length - 1)]!.start;
  }

  // ---------------------------------------------------------------- token access

  private tok(k = 0): Token {
    const index = Math.min(this.i + k, this.tokens.length - 1);
    const token = this.tokens[index]!;
    if (token.type === 'ERROR') throw token.error!;
    return token;
  }

  private la(k = 0): string {
    return this.tok(k).type;
  }

  /** Type of the token at absolute index `index` (for token-level lookahead scans). */
  private typeAt(index: number): string {
    const token = this.tokens[Math.min(index, this.tokens.length - 1)]!;
    if (token.type === 'ERROR') throw token.error!;
    return token.type;
  }

  private next(): Token {
    const token = this.tok();
    if (this.i < this.tokens.length - 1) this.i++;
    return token;
  }

  /** End index of the last consumed token that is not a newline. */
  private lastEnd(): number {
    for (let k = this.i - 1; k >= 0; k--) {
      const token = this.tokens[k]!;
      if (token.type !== 'NLS') return token.end;
    }
    return 0;
  }

  /** Token text as antlr2 prints it (string literals without their quotes). */
  private tokenText(token: Token): string {
    return token.type === 'STRING' ? (token.value ?? '') : token.text;
  }

  private describe(token: Token): string {
    if (token.type === 'EOF') return "''";
    if (token.type === 'NLS') return "'<newline>'";
    return `'${this.tokenText(token)}'`;
  }

  private fail(message: string, token: Token = this.tok()): never {
    throw new ParseFailure(message, token.start);
  }

  private unexpected(token: Token = this.tok()): never {
    if (token.type === 'EOF') this.fail('unexpected token: <EOF>', token);
    if (token.type === 'NLS') this.fail('unexpected token: <newline>', token);
    this.fail(`unexpected token: ${this.tokenText(token)}`, token);
  }

  private expect(type: string, display = `'${type}'`): Token {
    const token = this.tok();
    if (token.type !== type) this.fail(`expecting ${display}, found ${this.describe(token)}`, token);
    return this.next();
  }

  private accept(type: string): boolean {
    if (this.la() !== type) return false;
    this.next();
    return true;
  }

  /** nls: an optional (insignificant) newline. */
  private nls(): void {
    if (this.la() === 'NLS') this.next();
  }

  /** Opens one level of nesting at `at` (default: the current token); throws past MAX_NESTING_DEPTH. */
  private enter(at?: number): void {
    if (++this.depth > MAX_NESTING_DEPTH) throw new NestingTooDeepError(at ?? this.tok().start);
  }

  /** Closes the level opened by the matching `enter()` (failures restore it in attempt/predicate). */
  private leave(): void {
    this.depth--;
  }

  /** Runs `parse` speculatively; on a parse failure restores the position and returns undefined. */
  private attempt<T>(parse: () => T): T | undefined {
    const saved = this.i;
    const savedPath = this.lastPathExpression;
    const savedSep = this.sepToken;
    const savedDepth = this.depth;
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      this.i = saved;
      this.lastPathExpression = savedPath;
      this.sepToken = savedSep;
      this.depth = savedDepth;
      return undefined;
    }
  }

  /** A syntactic predicate: true if `parse` would succeed here; never consumes. */
  private predicate(parse: () => unknown): boolean {
    const saved = this.i;
    const savedPath = this.lastPathExpression;
    const savedSep = this.sepToken;
    const savedDepth = this.depth;
    try {
      parse();
      return true;
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      return false;
    } finally {
      this.i = saved;
      this.lastPathExpression = savedPath;
      this.sepToken = savedSep;
      this.depth = savedDepth;
    }
  }

  // ---------------------------------------------------------------- statements

  /** One expression followed only by newlines and the end of input, else undefined. */
  singleExpression(): GExpr | undefined {
    try {
      this.nls();
      const expr = this.expressionStatementNoCheck();
      this.nls();
      return this.la() === 'EOF' ? expr : undefined;
    } catch (error) {
      if (error instanceof GroovySyntaxError) return undefined;
      throw error;
    }
  }

  compilationUnit(): GStmt[] {
    const statements: GStmt[] = [];
    this.nls();
    if (this.la() === 'package' || (this.la() === '@' && this.predicate(() => this.annotationsThen('package')))) {
      statements.push(this.packageDefinition());
    } else if (this.canStartStatement()) {
      statements.push(this.statement('EOF'));
    }
    while (this.la() === ';' || this.la() === 'NLS') {
      this.sep();
      if (this.canStartStatement()) statements.push(this.statement(this.sepToken));
    }
    if (this.la() !== 'EOF') this.unexpected();
    return statements;
  }

  private canStartStatement(): boolean {
    const t = this.la();
    return !(t === ';' || t === 'NLS' || t === 'EOF' || t === '}' || t === ')' || t === ']' || t === ',' ||
      t === 'case' || t === 'default' || t === 'GSTRING_MIDDLE' || t === 'GSTRING_END');
  }

  /** sep: `;` or a significant newline, with any further `;` and newlines. */
  private sep(): void {
    let sawSemicolon = false;
    while (this.la() === ';' || this.la() === 'NLS') {
      if (this.next().type === ';') sawSemicolon = true;
    }
    this.sepToken = sawSemicolon ? ';' : 'NLS';
  }

  /** blockBody: statements separated by `sep`, up to (not including) the closing `}`. */
  private blockBody(): GStmt[] {
    const statements: GStmt[] = [];
    this.sepToken = 'EOF';
    if (this.canStartStatement()) statements.push(this.statement('EOF'));
    while (this.la() === ';' || this.la() === 'NLS') {
      this.sep();
      if (this.canStartStatement()) statements.push(this.statement(this.sepToken));
    }
    return statements;
  }

  private statement(prevToken: string): GStmt {
    const start = this.tok().start;
    const t = this.la();
    const other = (what: string): GOtherStatement => ({ kind: 'other', what, start, end: this.lastEnd() });

    if ((t === 'import') || (t === '@' && this.predicate(() => this.annotationsThen('import')))) {
      this.importStatement();
      return other('import');
    }
    if (this.multipleAssignmentDeclarationStart()) {
      this.modifiers();
      this.multipleAssignmentTail();
      return other('declaration');
    }
    if (this.declarationStart()) {
      this.declaration();
      return other('declaration');
    }
    if (t === 'IDENT' && this.la(1) === ':') {
      this.next();
      this.next();
      this.nls();
      if (this.la() === '{') this.openOrClosableBlock();
      else {
        this.enter();
        this.statement(':');
        this.leave();
      }
      return other('labeled');
    }
    switch (t) {
      case 'if':
        this.ifStatement();
        return other('if');
      case 'for':
        this.forStatement();
        return other('for');
      case 'while':
        this.next();
        this.expect('(');
        this.strictContextExpression(false);
        this.expect(')');
        this.nls();
        if (!this.accept(';')) this.compatibleBodyStatement();
        return other('while');
      case 'switch':
        this.switchStatement();
        return other('switch');
      case 'try':
        this.tryStatement();
        return other('try');
      case 'synchronized':
        this.next();
        this.expect('(');
        this.strictContextExpression(false);
        this.expect(')');
        this.nls();
        this.openBlock();
        return other('synchronized');
    }
    if (BRANCH_KEYWORDS.has(t)) {
      this.branchStatement();
      return other(t);
    }
    if (this.typeDefinitionStart()) {
      this.typeDefinition();
      return other('class');
    }
    const expr = this.expressionStatement(prevToken);
    return { kind: 'expr', expr, start, end: this.lastEnd() };
  }

  private packageDefinition(): GOtherStatement {
    const start = this.tok().start;
    while (this.la() === '@') {
      this.annotation();
      this.nls();
    }
    this.expect('package');
    this.identifier();
    return { kind: 'other', what: 'package', start, end: this.lastEnd() };
  }

  /** For predicates: annotations followed by the keyword `word`. */
  private annotationsThen(word: string): void {
    while (this.la() === '@') {
      this.annotation();
      this.nls();
    }
    this.expect(word);
  }

  private importStatement(): void {
    while (this.la() === '@') {
      this.annotation();
      this.nls();
    }
    this.expect('import');
    this.accept('static');
    this.expect('IDENT', 'IDENT');
    while (this.la() === '.') {
      this.next();
      this.nls();
      if (this.accept('*')) return;
      this.expect('IDENT', 'IDENT');
    }
    if (this.accept('as')) this.expect('IDENT', 'IDENT');
  }

  private ifStatement(): void {
    this.expect('if');
    this.expect('(');
    this.conditionalExpression(LC_NONE);
    this.expect(')');
    this.nls();
    this.compatibleBodyStatement();
    // `(sep)? else`: the else may follow on a later line or after a semicolon.
    let k = this.i;
    while (this.typeAt(k) === ';' || this.typeAt(k) === 'NLS') k++;
    if (this.typeAt(k) === 'else') {
      while (this.la() === ';' || this.la() === 'NLS') this.next();
      this.expect('else');
      this.nls();
      this.compatibleBodyStatement();
    }
  }

  private compatibleBodyStatement(): void {
    if (this.la() === '{') this.openBlock();
    else {
      this.enter();
      this.statement('EOF');
      this.leave();
    }
  }

  private forStatement(): void {
    this.expect('for');
    this.expect('(');
    const classic =
      this.la() === ';' ||
      this.predicate(() => {
        this.strictContextExpression(true);
        this.expect(';');
      });
    if (classic) {
      if (this.la() !== ';') this.strictContextExpression(true);
      let parts = 0;
      while (this.accept(';')) {
        parts++;
        if (this.la() !== ';' && this.la() !== ')') this.strictContextExpression(true);
      }
      if (parts === 0) this.expect(';');
    } else {
      const declared = this.declarationStart();
      if (declared) this.singleDeclaration(false);
      else this.expect('IDENT', 'IDENT');
      if (this.accept('in')) this.shiftExpression(LC_NONE);
      else {
        if (!declared && this.la() === ':') this.fail('Java-style for-each statement requires a type declaration.');
        this.expect(':');
        this.expression(LC_NONE);
      }
    }
    this.expect(')');
    this.nls();
    if (!this.accept(';')) this.compatibleBodyStatement();
  }

  private switchStatement(): void {
    this.enter();
    this.expect('switch');
    this.expect('(');
    this.strictContextExpression(false);
    this.expect(')');
    this.nls();
    this.expect('{');
    this.nls();
    while (this.la() === 'case' || this.la() === 'default') {
      while (this.la() === 'case' || this.la() === 'default') {
        if (this.accept('case')) this.expression(LC_NONE);
        else this.next();
        this.expect(':');
        this.nls();
      }
      this.statement(':');
      while (this.la() === ';' || this.la() === 'NLS') {
        this.sep();
        if (this.canStartStatement()) this.statement(this.sepToken);
      }
    }
    this.expect('}');
    this.leave();
  }

  private tryStatement(): void {
    this.expect('try');
    this.nls();
    this.openBlock();
    for (;;) {
      if (this.la() === 'catch' || (this.la() === 'NLS' && this.la(1) === 'catch')) {
        this.nls();
        this.next();
        this.expect('(');
        this.nls();
        this.accept('final');
        this.accept('def');
        if (!(this.la() === 'IDENT' && this.la(1) === ')')) {
          this.nls();
          this.classOrInterfaceType();
          while (this.accept('|')) {
            this.nls();
            this.classOrInterfaceType();
          }
        }
        this.expect('IDENT', 'IDENT');
        this.expect(')');
        this.nls();
        this.openBlock();
        continue;
      }
      break;
    }
    if (this.la() === 'finally' || (this.la() === 'NLS' && this.la(1) === 'finally')) {
      this.nls();
      this.next();
      this.nls();
      this.openBlock();
    }
  }

  private branchStatement(): void {
    const t = this.next().type;
    if (t === 'return') {
      if (this.canStartExpression()) this.expression(LC_NONE);
    } else if (t === 'break' || t === 'continue') {
      this.accept('IDENT');
    } else if (t === 'throw') {
      this.expression(LC_NONE);
    } else {
      this.conditionalExpression(LC_NONE);
      if (this.la() === ',' || this.la() === ':') {
        this.next();
        this.nls();
        this.expression(LC_NONE);
      }
    }
  }

  private canStartExpression(): boolean {
    const t = this.la();
    return (
      t === 'IDENT' || t === 'NUM' || t === 'STRING' || t === 'GSTRING_START' || t === '(' || t === '[' || t === '{' ||
      t === '-' || t === '+' || t === '++' || t === '--' || t === '!' || t === '~' || t === 'new' || t === 'this' ||
      t === 'super' || t === 'true' || t === 'false' || t === 'null' || BUILTIN_TYPES.has(t)
    );
  }

  private typeDefinitionStart(): boolean {
    let k = this.i;
    for (;;) {
      const t = this.typeAt(k);
      if (MODIFIERS.has(t) || t === 'def') {
        k++;
        if (this.typeAt(k) === 'NLS') k++;
        continue;
      }
      if (t === '@' && this.typeAt(k + 1) !== 'interface') {
        const after = this.skipAnnotationAt(k);
        if (after < 0) return false;
        k = after;
        if (this.typeAt(k) === 'NLS') k++;
        continue;
      }
      break;
    }
    const t = this.typeAt(k);
    return t === 'class' || t === 'interface' || t === 'enum' || t === 'trait' || (t === '@' && this.typeAt(k + 1) === 'interface');
  }

  /** class/interface/enum/trait definitions: header parsed loosely, body skipped as a balanced block. */
  private typeDefinition(): void {
    while (MODIFIERS.has(this.la()) || this.la() === 'def' || (this.la() === '@' && this.la(1) !== 'interface')) {
      if (this.la() === '@') this.annotation();
      else this.next();
      this.nls();
    }
    if (this.accept('@')) this.expect('interface');
    else this.next();
    this.expect('IDENT', 'IDENT');
    while (this.la() !== '{') {
      const t = this.la();
      if (t === 'EOF' || t === ';' || t === '}') this.fail(`expecting '{', found ${this.describe(this.tok())}`);
      this.next();
    }
    this.skipBalanced();
  }

  /** Skips a balanced `{ ... }` (or `( )`, `[ ]`) block starting at the current token. */
  private skipBalanced(): void {
    const open = this.la();
    const close = open === '{' ? '}' : open === '(' ? ')' : ']';
    const stack: string[] = [close];
    this.next();
    while (stack.length > 0) {
      const t = this.la();
      if (t === 'EOF') this.fail(`expecting '${stack[stack.length - 1]}', found ''`);
      this.next();
      if (t === '{') stack.push('}');
      else if (t === '(') stack.push(')');
      else if (t === '[') stack.push(']');
      else if (t === '}' || t === ')' || t === ']') {
        if (stack[stack.length - 1] !== t) this.fail(`unexpected token: ${t}`, this.tokens[this.i - 1]);
        stack.pop();
      }
    }
  }

  /** Token index after a balanced bracket group starting at `k`, or -1. */
  private skipBalancedAt(k: number): number {
    const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}', GSTRING_START: 'GSTRING_END' };
    const stack: string[] = [];
    for (;;) {
      const t = this.typeAt(k);
      if (t === 'EOF') return -1;
      k++;
      if (pairs[t]) stack.push(pairs[t]!);
      else if (t === ')' || t === ']' || t === '}' || t === 'GSTRING_END') {
        if (stack.pop() !== t) return -1;
      }
      if (stack.length === 0) return k;
    }
  }

  /** Token index after an annotation starting at `k` (`@Name.x(args)`), or -1. */
  private skipAnnotationAt(k: number): number {
    if (this.typeAt(k) !== '@' || this.typeAt(k + 1) !== 'IDENT') return -1;
    k += 2;
    while (this.typeAt(k) === '.' && this.typeAt(k + 1) === 'IDENT') k += 2;
    if (this.typeAt(k) === '(') k = this.skipBalancedAt(k);
    return k;
  }

  private annotation(): void {
    this.expect('@');
    this.identifier();
    if (this.la() === '(') {
      this.next();
      if (this.la() !== ')') {
        if (this.la() === 'IDENT' && this.la(1) === '=') {
          do {
            this.expect('IDENT', 'IDENT');
            this.expect('=');
            this.annotationMemberValue();
          } while (this.accept(','));
        } else {
          this.annotationMemberValue();
        }
      }
      this.expect(')');
    }
  }

  private annotationMemberValue(): void {
    this.enter();
    if (this.la() === '@') this.annotation();
    else this.conditionalExpression(LC_NONE);
    this.leave();
  }

  private identifier(): void {
    this.expect('IDENT', 'IDENT');
    while (this.la() === '.') {
      this.next();
      this.nls();
      this.expect('IDENT', 'IDENT');
    }
  }

  // ---------------------------------------------------------------- declarations

  private isUpperCaseIdent(k: number): boolean {
    const token = this.tokens[Math.min(k, this.tokens.length - 1)]!;
    if (token.type !== 'IDENT') return false;
    const first = token.text[0]!;
    return first !== first.toLowerCase();
  }

  /** Token index after a type name at `k` for declarationStart, or -1. */
  private typeNameAt(k: number): number {
    const t = this.typeAt(k);
    if (BUILTIN_TYPES.has(t)) return k + 1;
    if (t !== 'IDENT') return -1;
    if (this.typeAt(k + 1) === '.') {
      // qualifiedTypeName: IDENT DOT (IDENT DOT)* upperCaseIdent
      let j = k;
      while (this.typeAt(j) === 'IDENT' && this.typeAt(j + 1) === '.') j += 2;
      return this.isUpperCaseIdent(j) ? j + 1 : -1;
    }
    return this.isUpperCaseIdent(k) ? k + 1 : -1;
  }

  /** Token index after `<...>` type arguments at `k`, or -1. */
  private typeArgumentsAt(k: number): number {
    let depth = 0;
    for (;;) {
      const t = this.typeAt(k);
      if (t === '<') depth++;
      else if (t === '>') depth -= 1;
      else if (t === '>>') depth -= 2;
      else if (t === '>>>') depth -= 3;
      else if (!(t === 'IDENT' || t === '.' || t === ',' || t === '?' || t === 'extends' || t === 'super' || t === '[' ||
        t === ']' || t === '&' || t === 'NLS' || BUILTIN_TYPES.has(t))) return -1;
      k++;
      if (depth < 0) return -1;
      if (depth === 0) return k;
    }
  }

  /** declarationStart: `def`/modifiers/annotations/type names, then an identifier or string. */
  private declarationStart(): boolean {
    let k = this.i;
    let matched = false;
    for (;;) {
      const t = this.typeAt(k);
      if (t === 'def' || MODIFIERS.has(t)) {
        k++;
        if (this.typeAt(k) === 'NLS') k++;
        matched = true;
        continue;
      }
      if (t === '@' && this.typeAt(k + 1) !== 'interface') {
        const after = this.skipAnnotationAt(k);
        if (after < 0) return false;
        k = after;
        if (this.typeAt(k) === 'NLS') k++;
        matched = true;
        continue;
      }
      let afterType = this.typeNameAt(k);
      if (afterType >= 0) {
        if (this.typeAt(afterType) === '<') afterType = this.typeArgumentsAt(afterType);
        while (afterType >= 0 && this.typeAt(afterType) === '[') afterType = this.skipBalancedAt(afterType);
        // LL(k): `def E = 1` declares E; only a name (or more modifiers) may follow a type.
        const next = afterType < 0 ? '' : this.typeAt(afterType);
        if (next === 'IDENT' || next === 'STRING' || next === 'def' || next === '@' || MODIFIERS.has(next) || BUILTIN_TYPES.has(next)) {
          k = afterType;
          matched = true;
          continue;
        }
        if (afterType < 0 || t !== 'IDENT') return false;
      }
      break;
    }
    const t = this.typeAt(k);
    return matched && (t === 'IDENT' || t === 'STRING');
  }

  private multipleAssignmentDeclarationStart(): boolean {
    let k = this.i;
    if (this.typeAt(k) === 'synchronized' && this.typeAt(k + 1) === '(') return false;
    let matched = false;
    for (;;) {
      const t = this.typeAt(k);
      if (t === 'def' || MODIFIERS.has(t)) {
        k++;
        if (this.typeAt(k) === 'NLS') k++;
        matched = true;
        continue;
      }
      if (t === '@' && this.typeAt(k + 1) !== 'interface') {
        const after = this.skipAnnotationAt(k);
        if (after < 0) return false;
        k = after;
        if (this.typeAt(k) === 'NLS') k++;
        matched = true;
        continue;
      }
      break;
    }
    return matched && this.typeAt(k) === '(';
  }

  private multipleAssignmentTail(): void {
    this.expect('(');
    this.nls();
    this.expect('IDENT', 'IDENT');
    while (this.accept(',')) {
      this.nls();
      this.expect('IDENT', 'IDENT');
    }
    this.expect(')');
    this.expect('=');
    this.nls();
    this.assignmentExpression(LC_NONE);
  }

  /** (def nls | modifier nls | annotation nls)* ; returns true if any was present. */
  private modifiers(): boolean {
    let any = false;
    for (;;) {
      const t = this.la();
      if (t === 'def' || MODIFIERS.has(t)) this.next();
      else if (t === '@' && this.la(1) !== 'interface') this.annotation();
      else return any;
      any = true;
      this.nls();
    }
  }

  /** Whether a type specification starts here (as opposed to the declared name). */
  private typeSpecAhead(): boolean {
    const t = this.la();
    if (BUILTIN_TYPES.has(t)) return true;
    if (t !== 'IDENT') return false;
    const n = this.la(1);
    return n === 'IDENT' || n === '<' || n === '[' || n === '.' || n === 'STRING';
  }

  private declaration(): void {
    const hadModifiers = this.modifiers();
    if (!hadModifiers || this.typeSpecAhead()) this.typeSpec();
    this.variableDefinitions();
  }

  private variableDefinitions(): void {
    const nameToken = this.tok();
    if (nameToken.type !== 'IDENT' && nameToken.type !== 'STRING') this.unexpected(nameToken);
    if (this.la(1) === '(') {
      this.next();
      this.next();
      this.parameterDeclarationList();
      this.expect(')');
      if (this.la() === 'throws' || (this.la() === 'NLS' && this.la(1) === 'throws')) {
        this.nls();
        this.next();
        this.nls();
        this.classOrInterfaceType();
        while (this.accept(',')) {
          this.nls();
          this.classOrInterfaceType();
        }
      }
      if (this.la() === '{' || (this.la() === 'NLS' && this.la(1) === '{')) {
        this.nls();
        this.openBlock();
      }
      return;
    }
    if (nameToken.type !== 'IDENT') this.unexpected(nameToken);
    this.variableDeclarator();
    while (this.accept(',')) {
      this.nls();
      this.variableDeclarator();
    }
  }

  private variableDeclarator(): void {
    this.expect('IDENT', 'IDENT');
    if (this.accept('=')) {
      this.nls();
      this.expressionStatementNoCheck();
    }
  }

  /** A single declaration inside parentheses or a for loop header. */
  private singleDeclaration(allowInit = true): void {
    const hadModifiers = this.modifiers();
    if (!hadModifiers || this.typeSpecAhead()) this.typeSpec();
    this.expect('IDENT', 'IDENT');
    if (allowInit && this.accept('=')) {
      this.nls();
      this.expression(LC_NONE);
    }
  }

  private typeSpec(): void {
    if (BUILTIN_TYPES.has(this.la())) this.next();
    else this.classOrInterfaceType();
    while (this.la() === '[' && this.la(1) === ']') {
      this.next();
      this.next();
    }
  }

  private classOrInterfaceType(): void {
    this.expect('IDENT', 'IDENT');
    if (this.la() === '<') this.typeArguments();
    while (this.la() === '.' && this.la(1) === 'IDENT') {
      this.next();
      this.next();
      if (this.la() === '<') this.typeArguments();
    }
  }

  private typeArguments(): void {
    const end = this.typeArgumentsAt(this.i);
    if (end < 0) this.fail(`unexpected token: ${this.tok().text}`);
    this.i = end;
  }

  private parameterDeclarationList(): void {
    if (!this.parameterStart()) return;
    this.parameterDeclaration();
    while (this.accept(',')) {
      this.nls();
      this.parameterDeclaration();
    }
  }

  private parameterStart(): boolean {
    const t = this.la();
    return t === 'IDENT' || t === 'def' || t === 'final' || t === '@' || t === '...' || BUILTIN_TYPES.has(t);
  }

  private parameterDeclaration(): void {
    for (;;) {
      if (this.la() === 'def' || this.la() === 'final') this.next();
      else if (this.la() === '@') this.annotation();
      else break;
      this.nls();
    }
    if (BUILTIN_TYPES.has(this.la()) || (this.la() === 'IDENT' && ['IDENT', '<', '[', '.', '...'].includes(this.la(1)))) {
      this.typeSpec();
    }
    this.accept('...');
    this.expect('IDENT', 'IDENT');
    if (this.accept('=')) {
      this.nls();
      this.expressionStatementNoCheck();
    }
  }

  // ---------------------------------------------------------------- blocks

  private openBlock(): GStmt[] {
    this.enter();
    this.expect('{');
    this.nls();
    const body = this.blockBody();
    this.expect('}');
    this.leave();
    return body;
  }

  /**
   * Whether a `->` follows at this bracket depth before the block's statements end: a linear
   * pre-check that keeps the speculative parameter parse (which may parse nested closures) from
   * being tried, and redone, at every level of nested blocks.
   */
  private arrowAhead(): boolean {
    let depth = 0;
    for (let k = this.i; ; k++) {
      const t = this.typeAt(k);
      if (t === 'EOF') return false;
      if (t === '(' || t === '[' || t === '{' || t === 'GSTRING_START') depth++;
      else if (t === ')' || t === ']' || t === 'GSTRING_END') depth--;
      else if (t === '}') {
        if (depth === 0) return false;
        depth--;
      } else if (depth === 0 && (t === '->' || t === ';')) return t === '->';
      if (depth < 0) return false;
    }
  }

  /** closableBlockParamsOpt: `params ->` when present. */
  private closableBlockParams(): boolean {
    if (!this.arrowAhead()) return false;
    const matched = this.attempt(() => {
      this.parameterDeclarationList();
      this.nls();
      this.expect('->');
      this.nls();
      return true;
    });
    return matched === true;
  }

  private closableBlock(): GClosure {
    this.enter();
    const open = this.expect('{');
    this.nls();
    const hasParams = this.closableBlockParams();
    const body = this.blockBody();
    const close = this.expect('}');
    this.leave();
    return { kind: 'closure', hasParams, body, bodyStart: open.end, bodyEnd: close.start, start: open.start, end: close.end };
  }

  private openOrClosableBlock(): GClosure {
    return this.closableBlock();
  }

  // ---------------------------------------------------------------- expression statements

  private expressionStatement(prevToken: string): GExpr {
    if (this.la() === '{') {
      // A statement starting with a block needs explicit closure parameters.
      const hasParams = this.predicate(() => {
        this.next();
        this.nls();
        this.parameterDeclarationList();
        this.nls();
        this.expect('->');
      });
      if (!hasParams) {
        if (prevToken === 'NLS') {
          this.fail(
            'Ambiguous expression could be a parameterless closure expression, an isolated open code block, or it may continue a previous statement',
          );
        }
        this.fail('Ambiguous expression could be either a parameterless closure expression or an isolated open code block');
      }
    }
    return this.expressionStatementNoCheck();
  }

  private expressionStatementNoCheck(): GExpr {
    const head = this.expression(LC_STMT);
    const isPath = head === this.lastPathExpression;
    if (this.la() !== 'else' && isPath) return this.commandArgumentsGreedy(head);
    return head;
  }

  private commandArgumentsGreedy(head: GExpr): GExpr {
    let prev = head;
    if (prev.kind !== 'call' && this.commandArgumentMayStart()) {
      const first = this.attempt(() => this.commandArgument());
      if (first) prev = this.commandArgumentsRest(head, first);
    }
    // Command chains: `a b c d` is `a(b).c(d)`.
    for (;;) {
      if (!this.canStartPrimary()) break;
      const pre = this.primaryExpression();
      const name = pre.kind === 'ident' ? pre.name : pre.kind === 'string' ? pre.value : undefined;
      prev = { kind: 'property', target: prev, name, op: '.', start: prev.start, end: pre.end };
      if (this.pathElementStart()) {
        prev = this.pathChain(LC_STMT, prev);
      } else if (this.commandArgumentMayStart()) {
        const arg = this.attempt(() => this.commandArgument());
        if (arg) prev = this.commandArgumentsRest(prev, arg);
      }
    }
    return prev;
  }

  private commandArgumentsRest(callee: GExpr, first: GArg): GCall {
    const args = [first];
    while (this.la() === ',') {
      this.next();
      this.nls();
      args.push(this.commandArgument());
    }
    this.checkDuplicateNamedArguments(args);
    return { kind: 'call', callee, args, closures: [], command: true, start: callee.start, end: this.lastEnd() };
  }

  /** A cheap necessary condition for `commandArgument` to parse here (an expression or a label). */
  private commandArgumentMayStart(): boolean {
    return this.canStartExpression() || (KEYWORD_PROPERTY_NAMES.has(this.la()) && this.la(1) === ':');
  }

  /** Whether `argumentLabel ':'` may start here: a name, string or number before `:`, or a bracket. */
  private labelMayStart(): boolean {
    const t = this.la();
    if (t === 'IDENT' || t === 'STRING' || t === 'NUM' || KEYWORD_PROPERTY_NAMES.has(t)) return this.la(1) === ':';
    return t === '(' || t === '[' || t === '{' || t === 'GSTRING_START';
  }

  private commandArgument(): GArg {
    const start = this.tok().start;
    const label = !this.labelMayStart() ? undefined : this.attempt(() => {
      const l = this.argumentLabel();
      this.expect(':');
      this.nls();
      return l;
    });
    const value = this.expression(LC_NONE);
    return label ? { label, value, start, end: this.lastEnd() } : { value, start, end: this.lastEnd() };
  }

  // ---------------------------------------------------------------- expressions

  private expression(lc: number): GExpr {
    if (this.la() === '(') {
      const start = this.tok().start;
      // Typecast: ( typeSpec ) expression
      const cast = this.attempt(() => {
        this.enter();
        this.next();
        this.typeSpec();
        this.expect(')');
        const operand = this.expression(lc);
        this.leave();
        return operand;
      });
      if (cast) return { kind: 'other', what: 'cast', start, end: this.lastEnd() };
      // Multiple assignment: ( a, b ) = value
      if (this.multipleAssignmentAhead()) {
        this.multipleAssignmentTail();
        return { kind: 'other', what: 'multiple-assignment', start, end: this.lastEnd() };
      }
    }
    return this.assignmentExpression(lc);
  }

  private multipleAssignmentAhead(): boolean {
    let k = this.i;
    if (this.typeAt(k) !== '(') return false;
    k++;
    if (this.typeAt(k) === 'NLS') k++;
    if (this.typeAt(k) !== 'IDENT') return false;
    k++;
    while (this.typeAt(k) === ',') {
      k++;
      if (this.typeAt(k) === 'NLS') k++;
      if (this.typeAt(k) !== 'IDENT') return false;
      k++;
    }
    return this.typeAt(k) === ')' && this.typeAt(k + 1) === '=';
  }

  private assignmentExpression(lc: number): GExpr {
    const left = this.conditionalExpression(lc);
    if (ASSIGNMENT_OPS.has(this.la())) {
      const opToken = this.tok();
      this.checkAssignmentTarget(left, opToken);
      const op = this.next().type;
      this.nls();
      this.enter();
      const value = this.expressionStatementNoCheck();
      this.leave();
      return { kind: 'assign', op, target: left, value, start: left.start, end: this.lastEnd() };
    }
    return left;
  }

  /** Groovy's AST builder accepts only variables, properties and index expressions on the left of `=`. */
  private checkAssignmentTarget(target: GExpr, opToken: Token): void {
    let inner = target;
    while (inner.kind === 'paren') inner = inner.inner;
    const fail = (message: string): never => {
      throw new ParseFailure(message, opToken.start);
    };
    switch (inner.kind) {
      case 'ident':
      case 'property':
        return;
      case 'other':
        if (inner.what === 'index') return;
        break;
      case 'literal':
        if (inner.word === 'this' || inner.word === 'super') return;
        fail(`[${inner.word}] is a constant expression, but it should be a variable expression`);
        break;
      case 'string':
        fail(`[${inner.value}] is a constant expression, but it should be a variable expression`);
        break;
      case 'number':
        fail(`[${inner.text.replace(/_/g, '')}] is a constant expression, but it should be a variable expression`);
        break;
      case 'gstring':
        fail(`${this.source.originalSlice(inner.start, inner.end)} is a GString expression, but it should be a variable expression`);
        break;
      case 'call':
        fail(`"${this.source.originalSlice(inner.start, inner.end)}" is a method call expression, but it should be a variable expression`);
        break;
      case 'binary': {
        const side = (e: GExpr) => this.source.originalSlice(e.start, e.end);
        fail(`(${side(inner.left)} ${inner.op} ${side(inner.right)}) is a binary expression, but it should be a variable expression`);
        break;
      }
    }
    fail(`${this.source.originalSlice(inner.start, inner.end)} is a bad expression as the left hand side of an assignment operator`);
  }

  /** Groovy rejects a named argument given twice (`timeout(time: 1, time: 2)`), at the first argument. */
  private checkDuplicateNamedArguments(args: GArg[]): void {
    const at = args[0]?.start ?? 0;
    const seen = new Set<string>();
    for (const arg of args) {
      const key = arg.label?.key;
      if (key === undefined) continue;
      if (seen.has(key)) throw new ParseFailure(`Duplicate named parameter '${key}' found.`, at);
      seen.add(key);
    }
  }

  private conditionalExpression(lc: number): GExpr {
    const test = this.logicalOrExpression(lc);
    if (this.la() === 'NLS' && (this.la(1) === '?' || this.la(1) === '?:')) this.next();
    if (this.la() === '?:') {
      this.next();
      this.nls();
      this.enter();
      this.conditionalExpression(LC_NONE);
      this.leave();
      return { kind: 'other', what: 'elvis', start: test.start, end: this.lastEnd() };
    }
    if (this.la() === '?') {
      this.next();
      this.nls();
      this.enter();
      this.assignmentExpression(LC_NONE);
      this.nls();
      this.expect(':');
      this.nls();
      this.conditionalExpression(LC_NONE);
      this.leave();
      return { kind: 'other', what: 'ternary', start: test.start, end: this.lastEnd() };
    }
    return test;
  }

  private logicalOrExpression(lc: number): GExpr {
    return this.binaryExpression(lc, PRECEDENCE_LOR);
  }

  shiftExpression(lc: number): GExpr {
    return this.binaryExpression(lc, PRECEDENCE_SHIFT);
  }

  /**
   * The grammar's binary levels from `||` down to `+ -` (logicalOr, logicalAnd, inclusiveOr,
   * exclusiveOr, and, regex, equality, relational, shift, additive), by precedence climbing: the
   * same trees as one recursive function per level, but one stack frame for all of them, so that
   * nested brackets cost a few frames per level instead of a few dozen. Every level is
   * left-associative (`operand (op nls operand)*`) except relational, which takes at most one
   * operator (`a < b < c` leaves the second `<` to the caller, as the grammar does).
   * `minPrecedence` is the loosest level parsed (PRECEDENCE_LOR for a whole expression).
   */
  private binaryExpression(lc: number, minPrecedence: number): GExpr {
    // Operands and the operators between them not yet folded: `operators[k]` has precedence
    // above every operator before it in the list, so the stack stays short for left-assoc chains.
    const operands: GExpr[] = [this.multiplicativeExpression(lc)];
    const operators: { op: string; precedence: number }[] = [];
    /** Whether the operand on top of the stack already holds a relational operator. */
    const relationalOnTop: boolean[] = [false];
    const fold = (): void => {
      const right = operands.pop()!;
      const left = operands.pop()!;
      const { op } = operators.pop()!;
      relationalOnTop.pop();
      relationalOnTop[relationalOnTop.length - 1] = BINARY_PRECEDENCE.get(op) === PRECEDENCE_RELATIONAL;
      operands.push({ kind: 'binary', op, left, right, start: left.start, end: right.end });
    };
    for (;;) {
      const op = this.la();
      const precedence = BINARY_PRECEDENCE.get(op);
      if (precedence === undefined || precedence < minPrecedence) break;
      // Fold what binds at least as tightly (left associativity).
      while (operators.length > 0 && operators[operators.length - 1]!.precedence >= precedence) fold();
      if (precedence === PRECEDENCE_RELATIONAL) {
        // At most one relational operator per relational expression.
        if (relationalOnTop[relationalOnTop.length - 1]) break;
        if (op === 'instanceof' || op === 'as') {
          this.next();
          this.nls();
          this.typeSpec();
          const left = operands.pop()!;
          operands.push({ kind: 'other', what: op, start: left.start, end: this.lastEnd() });
          relationalOnTop[relationalOnTop.length - 1] = true;
          continue;
        }
      }
      this.next();
      this.nls();
      operators.push({ op, precedence });
      operands.push(this.multiplicativeExpression(LC_NONE));
      relationalOnTop.push(false);
    }
    while (operators.length > 0) fold();
    return operands[0]!;
  }

  private multiplicativeExpression(lc: number): GExpr {
    let left: GExpr;
    const t = this.la();
    if (t === '++' || t === '--' || t === '-' || t === '+') {
      const start = this.next().start;
      this.nls();
      const operand = this.powerExpressionNotPlusMinus(LC_NONE);
      left = { kind: 'unary', op: t, operand, start, end: this.lastEnd() };
    } else {
      left = this.powerExpressionNotPlusMinus(lc);
    }
    while (OPS_MULTIPLICATIVE.has(this.la())) {
      const op = this.next().type;
      this.nls();
      const right = this.powerExpression(LC_NONE);
      left = { kind: 'binary', op, left, right, start: left.start, end: this.lastEnd() };
    }
    return left;
  }

  private powerExpression(lc: number): GExpr {
    let left = this.unaryExpression(lc);
    while (this.la() === '**') {
      this.next();
      this.nls();
      const right = this.unaryExpression(LC_NONE);
      left = { kind: 'binary', op: '**', left, right, start: left.start, end: this.lastEnd() };
    }
    return left;
  }

  private powerExpressionNotPlusMinus(lc: number): GExpr {
    let left = this.unaryExpressionNotPlusMinus(lc);
    while (this.la() === '**') {
      this.next();
      this.nls();
      const right = this.unaryExpression(LC_NONE);
      left = { kind: 'binary', op: '**', left, right, start: left.start, end: this.lastEnd() };
    }
    return left;
  }

  private unaryExpression(lc: number): GExpr {
    const t = this.la();
    if (t === '++' || t === '--' || t === '-' || t === '+') return this.prefixOperators();
    return this.unaryExpressionNotPlusMinus(lc);
  }

  /**
   * A run of prefix operators (`! - ~ + ++ --`) and its operand: unaryExpression and
   * unaryExpressionNotPlusMinus call each other once per operator in the grammar; a loop gives
   * the same tree without a stack frame per operator.
   */
  private prefixOperators(): GExpr {
    const operators: { op: string; start: number }[] = [];
    while (PREFIX_OPERATORS.has(this.la())) {
      const token = this.next();
      operators.push({ op: token.type, start: token.start });
      this.nls();
    }
    let operand = this.unaryExpressionNotPlusMinus(LC_NONE);
    const end = this.lastEnd();
    for (let k = operators.length - 1; k >= 0; k--) {
      operand = { kind: 'unary', op: operators[k]!.op, operand, start: operators[k]!.start, end };
    }
    return operand;
  }

  private unaryExpressionNotPlusMinus(lc: number): GExpr {
    const t = this.la();
    if (t === '~' || t === '!') return this.prefixOperators();
    if (t === '(') {
      const start = this.tok().start;
      if (BUILTIN_TYPES.has(this.la(1))) {
        const cast = this.attempt(() => {
          this.enter();
          this.next();
          this.typeSpec();
          this.expect(')');
          const operand = this.unaryExpression(LC_NONE);
          this.leave();
          return operand;
        });
        if (cast) return { kind: 'other', what: 'cast', start, end: this.lastEnd() };
      } else if (this.la(1) === 'IDENT') {
        const cast = this.attempt(() => {
          this.enter();
          this.next();
          this.typeSpec();
          this.expect(')');
          const operand = this.unaryExpressionNotPlusMinus(LC_NONE);
          this.leave();
          return operand;
        });
        if (cast) return { kind: 'other', what: 'cast', start, end: this.lastEnd() };
      }
    }
    return this.postfixExpression(lc);
  }

  private postfixExpression(lc: number): GExpr {
    const path = this.pathExpression(lc);
    if (this.la() === '++' || this.la() === '--') {
      this.next();
      return { kind: 'other', what: 'postfix', start: path.start, end: this.lastEnd() };
    }
    return path;
  }

  private pathElementStart(): boolean {
    const t = this.la();
    return (
      t === '.' || t === '*.' || t === '?.' || t === '.&' || t === '[' || t === '(' || t === '{' ||
      (t === 'NLS' && DOT_OPERATORS.has(this.la(1)))
    );
  }

  private pathExpression(lc: number): GExpr {
    const prefix = this.primaryExpression();
    const result = this.pathChain(lc, prefix, true);
    this.lastPathExpression = result;
    return result;
  }

  /** pathChain: path elements (and appended blocks after newlines in statements). */
  private pathChain(lc: number, prefix: GExpr, optional = false): GExpr {
    let count = 0;
    for (;;) {
      if (this.pathElementStart()) {
        this.nls();
        prefix = this.pathElement(prefix);
      } else if ((lc === LC_STMT || lc === LC_INIT) && this.la() === 'NLS' && this.la(1) === '{') {
        this.nls();
        prefix = this.appendedBlock(prefix);
      } else break;
      count++;
    }
    if (!optional && count === 0) this.unexpected();
    return prefix;
  }

  private pathElement(prefix: GExpr): GExpr {
    const t = this.la();
    if (t === '*.' || t === '?.' || t === '.&' || t === '.') {
      this.next();
      this.nls();
      if (this.la() === '<') this.typeArguments();
      const name = this.namePart();
      return { kind: 'property', target: prefix, name, op: t, start: prefix.start, end: this.lastEnd() };
    }
    if (t === '(') return this.methodCallArgs(prefix);
    if (t === '{') return this.appendedBlock(prefix);
    if (t === '[') {
      this.next();
      this.argList(']');
      this.expect(']');
      return { kind: 'other', what: 'index', start: prefix.start, end: this.lastEnd() };
    }
    this.unexpected();
  }

  /** What may follow a dot; returns the member name when it is a plain name. */
  private namePart(): string | undefined {
    const attribute = this.accept('@');
    const token = this.tok();
    if (token.type === 'IDENT' || KEYWORD_PROPERTY_NAMES.has(token.type)) {
      this.next();
      return attribute ? undefined : token.text;
    }
    if (token.type === 'STRING') {
      this.next();
      return attribute ? undefined : token.value;
    }
    if (token.type === '(') {
      this.parenthesizedExpression();
      return undefined;
    }
    if (token.type === 'GSTRING_START') {
      this.stringConstructorExpression();
      return undefined;
    }
    if (token.type === '{') {
      this.openBlock();
      return undefined;
    }
    this.unexpected();
  }

  private methodCallArgs(callee: GExpr): GCall {
    this.expect('(');
    const args = this.argList(')');
    this.checkDuplicateNamedArguments(args);
    this.expect(')');
    return { kind: 'call', callee, args, closures: [], command: false, start: callee.start, end: this.lastEnd() };
  }

  private appendedBlock(callee: GExpr): GCall {
    const closure = this.closableBlock();
    if (callee.kind === 'call' && !callee.command) {
      return { ...callee, closures: [...callee.closures, closure], end: closure.end };
    }
    return { kind: 'call', callee, args: [], closures: [closure], command: false, start: callee.start, end: closure.end };
  }

  private canStartPrimary(): boolean {
    const t = this.la();
    return (
      t === 'IDENT' || t === 'NUM' || t === 'STRING' || t === 'GSTRING_START' || t === 'true' || t === 'false' ||
      t === 'null' || t === 'new' || t === 'this' || t === 'super' || t === '(' || t === '{' || t === '[' ||
      BUILTIN_TYPES.has(t)
    );
  }

  private primaryExpression(): GExpr {
    const token = this.tok();
    const start = token.start;
    switch (token.type) {
      case 'IDENT':
        this.next();
        return { kind: 'ident', name: token.text, start, end: token.end };
      case 'NUM':
        this.next();
        return { kind: 'number', text: token.text, start, end: token.end };
      case 'STRING':
        this.next();
        return { kind: 'string', value: token.value ?? '', stringKind: token.stringKind ?? 'single', start, end: token.end };
      case 'true':
      case 'false':
      case 'null':
      case 'this':
      case 'super':
        this.next();
        return { kind: 'literal', word: token.type as GLiteral['word'], start, end: token.end };
      case 'new':
        return this.newExpression();
      case '(': {
        const inner = this.parenthesizedExpression();
        return { kind: 'paren', inner, start, end: this.lastEnd() };
      }
      case '{':
        return this.closableBlock();
      case '[':
        return this.listOrMapConstructor();
      case 'GSTRING_START':
        this.stringConstructorExpression();
        return { kind: 'gstring', start, end: this.lastEnd() };
    }
    if (BUILTIN_TYPES.has(token.type)) {
      this.next();
      return { kind: 'ident', name: token.text, start, end: token.end };
    }
    this.unexpected();
  }

  private parenthesizedExpression(): GExpr {
    this.enter();
    const open = this.expect('(');
    const declarationToken = this.tok();
    const first = this.strictContextExpression(true);
    let closureList = false;
    while (this.accept(';')) {
      closureList = true;
      if (this.la() !== ';' && this.la() !== ')') this.strictContextExpression(true);
    }
    if (first.kind === 'other' && first.what === 'declaration' && !closureList) this.unexpected(declarationToken);
    this.expect(')');
    if (closureList) {
      throw new ParseFailure('Expression list of the form (a; b; c) is not supported in this context.', open.start);
    }
    this.leave();
    return first;
  }

  private strictContextExpression(allowDeclaration: boolean): GExpr {
    const start = this.tok().start;
    if (allowDeclaration && this.declarationStart()) {
      this.singleDeclaration();
      return { kind: 'other', what: 'declaration', start, end: this.lastEnd() };
    }
    if (BRANCH_KEYWORDS.has(this.la())) {
      this.branchStatement();
      return { kind: 'other', what: 'branch', start, end: this.lastEnd() };
    }
    if (this.la() === '@') {
      this.annotation();
      return { kind: 'other', what: 'annotation', start, end: this.lastEnd() };
    }
    return this.expression(LC_NONE);
  }

  private stringConstructorExpression(): void {
    this.expect('GSTRING_START');
    this.stringConstructorValuePart();
    while (this.la() === 'GSTRING_MIDDLE') {
      this.next();
      this.stringConstructorValuePart();
    }
    this.expect('GSTRING_END', 'STRING_CTOR_END');
  }

  private stringConstructorValuePart(): void {
    const t = this.la();
    if (t === 'IDENT') {
      this.next();
      while (this.la() === '.') {
        this.next();
        this.nls();
        this.expect('IDENT', 'IDENT');
      }
    } else if (t === 'this' || t === 'super') {
      this.next();
    } else if (t === '{') {
      this.openOrClosableBlock();
    } else {
      this.unexpected();
    }
  }

  private listOrMapConstructor(): GExpr {
    const open = this.expect('[');
    if (this.la() === ':' && this.la(1) === ']') {
      this.next();
      this.next();
      return { kind: 'map', entries: [], start: open.start, end: this.lastEnd() };
    }
    const args = this.argList(']');
    this.expect(']');
    const isMap = args.some((a) => a.label !== undefined || a.spread === '*:');
    if (isMap) {
      // Groovy's AST builder rejects a list element in a map literal.
      const element = args.find((a) => a.label === undefined && a.spread !== '*:');
      if (element) {
        throw new ParseFailure('Unexpected node type: EXPR found when expecting type: LABELED_ARG', element.start);
      }
    }
    return isMap
      ? { kind: 'map', entries: args, start: open.start, end: this.lastEnd() }
      : { kind: 'list', items: args, start: open.start, end: this.lastEnd() };
  }

  private newExpression(): GExpr {
    const start = this.expect('new').start;
    this.nls();
    if (this.la() === '<') this.typeArguments();
    if (BUILTIN_TYPES.has(this.la())) this.next();
    else this.classOrInterfaceType();
    if (this.la() === '[') {
      while (this.la() === '[') {
        this.enter();
        this.next();
        if (this.la() !== ']') this.expression(LC_NONE);
        this.expect(']');
        this.leave();
      }
    } else {
      this.nls();
      this.expect('(');
      this.checkDuplicateNamedArguments(this.argList(')'));
      this.expect(')');
      if (this.la() === '{') this.skipBalanced();
    }
    return { kind: 'other', what: 'new', start, end: this.lastEnd() };
  }

  /** argList inside ( ) or [ ]: labelled, spread and plain arguments, one trailing comma allowed. */
  private argList(close: string): GArg[] {
    // Every caller has just consumed the opening bracket: the level opens there.
    this.enter(this.tokens[this.i - 1]!.start);
    const args = this.argListItems(close);
    this.leave();
    return args;
  }

  private argListItems(close: string): GArg[] {
    const args: GArg[] = [];
    if (this.la() === close) return args;
    args.push(this.argument());
    // After the first argument antlr2 decides between `;`, `,` and the end (FOLLOW: `)` `]`).
    const after = this.la();
    if (after !== ',' && after !== ')' && after !== ']') this.unexpected();
    let trailingComma = false;
    while (this.la() === ',') {
      const comma = this.next();
      if (this.canStartArgument()) {
        args.push(this.argument());
      } else {
        if (trailingComma) this.unexpected(comma);
        trailingComma = true;
      }
    }
    return args;
  }

  private canStartArgument(): boolean {
    return this.canStartExpression() || this.la() === '*' || BRANCH_KEYWORDS.has(this.la()) || this.la() === '@' ||
      this.la() === 'def' || MODIFIERS.has(this.la()) || KEYWORD_PROPERTY_NAMES.has(this.la());
  }

  private argumentLabelStart(): boolean {
    const t = this.la();
    let k = this.i + 1;
    if (t === 'IDENT' || KEYWORD_PROPERTY_NAMES.has(t) || t === 'NUM' || t === 'STRING') {
      // k already after the label token
    } else if (t === '(' || t === 'GSTRING_START') {
      k = this.skipBalancedAt(this.i);
      if (k < 0) return false;
    } else return false;
    return this.typeAt(k) === ':';
  }

  private argumentLabel(): GLabel {
    const token = this.tok();
    if (token.type === 'IDENT' || KEYWORD_PROPERTY_NAMES.has(token.type)) {
      this.next();
      return { key: token.text, start: token.start, end: token.end };
    }
    const expr = this.primaryExpression();
    if (expr.kind === 'string') return { key: expr.value, start: expr.start, end: expr.end };
    if (expr.kind === 'number') return { key: expr.text, start: expr.start, end: expr.end };
    return { key: undefined, start: expr.start, end: expr.end };
  }

  private argument(): GArg {
    const start = this.tok().start;
    let label: GLabel | undefined;
    let spread: GArg['spread'];
    if (this.argumentLabelStart()) {
      label = this.argumentLabel();
      this.expect(':');
    } else if (this.la() === '*') {
      this.next();
      spread = '*';
      if (this.accept(':')) spread = '*:';
    }
    const value = this.strictContextExpression(true);
    if (this.la() === ':') this.fail('illegal colon after argument expression');
    const arg: GArg = { value, start, end: this.lastEnd() };
    if (label) arg.label = label;
    if (spread) arg.spread = spread;
    return arg;
  }
}

const DOT_OPERATORS = new Set(['.', '?.', '*.', '.&']);
/**
 * Binary operators handled by precedence climbing, loosest first (groovy.g: logicalOrExpression
 * down to additiveExpression). Multiplicative and power operators have their own rules below.
 */
const PRECEDENCE_LOR = 1;
const PRECEDENCE_RELATIONAL = 8;
const PRECEDENCE_SHIFT = 9;
const BINARY_PRECEDENCE: ReadonlyMap<string, number> = new Map([
  ['||', PRECEDENCE_LOR],
  ['&&', 2],
  ['|', 3],
  ['^', 4],
  ['&', 5],
  ...['=~', '==~'].map((op) => [op, 6] as const),
  ...['!=', '==', '===', '!==', '<=>'].map((op) => [op, 7] as const),
  ...['<', '>', '<=', '>=', 'in', 'instanceof', 'as'].map((op) => [op, PRECEDENCE_RELATIONAL] as const),
  ...['<<', '>>', '>>>', '..', '..<'].map((op) => [op, PRECEDENCE_SHIFT] as const),
  ...['+', '-'].map((op) => [op, 10] as const),
]);
const PREFIX_OPERATORS = new Set(['++', '--', '-', '+', '~', '!']);
const OPS_MULTIPLICATIVE = new Set(['*', '/', '%']);

/**
 * Parses lexed `tokens` of `source` as one Groovy expression (e.g. the source of a Raw AST node).
 * Returns undefined when they are not exactly one expression.
 */
export function parseGroovyExpression(source: SourceText, tokens: Token[]): GExpr | undefined {
  const parser = new GroovyParser(tokens, source);
  return parser.singleExpression();
}
