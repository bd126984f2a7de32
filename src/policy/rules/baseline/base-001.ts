import { defineRule, type RuleFinding } from '../../rule.ts';

/** BASE-001: the whole run is bounded by a timeout. */
export default defineRule({
  meta: {
    id: 'BASE-001',
    title: 'Bound the run with a pipeline timeout',
    pack: 'baseline',
    severity: 'warning',
    rationale:
      'A build without a timeout can hang forever on a stuck command or an unanswered prompt, holding an executor and ' +
      'any locks (deploy locks included). Set `options.timeout` on the pipeline, or on every top-level stage.',
    standards: ['CIS Software Supply Chain 2.3 (build pipelines)', 'Jenkins declarative options.timeout'],
    example: {
      bad: 'definePipeline({ agent: buildAgent, stages: [build] })',
      good: "definePipeline({ agent: buildAgent, options: { timeout: { time: 45, unit: 'MINUTES' } }, stages: [build] })",
    },
  },
  check({ pipeline }) {
    const findings: RuleFinding[] = [];
    if (pipeline.options?.timeout) return findings;
    if (pipeline.stages.length > 0 && pipeline.stages.every((s) => s.options?.timeout)) return findings;
    findings.push({
      path: pipeline.options ? ['options'] : [],
      message: 'the pipeline has no timeout: set options.timeout (or a timeout on every top-level stage)',
      expected: 'options.timeout',
      found: 'no timeout',
    });
    return findings;
  },
});
