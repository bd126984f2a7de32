// @vitest-environment jsdom
// jsdom: the Mermaid graphs embedded in the Markdown are checked with the real Mermaid parser.
import { describe, expect, it } from 'vitest';
import type { CompiledPipeline } from '../../src/compile.ts';
import { sh } from '../../src/dsl/index.ts';
import { codeSpan, escapeMarkdown, formatJson, formatMarkdown, formatText } from '../../src/diff/format.ts';
import { diffRuns, hasSecurityChanges } from '../../src/diff/project.ts';
import { PipelineSchema, type Pipeline, type Stage } from '../../src/model/schema.ts';

const compiled = (name: string, stages: Stage[], extra: Partial<Pipeline> = {}): CompiledPipeline => ({
  source: `pipelines/${name}.pipeline.ts`,
  name,
  output: `generated/${name}/Jenkinsfile`,
  diagnostics: [],
  model: PipelineSchema.parse({ agent: { type: 'label', label: 'linux' }, stages, ...extra }),
});

const scanStage: Stage = { name: 'Scan | image', steps: [sh('trivy image --severity HIGH,CRITICAL --exit-code 1 app', { label: 'trivy image' })] };
const build: Stage = { name: 'Build', steps: [sh('make', { label: 'make' })] };
const deploy: Stage = { name: 'Deploy to prod', when: { branch: 'main' }, steps: [sh('helm upgrade api ./chart', { label: 'helm' })] };

function projectDiff() {
  const base = [compiled('api', [build, scanStage, deploy]), compiled('web', [build]), compiled('old-job', [build])];
  const head = [
    compiled('api', [build, deploy]),
    compiled('web', [build, { name: 'Lint', steps: [sh('npm run lint', { label: 'lint' })] }]),
    compiled('new-job', [build], { environment: { TOKEN: { credentials: 'new-token' } } }),
    compiled('same', [build]),
  ];
  base.push(compiled('same', [build]));
  return { ...diffRuns({ pipelines: base, diagnostics: [] }, { pipelines: head, diagnostics: [] }, 'origin/main'), baseCommit: 'a'.repeat(40) };
}

const mermaidBlocks = (markdown: string) => [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]!);

describe('Markdown escaping', () => {
  it('escapes formatting characters and table pipes', () => {
    expect(escapeMarkdown('a*b_c [x](y) <b> | `t` #1 & ~')).toBe('a\\*b\\_c \\[x\\](y) \\<b\\> \\| \\`t\\` \\#1 &amp; \\~');
  });
  it('makes code spans that survive backticks, and pipes in tables', () => {
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(codeSpan('a|b', true)).toBe('`a\\|b`');
    expect(codeSpan('a|b')).toBe('`a|b`');
  });
});

describe('formatMarkdown', () => {
  const diff = projectDiff();

  it('puts a warning and the security table first, then details with a graph per changed pipeline', async () => {
    const md = formatMarkdown(diff);
    const lines = md.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '## Pipeline changes against `origin/main (aaaaaaaaaaaa)`',
      '',
      '> [!WARNING]',
      '> **2 security-relevant change(s)** in 2 pipeline(s). Review them before merging.',
      '',
    ]);
    expect(md).toContain(
      [
        '| Pipeline | Status | Changes | Security-relevant |',
        '| --- | --- | ---: | ---: |',
        '| `api` | changed | 1 | :warning: 1 |',
        '| `web` | changed | 1 | 0 |',
        '| `new-job` | new | 2 | :warning: 1 |',
        '| `old-job` | removed | 1 | 0 |',
      ].join('\n'),
    );
    expect(md).not.toContain('`same`');
    const securityAt = md.indexOf('### :warning: Security-relevant changes');
    expect(securityAt).toBeGreaterThan(md.indexOf('| `old-job` |'));
    expect(md).toContain(
      '| `api` | `Scan \\| image` | **scan removed**: stage removed (sh "trivy image") | trivy image scan removed (was in stage "Scan \\| image") |',
    );
    expect(md.indexOf('### `api` (`pipelines/api.pipeline.ts`)')).toBeGreaterThan(securityAt);
    expect(md).toContain('- :warning: **scan removed**: `Scan | image`: stage removed (sh "trivy image")\n  _trivy image scan removed (was in stage "Scan \\| image")_');
    // One graph per pipeline that exists after the change and changed: api, web, new-job.
    const graphs = mermaidBlocks(md);
    expect(graphs).toHaveLength(3);
    expect(graphs[1]).toContain('class st_lint added');
    const mermaid = (await import('mermaid')).default;
    for (const graph of graphs) await expect(mermaid.parse(graph)).resolves.toBeTruthy();
  });

  it('keeps only security-relevant changes with --security-only', () => {
    const md = formatMarkdown(diff, { securityOnly: true });
    expect(md).toContain('| `api` | changed | 1 | :warning: 1 |');
    expect(md).not.toContain('| `web` |');
    expect(md).not.toContain('**added** `Lint`');
    expect(md).toContain('**new credential**');
  });

  it('leaves graphs, then details out to stay under the size budget, and says so', () => {
    const full = formatMarkdown(diff);
    const noGraphs = formatMarkdown(diff, { maxLength: full.length - 1 });
    expect(mermaidBlocks(noGraphs)).toEqual([]);
    expect(noGraphs).toContain('_Stage graph left out to fit the comment: `pipewright graph api` prints it._');
    const tiny = formatMarkdown(diff, { maxLength: 100 });
    expect(tiny).toContain('- … 1 more change(s) left out to fit the comment');
  });

  it('says so when nothing changed', () => {
    const same = diffRuns({ pipelines: [compiled('a', [build])], diagnostics: [] }, { pipelines: [compiled('a', [build])], diagnostics: [] }, 'HEAD');
    expect(formatMarkdown({ ...same })).toBe(
      '## Pipeline changes against `HEAD`\n\nNo security-relevant changes. 0 of 1 pipeline(s) changed.\n\n_No pipeline changes._\n\n',
    );
    expect(hasSecurityChanges(same)).toBe(false);
  });
});

describe('formatText and formatJson', () => {
  const diff = projectDiff();

  it('prints one line per change, security first with its reason', () => {
    const text = formatText(diff);
    expect(text.split('\n').slice(0, 5)).toEqual([
      'pipewright diff against origin/main (aaaaaaaaaaaa): 4 of 5 pipeline(s) changed, 2 security-relevant change(s)',
      '',
      'api (pipelines/api.pipeline.ts): changed, 1 change(s)',
      '  ! [scan-removed] Scan | image: stage removed (sh "trivy image")',
      '      trivy image scan removed (was in stage "Scan | image")',
    ]);
    expect(text).toContain('web (pipelines/web.pipeline.ts): changed, 1 change(s)\n  + Lint: stage added (sh "lint")');
  });

  it('gives tools every change with kind, path, values and classification', () => {
    const json = JSON.parse(formatJson(diff)) as {
      summary: unknown;
      pipelines: { name: string; status: string; securityChanges: number; changes: { kind: string; security?: unknown }[] }[];
    };
    expect(json.summary).toEqual({ pipelines: 5, changed: 4, securityChanges: 2 });
    expect(json.pipelines.map((p) => [p.name, p.status, p.securityChanges])).toEqual([
      ['api', 'changed', 1],
      ['web', 'changed', 0],
      ['new-job', 'added', 1],
      ['same', 'unchanged', 0],
      ['old-job', 'removed', 0],
    ]);
    expect(json.pipelines[0]!.changes[0]).toMatchObject({
      kind: 'stage-removed',
      path: 'Scan | image',
      beforePath: ['stages', 1],
      security: { category: 'scan-removed' },
    });
  });
});
