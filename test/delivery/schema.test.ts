/**
 * The delivery schemas refuse what the policy catalog forbids by construction, and values that
 * are not checked against a strict pattern never reach script text.
 */
import { describe, expect, it } from 'vitest';
import { dockerBuild, ecsDeploy, notify, slack, trivyScan, cosignSign, type Pipeline, type Stage, type Step } from '../../src/dsl/index.ts';
import { StepSchema } from '../../src/model/schema.ts';
import { DELIVERY_STEP_SCHEMAS } from '../../src/model/delivery.ts';
import { DELIVERY_STEP_KINDS } from '../../src/model/delivery-defaults.ts';
import { expectGroovyParses } from '../groovy/client.ts';
import { compile, shScripts } from './support.ts';
import { STEP_FIXTURES } from './fixtures.ts';

const aws = { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' };
const ecs = { environment: 'prod', aws, cluster: 'prod-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.json' };

function issues(step: unknown): string[] {
  const result = StepSchema.safeParse(step);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('delivery step schemas', () => {
  it('every kind has a schema and a fixture', () => {
    const schemaKinds = DELIVERY_STEP_SCHEMAS.map((schema) => schema.shape.step.value);
    expect([...schemaKinds].sort()).toEqual([...DELIVERY_STEP_KINDS].sort());
    const used = new Set<string>();
    const visit = (steps: readonly Step[] | undefined) => steps?.forEach((s) => used.add(s.step));
    for (const pipeline of Object.values(STEP_FIXTURES)) {
      for (const stage of pipeline.stages as Stage[]) {
        visit(stage.steps);
        for (const steps of Object.values(stage.post ?? {})) visit(steps as Step[]);
      }
      for (const steps of Object.values(pipeline.post ?? {})) visit(steps as Step[]);
    }
    expect(DELIVERY_STEP_KINDS.filter((kind) => !used.has(kind))).toEqual([]);
  });

  it('offers no image tag: `latest` or any mutable tag cannot be written (ART-001)', () => {
    expect(issues({ ...dockerBuild({ repository: 'payments-api' }), tag: 'latest' })).toEqual([
      expect.stringMatching(/Unrecognized key.*tag/),
    ]);
  });

  it('requires a rationale for ignore-unfixed (SCAN-004)', () => {
    expect(issues({ ...trivyScan('fs', { version: '0.58.1' }), ignoreUnfixed: true })).not.toEqual([]);
    expect(issues(trivyScan('fs', { version: '0.58.1', ignoreUnfixed: { rationale: 'too short' } }))).toEqual([
      expect.stringMatching(/ignoreUnfixed\.rationale: a rationale must be at least 20 characters/),
    ]);
  });

  it('requires a pinned scanner version (SCAN-008)', () => {
    expect(issues(trivyScan('fs', { version: 'latest' }))).toEqual([expect.stringMatching(/^version: version must match/)]);
  });

  it('refuses options that do not apply to the target', () => {
    expect(issues(trivyScan('fs', { version: '0.58.1', image: 'pushed' }))).toEqual(['image: `image` applies to image scans only']);
    expect(issues(trivyScan('image', { version: '0.58.1', path: 'src' }))).toEqual(['path: `path` applies to fs scans only']);
  });

  it('needs a task-definition template for the aws-cli engine, and none for pipewright (DEPLOY-004)', () => {
    const { taskDefinition: _template, ...withoutTemplate } = ecs;
    expect(issues(ecsDeploy(withoutTemplate))).toEqual([expect.stringMatching(/^taskDefinition: the aws-cli engine/)]);
    expect(issues(ecsDeploy({ ...ecs, engine: 'pipewright' }))).toEqual([expect.stringMatching(/^taskDefinition: the pipewright engine/)]);
    expect(issues(ecsDeploy({ ...withoutTemplate, engine: 'pipewright' }))).toEqual([]);
  });

  it('keeps the deploy session longer than the deploy (no rollback on expired credentials)', () => {
    expect(issues(ecsDeploy({ ...ecs, aws: { ...aws, durationSeconds: 900 } }))).toEqual([
      expect.stringMatching(/^aws\.durationSeconds: aws\.durationSeconds must cover/),
    ]);
    expect(issues(ecsDeploy({ ...ecs, timeoutMinutes: 10, aws: { ...aws, durationSeconds: 1500 } }))).toEqual([]);
    expect(issues(ecsDeploy({ ...ecs, aws: { ...aws, durationSeconds: 7200 } }))).not.toEqual([]);
  });

  it('verifies a GitOps bump only with a role for the verification, and takes no role without it (ART-005)', () => {
    const bump = {
      step: 'gitopsBump',
      environment: 'prod',
      repository: 'https://github.example.com/platform/deployments.git',
      file: 'apps/payments-api/prod/kustomization.yaml',
      editor: { kind: 'kustomize', imageName: 'payments-api' },
      auth: { kind: 'https', credentialId: 'gitops-bot-token' },
    };
    const verifySignature = { key: 'awskms:///alias/ci-cosign' };
    expect(issues({ ...bump, verifySignature })).toEqual([expect.stringMatching(/^aws: `aws` is the role that verifies the signature/)]);
    expect(issues({ ...bump, aws })).toEqual([expect.stringMatching(/^aws: `aws` is the role that verifies the signature/)]);
    expect(issues({ ...bump, verifySignature, aws })).toEqual([]);
  });

  it('refuses names that would be written into script text unless they match a strict pattern', () => {
    expect(issues(dockerBuild({ repository: 'payments-api', buildArgs: { 'X;rm -rf /': 'v' } }))).not.toEqual([]);
    expect(issues(dockerBuild({ repository: 'payments-api', secrets: [{ id: 'a,src=/etc/passwd', credentialId: 'c' }] }))).not.toEqual([]);
    expect(issues(dockerBuild({ repository: 'Payments API' }))).not.toEqual([]);
    expect(issues({ step: 'npmRun', script: 'test; curl evil' })).not.toEqual([]);
    expect(issues({ step: 'npmRun', script: 'test', args: ['$(id)'] })).not.toEqual([]);
    expect(issues(cosignSign({ key: 'file:///tmp/key', aws }))).not.toEqual([]);
  });
});

describe('free-text values reach the shell only through the environment', () => {
  const hostile = `x'"; $(touch /tmp/pwned) \`id\` \${HOME} \\' end`;
  const pipeline: Pipeline = {
    agent: 'none',
    stages: [
      {
        name: 'Hostile',
        agent: { type: 'label', label: 'linux' },
        steps: [
          dockerBuild({ repository: 'payments-api', buildArgs: { APP_VERSION: hostile }, labels: { 'com.example.note': hostile }, version: hostile }),
          trivyScan('fs', { version: '0.58.1', ignoreUnfixed: { rationale: `${hostile} and long enough to pass` } }),
          ecsDeploy({ ...ecs, smokeTest: hostile }),
          cosignSign({ key: 'awskms:///alias/ci-cosign', aws, skipTlogUpload: { rationale: `${hostile} and long enough to pass` } }),
          notify('deployed', [slack('#deploys', hostile)], { service: hostile }),
        ],
      },
    ],
  };

  it('is schema-valid, keeps the payload out of every script and still parses', async () => {
    const { ast, text } = compile(pipeline);
    for (const { label, script } of shScripts(ast)) {
      expect({ label, leaks: script.includes('touch /tmp/pwned') }).toEqual({ label, leaks: false });
    }
    // The payload is there, as single-quoted Groovy literals in withEnv and slackSend.
    expect(text).toContain("PW_BUILD_ARG_APP_VERSION=x\\'\"; $(touch /tmp/pwned)");
    expect(text).toContain("PW_SMOKE_TEST=x\\'\"; $(touch /tmp/pwned)");
    await expectGroovyParses([{ name: 'hostile', text }]);
  });
});
