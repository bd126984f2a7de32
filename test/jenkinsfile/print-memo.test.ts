/**
 * The printer's in-process memos (issue #14) against the reference printer
 * (test/jenkinsfile/print-reference.ts, which remembers nothing): line starts remembered by
 * level and call name, `key: ` pieces by key, line counts of long multi-line literals by text.
 * Each memo is fed inputs that differ in one place, in both orders, and must still give each
 * input's own text and line origins.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Expression, JenkinsfileAst, Statement } from '../../src/jenkinsfile/ast.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { referencePrintJenkinsfile } from './print-reference.ts';

const pipeline = (body: Statement[]): JenkinsfileAst => ({
  type: 'Jenkinsfile',
  pipeline: { type: 'Call', name: 'pipeline', args: { positional: [], named: [] }, body, origin: ['pipeline'] } as JenkinsfileAst['pipeline'],
});

const str = (value: string): Expression => ({ type: 'String', value });

/** `statement` nested `depth` levels deep in blocks named `wrapper`. */
function nested(statement: Statement, depth: number, wrapper = 'steps'): Statement {
  let node = statement;
  for (let level = 0; level < depth; level++) node = { type: 'Call', name: wrapper, args: { positional: [], named: [] }, body: [node] };
  return node;
}

function expectSameAsReference(ast: JenkinsfileAst): void {
  expect(printJenkinsfile(ast)).toEqual(referencePrintJenkinsfile(ast));
}

describe('printer memos give each input its own output', () => {
  it('line starts: the same and nearly the same call names at different levels, every call shape', () => {
    // Names one character apart; the same name at several levels; each shape (block, bare call,
    // command style, parentheses) of the same name, which the memo keeps in separate tables.
    const name = fc.constantFrom('stage', 'stagf', 'stage1', 'Stage', 'sh', 'si', 's');
    const shape = fc.constantFrom('block', 'bare', 'command', 'parentheses', 'empty block', 'block with arguments');
    const statement = fc.tuple(name, shape, fc.integer({ min: 0, max: 6 }), fc.option(fc.constant(['steps', 0]), { nil: undefined })).map(
      ([callName, kind, depth, origin]): Statement => {
        const noArgs = { positional: [], named: [] };
        const someArgs = { positional: [str('x')], named: [] };
        const mixedArgs = { positional: [str('x')], named: [{ key: 'k', value: str('y') }] };
        const inner: Statement = { type: 'Call', name: 'echo', args: someArgs };
        const call: Statement =
          kind === 'block'
            ? { type: 'Call', name: callName, args: noArgs, body: [inner] }
            : kind === 'bare'
              ? { type: 'Call', name: callName, args: noArgs }
              : kind === 'command'
                ? { type: 'Call', name: callName, args: someArgs }
                : kind === 'parentheses'
                  ? { type: 'Call', name: callName, args: mixedArgs }
                  : kind === 'empty block'
                    ? { type: 'Call', name: callName, args: noArgs, body: [] }
                    : { type: 'Call', name: callName, args: someArgs, body: [inner] };
        return nested(origin === undefined ? call : { ...call, origin }, depth);
      },
    );
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 6 }), (statements) => {
        expectSameAsReference(pipeline(statements));
      }),
      { numRuns: 400 },
    );
  });

  it('key pieces: keys one character apart, first and later in an argument list or a map', () => {
    const key = fc.constantFrom('label', 'labem', 'label_', 'a-b', 'a_b', 'in', 'it', "it's", '');
    const entries = fc.array(fc.tuple(key, fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(entries, fc.boolean(), (pairs, asMap) => {
        // Duplicate keys are refused by both printers alike; keep them distinct here.
        const distinct = [...new Map(pairs).entries()].map(([key, value]) => ({ key, value: str(value) }));
        const statement: Statement = asMap
          ? { type: 'Call', name: 'f', args: { positional: [{ type: 'Map', entries: distinct }], named: [] } }
          : { type: 'Call', name: 'f', args: { positional: [], named: distinct } };
        expectSameAsReference(pipeline([statement]));
      }),
      { numRuns: 400 },
    );
  });

  it('line counts: long multi-line literals one character apart (a letter or a line feed)', () => {
    const base = Array.from({ length: 40 }, (_, i) => `line ${i} of a script long enough to be remembered`).join('\n');
    // Inside a word: a line feed after a space would be written `\u0020` + LF, a longer literal.
    const at = base.indexOf('script') + 2;
    const withLetter = `${base.slice(0, at)}X${base.slice(at + 1)}`;
    const withLineFeed = `${base.slice(0, at)}\n${base.slice(at + 1)}`;
    const sh = (script: string): Statement => ({ type: 'Call', name: 'sh', args: { positional: [str(script)], named: [] }, origin: ['steps', script.length] });
    for (const order of [
      [base, withLetter, withLineFeed],
      [withLineFeed, withLetter, base],
    ]) {
      for (const script of order) {
        const ast = pipeline([sh(script)]);
        expectSameAsReference(ast);
        expect(printJenkinsfile(ast).lineOrigins).toHaveLength(printJenkinsfile(ast).text.split('\n').length - 1);
      }
    }
  });

  it('line counts: still right for literals printed again after the memo dropped them (more text than it keeps)', () => {
    // 4 M characters are kept; 70 distinct scripts of 60,000 characters go past that.
    const scripts = Array.from({ length: 70 }, (_, n) => `${'#'.repeat(n)}\n${'x'.repeat(59_000 - n)}\n${'y\n'.repeat(n + 1)}`);
    const sh = (script: string): Statement => ({ type: 'Call', name: 'sh', args: { positional: [str(script)], named: [] } });
    for (const script of scripts) printJenkinsfile(pipeline([sh(script)]));
    for (const script of [scripts[0]!, scripts[35]!, scripts[69]!]) expectSameAsReference(pipeline([sh(script)]));
  });
});
