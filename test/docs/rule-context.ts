/**
 * Names the rule examples (`pipewright explain`, docs/rules.md) use for the parts of a pipeline
 * that are not the point of the example: a build stage, the agent, the prod environment and its
 * ECS service, notification targets. test/docs/rule-examples.test.ts copies this module into the
 * example project; every example is compiled with these values in scope.
 */
import { approvalStage, ecsDeploy, notify, sh, slack, type DeliveryEnvironment, type Stage, type TrafficShiftStep } from 'pipewright';

/** An ephemeral build agent. */
export const buildAgent = { type: 'label', label: 'linux && ephemeral' } as const;

/** A build-and-test stage. */
export const build: Stage = { name: 'Build & test', steps: [sh('npm ci && npm test')] };

/** Slack targets for `notify`. */
export const targets = [slack('#deploys', 'slack-bot-token')];

/** The ECR registry in the tooling account, and the push role. */
export const registry = { accountId: '999999999999', region: 'eu-west-1' };
export const aws = { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' };

/** The prod deploy role in the prod account. */
export const prodAws = { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' };

/** Everything `ecsDeploy` needs for prod besides `environment` and `aws` (no smoke test: DEPLOY-002 shows it). */
export const prodService = {
  cluster: 'prod-apps',
  service: 'payments-api',
  container: 'app',
  taskDefinition: 'deploy/taskdef.prod.json',
};

/** A traffic shift in prod: 10% to the green target group. */
export const prodShift: Omit<TrafficShiftStep, 'step'> = {
  environment: 'prod',
  aws: { role: 'traffic-shifter-prod', account: '333333333333', region: 'eu-west-1' },
  change: {
    kind: 'alb',
    listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:listener/app/payments/0123456789abcdef/0123456789abcdef',
    weights: [
      { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/payments-blue/0123456789abcdef', weight: 90 },
      { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/payments-green/0123456789abcdef', weight: 10 },
    ],
  },
};

const env = (name: 'dev' | 'stage' | 'prod', accountId: string): DeliveryEnvironment => ({
  name,
  awsAccountId: accountId,
  region: 'eu-west-1',
  deployRole: `ecs-deployer-${name}`,
  agentLabel: name === 'prod' ? 'prod-deployer' : `deploy-${name}`,
  target: { kind: 'ecs', cluster: `${name}-apps`, service: 'payments-api', container: 'app', taskDefinition: `deploy/taskdef.${name}.json` },
});
export const dev = env('dev', '111111111111');
export const stage = env('stage', '222222222222');
export const prod: DeliveryEnvironment = { ...env('prod', '333333333333'), approval: { submitters: ['release-managers'] } };
/** dev → stage → prod. */
export const environments = [dev, stage, prod];

/** Tells the approvers that a deploy waits for them. */
export const approvalRequest: Stage = { name: 'Request approval', agent: 'none', steps: [notify('approval', targets)] };

/** The prod approval. */
export const approveProd = approvalStage({ environment: 'prod', policy: { submitters: ['release-managers'] } });

/** Deploy stages: dedicated agents, main only. */
const deployTo = (name: 'dev' | 'stage' | 'prod', account: string): Stage => ({
  name: `Deploy ${name}`,
  agent: { type: 'label', label: name === 'prod' ? 'prod-deployer' : `deploy-${name}` },
  when: { branch: 'main' },
  steps: [
    ecsDeploy({
      environment: name,
      aws: { role: `ecs-deployer-${name}`, account, region: 'eu-west-1' },
      ...prodService,
      cluster: `${name}-apps`,
      taskDefinition: `deploy/taskdef.${name}.json`,
    }),
  ],
});
export const deployDev = deployTo('dev', '111111111111');
export const deployStage = deployTo('stage', '222222222222');
export const deployProd = deployTo('prod', '333333333333');
