/** Cache keys of loaded values: equal text only for values the compiler cannot tell apart. */
import { describe, expect, it } from 'vitest';
import { serializeValue } from '../../src/cache/serialize.ts';

describe('serializeValue', () => {
  it('writes plain data deterministically, in property order', () => {
    const value = { agent: 'any', stages: [{ name: 'A', steps: [{ step: 'sh', script: 'x' }] }], n: 1.5, ok: true, none: null };
    expect(serializeValue(value)).toBe(JSON.stringify(value));
    expect(serializeValue(structuredClone(value))).toBe(serializeValue(value));
    expect(serializeValue({ a: 1, b: 2 })).not.toBe(serializeValue({ b: 2, a: 1 }));
  });

  it('tells apart what JSON would merge', () => {
    const texts = [
      serializeValue({ a: undefined }),
      serializeValue({}),
      serializeValue({ a: null }),
      serializeValue({ a: Number.NaN }),
      serializeValue({ a: Number.POSITIVE_INFINITY }),
      serializeValue({ a: 0 }),
      serializeValue({ a: -0 }),
      serializeValue({ a: 1n }),
      serializeValue({ a: 1 }),
      serializeValue([undefined]),
      serializeValue([null]),
    ];
    expect(texts.every((text) => typeof text === 'string')).toBe(true);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('ignores symbol keys, as the compiler does', () => {
    const marked = { agent: 'any' };
    Object.defineProperty(marked, Symbol.for('pipewright.pipeline'), { value: true, enumerable: false });
    expect(serializeValue(marked)).toBe(serializeValue({ agent: 'any' }));
  });

  it('refuses what is not plain data', () => {
    class Stage {
      name = 'A';
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const hidden = { a: 1 };
    Object.defineProperty(hidden, 'b', { value: 2, enumerable: false });
    for (const value of [
      { run: () => 1 },
      { when: new Date(0) },
      { env: new Map() },
      { stage: new Stage() },
      { s: Symbol('x') },
      cyclic,
      hidden,
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
    ]) {
      expect(serializeValue(value)).toBeUndefined();
    }
  });

  it('writes functions as their source when asked (configurations with custom rules)', () => {
    const a = serializeValue({ check: () => 1 }, { functions: 'source' });
    const b = serializeValue({ check: () => 2 }, { functions: 'source' });
    expect(a).toBeDefined();
    expect(a).not.toBe(b);
  });
});
