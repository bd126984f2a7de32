/**
 * Docs that are true because the suite runs them (issue #13.4): every ```ts example of README.md
 * and docs/*.md is type-checked against the package's types and, when it is (or wraps into) a
 * pipeline, compiled by pipewright without compiler errors. Policy findings are allowed: fragments
 * are shown out of context, wrapped into a minimal pipeline. See test/docs/examples.ts for how a
 * block says what it is.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pipewright from '../../src/index.ts';
import { compileProject, type CompileRun } from '../../src/index.ts';
import { allDocExamples, type DocExample } from './examples.ts';

const repo = join(import.meta.dirname, '..', '..');
const examples = allDocExamples(repo);

/**
 * Blocks deliberately not compiled, with the reason the test accepts. Each must also carry the
 * reason in its `<!-- example: nocompile ... -->` marker, for readers of the Markdown source.
 */
const ACCEPTED_NOCOMPILE: Record<string, string> = {};

interface Generated {
  example: DocExample;
  /** Project-relative file the example was written to. */
  file: string;
  /** Lines the wrapper adds before the example's first line. */
  offset: number;
}

/** Where the context module sits in the example project: where it sits in the repository, so its imports resolve in both. */
const CONTEXT_MODULE = 'test/docs/doc-context.ts';

const PIPEWRIGHT_VALUES = Object.keys(pipewright);
const CONTEXT_VALUES = [
  ...readFileSync(join(import.meta.dirname, 'doc-context.ts'), 'utf8').matchAll(/^export (?:const|function) (\w+)/gm),
].map((m) => m[1]!);
CONTEXT_VALUES.push('accounts', 'ecsEnvironments', 'notifyTo', 'org');

const slug = (example: DocExample) => `doc-${example.doc.replace(/^docs\//, '').replace(/\.md$/, '').toLowerCase()}-${example.line}`;

/** `import` lines for the pipewright and context names a fragment (plus its wrapper) uses. */
function importsFor(code: string, file: string): string[] {
  const used = (name: string) => new RegExp(`(?<![\\w$'"])${name.replace(/\$/g, '\\$')}\\b`).test(code);
  const context = CONTEXT_VALUES.filter(used);
  const values = PIPEWRIGHT_VALUES.filter((name) => used(name) && !context.includes(name));
  const fromFile = relative(dirname(file), CONTEXT_MODULE);
  return [
    `import { ${values.join(', ')} } from 'pipewright';`,
    ...(context.length > 0 ? [`import { ${context.join(', ')} } from '${fromFile.startsWith('.') ? fromFile : `./${fromFile}`}';`] : []),
  ];
}

/** Wrapper text around a fragment (`{}` stands for the fragment), by kind. */
const WRAPPERS: Record<Exclude<DocExample['kind'], 'module' | 'nocompile' | 'excerpt'>, string> = {
  step: "definePipeline({ name: '$NAME', agent: 'any', stages: [{ name: 'Example', steps: [\n{}\n] }] })",
  stage: "definePipeline({ name: '$NAME', agent: 'any', stages: [\n{}\n] })",
  pipeline: "definePipeline({ ...(\n{}\n), name: '$NAME' })",
  environment: "definePipeline({ ...nodeService({ ...org, name: 'payments-api', environments: [\n{}\n] }), name: '$NAME' })",
  'environment-fields':
    "definePipeline({ ...nodeService({ ...org, name: 'payments-api', environments: [{ ...exampleEnvironment,\n{}\n}] }), name: '$NAME' })",
  'node-service-fields': "definePipeline({ ...nodeService({ ...org, name: 'payments-api', environments,\n{}\n}), name: '$NAME' })",
  'node-service-overrides':
    "definePipeline({ ...nodeService({ ...org, name: 'payments-api', environments, overrides: {\n{}\n} }), name: '$NAME' })",
};

/** A fragment's code as the wrapper embeds it: an expression, so without a statement's `;`. */
const fragmentCode = (example: DocExample) => example.code.replace(/;\s*$/, '');

function generate(example: DocExample): Generated | undefined {
  if (example.kind === 'nocompile') return undefined;
  if (example.kind === 'excerpt') {
    // The whole module the excerpt comes from is compiled; the excerpt is compared with it below.
    return { example, file: `pipelines/${slug(example)}.pipeline.ts`, offset: 0 };
  }
  if (example.kind === 'module') {
    const isPipeline = /export default definePipeline\(/.test(example.code);
    const isConfig = /export default defineConfig\(/.test(example.code);
    const file =
      example.path ??
      (isConfig ? 'pipewright.config.ts' : isPipeline ? `pipelines/${slug(example)}.pipeline.ts` : `examples/${slug(example)}.ts`);
    return { example, file, offset: 0 };
  }
  const file = `pipelines/${slug(example)}.pipeline.ts`;
  const [before, after] = WRAPPERS[example.kind].replace('$NAME', slug(example)).split('{}') as [string, string];
  const imports = importsFor(`${before}${fragmentCode(example)}${after}`, file);
  const head = `${imports.join('\n')}\n\nexport default ${before}`;
  return { example, file, offset: head.split('\n').length };
}

function wrappedText(generated: Generated): string {
  const { example } = generated;
  if (example.kind === 'excerpt') return readFileSync(join(repo, example.source!), 'utf8');
  if (example.kind === 'module' || example.kind === 'nocompile') return `${example.code}\n`;
  const [before, after] = WRAPPERS[example.kind].replace('$NAME', slug(example)).split('{}') as [string, string];
  const imports = importsFor(`${before}${fragmentCode(example)}${after}`, generated.file);
  return `${imports.join('\n')}\n\nexport default ${before}\n${fragmentCode(example)}\n${after};\n`;
}

const where = (g: Generated, line: number) => `${g.example.doc}:${g.example.line + Math.max(1, line - g.offset)}`;

let project: string;
let generated: Generated[];

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'pipewright-docs-'));
  symlinkSync(join(repo, 'node_modules'), join(project, 'node_modules'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'docs-examples', private: true, type: 'module' }));
  // The organisation module the cookbook builds on: this repository's example, copied.
  cpSync(join(repo, 'pipelines', 'shared'), join(project, 'pipelines', 'shared'), { recursive: true });
  mkdirSync(join(project, dirname(CONTEXT_MODULE)), { recursive: true });
  cpSync(join(import.meta.dirname, 'doc-context.ts'), join(project, CONTEXT_MODULE));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ extends: join(repo, 'tsconfig.json'), include: ['**/*.ts'], exclude: ['node_modules'] }),
  );
  generated = examples.map(generate).filter((g): g is Generated => g !== undefined);
  const files = new Map<string, Generated>();
  for (const g of generated) {
    const clash = files.get(g.file);
    if (clash) throw new Error(`${g.example.doc}:${g.example.line} and ${clash.example.doc}:${clash.example.line} both write ${g.file}`);
    files.set(g.file, g);
    mkdirSync(join(project, dirname(g.file)), { recursive: true });
    writeFileSync(join(project, g.file), wrappedText(g));
    // An imported module's catalog-typed calls import the generated jenkins-steps.ts beside it.
    const typedSteps = g.example.kind === 'excerpt' ? join(repo, dirname(g.example.source!), 'jenkins-steps.ts') : undefined;
    if (typedSteps && existsSync(typedSteps)) cpSync(typedSteps, join(project, dirname(g.file), 'jenkins-steps.ts'));
  }
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('documentation examples', () => {
  it('finds the examples, and few are exempt, each for a stated reason', () => {
    expect(examples.length).toBeGreaterThan(20);
    const exempt = examples.filter((e) => e.kind === 'nocompile');
    for (const e of exempt) {
      expect(e.reason, `${e.doc}:${e.line} says why it is not compiled`).not.toBe('');
      expect(ACCEPTED_NOCOMPILE[e.doc], `${e.doc}:${e.line}: ${e.reason}`).toBeDefined();
      expect(e.reason).toContain(ACCEPTED_NOCOMPILE[e.doc]!);
    }
    expect(exempt.length).toBeLessThanOrEqual(Object.keys(ACCEPTED_NOCOMPILE).length);
  });

  it('excerpts are lines of the module they name, in order', () => {
    const problems: string[] = [];
    for (const e of examples.filter((e) => e.kind === 'excerpt')) {
      const source = readFileSync(join(repo, e.source!), 'utf8').split('\n');
      let at = 0;
      e.code.split('\n').forEach((line, index) => {
        if (line.trim() === '...' || line.trim() === '') return;
        const found = source.indexOf(line, at);
        if (found < 0) problems.push(`${e.doc}:${e.line + 1 + index}: not a line of ${e.source} (after line ${at}): ${line}`);
        else at = found + 1;
      });
    }
    expect(problems).toEqual([]);
  });

  it('type-check against the package types', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(project, 'tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    })!;
    const program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, noEmit: true } });
    const problems: string[] = [];
    for (const g of generated) {
      const source = program.getSourceFile(join(project, g.file));
      if (!source) {
        problems.push(`${g.example.doc}:${g.example.line}: not in the program`);
        continue;
      }
      for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
        const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
        problems.push(`${where(g, line)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  describe('compile with pipewright', () => {
    let run: CompileRun;
    beforeAll(async () => {
      run = await compileProject({ root: project, resultCache: false });
    }, 120_000);

    it('loads the configuration example without errors', () => {
      expect(run.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });

    it('every pipeline example (whole module or wrapped fragment) compiles: no schema, structure or load errors', () => {
      const byFile = new Map(run.pipelines.map((p) => [p.source, p]));
      const problems: string[] = [];
      for (const g of generated.filter((g) => g.file.endsWith('.pipeline.ts'))) {
        const compiled = byFile.get(g.file);
        if (!compiled) {
          problems.push(`${g.example.doc}:${g.example.line}: not compiled`);
          continue;
        }
        // Policy findings carry the rule id as their code; compiler diagnostics are PWnnnn.
        for (const d of compiled.diagnostics.filter((d) => d.severity === 'error' && /^PW\d+$/.test(d.code))) {
          problems.push(`${where(g, d.location?.line ?? 0)}: ${d.code} ${d.message}`);
        }
      }
      expect(problems).toEqual([]);
    });
  });
});
