/**
 * Nothing is overwritten by mistake (#13.3): a pipeline file copied without renaming its `name`
 * claims the original's output. That is an error for both, at each one's `name`, and neither
 * output is touched: the original's Jenkinsfile stays exactly as it was (not rewritten, not
 * deleted). Real files, the real CLI.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCliPackage, runPackagedCli, type CliPackage } from './cli-package.ts';
import { createProject, positionOf, type TempProject } from './project.ts';

let cli: CliPackage;
const projects: TempProject[] = [];
beforeAll(async () => {
  cli = await buildCliPackage();
}, 60_000);
afterAll(async () => {
  cli?.remove();
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

const ORDERS = (step: string) => `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  name: 'orders-api',
  agent: { type: 'label', label: 'linux' },
  stages: [{ name: 'Build', steps: [sh('${step}')] }],
});
`;

describe('two pipelines claiming one output', () => {
  test('is an error for both at their name lines, and the existing output is neither rewritten nor deleted', async () => {
    const p = await createProject({ 'pipelines/orders-api.pipeline.ts': ORDERS('npm ci') });
    projects.push(p);
    const first = await runPackagedCli(cli, ['compile'], p.root);
    expect(first.code).toBe(0);
    const output = p.file('generated/orders-api/Jenkinsfile');
    const original = readFileSync(output, 'utf8');
    const modified = statSync(output).mtimeMs;

    // The newcomer's move: copy the file, change the steps, forget the name.
    const copy = ORDERS('npm run build');
    await p.write({ 'pipelines/payments-api.pipeline.ts': copy });
    const second = await runPackagedCli(cli, ['compile'], p.root);
    expect(second.code).toBe(2);
    // The locator points at the property's value, as for every diagnostic on a property.
    const at = positionOf(copy, "'orders-api'");
    for (const source of ['pipelines/orders-api.pipeline.ts', 'pipelines/payments-api.pipeline.ts']) {
      expect(second.stderr).toContain(`${source}:${at.line}:${at.column} - error PW4003`);
    }
    expect(second.stderr).toContain('both write generated/orders-api/Jenkinsfile; neither is written');
    expect(second.stdout).not.toMatch(/updated|created|removed/);
    expect(readFileSync(output, 'utf8')).toBe(original);
    expect(statSync(output).mtimeMs).toBe(modified);

    const check = await runPackagedCli(cli, ['compile', '--check'], p.root);
    expect(check.code).toBe(2);
    expect(readFileSync(output, 'utf8')).toBe(original);
  }, 60_000);
});
