/**
 * The presets' `featureFlags` and SNS / e-mail `notifications` (#12.3, #12.4): where the flag step
 * goes (after the deploy, in the environment's deploy stage, with its role), the stage timeout of
 * two steps in sequence, per-environment SNS topics, and that the policy engine treats the flag
 * change like the deploy next to it (nothing new to report on the preset pipeline).
 */
import { describe, expect, it } from 'vitest';
import { nodeService, reactApp, type NodeServiceOptions, type Pipeline, type Stage, type Step } from '../../src/dsl/index.ts';
import { runPolicy } from '../../src/policy/engine.ts';
import { expectGroovyParses } from '../groovy/client.ts';
import { ECS_ENVIRONMENTS } from './fixtures.ts';
import { compile } from './support.ts';

const base: NodeServiceOptions = {
  name: 'payments-api',
  registry: { accountId: '999999999999', region: 'eu-west-1', pushRole: 'ecr-pusher' },
  environments: ECS_ENVIRONMENTS,
  sonar: { installation: 'sonarqube-prod' },
  signing: { key: 'awskms:///alias/ci-cosign' },
  notifications: { slack: { channel: '#payments-deploys', tokenCredentialId: 'slack-bot-token' } },
};
const featureFlags: NodeServiceOptions['featureFlags'] = {
  provider: 'appconfig',
  application: 'a1b2c3d',
  configurationProfile: 'p7q8r9s',
  strategy: 'AppConfig.Linear50PercentEvery30Seconds',
  environments: {
    stage: { environment: 'stg0001', version: '12' },
    prod: { environment: 'prd0001', version: '12', strategy: 'AppConfig.Canary10Percent20Minutes' },
  },
};
const stages = (p: Pipeline) => p.stages as Stage[];
const stage = (p: Pipeline, name: string) => stages(p).find((s) => s.name === name)!;
const kinds = (s: Stage) => (s.steps ?? []).map((step: Step) => step.step);

describe('nodeService featureFlags', () => {
  const pipeline = nodeService({ ...base, featureFlags });

  it('deploys the flags after the service in the listed environments only, with the environment role', () => {
    expect(kinds(stage(pipeline, 'Deploy dev'))).toEqual(['ecsDeploy']);
    expect(kinds(stage(pipeline, 'Deploy stage'))).toEqual(['ecsDeploy', 'featureFlagDeploy']);
    expect(kinds(stage(pipeline, 'Deploy prod'))).toEqual(['ecsDeploy', 'featureFlagDeploy']);
    expect(stage(pipeline, 'Deploy prod').steps![1]).toEqual({
      step: 'featureFlagDeploy',
      environment: 'prod',
      aws: { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' },
      flags: {
        provider: 'appconfig',
        application: 'a1b2c3d',
        environment: 'prd0001',
        configurationProfile: 'p7q8r9s',
        version: '12',
        strategy: 'AppConfig.Canary10Percent20Minutes',
      },
    });
    // The prod flags sit behind the prod approval: the approval stage comes before the deploy stage.
    const names = stages(pipeline).map((s) => s.name);
    expect(names.indexOf('Approve prod')).toBeLessThan(names.indexOf('Deploy prod'));
  });

  it('gives a stage with a deploy and a flag change the sum of both timeouts plus the margin', () => {
    const single = nodeService(base);
    const minutes = (p: Pipeline, name: string) => stage(p, name).options?.timeout?.time;
    // ecsDeploy: 20 + 20 margin; flags: 30 + 5; deploy margin 30.
    expect(minutes(pipeline, 'Deploy prod')).toBe(40 + 35 + 30);
    expect(minutes(single, 'Deploy prod')).toBe(40 + 30);
    expect(minutes(pipeline, 'Deploy dev')).toBe(minutes(single, 'Deploy dev'));
  });

  it('compiles to a Jenkinsfile Groovy parses, and the policy engine reports nothing new for the flags', async () => {
    const compiled = compile(pipeline);
    await expectGroovyParses([{ name: 'flags.Jenkinsfile', text: compiled.text }]);
    expect(compiled.text).toContain("sh label: 'feature flags prod'");
    const codes = (p: Pipeline) =>
      runPolicy(compile(p).valid, {}, { source: 'p.pipeline.ts' })
        .findings.map((f) => `${f.code} ${f.message}`)
        .sort();
    expect(codes(pipeline)).toEqual(codes(nodeService(base)));
  });

  it('reactApp takes the same option', () => {
    const app = reactApp({ ...base, name: 'web', featureFlags: { ...featureFlags, environments: { prod: featureFlags.environments.prod! } } });
    expect(kinds(stage(app, 'Deploy prod'))).toEqual(['ecsDeploy', 'featureFlagDeploy']);
  });
});

describe('nodeService notifications to SNS and e-mail', () => {
  const sns = {
    topicArn: 'arn:aws:sns:eu-west-1:999999999999:delivery-alerts',
    role: 'alerts-publisher',
    environments: { prod: { topicArn: 'arn:aws:sns:eu-west-1:333333333333:payments-alerts', role: 'alerts-publisher-prod' } },
  };
  const pipeline = nodeService({ ...base, notifications: { ...base.notifications, sns, email: { to: ['payments-oncall@example.com'] } } });
  const targetsOf = (steps: readonly Step[] | undefined) => (steps ?? []).flatMap((s) => (s.step === 'notify' ? s.targets : []));

  it('sends the run failures to the default topic and the prod events to the prod topic, in its account', () => {
    expect(targetsOf(pipeline.post?.failure)).toEqual([
      { kind: 'slack', channel: '#payments-deploys', tokenCredentialId: 'slack-bot-token' },
      { kind: 'sns', topicArn: sns.topicArn, role: 'alerts-publisher' },
      { kind: 'email', to: ['payments-oncall@example.com'] },
    ]);
    const prod = stage(pipeline, 'Deploy prod');
    expect(targetsOf(prod.post?.unsuccessful).filter((t) => t.kind === 'sns')).toEqual([{ kind: 'sns', ...sns.environments.prod }]);
    expect(targetsOf(stage(pipeline, 'Request prod approval').steps).filter((t) => t.kind === 'sns')).toEqual([{ kind: 'sns', ...sns.environments.prod }]);
    expect(targetsOf(stage(pipeline, 'Deploy dev').post?.success).filter((t) => t.kind === 'sns')).toEqual([{ kind: 'sns', topicArn: sns.topicArn, role: 'alerts-publisher' }]);
  });

  it('publishes with the role assumed in the topic account and region (read from the ARN)', async () => {
    const { text } = compile(pipeline);
    await expectGroovyParses([{ name: 'alerts.Jenkinsfile', text }]);
    expect(text).toContain("withAWS(role: 'alerts-publisher-prod', roleAccount: '333333333333', region: 'eu-west-1', duration: 900) {");
    expect(text).toContain("snsPublish(topicArn: 'arn:aws:sns:eu-west-1:333333333333:payments-alerts', subject: 'payments-api ROLLED BACK in prod', message: pwMessage)");
    expect(text).toContain("emailext(to: 'payments-oncall@example.com', subject: 'payments-api FAILED (build #$BUILD_NUMBER)'");
  });
});
