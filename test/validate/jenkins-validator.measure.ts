/**
 * `validate` against Jenkins' own validator tests (jenkinsci/pipeline-model-definition-plugin
 * src/test/resources, expectations from ValidatorTest & co., see manifest.json and
 * scripts/jenkins-validator-corpus.mjs). The catalog is the bundled default one plus the test
 * controller's extras (test extensions such as the `otherField` agent, and test-scope plugins the
 * bundle lacks: branch-api's rateLimitBuilds, ant), as Jenkins' test runs have them installed.
 *
 * Figures: every valid file accepted; at least 95% of the invalid files Jenkins' suite rejects
 * without a running controller rejected; Jenkins' message (exact, or contained where the test
 * writes a compiler/run-time message out) in at least 90% of the rejected files that have one.
 * Files marked out of scope (script security, controller state, shared libraries, validator
 * contributors defined in the tests) are counted separately and listed.
 *
 * A measurement, not part of the CI suite: the Jenkinsfiles are the plugin's files and are not
 * committed (see jenkins-validator/corpus.ts for where they are read from). Run it with
 * `npm run measure:corpora`. The CI suite covers every catalog rule with our own Jenkinsfiles
 * (catalog-rules.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCatalog, mergeCatalogs, parseCatalog } from '../../src/catalog/index.ts';
import { validateText } from '../../src/cli/validate.ts';
import { JENKINSFILE_RULES } from '../../src/jenkinsfile/rules.ts';
import { corpusText, manifest, messageMatches, type ManifestFile } from './jenkins-validator/corpus.ts';

const extensionsFile = join(import.meta.dirname, 'jenkins-validator', 'test-extensions.catalog.json');
// Jenkins' test controller is this catalog and nothing else, so a name outside it is an error
// (with a partial catalog it would be a warning).
const catalog = { ...mergeCatalogs(defaultCatalog(), parseCatalog(readFileSync(extensionsFile, 'utf8'), extensionsFile)), complete: true };

const run = (entry: ManifestFile) => validateText(corpusText(entry), entry.file, undefined, catalog);

/**
 * The method-size limit (src/limits): a default controller runs the pipeline block as one method.
 * Jenkins' tests of very large files turn script splitting on (or are @Ignore'd).
 */
const SIZE_LIMIT_CODES = new Set(['PW3040', 'PW3041']);
const onlySizeLimit = (diagnostics: { code: string; severity: string }[]) =>
  diagnostics.some((d) => d.severity === 'error') && diagnostics.every((d) => d.severity !== 'error' || SIZE_LIMIT_CODES.has(d.code));
const pct = (n: number, d: number) => (d === 0 ? 100 : (100 * n) / d);

describe("Jenkins' validator test resources", () => {
  const validResults = manifest.valid.map((entry) => ({ entry, result: run(entry) }));
  const invalidResults = manifest.invalid.map((entry) => {
    const result = run(entry);
    const messages = entry.messages ?? [];
    const missing = messages.filter((m) => !result.diagnostics.some((d) => messageMatches(m, d.message)));
    return { entry, result, messages, missing };
  });
  const inScope = invalidResults.filter((r) => r.entry.outOfScope === undefined);
  const rejected = inScope.filter((r) => !r.result.valid);
  const withMessage = rejected.filter((r) => r.messages.length > 0);
  const matched = withMessage.filter((r) => r.missing.length === 0);
  const allRejected = invalidResults.filter((r) => !r.result.valid);

  it('prints the figures', () => {
    const lines = [
      `plugin commit ${manifest.commit}`,
      `valid accepted: ${validResults.filter((r) => r.result.valid).length}/${validResults.length}` +
        ` (refused by the method-size limit only, valid with script splitting: ${validResults.filter((r) => !r.result.valid && r.entry.scriptSplitting && onlySizeLimit(r.result.diagnostics)).map((r) => r.entry.file).join(', ') || 'none'})`,
      `invalid rejected (in scope): ${rejected.length}/${inScope.length} = ${pct(rejected.length, inScope.length).toFixed(1)}%`,
      `invalid rejected (all, out-of-scope included): ${allRejected.length}/${invalidResults.length} = ${pct(allRejected.length, invalidResults.length).toFixed(1)}%`,
      `Jenkins' message: ${matched.length}/${withMessage.length} = ${pct(matched.length, withMessage.length).toFixed(1)}% of rejected files with a message`,
      ...invalidResults.filter((r) => r.result.valid).map((r) => `  missed ${r.entry.file}: ${r.entry.outOfScope ?? 'in scope'}`),
      ...withMessage.filter((r) => r.missing.length > 0).map((r) => `  other message ${r.entry.file}: expected ${JSON.stringify(r.missing)}, got ${JSON.stringify(r.result.diagnostics.map((d) => d.message))}`),
    ];
    console.log(lines.join('\n'));
    expect(validResults.length).toBeGreaterThan(200);
    expect(invalidResults.length).toBeGreaterThan(120);
  });

  it('accepts every valid file (those whose tests turn on script splitting: refused by the size limit at most)', () => {
    const rejectedValid = validResults
      .filter((r) => !r.result.valid && !(r.entry.scriptSplitting && onlySizeLimit(r.result.diagnostics)))
      .map((r) => `${r.entry.file}: ${r.result.diagnostics.map((d) => `${d.location?.line}:${d.location?.column} ${d.message}`).join(' | ')}`);
    expect(rejectedValid).toEqual([]);
  });

  it('rejects at least 95% of the invalid files in scope', () => {
    expect(pct(rejected.length, inScope.length)).toBeGreaterThanOrEqual(95);
  });

  it("reports Jenkins' message for at least 90% of the rejected files that have one", () => {
    expect(withMessage.length).toBeGreaterThan(100);
    expect(pct(matched.length, withMessage.length)).toBeGreaterThanOrEqual(90);
  });

  it('gives every out-of-scope file a reason', () => {
    for (const r of invalidResults) if (r.entry.outOfScope !== undefined) expect(r.entry.outOfScope.length).toBeGreaterThan(20);
  });

  it("handles files only @Ignore'd tests use as Jenkins' validator source does", () => {
    const wrong = manifest.ignored
      .map((entry) => ({ entry, result: run(entry) }))
      .filter(({ entry, result }) =>
        entry.jenkinsRejects !== undefined
          ? !result.diagnostics.some((d) => d.severity === 'error' && d.message === entry.jenkinsRejects)
          : !result.valid && !onlySizeLimit(result.diagnostics))
      .map(({ entry, result }) => `${entry.file}: ${result.diagnostics.map((d) => d.message).join(' | ') || 'accepted'}`);
    expect(wrong).toEqual([]);
  });

  it('exercises every catalog rule with a documented message', () => {
    const catalogCodes = Object.values(JENKINSFILE_RULES).filter((r) => r.stage === 'catalog').map((r) => r.code);
    const used = new Set(invalidResults.flatMap((r) => r.result.diagnostics.map((d) => d.code)));
    expect(catalogCodes.filter((code) => !used.has(code))).toEqual([]);
  });

  it('points each diagnostic at a line of the file', () => {
    for (const r of invalidResults) {
      const lines = corpusText(r.entry).split('\n').length;
      for (const d of r.result.diagnostics) {
        expect(d.location?.file).toBe(r.entry.file);
        expect(d.location!.line).toBeGreaterThan(0);
        expect(d.location!.line).toBeLessThanOrEqual(lines);
      }
    }
  });
});
