import type { NotifyEvent } from '../../../model/delivery.ts';
import { deliveryFacts } from '../../facts.ts';
import type { StepInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** NOTIFY-001: approvals, failures and rollbacks are announced, through credentials. */
export default defineRule({
  meta: {
    id: 'NOTIFY-001',
    title: 'Notify on approval requests, failures and rollbacks',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'People must see production changes as they happen: a pending approval, a failed run, a rollback. Pipelines that ' +
      'deploy send `notify` for failures (in `post { failure }`) and rollbacks, and pipelines with approvals announce ' +
      'the request. Slack goes through `tokenCredentialId`; Teams webhook URLs come from a secret, never a literal.',
    standards: ['OWASP CICD-SEC-10', 'Office 365 connectors retirement (use Workflows)'],
    example: {
      bad: "stages: [build, approveProd, deployProd], post: { failure: [echo('failed')] }",
      good: "stages: [build, approvalRequest, approveProd, { ...deployProd, post: { failure: [notify('rolled-back', targets)] } }], post: { failure: [notify('failure', targets)] }  // approvalRequest: notify('approval', targets)",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    const notifies = facts.ofKind('notify');
    const events = (predicate: (s: StepInfo) => boolean) => new Set<NotifyEvent>(notifies.filter(predicate).map((n) => n.step.event));
    const legacyFailure = index.steps.some(
      (s) => (s.post === 'failure' || s.post === 'unsuccessful') && s.step.step === 'step' && ['slackSend', 'office365ConnectorSend', 'mail', 'emailext'].includes(s.step.name),
    );
    const deploys = facts.deploys.filter((d) => d.kind !== 'traffic');
    if (deploys.length > 0) {
      const onFailure = events((s) => s.post === 'failure' || s.post === 'unsuccessful');
      if (!onFailure.has('failure') && !legacyFailure) {
        findings.push({ path: index.pipeline.post ? ['post'] : [], message: "the pipeline deploys but sends no failure notification (notify({ event: 'failure' }) in post { failure })", expected: 'failure notification', found: 'none' });
      }
      if (!events(() => true).has('rolled-back')) {
        findings.push({ path: deploys[0]!.info.path, message: "no notification announces a rollback (notify({ event: 'rolled-back' }) in the deploy stage's post { failure })", expected: 'rolled-back notification', found: 'none', ...(deploys[0]!.environment ? { environment: deploys[0]!.environment } : {}) });
      }
    }
    for (const approval of facts.approvals) {
      const announced = notifies.some((n) => n.step.event === 'approval' && !n.post && n.stage !== undefined && facts.stageRunsBefore(n.stage, approval.stage));
      if (!announced) {
        findings.push({
          path: approval.stage.path,
          message: `nobody is told that approval '${approval.stage.stage.name}' is waiting (notify({ event: 'approval' }) in a stage before it)`,
          ...(approval.environment ? { environment: approval.environment } : {}),
        });
      }
    }
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      const step = info.step;
      if (step.step !== 'step' || !step.args || Array.isArray(step.args)) continue;
      const args = step.args as Record<string, unknown>;
      if (step.name === 'slackSend' && args['tokenCredentialId'] === undefined) {
        findings.push({ path: info.path, message: 'slackSend without tokenCredentialId relies on a global token (or a literal one)', expected: 'tokenCredentialId', found: 'none' });
      }
    }
    return findings;
  },
});
