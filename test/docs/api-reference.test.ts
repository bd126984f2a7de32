/**
 * docs/api/ is the API reference generated from the TSDoc of everything `pipewright` exports
 * (`npm run docs:api`: TypeDoc with typedoc-plugin-markdown, configured in typedoc.json). This
 * test regenerates it into a temporary directory and fails when the committed copy differs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const fresh = mkdtempSync(join(tmpdir(), 'pipewright-api-docs-'));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

/** Every file below `dir`, relative to it, with its text. */
function tree(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .map((file) => [file.slice(dir.length + 1), readFileSync(file, 'utf8')] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

it('docs/api/ is what `npm run docs:api` generates from the current sources', () => {
  execFileSync(join(repo, 'node_modules', '.bin', 'typedoc'), ['--out', fresh, '--logLevel', 'Error'], { cwd: repo, stdio: 'pipe' });
  const expected = tree(fresh);
  const committed = tree(join(repo, 'docs', 'api'));
  expect(expected.size).toBeGreaterThan(100);
  const stale = [...new Set([...expected.keys(), ...committed.keys()])].filter((file) => expected.get(file) !== committed.get(file));
  expect(stale, 'docs/api/ is stale: run `npm run docs:api` and commit the result').toEqual([]);
  // The reference covers what authors import: presets, delivery steps, environments, config, rules.
  for (const page of ['functions/nodeService.md', 'functions/reactApp.md', 'functions/ecsDeploy.md', 'functions/defineConfig.md', 'functions/defineRule.md', 'interfaces/NodeServiceOptions.md']) {
    expect(committed.has(page), page).toBe(true);
  }
}, 180_000);
