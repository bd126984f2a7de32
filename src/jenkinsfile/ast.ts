/**
 * The Jenkinsfile AST: what the lowering phase produces, what the printer prints, and what the
 * Jenkinsfile parser (import/validate) produces. A declarative Jenkinsfile is a tree of method
 * calls with optional closure blocks (`stage('x') { steps { sh 'y' } }`), assignments (in
 * `environment`) and verbatim Groovy bodies (`script { }`, `expression { }`).
 *
 * Nodes may carry a `loc` (position in a parsed Jenkinsfile) and an `origin` (model path of the
 * pipeline value that produced them, used to map Jenkinsfile lines back to TypeScript).
 */

/** A position in a Jenkinsfile, 1-based. */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface NodeMeta {
  /** Where a parsed node starts in its Jenkinsfile. */
  loc?: SourcePosition;
  /** Model path (e.g. `['stages', 0, 'steps', 1]`) of the value this node was lowered from. */
  origin?: readonly (string | number)[];
}

// ------------------------------------------------------------------ expressions

/** A string literal. The printer always emits it as a non-interpolating single-quoted literal. */
export interface StringLiteral extends NodeMeta {
  type: 'String';
  value: string;
}
export interface NumberLiteral extends NodeMeta {
  type: 'Number';
  /** Kept as text so that parsed values round-trip exactly (e.g. `9223372036854775807`). */
  text: string;
}
export interface BooleanLiteral extends NodeMeta {
  type: 'Boolean';
  value: boolean;
}
export interface NullLiteral extends NodeMeta {
  type: 'Null';
}
/** A bare identifier or property chain, e.g. `any`, `scm`, `hudson.model.Result.SUCCESS`. */
export interface Identifier extends NodeMeta {
  type: 'Identifier';
  name: string;
}
export interface ListExpression extends NodeMeta {
  type: 'List';
  items: Expression[];
}
export interface MapEntry extends NodeMeta {
  key: string;
  value: Expression;
}
export interface MapExpression extends NodeMeta {
  type: 'Map';
  entries: MapEntry[];
}
/** A method call used as a value, e.g. `credentials('id')`, `logRotator(numToKeepStr: '10')`. */
export interface CallExpression extends NodeMeta {
  type: 'CallExpression';
  name: string;
  args: Arguments;
}
/**
 * Groovy source kept verbatim: user escape hatches (`{ $groovy }`), or a parsed expression the
 * model does not represent (e.g. a GString `"${x}"` from an imported Jenkinsfile).
 */
export interface RawExpression extends NodeMeta {
  type: 'Raw';
  source: string;
}

export type Expression =
  | StringLiteral
  | NumberLiteral
  | BooleanLiteral
  | NullLiteral
  | Identifier
  | ListExpression
  | MapExpression
  | CallExpression
  | RawExpression;

/** Call arguments: positional ones, then named ones (`key: value`). */
export interface Arguments {
  positional: Expression[];
  named: MapEntry[];
}

// ------------------------------------------------------------------ statements

/**
 * A method-call statement, optionally with a closure block:
 * `sh 'x'`, `buildingTag()`, `stage('Build') { ... }`, `steps { ... }`.
 */
export interface CallStatement extends NodeMeta {
  type: 'Call';
  name: string;
  args: Arguments;
  /** The closure block, if any (an empty array prints as `name { }` and is usually invalid). */
  body?: Statement[];
  /** Where the block's `{` is in a parsed Jenkinsfile (Jenkins reports an empty block there). */
  bodyLoc?: SourcePosition;
}

/** `NAME = value` inside `environment { }`. */
export interface Assignment extends NodeMeta {
  type: 'Assignment';
  name: string;
  value: Expression;
}

/**
 * `script { <source> }` or `expression { <source> }`: a Groovy body emitted verbatim, re-indented
 * line by line.
 */
export interface GroovyBlock extends NodeMeta {
  type: 'GroovyBlock';
  keyword: 'script' | 'expression';
  source: string;
}

/** A `//` comment emitted by pipewright itself (never user text). */
export interface Comment extends NodeMeta {
  type: 'Comment';
  text: string;
}

export type Statement = CallStatement | Assignment | GroovyBlock | Comment;

/** A whole Jenkinsfile. */
export interface JenkinsfileAst {
  type: 'Jenkinsfile';
  /** Groovy source before the `pipeline` block kept verbatim (imports, `@Library`), if any. */
  prologue?: string;
  /** The `pipeline { }` call. */
  pipeline: CallStatement;
  /** Groovy source after the `pipeline` block kept verbatim, if any. */
  epilogue?: string;
}

// ------------------------------------------------------------------ builders

export const noArgs = (): Arguments => ({ positional: [], named: [] });

export const str = (value: string, origin?: NodeMeta['origin']): StringLiteral =>
  origin ? { type: 'String', value, origin } : { type: 'String', value };

export const ident = (name: string): Identifier => ({ type: 'Identifier', name });

export const bool = (value: boolean): BooleanLiteral => ({ type: 'Boolean', value });

/** A number literal from a JS number; callers validate that it is finite. */
export const num = (value: number): NumberLiteral => ({ type: 'Number', text: numberText(value) });

/** Groovy text for a finite JS number: integers plainly, others as a decimal with exponent. */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return String(value);
  // Groovy accepts `1.5`, `1.0E21`, `-2.5E-7`; JS prints `1e+21`.
  const text = String(value).replace('e+', 'E').replace('e-', 'E-');
  return /[.E]/.test(text) ? text : `${text}.0`;
}

export const positional = (...values: Expression[]): Arguments => ({ positional: values, named: [] });

export const named = (entries: [string, Expression | undefined][]): Arguments => ({
  positional: [],
  named: entries.filter((e): e is [string, Expression] => e[1] !== undefined).map(([key, value]) => ({ key, value })),
});

export const call = (
  name: string,
  args: Arguments = noArgs(),
  body?: Statement[],
  origin?: NodeMeta['origin'],
): CallStatement => {
  const node: CallStatement = { type: 'Call', name, args };
  if (body !== undefined) node.body = body;
  if (origin !== undefined) node.origin = origin;
  return node;
};

export const block = (name: string, body: Statement[], origin?: NodeMeta['origin']): CallStatement =>
  call(name, noArgs(), body, origin);
