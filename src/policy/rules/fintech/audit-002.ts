import { deliveryFacts } from '../../facts.ts';
import { defineRule } from '../../rule.ts';

const EXPORT_SHELL = /\baws\s+s3\s+(?:cp|sync)\b[^\n]*evidence|evidence[^\n]*\baws\s+s3\s+(?:cp|sync)\b/;

/** AUDIT-002: production evidence outlives Jenkins' build retention. */
export default defineRule({
  meta: {
    id: 'AUDIT-002',
    title: 'Keep production evidence beyond Jenkins’ build retention',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'Audit records are retained for twelve months, three immediately available. Jenkins’ build discarder deletes old ' +
      'runs and their archived evidence. A pipeline deploying to production either exports the evidence (an `s3Upload` ' +
      'step or `aws s3 cp evidence/…` to a bucket with Object Lock) or keeps its runs at least `minDays` (default 90) ' +
      'days without a count limit.',
    standards: ['PCI DSS 4.0.1 10.5.1'],
    example: {
      bad: "options: { buildDiscarder: { numToKeep: 20 } }  // prod deploys, no export",
      good: "post: { always: [step('s3Upload', { bucket: 'audit-evidence', includePathPattern: 'evidence/**' })] }",
    },
  },
  *check({ pipeline, index, isProduction, options }) {
    const facts = deliveryFacts(index);
    const prod = facts.deployedEnvironments.find(isProduction);
    if (!prod) return;
    const minDays = typeof options['minDays'] === 'number' ? options['minDays'] : 90;
    const exported =
      index.steps.some((s) => s.step.step === 'step' && s.step.name === 's3Upload' && JSON.stringify(s.step.args ?? {}).includes('evidence')) ||
      facts.shell.some((s) => EXPORT_SHELL.test(s.step.script));
    const discarder = pipeline.options?.buildDiscarder;
    if (exported || !discarder) return;
    const countLimited = discarder.numToKeep !== undefined || discarder.artifactNumToKeep !== undefined;
    const days = Math.min(discarder.daysToKeep ?? Infinity, discarder.artifactDaysToKeep ?? Infinity);
    if (!countLimited && days >= minDays) return;
    yield {
      path: ['options', 'buildDiscarder'],
      message: `the pipeline deploys to ${prod} but its build discarder deletes runs (and their evidence) ${countLimited ? 'by count' : `after ${days} days`} and nothing exports the evidence`,
      environment: prod,
      expected: `an evidence export (s3Upload / aws s3 cp evidence/…) or retention of at least ${minDays} days without a count limit`,
      found: JSON.stringify(discarder),
    };
  },
});
