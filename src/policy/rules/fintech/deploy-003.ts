import type { StepInfo } from '../../model-index.ts';
import { deliveryFacts, ROLLBACK_SHELL } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const NOTIFY_STEPS = new Set(['slackSend', 'office365ConnectorSend', 'mail', 'emailext']);

const notifies = (s: StepInfo) => s.step.step === 'notify' || (s.step.step === 'step' && NOTIFY_STEPS.has(s.step.name));

/** DEPLOY-003: a failed deploy is rolled back to the captured previous version, and people hear about it. */
export default defineRule({
  meta: {
    id: 'DEPLOY-003',
    title: 'Roll back and notify when a deploy fails',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'The back-out procedure is part of the change: the previous task definition is captured before the update and ' +
      'restored on failure (the typed deploys do both), and a failed deploy notifies the team (`post { failure }` with ' +
      '`notify`). Hand-written deploys need a rollback in `post { failure }` themselves.',
    standards: ['PCI DSS 4.0.1 6.5.1'],
    exception: 'For dev, the circuit-breaker rollback with DEPLOY-002 verification can be enough.',
    example: {
      bad: "definePipeline({ agent: 'none', environments, stages: [build, approveProd, deployProd] })  // no post failure",
      good: "definePipeline({ agent: 'none', environments, stages: [build, approveProd, deployProd], post: { failure: [notify('failure', targets)] } })",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    const failurePosts = (info: StepInfo) => {
      const chain = info.stage ? [...info.stage.ancestors, info.stage] : [];
      return index.steps.filter((s) => (s.post === 'failure' || s.post === 'unsuccessful') && (s.stage === undefined || chain.includes(s.stage)));
    };
    const warned = new Set<string>();
    for (const deploy of facts.deploys) {
      if (deploy.kind === 'traffic') continue;
      const posts = failurePosts(deploy.info);
      const env = deploy.environment;
      if (!posts.some(notifies) && !warned.has(env ?? '')) {
        warned.add(env ?? '');
        findings.push({
          path: deploy.info.path,
          message: `nobody is notified when the deploy${env ? ` to ${env}` : ''} fails: add notify({ event: 'failure' }) to post { failure }`,
          ...(env ? { environment: env } : {}),
          expected: 'a notification in post { failure }',
          found: 'none',
        });
      }
      if (deploy.kind !== 'shell' || deploy.command === 'pipewright ecs-deploy') continue;
      const rollback = posts.some((s) => s.step.step === 'sh' && ROLLBACK_SHELL.test(s.step.script));
      if (!rollback) {
        findings.push({
          path: [...deploy.info.path, 'script'],
          message: `'${deploy.command}' has no rollback to the previous version in post { failure }`,
          ...(env ? { environment: env } : {}),
          expected: 'capture the previous version and restore it on failure',
          found: 'no rollback in post { failure }',
        });
      }
    }
    return findings;
  },
});
