/**
 * The tests' oracle: concrete AWS requests built from the model by hand (literal ARN formats, not
 * the generator's templates), decided by @cloud-copilot/iam-simulate against a generated policy.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from '../../src/iam/policy-document.ts';

export interface ConcreteRequest {
  action: string;
  resource: string;
  context: Record<string, string>;
}

function defaultKeyPolicy(account: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'EnableIamUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ['kms:*'], Resource: ['*'] }],
  };
}

/** `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied` for one request by `principal` (the role) with `policy` attached. */
export async function decide(policy: PolicyDocument, principal: string, request: ConcreteRequest): Promise<string> {
  const account = /::(\d{12}):/.exec(principal)![1]!;
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        // The role's own account: a denial then comes from the identity policy, not from a missing resource policy.
        resource: { resource: request.resource, accountId: account },
        contextVariables: request.context,
      },
      identityPolicies: [{ name: 'generated', policy }],
      // KMS always consults the key policy: the default one, which delegates to the account's IAM.
      ...(request.resource.startsWith('arn:aws:kms:') ? { resourcePolicy: defaultKeyPolicy(account) } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error for ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`expected one resource for ${request.action} on ${request.resource}, got ${result.resultType}`);
  return result.overallResult;
}

const KMS_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

type AnyStep = Record<string, any>;

/**
 * The concrete resource a step's call of `resourceType` hits at run time, built from the model
 * step (run-time parts chosen: revision 42, build 17, a key id), with the request context the CLI
 * sends (`kms:RequestAlias` for an alias key, `s3:object-lock-mode` for a locked upload).
 * `undefined` for a resource type this oracle does not know (the test then fails).
 */
export function concreteRequest(action: string, resourceType: string | undefined, step: AnyStep, pipeline: string): ConcreteRequest | undefined {
  const aws = step.aws as { account: string; region: string };
  const context: Record<string, string> = {};
  if (resourceType === undefined) return { action, resource: '*', context };
  switch (resourceType) {
    case 'service':
      return { action, resource: `arn:aws:ecs:${aws.region}:${aws.account}:service/${step.cluster}/${step.service}`, context };
    case 'task-definition':
      if (action === 'ecs:TagResource') context['ecs:CreateAction'] = 'RegisterTaskDefinition';
      return { action, resource: `arn:aws:ecs:${aws.region}:${aws.account}:task-definition/${step.family ?? step.service}:42`, context };
    case 'repository':
      return { action, resource: `arn:aws:ecr:${step.registry.region}:${step.registry.accountId}:repository/${step.repository}`, context };
    case 'cluster':
      return step.step === 'eksDeploy'
        ? { action, resource: `arn:aws:eks:${aws.region}:${aws.account}:cluster/${step.cluster}`, context }
        : { action, resource: `arn:aws:ecs:${aws.region}:${aws.account}:cluster/${step.cluster}`, context };
    case 'key': {
      const ref: string = (step.key ?? step.verifySignature.key).replace(/^awskms:\/\/[^/]*\//, '');
      if (ref.startsWith('arn:')) return { action, resource: ref, context };
      context['kms:RequestAlias'] = ref;
      return { action, resource: `arn:aws:kms:${aws.region}:${aws.account}:key/${KMS_KEY_ID}`, context };
    }
    case 'object': {
      if (step.step === 'evidenceExport') {
        context['s3:object-lock-mode'] = 'COMPLIANCE';
        const prefix = step.prefix === undefined ? '' : `${step.prefix.replace(/^\/+|\/+$/g, '')}/`;
        const env = step.environment === undefined ? '' : `${step.environment}/`;
        return { action, resource: `arn:aws:s3:::${step.bucket}/${prefix}${pipeline}/17/${env}evidence/ecs-release.json`, context };
      }
      const prefix = step.prefix === undefined ? '' : `${step.prefix.replace(/^\/+|\/+$/g, '')}/`;
      return { action, resource: `arn:aws:s3:::${step.bucket}/${prefix}assets/app.js`, context };
    }
    case 'bucket':
      return { action, resource: `arn:aws:s3:::${step.bucket}`, context };
    case 'distribution':
      return { action, resource: `arn:aws:cloudfront::${aws.account}:distribution/${step.cloudFrontDistributionId}`, context };
    case 'listener/app':
    case 'listener/net':
      return { action, resource: step.change.listenerArn, context };
    case 'alarm':
      // Every alarm the step gates on (the first one here; the resources test checks each).
      return { action, resource: `arn:aws:cloudwatch:${aws.region}:${aws.account}:alarm:${[...(step.alarms ?? []), ...(step.bake?.alarms ?? [])][0]}`, context };
    case 'application':
    case 'environment':
    case 'configurationprofile':
    case 'deploymentstrategy':
    case 'deployment': {
      const flags = step.flags as { application: string; environment: string; configurationProfile: string; strategy: string };
      const app = `arn:aws:appconfig:${aws.region}:${aws.account}:application/${flags.application}`;
      const resource = {
        application: app,
        environment: `${app}/environment/${flags.environment}`,
        configurationprofile: `${app}/configurationprofile/${flags.configurationProfile}`,
        deploymentstrategy: `arn:aws:appconfig:${aws.region}:${aws.account}:deploymentstrategy/${flags.strategy}`,
        deployment: `${app}/environment/${flags.environment}/deployment/3`,
      }[resourceType];
      return { action, resource, context };
    }
    case 'topic':
      return { action, resource: step.topicArn, context };
    case 'hostedzone':
      return { action, resource: `arn:aws:route53:::hostedzone/${step.change.hostedZoneId}`, context };
    case 'change':
      return { action, resource: 'arn:aws:route53:::change/C2682N5HXP0BZ4', context };
    default:
      return undefined;
  }
}
