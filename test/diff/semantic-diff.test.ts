import { describe, expect, it } from 'vitest';
import { bind, credentials, script, sh, step, withCredentials } from '../../src/dsl/index.ts';
import type { DeliveryEnvironment } from '../../src/model/delivery.ts';
import { PipelineSchema, type Pipeline, type Stage, type ValidPipeline } from '../../src/model/schema.ts';
import { diffPipelines, securityChanges, type PipelineChange } from '../../src/diff/semantic-diff.ts';

/** Models go through the real schema, so every fixture is a pipeline the compiler would accept. */
const valid = (pipeline: Pipeline): ValidPipeline => PipelineSchema.parse(pipeline);

const trivyFs = 'trivy fs --severity HIGH,CRITICAL --exit-code 1 --format sarif --output reports/trivy-fs.sarif .';

function service(overrides: { stages?: Stage[]; mutate?: (p: Pipeline) => void } = {}): ValidPipeline {
  const pipeline: Pipeline = {
    agent: { type: 'label', label: 'linux && docker' },
    environment: { SERVICE: 'payments-api' },
    options: { timeout: { time: 45, unit: 'MINUTES' } },
    stages: overrides.stages ?? [
      { name: 'Build', steps: [sh('npm ci', { label: 'npm ci' }), sh('npm test', { label: 'unit tests' })] },
      {
        name: 'Security scans',
        parallel: [
          { name: 'Trivy filesystem', steps: [sh(trivyFs, { label: 'trivy fs' })] },
          {
            name: 'Snyk dependencies',
            steps: [withCredentials([bind.string('snyk-token', 'SNYK_TOKEN')], [sh('snyk test --severity-threshold=high', { label: 'snyk test' })])],
          },
        ],
      },
      { name: 'Deploy to dev', when: { branch: 'main' }, steps: [sh('pipewright ecs-deploy --cluster dev-apps --service payments-api', { label: 'deploy dev' })] },
      {
        name: 'Approve production',
        agent: 'none',
        when: { branch: 'main' },
        input: { message: 'Deploy to production?', submitter: ['payments-release-managers'], submitterParameter: 'APPROVER' },
        steps: [sh('echo "approved by $APPROVER"', { label: 'record approval' })],
      },
      {
        name: 'Deploy to production',
        agent: { type: 'label', label: 'prod-deployer' },
        when: { branch: 'main' },
        steps: [sh('pipewright ecs-deploy --cluster prod-apps --service payments-api', { label: 'deploy prod' })],
      },
    ],
  };
  overrides.mutate?.(pipeline);
  return valid(pipeline);
}

/** Edits a copy of the default service pipeline. */
function edited(edit: (stages: Stage[], pipeline: Pipeline) => void): ValidPipeline {
  return service({ mutate: (p) => edit(p.stages as Stage[], p) });
}

const stage = (stages: Stage[], name: string): Stage => {
  const found = stages.flatMap((s) => [s, ...(s.parallel ?? []), ...(s.stages ?? [])]).find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};

const categories = (changes: PipelineChange[]) => securityChanges(changes).map((c) => c.security!.category);

describe('diffPipelines: structure', () => {
  it('reports nothing for identical pipelines', () => {
    expect(diffPipelines(service(), service())).toEqual([]);
  });

  it('reports an added stage with its name path and no security flag for a plain stage', () => {
    const after = edited((stages) => stages.splice(1, 0, { name: 'Lint', steps: [sh('npm run lint', { label: 'eslint' })] }));
    const changes = diffPipelines(service(), after);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'stage-added', path: 'Lint', afterPath: ['stages', 1] });
    expect(changes[0]!.security).toBeUndefined();
  });

  it('reports reordered stages as moved, not removed and added', () => {
    const after = edited((stages) => {
      const [build] = stages.splice(0, 1);
      stages.splice(1, 0, build!);
    });
    const changes = diffPipelines(service(), after);
    expect(changes.map((c) => c.kind)).toEqual(['stage-moved']);
    expect(changes[0]!.path).toBe('Build');
    expect(changes[0]!.message).toContain('position 1 → 2');
  });

  it('reports a nested stage that changed parent as moved, with the contents still compared', () => {
    const after = edited((stages) => {
      const scans = stage(stages, 'Security scans');
      const trivy = scans.parallel!.splice(0, 1)[0]!;
      (trivy.steps![0] as { label: string }).label = 'trivy filesystem';
      stages.splice(0, 0, trivy);
    });
    const changes = diffPipelines(service(), after);
    const moved = changes.find((c) => c.kind === 'stage-moved');
    expect(moved?.message).toBe('stage moved from "Security scans › Trivy filesystem" to "Trivy filesystem"');
    // The scan still exists with the same gate: nothing security-relevant.
    expect(securityChanges(changes)).toEqual([]);
    expect(changes.some((c) => c.kind === 'step-changed' && c.path.endsWith('label'))).toBe(true);
  });

  it('reports step changes per field with old and new values', () => {
    const after = edited((stages) => {
      stage(stages, 'Build').steps![1] = sh('npm test -- --ci', { label: 'unit tests' });
    });
    const changes = diffPipelines(service(), after);
    expect(changes).toEqual([
      {
        kind: 'step-changed',
        subject: 'step',
        action: 'changed',
        path: 'Build › steps › step 2 (sh "unit tests") › script',
        message: 'script: "npm test" → "npm test -- --ci"',
        before: 'npm test',
        after: 'npm test -- --ci',
        beforePath: ['stages', 0, 'steps', 1, 'script'],
        afterPath: ['stages', 0, 'steps', 1, 'script'],
      },
    ]);
  });

  it('reports steps added, removed and moved within a stage', () => {
    const after = edited((stages) => {
      const build = stage(stages, 'Build');
      build.steps = [sh('npm test', { label: 'unit tests' }), sh('npm ci', { label: 'npm ci' }), sh('npm run build', { label: 'build' })];
    });
    const kinds = diffPipelines(service(), after).map((c) => `${c.kind} ${c.path}`);
    expect(kinds).toEqual(['step-added Build › steps › step 3 (sh "build")', 'step-moved Build › steps › step 2 (sh "npm ci")']);
  });

  it('pairs a shell step whose label and arguments changed by its command', () => {
    const after = edited((stages) => {
      stage(stages, 'Build').steps![0] = sh('npm ci --prefer-offline', { label: 'install' });
    });
    expect(diffPipelines(service(), after).map((c) => c.message)).toEqual([
      'script: "npm ci" → "npm ci --prefer-offline"',
      'label: "npm ci" → "install"',
    ]);
  });

  it('reports pipeline-level environment, options, parameters, triggers and post changes', () => {
    const after = edited((_, p) => {
      p.environment = { SERVICE: 'payments', REGION: 'eu-west-1' };
      p.options = { timeout: { time: 30, unit: 'MINUTES' } };
      p.parameters = [{ type: 'string', name: 'VERSION' }];
      p.triggers = { cron: 'H 2 * * *' };
      p.post = { always: [sh('echo done', { label: 'done' })] };
    });
    const changes = diffPipelines(service(), after);
    expect(changes.map((c) => `${c.kind}: ${c.message}`)).toEqual([
      'environment-changed: environment.SERVICE: "payments-api" → "payments"',
      'environment-added: environment.REGION added: "eu-west-1"',
      'option-changed: options.timeout: {"time":45,"unit":"MINUTES"} → {"time":30,"unit":"MINUTES"}',
      'parameter-added: parameter VERSION added: {"type":"string","name":"VERSION"}',
      'trigger-added: triggers.cron added: "H 2 * * *"',
      'post-added: post step added: sh "done"',
    ]);
    expect(securityChanges(changes)).toEqual([]);
  });

  it('reports stage agent, when and body-kind changes', () => {
    const after = edited((stages) => {
      const build = stage(stages, 'Build');
      build.agent = { type: 'docker', image: 'node:20' };
      build.when = { changeset: 'src/**' };
    });
    const changes = diffPipelines(service(), after);
    expect(changes.map((c) => `${c.kind} ${c.path}: ${c.message}`)).toEqual([
      'agent-added Build › agent: Build › agent set to docker node:20',
      'when-added Build › when: runs only when changeset src/**',
    ]);
  });

  it('reports matrix axes changes', () => {
    const matrixStage = (values: string[]): Stage[] => [
      { name: 'Compat', matrix: { axes: [{ name: 'NODE', values }], stages: [{ name: 'Test', steps: [sh('npm test')] }] } },
    ];
    const changes = diffPipelines(service({ stages: matrixStage(['18', '20']) }), service({ stages: matrixStage(['20', '22']) }));
    expect(changes.map((c) => c.message)).toEqual(['matrix axis NODE: 18, 20 → 20, 22']);
  });

  it('summarises an added pipeline and lists only what security reviewers must see', () => {
    const changes = diffPipelines(undefined, service());
    expect(changes.at(-1)).toMatchObject({ kind: 'pipeline-added' });
    expect(categories(changes)).toEqual(['credential-added']);
    expect(diffPipelines(service(), undefined).map((c) => c.kind)).toEqual(['pipeline-removed']);
  });
});

describe('diffPipelines: security classification', () => {
  it('flags a removed scan stage as scan-removed and lists it first', () => {
    const after = edited((stages, p) => {
      stage(stages, 'Security scans').parallel!.splice(0, 1);
      p.environment = { SERVICE: 'payments' };
    });
    const changes = diffPipelines(service(), after);
    expect(changes[0]).toMatchObject({ kind: 'stage-removed', path: 'Security scans › Trivy filesystem' });
    expect(changes[0]!.security).toEqual({
      category: 'scan-removed',
      reason: 'trivy fs scan removed (was in stage "Security scans › Trivy filesystem")',
    });
    expect(changes[1]!.kind).toBe('environment-changed');
  });

  it('flags a scan removed from a multi-line script (the step stays)', () => {
    const before = edited((stages) => {
      stage(stages, 'Build').steps![1] = sh(['npm test', 'trivy image --severity CRITICAL --exit-code 1 app'].join('\n'), { label: 'test and scan' });
    });
    const after = edited((stages) => {
      stage(stages, 'Build').steps![1] = sh('npm test', { label: 'test and scan' });
    });
    const changes = diffPipelines(before, after);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'step-changed', security: { category: 'scan-removed' } });
    expect(changes[0]!.security!.reason).toContain('trivy image scan removed');
  });

  it('flags a lowered severity threshold and a relaxed exit code as scan-weakened', () => {
    const after = edited((stages) => {
      stage(stages, 'Trivy filesystem').steps = [sh(trivyFs.replace('HIGH,CRITICAL', 'CRITICAL').replace('--exit-code 1', '--exit-code 0'), { label: 'trivy fs' })];
    });
    const [first, ...rest] = diffPipelines(service(), after);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ kind: 'step-changed', path: 'Security scans › Trivy filesystem › steps › step 1 (sh "trivy fs") › script' });
    expect(first!.security!.category).toBe('scan-weakened');
    expect(first!.security!.reason).toContain('no longer fails the build');
    expect(first!.security!.reason).toContain('severity threshold lowered: HIGH,CRITICAL → CRITICAL (HIGH findings no longer fail the build)');
  });

  it('does not flag a stricter gate', () => {
    const after = edited((stages) => {
      stage(stages, 'Trivy filesystem').steps = [sh(trivyFs.replace('HIGH,CRITICAL', 'MEDIUM,HIGH,CRITICAL'), { label: 'trivy fs' })];
    });
    const changes = diffPipelines(service(), after);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.security).toBeUndefined();
  });

  it('flags `|| true`, returnStatus and a Snyk threshold raise as scan-weakened', () => {
    const swallow = edited((stages) => {
      stage(stages, 'Trivy filesystem').steps = [sh(`${trivyFs} || true`, { label: 'trivy fs' })];
    });
    expect(diffPipelines(service(), swallow)[0]!.security).toMatchObject({ category: 'scan-weakened' });
    expect(diffPipelines(service(), swallow)[0]!.security!.reason).toContain('"|| true" ignores its exit code');

    const returnStatus = edited((stages) => {
      stage(stages, 'Trivy filesystem').steps = [sh(trivyFs, { label: 'trivy fs', returnStatus: true, returnStatusReason: 'report only for now, see SEC-1' })];
    });
    const rs = diffPipelines(service(), returnStatus);
    expect(rs[0]).toMatchObject({ path: expect.stringMatching(/returnStatus$/), security: { category: 'scan-weakened' } });
    expect(rs[0]!.security!.reason).toContain('returnStatus: true ignores its exit code');

    const snyk = edited((stages) => {
      stage(stages, 'Snyk dependencies').steps = [
        withCredentials([bind.string('snyk-token', 'SNYK_TOKEN')], [sh('snyk test --severity-threshold=critical', { label: 'snyk test' })]),
      ];
    });
    const sn = diffPipelines(service(), snyk);
    expect(sn[0]!.security!.reason).toContain('severity threshold lowered: HIGH,CRITICAL → CRITICAL');
  });

  it('reads typed delivery scan steps with their defaults (ignoreUnfixed added, exit code 0)', () => {
    const typed = (extra: Record<string, unknown>): ValidPipeline =>
      service({ stages: [{ name: 'Scan', steps: [{ step: 'trivyScan', target: 'image', version: '0.58.1', ...extra } as never] }] });
    const unfixed = diffPipelines(typed({}), typed({ ignoreUnfixed: { rationale: 'base image CVEs without fixes, tracked in SEC-12' } }));
    expect(unfixed[0]!.security).toEqual({
      category: 'scan-weakened',
      reason: 'trivy image gate weakened in stage "Scan": ignores unfixed vulnerabilities now (ignoreUnfixed added)',
    });
    // Writing the default explicitly changes nothing that matters.
    expect(securityChanges(diffPipelines(typed({}), typed({ severity: ['HIGH', 'CRITICAL'], exitCode: 1 })))).toEqual([]);
    const exitZero = diffPipelines(typed({}), typed({ exitCode: 0 }));
    expect(exitZero[0]).toMatchObject({ path: expect.stringMatching(/exitCode$/), security: { category: 'scan-weakened' } });
  });

  it('flags a removed approval, a removed approval stage and widened submitters', () => {
    const noInput = edited((stages) => {
      delete stage(stages, 'Approve production').input;
    });
    expect(diffPipelines(service(), noInput)[0]).toMatchObject({ kind: 'input-removed', security: { category: 'approval-removed' } });

    const noStage = edited((stages) => {
      stages.splice(stages.findIndex((s) => s.name === 'Approve production'), 1);
    });
    const removed = diffPipelines(service(), noStage);
    expect(removed[0]).toMatchObject({ kind: 'stage-removed', path: 'Approve production', security: { category: 'approval-removed' } });
    expect(removed[0]!.security!.reason).toContain('"Deploy to production?" by payments-release-managers');

    const wider = edited((stages) => {
      stage(stages, 'Approve production').input!.submitter = ['payments-release-managers', 'developers'];
    });
    expect(diffPipelines(service(), wider)[0]!.security).toEqual({ category: 'approval-widened', reason: 'new approvers: developers' });

    const anyone = edited((stages) => {
      delete stage(stages, 'Approve production').input!.submitter;
    });
    expect(diffPipelines(service(), anyone)[0]!.security!.reason).toContain('anyone with Build permission');

    const narrower = edited((stages) => {
      stage(stages, 'Approve production').input!.submitter = 'payments-release-managers,cab';
    });
    const narrowed = diffPipelines(service(), narrower);
    expect(narrowed[0]!.security).toMatchObject({ category: 'approval-widened', reason: 'new approvers: cab' });
  });

  it('does not flag an approval that moved to a renamed stage, but flags a deploy that no longer waits for one', () => {
    const renamed = edited((stages) => {
      stage(stages, 'Approve production').name = 'Production approval';
    });
    const changes = diffPipelines(service(), renamed);
    expect(changes.map((c) => c.kind)).toEqual(['stage-removed', 'stage-added']);
    expect(securityChanges(changes)).toEqual([]);

    const reordered = edited((stages) => {
      const approve = stages.findIndex((s) => s.name === 'Approve production');
      stages.push(stages.splice(approve, 1)[0]!);
    });
    const moved = diffPipelines(service(), reordered);
    expect(securityChanges(moved)).toEqual([
      expect.objectContaining({
        kind: 'stage-changed',
        path: 'Deploy to production',
        security: {
          category: 'approval-removed',
          reason:
            'deploy stage "Deploy to production" (prod) no longer waits for an approval (it waited for "Deploy to production?" by payments-release-managers)',
        },
      }),
    ]);
  });

  it('treats equivalent branch conditions as equal', () => {
    const exact = edited((stages) => {
      stage(stages, 'Deploy to production').when = { branch: { pattern: 'main', comparator: 'EQUALS' } };
    });
    const changes = diffPipelines(service(), exact);
    expect(changes.map((c) => c.kind)).toEqual(['when-changed']);
    expect(securityChanges(changes)).toEqual([]);
    const glob = edited((stages) => {
      stage(stages, 'Deploy to production').when = { branch: 'main*' };
    });
    expect(categories(diffPipelines(service(), glob))).toEqual(['deploy-branch-widened']);
  });

  it('flags a deploy allowed from a new branch, and not a narrowed one', () => {
    const released = edited((stages) => {
      stage(stages, 'Deploy to production').when = { branch: 'release/*' };
    });
    const changes = diffPipelines(service(), released);
    expect(changes[0]).toMatchObject({ kind: 'when-changed', path: 'Deploy to production › when', security: { category: 'deploy-branch-widened' } });
    expect(changes[0]!.security!.reason).toBe(
      'deploy stage "Deploy to production" (prod) may run in new situations: no longer requires branch main; requires branch release/* instead',
    );

    const unconditional = edited((stages) => {
      delete stage(stages, 'Deploy to dev').when;
    });
    expect(categories(diffPipelines(service(), unconditional))).toEqual(['deploy-branch-widened']);

    const narrowed = edited((stages) => {
      stage(stages, 'Deploy to production').when = { branch: 'main', not: { changeRequest: true } };
    });
    const n = diffPipelines(service(), narrowed);
    expect(n.map((c) => c.kind)).toEqual(['when-changed']);
    expect(n[0]!.security).toBeUndefined();

    const orTags = edited((stages) => {
      stage(stages, 'Deploy to production').when = { anyOf: [{ branch: 'main' }, { tag: 'v*' }] };
    });
    expect(securityChanges(diffPipelines(service(), orTags))[0]!.security!.reason).toBe(
      'deploy stage "Deploy to production" (prod) may run in new situations: no longer requires branch main; requires (branch main or tag v*) instead',
    );

    const newDeploy = edited((stages) => {
      stages.push({ name: 'Deploy to stage', steps: [sh('aws ecs update-service --cluster stage --service api', { label: 'deploy stage' })] });
    });
    expect(diffPipelines(service(), newDeploy)[0]).toMatchObject({ kind: 'stage-added', security: { category: 'deploy-branch-widened' } });
  });

  it('flags a loosened condition on an enclosing stage', () => {
    const nested = (when?: Stage['when']): ValidPipeline =>
      service({
        stages: [{ name: 'Release', ...(when ? { when } : {}), stages: [{ name: 'Deploy', steps: [sh('helm upgrade api ./chart', { label: 'helm' })] }] }],
      });
    const changes = diffPipelines(nested({ branch: 'main' }), nested());
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'when-removed', path: 'Release › when', security: { category: 'deploy-branch-widened' } });
  });

  it('flags new credentials (withCredentials, credentials(), typed steps, AWS roles) but not removed ones', () => {
    const after = edited((stages, p) => {
      p.environment = { SERVICE: 'payments-api', NPM: credentials('npm-publish') };
      stage(stages, 'Build').steps!.push(withCredentials([bind.file('kubeconfig-prod', 'KUBECONFIG')], [sh('kubectl get pods', { label: 'pods' })]));
      stages.push({
        name: 'Notify',
        steps: [
          { step: 'notify', event: 'deployed', targets: [{ kind: 'slack', channel: '#deploys', tokenCredentialId: 'slack-bot' }] } as never,
          step('withAWS', { role: 'reader', roleAccount: '111111111111' }, [sh('aws sts get-caller-identity')]),
        ],
      });
    });
    const credentialChanges = diffPipelines(service(), after).filter((c) => c.subject === 'credential');
    expect(credentialChanges.map((c) => [c.after, c.security?.category])).toEqual([
      ['npm-publish', 'credential-added'],
      ['kubeconfig-prod', 'credential-added'],
      ['slack-bot', 'credential-added'],
      ['arn:aws:iam::111111111111:role/reader', 'credential-added'],
    ]);
    const gone = edited((stages) => {
      stage(stages, 'Snyk dependencies').steps = [sh('snyk test --severity-threshold=high', { label: 'snyk test' })];
    });
    const removed = diffPipelines(service(), gone).filter((c) => c.subject === 'credential');
    expect(removed).toMatchObject([{ kind: 'credential-removed', before: 'snyk-token' }]);
    expect(removed[0]!.security).toBeUndefined();
  });

  it('flags a delivery environment that lost its approval or may release from new refs', () => {
    const prod: DeliveryEnvironment = {
      name: 'prod',
      awsAccountId: '333333333333',
      region: 'eu-west-1',
      deployRole: 'ecs-deployer-prod',
      agentLabel: 'prod-deployer',
      target: { kind: 'ecs', cluster: 'prod', service: 'api', container: 'app' },
      approval: { submitters: ['release-managers'] },
      releaseFrom: { branches: ['main'] },
    };
    const withEnv = (env: DeliveryEnvironment) =>
      edited((_, p) => {
        p.environments = [env];
      });
    const { approval: _approval, ...unapproved } = prod;
    const lost = diffPipelines(withEnv(prod), withEnv(unapproved));
    expect(lost.map((c) => [c.kind, c.path, c.security])).toEqual([
      ['input-removed', 'environments.prod.approval', { category: 'approval-removed', reason: 'deploys to prod no longer need an approval' }],
    ]);
    const tags = diffPipelines(withEnv(prod), withEnv({ ...prod, releaseFrom: { branches: ['main'], tags: 'v*' } }));
    expect(tags[0]!.security).toEqual({ category: 'deploy-branch-widened', reason: 'deploys to prod allowed from tags v* now' });
    const selfApproval = diffPipelines(withEnv(prod), withEnv({ ...prod, approval: { submitters: ['release-managers'], forbidSelfApproval: false } }));
    expect(selfApproval[0]!.security!.category).toBe('approval-widened');
  });

  it('flags the removal of the separation-of-duties approval check', () => {
    const check = { step: 'approvalCheck', environment: 'prod' } as never;
    const withCheck = edited((stages) => {
      stage(stages, 'Approve production').steps = [check];
    });
    const without = edited((stages) => {
      stage(stages, 'Approve production').steps = [sh('echo ok', { label: 'ok' })];
    });
    const changes = securityChanges(diffPipelines(withCheck, without));
    expect(changes).toEqual([
      expect.objectContaining({
        kind: 'step-removed',
        security: { category: 'approval-widened', reason: 'the approval check (separation of duties, change ticket) is gone' },
      }),
    ]);
  });

  it('flags an existing credential bound in a stage that did not have it', () => {
    const after = edited((stages) => {
      stage(stages, 'Build').steps!.push(withCredentials([bind.string('snyk-token', 'SNYK_TOKEN')], [sh('npm run report', { label: 'report' })]));
    });
    const changes = diffPipelines(service(), after);
    expect(changes[0]).toMatchObject({ kind: 'credential-added', path: 'Build', security: { category: 'credential-added' } });
  });

  it('flags raw script, raw step and groovy() escape hatches', () => {
    const after = edited((stages, p) => {
      stage(stages, 'Build').steps!.push(script('currentBuild.description = "x"'));
      stage(stages, 'Build').steps!.push(step('recordIssues', { tools: [] }));
      p.environment = { SERVICE: { $groovy: 'env.JOB_NAME' } };
    });
    const changes = securityChanges(diffPipelines(service(), after));
    expect(changes.map((c) => [c.kind, c.security!.category])).toEqual([
      ['environment-changed', 'escape-hatch'],
      ['step-added', 'escape-hatch'],
      ['step-added', 'escape-hatch'],
    ]);
    expect(changes[1]!.security!.reason).toBe('raw Groovy script block (script "currentBuild.description = \\"x\\"")');
  });

  it('flags an added policy suppression on a stage, a step and the pipeline', () => {
    const suppression = { rule: 'SCAN-002', reason: 'scanner outage, tracked in SEC-99', owner: 'platform', expires: '2026-12-31' };
    const after = edited((stages, p) => {
      stage(stages, 'Build').suppressions = [suppression];
      (stage(stages, 'Trivy filesystem').steps![0] as { suppressions?: unknown[] }).suppressions = [suppression];
      p.suppressions = [{ ...suppression, rule: 'IAM-004' }];
    });
    const changes = diffPipelines(service(), after);
    expect(changes.map((c) => [c.kind, c.path, c.security?.category])).toEqual([
      ['suppression-added', 'suppressions', 'suppression-added'],
      ['suppression-added', 'Build › suppressions', 'suppression-added'],
      ['suppression-added', 'Security scans › Trivy filesystem › steps › step 1 (sh "trivy fs") › suppressions', 'suppression-added'],
    ]);
    expect(changes[0]!.security!.reason).toBe('policy rule IAM-004 is suppressed (owner platform, until 2026-12-31)');
  });

  it('flags agent any on a deploy stage (own agent or inherited from the pipeline)', () => {
    const own = edited((stages) => {
      stage(stages, 'Deploy to production').agent = 'any';
    });
    expect(diffPipelines(service(), own)[0]).toMatchObject({ kind: 'agent-changed', path: 'Deploy to production › agent', security: { category: 'deploy-agent-any' } });

    const inherited = edited((_, p) => {
      p.agent = 'any';
    });
    const changes = diffPipelines(service(), inherited);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'agent-changed', path: 'agent', security: { category: 'deploy-agent-any' } });
    expect(changes[0]!.security!.reason).toContain('"Deploy to dev" (dev) runs on agent any');
  });

  it('orders security changes by seriousness, then everything else in model order', () => {
    const after = edited((stages, p) => {
      p.environment = { SERVICE: 'x', TOKEN: credentials('new-token') };
      stage(stages, 'Security scans').parallel!.splice(0, 1);
      stage(stages, 'Build').steps![0] = sh('npm ci --prefer-offline', { label: 'npm ci' });
    });
    const changes = diffPipelines(service(), after);
    expect(changes.map((c) => c.security?.category ?? c.kind)).toEqual([
      'scan-removed',
      'credential-added',
      'environment-changed',
      'environment-added',
      'step-changed',
    ]);
  });
});
