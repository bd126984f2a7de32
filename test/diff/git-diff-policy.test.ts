// `pipewright diff` when a side fails the project's checks: real git commits in a temp repository,
// the real loader, compiler and policy engine on both sides (a custom rule from the project's
// config, so the test does not depend on the built-in packs), the real CLI dispatcher.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, run, write } from './support.ts';


const rule = `import { defineRule } from 'pipewright';

export default defineRule({
  meta: {
    id: 'ACME-001',
    title: 'Never pipe a download into a shell',
    pack: 'acme',
    severity: 'error',
    rationale: 'curl | sh runs whatever the server returns today, unreviewed, with the build credentials.',
    standards: ['OWASP CICD-SEC-3'],
    example: { bad: "sh('curl -fsSL https://get.example.com | sh')", good: "sh('./scripts/install-tool.sh')" },
  },
  *check({ index }) {
    for (const info of index.steps) {
      if (info.step.step === 'sh' && /curl[^|\\n]*\\|\\s*(?:ba)?sh\\b/.test(info.step.script)) {
        yield { path: [...info.path, 'script'], message: 'a download is piped into a shell' };
      }
    }
  },
});
`;

const config = `import noCurlPipeSh from './policy/no-curl-pipe-sh.ts';

export default { pipelinesDir: 'pipelines', outDir: 'generated', policy: { packs: [], customRules: [noCurlPipeSh] } };
`;

const toolsPipeline = (install: string) => `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [
    { name: 'Tools', steps: [sh(${JSON.stringify(install)}, { label: 'install tools' })] },
    { name: 'Test', steps: [sh('make test', { label: 'unit tests' })] },
  ],
});
`;
const CLEAN = './scripts/install-tools.sh';
const CURL_PIPE_SH = 'curl -fsSL https://get.example.com | sh';

describe('pipewright diff when a side fails policy (real git commits)', () => {
  let repo: string;
  let pipelineFile: string;

  beforeAll(() => {
    repo = mkdtempSync(path.join(tmpdir(), 'pw-diff-policy-'));
    git(repo, 'init', '-q', '-b', 'main');
    write(path.join(repo, '.gitignore'), 'node_modules/\ngenerated/\n');
    write(path.join(repo, 'pipewright.config.ts'), config);
    write(path.join(repo, 'policy/no-curl-pipe-sh.ts'), rule);
    pipelineFile = path.join(repo, 'pipelines/tools.pipeline.ts');
    write(pipelineFile, toolsPipeline(CLEAN));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'tools pipeline, clean');
    write(pipelineFile, toolsPipeline(CURL_PIPE_SH));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'install tools with curl | sh');
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it('a pull request that fails policy: the finding is reported and the exit code is 1', async () => {
    const result = await run(['diff', '--base', 'HEAD~1'], repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('working tree: 1 pipeline(s) fail policy (tools)');
    expect(result.stdout).toMatch(
      /\n {2}error: policy \(fails at error\): pipelines\/tools\.pipeline\.ts:6:\d+ - error ACME-001 .*a download is piped into a shell/,
    );
    expect(result.stdout).not.toContain('base HEAD~1:');
    expect(result.stderr).toBe('pipewright diff: the working tree fails policy: tools (findings listed above)\n');
  });

  it('also with --security-only, in Markdown and in JSON', async () => {
    const securityOnly = await run(['diff', '--base', 'HEAD~1', '--security-only'], repo);
    expect(securityOnly.code).toBe(1);
    expect(securityOnly.stdout).toContain('error ACME-001');

    const markdown = await run(['diff', '--base', 'HEAD~1', '--format', 'markdown'], repo);
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toContain('> [!CAUTION]\n> working tree: 1 pipeline(s) fail policy (tools)');
    expect(markdown.stdout).toMatch(/- :x: policy \(fails at error\): .*ACME-001/);

    const json = await run(['diff', '--base', 'HEAD~1', '--format', 'json'], repo);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { head: unknown; baseHealth: unknown; pipelines: { problems: string[] }[] };
    expect(parsed.head).toEqual({ invalid: [], failingPolicy: ['tools'], configErrors: 0 });
    expect(parsed.baseHealth).toEqual({ invalid: [], failingPolicy: [], configErrors: 0 });
    expect(parsed.pipelines[0]!.problems).toHaveLength(1);
  });

  it('an unchanged pipeline that fails policy on both sides is not silent either', async () => {
    const result = await run(['diff', '--base', 'HEAD'], repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('0 of 1 pipeline(s) changed');
    expect(result.stdout).toContain('tools (pipelines/tools.pipeline.ts): unchanged, 0 change(s)');
    expect(result.stdout).toContain('working tree: 1 pipeline(s) fail policy (tools)');
    expect(result.stdout).toContain('base HEAD: 1 pipeline(s) fail policy (tools)');
    expect(result.stdout).toMatch(/error: base: policy \(fails at error\): .*ACME-001/);
  });

  it('a failing base is reported, but a pull request that fixes it exits 0', async () => {
    write(pipelineFile, toolsPipeline(CLEAN));
    try {
      const result = await run(['diff', '--base', 'HEAD'], repo);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('base HEAD: 1 pipeline(s) fail policy (tools)');
      expect(result.stdout).toMatch(/error: base: policy \(fails at error\): .*ACME-001/);
      expect(result.stdout).not.toContain('working tree:');
      expect(result.stderr).toBe(
        'pipewright diff: the base HEAD has problems (reported above, not counted in the exit code): 1 pipeline(s) fail policy (tools)\n',
      );
    } finally {
      write(pipelineFile, toolsPipeline(CURL_PIPE_SH));
    }
  });

  it('a working-tree pipeline that does not validate exits 2 and says why', async () => {
    // Loads fine, fails the schema: a step kind that does not exist.
    write(pipelineFile, toolsPipeline(CLEAN).replace("stages: [", "stages: [{ name: 'Odd', steps: [{ step: 'nope' } as never] },"));
    try {
      const result = await run(['diff', '--base', 'HEAD~1'], repo);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain('working tree: 1 pipeline(s) do not compile (tools)');
      expect(result.stderr).toContain('pipewright diff: the working tree does not compile: 1 pipeline(s) invalid (tools)');
    } finally {
      write(pipelineFile, toolsPipeline(CURL_PIPE_SH));
    }
  });
});
