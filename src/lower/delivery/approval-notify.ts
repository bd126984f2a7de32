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
 * One message to each target: service, event, environment, image digest, approver and change when
 * known, and the build link. Slack by `tokenCredentialId`; Teams by a webhook URL bound from a
 * secret-text credential (NOTIFY-001).
 */
export function lowerNotify(step: NotifyStep): DeliveryLowering {
  const wording = WORDING[step.event];
  const what = `${wording.text}${step.environment === undefined ? '' : ` in ${step.environment}`}`;
  const headline = step.service === undefined ? `env.JOB_NAME + ${lit(` ${what}`)}` : lit(`${step.service} ${what}`);
  const lines = [
    `def pwMessage = ${headline} +`,
    "  ' | image ' + (env.IMAGE_REF ?: 'not built') +",
    "  (env.DEPLOY_APPROVER ? ' | approved by ' + env.DEPLOY_APPROVER + ' (' + env.DEPLOY_CHANGE_ID + ')' : '') +",
    "  ' | build ' + env.BUILD_URL",
  ];
  for (const target of step.targets) {
    if (target.kind === 'slack') {
      const args = [
        `channel: ${lit(target.channel)}`,
        `tokenCredentialId: ${lit(target.tokenCredentialId)}`,
        'botUser: true',
        ...(target.teamDomain !== undefined ? [`teamDomain: ${lit(target.teamDomain)}`] : []),
        `color: ${lit(wording.slackColor)}`,
        'message: pwMessage',
      ];
      lines.push(`slackSend(${args.join(', ')})`);
    } else {
      lines.push(
        `withCredentials([string(credentialsId: ${lit(target.webhookCredentialId)}, variable: 'PW_TEAMS_WEBHOOK_URL')]) {`,
        `  office365ConnectorSend(webhookUrl: env.PW_TEAMS_WEBHOOK_URL, adaptiveCards: true, status: ${lit(wording.status)}, color: ${lit(wording.teamsColor)}, message: pwMessage)`,
        '}',
      );
    }
  }
  return { steps: [scriptBlock(lines.join('\n'))] };
}
