/**
 * Widening of IAM policies: the comparison itself, and `pipewright diff` reporting a widened
 * generated policy as a security-relevant change (real git commits in a temp repository).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { globCovers, policyWidenings } from '../../src/iam/widening.ts';
import type { PolicyDocument } from '../../src/iam/policy-document.ts';
import { git, run, write } from '../diff/support.ts';

const SERVICE = 'arn:aws:ecs:eu-west-1:333333333333:service/prod-apps/api';
const doc = (...statements: Omit<PolicyDocument['Statement'][number], 'Effect' | 'Sid'>[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements.map((s, i) => ({ Sid: `S${i}`, Effect: 'Allow', ...s })),
});

describe('policyWidenings', () => {
  const base = doc(
    { Action: ['ecs:UpdateService', 'ecs:DescribeServices'], Resource: [SERVICE] },
    { Action: ['iam:PassRole'], Resource: ['arn:aws:iam::333333333333:role/api-task'], Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
  );

  it('finds nothing for the same or a narrower policy', () => {
    expect(policyWidenings(base, base)).toEqual([]);
    expect(policyWidenings(base, doc({ Action: ['ecs:UpdateService'], Resource: [SERVICE] }))).toEqual([]);
  });

  it('reports a new action, a wider resource, a removed condition', () => {
    expect(policyWidenings(base, doc({ Action: ['ecs:DeleteService'], Resource: [SERVICE] })).map((w) => w.kind)).toEqual(['action-added']);
    const wider = policyWidenings(base, doc({ Action: ['ecs:UpdateService'], Resource: ['arn:aws:ecs:eu-west-1:333333333333:service/prod-apps/*'] }));
    expect(wider).toEqual([expect.objectContaining({ kind: 'resource-widened', action: 'ecs:UpdateService' })]);
    const unconditioned = policyWidenings(base, doc({ Action: ['iam:PassRole'], Resource: ['arn:aws:iam::333333333333:role/api-task'] }));
    expect(unconditioned).toEqual([expect.objectContaining({ kind: 'condition-removed' })]);
    expect(unconditioned[0]!.message).toMatch(/without the condition StringEquals iam:passedtoservice/i);
    // An action wildcard is as wide as its text: ecs:* is not covered by the listed actions.
    expect(policyWidenings(base, doc({ Action: ['ecs:*'], Resource: [SERVICE] })).map((w) => w.kind)).toEqual(['action-added']);
    expect(policyWidenings(base, doc({ Action: ['ecs:UpdateService'], Resource: ['*'] })).map((w) => w.kind)).toEqual(['resource-widened']);
  });

  it('reports a new principal in a trust policy', () => {
    const trust = (principal: string) => doc({ Action: ['sts:AssumeRole'], Principal: { AWS: principal } } as never);
    expect(policyWidenings(trust('arn:aws:iam::555555555555:role/jenkins'), trust('arn:aws:iam::555555555555:role/jenkins'))).toEqual([]);
    expect(policyWidenings(trust('arn:aws:iam::555555555555:role/jenkins'), trust('arn:aws:iam::666666666666:root')).map((w) => w.kind)).toEqual(['principal-added']);
  });

  it('matches globs with literal stars on the narrow side', () => {
    expect(globCovers('arn:aws:s3:::b/*', 'arn:aws:s3:::b/deploys/*/prod/*')).toBe(true);
    expect(globCovers('arn:aws:s3:::b/deploys/*/prod/*', 'arn:aws:s3:::b/*')).toBe(false);
    expect(globCovers('ecs:Describe*', 'ecs:describeservices', true)).toBe(true);
  });
});

const pipeline = `import { definePipeline, ecsDeploy } from 'pipewright';

export default definePipeline({
  name: 'api',
  agent: 'none',
  stages: [
    {
      name: 'Deploy prod',
      agent: { type: 'label', label: 'deploy' },
      steps: [
        ecsDeploy({
          environment: 'prod',
          aws: { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' },
          cluster: 'prod-apps',
          service: 'api',
          container: 'app',
          taskDefinition: 'deploy/taskdef.prod.json',
        }),
      ],
    },
  ],
});
`;
const taskdef = (executionRole: string) => JSON.stringify({ family: 'api-prod', taskRoleArn: 'api-task', executionRoleArn: executionRole, containerDefinitions: [] });

describe('pipewright diff reports a widened IAM policy (real git commits)', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(path.join(tmpdir(), 'pw-diff-iam-'));
    git(repo, 'init', '-q', '-b', 'main');
    write(path.join(repo, '.gitignore'), 'node_modules/\ngenerated/\n');
    write(path.join(repo, 'pipewright.config.ts'), "export default { policy: { packs: [] } };\n");
    write(path.join(repo, 'pipelines/api.pipeline.ts'), pipeline);
    write(path.join(repo, 'deploy/taskdef.prod.json'), taskdef('api-execution'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'api');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('no IAM change, no IAM line', async () => {
    const result = await run(['diff', '--base', 'HEAD', '--format', 'json'], repo);
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as { pipelines: { changes: { subject: string }[] }[] };
    expect(parsed.pipelines[0]!.changes.filter((c) => c.subject === 'iam')).toEqual([]);
  });

  it('a task definition that passes another role widens iam:PassRole: a security-relevant change', async () => {
    write(path.join(repo, 'deploy/taskdef.prod.json'), taskdef('admin'));
    try {
      const json = await run(['diff', '--base', 'HEAD', '--format', 'json'], repo);
      const parsed = JSON.parse(json.stdout) as { pipelines: { status: string; changes: { subject: string; message: string; security?: { category: string; reason: string } }[] }[] };
      const iam = parsed.pipelines[0]!.changes.filter((c) => c.subject === 'iam');
      expect(parsed.pipelines[0]!.status).toBe('changed');
      expect(iam).toHaveLength(1);
      expect(iam[0]!.security).toEqual({ category: 'iam-widened', reason: 'the role ecs-deployer-prod may do more in prod (resource widened)' });
      expect(iam[0]!.message).toContain('allows iam:PassRole on arn:aws:iam::333333333333:role/admin');
      const gate = await run(['diff', '--base', 'HEAD', '--fail-on-security'], repo);
      expect(gate.stdout).toContain('[iam-widened] IAM › prod › ecs-deployer-prod');
      expect(gate.code).not.toBe(0);
    } finally {
      write(path.join(repo, 'deploy/taskdef.prod.json'), taskdef('api-execution'));
    }
  });
});
