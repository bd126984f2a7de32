/**
 * A fast path for the common case of schema validation: a value the schema accepts.
 *
 * zod's parser allocates a result payload for every property of every object it visits (absent
 * optional ones included), runs each through its wrappers, and keeps per-container cycle
 * bookkeeping; on the large models presets produce that is most of the time validation takes.
 * {@link compileAcceptingParser} turns a zod schema, once, into plain closures that answer only
 * "accepted, and this is exactly the value zod's parse returns" or "not accepted". On anything
 * but acceptance the caller runs zod itself, so every issue, message and path still comes from
 * zod; this path never produces one.
 *
 * Exactness rules (each mirrors zod 4's runtime, `zod/v4/core/schemas.js`):
 * - every check (`.min`, `.regex`, `.int`, `.refine`, ...) is run by zod's own check function;
 *   a plain string schema whose checks depend on the string alone (lengths, patterns) remembers
 *   the short strings they accepted, each exactly (a set of strings, bounded, per schema);
 * - output objects are built as zod builds them: shape keys in shape order, an optional key only
 *   when present, records in own-key order, arrays without holes, `.readonly()` frozen;
 * - transforms (`z.preprocess`) are run by zod itself, on that node only;
 * - a schema kind or option this file does not model makes compiling fail, and then the fast
 *   path is off (every value goes to zod);
 * - zod's cycle support memoizes the containers of recursive schemas per parse: an input such a
 *   container meets twice gives the same output object twice, and so it does here (other
 *   containers parse every occurrence, in zod and here);
 * - an input cycle, a promise, or anything thrown hands the value to zod (whether a user callback
 *   throws is zod's to report);
 * - a value its caller vouches for as a plain tree (JSON data: {@link AcceptingOptions}) is parsed
 *   without the bookkeeping only sharing, cycles and hidden properties need.
 */
import { z } from 'zod';

/** What a compiled parser returns for a value the schema does not accept. */
const REJECTED: unique symbol = Symbol('rejected');

/** Thrown to give the whole value to zod (see the exactness rules). */
const UNSURE: unique symbol = Symbol('unsure');

/** A memoized container whose parse has not finished (its input is a cycle). */
const IN_PROGRESS: unique symbol = Symbol('in progress');

/** Thrown by the first pass when a memoized container meets an input a second time (see {@link ParseState}). */
const REVISITED: unique symbol = Symbol('revisited');

/**
 * A parse runs in one pass when no input of a memoized container occurs twice (always, for a
 * tree such as a value parsed from JSON), else in two:
 * - the first pass only records the inputs of memoized containers (`visited`); meeting one again
 *   (a shared object or a cycle) throws {@link REVISITED};
 * - the second pass memoizes outputs as zod does (`outputs`).
 * Without sharing, zod's memo never hits, so the first pass's output is zod's; a set entry per
 * container costs a fraction of zod's memo bookkeeping. A value its caller vouches for as a
 * plain tree (see {@link AcceptingOptions}) needs neither: its parsers are compiled without
 * containers' bookkeeping (one pass, nothing recorded).
 */
interface ParseState {
  /** First pass: the inputs of the memoized containers so far. */
  visited: Set<object> | undefined;
  /** Second pass: outputs of the memoized (recursive) containers so far, by schema and input, as zod keeps them. */
  outputs: Map<Schema, Map<object, unknown>> | undefined;
}

/** What the caller of an accepting parser knows about the input. */
export interface AcceptingOptions {
  /**
   * The input is a tree of plain data as `JSON.parse` makes it: objects with `Object.prototype`
   * and only own, enumerable data properties, arrays without holes, no object reachable twice.
   * Then sharing and cycles need no tracking, and an absent key no test beyond `for...in`. Only
   * for values whose origin guarantees it (see `plain-tree.ts`): for another value the result
   * may differ from zod's in which output objects are the same object (never in validity: a
   * cycle still ends in zod), or miss a non-enumerable property zod would read.
   */
  plainTree?: boolean;
}

type Parser = (input: unknown, state: ParseState) => unknown;

/** What zod's check functions read the value from and report issues into. */
interface CheckPayload {
  value: unknown;
  issues: unknown[];
}

type Schema = z.core.$ZodType;

/** A schema kind or option the fast path does not model (compiling gives up: zod parses everything). */
class UnsupportedSchema extends Error {}

/** Result of an accepting parser: `undefined` when zod must decide. */
export type Accepted<T> = { value: T } | undefined;

/**
 * Compiles `schema` (on the first call, so that lazy schemas are complete) into a function that
 * returns `{ value }`, deep-equal to and shaped like `schema.safeParse(input).data`, when zod
 * would accept `input`, and `undefined` whenever it cannot tell cheaply (zod then decides). It
 * never returns a value zod would reject.
 */
export function compileAcceptingParser<T>(schema: z.ZodType<T>): (input: unknown, options?: AcceptingOptions) => Accepted<T> {
  // Compiled when first needed: one for any value, one for plain trees.
  let general: Parser | null | undefined;
  let plain: Parser | null | undefined;
  const compile = (plainTree: boolean): Parser | null => {
    try {
      return new Compiler(plainTree).compile(schema as unknown as Schema);
    } catch {
      // A kind this file does not model (UnsupportedSchema), or a schema zod itself would
      // refuse when parsing: either way zod parses every value, as without this file.
      return null;
    }
  };
  return (input, options) => {
    const plainTree = options?.plainTree === true;
    const parser = plainTree ? (plain ??= compile(true)) : (general ??= compile(false));
    if (parser === null) return undefined;
    try {
      let value: unknown;
      if (plainTree) value = parser(input, { visited: undefined, outputs: undefined });
      else {
        try {
          value = parser(input, { visited: new Set(), outputs: undefined });
        } catch (error) {
          if (error !== REVISITED) throw error;
          value = parser(input, { visited: undefined, outputs: new Map() });
        }
      }
      return value === REJECTED ? undefined : { value: value as T };
    } catch {
      return undefined;
    }
  };
}

/** Whether {@link compileAcceptingParser} can compile `schema` (else every value goes to zod). */
export function hasAcceptingParser(schema: z.ZodType): boolean {
  try {
    new Compiler(false).compile(schema as unknown as Schema);
    return true;
  } catch (error) {
    if (error instanceof UnsupportedSchema) return false;
    throw error;
  }
}

const isObject = (value: unknown): value is Record<PropertyKey, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;

/**
 * A container's parse, memoized per input as zod's memoizer does it when `memoize` (failures
 * too: parsing is deterministic). Only a recursive schema can meet its own input again inside
 * it (a cycle), and those are memoized: the in-progress mark catches every cycle. Like zod's
 * memoizer, it tracks objects only (a primitive is never shared). In the first pass it only
 * notes the input (see {@link ParseState}).
 */
function container(schema: Schema, memoize: boolean, parse: Parser): Parser {
  if (!memoize) return parse;
  return (input, state) => {
    if (typeof input !== 'object' || input === null) return parse(input, state);
    const visited = state.visited;
    if (visited) {
      const size = visited.size;
      if (visited.add(input).size === size) throw REVISITED;
      return parse(input, state);
    }
    let outputs = state.outputs!.get(schema);
    if (!outputs) state.outputs!.set(schema, (outputs = new Map()));
    const known = outputs.get(input);
    if (known !== undefined) {
      if (known === IN_PROGRESS) throw UNSURE;
      return known;
    }
    outputs.set(input, IN_PROGRESS);
    const value = parse(input, state);
    outputs.set(input, value);
    return value;
  };
}

/**
 * Whether zod memoizes this container (its memoizer is installed, which classic zod does for
 * every container, and the schema's subtree has a cycle).
 */
function memoizedByZod(schema: Schema): boolean {
  return z.core.globalConfig.memoizer !== undefined && z.core.isRecursiveSchema(schema);
}

interface Internals {
  def: Record<string, unknown> & { type: string; checks?: Schema[] };
  traits: Set<string>;
  optin?: 'optional' | 'defaulted';
  optout?: 'optional';
  values?: Set<unknown>;
  innerType?: Schema;
  propValues?: Record<string, Set<unknown>>;
  check?: (payload: { value: unknown; issues: unknown[] }) => unknown;
  run: (payload: { value: unknown; issues: unknown[] }, ctx: object) => unknown;
}

const internals = (schema: Schema): Internals => (schema as unknown as { _zod: Internals })._zod;

/**
 * What the object and array loops test in place of calling a property's or an element's parser,
 * for the kinds most values are (a call per value costs as much as the test).
 */
const enum Inline {
  /** Nothing: call the parser. */
  None,
  /** A plain `z.string()`. */
  String,
  /** A checked string schema that remembers the strings it accepted (`values`); others call the parser. */
  RememberedString,
}

/** A parser, and what its callers may test in place of calling it (see {@link Inline}). */
class Slot {
  constructor(
    readonly parse: Parser,
    readonly inline: Inline,
    /** The remembered strings ({@link Inline.RememberedString}). */
    readonly values: ReadonlySet<string> | undefined,
  ) {}
}

/** `slot`'s parse of `raw`: its inline test, else a call. Written out in the hot loops (a call here would cost what it saves). */
function parseSlot(slot: Slot, raw: unknown, state: ParseState): unknown {
  const inline = slot.inline;
  if (inline === Inline.String) return typeof raw === 'string' ? raw : REJECTED;
  if (inline === Inline.RememberedString && typeof raw === 'string' && raw.length <= REMEMBERED_STRING_LENGTH && slot.values!.has(raw)) return raw;
  return slot.parse(raw, state);
}

/** A property of an object schema, as its parse needs it. */
class ObjectField {
  constructor(
    readonly key: string,
    /** How zod treats the key's absence: leave it out, reject the object, or parse `undefined`. */
    readonly absence: 'omit' | 'reject' | 'parse',
    /** Parses the property's value, present or not. */
    readonly parse: Parser,
    /**
     * For a bare `.optional()` property: the inner schema's parse, for any value but `undefined`
     * (which stays). Otherwise the property's own parse, as a slot.
     */
    readonly present: Slot,
    readonly bareOptional: boolean,
  ) {}
}

/** One of a schema's checks: zod's check function, and when it applies (zod's `when`). */
interface CheckRun {
  run: (payload: CheckPayload) => unknown;
  when: ((payload: CheckPayload) => boolean) | undefined;
}

/** The check schemas zod runs after parsing `schema` (the schema itself first, when it is a check). */
function checksOf(schema: Schema): Schema[] {
  const zod = internals(schema);
  return zod.traits.has('$ZodCheck') ? [schema, ...(zod.def.checks ?? [])] : [...(zod.def.checks ?? [])];
}

/**
 * zod's checks that are pure functions of a string (its length, a pattern, a substring): a
 * string one of them accepted once, it accepts again.
 */
const PURE_STRING_CHECKS = ['$ZodCheckMinLength', '$ZodCheckMaxLength', '$ZodCheckLengthEquals', '$ZodCheckRegex', '$ZodCheckLowerCase', '$ZodCheckUpperCase', '$ZodCheckIncludes', '$ZodCheckStartsWith', '$ZodCheckEndsWith'];

/**
 * Accepted strings a checked string schema remembers, so that the same string (most strings of a
 * fleet's pipelines recur in every pipeline) is not checked again. Only short ones: a long
 * string's hash costs as much as its checks. Bounded: once full, no more are added.
 */
const REMEMBERED_STRING_LENGTH = 64;
const REMEMBERED_STRINGS = 2048;

/**
 * Whether `schema` is a plain string whose every check is one of {@link PURE_STRING_CHECKS}
 * (checks that are schemas of their own, such as `z.email()`, may run anything).
 */
function checksArePureOnStrings(schema: Schema): boolean {
  const def = internals(schema).def;
  if (def.type !== 'string' || def.coerce || internals(schema).traits.has('$ZodCheck')) return false;
  return checksOf(schema).every((check) => {
    const traits = internals(check).traits;
    return !traits.has('$ZodType') && PURE_STRING_CHECKS.some((trait) => traits.has(trait));
  });
}

/**
 * Shapes of at most this many keys are parsed key by key of the input (see
 * {@link objectParserByInputKeys}), each key's field found by one lookup and noted in one bit of
 * a small integer.
 */
const MAX_FIELDS_BY_INPUT_KEYS = 30;

/**
 * An object schema's parse, walking the input's keys (zod's object parse, accepting only).
 *
 * zod tests every key of the shape (`key in input`), present or not; most shapes have many
 * optional keys and an object uses few (a fleet pipeline: ~1,350 shape keys for ~450 present).
 * Here one `for...in` over the input (the walk zod's strict check makes anyway) finds the present
 * keys, whose fields are then parsed in shape order, as zod orders its output. An absent key is
 * then tested for a property `for...in` does not list (own non-enumerable, or inherited from a
 * prototype that hides it): zod would read that one, so such an input goes to zod. In a plain
 * tree only keys `Object.prototype` has (`toString`, ...) can be such a property.
 *
 * For shapes without a key whose absence zod parses (`optional` in, not out), of at most
 * {@link MAX_FIELDS_BY_INPUT_KEYS} keys.
 */
function objectParserByInputKeys(fields: readonly ObjectField[], strict: boolean, plainTree: boolean): Parser {
  const fieldIndex = new Map<string, number>(fields.map((field, index) => [field.key, index]));
  let requiredMask = 0;
  fields.forEach((field, index) => {
    if (field.absence === 'reject') requiredMask |= 1 << index;
  });
  // The fields whose absence for...in cannot tell (see above).
  let unlistedMask = 0;
  fields.forEach((field, index) => {
    if (!plainTree || field.key in Object.prototype) unlistedMask |= 1 << index;
  });
  return (object, state) => {
    if (typeof object !== 'object' || object === null || Array.isArray(object)) return REJECTED;
    const input = object as Record<string, unknown>;
    let present = 0;
    // zod's strict check walks `for...in` too (inherited enumerable keys are unknown keys).
    for (const key in input) {
      const index = fieldIndex.get(key);
      if (index !== undefined) present |= 1 << index;
      else if (strict) return REJECTED;
    }
    if ((present & requiredMask) !== requiredMask) return REJECTED;
    for (let absent = unlistedMask & ~present; absent !== 0; absent &= absent - 1) {
      if (fields[31 - Math.clz32(absent & -absent)]!.key in input) throw UNSURE;
    }
    const output: Record<string, unknown> = {};
    // Lowest bit first: shape order.
    for (let rest = present; rest !== 0; rest &= rest - 1) {
      const field = fields[31 - Math.clz32(rest & -rest)]!;
      const key = field.key;
      const raw = input[key];
      let value: unknown;
      if (raw === undefined && field.bareOptional) value = undefined;
      else {
        // parseSlot, written out.
        const slot = field.present;
        const inline = slot.inline;
        if (inline === Inline.String) value = typeof raw === 'string' ? raw : REJECTED;
        else if (inline === Inline.RememberedString && typeof raw === 'string' && raw.length <= REMEMBERED_STRING_LENGTH && slot.values!.has(raw)) value = raw;
        else value = slot.parse(raw, state);
        if (value === REJECTED) return REJECTED;
      }
      output[key] = value;
    }
    return output;
  };
}

/** An object schema's parse, walking the shape's keys as zod does (for the shapes {@link objectParserByInputKeys} does not take). */
function objectParserByShape(fields: readonly ObjectField[], strict: boolean): Parser {
  const known = strict ? new Set(fields.map((field) => field.key)) : undefined;
  return (object, state) => {
    if (!isObject(object)) return REJECTED;
    const input = object;
    if (known) for (const key in input) if (!known.has(key)) return REJECTED;
    const output: Record<string, unknown> = {};
    for (const field of fields) {
      const key = field.key;
      const present = key in input;
      if (!present && field.absence !== 'parse') {
        if (field.absence === 'reject') return REJECTED;
        continue;
      }
      const raw = input[key];
      const value = field.bareOptional ? (raw === undefined ? undefined : parseSlot(field.present, raw, state)) : field.parse(raw, state);
      if (value === REJECTED) return REJECTED;
      if (present || value !== undefined) output[key] = value;
    }
    return output;
  };
}

class Compiler {
  /** Parsers for plain trees only (see {@link AcceptingOptions.plainTree}): no containers' bookkeeping. */
  readonly #plainTree: boolean;

  constructor(plainTree: boolean) {
    this.#plainTree = plainTree;
  }

  /** `parse`, memoized as zod memoizes the schema's containers (see {@link container}); in a plain tree no input recurs. */
  #container(schema: Schema, parse: Parser): Parser {
    return container(schema, !this.#plainTree && memoizedByZod(schema), parse);
  }

  /** One parser per schema instance; recursive schemas meet their own forwarding parser. */
  readonly #parsers = new Map<Schema, Parser>();
  /** The parsers whose test the loops may make inline, and what it is (see {@link Inline}). */
  readonly #inlineTests = new Map<Parser, { inline: Inline; values: ReadonlySet<string> | undefined }>();

  /** `schema`'s parser as a slot (with its inline test, if it has one). */
  slot(schema: Schema): Slot {
    const parse = this.compile(schema);
    const test = this.#inlineTests.get(parse);
    return new Slot(parse, test?.inline ?? Inline.None, test?.values);
  }

  /** Notes that `parse` is the test `inline` (with `values`), and returns it. */
  #inlined(parse: Parser, inline: Inline, values?: ReadonlySet<string>): Parser {
    this.#inlineTests.set(parse, { inline, values });
    return parse;
  }

  compile(schema: Schema): Parser {
    const known = this.#parsers.get(schema);
    if (known) return known;
    let target: Parser | undefined;
    this.#parsers.set(schema, (input, state) => target!(input, state));
    target = this.#withChecks(schema, this.#parseOf(schema));
    this.#parsers.set(schema, target);
    return target;
  }

  /** The schema's checks, run by zod's own check functions on the parsed value, in zod's order. */
  #withChecks(schema: Schema, parse: Parser): Parser {
    const checks = checksOf(schema);
    if (checks.length === 0) return parse;
    const runs = checks.map((check): CheckRun => {
      const checkZod = internals(check);
      const run = checkZod.check;
      if (typeof run !== 'function') throw new UnsupportedSchema('a check without a check function');
      const when = checkZod.def.when as CheckRun['when'];
      return { run, when };
    });
    const remembered = checksArePureOnStrings(schema) ? new Set<string>() : undefined;
    // One payload per schema, reused: zod's checks read and write it only while they run (an
    // async one, which could write later, hands the value to zod and the payload is dropped).
    // While it is in use (a check that parses again), a call makes its own.
    let spare: CheckPayload | undefined = { value: undefined, issues: [] };
    const checked: Parser = (input, state) => {
      const short = remembered !== undefined && typeof input === 'string' && input.length <= REMEMBERED_STRING_LENGTH;
      if (short && remembered.has(input)) return input;
      const parsed = parse(input, state);
      if (parsed === REJECTED) return REJECTED;
      const payload = spare ?? { value: parsed, issues: [] };
      spare = undefined;
      payload.value = parsed;
      for (let index = 0; index < runs.length; index += 1) {
        const { run, when } = runs[index]!;
        if (when && !when(payload)) continue;
        if (run(payload) instanceof Promise) throw UNSURE;
        if (payload.issues.length > 0) {
          payload.issues = [];
          spare = payload;
          return REJECTED;
        }
      }
      const value = payload.value;
      payload.value = undefined;
      spare = payload;
      if (short && remembered.size < REMEMBERED_STRINGS) remembered.add(input);
      return value;
    };
    return remembered ? this.#inlined(checked, Inline.RememberedString, remembered) : checked;
  }

  #parseOf(schema: Schema): Parser {
    const zod = internals(schema);
    const def = zod.def;
    switch (def.type) {
      case 'string':
        if (def.coerce) break;
        return this.#inlined((input) => (typeof input === 'string' ? input : REJECTED), Inline.String);
      case 'number':
        if (def.coerce) break;
        return (input) => (typeof input === 'number' && !Number.isNaN(input) && Number.isFinite(input) ? input : REJECTED);
      case 'boolean':
        if (def.coerce) break;
        return (input) => (typeof input === 'boolean' ? input : REJECTED);
      case 'null':
        return (input) => (input === null ? input : REJECTED);
      case 'literal':
      case 'enum': {
        const values = zod.values;
        if (!values) break;
        return (input) => (values.has(input) ? input : REJECTED);
      }
      case 'object':
        return this.#object(schema);
      case 'array': {
        const element = this.slot(def.element as Schema);
        const inline = element.inline;
        const parseList: Parser = (input, state) => {
          if (!Array.isArray(input)) return REJECTED;
          const list = input as unknown[];
          const length = list.length;
          const output = new Array<unknown>(length);
          for (let index = 0; index < length; index += 1) {
            const raw = list[index];
            // parseSlot, written out.
            let item: unknown;
            if (inline === Inline.String) item = typeof raw === 'string' ? raw : REJECTED;
            else if (inline === Inline.RememberedString && typeof raw === 'string' && raw.length <= REMEMBERED_STRING_LENGTH && element.values!.has(raw)) item = raw;
            else item = element.parse(raw, state);
            if (item === REJECTED) return REJECTED;
            output[index] = item;
          }
          return output;
        };
        // A memoized container notes only inputs of its own kind (another kind's input may be
        // noted by the union option it belongs to).
        const memoized = this.#container(schema, parseList);
        return memoized === parseList ? parseList : (input, state) => (Array.isArray(input) ? memoized(input, state) : REJECTED);
      }
      case 'union':
        if (zod.traits.has('$ZodDiscriminatedUnion')) return this.#discriminatedUnion(schema);
        if (zod.traits.has('$ZodXor') || def.inclusive === false) break;
        return this.#union((def.options as Schema[]).map((option) => this.compile(option)));
      case 'record':
        return this.#record(schema);
      case 'lazy':
        return this.compile(zod.innerType!);
      case 'optional': {
        const innerType = def.innerType as Schema;
        if (internals(innerType).optin === 'defaulted') break;
        const inner = this.compile(innerType);
        return (input, state) => (input === undefined ? undefined : inner(input, state));
      }
      case 'readonly': {
        const inner = this.compile(def.innerType as Schema);
        return (input, state) => {
          const value = inner(input, state);
          return value === REJECTED ? REJECTED : Object.freeze(value);
        };
      }
      case 'pipe': {
        if (zod.traits.has('$ZodCodec') || 'transform' in def) break;
        const first = this.compile(def.in as Schema);
        const second = this.compile(def.out as Schema);
        return (input, state) => {
          const value = first(input, state);
          return value === REJECTED ? REJECTED : second(value, state);
        };
      }
      case 'transform':
        // A user function (`z.preprocess`): zod runs it, on this node alone.
        return (input) => {
          const result = zod.run({ value: input, issues: [] }, { async: false }) as { value: unknown; issues: unknown[] } | Promise<unknown>;
          if (result instanceof Promise) throw UNSURE;
          return result.issues.length > 0 ? REJECTED : result.value;
        };
    }
    throw new UnsupportedSchema(`zod schema type ${def.type}`);
  }

  #object(schema: Schema): Parser {
    const def = internals(schema).def;
    const shape = def.shape as Record<string, Schema>;
    if (Object.getOwnPropertySymbols(shape).length > 0) throw new UnsupportedSchema('symbol keys');
    const keys = Object.keys(shape);
    if (keys.includes('__proto__')) throw new UnsupportedSchema('a __proto__ key');
    const catchall = def.catchall as Schema | undefined;
    const strict = catchall !== undefined;
    if (strict && internals(catchall).def.type !== 'never') throw new UnsupportedSchema('a catchall');
    const fields = keys.map((key): ObjectField => {
      const fieldSchema = shape[key]!;
      const field = internals(fieldSchema);
      // zod's object parse (handlePropertyResult): how a key's absence is treated.
      let absence: ObjectField['absence'];
      if (field.optin === undefined) absence = 'reject';
      else if (field.optin === 'optional') absence = field.optout === 'optional' ? 'omit' : 'parse';
      else throw new UnsupportedSchema('a defaulted property');
      const parse = this.compile(fieldSchema);
      const definedSchema = this.#plainOptionalInner(fieldSchema);
      return new ObjectField(key, absence, parse, this.slot(definedSchema ?? fieldSchema), definedSchema !== undefined);
    });
    const byInputKeys = fields.length <= MAX_FIELDS_BY_INPUT_KEYS && fields.every((field) => field.absence !== 'parse');
    const parse = byInputKeys ? objectParserByInputKeys(fields, strict, this.#plainTree) : objectParserByShape(fields, strict);
    return this.#container(schema, parse);
  }

  /** The inner schema of a bare `.optional()` (no checks of its own), which parses every value but `undefined`. */
  #plainOptionalInner(schema: Schema): Schema | undefined {
    const zod = internals(schema);
    if (zod.def.type !== 'optional' || checksOf(schema).length > 0) return undefined;
    return zod.def.innerType as Schema;
  }

  #union(options: readonly Parser[]): Parser {
    return (input, state) => {
      // The first option that accepts wins.
      for (const option of options) {
        const value = option(input, state);
        if (value !== REJECTED) return value;
      }
      return REJECTED;
    };
  }

  #discriminatedUnion(schema: Schema): Parser {
    const def = internals(schema).def;
    if (def.unionFallback) throw new UnsupportedSchema('a discriminated union with union fallback');
    const discriminator = def.discriminator as string;
    // zod's discriminatorMap: a value two options claim (only `undefined` may be) selects none.
    const byValue = new Map<unknown, Parser | null>();
    for (const option of def.options as Schema[]) {
      const values = internals(option).propValues?.[discriminator];
      if (!values || values.size === 0) throw new UnsupportedSchema('a discriminated union option without the discriminator');
      for (const value of values) {
        if (byValue.has(value)) {
          if (value !== undefined) throw new UnsupportedSchema('a duplicate discriminator value');
          byValue.set(value, null);
        } else byValue.set(value, this.compile(option));
      }
    }
    return (input, state) => {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return REJECTED;
      const option = byValue.get((input as Record<string, unknown>)[discriminator]);
      return option ? option(input, state) : REJECTED;
    };
  }

  #record(schema: Schema): Parser {
    const def = internals(schema).def;
    const keyType = def.keyType as Schema;
    if (internals(keyType).values || def.mode === 'loose') throw new UnsupportedSchema('an enumerated or loose record');
    const parseKey = this.compile(keyType);
    const parseValue = this.compile(def.valueType as Schema);
    const numeric = z.core.regexes.number;
    const isPlainObject = z.core.util.isPlainObject;
    const parseRecord: Parser = (input, state) => {
      if (!isPlainObject(input)) return REJECTED;
      const output: Record<PropertyKey, unknown> = {};
      for (const key of Reflect.ownKeys(input as object)) {
        if (key === '__proto__' || !propertyIsEnumerable.call(input, key)) continue;
        let outKey = parseKey(key, state);
        // zod retries a numeric string key as a number.
        if (outKey === REJECTED && typeof key === 'string' && numeric.test(key)) outKey = parseKey(Number(key), state);
        if (outKey === REJECTED) return REJECTED;
        if (outKey === '__proto__') continue;
        const value = parseValue((input as Record<PropertyKey, unknown>)[key], state);
        if (value === REJECTED) return REJECTED;
        output[outKey as PropertyKey] = value;
      }
      return output;
    };
    const memoized = this.#container(schema, parseRecord);
    return memoized === parseRecord ? parseRecord : (input, state) => (isPlainObject(input) ? memoized(input, state) : REJECTED);
  }
}
