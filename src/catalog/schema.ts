/**
 * The controller catalog: what a Jenkins controller offers (plugins, steps, describables), as one
 * versioned JSON document. zod is the single source of truth; the TS types are inferred from it.
 *
 * Sources: the bundled default catalog (generated from plugin sources by `scripts/catalog/`),
 * `pipewright catalog import` (a controller's GDSL, the JSON of `pipewright catalog
 * export-script`, an installed-plugin list). Checks, typed steps and `pipewright plugins` read it.
 */
import { z } from 'zod';

/** Bumped on any incompatible change of the document shape. */
export const CATALOG_FORMAT = 1;

/** The type of a step or describable parameter, as Jenkins' `DescribableModel` sees it. */
export type ParameterType =
  | { kind: 'string' }
  | { kind: 'boolean' }
  /** Java int/long (`integer: true`) or float/double. */
  | { kind: 'number'; integer: boolean }
  /** A Java enum or a fixed set of accepted strings. */
  | { kind: 'enum'; values: string[] }
  | { kind: 'map' }
  | { kind: 'list'; of: ParameterType }
  /**
   * A nested describable chosen by symbol, e.g. `buildDiscarder(logRotator(...))`; `describableKind`
   * names the kind in `describables` that supplies the candidates (or `baseClass` when the kind is
   * not one of ours). `symbols` lists the accepted symbols when known.
   */
  | {
      kind: 'describable';
      describableKind?: DescribableKind;
      baseClass?: string;
      symbols?: string[];
      /**
       * The parameters of a nested type without a symbol, written as a map (`publishHTML`'s
       * `target: [reportDir: ..., reportFiles: ...]`, an `HtmlPublisherTarget`), when known.
       */
      parameters?: NestedParameter[];
    }
  /** A Groovy closure (a step body or a callback). */
  | { kind: 'closure' }
  /** Anything (`Object`, or a type the source of the catalog could not resolve). */
  | { kind: 'unknown'; javaType?: string };

/** A parameter of a nested symbol-less type (same fields as a step parameter). */
export interface NestedParameter {
  name: string;
  type: ParameterType;
  required: boolean;
  deprecated?: boolean;
  doc?: string;
}

export const ParameterTypeSchema: z.ZodType<ParameterType> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('string') }),
    z.strictObject({ kind: z.literal('boolean') }),
    z.strictObject({ kind: z.literal('number'), integer: z.boolean() }),
    z.strictObject({ kind: z.literal('enum'), values: z.array(z.string()) }),
    z.strictObject({ kind: z.literal('map') }),
    z.strictObject({ kind: z.literal('list'), of: ParameterTypeSchema }),
    z.strictObject({
      kind: z.literal('describable'),
      describableKind: z.lazy(() => DescribableKindSchema).optional(),
      baseClass: z.string().optional(),
      symbols: z.array(z.string()).optional(),
      parameters: z.array(z.lazy(() => ParameterSchema)).optional(),
    }),
    z.strictObject({ kind: z.literal('closure') }),
    z.strictObject({ kind: z.literal('unknown'), javaType: z.string().optional() }),
  ]),
);

export const ParameterSchema = z.strictObject({
  name: z.string().min(1),
  type: ParameterTypeSchema,
  /** A `@DataBoundConstructor` parameter (required) rather than a `@DataBoundSetter` (optional). */
  required: z.boolean(),
  deprecated: z.boolean().optional(),
  /** One-line documentation (from the help file or GDSL `doc:`), when the source has it. */
  doc: z.string().optional(),
});
export type CatalogParameter = z.infer<typeof ParameterSchema>;

export const StepSchema = z.strictObject({
  /** The Groovy function name (`StepDescriptor.getFunctionName()`), e.g. `sh`, `withAWS`. */
  name: z.string().min(1),
  /** Short name of the plugin that provides it (`workflow-durable-task-step`), `core` for Jenkins core. */
  plugin: z.string().min(1),
  /** `takesImplicitBlockArgument()`: called with a `{ ... }` body. */
  takesBlock: z.boolean(),
  /** `getRequiredContext()` includes `FilePath`/`Launcher`/`Node`: must run inside `node`/an agent. */
  requiresNode: z.boolean(),
  parameters: z.array(ParameterSchema),
  /**
   * The step accepts a single unnamed argument for this parameter (`sh 'make'` = `sh script: 'make'`),
   * as `DescribableModel.hasSingleRequiredParameter()` allows.
   */
  defaultParameter: z.string().optional(),
  /** A meta-step such as `step`/`wrap` that dispatches to describables of this kind. */
  metaStepOf: z.lazy(() => DescribableKindSchema).optional(),
  /** `isAdvanced()`: hidden from the snippet generator's main list. */
  advanced: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  /** Display name or one-line documentation. */
  doc: z.string().optional(),
});
export type CatalogStep = z.infer<typeof StepSchema>;

/**
 * Kinds of describables a pipeline names by symbol. `option` is a declarative option
 * (`DeclarativeOption`); `jobProperty` a `JobProperty` usable in `options {}` at pipeline level;
 * `wrapper` a block-scoped step usable as an option (`timeout`, `timestamps`, `retry`, ...).
 */
export const DESCRIBABLE_KINDS = [
  'agent',
  'when',
  'option',
  'jobProperty',
  'wrapper',
  'trigger',
  'parameter',
  'credentialBinding',
  'scm',
  'tool',
  'postCondition',
  /** `SimpleBuildStep`/`Publisher` run through the generic `step(...)` meta-step. */
  'buildStep',
  /** Anything else a nested describable parameter refers to (e.g. `logRotator`, `gitUsernamePassword`). */
  'other',
] as const;
export const DescribableKindSchema = z.enum(DESCRIBABLE_KINDS);
export type DescribableKind = z.infer<typeof DescribableKindSchema>;

export const DescribableSchema = z.strictObject({
  kind: DescribableKindSchema,
  /** The `@Symbol` a pipeline uses (`label`, `branch`, `buildDiscarder`, `usernamePassword`). */
  symbol: z.string().min(1),
  plugin: z.string().min(1),
  /** Fully qualified Java class, when known (used to resolve nested describable types). */
  className: z.string().optional(),
  parameters: z.array(ParameterSchema),
  defaultParameter: z.string().optional(),
  /** For `option`/`wrapper`/`jobProperty`: allowed in a stage's `options {}` (`canUseInStage()`). */
  allowedInStage: z.boolean().optional(),
  /** For `when` conditions that take nested conditions (`allOf`, `not`, ...). */
  takesConditions: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  doc: z.string().optional(),
});
export type CatalogDescribable = z.infer<typeof DescribableSchema>;

export const CatalogPluginSchema = z.strictObject({
  /** Short name (`pipeline-aws`), as in `plugins.txt`. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  /** Installed or pinned version (`1.45`, `2.41.v...`); `core` carries the Jenkins version. */
  version: z.string().min(1),
  /** Provenance for a bundled catalog: repository and commit the facts were read from. */
  repository: z.string().optional(),
  commit: z.string().regex(/^[0-9a-f]{40}$/).optional(),
});
export type CatalogPlugin = z.infer<typeof CatalogPluginSchema>;

export const CatalogSourceSchema = z.enum(['bundled', 'gdsl', 'export-script', 'plugin-list', 'merged']);
export type CatalogSource = z.infer<typeof CatalogSourceSchema>;

export const CatalogSchema = z.strictObject({
  format: z.literal(CATALOG_FORMAT),
  /** Human-readable name (`pipewright default`, `jenkins.example.com`). */
  name: z.string().min(1),
  source: CatalogSourceSchema,
  /**
   * Whether the catalog claims to list everything the controller has. A bundled or GDSL catalog
   * is partial for plugins (an unknown plugin step is a warning, not an error); an export-script
   * dump is complete.
   */
  complete: z.boolean(),
  plugins: z.array(CatalogPluginSchema),
  steps: z.array(StepSchema),
  describables: z.array(DescribableSchema),
});
/** A controller catalog document (see `docs/catalog.md`). */
export type Catalog = z.infer<typeof CatalogSchema>;
