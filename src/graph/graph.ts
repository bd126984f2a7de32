/**
 * The stage graph of a pipeline, as a Mermaid flowchart (GitHub renders it in PR comments and
 * Markdown docs) or as Graphviz DOT.
 *
 * Sequential stages are chained; parallel branches fan out from the previous stage and fan back
 * in to the next one (through a small join node when both sides have several ends); nested
 * stages and matrices are subgraphs (a matrix's label summarises its axes); approval stages
 * (`input`) are hexagons; deploy stages are parallelograms labelled with their environment; a
 * stage's `when` is the label of the edge into it (for a group of stages, part of its title).
 *
 * Node ids are derived from the stage name path (`st_security_scans__trivy`), so the same stage
 * has the same id in two versions of a pipeline, and they are plain identifiers in both syntaxes.
 * Labels are escaped for each syntax: Mermaid entity codes (`#quot;`, `#35;`, ...) inside quoted
 * labels, DOT backslash escapes inside quoted strings.
 */
import type { Stage, ValidPipeline } from '../model/schema.ts';
import { approvalSubmitters, deployFact, describeWhen, joinNamePath, walkStages, type StageRef } from '../diff/facts.ts';

export type GraphFormat = 'mermaid' | 'dot';

/** How a stage is highlighted (the semantic diff marks what changed). */
export type StageHighlight = 'added' | 'changed' | 'security';

export interface GraphOptions {
  /** Highlights by stage name path (`Build › Unit tests`). */
  highlight?: ReadonlyMap<string, StageHighlight>;
  /** Graph title (DOT graph name / Mermaid front-matter title). */
  title?: string;
}

/** A node of the stage graph. */
export interface GraphNode {
  type: 'node';
  id: string;
  kind: 'stage' | 'approval' | 'deploy' | 'start' | 'end' | 'join' | 'empty';
  /** Label lines (unescaped). */
  lines: string[];
  /** Name path of the stage it stands for. */
  namePath?: string;
}

/** A group of stages: nested sequential stages, parallel branches or a matrix. */
export interface GraphCluster {
  type: 'cluster';
  id: string;
  kind: 'stages' | 'parallel' | 'matrix';
  lines: string[];
  namePath: string;
  children: (GraphNode | GraphCluster)[];
}

export interface GraphEdge {
  from: string;
  to: string;
  /** Edge label (unescaped), e.g. `when branch main`. */
  label?: string;
}

/** The stage graph, independent of the output syntax. */
export interface StageGraph {
  items: (GraphNode | GraphCluster)[];
  edges: GraphEdge[];
}

interface Entry {
  id: string;
  label?: string;
}

interface Block {
  entries: Entry[];
  exits: string[];
}

/** Builds the stage graph of a pipeline. */
export function stageGraph(pipeline: ValidPipeline): StageGraph {
  const refs = new Map<Stage, StageRef>(walkStages(pipeline).map((ref) => [ref.stage, ref]));
  const used = new Set<string>();
  const edges: GraphEdge[] = [];
  let joins = 0;

  const allocate = (prefix: string, base: string): string => {
    const slug =
      base
        .toLowerCase()
        .replace(/ › /g, '__')
        .replace(/[^a-z0-9_]+/g, '_')
        .replace(/^_+|_+$/g, '')
        .slice(0, 48) || 'stage';
    let id = `${prefix}${slug}`;
    for (let n = 2; used.has(id); n++) id = `${prefix}${slug}_${n}`;
    used.add(id);
    return id;
  };

  const connect = (exits: string[], entries: Entry[], into: (GraphNode | GraphCluster)[]) => {
    if (exits.length > 1 && entries.length > 1) {
      // Fan-in then fan-out through one join node instead of every-to-every edges.
      const join: GraphNode = { type: 'node', id: `join_${++joins}`, kind: 'join', lines: [] };
      used.add(join.id);
      into.push(join);
      for (const exit of exits) edges.push({ from: exit, to: join.id });
      for (const entry of entries) edges.push({ from: join.id, to: entry.id, ...(entry.label ? { label: entry.label } : {}) });
      return;
    }
    for (const exit of exits) {
      for (const entry of entries) edges.push({ from: exit, to: entry.id, ...(entry.label ? { label: entry.label } : {}) });
    }
  };

  const sequence = (stages: readonly Stage[], into: (GraphNode | GraphCluster)[], placeholderPath: string): Block => {
    if (stages.length === 0) {
      const empty: GraphNode = { type: 'node', id: allocate('st_', `${placeholderPath} empty`), kind: 'empty', lines: ['(no stages)'] };
      into.push(empty);
      return { entries: [{ id: empty.id }], exits: [empty.id] };
    }
    let first: Block | undefined;
    let previous: Block | undefined;
    for (const stage of stages) {
      const block = stageBlock(stage, into);
      if (previous) connect(previous.exits, block.entries, into);
      first ??= block;
      previous = block;
    }
    return { entries: first!.entries, exits: previous!.exits };
  };

  const stageBlock = (stage: Stage, into: (GraphNode | GraphCluster)[]): Block => {
    const ref = refs.get(stage)!;
    const namePath = joinNamePath(ref.namePath);
    const when = stage.when ? `when ${describeWhen(stage.when)}` : undefined;
    const approval = stage.input ? approvalLines(stage) : [];
    if (!stage.stages && !stage.parallel && !stage.matrix) {
      const deploy = deployFact(ref);
      const node: GraphNode = {
        type: 'node',
        id: allocate('st_', namePath),
        kind: stage.input ? 'approval' : deploy ? 'deploy' : 'stage',
        lines: [stage.name, ...approval, ...(deploy ? [deploy.environment ? `deploy → ${deploy.environment}` : 'deploy'] : [])],
        namePath,
      };
      into.push(node);
      return { entries: [{ id: node.id, ...(when ? { label: when } : {}) }], exits: [node.id] };
    }
    const kind: GraphCluster['kind'] = stage.parallel ? 'parallel' : stage.matrix ? 'matrix' : 'stages';
    const lines = [stage.name];
    if (stage.matrix) lines.push(matrixSummary(stage.matrix));
    if (when) lines.push(when);
    const cluster: GraphCluster = { type: 'cluster', id: allocate('sg_', namePath), kind, lines, namePath, children: [] };
    into.push(cluster);
    const firstEdge = edges.length;
    let block: Block;
    if (stage.parallel) {
      const branches = stage.parallel.length
        ? stage.parallel.map((branch) => stageBlock(branch, cluster.children))
        : [sequence([], cluster.children, namePath)];
      block = { entries: branches.flatMap((b) => b.entries), exits: branches.flatMap((b) => b.exits) };
    } else {
      block = sequence(stage.stages ?? stage.matrix!.stages, cluster.children, namePath);
    }
    // An approval on a group of stages gates all of them: draw it as the group's first node.
    const input = stage.input ?? stage.matrix?.input;
    if (input) {
      const gate: GraphNode = {
        type: 'node',
        id: allocate('st_', `${namePath} approval`),
        kind: 'approval',
        lines: [stage.name, ...approvalLines({ name: stage.name, input })],
        namePath,
      };
      cluster.children.unshift(gate);
      // Its edges go before the group's own, so the source reads top to bottom.
      const inner = edges.splice(firstEdge);
      connect([gate.id], block.entries, cluster.children);
      edges.push(...inner);
      block = { entries: [{ id: gate.id }], exits: block.exits };
    }
    return block;
  };

  const items: (GraphNode | GraphCluster)[] = [];
  const start: GraphNode = { type: 'node', id: 'pw_start', kind: 'start', lines: ['start'] };
  used.add(start.id);
  items.push(start);
  const body = sequence(pipeline.stages, items, 'pipeline');
  const end: GraphNode = { type: 'node', id: 'pw_end', kind: 'end', lines: ['end'] };
  used.add(end.id);
  items.push(end);
  const bodyEdges = edges.splice(0);
  connect([start.id], body.entries, items);
  edges.push(...bodyEdges);
  connect(body.exits, [{ id: end.id }], items);
  return { items, edges };
}

function approvalLines(stage: Pick<Stage, 'name' | 'input'>): string[] {
  const submitters = approvalSubmitters(stage as Stage);
  return [`approval: ${stage.input!.message}`, ...(submitters ? [`by ${submitters.join(', ')}`] : ['by anyone with Build permission'])];
}

function matrixSummary(matrix: NonNullable<Stage['matrix']>): string {
  const axes = matrix.axes.map((axis) => `${axis.name} = ${axis.values.join(', ')}`);
  const total = matrix.axes.reduce((n, axis) => n * axis.values.length, 1);
  const excluded = matrix.excludes?.length ? `, ${matrix.excludes.length} exclude rule(s)` : '';
  return `matrix: ${axes.join(' × ')} (${total} combination${total === 1 ? '' : 's'}${excluded})`;
}

// ---------------------------------------------------------------------------------------------
// Mermaid
// ---------------------------------------------------------------------------------------------

const MERMAID_ENTITIES: Record<string, string> = {
  '#': '#35;',
  '"': '#quot;',
  '<': '#lt;',
  '>': '#gt;',
  '&': '#amp;',
  '`': '#96;',
  '|': '#124;',
};

/** Text for inside a quoted Mermaid label: entity codes for the characters Mermaid would read. */
export function escapeMermaid(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(/[#"<>&`|]/g, (c) => MERMAID_ENTITIES[c]!);
}

const mermaidLabel = (lines: string[]) => `"${lines.map(escapeMermaid).join('<br/>')}"`;

function mermaidNode(node: GraphNode): string {
  const label = mermaidLabel(node.lines.length ? node.lines : [' ']);
  switch (node.kind) {
    case 'start':
    case 'end':
      return `${node.id}([${label}])`;
    case 'approval':
      return `${node.id}{{${label}}}`;
    case 'deploy':
      return `${node.id}[/${label}/]`;
    case 'join':
      return `${node.id}((" "))`;
    default:
      return `${node.id}[${label}]`;
  }
}

const MERMAID_CLASSES: Record<string, string> = {
  approval: 'fill:#fff4ce,stroke:#b7791f',
  deploy: 'fill:#e6f4ea,stroke:#2f855a',
  added: 'stroke:#1a7f37,stroke-width:3px',
  changed: 'stroke:#9a6700,stroke-width:3px',
  security: 'stroke:#cf222e,stroke-width:3px,stroke-dasharray:4 2',
};

function renderMermaid(graph: StageGraph, options: GraphOptions): string {
  const out: string[] = [];
  if (options.title) out.push('---', `title: ${JSON.stringify(options.title)}`, '---');
  out.push('flowchart TD');
  const classes = new Map<string, string[]>();
  const addClass = (name: string, id: string) => {
    const list = classes.get(name) ?? [];
    list.push(id);
    classes.set(name, list);
  };
  const emit = (item: GraphNode | GraphCluster, indent: string) => {
    if (item.type === 'node') {
      out.push(`${indent}${mermaidNode(item)}`);
      if (item.kind === 'approval' || item.kind === 'deploy') addClass(item.kind, item.id);
      const mark = item.namePath ? options.highlight?.get(item.namePath) : undefined;
      if (mark) addClass(mark, item.id);
      return;
    }
    out.push(`${indent}subgraph ${item.id} [${mermaidLabel(item.lines)}]`);
    for (const child of item.children) emit(child, `${indent}  `);
    out.push(`${indent}end`);
    const mark = options.highlight?.get(item.namePath);
    if (mark) addClass(mark, item.id);
  };
  for (const item of graph.items) emit(item, '  ');
  for (const edge of graph.edges) {
    out.push(edge.label ? `  ${edge.from} -->|"${escapeMermaid(edge.label)}"| ${edge.to}` : `  ${edge.from} --> ${edge.to}`);
  }
  for (const [name, ids] of classes) out.push(`  classDef ${name} ${MERMAID_CLASSES[name]}`, `  class ${ids.join(',')} ${name}`);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// DOT
// ---------------------------------------------------------------------------------------------

/** Text for inside a quoted DOT string (backslash, quote and line breaks escaped). */
export function escapeDot(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r\n?|\n/g, '\\n');
}

const dotLabel = (lines: string[]) => `"${lines.map(escapeDot).join('\\n')}"`;

const DOT_SHAPES: Record<GraphNode['kind'], string> = {
  stage: 'shape=box, style=rounded',
  approval: 'shape=hexagon, style=filled, fillcolor="#fff4ce", color="#b7791f"',
  deploy: 'shape=parallelogram, style=filled, fillcolor="#e6f4ea", color="#2f855a"',
  start: 'shape=oval',
  end: 'shape=oval',
  join: 'shape=point, width=0.08',
  empty: 'shape=box, style=dashed',
};

const DOT_HIGHLIGHT: Record<StageHighlight, string> = {
  added: 'penwidth=3, pencolor="#1a7f37"',
  changed: 'penwidth=3, pencolor="#9a6700"',
  security: 'penwidth=3, pencolor="#cf222e"',
};

function renderDot(graph: StageGraph, options: GraphOptions): string {
  const out: string[] = [`digraph ${dotLabel([options.title ?? 'pipeline'])} {`, '  rankdir=TB;', '  node [fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  const emit = (item: GraphNode | GraphCluster, indent: string) => {
    if (item.type === 'node') {
      const mark = item.namePath ? options.highlight?.get(item.namePath) : undefined;
      const highlight = mark ? `, ${DOT_HIGHLIGHT[mark].replace('pencolor', 'color')}` : '';
      const label = item.kind === 'join' ? '""' : dotLabel(item.lines);
      out.push(`${indent}${item.id} [label=${label}, ${DOT_SHAPES[item.kind]}${highlight}];`);
      return;
    }
    const mark = options.highlight?.get(item.namePath);
    out.push(`${indent}subgraph cluster_${item.id} {`);
    out.push(`${indent}  label=${dotLabel(item.lines)};`);
    out.push(`${indent}  style=${item.kind === 'parallel' ? 'dashed' : item.kind === 'matrix' ? 'dotted' : 'solid'};`);
    if (mark) out.push(`${indent}  ${DOT_HIGHLIGHT[mark]};`);
    for (const child of item.children) emit(child, `${indent}  `);
    out.push(`${indent}}`);
  };
  for (const item of graph.items) emit(item, '  ');
  for (const edge of graph.edges) out.push(`  ${edge.from} -> ${edge.to}${edge.label ? ` [label=${dotLabel([edge.label])}]` : ''};`);
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** The stage graph of a pipeline as Mermaid flowchart or DOT source. */
export function pipelineGraph(pipeline: ValidPipeline, format: GraphFormat, options: GraphOptions = {}): string {
  const graph = stageGraph(pipeline);
  return format === 'dot' ? renderDot(graph, options) : renderMermaid(graph, options);
}
