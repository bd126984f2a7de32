/**
 * Built-in rules return their findings as arrays: a generator costs an iterator object per loop
 * and per result, for every rule on every pipeline (#14). Custom rules may still yield.
 */
import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/policy/engine.ts';
import { BUILTIN_RULES } from '../../src/policy/registry.ts';
import { defineRule, type RuleContext } from '../../src/policy/rule.ts';
import { compliant, mutate, STAGE } from './fintech-fixture.ts';
import { validPipeline } from './fixtures.ts';
import type { Pipeline } from '../../src/model/schema.ts';

const NOW = new Date('2026-03-01T10:00:00Z');

/** The context the engine gives rules for `p` (captured by a custom rule). */
function contextOf(p: Pipeline): RuleContext {
  let captured: RuleContext | undefined;
  const probe = defineRule({
    meta: { id: 'PROBE-1', title: 'probe', pack: 'probe', severity: 'info', rationale: 'test', standards: [], example: { bad: '', good: '' } },
    check(context) {
      captured = context;
      return [];
    },
  });
  runPolicy(validPipeline(p), { customRules: [probe], packs: ['baseline', 'fintech', 'probe'] }, { source: 'p.pipeline.ts', now: NOW });
  return captured!;
}

describe('built-in rule results', () => {
  const pipelines: [string, Pipeline][] = [
    ['compliant', compliant()],
    // Findings of several rules: no image scan, an unlocked hand-written prod deploy.
    ['violating', mutate((p) => {
      p.stages[STAGE.image]!.steps!.pop();
      p.stages[STAGE.deployProd]!.steps!.push({ step: 'sh', script: 'aws ecs update-service --cluster prod --service api' });
    })],
  ];
  for (const [name, p] of pipelines) {
    it(`every built-in rule returns an array (${name} pipeline)`, () => {
      const context = contextOf(p);
      const notArrays = BUILTIN_RULES.filter((rule) => !Array.isArray(rule.check(context))).map((rule) => rule.meta.id);
      expect(notArrays).toEqual([]);
    });
  }

  it('the violating pipeline has findings from the arrays (the check is not vacuous)', () => {
    const context = contextOf(pipelines[1]![1]);
    const found = BUILTIN_RULES.flatMap((rule) => [...rule.check(context)].map(() => rule.meta.id));
    expect(found).toContain('SCAN-001');
  });
});
