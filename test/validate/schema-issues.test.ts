import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.ts';
import { DELIVERY_STEP_KINDS } from '../../src/model/delivery-defaults.ts';
import { PipelineSchema } from '../../src/model/schema.ts';
import { SCHEMA_CODES, validateSchema } from '../../src/validate/schema-issues.ts';

const base = { agent: 'any', stages: [{ name: 'Build', steps: [{ step: 'sh', script: 'make' }] }] };

/** Validates and returns the diagnostics without `severity` (always error, checked separately). */
function issues(value: unknown): Omit<Diagnostic, 'severity'>[] {
  const result = validateSchema(value);
  expect(result.pipeline).toBeUndefined();
  for (const d of result.diagnostics) expect(d.severity).toBe('error');
  return result.diagnostics.map(({ severity: _severity, ...rest }) => rest);
}

const withStep = (step: unknown) => ({ agent: 'any', stages: [{ name: 'Build', steps: [step] }] });

/** Built-in step kinds, then the delivery ones, in the order of the StepSchema union. */
const STEP_KINDS = [
  ...['sh', 'echo', 'checkout', 'git', 'junit', 'archiveArtifacts', 'stash', 'unstash', 'dir'],
  ...['withCredentials', 'timeout', 'retry', 'lock', 'script', 'step'],
  ...DELIVERY_STEP_KINDS,
]
  .map((kind) => `'${kind}'`)
  .join(' | ');
const AGENT_TYPES = "'label' | 'node' | 'docker' | 'dockerfile' | 'kubernetes' | 'custom'";

describe('validateSchema', () => {
  it('returns the parsed pipeline and no diagnostics for a valid pipeline', () => {
    const result = validateSchema(base);
    expect(result.diagnostics).toEqual([]);
    expect(result.pipeline).toEqual(base);
  });

  it('reports an unknown key with the closest known key, and the required key it replaced', () => {
    expect(issues({ agent: 'any', stagse: [] })).toEqual([
      {
        code: 'PW2001',
        path: ['stages'],
        message: 'missing required property `stages`',
        expected: 'array',
        found: 'nothing',
      },
      {
        code: 'PW2002',
        path: ['stagse'],
        message: 'unknown property `stagse` in the pipeline - did you mean `stages`?',
        expected: `one of ${Object.keys(PipelineSchema.shape).join(', ')}`,
        found: '`stagse`',
      },
    ]);
  });

  it('suggests known keys of nested objects (a step variant, a when condition)', () => {
    const [unknownStepKey] = issues(withStep({ step: 'sh', script: 'make', lable: 'x' }));
    expect(unknownStepKey).toMatchObject({
      code: 'PW2002',
      path: ['stages', 0, 'steps', 0, 'lable'],
      message: 'unknown property `lable` in `steps[0]` - did you mean `label`?',
    });
    const [unknownCondition] = issues({
      agent: 'any',
      stages: [{ name: 'B', when: { changeRequest: { targt: 'main' } }, steps: [{ step: 'echo', message: 'x' }] }],
    });
    expect(unknownCondition).toMatchObject({
      code: 'PW2002',
      path: ['stages', 0, 'when', 'changeRequest', 'targt'],
      message: 'unknown property `targt` in `changeRequest` - did you mean `target`?',
    });
  });

  it('does not suggest a key that is not close', () => {
    const [d] = issues({ ...base, flavour: 'vanilla' });
    expect(d).toMatchObject({ code: 'PW2002', path: ['flavour'], message: 'unknown property `flavour` in the pipeline' });
  });

  it('reports a wrong type with expected and found', () => {
    expect(issues({ agent: 'any', stages: [{ name: 42, steps: [] }] })).toEqual([
      {
        code: 'PW2001',
        path: ['stages', 0, 'name'],
        message: '`name` must be a string, not a number',
        expected: 'string',
        found: 'number 42',
      },
    ]);
  });

  it('renders found values briefly: long strings truncated, control characters escaped, objects by keys', () => {
    const long = `${'x'.repeat(60)}\n`;
    const [d] = issues(withStep({ step: 'echo', message: ['a', 'b'] }));
    expect(d?.found).toBe('array of 2 items');
    const [e] = issues(withStep({ step: 'sh', script: 'make', label: { a: 1, b: 2, c: 3, d: 4, e: 5 } }));
    expect(e?.found).toBe('object { a, b, c, d, … }');
    const [f] = issues(withStep({ step: 'sh', script: 'make', returnStatus: long }));
    expect(f).toMatchObject({ expected: 'boolean', found: `string '${'x'.repeat(40)}…'` });
    const [g] = issues(withStep({ step: 'sh', script: 'make', returnStatus: "it's\n" }));
    expect(g?.found).toBe("string 'it\\'s\\n'");
  });

  it('reports an unknown step kind in one short message with a suggestion; the 33 kinds are listed once, as expected', () => {
    expect(issues(withStep({ step: 'shh', script: 'make' }))).toEqual([
      {
        code: 'PW2003',
        path: ['stages', 0, 'steps', 0, 'step'],
        message: "unknown `step` 'shh' - did you mean 'sh'?",
        expected: STEP_KINDS,
        found: "string 'shh'",
      },
    ]);
    // A prefix of exactly one kind is completed; nothing plausible, no suggestion.
    expect(issues(withStep({ step: 'trivy' }))[0]?.message).toBe("unknown `step` 'trivy' - did you mean 'trivyScan'?");
    expect(issues(withStep({ step: 'deployEverything' }))[0]?.message).toBe("unknown `step` 'deployEverything'");
    expect(issues(withStep({ step: 42 }))[0]?.message).toBe('unknown `step` 42');
  });

  it('reports a missing discriminator', () => {
    expect(issues(withStep({ script: 'make' }))).toEqual([
      {
        code: 'PW2003',
        path: ['stages', 0, 'steps', 0, 'step'],
        message: 'missing required property `step` (34 allowed values)',
        expected: STEP_KINDS,
        found: 'nothing',
      },
    ]);
    expect(STEP_KINDS.split(' | ')).toHaveLength(34);
  });

  it('reports a non-object where a discriminated object is expected', () => {
    const [d] = issues(withStep('sh make'));
    expect(d).toMatchObject({
      code: 'PW2001',
      path: ['stages', 0, 'steps', 0],
      expected: `{ step: ${STEP_KINDS}, … }`,
      found: "string 'sh make'",
    });
    // The 33 kinds are in `expected` only.
    expect(d?.message).toBe('`steps[0]` must be an object with a known `step`, not a string');
  });

  describe('agent (a union) gets ONE diagnostic', () => {
    const agentExpected = `'any' | 'none' | { type: ${AGENT_TYPES}, … }`;
    const agentMessage = "`agent` must be 'any', 'none' or an object with `type` 'label', 'node', 'docker', 'dockerfile', 'kubernetes' or 'custom'";

    it('for an unknown string', () => {
      expect(issues({ agent: 'anything', stages: [] })).toEqual([
        { code: 'PW2003', path: ['agent'], message: agentMessage, expected: agentExpected, found: "string 'anything'" },
      ]);
    });

    it('for a near miss, with a suggestion', () => {
      const [d] = issues({ agent: 'Any', stages: [] });
      expect(d?.message).toBe(`${agentMessage} - did you mean 'any'?`);
    });

    it('for a number', () => {
      expect(issues({ agent: 42, stages: [] })).toEqual([
        { code: 'PW2003', path: ['agent'], message: agentMessage, expected: agentExpected, found: 'number 42' },
      ]);
    });

    it('for a missing agent', () => {
      expect(issues({ stages: [] })).toEqual([
        { code: 'PW2001', path: ['agent'], message: 'missing required property `agent`', expected: agentExpected, found: 'nothing' },
      ]);
    });

    it('for an object with a bad type, pointing at `type`', () => {
      expect(issues({ agent: { type: 'dockr', image: 'node:20' }, stages: [] })).toEqual([
        {
          code: 'PW2003',
          path: ['agent', 'type'],
          message: "`type` must be one of 'label', 'node', 'docker', 'dockerfile', 'kubernetes', 'custom' - did you mean 'docker'?",
          expected: AGENT_TYPES,
          found: "string 'dockr'",
        },
      ]);
    });

    it('for an object without a type', () => {
      const [d] = issues({ agent: { label: 'linux' }, stages: [] });
      expect(d).toMatchObject({ code: 'PW2003', path: ['agent', 'type'], found: 'nothing', expected: AGENT_TYPES });
    });

    it('for a known type missing a required field, pointing at that field', () => {
      expect(issues({ agent: { type: 'docker' }, stages: [] })).toEqual([
        { code: 'PW2001', path: ['agent', 'image'], message: 'missing required property `image`', expected: 'string', found: 'nothing' },
      ]);
    });
  });

  it('reports a plain union with the alternatives', () => {
    expect(
      issues({ agent: 'any', stages: [{ name: 'B', when: { branch: 5 }, steps: [{ step: 'echo', message: 'x' }] }] }),
    ).toEqual([
      {
        code: 'PW2003',
        path: ['stages', 0, 'when', 'branch'],
        message: '`branch` must be a string or an object',
        expected: 'string | object',
        found: 'number 5',
      },
    ]);
  });

  it('reports an enum value with a suggestion', () => {
    expect(issues({ ...base, options: { durabilityHint: 'PERFORMANCE_OPTIMISED' } })).toEqual([
      {
        code: 'PW2003',
        path: ['options', 'durabilityHint'],
        message:
          "`durabilityHint` must be one of 'MAX_SURVIVABILITY', 'PERFORMANCE_OPTIMIZED', 'SURVIVABLE_NONATOMIC' - did you mean 'PERFORMANCE_OPTIMIZED'?",
        expected: "'MAX_SURVIVABILITY' | 'PERFORMANCE_OPTIMIZED' | 'SURVIVABLE_NONATOMIC'",
        found: "string 'PERFORMANCE_OPTIMISED'",
      },
    ]);
  });

  it('reports a literal mismatch', () => {
    expect(issues(withStep({ step: 'checkout', scm: false }))).toEqual([
      { code: 'PW2003', path: ['stages', 0, 'steps', 0, 'scm'], message: '`scm` must be true', expected: 'true', found: 'boolean false' },
    ]);
  });

  it('reports numbers out of range and non-integers', () => {
    expect(issues({ ...base, options: { timeout: { time: 0 }, retry: 1.5 } })).toEqual([
      {
        code: 'PW2004',
        path: ['options', 'timeout', 'time'],
        message: '`time` must be greater than 0',
        expected: '> 0',
        found: 'number 0',
      },
      {
        code: 'PW2001',
        path: ['options', 'retry'],
        message: '`retry` must be a whole number',
        expected: 'integer',
        found: 'number 1.5',
      },
    ]);
  });

  it("keeps the schema's own message for a too-small value", () => {
    expect(issues({ ...base, parameters: [{ type: 'choice', name: 'REGION', choices: [] }] })).toEqual([
      {
        code: 'PW2004',
        path: ['parameters', 0, 'choices'],
        message: 'a choice parameter needs at least one choice',
        expected: 'at least 1 item',
        found: 'empty array',
      },
    ]);
  });

  it('reports a non-finite number in a union as such', () => {
    expect(issues({ ...base, environment: { REPLICAS: Infinity } })).toEqual([
      {
        code: 'PW2001',
        path: ['environment', 'REPLICAS'],
        message: '`REPLICAS` must be a finite number',
        expected: 'finite number',
        found: 'number Infinity',
      },
    ]);
  });

  it('reports a pattern mismatch with the pattern', () => {
    expect(issues({ ...base, name: 'my pipeline' })).toEqual([
      {
        code: 'PW2005',
        path: ['name'],
        message: 'a pipeline name may use letters, digits, ".", "_" and "-"',
        expected: 'a string matching /^[A-Za-z0-9][A-Za-z0-9._-]*$/',
        found: "string 'my pipeline'",
      },
    ]);
  });

  it("reports a refinement with the schema's message", () => {
    const [d] = issues({ agent: 'any', stages: [{ name: 'B', when: {}, steps: [{ step: 'echo', message: 'x' }] }] });
    expect(d).toEqual({
      code: 'PW2006',
      path: ['stages', 0, 'when'],
      message:
        'expected at least one condition (branch, buildingTag, changelog, changeset, changeRequest, environment, equals, expression, tag, triggeredBy, isRestartedRun, allOf, anyOf, not)',
    });
  });

  it('counts only conditions that are set toward "at least one condition", at every level', () => {
    const withWhen = (when: unknown) => ({ agent: 'any', stages: [{ name: 'B', when, steps: [{ step: 'echo', message: 'x' }] }] });
    const refused = (when: unknown) => validateSchema(withWhen(when)).diagnostics.some((d) => d.code === 'PW2006' && d.message.startsWith('expected at least one condition'));
    for (const when of [{}, { beforeAgent: true }, { branch: undefined, beforeAgent: true }, { not: {} }, { not: { tag: undefined } }, { allOf: [{ branch: 'main' }, {}] }]) {
      expect(refused(when), JSON.stringify(when)).toBe(true);
    }
    for (const when of [{ tag: 'v*' }, { beforeAgent: true, not: { changeRequest: true } }, { isRestartedRun: true, branch: undefined }, { anyOf: [{ branch: 'main' }, { tag: 'v*' }] }]) {
      expect(refused(when), JSON.stringify(when)).toBe(false);
      expect(validateSchema(JSON.parse(JSON.stringify(withWhen(when)))).pipeline).toBeDefined();
    }
  });

  it('reports a non-object pipeline', () => {
    expect(issues('pipeline')).toEqual([
      { code: 'PW2001', path: [], message: 'the pipeline must be an object, not a string', expected: 'object', found: "string 'pipeline'" },
    ]);
  });

  it('reports every problem, not only the first', () => {
    const found = issues({
      agent: 'any',
      stages: [{ name: 'B', steps: [{ step: 'sh', script: 1 }, { step: 'echo' }] }],
      options: { timestamps: 'yes' },
    });
    expect(found.map((d) => d.path)).toEqual([
      ['options', 'timestamps'],
      ['stages', 0, 'steps', 0, 'script'],
      ['stages', 0, 'steps', 1, 'message'],
    ]);
  });

  it('uses only the documented codes', () => {
    const codes = new Set<string>(Object.values(SCHEMA_CODES));
    const samples = [
      { agent: 'any', stagse: [] },
      { agent: 'anything', stages: [] },
      { ...base, options: { timeout: { time: 0 } } },
      { ...base, name: 'a b' },
      { agent: 'any', stages: [{ name: 'B', when: {}, steps: [] }] },
    ];
    for (const sample of samples) for (const d of validateSchema(sample).diagnostics) expect(codes).toContain(d.code);
  });
});
