/**
 * Structural rules: what Jenkins' declarative parser and validator (pipeline-model-definition)
 * reject in a pipeline whose fields are individually well-typed, plus the few things that would
 * make the generated Groovy itself break (raw Groovy that closes its block early, `\u` escapes,
 * U+FFFF, reserved words). Messages are Jenkins' own text wherever Jenkins has one, so a search
 * for the message finds the Jenkins documentation and issues.
 *
 * Runs on a schema-valid pipeline (see `validateSchema`); every diagnostic is an error with a
 * `path` to the offending property, except PW3035 (a warning).
 */
import type { Diagnostic, ModelPath } from '../diagnostics.ts';
import type {
  Agent,
  Environment,
  Input,
  Matrix,
  Parameter,
  Stage,
  Step,
  Tools,
  ValidPipeline,
  When,
  WhenCondition,
} from '../model/schema.ts';
import { POST_CONDITIONS, type PostCondition } from '../model/schema.ts';
import { quoteBrief } from './describe.ts';
import { findUnicodeEscapes, scanGroovy, type GroovyEmbedding } from './groovy-scan.ts';
import { type AnyOptions, emittedBuiltInOptions } from '../lower/index.ts';
import { fitsStringConstant, MAX_STRING_CONSTANT_BYTES, modifiedUtf8Length, stringTooLongMessage } from '../jenkinsfile/groovy-literal.ts';
import { lexGroovy, SourceText } from '../jenkinsfile/groovy-lexer.ts';

/** One structural rule, for the docs. */
export interface StructureRule {
  /** Diagnostic code, `PW3xxx`. */
  code: string;
  /** Short kebab-case name. */
  id: string;
  /** What the rule checks, in a sentence. */
  summary: string;
  /** The message (with `<placeholders>`), verbatim from Jenkins when `source` is `jenkins`. */
  message: string;
  /** `jenkins`: Jenkins rejects this too (same text); `pipewright`: our own guard for the generated Groovy or policy. */
  source: 'jenkins' | 'pipewright';
}

/** Every rule {@link checkStructure} enforces, in code order. */
export const STRUCTURE_RULES = [
  {
    code: 'PW3001',
    id: 'duplicate-stage-name',
    summary: 'Sibling stages (in one stages, parallel or matrix block) have distinct names.',
    message: 'Duplicate stage name: "<name>"',
    source: 'jenkins',
  },
  {
    code: 'PW3002',
    id: 'stage-without-content',
    summary: 'A stage has steps, stages, parallel or matrix.',
    message: 'Expected one of "steps", "stages", or "parallel" for stage "<name>"',
    source: 'jenkins',
  },
  {
    code: 'PW3003',
    id: 'stage-with-several-contents',
    summary: 'A stage has only one of steps, stages, parallel and matrix.',
    message: 'Only one of "matrix", "parallel", "stages", or "steps" allowed for stage "<name>"',
    source: 'jenkins',
  },
  {
    code: 'PW3004',
    id: 'agent-or-tools-on-parallel-stage',
    summary: 'A stage that contains parallel or matrix stages has no agent or tools of its own.',
    message: '"agent" is not allowed in stage "<name>" as it contains parallel or matrix stages (also "tools")',
    source: 'jenkins',
  },
  {
    code: 'PW3005',
    id: 'nested-parallel',
    summary: 'No parallel or matrix at any depth inside a parallel or matrix branch.',
    message: '"matrix" or "parallel" cannot be nested inside another "matrix" or "parallel".',
    source: 'jenkins',
  },
  {
    code: 'PW3006',
    id: 'no-steps',
    summary: 'Step lists are not empty: stage steps, post conditions and the bodies of block steps.',
    message: 'No steps specified for branch',
    source: 'jenkins',
  },
  {
    code: 'PW3007',
    id: 'no-stages',
    summary: 'Stage lists are not empty: pipeline stages, nested stages, parallel and matrix stages.',
    message: 'No stages specified',
    source: 'jenkins',
  },
  {
    code: 'PW3008',
    id: 'environment-identifier',
    summary: 'Environment variable and matrix axis names are identifiers ([A-Za-z_][A-Za-z0-9_]*).',
    message:
      '"<name>" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.',
    source: 'jenkins',
  },
  {
    code: 'PW3009',
    id: 'empty-environment',
    summary: 'An environment section has at least one variable.',
    message: 'No variables specified for environment',
    source: 'jenkins',
  },
  {
    code: 'PW3010',
    id: 'empty-section',
    summary:
      'post, options, parameters, triggers and libraries are not empty (options and triggers that set nothing, e.g. only `false` flags, count as empty).',
    message: '<post|options|parameters|triggers|libraries> can not be empty',
    source: 'jenkins',
  },
  {
    code: 'PW3011',
    id: 'empty-tools',
    summary: 'A tools section names at least one tool.',
    message: 'No tools specified',
    source: 'jenkins',
  },
  {
    code: 'PW3012',
    id: 'input-message',
    summary: 'An input has a non-blank message.',
    message: 'No message specified for input',
    source: 'jenkins',
  },
  {
    code: 'PW3013',
    id: 'no-axes',
    summary: 'A matrix, and each of its excludes, has at least one axis.',
    message: 'No axis directives specified',
    source: 'jenkins',
  },
  {
    code: 'PW3014',
    id: 'no-excludes',
    summary: 'A matrix excludes list is not empty.',
    message: 'No exclude directives specified',
    source: 'jenkins',
  },
  {
    code: 'PW3015',
    id: 'duplicate-axis-name',
    summary: 'Axis names are unique within a matrix and within each exclude.',
    message: 'Duplicate axis name: "<name>"',
    source: 'jenkins',
  },
  {
    code: 'PW3016',
    id: 'duplicate-axis-value',
    summary: 'Values are unique within an axis (and within an exclude axis).',
    message: 'Duplicate axis value: "<value>"',
    source: 'jenkins',
  },
  {
    code: 'PW3017',
    id: 'exclude-axis-values',
    summary: 'An exclude axis has exactly one of values and notValues.',
    message: 'Exclude axis must contain either "values" or "notValues"',
    source: 'jenkins',
  },
  {
    code: 'PW3018',
    id: 'exclude-unknown-axis',
    summary: 'An exclude axis names an axis of its matrix.',
    message: 'Exclude axis "<name>" is not an axis of this matrix; the axes are <names>',
    source: 'pipewright',
  },
  {
    code: 'PW3019',
    id: 'duplicate-parameter-name',
    summary: 'Parameter names are unique (pipeline parameters; input parameters).',
    message: 'Duplicate parameter name: "<name>"',
    source: 'pipewright',
  },
  {
    code: 'PW3020',
    id: 'tool-type',
    summary: 'Tool types are identifiers (they are emitted as method names).',
    message: 'Invalid tool type "<type>": a tool type is a symbol such as "maven" or "nodejs"',
    source: 'pipewright',
  },
  {
    code: 'PW3021',
    id: 'fail-fast-without-parallel',
    summary: 'failFast is only set on stages with parallel or matrix.',
    message: '"failFast" is not allowed in stage "<name>" as it contains no parallel or matrix stages',
    source: 'pipewright',
  },
  {
    code: 'PW3022',
    id: 'return-status-reason',
    summary: 'sh with returnStatus: true (which swallows failures) explains why in returnStatusReason (at least 10 characters).',
    message: '"sh" with returnStatus: true needs a returnStatusReason of at least 10 characters saying why a failure may be ignored',
    source: 'pipewright',
  },
  {
    code: 'PW3023',
    id: 'raw-groovy-structure',
    summary:
      'Raw Groovy (script bodies, when expressions, $groovy values) has balanced brackets and terminated strings and comments, so it cannot close the generated block early; a $groovy value is one expression (no // comment, no top-level newline, "," or ";").',
    message: '<where>: <problem> (line <l>, column <c>)',
    source: 'pipewright',
  },
  {
    code: 'PW3024',
    id: 'raw-groovy-unicode-escape',
    summary: 'Raw Groovy contains no \\u escapes: Groovy translates them before parsing, so they can change the code.',
    message: '<where>: "\\uXXXX" at line <l>, column <c> is translated by Groovy before parsing and can change the code; write the character itself',
    source: 'pipewright',
  },
  {
    code: 'PW3025',
    id: 'no-uffff',
    summary: 'No string contains U+FFFF, which Groovy 2.4 reads as the end of the file.',
    message: 'U+FFFF cannot appear in a Jenkinsfile: Groovy 2.4 reads it as the end of the file',
    source: 'pipewright',
  },
  {
    code: 'PW3026',
    id: 'blocked-step',
    summary: 'Generic steps are not stage, properties or parallel, which declarative pipelines block.',
    message: 'Invalid step "<name>" used - not allowed in this context - <reason>',
    source: 'jenkins',
  },
  {
    code: 'PW3027',
    id: 'job-property-in-options',
    summary: 'Custom options are not the parameters or triggers job properties.',
    message: 'The "parameters" job property cant be used in the "options" directive. Use the "parameters {...}" directive instead.',
    source: 'jenkins',
  },
  {
    code: 'PW3028',
    id: 'duplicate-option',
    summary: 'An option appears once per options section (custom options included).',
    message: 'Duplicate option name: "<name>"',
    source: 'jenkins',
  },
  {
    code: 'PW3029',
    id: 'reserved-word',
    summary:
      'Names emitted as Groovy identifiers (environment variables, tool types, step and option names) are not Groovy reserved words.',
    message: '"<word>" is a reserved word in Groovy and cannot be used as <what>',
    source: 'pipewright',
  },
  {
    code: 'PW3030',
    id: 'dockerfile-filename',
    summary: 'A dockerfile agent filename has no directory separators (use `dir` for the directory).',
    message: 'Dockerfile filename cannot contain directory separators.',
    source: 'jenkins',
  },
  {
    code: 'PW3031',
    id: 'lock-target',
    summary: 'A lock (option or step) names exactly one of resource and label.',
    message: '"lock" needs either a "resource" or a "label", not both',
    source: 'pipewright',
  },
  {
    code: 'PW3032',
    id: 'stage-name',
    summary: 'Stage names are not blank.',
    message: 'Stage name must not be blank',
    source: 'pipewright',
  },
  {
    code: 'PW3033',
    id: 'output-path',
    summary: 'The output path is a relative path inside the project, with "/" separators and no "." or ".." segments.',
    message: '"output" must be a relative file path inside the project: <problem>',
    source: 'pipewright',
  },
  {
    code: 'PW3034',
    id: 'string-too-long',
    summary:
      'No string (value, key, or string literal inside raw Groovy) is longer than 65,535 bytes in UTF-8 as Java counts it: Groovy cannot make a class-file constant of it, and Jenkins fails to compile the Jenkinsfile.',
    message:
      'this string is <n> bytes in UTF-8 as Java counts it, more than the 65535 a Groovy string constant can hold: Jenkins would fail to compile the Jenkinsfile ("String too long"); put the text in a file in the repository (e.g. a script run with sh) or split it',
    source: 'pipewright',
  },
  {
    code: 'PW3035',
    id: 'label-with-variable',
    summary: 'A warning: an sh label contains "$VAR" or "${VAR}", which Jenkins shows literally (labels are not expanded by the shell).',
    message:
      'a step label is shown as written, not expanded by the shell: "<$VAR>" will appear literally in the Jenkins UI; leave it out (a matrix cell\'s axis values are shown with its stages)',
    source: 'pipewright',
  },
] as const satisfies readonly StructureRule[];

type RuleCode = (typeof STRUCTURE_RULES)[number]['code'];

/**
 * Checks every structural rule in {@link STRUCTURE_RULES} on a schema-valid pipeline. Returns the
 * violations in model order (an empty array when the pipeline is fine).
 */
export function checkStructure(pipeline: ValidPipeline): Diagnostic[] {
  const checker = new StructureChecker();
  checker.pipeline(pipeline);
  return checker.diagnostics;
}

/** Groovy 2.4 words that cannot be used as a method name or assignment target (checked with the real parser). */
export const GROOVY_RESERVED_WORDS: ReadonlySet<string> = new Set([
  'abstract', 'as', 'assert', 'boolean', 'break', 'byte', 'case', 'catch', 'char', 'class', 'const', 'continue',
  'def', 'default', 'do', 'double', 'else', 'enum', 'extends', 'false', 'final', 'finally', 'float', 'for', 'goto',
  'if', 'implements', 'import', 'in', 'instanceof', 'int', 'interface', 'long', 'native', 'new', 'null', 'package',
  'private', 'protected', 'public', 'return', 'short', 'static', 'strictfp', 'super', 'switch', 'synchronized',
  'this', 'threadsafe', 'throw', 'throws', 'trait', 'transient', 'true', 'try', 'void', 'volatile', 'while',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Steps declarative pipelines refuse, with Jenkins' reason (`BlockedStepsAndMethodCalls`). */
const BLOCKED_STEPS: Readonly<Record<string, string>> = {
  stage: 'The stage step cannot be used in Declarative Pipelines',
  properties: 'The properties step cannot be used in Declarative Pipelines',
  parallel: 'The parallel step can only be used as the only top-level step in a stages step block',
};

/** Option names Jenkins refuses in `options`, with the directive to use instead. */
const JOB_PROPERTIES_IN_OPTIONS: Readonly<Record<string, string>> = {
  parameters: 'parameters',
  triggers: 'triggers',
  pipelineTriggers: 'triggers',
};

const MIN_RETURN_STATUS_REASON = 10;

type Path = readonly (string | number)[];
/**
 * A `post` section. Its step lists are typed `unknown[]` on `Stage` (the model's `Post` is zod's
 * input type), but the schema has validated them as steps.
 */
type AnyPost = Partial<Record<PostCondition, readonly unknown[]>>;

class StructureChecker {
  readonly diagnostics: Diagnostic[] = [];
  /** Paths of the raw Groovy sources checked so far (their text is code, not a string constant). */
  private readonly rawGroovyPaths = new Set<string>();

  private report(code: RuleCode, path: Path, message: string, extra: Pick<Diagnostic, 'expected' | 'found'> = {}): void {
    this.diagnostics.push({ code, severity: 'error', message, path: [...path] as ModelPath, ...extra });
  }

  /** PW3035 (a warning): a step label is shown as written, so `$VAR` in it is never expanded. */
  private labelWithVariable(label: string, stepPath: Path): void {
    const variable = /\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(label)?.[0];
    if (variable === undefined) return;
    this.diagnostics.push({
      code: 'PW3035',
      severity: 'warning',
      message: `a step label is shown as written, not expanded by the shell: "${variable}" will appear literally in the Jenkins UI; leave it out (a matrix cell's axis values are shown with its stages)`,
      path: [...stepPath, 'label'] as ModelPath,
      expected: 'a label without shell variables',
      found: quoteBrief(label),
    });
  }

  pipeline(p: ValidPipeline): void {
    if (p.output !== undefined) this.outputPath(p.output);
    this.agent(p.agent, ['agent']);
    if (p.environment) this.environment(p.environment, ['environment']);
    if (p.options) this.options(p.options, ['options']);
    if (p.parameters) this.parameters(p.parameters, ['parameters'], 'parameters');
    if (p.triggers) {
      const set = Object.values(p.triggers).some((v) => v !== undefined);
      if (!set) this.report('PW3010', ['triggers'], 'triggers can not be empty');
    }
    if (p.tools) this.tools(p.tools, ['tools']);
    if (p.libraries && p.libraries.length === 0) this.report('PW3010', ['libraries'], 'libraries can not be empty');
    if (p.groovyPrologue !== undefined) this.rawGroovy(p.groovyPrologue, ['groovyPrologue'], 'block', 'code before the pipeline block');
    if (p.groovyEpilogue !== undefined) this.rawGroovy(p.groovyEpilogue, ['groovyEpilogue'], 'block', 'code after the pipeline block');
    this.stageList(p.stages, ['stages'], false);
    if (p.post) this.post(p.post, ['post']);
    this.rawGroovyAndUffff(p);
  }

  // ------------------------------------------------------------------------------- stages

  private stageList(stages: readonly Stage[], path: Path, insideParallel: boolean): void {
    if (stages.length === 0) {
      this.report('PW3007', path, 'No stages specified');
      return;
    }
    const seen = new Set<string>();
    stages.forEach((stage, index) => {
      if (seen.has(stage.name)) this.report('PW3001', [...path, index, 'name'], `Duplicate stage name: "${stage.name}"`);
      seen.add(stage.name);
      this.stage(stage, [...path, index], insideParallel);
    });
  }

  private stage(stage: Stage, path: Path, insideParallel: boolean): void {
    const name = stage.name;
    if (name.trim() === '') this.report('PW3032', [...path, 'name'], 'Stage name must not be blank');

    const contentCount =
      (stage.steps !== undefined ? 1 : 0) + (stage.stages !== undefined ? 1 : 0) + (stage.parallel !== undefined ? 1 : 0) + (stage.matrix !== undefined ? 1 : 0);
    if (contentCount === 0) {
      this.report('PW3002', path, `Expected one of "steps", "stages", or "parallel" for stage "${name}"`);
    } else if (contentCount > 1) {
      const contents = (['steps', 'stages', 'parallel', 'matrix'] as const).filter((key) => stage[key] !== undefined);
      this.report('PW3003', [...path, contents[1]!], `Only one of "matrix", "parallel", "stages", or "steps" allowed for stage "${name}"`, {
        expected: 'exactly one',
        found: contents.map((c) => `"${c}"`).join(' and '),
      });
    }

    const branching = stage.parallel !== undefined || stage.matrix !== undefined;
    if (branching) {
      if (stage.agent !== undefined) {
        this.report('PW3004', [...path, 'agent'], `"agent" is not allowed in stage "${name}" as it contains parallel or matrix stages`);
      }
      if (stage.tools !== undefined) {
        this.report('PW3004', [...path, 'tools'], `"tools" is not allowed in stage "${name}" as it contains parallel or matrix stages`);
      }
      if (insideParallel) {
        const key = stage.parallel !== undefined ? 'parallel' : 'matrix';
        this.report('PW3005', [...path, key], '"matrix" or "parallel" cannot be nested inside another "matrix" or "parallel".');
      }
    } else if (stage.failFast !== undefined) {
      this.report('PW3021', [...path, 'failFast'], `"failFast" is not allowed in stage "${name}" as it contains no parallel or matrix stages`);
    }

    this.stageDirectives(stage, path);
    if (stage.steps) this.steps(stage.steps, [...path, 'steps'], true);
    if (stage.stages) this.stageList(stage.stages, [...path, 'stages'], insideParallel);
    if (stage.parallel) this.stageList(stage.parallel, [...path, 'parallel'], true);
    if (stage.matrix) this.matrix(stage.matrix, [...path, 'matrix']);
  }

  /** The directives stages and matrices share. */
  private stageDirectives(owner: Pick<Stage, 'agent' | 'when' | 'tools' | 'environment' | 'options' | 'input'> & { post?: AnyPost }, path: Path): void {
    if (owner.agent !== undefined) this.agent(owner.agent, [...path, 'agent']);
    if (owner.when) this.when(owner.when, [...path, 'when']);
    if (owner.tools) this.tools(owner.tools, [...path, 'tools']);
    if (owner.environment) this.environment(owner.environment, [...path, 'environment']);
    if (owner.options) this.options(owner.options as AnyOptions, [...path, 'options']);
    if (owner.input) this.input(owner.input, [...path, 'input']);
    if (owner.post) this.post(owner.post, [...path, 'post']);
  }

  private matrix(matrix: Matrix, path: Path): void {
    const axisNames = matrix.axes.map((axis) => axis.name);
    if (matrix.axes.length === 0) this.report('PW3013', [...path, 'axes'], 'No axis directives specified');
    this.axes(matrix.axes, [...path, 'axes']);
    if (matrix.excludes) {
      if (matrix.excludes.length === 0) this.report('PW3014', [...path, 'excludes'], 'No exclude directives specified');
      matrix.excludes.forEach((exclude, index) => {
        const excludePath = [...path, 'excludes', index, 'axes'];
        if (exclude.axes.length === 0) this.report('PW3013', excludePath, 'No axis directives specified');
        this.axes(exclude.axes, excludePath);
        exclude.axes.forEach((axis, axisIndex) => {
          const axisPath = [...excludePath, axisIndex];
          if ((axis.values === undefined) === (axis.notValues === undefined)) {
            this.report(
              'PW3017',
              axisPath,
              axis.values === undefined
                ? 'Exclude axis must contain either "values" or "notValues"'
                : 'Exclude axis must contain either "values" or "notValues", not both',
            );
          }
          if (axis.name !== '' && !axisNames.includes(axis.name)) {
            this.report(
              'PW3018',
              [...axisPath, 'name'],
              `Exclude axis "${axis.name}" is not an axis of this matrix; the axes are ${[...new Set(axisNames)].map((n) => `"${n}"`).join(', ') || 'none'}`,
            );
          }
        });
      });
    }
    this.stageDirectives(matrix, path);
    this.stageList(matrix.stages, [...path, 'stages'], true);
  }

  private axes(axes: readonly { name: string; values?: string[]; notValues?: string[] }[], path: Path): void {
    const seen = new Set<string>();
    axes.forEach((axis, index) => {
      const axisPath = [...path, index];
      if (seen.has(axis.name)) this.report('PW3015', [...axisPath, 'name'], `Duplicate axis name: "${axis.name}"`);
      seen.add(axis.name);
      // Axis names become environment variables but are emitted as strings, so only Jenkins' rule applies.
      this.envIdentifier(axis.name, [...axisPath, 'name'], false);
      for (const key of ['values', 'notValues'] as const) {
        const values = axis[key];
        if (!values) continue;
        const seenValues = new Set<string>();
        values.forEach((value, valueIndex) => {
          if (seenValues.has(value)) this.report('PW3016', [...axisPath, key, valueIndex], `Duplicate axis value: "${value}"`);
          seenValues.add(value);
        });
      }
    });
  }

  // ------------------------------------------------------------------------------- directives

  private agent(agent: Agent, path: Path): void {
    if (typeof agent === 'object' && agent.type === 'dockerfile' && agent.filename !== undefined && /[/\\]/.test(agent.filename)) {
      this.report('PW3030', [...path, 'filename'], 'Dockerfile filename cannot contain directory separators.', {
        expected: 'a file name (put the directory in "dir")',
        found: quoteBrief(agent.filename),
      });
    }
  }

  private environment(environment: Environment, path: Path): void {
    const names = Object.keys(environment);
    if (names.length === 0) this.report('PW3009', path, 'No variables specified for environment');
    for (const name of names) this.envIdentifier(name, [...path, name]);
  }

  /** Jenkins' identifier rule; `emittedAsName` also rejects Groovy reserved words (an `environment` key is an assignment target). */
  private envIdentifier(name: string, path: Path, emittedAsName = true): void {
    if (!IDENTIFIER.test(name)) {
      this.report(
        'PW3008',
        path,
        `"${name}" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.`,
      );
    } else if (emittedAsName && GROOVY_RESERVED_WORDS.has(name)) {
      this.reserved(name, path, 'an environment variable name');
    }
  }

  private reserved(word: string, path: Path, what: string): void {
    this.report('PW3029', path, `"${word}" is a reserved word in Groovy and cannot be used as ${what}`);
  }

  private tools(tools: Tools, path: Path): void {
    const types = Object.keys(tools);
    if (types.length === 0) this.report('PW3011', path, 'No tools specified');
    for (const type of types) {
      if (!IDENTIFIER.test(type)) {
        this.report('PW3020', [...path, type], `Invalid tool type "${type}": a tool type is a symbol such as "maven" or "nodejs"`);
      } else if (GROOVY_RESERVED_WORDS.has(type)) {
        this.reserved(type, [...path, type], 'a tool type');
      }
    }
  }

  private options(options: AnyOptions, path: Path): void {
    // Judge exactly what the lowering emits (`false` flags emit nothing), without building it.
    const builtIn = emittedBuiltInOptions(options);
    const custom = options.custom ?? [];
    if (builtIn.length === 0 && custom.length === 0) {
      this.report('PW3010', path, 'options can not be empty', {
        expected: 'at least one option that is set',
        found: Object.keys(options).length === 0 ? 'empty object' : 'only unset options (false, undefined or no custom options)',
      });
    }
    // Built-in options are named after their distinct keys: only a custom option can repeat a name.
    if (custom.length > 0) {
      const seen = new Set<string>(builtIn);
      custom.forEach(({ name }, index) => {
        if (seen.has(name)) this.report('PW3028', [...path, 'custom', index, 'name'], `Duplicate option name: "${name}"`);
        seen.add(name);
      });
    }
    (options.custom ?? []).forEach((custom, index) => {
      const namePath = [...path, 'custom', index, 'name'];
      const directive = JOB_PROPERTIES_IN_OPTIONS[custom.name];
      if (directive) {
        const property = custom.name === 'parameters' ? 'parameters' : 'triggers';
        this.report(
          'PW3027',
          namePath,
          `The "${property}" job property cant be used in the "options" directive. Use the "${directive} {...}" directive instead.`,
        );
      } else if (GROOVY_RESERVED_WORDS.has(custom.name)) {
        this.reserved(custom.name, namePath, 'an option name');
      }
    });
    if (options.lock) this.lockTarget(options.lock, [...path, 'lock']);
  }

  private lockTarget(lock: { resource?: string | undefined; label?: string | undefined }, path: Path): void {
    const hasResource = lock.resource !== undefined && lock.resource !== '';
    const hasLabel = lock.label !== undefined && lock.label !== '';
    if (hasResource === hasLabel) this.report('PW3031', path, '"lock" needs either a "resource" or a "label", not both');
  }

  private parameters(parameters: readonly Parameter[], path: Path, section: string): void {
    if (parameters.length === 0) this.report('PW3010', path, `${section} can not be empty`);
    const seen = new Set<string>();
    parameters.forEach((parameter, index) => {
      if (seen.has(parameter.name)) this.report('PW3019', [...path, index, 'name'], `Duplicate parameter name: "${parameter.name}"`);
      seen.add(parameter.name);
    });
  }

  private input(input: Input, path: Path): void {
    if (input.message.trim() === '') this.report('PW3012', [...path, 'message'], 'No message specified for input');
    if (input.parameters) this.parameters(input.parameters, [...path, 'parameters'], 'parameters');
  }

  /**
   * The Groovy of a `when`'s expressions, nested ones included. `path` is a stack this walk pushes
   * onto and pops (a path is copied only for an expression): `when` trees are many and small.
   */
  private when(when: When | WhenCondition, path: (string | number)[]): void {
    if (when.expression !== undefined) this.rawGroovy(when.expression, [...path, 'expression'], 'block', 'when expression', 'expression');
    for (const key of ['allOf', 'anyOf'] as const) {
      const children = when[key];
      if (children === undefined) continue;
      for (let index = 0; index < children.length; index++) {
        path.push(key, index);
        this.when(children[index]!, path);
        path.length -= 2;
      }
    }
    if (when.not) {
      path.push('not');
      this.when(when.not, path);
      path.length -= 1;
    }
  }

  private post(post: AnyPost, path: Path): void {
    const conditions = POST_CONDITIONS.filter((condition) => post[condition] !== undefined);
    if (conditions.length === 0) this.report('PW3010', path, 'post can not be empty');
    for (const condition of conditions) this.steps(post[condition] as Step[], [...path, condition]);
  }

  // ------------------------------------------------------------------------------- steps

  /** `stageSteps`: the steps of a stage (not of a post condition or a block step). */
  private steps(steps: readonly Step[], path: Path, stageSteps = false): void {
    if (steps.length === 0) {
      this.report('PW3006', path, 'No steps specified for branch');
      return;
    }
    const soleStageStep = stageSteps && steps.length === 1;
    for (let index = 0; index < steps.length; index++) this.step(steps[index]!, path, index, soleStageStep);
  }

  /** `soleStageStep`: the only step of a stage, where Jenkins accepts the legacy `parallel(...)` step. */
  private step(step: Step, stepsPath: Path, index: number, soleStageStep: boolean): void {
    // The step's path is made only where it is needed (most steps are plain `sh` calls).
    switch (step.step) {
      case 'sh':
        if (step.returnStatus === true && (step.returnStatusReason ?? '').trim().length < MIN_RETURN_STATUS_REASON) {
          this.report(
            'PW3022',
            [...stepsPath, index, 'returnStatusReason'],
            '"sh" with returnStatus: true needs a returnStatusReason of at least 10 characters saying why a failure may be ignored',
            {
              expected: 'a reason of at least 10 characters',
              found: step.returnStatusReason === undefined ? 'nothing' : quoteBrief(step.returnStatusReason),
            },
          );
        }
        if (step.label !== undefined && step.label.includes('$')) this.labelWithVariable(step.label, [...stepsPath, index]);
        return;
      case 'lock':
      case 'dir':
      case 'withCredentials':
      case 'timeout':
      case 'retry':
      case 'script':
      case 'step':
        this.blockStep(step, [...stepsPath, index], soleStageStep);
        return;
      default:
        return;
    }
  }

  /** A step other than `sh`, at `path`. */
  private blockStep(step: Step, path: Path, soleStageStep: boolean): void {
    switch (step.step) {
      case 'lock':
        this.lockTarget(step, path);
        this.steps(step.steps, [...path, 'steps']);
        return;
      case 'dir':
      case 'withCredentials':
      case 'timeout':
      case 'retry':
        this.steps(step.steps, [...path, 'steps']);
        return;
      case 'script':
        this.rawGroovy(step.groovy, [...path, 'groovy'], 'block', 'script', 'script');
        return;
      case 'step': {
        const reason = step.name === 'parallel' && soleStageStep ? undefined : BLOCKED_STEPS[step.name];
        if (reason) {
          this.report('PW3026', [...path, 'name'], `Invalid step "${step.name}" used - not allowed in this context - ${reason}`);
        } else if (GROOVY_RESERVED_WORDS.has(step.name)) {
          this.reserved(step.name, [...path, 'name'], 'a step name');
        }
        if (step.body) this.steps(step.body, [...path, 'body']);
        return;
      }
      default:
        return;
    }
  }

  // ------------------------------------------------------------------------------- raw Groovy and strings

  /** Checks one raw Groovy source: structure (PW3023) and `\u` escapes (PW3024). */
  private rawGroovy(source: string, path: Path, embedding: GroovyEmbedding, where: string, blockName?: string): void {
    this.rawGroovyPaths.add(pathKey(path));
    const problem = scanGroovy(source, embedding, blockName);
    if (problem) this.report('PW3023', path, `${where}: ${problem.message}`);
    for (const escape of findUnicodeEscapes(source)) {
      this.report(
        'PW3024',
        path,
        escape.valid
          ? `${where}: "${escape.text}" at line ${escape.line}, column ${escape.column} is translated by Groovy before parsing and can change the code; write the character itself`
          : `${where}: "${escape.text}" at line ${escape.line}, column ${escape.column} is read by Groovy as a broken unicode escape; write "\\\\u" for a backslash followed by u`,
      );
    }
    if (!problem) this.rawGroovyStringLiterals(source, path, where);
  }

  /**
   * PW3034 for each string literal (or GString fragment) in raw Groovy too long for a class-file
   * constant. Raw Groovy itself is code, not a constant, so only its literals count.
   */
  private rawGroovyStringLiterals(source: string, path: Path, where: string): void {
    // A literal's value has at most as many units as its source text, each at most 3 bytes.
    if (source.length <= MAX_STRING_CONSTANT_BYTES / 3) return;
    const text = new SourceText(source);
    for (const token of lexGroovy(text).tokens) {
      if (token.value === undefined || fitsStringConstant(token.value)) continue;
      const { line, column } = text.position(token.start);
      this.report('PW3034', path, `${where}: the string literal at line ${line}, column ${column}: ${stringTooLongMessage(modifiedUtf8Length(token.value))}`);
    }
  }

  /**
   * Every `{ $groovy }` value anywhere in the pipeline (PW3023/PW3024, reported first), U+FFFF
   * in any string or object key (PW3025), and strings or keys too long for a class-file constant
   * (PW3034; raw Groovy is checked for its literals instead). One walk with one path stack:
   * paths are copied only for what is reported. Runs after every other check, so that the raw
   * Groovy paths are known.
   */
  private rawGroovyAndUffff(root: object): void {
    const rawValues: [string, Path][] = [];
    const uffff: Path[] = [];
    const tooLong: [Path, number][] = [];
    // The path of the container being visited: a string's path is made only when it is reported.
    const path: (string | number)[] = [];
    /** A string (or an object key, `isKey`) at `[...path, key]`. */
    const checkString = (text: string, key: string | number, isKey: boolean) => {
      if (text.includes('\uffff')) uffff.push([...path, key]);
      // Strings up to a third of the limit fit (at most 3 bytes a unit): most need no more.
      if (text.length <= MAX_STRING_CONSTANT_BYTES / 3 || fitsStringConstant(text)) return;
      const at = [...path, key];
      if (!((!isKey && key === '$groovy') || this.rawGroovyPaths.has(pathKey(at)))) tooLong.push([at, modifiedUtf8Length(text)]);
    };
    // Most strings are short and without U+FFFF: tested inline, checkString only for the rest.
    const SHORT = MAX_STRING_CONSTANT_BYTES / 3;
    const visitChild = (child: unknown, key: string | number): void => {
      if (typeof child === 'string') {
        if (child.length > SHORT || child.includes('\uffff')) checkString(child, key, false);
      } else if (typeof child === 'object' && child !== null) {
        path.push(key);
        visit(child);
        path.pop();
      }
    };
    const visit = (value: object): void => {
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) visitChild(value[index], index);
        return;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length === 1 && typeof record.$groovy === 'string') rawValues.push([record.$groovy, [...path, '$groovy']]);
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        if (key.length > SHORT || key.includes('\uffff')) checkString(key, key, true);
        visitChild(record[key], key);
      }
    };
    visit(root);
    for (const [source, at] of rawValues) this.rawGroovy(source, at, 'expression', 'Groovy expression');
    for (const at of uffff) this.report('PW3025', at, 'U+FFFF cannot appear in a Jenkinsfile: Groovy 2.4 reads it as the end of the file');
    for (const [at, bytes] of tooLong) this.report('PW3034', at, stringTooLongMessage(bytes));
  }

  // ------------------------------------------------------------------------------- pipeline file

  private outputPath(output: string): void {
    const problem = outputPathProblem(output);
    if (problem) {
      this.report('PW3033', ['output'], `"output" must be a relative file path inside the project: ${problem}`, {
        expected: 'a relative path such as "generated/app/Jenkinsfile"',
        found: quoteBrief(output),
      });
    }
  }
}

/** A Set key for a model path. */
function pathKey(path: Path): string {
  return path.join('\u0000');
}

/** Why `output` is not a clean relative file path inside the project, or `undefined` if it is. */
function outputPathProblem(output: string): string | undefined {
  if (output.trim() === '') return 'it is blank';
  if (/[\u0000-\u001f\u007f]/.test(output)) return 'it contains a control character';
  if (output.includes('\\')) return 'use "/" as the separator, not "\\"';
  if (output.startsWith('/') || /^[A-Za-z]:/.test(output)) return 'it is absolute';
  if (output.endsWith('/')) return 'it names a directory, not a file';
  const segments = output.split('/');
  if (segments.some((s) => s === '')) return 'it contains an empty segment ("//")';
  if (segments.some((s) => s === '..')) return 'it contains ".."';
  if (segments.some((s) => s === '.')) return 'it contains "."';
  if (segments[0] === '.git' || segments[0] === 'node_modules') return `it points into ${segments[0]}`;
  return undefined;
}
