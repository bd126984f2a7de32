/**
 * Moves pipewright's own Groovy snippets out of the `pipeline { }` block into helper methods after
 * it, leaving a call `pwNotify1()` in their place: `script { }` bodies, and the plain steps the
 * delivery lowerings mark with `generatorStep` (archiving, test reports). Consecutive snippets
 * become one helper. Steps other tools read from the AST (`sh`, `withAWS`, `withEnv`, ...) are
 * never marked and stay in the pipeline block.
 *
 * Why: Jenkins compiles the whole `pipeline { }` block, every nested closure included, into ONE
 * JVM method, and a method holds at most 65,535 bytes of bytecode ("Method code too large",
 * JENKINS-37984). What costs bytecode is the number of Groovy nodes, and the generator's Groovy
 * snippets (notification messages, approval checks) are node-dense and repeated per environment.
 * A method defined in the Jenkinsfile is a method of its own, so its nodes no longer count
 * against the pipeline block.
 *
 * Why it changes nothing at run time: a `script { }` body and a script method run in the same
 * `WorkflowScript` instance; `env`, `currentBuild` and every step resolve the same way in both
 * (global variables and steps are looked up on the script), the snippets read and write only
 * `env`, `currentBuild` and their own locals, and the sandbox allows a script to call its own
 * methods. The call stands directly in the step list, without a `script { }` around it (whose
 * closure alone costs ~120 bytes): Declarative treats a name it has no step descriptor for as a
 * call it does not validate (ModelValidatorImpl.validateElement(ModelASTStep) only checks names
 * with a DescribableModel, as for shared-library steps) and the steps closure calls the script's
 * method. Only generator-owned blocks move (marked by `scriptBlock` in delivery/jenkins.ts); an
 * author's `script` step stays where it was written, so what the author sees is what runs there.
 * Identical bodies share one helper.
 */
import { noArgs, type CallStatement, type Expression, type JenkinsfileAst, type Statement } from '../jenkinsfile/ast.ts';
import { groovyKeyLiteral, groovyStringLiteral } from '../jenkinsfile/groovy-literal.ts';
import { pushIndentedGroovyBlock } from '../jenkinsfile/groovy-block.ts';
import { generatorScriptKind } from './delivery/jenkins.ts';

/** A helper method: its name and the body it runs. */
interface Helper {
  name: string;
  source: string;
}

/** Only word characters (`\w`, as `\b` sees them). */
const WORD = /^\w+$/;

const HELPERS_COMMENT = [
  '// pipewright helpers: its own Groovy snippets, called from the pipeline above. Jenkins compiles the',
  '// whole pipeline { } block into one method of at most 64 KB of bytecode; each helper is a method of its own.',
];

/**
 * Replaces every generator-owned `script { }` block of `ast` with a call to a helper method and
 * appends the helpers to the epilogue. Returns `ast` (changed in place) for chaining.
 */
export function outlineGeneratorScripts(ast: JenkinsfileAst): JenkinsfileAst {
  const outliner = new Outliner(`${ast.prologue ?? ''}\n${ast.epilogue ?? ''}`);
  if (ast.pipeline.body) outliner.replace(ast.pipeline.body);
  if (outliner.helpers.length === 0) return ast;
  const before = ast.epilogue === undefined ? '' : ast.epilogue.endsWith('\n') ? ast.epilogue : `${ast.epilogue}\n`;
  const lines = [...HELPERS_COMMENT];
  for (const helper of outliner.helpers) pushHelperLines(lines, helper);
  ast.epilogue = `${before}\n${lines.join('\n')}`;
  return ast;
}

/**
 * The helpers of one Jenkinsfile while its statements are replaced. Methods, not closures made
 * per pipeline: the compiler keeps one optimised version of each for the whole run.
 */
class Outliner {
  /** Helpers in order of definition. */
  readonly helpers: Helper[] = [];
  /**
   * Helpers by body length, to find one with the same body. Not a map by body: bodies are
   * kilobytes built afresh for each pipeline, and hashing one costs more than comparing it with
   * the few of its length.
   */
  private readonly byLength = new Map<number, Helper[]>();
  /** The last number given to each helper base name. */
  private readonly counters = new Map<string, number>();
  /** The author's prologue and epilogue, whose names a helper must not shadow. */
  private readonly taken: string;
  /**
   * The words of `taken`: a name made of word characters occurs there as a whole word
   * (`\bname\b`) exactly when it is one of them. Read once, not once per name.
   */
  private takenWords: ReadonlySet<string> | undefined;

  constructor(taken: string) {
    this.taken = taken;
  }

  /** Replaces the generator snippets in `statements` (and in the blocks among them) with helper calls. */
  replace(statements: Statement[]): void {
    // The walk stays small (one load, one lookup a statement); runs of snippets are another method's.
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i]!;
      // A call with a block is never a snippet (see snippetSource): only look inside it.
      if (statement.type === 'Call' && statement.body) this.replace(statement.body);
      else if (generatorScriptKind(statement) !== undefined) this.replaceRun(statements, i);
    }
  }

  /**
   * Replaces the snippets from `statements[start]` (a marked statement) up to the first statement
   * that is none with one helper call: consecutive snippets run one after the other, and one helper
   * runs them in the same order. Leaves a marked statement that is no snippet where it is.
   */
  private replaceRun(statements: Statement[], start: number): void {
    const statement = statements[start]!;
    const first = snippetSource(statement);
    if (first === undefined) return;
    const sources = [first];
    const kinds = [generatorScriptKind(statement)!];
    let end = start + 1;
    for (; end < statements.length; end++) {
      const next = statements[end]!;
      const nextKind = generatorScriptKind(next);
      const source = nextKind === undefined ? undefined : snippetSource(next);
      if (nextKind === undefined || source === undefined) break;
      sources.push(source);
      if (!kinds.includes(nextKind)) kinds.push(nextKind);
    }
    const helper = this.helperFor(sources.length === 1 ? first : sources.join('\n'), kinds);
    const call: CallStatement = { type: 'Call', name: helper.name, args: noArgs() };
    if (statement.origin !== undefined) call.origin = statement.origin;
    statements.splice(start, end - start, call);
  }

  /** The helper that runs `source`: an earlier one with the same body, or a new one named after `kinds`. */
  private helperFor(source: string, kinds: readonly string[]): Helper {
    let sameLength = this.byLength.get(source.length);
    if (sameLength === undefined) this.byLength.set(source.length, (sameLength = []));
    for (const helper of sameLength) if (helper.source === source) return helper;
    // Named after the steps whose snippets it runs: pwEcsDeployEvidenceExport1.
    const helper: Helper = { name: this.helperName(kinds), source };
    this.helpers.push(helper);
    sameLength.push(helper);
    return helper;
  }

  private helperName(kinds: readonly string[]): string {
    const base = helperBase(kinds);
    for (;;) {
      const n = (this.counters.get(base) ?? 0) + 1;
      this.counters.set(base, n);
      const name = `${base}${n}`;
      // Never shadow a method or variable of the author's own prologue or epilogue.
      if (!this.isTaken(name)) return name;
    }
  }

  private isTaken(name: string): boolean {
    if (!WORD.test(name)) return new RegExp(`\\b${name}\\b`).test(this.taken);
    this.takenWords ??= new Set(this.taken.match(/\w+/g));
    return this.takenWords.has(name);
  }
}

/** `pw` and the kinds of the snippets a helper runs, camel-cased: `pwEcsDeployEvidenceExport`. */
function helperBase(kinds: readonly string[]): string {
  // Most helpers run the snippets of one kind: its key is the kind's own, built without a list.
  const key = kinds.length === 1 ? `${kinds[0]!.length}:${kinds[0]!}` : kinds.map((k) => `${k.length}:${k}`).join('');
  let base = helperBases.get(key);
  if (base === undefined) {
    const kind = kinds.map((k, n) => (n === 0 ? k : k.charAt(0).toUpperCase() + k.slice(1))).join('');
    base = `pw${kind.charAt(0).toUpperCase()}${kind.slice(1).replace(/[^A-Za-z0-9]/g, '')}`;
    if (helperBases.size < HELPER_BASES_LIMIT) helperBases.set(key, base);
  }
  return base;
}

/** {@link helperBase} by the kinds, each prefixed with its length (so no two lists share a key). */
const helperBases = new Map<string, string>();
const HELPER_BASES_LIMIT = 1024;

/** The lines of `def name() { … }`, the body laid out as the printer lays out a `script { }` body. */
function pushHelperLines(lines: string[], helper: Helper): void {
  lines.push(`def ${helper.name}() {`);
  pushIndentedGroovyBlock(lines, helper.source, '  ');
  lines.push('}');
}

/**
 * The Groovy a generator snippet runs: a `script { }` body as written, or a block-less step call
 * with literal arguments (`archiveArtifacts(artifacts: '…', allowEmptyArchive: true)`); `undefined`
 * for anything else, which then stays in the pipeline block.
 */
function snippetSource(statement: Statement): string | undefined {
  if (statement.type === 'GroovyBlock') return statement.keyword === 'script' ? statement.source : undefined;
  if (statement.type !== 'Call' || statement.body !== undefined) return undefined;
  // Every argument's text is made before any is judged (the escaper throws on what it cannot
  // write, whatever stands next to it); loops, not arrays of texts, for the run's cold code.
  const { positional, named } = statement.args;
  let text = '';
  let literal = true;
  for (let i = 0; i < positional.length; i++) {
    const value = literalText(positional[i]!);
    if (value === undefined) literal = false;
    else text += i === 0 ? value : `, ${value}`;
  }
  for (let i = 0; i < named.length; i++) {
    const entry = named[i]!;
    const value = literalText(entry.value);
    if (value === undefined) literal = false;
    else text += `${i === 0 && positional.length === 0 ? '' : ', '}${groovyKeyLiteral(entry.key)}: ${value}`;
  }
  return literal ? `${statement.name}(${text})` : undefined;
}

function literalText(value: Expression): string | undefined {
  switch (value.type) {
    case 'String':
      return groovyStringLiteral(value.value);
    case 'Boolean':
      return String(value.value);
    case 'Number':
      return value.text;
    default:
      return undefined;
  }
}
