import { describe, expect, it } from 'vitest';
import type { CallStatement, Expression, Statement } from '../../src/jenkinsfile/ast.ts';
import { lowerPipeline } from '../../src/lower/index.ts';
import type { Pipeline, Stage, Step, ValidPipeline, When } from '../../src/model/schema.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { checkStructure } from '../../src/validate/structure.ts';
import { kitchenSink } from './fixtures/kitchen-sink.ts';

// ------------------------------------------------------------------------------- helpers

/** Validates (schema and structure must pass) and lowers. */
function lower(model: Pipeline): CallStatement {
  const { pipeline, diagnostics } = validateSchema(model);
  expect(diagnostics).toEqual([]);
  expect(checkStructure(pipeline!)).toEqual([]);
  return lowerPipeline(pipeline!).pipeline;
}

const S = (value: string): Expression => ({ type: 'String', value });
const N = (text: string): Expression => ({ type: 'Number', text });
const B = (value: boolean): Expression => ({ type: 'Boolean', value });
const I = (name: string): Expression => ({ type: 'Identifier', name });
const raw = (source: string): Expression => ({ type: 'Raw', source });
const pos = (...positional: Expression[]) => ({ positional, named: [] });
const nam = (...entries: [string, Expression][]) => ({ positional: [], named: entries.map(([key, value]) => ({ key, value })) });

/** A statement of `body` by name (the first one). */
function child(statement: Statement | undefined, name: string): CallStatement {
  if (statement?.type !== 'Call') throw new Error(`not a call: ${JSON.stringify(statement)}`);
  const found = statement.body?.find((s): s is CallStatement => s.type === 'Call' && s.name === name);
  if (!found) throw new Error(`no ${name} in ${statement.name}: ${(statement.body ?? []).map((s) => (s.type === 'Call' ? s.name : s.type)).join(', ')}`);
  return found;
}

const names = (statement: CallStatement): string[] => (statement.body ?? []).map((s) => (s.type === 'Call' ? s.name : s.type));

/** Drops `origin` everywhere, for comparing shapes only. */
function shape<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'origin' ? undefined : v))) as T;
}

const onePipeline = (stage: Partial<Stage>, extra: Partial<Pipeline> = {}): CallStatement =>
  lower({ agent: 'any', stages: [{ name: 'S', ...stage } as Stage], ...extra });

/** The lowered `stage('S')` of a one-stage pipeline. */
const oneStage = (stage: Partial<Stage>): CallStatement => child(child(onePipeline(stage), 'stages'), 'stage');

/** The statements of `steps { }` for these steps. */
const stepsOf = (...steps: Step[]): Statement[] => shape(child(oneStage({ steps }), 'steps').body ?? []);

/** The statements of `when { }` for this when. */
const whenOf = (when: When): Statement[] => shape(child(oneStage({ when, steps: [{ step: 'echo', message: 'x' }] }), 'when').body ?? []);

// ------------------------------------------------------------------------------- sections

describe('lowerPipeline: section order', () => {
  it('emits pipeline sections in the fixed order whatever the model key order', () => {
    const tree = lower({
      post: { always: [{ step: 'echo', message: 'x' }] },
      stages: [{ name: 'S', steps: [{ step: 'echo', message: 'x' }] }],
      environment: { A: 'a' },
      tools: { jdk: '17' },
      options: { timestamps: true },
      triggers: { cron: 'H * * * *' },
      parameters: [{ type: 'string', name: 'P' }],
      libraries: ['lib@1'],
      agent: 'none',
    });
    expect(tree.name).toBe('pipeline');
    expect(names(tree)).toEqual(['agent', 'libraries', 'parameters', 'triggers', 'options', 'tools', 'environment', 'stages', 'post']);
  });

  it('emits stage sections in the fixed order, post last', () => {
    const stage = oneStage({
      post: { always: [{ step: 'echo', message: 'x' }] },
      parallel: [{ name: 'a', steps: [{ step: 'echo', message: 'x' }] }],
      failFast: true,
      input: { message: 'Go?' },
      options: { timestamps: true },
      environment: { A: 'a' },
      when: { branch: 'main' },
    });
    expect(stage).toMatchObject({ type: 'Call', name: 'stage', args: pos(S('S')) });
    expect(names(stage)).toEqual(['when', 'environment', 'options', 'input', 'failFast', 'parallel', 'post']);
    expect(names(oneStage({ agent: 'any', tools: { jdk: '17' }, steps: [{ step: 'echo', message: 'x' }] }))).toEqual(['agent', 'tools', 'steps']);
  });

  it('emits failFast only with parallel or matrix, with its value', () => {
    expect(shape(child(oneStage({ failFast: false, parallel: [{ name: 'a', steps: [{ step: 'echo', message: 'x' }] }] }), 'failFast'))).toEqual({
      type: 'Call',
      name: 'failFast',
      args: pos(B(false)),
    });
  });
});

describe('lowerPipeline: agent', () => {
  const agentOf = (agent: Pipeline['agent']) => shape(child(lower({ agent, stages: [{ name: 'S', steps: [{ step: 'echo', message: 'x' }] }] }), 'agent'));
  const closure = (type: string, entries: [string, Expression][]) => ({
    type: 'Call',
    name: 'agent',
    args: pos(),
    body: [{ type: 'Call', name: type, args: pos(), body: entries.map(([key, value]) => ({ type: 'Call', name: key, args: pos(value) })) }],
  });

  it('any and none as identifiers', () => {
    expect(agentOf('any')).toEqual({ type: 'Call', name: 'agent', args: pos(I('any')) });
    expect(agentOf('none')).toEqual({ type: 'Call', name: 'agent', args: pos(I('none')) });
  });

  it('label alone as `agent { label }`, otherwise as `node { }`', () => {
    expect(agentOf({ type: 'label', label: 'linux' })).toEqual({
      type: 'Call',
      name: 'agent',
      args: pos(),
      body: [{ type: 'Call', name: 'label', args: pos(S('linux')) }],
    });
    expect(agentOf({ type: 'label', label: 'linux', customWorkspace: '/ws', retries: 2 })).toEqual(
      closure('node', [
        ['label', S('linux')],
        ['customWorkspace', S('/ws')],
        ['retries', N('2')],
      ]),
    );
    expect(agentOf({ type: 'node', label: 'linux' })).toEqual(closure('node', [['label', S('linux')]]));
  });

  it('docker, dockerfile and kubernetes as closure maps', () => {
    expect(agentOf({ type: 'docker', image: 'node:20', reuseNode: true, args: '-u root', alwaysPull: false })).toEqual(
      closure('docker', [
        ['image', S('node:20')],
        ['alwaysPull', B(false)],
        ['args', S('-u root')],
        ['reuseNode', B(true)],
      ]),
    );
    expect(agentOf({ type: 'dockerfile' })).toEqual({
      type: 'Call',
      name: 'agent',
      args: pos(),
      body: [{ type: 'Call', name: 'dockerfile', args: pos(B(true)) }],
    });
    expect(agentOf({ type: 'dockerfile', filename: 'Dockerfile.ci', dir: 'ci', registryCredentialsId: 'ecr' })).toEqual(
      closure('dockerfile', [
        ['filename', S('Dockerfile.ci')],
        ['dir', S('ci')],
        ['registryCredentialsId', S('ecr')],
      ]),
    );
    expect(agentOf({ type: 'kubernetes', yamlFile: 'pod.yaml', defaultContainer: 'node', cloud: 'eks' })).toEqual(
      closure('kubernetes', [
        ['yamlFile', S('pod.yaml')],
        ['cloud', S('eks')],
        ['defaultContainer', S('node')],
      ]),
    );
  });
});

describe('lowerPipeline: directives', () => {
  const base = { agent: 'any' as const, stages: [{ name: 'S', steps: [{ step: 'echo' as const, message: 'x' }] }] };

  it('libraries as lib(...) calls', () => {
    expect(shape(child(lower({ ...base, libraries: ['a@1', 'b@2'] }), 'libraries'))).toEqual({
      type: 'Call',
      name: 'libraries',
      args: pos(),
      body: [
        { type: 'Call', name: 'lib', args: pos(S('a@1')) },
        { type: 'Call', name: 'lib', args: pos(S('b@2')) },
      ],
    });
  });

  it('parameters with named arguments, only those set', () => {
    const parameters = child(
      lower({
        ...base,
        parameters: [
          { type: 'string', name: 'TARGET', defaultValue: '', description: 'Where', trim: true },
          { type: 'text', name: 'NOTES' },
          { type: 'booleanParam', name: 'DRY', defaultValue: false },
          { type: 'choice', name: 'REGION', choices: ['eu', 'us'], description: 'Region' },
          { type: 'password', name: 'PIN', defaultValue: '0000' },
        ],
      }),
      'parameters',
    );
    expect(shape(parameters.body)).toEqual([
      { type: 'Call', name: 'string', args: nam(['name', S('TARGET')], ['defaultValue', S('')], ['description', S('Where')], ['trim', B(true)]) },
      { type: 'Call', name: 'text', args: nam(['name', S('NOTES')]) },
      { type: 'Call', name: 'booleanParam', args: nam(['name', S('DRY')], ['defaultValue', B(false)]) },
      {
        type: 'Call',
        name: 'choice',
        args: nam(['name', S('REGION')], ['choices', { type: 'List', items: [S('eu'), S('us')] }], ['description', S('Region')]),
      },
      { type: 'Call', name: 'password', args: nam(['name', S('PIN')], ['defaultValue', S('0000')]) },
    ]);
  });

  it('triggers; upstream threshold as an identifier, default SUCCESS', () => {
    const triggers = child(lower({ ...base, triggers: { cron: 'H 2 * * *', pollSCM: 'H/5 * * * *', upstream: { upstreamProjects: ['a', 'b'] } } }), 'triggers');
    expect(shape(triggers.body)).toEqual([
      { type: 'Call', name: 'cron', args: pos(S('H 2 * * *')) },
      { type: 'Call', name: 'pollSCM', args: pos(S('H/5 * * * *')) },
      { type: 'Call', name: 'upstream', args: nam(['upstreamProjects', S('a,b')], ['threshold', I('hudson.model.Result.SUCCESS')]) },
    ]);
    const failure = child(lower({ ...base, triggers: { upstream: { upstreamProjects: 'x', threshold: 'FAILURE' } } }), 'triggers');
    expect(shape(failure.body)).toEqual([
      { type: 'Call', name: 'upstream', args: nam(['upstreamProjects', S('x')], ['threshold', I('hudson.model.Result.FAILURE')]) },
    ]);
  });

  it('options in the fixed order; false flags emit nothing', () => {
    const options = child(
      lower({
        ...base,
        options: {
          custom: [
            { name: 'ansiColor', args: ['xterm'] },
            { name: 'rateLimitBuilds', args: { throttle: { count: 1, durationName: 'hour' } } },
            { name: 'noArgs' },
          ],
          timestamps: true,
          retry: 2,
          lock: { label: 'db', quantity: 1 },
          timeout: { time: 30 },
          checkoutToSubdirectory: 'src',
          skipDefaultCheckout: true,
          newContainerPerStage: false,
          skipStagesAfterUnstable: false,
          parallelsAlwaysFailFast: true,
          quietPeriod: 0,
          preserveStashes: {},
          overrideIndexTriggers: true,
          durabilityHint: 'MAX_SURVIVABILITY',
          disableRestartFromStage: true,
          disableResume: false,
          disableConcurrentBuilds: true,
          buildDiscarder: { numToKeep: 20, daysToKeep: 7, artifactNumToKeep: 5, artifactDaysToKeep: 3 },
        },
      }),
      'options',
    );
    expect(shape(options.body)).toEqual([
      {
        type: 'Call',
        name: 'buildDiscarder',
        args: pos({
          type: 'CallExpression',
          name: 'logRotator',
          args: nam(['numToKeepStr', S('20')], ['daysToKeepStr', S('7')], ['artifactNumToKeepStr', S('5')], ['artifactDaysToKeepStr', S('3')]),
        }),
      },
      { type: 'Call', name: 'disableConcurrentBuilds', args: pos() },
      { type: 'Call', name: 'disableRestartFromStage', args: pos() },
      { type: 'Call', name: 'durabilityHint', args: pos(S('MAX_SURVIVABILITY')) },
      { type: 'Call', name: 'overrideIndexTriggers', args: pos(B(true)) },
      { type: 'Call', name: 'preserveStashes', args: pos() },
      { type: 'Call', name: 'quietPeriod', args: pos(N('0')) },
      { type: 'Call', name: 'parallelsAlwaysFailFast', args: pos() },
      { type: 'Call', name: 'skipDefaultCheckout', args: pos() },
      { type: 'Call', name: 'checkoutToSubdirectory', args: pos(S('src')) },
      { type: 'Call', name: 'timeout', args: pos(N('30')) },
      { type: 'Call', name: 'lock', args: nam(['label', S('db')], ['quantity', N('1')]) },
      { type: 'Call', name: 'retry', args: pos(N('2')) },
      { type: 'Call', name: 'timestamps', args: pos() },
      { type: 'Call', name: 'ansiColor', args: pos(S('xterm')) },
      {
        type: 'Call',
        name: 'rateLimitBuilds',
        args: nam(['throttle', { type: 'Map', entries: [{ key: 'count', value: N('1') }, { key: 'durationName', value: S('hour') }] }]),
      },
      { type: 'Call', name: 'noArgs', args: pos() },
    ]);
  });

  it('disableConcurrentBuilds(abortPrevious: true), preserveStashes(buildCount:), timeout with activity', () => {
    const options = child(
      lower({ ...base, options: { disableConcurrentBuilds: { abortPrevious: true }, preserveStashes: { buildCount: 5 }, timeout: { time: 2, unit: 'HOURS', activity: true } } }),
      'options',
    );
    expect(shape(options.body)).toEqual([
      { type: 'Call', name: 'disableConcurrentBuilds', args: nam(['abortPrevious', B(true)]) },
      { type: 'Call', name: 'preserveStashes', args: nam(['buildCount', N('5')]) },
      { type: 'Call', name: 'timeout', args: nam(['time', N('2')], ['unit', S('HOURS')], ['activity', B(true)]) },
    ]);
  });

  it('tools as `type version` calls', () => {
    expect(shape(child(lower({ ...base, tools: { nodejs: 'node-20', maven: '3.9' } }), 'tools').body)).toEqual([
      { type: 'Call', name: 'nodejs', args: pos(S('node-20')) },
      { type: 'Call', name: 'maven', args: pos(S('3.9')) },
    ]);
  });

  it('environment as assignments; credentials() as a call; $groovy as raw', () => {
    const environment = child(
      lower({ ...base, environment: { A: 'a ${b}', N: 3, F: false, C: { credentials: 'npm-token' }, G: { $groovy: 'env.X ?: "y"' } } }),
      'environment',
    );
    expect(environment.body).toEqual([
      { type: 'Assignment', name: 'A', value: S('a ${b}'), origin: ['environment', 'A'] },
      { type: 'Assignment', name: 'N', value: N('3'), origin: ['environment', 'N'] },
      { type: 'Assignment', name: 'F', value: B(false), origin: ['environment', 'F'] },
      { type: 'Assignment', name: 'C', value: { type: 'CallExpression', name: 'credentials', args: pos(S('npm-token')) }, origin: ['environment', 'C'] },
      { type: 'Assignment', name: 'G', value: raw('env.X ?: "y"'), origin: ['environment', 'G'] },
    ]);
  });

  it('input with joined submitters and parameters', () => {
    const input = child(
      oneStage({
        input: { message: 'Deploy?', id: 'go', ok: 'Yes', submitter: ['a', 'b'], submitterParameter: 'APPROVER', parameters: [{ type: 'string', name: 'CHANGE' }] },
        steps: [{ step: 'echo', message: 'x' }],
      }),
      'input',
    );
    expect(shape(input.body)).toEqual([
      { type: 'Call', name: 'message', args: pos(S('Deploy?')) },
      { type: 'Call', name: 'id', args: pos(S('go')) },
      { type: 'Call', name: 'ok', args: pos(S('Yes')) },
      { type: 'Call', name: 'submitter', args: pos(S('a,b')) },
      { type: 'Call', name: 'submitterParameter', args: pos(S('APPROVER')) },
      { type: 'Call', name: 'parameters', args: pos(), body: [{ type: 'Call', name: 'string', args: nam(['name', S('CHANGE')]) }] },
    ]);
  });

  it('post conditions in the order Jenkins runs them', () => {
    const echo = (message: string): Step => ({ step: 'echo', message });
    const post = child(
      lower({
        ...base,
        post: { cleanup: [echo('7')], failure: [echo('6')], unstable: [echo('5')], success: [echo('4')], aborted: [echo('3')], changed: [echo('2')], always: [echo('1')] },
      }),
      'post',
    );
    expect(names(post)).toEqual(['always', 'changed', 'aborted', 'success', 'unstable', 'failure', 'cleanup']);
    expect(shape(child(post, 'failure').body)).toEqual([{ type: 'Call', name: 'echo', args: pos(S('6')) }]);
  });

  it('matrix with axes, excludes, directives, stages and post', () => {
    const matrix = child(
      oneStage({
        matrix: {
          post: { always: [{ step: 'echo', message: 'done' }] },
          stages: [{ name: 'cell', steps: [{ step: 'echo', message: 'x' }] }],
          environment: { M: '1' },
          agent: { type: 'label', label: 'l' },
          excludes: [{ axes: [{ name: 'OS', notValues: ['linux'] }] }],
          axes: [{ name: 'OS', values: ['linux', 'mac'] }],
        },
      }),
      'matrix',
    );
    expect(names(matrix)).toEqual(['axes', 'excludes', 'agent', 'environment', 'stages', 'post']);
    expect(shape(child(matrix, 'axes').body)).toEqual([
      {
        type: 'Call',
        name: 'axis',
        args: pos(),
        body: [
          { type: 'Call', name: 'name', args: pos(S('OS')) },
          { type: 'Call', name: 'values', args: pos(S('linux'), S('mac')) },
        ],
      },
    ]);
    expect(shape(child(matrix, 'excludes').body)).toEqual([
      {
        type: 'Call',
        name: 'exclude',
        args: pos(),
        body: [
          {
            type: 'Call',
            name: 'axis',
            args: pos(),
            body: [
              { type: 'Call', name: 'name', args: pos(S('OS')) },
              { type: 'Call', name: 'notValues', args: pos(S('linux')) },
            ],
          },
        ],
      },
    ]);
  });

  it('omits an options section that sets nothing (reported by checkStructure)', () => {
    const model = { ...base, options: { timestamps: false } } as Pipeline;
    const { pipeline } = validateSchema(model);
    expect(names(lowerPipeline(pipeline as ValidPipeline).pipeline)).toEqual(['agent', 'stages']);
  });
});

// ------------------------------------------------------------------------------- when

describe('lowerPipeline: when', () => {
  it('flags first, then conditions in WHEN_CONDITION_KEYS order', () => {
    expect(
      whenOf({
        isRestartedRun: true,
        expression: 'return true',
        branch: 'main',
        beforeOptions: true,
        beforeAgent: true,
        buildingTag: true,
      }),
    ).toEqual([
      { type: 'Call', name: 'beforeAgent', args: pos(B(true)) },
      { type: 'Call', name: 'beforeOptions', args: pos(B(true)) },
      { type: 'Call', name: 'branch', args: pos(S('main')) },
      { type: 'Call', name: 'buildingTag', args: pos() },
      { type: 'GroovyBlock', keyword: 'expression', source: 'return true' },
      { type: 'Call', name: 'isRestartedRun', args: pos() },
    ]);
  });

  it('every condition form', () => {
    expect(
      whenOf({
        branch: { pattern: 'release/.*', comparator: 'REGEXP' },
        changelog: '.*fix.*',
        changeset: { pattern: '*.ts', caseSensitive: true },
        changeRequest: { target: 'main', author: 'bob' },
        environment: { name: 'DEPLOY', value: 'yes', ignoreCase: true },
        equals: { expected: 2, actual: { $groovy: 'currentBuild.number' } },
        tag: 'v*',
        triggeredBy: { cause: 'UserIdCause', detail: 'alice' },
      }),
    ).toEqual([
      { type: 'Call', name: 'branch', args: nam(['pattern', S('release/.*')], ['comparator', S('REGEXP')]) },
      { type: 'Call', name: 'changelog', args: pos(S('.*fix.*')) },
      { type: 'Call', name: 'changeset', args: nam(['pattern', S('*.ts')], ['caseSensitive', B(true)]) },
      { type: 'Call', name: 'changeRequest', args: nam(['target', S('main')], ['author', S('bob')]) },
      { type: 'Call', name: 'environment', args: nam(['name', S('DEPLOY')], ['value', S('yes')], ['ignoreCase', B(true)]) },
      { type: 'Call', name: 'equals', args: nam(['expected', N('2')], ['actual', raw('currentBuild.number')]) },
      { type: 'Call', name: 'tag', args: pos(S('v*')) },
      { type: 'Call', name: 'triggeredBy', args: nam(['cause', S('UserIdCause')], ['detail', S('alice')]) },
    ]);
    expect(whenOf({ changeRequest: true, triggeredBy: 'TimerTrigger', changeset: 'src/**' })).toEqual([
      { type: 'Call', name: 'changeset', args: pos(S('src/**')) },
      { type: 'Call', name: 'changeRequest', args: pos() },
      { type: 'Call', name: 'triggeredBy', args: pos(S('TimerTrigger')) },
    ]);
  });

  it('an allOf is lifted into the when (its conditions must all hold there too), unless a name would repeat', () => {
    expect(whenOf({ beforeAgent: true, allOf: [{ not: { changeRequest: true } }, { branch: 'main' }] })).toEqual([
      { type: 'Call', name: 'beforeAgent', args: pos({ type: 'Boolean', value: true }) },
      { type: 'Call', name: 'not', args: pos(), body: [{ type: 'Call', name: 'changeRequest', args: pos() }] },
      { type: 'Call', name: 'branch', args: pos(S('main')) },
    ]);
    // Beside another condition it is lifted in its place (the form pipewright import compares equal).
    const beside = whenOf({ environment: { name: 'GO', value: 'yes' }, allOf: [{ not: { changeRequest: true } }, { branch: 'main' }] });
    expect(beside.map((s) => (s as CallStatement).name)).toEqual(['environment', 'not', 'branch']);
    // Two children of the same name: the allOf stays too.
    expect(whenOf({ allOf: [{ branch: 'a' }, { branch: 'b' }] })).toEqual([
      {
        type: 'Call',
        name: 'allOf',
        args: pos(),
        body: [
          { type: 'Call', name: 'branch', args: pos(S('a')) },
          { type: 'Call', name: 'branch', args: pos(S('b')) },
        ],
      },
    ]);
  });

  it('allOf flattens its children; anyOf and not wrap a multi-condition child in allOf', () => {
    expect(
      whenOf({
        branch: 'x',
        allOf: [{ branch: 'main', tag: 'v*' }, { buildingTag: true }],
        anyOf: [{ branch: 'a' }, { branch: 'b', changelog: 'x' }],
        not: { branch: 'c', buildingTag: true },
      }),
    ).toEqual([
      { type: 'Call', name: 'branch', args: pos(S('x')) },
      {
        type: 'Call',
        name: 'allOf',
        args: pos(),
        body: [
          { type: 'Call', name: 'branch', args: pos(S('main')) },
          { type: 'Call', name: 'tag', args: pos(S('v*')) },
          { type: 'Call', name: 'buildingTag', args: pos() },
        ],
      },
      {
        type: 'Call',
        name: 'anyOf',
        args: pos(),
        body: [
          { type: 'Call', name: 'branch', args: pos(S('a')) },
          {
            type: 'Call',
            name: 'allOf',
            args: pos(),
            body: [
              { type: 'Call', name: 'branch', args: pos(S('b')) },
              { type: 'Call', name: 'changelog', args: pos(S('x')) },
            ],
          },
        ],
      },
      {
        type: 'Call',
        name: 'not',
        args: pos(),
        body: [
          {
            type: 'Call',
            name: 'allOf',
            args: pos(),
            body: [
              { type: 'Call', name: 'branch', args: pos(S('c')) },
              { type: 'Call', name: 'buildingTag', args: pos() },
            ],
          },
        ],
      },
    ]);
    expect(whenOf({ not: { branch: 'c' } })).toEqual([
      { type: 'Call', name: 'not', args: pos(), body: [{ type: 'Call', name: 'branch', args: pos(S('c')) }] },
    ]);
  });
});

// ------------------------------------------------------------------------------- steps

describe('lowerPipeline: steps', () => {
  const echo: Step = { step: 'echo', message: 'in' };
  const echoNode = { type: 'Call', name: 'echo', args: pos(S('in')) };

  it('sh positional when only the script is set, named otherwise', () => {
    expect(
      stepsOf(
        { step: 'sh', script: 'make' },
        { step: 'sh', script: 'make', label: 'Build' },
        { step: 'sh', script: 'audit', returnStatus: true, returnStatusReason: 'advisory until SEC-42' },
      ),
    ).toEqual([
      { type: 'Call', name: 'sh', args: pos(S('make')) },
      { type: 'Call', name: 'sh', args: nam(['script', S('make')], ['label', S('Build')]) },
      { type: 'Call', name: 'sh', args: nam(['script', S('audit')], ['returnStatus', B(true)]) },
    ]);
  });

  it('echo, checkout scm, git, unstash', () => {
    expect(
      stepsOf(
        { step: 'echo', message: "it's" },
        { step: 'checkout', scm: true },
        { step: 'git', url: 'https://x/y.git', branch: 'main', poll: false },
        { step: 'unstash', name: 'dist' },
      ),
    ).toEqual([
      { type: 'Call', name: 'echo', args: pos(S("it's")) },
      { type: 'Call', name: 'checkout', args: pos(I('scm')) },
      { type: 'Call', name: 'git', args: nam(['url', S('https://x/y.git')], ['branch', S('main')], ['poll', B(false)]) },
      { type: 'Call', name: 'unstash', args: pos(S('dist')) },
    ]);
  });

  it('junit, archiveArtifacts and stash: positional when only the required field, named otherwise', () => {
    expect(
      stepsOf(
        { step: 'junit', testResults: 'r/*.xml' },
        { step: 'junit', testResults: 'r/*.xml', allowEmptyResults: true, keepLongStdio: false },
        { step: 'archiveArtifacts', artifacts: 'dist/**' },
        { step: 'archiveArtifacts', artifacts: 'dist/**', excludes: '*.map', fingerprint: true },
        { step: 'stash', name: 'dist' },
        { step: 'stash', name: 'dist', includes: 'dist/**', useDefaultExcludes: false },
      ),
    ).toEqual([
      { type: 'Call', name: 'junit', args: pos(S('r/*.xml')) },
      { type: 'Call', name: 'junit', args: nam(['testResults', S('r/*.xml')], ['allowEmptyResults', B(true)], ['keepLongStdio', B(false)]) },
      { type: 'Call', name: 'archiveArtifacts', args: pos(S('dist/**')) },
      { type: 'Call', name: 'archiveArtifacts', args: nam(['artifacts', S('dist/**')], ['excludes', S('*.map')], ['fingerprint', B(true)]) },
      { type: 'Call', name: 'stash', args: pos(S('dist')) },
      { type: 'Call', name: 'stash', args: nam(['name', S('dist')], ['includes', S('dist/**')], ['useDefaultExcludes', B(false)]) },
    ]);
  });

  it('block steps: dir, withCredentials, timeout, retry, lock', () => {
    expect(
      stepsOf(
        { step: 'dir', path: 'sub', steps: [echo] },
        {
          step: 'withCredentials',
          bindings: [
            { type: 'usernamePassword', credentialsId: 'art', usernameVariable: 'U', passwordVariable: 'P' },
            { type: 'string', credentialsId: 'tok', variable: 'T' },
            { type: 'file', credentialsId: 'rc', variable: 'F' },
            { type: 'sshUserPrivateKey', credentialsId: 'key', keyFileVariable: 'K', passphraseVariable: 'PP' },
          ],
          steps: [echo],
        },
        { step: 'timeout', time: 5, steps: [echo] },
        { step: 'retry', count: 3, steps: [echo] },
        { step: 'lock', resource: 'db', quantity: 1, steps: [echo] },
      ),
    ).toEqual([
      { type: 'Call', name: 'dir', args: pos(S('sub')), body: [echoNode] },
      {
        type: 'Call',
        name: 'withCredentials',
        args: pos({
          type: 'List',
          items: [
            { type: 'CallExpression', name: 'usernamePassword', args: nam(['credentialsId', S('art')], ['usernameVariable', S('U')], ['passwordVariable', S('P')]) },
            { type: 'CallExpression', name: 'string', args: nam(['credentialsId', S('tok')], ['variable', S('T')]) },
            { type: 'CallExpression', name: 'file', args: nam(['credentialsId', S('rc')], ['variable', S('F')]) },
            { type: 'CallExpression', name: 'sshUserPrivateKey', args: nam(['credentialsId', S('key')], ['keyFileVariable', S('K')], ['passphraseVariable', S('PP')]) },
          ],
        }),
        body: [echoNode],
      },
      // Minutes are the default unit: the short form (fewer nodes in the pipeline's method).
      { type: 'Call', name: 'timeout', args: pos(N('5')), body: [echoNode] },
      { type: 'Call', name: 'retry', args: pos(N('3')), body: [echoNode] },
      { type: 'Call', name: 'lock', args: nam(['resource', S('db')], ['quantity', N('1')]), body: [echoNode] },
    ]);
  });

  it('script as a verbatim GroovyBlock', () => {
    expect(stepsOf({ step: 'script', groovy: 'def x = 1\necho "${x}"' })).toEqual([
      { type: 'GroovyBlock', keyword: 'script', source: 'def x = 1\necho "${x}"' },
    ]);
  });

  it('generic steps: named, positional, nested values, no args, body', () => {
    expect(
      stepsOf(
        { step: 'step', name: 'recordIssues', args: { tools: [{ $groovy: "sarif(pattern: 'x')" }], gates: [{ threshold: 1, ok: null }], ratio: 0.5 } },
        { step: 'step', name: 'withEnv', args: [['A=1', 'B=2']], body: [echo] },
        { step: 'step', name: 'cleanWs' },
        { step: 'step', name: 'big', args: [1e21, -2] },
      ),
    ).toEqual([
      {
        type: 'Call',
        name: 'recordIssues',
        args: nam(
          ['tools', { type: 'List', items: [raw("sarif(pattern: 'x')")] }],
          [
            'gates',
            {
              type: 'List',
              items: [{ type: 'Map', entries: [{ key: 'threshold', value: N('1') }, { key: 'ok', value: { type: 'Null' } }] }],
            },
          ],
          ['ratio', N('0.5')],
        ),
      },
      { type: 'Call', name: 'withEnv', args: pos({ type: 'List', items: [S('A=1'), S('B=2')] }), body: [echoNode] },
      { type: 'Call', name: 'cleanWs', args: pos() },
      { type: 'Call', name: 'big', args: pos(N('1E21'), N('-2')) },
    ]);
  });

  it('delivery steps expand in place and add their post contributions ahead of the stage\'s own', () => {
    const stage = oneStage({
      steps: [
        { step: 'echo', message: 'before' },
        { step: 'npmRun', script: 'test', junit: 'reports/junit/*.xml' },
        { step: 'echo', message: 'after' },
      ],
      post: { always: [{ step: 'echo', message: 'mine' }] },
    });
    const steps = child(stage, 'steps').body ?? [];
    expect(steps[0]).toMatchObject({ name: 'echo', origin: ['stages', 0, 'steps', 0] });
    expect(steps[steps.length - 1]).toMatchObject({ name: 'echo', origin: ['stages', 0, 'steps', 2] });
    const expanded = steps.slice(1, -1);
    expect(expanded.length).toBeGreaterThan(0);
    for (const statement of expanded) expect(statement.origin).toEqual(['stages', 0, 'steps', 1]);

    const always = child(child(stage, 'post'), 'always').body ?? [];
    expect(always[always.length - 1]).toMatchObject({ name: 'echo', args: pos(S('mine')), origin: ['stages', 0, 'post', 'always', 0] });
    const contributed = always.slice(0, -1);
    // junit is a generator snippet: it runs from a helper method after the pipeline block (src/lower/outline.ts).
    expect(contributed.some((s) => s.type === 'Call' && /^pwNpmRun\d+$/.test(s.name))).toBe(true);
    for (const statement of contributed) expect(statement.origin).toEqual(['stages', 0, 'steps', 1]);
  });

  it('a delivery step without an author post creates the post block', () => {
    const stage = oneStage({ steps: [{ step: 'npmRun', script: 'test', junit: 'reports/junit/*.xml' }] });
    expect(names(stage)).toEqual(['steps', 'post']);
    expect(child(stage, 'post').origin).toEqual(['stages', 0, 'post']);
  });
});

// ------------------------------------------------------------------------------- origins

describe('lowerPipeline: origins', () => {
  it('puts an origin on every statement, naming a value that exists in the model', () => {
    const tree = lower(kitchenSink);
    const resolve = (path: readonly (string | number)[]): unknown =>
      path.reduce<unknown>((value, key) => (value as Record<string | number, unknown> | undefined)?.[key], kitchenSink);
    let count = 0;
    const visit = (statement: Statement): void => {
      count++;
      expect(statement.origin, JSON.stringify(shape(statement)).slice(0, 120)).toBeDefined();
      expect(resolve(statement.origin!), JSON.stringify(statement.origin)).not.toBeUndefined();
      if (statement.type === 'Call') statement.body?.forEach(visit);
    };
    visit(tree);
    expect(count).toBeGreaterThan(150);
  });

  it('names the exact model value of a statement', () => {
    const tree = lower(kitchenSink);
    const build = (child(tree, 'stages').body ?? [])[1] as CallStatement;
    expect(build.origin).toEqual(['stages', 1]);
    expect(child(build, 'steps').origin).toEqual(['stages', 1, 'steps']);
    const dir = child(child(build, 'steps'), 'dir');
    expect(dir.origin).toEqual(['stages', 1, 'steps', 9]);
    expect(child(dir, 'withCredentials').origin).toEqual(['stages', 1, 'steps', 9, 'steps', 0]);
    expect(child(child(tree, 'options'), 'timeout').origin).toEqual(['options', 'timeout']);
    expect(child(child(tree, 'options'), 'ansiColor').origin).toEqual(['options', 'custom', 0]);
  });
});
