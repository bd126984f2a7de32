/**
 * Builders for the Jenkins steps delivery lowerings emit. Every string becomes a `String` node,
 * which the printer writes as a non-interpolating single-quoted literal: user values are never
 * Groovy source.
 */
import {
  bool,
  call,
  ident,
  named,
  num,
  positional,
  str,
  type CallStatement,
  type Expression,
  type GroovyBlock,
  type Statement,
} from '../../jenkinsfile/ast.ts';
import { DELIVERY_DEFAULTS } from '../../model/delivery-defaults.ts';
import type { AwsRole } from '../../model/delivery.ts';

/** Environment variables for `withEnv`, in emission order. */
export type EnvVars = [name: string, value: string][];

/** `sh(label: …, script: …)`. */
export function shStep(label: string, script: string): CallStatement {
  return call('sh', named([['label', str(label)], ['script', str(script)]]));
}

/** `withEnv(['NAME=value', …]) { … }`; no wrapper when there are no variables. */
export function withEnv(vars: EnvVars, body: Statement[]): Statement[] {
  if (vars.length === 0) return body;
  const list: Expression = { type: 'List', items: vars.map(([name, value]) => str(`${name}=${value}`)) };
  return [call('withEnv', positional(list), body)];
}

/** `withAWS(role:, roleAccount:, region:, duration:[, roleSessionName:]) { … }` (IAM-001). */
export function withAws(aws: AwsRole, body: Statement[], minimumDurationSeconds = 0): CallStatement {
  const duration = aws.durationSeconds ?? Math.min(3600, Math.max(DELIVERY_DEFAULTS.awsSessionSeconds, minimumDurationSeconds));
  return call(
    'withAWS',
    named([
      ['role', str(aws.role)],
      ['roleAccount', str(aws.account)],
      ['region', str(aws.region)],
      ['duration', num(duration)],
      ['roleSessionName', aws.roleSessionName === undefined ? undefined : str(aws.roleSessionName)],
    ]),
    body,
  );
}

/** A credential binding for `withCredentials([...])`. */
export type Binding =
  | { type: 'string'; credentialsId: string; variable: string }
  | { type: 'file'; credentialsId: string; variable: string }
  | { type: 'usernamePassword'; credentialsId: string; usernameVariable: string; passwordVariable: string }
  | { type: 'sshUserPrivateKey'; credentialsId: string; keyFileVariable: string };

function bindingExpression(binding: Binding): Expression {
  const { type, ...fields } = binding;
  return {
    type: 'CallExpression',
    name: type,
    args: named(Object.entries(fields).map(([key, value]) => [key, str(value)])),
  };
}

/** `withCredentials([...]) { … }`; no wrapper when there are no bindings. */
export function withCredentials(bindings: Binding[], body: Statement[]): Statement[] {
  if (bindings.length === 0) return body;
  return [call('withCredentials', positional({ type: 'List', items: bindings.map(bindingExpression) }), body)];
}

/** `lock(resource: …) { … }` (DEPLOY-006). */
export function lockStep(resource: string, body: Statement[]): CallStatement {
  return call('lock', named([['resource', str(resource)]]), body);
}

/**
 * `timeout(n) { … }`, n in minutes: `time` is the step's one required parameter and `unit`
 * defaults to MINUTES, so this is `timeout(time: n, unit: 'MINUTES')` in fewer Groovy nodes of
 * the pipeline's one method (64 KB at most).
 */
export function timeoutStep(minutes: number, body: Statement[]): CallStatement {
  return call('timeout', positional(num(minutes)), body);
}

/** `archiveArtifacts artifacts: …, allowEmptyArchive: true, fingerprint: true`. */
export function archiveStep(artifacts: string): CallStatement {
  return generatorStep(
    call('archiveArtifacts', named([['artifacts', str(artifacts)], ['allowEmptyArchive', bool(true)], ['fingerprint', bool(true)]])),
  );
}

/** `stash name: …, includes: …`. */
export function stashStep(name: string, includes: string): CallStatement {
  return call('stash', named([['name', str(name)], ['includes', str(includes)]]));
}

/** `unstash 'name'`. */
export function unstashStep(name: string): CallStatement {
  return call('unstash', positional(str(name)));
}

/** `dir('path') { … }`; no wrapper without a path. */
export function inDirectory(path: string | undefined, body: Statement[]): Statement[] {
  return path === undefined || path === '.' ? body : [call('dir', positional(str(path)), body)];
}

/**
 * Generator-owned snippets: `script { }` blocks and the plain steps marked with
 * {@link generatorStep} (archiving, test reports), with the delivery step kind that produced them
 * (set by `lowerDeliveryStep`). Only these are moved into helper methods (`src/lower/outline.ts`);
 * an author's own steps stay where they were written.
 */
const GENERATOR_SNIPPETS = new WeakMap<Statement, string>();

/** How many statements {@link scriptBlock} and {@link generatorStep} have marked in this process. */
let snippetsMarked = 0;

/**
 * The number of generator snippets marked so far in this process: a lowering that leaves it
 * unchanged made no snippet, so its tree has none to move into helper methods.
 */
export function generatorSnippetsMarked(): number {
  return snippetsMarked;
}

/** A generator-owned `script { }` block (PIPE-001: snippets come from pipewright, not users). */
export function scriptBlock(source: string): GroovyBlock {
  const node: GroovyBlock = { type: 'GroovyBlock', keyword: 'script', source };
  GENERATOR_SNIPPETS.set(node, 'script');
  snippetsMarked++;
  return node;
}

/**
 * Marks a block-less step call with literal arguments as generator-owned, so that it may move into
 * a helper method with the snippets next to it. Not for steps tools read from the AST (`sh`,
 * `withAWS`, `withEnv`, `withCredentials`, `lock`): those stay in the pipeline block.
 */
export function generatorStep(node: CallStatement, kind = 'script'): CallStatement {
  GENERATOR_SNIPPETS.set(node, kind);
  snippetsMarked++;
  return node;
}

/** The step kind of a generator-owned snippet, or `undefined` for any other statement. */
export function generatorScriptKind(statement: Statement): string | undefined {
  return GENERATOR_SNIPPETS.get(statement);
}

/** Records which delivery step produced the generator-owned snippets in `statements`. */
export function tagGeneratorScripts(statements: readonly Statement[], kind: string): void {
  for (const statement of statements) {
    if (GENERATOR_SNIPPETS.has(statement)) GENERATOR_SNIPPETS.set(statement, kind);
    if (statement.type === 'Call' && statement.body) tagGeneratorScripts(statement.body, kind);
  }
}

/** Attaches a model path to top-level statements (for mapping Jenkinsfile lines back to TS). */
export function withOrigin<T extends Statement>(statements: T[], origin: readonly (string | number)[]): T[] {
  for (const statement of statements) if (statement.origin === undefined) statement.origin = origin;
  return statements;
}

export { ident };
