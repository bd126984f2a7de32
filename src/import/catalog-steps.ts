/**
 * Catalog-typed step calls for `pipewright import`: a step pipewright has no typed helper for
 * (`bat`, `cleanWs`, `withSonarQubeEnv`, `slackSend`, ...) is written as a call of the function
 * `pipewright catalog types` generates for it (`jenkins.cleanWs({ deleteDirs: true })`), when
 * the call's arguments fit that function's TypeScript signature. The function returns the same
 * generic step value `step()` builds, so the compiled Jenkinsfile is unchanged (the round trip
 * checks it), and the module is typed: a misspelt parameter is a TS error.
 *
 * The checks mirror `src/catalog/typed-steps.ts` (names, call forms, parameter types) on model
 * values, conservatively: whatever might not type-check stays `step(name, ...)`, with the reason.
 */
import { safeIdentifier } from '../catalog/typed-steps.ts';
import { indexCatalog } from '../catalog/index.ts';
import type { Catalog, CatalogDescribable, CatalogStep, NestedParameter, ParameterType } from '../catalog/schema.ts';
import type { GroovyValue } from '../model/schema.ts';

/** How the typed function is called (see `stepFunction` in typed-steps.ts). */
export interface CatalogCallForm {
  /** The function's name in the generated module (`delete_` for `delete`). */
  functionName: string;
  /** `none`: no arguments; `named`: one object of named arguments; `positional`: one value. */
  form: 'none' | 'named' | 'positional';
  /** The body goes first (`catchError(steps, { buildResult })`): a block step whose parameters are all optional. */
  bodyFirst: boolean;
}

/** The module name the importer writes next to imported modules (generated from the catalog). */
export const TYPED_STEPS_FILE = 'jenkins-steps.ts';

const isGroovy = (value: GroovyValue): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && Object.prototype.hasOwnProperty.call(value, '$groovy');
const isRecord = (value: GroovyValue): value is { readonly [key: string]: GroovyValue } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Decides, per step call, whether it has a typed form in the catalog's generated module. */
export class CatalogStepTyper {
  private readonly functionNames = new Map<string, string>();
  private readonly describablesByClass = new Map<string, CatalogDescribable>();
  private readonly index;

  constructor(readonly catalog: Catalog) {
    this.index = indexCatalog(catalog);
    // The same names generateTypedSteps gives (sorted by step name, numbered on collisions).
    const used = new Set<string>();
    for (const step of [...catalog.steps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (this.functionNames.has(step.name)) continue;
      let name = safeIdentifier(step.name);
      for (let n = 2; used.has(name); n++) name = `${safeIdentifier(step.name)}${n}`;
      used.add(name);
      this.functionNames.set(step.name, name);
    }
    const ambiguous = new Set<string>();
    for (const describable of catalog.describables) {
      if (describable.className === undefined) continue;
      if (this.describablesByClass.has(describable.className)) ambiguous.add(describable.className);
      this.describablesByClass.set(describable.className, describable);
    }
    for (const className of ambiguous) this.describablesByClass.delete(className);
  }

  /**
   * The typed call for step `name` with these arguments (model values: a positional array or
   * named object) and whether it has a body; or why there is none.
   */
  type(name: string, args: readonly GroovyValue[] | { readonly [key: string]: GroovyValue } | undefined, hasBody: boolean): CatalogCallForm | string {
    const step = this.index.step(name);
    const functionName = this.functionNames.get(name);
    if (!step || functionName === undefined) return `${name} is not a step of the catalog (${this.catalog.name})`;
    if (step.takesBlock !== hasBody) return `${name} ${step.takesBlock ? 'takes a block' : 'takes no block'} in the catalog`;
    const parameters = step.parameters.filter((p) => p.type.kind !== 'closure');
    const required = parameters.filter((p) => p.required);
    const bodyFirst = hasBody && required.length === 0;
    if (parameters.length === 0) {
      return args === undefined ? { functionName, form: 'none', bodyFirst: false } : `${name} takes no arguments in the catalog`;
    }
    const sole = parameters.length === 1 ? parameters[0]! : undefined;
    if (sole && sole.required && this.typedObjectParameters(sole.type) !== undefined) {
      // The function takes that object itself (`publishHTML([reportDir: ...])`).
      if (!Array.isArray(args) || args.length !== 1) return `${name} takes its ${sole.name} as one map`;
      const problem = this.fits(args[0]!, sole.type, sole.name);
      return problem ?? { functionName, form: 'positional', bodyFirst: false };
    }
    if (args === undefined) {
      if (required.length > 0) return `${name} has no ${required[0]!.name}, which the catalog requires`;
      return { functionName, form: 'none', bodyFirst: false };
    }
    if (Array.isArray(args)) {
      const shorthand = step.defaultParameter === undefined ? undefined : parameters.find((p) => p.name === step.defaultParameter);
      if (args.length !== 1 || !shorthand || this.isObjectType(shorthand.type)) return `${name} with positional arguments has no typed form in the catalog`;
      const others = required.filter((p) => p !== shorthand);
      if (others.length > 0) return `${name} has no ${others[0]!.name}, which the catalog requires`;
      const problem = this.fits(args[0]!, shorthand.type, shorthand.name);
      return problem ?? { functionName, form: 'positional', bodyFirst };
    }
    const named = args as { readonly [key: string]: GroovyValue };
    const problem = this.fitsObject(named, parameters, name);
    return problem ?? { functionName, form: 'named', bodyFirst };
  }

  /** The parameters of a describable written as a map (a typed object in the generated module), if any. */
  private typedObjectParameters(type: ParameterType): readonly NestedParameter[] | undefined {
    if (type.kind !== 'describable' || type.baseClass === undefined) return undefined;
    const described = this.describablesByClass.get(type.baseClass);
    const parameters = type.parameters ?? (type.symbols === undefined || type.symbols.length === 0 ? described?.parameters : undefined);
    return parameters && parameters.length > 0 ? parameters : undefined;
  }

  private isObjectType(type: ParameterType): boolean {
    return type.kind === 'describable' || type.kind === 'map' || type.kind === 'closure' || type.kind === 'unknown';
  }

  /** Undefined when `value` type-checks against the generated TS type of `type`; else why not. */
  private fits(value: GroovyValue, type: ParameterType, what: string): string | undefined {
    const scalar = (ok: boolean, expected: string) => (ok || isGroovy(value) ? undefined : `${what} is not ${expected} (the catalog's type)`);
    switch (type.kind) {
      case 'string':
        return scalar(typeof value === 'string', 'a string');
      case 'boolean':
        return scalar(typeof value === 'boolean', 'true or false');
      case 'number':
        return scalar(typeof value === 'number', 'a number');
      case 'enum':
        return type.values.length === 0
          ? scalar(typeof value === 'string', 'a string')
          : scalar(typeof value === 'string' && type.values.includes(value), `one of ${type.values.join(', ')}`);
      case 'list': {
        if (!Array.isArray(value)) return `${what} is not a list`;
        for (const [i, item] of (value as readonly GroovyValue[]).entries()) {
          const problem = this.fits(item, type.of, `${what}[${i}]`);
          if (problem) return problem;
        }
        return undefined;
      }
      case 'map':
        return isRecord(value) ? undefined : `${what} is not a map`;
      case 'describable': {
        const parameters = this.typedObjectParameters(type);
        if (parameters === undefined) return undefined;
        if (!isRecord(value) || isGroovy(value)) return `${what} is not a map of ${type.baseClass}'s parameters`;
        return this.fitsObject(value, parameters.filter((p) => p.type.kind !== 'closure'), what);
      }
      case 'closure':
      case 'unknown':
        return undefined;
    }
  }

  private fitsObject(value: { readonly [key: string]: GroovyValue }, parameters: readonly NestedParameter[], what: string): string | undefined {
    const byName = new Map(parameters.map((p) => [p.name, p] as const));
    for (const [key, item] of Object.entries(value)) {
      const parameter = byName.get(key);
      if (!parameter) return `${what}: ${key} is not a parameter the catalog knows`;
      const problem = this.fits(item, parameter.type, `${key} of ${what}`);
      if (problem) return problem;
    }
    const missing = parameters.find((p) => p.required && !Object.prototype.hasOwnProperty.call(value, p.name));
    return missing ? `${what} has no ${missing.name}, which the catalog requires` : undefined;
  }
}

export type { CatalogStep };
