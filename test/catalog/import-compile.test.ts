/**
 * A real controller's GDSL, imported and named in pipewright.config.ts, is what `compile` checks
 * generic `step()` calls against: an unknown parameter of a step only that controller has is an
 * error at the TypeScript line, in Jenkins' wording.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempProject, runCli } from '../support/temp-project.ts';

const GDSL = join(import.meta.dirname, 'fixtures', 'gdsl', 'storybookM3.gdsl');

const pipeline = (args: string) => `import { definePipeline, step } from 'pipewright';
export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [{ name: 'Remote', steps: [step('sshCommand', ${args})] }],
});
`;

const project = createTempProject({
  'pipewright.config.ts': "import { defineConfig } from 'pipewright';\nexport default defineConfig({ catalog: 'jenkins/catalog.json', policy: { packs: [] } });\n",
});
afterAll(() => project.remove());

describe('compile with an imported controller catalog', () => {
  it('flags a misspelt parameter of a generic step at its TypeScript line, and accepts the right one', async () => {
    const imported = await runCli(['catalog', 'import', GDSL], project.root);
    expect(imported.code, imported.stderr).toBe(0);
    project.write('pipelines/remote.pipeline.ts', pipeline("{ command: 'uptime', dryRun: true }"));
    const good = await runCli(['compile'], project.root);
    expect(good.code, good.stderr).toBe(0);
    project.write('pipelines/remote.pipeline.ts', pipeline("{ command: 'uptime', dryRn: true }"));
    const bad = await runCli(['compile'], project.root);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/pipelines\/remote\.pipeline\.ts:4:\d+/);
    expect(bad.stderr).toContain('Invalid parameter "dryRn", did you mean "dryRun"?');
  });
});
