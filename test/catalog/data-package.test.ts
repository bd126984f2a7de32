/**
 * The bundled catalog ships in the npm package: built, packed and installed into a fresh project,
 * `defaultCatalog()` returns the committed document and `pipewright plugins` runs from the
 * package (no file of this repository is read at run time).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childNpmEnv, packAndInstall, repo, type ConsumerProject } from '../package/pack.ts';

let consumer: ConsumerProject;
beforeAll(() => {
  consumer = packAndInstall({ name: 'catalog-consumer', private: true, type: 'module' });
}, 300_000);
afterAll(() => consumer?.remove());

const node = (args: string[]) =>
  execFileSync(process.execPath, args, { cwd: consumer.root, env: childNpmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the bundled catalog in the npm package', () => {
  it('is in the tarball and defaultCatalog() returns the committed document', () => {
    expect(consumer.tarballFiles).toContain('package/dist/default-catalog.json');
    const committed = JSON.parse(readFileSync(join(repo, 'src/catalog/default-catalog.json'), 'utf8')) as unknown;
    const loaded = node([
      '--input-type=module',
      '-e',
      "import { defaultCatalog, indexCatalog } from 'pipewright'; const c = defaultCatalog(); " +
        "if (indexCatalog(c).step('sh')?.plugin !== 'workflow-durable-task-step') process.exit(3); console.log(JSON.stringify(c));",
    ]);
    expect(JSON.parse(loaded)).toEqual(committed);
    const file = JSON.parse(readFileSync(join(consumer.root, 'node_modules/pipewright/dist/default-catalog.json'), 'utf8')) as unknown;
    expect(file).toEqual(committed);
  });

  it('pipewright plugins runs from the installed package', () => {
    mkdirSync(join(consumer.root, 'pipelines'), { recursive: true });
    writeFileSync(join(consumer.root, 'pipelines/hello.pipeline.ts'), `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [{ name: 'Test', steps: [sh('npm test')] }],
});
`);
    const out = node([join(consumer.root, 'node_modules/pipewright/bin/pipewright.js'), 'plugins']);
    expect(out).toMatch(/^workflow-durable-task-step:\S+$/m);
    expect(out).toMatch(/^pipeline-model-definition:\S+$/m);
  });
});
