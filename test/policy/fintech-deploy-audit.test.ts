import { describe, it } from 'vitest';
import type { Stage, Step } from '../../src/model/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { findRule } from '../../src/policy/registry.ts';
import { STAGE, compliant, mutate } from './fintech-fixture.ts';
import { pipeline, sh } from './fixtures.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;
const stepAt = (p: { stages: { steps?: Step[] }[] }, stage: number, step: number) => p.stages[stage]!.steps![step] as unknown as Record<string, unknown>;

/** A hand-written prod deploy stage that follows the catalog recipe (§2.6). */
const handWrittenDeploy = (script: string, extra: Partial<Stage> = {}): Stage => ({
  name: 'Deploy prod',
  steps: [{ step: 'lock', resource: 'ecs-prod-api', steps: [sh(script)] }],
  post: {
    always: [{ step: 'archiveArtifacts', artifacts: 'evidence/**', fingerprint: true }],
    failure: [sh('aws ecs update-service --cluster prod --service api --task-definition "$PREV_TD"'), { step: 'step', name: 'slackSend', args: { channel: '#d', tokenCredentialId: 'slack' } }],
  },
  ...extra,
});
const goodScript = [
  'PREV_TD=$(aws ecs describe-services --cluster prod --services api --query "services[0].taskDefinition" --output text)',
  'aws ecs update-service --cluster prod --service api --task-definition "$NEW_TD" --deployment-configuration "deploymentCircuitBreaker={enable=true,rollback=true}"',
  'aws ecs wait services-stable --cluster prod --services api',
  'aws ecs describe-services --cluster prod --services api --query "services[0].deployments[?status==`PRIMARY`]|[0].rolloutState"',
].join('\n');

tester.run(rule('DEPLOY-001'), {
  valid: [compliant(), pipeline({ stages: [handWrittenDeploy(goodScript)] }), pipeline({ stages: [handWrittenDeploy('helm upgrade --install --atomic --wait api ./chart')] })],
  invalid: [
    { pipeline: pipeline({ stages: [handWrittenDeploy('aws ecs update-service --cluster prod --service api --task-definition "$TD"')] }), errors: [{ message: /without deploymentCircuitBreaker/, environment: 'prod', severity: 'error' }] },
    { pipeline: pipeline({ stages: [handWrittenDeploy('helm upgrade --install api ./chart', { name: 'Deploy dev' })] }), errors: [{ message: /helm upgrade without --atomic/, environment: 'dev', severity: 'warning' }] },
    { pipeline: pipeline({ stages: [handWrittenDeploy('kubectl set image deploy/api api="$IMAGE_REF"')] }), errors: [{ message: /kubectl rollout without/ }] },
  ],
});

tester.run(rule('DEPLOY-002'), {
  valid: [compliant(), pipeline({ stages: [handWrittenDeploy(goodScript)] })],
  invalid: [
    { pipeline: mutate((p) => { delete stepAt(p, STAGE.deployProd, 0).smokeTest; }), errors: [{ path: ['stages', STAGE.deployProd, 'steps', 0], message: /runs no smoke test/, environment: 'prod' }] },
    { pipeline: pipeline({ stages: [handWrittenDeploy('aws ecs update-service --cluster prod --service api\naws ecs wait services-stable --cluster prod --services api')] }), errors: [{ message: /PRIMARY deployment is COMPLETED/ }] },
  ],
});

tester.run(rule('DEPLOY-003'), {
  valid: [compliant(), pipeline({ stages: [handWrittenDeploy(goodScript)] })],
  invalid: [
    {
      name: 'no failure notification',
      pipeline: mutate((p) => { delete p.post; p.stages.forEach((s) => delete s.post); }),
      errors: [
        { path: ['stages', STAGE.deployDev, 'steps', 0], environment: 'dev', severity: 'warning', message: /nobody is notified when the deploy to dev fails/ },
        { environment: 'stage' },
        { environment: 'prod', severity: 'error' },
      ],
    },
    {
      name: 'hand-written deploy without rollback',
      pipeline: pipeline({ stages: [handWrittenDeploy(goodScript, { post: { failure: [{ step: 'step', name: 'slackSend', args: { channel: '#d', tokenCredentialId: 'slack' } }] } })] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'steps', 0, 'script'], message: /no rollback to the previous version/ }],
    },
  ],
});

tester.run(rule('DEPLOY-004'), {
  valid: [compliant()],
  invalid: [
    {
      pipeline: mutate((p) => { const d = stepAt(p, STAGE.deployProd, 0); d.engine = 'pipewright'; delete d.taskDefinition; }),
      errors: [{ path: ['stages', STAGE.deployProd, 'steps', 0, 'engine'], environment: 'prod', severity: 'error' }],
    },
    { pipeline: pipeline({ stages: [handWrittenDeploy('aws ecs update-service --cluster prod --service api --force-new-deployment')] }), errors: [{ message: /--force-new-deployment/ }] },
  ],
});

tester.run(rule('DEPLOY-006'), {
  valid: [compliant(), pipeline({ stages: [handWrittenDeploy(goodScript)] }), pipeline({ stages: [{ ...handWrittenDeploy(goodScript), options: { lock: { resource: 'ecs-prod-api' } } }] })],
  invalid: [
    { pipeline: pipeline({ options: { disableConcurrentBuilds: true }, stages: [{ name: 'Deploy prod', steps: [sh(goodScript)] }] }), errors: [{ path: ['stages', 0, 'steps', 0], message: /holds no lock/ }] },
    { pipeline: pipeline({ stages: [{ name: 'Deploy prod', steps: [{ step: 'lock', resource: 'deploys', steps: [sh(goodScript)] }] }] }), errors: [{ message: /'deploys' does not name the environment prod/ }] },
  ],
});

const shift: Step = {
  step: 'trafficShift',
  environment: 'prod',
  aws: { role: 'traffic-prod', account: '333333333333', region: 'eu-west-1' },
  change: { kind: 'route53', hostedZoneId: 'Z123ABC', recordName: 'api.example.com.', recordType: 'A', weights: [{ setIdentifier: 'green', weight: 10 }] },
} as Step;
tester.run(rule('DEPLOY-007'), {
  valid: [compliant(), mutate((p) => p.stages.push({ name: 'Shift traffic', when: { branch: 'main' }, agent: { type: 'label', label: 'prod-deployer' }, steps: [shift] }))],
  invalid: [
    { pipeline: mutate((p) => p.stages.splice(STAGE.approve, 0, { name: 'Shift traffic', steps: [shift] })), errors: [{ path: ['stages', STAGE.approve, 'steps', 0], message: /without an earlier approval/, environment: 'prod' }] },
    { pipeline: pipeline({ stages: [{ name: 'DNS prod', steps: [sh('aws route53 change-resource-record-sets --hosted-zone-id Z1 --change-batch file://c.json')] }] }), errors: [{ message: /without an earlier approval/ }, { message: /not waited for/ }] },
  ],
});

tester.run(rule('AUDIT-001'), {
  valid: [compliant(), pipeline({ stages: [handWrittenDeploy(goodScript)] })],
  invalid: [
    {
      pipeline: pipeline({ stages: [handWrittenDeploy(goodScript, { post: { always: [{ step: 'archiveArtifacts', artifacts: 'evidence/**' }] } })] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'steps', 0], message: /leaves no archived evidence/, environment: 'prod' }],
    },
  ],
});

const auditRole = { role: 'evidence-writer', account: '444444444444', region: 'eu-west-1' };
const exportStep = (extra: Record<string, unknown> = {}): Step =>
  ({ step: 'evidenceExport', bucket: 'fintech-audit-evidence', aws: auditRole, environment: 'prod', ...extra }) as Step;
/** The compliant pipeline keeping runs by count, plus `change`. */
const byCount = (change: (p: ReturnType<typeof compliant>) => void = () => {}) =>
  mutate((p) => { p.options!.buildDiscarder = { numToKeep: 20 }; change(p); });
const inPost = (stage: number, condition: 'always' | 'cleanup', step: Step) => (p: ReturnType<typeof compliant>) => {
  const target = p.stages[stage]!;
  target.post = { ...target.post, [condition]: [step] };
};

tester.run(rule('AUDIT-002'), {
  valid: [
    compliant(),
    byCount((p) => { p.post!.always = [{ step: 'step', name: 's3Upload', args: { bucket: 'audit', includePathPattern: 'evidence/**' } }]; }),
    { name: 'dev-only pipeline', pipeline: mutate((p) => { p.stages.splice(STAGE.deployStage); p.options!.buildDiscarder = { numToKeep: 5 }; }) },
    { name: 'typed export in the prod deploy stage\'s post cleanup', pipeline: byCount(inPost(STAGE.deployProd, 'cleanup', exportStep())) },
    {
      name: 'hand-written s3api put-object of the evidence in post always',
      pipeline: byCount(inPost(STAGE.deployProd, 'always', sh('for f in evidence/*; do aws s3api put-object --bucket audit --key "$JOB_NAME/$f" --body "$f" --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$UNTIL" --checksum-algorithm SHA256; done'))),
    },
    { name: 'retention at the configured minimum', pipeline: byCount(inPost(STAGE.deployProd, 'cleanup', exportStep({ retainDays: 500 }))), options: { minRetentionDays: 500 } },
  ],
  invalid: [
    { pipeline: byCount(), errors: [{ path: ['options', 'buildDiscarder'], message: /by count and nothing exports the evidence of 'Deploy prod'/, environment: 'prod' }] },
    { pipeline: mutate((p) => { p.options!.buildDiscarder = { daysToKeep: 400 }; }), options: { minDays: 500 }, errors: [{ message: /after 400 days/ }] },
    {
      name: 'export in a later stage: it never runs when the deploy fails',
      pipeline: byCount((p) => p.stages.push({ name: 'Export evidence', steps: [exportStep()] })),
      errors: [{ path: ['options', 'buildDiscarder'], message: /nothing exports the evidence of 'Deploy prod' whatever the deploy's result/ }],
    },
    {
      name: 'only the dev deploy exports its evidence',
      pipeline: byCount(inPost(STAGE.deployDev, 'cleanup', exportStep({ environment: 'dev' }))),
      errors: [{ path: ['options', 'buildDiscarder'], environment: 'prod' }],
    },
    {
      name: 'an export of the reports only is no evidence export',
      pipeline: byCount(inPost(STAGE.deployProd, 'cleanup', exportStep({ paths: ['reports'] }))),
      errors: [{ path: ['options', 'buildDiscarder'] }],
    },
    {
      name: 'evidence locked for less than twelve months',
      pipeline: byCount(inPost(STAGE.deployProd, 'cleanup', exportStep({ retainDays: 90 }))),
      errors: [{ path: ['stages', STAGE.deployProd, 'post', 'cleanup', 0, 'retainDays'], message: 'the evidence of the prod deploy is locked for 90 days only; it must be kept at least 366 days', environment: 'prod', severity: 'error' }],
    },
    {
      name: 'the default retention below an organisation minimum',
      pipeline: byCount(inPost(STAGE.deployProd, 'cleanup', exportStep())),
      options: { minRetentionDays: 730 },
      errors: [{ message: /locked for 400 days only; it must be kept at least 730 days/ }],
    },
  ],
});

tester.run(rule('PIPE-001'), {
  valid: [compliant()],
  invalid: [
    {
      pipeline: pipeline({
        environment: { CFG: { $groovy: 'evaluate(readFile("cfg.groovy"))' } },
        stages: [{ name: 'A', when: { expression: 'Jenkins.instance.isQuietingDown() == false' }, steps: [{ step: 'script', groovy: 'echo "hi"' }, { step: 'script', groovy: 'def lib = load "ci/lib.groovy"' }] }],
      }),
      errors: [
        // In document order: the pipeline's environment, the stage's when, then its steps.
        { path: ['environment', 'CFG'], message: /Groovy expression uses evaluate/ },
        { path: ['stages', 0, 'when', 'expression'], message: /Jenkins.instance/ },
        { path: ['stages', 0, 'steps', 0], message: 'script block: free-form Groovy in the pipeline; use typed steps' },
        { path: ['stages', 0, 'steps', 1], message: /uses load/ },
      ],
    },
    {
      name: 'code kept outside the pipeline block (an imported Jenkinsfile)',
      pipeline: pipeline({ groovyPrologue: "def version(String b) { return b + '-1' }\n", groovyEpilogue: 'def cfg = load "ci/config.groovy"\n' }),
      errors: [
        { path: ['groovyPrologue'], message: 'code before the pipeline block: free-form Groovy in the pipeline; use typed steps' },
        { path: ['groovyEpilogue'], message: /code after the pipeline block uses load/ },
      ],
    },
  ],
});

tester.run(rule('PIPE-002'), {
  valid: [compliant(), pipeline({ libraries: ['org-lib@v1.0.0'], stages: [{ name: 'A', steps: [{ step: 'step', name: 'slackSend', args: { channel: '#x', tokenCredentialId: 't' } }] }] })],
  invalid: [
    {
      pipeline: pipeline({ options: { timeout: { time: 5 }, custom: [{ name: 'throttleJobProperty' }] }, stages: [{ name: 'A', steps: [{ step: 'step', name: 'httpRequest', args: { url: 'https://x' } }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0], message: "plugin step 'httpRequest' is not on the allowlist" }, { path: ['options', 'custom', 0] }],
    },
    {
      name: 'organisation narrows steps and libraries',
      options: { allowedSteps: ['withAWS'], allowedLibraries: ['org-lib'] },
      pipeline: pipeline({ libraries: ['team-lib@v1.0.0'], stages: [{ name: 'A', steps: [{ step: 'step', name: 'slackSend', args: { channel: '#x', tokenCredentialId: 't' } }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0] }, { path: ['libraries', 0], message: /'team-lib' is not on the allowlist/ }],
    },
  ],
});

tester.run(rule('NOTIFY-001'), {
  valid: [compliant()],
  invalid: [
    {
      pipeline: mutate((p) => { delete p.post; p.stages[STAGE.deployStage]!.steps!.pop(); p.stages.forEach((s) => delete s.post); }),
      errors: [
        { path: [], message: /sends no failure notification/ },
        { path: ['stages', STAGE.deployDev, 'steps', 0], message: /announces a rollback/ },
        { path: ['stages', STAGE.approve], message: /nobody is told that approval 'Approve prod' is waiting/, environment: 'prod' },
      ],
    },
    {
      pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'slackSend', args: { channel: '#x', message: 'hi' } }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0], message: /without tokenCredentialId/ }],
    },
  ],
});
