/**
 * Step calls inside raw Groovy (`script` bodies, `when { expression }`, `groovy(...)` values,
 * `groovyPrologue`/`groovyEpilogue`), found with the real Groovy lexer. The policy turns each call
 * into a step site of its own, so that a `sh("aws ecs update-service …")` hidden in a `when`
 * expression is seen by every rule exactly like the same `sh` in `steps`.
 *
 * The scan is token based rather than tree based: it finds calls wherever they are (inside `if`,
 * loops, closures, GString placeholders, argument lists), which a statement-level parse would
 * skip. A call is an unqualified identifier (or `steps.x` / `this.x`) followed by an argument
 * list, a command-expression argument (`sh 'x'`) or a closure.
 */
import { lexGroovy, SourceText, type Token } from '../jenkinsfile/groovy-lexer.ts';

/** An argument of a Groovy call: its literal value when it is one, else its source text. */
export interface GroovyArg {
  /** Named argument label (`script:` → `script`), absent for positional ones. */
  readonly name?: string;
  /** The value: a string for string literals and GStrings (GString placeholders kept as `${…}` text), a list of such for list literals, else undefined. */
  readonly value: string | readonly string[] | undefined;
  /** The argument's Groovy source text. */
  readonly text: string;
  /** True when the value is only known at run time (a GString with placeholders, a variable, an expression). */
  readonly dynamic: boolean;
}

/** A call found in Groovy source. */
export interface GroovyCall {
  /** Called name (`sh`, `withAWS`, `deployIfNeeded`, ...). */
  readonly name: string;
  readonly args: readonly GroovyArg[];
  /** Calls inside the call's trailing closure (the body of `withAWS(...) { ... }`). */
  readonly body: readonly GroovyCall[];
  /** 1-based line within the source. */
  readonly line: number;
  /** Whether `name` is a Jenkins pipeline step this module knows. */
  readonly knownStep: boolean;
}

/**
 * Pipeline steps (core and the plugins pipelines commonly use). Any of them called from a `when`
 * expression or a `groovy()` value runs during condition or environment evaluation.
 */
export const GROOVY_STEP_NAMES: ReadonlySet<string> = new Set([
  // workflow-durable-task-step, basic steps, workflow-cps
  'sh', 'bat', 'powershell', 'pwsh', 'node', 'ws', 'dir', 'echo', 'error', 'unstable', 'warnError', 'catchError',
  'timeout', 'retry', 'sleep', 'waitUntil', 'withEnv', 'writeFile', 'readFile', 'fileExists', 'isUnix',
  'deleteDir', 'pwd', 'archiveArtifacts', 'archive', 'stash', 'unstash', 'input', 'build', 'load', 'parallel',
  'stage', 'checkout', 'git', 'junit', 'milestone', 'lock', 'mail', 'emailext', 'tool', 'library',
  'libraryResource', 'evaluate', 'properties', 'script', 'wrap', 'step', 'withCredentials', 'sshagent',
  'withDockerRegistry', 'withDockerServer', 'withDockerContainer', 'withKubeConfig', 'withKubeCredentials',
  'withMaven', 'withGradle', 'withSonarQubeEnv', 'waitForQualityGate', 'httpRequest', 'slackSend',
  'office365ConnectorSend', 'kubernetesDeploy', 'ansiblePlaybook', 'sshPublisher', 'publishHTML',
  'recordIssues', 'copyArtifacts', 'cleanWs', 'buildName', 'buildDescription', 'readJSON', 'writeJSON',
  'readYaml', 'writeYaml', 'readProperties', 'findFiles', 'zip', 'unzip', 'sha256', 'tee', 'nodesByLabel',
  // pipeline-aws
  'withAWS', 'awsIdentity', 's3Upload', 's3Download', 's3Copy', 's3Delete', 's3DoesObjectExist', 's3FindFiles',
  's3PresignURL', 'cfnUpdate', 'cfnDelete', 'cfnDescribe', 'cfnExports', 'cfnValidate', 'cfnCreateChangeSet',
  'cfnExecuteChangeSet', 'cfnUpdateStackSet', 'cfnDeleteStackSet', 'snsPublish', 'deployAPI', 'awaitDeploymentCompletion',
  'createDeployment', 'listAWSAccounts', 'updateIdP', 'setAccountAlias', 'ecrLogin', 'ecrListImages',
  'ecrDeleteImages', 'ecrSetRepositoryPolicy', 'invokeLambda', 'lambdaVersionPublish', 'ebCreateApplication',
  'ebCreateApplicationVersion', 'ebCreateConfigurationTemplate', 'ebCreateEnvironment', 'ebSwapEnvironmentCNAMEs',
  'ebWaitOnEnvironmentStatus', 'ec2ShareAmi',
]);

/**
 * Steps that only read (the workspace or the build): calling them from a condition is a style
 * question (BASE-006), not a step that changes anything.
 */
export const READ_ONLY_STEPS: ReadonlySet<string> = new Set([
  'fileExists', 'readFile', 'readJSON', 'readYaml', 'readProperties', 'findFiles', 'isUnix', 'pwd', 'echo',
  'sha256',
]);

/** Unqualified calls that are plain Groovy, not steps or helper functions. */
const GROOVY_BUILTINS: ReadonlySet<string> = new Set(['println', 'print', 'printf', 'sprintf', 'assert', 'super', 'this']);

/** Shell steps: their script argument is what runs. */
export const SHELL_STEP_NAMES: ReadonlySet<string> = new Set(['sh', 'bat', 'powershell', 'pwsh']);

const cache = new Map<string, readonly GroovyCall[]>();
const CACHE_LIMIT = 2_000;

/**
 * The calls in a Groovy source, outermost first; calls in a call's trailing closure are in its
 * `body`. Returns `[]` for sources that do not lex (the structure checks report those).
 */
export function groovyCalls(source: string): readonly GroovyCall[] {
  const cached = cache.get(source);
  if (cached) return cached;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  const calls = scan(source);
  cache.set(source, calls);
  return calls;
}

/** Every call in `calls` and their bodies, depth first. */
export function flattenCalls(calls: readonly GroovyCall[]): GroovyCall[] {
  const out: GroovyCall[] = [];
  const visit = (list: readonly GroovyCall[]) => {
    for (const call of list) {
      out.push(call);
      visit(call.body);
    }
  };
  visit(calls);
  return out;
}

/** The script a shell-step call runs: its `script:` argument or first positional argument. */
export function shellScriptOf(call: GroovyCall): GroovyArg | undefined {
  return call.args.find((a) => a.name === 'script') ?? call.args.find((a) => a.name === undefined);
}

function scan(source: string): GroovyCall[] {
  const text = new SourceText(source);
  let tokens: Token[];
  try {
    tokens = lexGroovy(text).tokens;
  } catch {
    return [];
  }
  const errorAt = tokens.findIndex((t) => t.type === 'ERROR');
  if (errorAt >= 0) tokens = tokens.slice(0, errorAt);
  const chars = text.chars;
  const lineOf = (index: number) => text.position(index).line;

  /** Index of the token closing the bracket opened at `open` (or `end` when unbalanced). */
  const matching = (open: number, end: number): number => {
    let depth = 0;
    for (let i = open; i < end; i++) {
      const t = tokens[i]!.type;
      if (t === '(' || t === '[' || t === '{' || t === 'GSTRING_START') depth++;
      else if (t === ')' || t === ']' || t === '}' || t === 'GSTRING_END') {
        depth--;
        if (depth === 0) return i;
      }
    }
    return end;
  };

  const sourceOf = (from: number, to: number) => (from < to ? chars.slice(tokens[from]!.start, tokens[to - 1]!.end).trim() : '');

  const stringValue = (from: number, to: number): { value: string; dynamic: boolean } | undefined => {
    const first = tokens[from]!;
    if (to - from === 1 && first.type === 'STRING') return { value: first.value ?? '', dynamic: false };
    if (first.type === 'GSTRING_START' && matching(from, to) === to - 1) {
      const raw = chars.slice(first.start, tokens[to - 1]!.end);
      const quote = QUOTES[first.stringKind ?? 'double'] ?? QUOTES['double']!;
      return { value: raw.slice(quote[0].length, raw.length - quote[1].length), dynamic: true };
    }
    return undefined;
  };

  const argument = (from: number, to: number): GroovyArg => {
    let name: string | undefined;
    if (to - from >= 2 && tokens[from + 1]!.type === ':' && (tokens[from]!.type === 'IDENT' || tokens[from]!.type === 'STRING')) {
      name = tokens[from]!.type === 'IDENT' ? tokens[from]!.text : (tokens[from]!.value ?? '');
      from += 2;
    }
    const text = sourceOf(from, to);
    const base = name !== undefined ? { name } : {};
    if (from >= to) return { ...base, value: undefined, text, dynamic: true };
    const literal = stringValue(from, to);
    if (literal) return { ...base, value: literal.value, text, dynamic: literal.dynamic };
    if (tokens[from]!.type === '[' && matching(from, to) === to - 1) {
      const items = splitTopLevel(from + 1, to - 1).map(([a, b]) => stringValue(a, b));
      if (items.every((i) => i !== undefined)) {
        return { ...base, value: items.map((i) => i!.value), text, dynamic: items.some((i) => i!.dynamic) };
      }
    }
    return { ...base, value: undefined, text, dynamic: true };
  };

  /** Ranges of the comma-separated parts of [from, to) at bracket depth 0. */
  const splitTopLevel = (from: number, to: number): [number, number][] => {
    const parts: [number, number][] = [];
    let start = from;
    let depth = 0;
    for (let i = from; i < to; i++) {
      const t = tokens[i]!.type;
      if (t === '(' || t === '[' || t === '{' || t === 'GSTRING_START') depth++;
      else if (t === ')' || t === ']' || t === '}' || t === 'GSTRING_END') depth--;
      else if (t === ',' && depth === 0) {
        if (i > start) parts.push([start, i]);
        start = i + 1;
      } else if (t === 'NLS' && depth === 0 && i === start) start = i + 1;
    }
    if (to > start) parts.push([start, to]);
    return parts.map(([a, b]) => trimNls(a, b)).filter(([a, b]) => b > a);
  };

  const trimNls = (from: number, to: number): [number, number] => {
    while (from < to && tokens[from]!.type === 'NLS') from++;
    while (to > from && tokens[to - 1]!.type === 'NLS') to--;
    return [from, to];
  };

  const COMMAND_ARG_START = new Set(['STRING', 'GSTRING_START', 'IDENT', 'NUM', '[', 'true', 'false', 'null', '-', '!']);

  /** Finds the calls in tokens [from, to). */
  const callsIn = (from: number, to: number): GroovyCall[] => {
    const calls: GroovyCall[] = [];
    let i = from;
    while (i < to) {
      const token = tokens[i]!;
      // Capitalised names are types (`String name(...)`, `Map m`), not steps or helper functions.
      if (token.type !== 'IDENT' || /^[A-Z]/.test(token.text) || !isCallee(i)) {
        i++;
        continue;
      }
      const name = token.text;
      const next = tokens[i + 1];
      let argsFrom = -1;
      let argsTo = -1;
      let after = i + 1;
      if (next?.type === '(') {
        const close = matching(i + 1, to);
        argsFrom = i + 2;
        argsTo = close;
        after = close + 1;
      } else if (next && COMMAND_ARG_START.has(next.type) && !(next.type === 'IDENT' && BINARY_WORDS.has(next.text)) && isStatementStart(i)) {
        // Command expression `sh 'x'` / `sh script: 'x'`: the arguments run to the end of the line.
        let j = i + 1;
        let depth = 0;
        while (j < to) {
          const t = tokens[j]!.type;
          if (depth === 0 && (t === 'NLS' || t === ';' || t === '}' || t === ')' || t === ']')) break;
          if (depth === 0 && t === '{') break; // trailing closure
          if (t === '(' || t === '[' || t === '{' || t === 'GSTRING_START') depth++;
          else if (t === ')' || t === ']' || t === '}' || t === 'GSTRING_END') depth--;
          j++;
        }
        argsFrom = i + 1;
        argsTo = j;
        after = j;
      } else if (next?.type !== '{') {
        i++;
        continue;
      }
      const args = argsFrom >= 0 ? splitTopLevel(argsFrom, argsTo).map(([a, b]) => argument(a, b)) : [];
      // Calls nested in the arguments (`echo(sh(returnStdout: true, script: 'x'))`) are siblings.
      const nestedInArgs = argsFrom >= 0 ? callsIn(argsFrom, argsTo) : [];
      let body: GroovyCall[] = [];
      if (tokens[after]?.type === '{') {
        const close = matching(after, to);
        body = callsIn(after + 1, close);
        after = close + 1;
      }
      if (!GROOVY_BUILTINS.has(name)) {
        calls.push({ name, args, body, line: lineOf(token.start), knownStep: GROOVY_STEP_NAMES.has(name) });
      } else calls.push(...body);
      calls.push(...nestedInArgs);
      i = Math.max(after, i + 1);
    }
    return calls;
  };

  /** An identifier is a callee when it is not a member of something (except `steps.` / `this.`) and not declared. */
  const isCallee = (i: number): boolean => {
    const previous = tokens[i - 1];
    if (!previous) return true;
    if (previous.type === '.' || previous.type === '?.' || previous.type === '*.' || previous.type === '.&') {
      const owner = tokens[i - 2];
      return owner !== undefined && (owner.text === 'steps' || owner.type === 'this') && (tokens[i - 3]?.type !== '.');
    }
    if (previous.type === 'def' || (previous.type === 'IDENT' && tokens[i + 1]?.type === '(' && isTypeDeclaration(i))) return false;
    return true;
  };

  /** `String name(` / `def name(`: a method declaration, not a call. */
  const isTypeDeclaration = (i: number): boolean => {
    const previous = tokens[i - 1]!;
    const beforeThat = tokens[i - 2];
    return /^[A-Z]/.test(previous.text) && (beforeThat === undefined || beforeThat.type === 'NLS' || beforeThat.type === ';' || beforeThat.type === '{' || beforeThat.type === '}');
  };

  /** Command expressions only start statements (or follow `return`, `=`, an opening bracket). */
  const isStatementStart = (i: number): boolean => {
    const previous = tokens[i - 1];
    if (!previous) return true;
    return ['NLS', ';', '{', '}', '(', '[', ',', '=', 'return', '->', ':', '?', '&&', '||', '!'].includes(previous.type) || (previous.type === '.' && tokens[i - 2]?.text === 'steps');
  };

  return callsIn(0, tokens.length - (tokens[tokens.length - 1]?.type === 'EOF' ? 1 : 0));
}

/** Words after which an identifier is an operand, not a command argument (`x in y`, `x instanceof Y`). */
const BINARY_WORDS = new Set(['in', 'instanceof', 'as']);

const QUOTES: Record<string, [string, string]> = {
  single: ["'", "'"],
  double: ['"', '"'],
  tripleSingle: ["'''", "'''"],
  tripleDouble: ['"""', '"""'],
  slashy: ['/', '/'],
  dollarSlashy: ['$/', '/$'],
};

/**
 * Unqualified calls of a source that may run steps: known steps (except read-only ones) and
 * calls of anything that is neither a known step nor plain Groovy (helper functions from the
 * prologue or a shared library can run any step).
 */
export function stepRunningCalls(source: string): GroovyCall[] {
  return flattenCalls(groovyCalls(source)).filter((c) => !READ_ONLY_STEPS.has(c.name));
}
