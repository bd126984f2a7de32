/**
 * The company's pipelines (`pipelines/`) compile through the real project compiler (loader,
 * schema, structure, lowering, printer; nothing written), parse with Groovy 2.4.21, and every
 * script they emit passes ShellCheck. payments-api stays a short preset call that still
 * generates the whole workflow.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileProject, type CompiledPipeline } from '../../src/compile.ts';
import type { Stage, Step } from '../../src/model/schema.ts';
import { shellcheckFindings, shScripts } from './support.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let pipelines: CompiledPipeline[] = [];

beforeAll(async () => {
  const run = await compileProject({ root: ROOT });
  expect(run.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  pipelines = run.pipelines;
});

function stepKinds(stages: readonly Stage[]): string[] {
  return stages.flatMap((stage) => [
    ...(stage.steps ?? []).map((step: Step) => step.step),
    ...stepKinds(stage.stages ?? []),
    ...stepKinds(stage.parallel ?? []),
  ]);
}

describe('the company pipelines', () => {
  it('are all found and compile without errors', () => {
    expect(pipelines.map((p) => p.name).sort()).toEqual(['ledger-service', 'notifications-worker', 'payments-api', 'platform-pr-check', 'web']);
    for (const pipeline of pipelines) {
      expect({ name: pipeline.name, errors: pipeline.diagnostics.filter((d) => d.severity === 'error') }).toEqual({ name: pipeline.name, errors: [] });
      expect(pipeline.jenkinsfile).toBeDefined();
    }
  });

  it('parse with Groovy 2.4.21', async () => {
    await expectValidJenkinsfiles(pipelines.map((p) => ({ name: p.source, text: p.jenkinsfile ?? '' })));
  });

  it('emit only scripts that pass ShellCheck', () => {
    const scripts = pipelines.flatMap((p) => shScripts(p.ast!).map(({ label, script }) => ({ id: `${p.name} / ${label}`, script })));
    expect(scripts.length).toBeGreaterThan(40);
    expect(shellcheckFindings(scripts)).toBe('');
  });

  it('payments-api is under 30 lines and generates the whole workflow', () => {
    const source = readFileSync(join(ROOT, 'pipelines', 'payments-api.pipeline.ts'), 'utf8');
    expect(source.trimEnd().split('\n').length).toBeLessThan(30);
    const payments = pipelines.find((p) => p.name === 'payments-api')!;
    const kinds = stepKinds(payments.model!.stages as Stage[]);
    for (const kind of ['npmCi', 'npmRun', 'trivyScan', 'snykScan', 'sonarScan', 'sonarQualityGate', 'dockerBuild', 'ecrPush', 'sbom', 'cosignSign', 'approvalCheck', 'ecsDeploy', 'notify']) {
      expect(kinds).toContain(kind);
    }
    expect(kinds.filter((k) => k === 'ecsDeploy')).toHaveLength(3);
    const text = payments.jenkinsfile!;
    for (const fragment of [
      "waitForQualityGate abortPipeline: true",
      "lock(resource: 'ecs-prod-payments-api')",
      "withAWS(role: 'ecs-deployer-prod', roleAccount: '333333333333'",
      "submitterParameter 'APPROVER'",
      'aws ecr get-login-password --region "$PW_ECR_REGION" | docker login --username AWS --password-stdin',
      "deploymentCircuitBreaker={enable=true,rollback=true}",
      "tokenCredentialId: 'slack-bot-token'",
      'office365ConnectorSend(webhookUrl: env.PW_TEAMS_WEBHOOK_URL',
    ]) {
      expect(text).toContain(fragment);
    }
  });

  it('keep exercising parallel stages, when, stage credentials, post conditions, matrix and several environments', () => {
    const all = pipelines.map((p) => p.jenkinsfile!).join('\n');
    expect(all).toMatch(/parallel \{/);
    expect(all).toMatch(/matrix \{/);
    expect(all).toMatch(/triggeredBy 'TimerTrigger'/);
    expect(all).toMatch(/DB = credentials\('ledger-db-prod'\)/);
    expect(all).toMatch(/failure \{/);
    // Every service pipeline promotes through the three environments (platform-pr-check deploys nothing).
    for (const p of pipelines.filter((p) => p.name !== 'platform-pr-check')) {
      expect(p.model!.environments?.map((e) => e.name)).toEqual(['dev', 'stage', 'prod']);
    }
  });
});
