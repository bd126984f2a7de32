/**
 * The action list comes from what pipewright emits and runs: the CLI invocations of the lowered
 * scripts and the SDK commands of `pipewright ecs-deploy`; the validator holds every policy to the
 * AWS service authorization reference.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ECS_DEPLOY_SDK_ACTIONS, iamActionsFor, scanInvocations } from '../../src/iam/invocations.ts';
import { validatePolicy } from '../../src/iam/validate.ts';
import { lowerTrafficShift, lowerS3Publish } from '../../src/lower/delivery/traffic.ts';
import { lowerEvidenceExport } from '../../src/lower/delivery/evidence.ts';
import type { Statement } from '../../src/jenkinsfile/ast.ts';
import type { PolicyStatement } from '../../src/iam/policy-document.ts';

const role = { role: 'deployer', account: '333333333333', region: 'eu-west-1' };

/** The `sh` scripts of lowered statements. */
function scripts(statements: Statement[]): string[] {
  const found: string[] = [];
  const visit = (list: Statement[]) => {
    for (const s of list) {
      if (s.type !== 'Call') continue;
      const script = s.args.named.find((e) => e.key === 'script')?.value;
      if (s.name === 'sh' && script?.type === 'String') found.push(script.value);
      if (s.body) visit(s.body);
    }
  };
  visit(statements);
  return found;
}

const actionsOf = (script: string) => scanInvocations(script).flatMap(iamActionsFor);

describe('actions from the emitted invocations', () => {
  it('lists exactly the SDK commands src/aws/ecs-deploy.ts sends', () => {
    const source = readFileSync(resolve(import.meta.dirname, '../../src/aws/ecs-deploy.ts'), 'utf8');
    // Each Command class's IAM service prefix, from the SDK client package it is imported from.
    const prefixOf = new Map<string, string>();
    const iamPrefix: Record<string, string> = { 'cloudwatch-logs': 'logs' };
    for (const [, names, client] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      for (const name of names!.split(',').map((n) => n.trim()).filter((n) => n.endsWith('Command'))) prefixOf.set(name, iamPrefix[client!] ?? client!);
    }
    // What it can send: every Command class it imports (a superset of the `new …Command(` sites, which may be built elsewhere).
    const importable = [...prefixOf].map(([name, prefix]) => `${prefix}:${name.replace(/Command$/, '')}`);
    const sent = [...source.matchAll(/new (\w+)Command\(/g)].map((m) => `${prefixOf.get(`${m[1]}Command`) ?? '(not imported from an SDK client)'}:${m[1]}`);
    expect(sent.length).toBeGreaterThan(0);
    expect(importable).toEqual(expect.arrayContaining(sent));
    expect([...new Set(importable)].sort()).toEqual([...ECS_DEPLOY_SDK_ACTIONS].sort());
  });

  it('reads commands, not text: the "to undo: aws …" hint of a traffic shift is not a call', () => {
    const lowered = lowerTrafficShift({
      step: 'trafficShift',
      environment: 'prod',
      aws: role,
      change: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ', recordName: 'api.example.com.', recordType: 'A', weights: [{ setIdentifier: 'blue', weight: 10 }] },
    });
    const [script] = scripts(lowered.steps);
    expect(script).toContain('echo "to undo: aws route53 change-resource-record-sets');
    const invocations = scanInvocations(script!).filter((i) => i.tool === 'aws');
    expect(invocations.map((i) => i.words.slice(0, 2).join(' '))).toEqual([
      'sts get-caller-identity',
      'route53 list-resource-record-sets',
      'route53 change-resource-record-sets',
      'route53 wait',
    ]);
    expect(new Set(actionsOf(script!))).toEqual(new Set(['sts:GetCallerIdentity', 'route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets', 'route53:GetChange']));
  });

  it('maps options that need more: s3 sync --delete, put-object with Object Lock retention', () => {
    const publish = scripts(lowerS3Publish({ step: 's3Publish', environment: 'dev', aws: role, bucket: 'web-dev' }).steps).join('\n');
    expect(new Set(actionsOf(publish))).toEqual(new Set(['sts:GetCallerIdentity', 's3:ListBucket', 's3:PutObject', 's3:DeleteObject']));
    const exported = scripts(lowerEvidenceExport({ step: 'evidenceExport', aws: role, bucket: 'audit' }).steps).join('\n');
    expect(new Set(actionsOf(exported))).toEqual(new Set(['sts:GetCallerIdentity', 's3:PutObject', 's3:PutObjectRetention']));
    expect(actionsOf('aws s3api put-object --bucket b --key k --body f')).toEqual(['s3:PutObject']);
  });

  it('maps the documented exceptions and kebab-case names', () => {
    expect(actionsOf('aws ecr get-login-password --region r | docker login --username AWS --password-stdin x')).toEqual(['ecr:GetAuthorizationToken']);
    expect(actionsOf('aws ecs wait services-stable --cluster c --services s')).toEqual(['ecs:DescribeServices']);
    expect(actionsOf('x="$(aws ecs register-task-definition --cli-input-json file://t.json)"')).toEqual(['ecs:RegisterTaskDefinition']);
    expect(actionsOf('aws elbv2 modify-listener --listener-arn a')).toEqual(['elasticloadbalancing:ModifyListener']);
    expect(actionsOf('# aws ecs delete-service is never run')).toEqual([]);
    expect(actionsOf('cosign verify --key "$PW_COSIGN_KEY" "$image_ref"')).toEqual(['kms:DescribeKey', 'kms:GetPublicKey']);
    expect(actionsOf('cosign verify --key cosign.pub "$image_ref"')).toEqual([]);
  });
});

describe('validation against the AWS service authorization reference', () => {
  const policy = (statement: Omit<PolicyStatement, 'Sid' | 'Effect'>) => ({ Version: '2012-10-17' as const, Statement: [{ Sid: 'S', Effect: 'Allow' as const, ...statement }] });

  it('accepts a scoped statement', async () => {
    await expect(
      validatePolicy(policy({ Action: ['ecs:UpdateService'], Resource: ['arn:aws:ecs:eu-west-1:111111111111:service/dev-apps/api'] })),
    ).resolves.toBeUndefined();
  });

  it('refuses "*" for an action that takes a resource (ecs:RegisterTaskDefinition takes a task-definition)', async () => {
    await expect(validatePolicy(policy({ Action: ['ecs:RegisterTaskDefinition'], Resource: ['*'] }))).rejects.toThrow(/takes a resource \(task-definition\)/);
  });

  it('refuses an unknown action, an ARN of the wrong resource type and a condition key that does not apply', async () => {
    await expect(validatePolicy(policy({ Action: ['ecs:UpdateServices'], Resource: ['*'] }))).rejects.toThrow(/not an action/);
    await expect(
      validatePolicy(policy({ Action: ['ecs:UpdateService'], Resource: ['arn:aws:ecs:eu-west-1:111111111111:cluster/dev-apps'] })),
    ).rejects.toThrow(/not the ARN of a resource type/);
    await expect(
      validatePolicy(
        policy({ Action: ['iam:PassRole'], Resource: ['arn:aws:iam::111111111111:role/r'], Condition: { StringEquals: { 'ecs:cluster': 'x' } } }),
      ),
    ).rejects.toThrow(/condition key ecs:cluster does not apply/);
  });
});
