// @vitest-environment jsdom
// Mermaid's flowchart parser sanitises labels with DOMPurify, which needs a DOM: jsdom gives it
// one, so the real Mermaid parser checks every graph here (as GitHub's renderer would).
import { beforeAll, describe, expect, it } from 'vitest';
import { instance as vizInstance, type Viz } from '@viz-js/viz';
import { sh } from '../../src/dsl/index.ts';
import { PipelineSchema, type Pipeline, type Stage, type ValidPipeline } from '../../src/model/schema.ts';
import { escapeMermaid, pipelineGraph, stageGraph } from '../../src/graph/graph.ts';

const valid = (pipeline: Pipeline): ValidPipeline => PipelineSchema.parse(pipeline);
const pipelineOf = (stages: Stage[]): ValidPipeline => valid({ agent: { type: 'label', label: 'linux' }, stages });

type MermaidDb = {
  getVertices(): Map<string, { id: string; text: string; type: string }>;
  getEdges(): { start: string; end: string; text: string }[];
  getSubGraphs(): { id: string; title: string; nodes: string[] }[];
};
let parseMermaid: (text: string) => Promise<MermaidDb>;
let viz: Viz;

beforeAll(async () => {
  const mermaid = (await import('mermaid')).default;
  parseMermaid = async (text) => {
    await mermaid.parse(text); // throws on a syntax error
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    return diagram.db as unknown as MermaidDb;
  };
  viz = await vizInstance();
});

/** Graphviz's own reading of DOT source: node and cluster labels as Graphviz decoded them. */
function parseDot(source: string): { labels: Map<string, string>; shapes: Map<string, string>; edges: [string, string, string?][] } {
  const result = viz.renderJSON(source) as {
    objects?: { name: string; label?: string; shape?: string; _gvid: number }[];
    edges?: { tail: number; head: number; label?: string }[];
  };
  const objects = result.objects ?? [];
  const byId = new Map(objects.map((o) => [o._gvid, o.name]));
  return {
    labels: new Map(objects.map((o) => [o.name, o.label ?? ''])),
    shapes: new Map(objects.filter((o) => o.shape).map((o) => [o.name, o.shape!])),
    edges: (result.edges ?? []).map((e) => [byId.get(e.tail)!, byId.get(e.head)!, e.label]),
  };
}

/**
 * A label as the browser shows it: Mermaid keeps entity codes as placeholders (`ﬂ°quot¶ß`,
 * `ﬂ°°35¶ß`) until it renders; the sanitiser writes `<br/>` as `<br>`.
 */
const shownText = (text: string) =>
  text
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/ﬂ°(\w+)¶ß/g, (_, name: string) => ({ quot: '"', lt: '<', gt: '>', amp: '&' })[name]!)
    .replace(/<br>/g, '\n');

describe('pipelineGraph: exact output', () => {
  const small = pipelineOf([
    { name: 'Build', steps: [sh('make')] },
    { name: 'Deploy to dev', when: { branch: 'main' }, steps: [sh('helm upgrade api ./chart', { label: 'helm' })] },
  ]);

  it('renders a sequential pipeline as Mermaid', async () => {
    const text = pipelineGraph(small, 'mermaid');
    expect(text).toBe(
      [
        'flowchart TD',
        '  pw_start(["start"])',
        '  st_build["Build"]',
        '  st_deploy_to_dev[/"Deploy to dev<br/>deploy → dev"/]',
        '  pw_end(["end"])',
        '  pw_start --> st_build',
        '  st_build -->|"when branch main"| st_deploy_to_dev',
        '  st_deploy_to_dev --> pw_end',
        '  classDef deploy fill:#e6f4ea,stroke:#2f855a',
        '  class st_deploy_to_dev deploy',
        '',
      ].join('\n'),
    );
    const db = await parseMermaid(text);
    expect(db.getEdges().map((e) => [e.start, e.end, e.text])).toEqual([
      ['pw_start', 'st_build', ''],
      ['st_build', 'st_deploy_to_dev', 'when branch main'],
      ['st_deploy_to_dev', 'pw_end', ''],
    ]);
  });

  it('renders the same pipeline as DOT', () => {
    const text = pipelineGraph(small, 'dot');
    expect(text).toBe(
      [
        'digraph "pipeline" {',
        '  rankdir=TB;',
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  pw_start [label="start", shape=oval];',
        '  st_build [label="Build", shape=box, style=rounded];',
        '  st_deploy_to_dev [label="Deploy to dev\\ndeploy → dev", shape=parallelogram, style=filled, fillcolor="#e6f4ea", color="#2f855a"];',
        '  pw_end [label="end", shape=oval];',
        '  pw_start -> st_build;',
        '  st_build -> st_deploy_to_dev [label="when branch main"];',
        '  st_deploy_to_dev -> pw_end;',
        '}',
        '',
      ].join('\n'),
    );
    const dot = parseDot(text);
    expect(dot.labels.get('st_deploy_to_dev')).toBe('Deploy to dev\\ndeploy → dev');
    expect(dot.edges).toContainEqual(['st_build', 'st_deploy_to_dev', 'when branch main']);
  });
});

describe('pipelineGraph: structure', () => {
  it('fans parallel branches out and back in', async () => {
    const p = pipelineOf([
      { name: 'Build', steps: [sh('make')] },
      { name: 'Checks', parallel: [{ name: 'Lint', steps: [sh('lint')] }, { name: 'Test', when: { changeset: 'src/**' }, steps: [sh('test')] }] },
      { name: 'Package', steps: [sh('pack')] },
    ]);
    const db = await parseMermaid(pipelineGraph(p, 'mermaid'));
    expect(db.getEdges().map((e) => `${e.start}->${e.end}${e.text ? ` (${e.text})` : ''}`)).toEqual([
      'pw_start->st_build',
      'st_build->st_checks__lint',
      'st_build->st_checks__test (when changeset src/**)',
      'st_checks__lint->st_package',
      'st_checks__test->st_package',
      'st_package->pw_end',
    ]);
    const subgraph = db.getSubGraphs().find((s) => s.id === 'sg_checks')!;
    expect(subgraph.title).toBe('Checks');
    expect([...subgraph.nodes].sort()).toEqual(['st_checks__lint', 'st_checks__test']);
  });

  it('joins two parallel groups through one join node', async () => {
    const branch = (name: string): Stage => ({ name, steps: [sh(name)] });
    const p = pipelineOf([
      { name: 'A', parallel: [branch('a1'), branch('a2')] },
      { name: 'B', parallel: [branch('b1'), branch('b2'), branch('b3')] },
    ]);
    const db = await parseMermaid(pipelineGraph(p, 'mermaid'));
    const edges = db.getEdges().map((e) => `${e.start}->${e.end}`);
    expect(edges.filter((e) => e.includes('join_1'))).toEqual([
      'st_a__a1->join_1',
      'st_a__a2->join_1',
      'join_1->st_b__b1',
      'join_1->st_b__b2',
      'join_1->st_b__b3',
    ]);
    expect(edges).toHaveLength(2 + 5 + 3);
    const dot = parseDot(pipelineGraph(p, 'dot'));
    expect(dot.shapes.get('join_1')).toBe('point');
  });

  it('draws a matrix as a subgraph with its axes summarised', async () => {
    const p = pipelineOf([
      {
        name: 'Compat',
        matrix: {
          axes: [
            { name: 'NODE', values: ['20', '22'] },
            { name: 'OS', values: ['linux', 'windows', 'mac'] },
          ],
          excludes: [{ axes: [{ name: 'OS', values: ['mac'] }] }],
          stages: [{ name: 'Test', steps: [sh('npm test')] }, { name: 'Report', steps: [sh('report')] }],
        },
      },
    ]);
    const db = await parseMermaid(pipelineGraph(p, 'mermaid'));
    const sub = db.getSubGraphs().find((s) => s.id === 'sg_compat')!;
    expect(shownText(sub.title)).toBe('Compat\nmatrix: NODE = 20, 22 × OS = linux, windows, mac (6 combinations, 1 exclude rule(s))');
    expect(db.getEdges().map((e) => `${e.start}->${e.end}`)).toContain('st_compat__test->st_compat__report');
    const dot = parseDot(pipelineGraph(p, 'dot'));
    expect(dot.labels.get('cluster_sg_compat')).toBe('Compat\\nmatrix: NODE = 20, 22 × OS = linux, windows, mac (6 combinations, 1 exclude rule(s))');
  });

  it('gives approvals a distinct shape and names the approvers', async () => {
    const p = pipelineOf([
      { name: 'Approve', agent: 'none', input: { message: 'Ship?', submitter: ['release-managers', 'cab'] }, steps: [sh('true')] },
      { name: 'Open approval', input: { message: 'Anyone?' }, steps: [sh('true')] },
    ]);
    const db = await parseMermaid(pipelineGraph(p, 'mermaid'));
    const approve = db.getVertices().get('st_approve')!;
    expect(approve.type).toBe('hexagon');
    expect(shownText(approve.text)).toBe('Approve\napproval: Ship?\nby release-managers, cab');
    expect(db.getVertices().get('st_open_approval')!.text).toContain('by anyone with Build permission');
    expect(parseDot(pipelineGraph(p, 'dot')).shapes.get('st_approve')).toBe('hexagon');
  });

  it('puts an approval on a group of stages first in the group, and the group when in its title', async () => {
    const p = pipelineOf([
      {
        name: 'Production',
        when: { branch: 'main' },
        input: { message: 'Release?', submitter: 'cab' },
        stages: [
          { name: 'Deploy', steps: [{ step: 'ecsDeploy', environment: 'prod', aws: { role: 'deployer', account: '333333333333', region: 'eu-west-1' }, cluster: 'prod', service: 'api', container: 'api', engine: 'pipewright' } as never] },
          { name: 'Smoke', steps: [sh('curl -f https://api/health')] },
        ],
      },
    ]);
    const db = await parseMermaid(pipelineGraph(p, 'mermaid'));
    const sub = db.getSubGraphs().find((s) => s.id === 'sg_production')!;
    expect(shownText(sub.title)).toBe('Production\nwhen branch main');
    expect(db.getVertices().get('st_production_approval')!.type).toBe('hexagon');
    expect(shownText(db.getVertices().get('st_production__deploy')!.text)).toBe('Deploy\ndeploy → prod');
    expect(db.getEdges().map((e) => `${e.start}->${e.end}`)).toEqual([
      'pw_start->st_production_approval',
      'st_production_approval->st_production__deploy',
      'st_production__deploy->st_production__smoke',
      'st_production__smoke->pw_end',
    ]);
  });
});

describe('pipelineGraph: labels and ids', () => {
  const awkward = ['Say "hi" [now]', 'Issue #42 <b>bold</b> & co', 'pipe | and `tick` {brace} (paren)', 'back\\slash', 'end'];
  const p = pipelineOf(awkward.map((name, i) => ({ name, ...(i === 1 ? { when: { expression: 'params.X == "a|b"' } } : {}), steps: [sh('true')] })));

  it('escapes quotes, brackets, #, <, >, &, |, backticks so Mermaid reads the text back unchanged', async () => {
    const text = pipelineGraph(p, 'mermaid');
    const db = await parseMermaid(text);
    const shown = [...db.getVertices().values()].filter((v) => v.id.startsWith('st_')).map((v) => shownText(v.text));
    expect(shown).toEqual(awkward);
    const edge = db.getEdges().find((e) => e.text)!;
    expect(shownText(edge.text)).toBe('when expression { params.X == "a|b" }');
    expect(escapeMermaid('a "b" #c')).toBe('a #quot;b#quot; #35;c');
  });

  it('escapes labels for DOT so Graphviz reads the text back unchanged', () => {
    const dot = parseDot(pipelineGraph(p, 'dot'));
    const labels = [...dot.labels].filter(([name]) => name.startsWith('st_')).map(([, label]) => label.replace(/\\\\/g, '\\'));
    expect(labels).toEqual(awkward);
    expect(dot.edges.find((e) => e[2])![2]).toBe('when expression { params.X == "a|b" }');
  });

  it('derives stable, safe, unique ids from name paths', () => {
    const ids = (pipeline: ValidPipeline) =>
      stageGraph(pipeline)
        .items.filter((i) => i.type === 'node')
        .map((i) => i.id);
    const dupes = pipelineOf([
      { name: 'Deploy: EU', steps: [sh('a')] },
      { name: 'Deploy (EU)', steps: [sh('b')] },
      { name: '🚀', steps: [sh('c')] },
    ]);
    expect(ids(dupes)).toEqual(['pw_start', 'st_deploy_eu', 'st_deploy_eu_2', 'st_stage', 'pw_end']);
    for (const id of ids(p)) expect(id).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    // Inserting a stage does not rename the others (the diff's graphs line up).
    const more = pipelineOf([{ name: 'First', steps: [sh('x')] }, ...(p.stages as Stage[])]);
    expect(ids(more).filter((id) => ids(p).includes(id))).toEqual(ids(p));
  });

  it('highlights stages by name path', async () => {
    const text = pipelineGraph(p, 'mermaid', { highlight: new Map([['end', 'security']]) });
    expect(text).toContain('  class st_end security\n');
    await parseMermaid(text);
    const dot = pipelineGraph(p, 'dot', { highlight: new Map([['end', 'added']]) });
    expect(dot).toContain('st_end [label="end", shape=box, style=rounded, penwidth=3, color="#1a7f37"];');
    parseDot(dot);
  });
});
