/**
 * The generated notification and approval-check Groovy, run for real with Groovy 2.4.21: the
 * `script { }` bodies `lowerApprovalCheck` and `lowerNotify` emit become methods of a Groovy script
 * whose Jenkins steps (`slackSend`, `withAWS`, `snsPublish`, `emailext`, `withCredentials`,
 * `office365ConnectorSend`, `error`, `echo`) record their arguments. What is checked is what each
 * target would be sent: the message carries service, event, environment, digest, approver and
 * change ticket and build link (#12.4), also when nothing was built or approved yet, and the SNS
 * session is the topic account's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GroovyBlock } from '../../src/jenkinsfile/ast.ts';
import { lowerApprovalCheck, lowerNotify } from '../../src/lower/delivery/approval-notify.ts';
import { email, notify, slack, sns, teams } from '../../src/presets/steps.ts';

const work = mkdtempSync(join(tmpdir(), 'pw-notify-groovy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const source = (lowered: { steps: unknown[] }) => (lowered.steps[0] as GroovyBlock).source;

const STUBS = `
import groovy.json.JsonOutput
calls = []
def slackSend(Map a) { calls << [step: 'slackSend', args: a] }
def snsPublish(Map a) { calls << [step: 'snsPublish', args: a] }
def emailext(Map a) { calls << [step: 'emailext', args: a] }
def office365ConnectorSend(Map a) { calls << [step: 'office365ConnectorSend', args: a] }
def withAWS(Map a, Closure body) { calls << [step: 'withAWS', args: a]; body() }
def string(Map a) { a }
def withCredentials(List bindings, Closure body) { bindings.each { env[it.variable] = 'https://example.webhook.office.com/secret' }; body() }
def error(String message) { throw new IllegalStateException(message) }
def echo(String message) { calls << [step: 'echo', args: [message: message]] }
`;

interface Call {
  step: string;
  args: Record<string, unknown>;
}

/** Runs `methods` (Groovy method definitions) and then `main` with `env`; returns the recorded calls. */
function runGroovy(methods: string, main: string, env: Record<string, string>, starters: string[] = []): Call[] {
  const file = join(work, `s${Math.random().toString(36).slice(2)}.groovy`);
  const script = [
    STUBS,
    `env = ${JSON.stringify(env).replace(/^\{/, '[').replace(/\}$/, ']').replace(/^\[\]$/, '[:]') || '[:]'}`,
    `currentBuild = [getBuildCauses: { String c -> [${starters.map((s) => `[userId: ${JSON.stringify(s)}]`).join(', ')}] }, description: null]`,
    methods,
    main,
    'println JsonOutput.toJson(calls)',
  ].join('\n');
  writeFileSync(file, script);
  const result = spawnSync('groovy', [file], {
    encoding: 'utf8',
    env: { ...process.env, JAVA_HOME: '/usr/lib/jvm/java-17-openjdk-amd64' },
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`groovy failed (${result.status}): ${result.stderr}`);
  const lastLine = result.stdout.trim().split('\n').pop()!;
  return JSON.parse(lastLine) as Call[];
}

const BUILD = { BUILD_URL: 'https://jenkins.example.com/job/payments-api/42/', JOB_NAME: 'payments-api' };
const IMAGE = '999999999999.dkr.ecr.eu-west-1.amazonaws.com/payments-api@sha256:' + 'a'.repeat(64);

describe('generated notification Groovy (Groovy 2.4.21)', () => {
  const failure = notify('failure', [slack('#payments-deploys', 'slack-bot-token'), sns('arn:aws:sns:eu-west-1:333333333333:payments-alerts', 'alerts-publisher-prod'), email('oncall@example.com')], {
    service: 'payments-api',
    environment: 'prod',
  });
  const approval = lowerApprovalCheck({ step: 'approvalCheck', environment: 'prod' });

  it('after an approval: every target gets service, event, environment, digest, approver, change and build', () => {
    const calls = runGroovy(
      `def pwApproval() {\n${source(approval)}\n}\ndef pwNotify() {\n${source(lowerNotify(failure))}\n}`,
      'pwApproval()\npwNotify()',
      { ...BUILD, IMAGE_REF: IMAGE, APPROVER: 'alice', CHANGE_ID: 'CHG-1234' },
      ['bob'],
    );
    const message = `payments-api FAILED in prod | image ${IMAGE} | approved by alice (CHG-1234) | build ${BUILD.BUILD_URL}`;
    expect(calls.find((c) => c.step === 'slackSend')?.args).toEqual({
      channel: '#payments-deploys',
      tokenCredentialId: 'slack-bot-token',
      botUser: true,
      color: 'danger',
      message,
    });
    expect(calls.find((c) => c.step === 'withAWS')?.args).toEqual({ role: 'alerts-publisher-prod', roleAccount: '333333333333', region: 'eu-west-1', duration: 900 });
    expect(calls.find((c) => c.step === 'snsPublish')?.args).toEqual({
      topicArn: 'arn:aws:sns:eu-west-1:333333333333:payments-alerts',
      subject: 'payments-api FAILED in prod',
      message,
    });
    // snsPublish runs inside the session, after withAWS.
    expect(calls.map((c) => c.step)).toEqual(['echo', 'slackSend', 'withAWS', 'snsPublish', 'emailext']);
    // Email Extension fills in the tokens when it sends: the text is the template.
    expect(calls.find((c) => c.step === 'emailext')?.args).toEqual({
      to: 'oncall@example.com',
      subject: 'payments-api FAILED in prod (build #$BUILD_NUMBER)',
      body: 'payments-api FAILED in prod\n\nImage: ${ENV,var="IMAGE_REF"}${ENV,var="PW_NOTIFY_APPROVAL"}\nBuild: ${BUILD_URL}',
      mimeType: 'text/plain',
    });
  });

  it('before anything was built or approved: "not built", no approval, the build link', () => {
    const calls = runGroovy(`def pwNotify() {\n${source(lowerNotify(notify('failure', [slack('#d', 'slack-bot-token')])))}\n}`, 'pwNotify()', BUILD);
    expect(calls).toEqual([
      { step: 'slackSend', args: { channel: '#d', tokenCredentialId: 'slack-bot-token', botUser: true, color: 'danger', message: `payments-api FAILED | image not built | build ${BUILD.BUILD_URL}` } },
    ]);
  });

  it('Teams gets the same message with the webhook bound from the credential', () => {
    const calls = runGroovy(
      `def pwNotify() {\n${source(lowerNotify(notify('deployed', [teams('teams-webhook')], { service: 'payments-api', environment: 'dev' })))}\n}`,
      'pwNotify()',
      { ...BUILD, IMAGE_REF: IMAGE },
    );
    expect(calls).toEqual([
      {
        step: 'office365ConnectorSend',
        args: {
          webhookUrl: 'https://example.webhook.office.com/secret',
          adaptiveCards: true,
          status: 'Deployed',
          color: '#2EB886',
          message: `payments-api deployed in dev | image ${IMAGE} | build ${BUILD.BUILD_URL}`,
        },
      },
    ]);
  });

  it('the approval check still refuses a self-approval before anything is recorded', () => {
    expect(() =>
      runGroovy(`def pwApproval() {\n${source(approval)}\n}`, 'pwApproval()', { ...BUILD, APPROVER: 'alice', CHANGE_ID: 'CHG-1234' }, ['alice']),
    ).toThrow(/separation of duties: alice started this build and cannot approve it/);
  });
});
