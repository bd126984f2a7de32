/**
 * The Jenkinsfile corpus (test/corpus): every valid file parses, validates clean, compiles with
 * Groovy 2.4.21 and survives parse → print → parse; every invalid file yields exactly the
 * messages and positions annotated in it, and Groovy 2.4.21 agrees on which files have syntax
 * errors (and on the line of the error, when Groovy reports one).
 *
 * Annotations: leading `// expect: LINE:COL message` lines (one per expected diagnostic), an
 * optional `// allow: {json}` line with validator allow-lists, or a `<name>.expect.json` sidecar
 * `[{line, column, message}]` for messages that cannot be written inside the file.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JenkinsfileAst } from '../../src/jenkinsfile/ast.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { validateJenkinsfile, type JenkinsfileAllowLists } from '../../src/jenkinsfile/validate.ts';
import { validateText } from '../../src/cli/validate.ts';
import { groovyParse, type GroovyParseResult } from '../groovy/client.ts';

const CORPUS = join(import.meta.dirname, '..', 'corpus');

interface CorpusFile {
  name: string;
  text: string;
}

function readCorpus(kind: 'valid' | 'invalid'): CorpusFile[] {
  const dir = join(CORPUS, kind);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.Jenkinsfile'))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/** The AST as plain data without positions, for structural comparison. */
function withoutLoc(ast: JenkinsfileAst | undefined): unknown {
  return JSON.parse(JSON.stringify(ast, (key, value) => (key === 'loc' || key === 'bodyLoc' ? undefined : value)));
}

/** Every object in the AST that is a node (has a `type`), plus map entries and named arguments. */
function nodesOf(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const item of value) nodesOf(item, out);
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.type === 'string' || typeof record.key === 'string') out.push(record);
    for (const [key, child] of Object.entries(record)) if (key !== 'loc') nodesOf(child, out);
  }
  return out;
}

interface Expectation {
  line: number;
  column: number;
  message: string;
}

function expectationsOf(file: CorpusFile): { expected: Expectation[]; allow?: JenkinsfileAllowLists } {
  const sidecar = join(CORPUS, 'invalid', file.name.replace(/\.Jenkinsfile$/, '.expect.json'));
  const lines = file.text.split('\n');
  const allowLine = lines.find((line) => line.startsWith('// allow: '));
  const allow = allowLine ? (JSON.parse(allowLine.slice('// allow: '.length)) as JenkinsfileAllowLists) : undefined;
  let expected: Expectation[];
  if (existsSync(sidecar)) {
    expected = JSON.parse(readFileSync(sidecar, 'utf8')) as Expectation[];
  } else {
    expected = lines
      .filter((line) => line.startsWith('// expect: '))
      .map((line) => {
        const match = /^\/\/ expect: (\d+):(\d+) (.*)$/.exec(line);
        if (!match) throw new Error(`${file.name}: malformed annotation ${JSON.stringify(line)}`);
        return { line: Number(match[1]), column: Number(match[2]), message: match[3]! };
      });
  }
  return allow ? { expected, allow } : { expected };
}

const byPosition = (a: Expectation, b: Expectation) => a.line - b.line || a.column - b.column || a.message.localeCompare(b.message);

const valid = readCorpus('valid');
const invalid = readCorpus('invalid');
let groovyValid: GroovyParseResult[];
let groovyInvalid: GroovyParseResult[];
let groovyPrinted: GroovyParseResult[];

beforeAll(async () => {
  const printed = valid.map((file) => ({ name: file.name, text: printJenkinsfile(parsed(file)).text }));
  // One request each, issued together: the oracle's answers are read by the tests below.
  [groovyValid, groovyInvalid, groovyPrinted] = await Promise.all([groovyParse(valid), groovyParse(invalid), groovyParse(printed)]);
});

describe('valid corpus', () => {
  it('has at least 80 files', () => {
    expect(valid.length).toBeGreaterThanOrEqual(80);
  });

  it.each(valid.map((f) => [f.name, f] as const))('%s parses and validates without diagnostics', (_name, file) => {
    const parsed = parseJenkinsfile(file.text, file.name);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.ast).toBeDefined();
    expect(validateJenkinsfile(parsed.ast!, { file: file.name })).toEqual([]);
  });

  it.each(valid.map((f) => [f.name, f] as const))('%s: every AST node has a position', (_name, file) => {
    const nodes = nodesOf(parsed(file).pipeline);
    expect(nodes.length).toBeGreaterThan(3);
    for (const node of nodes) {
      const loc = node.loc as { line: number; column: number } | undefined;
      expect(loc, JSON.stringify(node).slice(0, 200)).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
      expect(loc!.line).toBeGreaterThanOrEqual(1);
      expect(loc!.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('every file compiles with Groovy 2.4.21', () => {
    const failures = groovyValid.filter((r) => !r.ok).map((r) => `${r.name}: ${JSON.stringify(r.errors)}`);
    expect(failures).toEqual([]);
    expect(groovyValid).toHaveLength(valid.length);
  });

  it.each(valid.map((f) => [f.name, f] as const))('%s round-trips: print(parse(text)) parses to the same AST', (_name, file) => {
    const ast = parsed(file);
    const printed = printJenkinsfile(ast).text;
    const again = parseJenkinsfile(printed, `${file.name} (printed)`);
    expect(again.diagnostics).toEqual([]);
    expect(withoutLoc(again.ast)).toEqual(withoutLoc(ast));
  });

  it('printed files compile with Groovy 2.4.21 too', () => {
    const failures = groovyPrinted.filter((r) => !r.ok).map((r) => `${r.name}: ${JSON.stringify(r.errors)}`);
    expect(failures).toEqual([]);
    expect(groovyPrinted).toHaveLength(valid.length);
  });
});

describe('invalid corpus', () => {
  it('has at least 60 files, each with at least one expected diagnostic', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(60);
    for (const file of invalid) expect(expectationsOf(file).expected.length, file.name).toBeGreaterThan(0);
  });

  it.each(invalid.map((f) => [f.name, f] as const))('%s yields exactly the annotated diagnostics', (_name, file) => {
    const { expected, allow } = expectationsOf(file);
    const result = validateText(file.text, file.name, allow);
    const actual = result.diagnostics.map((d) => ({ line: d.location!.line, column: d.location!.column, message: d.message }));
    expect(actual.sort(byPosition)).toEqual([...expected].sort(byPosition));
    expect(result.valid).toBe(false);
  });

  it('Groovy 2.4.21 agrees on which files have syntax errors, and on the line', () => {
    expect(groovyInvalid).toHaveLength(invalid.length);
    const disagreements: string[] = [];
    let syntaxErrors = 0;
    invalid.forEach((file, i) => {
      const groovy = groovyInvalid[i]!;
      const ours = parseJenkinsfile(file.text, file.name).diagnostics.find((d) => d.code === 'PW5001');
      if (ours) syntaxErrors++;
      if (groovy.ok !== (ours === undefined)) {
        disagreements.push(`${file.name}: groovy ok=${groovy.ok} ${JSON.stringify(groovy.errors)}, ours ${ours?.message ?? 'none'}`);
      } else if (ours && groovy.errors[0] && groovy.errors[0].line > 0 && groovy.errors[0].line !== ours.location!.line) {
        disagreements.push(`${file.name}: groovy line ${groovy.errors[0].line}, ours ${ours.location!.line}`);
      }
    });
    expect(disagreements).toEqual([]);
    // The corpus exercises both kinds: files Groovy rejects and files only Jenkins rejects.
    expect(syntaxErrors).toBeGreaterThanOrEqual(20);
    expect(invalid.length - syntaxErrors).toBeGreaterThanOrEqual(60);
  });
});

const astCache = new Map<string, JenkinsfileAst>();
function parsed(file: CorpusFile): JenkinsfileAst {
  let ast = astCache.get(file.name);
  if (!ast) {
    const result = parseJenkinsfile(file.text, file.name);
    if (!result.ast) throw new Error(`${file.name} does not parse: ${JSON.stringify(result.diagnostics)}`);
    ast = result.ast;
    astCache.set(file.name, ast);
  }
  return ast;
}
