/**
 * `catalogOnly` validation (what compile's catalog checks run on lowered ASTs) skips the rules no
 * catalog takes part in; the catalog rules' diagnostics must be exactly those of a full
 * validation. Every parsed Jenkinsfile of the valid and invalid corpora and the calibration
 * fixtures, against the bundled catalog as it is (partial: unknown names are warnings) and
 * marked complete (errors).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '../../src/catalog/index.ts';
import type { Catalog } from '../../src/catalog/schema.ts';
import type { Diagnostic } from '../../src/diagnostics.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { validateJenkinsfile } from '../../src/jenkinsfile/validate.ts';
import { CATALOG_CHECK_RULES } from '../../src/validate/catalog-checks.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const CATALOG_CODES = new Set(CATALOG_CHECK_RULES.map((r) => r.jenkinsfileCode).filter((c) => c !== ''));

function catalogDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => CATALOG_CODES.has(d.code));
}

describe('catalogOnly validation', () => {
  it('reports the catalog rules exactly as a full validation does', () => {
    const bundled = defaultCatalog();
    const catalogs: [string, Catalog][] = [['bundled', bundled], ['complete', { ...bundled, complete: true }]];
    let files = 0;
    let compared = 0;
    for (const dir of ['test/corpus/valid', 'test/corpus/invalid', 'test/limits/fixtures']) {
      for (const f of readdirSync(path.join(ROOT, dir))) {
        if (f.endsWith('.json')) continue;
        const { ast } = parseJenkinsfile(readFileSync(path.join(ROOT, dir, f), 'utf8'), f);
        if (!ast) continue;
        files++;
        for (const [name, catalog] of catalogs) {
          const full = catalogDiagnostics(validateJenkinsfile(ast, { catalog, nestedStepArguments: true }));
          const only = catalogDiagnostics(validateJenkinsfile(ast, { catalog, nestedStepArguments: true, catalogOnly: true }));
          expect(only, `${dir}/${f} (${name} catalog)`).toEqual(full);
          compared += full.length;
        }
      }
    }
    expect(files).toBeGreaterThan(200);
    expect(compared).toBeGreaterThan(20); // the corpora hold catalog problems, not only clean files
  });
});
