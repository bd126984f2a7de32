/** Marks of plain trees: only what was marked is one, and a mark does not spread. */
import { describe, expect, it } from 'vitest';
import { isPlainTree, markPlainTree } from '../../src/validate/plain-tree.ts';

describe('plain tree marks', () => {
  it('knows the marked value only (not an equal one, nor its parts), and passes primitives through', () => {
    const text = '{"stages":[{"name":"A"}]}';
    const marked = markPlainTree(JSON.parse(text) as { stages: object[] });
    expect(isPlainTree(marked)).toBe(true);
    expect(isPlainTree(JSON.parse(text))).toBe(false);
    expect(isPlainTree(marked.stages)).toBe(false);
    expect(markPlainTree(3)).toBe(3);
    expect(isPlainTree(markPlainTree(null))).toBe(false);
    expect(isPlainTree('x')).toBe(false);
  });
});
