/**
 * What the policy computes once and reuses (issue #14): results kept by exact input (long secret
 * candidates, task-definition templates, environment-name patterns), per-pipeline facts shared by
 * several rules, and the index walks that build paths only where they are needed. Each case feeds
 * two inputs that differ as little as possible and checks that each gets its own answer.
 */
import { describe, expect, it } from 'vitest';
import type { Pipeline, Step } from '../../src/model/schema.ts';
import { agentEnvironment, productionCapabilities, type ProductionReach } from '../../src/policy/capabilities.ts';
import { runPolicy } from '../../src/policy/engine.ts';
import { controlKindsOf, DELIVERY_STEP_KINDS, type ControlKind } from '../../src/model/delivery-defaults.ts';
import { deliveryFacts, environmentIn, shellControls, stepsWithControl } from '../../src/policy/facts.ts';
import { indexPipeline } from '../../src/policy/model-index.ts';
import { findSecret } from '../../src/policy/secrets.ts';
import { accounts, compliant, deployStep, mutate, STAGE } from './fintech-fixture.ts';
import { pipeline, sh, validPipeline } from './fixtures.ts';

const now = new Date('2026-12-07T00:00:00Z');

describe('findSecret (kept by name and exact value)', () => {
  // Entropy log2(10) ≈ 3.3: a secret under a secret-like name, but no high-entropy token.
  const lowEntropy = 'abcdefgh12'.repeat(8);
  const awsKey = `echo "deploying with the release tooling of the platform team" AKIA${'Q'.repeat(16)}`;

  it('judges the same long value under each name', () => {
    expect(lowEntropy.length).toBeGreaterThanOrEqual(64);
    expect(findSecret(lowEntropy, 'DB_PASSWORD')?.kind).toBe('high-entropy value of DB_PASSWORD');
    expect(findSecret(lowEntropy, 'label')).toBeUndefined();
    expect(findSecret(lowEntropy)).toBeUndefined();
    expect(findSecret(lowEntropy, 'DB_PASSWORD')?.kind).toBe('high-entropy value of DB_PASSWORD');
  });

  it('judges a short value under each name', () => {
    for (let round = 0; round < 2; round++) {
      expect(findSecret('kX9mQ2vL7pR4', 'password')).toEqual({ kind: 'high-entropy value of password', redacted: 'kX9m********' });
      expect(findSecret('kX9mQ2vL7pR4', 'label')).toBeUndefined();
      expect(findSecret('kX9mQ2vL7p R4', 'password')).toBeUndefined();
    }
  });

  it('gives values one character apart their own answers, again on the second call', () => {
    const harmless = awsKey.replace('AKIA', 'AKIB');
    for (let round = 0; round < 2; round++) {
      expect(findSecret(awsKey, 'script')).toEqual({ kind: 'AWS access key id', redacted: 'AKIA********' });
      expect(findSecret(harmless, 'script')).toBeUndefined();
    }
  });
});

describe('task-definition templates (parsed and linted once per exact text)', () => {
  const template = (user: string, secretAccount: string) =>
    JSON.stringify({
      family: 'payments-api',
      taskRoleArn: 'arn:aws:iam::333333333333:role/payments-task',
      executionRoleArn: 'arn:aws:iam::333333333333:role/payments-exec',
      containerDefinitions: [
        {
          name: 'app',
          user,
          readonlyRootFilesystem: true,
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/payments-api' } },
          secrets: [{ name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:eu-west-1:${secretAccount}:secret:db-AbCdEf` }],
        },
      ],
    });
  const codes = (p: Pipeline, files: Record<string, string>) =>
    runPolicy(validPipeline(p), { packs: ['fintech'] }, { source: 'pipelines/x.pipeline.ts', now, readFile: (f) => files[f] })
      .findings.filter((f) => f.code === 'SECRET-005' || f.code === 'DEPLOY-005' || f.code === 'OBS-001')
      .map((f) => `${f.code} ${f.message}`);

  it('reports what each text holds, whatever was linted before', () => {
    const hardened = template('1000:1000', accounts.prod);
    const root = template('0', accounts.prod);
    const files = (text: string) => ({ 'deploy/taskdef.dev.json': text, 'deploy/taskdef.stage.json': text, 'deploy/taskdef.prod.json': text });
    for (let round = 0; round < 2; round++) {
      const clean = codes(compliant(), files(hardened));
      expect(clean.filter((c) => c.startsWith('DEPLOY-005'))).toEqual([]);
      const rooted = codes(compliant(), files(root));
      expect(rooted.filter((c) => c.startsWith('DEPLOY-005'))).toHaveLength(3);
      expect(rooted.every((c) => !c.startsWith('DEPLOY-005') || c.includes('runs as root'))).toBe(true);
    }
  });

  it('checks the same text against the account of each deploy', () => {
    const text = template('1000:1000', accounts.prod);
    const findings = codes(compliant(), { 'deploy/taskdef.dev.json': text, 'deploy/taskdef.prod.json': text });
    // dev deploys in account 111…, the secret is in 333…: only dev's template is in the wrong account.
    expect(findings.filter((c) => c.startsWith('SECRET-005'))).toEqual([
      `SECRET-005 deploy/taskdef.dev.json (containerDefinitions[0].secrets[0]): container app takes secret DB_PASSWORD from account ${accounts.prod}, not the account it is deployed in (${accounts.dev})`,
    ]);
  });

  it('reads each file once per run, and again in the next run', () => {
    const reads: string[] = [];
    const run = (user: string) =>
      runPolicy(validPipeline(compliant()), { packs: ['fintech'] }, {
        source: 'x',
        now,
        readFile: (f) => {
          reads.push(f);
          return f === 'deploy/taskdef.prod.json' ? template(user, accounts.prod) : undefined;
        },
      }).findings.filter((f) => f.code === 'DEPLOY-005');
    expect(run('0')).toHaveLength(1);
    expect(reads.filter((f) => f === 'deploy/taskdef.prod.json')).toHaveLength(1);
    expect(run('1000:1000')).toEqual([]);
    expect(reads.filter((f) => f === 'deploy/taskdef.prod.json')).toHaveLength(2);
  });

  it('reports a template that is not JSON with its own parse error', () => {
    const broken = codes(compliant(), { 'deploy/taskdef.prod.json': '{ "family": ' });
    const other = codes(compliant(), { 'deploy/taskdef.prod.json': '{ "family" ' });
    expect(broken).toHaveLength(1);
    expect(other).toHaveLength(1);
    expect(broken[0]).toMatch(/^SECRET-005 deploy\/taskdef\.prod\.json is not valid JSON \(/);
    expect(broken[0]).not.toBe(other[0]);
  });
});

describe('environment names in free text (patterns kept by name)', () => {
  it('finds each name as a word, and only that name', () => {
    expect(environmentIn('Deploy prod-eu', ['prod-eu', 'prod'])).toBe('prod-eu');
    expect(environmentIn('Deploy prod', ['prod-eu', 'prod'])).toBe('prod');
    expect(environmentIn('Deploy product', ['prod-eu', 'prod'])).toBeUndefined();
    expect(environmentIn('Deploy a.b', ['a.b'])).toBe('a.b');
    expect(environmentIn('Deploy axb', ['a.b'])).toBeUndefined();
  });
});

describe('agent labels (atoms kept by exact label)', () => {
  it('reads each label expression for itself', () => {
    const reach = { labels: new Map([['prod-deployer', 'prod']]) } as unknown as ProductionReach;
    const agent = (label: string) => ({ type: 'label' as const, label });
    for (let round = 0; round < 2; round++) {
      expect(agentEnvironment(agent('linux && prod-deployer'), reach)).toEqual({ environment: 'prod', label: 'prod-deployer' });
      expect(agentEnvironment(agent('linux && !prod-deployer'), reach)).toBeUndefined();
      expect(agentEnvironment(agent('linux && prod-deployers'), reach)).toBeUndefined();
    }
  });
});

describe('production capabilities (kept by scope, per reach)', () => {
  /** A reach where one credential id and one agent label are production. */
  const reachOf = (credential: string, label: string): ProductionReach =>
    ({
      environments: ['prod'],
      accounts: new Map(),
      roles: new Map(),
      labels: new Map([[label, 'prod']]),
      credentialEnvironment: (id: string) => (id === credential ? 'prod' : undefined),
      namedEnvironment: () => undefined,
    }) as ProductionReach;
  const model = validPipeline(
    pipeline({
      agent: { type: 'label', label: 'linux' },
      stages: [
        {
          name: 'A',
          steps: [
            sh('make'),
            { step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'db-main', variable: 'DB' }], steps: [sh('migrate'), sh('seed')] } as Step,
          ],
        },
        { name: 'B', agent: { type: 'label', label: 'prod-deployer' }, steps: [sh('deploy')] },
      ],
    }),
  );

  it('answers each scope for itself, and each reach for itself, in either order', () => {
    const index = indexPipeline(model);
    const site = (script: string) => index.steps.find((s) => s.step.step === 'sh' && s.step.script === script)!;
    const described = (script: string, reach: ProductionReach) => productionCapabilities(site(script), reach).map((c) => c.description);
    const withDb = reachOf('db-main', 'prod-deployer');
    const withOther = reachOf('db-other', 'linux');
    for (let round = 0; round < 2; round++) {
      // Steps of one wrapper body share a scope; the step beside the wrapper has another.
      expect(described('migrate', withDb)).toEqual(["credential 'db-main' (withCredentials)"]);
      expect(described('seed', withDb)).toEqual(["credential 'db-main' (withCredentials)"]);
      expect(described('make', withDb)).toEqual([]);
      expect(described('deploy', withDb)).toEqual(["agent label 'prod-deployer'"]);
      // The same scopes under a reach that differs in the credential and the label.
      expect(described('migrate', withOther)).toEqual(["agent label 'linux'"]);
      expect(described('make', withOther)).toEqual(["agent label 'linux'"]);
      expect(described('deploy', withOther)).toEqual([]);
    }
    // Another index of the same model has scopes of its own, answered afresh.
    const again = indexPipeline(model);
    const migrate = again.steps.find((s) => s.step.step === 'sh' && s.step.script === 'migrate')!;
    expect(productionCapabilities(migrate, withOther).map((c) => c.description)).toEqual(["agent label 'linux'"]);
  });
});

describe('facts several rules share (computed once per pipeline)', () => {
  it('two pipelines do not share their steps', () => {
    const first = runPolicy(validPipeline(compliant()), { packs: ['fintech'] }, { source: 'a', now });
    const second = runPolicy(
      validPipeline(mutate((p) => p.stages.splice(STAGE.image, 0, { name: 'Second image', steps: [sh('docker build --pull -t "$IMG:$GIT_COMMIT" --label org.opencontainers.image.revision="$GIT_COMMIT" .')] }))),
      { packs: ['fintech'] },
      { source: 'b', now },
    );
    expect(first.findings.filter((f) => f.code === 'FLOW-006')).toEqual([]);
    expect(second.findings.filter((f) => f.code === 'FLOW-006').map((f) => f.message)).toContain(
      'the run builds a second image; build once and promote the pushed digest',
    );
    // And the first pipeline again, after the second: still nothing.
    expect(runPolicy(validPipeline(compliant()), { packs: ['fintech'] }, { source: 'a', now }).findings.filter((f) => f.code === 'FLOW-006')).toEqual([]);
  });
});

describe('delivery facts (one pass over the steps; shell scripts judged once per exact text)', () => {
  const CONTROL_KINDS: readonly ControlKind[] = [
    'build', 'test', 'sast', 'sastGate', 'sca', 'fsScan', 'secretScan', 'imageScan', 'dockerBuild', 'ecrPush',
    'sbom', 'sign', 'deploy', 'dns', 'approval', 'evidenceExport', 'notify', 'flags',
  ];
  /** Facts of a pipeline whose `Build` stage runs these scripts and whose failure post runs `rollback`. */
  const factsOf = (scripts: string[], rollback: string) =>
    deliveryFacts(
      indexPipeline(
        validPipeline(
          pipeline({
            stages: [{ name: 'Build prod', steps: scripts.map((script) => sh(script)) }],
            post: { failure: [sh(rollback)] },
          }),
        ),
      ),
    );

  it('gives scripts one change apart their own deploy, push and rollback answers, in either order', () => {
    const rollback = 'aws ecs update-service --cluster c --service s --task-definition "$PREV"';
    const real = () => factsOf(['docker push "$IMG"', 'aws ecs update-service --cluster c --service s'], rollback);
    const near = () => factsOf(['docker pusx "$IMG"', 'aws ecs update-services --cluster c --service s'], rollback.replace('PREV', 'PREX'));
    for (const realFirst of [true, false]) {
      const first = realFirst ? real() : near();
      const second = realFirst ? near() : real();
      const [a, b] = realFirst ? [first, second] : [second, first];
      expect(a.pushes.map((p) => p.path)).toEqual([['stages', 0, 'steps', 0]]);
      expect(a.deploys.map((d) => [d.command, d.environment, d.info.path])).toEqual([['aws ecs update-service', 'prod', ['stages', 0, 'steps', 1]]]);
      expect(a.rollbacks.map((r) => r.path)).toEqual([['post', 'failure', 0]]);
      expect(b.pushes).toEqual([]);
      // Not a rollback now: the post's update-service is a deploy of its own (from the pipeline's post).
      expect(b.deploys.map((d) => [d.command, d.info.path])).toEqual([['aws ecs update-service', ['post', 'failure', 0]]]);
      expect(b.rollbacks).toEqual([]);
    }
  });

  it('lists steps by kind and control as filters and a sort of the steps would', () => {
    const pipelines = [
      compliant(),
      mutate((p) => {
        // Hand-written controls before, between and after typed ones, one script with two controls.
        p.stages[STAGE.build]!.steps!.unshift(sh('trivy fs --scanners vuln,secret .'));
        p.stages[STAGE.scans]!.parallel![0]!.steps!.push(sh('semgrep ci\nsyft dir:. -o cyclonedx-json'));
        p.stages[STAGE.publish]!.steps!.push(sh('cosign sign "$IMG"'), sh('docker build -t x .'));
      }),
      pipeline({ stages: [{ name: 'A', steps: [sh('gitleaks detect'), sh('npm audit'), sh('make')] }] }),
    ];
    for (const p of pipelines) {
      const index = indexPipeline(validPipeline(p));
      const facts = deliveryFacts(index);
      const delivery = index.steps.filter((s) => (DELIVERY_STEP_KINDS as readonly string[]).includes(s.step.step));
      expect(facts.delivery).toEqual(delivery);
      expect(facts.shell).toEqual(index.steps.filter((s) => s.step.step === 'sh'));
      for (const kind of DELIVERY_STEP_KINDS) expect(facts.ofKind(kind)).toEqual(delivery.filter((s) => s.step.step === kind));
      for (const kind of CONTROL_KINDS) {
        const typed = delivery.filter((s) => controlKindsOf(s.step as Parameters<typeof controlKindsOf>[0]).includes(kind));
        expect(facts.withControl(kind)).toEqual(typed);
        const byHand = facts.shell.filter((s) => shellControls(s.step.script).includes(kind));
        expect(stepsWithControl(facts, kind)).toEqual([...typed, ...byHand].sort((a, b) => a.order - b.order));
      }
    }
    // The mutated pipeline has hand-written and typed steps of the same controls.
    const mixed = deliveryFacts(indexPipeline(validPipeline(pipelines[1]!)));
    expect(stepsWithControl(mixed, 'sign').map((s) => s.step.step)).toEqual(['cosignSign', 'sh']);
  });
});

describe('index walks', () => {
  it("stepsOf gives a stage's own steps, and nothing for a stage of another pipeline", () => {
    const first = indexPipeline(validPipeline(compliant()));
    const second = indexPipeline(validPipeline(compliant()));
    for (const stage of first.stages) {
      expect(first.stepsOf(stage)).toEqual(first.steps.filter((s) => s.stage === stage));
      expect(second.stepsOf(stage)).toEqual([]);
    }
    expect(first.stepsOf(first.stageAt(['stages', STAGE.publish])!).map((s) => s.step.step)).toEqual(['ecrPush', 'sbom', 'cosignSign']);
  });

  it('forEachString visits what strings() lists, in the same order, with the same keys and paths', () => {
    const model = validPipeline(
      mutate((p) => {
        p.environment = { GREETING: 'hello', TOKEN: { credentials: 'npm-token' }, BUILD: { $groovy: 'currentBuild.number' } };
        p.stages[STAGE.build]!.steps!.push({ step: 'step', name: 'httpRequest', args: { url: 'https://example.com', headers: [['a', 'b']] } } as Step);
      }),
    );
    const index = indexPipeline(model);
    const visited: { value: string; key: string | undefined; path: readonly unknown[] }[] = [];
    index.forEachString((value, key, path) => visited.push({ value, key, path: path() }));
    expect(visited).toEqual(index.strings().map((s) => ({ value: s.value, key: s.key, path: [...s.path] })));
    expect(visited.length).toBeGreaterThan(100);
  });

  it('finds raw Groovy deep in step arguments and when conditions, and none where there is none', () => {
    const wrapped: Step = {
      step: 'withCredentials',
      bindings: [{ type: 'string', credentialsId: 'x', variable: 'X' }],
      steps: [{ step: 'step', name: 'slackSend', args: { attachments: [{ fields: [{ value: { $groovy: 'env.A' } }] }] } } as Step],
    };
    const model = validPipeline(
      pipeline({
        stages: [
          { name: 'A', when: { allOf: [{ branch: 'main' }, { expression: 'env.B == "1"' }] }, steps: [wrapped] },
          { name: 'B', steps: [deployStep('dev') as Step, sh('make')] },
        ],
      }),
    );
    const index = indexPipeline(model);
    expect(index.groovy.map((g) => [g.kind, g.source, g.path, g.nodePath])).toEqual([
      ['when', 'env.B == "1"', ['stages', 0, 'when', 'allOf', 1, 'expression'], ['stages', 0, 'when', 'allOf', 1, 'expression']],
      [
        'value',
        'env.A',
        ['stages', 0, 'steps', 0, 'steps', 0, 'args', 'attachments', 0, 'fields', 0, 'value', '$groovy'],
        ['stages', 0, 'steps', 0, 'steps', 0, 'args', 'attachments', 0, 'fields', 0, 'value'],
      ],
    ]);
    // Groovy in a wrapper's body is found once, as the nested step's (not again as the wrapper's).
    expect(index.steps.filter((s) => s.origin === 'groovy')).toEqual([]);
    // An `expression` key outside a `when` is an ordinary value.
    const plain = indexPipeline(validPipeline(pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'x', args: { expression: 'a + b' } } as Step] }] })));
    expect(plain.groovy).toEqual([]);
  });
});
