/**
 * The printer against its reference (test/jenkinsfile/print-reference.ts, the printer before
 * #14 made it leaner): on random ASTs with origins on random nodes, both give the same text and
 * the same line origins, or throw the same error with the same origin.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Arguments, Expression, JenkinsfileAst, MapEntry, NodeMeta, Statement } from '../../src/jenkinsfile/ast.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { trickyMultilineString, trickyString } from './arbitraries.ts';
import { referencePrintJenkinsfile } from './print-reference.ts';

/** An origin or none: nodes with and without origins decide which line is credited to what. */
const maybeOrigin = fc.option(
  fc.array(fc.oneof(fc.constantFrom('stages', 'steps', 'post', 'env'), fc.nat({ max: 9 })), { minLength: 1, maxLength: 4 }),
  { nil: undefined, freq: 2 },
);

function withOrigin<T extends NodeMeta>(node: T, origin: NodeMeta['origin']): T {
  return origin === undefined ? node : { ...node, origin };
}

const text = fc.oneof(trickyString, trickyMultilineString, fc.constantFrom('', 'x', 'a\nb', '\n', 'end\n', '\nstart'));
const callName = fc.constantFrom('sh', 'echo', 'stage', 'steps', 'GenericTrigger', 'withEnv', 'x_1', '$x', 'not-a-name', 'def');
const key = fc.oneof(fc.constantFrom('k', 'script', 'label', '$class', 'a-b', 'in', 'k'), trickyString);
const rawSource = fc.constantFrom('"${env.X}"', '-5', '1 + 2', '{ -> 1 }', "env.X ?: 'y'", '"a\nb"', '"c\r\nd"', 'x\ry', '', '[1]');

const tree = fc.letrec<{ expression: Expression; entry: MapEntry; args: Arguments; statement: Statement }>((tie) => ({
  expression: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(text, maybeOrigin).map(([value, origin]) => withOrigin<Expression>({ type: 'String', value }, origin)),
    fc.tuple(fc.constantFrom('1', '-1', '2.5', '9223372036854775808'), maybeOrigin).map(([t, origin]) => withOrigin<Expression>({ type: 'Number', text: t }, origin)),
    fc.tuple(fc.boolean(), maybeOrigin).map(([value, origin]) => withOrigin<Expression>({ type: 'Boolean', value }, origin)),
    maybeOrigin.map((origin) => withOrigin<Expression>({ type: 'Null' }, origin)),
    fc.tuple(fc.constantFrom('any', 'scm', 'env.X', '_x', '9lives', 'a\nb'), maybeOrigin).map(([name, origin]) => withOrigin<Expression>({ type: 'Identifier', name }, origin)),
    fc.tuple(rawSource, maybeOrigin).map(([source, origin]) => withOrigin<Expression>({ type: 'Raw', source }, origin)),
    fc.tuple(fc.array(tie('expression'), { maxLength: 3 }), maybeOrigin).map(([items, origin]) => withOrigin<Expression>({ type: 'List', items }, origin)),
    fc.tuple(fc.array(tie('entry'), { maxLength: 3 }), maybeOrigin).map(([entries, origin]) => withOrigin<Expression>({ type: 'Map', entries }, origin)),
    fc.tuple(callName, tie('args'), maybeOrigin).map(([name, args, origin]) => withOrigin<Expression>({ type: 'CallExpression', name, args }, origin)),
  ),
  entry: fc.tuple(key, tie('expression'), maybeOrigin).map(([k, value, origin]) => withOrigin<MapEntry>({ key: k, value }, origin)),
  // Named keys may repeat (the printers must refuse alike).
  args: fc.record({ positional: fc.array(tie('expression'), { maxLength: 3 }), named: fc.array(tie('entry'), { maxLength: 3 }) }),
  statement: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(callName, tie('args'), maybeOrigin).map(([name, args, origin]) => withOrigin<Statement>({ type: 'Call', name, args }, origin)),
    fc.tuple(callName, tie('args'), fc.array(tie('statement'), { maxLength: 4 }), maybeOrigin).map(([name, args, body, origin]) =>
      withOrigin<Statement>({ type: 'Call', name, args, body }, origin),
    ),
    fc.tuple(fc.constantFrom('FOO', 'BAR_2', 'if'), tie('expression'), maybeOrigin).map(([name, value, origin]) => withOrigin<Statement>({ type: 'Assignment', name, value }, origin)),
    fc.tuple(
      fc.constantFrom('script' as const, 'expression' as const),
      fc.constantFrom('', "def x = 'v'\nif (x) {\n  echo x\n}", "  sh '''\nset -e\n  two\n'''\n  echo 1", '\r\n  a\r\n    b\r\n', 'return true'),
      maybeOrigin,
    ).map(([keyword, source, origin]) => withOrigin<Statement>({ type: 'GroovyBlock', keyword, source }, origin)),
    fc.tuple(fc.constantFrom('note', '', 'a */ b', 'bad\nline'), maybeOrigin).map(([t, origin]) => withOrigin<Statement>({ type: 'Comment', text: t }, origin)),
  ),
}));

const ast: fc.Arbitrary<JenkinsfileAst> = fc
  .tuple(
    fc.array(tree.statement, { maxLength: 8 }),
    maybeOrigin,
    fc.option(fc.constantFrom("@Library('x') _\r\n\r\n", 'import a.B\n', 'x'), { nil: undefined }),
    fc.option(fc.constantFrom('\ndef helper() {\n  echo 1\n}\n', 'def a() {}\r\n', '\n\n'), { nil: undefined }),
  )
  .map(([body, origin, prologue, epilogue]) => {
    const pipeline: Statement = withOrigin<Statement>({ type: 'Call', name: 'pipeline', args: { positional: [], named: [] }, body }, origin);
    const file: JenkinsfileAst = { type: 'Jenkinsfile', pipeline: pipeline as JenkinsfileAst['pipeline'] };
    if (prologue !== undefined) file.prologue = prologue;
    if (epilogue !== undefined) file.epilogue = epilogue;
    return file;
  });

/** What a printer did: its output, or the error it threw (class, message, origin). */
function outcome(print: (ast: JenkinsfileAst) => unknown, input: JenkinsfileAst): unknown {
  try {
    return { printed: print(input) };
  } catch (error) {
    const { name, message, origin } = error as Error & { origin?: unknown };
    return { error: { name, message, origin } };
  }
}

describe('printJenkinsfile against the reference printer', () => {
  it('same text and line origins (or the same error) on random ASTs with random origins', () => {
    let printedOnes = 0;
    fc.assert(
      fc.property(ast, (input) => {
        const expected = outcome(referencePrintJenkinsfile, input);
        expect(outcome(printJenkinsfile, input)).toEqual(expected);
        if ('printed' in (expected as object)) printedOnes++;
      }),
      { numRuns: 3000 },
    );
    // The comparison must cover printed files, not only errors.
    expect(printedOnes).toBeGreaterThan(300);
  });
});
