import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { Pipeline, Stage, Step } from '../../src/model/schema.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { STRUCTURE_RULES, checkStructure } from '../../src/validate/structure.ts';

/** Codes some test below expects to be reported; compared with STRUCTURE_RULES at the end. */
const exercised = new Set<string>();

/** Schema-validates (which must pass) and returns `[code, path, message]` of every structural diagnostic. */
function check(pipeline: Pipeline): [string, Diagnostic['path'], string][] {
  const result = validateSchema(pipeline);
  expect(result.diagnostics, 'the test pipeline must be schema-valid').toEqual([]);
  const diagnostics = checkStructure(result.pipeline!);
  for (const d of diagnostics) {
    expect(d.severity).toBe('error');
    exercised.add(d.code);
  }
  return diagnostics.map((d) => [d.code, d.path, d.message]);
}

const sh = (script: string): Step => ({ step: 'sh', script });
const stage = (name: string, extra: Partial<Stage> = {}): Stage => ({ name, steps: [sh('make')], ...extra });
const pipeline = (stages: Stage[], extra: Partial<Pipeline> = {}): Pipeline => ({ agent: 'any', stages, ...extra });
const withSteps = (steps: Step[]): Pipeline => pipeline([{ name: 'S', steps }]);

describe('checkStructure', () => {
  it('accepts a plain pipeline', () => {
    expect(check(pipeline([stage('Build'), stage('Test')]))).toEqual([]);
  });

  it('PW3001 duplicate sibling stage names', () => {
    expect(check(pipeline([stage('Build'), stage('Build')]))).toEqual([
      ['PW3001', ['stages', 1, 'name'], 'Duplicate stage name: "Build"'],
    ]);
    expect(check(pipeline([stage('P', { steps: undefined, parallel: [stage('x'), stage('x')] })]))).toEqual([
      ['PW3001', ['stages', 0, 'parallel', 1, 'name'], 'Duplicate stage name: "x"'],
    ]);
    // Per block only: the same name in different blocks is fine.
    expect(check(pipeline([stage('Build'), stage('Outer', { steps: undefined, stages: [stage('Build')] })]))).toEqual([]);
  });

  it('PW3002 a stage without steps, stages, parallel or matrix', () => {
    expect(check(pipeline([{ name: 'Empty' }]))).toEqual([
      ['PW3002', ['stages', 0], 'Expected one of "steps", "stages", or "parallel" for stage "Empty"'],
    ]);
  });

  it('PW3003 a stage with more than one of them', () => {
    expect(check(pipeline([stage('Both', { stages: [stage('Inner')] })]))).toEqual([
      ['PW3003', ['stages', 0, 'stages'], 'Only one of "matrix", "parallel", "stages", or "steps" allowed for stage "Both"'],
    ]);
  });

  it('PW3004 agent or tools on a stage with parallel or matrix stages', () => {
    expect(
      check(pipeline([stage('P', { steps: undefined, agent: 'any', tools: { nodejs: 'node-20' }, parallel: [stage('a')] })])),
    ).toEqual([
      ['PW3004', ['stages', 0, 'agent'], '"agent" is not allowed in stage "P" as it contains parallel or matrix stages'],
      ['PW3004', ['stages', 0, 'tools'], '"tools" is not allowed in stage "P" as it contains parallel or matrix stages'],
    ]);
    expect(
      check(pipeline([stage('M', { steps: undefined, agent: 'any', matrix: { axes: [{ name: 'A', values: ['1'] }], stages: [stage('a')] } })])),
    ).toEqual([['PW3004', ['stages', 0, 'agent'], '"agent" is not allowed in stage "M" as it contains parallel or matrix stages']]);
    // Allowed on a stage with sequential stages, and on the matrix itself.
    expect(check(pipeline([stage('Seq', { steps: undefined, agent: 'any', tools: { jdk: '17' }, stages: [stage('a')] })]))).toEqual([]);
    expect(
      check(pipeline([stage('M', { steps: undefined, matrix: { axes: [{ name: 'A', values: ['1'] }], agent: 'any', stages: [stage('a')] } })])),
    ).toEqual([]);
  });

  it('PW3005 parallel or matrix nested in parallel or matrix, at any depth', () => {
    const nested = '"matrix" or "parallel" cannot be nested inside another "matrix" or "parallel".';
    const matrix = { axes: [{ name: 'A', values: ['1'] }], stages: [stage('m')] };
    expect(check(pipeline([stage('P', { steps: undefined, parallel: [stage('a', { steps: undefined, parallel: [stage('b')] })] })]))).toEqual([
      ['PW3005', ['stages', 0, 'parallel', 0, 'parallel'], nested],
    ]);
    expect(check(pipeline([stage('P', { steps: undefined, parallel: [stage('a', { steps: undefined, matrix })] })]))).toEqual([
      ['PW3005', ['stages', 0, 'parallel', 0, 'matrix'], nested],
    ]);
    expect(
      check(
        pipeline([
          stage('M', {
            steps: undefined,
            matrix: { axes: [{ name: 'A', values: ['1'] }], stages: [stage('s', { steps: undefined, stages: [stage('p', { steps: undefined, parallel: [stage('x')] })] })] },
          }),
        ]),
      ),
    ).toEqual([['PW3005', ['stages', 0, 'matrix', 'stages', 0, 'stages', 0, 'parallel'], nested]]);
    // Parallel inside sequential stages (not inside another parallel) is fine.
    expect(check(pipeline([stage('Seq', { steps: undefined, stages: [stage('P', { steps: undefined, parallel: [stage('x')] })] })]))).toEqual([]);
  });

  it('PW3006 empty steps, post conditions and block-step bodies', () => {
    const noSteps = 'No steps specified for branch';
    expect(check(withSteps([]))).toEqual([['PW3006', ['stages', 0, 'steps'], noSteps]]);
    expect(check(pipeline([stage('S', { post: { always: [] } })]))).toEqual([['PW3006', ['stages', 0, 'post', 'always'], noSteps]]);
    expect(check(pipeline([stage('S')], { post: { failure: [] } }))).toEqual([['PW3006', ['post', 'failure'], noSteps]]);
    expect(
      check(
        withSteps([
          { step: 'dir', path: 'x', steps: [] },
          { step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'c', variable: 'V' }], steps: [] },
          { step: 'timeout', time: 1, steps: [] },
          { step: 'retry', count: 2, steps: [] },
          { step: 'lock', resource: 'r', steps: [] },
          { step: 'step', name: 'withEnv', args: [['A=1']], body: [] },
        ]),
      ),
    ).toEqual([
      ['PW3006', ['stages', 0, 'steps', 0, 'steps'], noSteps],
      ['PW3006', ['stages', 0, 'steps', 1, 'steps'], noSteps],
      ['PW3006', ['stages', 0, 'steps', 2, 'steps'], noSteps],
      ['PW3006', ['stages', 0, 'steps', 3, 'steps'], noSteps],
      ['PW3006', ['stages', 0, 'steps', 4, 'steps'], noSteps],
      ['PW3006', ['stages', 0, 'steps', 5, 'body'], noSteps],
    ]);
    // A generic step without a body at all is a plain call.
    expect(check(withSteps([{ step: 'step', name: 'cleanWs' }, { step: 'dir', path: 'x', steps: [sh('ls')] }]))).toEqual([]);
  });

  it('PW3007 empty stage lists', () => {
    expect(check(pipeline([]))).toEqual([['PW3007', ['stages'], 'No stages specified']]);
    expect(check(pipeline([stage('S', { steps: undefined, stages: [] })]))).toEqual([['PW3007', ['stages', 0, 'stages'], 'No stages specified']]);
    expect(check(pipeline([stage('S', { steps: undefined, parallel: [] })]))).toEqual([['PW3007', ['stages', 0, 'parallel'], 'No stages specified']]);
    expect(
      check(pipeline([stage('S', { steps: undefined, matrix: { axes: [{ name: 'A', values: ['1'] }], stages: [] } })])),
    ).toEqual([['PW3007', ['stages', 0, 'matrix', 'stages'], 'No stages specified']]);
  });

  it('PW3008 environment variable and axis names must be identifiers', () => {
    const message = (name: string) =>
      `"${name}" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.`;
    expect(check(pipeline([stage('S', { environment: { 'MY-VAR': 'x', '1ST': 'y' } })]))).toEqual([
      ['PW3008', ['stages', 0, 'environment', 'MY-VAR'], message('MY-VAR')],
      ['PW3008', ['stages', 0, 'environment', '1ST'], message('1ST')],
    ]);
    expect(
      check(pipeline([stage('M', { steps: undefined, matrix: { axes: [{ name: 'node version', values: ['20'] }], stages: [stage('a')] } })])),
    ).toEqual([['PW3008', ['stages', 0, 'matrix', 'axes', 0, 'name'], message('node version')]]);
    expect(check(pipeline([stage('S')], { environment: { _A1: 'x', lower_case: 'y' } }))).toEqual([]);
    // An axis name is emitted as a string: a Groovy keyword is fine there.
    expect(
      check(pipeline([stage('M', { steps: undefined, matrix: { axes: [{ name: 'default', values: ['1'] }], stages: [stage('a')] } })])),
    ).toEqual([]);
  });

  it('PW3009 an empty environment', () => {
    expect(check(pipeline([stage('S')], { environment: {} }))).toEqual([['PW3009', ['environment'], 'No variables specified for environment']]);
    expect(check(pipeline([stage('S', { environment: {} })]))).toEqual([
      ['PW3009', ['stages', 0, 'environment'], 'No variables specified for environment'],
    ]);
  });

  it('PW3010 empty post, options, parameters, triggers and libraries', () => {
    expect(check(pipeline([stage('S')], { post: {} }))).toEqual([['PW3010', ['post'], 'post can not be empty']]);
    expect(check(pipeline([stage('S', { post: {} })]))).toEqual([['PW3010', ['stages', 0, 'post'], 'post can not be empty']]);
    expect(check(pipeline([stage('S')], { options: {} }))).toEqual([['PW3010', ['options'], 'options can not be empty']]);
    // Options that set nothing emit nothing: also empty.
    expect(check(pipeline([stage('S', { options: { timestamps: false, custom: [] } })]))).toEqual([
      ['PW3010', ['stages', 0, 'options'], 'options can not be empty'],
    ]);
    expect(check(pipeline([stage('S')], { parameters: [] }))).toEqual([['PW3010', ['parameters'], 'parameters can not be empty']]);
    expect(check(pipeline([stage('S')], { triggers: {} }))).toEqual([['PW3010', ['triggers'], 'triggers can not be empty']]);
    expect(check(pipeline([stage('S')], { libraries: [] }))).toEqual([['PW3010', ['libraries'], 'libraries can not be empty']]);
    expect(check(pipeline([stage('S', { input: { message: 'Go?', parameters: [] } })]))).toEqual([
      ['PW3010', ['stages', 0, 'input', 'parameters'], 'parameters can not be empty'],
    ]);
    // `overrideIndexTriggers(false)` is emitted (false means something there).
    expect(check(pipeline([stage('S')], { options: { overrideIndexTriggers: false }, triggers: { cron: 'H * * * *' } }))).toEqual([]);
  });

  it('PW3011 empty tools', () => {
    expect(check(pipeline([stage('S')], { tools: {} }))).toEqual([['PW3011', ['tools'], 'No tools specified']]);
  });

  it('PW3012 input without a message', () => {
    expect(check(pipeline([stage('S', { input: { message: '' } })]))).toEqual([
      ['PW3012', ['stages', 0, 'input', 'message'], 'No message specified for input'],
    ]);
    expect(check(pipeline([stage('S', { input: { message: '  ' } })]))).toEqual([
      ['PW3012', ['stages', 0, 'input', 'message'], 'No message specified for input'],
    ]);
    expect(check(pipeline([stage('S', { input: { message: 'Deploy?' } })]))).toEqual([]);
  });

  describe('matrix', () => {
    const matrixStage = (matrix: Record<string, unknown>): Pipeline =>
      pipeline([stage('M', { steps: undefined, matrix: { stages: [stage('cell')], ...matrix } as Stage['matrix'] })]);
    const m = ['stages', 0, 'matrix'];

    it('PW3013 no axes, or an exclude without axes', () => {
      expect(check(matrixStage({ axes: [] }))).toEqual([['PW3013', [...m, 'axes'], 'No axis directives specified']]);
      expect(check(matrixStage({ axes: [{ name: 'A', values: ['1'] }], excludes: [{ axes: [] }] }))).toEqual([
        ['PW3013', [...m, 'excludes', 0, 'axes'], 'No axis directives specified'],
      ]);
    });

    it('PW3014 an empty excludes list', () => {
      expect(check(matrixStage({ axes: [{ name: 'A', values: ['1'] }], excludes: [] }))).toEqual([
        ['PW3014', [...m, 'excludes'], 'No exclude directives specified'],
      ]);
    });

    it('PW3015 duplicate axis names', () => {
      expect(check(matrixStage({ axes: [{ name: 'OS', values: ['linux'] }, { name: 'OS', values: ['mac'] }] }))).toEqual([
        ['PW3015', [...m, 'axes', 1, 'name'], 'Duplicate axis name: "OS"'],
      ]);
      expect(
        check(
          matrixStage({
            axes: [{ name: 'OS', values: ['linux', 'mac'] }],
            excludes: [{ axes: [{ name: 'OS', values: ['linux'] }, { name: 'OS', values: ['mac'] }] }],
          }),
        ),
      ).toEqual([['PW3015', [...m, 'excludes', 0, 'axes', 1, 'name'], 'Duplicate axis name: "OS"']]);
    });

    it('PW3016 duplicate axis values', () => {
      expect(check(matrixStage({ axes: [{ name: 'OS', values: ['linux', 'mac', 'linux'] }] }))).toEqual([
        ['PW3016', [...m, 'axes', 0, 'values', 2], 'Duplicate axis value: "linux"'],
      ]);
      expect(
        check(matrixStage({ axes: [{ name: 'OS', values: ['linux', 'mac'] }], excludes: [{ axes: [{ name: 'OS', notValues: ['mac', 'mac'] }] }] })),
      ).toEqual([['PW3016', [...m, 'excludes', 0, 'axes', 0, 'notValues', 1], 'Duplicate axis value: "mac"']]);
    });

    it('PW3017 an exclude axis needs exactly one of values and notValues', () => {
      const axes = [{ name: 'OS', values: ['linux', 'mac'] }];
      expect(check(matrixStage({ axes, excludes: [{ axes: [{ name: 'OS' }] }] }))).toEqual([
        ['PW3017', [...m, 'excludes', 0, 'axes', 0], 'Exclude axis must contain either "values" or "notValues"'],
      ]);
      expect(check(matrixStage({ axes, excludes: [{ axes: [{ name: 'OS', values: ['linux'], notValues: ['mac'] }] }] }))).toEqual([
        ['PW3017', [...m, 'excludes', 0, 'axes', 0], 'Exclude axis must contain either "values" or "notValues", not both'],
      ]);
      expect(check(matrixStage({ axes, excludes: [{ axes: [{ name: 'OS', notValues: ['mac'] }] }] }))).toEqual([]);
    });

    it('PW3018 an exclude axis that is not an axis of the matrix', () => {
      expect(
        check(
          matrixStage({
            axes: [
              { name: 'OS', values: ['linux'] },
              { name: 'NODE', values: ['20'] },
            ],
            excludes: [{ axes: [{ name: 'JDK', values: ['17'] }] }],
          }),
        ),
      ).toEqual([
        ['PW3018', [...m, 'excludes', 0, 'axes', 0, 'name'], 'Exclude axis "JDK" is not an axis of this matrix; the axes are "OS", "NODE"'],
      ]);
    });

    it('checks the directives of the matrix itself', () => {
      expect(check(matrixStage({ axes: [{ name: 'A', values: ['1'] }], environment: {}, post: {} }))).toEqual([
        ['PW3009', [...m, 'environment'], 'No variables specified for environment'],
        ['PW3010', [...m, 'post'], 'post can not be empty'],
      ]);
    });
  });

  it('PW3019 duplicate parameter names', () => {
    expect(
      check(
        pipeline([stage('S')], {
          parameters: [
            { type: 'string', name: 'TARGET' },
            { type: 'booleanParam', name: 'TARGET' },
          ],
        }),
      ),
    ).toEqual([['PW3019', ['parameters', 1, 'name'], 'Duplicate parameter name: "TARGET"']]);
    expect(
      check(
        pipeline([
          stage('S', {
            input: {
              message: 'Go?',
              parameters: [
                { type: 'string', name: 'ID' },
                { type: 'text', name: 'ID' },
              ],
            },
          }),
        ]),
      ),
    ).toEqual([['PW3019', ['stages', 0, 'input', 'parameters', 1, 'name'], 'Duplicate parameter name: "ID"']]);
  });

  it('PW3020 tool types must be identifiers', () => {
    expect(check(pipeline([stage('S')], { tools: { 'node-js': '20', maven: '3.9' } }))).toEqual([
      ['PW3020', ['tools', 'node-js'], 'Invalid tool type "node-js": a tool type is a symbol such as "maven" or "nodejs"'],
    ]);
  });

  it('PW3021 failFast only on parallel or matrix stages', () => {
    expect(check(pipeline([stage('S', { failFast: true })]))).toEqual([
      ['PW3021', ['stages', 0, 'failFast'], '"failFast" is not allowed in stage "S" as it contains no parallel or matrix stages'],
    ]);
    expect(check(pipeline([stage('P', { steps: undefined, failFast: true, parallel: [stage('a'), stage('b')] })]))).toEqual([]);
  });

  it('PW3022 sh with returnStatus needs a returnStatusReason of at least 10 characters', () => {
    const message =
      '"sh" with returnStatus: true needs a returnStatusReason of at least 10 characters saying why a failure may be ignored';
    expect(check(withSteps([{ step: 'sh', script: 'npm audit', returnStatus: true }]))).toEqual([
      ['PW3022', ['stages', 0, 'steps', 0, 'returnStatusReason'], message],
    ]);
    expect(check(withSteps([{ step: 'sh', script: 'npm audit', returnStatus: true, returnStatusReason: ' advisory ' }]))).toEqual([
      ['PW3022', ['stages', 0, 'steps', 0, 'returnStatusReason'], message],
    ]);
    expect(
      check(withSteps([{ step: 'sh', script: 'npm audit', returnStatus: true, returnStatusReason: 'advisory until SEC-42' }])),
    ).toEqual([]);
    expect(check(withSteps([{ step: 'sh', script: 'make', returnStatus: false }]))).toEqual([]);
  });

  describe('PW3023 raw Groovy must keep the generated structure intact', () => {
    it('in code kept before or after the pipeline block', () => {
      const helpers = "import groovy.json.JsonOutput\ndef version(String b) { return b + '-1' }\n";
      expect(check(pipeline([stage('A')], { groovyPrologue: helpers, groovyEpilogue: 'def x() { 1 }\n' }))).toEqual([]);
      expect(check(pipeline([stage('A')], { groovyPrologue: 'def broken() {\n' }))).toEqual([
        ['PW3023', ['groovyPrologue'], 'code before the pipeline block: "{" is never closed (line 1, column 14)'],
      ]);
      expect(check(pipeline([stage('A')], { groovyEpilogue: '}\npipeline { agent any }' }))[0]?.slice(0, 2)).toEqual(['PW3023', ['groovyEpilogue']]);
    });

    it('in a script body', () => {
      expect(check(withSteps([{ step: 'script', groovy: 'echo "a"\n}\nstage("evil") {' }]))).toEqual([
        [
          'PW3023',
          ['stages', 0, 'steps', 0, 'groovy'],
          'script: "}" has no matching opening bracket and would close the enclosing "script {" block early (line 2, column 1)',
        ],
      ]);
      expect(check(withSteps([{ step: 'script', groovy: 'if (x) {\n  echo "y"' }]))).toEqual([
        ['PW3023', ['stages', 0, 'steps', 0, 'groovy'], 'script: "{" is never closed (line 1, column 8)'],
      ]);
      expect(check(withSteps([{ step: 'script', groovy: "echo 'abc\necho 'd'" }]))).toEqual([
        [
          'PW3023',
          ['stages', 0, 'steps', 0, 'groovy'],
          'script: a string literal is not terminated before the end of its line (line 1, column 6)',
        ],
      ]);
      // Brackets inside strings, GString placeholders and comments do not count.
      const fine = [
        "echo '}'",
        'echo "${[a: 1].collect { k, v -> "${k}}" }}"',
        "def s = '''\n}\n'''",
        '// }\n/* { */ echo "x"',
        'def m = [a: [1, 2], b: { it -> it }]',
      ];
      expect(check(withSteps(fine.map((groovy): Step => ({ step: 'script', groovy }))))).toEqual([]);
    });

    it('in a when expression', () => {
      expect(check(pipeline([stage('S', { when: { anyOf: [{ expression: 'return true }' }] } })]))).toEqual([
        [
          'PW3023',
          ['stages', 0, 'when', 'anyOf', 0, 'expression'],
          'when expression: "}" has no matching opening bracket and would close the enclosing "expression {" block early (line 1, column 13)',
        ],
      ]);
    });

    it('in a $groovy value, which must stay one expression', () => {
      const at = ['stages', 0, 'steps', 0, 'args', 'x', '$groovy'];
      const generic = (source: string): Pipeline => withSteps([{ step: 'step', name: 'foo', args: { x: { $groovy: source } } }]);
      expect(check(generic('a, b'))).toEqual([
        ['PW3023', at, 'Groovy expression: a top-level "," would split the expression in two (line 1, column 2)'],
      ]);
      expect(check(generic('a // note'))).toEqual([
        [
          'PW3023',
          at,
          'Groovy expression: a // comment would hide the rest of the generated line; use /* … */ (line 1, column 3)',
        ],
      ]);
      expect(check(generic('a\n+ b'))).toEqual([
        ['PW3023', at, 'Groovy expression: an expression may only break lines inside brackets (line 1, column 2)'],
      ]);
      expect(check(generic(' '))).toEqual([['PW3023', at, 'Groovy expression: the expression is blank (line 1, column 1)']]);
      expect(check(pipeline([stage('S')], { environment: { X: { $groovy: 'foo(' } } }))).toEqual([
        ['PW3023', ['environment', 'X', '$groovy'], 'Groovy expression: "(" is never closed (line 1, column 4)'],
      ]);
      expect(check(generic("foo(a,\n  b) + [1, 2].sum() + 'x,y'"))).toEqual([]);
    });
  });

  it('PW3024 \\u escapes in raw Groovy', () => {
    expect(check(withSteps([{ step: 'script', groovy: "echo 'a\\u0027b'" }]))).toEqual([
      [
        'PW3024',
        ['stages', 0, 'steps', 0, 'groovy'],
        'script: "\\u0027" at line 1, column 8 is translated by Groovy before parsing and can change the code; write the character itself',
      ],
    ]);
    expect(check(pipeline([stage('S', { when: { expression: "// C:\\users\nreturn true" } })]))).toEqual([
      [
        'PW3024',
        ['stages', 0, 'when', 'expression'],
        'when expression: "\\us" at line 1, column 6 is read by Groovy as a broken unicode escape; write "\\\\u" for a backslash followed by u',
      ],
    ]);
    // An escaped backslash before u is no escape.
    expect(check(withSteps([{ step: 'script', groovy: "echo 'C:\\\\users'" }]))).toEqual([]);
  });

  it('PW3025 U+FFFF anywhere', () => {
    expect(check(withSteps([{ step: 'echo', message: 'end\uffff' }]))).toEqual([
      ['PW3025', ['stages', 0, 'steps', 0, 'message'], 'U+FFFF cannot appear in a Jenkinsfile: Groovy 2.4 reads it as the end of the file'],
    ]);
    expect(check(withSteps([{ step: 'step', name: 'foo', args: { ['k\uffff']: 1 } }]))).toEqual([
      ['PW3025', ['stages', 0, 'steps', 0, 'args', 'k\uffff'], 'U+FFFF cannot appear in a Jenkinsfile: Groovy 2.4 reads it as the end of the file'],
    ]);
    expect(check(withSteps([{ step: 'echo', message: '\ufffe and \u2028 are fine' }]))).toEqual([]);
  });

  it('PW3026 blocked steps', () => {
    expect(
      check(
        withSteps([
          { step: 'step', name: 'stage', args: ['x'], body: [sh('make')] },
          { step: 'step', name: 'properties', args: [[]] },
          { step: 'step', name: 'parallel', args: { a: { $groovy: '{ -> echo "a" }' } } },
        ]),
      ),
    ).toEqual([
      [
        'PW3026',
        ['stages', 0, 'steps', 0, 'name'],
        'Invalid step "stage" used - not allowed in this context - The stage step cannot be used in Declarative Pipelines',
      ],
      [
        'PW3026',
        ['stages', 0, 'steps', 1, 'name'],
        'Invalid step "properties" used - not allowed in this context - The properties step cannot be used in Declarative Pipelines',
      ],
      [
        'PW3026',
        ['stages', 0, 'steps', 2, 'name'],
        'Invalid step "parallel" used - not allowed in this context - The parallel step can only be used as the only top-level step in a stages step block',
      ],
    ]);
  });

  it('PW3026 accepts the legacy parallel step as the only step of a stage', () => {
    const parallel: Step = { step: 'step', name: 'parallel', args: { a: { $groovy: '{ echo "a" }' }, failFast: true } };
    expect(check(withSteps([parallel]))).toEqual([]);
    expect(check(withSteps([{ step: 'dir', path: 'x', steps: [parallel] }]))).toEqual([
      [
        'PW3026',
        ['stages', 0, 'steps', 0, 'steps', 0, 'name'],
        'Invalid step "parallel" used - not allowed in this context - The parallel step can only be used as the only top-level step in a stages step block',
      ],
    ]);
  });

  it('PW3027 job properties that have their own directive', () => {
    expect(
      check(pipeline([stage('S')], { options: { custom: [{ name: 'parameters', args: [[]] }, { name: 'pipelineTriggers', args: [[]] }] } })),
    ).toEqual([
      [
        'PW3027',
        ['options', 'custom', 0, 'name'],
        'The "parameters" job property cant be used in the "options" directive. Use the "parameters {...}" directive instead.',
      ],
      [
        'PW3027',
        ['options', 'custom', 1, 'name'],
        'The "triggers" job property cant be used in the "options" directive. Use the "triggers {...}" directive instead.',
      ],
    ]);
  });

  it('PW3028 duplicate options', () => {
    expect(check(pipeline([stage('S')], { options: { timestamps: true, custom: [{ name: 'timestamps' }] } }))).toEqual([
      ['PW3028', ['options', 'custom', 0, 'name'], 'Duplicate option name: "timestamps"'],
    ]);
    expect(check(pipeline([stage('S', { options: { custom: [{ name: 'ansiColor', args: ['xterm'] }, { name: 'ansiColor' }] } })]))).toEqual([
      ['PW3028', ['stages', 0, 'options', 'custom', 1, 'name'], 'Duplicate option name: "ansiColor"'],
    ]);
    // A false flag emits nothing, so a custom option of that name is no duplicate.
    expect(check(pipeline([stage('S')], { options: { timestamps: false, custom: [{ name: 'timestamps' }] } }))).toEqual([]);
  });

  it('PW3029 Groovy reserved words as emitted names', () => {
    expect(
      check(
        pipeline([stage('S', { steps: [{ step: 'step', name: 'if', args: ['x'] }] })], {
          environment: { class: 'x' },
          tools: { def: '1' },
          options: { custom: [{ name: 'new' }] },
        }),
      ),
    ).toEqual([
      ['PW3029', ['environment', 'class'], '"class" is a reserved word in Groovy and cannot be used as an environment variable name'],
      ['PW3029', ['options', 'custom', 0, 'name'], '"new" is a reserved word in Groovy and cannot be used as an option name'],
      ['PW3029', ['tools', 'def'], '"def" is a reserved word in Groovy and cannot be used as a tool type'],
      ['PW3029', ['stages', 0, 'steps', 0, 'name'], '"if" is a reserved word in Groovy and cannot be used as a step name'],
    ]);
  });

  it('PW3030 dockerfile filename with a directory', () => {
    expect(check(pipeline([stage('S')], { agent: { type: 'dockerfile', filename: 'ci/Dockerfile' } }))).toEqual([
      ['PW3030', ['agent', 'filename'], 'Dockerfile filename cannot contain directory separators.'],
    ]);
    expect(check(pipeline([stage('S')], { agent: { type: 'dockerfile', filename: 'Dockerfile.ci', dir: 'ci' } }))).toEqual([]);
  });

  it('PW3031 lock needs exactly one of resource and label', () => {
    const message = '"lock" needs either a "resource" or a "label", not both';
    expect(check(pipeline([stage('S')], { options: { lock: { quantity: 1 } } }))).toEqual([['PW3031', ['options', 'lock'], message]]);
    expect(check(withSteps([{ step: 'lock', resource: 'db', label: 'dbs', steps: [sh('x')] }]))).toEqual([
      ['PW3031', ['stages', 0, 'steps', 0], message],
    ]);
    expect(check(withSteps([{ step: 'lock', label: 'dbs', quantity: 1, steps: [sh('x')] }]))).toEqual([]);
  });

  it('PW3032 blank stage names', () => {
    expect(check(pipeline([stage(' ')]))).toEqual([['PW3032', ['stages', 0, 'name'], 'Stage name must not be blank']]);
  });

  it('PW3033 output must be a relative file path inside the project', () => {
    const problems: [string, string][] = [
      ['../elsewhere/Jenkinsfile', 'it contains ".."'],
      ['/etc/Jenkinsfile', 'it is absolute'],
      ['C:/x/Jenkinsfile', 'it is absolute'],
      ['generated\\Jenkinsfile', 'use "/" as the separator, not "\\"'],
      ['generated/', 'it names a directory, not a file'],
      ['generated//Jenkinsfile', 'it contains an empty segment ("//")'],
      ['./Jenkinsfile', 'it contains "."'],
      ['.git/hooks/pre-commit', 'it points into .git'],
      [' ', 'it is blank'],
    ];
    for (const [output, problem] of problems) {
      expect(check(pipeline([stage('S')], { output }))).toEqual([
        ['PW3033', ['output'], `"output" must be a relative file path inside the project: ${problem}`],
      ]);
    }
    expect(check(pipeline([stage('S')], { output: 'generated/app/Jenkinsfile' }))).toEqual([]);
  });

  it('PW3034 strings too long for a class-file constant (65,535 bytes of modified UTF-8)', () => {
    const found = check(withSteps([sh('a'.repeat(65_535)), sh('é'.repeat(32_768)), { step: 'script', groovy: `echo '${'a'.repeat(65_536)}'` }]));
    expect(found.map(([code, path]) => [code, path])).toEqual([
      ['PW3034', ['stages', 0, 'steps', 2, 'groovy']],
      ['PW3034', ['stages', 0, 'steps', 1, 'script']],
    ]);
    expect(found[1]![2]).toMatch(/^this string is 65536 bytes in UTF-8 as Java counts it, more than the 65535/);
  });

  it('PW3035 (a warning) an sh label with a shell variable, which Jenkins shows literally', () => {
    const labelled = (label: string): Step => ({ step: 'sh', script: 'npm test', label });
    const result = validateSchema(withSteps([labelled('npm test on Node.js $NODE_VERSION'), labelled('tests ${SUITE}'), labelled('costs $5')]));
    const diagnostics = checkStructure(result.pipeline!);
    for (const d of diagnostics) exercised.add(d.code);
    expect(diagnostics.map((d) => [d.code, d.severity, d.path, d.found])).toEqual([
      ['PW3035', 'warning', ['stages', 0, 'steps', 0, 'label'], "'npm test on Node.js $NODE_VERSION'"],
      ['PW3035', 'warning', ['stages', 0, 'steps', 1, 'label'], "'tests ${SUITE}'"],
    ]);
    expect(diagnostics[0]!.message).toMatch(/^a step label is shown as written, not expanded by the shell: "\$NODE_VERSION" will appear literally/);
  });

  it('reports violations in several places at once, in model order', () => {
    const found = check(
      pipeline([stage('A', { steps: [] }), stage('A', { environment: {} })], { environment: { 'X-Y': '1' }, post: {} }),
    );
    expect(found.map(([code, path]) => [code, path])).toEqual([
      ['PW3008', ['environment', 'X-Y']],
      ['PW3006', ['stages', 0, 'steps']],
      ['PW3001', ['stages', 1, 'name']],
      ['PW3009', ['stages', 1, 'environment']],
      ['PW3010', ['post']],
    ]);
  });
});

describe('STRUCTURE_RULES', () => {
  it('has unique codes and ids', () => {
    expect(new Set(STRUCTURE_RULES.map((r) => r.code)).size).toBe(STRUCTURE_RULES.length);
    expect(new Set(STRUCTURE_RULES.map((r) => r.id)).size).toBe(STRUCTURE_RULES.length);
    for (const rule of STRUCTURE_RULES) expect(rule.code).toMatch(/^PW3\d{3}$/);
  });

  afterAll(() => {
    // Every listed rule was seen firing in the tests above, and nothing unlisted fired.
    expect([...exercised].sort()).toEqual(STRUCTURE_RULES.map((r) => r.code).sort());
  });
});
