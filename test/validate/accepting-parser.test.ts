/**
 * The accepting parser (the fast path of validateSchema) against zod itself: for every value it
 * accepts, zod must accept too and return the same value, down to key order, `undefined`-valued
 * keys, frozen objects and shared references; it must accept the real models (else the fast
 * path is silently off); and it hands everything else to zod.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PipelineSchema, type Pipeline } from '../../src/model/schema.ts';
import { compileAcceptingParser, hasAcceptingParser } from '../../src/validate/accepting-parser.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { PRESET_FIXTURES, STEP_FIXTURES } from '../delivery/fixtures.ts';
import { deploy } from '../lower/fixtures/deploy.ts';
import { kitchenSink } from '../lower/fixtures/kitchen-sink.ts';
import { oddStrings } from '../lower/fixtures/odd-strings.ts';

const accept = compileAcceptingParser(PipelineSchema);

/**
 * Everything about a value a consumer could observe: types, key order, `undefined` values,
 * holes, -0, prototypes, frozenness, and which objects are the same object (`@n`).
 */
function anatomy(value: unknown, ids = new Map<object, number>()): string {
  if (typeof value === 'number') return Object.is(value, -0) ? 'number:-0' : `number:${value}`;
  if (typeof value !== 'object' || value === null) return `${typeof value}:${String(value)}`;
  const known = ids.get(value);
  if (known !== undefined) return `@${known}`;
  ids.set(value, ids.size);
  const frozen = Object.isFrozen(value) ? '#frozen' : '';
  if (Array.isArray(value)) {
    const items = Array.from({ length: value.length }, (_, i) => (i in value ? anatomy(value[i], ids) : 'hole'));
    return `[${items.join(',')}]${frozen}`;
  }
  const prototype = Object.getPrototypeOf(value) === Object.prototype ? '' : '#proto';
  const entries = Reflect.ownKeys(value).map((key) => `${String(key)}=${anatomy((value as Record<PropertyKey, unknown>)[key], ids)}`);
  return `{${entries.join(',')}}${frozen}${prototype}`;
}

/**
 * The fast path either defers (undefined) or agrees with zod exactly. `plainTree`: the caller
 * vouches that `input` is a tree as JSON.parse makes it.
 */
function expectAgreesWithZod(input: unknown, plainTree = false): boolean {
  const fast = accept(input, { plainTree });
  if (fast === undefined) return false;
  const zod = PipelineSchema.safeParse(input);
  expect(zod.success).toBe(true);
  expect(anatomy(fast.value)).toBe(anatomy(zod.data));
  return true;
}

const MODELS: [string, Pipeline][] = [
  ['kitchen-sink', kitchenSink],
  ['deploy', deploy],
  ['odd-strings', oddStrings],
  ...Object.entries(STEP_FIXTURES),
  ...Object.entries(PRESET_FIXTURES).map(([name, make]): [string, Pipeline] => [name, make()]),
];

/** Every [parent, key] inside a value, for mutations. */
function slots(value: unknown, into: [Record<PropertyKey, unknown>, PropertyKey][] = []): [Record<PropertyKey, unknown>, PropertyKey][] {
  if (typeof value !== 'object' || value === null) return into;
  for (const key of Object.keys(value)) {
    into.push([value as Record<PropertyKey, unknown>, Array.isArray(value) ? Number(key) : key]);
    slots((value as Record<string, unknown>)[key], into);
  }
  return into;
}

/** A deep copy of plain data, keeping shared references (as the loader's structured clone does). */
const copy = (value: unknown): unknown => structuredClone(value);

/** A deep copy as the loader's JSON transfer makes it: a tree, nothing shared. */
const tree = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('accepting parser', () => {
  it('compiles the pipeline schema (else every pipeline goes through zod)', () => {
    expect(hasAcceptingParser(PipelineSchema)).toBe(true);
  });

  it.each(MODELS)('accepts %s with exactly the value zod returns', (_name, model) => {
    expect(expectAgreesWithZod(tree(model))).toBe(true);
    expect(expectAgreesWithZod(tree(model), true)).toBe(true);
    // Presets share objects between places (kept by the loader's structured clone).
    expect(expectAgreesWithZod(copy(model))).toBe(true);
  });

  it('never accepts what zod rejects, and agrees on what it accepts, under random mutations', () => {
    const replacement = fc.oneof(
      fc.constantFrom<unknown>(undefined, null, true, false, 0, -0, 1.5, -1, NaN, Infinity, '', 'x', 'sh', 'any', 'custom', [], {}, { $groovy: 'x' }),
      fc.string(),
      fc.integer(),
      fc.anything({ maxDepth: 2 }),
    );
    const mutation = fc.record({
      model: fc.integer({ min: 0, max: MODELS.length - 1 }),
      slot: fc.nat(),
      kind: fc.constantFrom('replace', 'delete', 'add-key', 'proto-key', 'inherited-key', 'share'),
      key: fc.constantFrom('extra', 'name', 'step', 'steps', 'args', 'optional', '__proto__', '0'),
      replacement,
    });
    let accepted = 0;
    fc.assert(
      fc.property(mutation, ({ model, slot, kind, key, replacement }) => {
        const input = tree(MODELS[model]![1]);
        const all = slots(input);
        const [parent, at] = all[slot % all.length]!;
        if (kind === 'replace') parent[at] = replacement;
        else if (kind === 'delete') delete parent[at];
        else if (kind === 'add-key') parent[key] = replacement;
        else if (kind === 'share') {
          // Another place's object or array, now in two places (or a cycle, when it is an ancestor).
          const other = all[(slot * 7 + 3) % all.length]!;
          parent[at] = other[0][other[1]];
        } else if (kind === 'proto-key') Object.defineProperty(parent, '__proto__', { value: replacement, enumerable: true, configurable: true, writable: true });
        else if (typeof parent[at] === 'object' && parent[at] !== null && !Array.isArray(parent[at])) {
          parent[at] = Object.assign(Object.create({ [key]: replacement }), parent[at]);
        }
        if (expectAgreesWithZod(input)) accepted += 1;
      }),
      { numRuns: 1500, seed: 20261207 },
    );
    // Harmless mutations (a string for a string) stay on the fast path.
    expect(accepted).toBeGreaterThan(50);
  });

  it('agrees with zod on plain trees (JSON data, as the loader marks them) under random mutations, and with itself unvouched', () => {
    const mutation = fc.record({
      model: fc.integer({ min: 0, max: MODELS.length - 1 }),
      slot: fc.nat(),
      kind: fc.constantFrom('replace', 'delete', 'add-key'),
      key: fc.constantFrom<string>('extra', 'name', 'step', 'steps', 'args', 'optional', '__proto__', '0', 'toString', 'constructor'),
      replacement: fc.oneof(fc.constantFrom<unknown>(null, true, 0, -1, '', 'x', 'sh', 'any', [], {}, { $groovy: 'x' }), fc.string(), fc.jsonValue({ maxDepth: 2 })),
    });
    let accepted = 0;
    fc.assert(
      fc.property(mutation, ({ model, slot, kind, key, replacement }) => {
        const input = tree(MODELS[model]![1]) as Record<string, unknown>;
        const all = slots(input);
        const [parent, at] = all[slot % all.length]!;
        if (kind === 'replace') parent[at] = replacement;
        else if (kind === 'delete') delete parent[at];
        else parent[key] = replacement;
        // Through JSON again: what the loader hands over (an own `__proto__` key stays a key).
        const plain = tree(input);
        const vouched = expectAgreesWithZod(plain, true);
        if (vouched) accepted += 1;
        expect(accept(plain) !== undefined).toBe(vouched);
      }),
      { numRuns: 1000, seed: 20261207 },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('gives shared inputs the outputs zod gives them (shared for recursive schemas), and leaves cycles to zod', () => {
    // A step is not a recursive schema: zod parses each occurrence into its own object.
    const step = { step: 'sh', script: 'make' };
    expect(expectAgreesWithZod({ agent: 'any', stages: [{ name: 'A', steps: [step, step] }] })).toBe(true);
    // A stage is (zod's memoizer): the same input stage is one output object, wherever it occurs.
    const stage = { name: 'A', steps: [step] };
    const twice = { agent: 'any', stages: [stage, { name: 'B', stages: [stage] }] };
    expect(expectAgreesWithZod(twice)).toBe(true);
    const parsed = accept(twice)!.value;
    expect(parsed.stages[0]).toBe(parsed.stages[1]!.stages![0]);
    // The same input under two union options (a failed one, then the one that accepts).
    const args = { list: [1, 2], map: { a: [1] } };
    expect(expectAgreesWithZod({ agent: 'any', stages: [{ name: 'A', steps: [{ step: 'step', name: 'x', args }, { step: 'step', name: 'y', args: args.map }] }] })).toBe(true);
    const cyclic: Record<string, unknown> = { step: 'dir', path: 'x' };
    cyclic.steps = [cyclic];
    const withCycle = { agent: 'any', stages: [{ name: 'A', steps: [cyclic] }] };
    expect(accept(withCycle)).toBeUndefined();
    expect(anatomy(validateSchema(withCycle).pipeline)).toBe(anatomy(PipelineSchema.safeParse(withCycle).data));
  });

  it('is off for a schema kind it does not model, and then defers every value', () => {
    const schema = z.strictObject({ a: z.string().default('x') });
    expect(hasAcceptingParser(schema)).toBe(false);
    expect(compileAcceptingParser(schema)({ a: 'y' })).toBeUndefined();
    const modelled = z.strictObject({ a: z.string().min(2), b: z.array(z.number().int()).readonly().optional() });
    expect(compileAcceptingParser(modelled)({ a: 'yy', b: [1] })).toEqual({ value: { a: 'yy', b: [1] } });
    expect(compileAcceptingParser(modelled)({ a: 'y' })).toBeUndefined();
    expect(compileAcceptingParser(modelled)({ a: 'yy', b: [1.5] })).toBeUndefined();
  });
});

describe('accepting parser on small schemas', () => {
  /** Whether the fast path accepted `input`; when it did, zod accepts it too, with the same value. */
  const agrees = (schema: z.ZodType, input: unknown, plainTree = false): boolean => {
    const fast = compileAcceptingParser(schema)(input, { plainTree });
    if (fast === undefined) return false;
    const zod = schema.safeParse(input);
    expect(zod.success).toBe(true);
    expect(anatomy(fast.value)).toBe(anatomy(zod.data));
    return true;
  };

  it('reads a property for...in does not list (non-enumerable, or a key Object.prototype has) as zod does', () => {
    const schema = z.strictObject({ a: z.string(), b: z.string().optional(), toString: z.string().optional() });
    // zod reads `b` (non-enumerable own) and `toString` (inherited): neither is a string.
    const hidden = Object.defineProperty({ a: 'x' }, 'b', { value: 1, enumerable: false });
    expect(agrees(schema, hidden)).toBe(false);
    expect(schema.safeParse(hidden).success).toBe(false);
    const json = JSON.parse('{"a":"x"}') as unknown;
    expect(agrees(schema, json)).toBe(false);
    expect(agrees(schema, json, true)).toBe(false);
    expect(schema.safeParse(json).success).toBe(false);
    const valid = Object.defineProperty(Object.defineProperty({ a: 'x' }, 'b', { value: 'y', enumerable: false }), 'toString', { value: 'z', enumerable: false });
    // Accepted by zod; the fast path leaves such a value to zod rather than walking every key.
    expect(schema.safeParse(valid).success).toBe(true);
    expect(agrees(schema, valid)).toBe(false);
    expect(agrees(schema, JSON.parse('{"toString":"z","a":"x"}'), true)).toBe(true);
  });

  it('parses shapes of many keys (walked by shape, not by input key) as zod does', () => {
    const keys = Array.from({ length: 40 }, (_, index) => `k${index}`);
    const schema = z.strictObject(Object.fromEntries(keys.map((key, index) => [key, index % 3 === 0 ? z.string() : z.string().min(2).optional()])));
    const full = Object.fromEntries(keys.map((key) => [key, `${key}v`]));
    const required = Object.fromEntries(keys.filter((_, index) => index % 3 === 0).map((key) => [key, 'v']));
    for (const plainTree of [false, true]) {
      expect(agrees(schema, full, plainTree)).toBe(true);
      expect(agrees(schema, Object.fromEntries(Object.entries(full).reverse()), plainTree)).toBe(true);
      expect(agrees(schema, required, plainTree)).toBe(true);
      expect(agrees(schema, { ...required, k1: 'x' }, plainTree)).toBe(false);
      expect(agrees(schema, { ...required, k38: undefined }, plainTree)).toBe(true);
      expect(agrees(schema, { ...required, k39: undefined }, plainTree)).toBe(false);
      const { k0: _dropped, ...missing } = required;
      expect(agrees(schema, missing, plainTree)).toBe(false);
      expect(agrees(schema, { ...required, extra: 'x' }, plainTree)).toBe(false);
    }
  });

  it('treats absent, undefined, valid and invalid properties of every kind as zod does, in any key order', () => {
    // One property per way zod treats a key's absence: required, a bare optional, an optional
    // with a check of its own, and one whose parse runs on absence (optional in, not out).
    const schema = z.strictObject({
      required: z.string(),
      optional: z.string().min(2).optional(),
      checkedOptional: z.string().optional().refine((value) => value !== 'no'),
      parsedWhenAbsent: z.string().optional().pipe(z.union([z.string(), z.literal(undefined)])),
    });
    const states: [string, unknown][] = [['absent', undefined], ['undefined', undefined], ['valid', 'yes'], ['invalid', 'no']];
    const invalid = { required: 1, optional: 'n', checkedOptional: 'no', parsedWhenAbsent: 2 };
    let accepted = 0;
    const keys = Object.keys(schema.shape) as (keyof typeof invalid)[];
    for (let combination = 0; combination < states.length ** keys.length; combination += 1) {
      const entries: [string, unknown][] = [];
      keys.forEach((key, index) => {
        const [state, value] = states[Math.floor(combination / states.length ** index) % states.length]!;
        if (state === 'absent') return;
        entries.push([key, state === 'invalid' ? invalid[key] : value]);
      });
      for (const order of [entries, [...entries].reverse()]) {
        const input = Object.fromEntries(order);
        if (agrees(schema, input)) accepted += 1;
        expect(agrees(schema, { ...input, unknown: 'x' })).toBe(false);
        expect(agrees(schema, Object.assign(Object.create({ unknown: 'x' }), input))).toBe(false);
      }
    }
    expect(accepted).toBeGreaterThan(20);
  });

  it('runs checks afresh for every value (a failed check leaves nothing behind), also when a check parses again', () => {
    const strings = z.array(z.string().min(2));
    expect(agrees(strings, ['aa', 'bb'])).toBe(true);
    expect(agrees(strings, ['aa', 'b'])).toBe(false);
    expect(agrees(strings, ['cc'])).toBe(true);
    // A refinement that runs the same parser on a nested value while its own check is running.
    interface Node {
      name: string;
      next?: Node;
    }
    let acceptNode: (input: unknown) => unknown = () => undefined;
    const node: z.ZodType<Node> = z.lazy(() =>
      z
        .strictObject({ name: z.string().min(2), next: node.optional() })
        .refine((value) => value.next === undefined || acceptNode(value.next) !== undefined),
    );
    acceptNode = compileAcceptingParser(node);
    expect(agrees(node, { name: 'aa', next: { name: 'bb', next: { name: 'cc' } } })).toBe(true);
    expect(agrees(node, { name: 'aa', next: { name: 'b' } })).toBe(false);
    expect(agrees(node, { name: 'aa', next: { name: 'bb' } })).toBe(true);
  });

  it('remembers only strings that pure checks accepted, each exactly (a string one character off is checked)', () => {
    const patterned = compileAcceptingParser(z.array(z.string().min(2).regex(/^[a-z]+$/)));
    expect(patterned(['abc', 'abc'])).toEqual({ value: ['abc', 'abc'] });
    expect(patterned(['abC'])).toBeUndefined();
    expect(patterned(['ab', 'a'])).toBeUndefined();
    expect(patterned(['abc ', 'abc'])).toBeUndefined();
    expect(patterned(['abc'])).toEqual({ value: ['abc'] });
    // Past the bound on length, a string is checked every time: still exact.
    const long = 'a'.repeat(200);
    expect(patterned([long, long])).toEqual({ value: [long, long] });
    expect(patterned([`${long}A`])).toBeUndefined();
    // A refinement may answer differently for the same string: never remembered.
    let calls = 0;
    const once = compileAcceptingParser(z.string().refine(() => (calls += 1) === 1));
    expect(once('same')).toEqual({ value: 'same' });
    expect(once('same')).toBeUndefined();
  });

  it('gives an object met twice (shared, or in a cycle) what zod gives it', () => {
    interface Tree {
      label: string;
      children: Tree[];
    }
    const tree: z.ZodType<Tree> = z.lazy(() => z.strictObject({ label: z.string(), children: z.array(tree) }));
    const leaf = { label: 'leaf', children: [] };
    const shared = { label: 'root', children: [leaf, { label: 'inner', children: [leaf] }] };
    expect(agrees(tree, shared)).toBe(true);
    const parsed = compileAcceptingParser(tree)(shared)!.value;
    expect(parsed.children[0]).toBe(parsed.children[1]!.children[0]);
    const cyclic: Tree = { label: 'loop', children: [] };
    cyclic.children.push(cyclic);
    expect(compileAcceptingParser(tree)(cyclic)).toBeUndefined();
  });
});
