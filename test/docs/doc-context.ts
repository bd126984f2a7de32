/**
 * Names the documentation's fragments use without defining them, because the prose around them
 * does (an organisation's defaults module, a service's environments, a step "as above"). Copied
 * into the example project at the same path, with `pipelines/shared/org-defaults.ts` (this
 * repository's example of such a module; the docs say it is not part of the package), by
 * test/docs/examples.test.ts.
 */
import { ecrPush, ecsDeploy, slack, type DeliveryEnvironment, type Stage } from 'pipewright';
import { accounts, ecsEnvironments, notifyTo, org } from '../../pipelines/shared/org-defaults.ts';

export { accounts, ecsEnvironments, notifyTo, org };

/** dev → stage → prod on ECS, prod approved by the release managers. */
export const environments: DeliveryEnvironment[] = ecsEnvironments('payments-api', { approvers: ['payments-release-managers'] });

/** The prod environment of {@link environments}. */
export const prodEnvironment: DeliveryEnvironment = environments[2]!;

/** Fields every example environment shares; `environment-fields` fragments add or replace some. */
export const exampleEnvironment: DeliveryEnvironment = environments[1]!;

/** A stage a team adds to a preset's stage list. */
export const myExtraStage: Stage = { name: 'Contract tests', steps: [{ step: 'sh', script: 'npm run test:contract' }] };

/** The ALB listener and the blue/green target groups of a traffic shift. */
export const listenerArn = 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:listener/app/payments/0123456789abcdef/0123456789abcdef';
export const blue = 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/payments-blue/0123456789abcdef';
export const green = 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/payments-green/0123456789abcdef';

/** Where notifications go. */
export const targets = [slack('#payments-deploys', 'slack-bot-token')];

/** An AWS role for the tooling account (push, signing). */
export const aws = { role: 'ecr-pusher', account: accounts.tooling.accountId, region: accounts.tooling.region };

/** The ECS deploy "as above" (docs/steps.md). */
export const prodDeploy = ecsDeploy({
  environment: 'prod',
  aws: { role: 'ecs-deployer-prod', account: accounts.prod.accountId, region: accounts.prod.region },
  cluster: 'prod-apps',
  service: 'payments-api',
  container: 'app',
  taskDefinition: 'deploy/taskdef.prod.json',
  smokeTest: './scripts/smoke.sh',
});

/** The push "as above". */
export const push = ecrPush({ repository: 'payments-api', registry: { accountId: accounts.tooling.accountId, region: accounts.tooling.region }, aws });
