// `pipewright diff` end to end: a real git repository in a temp directory, real commits, the real
// loader and compiler on both sides, the real CLI dispatcher.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, run, write } from './support.ts';

const repoNodeModules = path.resolve(import.meta.dirname, '../../node_modules');


const scanModule = `import { sh, type Stage } from 'pipewright';

/** The image scan every service runs before it ships. */
export const imageScan: Stage = {
  name: 'Image scan',
  steps: [sh('trivy image --severity HIGH,CRITICAL --exit-code 1 "$IMAGE"', { label: 'trivy image' })],
};
`;

const pipelineSource = (withScan: boolean) => `import { definePipeline, sh } from 'pipewright';
import { z } from 'zod';
${withScan ? "import { imageScan } from './shared/scans.ts';\n" : ''}
// An npm import: the base compile must resolve packages too.
const region = z.string().parse('eu-west-1');

export default definePipeline({
  agent: { type: 'label', label: 'linux && docker' },
  environment: { AWS_REGION: region },
  stages: [
    { name: 'Build', steps: [sh('docker build -t "$IMAGE" .', { label: 'docker build' })] },
${withScan ? '    imageScan,\n' : ''}    {
      name: 'Approve',
      agent: 'none',
      when: { branch: 'main' },
      input: { message: 'Deploy payments to production?', submitter: 'release-managers' },
      steps: [sh('echo approved', { label: 'record approval' })],
    },
    {
      name: 'Deploy to production',
      when: { branch: 'main' },
      steps: [sh('pipewright ecs-deploy --cluster prod --service payments', { label: 'ecs-deploy prod' })],
    },
  ],
});
`;

describe('pipewright diff --base (real git commits)', () => {
  let repo: string;
  let project: string;
  const baseDirsBefore = new Set<string>();

  beforeAll(() => {
    for (const entry of readdirSync(tmpdir())) if (entry.startsWith('pipewright-base-')) baseDirsBefore.add(entry);
    repo = mkdtempSync(path.join(tmpdir(), 'pw-diff-e2e-'));
    // The project is a folder of the repository (as in a monorepo), to exercise the prefix logic.
    project = path.join(repo, 'ci');
    git(repo, 'init', '-q', '-b', 'main');
    write(path.join(repo, '.gitignore'), 'node_modules/\ngenerated/\n');
    write(path.join(repo, 'README.md'), 'service repo\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'before pipewright');
    // No policy packs: these tests are about the diff itself; test/diff/git-diff-policy.test.ts
    // covers sides that fail policy (which now fail the diff).
    write(path.join(project, 'pipewright.config.ts'), "export default { pipelinesDir: 'pipelines', outDir: 'generated', policy: { packs: [] } };\n");
    write(path.join(project, 'pipelines/shared/scans.ts'), scanModule);
    write(path.join(project, 'pipelines/payments.pipeline.ts'), pipelineSource(true));
    // npm packages come from this repository's node_modules, one link per package (untracked).
    mkdirSync(path.join(project, 'node_modules'));
    for (const entry of ['zod']) symlinkSync(path.join(repoNodeModules, entry), path.join(project, 'node_modules', entry));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'payments pipeline with an image scan');
    write(path.join(project, 'pipelines/payments.pipeline.ts'), pipelineSource(false));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'remove the image scan');
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it('reports the removed scan as security-relevant in Markdown, with a Mermaid graph', async () => {
    const statusBefore = git(repo, 'status', '--porcelain');
    const result = await run(['diff', '--base', 'HEAD~1', '--format', 'markdown', '--root', project], repo);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const md = result.stdout;
    expect(md).toMatch(/^## Pipeline changes against `HEAD~1 \([0-9a-f]{12}\)`/);
    expect(md).toContain('> [!WARNING]\n> **1 security-relevant change(s)** in 1 pipeline(s).');
    expect(md).toContain('| `payments` | changed | 1 | :warning: 1 |');
    const security = md.indexOf('### :warning: Security-relevant changes');
    const details = md.indexOf('### `payments` (`pipelines/payments.pipeline.ts`)');
    expect(security).toBeGreaterThan(0);
    expect(details).toBeGreaterThan(security);
    expect(md).toContain(
      '| `payments` | `Image scan` | **scan removed**: stage removed (sh "trivy image") | trivy image scan removed (was in stage "Image scan") |',
    );
    // The graph of the new version: no scan node, approval and deploy drawn.
    const graph = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3));
    expect(graph).toContain('flowchart TD');
    expect(graph).toContain('st_build -->|"when branch main"| st_approve');
    expect(graph).toContain('st_approve{{"Approve<br/>approval: Deploy payments to production?<br/>by release-managers"}}');
    expect(graph).not.toContain('Image scan');
    // The working tree was not touched.
    expect(git(repo, 'status', '--porcelain')).toBe(statusBefore);
    expect(readFileSync(path.join(project, 'pipelines/payments.pipeline.ts'), 'utf8')).toBe(pipelineSource(false));
    const leftovers = readdirSync(tmpdir()).filter((e) => e.startsWith('pipewright-base-') && !baseDirsBefore.has(e));
    expect(leftovers).toEqual([]);
  });

  it('exits 1 with --fail-on-security, and 0 without', async () => {
    const failing = await run(['diff', '--base', 'HEAD~1', '--fail-on-security', '--root', project], repo);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('! [scan-removed] Image scan: stage removed (sh "trivy image")');
    expect(failing.stderr).toContain('security-relevant pipeline changes');
    const clean = await run(['diff', '--base', 'HEAD', '--fail-on-security', '--root', project], repo);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('0 of 1 pipeline(s) changed, no security-relevant changes');
  });

  it('reports JSON, and compares the working tree (uncommitted edits) with the base', async () => {
    const file = path.join(project, 'pipelines/payments.pipeline.ts');
    writeFileSync(file, pipelineSource(false).replace("submitter: 'release-managers'", "submitter: 'release-managers,developers'"));
    try {
      const result = await run(['diff', '--base', 'HEAD~1', '--format', 'json', '--root', project], repo);
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout) as {
        baseCommit: string;
        summary: { securityChanges: number };
        pipelines: { name: string; changes: { kind: string; path: string; security?: { category: string } }[] }[];
      };
      expect(json.baseCommit).toBe(git(repo, 'rev-parse', 'HEAD~1').trim());
      expect(json.summary.securityChanges).toBe(2);
      expect(json.pipelines[0]!.changes.map((c) => [c.kind, c.path, c.security?.category])).toEqual([
        ['stage-removed', 'Image scan', 'scan-removed'],
        ['input-changed', 'Approve › input.submitter', 'approval-widened'],
      ]);
      const securityOnly = await run(['diff', '--base', 'HEAD', '--security-only', '--root', project], repo);
      expect(securityOnly.stdout).toContain('! [approval-widened] Approve › input.submitter');
      expect(securityOnly.stdout).toContain('new approvers: developers');
    } finally {
      writeFileSync(file, pipelineSource(false));
    }
  });

  it('reports every pipeline as new against a commit that predates the project folder', async () => {
    const result = await run(['diff', '--base', 'HEAD~2', '--format', 'markdown', '--root', project], repo);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| `payments` | new | 1 | 0 |');
    expect(result.stdout).toContain('- **added** `(pipeline)`: pipeline added with 3 stage(s)');
    expect(result.stdout).toContain('```mermaid');
  });

  it('exits 2 and says which pipeline does not compile in the working tree', async () => {
    const file = path.join(project, 'pipelines/payments.pipeline.ts');
    writeFileSync(file, pipelineSource(false).replace('stages: [', 'stages: [[['));
    try {
      const result = await run(['diff', '--base', 'HEAD~1', '--root', project], repo);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain('payments (pipelines/payments.pipeline.ts): error, 0 change(s)');
      expect(result.stdout).toMatch(/\n  error: pipelines\/payments\.pipeline\.ts:\d+:\d+ - error PW1\d{3}/);
      expect(result.stderr).toContain('pipewright diff: the working tree does not compile: 1 pipeline(s) invalid (payments)');
    } finally {
      writeFileSync(file, pipelineSource(false));
    }
  });

  it('fails clearly on an unknown ref', async () => {
    const result = await run(['diff', '--base', 'no-such-branch', '--root', project], repo);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown git ref "no-such-branch"');
  });

  it('prints the stage graph of a pipeline by name or file, as Mermaid or DOT', async () => {
    const mermaid = await run(['graph', 'payments', '--root', project], repo);
    expect(mermaid.stderr).toBe('');
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain('title: "payments"');
    expect(mermaid.stdout).toContain('st_deploy_to_production[/"Deploy to production<br/>deploy → prod"/]');
    const dot = await run(['graph', 'pipelines/payments.pipeline.ts', '--format', 'dot'], project);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph "payments" \{/);
    const missing = await run(['graph', 'nope', '--root', project], repo);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no pipeline named "nope" (pipelines: payments)');
  });
});
