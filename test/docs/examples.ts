/**
 * The TypeScript examples of the user documentation (README.md, docs/*.md), extracted so that
 * test/docs/examples.test.ts can compile every one of them.
 *
 * A ```ts block is a complete module unless the line before it is an HTML comment saying what it
 * is (invisible on GitHub and npm):
 *
 * - `<!-- example: step -->`: one or more steps (array elements, a trailing comma is fine);
 * - `<!-- example: stage -->`: one or more stages;
 * - `<!-- example: pipeline -->`: an expression that evaluates to a pipeline (e.g. `nodeService({...})`);
 * - `<!-- example: environment -->`: a `DeliveryEnvironment` object;
 * - `<!-- example: environment-fields -->`: properties of a `DeliveryEnvironment`;
 * - `<!-- example: node-service-fields -->`: properties of `nodeService`'s options;
 * - `<!-- example: node-service-overrides -->`: properties of `nodeService`'s `overrides`;
 * - `<!-- example: excerpt FILE -->`: lines of FILE (a complete module in the repository, which
 *   the test compiles), `...` standing for omitted lines; the test checks the lines are FILE's;
 * - `<!-- example: nocompile REASON -->`: not compiled, for the reason given (keep these rare;
 *   the test lists them with their reasons).
 *
 * Fragments may use any value `pipewright` exports and the names of test/docs/doc-context.ts
 * (`org`, `environments`, ...: what the surrounding prose describes). A complete module whose
 * first line is a `// path/to/file.ts` comment is written at that path of the example project,
 * so examples can import each other the way the prose says.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXAMPLE_KINDS = [
  'module',
  'step',
  'stage',
  'pipeline',
  'environment',
  'environment-fields',
  'node-service-fields',
  'node-service-overrides',
  'excerpt',
  'nocompile',
] as const;
export type ExampleKind = (typeof EXAMPLE_KINDS)[number];

export interface DocExample {
  /** Document, relative to the repository (`docs/steps.md`). */
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  kind: ExampleKind;
  /** For `nocompile`: why. */
  reason?: string;
  /** For `excerpt`: the repository file it is taken from. */
  source?: string;
  /** The code between the fences. */
  code: string;
  /** For modules: the path its first-line comment names (`pipelines/hello.pipeline.ts`). */
  path?: string;
}

const MARKER = /^<!--\s*example:\s*([a-z-]+)\s*(.*?)\s*-->$/;

/** The ```ts blocks of one Markdown text. */
export function extractExamples(doc: string, text: string): DocExample[] {
  const lines = text.split('\n');
  const examples: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(\S*)(.*)$/.exec(lines[i]!);
    if (!fence) continue;
    const indent = fence[1]!;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith(`${indent}\`\`\``)) end++;
    if (fence[2] === 'ts' || fence[2] === 'typescript') {
      const code = lines
        .slice(i + 1, end)
        .map((line) => line.slice(indent.length))
        .join('\n');
      const marker = i > 0 ? MARKER.exec(lines[i - 1]!.trim()) : null;
      const kind = (marker?.[1] ?? 'module') as ExampleKind;
      if (!EXAMPLE_KINDS.includes(kind)) throw new Error(`${doc}:${i}: unknown example kind "${kind}"`);
      const example: DocExample = { doc, line: i + 1, kind, code };
      if (kind === 'nocompile') example.reason = marker?.[2] ?? '';
      if (kind === 'excerpt') example.source = marker?.[2] ?? '';
      const path = /^\/\/ ([\w./-]+\.ts)$/.exec(code.split('\n')[0] ?? '');
      if (kind === 'module' && path) example.path = path[1]!;
      examples.push(example);
    }
    i = end;
  }
  return examples;
}

/** The user documentation: README.md and docs/*.md, except the generated rule catalogue. */
export function userDocs(repo: string): string[] {
  const docs = readdirSync(join(repo, 'docs'))
    .filter((name) => name.endsWith('.md') && name !== 'rules.md')
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export function allDocExamples(repo: string): DocExample[] {
  return userDocs(repo).flatMap((doc) => extractExamples(doc, readFileSync(join(repo, doc), 'utf8')));
}
