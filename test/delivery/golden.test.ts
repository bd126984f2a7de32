/**
 * Golden Jenkinsfiles for every delivery step variant and every preset variant
 * (`test/golden/delivery/*.Jenkinsfile`, refreshed with `UPDATE_GOLDEN=1`), each checked by
 * pipewright's structural rules and parsed by the real Groovy 2.4.21.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkStructure } from '../../src/validate/structure.ts';
import { PRESET_FIXTURES, STEP_FIXTURES } from './fixtures.ts';
import { allFixtures, expectGolden, GOLDEN_DIR } from './support.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';

const compiled = allFixtures(STEP_FIXTURES, PRESET_FIXTURES);

describe('delivery golden Jenkinsfiles', () => {
  it.each(compiled)('%s matches its golden file', (name, { text }) => {
    expectGolden(name, text);
  });

  it.each(compiled)('%s passes the structural checks', (_name, { valid }) => {
    const errors = checkStructure(valid).filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });

  it('every generated Jenkinsfile parses with Groovy 2.4.21', async () => {
    await expectValidJenkinsfiles(compiled.map(([name, { text }]) => ({ name, text })));
  });

  it('every golden file on disk parses with Groovy 2.4.21 and belongs to a fixture', async () => {
    await expectValidJenkinsfiles(GOLDEN_DIR);
    const onDisk = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.Jenkinsfile')).sort();
    expect(onDisk).toEqual(compiled.map(([name]) => `${name}.Jenkinsfile`).sort());
  });
});
