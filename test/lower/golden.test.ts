/**
 * Golden files: rich models lowered and printed, compared byte for byte with
 * `test/golden/<name>.Jenkinsfile`, and parsed with Groovy 2.4.21. After an intended change to
 * the lowering or the printer, regenerate with `UPDATE_GOLDEN=1 npx vitest run test/lower` and
 * review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Expression, Statement } from '../../src/jenkinsfile/ast.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { lowerPipeline } from '../../src/lower/index.ts';
import type { Pipeline } from '../../src/model/schema.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { checkStructure } from '../../src/validate/structure.ts';
import { groovyStringConstants } from '../groovy/client.ts';
import { deploy } from './fixtures/deploy.ts';
import { kitchenSink } from './fixtures/kitchen-sink.ts';
import { oddStrings } from './fixtures/odd-strings.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const minimal: Pipeline = { agent: 'any', stages: [{ name: 'Build', steps: [{ step: 'sh', script: 'make' }] }] };

const FIXTURES: [string, Pipeline][] = [
  ['minimal', minimal],
  ['kitchen-sink', kitchenSink],
  ['deploy', deploy],
  ['odd-strings', oddStrings],
];

function compile(model: Pipeline) {
  const { pipeline, diagnostics } = validateSchema(model);
  expect(diagnostics).toEqual([]);
  expect(checkStructure(pipeline!)).toEqual([]);
  const ast = lowerPipeline(pipeline!);
  return { ast, text: printJenkinsfile(ast).text };
}

/** Every String literal value in the AST. */
function stringsOf(statements: readonly Statement[]): string[] {
  const out: string[] = [];
  const expression = (e: Expression): void => {
    switch (e.type) {
      case 'String':
        out.push(e.value);
        return;
      case 'List':
        e.items.forEach(expression);
        return;
      case 'Map':
        e.entries.forEach((entry) => expression(entry.value));
        return;
      case 'CallExpression':
        e.args.positional.forEach(expression);
        e.args.named.forEach((entry) => expression(entry.value));
        return;
      default:
        return;
    }
  };
  const statement = (s: Statement): void => {
    if (s.type === 'Assignment') expression(s.value);
    if (s.type !== 'Call') return;
    s.args.positional.forEach(expression);
    s.args.named.forEach((entry) => expression(entry.value));
    s.body?.forEach(statement);
  };
  statements.forEach(statement);
  return out;
}

describe('golden Jenkinsfiles', () => {
  for (const [name, model] of FIXTURES) {
    it(`${name}.Jenkinsfile matches`, () => {
      const { text } = compile(model);
      const file = join(GOLDEN_DIR, `${name}.Jenkinsfile`);
      if (UPDATE) {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, text);
      }
      expect(existsSync(file), `${file} is missing: run UPDATE_GOLDEN=1 npx vitest run test/lower`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('every golden file parses with Groovy 2.4.21', async () => {
    await expectValidJenkinsfiles(FIXTURES.map(([name, model]) => ({ name: `${name}.Jenkinsfile`, text: compile(model).text })));
  });

  it('Groovy reads back every string of the odd-strings pipeline exactly', async () => {
    const { ast, text } = compile(oddStrings);
    const constants = await groovyStringConstants(text);
    const expected = stringsOf([ast.pipeline]);
    expect(expected.length).toBeGreaterThan(60);
    // Groovy also reports named-argument names and map keys; each model string must be among the constants.
    const remaining = [...constants];
    for (const value of expected) {
      const index = remaining.indexOf(value);
      expect(index, `string ${JSON.stringify(value)} not read back by Groovy`).toBeGreaterThanOrEqual(0);
      remaining.splice(index, 1);
    }
  });
});
