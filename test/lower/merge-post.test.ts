/**
 * The stage `post` merge reads each contribution's own keys, and a `when` condition object's own
 * keys, instead of looking up every name Jenkins knows. Both are compared here with the plain
 * readings they replace: the previous merge (every condition of every contribution, concatenated,
 * then merged) and the condition lowering of an object without prototype (which reads every name).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { block, bool, call, named, str, type CallStatement, type Statement } from '../../src/jenkinsfile/ast.ts';
import { mergeAdjacentArchives, mergePostContributions, postConditionsSetIn, type PostContributions } from '../../src/lower/delivery/types.ts';
import { lowerWhen } from '../../src/lower/index.ts';
import { POST_CONDITIONS, WHEN_CONDITION_KEYS, type When, type WhenCondition } from '../../src/model/schema.ts';

/** The merge as it was: every condition name of every contribution, concatenated, then merged. */
function referenceMerge(post: CallStatement | undefined, all: readonly PostContributions[]): CallStatement | undefined {
  const contributions: PostContributions = {};
  for (const contribution of all) {
    for (const condition of POST_CONDITIONS) {
      const statements = contribution[condition];
      if (statements === undefined || statements.length === 0) continue;
      (contributions[condition] ??= []).push(...statements);
    }
  }
  if (!POST_CONDITIONS.some((c) => (contributions[c]?.length ?? 0) > 0)) return post;
  const existing = new Map<string, Statement[]>();
  const body: Statement[] = [];
  for (const statement of post?.body ?? []) {
    if (statement.type === 'Call' && (POST_CONDITIONS as readonly string[]).includes(statement.name)) existing.set(statement.name, statement.body ?? []);
    else body.push(statement);
  }
  for (const condition of POST_CONDITIONS) {
    const contributed = contributions[condition];
    const own = existing.get(condition);
    if (contributed === undefined && own === undefined) continue;
    const statements = contributed === undefined ? [] : mergeAdjacentArchives(contributed);
    if (own !== undefined) statements.push(...own);
    if (statements.length > 0) body.push(block(condition, statements));
  }
  const merged = block('post', body);
  if (post?.origin !== undefined) merged.origin = post.origin;
  return merged;
}

const archive = (artifacts: string) => call('archiveArtifacts', named([['artifacts', str(artifacts)], ['allowEmptyArchive', bool(true)]]));
const statement = fc.oneof(
  fc.string({ maxLength: 3 }).map((text) => call('echo', named([['message', str(text)]]))),
  fc.constantFrom('a', 'b', 'c').map(archive),
);
const condition = fc.constantFrom(...POST_CONDITIONS);
const contribution = fc
  .uniqueArray(fc.tuple(condition, fc.array(statement, { maxLength: 3 })), { selector: ([c]) => c, maxLength: 4 })
  .map((entries) => Object.fromEntries(entries) as PostContributions);
const authorPost = fc.option(
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(condition, fc.array(statement, { maxLength: 2 })), { selector: ([c]) => c, maxLength: 3 }),
      fc.boolean(),
      fc.option(fc.constant(['stages', 0, 'post'] as const), { nil: undefined }),
    )
    .map(([conditions, withComment, origin]) => {
      const body: Statement[] = conditions.map(([name, statements]) => block(name, statements));
      if (withComment) body.splice(body.length >> 1, 0, { type: 'Comment', text: 'not a condition' });
      return block('post', body, origin);
    }),
  { nil: undefined },
);

describe('mergePostContributions', () => {
  it('gives what the concatenate-then-merge reading gives', () => {
    fc.assert(
      fc.property(authorPost, fc.array(contribution, { maxLength: 4 }), (post, contributions) => {
        // Fresh copies for each: neither may see the other's arrays.
        const copy = <T>(value: T): T => structuredClone(value);
        expect(mergePostContributions(copy(post), copy(contributions))).toEqual(referenceMerge(copy(post), copy(contributions)));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the author post as it is when no step contributes a statement', () => {
    const post = block('post', [block('always', [call('echo', named([['message', str('x')]]))])]);
    expect(mergePostContributions(post, [{}, { always: [] }])).toBe(post);
    expect(mergePostContributions(undefined, [{ cleanup: [] }])).toBeUndefined();
  });
});

describe('postConditionsSetIn', () => {
  it('gives the set conditions in Jenkins\' order, whatever the order of the keys', () => {
    const post = fc
      .shuffledSubarray([...POST_CONDITIONS, 'other'], { minLength: 0, maxLength: 6 })
      .chain((keys) => fc.tuple(fc.constant(keys), fc.array(fc.boolean(), { minLength: keys.length, maxLength: keys.length })))
      .map(([keys, unset]) => Object.fromEntries(keys.map((key, i) => [key, unset[i] ? undefined : []])));
    let named = 0;
    fc.assert(
      fc.property(post, (value) => {
        const expected = POST_CONDITIONS.filter((condition) => value[condition] !== undefined);
        named += expected.length;
        expect(postConditionsSetIn(value)).toEqual(expected);
        expect(postConditionsSetIn(Object.assign(Object.create(null) as object, value))).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
    expect(named).toBeGreaterThan(1000);
  });
});

describe('when conditions', () => {
  /** A value for each leaf condition. */
  const LEAF_VALUES: Partial<Record<keyof WhenCondition, unknown>> = {
    branch: 'main',
    buildingTag: true,
    changelog: '.*fix.*',
    changeset: { pattern: '**/*.ts', caseSensitive: true },
    changeRequest: true,
    environment: { name: 'A', value: 'b' },
    equals: { expected: 1, actual: { $groovy: 'currentBuild.number' } },
    expression: 'return true',
    tag: { pattern: 'v*', comparator: 'GLOB' },
    triggeredBy: 'TimerTrigger',
    isRestartedRun: true,
  };
  const leafKeys = Object.keys(LEAF_VALUES) as (keyof WhenCondition)[];
  /** Conditions in one object, inserted in a random order; nested objects `depth` levels down at most. */
  const conditionObject = (depth: number): fc.Arbitrary<WhenCondition> =>
    fc
      .tuple(
        fc.shuffledSubarray([...leafKeys, ...(depth > 0 ? (['allOf', 'anyOf', 'not'] as const) : [])], { minLength: 1, maxLength: 4 }),
        depth > 0 ? fc.array(conditionObject(depth - 1), { minLength: 1, maxLength: 2 }) : fc.constant([]),
      )
      .map(([keys, children]) => {
        const object: Record<string, unknown> = {};
        for (const key of keys) object[key] = key === 'allOf' || key === 'anyOf' ? children : key === 'not' ? children[0] : LEAF_VALUES[key];
        return object as WhenCondition;
      });

  /** The same object without prototype, at every level: its conditions are read name by name. */
  const withoutPrototype = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(withoutPrototype);
    if (typeof value !== 'object' || value === null) return value;
    const copy = Object.create(null) as Record<string, unknown>;
    for (const [key, v] of Object.entries(value)) copy[key] = withoutPrototype(v);
    return copy;
  };

  it('lower in WHEN_CONDITION_KEYS order whatever order the object has its keys in', () => {
    fc.assert(
      fc.property(conditionObject(2), fc.boolean(), (condition, beforeAgent) => {
        const when = { ...(beforeAgent ? { beforeAgent: true } : {}), ...condition } as When;
        expect(lowerWhen(when, ['when'])).toEqual(lowerWhen(withoutPrototype(when) as When, ['when']));
      }),
      { numRuns: 2000 },
    );
  });

  it('skip keys that are present but undefined, and read only condition names', () => {
    const when = { beforeInput: true, tag: undefined, not: { changeRequest: true }, branch: 'main', extra: 'x' } as unknown as When;
    const names = (lowerWhen(when, ['when']).body ?? []).map((s) => (s.type === 'Call' ? s.name : s.type));
    expect(names).toEqual(['beforeInput', 'branch', 'not']);
  });
});
