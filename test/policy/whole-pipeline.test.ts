/**
 * Existing rules see steps wherever they can run (issue #10.1): `post` blocks of stages and the
 * pipeline, matrices (environment, agent, options), wrappers and raw Groovy; and their messages
 * say what actually happens (issue #13.2). Every invalid case here was missed (or misworded) by
 * the rules before the one step-site index.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics.ts';
import type { Pipeline, Stage, Step } from '../../src/model/schema.ts';
import { runPolicy } from '../../src/policy/engine.ts';
import { findRule } from '../../src/policy/registry.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { compliant, mutate } from './fintech-fixture.ts';
import { pipeline, sh, validPipeline } from './fixtures.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;

/** The repro of issue #10: the pipeline's only deploy sits in `post { success }`. */
const POST_DEPLOY = 'aws ecs update-service --cluster prod-apps --service api --task-definition api:42';
const deployInPost = (condition: 'success' | 'always' = 'success'): Pipeline => pipeline({ post: { [condition]: [sh(POST_DEPLOY)] } });
const withToken = (steps: Step[]): Step => ({ step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'npm-token', variable: 'NPM_TOKEN' }], steps });
const matrixStage = (matrix: Partial<NonNullable<Stage['matrix']>>, steps: Step[] = [sh('make')]): Stage => ({
  name: 'Cells',
  matrix: { axes: [{ name: 'NODE', values: ['20', '22'] }], stages: [{ name: 'Cell', steps }], ...matrix },
});

tester.run(rule('FLOW-001'), {
  valid: [
    {
      name: 'a rollback to the captured previous version in post { failure } is back-out, not a release',
      pipeline: mutate((p) => {
        p.stages[p.stages.length - 1]!.post = { failure: [sh('aws ecs update-service --cluster prod-apps --service payments-api --task-definition "$PREV_TD"')] };
      }),
    },
  ],
  invalid: [
    { name: 'a deploy in the pipeline post { success }', pipeline: deployInPost(), errors: [{ path: ['post', 'success', 0], environment: 'prod', message: /'aws ecs update-service' deploys to prod without an earlier approval/ }] },
    {
      name: 'a deploy in a stage post { always }',
      pipeline: pipeline({ stages: [{ name: 'Build', steps: [sh('make')], post: { always: [sh(POST_DEPLOY)] } }] }),
      errors: [{ path: ['stages', 0, 'post', 'always', 0] }],
    },
    {
      name: 'a deploy called from a when expression',
      pipeline: pipeline({ stages: [{ name: 'Build', when: { expression: `sh("${POST_DEPLOY}"); return true` }, steps: [sh('make')] }] }),
      errors: [{ path: ['stages', 0, 'when', 'expression'] }],
    },
    {
      name: 'a deploy inside a script block',
      pipeline: pipeline({ stages: [{ name: 'Build', steps: [{ step: 'script', groovy: `if (env.BRANCH_NAME == 'main') {\n  sh '${POST_DEPLOY}'\n}` }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'groovy'] }],
    },
  ],
});

tester.run(rule('FLOW-005'), {
  valid: [compliant()],
  invalid: [
    {
      name: "a prod deploy in the pipeline's post, which no when can restrict",
      pipeline: deployInPost(),
      errors: [{ path: ['post', 'success', 0], message: /deploys to prod from the pipeline's post \{ success \}, which runs for every branch and pull request/ }],
    },
    {
      name: "credentialed typed steps in the pipeline's post",
      pipeline: mutate((p) => {
        p.post = { ...p.post, always: [{ step: 'evidenceExport', bucket: 'audit-evidence', environment: 'prod', aws: { role: 'evidence-writer', account: '444444444444', region: 'eu-west-1' } } as Step] };
      }),
      errors: [{ path: ['post', 'always', 0], message: /the pipeline's post \{ always \} runs evidenceExport with AWS credentials, also in pull-request builds/ }],
    },
  ],
});

tester.run(rule('IAM-004'), {
  valid: [compliant()],
  invalid: [{ name: "a prod deploy in the pipeline's post runs on the build agent", pipeline: deployInPost(), errors: [{ path: ['post', 'success', 0], message: /the pipeline's post deploys to prod on the pipeline's agent/ }] }],
});

tester.run(rule('DEPLOY-002'), {
  valid: [compliant()],
  invalid: [
    { name: 'a deploy in post { success } is verified like any other', pipeline: deployInPost(), errors: [{ path: ['post', 'success', 0, 'script'] }] },
    {
      // The finding attaches to the Groovy string the call is in (it has no `script` property of its own).
      name: 'a deploy called from a script block',
      pipeline: pipeline({ stages: [{ name: 'Build', steps: [{ step: 'script', groovy: `sh '${POST_DEPLOY}'` }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'groovy'] }],
    },
  ],
});

tester.run(rule('IAM-001'), {
  valid: [compliant()],
  invalid: [
    {
      name: 'static keys in a matrix environment',
      pipeline: pipeline({ stages: [matrixStage({ environment: { AWS_ACCESS_KEY_ID: { credentials: 'aws-key' } } })] }),
      errors: [{ path: ['stages', 0, 'matrix', 'environment', 'AWS_ACCESS_KEY_ID'] }],
    },
  ],
});

tester.run(rule('SECRET-003'), {
  valid: [
    { name: 'a credential piped into a command that reads it from stdin', pipeline: pipeline({ stages: [{ name: 'A', steps: [withToken([sh('echo "$NPM_TOKEN" | docker login --username ci --password-stdin registry.internal')])] }] }) },
  ],
  invalid: [
    {
      name: 'writing a credential to a file is not printing it',
      pipeline: pipeline({ stages: [{ name: 'A', steps: [withToken([sh('echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > .npmrc')])] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'steps', 0, 'script'], message: /^the script writes NPM_TOKEN \(a credential\) to \.npmrc in the workspace/ }],
    },
    {
      name: 'tee prints and writes',
      pipeline: pipeline({ stages: [{ name: 'A', steps: [withToken([sh('echo "$NPM_TOKEN" | tee token.txt')])] }] }),
      errors: [{ message: /prints NPM_TOKEN \(a credential\) to the build log and writes it to token\.txt/ }],
    },
    {
      name: 'a credential bound in a matrix environment, echoed in a cell',
      pipeline: pipeline({ stages: [matrixStage({ environment: { NEXUS: { credentials: 'nexus' } } }, [sh('echo "$NEXUS_PSW"')])] }),
      errors: [{ path: ['stages', 0, 'matrix', 'stages', 0, 'steps', 0, 'script'], message: /prints NEXUS_PSW \(a credential\) to the build log/ }],
    },
  ],
});

tester.run(rule('SCAN-008'), {
  valid: [compliant()],
  invalid: [
    {
      name: 'an unpinned scanner image as a matrix agent',
      pipeline: pipeline({ stages: [matrixStage({ agent: { type: 'docker', image: 'aquasec/trivy' } })] }),
      errors: [{ path: ['stages', 0, 'matrix', 'agent', 'image'] }],
    },
  ],
});

tester.run(rule('BASE-007'), {
  valid: [pipeline()],
  invalid: [
    {
      name: 'a plugin option of a matrix',
      pipeline: pipeline({ stages: [matrixStage({ options: { custom: [{ name: 'throttle', args: ['cells'] }] } })] }),
      errors: [{ path: ['stages', 0, 'matrix', 'options', 'custom', 0] }],
    },
  ],
});

tester.run(rule('PIPE-002'), {
  valid: [compliant()],
  invalid: [
    {
      name: 'a plugin step called inside a script block',
      pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'script', groovy: "httpRequest url: 'https://deploy.internal/hook', httpMode: 'POST'" }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'groovy'], message: "plugin step 'httpRequest' (called from raw Groovy) is not on the allowlist" }],
    },
  ],
});

describe('finding details (#13.2)', () => {
  /** One-line renderings of a rule's findings. */
  const rendered = (id: string, p: Pipeline) =>
    runPolicy(validPipeline(p), { packs: [], rules: { [id]: 'error' } }, { source: 'p.pipeline.ts' }).findings.filter((f) => f.code === id).map(formatDiagnostic);

  it('IAM-001, PIPE-001 and SECRET-003 never print a literal "expected ?" or "found ?"', () => {
    const lines = [
      ...rendered('IAM-001', pipeline({ environment: { AWS_ACCESS_KEY_ID: { credentials: 'k' } }, stages: [{ name: 'A', steps: [sh('aws configure set aws_access_key_id x'), { step: 'step', name: 'withAWS', args: { credentials: 'k' }, body: [sh('x')] }] }] })),
      ...rendered('PIPE-001', pipeline({ stages: [{ name: 'A', steps: [{ step: 'script', groovy: 'echo "x"' }, { step: 'script', groovy: 'load "x.groovy"' }] }] })),
      ...rendered('SECRET-003', pipeline({ stages: [{ name: 'A', steps: [withToken([sh('echo "$NPM_TOKEN" > .npmrc'), sh('set -x'), { step: 'script', groovy: 'sh "npm publish --token ${NPM_TOKEN}"' }])] }] })),
    ];
    // The engine's own findings about suppressions follow the same rule.
    lines.push(
      ...runPolicy(validPipeline(pipeline({ suppressions: [{ rule: 'SCAN-01', reason: 'reuses the SAST result', owner: 'team-a' }] })), {}, { source: 'p.pipeline.ts' })
        .findings.filter((f) => f.code === 'SUPP-004')
        .map(formatDiagnostic),
    );
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) {
      expect(line).toMatch(/\(expected .+, found .+\)$/);
      expect(line).not.toMatch(/expected \?|found \?/);
    }
  });
});
