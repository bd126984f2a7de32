/**
 * Suppressions live in the pipeline source, on the node they excuse (the pipeline, a stage or a
 * step), never as path strings. A suppression on a node covers findings of its rule on that node
 * and everything inside it.
 */
import type { ModelPath } from '../diagnostics.ts';
import type { Suppression } from '../model/schema.ts';
import type { PipelineIndex } from './model-index.ts';

/** A suppression together with where it sits in the model. */
export interface PlacedSuppression {
  readonly suppression: Suppression;
  /** Path of the suppression entry itself, e.g. `['stages', 2, 'suppressions', 0]`. */
  readonly path: ModelPath;
  /** Path of the node it is attached to: the scope it covers (`[]` for the pipeline). */
  readonly scope: ModelPath;
}

/**
 * Every suppression in the model: on the pipeline, on stages and on steps (the nodes the schema
 * lets carry them), in that order.
 */
export function collectSuppressions(index: PipelineIndex): PlacedSuppression[] {
  const out: PlacedSuppression[] = [];
  // Indexed loops over every stage and step: run for each pipeline, mostly cold, and most hold none.
  addPlaced(out, index.pipeline.suppressions, []);
  const { stages, steps } = index;
  for (let i = 0; i < stages.length; i++) addPlaced(out, stages[i]!.stage.suppressions, stages[i]!.path);
  for (let i = 0; i < steps.length; i++) addPlaced(out, (steps[i]!.step as { suppressions?: Suppression[] }).suppressions, steps[i]!.path);
  return out;
}

function addPlaced(out: PlacedSuppression[], list: readonly Suppression[] | undefined, scope: ModelPath): void {
  if (!list) return;
  for (let i = 0; i < list.length; i++) out.push({ suppression: list[i]!, path: [...scope, 'suppressions', i], scope });
}

/** `2026-01-31` → whether it is a real calendar date. */
export function isCalendarDate(date: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

/** `YYYY-MM-DD` of a date in UTC. */
export const isoDate = (date: Date): string => date.toISOString().slice(0, 10);

/** Whole days from `from` to `to` (both `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
