/** Shared helpers of the delivery tests: compile a fixture, golden files, AST walks. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallStatement, Expression, JenkinsfileAst, Statement } from '../../src/jenkinsfile/ast.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { lowerPipeline } from '../../src/lower/index.ts';
import { PipelineSchema, type Pipeline, type ValidPipeline } from '../../src/model/schema.ts';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'delivery');

/** A fixture after schema validation, lowering and printing. */
export interface Compiled {
  valid: ValidPipeline;
  ast: JenkinsfileAst;
  text: string;
}

/** Validates (throwing with the zod issues), lowers and prints a pipeline. */
export function compile(pipeline: Pipeline): Compiled {
  const parsed = PipelineSchema.safeParse(pipeline);
  if (!parsed.success) {
    throw new Error(`fixture is not schema-valid:\n${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const ast = lowerPipeline(parsed.data);
  return { valid: parsed.data, ast, text: printJenkinsfile(ast).text };
}

/**
 * Compares `text` with `test/golden/delivery/<name>.Jenkinsfile`; with `UPDATE_GOLDEN=1` writes it
 * instead. A missing golden file fails (it is never created silently).
 */
export function expectGolden(name: string, text: string): void {
  const file = join(GOLDEN_DIR, `${name}.Jenkinsfile`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
  const expected = readFileSync(file, 'utf8');
  if (expected !== text) {
    throw new Error(`${file} differs from the generated Jenkinsfile (UPDATE_GOLDEN=1 to accept):\n${firstDifference(expected, text)}`);
  }
}

function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  golden:    ${a[i] ?? '<end>'}\n  generated: ${b[i] ?? '<end>'}`;
  }
  return '';
}

/** Every statement of the AST, depth first. */
export function* statements(ast: JenkinsfileAst): Generator<Statement> {
  function* walk(list: readonly Statement[]): Generator<Statement> {
    for (const statement of list) {
      yield statement;
      if (statement.type === 'Call' && statement.body) yield* walk(statement.body);
    }
  }
  yield* walk([ast.pipeline]);
}

/** Every expression below a call's arguments, depth first. */
export function* expressions(call: CallStatement): Generator<Expression> {
  function* walk(expression: Expression): Generator<Expression> {
    yield expression;
    if (expression.type === 'List') for (const item of expression.items) yield* walk(item);
    if (expression.type === 'Map') for (const entry of expression.entries) yield* walk(entry.value);
    if (expression.type === 'CallExpression') {
      for (const item of expression.args.positional) yield* walk(item);
      for (const entry of expression.args.named) yield* walk(entry.value);
    }
  }
  for (const item of call.args.positional) yield* walk(item);
  for (const entry of call.args.named) yield* walk(entry.value);
}

/** A shell script of an `sh` step, with the label that identifies it. */
export interface ShScript {
  label: string;
  script: string;
}

/** The scripts of every `sh` step in the AST (positional or `script:` argument). */
export function shScripts(ast: JenkinsfileAst): ShScript[] {
  const scripts: ShScript[] = [];
  for (const statement of statements(ast)) {
    if (statement.type !== 'Call' || statement.name !== 'sh') continue;
    const scriptArg =
      statement.args.named.find((entry) => entry.key === 'script')?.value ?? statement.args.positional[0];
    const labelArg = statement.args.named.find((entry) => entry.key === 'label')?.value;
    if (scriptArg?.type !== 'String') throw new Error(`sh step without a literal script: ${JSON.stringify(statement)}`);
    scripts.push({ label: labelArg?.type === 'String' ? labelArg.value : scriptArg.value.slice(0, 40), script: scriptArg.value });
  }
  return scripts;
}

/** Every compiled fixture (steps and presets), by golden name. */
export function allFixtures(
  steps: Record<string, Pipeline>,
  presets: Record<string, () => Pipeline>,
): [name: string, compiled: Compiled][] {
  return [
    ...Object.entries(steps).map(([name, pipeline]): [string, Compiled] => [`step-${name}`, compile(pipeline)]),
    ...Object.entries(presets).map(([name, make]): [string, Compiled] => [`preset-${name}`, compile(make())]),
  ];
}

/**
 * Runs ShellCheck (all severities) on each script, `--shell=bash` for scripts with the bash
 * shebang and `--shell=sh` otherwise. Returns the findings with each file named by its id, or ''
 * when every script is clean.
 */
export function shellcheckFindings(scripts: readonly { id: string; script: string }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-shellcheck-'));
  try {
    const byShell = { bash: [] as [string, string][], sh: [] as [string, string][] };
    scripts.forEach(({ id, script }, index) => {
      const path = join(dir, `${index}.sh`);
      writeFileSync(path, `${script}\n`);
      byShell[script.startsWith('#!/bin/bash\n') ? 'bash' : 'sh'].push([path, id]);
    });
    let findings = '';
    for (const shell of ['bash', 'sh'] as const) {
      const files = byShell[shell];
      if (files.length === 0) continue;
      const result = spawnSync('shellcheck', ['--severity=style', '--format=gcc', `--shell=${shell}`, ...files.map(([p]) => p)], {
        encoding: 'utf8',
      });
      if (result.error) throw result.error;
      const output = files.reduce((text, [path, id]) => text.replaceAll(path, id), `${result.stdout}${result.stderr}`);
      if (result.status !== 0 || output !== '') findings += output || `shellcheck exited with ${result.status}\n`;
    }
    return findings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
