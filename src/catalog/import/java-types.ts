/**
 * Java type names, as a controller reports them (GDSL `type:` strings, the export script's
 * `javaType`), mapped to the catalog's {@link ParameterType}. Shared by the GDSL and the
 * export-script importers so both read `int`, `java.lang.Integer` or `java.util.List` the same way.
 */
import type { ParameterType } from '../schema.ts';

/** `java.util.concurrent.TimeUnit`'s constants: the one enum GDSL names (it is a `java.*` class). */
export const TIME_UNIT_VALUES = ['NANOSECONDS', 'MICROSECONDS', 'MILLISECONDS', 'SECONDS', 'MINUTES', 'HOURS', 'DAYS'];

const STRING_TYPES = new Set(['String', 'java.lang.String', 'char', 'java.lang.Character', 'Character', 'groovy.lang.GString', 'java.lang.CharSequence', 'CharSequence']);
const BOOLEAN_TYPES = new Set(['boolean', 'java.lang.Boolean', 'Boolean']);
const INTEGER_TYPES = new Set(['int', 'long', 'short', 'byte', 'java.lang.Integer', 'java.lang.Long', 'java.lang.Short', 'java.lang.Byte', 'Integer', 'Long', 'Short', 'Byte', 'java.math.BigInteger']);
const DECIMAL_TYPES = new Set(['float', 'double', 'java.lang.Float', 'java.lang.Double', 'Float', 'Double', 'java.math.BigDecimal']);
const LIST_TYPES = new Set(['java.util.List', 'java.util.Collection', 'java.lang.Iterable', 'java.util.Set', 'java.util.ArrayList', 'java.util.SortedSet', 'List', 'Collection', 'Iterable', 'Set']);
const MAP_TYPES = new Set(['java.util.Map', 'java.util.HashMap', 'java.util.LinkedHashMap', 'java.util.SortedMap', 'java.util.TreeMap']);
const CLOSURE_TYPES = new Set(['Closure', 'groovy.lang.Closure']);

/**
 * Maps a Java type name to a parameter type. Arrays (`java.lang.String[]`, JVM `[Ljava.lang.String;`)
 * become lists of their element type. `Map` alone is GDSL's rendering of any class outside `java.*`
 * (a describable, a plugin enum, ...): it says nothing more, so it maps to `unknown` with
 * `javaType: 'Map'`, not to a map. Unrecognised names map to `unknown` carrying the name.
 */
export function javaTypeToParameterType(javaType: string): ParameterType {
  const name = javaType.trim().replace(/^(class|interface) /, '');
  if (STRING_TYPES.has(name)) return { kind: 'string' };
  if (BOOLEAN_TYPES.has(name)) return { kind: 'boolean' };
  if (INTEGER_TYPES.has(name)) return { kind: 'number', integer: true };
  if (DECIMAL_TYPES.has(name)) return { kind: 'number', integer: false };
  if (name === 'java.util.concurrent.TimeUnit') return { kind: 'enum', values: [...TIME_UNIT_VALUES] };
  if (LIST_TYPES.has(name)) return { kind: 'list', of: { kind: 'unknown' } };
  if (MAP_TYPES.has(name)) return { kind: 'map' };
  if (CLOSURE_TYPES.has(name)) return { kind: 'closure' };
  if (name.endsWith('[]')) return { kind: 'list', of: javaTypeToParameterType(name.slice(0, -2)) };
  const jvmArray = /^\[L(.+);$/.exec(name);
  if (jvmArray) return { kind: 'list', of: javaTypeToParameterType(jvmArray[1]!) };
  if (name === 'Object' || name === 'java.lang.Object') return { kind: 'unknown' };
  return { kind: 'unknown', javaType: name };
}
