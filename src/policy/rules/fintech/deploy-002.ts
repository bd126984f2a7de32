import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** DEPLOY-002: a deploy succeeds only when the new version really won and passes a smoke test. */
export default defineRule({
  meta: {
    id: 'DEPLOY-002',
    title: 'Verify the rollout and smoke-test it',
    pack: 'fintech',
    severity: 'error',
    rationale:
      '`aws ecs wait services-stable` also succeeds after the circuit breaker rolled the service back: a false success. ' +
      'A deploy waits (bounded), then checks that the PRIMARY deployment runs the new task definition with ' +
      '`rolloutState=COMPLETED` (the typed `ecsDeploy` does), then runs a smoke test (`smokeTest`).',
    standards: ['PCI DSS 4.0.1 6.5.1', 'aws-actions/amazon-ecs-deploy-task-definition#191'],
    example: {
      bad: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })",
      good: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService, smokeTest: './scripts/smoke.sh' })",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const info of facts.ofKind('ecsDeploy')) {
      if (info.step.smokeTest) continue;
      findings.push({
        path: info.path,
        message: `ecsDeploy to ${info.step.environment} runs no smoke test after the rollout`,
        environment: info.step.environment,
        expected: 'smokeTest',
        found: 'none',
      });
    }
    for (const deploy of facts.deploys) {
      if (deploy.kind !== 'shell' || deploy.info.step.step !== 'sh' || deploy.command !== 'aws ecs update-service') continue;
      const script = deploy.info.step.script;
      if (/\bwait\s+services-stable\b/.test(script) && /rolloutState/.test(script)) continue;
      findings.push({
        path: [...deploy.info.path, 'script'],
        message: 'aws ecs update-service is not followed by a wait and a check that the PRIMARY deployment is COMPLETED',
        ...(deploy.environment ? { environment: deploy.environment } : {}),
        expected: 'wait services-stable + rolloutState check',
        found: 'no verification of the rollout',
      });
    }
    return findings;
  },
});
