#!/usr/bin/env node
// Builds the corpus of Jenkins' own declarative validator tests: the Jenkinsfiles of the plugin's
// tests (jenkinsci/pipeline-model-definition-plugin, pipeline-model-definition/src/test/resources)
// (into --out) and test/validate/jenkins-validator/manifest.json (--manifest), the message each
// invalid file is expected to produce, read from the Java
// tests (`expectError("x").logContains(Messages.ModelValidatorImpl_Foo("a"))...go()`) and rendered
// from the plugin's Messages.properties the way Java's MessageFormat does.
//
//   node scripts/jenkins-validator-corpus.mjs --git <plugin .git dir> [--commit SHA] [--out DIR] [--manifest FILE]
//
// The Jenkinsfiles themselves are copied into DIR/valid, DIR/invalid and DIR/ignored (default
// /work/shared/jenkins-validator, outside the repository: they are the plugin's files and are not
// committed); the manifest records the commit and each file's path there, so the measurement
// (test/validate/jenkins-validator.measure.ts) reads them from the plugin repository when the copy
// is missing. Expectations that only a running controller, script security, a shared library or a
// test extension can produce are kept in the manifest with `outOfScope` and the reason.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    git: { type: 'string', default: '/work/.mirror/jenkinsci+pipeline-model-definition-plugin/repo' },
    commit: { type: 'string', default: 'HEAD' },
    out: { type: 'string', default: '/work/shared/jenkins-validator' },
    manifest: { type: 'string', default: join(ROOT, 'test/validate/jenkins-validator/manifest.json') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('node scripts/jenkins-validator-corpus.mjs --git <pipeline-model-definition-plugin .git> [--commit SHA] [--out DIR] [--manifest FILE]');
  process.exit(0);
}

const git = (...args) => execFileSync('git', ['--git-dir', values.git, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const commit = git('rev-parse', `${values.commit}^{commit}`).trim();
const show = (path) => git('show', `${commit}:${path}`);
const RESOURCES = 'pipeline-model-definition/src/test/resources';
const TESTS = 'pipeline-model-definition/src/test/java';
const MAIN_RES = 'pipeline-model-definition/src/main/resources/org/jenkinsci/plugins/pipeline/modeldefinition';

// ------------------------------------------------------------------ Messages.properties

/** Reads a .properties file (escapes, \uXXXX, continuation lines). */
function readProperties(text) {
  const out = new Map();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) continue;
    const unescape = (s) => s.replace(/\\u([0-9a-fA-F]{4})|\\(.)/g, (_, hex, c) => (hex ? String.fromCharCode(parseInt(hex, 16)) : { n: '\n', t: '\t', r: '\r', f: '\f' }[c] ?? c));
    out.set(unescape(m[1]), unescape(m[2]));
  }
  return out;
}

const bundles = {
  main: readProperties(show(`${MAIN_RES}/Messages.properties`)),
  validator: readProperties(show(`${MAIN_RES}/validator/Messages.properties`)),
};

/** Java's MessageFormat.format: '' is a quote, '...' is literal, {n} an argument; ints get grouping. */
function messageFormat(pattern, args) {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      const end = pattern.indexOf("'", i + 1);
      out += end < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, end);
      i = end < 0 ? pattern.length : end;
      continue;
    }
    if (c === '{') {
      const end = pattern.indexOf('}', i);
      const index = Number(pattern.slice(i + 1, end).split(',')[0]);
      out += formatArg(args[index]);
      i = end;
      continue;
    }
    out += c;
  }
  return out;
}

function formatArg(arg) {
  if (arg === undefined) return '{?}';
  if (typeof arg === 'number') return arg.toLocaleString('en-US');
  return arg;
}

// ------------------------------------------------------------------ Java expressions

/** A value computed at Jenkins' run time (installed extensions); kept as a named gap. */
class Dynamic {
  constructor(source) {
    this.source = source;
  }
}

/** Rendered text: a list of literal strings and Dynamic gaps. */
const concat = (...parts) => parts.flat().reduce((acc, p) => {
  if (typeof p === 'string' && typeof acc[acc.length - 1] === 'string') acc[acc.length - 1] += p;
  else acc.push(p);
  return acc;
}, []);

function tokenize(src) {
  const tokens = [];
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'|(\d+)[lL]?|([A-Za-z_$][\w$]*)|(.)/g;
  let m;
  while ((m = re.exec(src))) {
    if (m[1] !== undefined) tokens.push({ t: 'str', v: javaUnescape(m[1]) });
    else if (m[2] !== undefined) tokens.push({ t: 'str', v: javaUnescape(m[2]) });
    else if (m[3] !== undefined) tokens.push({ t: 'num', v: Number(m[3]) });
    else if (m[4] !== undefined) tokens.push({ t: 'id', v: m[4] });
    else if (m[5] !== undefined) tokens.push({ t: 'p', v: m[5] });
  }
  return tokens;
}

function javaUnescape(s) {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\(.)/g, (_, hex, c) => (hex ? String.fromCharCode(parseInt(hex, 16)) : { n: '\n', t: '\t', r: '\r' }[c] ?? c));
}

const BLOCKED = { stage: 'BlockedStepsAndMethodCalls.BlockedSteps.Stage', properties: 'BlockedStepsAndMethodCalls.BlockedSteps.Properties', parallel: 'BlockedStepsAndMethodCalls.BlockedSteps.Parallel', node: 'BlockedStepsAndMethodCalls.BlockedSteps.Node' };
const JAVA_CLASSES = { String: 'java.lang.String', Integer: 'java.lang.Integer', Boolean: 'java.lang.Boolean', Long: 'java.lang.Long' };

/** Recursive-descent evaluator for the argument expressions of logContains(...). */
class JavaExpr {
  constructor(tokens) {
    this.tokens = tokens;
    this.i = 0;
  }
  peek(v) {
    const t = this.tokens[this.i];
    return t && (v === undefined || t.v === v) ? t : undefined;
  }
  take(v) {
    const t = this.tokens[this.i];
    if (v !== undefined && (!t || t.v !== v)) throw new Error(`expected ${v} at ${this.rest()}`);
    this.i++;
    return t;
  }
  rest() {
    return this.tokens.slice(this.i, this.i + 8).map((t) => t.v).join(' ');
  }
  /** Comma-separated arguments up to the closing parenthesis (consumed). */
  args() {
    const out = [];
    if (this.peek(')')) {
      this.take(')');
      return out;
    }
    for (;;) {
      const start = this.i;
      out.push({ value: this.expr(), source: this.tokens.slice(start, this.i).map((t) => (t.t === 'str' ? JSON.stringify(t.v) : t.v)).join('') });
      if (this.peek(',')) this.take(',');
      else {
        this.take(')');
        return out;
      }
    }
  }
  expr() {
    let value = this.primary();
    while (this.peek('+')) {
      this.take('+');
      value = concat(toParts(value), toParts(this.primary()));
    }
    return value;
  }
  primary() {
    const t = this.take();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return t.v;
    if (t.v === '-' && this.peek()?.t === 'num') return -this.take().v;
    if (t.t !== 'id') throw new Error(`unexpected ${t.v} at ${this.rest()}`);
    // A dotted name, possibly a call chain.
    const names = [t.v];
    const start = this.i - 1;
    while (this.peek('.') && this.tokens[this.i + 1]?.t === 'id') {
      this.take('.');
      names.push(this.take().v);
    }
    if (names.at(-1) === 'class') return `class ${JAVA_CLASSES[names.at(-2)] ?? names.slice(0, -1).join('.')}`;
    if (!this.peek('(')) {
      return new Dynamic(names.join('.'));
    }
    this.take('(');
    const args = this.args();
    const messagesAt = names.lastIndexOf('Messages');
    if (messagesAt >= 0 && messagesAt === names.length - 2) {
      const bundle = names[messagesAt - 1] === 'validator' ? bundles.validator : bundles.main;
      const key = names.at(-1).replace(/_/g, '.');
      const pattern = bundle.get(key) ?? bundles.validator.get(key);
      if (pattern === undefined) throw new Error(`no message ${key}`);
      const parts = args.map((a) => a.value);
      if (parts.every((p) => typeof p === 'string' || typeof p === 'number')) return messageFormat(pattern, parts);
      // Arguments with run-time values: format around them.
      const marks = parts.map((p, k) => (typeof p === 'string' || typeof p === 'number' ? p : `\u0000${k}\u0000`));
      return messageFormat(pattern, marks).split('\u0000').map((piece, k) => (k % 2 === 1 ? toDynamic(parts[Number(piece)]) : piece)).filter((p) => p !== '');
    }
    let value = new Dynamic(`${names.join('.')}(${args.map((a) => a.source).join(', ')})`);
    // BlockedStepsAndMethodCalls.blockedInSteps().get("stage") and the like: the plugin's fixed map.
    while (this.peek('.')) {
      this.take('.');
      const method = this.take().v;
      this.take('(');
      const more = this.args();
      if (names.at(-1) === 'blockedInSteps' || names.at(-1) === 'blockedInMethodCalls') {
        if (method === 'get' && typeof more[0]?.value === 'string' && BLOCKED[more[0].value]) {
          value = bundles.validator.get(BLOCKED[more[0].value]) && messageFormat(bundles.validator.get(BLOCKED[more[0].value]), []);
          continue;
        }
      }
      value = new Dynamic(`${value instanceof Dynamic ? value.source : value}.${method}(${more.map((a) => a.source).join(', ')})`);
    }
    void start;
    return value;
  }
}

const toParts = (v) => (Array.isArray(v) ? v : typeof v === 'number' ? [String(v)] : [v]);
const toDynamic = (v) => (v instanceof Dynamic ? v : Array.isArray(v) ? new Dynamic(v.map((p) => (p instanceof Dynamic ? p.source : p)).join('')) : new Dynamic(String(v)));

// ------------------------------------------------------------------ test chains

/** Every `expect...(...)...go()` chain of a Java test source. */
function chains(source, testFile) {
  const out = [];
  const re = /\b(expectError|expect)\s*\(/g;
  let m;
  while ((m = re.exec(source))) {
    const end = source.indexOf('.go()', m.index);
    if (end < 0) continue;
    const before = source.slice(0, m.index);
    const methodAt = [...before.matchAll(/((?:@\w+(?:\([^)]*\))?\s*)*)(?:public|protected|private)\s+void\s+(\w+)\s*\([^)]*\)[^{]*\{/g)].at(-1);
    const method = methodAt?.[2];
    const ignored = /@Ignore\b/.test(methodAt?.[1] ?? '');
    // The test turns on Declarative's script splitting (off on a default controller) before running.
    const scriptSplitting = /SCRIPT_SPLITTING_TRANSFORMATION\s*=\s*true/.test(methodAt ? before.slice(methodAt.index) : '');
    const tokens = tokenize(source.slice(m.index + m[0].length, end));
    const parser = new JavaExpr(tokens);
    let head;
    try {
      head = parser.args();
    } catch {
      continue;
    }
    const strings = head.map((a) => a.value).filter((v) => typeof v === 'string');
    const result = head.find((a) => a.value instanceof Dynamic && /^Result\./.test(a.value.source))?.value.source.slice(7) ?? (m[1] === 'expectError' ? 'FAILURE' : 'SUCCESS');
    const resource = m[1] === 'expectError' ? `errors/${strings[0]}` : strings.length === 2 ? `${strings[0]}/${strings[1]}` : strings[0];
    if (resource === undefined) continue;
    const chain = { test: `${testFile.replace(/^.*\//, '').replace(/\.java$/, '')}.${method ?? '?'}`, resource, result, logContains: [], runFromRepo: true, ignored, scriptSplitting, validatorMessage: false };
    while (parser.i < tokens.length) {
      if (!(parser.peek('.') && tokens[parser.i + 1]?.t === 'id' && tokens[parser.i + 2]?.v === '(')) {
        parser.i++;
        continue;
      }
      parser.take('.');
      const name = parser.take().v;
      parser.take('(');
      let args;
      try {
        args = parser.args();
      } catch (error) {
        chain.unparsed = `${name}: ${error.message}`;
        break;
      }
      if (name === 'logContains') {
        chain.logContains.push(...args.map((a) => toParts(a.value)));
        chain.literalSources ??= new Set();
        for (const a of args) if (/^"/.test(a.source) && !a.source.includes('Messages.')) chain.literalSources.add(a.value);
        if (args.some((a) => /Messages\.(ModelValidatorImpl|ModelParser|Parser)_/.test(a.source))) chain.validatorMessage = true;
      }
      if (name === 'runFromRepo' && args[0]?.value instanceof Dynamic && args[0].value.source === 'false') chain.runFromRepo = false;
    }
    out.push(chain);
  }
  return out;
}

// ------------------------------------------------------------------ scope

/**
 * Expectations of the Java tests that are not a validator message of the Jenkinsfile: log lines
 * around Jenkins' compile error (the exception name, the echoed source line).
 */
const LOG_CONTEXT = new Set(['MultipleCompilationErrorsException: startup failed:', 'name "${this_is_gstring_name}"', 'node {']);

/** Invalid files whose expectation needs something outside an offline validator, and why. */
const OUT_OF_SCOPE = {
  'errors/scriptSecurityRejectionInEnvironment': 'script-security: the sandbox rejects System.err at run time (RejectedAccessException), on a running controller',
  'errors/scriptSecurityRejectionInSteps': 'script-security: the sandbox rejects System.err at run time (ValidatorTest.scriptSecurityRejectionInSteps runs scriptSecurityRejectionInEnvironment instead of this file)',
  'errors/scriptSecurityRejectionInWhenExpression': 'script-security: the sandbox rejects System.err at run time (ValidatorTest.scriptSecurityRejectionInWhenExpression runs scriptSecurityRejectionInEnvironment instead of this file)',
  'errors/notInstalledToolVersion': 'running controller: the tool installations configured on the controller (maven "apache-maven-3.0.1")',
  'errors/globalLibraryNonStepBody': 'shared library: the test installs a global library whose function is called with a non-step body',
  'errors/globalLibraryObjectMethodCall': 'shared library: the test installs a global library; the object method call is in its code',
  'errors/validatorContributor': 'test extension: a DeclarativeValidatorContributor defined in ValidatorTest rejects "testProperty"',
  'errors/postValidatorContributor': 'test extension: a DeclarativeValidatorContributor defined in ValidatorTest (counts its calls)',
  'errors/optionValidatorContributor': 'test extension: a DeclarativeValidatorContributor defined in ValidatorTest (counts its calls)',
};

/**
 * A literal string a test expects in the log. Rendered from Messages.properties it is the whole
 * message; written out in the test (a Groovy compiler message, a run-time exception) it is a part
 * of a log line, as `logContains` checks it: `contains: true`.
 */
function literalEntry(text, chain) {
  return chain.literalSources?.has(text) ? { text, contains: true } : { text };
}

// ------------------------------------------------------------------ main

const testFiles = git('ls-tree', '-r', '--name-only', commit, TESTS).split('\n').filter((f) => f.endsWith('.java'));
const allChains = testFiles.flatMap((f) => chains(show(f), f));
const byResource = new Map();
for (const chain of allChains) {
  if (!byResource.has(chain.resource)) byResource.set(chain.resource, []);
  byResource.get(chain.resource).push(chain);
}

const resources = git('ls-tree', '-r', '--name-only', commit, RESOURCES).split('\n').filter((f) => f.endsWith('.groovy'));
const rel = (f) => f.slice(RESOURCES.length + 1).replace(/\.groovy$/, '');
const isJenkinsfile = (text) => /^\s*pipeline\s*\{/m.test(text);

/** A chain expects a compile-time rejection: FAILURE with a parser/validator message or the compile error. */
const expectsCompileError = (chain) => chain.result === 'FAILURE' && (chain.validatorMessage || chain.logContains.some((parts) =>
  parts.some((p) => typeof p === 'string' && (p.includes('MultipleCompilationErrorsException') || p.includes('startup failed')))));

/**
 * Files whose only tests are @Ignore'd: not asserted valid or invalid by Jenkins' suite. What
 * Jenkins' validator does with each, read from its source, is recorded instead.
 */
const IGNORED = {
  'matrix/matrixStagesGroupsAndStages': 'Missing required section "axes"',
  'matrix/matrixStagesHaveStatusAndPost': 'Missing required section "axes"',
  'matrix/matrixStagesNestedInSequential': 'Missing required section "axes"',
  'matrix/matrixStagesShouldntTriggerNSE': 'Missing required section "axes"',
};
const IGNORED_REASON = 'only @Ignore\'d tests (MatrixTest) use it; the matrix has no axes, which ModelValidatorImpl.validateElement(ModelASTMatrix) rejects';

rmSync(join(values.out, 'valid'), { recursive: true, force: true });
rmSync(join(values.out, 'invalid'), { recursive: true, force: true });
rmSync(join(values.out, 'ignored'), { recursive: true, force: true });
mkdirSync(join(values.out, 'valid'), { recursive: true });
mkdirSync(join(values.out, 'invalid'), { recursive: true });

const valid = [];
const invalid = [];
const notJenkinsfiles = [];
const ignored = [];
for (const path of resources) {
  const name = rel(path);
  if (name.startsWith('json/')) continue;
  const text = show(path);
  const tests = byResource.get(name) ?? [];
  const isError = name.startsWith('errors/') || tests.some(expectsCompileError);
  if (tests.length > 0 && tests.every((t) => t.ignored) && !isError) {
    const local = `${name.replace(/\//g, '__')}.groovy`;
    mkdirSync(join(values.out, 'ignored'), { recursive: true });
    writeFileSync(join(values.out, 'ignored', local), text);
    const item = { file: `ignored/${local}`, source: path, tests: [...new Set(tests.map((t) => t.test))], reason: IGNORED[name] ? IGNORED_REASON : 'only @Ignore\'d tests use it' };
    if (IGNORED[name]) item.jenkinsRejects = IGNORED[name];
    ignored.push(item);
    continue;
  }
  const local = `${name.replace(/\//g, '__')}.groovy`;
  if (!isError) {
    if (!isJenkinsfile(text)) {
      notJenkinsfiles.push({ source: path, reason: 'not a Jenkinsfile (library or helper script: no top-level pipeline block)' });
      continue;
    }
    if (/^def\s+call\s*\(/m.test(text)) {
      notJenkinsfiles.push({ source: path, reason: 'shared library step (vars/*.groovy: `def call() { pipeline { ... } }`), loaded by a library, not a Jenkinsfile' });
      continue;
    }
    writeFileSync(join(values.out, 'valid', local), text);
    const entry = { file: `valid/${local}`, source: path, tests: [...new Set(tests.map((t) => t.test))] };
    const passing = tests.filter((t) => !t.ignored && t.result !== 'FAILURE');
    if (passing.length > 0 && passing.every((t) => t.scriptSplitting)) {
      entry.scriptSplitting = true;
      entry.note = 'its passing tests turn on script splitting (RuntimeASTTransformer.SCRIPT_SPLITTING_TRANSFORMATION), off on a default controller; without it the file fails (Method code too large / List expressions can only contain up to 250 elements)';
    }
    valid.push(entry);
    continue;
  }
  writeFileSync(join(values.out, 'invalid', local), text);
  const messages = [];
  const logContext = [];
  for (const chain of tests) {
    for (const parts of chain.logContains) {
      const text = parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : undefined;
      if (text !== undefined && LOG_CONTEXT.has(text)) {
        logContext.push(text);
        continue;
      }
      const entry = text !== undefined
        ? literalEntry(text, chain)
        : { pattern: parts.map((p) => (p instanceof Dynamic ? { dynamic: p.source } : p)) };
      if (!messages.some((m) => JSON.stringify(m) === JSON.stringify(entry))) messages.push(entry);
    }
  }
  const item = { file: `invalid/${local}`, source: path, tests: [...new Set(tests.map((t) => t.test))], messages };
  // A test method named after this file that runs another file (a copy-paste slip in the Java
  // test): its expectation is the one meant for this file.
  const base = name.replace(/^.*\//, '');
  if (tests.length === 0) {
    const namesake = allChains.filter((c) => c.test.endsWith(`.${base}`) && !c.ignored);
    for (const chain of namesake) {
      for (const parts of chain.logContains) {
        const text = parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : undefined;
        const entry = text !== undefined ? literalEntry(text, chain) : { pattern: parts.map((p) => (p instanceof Dynamic ? { dynamic: p.source } : p)) };
        if (!messages.some((m) => JSON.stringify(m) === JSON.stringify(entry))) messages.push(entry);
      }
    }
    if (namesake.length > 0) item.note = `${namesake.map((c) => c.test).join(', ')} is named after this file but runs ${namesake.map((c) => c.resource).join(', ')}; its expectation is used here`;
  }
  if (logContext.length > 0) item.logContext = [...new Set(logContext)];
  if (tests.some((t) => !t.runFromRepo)) item.runFromRepo = false;
  if (tests.length === 0 && item.note === undefined) item.note = 'no test names this file';
  if (OUT_OF_SCOPE[name]) item.outOfScope = OUT_OF_SCOPE[name];
  invalid.push(item);
}

const manifest = {
  repository: 'https://github.com/jenkinsci/pipeline-model-definition-plugin',
  commit,
  resources: RESOURCES,
  generatedBy: 'scripts/jenkins-validator-corpus.mjs',
  note: 'A message is { text } (exact) or { pattern } (literal pieces and { dynamic: <Java expression> } gaps for lists Jenkins computes from its installed extensions).',
  valid,
  invalid,
  ignored,
  notJenkinsfiles,
};
writeFileSync(values.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`commit ${commit}: ${valid.length} valid, ${invalid.length} invalid (${invalid.filter((i) => i.outOfScope).length} out of scope), ${ignored.length} only in @Ignore'd tests, ${notJenkinsfiles.length} not Jenkinsfiles`);
