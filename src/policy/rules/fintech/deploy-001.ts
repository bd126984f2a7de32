import { deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** DEPLOY-001: a failing rollout rolls itself back. */
export default defineRule({
  meta: {
    id: 'DEPLOY-001',
    title: 'Rollouts roll back automatically',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'A failed deployment must return to a secure, working state without someone at the console. ECS rolling deploys ' +
      'enable the deployment circuit breaker with rollback (the typed `ecsDeploy` always does); `helm upgrade` uses ' +
      '`--atomic`; a hand-written `kubectl` rollout needs `rollout status` and `rollout undo`.',
    standards: ['PCI DSS 4.0.1 6.5.1', 'AWS Well-Architected REL08-BP05'],
    example: {
      bad: "sh('aws ecs update-service --cluster prod --service api --task-definition \"$TD\"')",
      good: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })  // circuit breaker with rollback",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const deploy of deliveryFacts(index).deploys) {
      if (deploy.kind !== 'shell' || deploy.info.step.step !== 'sh') continue;
      const script = deploy.info.step.script;
      let problem: string | undefined;
      if (deploy.command === 'aws ecs update-service' && !/deploymentCircuitBreaker[={:\s"]+enable[=:\s"]+true[,\s"]+rollback[=:\s"]+true/.test(script)) {
        problem = 'aws ecs update-service without deploymentCircuitBreaker={enable=true,rollback=true}';
      } else if (deploy.command === 'helm upgrade' && !/--atomic\b/.test(script)) {
        problem = 'helm upgrade without --atomic';
      } else if (deploy.command === 'kubectl' && !(/\brollout\s+status\b/.test(script) && /\brollout\s+undo\b/.test(script))) {
        problem = 'kubectl rollout without rollout status and rollout undo';
      }
      if (!problem) continue;
      findings.push({
        path: [...deploy.info.path, 'script'],
        message: `${problem}: a failed rollout stays broken`,
        ...(deploy.environment ? { environment: deploy.environment } : {}),
        expected: 'automatic rollback',
        found: problem,
      });
    }
    return findings;
  },
});
