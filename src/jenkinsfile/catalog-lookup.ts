/**
 * What Jenkins' declarative validator asks its controller, answered from a controller catalog:
 * the agent types, `when` conditions, options (pipeline and stage), triggers, tools and build
 * parameter types it accepts, the model (parameters) of a step or describable, and the parameter
 * checks of ModelValidatorImpl (`validateDescribable`, `validateElement(ModelASTMethodCall)`,
 * `validateParameterType`) with the text of its Messages.properties. Shared by `validate`
 * (Jenkinsfiles) and the model's catalog checks (src/validate/catalog-checks.ts).
 */
import { indexCatalog } from '../catalog/index.ts';
import type { Catalog, CatalogDescribable, CatalogParameter, CatalogStep, DescribableKind, ParameterType } from '../catalog/schema.ts';

/** A step or describable as Jenkins' DescribableModel sees it: a name and its parameters. */
export interface CatalogModel {
  name: string;
  parameters: CatalogParameter[];
  /** A step that takes a `{ }` body (`takesImplicitBlockArgument`). */
  takesBlock: boolean;
  plugin: string;
}

/** Steps that are never options (BlockedStepsAndMethodCalls.blockedInMethodCalls). */
const BLOCKED_IN_METHOD_CALLS = new Set(['node', 'stage', 'properties', 'parallel']);
/** Job properties with their own directive (Options.BLOCKED_PROPERTIES). */
const BLOCKED_PROPERTIES = new Set(['pipelineTriggers', 'parameters']);
/** Agent types without parameters (DeclarativeAgentDescriptor.zeroArgModels). */
export const ZERO_ARG_AGENT_TYPES = ['any', 'none'] as const;

/** Lookups over one catalog; build with `catalogLookup` (cached per catalog object). */
export interface CatalogLookup {
  readonly catalog: Catalog;
  /** A step by function name. */
  step(name: string): CatalogStep | undefined;
  /** A describable of one of the kinds by symbol (first kind that has it). */
  describable(symbol: string, kinds: readonly DescribableKind[]): CatalogDescribable | undefined;
  /**
   * The model Jenkins validates a step call against: the step, else a describable run through a
   * meta-step (`archiveArtifacts` = `step([$class: 'ArtifactArchiver'])`), `lookupStepFirstThenFunction`.
   */
  stepModel(name: string): CatalogModel | undefined;
  /** The model of a method call in options/triggers/parameters (`lookupFunctionFirstThenStep`). */
  methodModel(name: string, kinds: readonly DescribableKind[]): CatalogModel | undefined;
  /** Agent type names, sorted (DeclarativeAgentDescriptor.allSorted), `any` and `none` included. */
  readonly agentTypes: readonly string[];
  /** `when` condition names in catalog order (DeclarativeStageConditionalDescriptor.allNames). */
  readonly whenConditions: readonly string[];
  /** Option names valid in `pipeline { options { } }`, sorted (Options.getAllowedOptionTypes). */
  readonly pipelineOptions: readonly string[];
  /** Option names valid in a stage's `options { }`, sorted (StageOptions.getAllowedOptionTypes). */
  readonly stageOptions: readonly string[];
  readonly triggers: readonly string[];
  readonly tools: readonly string[];
  readonly parameterTypes: readonly string[];
  /** The plugin that provides a step, option, trigger, ... of this name, when the catalog has it. */
  pluginOf(name: string): string | undefined;
}

const cache = new WeakMap<Catalog, CatalogLookup>();

/**
 * Indexes a catalog for the validator (cached per catalog object: a catalog is not changed once
 * it is used, as for `indexCatalog`). Models are made once per name (and list of kinds).
 */
export function catalogLookup(catalog: Catalog): CatalogLookup {
  const cached = cache.get(catalog);
  if (cached) return cached;
  const index = indexCatalog(catalog);
  const symbols = (kind: DescribableKind) => [...new Set(index.describablesOf(kind).map((d) => d.symbol))];
  const sorted = (names: Iterable<string>) => [...new Set(names)].sort();
  // Wrapper steps usable as options: block steps that need no node (Options.getEligibleWrapperStepClasses).
  const wrapperSteps = catalog.steps
    .filter((s) => s.takesBlock && !s.requiresNode && !BLOCKED_IN_METHOD_CALLS.has(s.name))
    .map((s) => s.name);
  const wrappers = [...symbols('wrapper').filter((n) => !BLOCKED_IN_METHOD_CALLS.has(n)), ...wrapperSteps];
  const stageOnlyOptions = symbols('option')
    .map((symbol) => index.describable('option', symbol)!)
    .filter((o) => o.allowedInStage);
  // Describables by kind, then symbol (the first of a kind and symbol, as `indexCatalog` keeps).
  const bySymbol = new Map<DescribableKind, Map<string, CatalogDescribable>>();
  for (const d of catalog.describables) {
    let symbolsOfKind = bySymbol.get(d.kind);
    if (!symbolsOfKind) bySymbol.set(d.kind, (symbolsOfKind = new Map()));
    if (!symbolsOfKind.has(d.symbol)) symbolsOfKind.set(d.symbol, d);
  }
  // Models of names the catalog has (a name it lacks is looked up again: those stay few lookups
  // and the memo stays as small as the catalog).
  const stepModels = new Map<string, CatalogModel>();
  const methodModels = new WeakMap<readonly DescribableKind[], Map<string, CatalogModel>>();
  const describableModel = (d: CatalogDescribable): CatalogModel => ({ name: d.symbol, parameters: d.parameters, takesBlock: false, plugin: d.plugin });
  const stepAsModel = (s: CatalogStep): CatalogModel => ({ name: s.name, parameters: s.parameters, takesBlock: s.takesBlock, plugin: s.plugin });

  const lookup: CatalogLookup = {
    catalog,
    step: (name) => index.step(name),
    describable(symbol, kinds) {
      for (let i = 0; i < kinds.length; i++) {
        const d = bySymbol.get(kinds[i]!)?.get(symbol);
        if (d) return d;
      }
      return undefined;
    },
    stepModel(name) {
      let model = stepModels.get(name);
      if (model) return model;
      const step = index.step(name);
      if (step) model = stepAsModel(step);
      else {
        const d = lookup.describable(name, ['buildStep']);
        if (d) model = describableModel(d);
      }
      if (model) stepModels.set(name, model);
      return model;
    },
    methodModel(name, kinds) {
      let models = methodModels.get(kinds);
      let model = models?.get(name);
      if (model) return model;
      const d = lookup.describable(name, kinds);
      if (d) model = describableModel(d);
      else {
        const step = index.step(name);
        if (step) model = stepAsModel(step);
      }
      if (model) {
        if (!models) methodModels.set(kinds, (models = new Map()));
        models.set(name, model);
      }
      return model;
    },
    agentTypes: sorted([...symbols('agent'), ...ZERO_ARG_AGENT_TYPES]),
    whenConditions: symbols('when'),
    pipelineOptions: sorted([
      ...symbols('jobProperty').filter((n) => !BLOCKED_PROPERTIES.has(n)),
      ...symbols('option'),
      ...wrappers,
    ]),
    stageOptions: sorted([...stageOnlyOptions.map((o) => o.symbol), ...wrappers]),
    triggers: symbols('trigger'),
    tools: symbols('tool'),
    parameterTypes: symbols('parameter'),
    pluginOf(name) {
      return index.step(name)?.plugin ?? catalog.describables.find((d) => d.symbol === name)?.plugin;
    },
  };
  cache.set(catalog, lookup);
  return lookup;
}

/** What the validator asks of a list of parameters, computed once per list (a catalog's). */
export interface ParameterTable {
  /** Each name's first parameter (as `parameters.find` answers). */
  readonly byName: ReadonlyMap<string, CatalogParameter>;
  readonly required: readonly CatalogParameter[];
  /** The sole required parameter (DescribableModel.getSoleRequiredParameter), if exactly one. */
  readonly sole: CatalogParameter | undefined;
}

const parameterTables = new WeakMap<readonly CatalogParameter[], ParameterTable>();

/** The table of a step's or describable's parameters (cached per parameter list of the catalog). */
export function parameterTable(parameters: readonly CatalogParameter[]): ParameterTable {
  let table = parameterTables.get(parameters);
  if (table) return table;
  const byName = new Map<string, CatalogParameter>();
  for (const p of parameters) if (!byName.has(p.name)) byName.set(p.name, p);
  const required = parameters.filter((p) => p.required);
  table = { byName, required, sole: required.length === 1 ? required[0] : undefined };
  parameterTables.set(parameters, table);
  return table;
}

/** The sole required parameter (DescribableModel.getSoleRequiredParameter), if exactly one. */
export function soleRequiredParameter(model: CatalogModel): CatalogParameter | undefined {
  return parameterTable(model.parameters).sole;
}

/** hudson.util.EditDistance.findNearest: the candidate with the smallest edit distance, first on ties. */
export function nearestName(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.MAX_SAFE_INTEGER;
  for (const candidate of candidates) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** A literal argument value as Jenkins' ModelASTValue sees it (GStrings and variables are not literals). */
export type LiteralValue =
  | { kind: 'string'; value: string }
  | { kind: 'integer'; text: string; long: boolean }
  /** Jenkins reads a decimal constant as a Double (ModelParser.parseArgument). */
  | { kind: 'decimal'; text: string }
  | { kind: 'boolean'; value: boolean };

/** Java class of a literal, as `v.value.getClass()` prints. */
function javaClassOf(value: LiteralValue): string {
  switch (value.kind) {
    case 'string':
      return 'class java.lang.String';
    case 'integer':
      return value.long ? 'class java.lang.Long' : 'class java.lang.Integer';
    case 'decimal':
      return 'class java.lang.Double';
    case 'boolean':
      return 'class java.lang.Boolean';
  }
}

function literalText(value: LiteralValue): string {
  return value.kind === 'string' ? value.value : value.kind === 'boolean' ? String(value.value) : value.text;
}

/** The Java type Jenkins names in a type error (`erasedType` as printed), or undefined if not checked. */
function javaTypeOf(type: ParameterType): string | undefined {
  switch (type.kind) {
    case 'string':
      return 'class java.lang.String';
    case 'number':
      return type.integer ? 'int' : 'double';
    default:
      return undefined;
  }
}

/**
 * ModelValidatorImpl.validateParameterType: a String parameter refuses an Integer or Boolean
 * literal, a number parameter a String or Boolean literal (Groovy's castToType would coerce them,
 * but the step would fail at run time). Returns Jenkins' message, or undefined when it passes.
 */
export function parameterTypeError(type: ParameterType, value: LiteralValue, key: string | undefined): string | undefined {
  const javaType = javaTypeOf(type);
  if (javaType === undefined) return undefined;
  const refused =
    type.kind === 'string'
      ? (value.kind === 'integer' && !value.long) || value.kind === 'boolean'
      : value.kind === 'string' || value.kind === 'boolean';
  if (!refused) return undefined;
  return key !== undefined
    ? `Expecting "${javaType}" for parameter "${key}" but got "${literalText(value)}" of type ${javaClassOf(value)} instead`
    : `Expecting "${javaType}" but got "${literalText(value)}" of type ${javaClassOf(value)} instead`;
}

/** Jenkins' messages for catalog checks (ModelValidatorImpl, Messages.properties). */
export const CATALOG_MESSAGES = {
  invalidParameter: (key: string, nearest: string | undefined) => `Invalid parameter "${key}", did you mean "${nearest ?? ''}"?`,
  missingParameter: (name: string) => `Missing required parameter: "${name}"`,
  tooManyUnnamed: (name: string) => `Arguments to "${name}" must be explicitly named.`,
  wrongNumber: (name: string, required: number, given: number) => `"${name}" should have ${required} arguments but has ${given} arguments instead.`,
  notSingleRequired: () => 'Step does not take a single required parameter - use named parameters instead',
  mixedArguments: () => 'Cannot mix named and unnamed arguments',
  invalidSectionType: (what: string, name: string, valid: readonly string[]) => `Invalid ${what} type "${name}". Valid ${what} types: ${javaList(valid)}`,
  noAgentType: (valid: readonly string[]) => `No agent type specified. Must be one of ${javaList(valid)}`,
  invalidAgentType: (name: string, valid: readonly string[]) => `Invalid agent type "${name}" specified. Must be one of ${javaList(valid)}`,
  missingAgentParameter: (type: string, name: string) => `Missing required parameter for agent type "${type}": ${name}`,
  invalidAgentParameter: (key: string, type: string, valid: readonly string[]) => `Invalid config option "${key}" for agent type "${type}". Valid config options are ${javaList(valid)}`,
  multipleAgentParameters: (type: string, required: readonly string[]) => `Multiple parameters are required for agent type "${type}" - ${javaList(required)}. Please use a block instead.`,
  unknownWhen: (name: string, valid: readonly string[]) => `Unknown conditional ${name}. Valid conditionals are: ${valid.join(', ')}`,
} as const;

/** A Java collection's toString: `[a, b, c]`. */
export function javaList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}
