/**
 * Reading a model (plain data) at a model path, as diagnostics and origins name places.
 */

/** The value at `path` in a model, or `undefined` where the path leads nowhere. */
export function modelValueAt(model: unknown, path: readonly (string | number)[]): unknown {
  let value = model;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}
