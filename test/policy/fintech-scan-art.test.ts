import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/model/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { findRule } from '../../src/policy/registry.ts';
import { lintIgnoreFile } from '../../src/policy/rules/fintech/scan-004.ts';
import { STAGE, compliant, mutate } from './fintech-fixture.ts';
import { pipeline, sh } from './fixtures.ts';

const tester = new RuleTester({ describe, it, now: new Date('2026-01-15T12:00:00Z') });
const rule = (id: string) => findRule(id)!;
const stepAt = (p: { stages: { steps?: Step[] }[] }, stage: number, step: number) => p.stages[stage]!.steps![step] as unknown as Record<string, unknown>;

tester.run(rule('SCAN-001'), {
  valid: [
    compliant(),
    {
      name: 'image scan of the pushed digest before every deploy',
      pipeline: mutate((p) => {
        p.stages[STAGE.image]!.steps!.pop();
        p.stages[STAGE.publish]!.steps!.push({ step: 'trivyScan', target: 'image', version: '0.58.1', image: 'pushed' } as Step);
      }),
    },
  ],
  invalid: [
    {
      name: 'image scan removed',
      pipeline: mutate((p) => p.stages[STAGE.image]!.steps!.pop()),
      errors: [{ path: ['stages', STAGE.publish, 'steps', 0], message: /ecrPush is not preceded by: image scan/, environment: 'prod', severity: 'error' }],
    },
    {
      name: 'scans in parallel with the push do not count',
      pipeline: mutate((p) => {
        const publish = p.stages.splice(STAGE.publish, 1)[0]!;
        p.stages[STAGE.scans]!.parallel!.push(publish);
      }),
      errors: [{ message: /SAST \(sonarScan\); dependency scan .*; secret scan .*; image scan/ }],
    },
    {
      name: 'fs scan without the secret scanner',
      pipeline: mutate((p) => { p.stages[STAGE.scans]!.parallel![1]!.steps = [{ step: 'trivyScan', target: 'fs', version: '0.58.1', scanners: ['vuln'] } as Step]; }),
      errors: [{ message: /not preceded by: secret scan/ }],
    },
    {
      name: 'hand-written pipeline without push: scans before the deploy',
      pipeline: pipeline({ stages: [{ name: 'Build', steps: [sh('docker build --pull -t app:"$GIT_COMMIT" .'), sh('trivy image --exit-code 1 app:"$GIT_COMMIT"')] }, { name: 'Deploy dev', steps: [sh('aws ecs update-service --cluster dev')] }] }),
      errors: [{ path: ['stages', 1, 'steps', 0], message: /'sh' push\/deploy is not preceded by: SAST .*; dependency scan .*; secret scan/, environment: 'dev', severity: 'error' }],
    },
  ],
});

tester.run(rule('SCAN-002'), {
  valid: [
    compliant(),
    pipeline({ stages: [{ name: 'A', steps: [sh('trivy fs --exit-code 1 --format json --output reports/t.json .')] }] }),
    { name: 'semgrep has no quality gate to wait for', pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('semgrep ci --error')] }] }) },
    { name: 'sonar-scanner waiting for the gate itself', pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('sonar-scanner -Dsonar.qualitygate.wait=true')] }] }) },
  ],
  invalid: [
    { pipeline: mutate((p) => { stepAt(p, STAGE.image, 1).exitCode = 0; }), errors: [{ path: ['stages', STAGE.image, 'steps', 1, 'exitCode'], message: /never fails the build/ }] },
    {
      pipeline: pipeline({
        stages: [
          {
            name: 'A',
            steps: [
              { step: 'step', name: 'catchError', args: { buildResult: 'SUCCESS' }, body: [{ step: 'trivyScan', target: 'fs', version: '0.58.1' }] },
              sh('snyk test || true'),
              sh('trivy image "$IMG"'),
              sh('snyk test', { returnStatus: true, returnStatusReason: 'reported separately' }),
            ],
          },
        ],
      }),
      errors: [
        { path: ['stages', 0, 'steps', 0, 'body', 0], message: /wrapped in catchError/ },
        { path: ['stages', 0, 'steps', 1, 'script'], message: /ignores the scanner's exit code/ },
        { path: ['stages', 0, 'steps', 2, 'script'], message: /without --exit-code 1/ },
        { path: ['stages', 0, 'steps', 3, 'returnStatus'] },
      ],
    },
    {
      name: 'analysis without a quality gate',
      pipeline: mutate((p) => p.stages.splice(STAGE.gate, 1)),
      errors: [{ path: ['stages', STAGE.scans, 'parallel', 0, 'steps', 0], message: /no quality gate after it/ }],
    },
    { name: 'hand-written sonar-scanner without a gate', pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('sonar-scanner -Dsonar.projectKey=x')] }] }), errors: [{ message: /no quality gate after it/ }] },
  ],
});

tester.run(rule('SCAN-003'), {
  valid: [
    compliant(),
    { name: 'dev-only pipeline may block on CRITICAL only', pipeline: mutate((p) => { p.stages.splice(STAGE.deployStage); stepAt(p, STAGE.image, 1).severity = ['CRITICAL']; }) },
  ],
  invalid: [
    {
      pipeline: mutate((p) => { stepAt(p, STAGE.image, 1).severity = ['CRITICAL']; }),
      errors: [{ path: ['stages', STAGE.image, 'steps', 1, 'severity'], message: /does not block on HIGH, which prod requires/, environment: 'prod', severity: 'error' }],
    },
    {
      name: 'snyk threshold too high, and a hand-written trivy gate',
      pipeline: mutate((p) => {
        p.stages[STAGE.scans]!.parallel!.push({ name: 'Snyk', steps: [{ step: 'snykScan', mode: 'test', version: '1.1294.0', severityThreshold: 'critical' } as Step, sh('trivy fs --exit-code 1 --severity CRITICAL .')] });
      }),
      errors: [{ path: ['stages', STAGE.scans, 'parallel', 2, 'steps', 0, 'severityThreshold'] }, { path: ['stages', STAGE.scans, 'parallel', 2, 'steps', 1, 'script'] }],
    },
    {
      name: 'stricter config for dev is a warning',
      config: { environments: { dev: { scanSeverities: ['MEDIUM', 'HIGH', 'CRITICAL'] } } },
      pipeline: compliant(),
      errors: [
        { path: ['stages', STAGE.scans, 'parallel', 1, 'steps', 0], environment: 'dev', severity: 'warning' },
        { path: ['stages', STAGE.image, 'steps', 1], environment: 'dev', severity: 'warning' },
      ],
    },
  ],
});

it('SCAN-004 lints .trivyignore entries', () => {
  const text = '# SEC-1: not reachable\nCVE-2024-0001 exp:2026-06-30\nCVE-2024-0002\nCVE-2024-0003 exp:2025-01-01 SEC-9\n';
  expect(lintIgnoreFile(text, '2026-01-15')).toEqual([
    'line 3: CVE-2024-0002 has no expiry (exp:YYYY-MM-DD)',
    'line 3: CVE-2024-0002 names no ticket (in the entry or the comment above it)',
    'line 4: CVE-2024-0003 expired on 2025-01-01',
  ]);
});

const withIgnoreFile = (file: string) => mutate((p) => { stepAt(p, STAGE.image, 1).ignoreFile = file; });
const ignoreFiles = {
  '.trivyignore': '# SEC-1: parser not reachable\nCVE-2024-0001 exp:2026-06-30\n',
  'bad.trivyignore': 'CVE-2024-0002\n',
};
tester.run(rule('SCAN-004'), {
  valid: [compliant(), { name: 'governed ignore file', pipeline: withIgnoreFile('.trivyignore'), files: ignoreFiles }],
  invalid: [
    {
      name: 'ignore file entry without expiry and ticket',
      pipeline: withIgnoreFile('bad.trivyignore'),
      files: ignoreFiles,
      errors: [
        {
          path: ['stages', STAGE.image, 'steps', 1, 'ignoreFile'],
          message:
            'bad.trivyignore: line 1: CVE-2024-0002 has no expiry (exp:YYYY-MM-DD); line 1: CVE-2024-0002 names no ticket (in the entry or the comment above it)',
        },
      ],
    },
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('trivy image --exit-code 1 --ignore-unfixed "$IMG"')] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'script'], message: /--ignore-unfixed without a recorded rationale/ }],
    },
  ],
});

tester.run(rule('SCAN-005'), {
  valid: [compliant(), pipeline({ stages: [{ name: 'A', steps: [sh('trivy image --exit-code 1 "$REGISTRY/app@$DIGEST"')] }] })],
  invalid: [
    {
      name: 'image scan before the build',
      pipeline: mutate((p) => { const steps = p.stages[STAGE.image]!.steps!; steps.reverse(); }),
      errors: [{ path: ['stages', STAGE.image, 'steps', 0], message: /no image is built before it/ }],
    },
    { pipeline: mutate((p) => { stepAt(p, STAGE.image, 1).image = 'pushed'; }), errors: [{ message: /nothing is pushed before it/ }] },
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('trivy image --exit-code 1 registry.example.com/app:latest')] }] }), errors: [{ message: /'registry.example.com\/app:latest'/ }] },
  ],
});

tester.run(rule('SCAN-006'), {
  valid: [
    compliant(),
    pipeline({
      stages: [{ name: 'A', steps: [sh('trivy fs --exit-code 1 --format sarif --output reports/trivy-fs.sarif .')] }],
      post: { always: [{ step: 'archiveArtifacts', artifacts: 'reports/**' }] },
    }),
  ],
  invalid: [
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('trivy fs --exit-code 1 .')] }] }), errors: [{ message: /writes no JSON\/SARIF report/ }] },
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('snyk test --json-file-output=reports/snyk.json')], post: { success: [{ step: 'archiveArtifacts', artifacts: 'reports/**' }] } }] }),
      errors: [{ message: /reports\/snyk.json is not archived in post \{ always \}/ }],
    },
  ],
});

tester.run(rule('SCAN-007'), {
  valid: [compliant(), pipeline({ stages: [{ name: 'A', steps: [sh('sonar-scanner -Dsonar.qualitygate.wait=true')] }] })],
  invalid: [
    { pipeline: mutate((p) => { delete p.stages[STAGE.gate]!.agent; }), errors: [{ path: ['stages', STAGE.gate], message: /holds an executor/ }] },
    { pipeline: mutate((p) => { p.stages[STAGE.scans]!.parallel!.splice(0, 1); }), errors: [{ path: ['stages', STAGE.gate, 'steps', 0], message: /does not run before it/ }] },
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('sonar-scanner -Dsonar.projectKey=x')] }] }), errors: [{ message: /outside withSonarQubeEnv/ }] },
  ],
});

tester.run(rule('SCAN-008'), {
  valid: [compliant(), pipeline({ agent: { type: 'docker', image: 'aquasec/trivy:0.58.1' } })],
  invalid: [
    {
      pipeline: mutate((p) => { p.stages[STAGE.scans]!.parallel!.push({ name: 'Snyk', agent: { type: 'docker', image: 'snyk/snyk:latest' }, steps: [{ step: 'snykScan', mode: 'test' } as Step, sh('trivy fs --skip-db-update --exit-code 1 .')] }); }),
      errors: [
        { path: ['stages', STAGE.scans, 'parallel', 2, 'steps', 0], message: /does not pin the Snyk CLI version/ },
        { path: ['stages', STAGE.scans, 'parallel', 2, 'agent', 'image'] },
        { path: ['stages', STAGE.scans, 'parallel', 2, 'steps', 1, 'script'], message: /--skip-db-update without --cache-dir/ },
      ],
    },
  ],
});

tester.run(rule('ART-001'), {
  valid: [compliant(), pipeline({ stages: [{ name: 'A', steps: [sh('docker build --pull -t "$REG/app:$GIT_COMMIT" .\ndocker push "$REG/app:$GIT_COMMIT"')] }] })],
  invalid: [
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('docker build -t "$REG/app:latest" .')] }] }), errors: [{ message: /tagged 'latest'/ }] },
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('docker tag app "$REG/app:${BRANCH_NAME}"')] }] }), errors: [{ message: /BRANCH_NAME/ }] },
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('docker build -t myapp .')] }] }), errors: [{ message: /without a tag, i.e. latest/ }] },
  ],
});

tester.run(rule('ART-002'), {
  valid: [compliant(), pipeline({ stages: [{ name: 'Deploy dev', steps: [sh('pipewright ecs-deploy --cluster dev --service a --image "$(cat image-ref.txt)"')] }] })],
  invalid: [
    {
      name: 'deploy before any push',
      pipeline: mutate((p) => p.stages.splice(STAGE.publish, 1)),
      errors: [{ path: ['stages', STAGE.publish, 'steps', 0], environment: 'dev', message: /stash 'image-ref', which no earlier ecrPush/ }, { environment: 'stage' }, { environment: 'prod' }],
    },
    { pipeline: mutate((p) => { stepAt(p, STAGE.deployDev, 0).imageStash = 'other'; }), errors: [{ path: ['stages', STAGE.deployDev, 'steps', 0, 'imageStash'] }] },
    {
      pipeline: pipeline({ stages: [{ name: 'Deploy dev', steps: [sh('aws ecs update-service --cluster dev --service a --force-new-deployment'), sh('kubectl set image deploy/a a=registry/a:1.2.3')] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'script'] }, { path: ['stages', 0, 'steps', 1, 'script'], message: /'kubectl' deploys a tag/ }],
    },
  ],
});

tester.run(rule('ART-003'), {
  valid: [compliant(), pipeline({ agent: { type: 'docker', image: `node:20@sha256:${'a'.repeat(64)}` } })],
  invalid: [
    { pipeline: pipeline({ agent: { type: 'docker', image: 'node:20' } }), errors: [{ path: ['agent', 'image'], message: /not pinned by digest/ }] },
    { pipeline: mutate((p) => { stepAt(p, STAGE.image, 0).pull = false; }), errors: [{ path: ['stages', STAGE.image, 'steps', 0, 'pull'] }] },
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('docker build -t "app:$GIT_COMMIT" .')] }] }), errors: [{ message: /without --pull/ }] },
  ],
});

tester.run(rule('ART-004'), {
  valid: [compliant()],
  invalid: [
    { pipeline: mutate((p) => p.stages[STAGE.publish]!.steps!.splice(1, 1)), errors: [{ path: ['stages', STAGE.publish, 'steps', 0], message: /no SBOM/, severity: 'error', environment: 'prod' }] },
    {
      name: 'warning when only dev is deployed',
      pipeline: mutate((p) => { p.stages[STAGE.publish]!.steps!.splice(1, 1); p.stages.splice(STAGE.deployStage); p.environments = p.environments!.slice(0, 1); }),
      errors: [{ severity: 'warning', environment: 'dev' }],
    },
  ],
});

const KMS_KEY = 'awskms:///alias/ci-cosign';
const prodRole = { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' };
const eksProdDeploy = (extra: Record<string, unknown> = {}): Step =>
  ({ step: 'eksDeploy', environment: 'prod', aws: prodRole, cluster: 'prod-eks', namespace: 'payments', method: { kind: 'kubectl', deployment: 'payments-api', container: 'app' }, ...extra }) as Step;
const gitopsProdBump = (extra: Record<string, unknown> = {}): Step =>
  ({
    step: 'gitopsBump',
    environment: 'prod',
    repository: 'https://github.example.com/platform/deployments.git',
    file: 'apps/payments-api/prod/kustomization.yaml',
    editor: { kind: 'kustomize', imageName: 'payments-api' },
    auth: { kind: 'https', credentialId: 'gitops-bot-token' },
    ...extra,
  }) as Step;
/** The compliant pipeline with its prod deploy replaced by `step`. */
const withProdDeploy = (step: Step) => mutate((p) => { p.stages[STAGE.deployProd]!.steps = [step]; });

tester.run(rule('ART-005'), {
  valid: [
    compliant(),
    { name: 'EKS prod deploy that verifies the signature', pipeline: withProdDeploy(eksProdDeploy({ verifySignature: { key: KMS_KEY } })) },
    { name: 'GitOps prod bump that verifies the signature', pipeline: withProdDeploy(gitopsProdBump({ verifySignature: { key: KMS_KEY }, aws: prodRole })) },
    { name: 'dev deploys need no verification', pipeline: mutate((p) => { p.stages[STAGE.deployDev]!.steps = [eksProdDeploy({ environment: 'dev', aws: { ...prodRole, account: '111111111111' } })]; }) },
  ],
  invalid: [
    {
      name: 'EKS prod deploy without verification',
      pipeline: withProdDeploy(eksProdDeploy()),
      errors: [{ path: ['stages', STAGE.deployProd, 'steps', 0], message: 'eksDeploy to prod does not verify the image signature before deploying', environment: 'prod', severity: 'error' }],
    },
    {
      name: 'GitOps prod bump without verification',
      pipeline: withProdDeploy(gitopsProdBump()),
      errors: [{ path: ['stages', STAGE.deployProd, 'steps', 0], message: 'gitopsBump to prod does not verify the image signature before deploying', environment: 'prod' }],
    },
    { pipeline: mutate((p) => p.stages[STAGE.publish]!.steps!.splice(2, 1)), errors: [{ path: ['stages', STAGE.publish, 'steps', 0], message: /never signed/ }] },
    {
      name: 'signed before the image scan of the pushed digest',
      pipeline: mutate((p) => { p.stages[STAGE.publish]!.steps!.push({ step: 'trivyScan', target: 'image', version: '0.58.1', image: 'pushed' } as Step); }),
      errors: [{ path: ['stages', STAGE.publish, 'steps', 2], message: /signed before trivyScan has passed/ }],
    },
    { pipeline: mutate((p) => { delete stepAt(p, STAGE.deployProd, 0).verifySignature; }), errors: [{ path: ['stages', STAGE.deployProd, 'steps', 0], environment: 'prod' }] },
  ],
});

tester.run(rule('ART-006'), {
  valid: [compliant()],
  invalid: [
    { pipeline: mutate((p) => { stepAt(p, STAGE.image, 0).labels = { 'org.opencontainers.image.revision': 'main' }; }), errors: [{ path: ['stages', STAGE.image, 'steps', 0, 'labels', 'org.opencontainers.image.revision'] }] },
    { pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('docker build --pull -t "app:$GIT_COMMIT" .')] }] }), errors: [{ message: /org.opencontainers.image.revision/ }] },
  ],
});

tester.run(rule('SCAN-001'), {
  valid: [
    {
      name: 'a static site needs no image scan',
      pipeline: pipeline({
        stages: [
          { name: 'Checks', steps: [{ step: 'sonarScan', installation: 'sonar', projectKey: 'web' } as Step, { step: 'trivyScan', target: 'fs', version: '0.58.1' } as Step] },
          { name: 'Gate', agent: 'none', steps: [{ step: 'sonarQualityGate' } as Step] },
          { name: 'Publish dev', steps: [{ step: 's3Publish', environment: 'dev', aws: { role: 'web-publisher', account: '111111111111', region: 'eu-west-1' }, bucket: 'web-dev' } as Step] },
        ],
      }),
    },
  ],
  invalid: [
    {
      name: 'a static site still needs SAST before publishing',
      pipeline: pipeline({
        stages: [
          { name: 'Checks', steps: [{ step: 'trivyScan', target: 'fs', version: '0.58.1' } as Step] },
          { name: 'Publish dev', steps: [{ step: 's3Publish', environment: 'dev', aws: { role: 'web-publisher', account: '111111111111', region: 'eu-west-1' }, bucket: 'web-dev' } as Step] },
        ],
      }),
      errors: [{ path: ['stages', 1, 'steps', 0], message: 's3Publish is not preceded by: SAST (sonarScan)' }],
    },
  ],
});
