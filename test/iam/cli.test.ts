/** `pipewright iam` through the CLI dispatcher, on this repository's pipelines. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';

const ROOT = resolve(import.meta.dirname, '../..');

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {}, cwd: ROOT };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('pipewright iam', () => {
  it('prints the policies of one pipeline in one environment, with the trust policy', async () => {
    const { code, stdout, stderr } = await cli(['iam', 'payments-api', '--env', 'prod', '--principal', 'arn:aws:iam::555555555555:role/jenkins', '--external-id', 'ci']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { pipeline: string; environment: string; roles: { roleArn: string; identityPolicy: { Statement: { Sid: string; Resource: string[] }[] }; trustPolicy: unknown; calls?: unknown }[] }[];
    expect(printed.map((p) => `${p.pipeline}/${p.environment}`)).toEqual(['payments-api/prod']);
    expect(printed[0]!.roles.map((r) => r.roleArn)).toEqual(['arn:aws:iam::333333333333:role/ecs-deployer-prod', 'arn:aws:iam::444444444444:role/evidence-writer']);
    const deploy = printed[0]!.roles[0]!;
    expect(deploy.identityPolicy.Statement.find((s) => s.Sid === 'EcsDeployProdEcsRollbackProdEcsService')!.Resource).toEqual([
      'arn:aws:ecs:eu-west-1:333333333333:service/prod-apps/payments-api',
    ]);
    expect(deploy.trustPolicy).toBeDefined();
    expect(deploy.calls).toBeUndefined();
  });

  it('writes <out>/<pipeline>/<environment>.json for every pipeline that assumes a role', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pipewright-iam-out-'));
    try {
      const { code, stdout } = await cli(['iam', '--out', out]);
      expect(code).toBe(0);
      expect(readdirSync(out)).toEqual(expect.arrayContaining(['ledger-service', 'payments-api', 'web']));
      expect(readdirSync(out)).not.toContain('platform-pr-check'); // assumes no role
      expect(readdirSync(join(out, 'web')).sort()).toEqual(['dev.json', 'prod.json', 'stage.json']);
      expect(readdirSync(join(out, 'payments-api')).sort()).toEqual(['build.json', 'dev.json', 'prod.json', 'stage.json']);
      const written = readdirSync(out).flatMap((pipeline) => readdirSync(join(out, pipeline)).map((file) => `${pipeline}/${file}`));
      expect(stdout.split('\n').filter(Boolean).map((line) => line.replace(/^wrote .*pipewright-iam-out-[^/]+\//, '')).sort()).toEqual(written.sort());
      const web = JSON.parse(readFileSync(join(out, 'web', 'dev.json'), 'utf8'));
      // The trust principal comes from pipewright.config.ts (iam.trust) when --principal is not given.
      expect(web.roles[0].trustPolicy.Statement[0].Principal).toEqual({ AWS: 'arn:aws:iam::555555555555:role/jenkins-agents' });
      expect(web.roles[0].trustPolicy.Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'fintech-jenkins' } });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses an unknown pipeline and an unknown format', async () => {
    expect((await cli(['iam', 'nope'])).code).toBe(2);
    const pulumi = await cli(['iam', '--format', 'pulumi']);
    expect(pulumi.code).toBe(2);
    expect(pulumi.stderr).toMatch(/expected json, terraform, cloudformation/);
  });

  it('prints terraform and writes one CloudFormation template per pipeline and environment', async () => {
    const terraform = await cli(['iam', 'web', '--env', 'prod', '--format', 'terraform']);
    expect(terraform.code).toBe(0);
    expect(terraform.stdout).toContain('data "aws_iam_policy_document" "web_prod_web_publisher_prod" {');
    const out = mkdtempSync(join(tmpdir(), 'pipewright-iam-cfn-'));
    try {
      expect((await cli(['iam', 'web', '--format', 'cloudformation', '--out', out])).code).toBe(0);
      expect(readdirSync(join(out, 'web')).sort()).toEqual(['dev.cfn.json', 'prod.cfn.json', 'stage.cfn.json']);
      const template = JSON.parse(readFileSync(join(out, 'web', 'prod.cfn.json'), 'utf8'));
      expect(Object.values(template.Resources).map((r: any) => r.Properties.Roles[0]).sort()).toEqual(['evidence-writer', 'web-publisher-prod']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
