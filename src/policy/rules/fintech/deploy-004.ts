import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** DEPLOY-004: every release registers a task-definition revision rendered from the versioned template. */
export default defineRule({
  meta: {
    id: 'DEPLOY-004',
    title: 'Render task definitions from the versioned template',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'A new task-definition revision per release, rendered from a template reviewed in the repository plus the new ' +
      'image only, is the auditable unit of an ECS release. `--force-new-deployment` on a mutable tag changes what runs ' +
      'without any new revision; the `pipewright` engine renders from the live task definition, which carries forward ' +
      'any console change nobody reviewed.',
    standards: ['PCI DSS 4.0.1 6.5.1', 'Amazon ECS task definition revisions'],
    exception: 'A secret-rotation redeploy of the same digest.',
    example: {
      bad: "ecsDeploy({ environment: 'prod', aws: prodAws, cluster: 'prod-apps', service: 'payments-api', container: 'app', engine: 'pipewright' })",
      good: "ecsDeploy({ environment: 'prod', aws: prodAws, cluster: 'prod-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.prod.json' })",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const info of facts.ofKind('ecsDeploy')) {
      if (info.step.engine !== 'pipewright') continue;
      findings.push({
        path: [...info.path, 'engine'],
        message: `ecsDeploy to ${info.step.environment} renders from the live task definition, not a versioned template`,
        environment: info.step.environment,
        expected: "engine 'aws-cli' with taskDefinition",
        found: "engine 'pipewright'",
      });
    }
    for (const deploy of facts.deploys) {
      if (deploy.kind !== 'shell' || deploy.info.step.step !== 'sh') continue;
      if (shellLines(deploy.info.step.script).some((l) => /\bupdate-service\b/.test(l) && /--force-new-deployment\b/.test(l))) {
        findings.push({
          path: [...deploy.info.path, 'script'],
          message: 'the release is a --force-new-deployment: no new task-definition revision records what changed',
          ...(deploy.environment ? { environment: deploy.environment } : {}),
          expected: 'register-task-definition from the template, then update-service --task-definition',
          found: '--force-new-deployment',
        });
      }
    }
    return findings;
  },
});
