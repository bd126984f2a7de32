/**
 * Catalog checks of a pipeline model: what the controller's catalog says about every step call
 * (typed and generic `step()`), agent type and config option, `when` condition, pipeline and stage
 * option, trigger, tool, build parameter type and credential binding, with Jenkins' own wording
 * (ModelValidatorImpl, Messages.properties). They run on the Jenkinsfile AST the model lowers to,
 * with the same validator `pipewright validate` uses, so a model passes exactly when Jenkins would
 * accept what pipewright emits; each AST node's `origin` gives the model path, which compile turns
 * into the TypeScript location. Step calls statically visible in raw Groovy (`script` bodies,
 * `when { expression }`) are checked too, as warnings: the call may not run, or run differently.
 *
 * A name a partial catalog (the bundled one, a GDSL) lacks is a warning; with a complete one (a
 * controller's export) an error. A step the catalog lacks is not reported here: that is the policy
 * rule PIPE-004 (a plugin the controller does not have).
 */
import { CatalogError, resolveProjectCatalog, type CatalogConfig } from '../catalog/index.ts';
import type { Catalog } from '../catalog/schema.ts';
import type { Diagnostic, ModelPath } from '../diagnostics.ts';
import type { Expression, JenkinsfileAst, MapEntry, Statement } from '../jenkinsfile/ast.ts';
import { checkStepCalls, validateJenkinsfile } from '../jenkinsfile/validate.ts';
import type { ValidPipeline } from '../model/schema.ts';
import { groovyCalls, type GroovyArg, type GroovyCall } from '../policy/groovy-calls.ts';

/** One catalog check, for the docs. */
export interface CatalogCheckRule {
  /** Diagnostic code, `PW31xx`. */
  code: string;
  id: string;
  summary: string;
  /** Jenkins' message (`<x>` filled in). */
  message: string;
  /** The `pipewright validate` rule reporting the same problem in a Jenkinsfile. */
  jenkinsfileCode: string;
}

/** Every catalog check, in code order. */
export const CATALOG_CHECK_RULES: readonly CatalogCheckRule[] = [
  { code: 'PW3100', id: 'catalog-unreadable', summary: 'The catalog pipewright.config.ts names can be read and matches the catalog schema.', message: '<file>: <problem>', jenkinsfileCode: '' },
  { code: 'PW3101', id: 'unknown-agent-type', summary: 'The agent type is one the catalog lists.', message: 'Invalid agent type "<t>" specified. Must be one of [<types>]', jenkinsfileCode: 'PW5125' },
  { code: 'PW3102', id: 'unknown-when-condition', summary: 'The `when` condition is one the catalog lists.', message: 'Unknown conditional <c>. Valid conditionals are: <conditions>', jenkinsfileCode: 'PW5128' },
  { code: 'PW3103', id: 'unknown-option-trigger-parameter', summary: 'Options (pipeline-level or allowed in a stage), triggers and build parameter types are ones the catalog lists.', message: 'Invalid option type "<o>". Valid option types: [<options>] (trigger, parameter alike)', jenkinsfileCode: 'PW5134' },
  { code: 'PW3104', id: 'unknown-tool-type', summary: 'The tool type is one the catalog lists.', message: 'Invalid tool type "<t>". Valid tool types: [<types>]', jenkinsfileCode: 'PW5132' },
  { code: 'PW3105', id: 'unknown-parameter', summary: 'Every named argument is a parameter of the step, option, trigger, build parameter, condition or credential binding.', message: 'Invalid parameter "<key>", did you mean "<nearest>"?', jenkinsfileCode: 'PW5137' },
  { code: 'PW3106', id: 'missing-required-parameter', summary: 'Required parameters of steps, conditions and agents are given.', message: 'Missing required parameter: "<name>"', jenkinsfileCode: 'PW5138' },
  { code: 'PW3107', id: 'parameter-type', summary: 'A literal argument has the parameter\'s type (String vs number).', message: 'Expecting "<java type>" for parameter "<key>" but got "<value>" of type <java class> instead', jenkinsfileCode: 'PW5139' },
  { code: 'PW3108', id: 'argument-count', summary: 'Unnamed arguments fit the parameters.', message: 'Arguments to "<name>" must be explicitly named. (and the other argument-count messages)', jenkinsfileCode: 'PW5140' },
  { code: 'PW3109', id: 'unknown-agent-option', summary: 'Every agent config option is a parameter of the agent type.', message: 'Invalid config option "<key>" for agent type "<type>". Valid config options are [<names>]', jenkinsfileCode: 'PW5141' },
];

const CODE_OF = new Map(CATALOG_CHECK_RULES.map((r) => [r.jenkinsfileCode, r.code]));

/**
 * Checks a lowered pipeline against a catalog. `ast` is `lowerPipeline(model)`; `model` is the
 * value the paths refer to (to point argument problems at the argument). Diagnostics carry model
 * paths, no locations.
 */
export function checkCatalog(model: ValidPipeline, ast: JenkinsfileAst, catalog: Catalog): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const d of validateJenkinsfile(ast, { catalog, nestedStepArguments: true, catalogOnly: true })) {
    const code = CODE_OF.get(d.code);
    // PW5125 also reports an agent without a type, which a lowered model never has.
    if (code === undefined || d.message.startsWith('No agent type')) continue;
    found.push(modelDiagnostic(d, code, model));
  }
  for (const { source, path } of groovyBodies(ast)) {
    for (const d of checkStepCalls(groovyStatements(groovyCalls(source)), catalog)) {
      const code = CODE_OF.get(d.code);
      if (code === undefined) continue;
      found.push({ code, severity: 'warning', message: `${d.message} (in raw Groovy)`, path });
    }
  }
  return found;
}

function modelDiagnostic(d: Diagnostic, code: string, model: unknown): Diagnostic {
  const out: Diagnostic = { code, severity: d.severity, message: d.message };
  if (d.path) out.path = modelPath(model, d.path);
  return out;
}

/**
 * The validator appends an argument's key to the statement's path; in the model the argument is
 * a property of the step (typed steps), under `args` (generic `step()`), or not there at all
 * (arguments a lowering adds): the closest path that exists.
 */
function modelPath(model: unknown, path: readonly (string | number)[]): ModelPath {
  if (exists(model, path)) return [...path];
  const parent = path.slice(0, -1);
  const key = path[path.length - 1]!;
  if (exists(model, [...parent, 'args', key])) return [...parent, 'args', key];
  let prefix = [...path];
  while (prefix.length > 0 && !exists(model, prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

function exists(root: unknown, path: readonly (string | number)[]): boolean {
  let current = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return false;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return true;
}

/** Raw Groovy bodies of the AST (`script { }`, `when { expression { } }`) with their model paths. */
function groovyBodies(ast: JenkinsfileAst): { source: string; path: ModelPath }[] {
  const out: { source: string; path: ModelPath }[] = [];
  const visit = (statements: readonly Statement[]) => {
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i]!;
      if (s.type === 'GroovyBlock') {
        if (s.origin) out.push({ source: s.source, path: [...s.origin] });
      } else if (s.type === 'Call' && s.body !== undefined) visit(s.body);
    }
  };
  if (ast.pipeline.body !== undefined) visit(ast.pipeline.body);
  return out;
}

/** Calls found in Groovy as AST statements: literal arguments as literals, the rest as Raw. */
function groovyStatements(calls: readonly GroovyCall[]): Statement[] {
  return calls.map((call) => {
    const positional: Expression[] = [];
    const named: MapEntry[] = [];
    for (const arg of call.args) {
      const value = groovyValue(arg);
      if (arg.name !== undefined) named.push({ key: arg.name, value });
      else positional.push(value);
    }
    const statement: Statement = { type: 'Call', name: call.name, args: { positional, named } };
    if (call.body.length > 0) statement.body = groovyStatements(call.body);
    return statement;
  });
}

function groovyValue(arg: GroovyArg): Expression {
  const text = arg.text.trim();
  if (!arg.dynamic && typeof arg.value === 'string') return { type: 'String', value: arg.value };
  if (/^-?\d+$/.test(text)) return { type: 'Number', text };
  if (text === 'true' || text === 'false') return { type: 'Boolean', value: text === 'true' };
  return { type: 'Raw', source: text };
}

/**
 * The catalog checks of one pipeline of a project, against the catalog its configuration names
 * (else the bundled one), and that catalog (for the policy). `recordRead` is told the project file
 * the catalog came from (the compile cache keys on it). A catalog that cannot be read is one
 * error, PW3100, and no catalog.
 */
export function checkProjectCatalog(
  model: ValidPipeline,
  ast: JenkinsfileAst | undefined,
  config: CatalogConfig,
  root: string,
  recordRead?: (file: string) => void,
): { diagnostics: Diagnostic[]; catalog?: Catalog } {
  if (config.catalog !== undefined) recordRead?.(config.catalog);
  let catalog: Catalog;
  try {
    catalog = resolveProjectCatalog(config, root);
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    return { diagnostics: [{ code: 'PW3100', severity: 'error', message: error.message, path: [] }] };
  }
  return { diagnostics: ast ? checkCatalog(model, ast, catalog) : [], catalog };
}
