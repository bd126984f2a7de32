/**
 * Reads the IntelliJ GDSL a Jenkins controller serves at `JENKINS_URL/pipeline-syntax/gdsl` into a
 * catalog, as DATA: a small tokenizer and parser for the subset the controller writes, never
 * evaluated. What the controller writes (workflow-cps' `Snippetizer/gdsl.groovy`):
 *
 * ```groovy
 * def ctx = context(scope: scriptScope())
 * contributor(ctx) {
 *   method(name: 'echo', type: 'Object', params: [message:'java.lang.String'], doc: 'Print Message')
 *   method(name: 'sleep', type: 'Object', namedParams: [parameter(name: 'time', type: 'int'), ...], doc: 'Sleep')
 *   property(name: 'env', type: 'org.jenkinsci.plugins.workflow.cps.EnvActionImpl')
 * }
 * def nodeCtx = context(scope: closureScope())
 * contributor(nodeCtx) {
 *   def call = enclosingCall('node')
 *   if (call) { method(name: 'sh', ...) }
 * }
 * ```
 *
 * How the generator works, and so what the catalog can and cannot learn from it:
 * - For every step, when it has at most one required parameter it writes a `params:` variant with
 *   that parameter (plus `body: Closure` when the step takes a block): that parameter becomes the
 *   step's required `defaultParameter`.
 * - When it has optional parameters, or two or more required ones, it writes a `namedParams:`
 *   variant listing the required parameters first, then the optional ones. GDSL does not say which
 *   are required. Without a `params:` variant the step has at least two required parameters, and
 *   they come first: the first two are marked required (a third required one, rare, is missed and
 *   treated as optional: a missing-parameter check stays silent rather than wrong).
 * - Types outside `java.*` (describables, plugin enums) are all written as `Map`: they import as
 *   `unknown`. Enum values, nested describables, symbols and plugins are not in GDSL (every step's
 *   plugin is {@link GDSL_UNKNOWN_PLUGIN}); the export script has them.
 * - `doc:` is the display name; `Advanced/Deprecated ` in front of it marks an advanced step.
 * - Steps in the node contributor (inside `enclosingCall('node')`) require a node.
 * - Contributors of a type (`context(ctype: ...)`, hand-written GDSL's `currentBuild` members) and
 *   methods valid only inside another call (`enclosingCall('agent')`) are not steps and are skipped.
 */
import { CATALOG_FORMAT, type Catalog, type CatalogParameter, type CatalogStep, type ParameterType } from '../schema.ts';
import { javaTypeToParameterType } from './java-types.ts';

/** The plugin of every GDSL-imported step: GDSL does not name plugins (merge with a plugin list or the bundled catalog). */
export const GDSL_UNKNOWN_PLUGIN = 'unknown';

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'ident' | 'string' | 'number' | 'punct';

interface Token {
  kind: TokenKind;
  value: string;
  line: number;
}

/** A GDSL file that is not in the subset this reader understands, with the 1-based line. */
export class GdslSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'GdslSyntaxError';
  }
}

const PUNCTUATION = ['==', '!=', '&&', '||', '->', '?.', '(', ')', '[', ']', '{', '}', ',', ':', '=', ';', '.', '!', '&', '|', '<', '>', '+', '-', '*', '?'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const at = (offset = 0) => text[i + offset] ?? '';
  while (i < text.length) {
    const c = at();
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\uFEFF') {
      i++;
    } else if (c === '/' && at(1) === '/') {
      while (i < text.length && at() !== '\n') i++;
    } else if (c === '/' && at(1) === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new GdslSyntaxError('unterminated /* comment', line);
      for (const ch of text.slice(i, end)) if (ch === '\n') line++;
      i = end + 2;
    } else if (c === "'" || c === '"') {
      const startLine = line;
      const triple = at(1) === c && at(2) === c;
      const quote = triple ? c.repeat(3) : c;
      i += quote.length;
      let value = '';
      for (;;) {
        if (i >= text.length) throw new GdslSyntaxError('unterminated string', startLine);
        if (text.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        const ch = at();
        if (ch === '\n') {
          if (!triple) throw new GdslSyntaxError('newline in a string', startLine);
          line++;
        }
        if (ch === '\\') {
          value += unescape(at(1), () => text.slice(i + 2, i + 6));
          i += at(1) === 'u' ? 6 : 2;
          continue;
        }
        value += ch;
        i++;
      }
      tokens.push({ kind: 'string', value, line: startLine });
    } else if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (/[A-Za-z0-9_$]/.test(at())) i++;
      tokens.push({ kind: 'ident', value: text.slice(start, i), line });
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (/[0-9A-Za-z_.]/.test(at())) i++;
      tokens.push({ kind: 'number', value: text.slice(start, i), line });
    } else {
      const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
      if (!punct) throw new GdslSyntaxError(`unexpected character ${JSON.stringify(c)}`, line);
      tokens.push({ kind: 'punct', value: punct, line });
      i += punct.length;
    }
  }
  return tokens;
}

function unescape(ch: string, hex: () => string): string {
  switch (ch) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'u':
      return String.fromCharCode(Number.parseInt(hex(), 16));
    default:
      // \' \" \\ \$ and anything else: the character itself.
      return ch;
  }
}

// ---------------------------------------------------------------------------------------------
// Values and statements

/** A GDSL value: literals, a (dotted) name, a call, a list or a map. */
type Value =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'name'; value: string }
  | { kind: 'call'; name: string; args: NamedArgs; positional: Value[] }
  | { kind: 'list'; items: Value[] }
  | { kind: 'map'; entries: NamedArgs }
  | { kind: 'closure' };

/** Named arguments or map entries, in source order (keys may repeat in broken input; last wins on lookup). */
type NamedArgs = [string, Value][];

const get = (args: NamedArgs, key: string): Value | undefined => [...args].reverse().find(([k]) => k === key)?.[1];

/** A `method(...)` or `property(...)` found in a step contributor. */
interface Contribution {
  kind: 'method' | 'property';
  args: NamedArgs;
  requiresNode: boolean;
  line: number;
}

interface ScopeState {
  /** `closureScope()` contributor: a step there requires a node when inside `enclosingCall('node')`. */
  closure: boolean;
  insideNode: boolean;
}

class Parser {
  private position = 0;
  /** `def x = context(...)` variables: true when the context is a step scope (script or closure). */
  private readonly contexts = new Map<string, { steps: boolean; closure: boolean }>();
  readonly contributions: Contribution[] = [];
  readonly skipped: string[] = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private line(): number {
    return this.peek()?.line ?? this.tokens[this.tokens.length - 1]?.line ?? 1;
  }

  private isPunct(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'punct' && token.value === value;
  }

  private isIdent(value?: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'ident' && (value === undefined || token.value === value);
  }

  private expectPunct(value: string): void {
    if (!this.isPunct(value)) {
      const found = this.peek();
      throw new GdslSyntaxError(`expected "${value}", found ${found ? JSON.stringify(found.value) : 'end of file'}`, this.line());
    }
    this.position++;
  }

  private next(): Token {
    const token = this.peek();
    if (!token) throw new GdslSyntaxError('unexpected end of file', this.line());
    this.position++;
    return token;
  }

  parseFile(): void {
    while (this.peek()) this.statement({ closure: false, insideNode: false }, null);
  }

  /**
   * One statement. `scope` is null at top level (outside any contributor). Inside a contributor,
   * `scope` says whether methods found are steps and whether they need a node.
   */
  private statement(state: ScopeState, scope: { steps: boolean } | null, nodeVariables = new Set<string>()): void {
    if (this.isPunct(';')) {
      this.position++;
      return;
    }
    if (this.isIdent('def') || (this.isIdent() && this.isPunct('=', 1))) {
      if (this.isIdent('def')) this.position++;
      const variable = this.next();
      if (variable.kind !== 'ident') throw new GdslSyntaxError('expected a variable name after def', variable.line);
      if (!this.isPunct('=')) return;
      this.position++;
      const value = this.value();
      if (value.kind === 'call' && value.name === 'context') {
        const scopeValue = get(value.args, 'scope');
        const scopeName = scopeValue?.kind === 'call' ? scopeValue.name : undefined;
        const ctype = get(value.args, 'ctype');
        this.contexts.set(variable.value, {
          steps: ctype === undefined && (scopeName === 'scriptScope' || scopeName === 'closureScope'),
          closure: scopeName === 'closureScope',
        });
      } else if (value.kind === 'call' && value.name === 'enclosingCall') {
        const called = value.positional[0];
        if (called?.kind === 'string' && called.value === 'node') nodeVariables.add(variable.value);
      }
      return;
    }
    if (this.isIdent('if')) {
      const line = this.line();
      this.position++;
      this.expectPunct('(');
      // A condition is terms joined by || or && (hand-written GDSL); a served one is one term.
      const terms = [this.value()];
      while (this.isPunct('||') || this.isPunct('&&')) {
        this.position++;
        terms.push(this.value());
      }
      this.expectPunct(')');
      const node = terms.some((term) => (term.kind === 'name' && nodeVariables.has(term.value)) || isEnclosingCall(term, 'node'));
      const otherCalls = terms.filter((term) => term.kind === 'call' && term.name === 'enclosingCall');
      const otherCall = !node && otherCalls.length > 0;
      if (otherCall && scope?.steps) this.skipped.push(`line ${line}: methods valid only inside ${otherCalls.map(describe).join(' or ')} are not steps: skipped`);
      this.block({ ...state, insideNode: state.insideNode || node }, otherCall ? { steps: false } : scope, nodeVariables);
      if (this.isIdent('else')) {
        this.position++;
        if (this.isIdent('if')) this.statement(state, scope, nodeVariables);
        else this.block(state, scope, nodeVariables);
      }
      return;
    }
    const line = this.line();
    const value = this.value();
    if (value.kind !== 'call') return;
    if (value.name === 'contributor') {
      const target = value.positional[0];
      let context: { steps: boolean; closure: boolean } | undefined;
      if (target?.kind === 'name') context = this.contexts.get(target.value);
      else if (target?.kind === 'call' && target.name === 'context') {
        const scopeValue = get(target.args, 'scope');
        const scopeName = scopeValue?.kind === 'call' ? scopeValue.name : undefined;
        context = { steps: get(target.args, 'ctype') === undefined && (scopeName === 'scriptScope' || scopeName === 'closureScope'), closure: scopeName === 'closureScope' };
      }
      if (!context) this.skipped.push(`line ${line}: contributor of an unknown context`);
      else if (!context.steps) this.skipped.push(`line ${line}: contributor of a type context (members of an object, not steps)`);
      if (!this.isPunct('{')) throw new GdslSyntaxError('expected "{" after contributor(...)', this.line());
      this.block({ closure: context?.closure ?? false, insideNode: false }, { steps: context?.steps ?? false }, new Set());
      return;
    }
    if ((value.name === 'method' || value.name === 'property') && scope?.steps) {
      this.contributions.push({ kind: value.name, args: value.args, requiresNode: state.closure && state.insideNode, line });
    }
    // A trailing closure after a call outside contributors (rare in served GDSL): read and ignore.
    if (this.isPunct('{')) this.block(state, scope === null ? null : { steps: false }, nodeVariables);
  }

  private block(state: ScopeState, scope: { steps: boolean } | null, nodeVariables: Set<string>): void {
    this.expectPunct('{');
    const variables = new Set(nodeVariables);
    while (!this.isPunct('}')) {
      if (!this.peek()) throw new GdslSyntaxError('unterminated block: missing "}"', this.line());
      this.statement(state, scope ?? { steps: false }, variables);
    }
    this.position++;
  }

  private value(): Value {
    const token = this.next();
    if (token.kind === 'string') return { kind: 'string', value: token.value };
    if (token.kind === 'number') return { kind: 'number', value: token.value };
    if (token.kind === 'punct' && token.value === '[') return this.listOrMap();
    if (token.kind === 'punct' && token.value === '!') {
      this.value();
      return { kind: 'name', value: '!' };
    }
    if (token.kind === 'punct' && token.value === '(') {
      const inner = this.value();
      this.expectPunct(')');
      return inner;
    }
    if (token.kind === 'punct' && token.value === '{') {
      this.position--;
      this.skipBalanced();
      return { kind: 'closure' };
    }
    if (token.kind !== 'ident') throw new GdslSyntaxError(`unexpected ${JSON.stringify(token.value)}`, token.line);
    let name = token.value;
    // Dotted names: `java.lang.String` (the generator leaves some types unquoted), `Foo.Bar`.
    while (this.isPunct('.') && this.isIdent(undefined, 1)) {
      this.position++;
      name += `.${this.next().value}`;
    }
    if (!this.isPunct('(')) return { kind: 'name', value: name };
    this.position++;
    const args: NamedArgs = [];
    const positional: Value[] = [];
    while (!this.isPunct(')')) {
      if (!this.peek()) throw new GdslSyntaxError(`unterminated call to ${name}(`, token.line);
      if ((this.isIdent(undefined) || this.peek()?.kind === 'string') && this.isPunct(':', 1)) {
        const key = this.next().value;
        this.position++;
        args.push([key, this.value()]);
      } else {
        positional.push(this.value());
      }
      if (this.isPunct(',')) this.position++;
      else if (!this.isPunct(')')) throw new GdslSyntaxError(`expected "," or ")" in call to ${name}(`, this.line());
    }
    this.position++;
    return { kind: 'call', name, args, positional };
  }

  private listOrMap(): Value {
    if (this.isPunct(':') && this.isPunct(']', 1)) {
      this.position += 2;
      return { kind: 'map', entries: [] };
    }
    const entries: NamedArgs = [];
    const items: Value[] = [];
    while (!this.isPunct(']')) {
      if (!this.peek()) throw new GdslSyntaxError('unterminated list or map: missing "]"', this.line());
      if ((this.isIdent() || this.peek()?.kind === 'string') && this.isPunct(':', 1)) {
        const key = this.next().value;
        this.position++;
        entries.push([key, this.value()]);
      } else {
        items.push(this.value());
      }
      if (this.isPunct(',')) this.position++;
      else if (!this.isPunct(']')) throw new GdslSyntaxError('expected "," or "]" in a list or map', this.line());
    }
    this.position++;
    if (entries.length > 0 && items.length > 0) throw new GdslSyntaxError('a literal mixes map entries and list items', this.line());
    return entries.length > 0 ? { kind: 'map', entries } : { kind: 'list', items };
  }

  private skipBalanced(): void {
    let depth = 0;
    do {
      const token = this.next();
      if (token.kind === 'punct' && (token.value === '{' || token.value === '(' || token.value === '[')) depth++;
      if (token.kind === 'punct' && (token.value === '}' || token.value === ')' || token.value === ']')) depth--;
    } while (depth > 0);
  }
}

function isEnclosingCall(value: Value, name: string): boolean {
  if (value.kind !== 'call' || value.name !== 'enclosingCall') return false;
  const first = value.positional[0];
  return first?.kind === 'string' && first.value === name;
}

function describe(value: Value): string {
  if (value.kind === 'call') return `${value.name}(${value.positional.map((p) => (p.kind === 'string' ? `'${p.value}'` : '…')).join(', ')})`;
  return value.kind;
}

// ---------------------------------------------------------------------------------------------
// Contributions → catalog steps

/** A method contribution's arguments, read. */
interface MethodVariant {
  name: string;
  /** `params:` entries other than the closure: the required parameter of a single-parameter variant. */
  params: [string, string][];
  /** `namedParams:` entries. */
  namedParams: [string, string][] | undefined;
  takesBlock: boolean;
  doc: string | undefined;
  requiresNode: boolean;
  line: number;
}

/** What {@link importGdsl} returns: the catalog and what it could not use. */
export interface GdslImport {
  catalog: Catalog;
  /**
   * Global variables the controller declares (`env`, `params`, `currentBuild`, `docker`, ...), by
   * name with their Java type. Not steps; listed for information.
   */
  globals: { name: string; type: string }[];
  /** Things skipped or unclear, one line each (for the CLI to print). */
  warnings: string[];
}

/** Options of {@link importGdsl}. */
export interface GdslImportOptions {
  /** The catalog's name (default `gdsl import`). */
  name?: string;
}

const typeName = (value: Value | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (value.kind === 'string' || value.kind === 'name') return value.value;
  return undefined;
};

function readVariant(contribution: Contribution, warnings: string[]): MethodVariant | undefined {
  const { args, line } = contribution;
  const name = get(args, 'name');
  if (name?.kind !== 'string' || name.value === '') {
    warnings.push(`line ${line}: method without a name: skipped`);
    return undefined;
  }
  const variant: MethodVariant = { name: name.value, params: [], namedParams: undefined, takesBlock: false, doc: undefined, requiresNode: contribution.requiresNode, line };
  const params = get(args, 'params');
  if (params !== undefined) {
    if (params.kind !== 'map') warnings.push(`line ${line}: ${name.value}: params is not a map: ignored`);
    else
      for (const [key, value] of params.entries) {
        const type = typeName(value) ?? 'Object';
        if (type === 'Closure' || type === 'groovy.lang.Closure') variant.takesBlock = true;
        else variant.params.push([key, type]);
      }
  }
  const named = get(args, 'namedParams');
  if (named !== undefined) {
    variant.namedParams = [];
    if (named.kind !== 'list') warnings.push(`line ${line}: ${name.value}: namedParams is not a list: ignored`);
    else
      for (const item of named.items) {
        const paramName = item.kind === 'call' && item.name === 'parameter' ? get(item.args, 'name') : undefined;
        if (item.kind !== 'call' || paramName?.kind !== 'string') {
          warnings.push(`line ${line}: ${name.value}: a namedParams entry that is not parameter(name:, type:): ignored`);
          continue;
        }
        variant.namedParams.push([paramName.value, typeName(get(item.args, 'type')) ?? 'Object']);
      }
  }
  const doc = get(args, 'doc');
  if (doc?.kind === 'string') variant.doc = doc.value;
  return variant;
}

const ADVANCED_PREFIX = 'Advanced/Deprecated ';

function parameterType(javaType: string): ParameterType {
  return javaTypeToParameterType(javaType);
}

function stepFromVariants(name: string, variants: MethodVariant[], warnings: string[]): CatalogStep {
  const single = variants.find((v) => v.namedParams === undefined);
  const named = variants.find((v) => v.namedParams !== undefined);
  const parameters: CatalogParameter[] = [];
  const seen = new Set<string>();
  const add = (parameter: CatalogParameter) => {
    if (seen.has(parameter.name)) return;
    seen.add(parameter.name);
    parameters.push(parameter);
  };
  let defaultParameter: string | undefined;
  if (single) {
    for (const [paramName, type] of single.params) add({ name: paramName, type: parameterType(type), required: true });
    if (single.params.length === 1) defaultParameter = single.params[0]![0];
    if (single.params.length > 1) warnings.push(`line ${single.line}: ${name}: a params: variant with ${single.params.length} parameters (not what a controller writes): all taken as required`);
  }
  if (named?.namedParams) {
    // Without a single-parameter variant the generator had two or more required parameters,
    // listed first; which of the rest are required GDSL does not say.
    const requiredCount = single ? 0 : Math.min(2, named.namedParams.length);
    named.namedParams.forEach(([paramName, type], index) => add({ name: paramName, type: parameterType(type), required: index < requiredCount }));
  }
  const docs = variants.map((v) => v.doc).filter((d): d is string => d !== undefined);
  const advanced = docs.some((d) => d.startsWith(ADVANCED_PREFIX));
  const doc = docs.map((d) => (d.startsWith(ADVANCED_PREFIX) ? d.slice(ADVANCED_PREFIX.length) : d))[0];
  const step: CatalogStep = {
    name,
    plugin: GDSL_UNKNOWN_PLUGIN,
    takesBlock: variants.some((v) => v.takesBlock),
    requiresNode: variants.some((v) => v.requiresNode),
    parameters,
  };
  if (defaultParameter !== undefined) step.defaultParameter = defaultParameter;
  if (advanced) step.advanced = true;
  if (doc !== undefined && doc !== '') step.doc = doc;
  return step;
}

/**
 * Imports a controller's GDSL (`JENKINS_URL/pipeline-syntax/gdsl`) as a catalog of steps. The text
 * is tokenized and parsed, never executed. The catalog has no plugins or describables (GDSL has
 * neither), is not `complete`, and every step's plugin is {@link GDSL_UNKNOWN_PLUGIN}; see the
 * module documentation for what is inferred about required parameters.
 *
 * @throws GdslSyntaxError when the text is outside the GDSL subset (with the line).
 */
export function importGdsl(text: string, options: GdslImportOptions = {}): GdslImport {
  const parser = new Parser(tokenize(text));
  parser.parseFile();
  const warnings = [...parser.skipped];
  const globals: { name: string; type: string }[] = [];
  const variantsByName = new Map<string, MethodVariant[]>();
  for (const contribution of parser.contributions) {
    if (contribution.kind === 'property') {
      const name = get(contribution.args, 'name');
      if (name?.kind === 'string') globals.push({ name: name.value, type: typeName(get(contribution.args, 'type')) ?? 'Object' });
      continue;
    }
    const variant = readVariant(contribution, warnings);
    if (!variant) continue;
    const list = variantsByName.get(variant.name) ?? [];
    list.push(variant);
    variantsByName.set(variant.name, list);
  }
  // The controller lists steps it could not describe at the end: `// Errors on:` then `// class X: message`.
  const errorsAt = text.indexOf('// Errors on:');
  if (errorsAt >= 0) {
    for (const line of text.slice(errorsAt).split('\n').slice(1)) {
      const match = /^\/\/\s*(.+)$/.exec(line.trim());
      if (match) warnings.push(`the controller could not describe ${match[1]}`);
    }
  }
  if (parser.contributions.length === 0) warnings.push('no method or property in a step contributor: is this the GDSL of JENKINS_URL/pipeline-syntax/gdsl?');
  const steps = [...variantsByName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, variants]) => stepFromVariants(name, variants, warnings));
  return {
    catalog: {
      format: CATALOG_FORMAT,
      name: options.name ?? 'gdsl import',
      source: 'gdsl',
      complete: false,
      plugins: [],
      steps,
      describables: [],
    },
    globals: globals.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    warnings,
  };
}
