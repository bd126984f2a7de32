/**
 * Pipeline names derived from Jenkinsfile paths (src/import/names.ts). Until 2026-12-06 the
 * importer cut 12 characters (".Jenkinsfile") off any file name: `Jenkinsfile.prod` → `Jenk`,
 * `deploy.groovy` → `d`.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PIPELINE_NAME, ownNameOfJenkinsfile, pickPipelineName, pipelineNameCandidates } from '../../src/import/names.ts';

const cwd = path.resolve('/work/project');
const at = (relative: string) => path.join(cwd, relative);

describe('pipeline names for imported Jenkinsfiles', () => {
  it.each([
    ['Jenkinsfile', undefined],
    ['jenkinsfile', undefined],
    ['Jenkinsfile.groovy', undefined],
    ['Jenkinsfile.prod', 'prod'],
    ['jenkinsfile-nightly', 'nightly'],
    ['deploy.groovy', 'deploy'],
    ['x.Jenkinsfile', 'x'],
    ['release.Jenkinsfile.groovy', 'release'],
    ['build', 'build'],
  ])('the file name %s gives %s', (fileName, expected) => {
    expect(ownNameOfJenkinsfile(fileName)).toBe(expected);
  });

  it.each([
    ['Jenkinsfile.prod', ['prod']],
    ['deploy.groovy', ['deploy']],
    ['x.Jenkinsfile', ['x']],
    ['payments-api/Jenkinsfile', ['payments-api']],
    ['repos/ledger/ci/nightly.Jenkinsfile', ['nightly', 'repos-ledger-ci-nightly']],
    ['repos/ledger/Jenkinsfile', ['ledger', 'repos-ledger']],
    ['my service/Jenkinsfile.prod', ['prod', 'my-service-prod']],
    ['ci/Jenkinsfile.hot fix!', ['hot-fix', 'ci-hot-fix']],
    ['ci/__.Jenkinsfile', ['ci']],
  ])('%s → %j', (file, expected) => {
    const candidates = pipelineNameCandidates(at(file), cwd);
    expect(candidates).toEqual(expected);
    for (const candidate of candidates) expect(candidate).toMatch(PIPELINE_NAME);
  });

  it('a Jenkinsfile at the file-system root is named jenkinsfile', () => {
    expect(pipelineNameCandidates(path.resolve('/Jenkinsfile'), cwd)).toEqual(['jenkinsfile']);
  });

  it('outside the working directory only the own name is a candidate', () => {
    expect(pipelineNameCandidates(path.resolve('/elsewhere/svc/Jenkinsfile'), cwd)).toEqual(['svc']);
  });

  it('collisions (also in case only) take the directory path, then a numeric suffix', () => {
    const taken = new Set<string>();
    const names = ['a/ci/Jenkinsfile', 'b/ci/Jenkinsfile', 'b/ci/Jenkinsfile.groovy', 'prod.Jenkinsfile', 'x/Prod.Jenkinsfile'].map((file) =>
      pickPipelineName(at(file), cwd, taken),
    );
    expect(names).toEqual(['ci', 'b-ci', 'ci-2', 'prod', 'x-Prod']);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });
});
