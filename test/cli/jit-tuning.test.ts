import { describe, expect, it } from 'vitest';
import { tuneJitForBatchRun } from '../../src/cli/jit-tuning.ts';

describe('tuneJitForBatchRun', () => {
  it('leaves a user’s own inlining flags alone (command line or NODE_OPTIONS)', () => {
    const set: string[] = [];
    expect(tuneJitForBatchRun(['--max-inlined-bytecode-size-cumulative=500'], '', (f) => set.push(f))).toBe(false);
    expect(tuneJitForBatchRun([], '--no-turbo-inlining', (f) => set.push(f))).toBe(false);
    expect(set).toEqual([]);
  });

  it('sets the cumulative inlining budget, once per process', () => {
    const set: string[] = [];
    expect(tuneJitForBatchRun([], '', (f) => set.push(f))).toBe(true);
    expect(tuneJitForBatchRun([], '', (f) => set.push(f))).toBe(false);
    expect(set).toEqual(['--max-inlined-bytecode-size-cumulative=150']);
  });
});
