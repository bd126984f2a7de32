/**
 * Values known to be plain trees, as `JSON.parse` makes them (see `AcceptingOptions.plainTree`
 * in accepting-parser.ts): the sandbox's loader marks the default exports it parses from JSON,
 * and schema validation then skips the bookkeeping only sharing, cycles and hidden properties
 * need. A mark says nothing about validity: every value is still checked in full.
 *
 * Only this process marks values (pipeline code runs in the sandbox worker and cannot reach
 * this set); a value stays marked while it is alive.
 */

const plainTrees = new WeakSet<object>();

/**
 * Marks `value`, which must come straight from `JSON.parse` (and not have been changed since),
 * as a plain tree. Returns `value`.
 */
export function markPlainTree<T>(value: T): T {
  if (typeof value === 'object' && value !== null) plainTrees.add(value);
  return value;
}

/** Whether `value` was marked by {@link markPlainTree}. */
export function isPlainTree(value: unknown): boolean {
  return typeof value === 'object' && value !== null && plainTrees.has(value);
}
