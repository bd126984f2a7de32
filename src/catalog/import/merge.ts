/**
 * Merging an imported catalog onto another (usually the bundled one): the controller is the
 * authority on WHAT exists (its steps, their parameter names, its plugin versions), the base
 * catalog often knows more about each thing (GDSL writes every describable or plugin enum as `Map`
 * and names no plugin, where the bundled catalog has the type and the plugin).
 */
import { CATALOG_FORMAT, type Catalog, type CatalogDescribable, type CatalogParameter, type CatalogStep, type ParameterType } from '../schema.ts';
import { GDSL_UNKNOWN_PLUGIN } from './gdsl.ts';

/** A type that says nothing the base could not say better: `unknown`, or a list of `unknown`. */
function isVague(type: ParameterType): boolean {
  return type.kind === 'unknown' || (type.kind === 'list' && type.of.kind === 'unknown');
}

function mergeParameter(overlay: CatalogParameter, base: CatalogParameter | undefined): CatalogParameter {
  if (!base) return overlay;
  const merged: CatalogParameter = { ...overlay };
  if (isVague(overlay.type) && !isVague(base.type)) merged.type = base.type;
  if (merged.doc === undefined && base.doc !== undefined) merged.doc = base.doc;
  if (merged.deprecated === undefined && base.deprecated !== undefined) merged.deprecated = base.deprecated;
  return merged;
}

function mergeStep(overlay: CatalogStep, base: CatalogStep | undefined, overlayIsGdsl: boolean): CatalogStep {
  if (!base) return overlay;
  const baseParameters = new Map(base.parameters.map((p) => [p.name, p]));
  const merged: CatalogStep = {
    ...overlay,
    plugin: overlay.plugin === GDSL_UNKNOWN_PLUGIN ? base.plugin : overlay.plugin,
    parameters: overlay.parameters.map((p) => {
      const parameter = mergeParameter(p, baseParameters.get(p.name));
      // GDSL cannot say which named parameters are required beyond the first two; the base can,
      // for the same parameter of the same step.
      if (overlayIsGdsl && !parameter.required && baseParameters.get(p.name)?.required) parameter.required = true;
      return parameter;
    }),
  };
  if (merged.defaultParameter === undefined && base.defaultParameter !== undefined && overlay.parameters.some((p) => p.name === base.defaultParameter)) {
    merged.defaultParameter = base.defaultParameter;
  }
  if (merged.metaStepOf === undefined && base.metaStepOf !== undefined) merged.metaStepOf = base.metaStepOf;
  if (merged.doc === undefined && base.doc !== undefined) merged.doc = base.doc;
  return merged;
}

const key = (d: CatalogDescribable) => `${d.kind}\u0000${d.symbol}`;

/**
 * Merges `overlay` (what the controller reported) onto `base`:
 * - plugins: a plugin list or an export-script dump replaces the base's plugins (it says what is
 *   installed); otherwise union by id, the overlay's version winning.
 * - steps: a GDSL or plugin-list overlay that lists no steps keeps the base's; otherwise the
 *   overlay's steps are the steps (a step the controller lacks is gone), each completed from the
 *   base's step of the same name: its plugin when GDSL did not say, a precise type for a vague
 *   one (`unknown`), required flags GDSL could not express, docs.
 * - describables: union by kind and symbol; the overlay's entry wins.
 * The result is `source: 'merged'`, named after the overlay, and `complete` when the overlay is.
 */
export function mergeImportedCatalog(base: Catalog, overlay: Catalog): Catalog {
  // A plugin list or an export-script dump says what is installed: its plugins replace the base's
  // (a bundled plugin the controller lacks must not look installed). GDSL names no plugins.
  const pluginsAuthoritative = overlay.plugins.length > 0 && (overlay.source === 'plugin-list' || overlay.complete);
  const plugins = new Map((pluginsAuthoritative ? [] : base.plugins).map((p) => [p.id, p]));
  for (const plugin of overlay.plugins) plugins.set(plugin.id, { ...plugins.get(plugin.id), ...plugin });
  const baseSteps = new Map(base.steps.map((s) => [s.name, s]));
  const overlayIsGdsl = overlay.source === 'gdsl';
  const steps = overlay.steps.length === 0 ? base.steps : overlay.steps.map((s) => mergeStep(s, baseSteps.get(s.name), overlayIsGdsl));
  const describables = new Map(base.describables.map((d) => [key(d), d]));
  for (const describable of overlay.describables) describables.set(key(describable), describable);
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    format: CATALOG_FORMAT,
    name: overlay.name,
    source: 'merged',
    complete: overlay.complete,
    plugins: [...plugins.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    steps: [...steps].sort(byName),
    describables: [...describables.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
  };
}
