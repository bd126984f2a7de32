/**
 * Exact memo keys for the IAM generator's inputs. A fleet's pipelines hand the generator the same
 * scripts, step resources and calls over and over; the generator keeps its answers per input, and
 * a key must never let two different inputs share an answer (pipeline modules are hostile code).
 * JSON is not exact (`{ a: undefined }` and `{}` print alike, so do `[undefined]` and `[null]`),
 * hence an encoding of its own.
 */

/** Deeper than any step resource or policy: a deeper (or cyclic) value is not memoized. */
const MAX_DEPTH = 32;

/**
 * A string that two values share only when they are the same plain data (strings, numbers,
 * booleans, `null`, `undefined`, arrays without holes, objects whose prototype is `Object.prototype`
 * or `null`, compared by their own enumerable string keys in order), together with a copy of that
 * data: a result computed from the copy is a result for exactly the key. `undefined` for anything
 * else (functions, class instances, Maps, cycles), which callers then do not memoize.
 */
export function plainSnapshot<T>(value: T): { key: string; copy: T } | undefined {
  const parts: string[] = [];
  const copy = snapshotInto(value, parts, 0);
  return copy === NOT_PLAIN ? undefined : { key: parts.join(''), copy: copy as T };
}

/** {@link plainSnapshot}'s key alone (cheaper: no copy). */
export function exactKey(value: unknown): string | undefined {
  return keyOf(value, 0);
}

/**
 * Whether `value` is the same plain data as `copy` (a {@link plainSnapshot} copy), compared in
 * place: true exactly when their keys would be equal, with the top-level entry `omit` of `value`
 * left out (`copy` was taken without it). Cheaper than building a key: nothing is allocated but
 * the own-key lists.
 */
export function equalsPlainCopy(value: unknown, copy: unknown, omit?: string): boolean {
  return sameData(value, copy, 0, omit);
}

function sameData(value: unknown, copy: unknown, depth: number, omit?: string): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value === copy;
    case 'number':
      // As keyed: -0 is not 0, and NaN is NaN.
      return typeof copy === 'number' && Object.is(value, copy);
    case 'object': {
      if (value === null || copy === null) return value === copy;
      if (typeof copy !== 'object' || depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        if (!Array.isArray(copy) || Object.getPrototypeOf(value) !== Array.prototype || value.length !== copy.length) return false;
        for (let i = 0; i < value.length; i++) if (!(i in value) || !sameData(value[i], copy[i], depth + 1)) return false;
        return true;
      }
      if (Array.isArray(copy)) return false;
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== null) return false;
      const names = Object.keys(copy);
      let at = 0;
      for (const name of Object.keys(value)) {
        if (name === omit) continue;
        if (names[at] !== name || !sameData((value as Record<string, unknown>)[name], (copy as Record<string, unknown>)[name], depth + 1)) return false;
        at++;
      }
      return at === names.length;
    }
    default:
      return false;
  }
}

// The encoding: a type letter, strings and object keys length-prefixed (`s5:hello`), so any key
// decodes back to one value; numbers as `String` up to `;` (`-0` apart), arrays `[…]`, objects `{…}`.
function keyOf(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return Object.is(value, -0) ? 'n-0;' : `n${value};`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'object': {
      if (value === null) return 'l';
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return undefined;
        let key = '[';
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return undefined;
          const item = keyOf(value[i], depth + 1);
          if (item === undefined) return undefined;
          key += item;
        }
        return `${key}]`;
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== null) return undefined;
      let key = '{';
      for (const name of Object.keys(value)) {
        const entry = keyOf((value as Record<string, unknown>)[name], depth + 1);
        if (entry === undefined) return undefined;
        key += `${name.length}:${name}${entry}`;
      }
      return `${key}}`;
    }
    default:
      return undefined;
  }
}

const NOT_PLAIN = Symbol('not plain data');

function snapshotInto(value: unknown, parts: string[], depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      parts.push(keyOf(value, depth)!);
      return value;
    case 'object': {
      if (value === null) {
        parts.push('l');
        return value;
      }
      if (depth >= MAX_DEPTH) return NOT_PLAIN;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
        const items: unknown[] = [];
        parts.push('[');
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return NOT_PLAIN;
          const item = snapshotInto(value[i], parts, depth + 1);
          if (item === NOT_PLAIN) return NOT_PLAIN;
          items.push(item);
        }
        parts.push(']');
        return items;
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
      const entries: Record<string, unknown> = {};
      parts.push('{');
      for (const key of Object.keys(value)) {
        parts.push(`${key.length}:${key}`);
        const entry = snapshotInto((value as Record<string, unknown>)[key], parts, depth + 1);
        if (entry === NOT_PLAIN) return NOT_PLAIN;
        // An own `__proto__` key must stay an own data property of the copy, not set its prototype.
        if (key === '__proto__') Object.defineProperty(entries, key, { value: entry, enumerable: true, writable: true, configurable: true });
        else entries[key] = entry;
      }
      parts.push('}');
      return entries;
    }
    default:
      return NOT_PLAIN;
  }
}
