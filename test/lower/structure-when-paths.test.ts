/**
 * src/validate/structure.ts walks a `when` tree on one path stack (pushed and popped, copied only
 * for an expression it checks). Every expression is checked once, in tree order, at its own path,
 * however deep and wherever its siblings sit.
 */
import { describe, expect, it } from 'vitest';
import type { Pipeline, WhenCondition } from '../../src/model/schema.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { checkStructure } from '../../src/validate/structure.ts';

/** An expression that closes its block early: reported with its path. */
const bad = (n: number): WhenCondition => ({ expression: `return ${n} }` });

describe('when expressions', () => {
  it('are reported at their own paths, in tree order, at any depth', () => {
    const when = {
      beforeAgent: true,
      expression: 'return 0 }',
      allOf: [bad(1), { not: { anyOf: [{ branch: 'main' }, bad(2), { allOf: [bad(3), { not: bad(4) }] }] } }],
      anyOf: [{ tag: 'v*' }, bad(5)],
      not: { anyOf: [bad(6)] },
    } as WhenCondition & { beforeAgent: boolean };
    const pipeline: Pipeline = { agent: 'any', stages: [{ name: 'S', when, steps: [{ step: 'sh', script: 'x' }] }] };
    const { pipeline: valid, diagnostics } = validateSchema(pipeline);
    expect(diagnostics).toEqual([]);
    const paths = checkStructure(valid!).filter((d) => d.code === 'PW3023').map((d) => d.path);
    const at = (...rest: (string | number)[]) => ['stages', 0, 'when', ...rest, 'expression'];
    expect(paths).toEqual([
      at(),
      at('allOf', 0),
      at('allOf', 1, 'not', 'anyOf', 1),
      at('allOf', 1, 'not', 'anyOf', 2, 'allOf', 0),
      at('allOf', 1, 'not', 'anyOf', 2, 'allOf', 1, 'not'),
      at('anyOf', 1),
      at('not', 'anyOf', 0),
    ]);
  });
});
