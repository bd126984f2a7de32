/**
 * `pipewright import` over the whole valid corpus (test/corpus/valid): every file either imports
 * with its round trip verified, or is one of the files listed below as refused, for the reason
 * given. The generated modules are type-checked by one `tsc` run against pipewright's own
 * sources, and the Jenkinsfiles they compile to are parsed by Groovy 2.4.21.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { importJenkinsfiles, raiseJenkinsfile, verifyRoundTrips, type ImportReport } from '../../src/import/index.ts';
import { defaultCatalog } from '../../src/catalog/index.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const CORPUS = path.join(REPO, 'test/corpus/valid');

/**
 * The corpus files with code outside the pipeline block (other than comments and
 * `@Library(...) _`): it cannot be typed, so it is kept verbatim as groovyPrologue/groovyEpilogue
 * (an escape hatch) and the report says so.
 */
const OUTSIDE_CODE: Record<string, RegExp> = {
  '040-shared-library-prologue.Jenkinsfile': /^code before the pipeline block \(@Library\(\['fintech-pipeline-lib@v4', 'audit-helpers'\]\) _; import groovy\.json\.JsonOutput; …\) kept verbatim as groovyPrologue/,
  '067-epilogue-helpers.Jenkinsfile': /^code after the pipeline block \(def formatVersion\(String base, String build\) \{; .*\) kept verbatim as groovyEpilogue/,
  '081-closures-in-script-and-steps.Jenkinsfile': /^code before the pipeline block \(def retryWithBackoff\(int times, Closure body\) \{; .*\) kept verbatim as groovyPrologue/,
  '086-ecs-blue-green-fintech.Jenkinsfile': /^code before the pipeline block \(@Library\('fintech-pipeline-lib@v4\.2\.0'\) _; def ENVIRONMENTS = \['staging', 'prod'\]\) kept verbatim as groovyPrologue/,
};
const REFUSED: Record<string, RegExp> = {};

const files = readdirSync(CORPUS).filter((name) => name.endsWith('.Jenkinsfile')).sort();
let root: string;
let reports: ImportReport[];
const moduleName = (file: string) => file.replace(/\.Jenkinsfile$/, '');

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pipewright-import-corpus-'));
  reports = await importJenkinsfiles(
    files.map((file) => ({ source: file, text: readFileSync(path.join(CORPUS, file), 'utf8'), out: `pipelines/${moduleName(file)}.pipeline.ts` })),
    { root, keepOutsideCode: true },
  );
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('import of the valid corpus', () => {
  it('covers the whole corpus (at least 80 files, the refused ones among them)', () => {
    expect(files.length).toBeGreaterThanOrEqual(80);
    for (const outside of Object.keys(OUTSIDE_CODE)) expect(files).toContain(outside);
    expect(reports.map((r) => r.source)).toEqual(files);
  });

  it('imports every other file with its round trip verified', () => {
    const failures = reports
      .filter((report) => !(report.source in REFUSED) && report.status !== 'imported')
      .map((report) => `${report.source}: ${report.status} ${JSON.stringify(report.refusals)} ${report.roundTrip?.problem ?? ''} ${JSON.stringify(report.roundTrip?.difference ?? '')}`);
    expect(failures).toEqual([]);
    const imported = reports.filter((report) => report.status === 'imported');
    expect(imported).toHaveLength(files.length - Object.keys(REFUSED).length);
    for (const report of imported) {
      expect(report.roundTrip?.ok, report.source).toBe(true);
      expect(report.written, report.source).toBe(true);
      expect(readFileSync(path.join(root, report.out), 'utf8')).toContain('export default definePipeline(');
    }
  });

  it('keeps code outside the pipeline block verbatim (an escape hatch), says so, and still round-trips', () => {
    for (const [file, note] of Object.entries(OUTSIDE_CODE)) {
      const report = reports.find((r) => r.source === file)!;
      expect(report.status, file).toBe('imported');
      expect(report.roundTrip?.ok, file).toBe(true);
      expect(report.infos.map((info) => info.message), file).toEqual(expect.arrayContaining([expect.stringMatching(note)]));
      expect(readFileSync(path.join(root, report.out), 'utf8')).toMatch(/groovy(Prologue|Epilogue):/);
    }
  });

  it('types most steps: escape hatches only where the DSL has no typed form', () => {
    const imported = reports.filter((report) => report.status === 'imported');
    const typed = imported.reduce((sum, r) => sum + r.counts.typedSteps, 0);
    const all = imported.reduce((sum, r) => sum + r.counts.typedSteps + r.counts.genericSteps + r.counts.scriptSteps, 0);
    // Every escape hatch has a reason, and counts match the notes.
    for (const report of imported) {
      expect(report.notes.filter((n) => n.hatch === 'step')).toHaveLength(report.counts.genericSteps);
      expect(report.notes.filter((n) => n.hatch === 'script')).toHaveLength(report.counts.scriptSteps);
      expect(report.notes.filter((n) => n.hatch === 'groovy')).toHaveLength(report.counts.groovyValues);
      for (const note of report.notes) expect(note.reason.length, JSON.stringify(note)).toBeGreaterThan(10);
    }
    expect(typed / all).toBeGreaterThan(0.5);
  });

  it('writes modules that type-check against pipewright (one tsc run over all of them)', async () => {
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2023'],
          types: ['node'],
          typeRoots: [path.join(REPO, 'node_modules/@types')],
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          allowImportingTsExtensions: true,
          isolatedModules: true,
          skipLibCheck: true,
          noEmit: true,
          resolveJsonModule: true,
          paths: { pipewright: [path.join(REPO, 'src/index.ts')] },
        },
        include: ['pipelines/*.pipeline.ts'],
      }),
    );
    // Besides the modules: jenkins-steps.ts, the catalog's typed steps their jenkins.* calls use.
    const modules = readdirSync(path.join(root, 'pipelines')).filter((name) => name.endsWith('.pipeline.ts'));
    expect(modules).toHaveLength(files.length - Object.keys(REFUSED).length);
    const tsc = path.join(REPO, 'node_modules/.bin/tsc');
    const result = await promisify(execFile)(tsc, ['-p', path.join(root, 'tsconfig.json'), '--pretty', 'false'], { cwd: root }).then(
      (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 300_000);

  it('compiles them to Jenkinsfiles that Groovy 2.4.21 parses and that equal the originals', async () => {
    const imported = reports.filter((report) => report.status === 'imported');
    const results = await verifyRoundTrips(
      // The original with the import's rewrites applied (sh GStrings of environment variables).
      imported.map((report) => ({
        original: raiseJenkinsfile(parseJenkinsfile(readFileSync(path.join(CORPUS, report.source), 'utf8')).ast!, { keepOutsideCode: true, catalog: defaultCatalog() }).expected,
        module: report.out,
      })),
      root,
    );
    expect(results.map((r, i) => [imported[i]!.source, r.ok])).toEqual(imported.map((r) => [r.source, true]));
    await expectValidJenkinsfiles(results.map((r, i) => ({ name: imported[i]!.source, text: r.jenkinsfile! })));
  }, 300_000);
});
