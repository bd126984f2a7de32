/**
 * The ONE place that maps pipeline values to TypeScript source locations.
 *
 * Given a model path such as `['stages', 2, 'steps', 0, 'script']`, walks the syntax tree of the
 * pipeline file from its default export: object literal -> property, array literal -> element,
 * DSL helper call -> its object-literal argument, same-file `const` -> its initializer. Where the
 * value was built somewhere this walk cannot follow (another module, a function's result), the
 * deepest node reached is returned, so a location is always available. Never throws.
 *
 * Parsing uses the TypeScript compiler's parser only (no program, no type checking); `typescript`
 * is loaded on first use, since only error reporting needs locations.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from 'typescript';
import type { Location, ModelPath } from '../diagnostics.ts';

export interface SourceLocator {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /**
   * Location of the value at `path` in the file's default export; `[]` is the default export
   * itself. Falls back to the deepest node the path could be followed to, and to 1:1 when the
   * file cannot be read or has no default export.
   */
  locate(path: ModelPath): Location;
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

  constructor(file: string, root: string, sourceText: string | undefined) {
    this.file = file;
    this.#root = root;
    this.#sourceText = sourceText;
  }

  locate(modelPath: ModelPath): Location {
    try {
      const sourceFile = this.#parse();
      if (!sourceFile) return this.#fileStart();
      const exported = this.#defaultExport(sourceFile);
      if (!exported) return this.#fileStart();
      return this.#location(sourceFile, this.#follow(exported, modelPath));
    } catch {
      return this.#fileStart();
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

  #parse(): TS.SourceFile | null {
    if (this.#sourceFile !== undefined) return this.#sourceFile;
    try {
      const ts = typescript();
      const text = this.#sourceText ?? readFileSync(this.file, 'utf8');
      this.#sourceText = text;
      this.#sourceFile = ts.createSourceFile(this.file, text, ts.ScriptTarget.Latest, false, scriptKind(ts, this.file));
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

  #follow(start: TS.Node, modelPath: ModelPath): TS.Node {
    let node = start;
    for (const segment of modelPath) {
      const container = this.#resolve(node);
      const next = this.#child(container, segment);
      if (!next) return container;
      node = next.node;
      if (next.final) return node;
    }
    return node;
  }

  /**
   * What an expression evaluates to, as far as this file shows: through parentheses, `as`,
   * `satisfies`, `!`, same-file consts and property accesses on same-file object literals.
   * Returns the last node reached when it can go no further.
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
      // DSL helpers (`sh('x', { label })`, `stage({...})`) copy their options object into the
      // result; later arguments win, as in `{ ...defaults, ...options }`.
      let throughSpread: Step | undefined;
      for (const argument of [...container.arguments].reverse()) {
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

function scriptKind(ts: typeof TS, file: string): TS.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.[cm]?jsx?$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}
