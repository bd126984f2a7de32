/**
 * checkStructure judges empty and duplicate options by emittedBuiltInOptions instead of lowering
 * them: it must name exactly the built-in statements lowerOptions emits, in the same order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emittedBuiltInOptions, lowerOptions, type AnyOptions } from '../../src/lower/index.ts';

const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const flag = maybe(fc.boolean());

/** Options objects with every built-in key set, unset or false, and some custom options. */
const options: fc.Arbitrary<AnyOptions> = fc
  .record(
    {
      buildDiscarder: maybe(fc.record({ numToKeep: maybe(fc.nat(50)), daysToKeep: maybe(fc.nat(50)) })),
      disableConcurrentBuilds: maybe(fc.oneof(fc.boolean(), fc.record({ abortPrevious: maybe(fc.boolean()) }))),
      disableResume: flag,
      disableRestartFromStage: flag,
      durabilityHint: maybe(fc.constantFrom('PERFORMANCE_OPTIMIZED', 'MAX_SURVIVABILITY')),
      overrideIndexTriggers: flag,
      preserveStashes: maybe(fc.record({ buildCount: maybe(fc.integer({ min: 1, max: 50 })) })),
      quietPeriod: maybe(fc.nat(60)),
      parallelsAlwaysFailFast: flag,
      skipStagesAfterUnstable: flag,
      newContainerPerStage: flag,
      skipDefaultCheckout: flag,
      checkoutToSubdirectory: maybe(fc.constantFrom('src', 'app')),
      timeout: maybe(fc.record({ time: fc.integer({ min: 1, max: 90 }), unit: maybe(fc.constantFrom('MINUTES', 'HOURS')) })),
      lock: maybe(fc.record({ resource: maybe(fc.constantFrom('db', 'env')), label: maybe(fc.constantFrom('pool')) })),
      retry: maybe(fc.integer({ min: 1, max: 5 })),
      timestamps: flag,
      custom: maybe(fc.array(fc.record({ name: fc.constantFrom('ansiColor', 'timestamps', 'timeout', 'withFoo') }), { maxLength: 3 })),
    },
    { requiredKeys: [] },
  )
  // Keep a random few of the keys, so that sparse sets (and sets that emit nothing) come up too.
  .chain((o) => fc.subarray(Object.keys(o)).map((keys) => Object.fromEntries(keys.map((k) => [k, o[k as keyof typeof o]])) as AnyOptions));

describe('emittedBuiltInOptions', () => {
  it('names the built-in statements lowerOptions emits, in order, and nothing else', () => {
    let empty = 0;
    fc.assert(
      fc.property(options, (o) => {
        const statements = lowerOptions(o, ['options']);
        const customCount = o.custom?.length ?? 0;
        const builtIn = statements.slice(0, statements.length - customCount);
        expect(emittedBuiltInOptions(o)).toEqual(builtIn.map((s) => s.name));
        // Each built-in statement is named after its key (its origin's last segment).
        for (const s of builtIn) expect(s.origin).toEqual(['options', s.name]);
        if (statements.length === 0) empty++;
      }),
      { numRuns: 3000 },
    );
    // Not vacuous either way: some option sets emit nothing at all.
    expect(empty).toBeGreaterThan(0);
  });

  it('leaves false flags and unset options out', () => {
    expect(emittedBuiltInOptions({ timestamps: false, disableResume: false, disableConcurrentBuilds: false } as AnyOptions)).toEqual([]);
    expect(emittedBuiltInOptions({ overrideIndexTriggers: false, retry: 2, timestamps: true } as AnyOptions)).toEqual([
      'overrideIndexTriggers',
      'retry',
      'timestamps',
    ]);
  });
});
