/**
 * The capability model (IAM-005), raw Groovy that runs steps (PIPE-003), the step-site index
 * every rule reads (steps wherever they can run, with what they have in scope) and the Groovy
 * call scanner behind it.
 */
import { describe, expect, it } from 'vitest';
import type { Pipeline, Stage, Step } from '../../src/model/schema.ts';
import { POST_CONDITIONS } from '../../src/model/schema.ts';
import { groovyCalls, stepRunningCalls } from '../../src/policy/groovy-calls.ts';
import { indexPipeline } from '../../src/policy/model-index.ts';
import { findRule } from '../../src/policy/registry.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { accounts, compliant } from './fintech-fixture.ts';
import { MISSED_DEPLOYS, pipeline, sh, validPipeline } from './fixtures.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;

/** The fintech fixture's declared environments: prod is account 333333333333, role ecs-deployer-prod, agent prod-deployer. */
const environments = compliant().environments;

const withAWS = (role: string, roleAccount: string, body: Step[]): Step => ({ step: 'step', name: 'withAWS', args: { role, roleAccount, region: 'eu-west-1' }, body });
const prodRole = (body: Step[]) => withAWS('ecs-deployer-prod', accounts.prod, body);
/** A pipeline with the fintech environments declared and one stage. */
const withStage = (stage: Stage, over: Partial<Pipeline> = {}): Pipeline => pipeline({ environments, stages: [stage], ...over });
const oneStep = (step: Step, over: Partial<Stage> = {}): Pipeline => withStage({ name: 'Release', steps: [step], ...over });

tester.run(rule('IAM-005'), {
  valid: [
    compliant(),
    { name: 'a dev role reaches dev only', pipeline: oneStep(withAWS('ecs-deployer-dev', accounts.dev, [sh('terraform apply -auto-approve')])) },
    { name: 'a prod-looking command with nothing in scope (other rules judge the command)', pipeline: oneStep(sh('aws ecs update-service --cluster prod-apps --service api')) },
    { name: 'printing and archiving under a production role', pipeline: oneStep(prodRole([{ step: 'echo', message: 'releasing' }, { step: 'archiveArtifacts', artifacts: 'evidence/**' }])) },
    {
      name: 'a script the security team reviewed (rule option reviewedScripts)',
      pipeline: withStage({ name: 'Migrate prod', agent: { type: 'label', label: 'prod-deployer' }, environment: { DB: { credentials: 'db-prod' } }, steps: [sh('npm run migrate')] }),
      options: { reviewedScripts: [{ script: 'npm run migrate', reason: 'schema migrations, reviewed with the service' }] },
    },
    {
      name: 'a typed delivery step holds its own production role',
      pipeline: oneStep({ step: 'ecsDeploy', environment: 'prod', aws: { role: 'ecs-deployer-prod', account: accounts.prod, region: 'eu-west-1' }, cluster: 'prod-apps', service: 'payments-api', container: 'app', taskDefinition: 'deploy/taskdef.prod.json' } as Step),
    },
  ],
  invalid: [
    ...MISSED_DEPLOYS.map((script) => ({
      name: `under a production role: ${script}`,
      pipeline: oneStep(prodRole([sh(script)])),
      errors: [{ path: ['stages', 0, 'steps', 0, 'body', 0], severity: 'error' as const, environment: 'prod', message: /^'sh' can reach prod through role ecs-deployer-prod in account 333333333333 \(withAWS\) but is not a typed delivery step/ }],
    })),
    {
      name: 'evidence of the command is part of the message, not the gate',
      pipeline: oneStep(prodRole([sh('terraform apply -auto-approve')])),
      errors: [{ message: /\(it runs terraform apply\)/ }],
    },
    {
      name: "the pipeline's post { success } on a production agent",
      pipeline: pipeline({ environments, agent: { type: 'label', label: 'prod-deployer' }, post: { success: [sh('./deploy.sh')] } }),
      // The stage's `make` runs on the production agent too.
      errors: [{ path: ['stages', 0, 'steps', 0] }, { path: ['post', 'success', 0], message: /agent label 'prod-deployer'/ }],
    },
    {
      name: 'a production credential bound in the stage environment',
      pipeline: withStage({ name: 'Data fix', environment: { DB: { credentials: 'payments-db-prod' } }, steps: [sh('psql -f fix.sql')] }),
      errors: [{ path: ['stages', 0, 'steps', 0], message: /credential 'payments-db-prod' \(environment credentials\(\)\)/ }],
    },
    {
      name: 'a credential listed in productionCredentials, bound by withCredentials',
      pipeline: oneStep({ step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'release-token', variable: 'TOKEN' }], steps: [sh('curl -H "Authorization: $TOKEN" https://deploy.internal/api')] }),
      options: { productionCredentials: ['release-*'] },
      errors: [{ path: ['stages', 0, 'steps', 0, 'steps', 0], message: /credential 'release-token' \(withCredentials\)/ }],
    },
    {
      name: 'a role ARN in the production account',
      pipeline: oneStep(withAWS(`arn:aws:iam::${accounts.prod}:role/anything`, accounts.tooling, [sh('aws s3 ls')])),
      errors: [{ environment: 'prod' }],
    },
    {
      name: 'an agent label the organisation reserves for production',
      pipeline: oneStep(sh('make release'), { agent: { type: 'label', label: 'linux && prod-runner' } }),
      config: { environments: { prod: { agentLabels: ['prod-runner'] } } },
      errors: [{ message: /agent label 'prod-runner'/ }],
    },
    {
      name: 'a plugin step under a production role',
      pipeline: oneStep(prodRole([{ step: 'step', name: 's3Upload', args: { bucket: 'web-prod', path: 'dist/' } }])),
      errors: [{ message: /^plugin step 's3Upload' can reach prod/ }],
    },
    {
      name: 'a script block under a production role is reported once, not once per call inside it',
      pipeline: oneStep(prodRole([{ step: 'script', groovy: 'sh "kubectl apply -f k8s/"\nsh "kubectl rollout status deploy/api"' }])),
      errors: [{ path: ['stages', 0, 'steps', 0, 'body', 0], message: /^'script' can reach prod/ }],
    },
    {
      name: 'a withAWS written inside a script block',
      pipeline: oneStep({ step: 'script', groovy: `withAWS(role: 'ecs-deployer-prod', roleAccount: '${accounts.prod}') {\n  sh 'aws ecs update-service --cluster prod-apps --service api --force-new-deployment'\n}` }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'groovy'], message: /^sh\(\) called from a script block can reach prod through role ecs-deployer-prod/ }],
    },
    {
      name: 'a step called from a when expression on a production agent',
      pipeline: oneStep(sh('make'), { agent: { type: 'label', label: 'prod-deployer' }, when: { expression: 'sh("./release.sh"); return true' } }),
      errors: [{ path: ['stages', 0, 'when', 'expression'], message: /^sh\(\) called from a when condition/ }, { path: ['stages', 0, 'steps', 0] }],
    },
    {
      name: 'a production credential in a matrix environment',
      pipeline: withStage({
        name: 'Cells',
        matrix: { axes: [{ name: 'REGION', values: ['eu', 'us'] }], environment: { KUBE: { credentials: 'kubeconfig-prod' } }, stages: [{ name: 'Apply', steps: [sh('kubectl apply -f k8s/')] }] },
      }),
      errors: [{ path: ['stages', 0, 'matrix', 'stages', 0, 'steps', 0], message: /credential 'kubeconfig-prod'/ }],
    },
  ],
});

tester.run(rule('PIPE-003'), {
  valid: [
    compliant(),
    pipeline({ stages: [{ name: 'A', when: { expression: 'env.BRANCH_NAME == "main" && params.DEPLOY' }, steps: [sh('make')] }] }),
    pipeline({ stages: [{ name: 'A', when: { expression: 'fileExists("deploy/config.yml")' }, steps: [sh('make')] }] }),
    pipeline({ environment: { BUILD: { $groovy: 'currentBuild.number' } } }),
  ],
  invalid: [
    {
      name: 'a when expression that deploys while the condition is checked',
      pipeline: pipeline({ stages: [{ name: 'A', when: { expression: 'sh("aws ecs update-service --cluster prod-apps --service api"); return true' }, steps: [sh('make')] }] }),
      errors: [{ path: ['stages', 0, 'when', 'expression'], severity: 'error', message: /^the when condition runs sh\("aws ecs update-service --cluster prod-apps --service api"\)/ }],
    },
    {
      name: 'an environment value computed by a shell step',
      pipeline: pipeline({ environment: { X: { $groovy: 'sh(returnStdout: true, script: "aws sts get-caller-identity").trim()' } } }),
      errors: [{ path: ['environment', 'X'], message: /^the environment value runs sh\("aws sts get-caller-identity"\)/ }],
    },
    {
      name: 'when.equals with a groovy() value',
      pipeline: pipeline({ stages: [{ name: 'A', when: { equals: { expected: 'ok', actual: { $groovy: 'sh(script: "./deploy.sh", returnStdout: true).trim()' } } }, steps: [sh('make')] }] }),
      errors: [{ path: ['stages', 0, 'when', 'equals', 'actual'], message: /runs sh\("\.\/deploy\.sh"\)/ }],
    },
    {
      name: 'a helper function may run any step',
      pipeline: pipeline({ stages: [{ name: 'A', when: { expression: 'isRelease()' }, steps: [sh('make')] }] }),
      errors: [{ message: /isRelease may run any step/ }],
    },
    {
      name: 'a groovy() argument of a plugin step',
      pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'slackSend', args: { message: { $groovy: 'build(job: "deploy-prod").result' } } }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'args', 'message'], message: /runs build\(\)/ }],
    },
  ],
});

describe('the step-site index', () => {
  /** A pipeline with a marker `sh` in every place a step can run. */
  const everywhere = (): Pipeline => {
    const post = (prefix: string) => Object.fromEntries(POST_CONDITIONS.map((c) => [c, [sh(`${prefix}-post-${c}`)]]));
    return {
      agent: { type: 'label', label: 'linux' },
      environment: { PIPELINE_GROOVY: { $groovy: 'sh(returnStdout: true, script: "pipeline-environment").trim()' } },
      groovyPrologue: 'def helper() { sh "prologue" }\n',
      stages: [
        {
          name: 'Plain',
          when: { expression: 'sh("when-expression") == null' },
          environment: { STAGE_GROOVY: { $groovy: 'sh(returnStdout: true, script: "stage-environment")' } },
          steps: [
            sh('stage-steps'),
            { step: 'dir', path: 'x', steps: [sh('in-dir')] },
            { step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'token-id', variable: 'T' }], steps: [{ step: 'timeout', time: 1, steps: [{ step: 'retry', count: 2, steps: [{ step: 'lock', resource: 'r', steps: [sh('in-credentials-timeout-retry-lock')] }] }] }] },
            { step: 'step', name: 'withAWS', args: { role: 'r', roleAccount: '123456789012' }, body: [sh('in-withAWS')] },
            { step: 'script', groovy: 'if (true) { sh "in-script" }' },
          ],
          post: post('stage'),
        },
        { name: 'Outer', stages: [{ name: 'Inner', steps: [sh('nested-stage')] }] },
        { name: 'Fan', parallel: [{ name: 'Left', steps: [sh('parallel-branch')] }] },
        {
          name: 'Grid',
          matrix: {
            axes: [{ name: 'A', values: ['1'] }],
            when: { expression: 'sh("matrix-when") != null' },
            environment: { M: { credentials: 'matrix-credential' } },
            stages: [{ name: 'Cell', steps: [sh('matrix-branch')] }],
            post: { always: [sh('matrix-post-always')] },
          },
        },
        {
          name: 'Approve',
          input: { message: 'ok?', parameters: [{ type: 'custom', symbol: 'credentials', name: 'C', args: { defaultValue: { $groovy: 'sh(returnStdout: true, script: "input-parameter")' } } }] },
          steps: [sh('after-input')],
        },
      ],
      post: post('pipeline'),
    } as Pipeline;
  };

  it('finds a step wherever it can run: steps, every post condition, branches, wrappers, script bodies, when/environment expressions, input', () => {
    const index = indexPipeline(validPipeline(everywhere()));
    const scripts = index.steps.filter((s) => s.step.step === 'sh').map((s) => (s.step as { script: string }).script);
    const expected = [
      'pipeline-environment',
      'prologue',
      'when-expression',
      'stage-environment',
      'stage-steps',
      'in-dir',
      'in-credentials-timeout-retry-lock',
      'in-withAWS',
      'in-script',
      ...POST_CONDITIONS.map((c) => `stage-post-${c}`),
      'nested-stage',
      'parallel-branch',
      'matrix-when',
      'matrix-branch',
      'matrix-post-always',
      'input-parameter',
      'after-input',
      ...POST_CONDITIONS.map((c) => `pipeline-post-${c}`),
    ];
    expect([...scripts].sort()).toEqual([...expected].sort());
    // Document order is execution order for the sequential parts.
    expect(scripts.indexOf('when-expression')).toBeLessThan(scripts.indexOf('stage-steps'));
    expect(scripts.indexOf('stage-steps')).toBeLessThan(scripts.indexOf('pipeline-post-always'));
  });

  it('records the context of each site: stage, post condition, wrappers, origin and what is in scope', () => {
    const index = indexPipeline(validPipeline(everywhere()));
    const site = (script: string) => index.steps.find((s) => s.step.step === 'sh' && (s.step as { script: string }).script === script)!;
    expect(site('pipeline-post-success')).toMatchObject({ stage: undefined, post: 'success', path: ['post', 'success', 0], origin: 'model' });
    expect(site('stage-post-failure').stage?.stage.name).toBe('Plain');
    const locked = site('in-credentials-timeout-retry-lock');
    expect(locked.enclosing.map((e) => e.step.step)).toEqual(['withCredentials', 'timeout', 'retry', 'lock']);
    expect(locked.scope.credentials).toEqual([{ id: 'token-id', path: ['stages', 0, 'steps', 2, 'bindings', 0], via: 'withCredentials' }]);
    expect(site('in-withAWS').scope.aws).toEqual([{ role: 'r', account: '123456789012', credentialsId: undefined, profile: undefined, path: ['stages', 0, 'steps', 3] }]);
    const inScript = site('in-script');
    expect(inScript).toMatchObject({ origin: 'groovy', path: ['stages', 0, 'steps', 4, 'groovy'] });
    expect(inScript.groovy?.source.kind).toBe('script');
    expect(inScript.enclosing.map((e) => e.step.step)).toEqual(['script']);
    expect(site('when-expression')).toMatchObject({ origin: 'groovy', path: ['stages', 0, 'when', 'expression'] });
    expect(site('matrix-branch').scope.credentials.map((c) => c.id)).toEqual(['matrix-credential']);
    expect(site('matrix-branch').stage?.environments.map((e) => e.path)).toEqual([['environment'], ['stages', 3, 'matrix', 'environment']]);
    expect(index.groovy.map((g) => g.kind)).toEqual(['environment', 'prologue', 'when', 'environment', 'script', 'when', 'value']);
    expect(index.environmentBlocks.map((b) => b.path)).toEqual([['environment'], ['stages', 0, 'environment'], ['stages', 3, 'matrix', 'environment']]);
  });
});

describe('step calls in raw Groovy', () => {
  const names = (source: string) => stepRunningCalls(source).map((c) => c.name);

  it('finds calls in command and call syntax, inside control flow, closures and argument lists', () => {
    expect(names('sh("a"); return true')).toEqual(['sh']);
    expect(names("if (x) { sh 'a' } else { bat 'b' }")).toEqual(['sh', 'bat']);
    expect(names('def out = sh(returnStdout: true, script: cmd).trim()')).toEqual(['sh']);
    expect(names('[1, 2].each { n -> powershell "x$n" }')).toEqual(['powershell']);
    expect(names('steps.sh "x"')).toEqual(['sh']);
    expect(names('echo(sh(script: "x", returnStdout: true))')).toEqual(['sh']);
  });

  it('does not take reads, members, declarations or plain Groovy for step calls', () => {
    expect(names('env.BRANCH_NAME == "main" && params.DEPLOY')).toEqual([]);
    expect(names('currentBuild.getBuildCauses("x").size() > 0')).toEqual([]);
    expect(names('fileExists("a") && readFile("b").contains("c")')).toEqual([]);
    expect(names('String version(String b) { return b }')).toEqual([]);
    expect(names('println "x"')).toEqual([]);
  });

  it('keeps the arguments and the closure body of a wrapper', () => {
    const [call] = groovyCalls("withAWS(role: 'ecs-deployer-prod', roleAccount: '333333333333') {\n  sh \"terraform apply ${opts}\"\n}");
    expect(call).toMatchObject({ name: 'withAWS', knownStep: true, line: 1 });
    expect(call!.args.map((a) => [a.name, a.value])).toEqual([
      ['role', 'ecs-deployer-prod'],
      ['roleAccount', '333333333333'],
    ]);
    expect(call!.body).toHaveLength(1);
    expect(call!.body[0]).toMatchObject({ name: 'sh', line: 2, args: [{ value: 'terraform apply ${opts}', dynamic: true }] });
  });
});
