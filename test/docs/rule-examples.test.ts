/**
 * Every rule's violation and fix, as `pipewright explain` and docs/rules.md show them (the rule's
 * `meta.example`), compiled (issue #13.4): each snippet is placed where its kind says in a small
 * pipeline (names such as `build`, `prodAws` or `deployProd` come from test/docs/rule-context.ts),
 * type-checked, and compiled and linted by pipewright. The violation must produce a finding of its
 * rule; the fix must compile without compiler errors and produce none.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pipewright from '../../src/index.ts';
import { allRuleMeta, compileProject, type CompileRun, type RuleMeta } from '../../src/index.ts';

const repo = join(import.meta.dirname, '..', '..');

/**
 * Where a snippet goes: `fields` = properties of the pipeline (they override the base pipeline's);
 * `stages` = entries of the stage list after `build`; `steps` = steps of a stage; `stage-fields` =
 * properties of a stage; `pipeline` = an expression that is a whole pipeline; `trivyignore` = a
 * `.trivyignore` file (first line `.trivyignore:`) that a Trivy scan uses; `rule` = the body of a
 * custom rule (compiled in a project of its own, where it is the only custom rule); `taskdef` = an
 * ECS task-definition template (first line `<path>:`, then the JSON) that a prod `ecsDeploy` renders from.
 */
type Kind = 'fields' | 'stages' | 'steps' | 'stage-fields' | 'pipeline' | 'trivyignore' | 'taskdef' | 'rule';

/** [violation kind, fix kind] per rule. */
const KINDS: Record<string, [Kind, Kind]> = {
  'SUPP-001': ['fields', 'fields'],
  'SUPP-002': ['stages', 'stages'],
  'SUPP-003': ['fields', 'fields'],
  'SUPP-004': ['fields', 'fields'],
  'SUPP-005': ['fields', 'fields'],
  'POLICY-001': ['rule', 'rule'],
  'BASE-001': ['pipeline', 'pipeline'],
  'BASE-002': ['fields', 'fields'],
  'BASE-003': ['fields', 'fields'],
  'BASE-004': ['stages', 'stages'],
  'BASE-005': ['fields', 'fields'],
  'BASE-006': ['stage-fields', 'stage-fields'],
  'BASE-007': ['steps', 'steps'],
  'BASE-008': ['fields', 'fields'],
  'FLOW-001': ['fields', 'fields'],
  'FLOW-002': ['stage-fields', 'stage-fields'],
  'FLOW-003': ['stages', 'stages'],
  'FLOW-004': ['stages', 'stages'],
  'FLOW-005': ['stages', 'stages'],
  'FLOW-006': ['fields', 'fields'],
  'FLOW-007': ['stage-fields', 'stage-fields'],
  'IAM-001': ['fields', 'steps'],
  'IAM-002': ['steps', 'steps'],
  'IAM-003': ['steps', 'steps'],
  'IAM-004': ['stages', 'stages'],
  'IAM-005': ['stages', 'stages'],
  'IAM-006': ['steps', 'steps'],
  'IAM-007': ['steps', 'steps'],
  'SECRET-001': ['fields', 'steps'],
  'SECRET-002': ['pipeline', 'steps'],
  'SECRET-003': ['steps', 'steps'],
  'SECRET-004': ['steps', 'steps'],
  'SECRET-005': ['taskdef', 'taskdef'],
  'SCAN-001': ['stage-fields', 'fields'],
  'SCAN-002': ['steps', 'steps'],
  'SCAN-003': ['steps', 'steps'],
  'SCAN-004': ['trivyignore', 'trivyignore'],
  'SCAN-005': ['steps', 'steps'],
  'SCAN-006': ['steps', 'steps'],
  'SCAN-007': ['stages', 'stages'],
  'SCAN-008': ['steps', 'steps'],
  'ART-001': ['steps', 'steps'],
  'ART-002': ['steps', 'steps'],
  'ART-003': ['fields', 'fields'],
  'ART-004': ['stage-fields', 'stage-fields'],
  'ART-005': ['steps', 'steps'],
  'ART-006': ['steps', 'steps'],
  'DEPLOY-001': ['steps', 'steps'],
  'DEPLOY-002': ['steps', 'steps'],
  'DEPLOY-003': ['pipeline', 'pipeline'],
  'DEPLOY-004': ['steps', 'steps'],
  'DEPLOY-005': ['taskdef', 'taskdef'],
  'OBS-001': ['taskdef', 'taskdef'],
  'COST-001': ['steps', 'steps'],
  'DEPLOY-006': ['stages', 'stages'],
  'DEPLOY-007': ['stages', 'stages'],
  'AUDIT-001': ['stages', 'stages'],
  'AUDIT-002': ['fields', 'fields'],
  'PIPE-001': ['steps', 'steps'],
  'PIPE-002': ['steps', 'steps'],
  'PIPE-004': ['steps', 'steps'],
  'PIPE-003': ['stage-fields', 'stage-fields'],
  'NOTIFY-001': ['fields', 'fields'],
};

/**
 * Examples known not to compile or not to show their rule yet, with what is wrong. Each is run
 * as a test that must fail (`it.fails`): once the example is fixed, that test fails and the entry
 * has to go. Rule examples live in src/policy/** (helper A's area).
 */
const KNOWN_WRONG: Record<string, string> = {
  // The finding needs the role's attached policy in policy.rules['IAM-007'].options and the generated
  // policy files on disk; this harness has neither (test/policy/iam-rules.test.ts covers the rule).
  'IAM-007 violation': 'needs rule options (attachedPolicies) and generated/<name>/iam files',
};

const PIPEWRIGHT_VALUES = Object.keys(pipewright);
const CONTEXT_VALUES = [
  ...readFileSync(join(import.meta.dirname, 'rule-context.ts'), 'utf8').matchAll(/^export const (\w+)/gm),
].map((m) => m[1]!);

// Snippet properties follow the base's spread, so they replace the base's.
const WRAP: Record<Exclude<Kind, 'rule'>, string> = {
  fields: "definePipeline({ ...{ name: '$NAME', agent: buildAgent, environments, stages: [build] },\n{}\n})",
  stages: "definePipeline({ name: '$NAME', agent: buildAgent, environments, stages: [build,\n{}\n] })",
  steps: "definePipeline({ name: '$NAME', agent: buildAgent, environments, stages: [build, { name: 'Example', steps: [\n{}\n] }] })",
  'stage-fields': "definePipeline({ name: '$NAME', agent: buildAgent, environments, stages: [build, { ...{ name: 'Example', steps: [sh('make')] },\n{}\n}] })",
  pipeline: "definePipeline({ ...(\n{}\n), name: '$NAME' })",
  trivyignore:
    "definePipeline({ name: '$NAME', agent: buildAgent, environments, stages: [build, { name: 'Example', steps: [trivyScan('fs', { version: '0.58.1', ignoreFile: '$NAME.trivyignore' })] }] })",
  taskdef:
    "definePipeline({ name: '$NAME', agent: buildAgent, environments, stages: [build, { name: 'Example', steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService, taskDefinition: '$NAME.taskdef.json' })] }] })",
};

interface Case {
  meta: RuleMeta;
  which: 'violation' | 'fix';
  kind: Kind;
  snippet: string;
  name: string;
  file: string;
}

function moduleText(c: Case): string {
  if (c.kind === 'rule') {
    return [
      "import { defineRule } from 'pipewright';",
      '',
      'export default defineRule({',
      `  meta: { id: 'DOC-${c.which === 'violation' ? 1 : 2}', title: 'example', pack: 'docs', severity: 'error', rationale: 'example', standards: [], example: { bad: '', good: '' } },`,
      `  ${c.snippet},`,
      '});',
      '',
    ].join('\n');
  }
  const body = c.kind === 'trivyignore' || c.kind === 'taskdef' ? '' : c.snippet;
  const wrapped = WRAP[c.kind].replaceAll('$NAME', c.name).replace('{}', body);
  const used = (name: string) => new RegExp(`(?<![\\w$'"])${name}\\b`).test(wrapped);
  const context = CONTEXT_VALUES.filter(used);
  const values = PIPEWRIGHT_VALUES.filter((name) => used(name) && !context.includes(name));
  return [
    `import { ${values.join(', ')} } from 'pipewright';`,
    ...(context.length > 0 ? [`import { ${context.join(', ')} } from '../rule-context.ts';`] : []),
    '',
    `export default ${wrapped};`,
    '',
  ].join('\n');
}

const cases: Case[] = allRuleMeta().flatMap((meta) =>
  (['violation', 'fix'] as const).map((which) => {
    const kind = KINDS[meta.id]?.[which === 'violation' ? 0 : 1] ?? 'fields';
    const name = `rule-${meta.id.toLowerCase()}-${which}`;
    const snippet = which === 'violation' ? meta.example.bad : meta.example.good;
    const file = kind === 'rule' ? `${name}/rules/example.ts` : `pipelines/${name}.pipeline.ts`;
    return { meta, which, kind, snippet, name, file };
  }),
);

let work: string;
/** The main project (every case but `rule` ones), and one project per `rule` case. */
const runs = new Map<string, CompileRun>();
let typeErrors: Map<string, string[]>;

function project(root: string): void {
  mkdirSync(root, { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'rule-examples', private: true, type: 'module' }));
  cpSync(join(import.meta.dirname, 'rule-context.ts'), join(root, 'rule-context.ts'));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pipewright-rule-examples-'));
  const main = join(work, 'main');
  project(main);
  // SUPP-003 needs a mandatory rule; SUPP-005 the suppression policy.
  writeFileSync(
    join(main, 'pipewright.config.ts'),
    "import { defineConfig } from 'pipewright';\n\nexport default defineConfig({ policy: { mandatory: ['FLOW-001'], suppressions: { requireTicket: true, requireExpiry: true } } });\n",
  );
  const files: string[] = [];
  for (const c of cases) {
    const root = c.kind === 'rule' ? join(work, c.name) : main;
    if (c.kind === 'rule') {
      project(root);
      writeFileSync(
        join(root, 'pipewright.config.ts'),
        "import { defineConfig } from 'pipewright';\nimport example from './rules/example.ts';\n\nexport default defineConfig({ policy: { customRules: [example] } });\n",
      );
      mkdirSync(join(root, 'pipelines'), { recursive: true });
      writeFileSync(join(root, 'pipelines', 'p.pipeline.ts'), "import { definePipeline, sh } from 'pipewright';\n\nexport default definePipeline({ agent: 'any', stages: [{ name: 'A', steps: [sh('make')] }] });\n");
    }
    const file = join(root, c.kind === 'rule' ? 'rules/example.ts' : c.file);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, moduleText(c));
    files.push(file);
    if (c.kind === 'trivyignore') writeFileSync(join(main, `${c.name}.trivyignore`), `${c.snippet.replace(/^\.trivyignore:\n/, '')}\n`);
    if (c.kind === 'taskdef') writeFileSync(join(main, `${c.name}.taskdef.json`), `${c.snippet.replace(/^[^\n]*:\n/, '')}\n`);
  }
  // Type-check every example module in one program.
  const program = ts.createProgram({
    rootNames: files,
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      types: ['node'],
      typeRoots: [join(repo, 'node_modules', '@types')],
      paths: { pipewright: [join(repo, 'src', 'index.ts')] },
    },
  });
  typeErrors = new Map(
    files.map((file) => {
      const source = program.getSourceFile(file)!;
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      return [file, diagnostics.map((d) => `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)];
    }),
  );
  runs.set('main', await compileProject({ root: main, resultCache: false }));
  for (const c of cases.filter((c) => c.kind === 'rule')) runs.set(c.name, await compileProject({ root: join(work, c.name), resultCache: false }));
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What is wrong with a case: type errors, compiler errors, and its rule's findings (or their absence). */
function problems(c: Case): string[] {
  const found: string[] = [];
  const root = c.kind === 'rule' ? join(work, c.name) : join(work, 'main');
  found.push(...(typeErrors.get(join(root, c.kind === 'rule' ? 'rules/example.ts' : c.file)) ?? []));
  const run = runs.get(c.kind === 'rule' ? c.name : 'main')!;
  const compiled = run.pipelines.find((p) => p.source === (c.kind === 'rule' ? 'pipelines/p.pipeline.ts' : c.file));
  if (!compiled) return [...found, 'not compiled'];
  const diagnostics = [...run.diagnostics, ...compiled.diagnostics, ...(compiled.policy?.suppressed ?? []).map((s) => s.finding)];
  found.push(...diagnostics.filter((d) => d.severity === 'error' && /^PW\d+$/.test(d.code)).map((d) => `${d.code} ${d.message}`));
  // A custom rule's failure is reported as POLICY-001 for the rule that failed.
  const ofRule = diagnostics.filter((d) => d.code === c.meta.id);
  if (c.which === 'violation' && ofRule.length === 0) found.push(`no ${c.meta.id} finding`);
  if (c.which === 'fix' && ofRule.length > 0) found.push(...ofRule.map((d) => `${d.code} ${d.message}`));
  return found;
}

describe('rule examples (explain, docs/rules.md)', () => {
  it('every rule has a kind for its examples', () => {
    expect(allRuleMeta().map((m) => m.id).filter((id) => !(id in KINDS))).toEqual([]);
  });

  for (const c of cases) {
    const title = `${c.meta.id} ${c.which}: ${c.snippet.split('\n')[0]!.slice(0, 80)}`;
    const known = KNOWN_WRONG[`${c.meta.id} ${c.which}`];
    if (known) {
      it.fails(`${title} (known wrong: ${known})`, () => {
        expect(problems(c)).toEqual([]);
      });
    } else {
      it(title, () => {
        expect(problems(c)).toEqual([]);
      });
    }
  }
});
