/**
 * Equality of two Jenkinsfile ASTs "up to what cannot change what Jenkins runs": the round-trip
 * check of `pipewright import` (and the importer's check of each typed construct it produces).
 *
 * Both trees are first brought to a canonical form; then they must be identical. The canonical
 * form ignores, and only ignores:
 *
 * 1. Layout: source positions (`loc`, `bodyLoc`), `origin`, comments, and inside raw Groovy
 *    values (`Raw` nodes: GStrings, operators, closures, ...) whitespace, line breaks and comments
 *    between tokens. `script { }` / `expression { }` bodies are compared as the parser normalises
 *    them (line endings, outer blank lines, common indentation); nothing else in them may differ.
 * 2. The order of the sections of `pipeline { }`, of the directives of a `stage`/`matrix`, of the
 *    entries of an `input { }`, of an `axis { }` and of an agent's closure map (`docker { image
 *    'x'; label 'y' }`): Jenkins reads each of these into named fields.
 * 3. The order of `post` conditions: Jenkins runs them in its own fixed order whatever the source
 *    order (reference §1.4), and the order of `triggers` (a set of job triggers).
 * 4. In `options { }`: the order of job properties and declarative options (`buildDiscarder`,
 *    `disableConcurrentBuilds`, `disableResume`, `disableRestartFromStage`, `durabilityHint`,
 *    `overrideIndexTriggers`, `preserveStashes`, `quietPeriod`, `parallelsAlwaysFailFast`,
 *    `skipStagesAfterUnstable`, `newContainerPerStage`, `skipDefaultCheckout`,
 *    `checkoutToSubdirectory`). Every other option (`timeout`, `retry`, `lock`, `timestamps`, any
 *    plugin option) keeps its order: Jenkins nests wrapper options in source order.
 * 5. In `when { }`: the position of the flags `beforeAgent`/`beforeInput`/`beforeOptions`; and a
 *    top-level `allOf { ... }` among a `when`'s conditions equals its conditions written in its
 *    place (a `when`'s conditions must all hold). Condition order is kept.
 * 6. The order of named arguments (`key: value`) of every call: Groovy passes them as one map and
 *    Jenkins binds them by name. Positional arguments, list items and map literal entries keep
 *    their order.
 * 7. A stage or axis name written as a bare identifier (`stage(Build)`) equals the string
 *    (`stage('Build')`), and `agent 'any'`/`agent 'none'` equal `agent any`/`agent none`: Jenkins
 *    reads them the same way (reference §1.3, §5).
 * 8. In step lists only: a step whose only argument is its single required parameter given by
 *    name equals the positional form, for the steps whose typed form pipewright prints
 *    positionally (`sh script: 'x'` = `sh 'x'`; also `echo` message, `junit` testResults,
 *    `archiveArtifacts` artifacts, `stash`/`unstash` name, `dir` path, `retry` count, `lock`
 *    resource). Jenkins binds a lone positional argument to that parameter.
 * 9. Code outside the pipeline block: comments are ignored; `@Library('x') _` annotations count
 *    as `lib('x')` entries at the start of the `libraries { }` section. Any other code is compared
 *    token by token (so the generated side, which has none, differs).
 * 10. In `options { }`: `skipDefaultCheckout(true)` = `skipDefaultCheckout()` (the option's
 *    constructor takes a missing value as true).
 * 11. In `options { }` and step lists: `timeout(30)` = `timeout(time: 30, unit: 'MINUTES')`
 *    (`time` is the step's single required parameter, `unit` defaults to MINUTES).
 */
import type { Arguments, CallStatement, Expression, JenkinsfileAst, Statement } from '../jenkinsfile/ast.ts';
import { groovyTokens, parseExpressionSource } from './groovy-source.ts';
import { analyzeOutsideCode } from './outside-code.ts';

// ------------------------------------------------------------------------------- canonical form

/** A canonical expression. */
export type CanonExpression =
  | { t: 'String'; value: string }
  | { t: 'Number'; text: string }
  | { t: 'Boolean'; value: boolean }
  | { t: 'Null' }
  | { t: 'Identifier'; name: string }
  | { t: 'List'; items: CanonExpression[] }
  | { t: 'Map'; entries: [string, CanonExpression][] }
  | { t: 'Call'; name: string; args: CanonArguments }
  | { t: 'Raw'; tokens: string[]; source: string };

export interface CanonArguments {
  positional: CanonExpression[];
  /** Sorted by key. */
  named: [string, CanonExpression][];
}

/** A canonical statement. `label` names it in difference paths and is not compared. */
export type CanonStatement =
  | { t: 'Call'; label: string; name: string; args: CanonArguments; body?: CanonStatement[] }
  | { t: 'Assignment'; label: string; name: string; value: CanonExpression }
  | { t: 'GroovyBlock'; label: string; keyword: string; source: string }
  | { t: 'Outside'; label: string; tokens: string[] };

/** Where a list of statements sits; decides which orders are insignificant. */
export type BlockContext =
  | 'pipeline'
  | 'stages'
  | 'stage'
  | 'matrix'
  | 'axes'
  | 'axis'
  | 'excludes'
  | 'exclude'
  | 'agent'
  | 'agentMap'
  | 'when'
  | 'condition'
  | 'options'
  | 'triggers'
  | 'parameters'
  | 'tools'
  | 'libraries'
  | 'environment'
  | 'input'
  | 'post'
  | 'steps'
  | 'generic';

/** Options whose order Jenkins ignores (job properties and declarative options). */
export const UNORDERED_OPTIONS: ReadonlySet<string> = new Set([
  'buildDiscarder',
  'disableConcurrentBuilds',
  'disableResume',
  'disableRestartFromStage',
  'durabilityHint',
  'overrideIndexTriggers',
  'preserveStashes',
  'quietPeriod',
  'parallelsAlwaysFailFast',
  'skipStagesAfterUnstable',
  'newContainerPerStage',
  'skipDefaultCheckout',
  'checkoutToSubdirectory',
]);

/** Steps whose lone named argument equals the positional form (rule 8), by step name. */
export const SOLE_PARAMETER: Readonly<Record<string, string>> = {
  sh: 'script',
  echo: 'message',
  junit: 'testResults',
  archiveArtifacts: 'artifacts',
  stash: 'name',
  unstash: 'name',
  dir: 'path',
  retry: 'count',
  lock: 'resource',
};

const WHEN_FLAGS = new Set(['beforeAgent', 'beforeInput', 'beforeOptions']);

const SECTION_CONTEXTS: Partial<Record<string, BlockContext>> = {
  stages: 'stages',
  environment: 'environment',
  options: 'options',
  parameters: 'parameters',
  triggers: 'triggers',
  tools: 'tools',
  libraries: 'libraries',
  post: 'post',
  agent: 'agent',
};
const STAGE_CONTEXTS: Partial<Record<string, BlockContext>> = {
  steps: 'steps',
  stages: 'stages',
  parallel: 'stages',
  matrix: 'matrix',
  when: 'when',
  environment: 'environment',
  options: 'options',
  tools: 'tools',
  post: 'post',
  agent: 'agent',
  input: 'input',
};
const MATRIX_CONTEXTS: Partial<Record<string, BlockContext>> = {
  axes: 'axes',
  excludes: 'excludes',
  stages: 'stages',
  agent: 'agent',
  when: 'when',
  post: 'post',
  options: 'options',
  input: 'input',
  tools: 'tools',
  environment: 'environment',
};

/** The context of the body of a call named `name` inside a block of context `context`. */
export function childContext(context: BlockContext, name: string): BlockContext {
  switch (context) {
    case 'pipeline':
      return SECTION_CONTEXTS[name] ?? 'generic';
    case 'stages':
      return name === 'stage' ? 'stage' : 'generic';
    case 'stage':
      return STAGE_CONTEXTS[name] ?? 'generic';
    case 'matrix':
      return MATRIX_CONTEXTS[name] ?? 'generic';
    case 'axes':
      return name === 'axis' ? 'axis' : 'generic';
    case 'excludes':
      return name === 'exclude' ? 'exclude' : 'generic';
    case 'exclude':
      return name === 'axis' ? 'axis' : 'generic';
    case 'agent':
    case 'agentMap':
      return 'agentMap';
    case 'when':
    case 'condition':
      return 'condition';
    case 'input':
      return name === 'parameters' ? 'parameters' : 'generic';
    case 'post':
    case 'steps':
      return 'steps';
    default:
      return 'generic';
  }
}

export interface CanonOptions {
  /**
   * Read `Raw` nodes as the parser reads their text, so that a raw value equals the structured
   * node it was written from (`groovy('env.X')` vs the identifier `env.X`). For checking one
   * lowered construct against the parsed original; the round trip itself compares two parsed
   * trees and does not need it.
   */
  reparseRaw?: boolean;
}

export function canonExpression(expression: Expression, options: CanonOptions = {}): CanonExpression {
  switch (expression.type) {
    case 'String':
      return { t: 'String', value: expression.value };
    case 'Number':
      return { t: 'Number', text: expression.text };
    case 'Boolean':
      return { t: 'Boolean', value: expression.value };
    case 'Null':
      return { t: 'Null' };
    case 'Identifier':
      return { t: 'Identifier', name: expression.name };
    case 'List':
      return { t: 'List', items: expression.items.map((item) => canonExpression(item, options)) };
    case 'Map':
      return { t: 'Map', entries: expression.entries.map((entry) => [entry.key, canonExpression(entry.value, options)]) };
    case 'CallExpression':
      return { t: 'Call', name: expression.name, args: canonArguments(expression.args, options) };
    case 'Raw': {
      const parsed = options.reparseRaw ? parseExpressionSource(expression.source) : undefined;
      if (parsed && parsed.type !== 'Raw') return canonExpression(parsed, options);
      const source = parsed?.type === 'Raw' ? parsed.source : expression.source;
      return { t: 'Raw', tokens: groovyTokens(source), source };
    }
  }
}

function canonArguments(args: Arguments, options: CanonOptions): CanonArguments {
  const named = args.named.map((entry): [string, CanonExpression] => [entry.key, canonExpression(entry.value, options)]);
  named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { positional: args.positional.map((value) => canonExpression(value, options)), named };
}

/** A canonical statement in `context` (the context of the block holding it). */
export function canonStatement(statement: Statement, context: BlockContext, options: CanonOptions = {}): CanonStatement | undefined {
  switch (statement.type) {
    case 'Comment':
      return undefined;
    case 'Assignment':
      return { t: 'Assignment', label: statement.name, name: statement.name, value: canonExpression(statement.value, options) };
    case 'GroovyBlock':
      return { t: 'GroovyBlock', label: statement.keyword, keyword: statement.keyword, source: statement.source };
    case 'Call':
      return canonCall(statement, context, options);
  }
}

function canonCall(call: CallStatement, context: BlockContext, options: CanonOptions): CanonStatement {
  let args = canonArguments(call.args, options);
  const first = args.positional[0];
  // Rule 7: bare-identifier names and the string forms of `agent any`/`agent none`.
  if (first?.t === 'Identifier' && args.positional.length === 1 && ((context === 'stages' && call.name === 'stage') || (context === 'axis' && call.name === 'name'))) {
    args = { ...args, positional: [{ t: 'String', value: first.name }] };
  }
  if (first?.t === 'String' && call.name === 'agent' && call.body === undefined && (first.value === 'any' || first.value === 'none')) {
    args = { ...args, positional: [{ t: 'Identifier', name: first.value }] };
  }
  // Rule 8: `sh script: 'x'` = `sh 'x'` in step lists.
  const sole = context === 'steps' ? SOLE_PARAMETER[call.name] : undefined;
  if (sole !== undefined && args.positional.length === 0 && args.named.length === 1 && args.named[0]![0] === sole) {
    args = { positional: [args.named[0]![1]], named: [] };
  }
  // Rule 10.
  const only = args.positional[0];
  if (context === 'options' && call.name === 'skipDefaultCheckout' && args.positional.length === 1 && args.named.length === 0 && only?.t === 'Boolean' && only.value) {
    args = { positional: [], named: [] };
  }
  // Rule 11: `timeout(30)` = `timeout(time: 30)` = `timeout(time: 30, unit: 'MINUTES')`.
  if (call.name === 'timeout' && (context === 'options' || context === 'steps')) args = canonTimeout(args);
  const node: CanonStatement = { t: 'Call', label: callLabel(call), name: call.name, args };
  if (call.body !== undefined) node.body = canonBlock(call.body, childContext(context, call.name), options);
  return node;
}

/** `time` is the timeout step's single required parameter and `unit` defaults to MINUTES. */
function canonTimeout(args: CanonArguments): CanonArguments {
  let named = args.named;
  if (args.positional.length === 1 && named.length === 0) named = [['time', args.positional[0]!]];
  else if (args.positional.length > 0) return args;
  if (named.some(([key]) => key === 'time') && !named.some(([key]) => key === 'unit')) {
    named = [...named, ['unit', { t: 'String', value: 'MINUTES' }]];
    named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  return { positional: [], named };
}

function callLabel(call: CallStatement): string {
  const first = call.args.positional[0];
  if ((call.name === 'stage' || call.name === 'lib') && first && (first.type === 'String' || first.type === 'Identifier')) {
    return `${call.name}(${first.type === 'String' ? `'${first.value}'` : first.name})`;
  }
  return call.name;
}

const byName = (a: CanonStatement, b: CanonStatement): number => {
  const x = 'name' in a ? a.name : a.label;
  const y = 'name' in b ? b.name : b.label;
  return x < y ? -1 : x > y ? 1 : 0;
};

/** A canonical block: its statements in canonical form and, where order is insignificant, canonical order. */
export function canonBlock(statements: readonly Statement[], context: BlockContext, options: CanonOptions = {}): CanonStatement[] {
  const out = statements.map((s) => canonStatement(s, context, options)).filter((s): s is CanonStatement => s !== undefined);
  switch (context) {
    case 'pipeline':
    case 'stage':
    case 'matrix':
    case 'input':
    case 'axis':
    case 'agentMap':
    case 'post':
    case 'triggers':
      return out.sort(byName);
    case 'options': {
      const unordered = out.filter((s) => s.t === 'Call' && UNORDERED_OPTIONS.has(s.name)).sort(byName);
      return [...unordered, ...out.filter((s) => !(s.t === 'Call' && UNORDERED_OPTIONS.has(s.name)))];
    }
    case 'when': {
      const flags = out.filter((s) => s.t === 'Call' && WHEN_FLAGS.has(s.name)).sort(byName);
      let conditions = out.filter((s) => !(s.t === 'Call' && WHEN_FLAGS.has(s.name)));
      // Rule 5: `when { c; allOf { a; b } }` = `when { c; a; b }` (a when's conditions all hold).
      const liftable = (s: CanonStatement): boolean =>
        s.t === 'Call' && s.name === 'allOf' && s.body !== undefined && s.args.positional.length === 0 && s.args.named.length === 0;
      while (conditions.some(liftable)) {
        conditions = conditions.flatMap((s) => (liftable(s) && s.t === 'Call' ? (s.body ?? []) : [s]));
      }
      return [...flags, ...conditions];
    }
    default:
      return out;
  }
}

/** The whole file in canonical form: the pipeline block's body, with outside code folded in (rule 9). */
export function canonJenkinsfile(ast: JenkinsfileAst): CanonStatement[] {
  const body = canonBlock(ast.pipeline.body ?? [], 'pipeline');
  const prologue = analyzeOutsideCode(ast.prologue);
  const epilogue = analyzeOutsideCode(ast.epilogue);
  const annotated = [...prologue.libraries, ...epilogue.libraries];
  if (annotated.length > 0) {
    const libs: CanonStatement[] = annotated.map((name) => ({
      t: 'Call',
      label: `lib('${name}')`,
      name: 'lib',
      args: { positional: [{ t: 'String', value: name }], named: [] },
    }));
    const index = body.findIndex((s) => s.t === 'Call' && s.name === 'libraries');
    const existing = index >= 0 ? body[index]! : undefined;
    if (existing?.t === 'Call') existing.body = [...libs, ...(existing.body ?? [])];
    else {
      body.push({ t: 'Call', label: 'libraries', name: 'libraries', args: { positional: [], named: [] }, body: libs });
      body.sort(byName);
    }
  }
  const out: CanonStatement[] = [];
  if (prologue.hasCode) out.push({ t: 'Outside', label: 'code before the pipeline block', tokens: prologue.tokens });
  out.push({ t: 'Call', label: 'pipeline', name: 'pipeline', args: canonArguments(ast.pipeline.args, {}), body });
  if (epilogue.hasCode) out.push({ t: 'Outside', label: 'code after the pipeline block', tokens: epilogue.tokens });
  return out;
}

// ------------------------------------------------------------------------------- differences

/** The first place where two ASTs differ. */
export interface AstDifference {
  /** Where, e.g. `pipeline › stages › stage('Build') › steps › [2] sh › argument 1`. */
  path: string;
  /** The original's side, as Groovy-like text (`(nothing)` when absent). */
  original: string;
  /** The other side (the compiled Jenkinsfile's). */
  compiled: string;
}

const MAX_SHOWN = 240;
const shorten = (text: string) => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text);

/** Compares two Jenkinsfiles; `undefined` when they are equal up to the rules above. */
export function compareJenkinsfileAsts(original: JenkinsfileAst, compiled: JenkinsfileAst): AstDifference | undefined {
  return compareStatementLists(canonJenkinsfile(original), canonJenkinsfile(compiled), [], false);
}

/** Compares two canonical blocks; `at` is the path of the block. */
export function compareCanonBlocks(a: CanonStatement[], b: CanonStatement[], at: string[]): AstDifference | undefined {
  return compareStatementLists(a, b, at);
}

/** `numbered`: prefix path labels with the statement's position (`[2] sh`); off for the file's top level. */
function compareStatementLists(a: CanonStatement[], b: CanonStatement[], at: string[], numbered = true): AstDifference | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const number = numbered ? `[${i + 1}]` : '';
    const name = x && y && x.label !== y.label ? (numbered ? '' : `${x.label} / ${y.label}`) : (x ?? y)!.label;
    const label = [number, name].filter((part) => part !== '').join(' ');
    if (!x || !y) return difference([...at, label], x ? renderStatement(x) : '(nothing)', y ? renderStatement(y) : '(nothing)');
    const found = compareStatements(x, y, [...at, label]);
    if (found) return found;
  }
  return undefined;
}

function compareStatements(x: CanonStatement, y: CanonStatement, at: string[]): AstDifference | undefined {
  if (x.t !== y.t) return difference(at, renderStatement(x), renderStatement(y));
  switch (x.t) {
    case 'Outside':
      return sameJson(x.tokens, (y as typeof x).tokens) ? undefined : difference(at, x.tokens.join(' '), (y as typeof x).tokens.join(' '));
    case 'GroovyBlock': {
      const other = y as typeof x;
      if (x.keyword !== other.keyword || x.source !== other.source) return difference(at, renderStatement(x), renderStatement(other));
      return undefined;
    }
    case 'Assignment': {
      const other = y as typeof x;
      if (x.name !== other.name) return difference(at, renderStatement(x), renderStatement(other));
      return sameJson(x.value, other.value) ? undefined : difference([...at, 'value'], renderExpression(x.value), renderExpression(other.value));
    }
    case 'Call': {
      const other = y as typeof x;
      // A different shape (a block on one side only, a missing argument): show both statements.
      const shape = (c: typeof x) => `${c.body === undefined}/${c.args.positional.length}/${c.args.named.map(([k]) => k).join(',')}`;
      if (x.name !== other.name || shape(x) !== shape(other)) return difference(at, renderStatement(x), renderStatement(other));
      const args = compareArguments(x.args, other.args, at);
      if (args) return args;
      return x.body && other.body ? compareStatementLists(x.body, other.body, at) : undefined;
    }
  }
}

function compareArguments(x: CanonArguments, y: CanonArguments, at: string[]): AstDifference | undefined {
  const n = Math.max(x.positional.length, y.positional.length);
  for (let i = 0; i < n; i++) {
    const a = x.positional[i];
    const b = y.positional[i];
    if (!sameJson(a, b)) {
      return difference([...at, `argument ${i + 1}`], a ? renderExpression(a) : '(nothing)', b ? renderExpression(b) : '(nothing)');
    }
  }
  const keys = [...new Set([...x.named.map(([k]) => k), ...y.named.map(([k]) => k)])].sort();
  for (const key of keys) {
    const a = x.named.find(([k]) => k === key)?.[1];
    const b = y.named.find(([k]) => k === key)?.[1];
    if (!sameJson(a, b)) return difference([...at, `${key}:`], a ? renderExpression(a) : '(nothing)', b ? renderExpression(b) : '(nothing)');
  }
  return undefined;
}

function difference(path: string[], original: string, compiled: string): AstDifference {
  return { path: path.join(' › '), original: shorten(original), compiled: shorten(compiled) };
}

/** Deep equality of canonical data (labels are not part of expressions, so JSON works). */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, withoutSource) === JSON.stringify(b, withoutSource);
}

/** `source` of a Raw node is for display only: tokens decide. */
function withoutSource(key: string, value: unknown): unknown {
  return key === 'source' ? undefined : value;
}

// ------------------------------------------------------------------------------- rendering

/** Groovy-like text of a canonical expression, for messages. */
export function renderExpression(e: CanonExpression): string {
  switch (e.t) {
    case 'String':
      return JSON.stringify(e.value).replace(/^"|"$/g, "'");
    case 'Number':
      return e.text;
    case 'Boolean':
      return String(e.value);
    case 'Null':
      return 'null';
    case 'Identifier':
      return e.name;
    case 'List':
      return `[${e.items.map(renderExpression).join(', ')}]`;
    case 'Map':
      return e.entries.length === 0 ? '[:]' : `[${e.entries.map(([k, v]) => `${k}: ${renderExpression(v)}`).join(', ')}]`;
    case 'Call':
      return `${e.name}(${renderArguments(e.args)})`;
    case 'Raw':
      return e.tokens.join(' ').replace(/\s+/g, ' ');
  }
}

function renderArguments(args: CanonArguments): string {
  return [...args.positional.map(renderExpression), ...args.named.map(([k, v]) => `${k}: ${renderExpression(v)}`)].join(', ');
}

/** One-line Groovy-like text of a canonical statement (blocks elided). */
export function renderStatement(s: CanonStatement): string {
  switch (s.t) {
    case 'Call': {
      const args = renderArguments(s.args);
      const head = args === '' ? `${s.name}()` : `${s.name}(${args})`;
      return s.body ? `${args === '' ? s.name : head} { … }` : head;
    }
    case 'Assignment':
      return `${s.name} = ${renderExpression(s.value)}`;
    case 'GroovyBlock':
      return `${s.keyword} { ${s.source.replace(/\s+/g, ' ')} }`;
    case 'Outside':
      return s.tokens.join(' ');
  }
}
