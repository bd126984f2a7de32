import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { baselineRules, fintechRules } from '../../src/policy/registry.ts';

/**
 * Every baseline and fintech rule is exercised by a RuleTester run in these tests (which requires
 * valid and invalid cases to be listed). Engine rules are tested in engine.test.ts.
 */
it('every pack rule has RuleTester cases with a passing and a violating fixture', () => {
  const sources = readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(import.meta.dirname, f), 'utf8'))
    .join('\n');
  const missing: string[] = [];
  for (const { meta } of [...baselineRules, ...fintechRules]) {
    const start = sources.indexOf(`.run(rule('${meta.id}'), {`);
    if (start < 0) {
      missing.push(`${meta.id}: no RuleTester run`);
      continue;
    }
    const block = sources.slice(start, sources.indexOf('\n});', start));
    if (!/\bvalid: \[/.test(block) || !/\binvalid: \[/.test(block)) missing.push(`${meta.id}: needs valid and invalid cases`);
  }
  expect(missing).toEqual([]);
});
