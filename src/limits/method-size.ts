/**
 * The method-size budget: an estimate of the bytecode of the largest method Jenkins compiles a
 * declarative Jenkinsfile into, from pipewright's Jenkinsfile AST, in one walk.
 *
 * On a controller, Declarative's `RuntimeASTTransformer` first rewrites `pipeline { }` into a tree
 * of constructor calls (`new Root(agent, new Stages([new Stage(name, Utils.createStepsBlock({
 * steps }), new Agent(...), ...)]), ...)`); then groovy-cps turns the whole script body, every
 * closure included, into ONE method that builds that tree, and the JVM limits a method to 65,535
 * bytes of bytecode ("Method too large", JENKINS-37984). `SCRIPT_SPLITTING_TRANSFORMATION`, which
 * would split it, is off by default.
 *
 * This module walks the AST the way that rewrite would and costs each resulting Groovy node with
 * the bytecode model in cps-bytecode.ts (byte-exact per node, calibrated against the oracle in
 * scripts/cps-oracle). Cost follows the number of Groovy nodes, not text length: a 5 KB shell
 * script costs the same as a short one. See docs/limits.md.
 */
import { groovyKeyLiteral, groovyStringLiteral } from '../jenkinsfile/groovy-literal.ts';
import type { Arguments, CallStatement, Expression, JenkinsfileAst, MapEntry, SourcePosition, Statement } from '../jenkinsfile/ast.ts';
import {
  binary,
  block,
  closure,
  classConstant,
  constant,
  ConstantPool,
  CPS_POOL_PER_SCRIPT_METHOD,
  CPS_POOL_START,
  CpsMethod,
  dynamicVariable,
  functionCall,
  list,
  map,
  newInstance,
  returnStatement,
  emitSafepointed,
  safepointed,
  staticCall,
  Tape,
  type Emit,
} from './cps-bytecode.ts';
import { environmentValue, groovyExpression, groovyScript, groovyStatements, Scope, type GroovySource, type ScriptMethod } from './groovy-source.ts';

/** The JVM's limit on one method's bytecode. */
export const METHOD_SIZE_LIMIT = 65_535;

/** Cost of one stage: everything its `new Stage(...)` subtree adds to the pipeline's method. */
export interface StageCost {
  /** Stage names from the outermost stage down to this one. */
  path: string[];
  /** Estimated bytes, this stage's nested stages included. */
  bytes: number;
  /** Nesting level: 1 for a stage directly in the pipeline's `stages`. */
  depth: number;
  /** The method the bytes are in: `pipeline`, or `matrix declarations` for stages inside a matrix (see {@link MethodCost}). */
  method: string;
  /** Model path of the stage (ASTs from lowering), for locating it in the pipeline's source. */
  origin?: readonly (string | number)[];
  /** Position of `stage(...)` in a parsed Jenkinsfile. */
  loc?: SourcePosition;
}

/** One generated method and its estimated bytecode size. */
export interface MethodCost {
  /**
   * `pipeline` (the script body with the whole `pipeline { }` block), `def <name>()` for a method
   * defined in the prologue/epilogue, or `matrix declarations` (the method Declarative adds for
   * matrix stages when the script declares no variables).
   */
  name: string;
  bytes: number;
}

/** What {@link estimateMethodSize} returns. */
export interface MethodSizeEstimate {
  /** The largest method: the one the JVM limit applies to first. */
  largest: MethodCost;
  /** Every CPS method the script compiles to, largest first. */
  methods: MethodCost[];
  /** Every stage (matrix cells folded into their stage), in source order. */
  stages: StageCost[];
  /** Deepest stage nesting (1 = no nested stages; 0 = no stages). */
  maxStageDepth: number;
}

/** Options of {@link estimateMethodSize}. */
export interface EstimateOptions {
  /**
   * Line on which the AST's first line is printed, for ASTs without positions (lowering output;
   * compile prints a 2-line header first). Line numbers below 128 are one byte cheaper. Default 1.
   */
  firstLine?: number;
}

/**
 * Estimates the bytecode size of every CPS method a Jenkinsfile compiles to on a controller (with
 * Declarative's default, no script splitting) and attributes the pipeline method's cost to
 * stages. One walk over the AST; parsed ASTs (with `loc`) and lowered ones both work.
 */
export function estimateMethodSize(ast: JenkinsfileAst, options: EstimateOptions = {}): MethodSizeEstimate {
  return new Estimator(options.firstLine ?? 1).run(ast);
}

// ------------------------------------------------------------------ names Declarative treats specially

const MODEL = 'org/jenkinsci/plugins/pipeline/modeldefinition/model/';
/** Declarative's model classes, each name built once (a constant's pool lookup then hashes the same string). */
const MODEL_CLASS = {
  Agent: `${MODEL}Agent`,
  Environment: `${MODEL}Environment`,
  Libraries: `${MODEL}Libraries`,
  Matrix: `${MODEL}Matrix`,
  Options: `${MODEL}Options`,
  Parallel: `${MODEL}Parallel`,
  Parameters: `${MODEL}Parameters`,
  PostBuild: `${MODEL}PostBuild`,
  PostStage: `${MODEL}PostStage`,
  Root: `${MODEL}Root`,
  Stage: `${MODEL}Stage`,
  StageConditionals: `${MODEL}StageConditionals`,
  StageInput: `${MODEL}StageInput`,
  StageOptions: `${MODEL}StageOptions`,
  Stages: `${MODEL}Stages`,
  Tools: `${MODEL}Tools`,
  Triggers: `${MODEL}Triggers`,
} as const;
const UTILS = 'org/jenkinsci/plugins/pipeline/modeldefinition/Utils';
const COMMON_UTILS = 'org/jenkinsci/plugins/pipeline/modeldefinition/CommonUtils';
const RESOLVER = `${MODEL}Environment$EnvironmentResolver`;
const EXPRESSION_CONDITIONAL = 'org/jenkinsci/plugins/pipeline/modeldefinition/when/impl/ExpressionConditional$DescriptorImpl';
const ANONYMOUS_KEY = '$$anonymous';
/** Options that are job properties (pipeline level only); as the oracle's approximation. */
const JOB_PROPERTIES = new Set([
  'buildDiscarder', 'disableConcurrentBuilds', 'disableResume', 'durabilityHint', 'rateLimitBuilds',
  'copyArtifactPermission', 'overrideIndexTriggers', 'githubProjectProperty', 'pipelineTriggers', 'parameters',
]);
/** Options that are Declarative options; every other option is a step wrapper. */
const DECLARATIVE_OPTIONS = new Set([
  'skipDefaultCheckout', 'skipStagesAfterUnstable', 'checkoutToSubdirectory', 'newContainerPerStage',
  'preserveStashes', 'quietPeriod', 'parallelsAlwaysFailFast', 'disableRestartFromStage',
]);
const COMBINING_CONDITIONS = new Map([['allOf', 2], ['anyOf', 2], ['not', 1]]);

// ------------------------------------------------------------------ the walk

class Estimator {
  private readonly pool: ConstantPool;
  private line: number;
  private readonly stages: StageCost[] = [];
  private maxDepth = 0;
  /** Script-context handles Declarative adds (one per matrix: its shared stages). */
  private readonly handles: Emit[] = [];
  private handleCount = 0;
  private readonly scope = new Scope();

  constructor(firstLine: number) {
    this.pool = new ConstantPool(CPS_POOL_START);
    this.line = firstLine;
  }

  run(ast: JenkinsfileAst): MethodSizeEstimate {
    const prologue = this.verbatim(ast.prologue);
    const pipelineLine = this.at(ast.pipeline);
    this.line++;
    const root = this.root(ast.pipeline.body ?? []);
    this.line++;
    const epilogue = this.verbatim(ast.epilogue);
    const scriptMethods = [...prologue.methods, ...epilogue.methods];
    const declaresVariables = prologue.declaresVariables || epilogue.declaresVariables;

    // Script method stubs come before the CPS bodies in the class: their constants first.
    scriptMethods.forEach((def, i) => {
      this.pool.ldc('string', def.name, 1); // the name's Utf8 entry is the method's own
      this.pool.ldc('other', i, CPS_POOL_PER_SCRIPT_METHOD - 1);
    });

    const pipelineBody: Emit[] = [];
    let declarationMethod: Emit | undefined;
    if (this.handles.length > 0) {
      if (declaresVariables) {
        // declareClosureScopedHandles: `{ handles }.call()` inside the pipeline closure
        pipelineBody.push(functionCall(-1, closure(-1, this.handles), 'call', []));
      } else {
        // declareFunctionGroupedHandles: a script method of its own, called from the closure
        pipelineBody.push(functionCall(-1, undefined, '__model__Declaration', []));
        declarationMethod = safepointed(-1, block(this.handles));
      }
    }
    pipelineBody.push(returnStatement(root));
    const pipelineCall = functionCall(pipelineLine, undefined, 'pipeline', [closure(-1, pipelineBody)]);

    const main = new CpsMethod('pipeline', this.pool);
    safepointed(-1, block([...prologue.statements, pipelineCall, ...epilogue.statements]))(main);
    const methods: MethodCost[] = [{ name: 'pipeline', bytes: main.bytes }];
    if (declarationMethod) {
      const m = new CpsMethod('matrix declarations', this.pool);
      declarationMethod(m);
      methods.push({ name: m.name, bytes: m.bytes });
    }
    for (const def of scriptMethods) methods.push(this.scriptMethod(def));
    methods.sort((a, b) => b.bytes - a.bytes);
    return { largest: methods[0]!, methods, stages: this.stages, maxStageDepth: this.maxDepth };
  }

  private scriptMethod(def: ScriptMethod): MethodCost {
    const m = new CpsMethod(`def ${def.name}()`, this.pool);
    m.rawList('string', def.params, def.params.length);
    emitSafepointed(m, def.line, def.body);
    return { name: m.name, bytes: m.bytes };
  }

  private verbatim(text: string | undefined): GroovySource {
    if (!text) return { statements: [], methods: [], declaresVariables: false };
    const source = groovyScript(text, this.line, this.scope);
    this.line += 1 + countLineFeeds(text) - (text.endsWith('\n') ? 1 : 0);
    return source;
  }

  private at(node: { loc?: SourcePosition }): number {
    if (node.loc) this.line = node.loc.line;
    return this.line;
  }

  // ---------------------------------------------------------------- sections

  private root(body: Statement[]): Emit {
    const s = sections(body);
    return newInstance(-1, MODEL_CLASS.Root, [
      this.agent(s.get('agent')),
      this.stagesOf(s.get('stages'), 'Stages', []),
      this.post(s.get('post'), 'PostBuild'),
      this.environment(s.get('environment')),
      this.tools(s.get('tools')),
      this.options(s.get('options'), false),
      this.describableContainer(s.get('triggers'), 'Triggers'),
      this.describableContainer(s.get('parameters'), 'Parameters'),
      this.libraries(s.get('libraries')),
      constant('00000000-0000-0000-0000-000000000000'),
    ]);
  }

  private stagesOf(section: CallStatement | undefined, container: 'Stages' | 'Parallel', parents: string[]): Emit {
    if (!section) return constant(null);
    this.section(section);
    const emitted: Emit[] = [];
    const body = section.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type === 'Call' && statement.name === 'stage') emitted.push(this.stage(statement, parents));
      else this.skip(statement);
    }
    this.line++;
    if (emitted.length === 0) return constant(null);
    return newInstance(-1, MODEL_CLASS[container], [list(emitted)]);
  }

  private stage(stage: CallStatement, parents: string[]): Emit {
    const loc = stage.loc;
    this.at(stage);
    this.line++;
    const nameArg = stage.args.positional[0];
    const name = nameArg?.type === 'String' ? nameArg.value : nameArg ? expressionText(nameArg) : '';
    const path = [...parents, name];
    this.maxDepth = Math.max(this.maxDepth, path.length);
    const cost: StageCost = { path, bytes: 0, depth: path.length, method: 'pipeline' };
    if (stage.origin) cost.origin = stage.origin;
    if (loc) cost.loc = loc;
    this.stages.push(cost);

    // Emitted in the order the sections are printed (lines), then assembled in Stage's argument
    // order; a section given twice: the last one (the first `failFast`, as sections() has it).
    let steps: Emit | undefined;
    let agent: Emit | undefined;
    let post: Emit | undefined;
    let when: Emit | undefined;
    let tools: Emit | undefined;
    let environment: Emit | undefined;
    let options: Emit | undefined;
    let input: Emit | undefined;
    let stages: Emit | undefined;
    let parallel: Emit | undefined;
    let failFast: CallStatement | undefined;
    const body = stage.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type !== 'Call') {
        this.skip(statement);
        continue;
      }
      switch (statement.name) {
        case 'steps':
          steps = this.steps(statement);
          break;
        case 'agent':
          agent = this.agent(statement);
          break;
        case 'post':
          post = this.post(statement, 'PostStage');
          break;
        case 'when':
          when = this.when(statement);
          break;
        case 'tools':
          tools = this.tools(statement);
          break;
        case 'environment':
          environment = this.environment(statement);
          break;
        case 'options':
          options = this.options(statement, true);
          break;
        case 'input':
          input = this.input(statement, name);
          break;
        case 'stages':
          stages = this.stagesOf(statement, 'Stages', path);
          break;
        case 'parallel':
          parallel = this.stagesOf(statement, 'Parallel', path);
          break;
        case 'matrix':
          parallel = this.matrix(statement, path);
          break;
        case 'failFast':
          failFast ??= statement;
          this.skip(statement);
          break;
        default:
          this.skip(statement);
      }
    }
    this.line++;
    const failFastValue = failFast?.args.positional[0];
    const parts: Emit[] = [
      constant(name),
      steps ?? constant(null),
      agent ?? constant(null),
      post ?? constant(null),
      when ?? constant(null),
      tools ?? constant(null),
      environment ?? constant(null),
      constant(failFastValue?.type === 'Boolean' ? failFastValue.value : false),
      options ?? constant(null),
      input ?? constant(null),
      stages ?? constant(null),
      parallel ?? constant(null),
      constant(null),
    ];
    const emit = newInstance(-1, MODEL_CLASS.Stage, parts);
    return (m) => {
      const before = m.bytes;
      emit(m);
      cost.bytes += m.bytes - before;
      cost.method = m.name;
    };
  }

  /** `Utils.createStepsBlock({ steps })`: the steps closure is the user's, with its own line. */
  private steps(steps: CallStatement): Emit {
    const line = this.at(steps);
    this.line++;
    const body = this.stepsClosure(line, steps.body ?? [], this.scope);
    this.line++;
    return staticCall(-1, UTILS, 'createStepsBlock', [body]);
  }

  private post(post: CallStatement | undefined, container: 'PostStage' | 'PostBuild'): Emit {
    if (!post) return constant(null);
    this.section(post);
    const entries: (readonly [Emit, Emit])[] = [];
    const conditions = post.body ?? NO_STATEMENTS;
    for (let i = 0; i < conditions.length; i++) {
      const condition = conditions[i]!;
      if (condition.type !== 'Call') {
        this.skip(condition);
        continue;
      }
      const line = this.at(condition);
      this.line++;
      const body = this.stepsClosure(line, condition.body ?? [], this.scope);
      this.line++;
      entries.push([constant(condition.name), staticCall(-1, UTILS, 'createStepsBlock', [body])]);
    }
    this.line++;
    if (entries.length === 0) return constant(null);
    return newInstance(-1, MODEL_CLASS[container], [map(entries)]);
  }

  /** `new Agent({ [label: 'x'] })`: the agent block as a (nested) map in a closure. */
  private agent(agent: CallStatement | undefined): Emit {
    if (!agent) return constant(null);
    this.at(agent);
    let value: Emit;
    if (agent.body) {
      this.line++;
      value = this.mappedClosure(agent.body);
      this.line++;
    } else {
      this.line++;
      const arg = agent.args.positional[0];
      const type = arg ? expressionText(arg) : 'any';
      value = map([[constant(type), constant(true)]]);
    }
    return newInstance(-1, MODEL_CLASS.Agent, [closure(-1, [returnStatement(value)])]);
  }

  private mappedClosure(body: Statement[]): Emit {
    const entries: (readonly [Emit, Emit])[] = [];
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type !== 'Call') {
        this.skip(statement);
        continue;
      }
      this.at(statement);
      const args = this.argumentCount(statement);
      if (statement.body && args === 0) {
        this.line++;
        entries.push([constant(statement.name), this.mappedClosure(statement.body)]);
        this.line++;
      } else {
        const line = this.line;
        this.advance(statement);
        if (args === 1) entries.push([constant(statement.name), this.singleArgument(statement.args, line)]);
      }
    }
    return map(entries);
  }

  private when(when: CallStatement): Emit {
    this.section(when);
    let beforeAgent = false;
    let beforeInput = false;
    let beforeOptions = false;
    const conditions: Emit[] = [];
    const body = when.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type === 'Call' && (statement.name === 'beforeAgent' || statement.name === 'beforeInput' || statement.name === 'beforeOptions')) {
        const arg = statement.args.positional[0];
        const value = arg?.type === 'Boolean' && arg.value;
        if (statement.name === 'beforeAgent') beforeAgent = value;
        else if (statement.name === 'beforeInput') beforeInput = value;
        else beforeOptions = value;
        this.advance(statement);
        continue;
      }
      const condition = this.whenCondition(statement);
      if (condition) conditions.push(condition);
    }
    this.line++;
    if (conditions.length === 0) return constant(null);
    return newInstance(-1, MODEL_CLASS.StageConditionals, [
      closure(-1, [returnStatement(list(conditions))]),
      constant(beforeAgent),
      constant(beforeInput),
      constant(beforeOptions),
    ]);
  }

  private whenCondition(statement: Statement): Emit | undefined {
    if (statement.type === 'GroovyBlock') {
      const line = this.at(statement);
      const body = groovyStatements(statement.source, line + 1, this.scope.child());
      this.advance(statement);
      return staticCall(-1, EXPRESSION_CONDITIONAL, 'instanceFromClosure', [closure(line, body)]);
    }
    if (statement.type !== 'Call') {
      this.skip(statement);
      return undefined;
    }
    const combining = COMBINING_CONDITIONS.get(statement.name);
    if (combining !== undefined) {
      this.section(statement);
      const children = (statement.body ?? []).map((c) => this.whenCondition(c)).filter((c): c is Emit => c !== undefined);
      this.line++;
      const value = combining === 1 && children.length === 1 ? children[0]! : list(children);
      return describable(statement.name, map([[constant(ANONYMOUS_KEY), value]]));
    }
    const line = this.line;
    this.advance(statement);
    return describable(statement.name, this.argsMap(statement.args, line));
  }

  private tools(tools: CallStatement | undefined): Emit {
    if (!tools) return constant(null);
    this.section(tools);
    const entries: (readonly [Emit, Emit])[] = [];
    const body = tools.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type !== 'Call') {
        this.skip(statement);
        continue;
      }
      const line = this.line;
      this.advance(statement);
      entries.push([constant(statement.name), closure(-1, [returnStatement(this.singleArgument(statement.args, line))])]);
    }
    this.line++;
    if (entries.length === 0) return constant(null);
    return newInstance(-1, MODEL_CLASS.Tools, [map(entries)]);
  }

  /** `new Environment(EnvironmentResolver.instanceFromMap([K: { 'v' }]), ...instanceFromMap([creds]))`. */
  private environment(environment: CallStatement | undefined): Emit {
    if (!environment) return constant(null);
    this.section(environment);
    const values: [string, Expression, number][] = [];
    const body = environment.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type === 'Assignment') values.push([statement.name, statement.value, this.at(statement)]);
      this.advance(statement);
    }
    this.line++;
    if (values.length === 0) return constant(null);
    return this.environmentFrom(values);
  }

  private environmentFrom(values: [string, Expression, number][]): Emit {
    const credential = (v: Expression) => v.type === 'CallExpression' && v.name === 'credentials';
    const keys = new Set(values.filter(([, v]) => !credential(v)).map(([k]) => k));
    const plain: (readonly [Emit, Emit])[] = [];
    const credentials: (readonly [Emit, Emit])[] = [];
    for (const [name, value, line] of values) {
      let inner = value;
      if (value.type === 'CallExpression' && credential(value) && value.args.positional.length === 1 && value.args.named.length === 0) inner = value.args.positional[0]!;
      const translated = this.environmentExpression(inner, line, name, keys);
      const entry = [constant(name), translated.closure ? translated.emit : closure(-1, [returnStatement(translated.emit)])] as const;
      (credential(value) ? credentials : plain).push(entry);
    }
    return newInstance(-1, MODEL_CLASS.Environment, [
      staticCall(-1, RESOLVER, 'instanceFromMap', [map(plain)]),
      staticCall(-1, RESOLVER, 'instanceFromMap', [map(credentials)]),
    ]);
  }

  /** translateEnvironmentValue: constants stay; names, `env.X`, GStrings and calls are rewritten (see groovy-source.ts). */
  private environmentExpression(value: Expression, line: number, target: string, keys: ReadonlySet<string>): { emit: Emit; closure: boolean } {
    switch (value.type) {
      case 'String':
      case 'Number':
      case 'Boolean':
      case 'Null':
        return { emit: this.expression(value, line), closure: false };
      case 'Raw':
        return environmentValue(value.source, line, target, keys, this.scope);
      case 'Identifier':
      case 'CallExpression':
      case 'List':
      case 'Map':
        try {
          return environmentValue(printedExpression(value), line, target, keys, this.scope);
        } catch {
          // a string no literal can hold (the printer refuses it too): cost the value as written
          return { emit: this.expression(value, line), closure: false };
        }
    }
  }

  private options(options: CallStatement | undefined, inStage: boolean): Emit {
    if (!options) return constant(null);
    this.section(options);
    const jobProperties: Emit[] = [];
    const declarative: (readonly [Emit, Emit])[] = [];
    const wrappers: (readonly [Emit, Emit])[] = [];
    const body = options.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type !== 'Call') {
        this.skip(statement);
        continue;
      }
      const line = this.line;
      this.advance(statement);
      if (!inStage && JOB_PROPERTIES.has(statement.name)) jobProperties.push(describable(statement.name, this.argsMap(statement.args, line)));
      else if (DECLARATIVE_OPTIONS.has(statement.name)) declarative.push([constant(statement.name), describable(statement.name, this.argsMap(statement.args, line))]);
      else {
        const args = this.groovyArguments(statement.args, line);
        wrappers.push([constant(statement.name), args.length === 1 ? args[0]! : args.length > 1 ? list(args) : constant(null)]);
      }
    }
    this.line++;
    if (jobProperties.length + declarative.length + wrappers.length === 0) return constant(null);
    return inStage
      ? newInstance(-1, MODEL_CLASS.StageOptions, [map(declarative), map(wrappers)])
      : newInstance(-1, MODEL_CLASS.Options, [list(jobProperties), map(declarative), map(wrappers)]);
  }

  private describableContainer(section: CallStatement | undefined, container: 'Triggers' | 'Parameters'): Emit {
    const items = this.describableList(section);
    return items ? newInstance(-1, MODEL_CLASS[container], [items]) : constant(null);
  }

  /** `[instantiateDescribable(...), ...]` for the calls of a triggers/parameters block; undefined when empty. */
  private describableList(section: CallStatement | undefined): Emit | undefined {
    if (!section) return undefined;
    this.section(section);
    const items: Emit[] = [];
    const body = section.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type !== 'Call') {
        this.skip(statement);
        continue;
      }
      const line = this.line;
      this.advance(statement);
      items.push(describable(statement.name, this.argsMap(statement.args, line)));
    }
    this.line++;
    return items.length === 0 ? undefined : list(items);
  }

  private libraries(section: CallStatement | undefined): Emit {
    if (!section) return constant(null);
    this.section(section);
    const items: Emit[] = [];
    const body = section.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      const line = this.line;
      this.advance(statement);
      if (statement.type === 'Call' && statement.args.positional[0]) items.push(this.expression(statement.args.positional[0], line));
    }
    this.line++;
    if (items.length === 0) return constant(null);
    return newInstance(-1, MODEL_CLASS.Libraries, [list(items)]);
  }

  private input(input: CallStatement, stageName: string): Emit {
    this.section(input);
    const values = new Map<string, Emit>();
    let parameters: Emit = constant(null);
    const body = input.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type !== 'Call') {
        this.skip(statement);
        continue;
      }
      if (statement.name === 'parameters') {
        parameters = this.describableList(statement) ?? constant(null);
        continue;
      }
      const line = this.line;
      this.advance(statement);
      values.set(statement.name, this.singleArgument(statement.args, line));
    }
    this.line++;
    const value = (key: string) => values.get(key) ?? constant(null);
    return newInstance(-1, MODEL_CLASS.StageInput, [
      value('message'),
      values.get('id') ?? constant(`input:${stageName}`), // Declarative uses the MD5 of the stage name
      value('ok'),
      value('submitter'),
      value('submitterParameter'),
      parameters,
    ]);
  }

  /** One synthetic Stage per matrix cell (agent/post/when/... repeated); the shared stages in one handle. */
  private matrix(matrix: CallStatement, path: string[]): Emit {
    this.section(matrix);
    const s = sections(matrix.body ?? []);
    let cells: [string, Expression][][] = [[]];
    for (const axis of s.get('axes')?.body ?? []) {
      if (axis.type !== 'Call' || axis.name !== 'axis') continue;
      const a = sections(axis.body ?? []);
      const axisName = a.get('name')?.args.positional[0];
      const values = a.get('values')?.args.positional ?? [];
      const next: [string, Expression][][] = [];
      for (const v of values) for (const cell of cells) next.push([...cell, [axisName ? expressionText(axisName) : '', v]]);
      cells = next;
    }
    for (const exclude of s.get('excludes')?.body ?? []) {
      if (exclude.type !== 'Call' || exclude.name !== 'exclude') continue;
      let excluded = [...cells];
      for (const axis of exclude.body ?? []) {
        if (axis.type !== 'Call' || axis.name !== 'axis') continue;
        const a = sections(axis.body ?? []);
        const axisName = expressionText(a.get('name')?.args.positional[0] ?? { type: 'Null' });
        const inverse = a.has('notValues');
        const values = new Set((a.get('values') ?? a.get('notValues'))?.args.positional.map(expressionText) ?? []);
        excluded = excluded.filter((cell) => {
          const v = cell.find(([k]) => k === axisName)?.[1];
          return !(!inverse !== values.has(v ? expressionText(v) : ''));
        });
      }
      cells = cells.filter((c) => !excluded.includes(c));
    }
    // Sections in print order; the cell-level ones are re-emitted per cell.
    let agent: CallStatement | undefined;
    let post: CallStatement | undefined;
    let when: CallStatement | undefined;
    let tools: CallStatement | undefined;
    let environment: CallStatement | undefined;
    let options: CallStatement | undefined;
    let input: CallStatement | undefined;
    let stages: Emit = constant(null);
    const sectionLines = new Map<CallStatement, number>();
    const body = matrix.body ?? NO_STATEMENTS;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type !== 'Call') {
        this.skip(statement);
        continue;
      }
      sectionLines.set(statement, this.line);
      if (statement.name === 'stages') {
        stages = this.stagesOf(statement, 'Stages', path);
        continue;
      }
      if (statement.name === 'agent') agent = statement;
      else if (statement.name === 'post') post = statement;
      else if (statement.name === 'when') when = statement;
      else if (statement.name === 'tools') tools = statement;
      else if (statement.name === 'environment') environment = statement;
      else if (statement.name === 'options') options = statement;
      else if (statement.name === 'input') input = statement;
      this.skip(statement);
    }
    this.line++;
    const handle = `__model__Closure_${this.handleCount++}__`;
    this.handles.push(binary(-1, dynamicVariable(-1, handle), closure(-1, [returnStatement(stages)])));
    const after = this.line;
    const cellStages: Emit[] = cells.map((cell) => {
      const name = `Matrix - ${cell.map(([k, v]) => `${k} = '${expressionText(v)}'`).join(', ')}`;
      const again = <T>(section: CallStatement | undefined, f: (s: CallStatement) => T, none: T): T => {
        if (!section) return none;
        this.line = sectionLines.get(section) ?? this.line;
        return f(section);
      };
      const emit = newInstance(-1, MODEL_CLASS.Stage, [
        constant(name),
        constant(null),
        again(agent, (x) => this.agent(x), constant(null)),
        again(post, (x) => this.post(x, 'PostStage'), constant(null)),
        again(when, (x) => this.when(x), constant(null)),
        again(tools, (x) => this.tools(x), constant(null)),
        again(environment, (x) => this.environment(x), constant(null)),
        constant(false),
        again(options, (x) => this.options(x, true), constant(null)),
        again(input, (x) => this.input(x, name), constant(null)),
        functionCall(-1, dynamicVariable(-1, handle), 'call', []),
        constant(null),
        this.environmentFrom(cell.map(([k, v]) => [k, v, -1])),
      ]);
      return emit;
    });
    this.line = after;
    return newInstance(-1, MODEL_CLASS.Matrix, [list(cellStages)]);
  }

  // ---------------------------------------------------------------- steps and values

  /**
   * `{ statements }` of steps (a steps block, a post condition): the closure and everything in
   * it recorded on one tape in a single walk (the walk meets the nodes in emission order), instead
   * of a closure per node.
   */
  private stepsClosure(line: number, body: Statement[], scope: Scope): Emit {
    const tape = new Tape();
    this.writeStepsClosure(tape, line, body, scope);
    return tape.toEmit();
  }

  /** {@link closure}`(line, statements)` of step statements, written on a tape. */
  private writeStepsClosure(tape: Tape, line: number, body: Statement[], scope: Scope): void {
    writeClosureHead(tape, line);
    tape.callSite(0); // the block; its arity once the statements are counted
    tape.callArity(this.writeStepStatements(tape, body, scope));
  }

  /** Statements inside a CPS closure (steps, post conditions, step blocks); returns how many nodes they are. */
  private writeStepStatements(tape: Tape, body: Statement[], scope: Scope): number {
    let count = 0;
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      const line = this.at(statement);
      switch (statement.type) {
        case 'Comment':
          this.line++;
          break;
        case 'Assignment':
          // binary(line, dynamicVariable(line, name), value)
          tape.callSite(3);
          tape.line(line);
          writeDynamicVariable(tape, line, statement.name);
          this.writeExpression(tape, statement.value, line);
          this.line++;
          count++;
          break;
        case 'GroovyBlock': {
          const inner = groovyStatements(statement.source, line + 1, scope.child());
          this.advance(statement);
          // functionCall(line, this, keyword, [closure(line, inner)])
          writeCallHead(tape, line, statement.keyword, 1);
          writeClosureHead(tape, line);
          tape.callSite(inner.length);
          for (let i = 0; i < inner.length; i++) tape.emit(inner[i]!);
          count++;
          break;
        }
        case 'Call': {
          // functionCall(line, this, name, [named map, ...positional, closure of the body])
          writeCallHead(tape, line, statement.name, this.argumentCount(statement) + (statement.body ? 1 : 0));
          this.writeArguments(tape, statement.args, line);
          if (statement.body) {
            this.line++;
            this.writeStepsClosure(tape, line, statement.body, scope);
            this.line++;
          } else this.advance(statement);
          count++;
          break;
        }
      }
    }
    return count;
  }

  /** A call's Groovy arguments: the named ones as one map first, then the positional ones. */
  private groovyArguments(args: Arguments, line: number): Emit[] {
    const out: Emit[] = [];
    if (args.named.length > 0) out.push(this.namedMap(args.named, line));
    const positional = args.positional;
    for (let i = 0; i < positional.length; i++) out.push(this.expression(positional[i]!, line));
    return out;
  }

  /** {@link groovyArguments} written on a tape. */
  private writeArguments(tape: Tape, args: Arguments, line: number): void {
    if (args.named.length > 0) this.writeNamedMap(tape, args.named, line);
    const positional = args.positional;
    for (let i = 0; i < positional.length; i++) this.writeExpression(tape, positional[i]!, line);
  }

  private namedMap(entries: MapEntry[], line: number): Emit {
    const tape = new Tape();
    this.writeNamedMap(tape, entries, line);
    return tape.toEmit();
  }

  /** `[key: value, ...]`: `b.map(constant(key), value, ...)`. */
  private writeNamedMap(tape: Tape, entries: MapEntry[], line: number): void {
    tape.callSite(2 * entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      tape.constant(e.key);
      this.writeExpression(tape, e.value, line);
    }
  }

  private singleArgument(args: Arguments, line: number): Emit {
    const all = this.groovyArguments(args, line);
    return all[0] ?? constant(null);
  }

  /** ASTParserUtils.argsMap: named arguments as entries, positional ones under `$$anonymous`; nested calls become describables. */
  private argsMap(args: Arguments, line: number): Emit {
    const entries: (readonly [Emit, Emit])[] = [];
    for (const e of args.named) entries.push([constant(e.key), this.describableValue(e.value, line)]);
    for (const p of args.positional) entries.push([constant(ANONYMOUS_KEY), this.describableValue(p, line)]);
    return map(entries);
  }

  private describableValue(value: Expression, line: number): Emit {
    if (value.type === 'CallExpression') return describable(value.name, this.argsMap(value.args, line));
    return this.expression(value, line);
  }

  /** A value as an Emit: constants as their shared emitters, anything larger recorded on a tape. */
  private expression(value: Expression, line: number): Emit {
    switch (value.type) {
      case 'String':
        return constant(value.value);
      case 'Number':
        return constant(Number(value.text));
      case 'Boolean':
        return constant(value.value);
      case 'Null':
        return constant(null);
      default: {
        const tape = new Tape();
        this.writeExpression(tape, value, line);
        return tape.toEmit();
      }
    }
  }

  private writeExpression(tape: Tape, value: Expression, line: number): void {
    switch (value.type) {
      case 'String':
        tape.constant(value.value);
        return;
      case 'Number':
        tape.constant(Number(value.text));
        return;
      case 'Boolean':
        tape.constant(value.value);
        return;
      case 'Null':
        tape.constant(null);
        return;
      case 'Identifier': {
        if (!value.name.includes('.')) {
          writeDynamicVariable(tape, line, value.name);
          return;
        }
        // `a.b.c`: property(property(a, 'b'), 'c'): the property nodes' heads, the base, then
        // each name (chains may be very long: loops, not recursion).
        const [first, ...rest] = value.name.split('.');
        for (let i = 0; i < rest.length; i++) {
          tape.callSite(4);
          tape.line(line);
        }
        writeDynamicVariable(tape, line, first!);
        for (let i = 0; i < rest.length; i++) {
          const name = rest[i]!;
          tape.constant(name);
          tape.rawBoolean();
        }
        return;
      }
      case 'List':
        tape.callSite(value.items.length);
        for (let i = 0; i < value.items.length; i++) this.writeExpression(tape, value.items[i]!, line);
        return;
      case 'Map':
        this.writeNamedMap(tape, value.entries, line);
        return;
      case 'CallExpression':
        writeCallHead(tape, line, value.name, (value.args.named.length > 0 ? 1 : 0) + value.args.positional.length);
        this.writeArguments(tape, value.args, line);
        return;
      case 'Raw':
        tape.emit(groovyExpression(value.source, line, this.scope));
        return;
    }
  }

  // ---------------------------------------------------------------- line keeping

  private argumentCount(call: CallStatement): number {
    return (call.args.named.length > 0 ? 1 : 0) + call.args.positional.length;
  }

  /** Opens a section: `name {` on its own line. */
  private section(section: CallStatement): void {
    this.at(section);
    this.line++;
  }

  /** Moves past a statement whose content is not costed here. */
  private skip(statement: Statement): void {
    this.at(statement);
    this.advance(statement);
  }

  /** Moves the line counter past a statement as the printer lays it out. */
  private advance(statement: Statement): void {
    switch (statement.type) {
      case 'Call':
        if (statement.body) {
          this.line++;
          for (let i = 0; i < statement.body.length; i++) {
            const s = statement.body[i]!;
            this.at(s);
            this.advance(s);
          }
          this.line++;
        } else this.line += 1 + multilineArguments(statement.args);
        return;
      case 'GroovyBlock':
        this.line += 3 + countLineFeeds(statement.source.trim());
        return;
      default:
        this.line++;
    }
  }
}

/** `CommonUtils.instantiateDescribable(Symbol.class, argsMap)`. */
function describable(symbol: string, args: Emit): Emit {
  let symbolClass = describableClasses.get(symbol);
  if (symbolClass === undefined) {
    if (describableClasses.size >= 1024) describableClasses.clear();
    describableClasses.set(symbol, (symbolClass = `describable/${symbol}`));
  }
  return staticCall(-1, COMMON_UTILS, 'instantiateDescribable', [classConstant(symbolClass), args]);
}

/** The head of `functionCall(line, this, name, args)` with `argumentCount` arguments to follow. */
function writeCallHead(tape: Tape, line: number, name: string, argumentCount: number): void {
  tape.callSite(4 + argumentCount);
  tape.line(line);
  tape.callSite(0); // javaThis
  tape.constant(name);
  tape.rawBoolean();
}

/** The head of `closure(line, statements)` without declared parameters, up to its block. */
function writeClosureHead(tape: Tape, line: number): void {
  tape.callSite(4);
  tape.line(line);
  tape.rawList('class', 'java/lang/Object', 1);
  tape.rawList('string', IMPLICIT_IT, 1);
  // the loop safepoint (see emitSafepointed)
  tape.callSite(2);
  tape.callSite(3);
  tape.line(line);
  tape.rawClass(SAFEPOINT_CLASS);
  tape.rawString('safepoint');
}

/** {@link dynamicVariable} written on a tape. */
function writeDynamicVariable(tape: Tape, line: number, name: string): void {
  tape.callSite(3);
  tape.line(line);
  tape.callSite(0); // javaThis
  tape.rawString(name);
}

const IMPLICIT_IT: readonly string[] = ['it'];
const SAFEPOINT_CLASS = 'org/jenkinsci/plugins/workflow/cps/Safepoint';

/** `describable/<symbol>` by symbol, each built once (see MODEL_CLASS); symbols are a small set of step and option names. */
const describableClasses = new Map<string, string>();

/** The statements of a section without a block (one shared empty list, not one per section). */
const NO_STATEMENTS: readonly Statement[] = [];

/** Lines a blockless statement's direct string arguments add (printed as `'''` literals). */
function multilineArguments(args: Arguments): number {
  let n = 0;
  const { positional, named } = args;
  for (let i = 0; i < positional.length; i++) {
    const value = positional[i]!;
    if (value.type === 'String') n += countLineFeeds(value.value);
  }
  for (let i = 0; i < named.length; i++) {
    const value = named[i]!.value;
    if (value.type === 'String') n += countLineFeeds(value.value);
  }
  return n;
}

function countLineFeeds(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The sections of a block by name (the first wins, as the parser rejects duplicates). */
function sections(body: Statement[]): Map<string, CallStatement> {
  const out = new Map<string, CallStatement>();
  for (let i = 0; i < body.length; i++) {
    const s = body[i]!;
    if (s.type === 'Call' && !out.has(s.name)) out.set(s.name, s);
  }
  return out;
}

/** Groovy text of a simple value (for re-parsing it as Declarative sees it). */
function printedExpression(e: Expression): string {
  switch (e.type) {
    case 'String':
      return groovyStringLiteral(e.value);
    case 'Number':
      return e.text;
    case 'Boolean':
      return String(e.value);
    case 'Null':
      return 'null';
    case 'Identifier':
      return e.name;
    case 'Raw':
      return e.source;
    case 'List':
      return `[${e.items.map(printedExpression).join(', ')}]`;
    case 'Map':
      return e.entries.length === 0 ? '[:]' : `[${e.entries.map((x) => `${groovyKeyLiteral(x.key)}: ${printedExpression(x.value)}`).join(', ')}]`;
    case 'CallExpression': {
      const args = [...e.args.named.map((x) => `${groovyKeyLiteral(x.key)}: ${printedExpression(x.value)}`), ...e.args.positional.map(printedExpression)];
      return `${e.name}(${args.join(', ')})`;
    }
  }
}

/** A value's text for names (stage names, axis values). */
function expressionText(e: Expression): string {
  switch (e.type) {
    case 'String':
      return e.value;
    case 'Number':
      return e.text;
    case 'Boolean':
      return String(e.value);
    case 'Identifier':
      return e.name;
    case 'Raw':
      return e.source;
    default:
      return '';
  }
}
