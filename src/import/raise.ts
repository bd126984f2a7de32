/**
 * Raising: Jenkinsfile AST → pipeline model value, the inverse of lowering (src/lower/index.ts).
 *
 * Every construct becomes typed model data when the model has a place for it AND lowering that
 * data gives back the same Jenkinsfile construct; the second condition is checked, construct by
 * construct, by lowering the candidate and comparing it with the original (compare.ts, layout
 * ignored). Otherwise the construct goes to an escape hatch, with the reason recorded:
 *
 * - steps: `step(name, args, body)` for any step (values that are not literals become
 *   `groovy('...')`), `script('...')` for `script { }` blocks;
 * - options, triggers: `custom` entries; agents and parameters: `type: 'custom'`;
 * - values (environment, step arguments, `equals`): `groovy('...')` holding the Groovy source.
 *
 * Nothing is dropped except comments. What has no place in the model at all is refused, with a
 * reason and a line: code outside the pipeline block other than comments and `@Library(...) _`
 * (see outside-code.ts), `when` conditions and sections the model does not know, a step that
 * mixes positional and named arguments, non-literal values where the model only takes literals
 * (stage names, tools, libraries, input fields, matrix axes).
 *
 * Delivery steps (src/model/delivery.ts) are not recognised in this version: their shell
 * scripts import as `sh` steps (which round-trip exactly).
 */
import type { Arguments, CallStatement, Expression, JenkinsfileAst, SourcePosition, Statement } from '../jenkinsfile/ast.ts';
import type { ModelPath } from '../diagnostics.ts';
import { lowerAgent, lowerInput, lowerOptions, lowerParameters, lowerPipeline, lowerStep, lowerWhen, type AnyOptions } from '../lower/index.ts';
import {
  type Agent,
  type CredentialBinding,
  type CustomCall,
  type Environment,
  type GroovyValue,
  type Input,
  type Matrix,
  type Parameter,
  type Pipeline,
  type PipelineOptions,
  type Post,
  type PostCondition,
  type Stage,
  type Step,
  type TimeUnit,
  type Triggers,
  type ValidPipeline,
  type When,
  type WhenCondition,
  POST_CONDITIONS,
  WHEN_CONDITION_KEYS,
} from '../model/schema.ts';
import { numberText } from '../jenkinsfile/ast.ts';
import { canonBlock, compareCanonBlocks, type BlockContext } from './compare.ts';
import { expressionSource, singleLineGroovy } from './groovy-source.ts';
import { analyzeOutsideCode } from './outside-code.ts';
import { scanGroovy } from '../validate/groovy-scan.ts';
import type { Catalog } from '../catalog/schema.ts';
import { CatalogStepTyper, type CatalogCallForm } from './catalog-steps.ts';
import { parseGString, shellScript } from './gstring.ts';

// ------------------------------------------------------------------------------- result types

/** The escape hatches of the model. */
export type EscapeHatch = 'step' | 'script' | 'groovy' | 'custom-option' | 'custom-trigger' | 'custom-agent' | 'custom-parameter';

/** One construct kept in an escape hatch, and why. */
export interface ImportNote {
  hatch: EscapeHatch;
  /** What: the step, option, trigger, agent type or parameter type name; for `groovy`, the kind of value. */
  subject: string;
  /** Why it is not typed. */
  reason: string;
  /** Line in the Jenkinsfile, when known. */
  line?: number;
  /** Where in the pipeline model. */
  path: ModelPath;
}

/** Something the importer did that the reader should know about (not an escape hatch). */
export interface ImportInfo {
  message: string;
  line?: number;
}

/**
 * A `sh` GString rewritten into a literal script the shell expands (`"${env.X}"` → `'$X'`); the
 * module compiles to the Jenkinsfile with these rewrites applied (`RaiseResult.expected`).
 */
export interface ImportRewrite {
  line?: number;
  /** The GString as written. */
  original: string;
  /** The script the module holds. */
  script: string;
  /** The environment variables that replaced Groovy placeholders. */
  variables: string[];
}

/** Why a file cannot be imported. */
export interface ImportRefusal {
  reason: string;
  line?: number;
  column?: number;
}

/** How much was typed. */
export interface RaiseCounts {
  /** Steps with a typed helper (`sh`, `echo`, `dir`, ...) or a catalog-typed call (counted in `catalogSteps` too). */
  typedSteps: number;
  /** Steps written as calls of the catalog's typed functions (`jenkins.cleanWs()`), part of `typedSteps`. */
  catalogSteps: number;
  /** Steps kept as `step(name, ...)`. */
  genericSteps: number;
  /** `script { }` blocks kept as `script(...)`. */
  scriptSteps: number;
  /** Values kept as `groovy(...)`. */
  groovyValues: number;
  /** Options, triggers, agents and parameters that are typed / kept as `custom`. */
  typedSettings: number;
  customSettings: number;
}

export interface RaiseResult {
  /** The pipeline model value; absent when the file is refused. */
  pipeline?: Pipeline;
  notes: ImportNote[];
  infos: ImportInfo[];
  refusals: ImportRefusal[];
  counts: RaiseCounts;
  /** Typed steps by step name, e.g. `{ sh: 12, echo: 3 }`. */
  typedStepNames: Record<string, number>;
  /** The generic step values that are written as catalog-typed calls, and how (see emit-module.ts). */
  catalogCalls: WeakMap<object, CatalogCallForm>;
  /** `sh` GStrings rewritten into shell-expanded literal scripts. */
  rewrites: ImportRewrite[];
  /** The Jenkinsfile the module must compile to: the input with the rewrites applied. */
  expected: JenkinsfileAst;
}

/** Options of {@link raiseJenkinsfile}. */
export interface RaiseOptions {
  /** Keep code outside the pipeline block as groovyPrologue/groovyEpilogue instead of refusing. */
  keepOutsideCode?: boolean;
  /** Steps pipewright has no helper for become calls of this catalog's typed functions where they fit. */
  catalog?: Catalog;
}

/**
 * Raises a parsed declarative Jenkinsfile into a pipeline model value. Never throws for
 * unsupported input: it is refused with reasons (`pipeline` is then absent).
 */
export function raiseJenkinsfile(ast: JenkinsfileAst, options: RaiseOptions = {}): RaiseResult {
  const raiser = new Raiser(options.keepOutsideCode ?? false, options.catalog ? typerFor(options.catalog) : undefined);
  const pipeline = raiser.pipeline(ast);
  const result: RaiseResult = {
    notes: raiser.notes,
    infos: raiser.infos,
    refusals: raiser.refusals,
    counts: raiser.counts,
    typedStepNames: raiser.typedStepNames,
    catalogCalls: raiser.catalogCalls,
    rewrites: raiser.rewrites,
    expected: raiser.replacements.size === 0 ? ast : (replaceNodes(ast, raiser.replacements) as JenkinsfileAst),
  };
  if (raiser.refusals.length === 0) result.pipeline = pipeline;
  return result;
}

// ------------------------------------------------------------------------------- helpers

type Path = (string | number)[];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TIME_UNITS: readonly TimeUnit[] = ['NANOSECONDS', 'MICROSECONDS', 'MILLISECONDS', 'SECONDS', 'MINUTES', 'HOURS', 'DAYS'];
const COMPARATORS = ['EQUALS', 'GLOB', 'REGEXP'] as const;
type Comparator = (typeof COMPARATORS)[number];

/** Wrapper options in the order lowering emits them (after the job properties). */
const WRAPPER_ORDER = ['timeout', 'lock', 'retry', 'timestamps'] as const;

/** A literal number as a JS number when lowering prints it back with the same text. */
function canonicalNumber(expression: Expression): number | undefined {
  if (expression.type !== 'Number') return undefined;
  const value = Number(expression.text);
  if (!Number.isFinite(value)) return undefined;
  try {
    return numberText(value) === expression.text ? value : undefined;
  } catch {
    return undefined;
  }
}

/** How a non-literal value reads, for reasons: "a GString", "a method call", ... */
function describeExpression(expression: Expression): string {
  switch (expression.type) {
    case 'String':
      return 'a string';
    case 'Number':
      return `the number literal ${expression.text}`;
    case 'Boolean':
      return 'a boolean';
    case 'Null':
      return 'null';
    case 'Identifier':
      // Property chains have no length limit: a report line shows the first 80 characters.
      return `a variable or property reference (${expression.name.length > 80 ? `${expression.name.slice(0, 79)}…` : expression.name})`;
    case 'List':
      return 'a list';
    case 'Map':
      return 'a map';
    case 'CallExpression':
      return `a method call (${expression.name}(...))`;
    case 'Raw':
      return rawKind(expression.source);
  }
}

function rawKind(source: string): string {
  if (source.startsWith('"') || source.startsWith('/') || source.startsWith('$/')) return 'a GString (Groovy interpolates it)';
  if (source.startsWith('{')) return 'a closure';
  return 'a Groovy expression';
}

/** The kind of a value kept as `groovy(...)`, for the report. */
function groovyKind(expression: Expression): string {
  switch (expression.type) {
    case 'Number':
      return 'number literal kept as written';
    case 'Null':
      return 'null';
    case 'Identifier':
      return 'variable or property reference';
    case 'CallExpression':
      return 'method call';
    case 'Map':
      return 'map with $groovy or numeric keys';
    case 'Raw': {
      const kind = rawKind(expression.source);
      return kind.startsWith('a GString') ? 'GString' : kind.slice(2);
    }
    default:
      return 'value';
  }
}

/** Problem found while reading the arguments of a typed candidate. */
class Misfit extends Error {}

/**
 * Reads the arguments of a call as typed fields: either one positional argument (bound to
 * `positionalName`) or named arguments only. Any problem throws a Misfit with the reason.
 */
class FieldReader {
  private readonly fields = new Map<string, Expression>();
  private readonly what: string;

  constructor(args: Arguments, what: string, positionalName?: string) {
    this.what = what;
    if (args.positional.length > 0) {
      if (positionalName === undefined || args.positional.length > 1 || args.named.length > 0) {
        throw new Misfit(`${what} takes ${positionalName === undefined ? 'named arguments only' : `one positional argument or named arguments`}`);
      }
      this.fields.set(positionalName, args.positional[0]!);
    } else {
      for (const entry of args.named) this.fields.set(entry.key, entry.value);
    }
  }

  private take(key: string): Expression | undefined {
    const value = this.fields.get(key);
    this.fields.delete(key);
    return value;
  }

  string(key: string): string | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (value.type !== 'String') throw new Misfit(`${key} of ${this.what} is ${describeExpression(value)}, the typed form takes a literal string`);
    return value.value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined) throw new Misfit(`${this.what} has no ${key}`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (value.type !== 'Boolean') throw new Misfit(`${key} of ${this.what} is ${describeExpression(value)}, the typed form takes true or false`);
    return value.value;
  }

  integer(key: string, minimum: number): number | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    const number = value.type === 'Number' ? canonicalNumber(value) : undefined;
    if (number === undefined || !Number.isInteger(number) || number < minimum) {
      throw new Misfit(`${key} of ${this.what} is ${describeExpression(value)}, the typed form takes a literal integer ≥ ${minimum}`);
    }
    return number;
  }

  requiredInteger(key: string, minimum: number): number {
    const value = this.integer(key, minimum);
    if (value === undefined) throw new Misfit(`${this.what} has no ${key}`);
    return value;
  }

  /** A literal list of literal strings. */
  stringList(key: string): string[] | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (value.type !== 'List' || value.items.length === 0 || value.items.some((item) => item.type !== 'String')) {
      throw new Misfit(`${key} of ${this.what} is ${describeExpression(value)}, the typed form takes a literal list of strings`);
    }
    return value.items.map((item) => (item as { value: string }).value);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw new Misfit(`${key} of ${this.what} is '${value}', the typed form takes ${allowed.join(', ')}`);
    return value as T;
  }

  /** Throws when arguments are left that the typed form has no field for. */
  done(): void {
    const left = [...this.fields.keys()];
    if (left.length > 0) throw new Misfit(`${this.what}: argument ${left.map((k) => `${k}:`).join(', ')} is not part of the typed form`);
  }
}

/** Drops undefined values (the model's optional fields). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const noArgs = (args: Arguments): boolean => args.positional.length === 0 && args.named.length === 0;

/** The first difference between one lowered construct and the original, ignoring layout; undefined if equal. */
function sameConstruct(lowered: Statement[], original: Statement[], context: BlockContext): string | undefined {
  const a = canonBlock(lowered, context, { reparseRaw: true });
  const b = canonBlock(original, context, { reparseRaw: true });
  const difference = compareCanonBlocks(b, a, []);
  return difference ? `${difference.path ? `${difference.path}: ` : ''}${difference.original} ≠ ${difference.compiled}` : undefined;
}

/** The same call without its block (to compare the heads of block steps). */
function head(call: Statement): Statement {
  if (call.type !== 'Call' || call.body === undefined) return call;
  const { body: _body, bodyLoc: _bodyLoc, ...rest } = call;
  return { ...rest, body: [] };
}

// ------------------------------------------------------------------------------- the raiser

const typers = new WeakMap<Catalog, CatalogStepTyper>();
function typerFor(catalog: Catalog): CatalogStepTyper {
  let typer = typers.get(catalog);
  if (!typer) typers.set(catalog, (typer = new CatalogStepTyper(catalog)));
  return typer;
}

class Raiser {
  constructor(
    private readonly keepOutsideCode: boolean,
    private readonly typer: CatalogStepTyper | undefined,
  ) {}

  readonly catalogCalls = new WeakMap<object, CatalogCallForm>();
  readonly rewrites: ImportRewrite[] = [];
  /** Original AST nodes → what the compiled Jenkinsfile has instead (the rewrites). */
  readonly replacements = new Map<object, object>();
  /** Environment variables set at the current point: pipeline/stage `environment {}`, enclosing blocks. */
  private readonly envScopes: Set<string>[] = [];
  /** Names Groovy code assigns or declares (script blocks, code outside the pipeline): not provably env. */
  private groovyNames = new Set<string>();

  readonly notes: ImportNote[] = [];
  readonly infos: ImportInfo[] = [];
  readonly refusals: ImportRefusal[] = [];
  readonly counts: RaiseCounts = { typedSteps: 0, catalogSteps: 0, genericSteps: 0, scriptSteps: 0, groovyValues: 0, typedSettings: 0, customSettings: 0 };
  readonly typedStepNames: Record<string, number> = {};

  private refuse(reason: string, node?: { loc?: SourcePosition | undefined }): void {
    const refusal: ImportRefusal = { reason };
    if (node?.loc) {
      refusal.line = node.loc.line;
      refusal.column = node.loc.column;
    }
    this.refusals.push(refusal);
  }

  private note(hatch: EscapeHatch, subject: string, reason: string, path: Path, node?: Statement | Expression): void {
    const note: ImportNote = { hatch, subject, reason, path: [...path] };
    if (node?.loc) note.line = node.loc.line;
    this.notes.push(note);
  }

  // ----------------------------------------------------------------- values

  /** Any expression as a model value: literals as such, everything else as `groovy(source)`. */
  value(expression: Expression, path: Path): GroovyValue {
    switch (expression.type) {
      case 'String':
        return expression.value;
      case 'Boolean':
        return expression.value;
      case 'Null':
        return null;
      case 'Number': {
        const number = canonicalNumber(expression);
        if (number !== undefined) return number;
        return this.groovy(expression, path);
      }
      case 'List':
        return expression.items.map((item, i) => this.value(item, [...path, i]));
      case 'Map': {
        // A map whose only key is `$groovy` would read back as a groovy() value, and JS objects put
        // integer-like keys first: both keep the map as Groovy source.
        if (expression.entries.length === 1 && expression.entries[0]!.key === '$groovy') return this.groovy(expression, path);
        if (expression.entries.some((entry) => /^(0|[1-9][0-9]*)$/.test(entry.key))) return this.groovy(expression, path);
        const out: Record<string, GroovyValue> = {};
        for (const entry of expression.entries) {
          Object.defineProperty(out, entry.key, { value: this.value(entry.value, [...path, entry.key]), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      default:
        return this.groovy(expression, path);
    }
  }

  /** `groovy(source)`: the expression's Groovy text, on one line when it spans lines outside brackets. */
  groovy(expression: Expression, path: Path): { $groovy: string } {
    let source = expressionSource(expression);
    const problem = scanGroovy(source, 'expression');
    if (problem && (problem.kind === 'top-level-newline' || problem.kind === 'line-comment')) {
      source = singleLineGroovy(source);
      this.infos.push({
        message: `a multi-line ${groovyKind(expression)} is written on one line in groovy(...) (tokens unchanged)`,
        ...(expression.loc ? { line: expression.loc.line } : {}),
      });
    }
    this.counts.groovyValues++;
    this.note('groovy', groovyKind(expression), `${describeExpression(expression)}: kept as Groovy source`, path, expression);
    return { $groovy: source };
  }

  // ----------------------------------------------------------------- pipeline

  pipeline(ast: JenkinsfileAst): Pipeline {
    const prologue = analyzeOutsideCode(ast.prologue);
    const epilogue = analyzeOutsideCode(ast.epilogue);
    // Code outside the pipeline block cannot be typed: it is kept verbatim (groovyPrologue /
    // groovyEpilogue, an escape hatch policy flags), never dropped.
    const outside: Record<string, string> = {};
    if (prologue.interpolatedLibraries) {
      // Not code to move anywhere: the annotation itself, kept as written (raw Groovy).
      outside.groovyPrologue = ast.prologue!;
      this.infos.push({
        message: `@Library with a GString (${summarizeCode(ast.prologue!)}) kept verbatim as groovyPrologue: the libraries directive takes literal names (Groovy wants a constant in an annotation; a single-quoted '…@\${BRANCH_NAME}' is expanded by Jenkins, a library step in script { } takes any string)`,
        line: 1,
      });
    } else if (prologue.hasCode && !this.keepOutsideCode) {
      this.refuse(`code before the pipeline block (${summarizeCode(ast.prologue!)}) cannot be represented in a typed pipeline; move helpers into a shared library or script { } blocks (or delete unused code), then import again; or import with --keep-outside-code to keep it verbatim as groovyPrologue (raw Groovy)`, { loc: { line: 1, column: 1 } });
    } else if (prologue.hasCode) {
      // A `#!` line is legal only on line 1, and line 1 of a compiled Jenkinsfile is its header:
      // kept in the prologue it would break the file. Jenkins never executes the file, so it
      // does not need one; dropping it changes nothing (comments do not count in the round trip).
      const shebang = SHEBANG_LINE.exec(ast.prologue!);
      outside.groovyPrologue = shebang ? ast.prologue!.slice(shebang[0].length) : ast.prologue!;
      if (shebang) {
        this.infos.push({ message: `the ${shebang[0].trim()} line is dropped: Groovy allows #! only on line 1, which holds the compiled Jenkinsfile's header, and Jenkins does not need it`, line: 1 });
      }
      this.infos.push({ message: `code before the pipeline block (${summarizeCode(ast.prologue!)}) kept verbatim as groovyPrologue (raw Groovy: move helpers into a shared library to type them)`, line: 1 });
    }
    if (epilogue.hasCode && !this.keepOutsideCode) {
      this.refuse(`code after the pipeline block (${summarizeCode(ast.epilogue!)}) cannot be represented in a typed pipeline; move helpers into a shared library or script { } blocks (or delete unused code), then import again; or import with --keep-outside-code to keep it verbatim as groovyEpilogue (raw Groovy)`);
    } else if (epilogue.hasCode) {
      outside.groovyEpilogue = ast.epilogue!;
      this.infos.push({ message: `code after the pipeline block (${summarizeCode(ast.epilogue!)}) kept verbatim as groovyEpilogue (raw Groovy: move helpers into a shared library to type them)` });
    }
    const annotated = prologue.hasCode || epilogue.hasCode ? [] : [...prologue.libraries, ...epilogue.libraries];
    if (annotated.length > 0) {
      this.infos.push({
        message: `@Library annotation${annotated.length > 1 ? 's' : ''} imported as libraries: ${annotated.map((l) => `'${l}'`).join(', ')} (the library's steps work the same; a script { } block that names a class from its src/ would need the annotation)`,
        ...(prologue.line !== undefined ? { line: prologue.line } : {}),
      });
    }

    this.groovyNames = assignedNames([ast.prologue ?? '', ast.epilogue ?? '', ...groovySources(ast.pipeline.body ?? [])]);
    this.envScopes.push(environmentNames(ast.pipeline.body ?? []));
    const pipeline: Partial<Pipeline> & Record<string, unknown> = {};
    const seen = new Set<string>();
    let libraries: string[] | undefined = annotated.length > 0 ? [...annotated] : undefined;
    for (const statement of ast.pipeline.body ?? []) {
      if (statement.type !== 'Call') {
        this.refuse(`unexpected ${statement.type === 'Assignment' ? `assignment ${statement.name} =` : statement.type} in the pipeline block`, statement);
        continue;
      }
      if (seen.has(statement.name)) {
        this.refuse(`duplicate section ${statement.name}`, statement);
        continue;
      }
      seen.add(statement.name);
      switch (statement.name) {
        case 'agent':
          pipeline.agent = this.agent(statement, ['agent']);
          break;
        case 'stages':
          pipeline.stages = this.stages(statement, ['stages']);
          break;
        case 'environment':
          pipeline.environment = this.environment(statement, ['environment']);
          break;
        case 'options':
          pipeline.options = this.options(statement, ['options'], 'pipeline');
          break;
        case 'parameters':
          pipeline.parameters = this.parameters(statement, ['parameters']);
          break;
        case 'triggers':
          pipeline.triggers = this.triggers(statement, ['triggers']);
          break;
        case 'tools':
          pipeline.tools = this.tools(statement, ['tools']) as Pipeline['tools'];
          break;
        case 'libraries':
          libraries = [...(libraries ?? []), ...this.libraries(statement)];
          break;
        case 'post':
          pipeline.post = this.post(statement, ['post']);
          break;
        default:
          this.refuse(`section ${statement.name} is not a pipeline section the model knows`, statement);
      }
    }
    if (libraries) pipeline.libraries = libraries;
    Object.assign(pipeline, outside);
    if (pipeline.agent === undefined) this.refuse('the pipeline has no agent');
    if (pipeline.stages === undefined) this.refuse('the pipeline has no stages');
    return orderKeys(pipeline, ['groovyPrologue', 'agent', 'libraries', 'parameters', 'triggers', 'options', 'tools', 'environment', 'stages', 'post', 'groovyEpilogue']) as Pipeline;
  }

  // ----------------------------------------------------------------- agent

  agent(call: CallStatement, path: Path): Agent {
    const refuseAgent = (why: string): Agent => {
      this.refuse(`agent: ${why}`, call);
      return 'any';
    };
    if (call.body === undefined) {
      const only = call.args.positional.length === 1 && call.args.named.length === 0 ? call.args.positional[0]! : undefined;
      const name = only?.type === 'Identifier' ? only.name : only?.type === 'String' ? only.value : undefined;
      if (name === 'any' || name === 'none') {
        this.counts.typedSettings++;
        return name;
      }
      return refuseAgent('expected agent any, agent none or an agent block');
    }
    if (!noArgs(call.args) || call.body.length !== 1 || call.body[0]!.type !== 'Call') return refuseAgent('expected exactly one agent type in the block');
    const inner = call.body[0] as CallStatement;
    const typed = this.typedAgent(inner);
    if (typeof typed !== 'string') {
      const difference = sameConstruct([lowerAgent(typed, [])], [call], 'pipeline');
      if (difference === undefined) {
        this.counts.typedSettings++;
        return typed;
      }
      return this.customAgent(inner, path, `the typed form would differ (${difference})`) ?? refuseAgent('cannot be represented');
    }
    return this.customAgent(inner, path, typed) ?? refuseAgent('cannot be represented');
  }

  /** A typed agent for `label 'x'`, `node { }`, `docker { }`, `dockerfile { }`, `kubernetes { }`, or why not. */
  private typedAgent(inner: CallStatement): Agent | string {
    try {
      if (inner.body === undefined) {
        if (inner.name === 'label') {
          const reader = new FieldReader(inner.args, 'agent label', 'label');
          const label = reader.requiredString('label');
          reader.done();
          if (label === '') return 'an empty agent label has no typed form (the typed agent refuses it, PW2004)';
          return { type: 'label', label };
        }
        if (inner.name === 'dockerfile' && inner.args.positional.length === 1 && inner.args.positional[0]!.type === 'Boolean' && inner.args.positional[0]!.value) {
          return { type: 'dockerfile' };
        }
        return `agent type ${inner.name} in this form has no typed equivalent`;
      }
      if (!noArgs(inner.args)) return `agent ${inner.name} has arguments and a block`;
      const reader = new FieldReader(closureMapArgs(inner.body), `agent ${inner.name}`);
      switch (inner.name) {
        case 'node':
        case 'label': {
          if (closureMapArgs(inner.body).named.some((e) => e.key === 'label' && e.value.type === 'String' && e.value.value === '')) {
            return 'an empty agent label has no typed form (the typed agent refuses it, PW2004)';
          }
          const agent = compact({
            type: inner.name,
            label: reader.requiredString('label'),
            customWorkspace: reader.string('customWorkspace'),
            retries: reader.integer('retries', 0),
          }) as Agent;
          reader.done();
          return agent;
        }
        case 'docker': {
          const agent = compact({
            type: 'docker' as const,
            image: reader.requiredString('image'),
            alwaysPull: reader.boolean('alwaysPull'),
            ...dockerCommon(reader),
          });
          reader.done();
          return agent;
        }
        case 'dockerfile': {
          const filename = inner.body.find((s) => s.type === 'Call' && s.name === 'filename');
          const value = filename?.type === 'Call' ? filename.args.positional[0] : undefined;
          if (value?.type === 'String' && /[/\\]/.test(value.value)) {
            // The typed agent refuses it (PW3030, "Dockerfile filename cannot contain directory separators").
            return `dockerfile filename '${value.value}' has a directory separator, which the typed agent refuses (PW3030: put the directory in dir); check that your Jenkins accepts it`;
          }
          const agent = compact({
            type: 'dockerfile' as const,
            filename: reader.string('filename'),
            dir: reader.string('dir'),
            additionalBuildArgs: reader.string('additionalBuildArgs'),
            ...dockerCommon(reader),
          });
          reader.done();
          return agent;
        }
        case 'kubernetes': {
          const agent = compact({
            type: 'kubernetes' as const,
            yaml: reader.string('yaml'),
            yamlFile: reader.string('yamlFile'),
            cloud: reader.string('cloud'),
            inheritFrom: reader.string('inheritFrom'),
            defaultContainer: reader.string('defaultContainer'),
            namespace: reader.string('namespace'),
            label: reader.string('label'),
            serviceAccount: reader.string('serviceAccount'),
            nodeSelector: reader.string('nodeSelector'),
            customWorkspace: reader.string('customWorkspace'),
          });
          reader.done();
          return agent;
        }
        default:
          return `agent type ${inner.name} is not modelled`;
      }
    } catch (error) {
      if (error instanceof Misfit) return error.message;
      throw error;
    }
  }

  /** `{ type: 'custom', ... }` for an agent type in value or block form; undefined (and refused) if it has no such form. */
  private customAgent(inner: CallStatement, path: Path, reason: string): Agent | undefined {
    if (!IDENTIFIER.test(inner.name)) {
      this.refuse(`agent type ${inner.name} is not an identifier`, inner);
      return undefined;
    }
    let agent: Agent;
    if (inner.body !== undefined) {
      if (!noArgs(inner.args)) {
        this.refuse(`agent ${inner.name} has both arguments and a block`, inner);
        return undefined;
      }
      const block: Record<string, GroovyValue> = {};
      for (const entry of inner.body) {
        if (entry.type !== 'Call' || entry.body !== undefined || entry.args.named.length > 0 || entry.args.positional.length !== 1 || entry.name in block) {
          this.refuse(`agent ${inner.name}: expected "key value" entries (nested blocks, several arguments and repeated keys have no place in the model)`, entry);
          return undefined;
        }
        block[entry.name] = this.value(entry.args.positional[0]!, [...path, 'block', entry.name]);
      }
      agent = { type: 'custom', name: inner.name, block };
    } else if (inner.args.positional.length === 1 && inner.args.named.length === 0) {
      agent = { type: 'custom', name: inner.name, value: this.value(inner.args.positional[0]!, [...path, 'value']) };
    } else if (noArgs(inner.args)) {
      agent = { type: 'custom', name: inner.name };
    } else {
      this.refuse(`agent ${inner.name}: expected one argument or a block`, inner);
      return undefined;
    }
    this.counts.customSettings++;
    this.note('custom-agent', inner.name, reason, path, inner);
    return agent;
  }

  // ----------------------------------------------------------------- environment, tools, libraries

  environment(call: CallStatement, path: Path): Environment {
    const environment: Environment = {};
    for (const statement of call.body ?? []) {
      if (statement.type !== 'Assignment') {
        this.refuse('environment: expected NAME = value', statement);
        continue;
      }
      if (statement.name in environment) {
        this.refuse(`environment: duplicate variable ${statement.name}`, statement);
        continue;
      }
      environment[statement.name] = this.environmentValue(statement.value, [...path, statement.name]);
    }
    return environment;
  }

  private environmentValue(value: Expression, path: Path): Environment[string] {
    switch (value.type) {
      case 'String':
      case 'Boolean':
        return value.value;
      case 'Number': {
        const number = canonicalNumber(value);
        return number !== undefined ? number : this.groovy(value, path);
      }
      case 'CallExpression': {
        const only = value.args.positional[0];
        if (value.name === 'credentials' && value.args.positional.length === 1 && value.args.named.length === 0 && only?.type === 'String' && only.value !== '') {
          return { credentials: only.value };
        }
        return this.groovy(value, path);
      }
      default:
        return this.groovy(value, path);
    }
  }

  tools(call: CallStatement, path: Path): Record<string, string | GroovyValue> {
    const tools: Record<string, string | GroovyValue> = {};
    for (const statement of call.body ?? []) {
      const only = statement.type === 'Call' && statement.body === undefined && statement.args.named.length === 0 && statement.args.positional.length === 1 ? statement.args.positional[0] : undefined;
      const literal = only?.type === 'String' && only.value !== '';
      // A GString or variable (`jdk "${JDK}"`) is kept as groovy(); other values have no place.
      const expression = only !== undefined && (only.type === 'Raw' || only.type === 'Identifier');
      if (statement.type !== 'Call' || !(literal || expression) || statement.name in tools) {
        this.refuse(`tools: expected tool 'version' with a literal version or a GString, once per tool${statement.type === 'Call' ? ` (${statement.name})` : ''}`, statement);
        continue;
      }
      tools[statement.name] = literal ? (only as { value: string }).value : this.groovy(only!, [...path, statement.name]);
    }
    return tools;
  }

  libraries(call: CallStatement): string[] {
    const libraries: string[] = [];
    for (const statement of call.body ?? []) {
      const only = statement.type === 'Call' && statement.name === 'lib' && statement.args.named.length === 0 && statement.args.positional.length === 1 ? statement.args.positional[0] : undefined;
      if (only?.type !== 'String' || only.value === '') {
        this.refuse(`libraries: expected lib('name@version') with a literal string${only ? `, found ${describeExpression(only)}` : ''}`, statement);
        continue;
      }
      libraries.push(only.value);
    }
    return libraries;
  }

  // ----------------------------------------------------------------- options

  /**
   * `options { }`. Job properties are typed wherever they fit (their order does not matter).
   * Wrapper options (`timeout`, `lock`, `retry`, `timestamps`) are typed only while they come in
   * the order lowering prints them and before any custom option: Jenkins nests wrappers in source
   * order, so from the first one out of order on, every wrapper stays a custom option in place.
   */
  options(call: CallStatement, path: Path, level: 'pipeline' | 'stage'): PipelineOptions {
    const options: Record<string, unknown> = {};
    const custom: CustomCall[] = [];
    const seen = new Set<string>();
    let lastWrapper = -1;
    let wrappersTyped = true;
    for (const statement of call.body ?? []) {
      if (statement.type !== 'Call' || statement.body !== undefined) {
        this.refuse('options: expected option calls without blocks', statement);
        continue;
      }
      if (seen.has(statement.name)) {
        this.refuse(`options: duplicate option ${statement.name}`, statement);
        continue;
      }
      seen.add(statement.name);
      const wrapperRank = (WRAPPER_ORDER as readonly string[]).indexOf(statement.name);
      const candidate = this.typedOption(statement, level);
      let reason: string;
      if (typeof candidate === 'string') reason = candidate;
      else if (wrapperRank >= 0 && (!wrappersTyped || wrapperRank < lastWrapper)) {
        reason = 'kept in place: Jenkins applies wrapper options in source order, and the typed form is printed before the options above it';
      } else {
        const difference = sameConstruct(lowerOptions({ [candidate.key]: candidate.value } as AnyOptions, []), [statement], 'options');
        if (difference === undefined) {
          options[candidate.key] = candidate.value;
          this.counts.typedSettings++;
          if (wrapperRank >= 0) lastWrapper = wrapperRank;
          continue;
        }
        reason = `the typed form would differ (${difference})`;
      }
      const entry = this.customCall(statement, [...path, 'custom', custom.length], 'option');
      if (!entry) continue;
      custom.push(entry);
      this.counts.customSettings++;
      this.note('custom-option', statement.name, reason, [...path, 'custom', custom.length - 1], statement);
      // Anything after a custom option that is (or may be) a wrapper must stay after it.
      if (wrapperRank >= 0 || !isJobProperty(statement.name)) wrappersTyped = false;
    }
    if (custom.length > 0) options.custom = custom;
    return options as PipelineOptions;
  }

  /** The typed option for one statement, or why there is none. */
  private typedOption(statement: CallStatement, level: 'pipeline' | 'stage'): { key: string; value: unknown } | string {
    const name = statement.name;
    const stageOptions = new Set(['timeout', 'retry', 'timestamps', 'lock', 'skipDefaultCheckout', 'checkoutToSubdirectory']);
    if (level === 'stage' && !stageOptions.has(name)) return `option ${name} is not a typed stage option`;
    try {
      const flag = (): true => {
        if (!noArgs(statement.args)) throw new Misfit(`${name} with arguments has no typed form`);
        return true;
      };
      switch (name) {
        case 'timestamps':
        case 'disableResume':
        case 'disableRestartFromStage':
        case 'parallelsAlwaysFailFast':
        case 'skipStagesAfterUnstable':
        case 'newContainerPerStage':
          return { key: name, value: flag() };
        case 'skipDefaultCheckout': {
          // `skipDefaultCheckout(true)` is `skipDefaultCheckout()` (compare.ts, rule 10).
          const only = statement.args.positional[0];
          if (statement.args.positional.length === 1 && statement.args.named.length === 0 && only?.type === 'Boolean' && only.value) return { key: name, value: true };
          return { key: name, value: flag() };
        }
        case 'disableConcurrentBuilds': {
          if (noArgs(statement.args)) return { key: name, value: true };
          const reader = new FieldReader(statement.args, name);
          const abortPrevious = reader.boolean('abortPrevious');
          reader.done();
          return { key: name, value: { abortPrevious: abortPrevious ?? false } };
        }
        case 'buildDiscarder': {
          const rotator = statement.args.positional.length === 1 && statement.args.named.length === 0 ? statement.args.positional[0] : undefined;
          if (rotator?.type !== 'CallExpression' || rotator.name !== 'logRotator') return 'buildDiscarder without logRotator(...) has no typed form';
          const reader = new FieldReader(rotator.args, 'logRotator');
          const count = (key: string): number | undefined => {
            const text = reader.string(key);
            if (text === undefined) return undefined;
            const value = Number(text);
            // Jenkins accepts '0' (keep none); '' or text is not a count the typed form holds.
            if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(value)) throw new Misfit(`${key} '${text}' is not a whole number`);
            return value;
          };
          const value = compact({
            numToKeep: count('numToKeepStr'),
            daysToKeep: count('daysToKeepStr'),
            artifactNumToKeep: count('artifactNumToKeepStr'),
            artifactDaysToKeep: count('artifactDaysToKeepStr'),
          });
          reader.done();
          return { key: name, value };
        }
        case 'durabilityHint': {
          const reader = new FieldReader(statement.args, name, 'hint');
          const value = reader.oneOf('hint', ['MAX_SURVIVABILITY', 'PERFORMANCE_OPTIMIZED', 'SURVIVABLE_NONATOMIC'] as const);
          reader.done();
          return value === undefined ? 'durabilityHint without a hint' : { key: name, value };
        }
        case 'overrideIndexTriggers': {
          const reader = new FieldReader(statement.args, name, 'value');
          const value = reader.boolean('value');
          reader.done();
          return value === undefined ? 'overrideIndexTriggers without a value' : { key: name, value };
        }
        case 'preserveStashes': {
          const reader = new FieldReader(statement.args, name);
          const value = compact({ buildCount: reader.integer('buildCount', 1) });
          reader.done();
          return { key: name, value };
        }
        case 'quietPeriod': {
          const reader = new FieldReader(statement.args, name, 'quietPeriod');
          const value = reader.requiredInteger('quietPeriod', 0);
          reader.done();
          return { key: name, value };
        }
        case 'checkoutToSubdirectory': {
          const reader = new FieldReader(statement.args, name, 'path');
          const value = reader.requiredString('path');
          reader.done();
          return { key: name, value };
        }
        case 'timeout': {
          const reader = new FieldReader(statement.args, name, 'time');
          const value = compact({ time: reader.requiredInteger('time', 1), unit: reader.oneOf('unit', TIME_UNITS), activity: reader.boolean('activity') });
          reader.done();
          return { key: name, value };
        }
        case 'retry': {
          const reader = new FieldReader(statement.args, name, 'count');
          const value = reader.requiredInteger('count', 1);
          reader.done();
          return { key: name, value };
        }
        case 'lock': {
          const reader = new FieldReader(statement.args, name, 'resource');
          const value = lockFields(reader);
          reader.done();
          return { key: name, value };
        }
        default:
          return `option ${name} is not modelled`;
      }
    } catch (error) {
      if (error instanceof Misfit) return error.message;
      throw error;
    }
  }

  /** `{ name, args }` for a custom option or trigger; refused when the arguments mix positional and named. */
  private customCall(statement: CallStatement, path: Path, what: string): CustomCall | undefined {
    if (!IDENTIFIER.test(statement.name)) {
      this.refuse(`${what} ${statement.name} is not an identifier`, statement);
      return undefined;
    }
    const args = this.arguments(statement, path, what);
    if (args === null) return undefined;
    return args === undefined ? { name: statement.name } : { name: statement.name, args };
  }

  /**
   * A call's arguments as model `args`: an array (positional) or an object (named); `undefined`
   * without arguments; `null` (refused) when they mix both, which the model cannot hold.
   */
  private arguments(statement: CallStatement, path: Path, what: string): GroovyValue[] | Record<string, GroovyValue> | undefined | null {
    const { positional, named } = statement.args;
    if (positional.length > 0 && named.length > 0) {
      this.refuse(`${what} ${statement.name} mixes positional and named arguments, which the model cannot hold`, statement);
      return null;
    }
    if (positional.length > 0) return positional.map((value, i) => this.value(value, [...path, 'args', i]));
    if (named.length > 0) {
      if (named.length === 1 && named[0]!.key === '$groovy') {
        this.refuse(`${what} ${statement.name} has the single named argument $groovy, which the model reads as raw Groovy`, statement);
        return null;
      }
      const args: Record<string, GroovyValue> = {};
      for (const entry of named) {
        Object.defineProperty(args, entry.key, { value: this.value(entry.value, [...path, 'args', entry.key]), enumerable: true, writable: true, configurable: true });
      }
      return args;
    }
    return undefined;
  }

  // ----------------------------------------------------------------- parameters, triggers

  parameters(call: CallStatement, path: Path): Parameter[] {
    const out: Parameter[] = [];
    for (const statement of call.body ?? []) {
      if (statement.type !== 'Call' || statement.body !== undefined) {
        this.refuse('parameters: expected parameter calls without blocks', statement);
        continue;
      }
      const parameter = this.parameter(statement, [...path, out.length]);
      if (parameter) out.push(parameter);
    }
    return out;
  }

  private parameter(statement: CallStatement, path: Path): Parameter | undefined {
    let reason: string;
    const typed = typedParameter(statement);
    if (typeof typed === 'string') reason = typed;
    else {
      const lowered = lowerParameters([typed], []).body ?? [];
      const difference = sameConstruct(lowered, [statement], 'parameters');
      if (difference === undefined) {
        this.counts.typedSettings++;
        return typed;
      }
      reason = `the typed form would differ (${difference})`;
    }
    // The custom form: `symbol(name: 'X', ...)` with named arguments only.
    const nameEntry = statement.args.named.find((entry) => entry.key === 'name');
    if (statement.args.positional.length > 0 || nameEntry?.value.type !== 'String' || !IDENTIFIER.test(statement.name)) {
      const why = statement.args.positional.length > 0 ? 'has positional arguments' : nameEntry ? `its name is ${describeExpression(nameEntry.value)}` : 'has no name:';
      this.refuse(`parameter ${statement.name}: ${why}; the model holds parameters with named arguments and a literal name only`, statement);
      return undefined;
    }
    const parameter: Parameter & { type: 'custom' } = { type: 'custom', symbol: statement.name, name: nameEntry.value.value };
    const description = statement.args.named.find((entry) => entry.key === 'description');
    if (description?.value.type === 'String') parameter.description = description.value.value;
    const args: Record<string, GroovyValue> = {};
    for (const entry of statement.args.named) {
      if (entry === nameEntry || (entry === description && description.value.type === 'String')) continue;
      Object.defineProperty(args, entry.key, { value: this.value(entry.value, [...path, 'args', entry.key]), enumerable: true, writable: true, configurable: true });
    }
    if (Object.keys(args).length > 0) parameter.args = args;
    this.counts.customSettings++;
    this.note('custom-parameter', statement.name, reason, path, statement);
    return parameter;
  }

  triggers(call: CallStatement, path: Path): Triggers {
    const triggers: Triggers = {};
    const custom: CustomCall[] = [];
    for (const statement of call.body ?? []) {
      if (statement.type !== 'Call' || statement.body !== undefined) {
        this.refuse('triggers: expected trigger calls without blocks', statement);
        continue;
      }
      let reason: string;
      const typed = statement.name in triggers ? `a second ${statement.name} trigger` : typedTrigger(statement);
      if (typeof typed === 'string') reason = typed;
      else {
        const lowered = lowerPipeline({ agent: 'any', stages: [], triggers: typed } as ValidPipeline).pipeline.body?.find((s) => s.type === 'Call' && s.name === 'triggers');
        const difference = sameConstruct(lowered?.type === 'Call' ? (lowered.body ?? []) : [], [statement], 'triggers');
        if (difference === undefined) {
          Object.assign(triggers, typed);
          this.counts.typedSettings++;
          continue;
        }
        reason = `the typed form would differ (${difference})`;
      }
      const entry = this.customCall(statement, [...path, 'custom', custom.length], 'trigger');
      if (!entry) continue;
      custom.push(entry);
      this.counts.customSettings++;
      this.note('custom-trigger', statement.name, reason, [...path, 'custom', custom.length - 1], statement);
    }
    if (custom.length > 0) triggers.custom = custom;
    return triggers;
  }

  // ----------------------------------------------------------------- stages

  stages(call: CallStatement, path: Path): Stage[] {
    if (call.body === undefined || !noArgs(call.args)) {
      this.refuse(`${call.name}: expected a block of stages`, call);
      return [];
    }
    const stages: Stage[] = [];
    for (const statement of call.body) {
      if (statement.type !== 'Call' || statement.name !== 'stage') {
        this.refuse(`${call.name}: expected stage(...) { }`, statement);
        continue;
      }
      stages.push(this.stage(statement, [...path, stages.length]));
    }
    return stages;
  }

  stage(call: CallStatement, path: Path): Stage {
    const nameArg = call.args.positional.length === 1 && call.args.named.length === 0 ? call.args.positional[0] : undefined;
    let name = '';
    if (nameArg?.type === 'String') name = nameArg.value;
    else if (nameArg?.type === 'Identifier') {
      name = nameArg.name;
      this.infos.push({ message: `stage(${nameArg.name}) with a bare identifier is imported as the name '${nameArg.name}' (Jenkins reads it the same way)`, ...(call.loc ? { line: call.loc.line } : {}) });
    } else this.refuse('stage: expected a literal stage name', call);
    const stage: Stage & Record<string, unknown> = { name };
    if (call.body === undefined) {
      this.refuse(`stage '${name}' has no block`, call);
      return stage;
    }
    this.envScopes.push(environmentNames(call.body));
    this.stageBody(call.body, stage, path, 'stage');
    this.envScopes.pop();
    return orderKeys(stage, ['name', 'agent', 'when', 'tools', 'environment', 'options', 'input', 'failFast', 'steps', 'stages', 'parallel', 'matrix', 'post']) as Stage;
  }

  /** The directives of a stage or a matrix. */
  private stageBody(body: Statement[], owner: Record<string, unknown>, path: Path, kind: 'stage' | 'matrix'): void {
    const seen = new Set<string>();
    for (const statement of body) {
      if (statement.type !== 'Call') {
        this.refuse(`unexpected ${statement.type} in ${kind}`, statement);
        continue;
      }
      if (seen.has(statement.name)) {
        this.refuse(`duplicate ${statement.name} in ${kind}`, statement);
        continue;
      }
      seen.add(statement.name);
      const at = [...path, statement.name];
      switch (statement.name) {
        case 'agent':
          owner.agent = this.agent(statement, at);
          continue;
        case 'when':
          owner.when = this.when(statement);
          continue;
        case 'tools':
          owner.tools = this.tools(statement, at);
          continue;
        case 'environment':
          owner.environment = this.environment(statement, at);
          continue;
        case 'options':
          owner.options = this.options(statement, at, 'stage');
          continue;
        case 'input':
          owner.input = this.input(statement);
          continue;
        case 'post':
          owner.post = this.post(statement, at);
          continue;
        case 'stages':
          owner.stages = this.stages(statement, at);
          continue;
      }
      if (kind === 'stage') {
        switch (statement.name) {
          case 'failFast': {
            const only = statement.args.positional.length === 1 && statement.args.named.length === 0 && statement.body === undefined ? statement.args.positional[0] : undefined;
            if (only?.type === 'Boolean') owner.failFast = only.value;
            else this.refuse('failFast: expected true or false', statement);
            continue;
          }
          case 'steps':
            if (statement.body === undefined || !noArgs(statement.args)) this.refuse('steps: expected a block', statement);
            else owner.steps = this.steps(statement.body, at);
            continue;
          case 'parallel':
            owner.parallel = this.stages(statement, at);
            continue;
          case 'matrix':
            owner.matrix = this.matrix(statement, at);
            continue;
        }
      } else {
        switch (statement.name) {
          case 'axes':
            owner.axes = (statement.body ?? []).map((axis) => this.axis(axis, false));
            continue;
          case 'excludes':
            owner.excludes = (statement.body ?? []).map((exclude) => {
              if (exclude.type !== 'Call' || exclude.name !== 'exclude' || exclude.body === undefined) {
                this.refuse('excludes: expected exclude { axis { ... } }', exclude);
                return { axes: [] };
              }
              return { axes: exclude.body.map((axis) => this.axis(axis, true)) };
            });
            continue;
        }
      }
      this.refuse(`${statement.name} is not a ${kind} section the model knows`, statement);
    }
  }

  private matrix(call: CallStatement, path: Path): Matrix {
    const matrix: Record<string, unknown> = {};
    if (call.body === undefined) this.refuse('matrix: expected a block', call);
    else this.stageBody(call.body, matrix, path, 'matrix');
    if (matrix.axes === undefined) this.refuse('matrix without axes', call);
    if (matrix.stages === undefined) this.refuse('matrix without stages', call);
    return orderKeys(matrix, ['axes', 'excludes', 'agent', 'when', 'tools', 'environment', 'options', 'input', 'stages', 'post']) as unknown as Matrix;
  }

  private axis(statement: Statement, exclude: boolean): { name: string; values?: string[]; notValues?: string[] } {
    const axis: { name: string; values?: string[]; notValues?: string[] } = { name: '' };
    if (statement.type !== 'Call' || statement.name !== 'axis' || statement.body === undefined) {
      this.refuse('axes: expected axis { name ...; values ... }', statement);
      return axis;
    }
    for (const entry of statement.body) {
      if (entry.type !== 'Call' || entry.body !== undefined || entry.args.named.length > 0) {
        this.refuse('axis: expected name and values entries', entry);
        continue;
      }
      const strings = entry.args.positional.map((value) => (value.type === 'String' ? value.value : value.type === 'Identifier' && entry.name === 'name' ? value.name : undefined));
      if (strings.some((value) => value === undefined)) {
        this.refuse(`axis ${entry.name}: expected literal strings`, entry);
        continue;
      }
      const values = strings as string[];
      if (entry.name === 'name' && values.length === 1) axis.name = values[0]!;
      else if (entry.name === 'values' && values.length > 0) axis.values = values;
      else if (entry.name === 'notValues' && exclude && values.length > 0) axis.notValues = values;
      else this.refuse(`axis: unexpected ${entry.name}`, entry);
    }
    return axis;
  }

  private input(call: CallStatement): Input {
    const fields: Record<string, unknown> = {};
    for (const statement of call.body ?? []) {
      if (statement.type === 'Call' && statement.name === 'parameters' && statement.body !== undefined) {
        fields.parameters = this.parameters(statement, ['input', 'parameters']);
        continue;
      }
      const only = statement.type === 'Call' && statement.body === undefined && statement.args.named.length === 0 && statement.args.positional.length === 1 ? statement.args.positional[0] : undefined;
      const name = statement.type === 'Call' ? statement.name : '';
      if (only?.type !== 'String' || !['message', 'id', 'ok', 'submitter', 'submitterParameter'].includes(name) || name in fields) {
        this.refuse(`input: ${name || 'entry'} must be message, id, ok, submitter or submitterParameter with one literal string${only && only.type !== 'String' ? ` (found ${describeExpression(only)})` : ''}`, statement);
        continue;
      }
      fields[name] = only.value;
    }
    const input = orderKeys(fields, ['message', 'id', 'ok', 'submitter', 'submitterParameter', 'parameters']) as unknown as Input;
    if (typeof input.message !== 'string') {
      this.refuse('input without a message', call);
      return input;
    }
    const difference = sameConstruct([lowerInput(input, [])], [call], 'stage');
    if (difference !== undefined) this.refuse(`input: the typed form would differ (${difference}) and the model has no other form`, call);
    return input;
  }

  post(call: CallStatement, path: Path): Post {
    const post: Post = {};
    for (const statement of call.body ?? []) {
      if (statement.type !== 'Call' || statement.body === undefined || !(POST_CONDITIONS as readonly string[]).includes(statement.name) || !noArgs(statement.args)) {
        this.refuse(`post: ${statement.type === 'Call' ? statement.name : statement.type} is not a post condition`, statement);
        continue;
      }
      const condition = statement.name as PostCondition;
      if (post[condition] !== undefined) {
        this.refuse(`post: duplicate ${condition}`, statement);
        continue;
      }
      post[condition] = this.steps(statement.body, [...path, condition]);
    }
    return post;
  }

  // ----------------------------------------------------------------- when

  private when(call: CallStatement): When {
    const flags: Partial<Record<'beforeAgent' | 'beforeInput' | 'beforeOptions', boolean>> = {};
    const conditions: WhenCondition[] = [];
    let conditionStatements = 0;
    for (const statement of call.body ?? []) {
      if (statement.type === 'Call' && (statement.name === 'beforeAgent' || statement.name === 'beforeInput' || statement.name === 'beforeOptions')) {
        const only = statement.args.positional[0];
        if (statement.args.positional.length !== 1 || statement.args.named.length > 0 || only?.type !== 'Boolean' || statement.name in flags) {
          this.refuse(`when: ${statement.name} needs one literal true or false`, statement);
          continue;
        }
        flags[statement.name] = only.value;
        continue;
      }
      conditionStatements++;
      const condition = this.condition(statement);
      if (condition) conditions.push(condition);
    }
    // Several conditions are one conjunction. Typed keys are printed in WHEN_CONDITION_KEYS order:
    // keep them as keys when they already come in that order, else as allOf (same order).
    let merged: WhenCondition;
    const keys = conditions.map((condition) => Object.keys(condition)[0] as keyof WhenCondition);
    const ranks = keys.map((key) => (WHEN_CONDITION_KEYS as readonly string[]).indexOf(key));
    if (conditions.length === 0) {
      if (conditionStatements === 0) this.refuse('when without a condition', call);
      merged = {};
    } else if (ranks.every((rank, i) => i === 0 || rank > ranks[i - 1]!)) merged = Object.assign({}, ...conditions) as WhenCondition;
    else merged = { allOf: conditions };
    const when = { ...flags, ...merged } as When;
    if (conditions.length > 0) {
      const difference = sameConstruct([lowerWhen(when, [])], [call], 'stage');
      if (difference !== undefined) this.refuse(`when: the typed form would differ (${difference}) and the model has no other form`, call);
    }
    return when;
  }

  /** One condition statement as a one-key condition object. */
  private condition(statement: Statement): WhenCondition | undefined {
    if (statement.type === 'GroovyBlock') {
      if (statement.keyword === 'expression' && statement.source.trim() !== '') return { expression: statement.source };
      this.refuse(`when: ${statement.keyword} { } is not a condition`, statement);
      return undefined;
    }
    if (statement.type !== 'Call') {
      this.refuse('when: expected a condition', statement);
      return undefined;
    }
    const name = statement.name;
    try {
      const nested = (): WhenCondition[] => {
        if (statement.body === undefined || !noArgs(statement.args)) throw new Misfit(`${name} needs a block of conditions`);
        return statement.body.map((child) => this.condition(child)).filter((c): c is WhenCondition => c !== undefined);
      };
      if (statement.body !== undefined && name !== 'allOf' && name !== 'anyOf' && name !== 'not') throw new Misfit(`${name} { } is not a condition the model knows`);
      switch (name) {
        case 'branch':
        case 'tag': {
          if (statement.args.positional.length === 1 && statement.args.named.length === 0) {
            const reader = new FieldReader(statement.args, name, 'pattern');
            return { [name]: reader.requiredString('pattern') };
          }
          const reader = new FieldReader(statement.args, name);
          const value = compact({ pattern: reader.requiredString('pattern'), comparator: reader.oneOf<Comparator>('comparator', COMPARATORS) });
          reader.done();
          return { [name]: value };
        }
        case 'changeset': {
          if (statement.args.positional.length === 1 && statement.args.named.length === 0) {
            return { changeset: new FieldReader(statement.args, name, 'pattern').requiredString('pattern') };
          }
          const reader = new FieldReader(statement.args, name);
          const value = compact({
            pattern: reader.requiredString('pattern'),
            comparator: reader.oneOf<Comparator>('comparator', COMPARATORS),
            caseSensitive: reader.boolean('caseSensitive'),
          });
          reader.done();
          return { changeset: value };
        }
        case 'changelog': {
          const reader = new FieldReader(statement.args, name, 'pattern');
          const value = reader.requiredString('pattern');
          reader.done();
          return { changelog: value };
        }
        case 'buildingTag':
        case 'isRestartedRun':
          if (!noArgs(statement.args)) throw new Misfit(`${name}() takes no arguments`);
          return { [name]: true };
        case 'changeRequest': {
          if (noArgs(statement.args)) return { changeRequest: true };
          const reader = new FieldReader(statement.args, name);
          const value: Record<string, string> = {};
          for (const entry of statement.args.named) {
            if (entry.key === 'comparator') {
              value.comparator = reader.oneOf<Comparator>('comparator', COMPARATORS)!;
              continue;
            }
            if (!['id', 'target', 'branch', 'fork', 'url', 'title', 'author', 'authorDisplayName', 'authorEmail'].includes(entry.key)) continue;
            value[entry.key] = reader.requiredString(entry.key);
          }
          reader.done();
          return { changeRequest: value };
        }
        case 'environment': {
          const reader = new FieldReader(statement.args, name);
          const value = compact({ name: reader.requiredString('name'), value: reader.requiredString('value'), ignoreCase: reader.boolean('ignoreCase') });
          reader.done();
          return { environment: value };
        }
        case 'equals': {
          const expected = statement.args.named.find((entry) => entry.key === 'expected');
          const actual = statement.args.named.find((entry) => entry.key === 'actual');
          if (!expected || !actual || statement.args.named.length !== 2 || statement.args.positional.length > 0) throw new Misfit('equals needs expected: and actual:');
          return { equals: { expected: this.value(expected.value, ['when', 'equals', 'expected']), actual: this.value(actual.value, ['when', 'equals', 'actual']) } };
        }
        case 'triggeredBy': {
          if (statement.args.positional.length === 1 && statement.args.named.length === 0) {
            return { triggeredBy: new FieldReader(statement.args, name, 'cause').requiredString('cause') };
          }
          const reader = new FieldReader(statement.args, name);
          const value = compact({ cause: reader.requiredString('cause'), detail: reader.string('detail') });
          reader.done();
          return { triggeredBy: value };
        }
        case 'allOf':
        case 'anyOf': {
          const children = nested();
          if (children.length === 0) throw new Misfit(`${name} needs at least one condition`);
          return { [name]: children };
        }
        case 'not': {
          const children = nested();
          if (children.length !== 1) throw new Misfit('not needs exactly one condition');
          return { not: children[0]! };
        }
        default:
          throw new Misfit(`${name} is not a when condition the model knows (the model has no escape hatch for conditions; an expression { } with the same logic would be one)`);
      }
    } catch (error) {
      if (!(error instanceof Misfit)) throw error;
      this.refuse(`when: ${error.message}`, statement);
      return undefined;
    }
  }

  // ----------------------------------------------------------------- steps

  steps(statements: Statement[], path: Path): Step[] {
    const steps: Step[] = [];
    for (const statement of statements) {
      const step = this.step(statement, [...path, steps.length]);
      if (step) steps.push(step);
    }
    return steps;
  }

  private step(statement: Statement, path: Path): Step | undefined {
    if (statement.type === 'Comment') return undefined;
    if (statement.type === 'GroovyBlock') {
      if (statement.keyword !== 'script') {
        this.refuse(`${statement.keyword} { } is not a step`, statement);
        return undefined;
      }
      this.counts.scriptSteps++;
      this.note('script', 'script', 'script { } block kept verbatim', path, statement);
      const decoded = decodeUnicodeEscapes(statement.source);
      if (decoded !== statement.source) {
        // Groovy translates \uXXXX before it parses, so the decoded text is the code it runs;
        // pipewright refuses the escapes in script (PW3024), whose effect is hard to review.
        this.replacements.set(statement, { ...statement, source: decoded });
        this.infos.push({ message: 'script { }: \\uXXXX escapes written as the characters they stand for (Groovy translates them before parsing: same code)', ...(statement.loc ? { line: statement.loc.line } : {}) });
      }
      return { step: 'script', groovy: decoded };
    }
    if (statement.type !== 'Call') {
      this.refuse(`assignment ${statement.name} = ... is not a step (only allowed inside script { })`, statement);
      return undefined;
    }
    this.envScopes.push(blockEnvironmentNames(statement));
    try {
      return this.callStep(statement.name === 'sh' ? this.rewriteShell(statement) : statement, path);
    } finally {
      this.envScopes.pop();
    }
  }

  /** Whether `name` is an environment variable set here, or why not. */
  private environmentVariable(name: string, viaEnv: boolean, source: string): string | undefined {
    if (!viaEnv && this.groovyNames.has(name)) return `${source}: Groovy code in this file assigns a variable ${name}, which Groovy would use instead of the environment variable`;
    if (this.envScopes.some((scope) => scope.has(name)) || ALWAYS_SET.has(name)) return undefined;
    return `${source} is not provably an environment variable set here (one of environment { }, an enclosing withCredentials/withEnv, or a variable Jenkins always sets; an unset env.X reads "null" in Groovy but empty in the shell)`;
  }

  /**
   * `sh "… ${env.X} …"` with only environment variables as placeholders → the same step with the
   * literal script `'… $X …'` (recorded as a rewrite); anything else unchanged, with the reason.
   */
  private rewriteShell(statement: CallStatement): CallStatement {
    const { positional, named } = statement.args;
    const entry = positional.length === 1 && named.length === 0 ? undefined : named.find((e) => e.key === 'script');
    const expression = entry ? entry.value : positional.length === 1 && named.length === 0 ? positional[0]! : undefined;
    if (expression?.type !== 'Raw' || !expression.source.startsWith('"')) return statement;
    const keep = (why: string): CallStatement => {
      this.infos.push({ message: `sh keeps its GString (Groovy interpolates it): ${why}`, ...(statement.loc ? { line: statement.loc.line } : {}) });
      return statement;
    };
    const parts = parseGString(expression.source);
    if (typeof parts === 'string') return keep(parts);
    const variables: string[] = [];
    for (const part of parts) {
      if (!('variable' in part)) continue;
      const problem = this.environmentVariable(part.variable, part.viaEnv, part.source);
      if (problem) return keep(problem);
      variables.push(part.variable);
    }
    const shell = shellScript(parts);
    if ('problem' in shell) return keep(shell.problem);
    if (shell.script === '') return statement;
    const literal: Expression = { type: 'String', value: shell.script, ...(expression.loc ? { loc: expression.loc } : {}) };
    this.replacements.set(expression, literal);
    const rewrite: ImportRewrite = { original: expression.source, script: shell.script, variables: [...new Set(variables)] };
    if (statement.loc) rewrite.line = statement.loc.line;
    this.rewrites.push(rewrite);
    const args: Arguments = entry
      ? { positional, named: named.map((e) => (e === entry ? { ...e, value: literal } : e)) }
      : { positional: [literal], named };
    return { ...statement, args };
  }

  private callStep(statement: CallStatement, path: Path): Step | undefined {
    let reason = `no typed helper for ${statement.name}`;
    if (TYPED_STEPS.has(statement.name)) {
      const typed = this.typedStep(statement);
      if (typeof typed === 'string') reason = typed;
      else {
        const { step: candidate, body } = typed;
        // Compare the heads: nested steps are checked one by one as they are raised.
        const lowered = lowerStep(candidate as Parameters<typeof lowerStep>[0], []);
        const difference = sameConstruct([head(lowered)], [head(statement)], 'steps');
        if (difference === undefined) {
          if (body !== undefined) (candidate as { steps: Step[] }).steps = this.steps(body, [...path, 'steps']);
          this.counts.typedSteps++;
          this.typedStepNames[statement.name] = (this.typedStepNames[statement.name] ?? 0) + 1;
          return candidate;
        }
        reason = `the typed ${statement.name} would differ (${difference})`;
      }
    }
    if (!IDENTIFIER.test(statement.name)) {
      this.refuse(`step ${statement.name} is not a plain step name (method calls on objects belong in script { })`, statement);
      return undefined;
    }
    const args = this.arguments(statement, path, 'step');
    if (args === null) return undefined;
    const step: Step = { step: 'step', name: statement.name };
    if (args !== undefined) step.args = args;
    const form = this.typer ? this.typer.type(statement.name, args, statement.body !== undefined) : undefined;
    if (statement.body !== undefined) step.body = this.steps(statement.body, [...path, 'body']);
    if (form !== undefined && typeof form !== 'string') {
      // The catalog's typed function builds this very value: same Jenkinsfile, typed module.
      this.catalogCalls.set(step, form);
      this.counts.typedSteps++;
      this.counts.catalogSteps++;
      this.typedStepNames[statement.name] = (this.typedStepNames[statement.name] ?? 0) + 1;
      return step;
    }
    this.counts.genericSteps++;
    this.note('step', statement.name, typeof form === 'string' && reason.startsWith('no typed helper') ? `${reason}; ${form}` : reason, path, statement);
    return step;
  }

  /** A typed candidate (nested steps not yet raised: `body` holds them), or why there is none. */
  private typedStep(call: CallStatement): { step: Step; body?: Statement[] } | string {
    const name = call.name;
    const needsBody = BLOCK_STEPS.has(name);
    if (needsBody && call.body === undefined) return `${name} without a block has no typed form`;
    if (!needsBody && call.body !== undefined) return `${name} with a block has no typed form`;
    const body = call.body;
    try {
      switch (name) {
        case 'sh': {
          const reader = new FieldReader(call.args, name, 'script');
          const script = reader.requiredString('script');
          const label = reader.string('label');
          const returnStatus = reader.boolean('returnStatus');
          reader.done();
          if (script === '') return 'sh with an empty script has no typed form';
          if (returnStatus === true) return 'sh with returnStatus: true swallows failures; the typed sh needs a returnStatusReason only a person can give';
          return { step: compact({ step: 'sh' as const, script, label, returnStatus }) };
        }
        case 'echo': {
          const reader = new FieldReader(call.args, name, 'message');
          const message = reader.requiredString('message');
          reader.done();
          return { step: { step: 'echo', message } };
        }
        case 'checkout': {
          const only = call.args.positional.length === 1 && call.args.named.length === 0 ? call.args.positional[0] : undefined;
          if (only?.type !== 'Identifier' || only.name !== 'scm') return 'only checkout scm is typed';
          return { step: { step: 'checkout', scm: true } };
        }
        case 'git': {
          const reader = new FieldReader(call.args, name, 'url');
          const step = compact({
            step: 'git' as const,
            url: reader.requiredString('url'),
            branch: reader.string('branch'),
            credentialsId: reader.string('credentialsId'),
            changelog: reader.boolean('changelog'),
            poll: reader.boolean('poll'),
          });
          reader.done();
          return { step };
        }
        case 'junit': {
          const reader = new FieldReader(call.args, name, 'testResults');
          const step = compact({
            step: 'junit' as const,
            testResults: reader.requiredString('testResults'),
            allowEmptyResults: reader.boolean('allowEmptyResults'),
            keepLongStdio: reader.boolean('keepLongStdio'),
            skipPublishingChecks: reader.boolean('skipPublishingChecks'),
          });
          reader.done();
          return { step };
        }
        case 'archiveArtifacts': {
          const reader = new FieldReader(call.args, name, 'artifacts');
          const step = compact({
            step: 'archiveArtifacts' as const,
            artifacts: reader.requiredString('artifacts'),
            excludes: reader.string('excludes'),
            allowEmptyArchive: reader.boolean('allowEmptyArchive'),
            fingerprint: reader.boolean('fingerprint'),
            onlyIfSuccessful: reader.boolean('onlyIfSuccessful'),
          });
          reader.done();
          return { step };
        }
        case 'stash': {
          const reader = new FieldReader(call.args, name, 'name');
          const step = compact({
            step: 'stash' as const,
            name: reader.requiredString('name'),
            includes: reader.string('includes'),
            excludes: reader.string('excludes'),
            allowEmpty: reader.boolean('allowEmpty'),
            useDefaultExcludes: reader.boolean('useDefaultExcludes'),
          });
          reader.done();
          return { step };
        }
        case 'unstash': {
          const reader = new FieldReader(call.args, name, 'name');
          const step = { step: 'unstash' as const, name: reader.requiredString('name') };
          reader.done();
          return { step };
        }
        case 'dir': {
          const reader = new FieldReader(call.args, name, 'path');
          const path = reader.requiredString('path');
          reader.done();
          return { step: { step: 'dir', path, steps: [] }, body: body! };
        }
        case 'retry': {
          const reader = new FieldReader(call.args, name, 'count');
          const count = reader.requiredInteger('count', 1);
          reader.done();
          return { step: { step: 'retry', count, steps: [] }, body: body! };
        }
        case 'timeout': {
          const reader = new FieldReader(call.args, name, 'time');
          const step = compact({
            step: 'timeout' as const,
            time: reader.requiredInteger('time', 1),
            unit: reader.oneOf('unit', TIME_UNITS),
            activity: reader.boolean('activity'),
            steps: [] as Step[],
          });
          reader.done();
          return { step, body: body! };
        }
        case 'lock': {
          const reader = new FieldReader(call.args, name, 'resource');
          const step = { step: 'lock' as const, ...lockFields(reader), steps: [] as Step[] };
          reader.done();
          return { step, body: body! };
        }
        case 'withCredentials': {
          const list = call.args.positional.length === 1 && call.args.named.length === 0 ? call.args.positional[0] : undefined;
          if (list?.type !== 'List' || list.items.length === 0) return 'withCredentials without a literal list of bindings has no typed form';
          const bindings = list.items.map(binding);
          return { step: { step: 'withCredentials', bindings, steps: [] }, body: body! };
        }
        default:
          return `no typed helper for ${name}`;
      }
    } catch (error) {
      if (error instanceof Misfit) return error.message;
      throw error;
    }
  }
}

// ------------------------------------------------------------------------------- small pieces

const TYPED_STEPS = new Set(['sh', 'echo', 'checkout', 'git', 'junit', 'archiveArtifacts', 'stash', 'unstash', 'dir', 'withCredentials', 'timeout', 'retry', 'lock']);
const BLOCK_STEPS = new Set(['dir', 'withCredentials', 'timeout', 'retry', 'lock']);

/** Job properties and declarative options: their position among the options does not matter. */
function isJobProperty(name: string): boolean {
  return ['buildDiscarder', 'disableConcurrentBuilds', 'disableResume', 'disableRestartFromStage', 'durabilityHint', 'overrideIndexTriggers', 'preserveStashes', 'quietPeriod', 'parallelsAlwaysFailFast', 'skipStagesAfterUnstable', 'newContainerPerStage', 'skipDefaultCheckout', 'checkoutToSubdirectory'].includes(name);
}

function lockFields(reader: FieldReader): { resource?: string; label?: string; quantity?: number; inversePrecedence?: boolean } {
  const fields = compact({
    resource: reader.string('resource'),
    label: reader.string('label'),
    quantity: reader.integer('quantity', 1),
    inversePrecedence: reader.boolean('inversePrecedence'),
  });
  const hasResource = fields.resource !== undefined && fields.resource !== '';
  const hasLabel = fields.label !== undefined && fields.label !== '';
  if (hasResource === hasLabel) throw new Misfit('lock needs exactly one of resource and label for the typed form');
  return fields;
}

function dockerCommon(reader: FieldReader) {
  return {
    label: reader.string('label'),
    args: reader.string('args'),
    customWorkspace: reader.string('customWorkspace'),
    reuseNode: reader.boolean('reuseNode'),
    registryUrl: reader.string('registryUrl'),
    registryCredentialsId: reader.string('registryCredentialsId'),
  };
}

/** The `key value` entries of an agent's closure map as named arguments (for a FieldReader). */
function closureMapArgs(body: Statement[]): Arguments {
  const args: Arguments = { positional: [], named: [] };
  for (const statement of body) {
    if (statement.type !== 'Call' || statement.body !== undefined || statement.args.named.length > 0 || statement.args.positional.length !== 1) {
      throw new Misfit('the agent block has entries other than "key value"');
    }
    if (args.named.some((entry) => entry.key === statement.name)) throw new Misfit(`the agent block repeats ${statement.name}`);
    args.named.push({ key: statement.name, value: statement.args.positional[0]! });
  }
  return args;
}

/** A `withCredentials` binding call as a typed binding. */
function binding(expression: Expression): CredentialBinding {
  if (expression.type !== 'CallExpression') throw new Misfit(`a withCredentials binding is ${describeExpression(expression)}`);
  const reader = new FieldReader(expression.args, expression.name);
  let result: CredentialBinding;
  switch (expression.name) {
    case 'usernamePassword':
      result = {
        type: 'usernamePassword',
        credentialsId: reader.requiredString('credentialsId'),
        usernameVariable: reader.requiredString('usernameVariable'),
        passwordVariable: reader.requiredString('passwordVariable'),
      };
      break;
    case 'string':
    case 'file':
      result = { type: expression.name, credentialsId: reader.requiredString('credentialsId'), variable: reader.requiredString('variable') };
      break;
    case 'sshUserPrivateKey':
      result = compact({
        type: 'sshUserPrivateKey' as const,
        credentialsId: reader.requiredString('credentialsId'),
        keyFileVariable: reader.requiredString('keyFileVariable'),
        usernameVariable: reader.string('usernameVariable'),
        passphraseVariable: reader.string('passphraseVariable'),
      });
      break;
    default:
      throw new Misfit(`binding ${expression.name}(...) is not typed`);
  }
  reader.done();
  for (const [key, value] of Object.entries(result)) {
    if (/Variable$/.test(key) && !IDENTIFIER.test(value as string)) throw new Misfit(`${key} '${value as string}' of ${expression.name} is not an identifier, which the typed binding needs`);
  }
  return result;
}

/** A typed parameter (`string`, `text`, `booleanParam`, `choice`, `password`), or why not. */
function typedParameter(statement: CallStatement): Parameter | string {
  try {
    const reader = new FieldReader(statement.args, `parameter ${statement.name}`);
    let parameter: Parameter;
    switch (statement.name) {
      case 'string':
        parameter = compact({
          type: 'string' as const,
          name: reader.requiredString('name'),
          defaultValue: reader.string('defaultValue'),
          description: reader.string('description'),
          trim: reader.boolean('trim'),
        });
        break;
      case 'text':
      case 'password':
        parameter = compact({
          type: statement.name,
          name: reader.requiredString('name'),
          defaultValue: reader.string('defaultValue'),
          description: reader.string('description'),
        });
        break;
      case 'booleanParam':
        parameter = compact({
          type: 'booleanParam' as const,
          name: reader.requiredString('name'),
          defaultValue: reader.boolean('defaultValue'),
          description: reader.string('description'),
        });
        break;
      case 'choice': {
        const name = reader.requiredString('name');
        const choices = reader.stringList('choices');
        if (choices === undefined) return 'choice parameter without choices';
        parameter = compact({ type: 'choice' as const, name, choices, description: reader.string('description') });
        break;
      }
      default:
        return `parameter type ${statement.name} is not modelled`;
    }
    reader.done();
    return parameter;
  } catch (error) {
    if (error instanceof Misfit) return error.message;
    throw error;
  }
}

/** A typed trigger (`cron`, `pollSCM`, `upstream`) as a partial Triggers object, or why not. */
function typedTrigger(statement: CallStatement): Triggers | string {
  try {
    switch (statement.name) {
      case 'cron':
      case 'pollSCM': {
        const reader = new FieldReader(statement.args, statement.name, 'spec');
        const spec = reader.requiredString('spec');
        reader.done();
        return { [statement.name]: spec };
      }
      case 'upstream': {
        const threshold = statement.args.named.find((entry) => entry.key === 'threshold')?.value;
        const match = threshold?.type === 'Identifier' ? /^hudson\.model\.Result\.(SUCCESS|UNSTABLE|FAILURE)$/.exec(threshold.name) : null;
        if (!match) return 'upstream without threshold: hudson.model.Result.SUCCESS/UNSTABLE/FAILURE has no typed form';
        const projects = statement.args.named.find((entry) => entry.key === 'upstreamProjects')?.value;
        if (projects?.type !== 'String' || statement.args.named.length !== 2 || statement.args.positional.length > 0) {
          return 'upstream needs exactly upstreamProjects: (a literal string) and threshold: for the typed form';
        }
        return { upstream: { upstreamProjects: projects.value, threshold: match[1] as 'SUCCESS' | 'UNSTABLE' | 'FAILURE' } };
      }
      default:
        return `trigger ${statement.name} is not modelled`;
    }
  } catch (error) {
    if (error instanceof Misfit) return error.message;
    throw error;
  }
}

/**
 * Variables Jenkins sets for every build step on an agent, so `${X}` and the shell's `$X` agree.
 * Not here: those set only sometimes (BRANCH_NAME, CHANGE_*, TAG_NAME, GIT_*), which read "null"
 * through env.X when unset but empty in the shell.
 */
const ALWAYS_SET = new Set([
  'BUILD_NUMBER', 'BUILD_ID', 'BUILD_DISPLAY_NAME', 'BUILD_TAG', 'BUILD_URL', 'JOB_NAME', 'JOB_BASE_NAME', 'JOB_URL',
  'JENKINS_URL', 'JENKINS_HOME', 'WORKSPACE', 'NODE_NAME', 'NODE_LABELS', 'EXECUTOR_NUMBER', 'STAGE_NAME',
]);

/** The names an `environment { }` section among `body` defines. */
function environmentNames(body: readonly Statement[]): Set<string> {
  const names = new Set<string>();
  for (const statement of body) {
    if (statement.type !== 'Call' || statement.name !== 'environment') continue;
    for (const entry of statement.body ?? []) if (entry.type === 'Assignment') names.add(entry.name);
  }
  return names;
}

/** Variables a block step sets for its body: withCredentials bindings, withEnv entries. */
function blockEnvironmentNames(call: CallStatement): Set<string> {
  const names = new Set<string>();
  const list = call.body !== undefined && call.args.positional.length === 1 ? call.args.positional[0] : undefined;
  if (list?.type !== 'List') return names;
  for (const item of list.items) {
    if (call.name === 'withEnv' && item.type === 'String') {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(item.value);
      if (match) names.add(match[1]!);
    }
    if (call.name === 'withCredentials' && item.type === 'CallExpression') {
      for (const entry of item.args.named) {
        if (/Variable$/.test(entry.key) && entry.value.type === 'String' && IDENTIFIER.test(entry.value.value)) names.add(entry.value.value);
      }
    }
  }
  return names;
}

/** The Groovy sources of script { } blocks and when expressions below `statements`. */
function groovySources(statements: readonly Statement[]): string[] {
  const out: string[] = [];
  for (const statement of statements) {
    if (statement.type === 'GroovyBlock') out.push(statement.source);
    else if (statement.type === 'Call' && statement.body) out.push(...groovySources(statement.body));
  }
  return out;
}

/** Names assigned (`X = …`, not `a.X = …`) or declared (`def X`) in Groovy sources. */
function assignedNames(sources: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const source of sources) {
    for (const match of source.matchAll(/(?<![.\w$])([A-Za-z_][A-Za-z0-9_]*)\s*(?:[-+*/]?=)(?!=)/g)) names.add(match[1]!);
    for (const match of source.matchAll(/\b(?:def|String|int|boolean|var)\s+([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]!);
  }
  return names;
}

/** Java/Groovy unicode escapes (`\\u2705`, a backslash not itself escaped) replaced by their characters. */
export function decodeUnicodeEscapes(source: string): string {
  return source.replace(/(\\+)u+([0-9a-fA-F]{4})/g, (whole, slashes: string, hex: string) =>
    slashes.length % 2 === 1 ? `${slashes.slice(1)}${String.fromCharCode(parseInt(hex, 16))}` : whole,
  );
}

/** A copy of `value` with the nodes in `replacements` replaced (the rest shared structure copied). */
function replaceNodes(value: unknown, replacements: Map<object, object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const replaced = replacements.get(value);
  if (replaced) return replaced;
  if (Array.isArray(value)) return value.map((item) => replaceNodes(item, replacements));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceNodes(item, replacements)]));
}

/** The object with its keys in `order` first (then any others), undefined values dropped. */
function orderKeys<T extends Record<string, unknown>>(value: T, order: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const key of order) if (value[key] !== undefined) out[key] = value[key];
  for (const [key, v] of Object.entries(value)) if (!(key in out) && v !== undefined) out[key] = v;
  return out as T;
}

/** The `#!` line Groovy allows at the very start of a file, with its line break. */
const SHEBANG_LINE = /^#![^\r\n]*(?:\r\n|\r|\n)?/;

/** A short description of outside code for a refusal: its first statements. */
function summarizeCode(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//') && !line.startsWith('/*') && !line.startsWith('*') && !line.startsWith('#!'));
  const shown = lines.slice(0, 2).map((line) => (line.length > 60 ? `${line.slice(0, 59)}…` : line));
  return `${shown.join('; ')}${lines.length > 2 ? '; …' : ''}`;
}

