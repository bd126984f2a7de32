/**
 * Issue #13.5: `releaseFrom.branches: ['release/*']` was refused although the policy deploys prod
 * from `main` and `release/*`. Branch globs are accepted (with injection-safe characters), emitted
 * as `when { branch pattern: …, comparator: 'GLOB' }` (exact names keep EQUALS), pass Groovy and
 * the declarative validator, and FLOW-005 still judges them against the protected branches.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryEnvironmentSchema, type DeliveryEnvironment } from '../../src/model/delivery.ts';
import { runPolicy } from '../../src/policy/engine.ts';
import { nodeService } from '../../src/presets/index.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';
import { ECS_ENVIRONMENTS, EVIDENCE_EXPORT } from './fixtures.ts';
import { compile } from './support.ts';

const prodWith = (branches: string[]): DeliveryEnvironment[] =>
  ECS_ENVIRONMENTS.map((environment) => (environment.name === 'prod' ? { ...environment, releaseFrom: { branches, tags: 'v*' } } : environment));

const service = (branches: string[]) =>
  nodeService({
    name: 'payments-api',
    registry: { accountId: '999999999999', region: 'eu-west-1', pushRole: 'ecr-pusher' },
    environments: prodWith(branches),
    sonar: { installation: 'sonarqube-prod' },
    signing: { key: 'awskms:///alias/ci-cosign', role: 'cosign-signer' },
    notifications: { slack: { channel: '#payments-deploys', tokenCredentialId: 'slack-bot-token' } },
    smokeTest: './scripts/smoke.sh',
    evidenceExport: EVIDENCE_EXPORT,
  });

function branchIssues(branches: string[]): string[] {
  const result = DeliveryEnvironmentSchema.safeParse({ ...ECS_ENVIRONMENTS[2], releaseFrom: { branches } });
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('releaseFrom.branches', () => {
  it('accepts branch names and Ant-style globs', () => {
    expect(branchIssues(['main', 'release/*', 'hotfix/**', 'release/v?.x', 'support/1.2_x-lts'])).toEqual([]);
  });

  it.each(['$(id)', '-main', '/main', '.hidden', 'release/[0-9]*', 'release/{a,b}', 'a b', "it's", 'x;rm', 'main\n'])(
    'refuses %j',
    (branch) => {
      expect(branchIssues([branch])).toEqual([
        expect.stringMatching(/^releaseFrom\.branches\.0: a release branch is a branch name or an Ant-style glob such as "release\/\*"/),
      ]);
    },
  );

  it("emits globs with comparator 'GLOB' and names with 'EQUALS'; Groovy and the declarative validator accept it", async () => {
    const { text } = compile(service(['main', 'release/*']));
    expect(text).toContain("branch pattern: 'main', comparator: 'EQUALS'");
    expect(text).toContain("branch pattern: 'release/*', comparator: 'GLOB'");
    await expectValidJenkinsfiles([{ name: 'release-globs.Jenkinsfile', text }]);
  });

  it('FLOW-005 accepts a protected glob and still reports an unprotected one', () => {
    const flow005 = (branches: string[]) =>
      runPolicy(compile(service(branches)).valid, { packs: ['fintech'] }, { source: 'pipelines/payments-api.pipeline.ts' }).findings.filter(
        (finding) => finding.code === 'FLOW-005',
      );
    expect(flow005(['main', 'release/*'])).toEqual([]);
    expect(flow005(['main', 'feature/*']).map((f) => f.message)).toEqual([
      "stage 'Deploy prod' deploys to prod without a when restricting it to main, release/* or a release tag",
      "prod may be released from branch 'feature/*', which is not protected (main, release/*)",
    ]);
  });
});
