/**
 * src/lower/delivery/types.ts mergeAdjacentArchives: consecutive archiveArtifacts contributions
 * merge only when every other named argument is the same literal, in the same order.
 */
import { describe, expect, it } from 'vitest';
import { bool, call, named, str, type Expression, type Statement } from '../../src/jenkinsfile/ast.ts';
import { mergeAdjacentArchives } from '../../src/lower/delivery/types.ts';

const archive = (artifacts: string, options: [string, Expression][]): Statement =>
  call('archiveArtifacts', named([['artifacts', str(artifacts)], ...options]));

const artifactsOf = (statements: Statement[]) =>
  statements.map((s) => (s.type === 'Call' ? s.args.named.find((e) => e.key === 'artifacts')?.value : undefined)).map((v) => (v?.type === 'String' ? v.value : v));

describe('mergeAdjacentArchives', () => {
  const same: [string, Expression][] = [['allowEmptyArchive', bool(true)], ['fingerprint', bool(true)]];

  it('merges archives with the same options into one list of patterns', () => {
    expect(artifactsOf(mergeAdjacentArchives([archive('a', same), archive('b', same), archive('c', same)]))).toEqual(['a,b,c']);
  });

  it.each([
    ['a different value', [['allowEmptyArchive', bool(false)], ['fingerprint', bool(true)]]],
    ['a string instead of a boolean', [['allowEmptyArchive', str('true')], ['fingerprint', bool(true)]]],
    ['another order', [['fingerprint', bool(true)], ['allowEmptyArchive', bool(true)]]],
    ['one option fewer', [['allowEmptyArchive', bool(true)]]],
    ['one option more', [...same, ['onlyIfSuccessful', bool(true)]]],
    ['another key', [['allowEmptyArchive', bool(true)], ['caseSensitive', bool(true)]]],
    ['a value that is not a literal', [['allowEmptyArchive', { type: 'Identifier', name: 'x' }], ['fingerprint', bool(true)]]],
  ] as [string, [string, Expression][]][])('keeps archives apart with %s', (_, options) => {
    expect(artifactsOf(mergeAdjacentArchives([archive('a', same), archive('b', options)]))).toEqual(['a', 'b']);
  });

  it('merges only neighbours', () => {
    const statements = [archive('a', same), call('echo', named([['message', str('x')]])), archive('b', same)];
    expect(mergeAdjacentArchives(statements)).toHaveLength(3);
  });
});
