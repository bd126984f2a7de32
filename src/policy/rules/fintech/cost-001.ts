import { REQUIRED_COST_TAGS } from '../../../model/delivery.ts';
import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** COST-001: production ECS deploys carry the cost-allocation tags. */
export default defineRule({
  meta: {
    id: 'COST-001',
    title: 'Tag production services for cost allocation',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'The cost breakdown per service, team and cost center comes from AWS cost-allocation tags. A production `ecsDeploy` ' +
      'sets `tags` with at least `service`, `team`, `environment` (the deploy environment) and `cost-center`; they go on ' +
      'the registered task definition and on the service, and its tasks inherit them (`propagateTags: TASK_DEFINITION`). ' +
      'The presets fill them in from `costAllocation`.',
    standards: ['AWS Well-Architected COST03-BP02', 'AWS Billing cost allocation tags'],
    example: {
      bad: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })",
      good: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService, tags: { service: 'payments-api', team: 'payments', environment: 'prod', 'cost-center': 'CC-1042' } })",
    },
  },
  check({ index, isProduction }) {
    const findings: RuleFinding[] = [];
    for (const info of deliveryFacts(index).ofKind('ecsDeploy')) {
      const step = info.step;
      if (!isProduction(step.environment)) continue;
      const tags: Record<string, string> = step.tags ?? {};
      const missing = REQUIRED_COST_TAGS.filter((key) => !(tags[key] ?? '').trim());
      if (missing.length > 0) {
        findings.push({
          path: step.tags === undefined ? info.path : [...info.path, 'tags'],
          message: `ecsDeploy to ${step.environment} lacks the cost-allocation tag(s) ${missing.join(', ')}`,
          environment: step.environment,
          expected: REQUIRED_COST_TAGS.join(', '),
          found: Object.keys(tags).join(', ') || 'no tags',
        });
      } else if (tags.environment !== step.environment) {
        findings.push({
          path: [...info.path, 'tags', 'environment'],
          message: `ecsDeploy to ${step.environment} is tagged environment=${tags.environment}: costs would be booked to the wrong environment`,
          environment: step.environment,
          expected: step.environment,
          found: String(tags.environment),
        });
      }
    }
    return findings;
  },
});
