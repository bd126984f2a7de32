/**
 * Deterministic text of a loaded value, for cache keys: two values with the same text look the
 * same to every compiler phase (zod reads own string-keyed properties, in property order).
 *
 * Only plain data is accepted: strings, numbers (NaN, infinities and -0 included), booleans,
 * null, undefined, bigints, arrays without holes, and objects whose prototype is
 * `Object.prototype` or `null` and whose own string-keyed properties are all enumerable.
 * Symbol-keyed properties (the loader's pipeline marker) are ignored, as the compiler ignores
 * them. Anything else (functions, class instances, Maps, Dates, cycles, non-enumerable
 * properties) makes the value uncacheable: the result is `undefined` and the caller compiles it
 * afresh. Getters are read like data (the compiler reads them the same way).
 *
 * The common case (JSON-representable data) is checked by one walk and written by
 * `JSON.stringify`; values holding undefined, NaN, ±Infinity, -0 or bigints take a slower writer
 * that spells those out (JSON would write them as null or 0, or drop the key).
 */

/** How deep a value may nest before it is treated as uncacheable. */
const MAX_DEPTH = 200;

/** Thrown internally to abandon a value that cannot be keyed. */
class Uncacheable extends Error {}

export interface SerializeOptions {
  /**
   * How to write functions: `'reject'` (default) makes the value uncacheable; `'source'` writes
   * their source text (for configurations, whose custom rules are functions).
   */
  functions?: 'reject' | 'source';
}

const isPlainPrototype = (node: object): boolean => {
  const prototype = Object.getPrototypeOf(node) as unknown;
  return prototype === Object.prototype || prototype === null;
};

/**
 * Checks that `node` is plain data; returns whether it holds values JSON cannot write faithfully.
 * Throws `Uncacheable` otherwise (cycles included: `open` holds the objects being walked).
 */
function needsExactWriter(node: unknown, depth: number, open: Set<object>): boolean {
  switch (typeof node) {
    case 'string':
    case 'boolean':
      return false;
    case 'number':
      return !Number.isFinite(node) || Object.is(node, -0);
    case 'undefined':
    case 'bigint':
      return true;
    case 'object':
      break;
    default:
      throw new Uncacheable();
  }
  if (node === null) return false;
  if (depth > MAX_DEPTH || open.has(node)) throw new Uncacheable();
  open.add(node);
  let special = false;
  if (Array.isArray(node)) {
    if (Object.getPrototypeOf(node) !== Array.prototype) throw new Uncacheable();
    for (let index = 0; index < node.length; index += 1) {
      if (!(index in node)) throw new Uncacheable();
      if (needsExactWriter(node[index], depth + 1, open)) special = true;
    }
  } else {
    if (!isPlainPrototype(node)) throw new Uncacheable();
    let count = 0;
    for (const key in node) {
      count += 1;
      if (needsExactWriter((node as Record<string, unknown>)[key], depth + 1, open)) special = true;
    }
    // A non-enumerable property would be read by the compiler but missed by `for...in`.
    if (Object.getOwnPropertyNames(node).length !== count) throw new Uncacheable();
  }
  open.delete(node);
  return special;
}

/** The slow, exact writer: JSON-like, with tags for what JSON cannot say. */
function writeExact(value: unknown, functionSource: boolean): string {
  const open = new Set<object>();
  const write = (node: unknown, depth: number): string => {
    switch (typeof node) {
      case 'string':
        return JSON.stringify(node);
      case 'number':
        return Number.isFinite(node) && !Object.is(node, -0) ? String(node) : `#${Object.is(node, -0) ? '-0' : String(node)}`;
      case 'boolean':
        return node ? 'true' : 'false';
      case 'undefined':
        return '#u';
      case 'bigint':
        return `#${node}n`;
      case 'function':
        if (functionSource) return `#f${JSON.stringify(Function.prototype.toString.call(node))}`;
        throw new Uncacheable();
      case 'symbol':
        throw new Uncacheable();
    }
    if (node === null) return 'null';
    if (depth > MAX_DEPTH || open.has(node as object)) throw new Uncacheable();
    open.add(node as object);
    let text: string;
    if (Array.isArray(node)) {
      if (Object.getPrototypeOf(node) !== Array.prototype) throw new Uncacheable();
      text = '[';
      for (let index = 0; index < node.length; index += 1) {
        if (!(index in node)) throw new Uncacheable();
        if (index > 0) text += ',';
        text += write(node[index], depth + 1);
      }
      text += ']';
    } else {
      if (!isPlainPrototype(node as object)) throw new Uncacheable();
      const keys = Object.keys(node as object);
      if (Object.getOwnPropertyNames(node).length !== keys.length) throw new Uncacheable();
      text = '{';
      keys.forEach((key, index) => {
        text += `${index > 0 ? ',' : ''}${JSON.stringify(key)}:${write((node as Record<string, unknown>)[key], depth + 1)}`;
      });
      text += '}';
    }
    open.delete(node as object);
    return text;
  };
  return write(value, 0);
}

/** The deterministic text of `value`, or `undefined` when it is not plain data. */
export function serializeValue(value: unknown, options: SerializeOptions = {}): string | undefined {
  try {
    if (options.functions === 'source') return writeExact(value, true);
    return needsExactWriter(value, 0, new Set()) ? writeExact(value, false) : JSON.stringify(value);
  } catch (error) {
    if (error instanceof Uncacheable || error instanceof RangeError) return undefined;
    throw error;
  }
}
