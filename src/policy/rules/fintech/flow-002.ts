import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const EVERYONE = new Set(['*', 'anonymous', 'authenticated']);

/** FLOW-002: approvals name approver groups, never everyone. */
export default defineRule({
  meta: {
    id: 'FLOW-002',
    title: 'Approvals name allowed approver groups',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Without `submitter`, anyone with Build permission can approve an `input` (and Jenkins administrators always can). ' +
      'The submitter list must be non-empty, must not be `*`/`authenticated`/`anonymous`, and, where the organisation lists ' +
      'approver groups for the environment (`policy.environments.<env>.approverGroups`), may only name those groups.',
    standards: ['OWASP CICD-SEC-1', 'PCI DSS 4.0.1 6.5.1', 'Jenkins pipeline-input-step submitter'],
    exception: 'Dev and stage may leave approval out entirely.',
    example: {
      bad: "input: { message: 'Deploy to prod?' }",
      good: "input: { message: 'Deploy to prod?', submitter: ['payments-release-managers'], submitterParameter: 'APPROVER' }",
    },
  },
  check({ index, pipeline, environment }) {
    const findings: RuleFinding[] = [];
    const facts = deliveryFacts(index);
    for (const approval of facts.approvals) {
      const submitter = approval.input.submitter;
      const entries = (typeof submitter === 'string' ? submitter.split(',') : (submitter ?? [])).map((s) => s.trim()).filter(Boolean);
      const env = approval.environment;
      const allowed = env ? environment(env).approverGroups : [];
      const at = submitter === undefined ? approval.inputPath : [...approval.inputPath, 'submitter'];
      const extra = env ? { environment: env } : {};
      if (entries.length === 0) {
        findings.push({ path: at, message: `approval '${approval.stage.stage.name}' has no submitter: anyone with Build permission can approve`, expected: 'approver groups', found: 'no submitter', ...extra });
        continue;
      }
      for (const entry of entries) {
        if (EVERYONE.has(entry.toLowerCase())) {
          findings.push({ path: at, message: `approval '${approval.stage.stage.name}' lets '${entry}' approve, i.e. everyone`, expected: 'named approver groups', found: entry, ...extra });
        } else if (allowed.length > 0 && !allowed.includes(entry)) {
          findings.push({
            path: at,
            message: `'${entry}' is not an approver group allowed for ${env} (${allowed.join(', ')})`,
            expected: allowed.join(', '),
            found: entry,
            ...extra,
          });
        }
      }
    }
    for (const [i, env] of (pipeline.environments ?? []).entries()) {
      const allowed = environment(env.name).approverGroups;
      if (!env.approval || allowed.length === 0) continue;
      for (const [j, entry] of env.approval.submitters.entries()) {
        if (allowed.includes(entry)) continue;
        findings.push({
          path: ['environments', i, 'approval', 'submitters', j],
          message: `'${entry}' is not an approver group allowed for ${env.name} (${allowed.join(', ')})`,
          environment: env.name,
          expected: allowed.join(', '),
          found: entry,
        });
      }
    }
    return findings;
  },
});
