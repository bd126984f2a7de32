/**
 * docs/migration.md shows real output: the ledger-service walkthrough is re-run here, in the
 * same directory layout, and the report blocks of the page (marked `<!-- output: NAME -->`) and
 * the example module in docs/examples/ledger-service/ must be exactly what the CLI produces.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/temp-project.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(REPO, 'docs/examples/ledger-service');
const page = readFileSync(path.join(REPO, 'docs/migration.md'), 'utf8');

/** The fenced block after `<!-- output: name -->`, without its `$ command` line. */
function documented(name: string): { command: string[]; output: string } {
  const match = new RegExp(`<!-- output: ${name} -->\\n\`\`\`text\\n([\\s\\S]*?)\`\`\`\\n`).exec(page);
  if (!match) throw new Error(`docs/migration.md has no output block ${name}`);
  const [first, ...rest] = match[1]!.split('\n');
  expect(first).toMatch(/^\$ pipewright /);
  return { command: first!.slice('$ pipewright '.length).split(' '), output: rest.join('\n') };
}

// services/ledger-service/Jenkinsfile next to the pipelines repository, as in the walkthrough.
const root = mkdtempSync(path.join(tmpdir(), 'pipewright-migration-doc-'));
const service = path.join(root, 'services/ledger-service');
const pipelines = path.join(root, 'platform-pipelines');
mkdirSync(service, { recursive: true });
mkdirSync(pipelines, { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('docs/migration.md walkthrough', () => {
  it('shows the refusal of the original Jenkinsfile', async () => {
    copyFileSync(path.join(EXAMPLE, 'Jenkinsfile.original'), path.join(service, 'Jenkinsfile'));
    const { command, output } = documented('import-refused');
    const result = await runCli(command, pipelines);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(output);
  });

  it('shows the import of the fixed Jenkinsfile, and the module it wrote', async () => {
    copyFileSync(path.join(EXAMPLE, 'Jenkinsfile'), path.join(service, 'Jenkinsfile'));
    const { command, output } = documented('import-ledger-service');
    const result = await runCli(command, pipelines);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(output);
    expect(readFileSync(path.join(pipelines, 'pipelines/ledger-service.pipeline.ts'), 'utf8')).toBe(
      readFileSync(path.join(EXAMPLE, 'ledger-service.pipeline.ts'), 'utf8'),
    );
    // The catalog's typed steps the module's jenkins.* calls import, as the import wrote them.
    expect(readFileSync(path.join(pipelines, 'pipelines/jenkins-steps.ts'), 'utf8')).toBe(readFileSync(path.join(EXAMPLE, 'jenkins-steps.ts'), 'utf8'));
  });

  it('shows the check of the module against the Jenkinsfile', async () => {
    const { command, output } = documented('import-check');
    const result = await runCli(command, pipelines);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(output);
  });
});
