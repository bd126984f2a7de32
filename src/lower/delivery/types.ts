/**
 * What a delivery step lowers to, and how its contributions join the enclosing stage.
 *
 * A delivery step becomes ordinary Jenkins statements for the stage's `steps { }` plus, often,
 * statements that must run whatever happens to those steps (report and evidence archiving in
 * `post { always { } }`, a deploy safety-net rollback in `post { unsuccessful { } }`). The stage
 * lowering collects the contributions of all its steps and merges them into the stage's `post`
 * with {@link mergePostContributions}.
 */
import { POST_CONDITIONS, type PostCondition } from '../../model/schema.ts';
import { block, str, type CallStatement, type MapEntry, type Statement } from '../../jenkinsfile/ast.ts';
import { generatorScriptKind, generatorStep } from './jenkins.ts';

/** Model path of the step being lowered. */
export type Origin = readonly (string | number)[];

/** Statements for post conditions, by condition name. */
export type PostContributions = Partial<Record<PostCondition, Statement[]>>;

/** The result of lowering one delivery step. */
export interface DeliveryLowering {
  /** Statements that replace the step inside `steps { }`. */
  steps: Statement[];
  /** Statements for the enclosing stage's `post` (archiving, safety-net rollback). */
  post?: PostContributions;
}

/** Context of the step being lowered. */
export interface DeliveryContext {
  /** Model path of the step, attached to the statements as their origin. */
  origin: Origin;
}

/**
 * Each post condition's place in `POST_CONDITIONS` (Jenkins' execution order). A table without
 * prototype: a name that is no condition finds nothing, whatever `Object.prototype` holds.
 */
const POST_CONDITION_RANK: Readonly<Record<string, number>> = (() => {
  const ranks: Record<string, number> = Object.create(null);
  for (let rank = 0; rank < POST_CONDITIONS.length; rank++) ranks[POST_CONDITIONS[rank]!] = rank;
  return ranks;
})();

/**
 * The conditions `post` sets (not `undefined`), in `POST_CONDITIONS` order. A post section names
 * one to three of the ten conditions: its own keys are read (an object without Object.prototype
 * is asked every name, as it would be read).
 */
export function postConditionsSetIn(post: Partial<Record<PostCondition, unknown>>): PostCondition[] {
  if (Object.getPrototypeOf(post) !== Object.prototype) return POST_CONDITIONS.filter((condition) => post[condition] !== undefined);
  const conditions: PostCondition[] = [];
  for (const key in post) {
    const rank = POST_CONDITION_RANK[key];
    if (rank === undefined || post[key as PostCondition] === undefined) continue;
    let at = conditions.length;
    while (at > 0 && POST_CONDITION_RANK[conditions[at - 1]!]! > rank) at--;
    conditions.splice(at, 0, POST_CONDITIONS[rank]!);
  }
  return conditions;
}

/**
 * Merges the contributions of a stage's delivery steps into its lowered `post { }` block (or
 * creates one). In every condition the contributions come first, in the order of the steps, so
 * the evidence is archived even if an author's own post step fails; conditions print in Jenkins'
 * execution order.
 *
 * @param post The stage's `post` call as lowered from the model, if any.
 * @param contributions The post contributions of the stage's delivery steps, in step order.
 * @returns The merged `post` call, or `undefined` when there is nothing to emit.
 */
export function mergePostContributions(
  post: CallStatement | undefined,
  contributions: readonly PostContributions[],
): CallStatement | undefined {
  // The contributed statements by condition rank. A contribution names one or two of the ten
  // conditions: its own keys are read, not all ten names of every contribution.
  const contributed: (Statement[] | undefined)[] = new Array(POST_CONDITIONS.length);
  let hasContributions = false;
  for (const contribution of contributions) {
    for (const condition in contribution) {
      const rank = POST_CONDITION_RANK[condition];
      const statements = contribution[condition as PostCondition];
      if (rank === undefined || statements === undefined || statements.length === 0) continue;
      const list = (contributed[rank] ??= []);
      for (const statement of statements) list.push(statement);
      hasContributions = true;
    }
  }
  if (!hasContributions) return post;
  const own: (Statement[] | undefined)[] = new Array(POST_CONDITIONS.length);
  // Statements other than conditions first, then the conditions in Jenkins' order.
  const body: Statement[] = [];
  for (const statement of post?.body ?? []) {
    const rank = statement.type === 'Call' ? POST_CONDITION_RANK[statement.name] : undefined;
    if (rank === undefined || statement.type !== 'Call') body.push(statement);
    else own[rank] = statement.body ?? [];
  }
  for (let rank = 0; rank < POST_CONDITIONS.length; rank++) {
    const fromSteps = contributed[rank];
    const fromAuthor = own[rank];
    if (fromSteps === undefined && fromAuthor === undefined) continue;
    // mergeAdjacentArchives gives a new array: the author's own steps are appended to it.
    const statements = fromSteps === undefined ? [] : mergeAdjacentArchives(fromSteps);
    if (fromAuthor !== undefined) for (const statement of fromAuthor) statements.push(statement);
    if (statements.length > 0) body.push(block(POST_CONDITIONS[rank]!, statements));
  }
  const merged = block('post', body);
  if (post?.origin !== undefined) merged.origin = post.origin;
  return merged;
}

/**
 * Consecutive `archiveArtifacts` contributions with the same options become one call whose
 * `artifacts` lists all their patterns (the parameter is a comma-separated list of Ant patterns):
 * the same files are archived and fingerprinted, and with `allowEmptyArchive` a pattern that
 * matches nothing is no error either way. One call costs ~150 bytes of the pipeline's one method
 * (64 KB at most), whatever the length of the list. Author-written steps are never merged.
 */
export function mergeAdjacentArchives(statements: readonly Statement[]): Statement[] {
  const out: Statement[] = [];
  for (const statement of statements) {
    const previous = out[out.length - 1];
    if (previous !== undefined && isArchive(previous) && isArchive(statement) && sameOptions(previous, statement)) {
      const patterns = `${artifactsOf(previous)},${artifactsOf(statement)}`;
      const merged: CallStatement = {
        ...previous,
        args: { positional: [], named: previous.args.named.map((e) => (e.key === 'artifacts' ? { key: 'artifacts', value: str(patterns) } : e)) },
      };
      const kind = generatorScriptKind(previous);
      out[out.length - 1] = kind === undefined ? merged : generatorStep(merged, kind);
      continue;
    }
    out.push(statement);
  }
  return out;
}

function isArchive(statement: Statement): statement is CallStatement {
  return (
    statement.type === 'Call' &&
    statement.name === 'archiveArtifacts' &&
    statement.body === undefined &&
    statement.args.positional.length === 0 &&
    statement.args.named.some((e) => e.key === 'artifacts' && e.value.type === 'String')
  );
}

function artifactsOf(statement: CallStatement): string {
  const value = statement.args.named.find((e) => e.key === 'artifacts')!.value;
  return value.type === 'String' ? value.value : '';
}

/** Same named arguments apart from `artifacts` (literal values only), in the same order. */
function sameOptions(a: CallStatement, b: CallStatement): boolean {
  if (!literalOptions(a) || !literalOptions(b)) return false;
  // The entries other than `artifacts`, walked side by side without copying them out.
  const ofA = a.args.named;
  const ofB = b.args.named;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < ofA.length && ofA[i]!.key === 'artifacts') i++;
    while (j < ofB.length && ofB[j]!.key === 'artifacts') j++;
    if (i === ofA.length || j === ofB.length) return i === ofA.length && j === ofB.length;
    if (!sameLiteralEntry(ofA[i]!, ofB[j]!)) return false;
    i++;
    j++;
  }
}

/** Every named argument but `artifacts` is a Boolean or String literal. */
function literalOptions(call: CallStatement): boolean {
  for (const e of call.args.named) if (e.key !== 'artifacts' && e.value.type !== 'Boolean' && e.value.type !== 'String') return false;
  return true;
}

/** Same key, and the same String or Boolean value. */
function sameLiteralEntry(a: MapEntry, b: MapEntry): boolean {
  return a.key === b.key && a.value.type === b.value.type && (a.value as { value: unknown }).value === (b.value as { value: unknown }).value;
}
