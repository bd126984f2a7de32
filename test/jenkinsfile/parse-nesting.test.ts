/**
 * Deep nesting and long chains end in a result or a one-line diagnostic, never a stack trace
 * (issue #10 §6). Until 2026-12-06 each case below crashed `validate` and `import` with
 * `RangeError: Maximum call stack size exceeded`: 100 nested stages, 500 parentheses, 200 nested
 * `not`, 2,000 nested GStrings, a 200,000-element property chain.
 *
 * The cases run through the real command (`node bin/pipewright.js`, built from src/) in a process
 * of its own, so they see Node's real default stack. Files within the nesting limit are checked
 * against Groovy 2.4.21 itself, on a stack large enough for its recursive parser (the shared
 * oracle's 1 MB stack overflows on them, as Jenkins' default thread stack would).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH } from '../../src/jenkinsfile/groovy-parser.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { buildCli, CRASH, type BuiltCli } from './parse-built-cli.ts';

const JAVA_HOME = process.env['JAVA_HOME'] || '/usr/lib/jvm/java-17-openjdk-amd64';
const GROOVY_JARS = ['/usr/share/java/groovy.jar', '/usr/share/groovy/lib/antlr.jar', '/usr/share/groovy/lib/asm.jar'];
const DEEP_PARSE = path.join(import.meta.dirname, 'GroovyDeepParse.java');

const steps = (body: string) => `pipeline {\n  agent any\n  stages {\n    stage('a') {\n      steps {\n${body}\n      }\n    }\n  }\n}\n`;

/** `n` stages each nested in the previous one's `stages { }` (two levels per stage). */
function nestedStages(n: number): string {
  let inner = "stage('leaf') {\n steps {\n echo 'x'\n }\n }";
  for (let i = n - 1; i >= 0; i--) inner = `stage('s${i}') {\n stages {\n${inner}\n}\n}`;
  return `pipeline {\n  agent any\n  stages {\n${inner}\n  }\n}\n`;
}

function nestedNot(n: number): string {
  let condition = "branch 'main'";
  for (let i = 0; i < n; i++) condition = `not { ${condition} }`;
  return `pipeline {\n  agent any\n  stages {\n    stage('a') {\n      when { ${condition} }\n      steps { echo 'x' }\n    }\n  }\n}\n`;
}

function nestedGStrings(n: number): string {
  let value = 'x';
  for (let i = 0; i < n; i++) value = `"\${${value}}"`;
  return steps(`echo ${value}`);
}

const nestedParens = (n: number) => steps(`echo ${'('.repeat(n)}'x'${')'.repeat(n)}`);
const nestedDirs = (n: number) => steps(`${"dir('x') {\n".repeat(n)}echo 'x'\n${'}\n'.repeat(n)}`);

/**
 * Where the parser must stop: the first `{`, `(` or `[` that opens level MAX_NESTING_DEPTH + 1,
 * counting brackets (the generated files have none inside string literals).
 */
function limitPosition(text: string): { line: number; column: number } {
  let depth = 0;
  let line = 1;
  let column = 1;
  for (const char of text) {
    if (char === '{' || char === '(' || char === '[') {
      if (++depth > MAX_NESTING_DEPTH) return { line, column };
    } else if (char === '}' || char === ')' || char === ']') depth--;
    if (char === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  throw new Error('the text does not nest beyond the limit');
}

/** Groovy 2.4.21's verdict on each file, on a 1 GB stack: OK, ERROR <message> or STACK. */
function groovyDeepParse(files: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(JAVA_HOME, 'bin/java'), ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', GROOVY_JARS.join(':'), DEEP_PARSE, ...files], {
      env: { ...process.env, JAVA_HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.split('\n').filter((line) => line !== '');
      if (code !== 0 || lines.length !== files.length) reject(new Error(`GroovyDeepParse exited ${code}: ${stderr}${stdout}`));
      else resolve(lines);
    });
  });
}

let cli: BuiltCli;
let dir: string;
const cases = new Map<string, string>();

/** Writes a case file (once) and returns its name, relative to `dir`. */
function file(name: string, text: string): string {
  cases.set(name, text);
  writeFileSync(path.join(dir, name), text);
  return name;
}

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(path.join(tmpdir(), 'pipewright-nesting-'));
}, 120_000);
afterAll(() => {
  cli?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `validate` and checks that it ends in a verdict, not a crash. */
async function validate(name: string) {
  const result = await cli.run(['validate', name], dir);
  expect(result.stderr).toBe('');
  expect(`${result.stdout}${result.stderr}`).not.toMatch(CRASH);
  return result;
}

async function expectValid(name: string): Promise<void> {
  const result = await validate(name);
  expect(result.stdout).toBe('Jenkinsfile successfully validated.\n');
  expect(result.code).toBe(0);
}

/** `validate` exits 1 with exactly one diagnostic line: PW5005 at the first level too many. */
async function expectTooDeep(name: string): Promise<void> {
  const result = await validate(name);
  const at = limitPosition(cases.get(name)!);
  expect(result.stdout).toBe(
    `Errors encountered validating Jenkinsfile:\n${name}:${at.line}:${at.column}: nesting deeper than ${MAX_NESTING_DEPTH} levels: pipewright's parser stops here (each block, closure, bracket, parenthesis and \${ } opens a level; Groovy 2.4 on a 1 MB thread stack already fails at about 60 nested stages)\n`,
  );
  expect(result.code).toBe(1);
  expect(parseJenkinsfile(cases.get(name)!, name).diagnostics.map((d) => d.code)).toEqual(['PW5005']);
}

/** `validate` exits 1 with one diagnostic: PW3040 (the JVM's method-size limit, src/limits) at the pipeline line. */
async function expectTooLarge(name: string): Promise<void> {
  const result = await validate(name);
  expect(result.stdout).toMatch(new RegExp(`^Errors encountered validating Jenkinsfile:\\n${name}:1:1: the pipeline block compiles to about [\\d,]+ bytes of bytecode in one method`));
  expect(result.stdout.trimEnd().split('\n')).toHaveLength(2);
  expect(result.code).toBe(1);
}

/** `import` ends in a verdict: the module is refused by compile's method-size check (PW3040). */
async function importTooLarge(name: string, module: string): Promise<string> {
  const result = await cli.run(['import', name, '--force'], dir);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(CRASH);
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain(`${name} → pipelines/${module}.pipeline.ts: round trip FAILED`);
  expect(result.stdout).toContain('the module does not compile: PW3040 ');
  return result.stdout;
}

async function importOk(name: string, module: string): Promise<string> {
  const result = await cli.run(['import', name, '--force'], dir);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(CRASH);
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain(`${name} → pipelines/${module}.pipeline.ts: imported, round trip OK`);
  expect(result.code).toBe(0);
  expect(existsSync(path.join(dir, 'pipelines', `${module}.pipeline.ts`))).toBe(true);
  return result.stdout;
}

describe(`nesting up to ${MAX_NESTING_DEPTH} levels is accepted, like Groovy 2.4.21 accepts it`, () => {
  const accepted = () => [
    file('stages-100.Jenkinsfile', nestedStages(100)),
    file('parens-250.Jenkinsfile', nestedParens(250)),
    file('not-200.Jenkinsfile', nestedNot(200)),
    file('gstrings-200.Jenkinsfile', nestedGStrings(200)),
    file('dirs-250.Jenkinsfile', nestedDirs(250)),
  ];

  it('validate: 100 nested stages, 250 parentheses, 200 nested not, 200 nested GStrings, 250 nested dir blocks', async () => {
    const names = accepted();
    for (const name of names) await expectValid(name);
    expect(await groovyDeepParse(names.map((name) => path.join(dir, name)))).toEqual(names.map(() => 'OK'));
  }, 180_000);

  it('import: 100 nested stages and 200 nested not round-trip', async () => {
    await importOk('stages-100.Jenkinsfile', 'stages-100');
    await importOk('not-200.Jenkinsfile', 'not-200');
  }, 180_000);

  it('import: 250 nested dir blocks round-trip; prettier cannot format that deep, so the module is kept unformatted, and the report says so', async () => {
    const stdout = await importOk('dirs-250.Jenkinsfile', 'dirs-250');
    expect(stdout).toContain('note: the module is written unformatted: prettier ran out of stack space on its nesting');
  }, 180_000);
});

describe(`nesting beyond ${MAX_NESTING_DEPTH} levels is one diagnostic at the first level too many`, () => {
  it('validate: 500 parentheses, 2,000 nested GStrings, 140 nested stages', async () => {
    const names = [
      file('parens-500.Jenkinsfile', nestedParens(500)),
      file('gstrings-2000.Jenkinsfile', nestedGStrings(2000)),
      file('stages-140.Jenkinsfile', nestedStages(140)),
    ];
    for (const name of names) await expectTooDeep(name);
    // Groovy's grammar takes 500 parentheses given a large enough stack (Jenkins' default 1 MB
    // is not): the limit is pipewright's, documented, and well above what Jenkins parses.
    expect((await groovyDeepParse([path.join(dir, 'parens-500.Jenkinsfile')]))[0]).toBe('OK');
  }, 180_000);

  it('import refuses the file with the same diagnostic and writes nothing', async () => {
    const name = file('stages-140-import.Jenkinsfile', nestedStages(140));
    const result = await cli.run(['import', name], dir);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(CRASH);
    const at = limitPosition(cases.get(name)!);
    expect(result.stdout).toContain(`${name}: refused, nothing written\n  line ${at.line}: not a valid declarative Jenkinsfile: PW5005 nesting deeper than ${MAX_NESTING_DEPTH} levels`);
    expect(result.code).toBe(1);
    expect(existsSync(path.join(dir, 'pipelines/stages-140-import.pipeline.ts'))).toBe(false);
  }, 180_000);
});

describe('chains are not nesting: any length is handled', () => {
  it('validate and import: a 200,000-element property chain', async () => {
    const name = file('chain.Jenkinsfile', steps(`echo env${'.a'.repeat(200_000)}`));
    // Walked to the end, and far over the JVM's method-size limit (PW3040, src/limits).
    await expectTooLarge(name);
    const report = await importTooLarge(name, 'chain');
    // The report quotes the chain shortened, not as a 400,000-character line.
    expect(Math.max(...report.split('\n').filter((line) => !line.includes('PW3040')).map((line) => line.length))).toBeLessThan(300);
  }, 180_000);

  it("validate: 200,000 '+' in an environment value (checked operand by operand) and 200,000 prefix '!'", async () => {
    const plus = file('plus.Jenkinsfile', `pipeline {\n  agent any\n  environment {\n    X = ${Array(200_000).fill("'a'").join(' + ')}\n  }\n  stages {\n    stage('a') {\n      steps { echo 'x' }\n    }\n  }\n}\n`);
    await expectTooLarge(plus);
    // The environment check still sees every operand: one non-string among them is reported.
    const bad = file('plus-bad.Jenkinsfile', cases.get(plus)!.replace("'a' + 'a' + ", "'a' + a + "));
    const result = await validate(bad);
    expect(result.stdout).toContain(`\n${bad}:4:15: Environment variable values to be concatenated together must be single or double quoted.\n`);
    expect(result.code).toBe(1);
    await expectTooLarge(file('not-operators.Jenkinsfile', steps(`echo ${'!'.repeat(200_000)}true`)));
  }, 180_000);
});
