import { describe, expect, it } from 'vitest';
import { PipelineSchema, type Pipeline, type Suppression } from '../../src/model/schema.ts';
import { PolicyConfigSchema, resolvePolicyConfig } from '../../src/policy/config.ts';
import { checkPolicyConfig, runPolicy, type PolicyResult } from '../../src/policy/engine.ts';
import { defineRule } from '../../src/policy/rule.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { validateSchema } from '../../src/validate/index.ts';
import { STAGE, compliant, mutate } from './fintech-fixture.ts';
import { pipeline, sh, validPipeline } from './fixtures.ts';

const NOW = new Date('2026-03-01T10:00:00Z');
const run = (p: Pipeline, config = {}): PolicyResult => runPolicy(validPipeline(p), config, { source: 'p.pipeline.ts', now: NOW });
const codes = (r: PolicyResult) => r.findings.map((f) => f.code);
const suppression = (rule: string, extra: Partial<Suppression> = {}): Suppression => ({
  rule,
  reason: 'documented exception for this test',
  owner: 'team-a',
  ...extra,
});
/** The compliant pipeline without its image scan: SCAN-001 fires on the ecrPush step. */
const withoutImageScan = (change: (p: Pipeline & { stages: NonNullable<Pipeline['stages']> }) => void = () => {}) =>
  mutate((p) => {
    p.stages[STAGE.image]!.steps!.pop();
    change(p);
  });
const pushPath = ['stages', STAGE.publish, 'steps', 0];

describe('suppressions', () => {
  it('a reason shorter than 10 characters is rejected by the schema', () => {
    const p = pipeline({ suppressions: [{ rule: 'BASE-001', reason: 'too short', owner: 'me' }] });
    const parsed = PipelineSchema.safeParse(p);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => [i.path, i.message])).toEqual([
      [['suppressions', 0, 'reason'], 'a suppression reason must be at least 10 characters'],
    ]);
    // and through the validator every pipeline goes through, with its diagnostic code
    const validated = validateSchema(p);
    expect(validated.pipeline).toBeUndefined();
    expect(validated.diagnostics.map((d) => d.path)).toEqual([['suppressions', 0, 'reason']]);
  });

  it('a missing reason or owner is rejected too', () => {
    expect(PipelineSchema.safeParse(pipeline({ suppressions: [{ rule: 'BASE-001', owner: 'me' } as Suppression] })).success).toBe(false);
    expect(PipelineSchema.safeParse(pipeline({ suppressions: [{ rule: 'BASE-001', reason: 'long enough reason' } as Suppression] })).success).toBe(false);
  });

  it('a suppression on the node excuses the finding, which is kept with its suppression', () => {
    const p = withoutImageScan((q) => {
      q.stages[STAGE.publish]!.suppressions = [suppression('SCAN-001', { ticket: 'SEC-1', expires: '2026-03-01' })];
    });
    const result = run(p);
    expect(codes(result)).toEqual([]);
    expect(result.failed).toBe(false);
    expect(result.suppressed).toEqual([
      {
        finding: expect.objectContaining({ code: 'SCAN-001', path: pushPath, severity: 'error' }),
        suppression: suppression('SCAN-001', { ticket: 'SEC-1', expires: '2026-03-01' }),
        suppressionPath: ['stages', STAGE.publish, 'suppressions', 0],
      },
    ]);
  });

  it('the innermost matching suppression is used; the outer one is then unused', () => {
    const p = withoutImageScan((q) => {
      q.suppressions = [suppression('SCAN-001')];
      (q.stages[STAGE.publish]!.steps![0] as { suppressions?: Suppression[] }).suppressions = [suppression('SCAN-001')];
    });
    const result = run(p);
    expect(result.suppressed.map((s) => s.suppressionPath)).toEqual([[...pushPath, 'suppressions', 0]]);
    expect(result.findings.map((f) => [f.code, f.severity, f.path])).toEqual([['SUPP-002', 'warning', ['suppressions', 0]]]);
  });

  it('a suppression elsewhere does not excuse the finding', () => {
    const p = withoutImageScan((q) => {
      q.stages[STAGE.deployDev]!.suppressions = [suppression('SCAN-001')];
    });
    const result = run(p);
    expect(result.findings.map((f) => [f.code, f.path])).toEqual([
      ['SCAN-001', pushPath],
      ['SUPP-002', ['stages', STAGE.deployDev, 'suppressions', 0]],
    ]);
    expect(result.findings[1]!.message).toBe('suppression of SCAN-001 matches no finding on this node; remove it');
  });

  it('an expired suppression is a finding and no longer applies', () => {
    const p = withoutImageScan((q) => {
      q.stages[STAGE.publish]!.suppressions = [suppression('SCAN-001', { expires: '2026-02-28' })];
    });
    const result = run(p);
    expect(result.findings.map((f) => [f.code, f.severity, f.path])).toEqual([
      ['SCAN-001', 'error', pushPath],
      ['SUPP-001', 'error', ['stages', STAGE.publish, 'suppressions', 0, 'expires']],
    ]);
    expect(result.findings[1]!.message).toBe(
      'suppression of SCAN-001 expired on 2026-02-28 (owner team-a); renew it with a new decision or fix the finding',
    );
    expect(result.suppressed).toEqual([]);
  });

  it('an impossible expiry date is reported', () => {
    const result = run(pipeline({ suppressions: [suppression('BASE-001', { expires: '2026-02-30' })] }));
    expect(result.findings.map((f) => [f.code, f.message])).toEqual([['SUPP-001', 'suppression of BASE-001 has an invalid expiry date 2026-02-30']]);
  });

  it('a mandatory rule cannot be suppressed: the suppression is an error and the finding stays', () => {
    const p = withoutImageScan((q) => {
      q.stages[STAGE.publish]!.suppressions = [suppression('SCAN-001')];
    });
    const result = run(p, { mandatory: ['SCAN-001'] });
    expect(result.findings.map((f) => [f.code, f.severity, f.path])).toEqual([
      ['SCAN-001', 'error', pushPath],
      ['SUPP-003', 'error', ['stages', STAGE.publish, 'suppressions', 0, 'rule']],
    ]);
    expect(result.suppressed).toEqual([]);
  });

  it('a suppression of an unknown rule, or of an engine rule, is rejected', () => {
    const result = run(pipeline({ suppressions: [suppression('SCAN-01'), suppression('SUPP-002')] }));
    expect(result.findings.map((f) => [f.code, f.path])).toEqual([
      ['SUPP-004', ['suppressions', 0, 'rule']],
      ['SUPP-003', ['suppressions', 1, 'rule']],
    ]);
  });

  it('a suppression of a rule that is not enabled is unused', () => {
    const result = run(pipeline({ suppressions: [suppression('SCAN-001')] }), { packs: ['baseline'] });
    expect(result.findings.map((f) => f.message)).toEqual(['suppression of SCAN-001 matches no finding (the rule is not enabled); remove it']);
  });

  it('the suppression policy can require tickets, expiry dates and a maximum horizon', () => {
    const p = withoutImageScan((q) => {
      q.stages[STAGE.publish]!.suppressions = [suppression('SCAN-001', { expires: '2027-03-01' })];
    });
    const result = run(p, { suppressions: { requireTicket: true, requireExpiry: true, maxDays: 90 } });
    expect(result.findings.map((f) => [f.code, f.message])).toEqual([
      ['SUPP-005', 'suppression of SCAN-001 needs a ticket (policy.suppressions.requireTicket)'],
      ['SUPP-005', 'suppression of SCAN-001 expires more than 90 days ahead (policy.suppressions.maxDays)'],
    ]);
    // the suppression still applies: its shortcomings are reported, the finding is counted as suppressed
    expect(result.suppressed.map((s) => s.finding.code)).toEqual(['SCAN-001']);
  });
});

describe('severity, packs and failOn', () => {
  it('a compliant pipeline has no findings and does not fail', () => {
    const result = run(compliant());
    expect(result.findings).toEqual([]);
    expect(result.failed).toBe(false);
    expect(result.rules.length).toBeGreaterThanOrEqual(54);
  });

  it('per-rule severity and off', () => {
    const p = withoutImageScan();
    expect(run(p).findings.map((f) => [f.code, f.severity])).toEqual([['SCAN-001', 'error']]);
    const downgraded = run(p, { rules: { 'SCAN-001': 'warning' } });
    expect(downgraded.findings.map((f) => [f.code, f.severity])).toEqual([['SCAN-001', 'warning']]);
    expect(downgraded.failed).toBe(false);
    expect(run(p, { rules: { 'SCAN-001': 'off' } }).findings).toEqual([]);
  });

  it('failOn warning fails on warnings', () => {
    const p = mutate((q) => {
      delete q.stages[STAGE.approve]!.options; // FLOW-004 warning
    });
    expect(run(p).failed).toBe(false);
    const strict = run(p, { failOn: 'warning' });
    expect(strict.findings.map((f) => [f.code, f.severity])).toEqual([['FLOW-004', 'warning']]);
    expect(strict.failed).toBe(true);
    expect(strict.failOn).toBe('warning');
  });

  it('per-environment severity and the non-production default', () => {
    const p = mutate((q) => {
      for (const i of [STAGE.deployDev, STAGE.deployStage, STAGE.deployProd]) delete (q.stages[i]!.steps![0] as { smokeTest?: string }).smokeTest;
    });
    expect(run(p).findings.map((f) => [f.code, f.environment, f.severity])).toEqual([
      ['DEPLOY-002', 'dev', 'error'],
      ['DEPLOY-002', 'stage', 'error'],
      ['DEPLOY-002', 'prod', 'error'],
    ]);
    const relaxed = run(p, { rules: { 'DEPLOY-002': { environments: { dev: 'info', stage: 'off' } } } });
    expect(relaxed.findings.map((f) => [f.environment, f.severity])).toEqual([
      ['dev', 'info'],
      ['prod', 'error'],
    ]);
    // FLOW-007 is "error (prod)": a warning for an approval of a non-production environment
    const stageApproval = mutate((q) => {
      delete q.stages[STAGE.approve]!.input!.parameters;
    });
    expect(run(stageApproval).findings.map((f) => [f.code, f.severity])).toEqual([['FLOW-007', 'error']]);
    expect(run(stageApproval, { environments: { prod: { production: false } } }).findings.map((f) => [f.code, f.severity])).toEqual([
      ['FLOW-007', 'warning'],
    ]);
  });

  it('packs select rules; naming a rule in `rules` enables it', () => {
    const p = pipeline({ options: undefined, agent: 'any', stages: [{ name: 'Deploy prod', steps: [sh('aws ecs update-service --cluster prod')] }] });
    const baselineOnly = run(p, { packs: ['baseline'] });
    expect(new Set(codes(baselineOnly))).toEqual(new Set(['BASE-001', 'BASE-002', 'BASE-003', 'BASE-004']));
    const plusOne = run(p, { packs: ['baseline'], rules: { 'IAM-004': 'error' } });
    expect(codes(plusOne)).toContain('IAM-004');
    expect(codes(plusOne)).not.toContain('FLOW-001');
  });
});

describe('custom rules', () => {
  const noCurlPipeSh = defineRule({
    meta: {
      id: 'ACME-001',
      title: 'No curl | sh',
      pack: 'acme',
      severity: 'error',
      rationale: 'Piping a download into a shell runs unreviewed code.',
      standards: ['OWASP CICD-SEC-3'],
      example: { bad: "sh('curl -fsSL https://x | sh')", good: "sh('./scripts/install.sh')" },
    },
    *check({ index }) {
      for (const info of index.steps) {
        if (info.step.step === 'sh' && /curl[^|]*\|\s*(?:ba)?sh\b/.test(info.step.script)) {
          yield { path: [...info.path, 'script'], message: 'curl piped into a shell' };
        }
      }
    },
  });

  // RuleTester works for custom rules exactly as for built-in ones.
  new RuleTester({ describe, it }).run(noCurlPipeSh, {
    valid: [pipeline(), pipeline({ stages: [{ name: 'A', steps: [sh('curl -fsSLo tool.tgz https://get.example.com/tool.tgz')] }] })],
    invalid: [{ pipeline: pipeline({ stages: [{ name: 'A', steps: [sh('curl -fsSL https://get.example.com | bash')] }] }), errors: [{ path: ['stages', 0, 'steps', 0, 'script'] }] }],
  });

  it('run with the same API, severity config and suppressions as built-in rules', () => {
    const p = pipeline({ stages: [{ name: 'A', steps: [sh('curl -fsSL https://get.example.com | sh')] }] });
    const config = { customRules: [noCurlPipeSh] };
    expect(run(p, config).findings.map((f) => [f.code, f.path])).toEqual([['ACME-001', ['stages', 0, 'steps', 0, 'script']]]);
    expect(run(p, { ...config, rules: { 'ACME-001': 'off' } }).findings).toEqual([]);
    const suppressed = run(pipeline({ ...p, suppressions: [suppression('ACME-001')] }), config);
    expect(suppressed.suppressed.map((s) => s.finding.code)).toEqual(['ACME-001']);
  });

  it('a custom rule that throws is reported, not ignored', () => {
    const broken = defineRule({ ...noCurlPipeSh, meta: { ...noCurlPipeSh.meta, id: 'ACME-002' }, check: () => { throw new Error('boom'); } });
    const result = run(pipeline(), { customRules: [broken] });
    expect(result.findings.map((f) => [f.code, f.severity, f.message])).toEqual([['POLICY-001', 'error', 'rule ACME-002 failed: boom']]);
    expect(result.failed).toBe(true);
  });

  it('the config rejects objects that are not rules and duplicate ids', () => {
    expect(PolicyConfigSchema.safeParse({ customRules: [{ meta: { id: 'X' } }] }).success).toBe(false);
    const duplicate = PolicyConfigSchema.safeParse({ customRules: [noCurlPipeSh, noCurlPipeSh] });
    expect(duplicate.error?.issues.map((i) => i.message)).toEqual(['duplicate custom rule id ACME-001']);
  });
});

describe('configuration checks', () => {
  it('a mandatory rule cannot be turned off', () => {
    const parsed = PolicyConfigSchema.safeParse({ mandatory: ['FLOW-001'], rules: { 'FLOW-001': 'off' } });
    expect(parsed.error?.issues.map((i) => [i.path, i.message])).toEqual([[['rules', 'FLOW-001'], 'rule FLOW-001 is mandatory and cannot be turned off']]);
  });

  it('unknown rule ids in rules and mandatory are reported once per run', () => {
    const problems = checkPolicyConfig(resolvePolicyConfig({ rules: { 'SCAN-999': 'off' }, mandatory: ['FLOW-001', 'NOPE-1'] }));
    expect(problems.map((p) => [p.code, p.path, p.message])).toEqual([
      ['PW2101', ['policy', 'rules', 'SCAN-999'], 'policy.rules names rule SCAN-999, which does not exist (see `pipewright rules`)'],
      ['PW2101', ['policy', 'mandatory', 1], 'policy.mandatory names rule NOPE-1, which does not exist (see `pipewright rules`)'],
    ]);
  });

  it('rule ids are validated by pattern', () => {
    expect(PolicyConfigSchema.safeParse({ rules: { 'scan 1': 'off' } }).success).toBe(false);
  });
});
