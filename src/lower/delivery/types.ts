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

/** Concatenates post contributions, keeping the order in which the steps appeared. */
export function combinePostContributions(all: readonly (PostContributions | undefined)[]): PostContributions {
  const merged: PostContributions = {};
  for (const contribution of all) {
    if (contribution === undefined) continue;
    for (const condition of POST_CONDITIONS) {
      const statements = contribution[condition];
      if (statements === undefined || statements.length === 0) continue;
      (merged[condition] ??= []).push(...statements);
    }
  }
  return merged;
}

/**
 * Merges step contributions into a stage's lowered `post { }` block (or creates one). In every
 * condition the contributions come first, so the evidence is archived even if an author's own
 * post step fails; conditions print in Jenkins' execution order.
 *
 * @param post The stage's `post` call as lowered from the model, if any.
 * @returns The merged `post` call, or `undefined` when there is nothing to emit.
 */
export function mergePostContributions(
  post: CallStatement | undefined,
  contributions: PostContributions,
): CallStatement | undefined {
  const hasContributions = POST_CONDITIONS.some((c) => (contributions[c]?.length ?? 0) > 0);
  if (!hasContributions) return post;
  const existing = new Map<string, Statement[]>();
  // Statements other than conditions first, then the conditions in Jenkins' order.
  const body: Statement[] = [];
  for (const statement of post?.body ?? []) {
    if (statement.type === 'Call' && (POST_CONDITIONS as readonly string[]).includes(statement.name)) {
      existing.set(statement.name, statement.body ?? []);
    } else {
      body.push(statement);
    }
  }
  for (const condition of POST_CONDITIONS) {
    const contributed = contributions[condition];
    const own = existing.get(condition);
    if (contributed === undefined && own === undefined) continue;
    // mergeAdjacentArchives gives a new array: the author's own steps are appended to it.
    const statements = contributed === undefined ? [] : mergeAdjacentArchives(contributed);
    if (own !== undefined) for (const statement of own) statements.push(statement);
    if (statements.length > 0) body.push(block(condition, statements));
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
  const options = (call: CallStatement) => call.args.named.filter((e) => e.key !== 'artifacts');
  const literal = (call: CallStatement) => call.args.named.every((e) => e.key === 'artifacts' || e.value.type === 'Boolean' || e.value.type === 'String');
  if (!literal(a) || !literal(b)) return false;
  const [ofA, ofB] = [options(a), options(b)];
  return ofA.length === ofB.length && ofA.every((e, i) => sameLiteralEntry(e, ofB[i]!));
}

/** Same key, and the same String or Boolean value. */
function sameLiteralEntry(a: MapEntry, b: MapEntry): boolean {
  return a.key === b.key && a.value.type === b.value.type && (a.value as { value: unknown }).value === (b.value as { value: unknown }).value;
}
