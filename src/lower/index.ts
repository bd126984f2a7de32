/**
 * Lowering: pipeline model → Jenkinsfile AST. Pure and deterministic: the same model always
 * gives the same tree, with sections in one fixed order, so generated files diff cleanly.
 *
 * Emission order (Jenkins accepts any order; this one reads top-down):
 * - pipeline: agent, libraries, parameters, triggers, options, tools, environment, stages, post.
 * - stage:    agent, when, tools, environment, options, input, failFast,
 *             steps | stages | parallel | matrix, post.
 * - matrix:   axes, excludes, agent, when, tools, environment, options, input, stages, post.
 * - options:  job properties (buildDiscarder, disableConcurrentBuilds, disableResume,
 *             disableRestartFromStage, durabilityHint, overrideIndexTriggers, preserveStashes,
 *             quietPeriod, parallelsAlwaysFailFast, skipStagesAfterUnstable, newContainerPerStage,
 *             skipDefaultCheckout, checkoutToSubdirectory), then the wrappers, outermost first:
 *             timeout, lock, retry, timestamps (Jenkins nests wrappers in source order, so the
 *             timeout covers waiting for the lock and every retry), then custom options as given.
 * - when:     beforeAgent, beforeInput, beforeOptions, then conditions in `WHEN_CONDITION_KEYS`.
 * - post:     conditions in `POST_CONDITIONS` order (the order Jenkins runs them in).
 * - named arguments and closure-map entries: in the model's field order.
 *
 * Typed delivery steps (`src/model/delivery.ts`) expand in place through `src/lower/delivery/`;
 * their `post` contributions (report archiving, rollback) are merged into the post block of the
 * enclosing stage (or of the pipeline, for steps in the pipeline's `post`), ahead of the author's
 * own post steps.
 *
 * Every string from the model becomes a `String` node (the printer owns escaping); raw Groovy
 * (`script`, `expression`, `{ $groovy }`) becomes a `GroovyBlock` or `Raw` node. Every statement
 * carries `origin`, the model path it came from.
 */
import {
  type Arguments,
  type CallExpression,
  type CallStatement,
  type Expression,
  type GroovyBlock,
  type JenkinsfileAst,
  type MapEntry,
  type Statement,
  block,
  bool,
  call,
  ident,
  named,
  noArgs,
  num,
  positional,
  str,
} from '../jenkinsfile/ast.ts';
import {
  type Agent,
  type CustomCall,
  type Environment,
  type GroovyValue,
  type Input,
  type Matrix,
  type Parameter,
  type PostCondition,
  type Stage,
  type Step,
  type Tools,
  type ValidPipeline,
  type WhenCondition,
  type When,
  POST_CONDITIONS,
  WHEN_CONDITION_KEYS,
} from '../model/schema.ts';
import type { DeliveryStepKind } from '../model/delivery.ts';
import {
  type PostContributions,
  isDeliveryStep,
  lowerDeliveryStep,
  mergePostContributions,
  postConditionsSetIn,
} from './delivery/index.ts';
import { generatorSnippetsMarked } from './delivery/jenkins.ts';
import { outlineGeneratorScripts } from './outline.ts';

/** A model path, as stored in `origin`. */
type Path = readonly (string | number)[];

/** Pipeline or stage options (stage options are a subset). */
export type AnyOptions = NonNullable<ValidPipeline['options']>;
/** A `post` section; step lists are checked by the schema (`Stage.post` is typed loosely). */
type AnyPost = Partial<Record<PostCondition, readonly unknown[]>>;

/** Lowers a schema-valid (and structurally checked) pipeline to a Jenkinsfile AST. */
export function lowerPipeline(pipeline: ValidPipeline): JenkinsfileAst {
  const snippetsBefore = generatorSnippetsMarked();
  const body: Statement[] = [lowerAgent(pipeline.agent, ['agent'])];
  if (pipeline.libraries) {
    body.push(block('libraries', pipeline.libraries.map((lib, i) => call('lib', positional(str(lib)), undefined, ['libraries', i])), ['libraries']));
  }
  if (pipeline.parameters) body.push(lowerParameters(pipeline.parameters, ['parameters']));
  if (pipeline.triggers) {
    const triggers = lowerTriggers(pipeline.triggers, ['triggers']);
    if (triggers.length > 0) body.push(block('triggers', triggers, ['triggers']));
  }
  pushOptions(body, pipeline.options, ['options']);
  if (pipeline.tools) body.push(lowerTools(pipeline.tools, ['tools']));
  if (pipeline.environment) body.push(lowerEnvironment(pipeline.environment, ['environment']));
  body.push(lowerStages(pipeline.stages, ['stages']));
  pushPost(body, pipeline.post, ['post']);
  const ast: JenkinsfileAst = { type: 'Jenkinsfile', pipeline: block('pipeline', body, []) };
  if (pipeline.groovyPrologue !== undefined) ast.prologue = pipeline.groovyPrologue;
  if (pipeline.groovyEpilogue !== undefined) ast.epilogue = pipeline.groovyEpilogue;
  // Jenkins' 64 KB method limit: the generator's own Groovy snippets become helper methods. A
  // lowering that marked none (no delivery step made one) has none to move: no walk of the tree.
  return generatorSnippetsMarked() === snippetsBefore ? ast : outlineGeneratorScripts(ast);
}

// ------------------------------------------------------------------------------- agent

/** `key value` statements of a closure map (`docker { image 'x'; reuseNode true }`), skipping undefined values. */
function closureMap(entries: readonly [string, string | number | boolean | undefined][], path: Path): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i]!;
    if (value !== undefined) out.push(call(key, positional(literal(value)), undefined, [...path, key]));
  }
  return out;
}

function literal(value: string | number | boolean): Expression {
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number') return num(value);
  return bool(value);
}

/** `agent any`, `agent { label 'x' }`, `agent { docker { image 'x' } }`, ... */
export function lowerAgent(agent: Agent, path: Path): CallStatement {
  if (agent === 'any' || agent === 'none') return call('agent', positional(ident(agent)), undefined, path);
  const inner = (name: string, entries: [string, string | number | boolean | undefined][]): CallStatement =>
    block('agent', [block(name, closureMap(entries, path), path)], path);
  switch (agent.type) {
    case 'label':
      if (agent.customWorkspace === undefined && agent.retries === undefined) {
        return block('agent', [call('label', positional(str(agent.label)), undefined, [...path, 'label'])], path);
      }
      return inner('node', [
        ['label', agent.label],
        ['customWorkspace', agent.customWorkspace],
        ['retries', agent.retries],
      ]);
    case 'node':
      return inner('node', [
        ['label', agent.label],
        ['customWorkspace', agent.customWorkspace],
        ['retries', agent.retries],
      ]);
    case 'docker':
      return inner('docker', [
        ['image', agent.image],
        ['alwaysPull', agent.alwaysPull],
        ...dockerCommon(agent),
      ]);
    case 'dockerfile': {
      const entries: [string, string | boolean | undefined][] = [
        ['filename', agent.filename],
        ['dir', agent.dir],
        ['additionalBuildArgs', agent.additionalBuildArgs],
        ...dockerCommon(agent),
      ];
      if (entries.every(([, value]) => value === undefined)) {
        return block('agent', [call('dockerfile', positional(bool(true)), undefined, path)], path);
      }
      return inner('dockerfile', entries);
    }
    case 'kubernetes':
      return inner('kubernetes', [
        ['yaml', agent.yaml],
        ['yamlFile', agent.yamlFile],
        ['cloud', agent.cloud],
        ['inheritFrom', agent.inheritFrom],
        ['defaultContainer', agent.defaultContainer],
        ['namespace', agent.namespace],
        ['label', agent.label],
        ['serviceAccount', agent.serviceAccount],
        ['nodeSelector', agent.nodeSelector],
        ['customWorkspace', agent.customWorkspace],
      ]);
    case 'custom':
      if (agent.block !== undefined) {
        const entries = Object.entries(agent.block).map(([key, value]) =>
          call(key, positional(lowerValue(value)), undefined, [...path, 'block', key]),
        );
        return block('agent', [block(agent.name, entries, path)], path);
      }
      return block('agent', [call(agent.name, agent.value === undefined ? noArgs() : positional(lowerValue(agent.value)), undefined, path)], path);
  }
}

function dockerCommon(agent: Extract<Agent, { type: 'docker' | 'dockerfile' }>): [string, string | boolean | undefined][] {
  return [
    ['label', agent.label],
    ['args', agent.args],
    ['customWorkspace', agent.customWorkspace],
    ['reuseNode', agent.reuseNode],
    ['registryUrl', agent.registryUrl],
    ['registryCredentialsId', agent.registryCredentialsId],
  ];
}

// ------------------------------------------------------------------------------- values

/** A model value as a Groovy expression: literals, lists, maps, and `{ $groovy }` as raw source. */
export function lowerValue(value: GroovyValue): Expression {
  if (value === null) return { type: 'Null' };
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number') return num(value);
  if (typeof value === 'boolean') return bool(value);
  if (Array.isArray(value)) return { type: 'List', items: (value as readonly GroovyValue[]).map(lowerValue) };
  const record = value as { readonly [key: string]: GroovyValue };
  if (isGroovyExpression(record)) return { type: 'Raw', source: record.$groovy };
  return { type: 'Map', entries: Object.entries(record).map(([key, v]): MapEntry => ({ key, value: lowerValue(v) })) };
}

function isGroovyExpression(value: object): value is { $groovy: string } {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$groovy' && typeof (value as { $groovy: unknown }).$groovy === 'string';
}

/** Arguments from a model `args`: an array gives positional arguments, an object named ones. */
function lowerArgs(args: CustomCall['args'] | readonly GroovyValue[] | undefined): Arguments {
  if (args === undefined) return noArgs();
  if (Array.isArray(args)) return positional(...(args as readonly GroovyValue[]).map(lowerValue));
  return named(Object.entries(args as Record<string, GroovyValue>).map(([key, value]) => [key, lowerValue(value)]));
}

/** Named arguments from model fields, skipping undefined ones, in the given order. */
function fields(entries: readonly [string, string | number | boolean | undefined][]): Arguments {
  // What named() gives for these entries, without the intermediate lists.
  const list: MapEntry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i]!;
    if (value !== undefined) list.push({ key, value: literal(value) });
  }
  return { positional: [], named: list };
}

// ------------------------------------------------------------------------------- environment, tools, parameters, triggers

/** `environment { NAME = 'value' ... }` */
export function lowerEnvironment(environment: Environment, path: Path): CallStatement {
  const assignments: Statement[] = Object.entries(environment).map(([name, value]) => {
    let expression: Expression;
    if (typeof value === 'object' && 'credentials' in value) {
      expression = { type: 'CallExpression', name: 'credentials', args: positional(str(value.credentials)) } satisfies CallExpression;
    } else if (typeof value === 'object') {
      expression = { type: 'Raw', source: value.$groovy };
    } else {
      expression = literal(value);
    }
    return { type: 'Assignment', name, value: expression, origin: [...path, name] };
  });
  return block('environment', assignments, path);
}

/** `tools { nodejs 'node-20' }` */
export function lowerTools(tools: Tools, path: Path): CallStatement {
  return block(
    'tools',
    Object.entries(tools).map(([type, version]) =>
      call(type, positional(typeof version === 'string' ? str(version) : { type: 'Raw', source: version.$groovy }), undefined, [...path, type]),
    ),
    path,
  );
}

/** `parameters { string(name: 'X', ...) ... }` */
export function lowerParameters(parameters: readonly Parameter[], path: Path): CallStatement {
  return block(
    'parameters',
    parameters.map((parameter, index) => lowerParameter(parameter, [...path, index])),
    path,
  );
}

function lowerParameter(parameter: Parameter, path: Path): CallStatement {
  switch (parameter.type) {
    case 'string':
      return call(
        'string',
        fields([
          ['name', parameter.name],
          ['defaultValue', parameter.defaultValue],
          ['description', parameter.description],
          ['trim', parameter.trim],
        ]),
        undefined,
        path,
      );
    case 'text':
    case 'booleanParam':
    case 'password':
      return call(
        parameter.type,
        fields([
          ['name', parameter.name],
          ['defaultValue', parameter.defaultValue],
          ['description', parameter.description],
        ]),
        undefined,
        path,
      );
    case 'choice':
      return call(
        'choice',
        named([
          ['name', str(parameter.name)],
          ['choices', { type: 'List', items: parameter.choices.map((choice) => str(choice)) }],
          ['description', parameter.description === undefined ? undefined : str(parameter.description)],
        ]),
        undefined,
        path,
      );
    case 'custom':
      return call(
        parameter.symbol,
        named([
          ['name', str(parameter.name)],
          ['description', parameter.description === undefined ? undefined : str(parameter.description)],
          ...Object.entries(parameter.args ?? {}).map(([key, value]): [string, Expression] => [key, lowerValue(value)]),
        ]),
        undefined,
        path,
      );
  }
}

/** The statements of `triggers { }` (empty when nothing is set). */
function lowerTriggers(triggers: NonNullable<ValidPipeline['triggers']>, path: Path): Statement[] {
  const out: Statement[] = [];
  if (triggers.cron !== undefined) out.push(call('cron', positional(str(triggers.cron)), undefined, [...path, 'cron']));
  if (triggers.pollSCM !== undefined) out.push(call('pollSCM', positional(str(triggers.pollSCM)), undefined, [...path, 'pollSCM']));
  if (triggers.upstream !== undefined) {
    const projects = triggers.upstream.upstreamProjects;
    out.push(
      call(
        'upstream',
        named([
          ['upstreamProjects', str(typeof projects === 'string' ? projects : projects.join(','))],
          ['threshold', ident(`hudson.model.Result.${triggers.upstream.threshold ?? 'SUCCESS'}`)],
        ]),
        undefined,
        [...path, 'upstream'],
      ),
    );
  }
  triggers.custom?.forEach((custom, index) => out.push(call(custom.name, lowerArgs(custom.args), undefined, [...path, 'custom', index])));
  return out;
}

// ------------------------------------------------------------------------------- options

function pushOptions(body: Statement[], options: AnyOptions | undefined, path: Path): void {
  if (!options) return;
  const statements = lowerOptions(options, path);
  // An options object that sets nothing is reported by checkStructure; never emit `options { }`.
  if (statements.length > 0) body.push(block('options', statements, path));
}

/**
 * The statements of an `options { }` section, in the fixed order documented at the top of this
 * file. `false` flags emit nothing. `checkStructure` judges "options can not be empty" and
 * "Duplicate option name" by {@link emittedBuiltInOptions}, which reads the same table.
 */
export function lowerOptions(options: AnyOptions, path: Path): CallStatement[] {
  const out: CallStatement[] = [];
  for (const option of builtInOptionsNamedIn(options)) {
    if (option.emits(options)) out.push(option.lower(options, [...path, option.name]));
  }
  options.custom?.forEach((custom, index) => out.push(call(custom.name, lowerArgs(custom.args), undefined, [...path, 'custom', index])));
  return out;
}

/**
 * The names of the built-in options `lowerOptions` emits for `options`, in emission order (each
 * name once: a built-in option's statement is named after its key). Custom options come after
 * them, one statement each. No statement is built.
 */
export function emittedBuiltInOptions(options: AnyOptions): string[] {
  const names: string[] = [];
  for (const option of builtInOptionsNamedIn(options)) if (option.emits(options)) names.push(option.name);
  return names;
}

/**
 * The built-in options whose key `options` has, in emission order: an option whose key is absent
 * never emits. An options object sets a few of the twenty-one, so its own keys are read instead
 * of asking each option (objects without Object.prototype: every option is asked, as before).
 */
function builtInOptionsNamedIn(options: AnyOptions): readonly BuiltInOption[] {
  if (Object.getPrototypeOf(options) !== Object.prototype) return BUILT_IN_OPTIONS;
  const named: BuiltInOption[] = [];
  for (const key in options) {
    const rank = BUILT_IN_OPTION_RANK[key];
    if (rank === undefined) continue;
    let at = named.length;
    while (at > 0 && BUILT_IN_OPTION_RANK[named[at - 1]!.name]! > rank) at--;
    named.splice(at, 0, BUILT_IN_OPTIONS[rank]!);
  }
  return named;
}

/** A built-in option: whether it emits a statement, and the statement (named `name`, at `at`). */
interface BuiltInOption {
  readonly name: keyof AnyOptions & string;
  readonly emits: (options: AnyOptions) => boolean;
  readonly lower: (options: AnyOptions, at: Path) => CallStatement;
}

/** A flag option: `name()` when `true`. */
function flagOption(name: keyof AnyOptions & string): BuiltInOption {
  return { name, emits: (options) => options[name] === true, lower: (_options, at) => call(name, noArgs(), undefined, at) };
}

/** The built-in options in emission order: job properties, then the wrappers, outermost first. */
const BUILT_IN_OPTIONS: readonly BuiltInOption[] = [
  {
    name: 'buildDiscarder',
    emits: (options) => Boolean(options.buildDiscarder),
    lower: (options, at) => {
      const d = options.buildDiscarder!;
      const asText = (n: number | undefined) => (n === undefined ? undefined : String(n));
      const rotator: CallExpression = {
        type: 'CallExpression',
        name: 'logRotator',
        args: fields([
          ['numToKeepStr', asText(d.numToKeep)],
          ['daysToKeepStr', asText(d.daysToKeep)],
          ['artifactNumToKeepStr', asText(d.artifactNumToKeep)],
          ['artifactDaysToKeepStr', asText(d.artifactDaysToKeep)],
        ]),
      };
      return call('buildDiscarder', positional(rotator), undefined, at);
    },
  },
  {
    name: 'disableConcurrentBuilds',
    emits: (options) => options.disableConcurrentBuilds === true || typeof options.disableConcurrentBuilds === 'object',
    lower: (options, at) => {
      const concurrent = options.disableConcurrentBuilds;
      return typeof concurrent === 'object' && concurrent.abortPrevious
        ? call('disableConcurrentBuilds', named([['abortPrevious', bool(true)]]), undefined, at)
        : call('disableConcurrentBuilds', noArgs(), undefined, at);
    },
  },
  flagOption('disableResume'),
  flagOption('disableRestartFromStage'),
  {
    name: 'durabilityHint',
    emits: (options) => options.durabilityHint !== undefined,
    lower: (options, at) => call('durabilityHint', positional(str(options.durabilityHint!)), undefined, at),
  },
  // Not a flag: `overrideIndexTriggers(false)` means something.
  {
    name: 'overrideIndexTriggers',
    emits: (options) => options.overrideIndexTriggers !== undefined,
    lower: (options, at) => call('overrideIndexTriggers', positional(bool(options.overrideIndexTriggers!)), undefined, at),
  },
  {
    name: 'preserveStashes',
    emits: (options) => Boolean(options.preserveStashes),
    lower: (options, at) => {
      const count = options.preserveStashes!.buildCount;
      return call('preserveStashes', count === undefined ? noArgs() : named([['buildCount', num(count)]]), undefined, at);
    },
  },
  {
    name: 'quietPeriod',
    emits: (options) => options.quietPeriod !== undefined,
    lower: (options, at) => call('quietPeriod', positional(num(options.quietPeriod!)), undefined, at),
  },
  flagOption('parallelsAlwaysFailFast'),
  flagOption('skipStagesAfterUnstable'),
  flagOption('newContainerPerStage'),
  flagOption('skipDefaultCheckout'),
  {
    name: 'checkoutToSubdirectory',
    emits: (options) => options.checkoutToSubdirectory !== undefined,
    lower: (options, at) => call('checkoutToSubdirectory', positional(str(options.checkoutToSubdirectory!)), undefined, at),
  },
  { name: 'timeout', emits: (options) => Boolean(options.timeout), lower: (options, at) => call('timeout', timeoutArgs(options.timeout!), undefined, at) },
  { name: 'lock', emits: (options) => Boolean(options.lock), lower: (options, at) => call('lock', lockArgs(options.lock!), undefined, at) },
  {
    name: 'retry',
    emits: (options) => options.retry !== undefined,
    lower: (options, at) => call('retry', positional(num(options.retry!)), undefined, at),
  },
  flagOption('timestamps'),
];

/** Each built-in option's place in {@link BUILT_IN_OPTIONS}, by name; no prototype, so other names find nothing. */
const BUILT_IN_OPTION_RANK: Readonly<Record<string, number>> = (() => {
  const ranks: Record<string, number> = Object.create(null);
  for (let rank = 0; rank < BUILT_IN_OPTIONS.length; rank++) ranks[BUILT_IN_OPTIONS[rank]!.name] = rank;
  return ranks;
})();

/**
 * `timeout(30)` when the unit is minutes (its default) and `activity` is unset: `time` is the
 * step's single required parameter, and the short form costs two Groovy nodes fewer in the
 * pipeline's one method (64 KB budget, docs/limits.md).
 */
function timeoutArgs(timeout: { time: number; unit?: string | undefined; activity?: boolean | undefined }): Arguments {
  if ((timeout.unit === undefined || timeout.unit === 'MINUTES') && timeout.activity === undefined) return positional(num(timeout.time));
  return fields([
    ['time', timeout.time],
    ['unit', timeout.unit ?? 'MINUTES'],
    ['activity', timeout.activity],
  ]);
}

function lockArgs(lock: {
  resource?: string | undefined;
  label?: string | undefined;
  quantity?: number | undefined;
  inversePrecedence?: boolean | undefined;
}): Arguments {
  return fields([
    ['resource', lock.resource],
    ['label', lock.label],
    ['quantity', lock.quantity],
    ['inversePrecedence', lock.inversePrecedence],
  ]);
}

// ------------------------------------------------------------------------------- stages

function lowerStages(stages: readonly Stage[], path: Path, keyword = 'stages'): CallStatement {
  return block(
    keyword,
    stages.map((stage, index) => lowerStage(stage, [...path, index])),
    path,
  );
}

/** `stage('name') { ... }` */
export function lowerStage(stage: Stage, path: Path): CallStatement {
  const body: Statement[] = [];
  pushStageDirectives(body, stage, path);
  if (stage.failFast !== undefined && (stage.parallel !== undefined || stage.matrix !== undefined)) {
    body.push(call('failFast', positional(bool(stage.failFast)), undefined, [...path, 'failFast']));
  }
  const contributions: PostContributions[] = [];
  if (stage.steps) body.push(lowerStepsBlock('steps', stage.steps, [...path, 'steps'], contributions));
  if (stage.stages) body.push(lowerStages(stage.stages, [...path, 'stages']));
  if (stage.parallel) body.push(lowerStages(stage.parallel, [...path, 'parallel'], 'parallel'));
  if (stage.matrix) body.push(lowerMatrix(stage.matrix, [...path, 'matrix']));
  pushPost(body, stage.post, [...path, 'post'], contributions);
  return call('stage', positional(str(stage.name)), body, path);
}

/** agent, when, tools, environment, options, input: shared by stages and matrices. */
function pushStageDirectives(
  body: Statement[],
  owner: Pick<Stage, 'agent' | 'when' | 'tools' | 'environment' | 'options' | 'input'>,
  path: Path,
): void {
  if (owner.agent !== undefined) body.push(lowerAgent(owner.agent, [...path, 'agent']));
  if (owner.when) body.push(lowerWhen(owner.when, [...path, 'when']));
  if (owner.tools) body.push(lowerTools(owner.tools, [...path, 'tools']));
  if (owner.environment) body.push(lowerEnvironment(owner.environment, [...path, 'environment']));
  pushOptions(body, owner.options as AnyOptions | undefined, [...path, 'options']);
  if (owner.input) body.push(lowerInput(owner.input, [...path, 'input']));
}

/** `matrix { axes { ... } excludes { ... } ... stages { ... } }` */
export function lowerMatrix(matrix: Matrix, path: Path): CallStatement {
  const axis = (a: { name: string; values?: string[] | undefined; notValues?: string[] | undefined }, axisPath: Path): CallStatement => {
    const statements: Statement[] = [call('name', positional(str(a.name)), undefined, [...axisPath, 'name'])];
    if (a.values) statements.push(call('values', positional(...a.values.map((v) => str(v))), undefined, [...axisPath, 'values']));
    if (a.notValues) statements.push(call('notValues', positional(...a.notValues.map((v) => str(v))), undefined, [...axisPath, 'notValues']));
    return block('axis', statements, axisPath);
  };
  const body: Statement[] = [
    block(
      'axes',
      matrix.axes.map((a, i) => axis(a, [...path, 'axes', i])),
      [...path, 'axes'],
    ),
  ];
  if (matrix.excludes) {
    body.push(
      block(
        'excludes',
        matrix.excludes.map((exclude, i) =>
          block(
            'exclude',
            exclude.axes.map((a, j) => axis(a, [...path, 'excludes', i, 'axes', j])),
            [...path, 'excludes', i],
          ),
        ),
        [...path, 'excludes'],
      ),
    );
  }
  pushStageDirectives(body, matrix, path);
  body.push(lowerStages(matrix.stages, [...path, 'stages']));
  pushPost(body, matrix.post, [...path, 'post']);
  return block('matrix', body, path);
}

/** `input { message '...'; ... parameters { ... } }` */
export function lowerInput(input: Input, path: Path): CallStatement {
  const submitter = input.submitter === undefined ? undefined : typeof input.submitter === 'string' ? input.submitter : input.submitter.join(',');
  const body = closureMap(
    [
      ['message', input.message],
      ['id', input.id],
      ['ok', input.ok],
      ['submitter', submitter],
      ['submitterParameter', input.submitterParameter],
    ],
    path,
  );
  if (input.parameters && input.parameters.length > 0) body.push(lowerParameters(input.parameters, [...path, 'parameters']));
  return block('input', body, path);
}

/**
 * `post { always { ... } ... }`, conditions in the order Jenkins runs them. Delivery steps in it
 * add their own post contributions to `contributions`.
 */
export function lowerPost(post: AnyPost, path: Path, contributions: PostContributions[] = []): CallStatement {
  const conditions = postConditionsSetIn(post);
  const body: Statement[] = [];
  for (const condition of conditions) body.push(lowerStepsBlock(condition, post[condition] as Step[], [...path, condition], contributions));
  return block('post', body, path);
}

/** Appends the owner's `post` block merged with the delivery steps' contributions, if there is anything to emit. */
function pushPost(body: Statement[], post: AnyPost | undefined, path: Path, contributions: PostContributions[] = []): void {
  const lowered = post ? lowerPost(post, path, contributions) : undefined;
  // Most stages have no delivery step with post contributions: nothing to merge.
  const merged = contributions.length === 0 ? lowered : mergePostContributions(lowered, contributions);
  if (merged) {
    if (merged.origin === undefined) merged.origin = path;
    body.push(merged);
  }
}

// ------------------------------------------------------------------------------- when

/** `when { beforeAgent true; branch 'main'; ... }` */
export function lowerWhen(when: When, path: Path): CallStatement {
  const body: Statement[] = [];
  for (const key of ['beforeAgent', 'beforeInput', 'beforeOptions'] as const) {
    const value = when[key];
    if (value !== undefined) body.push(call(key, positional(bool(value)), undefined, [...path, key]));
  }
  body.push(...liftAllOf(lowerConditions(when, path)));
  return block('when', body, path);
}

/**
 * The conditions of a `when` all have to hold, so an `allOf { a; b }` among them says the same as
 * `a; b` written directly in the `when`, in its place (Jenkins evaluates them in order and stops at
 * the first false one). Lifting them saves the `allOf` node, which Declarative instantiates as a
 * describable of its own in the pipeline's one method (~70 bytes of its 64 KB). The equivalence is
 * the one `pipewright import` accepts in its round-trip check (src/import/compare.ts, rule 5). Not
 * lifted when a condition name would then appear twice in the `when`.
 */
function liftAllOf(conditions: Statement[]): Statement[] {
  let anyLiftable = false;
  for (let i = 0; !anyLiftable && i < conditions.length; i++) anyLiftable = isLiftable(conditions[i]!);
  if (!anyLiftable) return conditions;
  const lifted = conditions.flatMap((condition) => {
    if (!isLiftable(condition)) return [condition];
    const children = condition.body ?? [];
    for (const child of children) if (child.origin === undefined && condition.origin !== undefined) child.origin = condition.origin;
    return children;
  });
  const names = lifted.map((c) => (c.type === 'Call' ? c.name : c.type === 'GroovyBlock' ? c.keyword : c.type));
  return new Set(names).size === names.length ? lifted : conditions;
}

/** An `allOf { ... }` with conditions and no arguments, which {@link liftAllOf} may lift into its `when`. */
function isLiftable(s: Statement): s is CallStatement {
  return s.type === 'Call' && s.name === 'allOf' && (s.body?.length ?? 0) > 0 && s.args.positional.length === 0 && s.args.named.length === 0;
}

/** The condition statements of one condition object, in `WHEN_CONDITION_KEYS` order. */
function lowerConditions(condition: WhenCondition, path: Path): Statement[] {
  const keys = conditionKeys(condition);
  const out: Statement[] = [];
  for (let i = 0; i < keys.length; i++) out.push(lowerCondition(condition, keys[i]!, [...path, keys[i]!]));
  return out;
}

type ConditionKey = (typeof WHEN_CONDITION_KEYS)[number];

/**
 * The keys of `condition` that are set, in `WHEN_CONDITION_KEYS` order. A condition object sets
 * one or two of the fourteen keys, and `when` objects are among the most numerous of a fleet's
 * values: its own keys are read (one enumeration) instead of looking up all fourteen names.
 */
function conditionKeys(condition: WhenCondition): ConditionKey[] {
  // A value from another realm or with a prototype of its own: every name is looked up, as read.
  if (Object.getPrototypeOf(condition) !== Object.prototype) return WHEN_CONDITION_KEYS.filter((key) => condition[key] !== undefined);
  const keys: ConditionKey[] = [];
  for (const key in condition) {
    if (WHEN_CONDITION_RANK[key] === undefined || condition[key as ConditionKey] === undefined) continue;
    // Insertion into the few keys found so far, by rank.
    let at = keys.length;
    while (at > 0 && WHEN_CONDITION_RANK[keys[at - 1]!]! > WHEN_CONDITION_RANK[key]!) at--;
    keys.splice(at, 0, key as ConditionKey);
  }
  return keys;
}

/** Each condition key's place in `WHEN_CONDITION_KEYS`; no prototype, so other names find nothing. */
const WHEN_CONDITION_RANK: Readonly<Record<string, number>> = (() => {
  const ranks: Record<string, number> = Object.create(null);
  for (let rank = 0; rank < WHEN_CONDITION_KEYS.length; rank++) ranks[WHEN_CONDITION_KEYS[rank]!] = rank;
  return ranks;
})();

/**
 * One condition object as ONE condition statement: itself when it holds one condition, else
 * `allOf { ... }` (an object's conditions must all hold). `not` and `anyOf` children need this.
 */
function lowerSingleCondition(condition: WhenCondition, path: Path): Statement {
  const statements = lowerConditions(condition, path);
  return statements.length === 1 ? statements[0]! : block('allOf', statements, path);
}

function patternArgs(value: string | { pattern: string; comparator?: string | undefined; caseSensitive?: boolean | undefined }): Arguments {
  if (typeof value === 'string') return positional(str(value));
  return fields([
    ['pattern', value.pattern],
    ['comparator', value.comparator],
    ['caseSensitive', value.caseSensitive],
  ]);
}

function lowerCondition(condition: WhenCondition, key: (typeof WHEN_CONDITION_KEYS)[number], path: Path): Statement {
  switch (key) {
    case 'branch':
    case 'tag':
    case 'changeset':
      return call(key, patternArgs(condition[key]!), undefined, path);
    case 'buildingTag':
    case 'isRestartedRun':
      return call(key, noArgs(), undefined, path);
    case 'changelog':
      return call(key, positional(str(condition.changelog!)), undefined, path);
    case 'changeRequest': {
      const value = condition.changeRequest!;
      if (value === true) return call(key, noArgs(), undefined, path);
      return call(key, fields(Object.entries(value)), undefined, path);
    }
    case 'environment': {
      const env = condition.environment!;
      return call(
        key,
        fields([
          ['name', env.name],
          ['value', env.value],
          ['ignoreCase', env.ignoreCase],
        ]),
        undefined,
        path,
      );
    }
    case 'equals': {
      const equals = condition.equals!;
      return call(
        key,
        named([
          ['expected', lowerValue(equals.expected)],
          ['actual', lowerValue(equals.actual)],
        ]),
        undefined,
        path,
      );
    }
    case 'expression':
      return { type: 'GroovyBlock', keyword: 'expression', source: condition.expression!, origin: path } satisfies GroovyBlock;
    case 'triggeredBy': {
      const value = condition.triggeredBy!;
      if (typeof value === 'string') return call(key, positional(str(value)), undefined, path);
      return call(
        key,
        fields([
          ['cause', value.cause],
          ['detail', value.detail],
        ]),
        undefined,
        path,
      );
    }
    case 'allOf': {
      // Every child's conditions must hold: list them all directly.
      const children = condition.allOf!;
      const statements: Statement[] = [];
      for (let i = 0; i < children.length; i++) for (const statement of lowerConditions(children[i]!, [...path, i])) statements.push(statement);
      return block(key, statements, path);
    }
    case 'anyOf':
      return block(
        key,
        condition.anyOf!.map((child, i) => lowerSingleCondition(child, [...path, i])),
        path,
      );
    case 'not':
      return block(key, [lowerSingleCondition(condition.not!, path)], path);
  }
}

// ------------------------------------------------------------------------------- steps

function lowerStepsBlock(name: string, steps: readonly Step[], path: Path, contributions: PostContributions[]): CallStatement {
  return block(name, lowerSteps(steps, path, contributions), path);
}

/**
 * A list of steps as statements. A delivery step may expand to several statements; its post
 * contributions are appended to `contributions` for the enclosing stage.
 */
export function lowerSteps(steps: readonly Step[], path: Path, contributions: PostContributions[] = []): Statement[] {
  const out: Statement[] = [];
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]!;
    const stepPath = [...path, index];
    if (isDeliveryStep(step)) {
      const lowered = lowerDeliveryStep(step, { origin: stepPath });
      if (lowered.post) contributions.push(lowered.post);
      for (const statement of lowered.steps) out.push(statement);
    } else {
      out.push(lowerStep(step, stepPath, contributions));
    }
  }
  return out;
}

/** A built-in (non-delivery) step. */
type BuiltInStep = Exclude<Step, { step: DeliveryStepKind }>;
type BuiltInStepKind = BuiltInStep['step'];
/** Lowers one kind of built-in step at `path`; nested step lists add their post contributions to `contributions`. */
type StepLowering<K extends BuiltInStepKind> = (step: Extract<BuiltInStep, { step: K }>, path: Path, contributions: PostContributions[]) => Statement;

/** One built-in (non-delivery) step as a statement. */
export function lowerStep(step: BuiltInStep, path: Path, contributions: PostContributions[] = []): Statement {
  const lower = Object.hasOwn(STEP_LOWERINGS, step.step) ? (STEP_LOWERINGS[step.step] as StepLowering<BuiltInStepKind>) : undefined;
  if (lower === undefined) throw new Error(`cannot lower step ${JSON.stringify(step)}`);
  return lower(step, path, contributions);
}

/** The statements of a wrapper step's own `steps`, at `[...path, 'steps']`. */
const nestedSteps = (steps: readonly Step[], path: Path, contributions: PostContributions[]): Statement[] =>
  lowerSteps(steps, [...path, 'steps'], contributions);

/**
 * The lowering of each built-in step kind, one function each rather than one switch: a fleet uses
 * a few kinds, and only those get hot and optimised, each as a small function.
 */
const STEP_LOWERINGS: { readonly [K in BuiltInStepKind]: StepLowering<K> } = {
  sh: (step, path) => {
    if (step.label === undefined && step.returnStatus === undefined) return call('sh', positional(str(step.script)), undefined, path);
    return call(
      'sh',
      fields([
        ['script', step.script],
        ['label', step.label],
        ['returnStatus', step.returnStatus],
      ]),
      undefined,
      path,
    );
  },
  echo: (step, path) => call('echo', positional(str(step.message)), undefined, path),
  checkout: (_step, path) => call('checkout', positional(ident('scm')), undefined, path),
  git: (step, path) =>
    call(
      'git',
      fields([
        ['url', step.url],
        ['branch', step.branch],
        ['credentialsId', step.credentialsId],
        ['changelog', step.changelog],
        ['poll', step.poll],
      ]),
      undefined,
      path,
    ),
  junit: (step, path) =>
    soleOrNamed('junit', path, [
      ['testResults', step.testResults],
      ['allowEmptyResults', step.allowEmptyResults],
      ['keepLongStdio', step.keepLongStdio],
      ['skipPublishingChecks', step.skipPublishingChecks],
    ]),
  archiveArtifacts: (step, path) =>
    soleOrNamed('archiveArtifacts', path, [
      ['artifacts', step.artifacts],
      ['excludes', step.excludes],
      ['allowEmptyArchive', step.allowEmptyArchive],
      ['fingerprint', step.fingerprint],
      ['onlyIfSuccessful', step.onlyIfSuccessful],
    ]),
  stash: (step, path) =>
    soleOrNamed('stash', path, [
      ['name', step.name],
      ['includes', step.includes],
      ['excludes', step.excludes],
      ['allowEmpty', step.allowEmpty],
      ['useDefaultExcludes', step.useDefaultExcludes],
    ]),
  unstash: (step, path) => call('unstash', positional(str(step.name)), undefined, path),
  dir: (step, path, contributions) => call('dir', positional(str(step.path)), nestedSteps(step.steps, path, contributions), path),
  withCredentials: (step, path, contributions) => {
    const bindings: Expression[] = step.bindings.map((binding): CallExpression => {
      const { type, ...rest } = binding;
      return { type: 'CallExpression', name: type, args: fields(Object.entries(rest)) };
    });
    return call('withCredentials', positional({ type: 'List', items: bindings }), nestedSteps(step.steps, path, contributions), path);
  },
  timeout: (step, path, contributions) => call('timeout', timeoutArgs(step), nestedSteps(step.steps, path, contributions), path),
  retry: (step, path, contributions) => call('retry', positional(num(step.count)), nestedSteps(step.steps, path, contributions), path),
  lock: (step, path, contributions) => call('lock', lockArgs(step), nestedSteps(step.steps, path, contributions), path),
  script: (step, path) => ({ type: 'GroovyBlock', keyword: 'script', source: step.groovy, origin: path }) satisfies GroovyBlock,
  step: (step, path, contributions) =>
    call(step.name, lowerArgs(step.args), step.body && lowerSteps(step.body, [...path, 'body'], contributions), path),
};

/** `name 'first'` when only the first (required) field is set, else `name first: '...', ...`. */
function soleOrNamed(name: string, path: Path, entries: [string, string | number | boolean | undefined][]): CallStatement {
  const first = entries[0]?.[1];
  let onlyFirst = first !== undefined;
  for (let i = 1; onlyFirst && i < entries.length; i++) if (entries[i]![1] !== undefined) onlyFirst = false;
  if (onlyFirst) return call(name, positional(literal(first!)), undefined, path);
  return call(name, fields(entries), undefined, path);
}
