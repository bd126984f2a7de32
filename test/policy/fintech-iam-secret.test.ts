import { describe, it } from 'vitest';
import type { Step } from '../../src/model/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { findRule } from '../../src/policy/registry.ts';
import { findSecret, shannonEntropy } from '../../src/policy/secrets.ts';
import { expect } from 'vitest';
import { STAGE, accounts, compliant, deployStep, mutate } from './fintech-fixture.ts';
import { pipeline, sh } from './fixtures.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;

tester.run(rule('IAM-001'), {
  valid: [compliant(), pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'withAWS', args: { role: 'r', roleAccount: accounts.dev, duration: 900 }, body: [sh('aws s3 ls')] }] }] })],
  invalid: [
    {
      pipeline: pipeline({ environment: { AWS_ACCESS_KEY_ID: { credentials: 'aws-key' } } }),
      errors: [{ path: ['environment', 'AWS_ACCESS_KEY_ID'], message: /static keys/ }],
    },
    {
      pipeline: pipeline({
        stages: [
          {
            name: 'A',
            steps: [
              { step: 'withCredentials', bindings: [{ type: 'usernamePassword', credentialsId: 'aws-deploy', usernameVariable: 'AK', passwordVariable: 'SK' }], steps: [sh('aws s3 ls')] },
              { step: 'step', name: 'withAWS', args: { credentials: 'aws-deploy', duration: 7200 }, body: [sh('aws s3 ls')] },
              sh('aws configure set aws_secret_access_key "$SK"'),
            ],
          },
        ],
      }),
      errors: [
        { path: ['stages', 0, 'steps', 0, 'bindings', 0] },
        { path: ['stages', 0, 'steps', 1, 'args', 'credentials'] },
        { path: ['stages', 0, 'steps', 1, 'args', 'duration'], message: /7200 s/ },
        { path: ['stages', 0, 'steps', 2, 'script'] },
      ],
    },
  ],
});

tester.run(rule('IAM-002'), {
  valid: [compliant()],
  invalid: [
    {
      name: 'shared account',
      pipeline: mutate((p) => { p.environments![1]!.awsAccountId = accounts.dev; }),
      errors: [{ path: ['environments', 1, 'awsAccountId'], message: /dev and stage share AWS account/ }, { path: ['stages', STAGE.deployStage, 'steps', 0, 'aws', 'account'] }],
    },
    {
      name: 'deploy to prod with the dev role',
      pipeline: mutate((p) => { p.stages[STAGE.deployProd]!.steps = [deployStep('prod', { aws: { role: 'ecs-deployer-dev', account: accounts.dev, region: 'eu-west-1' }, cluster: 'dev-apps' })]; }),
      errors: [
        { path: ['stages', STAGE.deployProd, 'steps', 0, 'aws', 'account'], environment: 'prod' },
        { path: ['stages', STAGE.deployProd, 'steps', 0, 'aws', 'role'] },
        { path: ['stages', STAGE.deployProd, 'steps', 0, 'cluster'] },
      ],
    },
    {
      name: 'undeclared environment',
      pipeline: mutate((p) => { p.environments = p.environments!.slice(0, 2); }),
      errors: [{ path: ['stages', STAGE.deployProd, 'steps', 0, 'environment'], message: /'prod' is not declared/ }],
    },
    {
      name: 'organisation pins the prod account',
      config: { environments: { prod: { awsAccountIds: ['999999999999'] } } },
      pipeline: compliant(),
      errors: [{ path: ['environments', 2, 'awsAccountId'], message: /not one of the organisation's prod accounts/ }],
    },
  ],
});

tester.run(rule('IAM-003'), {
  valid: [compliant()],
  invalid: [
    {
      pipeline: mutate((p) => {
        const push = p.stages[STAGE.publish]!.steps![0] as { aws: unknown };
        push.aws = { role: 'ecs-deployer-prod', account: accounts.prod, region: 'eu-west-1' };
      }),
      errors: [{ path: ['stages', STAGE.publish, 'steps', 0, 'aws', 'role'], message: /uses prod's deploy role/, severity: 'warning' }],
    },
    {
      pipeline: mutate((p) => {
        const sign = p.stages[STAGE.publish]!.steps![2] as { aws: { role: string } };
        sign.aws.role = 'ecr-pusher';
      }),
      errors: [{ path: ['stages', STAGE.publish, 'steps', 2, 'aws', 'role'], message: /ECR push role/ }],
    },
  ],
});

tester.run(rule('IAM-004'), {
  valid: [compliant(), { pipeline: compliant(), config: { environments: { prod: { agentLabels: ['prod-deployer'] } } } }],
  invalid: [
    { pipeline: mutate((p) => { delete p.stages[STAGE.deployProd]!.agent; }), errors: [{ path: ['stages', STAGE.deployProd], message: /on the pipeline's agent/ }] },
    { pipeline: mutate((p) => { p.stages[STAGE.deployProd]!.agent = 'any'; }), errors: [{ path: ['stages', STAGE.deployProd, 'agent'], message: /not a dedicated agent label/ }] },
    { pipeline: mutate((p) => { p.stages[STAGE.deployProd]!.agent = { type: 'label', label: 'stage-deployer' }; }), errors: [{ message: /not prod's agent label 'prod-deployer'/ }] },
    { config: { environments: { prod: { agentLabels: ['prod-isolated'] } } }, pipeline: compliant(), errors: [{ message: /not one of the organisation's prod agents/ }] },
  ],
});

const slackWebhook = ['https://hooks.slack.com/services/', 'T0ABCDEF1/B0ABCDEF2/', 'a1B2c3D4e5F6g7H8i9J0k1L2'].join('');
const awsKeyId = ['AKIA', 'Q3EGRZ5HJ7KXYWV2'].join('');

tester.run(rule('SECRET-001'), {
  valid: [
    compliant(),
    pipeline({ environment: { SNYK_TOKEN_ID: 'snyk-token', IMAGE: 'registry/app@sha256:' + 'ab12'.repeat(16), GIT: 'e83c5163316f89bfbde7d9ab23ca2e25604af290' } }),
    // credentials('id') is a reference: its id is not a secret, however random it looks.
    pipeline({ environment: { SNYK: { credentials: 'snyk-api-token' }, NPM: { credentials: 'npm-publish-token-7f3a9c' } } }),
  ],
  invalid: [
    {
      pipeline: pipeline({ environment: { SLACK_HOOK: slackWebhook, DB_PASSWORD: 'Zx9!kQ2#pL7w' } }),
      errors: [{ path: ['environment', 'SLACK_HOOK'], message: /Slack webhook URL/ }, { path: ['environment', 'DB_PASSWORD'], message: /high-entropy value of DB_PASSWORD/ }],
    },
    {
      name: 'an environment variable named CREDENTIALS still holds a value, not a reference',
      pipeline: pipeline({ environment: { CREDENTIALS: 'Zx9!kQ2#pL7wQ4' } }),
      errors: [{ path: ['environment', 'CREDENTIALS'], message: /high-entropy value of CREDENTIALS/ }],
    },
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [sh(`aws configure set aws_access_key_id ${awsKeyId}`)] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'script'], message: /AWS access key id \(AKIA\*+\)/ }],
    },
    {
      name: 'random token in a URL query',
      pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'git', url: 'https://ci:Sup3rS3cretPassw0rd@git.example.com/repo.git' }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'url'], message: /password in URL/ }],
    },
  ],
});

it('SECRET-001 never prints the secret and measures entropy', () => {
  const match = findSecret(`token ${awsKeyId}`)!;
  expect(match.redacted).not.toContain(awsKeyId.slice(4));
  expect(shannonEntropy('aaaa')).toBe(0);
  expect(shannonEntropy('abcd')).toBe(2);
  expect(findSecret('linux && docker && ephemeral')).toBeUndefined();
  expect(findSecret('AbstractSingletonProxyFactoryBeanFactoryImpl')).toBeUndefined();
  expect(findSecret('kJ8s7Dh2Lq9Wm3Xn5Bv1Zc4Rt6Yp0Ug8Ie2Oa7Sf5Gh')?.kind).toBe('high-entropy token');
});

tester.run(rule('SECRET-002'), {
  valid: [compliant(), pipeline({ stages: [{ name: 'A', environment: { TOKEN: { credentials: 'snyk-token' } }, steps: [sh('snyk test')] }] })],
  invalid: [
    { pipeline: pipeline({ environment: { SNYK_TOKEN: { credentials: 'snyk-token' } } }), errors: [{ path: ['environment', 'SNYK_TOKEN'], message: /bound for the whole pipeline/ }] },
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'office365ConnectorSend', args: { webhookUrl: 'https://example.webhook.office.com/x', message: 'hi' } }, { step: 'step', name: 'nexusUpload', args: { password: 'hunter22', credentialsId: 'nexus' } }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'args', 'webhookUrl'], message: /literal webhook URL/ }, { path: ['stages', 0, 'steps', 1, 'args', 'password'] }],
    },
  ],
});

const withToken = (steps: Step[]): Step => ({ step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'snyk-token', variable: 'SNYK_TOKEN' }], steps });
tester.run(rule('SECRET-003'), {
  valid: [
    compliant(),
    pipeline({ stages: [{ name: 'A', steps: [withToken([sh('snyk auth "$SNYK_TOKEN" && snyk test')]), sh('set -x; make')] }] }),
    pipeline({ stages: [{ name: 'A', steps: [withToken([{ step: 'script', groovy: "sh 'snyk auth $SNYK_TOKEN'" }])] }] }),
  ],
  invalid: [
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [withToken([{ step: 'script', groovy: 'sh "snyk auth ${SNYK_TOKEN}"' }])] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'steps', 0, 'groovy'], message: /SNYK_TOKEN \(a credential\) is interpolated/ }],
    },
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [withToken([sh('set -x\nsnyk test'), sh('echo "token is $SNYK_TOKEN"')])] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'steps', 0, 'script'], message: /traces or dumps/ }, { path: ['stages', 0, 'steps', 0, 'steps', 1, 'script'], message: /prints SNYK_TOKEN/ }],
    },
    {
      name: 'environment credentials make the whole stage sensitive',
      pipeline: pipeline({ stages: [{ name: 'A', environment: { NEXUS: { credentials: 'nexus' } }, steps: [sh('printenv | sort')] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'script'] }],
    },
  ],
});

tester.run(rule('SECRET-004'), {
  valid: [compliant(), mutate((p) => { (p.stages[STAGE.image]!.steps![0] as Record<string, unknown>).buildArgs = { APP_VERSION: '1.2.3' }; })],
  invalid: [
    {
      pipeline: mutate((p) => { (p.stages[STAGE.image]!.steps![0] as Record<string, unknown>).buildArgs = { NPM_TOKEN: '$NPM_TOKEN' }; }),
      errors: [{ path: ['stages', STAGE.image, 'steps', 0, 'buildArgs', 'NPM_TOKEN'], message: /BuildKit secret/ }],
    },
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('docker build --pull --build-arg GITHUB_TOKEN="$GH" -t app:"$GIT_COMMIT" .')] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'script'], message: /GITHUB_TOKEN/ }],
    },
  ],
});
