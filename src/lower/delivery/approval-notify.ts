/**
 * Approval checks and notifications: generator-owned `script { }` snippets (PIPE-001). All text
 * from the model enters them through `groovyStringLiteral` (single-quoted, non-interpolating), and
 * they build messages by concatenation, so no GString exists and no credential variable can be
 * interpolated (SECRET-003).
 */
import { groovyStringLiteral as lit } from '../../jenkinsfile/groovy-literal.ts';
import { DELIVERY_DEFAULTS } from '../../model/delivery-defaults.ts';
import type { ApprovalCheckStep, NotifyEvent, NotifyStep } from '../../model/delivery.ts';
import { scriptBlock } from './jenkins.ts';
import type { DeliveryLowering } from './types.ts';

/**
 * After the stage's `input`: the change ticket must match the pattern (FLOW-007), the approver
 * must not have started the build (FLOW-003; also catches an administrator approving their own
 * run), and approver and ticket are recorded for the deploy evidence and the build description.
 */
export function lowerApprovalCheck(step: ApprovalCheckStep): DeliveryLowering {
  const A = DELIVERY_DEFAULTS.approval;
  const approverVariable = step.approverVariable ?? A.approverVariable;
  const pattern = step.changeIdPattern ?? A.changeIdPattern;
  const lines = [
    `def pwApprover = env.${approverVariable} ?: ''`,
    `def pwChangeId = (env.${A.changeIdParameter} ?: '').trim()`,
    `if (!(pwChangeId ==~ ${lit(pattern)})) {`,
    `  error('${A.changeIdParameter} \\'' + pwChangeId + '\\' does not match ' + ${lit(pattern)})`,
    '}',
  ];
  if (step.forbidSelfApproval ?? A.forbidSelfApproval) {
    lines.push(
      "if (pwApprover == '') {",
      `  error('no approver recorded in ${approverVariable}: is submitterParameter set?')`,
      '}',
      "def pwStarters = currentBuild.getBuildCauses('hudson.model.Cause$UserIdCause')*.userId",
      'if (pwStarters.contains(pwApprover)) {',
      "  error('separation of duties: ' + pwApprover + ' started this build and cannot approve it')",
      '}',
    );
  }
  lines.push(
    'env.DEPLOY_APPROVER = pwApprover',
    'env.DEPLOY_CHANGE_ID = pwChangeId',
    `env.${NOTIFY_APPROVAL_VARIABLE} = ' | approved by ' + pwApprover + ' (' + pwChangeId + ')'`,
    `currentBuild.description = ${lit(`${step.environment} approved by `)} + pwApprover + ', change ' + pwChangeId`,
    `echo(${lit(`${step.environment} approved by `)} + pwApprover + ' for change ' + pwChangeId)`,
  );
  return { steps: [scriptBlock(lines.join('\n'))] };
}

const WORDING: Record<NotifyEvent, { text: string; slackColor: string; teamsColor: string; status: string }> = {
  failure: { text: 'FAILED', slackColor: 'danger', teamsColor: '#E01E5A', status: 'Failure' },
  fixed: { text: 'back to normal', slackColor: 'good', teamsColor: '#2EB886', status: 'Fixed' },
  approval: { text: 'waiting for approval', slackColor: 'warning', teamsColor: '#ECB22E', status: 'Approval requested' },
  deployed: { text: 'deployed', slackColor: 'good', teamsColor: '#2EB886', status: 'Deployed' },
  'rolled-back': { text: 'ROLLED BACK', slackColor: 'danger', teamsColor: '#E01E5A', status: 'Rolled back' },
};

/**
 * Environment variable the approval check sets to ` | approved by <approver> (<change>)`, so a
 * notification adds the approval with one `?:` instead of re-deriving it from two variables.
 */
export const NOTIFY_APPROVAL_VARIABLE = 'PW_NOTIFY_APPROVAL';

/** Text of an e-mail body: Email Extension expands the `${...}` tokens when it sends (no Groovy). */
function emailBody(headline: string): string {
  return [headline, '', `Image: \${ENV,var="IMAGE_REF"}\${ENV,var="${NOTIFY_APPROVAL_VARIABLE}"}`, 'Build: ${BUILD_URL}'].join('\n');
}

/**
 * One message to each target: service, event, environment, image digest, approver and change when
 * known, and the build link. Slack by `tokenCredentialId`; Teams by a webhook URL bound from a
 * secret-text credential (NOTIFY-001); SNS by `snsPublish` under the topic account's role (it runs
 * on the controller, so it also works in `agent none` stages and the pipeline's `post`, where an
 * `sh` with `aws sns publish` has no workspace); e-mail by `emailext`, whose tokens fill in the
 * run's values without any Groovy.
 *
 * Size (issue #11): the Groovy message is one expression of a few nodes (the approval arrives
 * pre-formatted in {@link NOTIFY_APPROVAL_VARIABLE}); it is declared once only when more than one
 * target uses it, and an e-mail-only notification has no Groovy expression at all.
 */
export function lowerNotify(step: NotifyStep): DeliveryLowering {
  const wording = WORDING[step.event];
  const what = `${wording.text}${step.environment === undefined ? '' : ` in ${step.environment}`}`;
  const headline = step.service === undefined ? `env.JOB_NAME + ${lit(` ${what} | image `)}` : lit(`${step.service} ${what} | image `);
  const groovyTargets = step.targets.filter((t) => t.kind !== 'email').length;
  const expression = `${headline} + (env.IMAGE_REF ?: 'not built') + (env.${NOTIFY_APPROVAL_VARIABLE} ?: '') + ' | build ' + env.BUILD_URL`;
  const message = groovyTargets > 1 ? 'pwMessage' : expression;
  const lines = groovyTargets > 1 ? [`def pwMessage = ${expression}`] : [];
  const subject = `${step.service ?? 'Jenkins job'} ${what}`;
  for (const target of step.targets) {
    switch (target.kind) {
      case 'slack': {
        const args = [
          `channel: ${lit(target.channel)}`,
          `tokenCredentialId: ${lit(target.tokenCredentialId)}`,
          'botUser: true',
          ...(target.teamDomain !== undefined ? [`teamDomain: ${lit(target.teamDomain)}`] : []),
          `color: ${lit(wording.slackColor)}`,
          `message: ${message}`,
        ];
        lines.push(`slackSend(${args.join(', ')})`);
        break;
      }
      case 'teams':
        lines.push(
          `withCredentials([string(credentialsId: ${lit(target.webhookCredentialId)}, variable: 'PW_TEAMS_WEBHOOK_URL')]) {`,
          `  office365ConnectorSend(webhookUrl: env.PW_TEAMS_WEBHOOK_URL, adaptiveCards: true, status: ${lit(wording.status)}, color: ${lit(wording.teamsColor)}, message: ${message})`,
          '}',
        );
        break;
      case 'sns': {
        // arn:aws:sns:<region>:<account>:<name>: the session goes to the topic's own account.
        const [, , , region, account] = target.topicArn.split(':');
        const session = [`role: ${lit(target.role)}`, `roleAccount: ${lit(account!)}`, `region: ${lit(region!)}`, `duration: ${DELIVERY_DEFAULTS.awsSessionSeconds}`];
        lines.push(
          `withAWS(${session.join(', ')}) {`,
          `  snsPublish(topicArn: ${lit(target.topicArn)}, subject: ${lit(subject.slice(0, 100))}, message: ${message})`,
          '}',
        );
        break;
      }
      case 'email':
        lines.push(
          `emailext(to: ${lit(target.to.join(', '))}, subject: ${lit(`${step.service ?? '$PROJECT_NAME'} ${what} (build #$BUILD_NUMBER)`)}, body: ${lit(emailBody(subject))}, mimeType: 'text/plain')`,
        );
        break;
    }
  }
  return { steps: [scriptBlock(lines.join('\n'))] };
}
