/**
 * Suppressions live in the pipeline source, on the node they excuse (the pipeline, a stage or a
 * step), never as path strings. A suppression on a node covers findings of its rule on that node
 * and everything inside it.
 */
import type { ModelPath } from '../diagnostics.ts';
import type { Suppression, ValidPipeline } from '../model/schema.ts';

/** A suppression together with where it sits in the model. */
export interface PlacedSuppression {
  readonly suppression: Suppression;
  /** Path of the suppression entry itself, e.g. `['stages', 2, 'suppressions', 0]`. */
  readonly path: ModelPath;
  /** Path of the node it is attached to: the scope it covers (`[]` for the pipeline). */
  readonly scope: ModelPath;
}

/** Every suppression in the model, in document order. */
export function collectSuppressions(pipeline: ValidPipeline): PlacedSuppression[] {
  const out: PlacedSuppression[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, i]));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'suppressions' && Array.isArray(child)) {
        child.forEach((suppression: Suppression, i) =>
          out.push({ suppression, path: [...path, 'suppressions', i], scope: [...path] }),
        );
      } else if (typeof child === 'object' && child !== null) visit(child, [...path, key]);
    }
  };
  visit(pipeline, []);
  return out;
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
