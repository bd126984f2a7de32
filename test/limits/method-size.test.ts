/**
 * The method-size estimator (src/limits/method-size.ts) against the oracle's measurements.
 *
 * test/limits/fixtures/measured.json holds what the locally built oracle (docs/limits.md) measured with
 * groovy-cps' SandboxCpsTransformer on Groovy 2.4.21 (commits inside the file) for every
 * *.Jenkinsfile next to it; this test does not run Java. Re-measure after changing a fixture.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import type { JenkinsfileAst } from '../../src/jenkinsfile/ast.ts';
import { estimateMethodSize, METHOD_SIZE_LIMIT } from '../../src/limits/method-size.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

interface Measured {
  oracle: { workflowCpsPlugin: string; groovySandbox: string; groovy: string };
  fixtures: Record<string, { declarative: { largest: number; overLimit: boolean; cpsMethods: number[] }; plain: { largest: number } }>;
}
const measured = JSON.parse(readFileSync(path.join(FIXTURES, 'measured.json'), 'utf8')) as Measured;

function parseFixture(name: string): JenkinsfileAst {
  const parsed = parseJenkinsfile(readFileSync(path.join(FIXTURES, name), 'utf8'), name);
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return parsed.ast!;
}

describe('calibration fixtures', () => {
  it('every fixture was measured by the oracle, at pinned commits', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.Jenkinsfile')).sort();
    expect(Object.keys(measured.fixtures).sort()).toEqual(files);
    expect(measured.oracle.workflowCpsPlugin).toMatch(/^[0-9a-f]{40}$/);
    expect(measured.oracle.groovySandbox).toMatch(/^[0-9a-f]{40}$/);
    expect(measured.oracle.groovy).toBe('2.4.21');
    // The set covers the sizes that matter: small, near the limit, and over it.
    const sizes = Object.values(measured.fixtures).map((f) => f.declarative.largest);
    expect(Math.min(...sizes)).toBeLessThan(2_000);
    expect(sizes.some((s) => s > 0.7 * METHOD_SIZE_LIMIT && s <= METHOD_SIZE_LIMIT)).toBe(true);
    expect(Object.values(measured.fixtures).filter((f) => f.declarative.overLimit).length).toBeGreaterThanOrEqual(2);
  });

  for (const [name, oracle] of Object.entries(measured.fixtures)) {
    it(`${name}: the estimate is within ±10% of the oracle (${oracle.declarative.largest} bytes)`, () => {
      const estimate = estimateMethodSize(parseFixture(name));
      const error = estimate.largest.bytes / oracle.declarative.largest - 1;
      expect(Math.abs(error)).toBeLessThanOrEqual(0.1);
      // Over-limit verdicts agree (the oracle's ASM refuses methods over 65,535 bytes).
      expect(estimate.largest.bytes > METHOD_SIZE_LIMIT).toBe(oracle.declarative.overLimit);
    });
  }
});

describe('the valid Jenkinsfile corpus (test/corpus/valid: public-style Jenkinsfiles, GStrings, script blocks, helpers)', () => {
  const CORPUS = path.join(import.meta.dirname, '..', 'corpus', 'valid');
  const corpus = JSON.parse(readFileSync(path.join(FIXTURES, 'measured-corpus.json'), 'utf8')) as Measured;

  it('was measured whole, with the same oracle', () => {
    expect(Object.keys(corpus.fixtures).sort()).toEqual(readdirSync(CORPUS).sort());
    expect(corpus.oracle).toEqual(measured.oracle);
  });

  it('every file: the estimate is within ±10% of the oracle', () => {
    const misses: string[] = [];
    for (const [name, oracle] of Object.entries(corpus.fixtures)) {
      const parsed = parseJenkinsfile(readFileSync(path.join(CORPUS, name), 'utf8'), name);
      expect(parsed.ast, name).toBeDefined();
      const bytes = estimateMethodSize(parsed.ast!).largest.bytes;
      const error = bytes / oracle.declarative.largest - 1;
      if (Math.abs(error) > 0.1) misses.push(`${name}: ${bytes} vs ${oracle.declarative.largest}`);
    }
    expect(misses).toEqual([]);
  });
});

describe('what costs bytecode', () => {
  const stage = (name: string, script: string) => `    stage('${name}') {\n      steps {\n        sh '${script}'\n      }\n    }`;
  const pipeline = (stages: string[]) => `pipeline {\n  agent any\n  stages {\n${stages.join('\n')}\n  }\n}\n`;
  const estimate = (text: string) => estimateMethodSize(parseJenkinsfile(text, 'Jenkinsfile').ast!).largest.bytes;

  it('text length is free: a 5 KB script costs what a short one does', () => {
    const short = estimate(pipeline([stage('A', 'make')]));
    const long = estimate(pipeline([stage('A', 'x'.repeat(5_000))]));
    expect(long).toBe(short);
  });

  it('each stage adds the same few hundred bytes (synthetic growth is linear)', () => {
    const sizes = [10, 20, 30].map((n) => estimate(pipeline(Array.from({ length: n }, (_, i) => stage(`S${i}`, 'make')))));
    const perStage = (sizes[1]! - sizes[0]!) / 10;
    expect(perStage).toBeGreaterThan(250);
    expect(perStage).toBeLessThan(450);
    // Linear but for a byte here and there: the constant pool's first 256 entries and line numbers
    // below 128 are a byte cheaper to load.
    expect(Math.abs(sizes[2]! - sizes[1]! - (sizes[1]! - sizes[0]!))).toBeLessThan(0.01 * (sizes[1]! - sizes[0]!));
  });

  it('a matrix repeats its cell-level directives for every cell', () => {
    const ast = parseFixture('matrix-4-cells.Jenkinsfile');
    const four = estimateMethodSize(ast).largest.bytes;
    const twentySeven = estimateMethodSize(parseFixture('matrix-27-cells.Jenkinsfile')).largest.bytes;
    const perCell = (twentySeven - four) / (27 - 4);
    expect(perCell).toBeGreaterThan(2_000);
    // The oracle agrees on the cost per cell within 10%.
    const o = measured.fixtures;
    const oraclePerCell = (o['matrix-27-cells.Jenkinsfile']!.declarative.largest - o['matrix-4-cells.Jenkinsfile']!.declarative.largest) / 23;
    expect(Math.abs(perCell / oraclePerCell - 1)).toBeLessThan(0.1);
  });
});

describe('attribution to stages', () => {
  it('stage costs add up to the pipeline method minus what lies outside the stages', () => {
    const estimate = estimateMethodSize(parseFixture('synthetic-rich-20.Jenkinsfile'));
    const top = estimate.stages.filter((s) => s.depth === 1);
    expect(top).toHaveLength(20);
    const sum = top.reduce((n, s) => n + s.bytes, 0);
    expect(sum).toBeLessThan(estimate.largest.bytes);
    expect(sum).toBeGreaterThan(0.9 * estimate.largest.bytes);
    // Identical stages cost the same (give or take the constant pool's cheaper first entries).
    const costs = top.map((s) => s.bytes);
    expect(Math.max(...costs) - Math.min(...costs)).toBeLessThan(0.05 * Math.max(...costs));
  });

  it('nested stages are inside their parents; matrix stages live in their own method', () => {
    const estimate = estimateMethodSize(parseFixture('generated-ledger-service.Jenkinsfile'));
    const byPath = new Map(estimate.stages.map((s) => [s.path.join(' > '), s]));
    const build = byPath.get('Build & test')!;
    const children = estimate.stages.filter((s) => s.path.length === 2 && s.path[0] === 'Build & test');
    expect(children.length).toBeGreaterThan(1);
    expect(build.bytes).toBeGreaterThan(children.reduce((n, s) => n + s.bytes, 0));
    const matrixStage = estimate.stages.find((s) => s.method === 'matrix declarations');
    expect(matrixStage?.path[0]).toBe('Compatibility');
    expect(estimate.methods.map((m) => m.name)).toContain('matrix declarations');
    expect(estimate.maxStageDepth).toBe(3);
  });

  it('script methods in the epilogue are sized separately', () => {
    const estimate = estimateMethodSize(parseFixture('script-heavy.Jenkinsfile'));
    const names = estimate.methods.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['pipeline', 'def deployTo()', 'def notifySlack()']));
    const oracleMethods = measured.fixtures['script-heavy.Jenkinsfile']!.declarative.cpsMethods;
    // The second largest CPS method of the oracle is deployTo (the largest is the pipeline). Small
    // script methods are estimated per token (they are far from the limit and do not change the
    // pipeline's method), so only roughly.
    const deployTo = estimate.methods.find((m) => m.name === 'def deployTo()')!.bytes;
    expect(Math.abs(deployTo / oracleMethods[1]! - 1)).toBeLessThan(0.3);
  });
});
