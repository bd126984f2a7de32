/**
 * The ONE place that maps pipeline values to TypeScript source locations.
 *
 * Given a model path such as `['stages', 2, 'steps', 0, 'script']`, walks the syntax tree of the
 * pipeline file from its default export: object literal -> property, array literal -> element,
 * same-file `const` -> its initializer, DSL helper call -> the argument the helper stores under
 * that property (`withCredentials(bindings, steps)`: `.steps` is the second argument; the table
 * is derived from the DSL itself, see {@link helperSignature}). Where the value was built
 * somewhere this walk cannot follow (another module, a function's result), the deepest node
 * reached is returned, so a location is always available. Never throws.
 *
 * When the walk stops at a call the DSL does not describe (a preset such as
 * `reactApp({ ... })`) and the value at the path is known, the literal the author wrote that
 * produced it is looked for among that call's arguments: same value, and as many trailing
 * property names in common with the model path as possible (`...steps[0].aws.region` ← the
 * author's `registry: { region: 'eu-west1' }`). {@link locateDiagnostics} uses this and reports a
 * problem the preset copied to several places once, at the option.
 *
 * Parsing uses the TypeScript compiler's parser only (no program, no type checking); `typescript`
 * is loaded on first use, since only error reporting needs locations.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from 'typescript';
import { formatPath, type Diagnostic, type Location, type ModelPath } from '../diagnostics.ts';
import * as dsl from '../dsl/index.ts';
import type { OptionKeyTree } from '../presets/option-keys.ts';
import { certainlyNoUnknownOptionKeys } from '../validate/preset-option-scan.ts';
import { SCHEMA_CODES } from '../validate/schema-issues.ts';

export interface SourceLocator {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /**
   * Location of the value at `path` in the file's default export; `[]` is the default export
   * itself. Falls back to the deepest node the path could be followed to, and to 1:1 when the
   * file cannot be read or has no default export.
   */
  locate(path: ModelPath): Location;
  /**
   * Like {@link locate}, given also the value found at `path`: where the walk stops at a call it
   * cannot see into (a preset), the location is that of the literal among the call's arguments
   * that produced `value`, if one can be told apart, and `sourcePath` says which option it is
   * (`reactApp({ registry.region })`).
   */
  locateValue(path: ModelPath, value: unknown): LocatedValue;
  /**
   * Location of the key of the property at `path` (`stpes` in `{ stpes: [...] }`), for problems
   * with the key itself such as an unknown property; falls back to {@link locate}.
   */
  locateKey(path: ModelPath): Location;
  /**
   * Keys the file writes in the options object (first argument) of a call to one of `calls`
   * (by the function's `pipewright` name, through `import { x as y }` aliases) that its key tree
   * does not know. Only keys written in this file are seen: object literals, same-file consts
   * and spreads of them.
   */
  unknownOptionKeys(calls: Readonly<Record<string, OptionKeyTree>>): UnknownOptionKey[];
}

/** A key of a call's options object that the function does not read (see {@link SourceLocator.unknownOptionKeys}). */
export interface UnknownOptionKey {
  /** `reactApp({ registry.regoin })` */
  sourcePath: string;
  /** The misspelt key, and the keys known where it was written. */
  key: string;
  known: readonly string[];
  /** The property (key and value). */
  location: Location;
}

/** Result of {@link SourceLocator.locateValue}. */
export interface LocatedValue {
  location: Location;
  /** The option the author wrote, when the value was traced through a preset call. */
  sourcePath?: string;
}

/**
 * Sets `location` on every diagnostic that has a model `path` and no location, using `value`
 * (the pipeline value the paths point into) to trace values presets copied from their options
 * back to the option the author wrote. Schema and structure diagnostics (`PW…` codes) that end
 * up identical at the same source span (one option a preset copied to several places, one
 * same-file const used twice) are reported once: the first is kept, in place, with the
 * shortest of the model paths as `path` and the others in `otherPaths`. Mutates `diagnostics`.
 */
export function locateDiagnostics(locator: SourceLocator, diagnostics: Diagnostic[], value: unknown): void {
  const kept = new Map<string, Diagnostic>();
  let write = 0;
  for (const d of diagnostics) {
    if (!d.location && d.path) {
      const found = valueAt(value, d.path);
      const located =
        d.code === SCHEMA_CODES.unknownKey
          ? { location: locator.locateKey(d.path) }
          : found.present
            ? locator.locateValue(d.path, found.value)
            : { location: locator.locate(d.path) };
      d.location = located.location;
      if (located.sourcePath !== undefined) d.sourcePath = located.sourcePath;
      // Only a real span merges: 1:1 (no source) says nothing about where two problems come from.
      if (d.code.startsWith('PW') && d.location.endLine !== undefined) {
        const { file, line, column, endLine, endColumn } = d.location;
        const key = JSON.stringify([d.code, d.severity, d.message, d.expected, d.found, file, line, column, endLine, endColumn]);
        const first = kept.get(key);
        if (first) {
          // The shortest model path is the one shown first (`environments[0].region` rather than
          // where a preset copied it to).
          let other = d.path;
          if (other.length < first.path!.length) [other, first.path] = [first.path!, other];
          (first.otherPaths ??= []).push(other);
          first.sourcePath ??= d.sourcePath;
          continue;
        }
        kept.set(key, d);
      }
    }
    diagnostics[write++] = d;
  }
  diagnostics.length = write;
}

/** The value at `path` inside `root`, if every step of the way exists. */
function valueAt(root: unknown, path: ModelPath): { present: true; value: unknown } | { present: false } {
  let current = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return { present: false };
    current = (current as Record<string | number, unknown>)[segment];
  }
  return { present: true, value: current };
}

/**
 * How a DSL helper builds its result from its arguments, learnt by calling it once with marker
 * objects (so the table cannot drift from the DSL): `sh(script, options)` stores argument 0 as
 * `script` and copies the properties of argument 1; `definePipeline(p)` returns argument 0.
 */
interface HelperSignature {
  /** The helper returns this argument itself. */
  identity?: number;
  /** Result property -> the argument stored there unchanged. */
  positional: ReadonlyMap<string, number>;
  /** Arguments whose properties are copied into the result (options objects). */
  spread: readonly number[];
}

/** Arguments tried per helper; no DSL helper takes more. */
const PROBE_ARITY = 4;
const MARKER_PREFIX = '\u0000pipewright-argument-';

let helperSignatures: Map<string, HelperSignature> | undefined;

/** The signature of DSL helper `name` (`sh`, `bind.string`), if it is one with a plain-data result. */
function helperSignature(name: string): HelperSignature | undefined {
  if (!helperSignatures) {
    helperSignatures = new Map();
    for (const [exportName, exported] of Object.entries(dsl)) {
      if (typeof exported === 'function') probeHelper(exportName, exported, helperSignatures);
      else if (typeof exported === 'object' && exported !== null) {
        for (const [member, value] of Object.entries(exported)) {
          if (typeof value === 'function') probeHelper(`${exportName}.${member}`, value, helperSignatures);
        }
      }
    }
  }
  return helperSignatures.get(name);
}

function probeHelper(name: string, helper: Function, into: Map<string, HelperSignature>): void {
  const markers = Array.from({ length: PROBE_ARITY }, (_, index) => ({ [MARKER_PREFIX + index]: index }));
  let result: unknown;
  try {
    result = (helper as (...args: unknown[]) => unknown)(...markers);
  } catch {
    return; // a preset or helper that computes with its options: not a plain-data helper
  }
  const identity = markers.findIndex((marker) => marker === result);
  if (identity >= 0) {
    into.set(name, { identity, positional: new Map(), spread: [] });
    return;
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return;
  const positional = new Map<string, number>();
  const spread: number[] = [];
  for (const [key, value] of Object.entries(result)) {
    const index = markers.findIndex((marker) => marker === value);
    if (index >= 0) positional.set(key, index);
    else if (key.startsWith(MARKER_PREFIX)) spread.push(Number(key.slice(MARKER_PREFIX.length)));
  }
  if (positional.size > 0 || spread.length > 0) into.set(name, { positional, spread: spread.sort((a, b) => a - b) });
}

let typescriptModule: typeof TS | undefined;

/** `typescript` takes ~150 ms to load: only on the first locate. */
function typescript(): typeof TS {
  typescriptModule ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return typescriptModule;
}

/**
 * A locator for one pipeline file. `file` is absolute; locations are relative to `root`.
 * `sourceText` avoids re-reading a file the caller already has. The file is parsed once, on the
 * first `locate`.
 */
export function createSourceLocator(file: string, root: string, sourceText?: string): SourceLocator {
  return new Locator(path.resolve(file), path.resolve(root), sourceText);
}

/** A node the walk arrived at; `final` when the path cannot be followed beyond it. */
interface Step {
  node: TS.Node;
  final?: boolean;
}

/** Result of searching an array for an index: the element, or how many elements were counted. */
type ElementSearch = { found: Step } | { counted: number };

/** How deep identifier/spread chains may go (guards against `const a = b; const b = a`). */
const MAX_RESOLVE_DEPTH = 32;

class Locator implements SourceLocator {
  readonly file: string;
  readonly #root: string;
  #sourceText: string | undefined;
  #sourceFile: TS.SourceFile | null | undefined;
  #constantMap: Map<string, TS.Expression> | undefined;
  #aliases: Map<string, string> | undefined;

  constructor(file: string, root: string, sourceText: string | undefined) {
    this.file = file;
    this.#root = root;
    this.#sourceText = sourceText;
  }

  locate(modelPath: ModelPath): Location {
    return this.#locate(modelPath, { present: false });
  }

  locateKey(modelPath: ModelPath): Location {
    try {
      const sourceFile = this.#parse();
      const exported = sourceFile ? this.#defaultExport(sourceFile) : undefined;
      const key = modelPath.at(-1);
      if (sourceFile && exported && typeof key === 'string') {
        const ts = typescript();
        const reached = this.#follow(exported, modelPath.slice(0, -1));
        const container = reached.complete ? this.#resolve(reached.node) : undefined;
        if (container && ts.isObjectLiteralExpression(container)) {
          // The last property of that name wins, as at run time.
          const property = [...container.properties].reverse().find((p) => p.name !== undefined && this.#propertyName(p.name) === key);
          if (property?.name) return this.#location(sourceFile, property.name);
        }
      }
    } catch {
      // fall back to the value below
    }
    return this.locate(modelPath);
  }

  locateValue(modelPath: ModelPath, value: unknown): LocatedValue {
    const traced: { sourcePath?: string } = {};
    const location = this.#locate(modelPath, { present: true, value }, traced);
    return traced.sourcePath !== undefined ? { location, sourcePath: traced.sourcePath } : { location };
  }

  #locate(modelPath: ModelPath, value: { present: true; value: unknown } | { present: false }, traced?: { sourcePath?: string }): Location {
    try {
      const sourceFile = this.#parse();
      if (!sourceFile) return this.#fileStart();
      const exported = this.#defaultExport(sourceFile);
      if (!exported) return this.#fileStart();
      const reached = this.#follow(exported, modelPath);
      if (traced && reached.complete && reached.through) {
        traced.sourcePath = optionPath(reached.through.callee, reached.through.argument, modelPath.slice(reached.through.from));
      }
      if (reached.complete || !value.present || !traced) return this.#location(sourceFile, reached.node);
      const origin = this.#literalOrigin(reached.node, modelPath, value.value);
      if (!origin) return this.#location(sourceFile, reached.node);
      if (origin.sourcePath !== undefined) traced.sourcePath = origin.sourcePath;
      return this.#location(sourceFile, origin.node);
    } catch {
      return this.#fileStart();
    }
  }

  /**
   * The literal that produced `value` at `modelPath`, when the walk stopped at `stop`, a call
   * (or a spread of one) this file cannot see into: among the literals equal to `value` written
   * in the call's arguments, the one whose property path ends like `modelPath` in the most
   * segments (`registry.region` for `...steps[0].aws.region`: one), first in source order. A
   * string matched by value alone must be the only candidate; numbers and booleans need a
   * property name in common.
   */
  #literalOrigin(stop: TS.Node, modelPath: ModelPath, value: unknown): { node: TS.Node; sourcePath?: string } | undefined {
    const ts = typescript();
    if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) return undefined;
    let call = ts.isSpreadAssignment(stop) || ts.isSpreadElement(stop) ? stop.expression : stop;
    call = this.#resolve(call);
    if (!ts.isCallExpression(call)) return undefined;
    const candidates: LiteralCandidate[] = [];
    this.#collectLiterals(call, [], undefined, value, candidates, 0);
    let best: LiteralCandidate | undefined;
    let bestScore = -1;
    let tied = 0;
    for (const candidate of candidates) {
      const score = commonSuffix(modelPath, candidate.chain);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
        tied = 1;
      } else if (score === bestScore) tied += 1;
    }
    if (!best || (bestScore === 0 && (typeof value !== 'string' || tied > 1))) return undefined;
    const sourcePath = best.call ? optionPath(best.call.callee, best.call.argument, best.chain) : undefined;
    return sourcePath !== undefined ? { node: best.node, sourcePath } : { node: best.node };
  }

  /**
   * Collects the literals equal to `value` in the expression `node` evaluates to, with the
   * property path from the innermost enclosing function call's argument (`chain`). DSL helpers
   * are seen through (their arguments continue the chain); other calls start a new one.
   */
  #collectLiterals(
    node: TS.Node,
    chain: ModelPath,
    call: LiteralCandidate['call'],
    value: unknown,
    into: LiteralCandidate[],
    depth: number,
  ): void {
    const ts = typescript();
    if (depth > MAX_RESOLVE_DEPTH) return;
    const resolved = this.#resolve(node);
    if (isLiteralEqual(ts, resolved, value)) {
      into.push({ node: resolved, chain, ...(call ? { call } : {}) });
      return;
    }
    if (ts.isConditionalExpression(resolved)) {
      this.#collectLiterals(resolved.whenTrue, chain, call, value, into, depth + 1);
      this.#collectLiterals(resolved.whenFalse, chain, call, value, into, depth + 1);
      return;
    }
    if (ts.isObjectLiteralExpression(resolved)) {
      for (const property of resolved.properties) {
        if (ts.isSpreadAssignment(property)) this.#collectLiterals(property.expression, chain, call, value, into, depth + 1);
        else if (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) {
          const key = this.#propertyName(property.name);
          if (key === undefined) continue;
          const child = ts.isPropertyAssignment(property) ? property.initializer : property.name;
          this.#collectLiterals(child, [...chain, key], call, value, into, depth + 1);
        }
      }
      return;
    }
    if (ts.isArrayLiteralExpression(resolved)) {
      resolved.elements.forEach((element, index) => {
        if (ts.isSpreadElement(element)) this.#collectLiterals(element.expression, chain, call, value, into, depth + 1);
        else this.#collectLiterals(element, [...chain, index], call, value, into, depth + 1);
      });
      return;
    }
    if (ts.isCallExpression(resolved)) {
      const signature = this.#signature(resolved);
      resolved.arguments.forEach((argument, index) => {
        if (ts.isSpreadElement(argument)) return;
        if (signature) {
          const key = [...signature.positional].find(([, i]) => i === index)?.[0];
          if (key !== undefined) this.#collectLiterals(argument, [...chain, key], call, value, into, depth + 1);
          else if (signature.spread.includes(index)) this.#collectLiterals(argument, chain, call, value, into, depth + 1);
          return;
        }
        const callee = resolved.expression.getText(this.#sourceFile!);
        this.#collectLiterals(argument, [], { callee, argument: index }, value, into, depth + 1);
      });
    }
  }

  unknownOptionKeys(calls: Readonly<Record<string, OptionKeyTree>>): UnknownOptionKey[] {
    const found: UnknownOptionKey[] = [];
    try {
      // Most files can be cleared without TypeScript (loading it and parsing cost more than the
      // walk); only a file the lexical pass is not certain about is parsed.
      const text = this.#text();
      if (text !== undefined && isPlainTypeScript(this.file) && certainlyNoUnknownOptionKeys(text, calls, dslExportNames())) return found;
      const sourceFile = this.#parse();
      if (!sourceFile) return found;
      const ts = typescript();
      const visit = (node: TS.Node): void => {
        if (ts.isCallExpression(node)) {
          const name = this.#calleeName(node.expression);
          const tree = name !== undefined && Object.hasOwn(calls, name) ? calls[name] : undefined;
          const options = tree ? this.#argument(node, 0) : undefined;
          if (tree && options) this.#checkKeys(sourceFile, options, tree, node.expression.getText(sourceFile), [], found, 0);
        }
        ts.forEachChild(node, visit);
      };
      visit(sourceFile);
    } catch {
      // Best effort, like locations: a file the parser cannot read has no checkable options.
    }
    return found;
  }

  #checkKeys(
    sourceFile: TS.SourceFile,
    expression: TS.Node,
    tree: OptionKeyTree,
    callee: string,
    chain: ModelPath,
    into: UnknownOptionKey[],
    depth: number,
  ): void {
    const ts = typescript();
    if (depth > MAX_RESOLVE_DEPTH) return;
    const object = this.#resolve(expression);
    if (!ts.isObjectLiteralExpression(object)) return;
    for (const property of object.properties) {
      if (ts.isSpreadAssignment(property)) {
        this.#checkKeys(sourceFile, property.expression, tree, callee, chain, into, depth + 1);
        continue;
      }
      const key = this.#propertyName(property.name);
      if (key === undefined) continue;
      const known = Object.hasOwn(tree, key) ? tree[key] : undefined;
      if (known === undefined) {
        into.push({ sourcePath: optionPath(callee, 0, [...chain, key]), key, known: Object.keys(tree), location: this.#location(sourceFile, property) });
      } else if (known !== true && ts.isPropertyAssignment(property)) {
        this.#checkKeys(sourceFile, property.initializer, known, callee, [...chain, key], into, depth + 1);
      } else if (known !== true && ts.isShorthandPropertyAssignment(property)) {
        this.#checkKeys(sourceFile, property.name, known, callee, [...chain, key], into, depth + 1);
      }
    }
  }

  #fileStart(): Location {
    return { file: this.#relativeFile(), line: 1, column: 1 };
  }

  #relativeFile(): string {
    return path.relative(this.#root, this.file).split(path.sep).join('/');
  }

  #location(sourceFile: TS.SourceFile, node: TS.Node): Location {
    const start = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    const end = sourceFile.getLineAndCharacterOfPosition(node.getEnd());
    return {
      file: this.#relativeFile(),
      line: start.line + 1,
      column: start.character + 1,
      endLine: end.line + 1,
      endColumn: end.character + 1,
    };
  }

  /** The file's text (read once), or `undefined` if it cannot be read. */
  #text(): string | undefined {
    try {
      this.#sourceText ??= readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    return this.#sourceText;
  }

  #parse(): TS.SourceFile | null {
    if (this.#sourceFile !== undefined) return this.#sourceFile;
    try {
      const ts = typescript();
      const text = this.#text();
      if (text === undefined) throw new Error('unreadable');
      // Locations never look at JSDoc, so it is not parsed (about half the parse time).
      const options = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone };
      this.#sourceFile = ts.createSourceFile(this.file, text, options, false, scriptKind(ts, this.file));
    } catch {
      this.#sourceFile = null;
    }
    return this.#sourceFile;
  }

  /** The expression (or declaration) that is the file's default export. */
  #defaultExport(sourceFile: TS.SourceFile): TS.Node | undefined {
    const ts = typescript();
    for (const statement of sourceFile.statements) {
      if (ts.isExportAssignment(statement) && !statement.isExportEquals) return statement.expression;
      if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && isDefaultExport(ts, statement)) {
        return statement;
      }
      if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const specifier of statement.exportClause.elements) {
          if (specifier.name.text !== 'default') continue;
          const local = specifier.propertyName ?? specifier.name;
          return (ts.isIdentifier(local) && this.#constants(sourceFile).get(local.text)) || specifier;
        }
      }
    }
    return undefined;
  }

  /** Top-level `const name = initializer` declarations of the file. */
  #constants(sourceFile: TS.SourceFile): Map<string, TS.Expression> {
    if (this.#constantMap) return this.#constantMap;
    const ts = typescript();
    const constants = new Map<string, TS.Expression>();
    for (const statement of sourceFile.statements) {
      if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer) constants.set(declaration.name.text, declaration.initializer);
      }
    }
    this.#constantMap = constants;
    return constants;
  }

  /** The node `modelPath` leads to; `complete` when the whole path was followed. */
  /**
   * The node `modelPath` leads to; `complete` when the whole path was followed; `through` the
   * last call into which the walk went without knowing the function (a preset it assumed copies
   * its options), and from which path segment on.
   */
  #follow(start: TS.Node, modelPath: ModelPath): { node: TS.Node; complete: boolean; through?: ThroughCall } {
    const ts = typescript();
    let node = start;
    let through: ThroughCall | undefined;
    for (const [index, segment] of modelPath.entries()) {
      const container = this.#resolve(node);
      const next = this.#child(container, segment);
      if (!next) return { node: container, complete: false, ...(through ? { through } : {}) };
      if (ts.isCallExpression(container) && !this.#signature(container)) {
        const argument = container.arguments.findIndex((a) => a.pos <= next.node.pos && next.node.end <= a.end);
        through = { callee: container.expression.getText(this.#sourceFile!), argument: Math.max(argument, 0), from: index };
      }
      node = next.node;
      if (next.final) return { node, complete: index === modelPath.length - 1, ...(through ? { through } : {}) };
    }
    return { node, complete: true, ...(through ? { through } : {}) };
  }

  /** Local name -> DSL name for `import { sh as shell } from 'pipewright'`; namespace imports map to ''. */
  #importAliases(): Map<string, string> {
    if (this.#aliases) return this.#aliases;
    const ts = typescript();
    const aliases = new Map<string, string>();
    for (const statement of this.#sourceFile?.statements ?? []) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      if (statement.moduleSpecifier.text !== 'pipewright') continue;
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) aliases.set(bindings.name.text, '');
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) aliases.set(element.name.text, (element.propertyName ?? element.name).text);
      }
    }
    this.#aliases = aliases;
    return aliases;
  }

  /** `sh`, `bind.string` (through import aliases and `pw.` namespaces), or undefined. */
  #calleeName(expression: TS.Expression): string | undefined {
    const ts = typescript();
    if (ts.isIdentifier(expression)) return this.#importAliases().get(expression.text) ?? expression.text;
    if (ts.isPropertyAccessExpression(expression)) {
      const base = this.#calleeName(expression.expression);
      if (base === undefined) return undefined;
      return base === '' ? expression.name.text : `${base}.${expression.name.text}`;
    }
    return undefined;
  }

  /** The DSL signature of a call, when its arguments can be matched to parameters (no spread before them). */
  #signature(call: TS.CallExpression): HelperSignature | undefined {
    const name = this.#calleeName(call.expression);
    return name === undefined ? undefined : helperSignature(name);
  }

  /** Argument `index` of a call, unless a spread argument makes positions unknowable. */
  #argument(call: TS.CallExpression, index: number): TS.Expression | undefined {
    const ts = typescript();
    for (let i = 0; i <= index && i < call.arguments.length; i += 1) {
      if (ts.isSpreadElement(call.arguments[i]!)) return undefined;
    }
    return call.arguments[index];
  }

  /**
   * What an expression evaluates to, as far as this file shows: through parentheses, `as`,
   * `satisfies`, `!`, same-file consts and property accesses on same-file object literals.
   * Returns the last node reached when it can go no further. (The lexical pass of
   * `validate/preset-option-scan.ts` relies on this list: resolving through more means updating it.)
   */
  #resolve(node: TS.Node, depth = 0): TS.Node {
    const ts = typescript();
    if (depth > MAX_RESOLVE_DEPTH) return node;
    if (
      ts.isParenthesizedExpression(node) ||
      ts.isAsExpression(node) ||
      ts.isSatisfiesExpression(node) ||
      ts.isNonNullExpression(node) ||
      ts.isTypeAssertionExpression(node)
    ) {
      return this.#resolve(node.expression, depth + 1);
    }
    if (ts.isIdentifier(node)) {
      const initializer = this.#constants(this.#sourceFile!).get(node.text);
      return initializer ? this.#resolve(initializer, depth + 1) : node;
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const key = ts.isPropertyAccessExpression(node) ? node.name.text : literalText(ts, node.argumentExpression);
      if (key === undefined) return node;
      const base = this.#resolve(node.expression, depth + 1);
      const found = ts.isObjectLiteralExpression(base) ? this.#property(base, key, depth + 1) : undefined;
      return found && !found.final ? this.#resolve(found.node, depth + 1) : node;
    }
    if (ts.isCallExpression(node)) {
      // Identity helpers (`definePipeline(x)`, `defineStage(x)`) are their argument.
      const identity = this.#signature(node)?.identity;
      const argument = identity === undefined ? undefined : this.#argument(node, identity);
      return argument ? this.#resolve(argument, depth + 1) : node;
    }
    return node;
  }

  #child(container: TS.Node, segment: string | number): Step | undefined {
    const ts = typescript();
    if (ts.isObjectLiteralExpression(container)) return this.#property(container, String(segment), 0);
    if (ts.isArrayLiteralExpression(container)) {
      if (typeof segment !== 'number') return undefined;
      const search = this.#element(container, segment, 0);
      return 'found' in search ? search.found : undefined;
    }
    if (ts.isCallExpression(container) && typeof segment === 'string') {
      const signature = this.#signature(container);
      let searched: readonly TS.Expression[] = container.arguments;
      if (signature) {
        // A DSL helper: the argument it stores under `segment` (`withCredentials(b, steps)`),
        // else the options objects it copies into its result.
        const index = signature.positional.get(segment);
        if (index !== undefined) {
          const argument = this.#argument(container, index);
          return argument ? { node: argument } : undefined;
        }
        searched = signature.spread.map((i) => this.#argument(container, i)).filter((a): a is TS.Expression => a !== undefined);
      }
      // Otherwise functions (`stage({...})`) are assumed to copy their options objects into the
      // result; later arguments win, as in `{ ...defaults, ...options }`.
      let throughSpread: Step | undefined;
      for (const argument of [...searched].reverse()) {
        const value = this.#resolve(argument);
        if (!ts.isObjectLiteralExpression(value)) continue;
        const found = this.#property(value, segment, 0);
        if (found && !found.final) return found;
        throughSpread ??= found;
      }
      return throughSpread;
    }
    return undefined;
  }

  /**
   * The value of property `key`. Later properties win, as at run time; a spread of a same-file
   * object literal is searched too. An explicit property is preferred over a spread this file
   * cannot see into, which is returned (final) only when nothing explicit matches.
   */
  #property(object: TS.ObjectLiteralExpression, key: string, depth: number): Step | undefined {
    const ts = typescript();
    if (depth > MAX_RESOLVE_DEPTH) return undefined;
    let opaqueSpread: Step | undefined;
    for (let index = object.properties.length - 1; index >= 0; index -= 1) {
      const property = object.properties[index]!;
      if (ts.isSpreadAssignment(property)) {
        const spread = this.#resolve(property.expression, depth + 1);
        const found = ts.isObjectLiteralExpression(spread) ? this.#property(spread, key, depth + 1) : undefined;
        if (found && !found.final) return found;
        if (!ts.isObjectLiteralExpression(spread)) opaqueSpread ??= { node: property, final: true };
        else if (found) opaqueSpread ??= found;
        continue;
      }
      if (this.#propertyName(property.name) !== key) continue;
      if (ts.isPropertyAssignment(property)) return { node: property.initializer };
      if (ts.isShorthandPropertyAssignment(property)) return { node: property.name };
      return { node: property, final: true }; // method or accessor: its value is computed
    }
    return opaqueSpread;
  }

  #propertyName(name: TS.PropertyName | undefined): string | undefined {
    const ts = typescript();
    if (!name) return undefined;
    if (ts.isComputedPropertyName(name)) {
      const expression = this.#resolve(name.expression);
      return literalText(ts, expression);
    }
    if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
    return literalText(ts, name);
  }

  /**
   * Element `index` of an array literal. A spread of a same-file array literal is counted
   * through; any other spread hides how many elements follow, so the walk stops at it.
   */
  #element(array: TS.ArrayLiteralExpression, index: number, depth: number): ElementSearch {
    const ts = typescript();
    let counted = 0;
    for (const element of array.elements) {
      if (ts.isSpreadElement(element)) {
        const spread = this.#resolve(element.expression, depth + 1);
        if (!ts.isArrayLiteralExpression(spread) || depth > MAX_RESOLVE_DEPTH) return { found: { node: element, final: true } };
        const inner = this.#element(spread, index - counted, depth + 1);
        if ('found' in inner) return inner;
        counted += inner.counted;
        continue;
      }
      if (counted === index) return { found: { node: element } };
      counted += 1;
    }
    return { counted };
  }
}

/** A call the walk went into without knowing the function (see `#follow`). */
interface ThroughCall {
  callee: string;
  argument: number;
  /** Index of the first model-path segment looked up in the call's argument. */
  from: number;
}

/** A literal that may have produced a value: where, and its property path inside a call's argument. */
interface LiteralCandidate {
  node: TS.Node;
  chain: ModelPath;
  call?: { callee: string; argument: number };
}

/** How many trailing segments two paths share. */
function commonSuffix(a: ModelPath, b: ModelPath): number {
  let count = 0;
  while (count < a.length && count < b.length && a[a.length - 1 - count] === b[b.length - 1 - count]) count += 1;
  return count;
}

/** `reactApp({ registry.region })`, `siteEnvironments(…, { approvers[0] })`, `notifyTo(argument 1)`. */
function optionPath(callee: string, argument: number, chain: ModelPath): string {
  const before = '…, '.repeat(argument);
  if (chain.length === 0) return `${callee}(argument ${argument + 1})`;
  if (typeof chain[0] === 'number') return `${callee}(${before}${formatPath(chain)})`;
  return `${callee}(${before}{ ${formatPath(chain)} })`;
}

/** Whether `node` is a string, number or boolean literal with this value. */
function isLiteralEqual(ts: typeof TS, node: TS.Node, value: unknown): boolean {
  if (typeof value === 'string') return (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.text === value;
  if (typeof value === 'boolean') return node.kind === (value ? ts.SyntaxKind.TrueKeyword : ts.SyntaxKind.FalseKeyword);
  if (typeof value === 'number') {
    if (ts.isNumericLiteral(node)) return Number(node.text) === value;
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) {
      return -Number(node.operand.text) === value;
    }
  }
  return false;
}

function isDefaultExport(ts: typeof TS, node: TS.FunctionDeclaration | TS.ClassDeclaration): boolean {
  const modifiers = ts.getModifiers(node) ?? [];
  return modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) && modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.DefaultKeyword);
}

/** The text of a string, no-substitution template or numeric literal (normalised like a JS key). */
function literalText(ts: typeof TS, node: TS.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return String(Number(node.text));
  return undefined;
}

/** A `.ts` (or `.mts`/`.cts`) file: neither JSX nor JavaScript (see {@link scriptKind}). */
function isPlainTypeScript(file: string): boolean {
  return !file.endsWith('.tsx') && !/\.[cm]?jsx?$/.test(file);
}

let dslNames: ReadonlySet<string> | undefined;

/** The DSL's exports: the calls (identity helpers) and namespaces the walk can see through. */
function dslExportNames(): ReadonlySet<string> {
  dslNames ??= new Set(Object.keys(dsl));
  return dslNames;
}

function scriptKind(ts: typeof TS, file: string): TS.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.[cm]?jsx?$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}
