/**
 * src/lower/index.ts reads the built-in options an options object names from its own keys
 * (builtInOptionsNamedIn) instead of asking all twenty-one. Compared here with the same object
 * without prototype, for which every option is asked, as before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyOptions, emittedBuiltInOptions, lowerOptions } from '../../src/lower/index.ts';

/** Values for each built-in option, `false` and other values that emit nothing among them. */
const VALUES: Record<string, unknown[]> = {
  buildDiscarder: [{ numToKeep: 10 }, { daysToKeep: 3, artifactNumToKeep: 1 }],
  disableConcurrentBuilds: [true, false, { abortPrevious: true }, {}],
  disableResume: [true, false],
  disableRestartFromStage: [true, false],
  durabilityHint: ['PERFORMANCE_OPTIMIZED'],
  overrideIndexTriggers: [true, false],
  preserveStashes: [{}, { buildCount: 3 }],
  quietPeriod: [0, 5],
  parallelsAlwaysFailFast: [true, false],
  skipStagesAfterUnstable: [true],
  newContainerPerStage: [true],
  skipDefaultCheckout: [true, false],
  checkoutToSubdirectory: ['sub'],
  timeout: [{ time: 10 }, { time: 5, unit: 'HOURS' }, { time: 1, activity: true }],
  lock: [{ resource: 'r' }, { label: 'l', quantity: 2 }],
  retry: [2],
  timestamps: [true, false],
  custom: [[{ name: 'ansiColor', args: ['xterm'] }]],
};

const optionsObject = fc
  .shuffledSubarray(Object.keys(VALUES), { minLength: 0, maxLength: 8 })
  .chain((keys) =>
    fc.tuple(...keys.map((key) => fc.constantFrom(...VALUES[key]!))).map((values) => {
      const options: Record<string, unknown> = {};
      keys.forEach((key, i) => (options[key] = values[i]));
      // An unset key present with undefined, now and then.
      if (keys.length % 3 === 1) options.retry = undefined;
      return options as AnyOptions;
    }),
  );

const withoutPrototype = (options: AnyOptions): AnyOptions => Object.assign(Object.create(null) as object, options) as AnyOptions;

describe('built-in options read from the object\'s own keys', () => {
  it('lower and are named as when every option is asked, whatever the order of the keys', () => {
    let emitted = 0;
    fc.assert(
      fc.property(optionsObject, (options) => {
        const lowered = lowerOptions(options, ['options']);
        expect(lowered).toEqual(lowerOptions(withoutPrototype(options), ['options']));
        expect(emittedBuiltInOptions(options)).toEqual(emittedBuiltInOptions(withoutPrototype(options)));
        emitted += lowered.length;
      }),
      { numRuns: 3000 },
    );
    expect(emitted).toBeGreaterThan(3000);
  });

  it('come out in the fixed order, not in the order of the keys', () => {
    const options = { timestamps: true, timeout: { time: 10 }, buildDiscarder: { numToKeep: 5 }, retry: 2 } as AnyOptions;
    expect(emittedBuiltInOptions(options)).toEqual(['buildDiscarder', 'timeout', 'retry', 'timestamps']);
  });
});
