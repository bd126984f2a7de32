/**
 * Converts the JSON printed by pipewright's export script (`pipewright catalog export-script`,
 * src/catalog/export-script.ts) into a catalog. The dump is raw: descriptors and
 * `DescribableModel`s as Jenkins reports them, nested types by class name in `models`. This module
 * decides what they mean for pipewright (which Java types are strings or numbers, which required
 * context needs a node, which meta-step dispatches to which kind).
 */
import { z } from 'zod';
import {
  CATALOG_FORMAT,
  type Catalog,
  type CatalogDescribable,
  type CatalogParameter,
  type CatalogPlugin,
  type CatalogStep,
  type DescribableKind,
  type ParameterType,
} from '../schema.ts';
import { javaTypeToParameterType } from './java-types.ts';

type RawType =
  | { kind: 'atomic'; javaType?: string | null }
  | { kind: 'enum'; javaType?: string | null; values: string[] }
  | { kind: 'array'; javaType?: string | null; of: RawType }
  | { kind: 'object'; javaType?: string | null; className: string }
  | { kind: 'choice'; javaType?: string | null; candidates: { key: string; className: string }[] }
  | { kind: 'error'; javaType?: string | null; message?: string | null }
  | { kind: 'unknown'; javaType?: string | null };

const javaType = z.string().nullish();
const RawTypeSchema: z.ZodType<RawType> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('atomic'), javaType }),
    z.object({ kind: z.literal('enum'), javaType, values: z.array(z.string()) }),
    z.object({ kind: z.literal('array'), javaType, of: RawTypeSchema }),
    z.object({ kind: z.literal('object'), javaType, className: z.string() }),
    z.object({ kind: z.literal('choice'), javaType, candidates: z.array(z.object({ key: z.string(), className: z.string() })) }),
    z.object({ kind: z.literal('error'), javaType, message: z.string().nullish() }),
    z.object({ kind: z.literal('unknown'), javaType }),
  ]),
);

const RawModelSchema = z.object({
  className: z.string(),
  plugin: z.string().optional(),
  symbols: z.array(z.string()).optional(),
  displayName: z.string().nullish(),
  deprecated: z.boolean().nullish(),
  soleRequiredParameter: z.string().nullish(),
  parameters: z
    .array(z.object({ name: z.string(), required: z.boolean(), deprecated: z.boolean().nullish(), type: RawTypeSchema }))
    .optional(),
  error: z.string().optional(),
});
type RawModel = z.infer<typeof RawModelSchema>;

/** The export script's output (`pipewrightExport: 1`). */
export const ExportDumpSchema = z.object({
  pipewrightExport: z.literal(1),
  jenkinsVersion: z.string(),
  url: z.string().nullish(),
  plugins: z.array(z.object({ id: z.string(), version: z.string(), active: z.boolean().optional(), enabled: z.boolean().optional() })),
  steps: z.array(
    z.object({
      functionName: z.string(),
      displayName: z.string().nullish(),
      className: z.string().optional(),
      plugin: z.string().optional(),
      takesBlock: z.boolean().optional(),
      advanced: z.boolean().optional(),
      requiredContext: z.array(z.string()).optional(),
      metaStep: z.boolean().optional(),
      metaStepArgumentType: z.string().nullish(),
      model: z.string().optional(),
      error: z.string().optional(),
    }),
  ),
  describables: z.array(
    z.object({
      kind: z.string(),
      className: z.string(),
      model: z.string().optional(),
      plugin: z.string().optional(),
      symbols: z.array(z.string()).optional(),
      canUseInStage: z.boolean().optional(),
      allowedChildrenCount: z.number().optional(),
    }),
  ),
  models: z.record(z.string(), RawModelSchema),
  problems: z.array(z.string()).optional(),
});
/** The export script's output, parsed. */
export type ExportDump = z.infer<typeof ExportDumpSchema>;

/** A dump that is not the export script's output (with zod's reasons). */
export class ExportDumpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportDumpError';
  }
}

/** What {@link importExportDump} returns. */
export interface ExportDumpImport {
  catalog: Catalog;
  /** Steps or describables the controller could not describe, and what the conversion skipped. */
  warnings: string[];
}

/** Required contexts that mean "inside `node`": a workspace, a launcher, a node or computer. */
const NODE_CONTEXTS = new Set(['hudson.FilePath', 'hudson.Launcher', 'hudson.model.Node', 'hudson.model.Computer']);

/** Meta-step argument types (`step`, `wrap`) → the kind of describables they dispatch to. */
const META_STEP_KINDS: Record<string, DescribableKind> = {
  'hudson.tasks.BuildStep': 'buildStep',
  'jenkins.tasks.SimpleBuildStep': 'buildStep',
  'hudson.tasks.BuildWrapper': 'wrapper',
  'jenkins.tasks.SimpleBuildWrapper': 'wrapper',
};

const KINDS = new Set<string>(['agent', 'when', 'option', 'jobProperty', 'wrapper', 'trigger', 'parameter', 'credentialBinding', 'scm', 'tool', 'postCondition', 'buildStep']);

class Converter {
  readonly warnings: string[] = [];
  /** Symbol'd models reached from a parameter type: listed as `other` describables when no kind lists them. */
  readonly reached = new Set<string>();

  constructor(private readonly models: Record<string, RawModel>) {}

  model(className: string): RawModel | undefined {
    return this.models[className];
  }

  type(raw: RawType, path: string[]): ParameterType {
    switch (raw.kind) {
      case 'atomic':
        return javaTypeToParameterType(raw.javaType ?? 'java.lang.Object');
      case 'enum':
        return { kind: 'enum', values: [...raw.values] };
      case 'array':
        return { kind: 'list', of: this.type(raw.of, path) };
      case 'object': {
        const model = this.model(raw.className);
        const symbols = model?.symbols ?? [];
        const type: ParameterType = { kind: 'describable', baseClass: raw.className };
        if (symbols.length > 0) {
          type.symbols = [...symbols];
          this.reached.add(raw.className);
        } else if (model?.parameters && !path.includes(raw.className)) {
          // A symbol-less nested type is written as a map: keep its parameters inline.
          type.parameters = this.parameters(model, [...path, raw.className]);
        }
        return type;
      }
      case 'choice': {
        const symbols = new Set<string>();
        for (const candidate of raw.candidates) {
          const model = this.model(candidate.className);
          for (const symbol of model?.symbols ?? []) symbols.add(symbol);
          if ((model?.symbols ?? []).length > 0) this.reached.add(candidate.className);
        }
        const type: ParameterType = { kind: 'describable' };
        if (raw.javaType) type.baseClass = raw.javaType;
        if (symbols.size > 0) type.symbols = [...symbols].sort();
        return type;
      }
      case 'error':
      case 'unknown':
        return raw.javaType ? { kind: 'unknown', javaType: raw.javaType } : { kind: 'unknown' };
    }
  }

  parameters(model: RawModel, path: string[]): CatalogParameter[] {
    return (model.parameters ?? []).map((raw) => {
      const parameter: CatalogParameter = { name: raw.name, type: this.type(raw.type, path), required: raw.required };
      if (raw.deprecated) parameter.deprecated = true;
      return parameter;
    });
  }
}

/**
 * Converts the export script's JSON into a `complete` catalog (`source: 'export-script'`): the
 * plugins that are active and enabled plus `core` at the Jenkins version; every step (a step the
 * controller could not describe, such as `parallel`, which has no data-bound constructor, is kept
 * with no parameters, and a warning); the describables of each declarative kind; and, as `other`,
 * every symbol'd describable a parameter refers to. Symbol-less nested types are kept inline in
 * the parameter type.
 *
 * @throws ExportDumpError when the JSON is not the export script's output.
 */
export function importExportDump(text: string | unknown, options: { name?: string } = {}): ExportDumpImport {
  let document: unknown = text;
  if (typeof text === 'string') {
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new ExportDumpError(`not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = ExportDumpSchema.safeParse(document);
  if (!parsed.success) {
    throw new ExportDumpError(`not the output of pipewright's export script: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const dump = parsed.data;
  const converter = new Converter(dump.models);
  const warnings = converter.warnings;
  for (const problem of dump.problems ?? []) warnings.push(`controller: ${problem}`);

  const plugins: CatalogPlugin[] = [{ id: 'core', version: dump.jenkinsVersion }];
  for (const plugin of dump.plugins) {
    if (plugin.active === false || plugin.enabled === false) continue;
    plugins.push({ id: plugin.id, version: plugin.version });
  }

  const steps: CatalogStep[] = [];
  const seenSteps = new Set<string>();
  for (const raw of dump.steps) {
    if (seenSteps.has(raw.functionName)) {
      warnings.push(`step ${raw.functionName}: defined twice (${raw.className ?? '?'}); the first is kept`);
      continue;
    }
    seenSteps.add(raw.functionName);
    const model = raw.model === undefined ? undefined : converter.model(raw.model);
    const step: CatalogStep = {
      name: raw.functionName,
      plugin: raw.plugin ?? model?.plugin ?? 'core',
      takesBlock: raw.takesBlock ?? false,
      requiresNode: (raw.requiredContext ?? []).some((context) => NODE_CONTEXTS.has(context)),
      parameters: [],
    };
    const error = raw.error ?? model?.error;
    if (model && !error) {
      step.parameters = converter.parameters(model, [model.className]);
      if (model.soleRequiredParameter) step.defaultParameter = model.soleRequiredParameter;
      if (model.deprecated) step.deprecated = true;
    } else {
      warnings.push(`step ${raw.functionName}: the controller could not describe its parameters (${error ?? 'no model'})`);
    }
    const metaKind = raw.metaStep && raw.metaStepArgumentType ? META_STEP_KINDS[raw.metaStepArgumentType] : undefined;
    if (metaKind) step.metaStepOf = metaKind;
    if (raw.advanced) step.advanced = true;
    if (raw.displayName) step.doc = raw.displayName;
    steps.push(step);
  }

  const describables: CatalogDescribable[] = [];
  const listed = new Set<string>();
  const add = (kind: DescribableKind, className: string, model: RawModel | undefined, extra: Partial<CatalogDescribable>, plugin?: string, symbols?: string[]) => {
    const symbolList = symbols ?? model?.symbols ?? [];
    if (symbolList.length === 0) {
      if (kind !== 'other') warnings.push(`${kind} ${className}: no @Symbol, so no pipeline can name it: skipped`);
      return;
    }
    for (const symbol of symbolList) {
      const key = `${kind}:${symbol}`;
      if (listed.has(key)) continue;
      listed.add(key);
      const describable: CatalogDescribable = {
        kind,
        symbol,
        plugin: plugin ?? model?.plugin ?? 'core',
        className,
        parameters: model && !model.error ? converter.parameters(model, [className]) : [],
        ...extra,
      };
      if (model?.soleRequiredParameter) describable.defaultParameter = model.soleRequiredParameter;
      if (model?.deprecated) describable.deprecated = true;
      if (model?.displayName) describable.doc = model.displayName;
      if (model?.error) warnings.push(`${kind} ${symbol}: the controller could not describe its parameters (${model.error})`);
      describables.push(describable);
    }
  };
  const listedClasses = new Set<string>();
  for (const raw of dump.describables) {
    if (!KINDS.has(raw.kind)) {
      warnings.push(`describable ${raw.className}: unknown kind "${raw.kind}": skipped`);
      continue;
    }
    const kind = raw.kind as DescribableKind;
    const model = raw.model === undefined ? undefined : converter.model(raw.model);
    const extra: Partial<CatalogDescribable> = {};
    if (raw.canUseInStage !== undefined) extra.allowedInStage = raw.canUseInStage;
    if (raw.allowedChildrenCount !== undefined && raw.allowedChildrenCount !== 0) extra.takesConditions = true;
    add(kind, raw.className, model, extra, raw.plugin, raw.symbols);
    listedClasses.add(raw.className);
  }
  // Parameters may have reached more symbol'd describables while converting the kinds above.
  const done = new Set(listedClasses);
  for (;;) {
    const next = [...converter.reached].filter((className) => !done.has(className)).sort();
    if (next.length === 0) break;
    for (const className of next) {
      done.add(className);
      add('other', className, converter.model(className), {});
    }
  }

  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    catalog: {
      format: CATALOG_FORMAT,
      name: options.name ?? controllerName(dump),
      source: 'export-script',
      complete: true,
      plugins: plugins.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      steps: steps.sort(byName),
      describables: describables.sort((a, b) => (a.kind + a.symbol < b.kind + b.symbol ? -1 : a.kind + a.symbol > b.kind + b.symbol ? 1 : 0)),
    },
    warnings,
  };
}

function controllerName(dump: ExportDump): string {
  if (dump.url) {
    try {
      return new URL(dump.url).host || dump.url;
    } catch {
      return dump.url;
    }
  }
  return `Jenkins ${dump.jenkinsVersion}`;
}
