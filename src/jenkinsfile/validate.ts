/**
 * Offline validation of a declarative Jenkinsfile AST against the structural rules Jenkins'
 * pipeline-model-definition plugin applies (reference `jenkins-declarative.md` §1–2, every rule
 * not marked J), with Jenkins' message text and the position of the offending node (as Jenkins
 * places it: many stage-level errors point at the `stage`, duplicate names at the enclosing
 * block). Rules that depend on the installed plugins (names of steps, options, triggers, tools,
 * agent types, when conditions) are open sets unless an allow-list is given.
 *
 * Rules whose messages quote source text are applied by the parser (parse.ts); a full check is
 * `parseJenkinsfile` diagnostics + `validateJenkinsfile(ast)`.
 */
import type { CallStatement, Expression, JenkinsfileAst, MapEntry, NodeMeta, SourcePosition, Statement } from './ast.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { SourceText, lexGroovy } from './groovy-lexer.ts';
import { parseGroovyExpression, type GExpr } from './groovy-parser.ts';
import { JENKINSFILE_RULES, POST_CONDITIONS, isReportedStatement, type JenkinsfileRuleCode } from './rules.ts';
import type { Catalog, DescribableKind, ParameterType } from '../catalog/schema.ts';
import {
  CATALOG_MESSAGES,
  ZERO_ARG_AGENT_TYPES,
  catalogLookup,
  nearestName,
  parameterTable,
  parameterTypeError,
  type CatalogLookup,
  type CatalogModel,
  type LiteralValue,
} from './catalog-lookup.ts';

export { JENKINSFILE_RULES, isReportedStatement, type JenkinsfileRule, type JenkinsfileRuleCode } from './rules.ts';

/** Names known to the target Jenkins (e.g. exported from its plugin inventory). */
export interface JenkinsfileAllowLists {
  steps?: string[];
  options?: string[];
  triggers?: string[];
  tools?: string[];
  agentTypes?: string[];
  whenConditions?: string[];
}

export interface ValidateJenkinsfileOptions {
  /** Turns names outside these lists into errors; without a list the names are not checked. */
  allow?: JenkinsfileAllowLists;
  /**
   * The controller's catalog: agent types, `when` conditions, options, triggers, tools and build
   * parameter types outside it are errors, and the arguments of every step, option, trigger,
   * parameter, condition and agent it describes are checked as Jenkins does (PW5137–PW5141).
   * A step the catalog does not know is not an error (it may be a library step), as in Jenkins.
   * An allow-list given for a category takes precedence over the catalog for names.
   */
  catalog?: Catalog;
  /**
   * With a catalog: also check method calls inside step arguments (`withCredentials([string(...)])`)
   * against the describables the parameter accepts. Jenkins does not; pipewright's model checks do.
   */
  nestedStepArguments?: boolean;
  /**
   * Skip the checks no catalog takes part in where they cost (environment values, argument
   * values re-parsed as Groovy, duplicate names, a stage's content rules): for ASTs lowered from
   * a validated model, whose structure pipewright already checked. Diagnostics of other rules
   * may still appear; the catalog rules' diagnostics are the same as without it.
   */
  catalogOnly?: boolean;
  /** File name for diagnostic locations (default `Jenkinsfile`). */
  file?: string;
}

const LEGACY_SECTIONS: Record<string, string> = {
  properties: 'The ‘properties’ section has been renamed as of version 0.8. Use ‘options’ instead.',
  jobProperties: 'The ‘jobProperties’ section has been renamed as of version 0.7. Use ‘properties’ instead.',
  notifications: 'The ‘notifications’ section has been removed as of version 0.6. Use ‘post’ for all post-build actions.',
  postBuild: 'The ‘postBuild’ section has been renamed as of version 0.6. Use ‘post’ for all post-build actions.',
  wrappers: "The 'wrappers' section has been removed as of version 0.8. Use 'options' instead.",
};

const BLOCKED_METHOD_CALLS: Record<string, string> = {
  stage: JENKINSFILE_RULES.PW5122.messages[0]!,
  properties: JENKINSFILE_RULES.PW5122.messages[1]!,
  parallel: JENKINSFILE_RULES.PW5122.messages[2]!,
  node: JENKINSFILE_RULES.PW5122.messages[3]!,
};

const ENV_IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;
const WHEN_FLAGS = new Set(['beforeAgent', 'beforeInput', 'beforeOptions']);
const ZERO_ARG_AGENTS = new Set(['any', 'none']);

// Kinds looked up, as constants: the catalog lookup keeps the models it finds per list of kinds.
const OPTION_KINDS: readonly DescribableKind[] = ['jobProperty', 'option', 'wrapper'];
const TRIGGER_KINDS: readonly DescribableKind[] = ['trigger'];
const PARAMETER_KINDS: readonly DescribableKind[] = ['parameter'];
const WHEN_KINDS: readonly DescribableKind[] = ['when'];
const AGENT_KINDS: readonly DescribableKind[] = ['agent'];
/** A nested call whose parameter names no describable kind: any kind a method call may be. */
const ANY_NESTED_KINDS: readonly DescribableKind[] = ['other', 'jobProperty', 'option', 'parameter', 'trigger', 'credentialBinding', 'scm', 'buildStep'];
const nestedKinds = new Map<DescribableKind, readonly DescribableKind[]>();

/** The kinds a nested call of a parameter of describable kind `kind` is looked up in. */
function nestedKindsOf(kind: DescribableKind): readonly DescribableKind[] {
  let kinds = nestedKinds.get(kind);
  if (!kinds) nestedKinds.set(kind, (kinds = [kind, 'other']));
  return kinds;
}

/**
 * Checks a Jenkinsfile AST offline. Returns the problems sorted by position (codes PW5004 and
 * PW5012–PW5136, see JENKINSFILE_RULES); an empty list means Jenkins would accept the structure.
 */
export function validateJenkinsfile(ast: JenkinsfileAst, options: ValidateJenkinsfileOptions = {}): Diagnostic[] {
  const validator = new Validator(options);
  validator.pipeline(ast.pipeline);
  return validator.sorted();
}

/**
 * Checks step calls (and the steps in their bodies) against a catalog, outside a pipeline: for
 * calls pipewright reads from raw Groovy. Returns PW5137–PW5140 diagnostics.
 */
export function checkStepCalls(statements: readonly Statement[], catalog: Catalog, options: Omit<ValidateJenkinsfileOptions, 'catalog'> = {}): Diagnostic[] {
  const validator = new Validator({ ...options, catalog });
  validator.stepCalls(statements);
  return validator.sorted();
}

/** A stage's parsed content, for the stage-level rules. */
interface StageFacts {
  branches: { name: string; loc: SourcePosition | undefined }[];
  parallel?: CallStatement;
  matrix?: CallStatement;
  stages?: CallStatement;
  agent?: Statement;
  tools?: Statement;
}

class Validator {
  private readonly diagnostics: { d: Diagnostic; order: number }[] = [];
  private readonly file: string;
  private readonly allow: JenkinsfileAllowLists;
  private readonly lookup: CatalogLookup | undefined;
  /**
   * A name the catalog lacks is an error when the catalog is complete (a controller's export);
   * with a partial one (the bundled catalog, a GDSL) the controller may have a plugin it does not
   * list, so it is a warning, in Jenkins' words.
   */
  private readonly unknownNameSeverity: 'error' | 'warning';
  /** The statement whose arguments are being checked (its `origin` locates argument problems). */
  private owner: NodeMeta | undefined;
  /** Also check describables nested in step arguments (credential bindings and the like). */
  private readonly nestedStepArguments: boolean;
  private readonly catalogOnly: boolean;

  constructor(options: ValidateJenkinsfileOptions) {
    this.file = options.file ?? 'Jenkinsfile';
    this.allow = options.allow ?? {};
    this.lookup = options.catalog ? catalogLookup(options.catalog) : undefined;
    this.unknownNameSeverity = options.catalog?.complete === false ? 'warning' : 'error';
    this.nestedStepArguments = options.nestedStepArguments ?? false;
    this.catalogOnly = options.catalogOnly ?? false;
  }

  sorted(): Diagnostic[] {
    const line = (d: Diagnostic) => d.location?.line ?? 0;
    const column = (d: Diagnostic) => d.location?.column ?? 0;
    return this.diagnostics
      .sort((a, b) => line(a.d) - line(b.d) || column(a.d) - column(b.d) || a.order - b.order)
      .map((entry) => entry.d);
  }

  private error(code: JenkinsfileRuleCode, message: string, at: NodeMeta | SourcePosition | undefined, severity: 'error' | 'warning' = 'error', key?: string): void {
    const loc = at === undefined ? undefined : 'line' in at ? at : at.loc;
    const d: Diagnostic = { code, severity, message };
    if (loc) d.location = { file: this.file, line: loc.line, column: loc.column };
    // A lowered AST: the model path of the node (or of the statement being checked), and the
    // argument's key when the problem is one argument.
    const origin = (at !== undefined && !('line' in at) ? at.origin : undefined) ?? this.owner?.origin;
    if (origin) d.path = key !== undefined ? [...origin, key] : [...origin];
    this.diagnostics.push({ d, order: this.diagnostics.length });
  }

  // ---------------------------------------------------------------- helpers

  /** Name of a statement as a method call (`script { }` counts as a call named script). */
  private nameOf(statement: Statement): string | undefined {
    if (statement.type === 'Call') return statement.name;
    if (statement.type === 'GroovyBlock') return statement.keyword;
    return undefined;
  }

  private hasBlock(statement: Statement): boolean {
    return statement.type === 'GroovyBlock' || (statement.type === 'Call' && statement.body !== undefined);
  }

  /**
   * The statements of a section's block without comments and without placeholders of statements
   * the parser already reported, or undefined after reporting `Expected a block for <what>`.
   */
  private block(statement: Statement, what: string, at: NodeMeta = statement): readonly Statement[] | undefined {
    if (statement.type === 'Call' && statement.body !== undefined) return withoutCommentsAndReported(statement.body);
    this.error('PW5104', `Expected a block for ${what}`, at);
    return undefined;
  }

  /** Every statement of a block as Jenkins counts it (reported ones included), without comments. */
  private counted(statement: Statement): readonly Statement[] | undefined {
    if (statement.type === 'Call' && statement.body !== undefined) return withoutComments(statement.body);
    return undefined;
  }

  /** Number of arguments Groovy passes: positional ones, one map for all named ones, the closure. */
  private argumentCount(statement: Statement): number {
    if (statement.type === 'GroovyBlock') return 1;
    if (statement.type !== 'Call') return 0;
    return statement.args.positional.length + (statement.args.named.length > 0 ? 1 : 0) + (statement.body ? 1 : 0);
  }

  /** Reports `foo.bar()` (object method call) or `a.b.c()`; true if the name is dotted. */
  private objectCall(statement: Statement): boolean {
    const name = this.nameOf(statement);
    if (name === undefined || !name.includes('.')) return false;
    const dots = name.split('.').length - 1;
    this.error('PW5021', dots === 1 ? 'Method calls on objects not allowed outside "script" blocks.' : 'Expected a symbol', statement);
    return true;
  }

  private allowed(list: string[] | undefined, name: string): boolean {
    return list === undefined || list.includes(name);
  }

  private listText(list: string[]): string {
    return `[${[...list].sort().join(', ')}]`;
  }

  /** The names that occur more than once, in the order of their second occurrence. */
  private duplicates(names: readonly string[]): string[] {
    if (names.length < 2) return [];
    if (names.length <= 16) {
      // Short lists (sibling stages, options): compare in place instead of building sets.
      const repeated: string[] = [];
      for (let i = 1; i < names.length; i++) {
        const name = names[i]!;
        if (repeated.includes(name)) continue;
        for (let j = 0; j < i; j++) {
          if (names[j] === name) {
            repeated.push(name);
            break;
          }
        }
      }
      return repeated;
    }
    const seen = new Set<string>();
    const repeated = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) repeated.add(name);
      seen.add(name);
    }
    return [...repeated];
  }

  /** A stage or axis name: string literal or bare name, else `Expected string literal`. */
  private stringLiteral(expr: Expression | undefined, at: NodeMeta): string | undefined {
    if (expr?.type === 'String') return expr.value;
    if (expr?.type === 'Identifier' && !expr.name.includes('.')) return expr.name;
    this.error('PW5105', 'Expected string literal', expr ?? at);
    return undefined;
  }

  // ---------------------------------------------------------------- values

  /**
   * Checks a value the way Jenkins' parseArgument does; `methodCall` for arguments of options,
   * triggers and parameters, which Jenkins reads as nested method calls (parseMethodCall).
   */
  private value(expr: Expression, methodCall: boolean, owner?: NodeMeta): void {
    if (this.catalogOnly) return;
    switch (expr.type) {
      case 'Number':
        this.integerConstant(expr);
        return;
      case 'Raw':
        if (methodCall && (/^\{/.test(expr.source) || callWithClosure(expr))) {
          this.error('PW5120', 'Method call arguments', owner ?? expr);
          return;
        }
        if (expr.source.startsWith('${')) {
          this.error('PW5118', `${expr.source} cannot be used as a value directly. Did you mean "${expr.source}"? (add quotes)`, expr);
        }
        return;
      case 'CallExpression':
        if (methodCall) this.methodCall(expr.name, expr.args.positional, expr.args.named, expr);
        return;
      default:
        return;
    }
  }

  /**
   * An option, trigger or parameter and the calls in its arguments (Jenkins' parseMethodCall,
   * recursively): `node`, `stage`, `properties` and `parallel` are blocked as method calls.
   */
  private methodCall(name: string, positional: Expression[], named: MapEntry[], at: NodeMeta): void {
    const blocked = BLOCKED_METHOD_CALLS[name];
    if (blocked !== undefined) this.error('PW5122', blocked, at);
    if (this.catalogOnly) return; // value() checks nothing then
    for (const arg of positional) this.value(arg, true, at);
    for (const entry of named) this.value(entry.value, true, entry);
  }

  /** `BigIntegers cannot be used as constants`: an integer literal outside the long range. */
  private integerConstant(expr: { text: string } & NodeMeta): void {
    const value = integerValue(expr.text);
    if (value !== undefined && (value > LONG_MAX || value < LONG_MIN)) {
      this.error('PW5119', JENKINSFILE_RULES.PW5119.messages[0]!, expr);
    }
  }

  // ---------------------------------------------------------------- catalog

  /**
   * ModelValidatorImpl.validateDescribable: a step or `when` condition against its model.
   * `stepForm` applies ModelParser.populateStepArgumentList (a lone argument of a step without a
   * body is the sole required parameter, named).
   */
  private describableArguments(element: NodeMeta, name: string, positional: Expression[], named: MapEntry[], model: CatalogModel, takesClosure: boolean): void {
    const { byName, required, sole } = parameterTable(model.parameters);
    if (positional.length > 0 && named.length > 0) return; // Groovy passes a map and values: not a step call Jenkins models
    if (positional.length > 1) {
      this.error('PW5140', CATALOG_MESSAGES.tooManyUnnamed(name), element);
      return;
    }
    if (positional.length === 1) {
      const value = positional[0]!;
      if (sole === undefined && !takesClosure) {
        this.error('PW5140', CATALOG_MESSAGES.notSingleRequired(), element);
        return;
      }
      if (sole && this.parameterType(sole.type, value, undefined, sole.name) && this.nestedStepArguments) this.nestedArguments(value, sole.type);
      return;
    }
    let valid = true;
    for (let i = 0; i < named.length; i++) {
      const entry = named[i]!;
      const parameter = byName.get(entry.key);
      if (!parameter) {
        // A sole required describable parameter takes the whole map (e.g. a `$class`-less metastep call).
        if (sole?.type.kind === 'describable') return;
        this.error('PW5137', CATALOG_MESSAGES.invalidParameter(entry.key, nearestName(entry.key, parameterNames(model))), entry, 'error', entry.key);
        valid = false;
        continue;
      }
      const unnamed = named.length === 1 && sole === parameter && !takesClosure;
      if (!this.parameterType(parameter.type, entry.value, unnamed ? undefined : entry.key, entry.key)) valid = false;
      else if (this.nestedStepArguments) this.nestedArguments(entry.value, parameter.type);
    }
    if (!valid) return;
    for (let i = 0; i < required.length; i++) {
      const parameter = required[i]!;
      if (!hasKey(named, parameter.name)) this.error('PW5138', CATALOG_MESSAGES.missingParameter(parameter.name), element);
    }
  }

  /**
   * ModelValidatorImpl.validateElement(ModelASTMethodCall): an option, trigger or build parameter
   * and the method calls in its arguments, against the models their parameters name.
   */
  private methodCallArguments(name: string, positional: Expression[], named: MapEntry[], at: NodeMeta, kinds: readonly DescribableKind[]): void {
    const model = this.lookup?.methodModel(name, kinds);
    if (!model) return;
    if (named.length > 0) {
      if (positional.length > 0) return; // reported as `Cannot mix named and unnamed arguments`
      const { byName } = parameterTable(model.parameters);
      for (let i = 0; i < named.length; i++) {
        const entry = named[i]!;
        // JENKINS-63499: a password parameter's defaultValue is a plain String (its model has defaultValueAsSecret).
        if (name === 'password' && kinds.includes('parameter') && entry.key === 'defaultValue') {
          this.parameterType({ kind: 'string' }, entry.value, entry.key, entry.key);
          continue;
        }
        const parameter = byName.get(entry.key);
        if (!parameter) {
          this.error('PW5137', CATALOG_MESSAGES.invalidParameter(entry.key, nearestName(entry.key, parameterNames(model))), entry, 'error', entry.key);
          continue;
        }
        if (entry.value.type === 'CallExpression') this.nestedMethodCall(entry.value, parameter.type);
        else this.parameterType(parameter.type, entry.value, entry.key, entry.key);
      }
      return;
    }
    if (positional.length > 1) {
      this.error('PW5140', CATALOG_MESSAGES.tooManyUnnamed(name), at);
      return;
    }
    const { required } = parameterTable(model.parameters);
    if (required.length !== positional.length) {
      // Jenkins lets `foo()` stand for a sole required Boolean parameter (JENKINS-41391).
      if (!(required.length === 1 && positional.length === 0 && required[0]!.type.kind === 'boolean')) {
        this.error('PW5140', CATALOG_MESSAGES.wrongNumber(name, required.length, positional.length), at);
      }
      return;
    }
    required.forEach((parameter, i) => {
      const value = positional[i]!;
      if (value.type === 'CallExpression') this.nestedMethodCall(value, parameter.type);
      else this.parameterType(parameter.type, value, undefined);
    });
  }

  /** A method call given as an argument, looked up among the describables its parameter accepts. */
  private nestedMethodCall(call: Extract<Expression, { type: 'CallExpression' }>, type: ParameterType): void {
    const kinds = type.kind === 'describable' && type.describableKind ? nestedKindsOf(type.describableKind) : ANY_NESTED_KINDS;
    if (type.kind === 'describable' && type.symbols && !type.symbols.includes(call.name)) return;
    this.methodCallArguments(call.name, call.args.positional, call.args.named, call, kinds);
  }

  /** validateParameterType: true when the value passes (non-literals always do). `pathKey` names the argument. */
  private parameterType(type: ParameterType, value: Expression, key: string | undefined, pathKey?: string): boolean {
    // Only String and number parameters are checked, and a String literal always fits a String.
    if (type.kind !== 'string' && type.kind !== 'number') return true;
    if (type.kind === 'string' && value.type === 'String') return true;
    const literal = literalValue(value);
    if (!literal) return true;
    const message = parameterTypeError(type, literal, key);
    if (message === undefined) return true;
    this.error('PW5139', message, value, 'error', pathKey);
    return false;
  }

  /** Method calls in a step argument (or a list of them) checked as the describables the parameter takes. */
  private nestedArguments(value: Expression, type: ParameterType): void {
    if (value.type === 'CallExpression') this.nestedMethodCall(value, type);
    else if (value.type === 'List') {
      const items = value.items;
      for (let i = 0; i < items.length; i++) this.nestedArguments(items[i]!, type.kind === 'list' ? type.of : type);
    }
  }

  /** An option, trigger or build parameter: its type, then its arguments. */
  private catalogEntry(entry: CallStatement, kind: 'option' | 'trigger' | 'parameter', inStage: boolean): void {
    const lookup = this.lookup!;
    const names = kind === 'option' ? (inStage ? lookup.stageOptions : lookup.pipelineOptions) : kind === 'trigger' ? lookup.triggers : lookup.parameterTypes;
    if (!names.includes(entry.name)) {
      this.error('PW5134', CATALOG_MESSAGES.invalidSectionType(kind, entry.name, [...names].sort()), entry, this.unknownNameSeverity);
      return;
    }
    const kinds = kind === 'option' ? OPTION_KINDS : kind === 'trigger' ? TRIGGER_KINDS : PARAMETER_KINDS;
    this.owner = entry;
    this.methodCallArguments(entry.name, entry.args.positional, entry.args.named, entry, kinds);
    this.owner = undefined;
  }

  /** A step against the catalog (ModelValidatorImpl.validateElement(ModelASTStep)). */
  private catalogStep(step: CallStatement): void {
    if (!this.lookup || step.name === 'parallel') return;
    const model = this.lookup.stepModel(step.name);
    if (!model) return;
    const positional = hasClosureArgument(step.args.positional) ? step.args.positional.filter((a) => !isClosure(a)) : step.args.positional;
    this.owner = step;
    this.describableArguments(step, step.name, positional, step.args.named, model, model.takesBlock || step.body !== undefined);
    this.owner = undefined;
  }

  /** Checks one step call (and the steps in its body) against the catalog; see `checkStepCalls`. */
  stepCalls(statements: readonly Statement[]): void {
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i]!;
      if (statement.type !== 'Call') continue;
      this.catalogStep(statement);
      if (statement.body) this.stepCalls(statement.body);
    }
  }

  // ---------------------------------------------------------------- pipeline

  pipeline(pipeline: CallStatement): void {
    if (pipeline.body === undefined) {
      this.error('PW5004', 'Expected a block with the "pipeline" step', pipeline);
      return;
    }
    const seen = new Set<string>();
    let hasStages = false;
    let hasAgent = false;
    for (let i = 0; i < pipeline.body.length; i++) {
      const section = pipeline.body[i]!;
      if (section.type === 'Comment' || isReportedStatement(section)) continue;
      const name = this.nameOf(section);
      if (name === undefined) {
        this.error('PW5010', `Not a valid section definition: "${renderStatement(section)}". Some extra configuration is required.`, section);
        continue;
      }
      if (this.objectCall(section)) continue;
      if (seen.has(name)) this.error('PW5100', `Multiple occurrences of the ${name} section`, section);
      seen.add(name);
      switch (name) {
        case 'stages':
          hasStages = true;
          this.stages(section, false, 'stages');
          break;
        case 'environment':
          this.environment(section);
          break;
        case 'post':
          this.post(section);
          break;
        case 'agent':
          hasAgent = true;
          this.agent(section);
          break;
        case 'tools':
          this.tools(section);
          break;
        case 'options':
          this.options(section, false);
          break;
        case 'parameters':
          this.parameters(section, true);
          break;
        case 'triggers':
          this.triggers(section);
          break;
        case 'libraries':
          this.libraries(section);
          break;
        default:
          if (LEGACY_SECTIONS[name]) this.error('PW5102', LEGACY_SECTIONS[name]!, section);
          else this.error('PW5101', `Undefined section "${name}"`, section);
      }
    }
    if (!hasStages) this.error('PW5103', 'Missing required section "stages"', pipeline);
    if (!hasAgent) this.error('PW5103', 'Missing required section "agent"', pipeline);
  }

  // ---------------------------------------------------------------- stages

  /** `stages { }` or stage-level `parallel { }`: a list of stages. */
  private stages(section: Statement, withinParallel: boolean, what: 'stages' | 'parallel', blockErrorAt: NodeMeta = section): void {
    const body = this.block(section, what, blockErrorAt);
    if (!body) return;
    const names: string[] = [];
    let count = 0;
    for (let i = 0; i < body.length; i++) {
      const name = this.stage(body[i]!, withinParallel);
      if (name === null) continue;
      count++;
      if (name !== undefined) names.push(name);
    }
    if (count === 0) this.error('PW5107', 'No stages specified', section);
    if (!this.catalogOnly) for (const name of this.duplicates(names)) this.error('PW5108', `Duplicate stage name: "${name}"`, section);
  }

  /** Validates one stage; returns its name, undefined for a bad name, null if not a stage. */
  private stage(statement: Statement, withinParallel: boolean): string | undefined | null {
    if (statement.type !== 'Call' || statement.name !== 'stage' || statement.body === undefined) {
      this.error('PW5012', 'Expected a stage', statement);
      return null;
    }
    const { positional, named } = statement.args;
    let name: string | undefined;
    let hasBlock = true;
    if (positional.length === 0 && named.length === 0) {
      // `stage { }`: Groovy passes the closure as the name.
      this.error('PW5105', 'Expected string literal', statement);
      hasBlock = false;
    } else {
      name = positional.length > 0 ? this.stringLiteral(positional[0], statement) : this.stringLiteral(undefined, statement);
      if (positional.length + (named.length > 0 ? 1 : 0) > 1) hasBlock = false;
    }
    const display = name ?? 'error';
    const facts: StageFacts = { branches: [] };
    if (!hasBlock) {
      this.error('PW5105', 'Stage does not have a block', statement);
    } else {
      // Repeated sections and the stage's content rules take no catalog: not checked catalogOnly.
      const seen = this.catalogOnly ? undefined : new Set<string>();
      for (let i = 0; i < statement.body.length; i++) {
        const section = statement.body[i]!;
        if (section.type === 'Comment' || isReportedStatement(section)) continue;
        const sectionName = this.nameOf(section);
        if (sectionName === undefined) {
          this.error('PW5011', `Not a valid stage section definition: "${renderStatement(section)}". Some extra configuration is required.`, statement);
          continue;
        }
        if (this.objectCall(section)) continue;
        if (seen) {
          if (seen.has(sectionName)) this.error('PW5100', `Multiple occurrences of the ${sectionName} section`, statement);
          seen.add(sectionName);
        }
        this.stageSection(section, sectionName, statement, facts, withinParallel);
      }
    }
    if (!this.catalogOnly) this.stageRules(statement, display, facts, withinParallel);
    return name;
  }

  private stageSection(section: Statement, name: string, stage: CallStatement, facts: StageFacts, withinParallel: boolean): void {
    switch (name) {
      case 'agent':
        facts.agent = section;
        this.agent(section);
        return;
      case 'when':
        this.when(section);
        return;
      case 'steps':
        facts.branches = this.steps(section);
        return;
      case 'post':
        this.post(section);
        return;
      case 'options':
        this.options(section, true);
        return;
      case 'input':
        this.input(section);
        return;
      case 'tools':
        facts.tools = section;
        this.tools(section);
        return;
      case 'environment':
        this.environment(section);
        return;
      case 'parallel':
        // Without a block Jenkins records no parallel content.
        if (section.type === 'Call' && section.body !== undefined) facts.parallel = section;
        this.stages(section, true, 'parallel', stage);
        return;
      case 'failFast':
        this.booleanFlag(section, 'failFast', 'PW5113');
        return;
      case 'stages':
        if (section.type === 'Call') facts.stages = section;
        this.stages(section, withinParallel, 'stages');
        return;
      case 'matrix':
        if (section.type === 'Call') facts.matrix = section;
        this.matrix(section);
        return;
      default:
        this.error('PW5106', `Unknown stage section "${name}". Starting with version 0.5, steps in a stage must be in a ‘steps’ block.`, stage);
    }
  }

  /** ModelValidatorImpl.validateElement(stage, isWithinParallel). */
  private stageRules(stage: CallStatement, name: string, facts: StageFacts, withinParallel: boolean): void {
    const count =
      (facts.branches.length > 0 ? 1 : 0) + (facts.parallel ? 1 : 0) + (facts.matrix ? 1 : 0) + (facts.stages ? 1 : 0);
    if (withinParallel && (facts.branches.length > 1 || facts.parallel || facts.matrix)) {
      const at = facts.matrix ?? facts.parallel ?? facts.branches[0]?.loc;
      this.error('PW5111', '"matrix" or "parallel" cannot be nested inside another "matrix" or "parallel".', at);
    } else if (count > 1) {
      this.error('PW5109', `Only one of "matrix", "parallel", "stages", or "steps" allowed for stage "${name}"`, stage);
    } else if (count === 0) {
      this.error('PW5109', `Expected one of "steps", "stages", or "parallel" for stage "${name}"`, stage);
    } else if (facts.parallel || facts.matrix) {
      if (facts.agent) this.error('PW5110', `"agent" is not allowed in stage "${name}" as it contains parallel or matrix stages`, facts.agent);
      if (facts.tools) this.error('PW5110', `"tools" is not allowed in stage "${name}" as it contains parallel or matrix stages`, facts.tools);
    } else if (facts.branches.length > 1) {
      for (const branch of this.duplicates(facts.branches.map((b) => b.name))) {
        this.error('PW5113', `Duplicate parallel branch name: "${branch}"`, stage);
      }
    }
  }

  private booleanFlag(section: Statement, name: string, code: JenkinsfileRuleCode): void {
    const value = section.type === 'Call' ? section.args.positional[0] : undefined;
    if (value?.type !== 'Boolean') this.error(code, `Expected a boolean with ${name}`, section);
  }

  // ---------------------------------------------------------------- steps

  /** `steps { }`: one default branch, or the branches of a sole legacy `parallel(a: {...})`. */
  private steps(section: Statement): StageFacts['branches'] {
    if (!this.block(section, 'steps')) return [];
    const body = this.counted(section)!;
    const only = body.length === 1 ? body[0] : undefined;
    // ModelParser.matchParallel: a sole `parallel(...)` statement is the stage's branches, whatever
    // its arguments; only named closures become branches (`parallel()` has none).
    if (only?.type === 'Call' && only.name === 'parallel') {
      return this.legacyParallel(only);
    }
    if (body.length === 0) this.error('PW5112', 'No steps specified for branch', blockLoc(section));
    for (let i = 0; i < body.length; i++) this.step(body[i]!);
    return [{ name: 'default', loc: section.loc }];
  }

  private legacyParallel(parallel: CallStatement): StageFacts['branches'] {
    const branches: StageFacts['branches'] = [];
    // Branches come from a single map argument only (`parallel(a: {...})`).
    if (parallel.args.positional.length > 0 || parallel.body !== undefined) return branches;
    for (const entry of parallel.args.named) {
      if (entry.key === 'failFast') {
        if (entry.value.type !== 'Boolean') this.error('PW5113', 'Expected a boolean with failFast', entry);
        continue;
      }
      if (entry.value.type !== 'Raw' || !entry.value.source.startsWith('{')) {
        this.error('PW5113', 'Expected closure or failFast', entry);
        continue;
      }
      if (/^\{\s*\}$/.test(entry.value.source)) this.error('PW5112', 'No steps specified for branch', entry.value);
      branches.push({ name: entry.key, loc: entry.loc });
    }
    return branches;
  }

  private step(step: Statement): void {
    if (step.type === 'Comment' || step.type === 'GroovyBlock' || isReportedStatement(step)) return;
    if (step.type === 'Assignment') {
      this.error('PW5013', 'Expected a step', step);
      return;
    }
    if (this.objectCall(step)) return;
    const name = step.name;
    if ((name === 'script' || name === 'expression') && step.body === undefined && !hasClosureArgument(step.args.positional)) {
      this.error('PW5121', name === 'script' ? 'Script step without a block' : 'When step without a block', step);
      return;
    }
    if (name === 'stage') this.error('PW5122', JENKINSFILE_RULES.PW5122.messages[0]!, step);
    else if (name === 'properties') this.error('PW5122', JENKINSFILE_RULES.PW5122.messages[1]!, step);
    else if (name === 'parallel') this.error('PW5122', JENKINSFILE_RULES.PW5122.messages[2]!, step);
    else if (!this.allowed(this.allow.steps, name) && name !== 'script' && name !== 'expression') {
      this.error('PW5136', `No such DSL method '${name}' found among steps ${this.listText(this.allow.steps!)}`, step);
    } else if (name !== 'script' && name !== 'expression') {
      this.catalogStep(step);
    }
    if (!this.catalogOnly) {
      for (const arg of step.args.positional) this.value(arg, false);
      for (const entry of step.args.named) this.value(entry.value, false);
    }
    const body = step.body;
    if (body) for (let i = 0; i < body.length; i++) this.step(body[i]!);
  }

  // ---------------------------------------------------------------- post

  private post(section: Statement): void {
    if (section.type !== 'Call' || section.body === undefined) {
      this.error('PW5104', 'Expected a block', section);
      return;
    }
    const names: string[] = [];
    for (let i = 0; i < section.body.length; i++) {
      const condition = section.body[i]!;
      if (condition.type === 'Comment' || isReportedStatement(condition)) continue;
      const name = this.nameOf(condition);
      if (name === undefined || !this.hasBlock(condition)) {
        this.error('PW5019', JENKINSFILE_RULES.PW5019.messages[0]!, condition);
        continue;
      }
      names.push(name);
      if (!(POST_CONDITIONS as readonly string[]).includes(name)) {
        this.error('PW5115', `Invalid condition "${name}" - valid conditions are [${POST_CONDITIONS.join(', ')}]`, condition);
      }
      if (condition.type === 'Call') {
        const steps = withoutComments(condition.body!);
        if (steps.length === 0) this.error('PW5112', 'No steps specified for branch', blockLoc(condition));
        for (let j = 0; j < steps.length; j++) this.step(steps[j]!);
      }
    }
    if (names.length === 0) this.error('PW5114', 'post can not be empty', section);
    if (!this.catalogOnly) for (const name of this.duplicates(names)) this.error('PW5115', `Duplicate build condition name: "${name}"`, section);
  }

  // ---------------------------------------------------------------- environment

  private environment(section: Statement): void {
    if (this.catalogOnly) return;
    const body = this.block(section, 'environment');
    if (!body) return;
    const keys = new Set<string>();
    for (const statement of body) {
      if (statement.type !== 'Assignment') {
        this.error('PW5015', `"${renderStatement(statement)}" is not a valid environment expression. Use "key = value" pairs with valid Java/shell keys.`, statement);
        continue;
      }
      if (statement.name.includes('.')) {
        this.error('PW5116', 'Expected string literal', statement);
        continue;
      }
      if (keys.has(statement.name)) {
        this.error('PW5116', `Duplicate environment variable name: "${statement.name}"`, statement);
        continue;
      }
      keys.add(statement.name);
      if (!ENV_IDENTIFIER.test(statement.name)) {
        this.error('PW5116', `"${statement.name}" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.`, statement);
      }
      this.environmentValue(statement.value);
    }
    if (keys.size === 0) this.error('PW5116', 'No variables specified for environment', section);
  }

  /** ModelParser.parseEnvironment: what may stand right of `NAME =`. */
  private environmentValue(value: Expression): void {
    switch (value.type) {
      case 'String':
      case 'Boolean':
      case 'Null':
        return;
      case 'Number':
        this.integerConstant(value);
        return;
      case 'CallExpression':
        this.internalFunctionCall(value);
        return;
      case 'Raw':
        this.rawEnvironmentValue(value);
        return;
      default:
        this.error('PW5117', 'Environment variable values must either be single quoted, double quoted, or function calls.', value);
    }
  }

  private internalFunctionCall(call: Extract<Expression, { type: 'CallExpression' }>): void {
    if (call.name !== 'credentials') {
      this.value(call, false);
      return;
    }
    const args: Expression[] = [...call.args.positional, ...call.args.named.map((e) => e.value)];
    const allStrings = call.args.named.length === 0 && call.args.positional.every((a) => a.type === 'String' || isGString(a));
    if (!allStrings) {
      for (const arg of args) {
        if (!(arg.type === 'String' || isGString(arg)) || call.args.named.length > 0) {
          this.error('PW5117', 'Internal function call parameters must be strings.', call);
        }
      }
    }
  }

  private rawEnvironmentValue(value: Extract<Expression, { type: 'Raw' }>): void {
    const parsed = parseRaw(value);
    if (!parsed) {
      this.error('PW5117', 'Environment variable values must either be single quoted, double quoted, or function calls.', value);
      return;
    }
    const expr = unwrapParens(parsed.expr);
    switch (expr.kind) {
      case 'gstring':
      case 'string':
      case 'number':
        return;
      case 'call':
        this.value(value, false);
        return;
      case 'binary':
        if (expr.op === '+') this.concatenation(expr, parsed);
        else this.error('PW5117', 'Environment variable values can only be joined together with ‘+’s.', value);
        return;
      default:
        this.error('PW5117', 'Environment variable values must either be single quoted, double quoted, or function calls.', value);
    }
  }

  /**
   * `'a' + "b" + 'c'`: only quoted strings, joined with `+`. Operands are checked left to right,
   * by a loop down the left spine (`+` chains have no length limit).
   */
  private concatenation(expr: Extract<GExpr, { kind: 'binary' }>, raw: ParsedRaw): void {
    const rights: GExpr[] = [];
    let node = expr;
    for (;;) {
      rights.push(unwrapParens(node.right));
      const left = unwrapParens(node.left);
      if (left.kind === 'binary' && left.op === '+') {
        node = left;
        continue;
      }
      if (left.kind === 'binary') this.error('PW5117', 'Environment variable values can only be joined together with ‘+’s.', raw.position(left.start));
      else this.concatenationOperand(left, raw);
      break;
    }
    for (let k = rights.length - 1; k >= 0; k--) this.concatenationOperand(rights[k]!, raw);
  }

  private concatenationOperand(operand: GExpr, raw: ParsedRaw): void {
    const constant = operand.kind === 'string' || operand.kind === 'gstring' || operand.kind === 'number' ||
      (operand.kind === 'literal' && operand.word !== 'this' && operand.word !== 'super');
    if (!constant) {
      this.error('PW5117', 'Environment variable values to be concatenated together must be single or double quoted.', raw.position(operand.start));
    }
  }

  // ---------------------------------------------------------------- options, triggers, parameters

  private options(section: Statement, inStage: boolean): void {
    const names = this.describableSection(section, 'options', 'Options', 'option', this.allow.options, inStage);
    if (names === undefined) return;
    if (this.entryCount(section) === 0) this.error('PW5114', 'options can not be empty', section);
    if (!this.catalogOnly) for (const name of this.duplicates(names)) this.error('PW5133', `Duplicate option name: "${name}"`, section);
  }

  private triggers(section: Statement): void {
    const names = this.describableSection(section, 'triggers', 'Triggers', 'trigger', this.allow.triggers, false);
    if (names === undefined) return;
    if (this.entryCount(section) === 0) this.error('PW5114', 'triggers can not be empty', section);
    for (const name of this.duplicates(names)) this.error('PW5133', `Duplicate trigger name: "${name}"`, section);
  }

  private parameters(section: Statement, checkEmpty: boolean): void {
    const names = this.describableSection(section, 'parameters', 'Build parameters', 'parameter', undefined, false);
    if (names === undefined) return;
    if (checkEmpty && this.entryCount(section) === 0) this.error('PW5114', 'parameters can not be empty', section);
  }

  /** Jenkins keeps every statement of options/triggers/parameters as an entry, valid or not. */
  private entryCount(section: Statement): number {
    return section.type === 'Call' ? (section.body ?? []).filter((s) => s.type !== 'Comment').length : 0;
  }

  /** Entries of options / triggers / parameters; returns their names (undefined without a block). */
  private describableSection(
    section: Statement,
    what: 'options' | 'triggers' | 'parameters',
    title: string,
    kind: 'option' | 'trigger' | 'parameter',
    allowList: string[] | undefined,
    inStage: boolean,
  ): string[] | undefined {
    const body = this.block(section, what);
    if (!body) return undefined;
    const names: string[] = [];
    for (let i = 0; i < body.length; i++) {
      const entry = body[i]!;
      if (entry.type === 'Assignment') {
        this.error('PW5016', { options: 'Expected an option', triggers: 'Expected a trigger', parameters: 'Expected a build parameter definition' }[what], entry);
        continue;
      }
      if (this.hasBlock(entry)) {
        this.error('PW5133', `${title} definitions cannot have blocks`, entry);
        continue;
      }
      if (entry.type !== 'Call' || this.objectCall(entry)) continue;
      names.push(entry.name);
      const { positional, named } = entry.args;
      if (positional.length > 0 && named.length > 0) this.error('PW5133', 'Cannot mix named and unnamed arguments', entry);
      this.methodCall(entry.name, positional, named, entry);
      if (kind === 'option') {
        // ParametersAndTriggersInOptions matches `parameters` and `triggers`; `pipelineTriggers` is
        // not an option type in Jenkins (Options.BLOCKED_PROPERTIES): with a catalog it is reported
        // as such, without one pipewright gives the triggers message.
        if (entry.name === 'parameters') this.error('PW5123', JENKINSFILE_RULES.PW5123.messages[0]!, entry);
        else if (entry.name === 'triggers' || (entry.name === 'pipelineTriggers' && !this.lookup)) this.error('PW5123', JENKINSFILE_RULES.PW5123.messages[1]!, entry);
      }
      if (kind !== 'parameter' && !this.allowed(allowList, entry.name)) {
        this.error('PW5134', `Invalid ${kind} type "${entry.name}". Valid ${kind} types: ${this.listText(allowList!)}`, entry);
      } else if (this.lookup && allowList === undefined && !(kind === 'option' && (entry.name === 'parameters' || entry.name === 'triggers'))) {
        this.catalogEntry(entry, kind, inStage);
      }
    }
    return names;
  }

  private libraries(section: Statement): void {
    const body = this.block(section, 'libraries');
    if (!body) return;
    const libs = body.filter((s) => s.type === 'Call' && s.name === 'lib' && s.body === undefined);
    for (const lib of libs) if (lib.type === 'Call') for (const arg of lib.args.positional) this.value(arg, true, lib);
    if (libs.length === 0) this.error('PW5114', 'libraries can not be empty', section);
  }

  // ---------------------------------------------------------------- tools, input

  private tools(section: Statement): void {
    const body = this.block(section, 'tools');
    if (!body) return;
    let count = 0;
    for (let i = 0; i < body.length; i++) {
      const tool = body[i]!;
      const name = this.nameOf(tool);
      if (name === undefined) {
        this.error('PW5018', 'Expected to find ‘someTool "someVersion"’', section);
        continue;
      }
      const n = this.argumentCount(tool);
      if (n === 0) this.error('PW5131', `No argument for tool "${name}"`, tool);
      else if (n > 1) this.error('PW5131', `Too many arguments for tool "${name}"`, tool);
      else {
        count++;
        if (tool.type === 'Call' && !this.catalogOnly) for (const arg of tool.args.positional) this.value(arg, false);
        if (!this.allowed(this.allow.tools, name)) {
          this.error('PW5132', `Invalid tool type "${name}". Valid tool types: ${this.listText(this.allow.tools!)}`, tool);
        } else if (this.lookup && this.allow.tools === undefined && !this.lookup.tools.includes(name)) {
          this.error('PW5132', CATALOG_MESSAGES.invalidSectionType('tool', name, [...this.lookup.tools].sort()), tool, this.unknownNameSeverity);
        }
      }
    }
    if (count === 0) this.error('PW5131', 'No tools specified', section);
  }

  private input(section: Statement): void {
    const body = this.block(section, 'input');
    if (!body) return;
    const seen = new Set<string>();
    let hasMessage = false;
    for (const field of body) {
      const name = this.nameOf(field);
      if (name === undefined) {
        this.error('PW5010', `Not a valid section definition: "${renderStatement(field)}". Some extra configuration is required.`, section);
        continue;
      }
      if (seen.has(name)) this.error('PW5100', `Multiple occurrences of the ${name} section`, section);
      seen.add(name);
      const n = this.argumentCount(field);
      if (n === 0) {
        this.error('PW5130', `No argument for field "${name}"`, field);
        continue;
      }
      if (n > 1) {
        this.error('PW5130', `Too many arguments for field "${name}"`, field);
        continue;
      }
      switch (name) {
        case 'message':
          hasMessage = true;
          break;
        case 'id':
        case 'ok':
        case 'submitter':
        case 'submitterParameter':
          break;
        case 'parameters':
          this.parameters(field, false);
          continue;
        default:
          this.error('PW5130', `Not a valid field for input: "${name}"`, field);
          continue;
      }
      if (field.type === 'Call') for (const arg of field.args.positional) this.value(arg, false);
    }
    if (!hasMessage) this.error('PW5130', 'No message specified for input', section);
  }

  // ---------------------------------------------------------------- agent

  private agent(section: Statement): void {
    if (section.type !== 'Call') {
      this.error('PW5124', 'Expected an agent', section);
      return;
    }
    if (section.body === undefined) {
      const n = section.args.positional.length + (section.args.named.length > 0 ? 1 : 0);
      if (n === 0) {
        this.error('PW5124', 'No argument for agent', section);
        this.noAgentType(section);
        return;
      }
      const arg = section.args.positional[0];
      const key = n === 1 && arg ? this.stringLiteral(arg, section) : n === 1 ? this.stringLiteral(undefined, section) : undefined;
      if (n > 1 || key === undefined || !ZERO_ARG_AGENTS.has(key)) {
        this.error('PW5124', 'Only "agent none", "agent any" or "agent {...}" are allowed.', section);
        this.noAgentType(section);
      }
      return;
    }
    const body = this.counted(section)!;
    if (body.length === 0) {
      this.error('PW5124', 'Expected an agent', section);
      this.noAgentType(section);
      return;
    }
    if (body.length > 1) {
      this.error('PW5124', 'Only one agent type is allowed per agent section', section);
      this.noAgentType(section);
      return;
    }
    const typeStatement = body[0]!;
    const type = isReportedStatement(typeStatement) ? undefined : this.nameOf(typeStatement);
    if (type === undefined) {
      this.error('PW5124', 'Expected an agent', section);
      this.noAgentType(section);
      return;
    }
    this.closureMapEntry(typeStatement, type);
    // Jenkins rewrites `label { ... }` to the node agent.
    const effective = type === 'label' && this.hasBlock(typeStatement) ? 'node' : type;
    const allowList = this.allow.agentTypes;
    if (allowList && !ZERO_ARG_AGENTS.has(effective) && !allowList.includes(effective)) {
      const names = [...new Set([...allowList, ...ZERO_ARG_AGENTS])];
      this.error('PW5125', `Invalid agent type "${effective}" specified. Must be one of ${this.listText(names)}`, typeStatement);
    } else if (!allowList && this.lookup && !ZERO_ARG_AGENTS.has(effective)) {
      this.catalogAgent(typeStatement, effective);
    }
  }

  /** With a catalog, an agent whose type could not be read also gets Jenkins' NoAgentType. */
  private noAgentType(section: Statement): void {
    if (this.lookup && !this.allow.agentTypes) this.error('PW5125', CATALOG_MESSAGES.noAgentType(this.lookup.agentTypes), section);
  }

  /** ModelValidatorImpl.validateElement(ModelASTAgent): the type and its config options. */
  private catalogAgent(typeStatement: Statement, type: string): void {
    const lookup = this.lookup!;
    this.owner = typeStatement;
    try {
      this.catalogAgentType(typeStatement, type, lookup);
    } finally {
      this.owner = undefined;
    }
  }

  private catalogAgentType(typeStatement: Statement, type: string, lookup: CatalogLookup): void {
    const model = lookup.describable(type, AGENT_KINDS);
    if (!model) {
      this.error('PW5125', CATALOG_MESSAGES.invalidAgentType(type, lookup.agentTypes), typeStatement, this.unknownNameSeverity);
      return;
    }
    const { required } = parameterTable(model.parameters);
    if (typeStatement.type === 'Call' && typeStatement.body !== undefined) {
      const entries = typeStatement.body.filter((s) => s.type !== 'Comment' && !isReportedStatement(s));
      const keys = entries.map((e) => this.nameOf(e));
      for (const p of required) {
        if (!keys.includes(p.name)) this.error('PW5138', CATALOG_MESSAGES.missingAgentParameter(type, p.name), typeStatement);
      }
      const valid = model.parameters.map((p) => p.name);
      entries.forEach((entry, i) => {
        const key = keys[i];
        if (key !== undefined && !valid.includes(key)) this.error('PW5141', CATALOG_MESSAGES.invalidAgentParameter(key, type, valid), entry, 'error', key);
      });
    } else if (required.length > 1) {
      this.error('PW5140', CATALOG_MESSAGES.multipleAgentParameters(type, required.map((p) => p.name)), typeStatement);
    }
  }

  /** ModelParser.parseClosureMap: `key value` entries, possibly nested blocks. */
  private closureMapEntry(entry: Statement, key: string): void {
    const n = this.argumentCount(entry);
    if (n === 0) {
      this.error('PW5124', `No argument for map key "${key}"`, entry);
      return;
    }
    if (n > 1) {
      this.error('PW5124', `Too many arguments for map key "${key}"`, entry);
      return;
    }
    if (entry.type !== 'Call') return;
    if (entry.body) {
      for (let i = 0; i < entry.body.length; i++) {
        const child = entry.body[i]!;
        if (isReportedStatement(child)) continue;
        const name = this.nameOf(child);
        if (name !== undefined) this.closureMapEntry(child, name);
      }
    } else if (!this.catalogOnly) {
      for (const arg of entry.args.positional) this.value(arg, false);
      for (const named of entry.args.named) this.value(named.value, false);
    }
  }

  // ---------------------------------------------------------------- when

  private when(section: Statement): void {
    const body = this.block(section, 'when');
    if (!body) return;
    let conditions = 0;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      const name = this.nameOf(statement);
      if (name === undefined) {
        this.error('PW5014', 'Expected a when condition', section);
        continue;
      }
      if (WHEN_FLAGS.has(name)) {
        this.booleanFlag(statement, name, 'PW5126');
        continue;
      }
      conditions++;
      this.whenCondition(statement);
    }
    if (conditions === 0) this.error('PW5126', 'Empty when closure, remove the property or add some content.', section);
  }

  private whenCondition(condition: Statement): void {
    if (condition.type === 'Comment' || isReportedStatement(condition)) return;
    if (condition.type === 'Assignment') {
      this.error('PW5014', 'Expected a when condition', condition);
      return;
    }
    if (condition.type === 'GroovyBlock' && condition.keyword === 'expression') {
      this.checkWhenAllowed('expression', condition);
      return;
    }
    if (this.objectCall(condition)) return;
    const name = this.nameOf(condition)!;
    if (name === 'expression' && condition.type === 'Call' && condition.body === undefined) {
      this.error('PW5121', 'When step without a block', condition);
      return;
    }
    if (!this.checkWhenAllowed(name, condition)) return;
    if (condition.type !== 'Call') return;
    const children = this.counted(condition) ?? [];
    const hasArgs = condition.args.positional.length > 0 || condition.args.named.length > 0;
    if (name === 'allOf' || name === 'anyOf' || name === 'not') {
      if (condition.body === undefined || hasArgs) {
        this.error('PW5127', `No additional arguments are allowed for children when condition "${name}".`, condition);
      } else if (name !== 'not' && children.length === 0) {
        this.error('PW5127', `Nested when condition "${name}" requires at least one child condition.`, condition);
      } else if (name === 'not' && children.length !== 1) {
        this.error('PW5127', 'Nested when condition "not" requires exactly 1 child condition(s).', condition);
      } else {
        for (let i = 0; i < children.length; i++) this.whenCondition(children[i]!);
      }
      return;
    }
    if (children.length > 0) {
      this.error('PW5127', `No children when conditions are allowed for when condition "${name}".`, condition);
      return;
    }
    if (name === 'changelog' && condition.args.positional.length === 0 && !condition.args.named.some((e) => e.key === 'pattern')) {
      this.error('PW5129', 'Changelog is missing required parameter "pattern".', condition);
    }
    if (!this.catalogOnly) {
      for (const arg of condition.args.positional) this.value(arg, false);
      for (const entry of condition.args.named) this.value(entry.value, false);
    }
    const model = this.lookup?.describable(name, WHEN_KINDS);
    if (model && name !== 'changelog') {
      this.owner = condition;
      this.describableArguments(condition, name, condition.args.positional, condition.args.named, { name, parameters: model.parameters, takesBlock: false, plugin: model.plugin }, false);
      this.owner = undefined;
    }
  }

  private checkWhenAllowed(name: string, at: NodeMeta): boolean {
    const list: readonly string[] | undefined = this.allow.whenConditions ?? this.lookup?.whenConditions;
    if (list === undefined || list.includes(name)) return true;
    const severity = this.allow.whenConditions ? 'error' : this.unknownNameSeverity;
    this.error('PW5128', `Unknown conditional ${name}. Valid conditionals are: ${list.join(', ')}`, at, severity);
    return false;
  }

  // ---------------------------------------------------------------- matrix

  private matrix(section: Statement): void {
    const body = this.block(section, 'matrix');
    if (!body) return;
    const seen = new Set<string>();
    let hasAxes = false;
    let hasStages = false;
    for (const child of body) {
      const name = this.nameOf(child);
      if (name === undefined) {
        this.error('PW5010', `Not a valid section definition: "${renderStatement(child)}". Some extra configuration is required.`, child);
        continue;
      }
      if (this.objectCall(child)) continue;
      if (seen.has(name)) this.error('PW5100', `Multiple occurrences of the ${name} section`, child);
      seen.add(name);
      switch (name) {
        case 'axes':
          hasAxes = true;
          this.axes(child);
          break;
        case 'excludes':
          this.excludes(child);
          break;
        case 'stages':
          hasStages = true;
          this.stages(child, true, 'stages');
          break;
        case 'agent':
          this.agent(child);
          break;
        case 'when':
          this.when(child);
          break;
        case 'post':
          this.post(child);
          break;
        case 'options':
          this.options(child, true);
          break;
        case 'input':
          this.input(child);
          break;
        case 'tools':
          this.tools(child);
          break;
        case 'environment':
          this.environment(child);
          break;
        default:
          this.error('PW5101', `Undefined section "${name}"`, child);
      }
    }
    if (!hasAxes) this.error('PW5103', 'Missing required section "axes"', section);
    if (!hasStages) this.error('PW5103', 'Missing required section "stages"', section);
  }

  private axes(section: Statement): void {
    const body = this.block(section, 'axes');
    if (!body) return;
    const names: { name: string; at: NodeMeta }[] = [];
    for (const child of body) {
      const name = this.nameOf(child);
      if (name !== 'axis') {
        this.error('PW5101', `Undefined section "${name ?? renderStatement(child)}"`, child);
        continue;
      }
      const axisName = this.axis(child, false);
      if (axisName) names.push(axisName);
    }
    if (names.length === 0 && body.every((c) => this.nameOf(c) !== 'axis')) this.error('PW5135', 'No axis directives specified', section);
    this.duplicateAxisNames(names);
  }

  private duplicateAxisNames(names: { name: string; at: NodeMeta }[]): void {
    const seen = new Set<string>();
    const reported = new Set<string>();
    for (const { name, at } of names) {
      if (seen.has(name) && !reported.has(name)) {
        this.error('PW5135', `Duplicate axis name: "${name}"`, at);
        reported.add(name);
      }
      seen.add(name);
    }
  }

  /** One `axis { name '…'; values '…', … }`; returns its name and where it is written. */
  private axis(section: Statement, inExclude: boolean): { name: string; at: NodeMeta } | undefined {
    const body = this.block(section, 'axis');
    if (!body) return undefined;
    const seen = new Set<string>();
    let name: { name: string; at: NodeMeta } | undefined;
    let values: Expression[] | undefined;
    let notValues: Expression[] | undefined;
    for (const child of body) {
      const key = this.nameOf(child);
      if (key === undefined || child.type !== 'Call') {
        this.error('PW5010', `Not a valid section definition: "${renderStatement(child)}". Some extra configuration is required.`, child);
        continue;
      }
      if (seen.has(key)) this.error('PW5100', `Multiple occurrences of the ${key} section`, child);
      seen.add(key);
      if (key === 'name') {
        const value = this.stringLiteral(child.args.positional[0], child);
        if (value !== undefined) name = { name: value, at: child.args.positional[0] ?? child };
      } else if (key === 'values') {
        // ModelParser.parseExcludeAxis: values and notValues together are an error at the second.
        if (notValues !== undefined) this.error('PW5135', 'Exclude axis must contain either "values" or "notValues"', child);
        values = child.args.positional;
      } else if (key === 'notValues' && inExclude) {
        if (values !== undefined) this.error('PW5135', 'Exclude axis must contain either "values" or "notValues"', child);
        notValues = child.args.positional;
      } else {
        this.error('PW5101', `Undefined section "${key}"`, child);
      }
    }
    // An exclude axis is validated as an axis too (ModelASTExcludeAxis.validate calls
    // super.validate): name and values (or notValues) are required.
    if (name === undefined) this.error('PW5103', 'Missing required section "name"', section);
    else if (!ENV_IDENTIFIER.test(name.name)) {
      this.error('PW5116', `"${name.name}" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.`, name.at);
    }
    const list = [...(values ?? []), ...(notValues ?? [])];
    if (list.length === 0) this.error('PW5103', 'Missing required section "values"', section);
    const texts = list.map((v) => axisValueText(v));
    const reported = new Set<string>();
    texts.forEach((text, i) => {
      if (texts.indexOf(text) !== texts.lastIndexOf(text) && !reported.has(text)) {
        reported.add(text);
        this.error('PW5135', `Duplicate axis value: "${text}"`, list[i]);
      }
    });
    for (const value of list) {
      if (!(value.type === 'String' || value.type === 'Number' || value.type === 'Boolean' || value.type === 'Null')) {
        this.error('PW5135', `Expected string literal but got ${axisValueText(value)}`, value);
      }
    }
    return name;
  }

  private excludes(section: Statement): void {
    const body = this.block(section, 'excludes');
    if (!body) return;
    let count = 0;
    for (const child of body) {
      if (this.nameOf(child) !== 'exclude') {
        this.error('PW5101', `Undefined section "${this.nameOf(child) ?? renderStatement(child)}"`, child);
        continue;
      }
      count++;
      this.exclude(child);
    }
    if (count === 0) this.error('PW5135', 'No exclude directives specified', section);
  }

  private exclude(section: Statement): void {
    const body = this.block(section, 'exclude');
    if (!body) return;
    const names: { name: string; at: NodeMeta }[] = [];
    let count = 0;
    for (const child of body) {
      if (this.nameOf(child) !== 'axis') {
        this.error('PW5101', `Undefined section "${this.nameOf(child) ?? renderStatement(child)}"`, child);
        continue;
      }
      count++;
      const name = this.axis(child, true);
      if (name) names.push(name);
    }
    if (count === 0) this.error('PW5135', 'No axis directives specified', section);
    this.duplicateAxisNames(names);
  }
}

// ------------------------------------------------------------------ helpers

/** The value of an integer literal (decimal, hex, octal, binary; `_`, sign, suffixes), else undefined. */
export function integerValue(text: string): bigint | undefined {
  let t = text.replace(/_/g, '');
  let negative = false;
  if (t.startsWith('-')) {
    negative = true;
    t = t.slice(1);
  }
  if (/^0[xX][0-9a-fA-F]+[lLiIgG]?$/.test(t)) t = t.replace(/[lLiIgG]$/, '');
  else if (/^0[bB][01]+[lLiIgG]?$/.test(t)) t = t.replace(/[lLiIgG]$/, '');
  else if (/^0[0-7]+[lLiIgG]?$/.test(t)) t = `0o${t.slice(1).replace(/[lLiIgG]$/, '')}`;
  else if (/^[0-9]+[lLiIgG]?$/.test(t)) t = t.replace(/[lLiIgG]$/, '');
  else return undefined;
  const value = BigInt(t);
  return negative ? -value : value;
}

const SMALL_DECIMAL = /^(?:0|[1-9][0-9]{0,8})$/;

/** The literal value of an argument as Jenkins' ModelASTValue has it, else undefined (GStrings, variables, calls). */
function literalValue(expr: Expression): LiteralValue | undefined {
  switch (expr.type) {
    case 'String':
      return { kind: 'string', value: expr.value };
    case 'Boolean':
      return { kind: 'boolean', value: expr.value };
    case 'Number': {
      // A plain decimal int (at most 9 digits, no leading zero: not octal) is its own text.
      if (SMALL_DECIMAL.test(expr.text)) return { kind: 'integer', text: expr.text, long: false };
      if (/[.eE]/.test(expr.text) && !/^0[xX]/.test(expr.text)) return { kind: 'decimal', text: expr.text };
      const value = integerValue(expr.text);
      if (value === undefined) return undefined;
      const long = /[lL]$/.test(expr.text) || value > 2147483647n || value < -2147483648n;
      return { kind: 'integer', text: value.toString(), long };
    }
    default:
      return undefined;
  }
}

/** The statements of a block without comments (the block itself when it has none). */
function withoutComments(body: readonly Statement[]): readonly Statement[] {
  for (let i = 0; i < body.length; i++) if (body[i]!.type === 'Comment') return body.filter((t) => t.type !== 'Comment');
  return body;
}

/**
 * The statements of a block without comments and without placeholders of statements the parser
 * already reported (the block itself when it has neither), in one pass.
 */
function withoutCommentsAndReported(body: readonly Statement[]): readonly Statement[] {
  for (let i = 0; i < body.length; i++) {
    const s = body[i]!;
    if (s.type === 'Comment' || isReportedStatement(s)) return body.filter((t) => t.type !== 'Comment' && !isReportedStatement(t));
  }
  return body;
}

/** Whether a named argument has this key. */
function hasKey(named: readonly MapEntry[], key: string): boolean {
  for (let i = 0; i < named.length; i++) if (named[i]!.key === key) return true;
  return false;
}

/** `{ ... }` kept as Raw: a closure argument. */
function isClosure(expr: Expression): boolean {
  return expr.type === 'Raw' && expr.source.startsWith('{');
}

function hasClosureArgument(positional: readonly Expression[]): boolean {
  for (let i = 0; i < positional.length; i++) if (isClosure(positional[i]!)) return true;
  return false;
}

/** Parameter names, for "did you mean" (only on the error path). */
function parameterNames(model: CatalogModel): string[] {
  return model.parameters.map((p) => p.name);
}

/** Where Jenkins reports an empty block: its `{` when known, else the statement. */
function blockLoc(statement: Statement): SourcePosition | undefined {
  return (statement.type === 'Call' ? statement.bodyLoc : undefined) ?? statement.loc;
}

/** `foo { ... }` or `foo(x) { ... }` kept as Raw: a method call with a closure argument. */
function callWithClosure(expr: Extract<Expression, { type: 'Raw' }>): boolean {
  if (!/\{/.test(expr.source)) return false;
  const parsed = parseRaw(expr);
  if (!parsed) return false;
  const inner = unwrapParens(parsed.expr);
  return inner.kind === 'call' && (inner.closures.length > 0 || inner.args.some((a) => a.value.kind === 'closure'));
}

function isGString(expr: Expression): boolean {
  if (expr.type !== 'Raw') return false;
  const parsed = parseRaw(expr);
  return parsed !== undefined && unwrapParens(parsed.expr).kind === 'gstring';
}

function unwrapParens(expr: GExpr): GExpr {
  let inner = expr;
  while (inner.kind === 'paren') inner = inner.inner;
  return inner;
}

interface ParsedRaw {
  expr: GExpr;
  /** Position in the Jenkinsfile of a translated index into the Raw source. */
  position(index: number): SourcePosition;
}

/** Re-parses the source of a Raw node as a Groovy expression, positioned at the node. */
function parseRaw(raw: Extract<Expression, { type: 'Raw' }>): ParsedRaw | undefined {
  const source = new SourceText(raw.source);
  const expr = parseGroovyExpression(source, lexGroovy(source).tokens);
  if (!expr) return undefined;
  const base = raw.loc ?? { line: 1, column: 1 };
  return {
    expr,
    position(index: number): SourcePosition {
      const relative = source.position(index);
      return relative.line === 1
        ? { line: base.line, column: base.column + relative.column - 1 }
        : { line: base.line + relative.line - 1, column: relative.column };
    },
  };
}

/** How Jenkins prints an axis value: literals as their value, other expressions as `${src}`. */
function axisValueText(value: Expression): string {
  switch (value.type) {
    case 'String':
      return value.value;
    case 'Number':
      return value.text;
    case 'Boolean':
      return String(value.value);
    case 'Null':
      return 'null';
    case 'Raw':
      return isGString(value) ? value.source : `\${${value.source}}`;
    default:
      return `\${${renderExpression(value)}}`;
  }
}

/** Groovy-like text of a statement, for messages about ASTs not built by the parser. */
function renderStatement(statement: Statement): string {
  switch (statement.type) {
    case 'Assignment':
      return `${statement.name} = ${renderExpression(statement.value)}`;
    case 'Call':
      return `${statement.name}(${renderArguments(statement.args.positional, statement.args.named)})`;
    case 'GroovyBlock':
      return `${statement.keyword} { ${statement.source} }`;
    case 'Comment':
      return `// ${statement.text}`;
  }
}

function renderArguments(positional: Expression[], named: MapEntry[]): string {
  return [...positional.map(renderExpression), ...named.map((e) => `${e.key}: ${renderExpression(e.value)}`)].join(', ');
}

function renderExpression(expr: Expression): string {
  switch (expr.type) {
    case 'String':
      return `'${expr.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'Number':
      return expr.text;
    case 'Boolean':
      return String(expr.value);
    case 'Null':
      return 'null';
    case 'Identifier':
      return expr.name;
    case 'Raw':
      return expr.source;
    case 'List':
      return `[${expr.items.map(renderExpression).join(', ')}]`;
    case 'Map':
      return expr.entries.length === 0 ? '[:]' : `[${expr.entries.map((e) => `${e.key}: ${renderExpression(e.value)}`).join(', ')}]`;
    case 'CallExpression':
      return `${expr.name}(${renderArguments(expr.args.positional, expr.args.named)})`;
  }
}
