/**
 * Catalog checks in compile (src/validate/catalog-checks.ts): real pipeline files in temporary
 * projects, compiled with `compileProject`; problems in Jenkins' wording at the TypeScript line;
 * the bundled catalog and a project catalog (pipewright.config.ts `catalog`); raw Groovy calls
 * as warnings; PIPE-004 and PIPE-002 reading the catalog.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { defaultCatalog } from '../../src/catalog/index.ts';
import { compileProject } from '../../src/compile.ts';
import type { Diagnostic } from '../../src/diagnostics.ts';
import { lowerPipeline } from '../../src/lower/index.ts';
import { CATALOG_CHECK_RULES, checkCatalog } from '../../src/validate/catalog-checks.ts';
import { validateSchema } from '../../src/validate/index.ts';
import { positionOf } from '../load/project.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';

const FILE = 'pipelines/app.pipeline.ts';

let project: TempProject | undefined;
afterEach(() => {
  project?.remove();
  project = undefined;
});

async function compile(files: Record<string, string>): Promise<Diagnostic[]> {
  project = createTempProject(files);
  const result = await compileProject({ root: project.root, resultCache: false });
  const diagnostics = [...result.diagnostics, ...result.pipelines.flatMap((p) => p.diagnostics)];
  // Nothing but the catalog checks and policy findings is wrong with these pipelines.
  expect(diagnostics.filter((d) => d.severity === 'error' && d.code.startsWith('PW') && !d.code.startsWith('PW31'))).toEqual([]);
  return diagnostics;
}

const pipeline = (steps: string, extra = '') => `import { definePipeline, sh, step } from 'pipewright';

export default definePipeline({
  agent: 'any',${extra}
  stages: [
    {
      name: 'Build',
      steps: [
${steps}
      ],
    },
  ],
});
`;

const at = (text: string, needle: string) => ({ file: FILE, ...positionOf(text, needle) });
const catalogProblems = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.code.startsWith('PW31'));

describe('generic step() calls against the bundled catalog', () => {
  test('an unknown parameter: did you mean, at the argument', async () => {
    const text = pipeline("        step('timeout', { time: 5, banana: 'MINUTES' }, [sh('make')]),");
    const [d, ...rest] = catalogProblems(await compile({ [FILE]: text }));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      code: 'PW3105',
      severity: 'error',
      message: 'Invalid parameter "banana", did you mean "unit"?',
      path: ['stages', 0, 'steps', 0, 'args', 'banana'],
      // The argument's value, where compile points for a property's problem.
      location: at(text, "'MINUTES'"),
    });
  });

  test('a missing required parameter, at the step', async () => {
    const text = pipeline("        step('timeout', { unit: 'MINUTES' }, [sh('make')]),");
    const problems = catalogProblems(await compile({ [FILE]: text }));
    expect(problems).toMatchObject([{ code: 'PW3106', severity: 'error', message: 'Missing required parameter: "time"', path: ['stages', 0, 'steps', 0] }]);
    expect(problems[0]!.location).toMatchObject({ file: FILE, line: at(text, "step('timeout'").line });
  });

  test('a literal of the wrong type', async () => {
    const text = pipeline("        step('timeout', { time: 'soon' }, [sh('make')]),");
    expect(catalogProblems(await compile({ [FILE]: text }))).toMatchObject([
      {
        code: 'PW3107',
        message: 'Expecting "int" for parameter "time" but got "soon" of type class java.lang.String instead',
        location: at(text, "'soon'"),
      },
    ]);
  });

  test('credential bindings inside withCredentials are checked as the describables the catalog lists', async () => {
    // A controller whose credentials-binding names the string binding's variable differently.
    const base = defaultCatalog();
    const catalog = {
      ...base,
      describables: base.describables.map((d) =>
        d.kind === 'credentialBinding' && d.symbol === 'string'
          ? { ...d, parameters: d.parameters.map((p) => (p.name === 'variable' ? { ...p, name: 'envVariable' } : p)) }
          : d,
      ),
    };
    const text = `import { definePipeline, sh, withCredentials, bind } from 'pipewright';

export default definePipeline({
  agent: 'any',
  stages: [{ name: 'Build', steps: [withCredentials([bind.string('token', 'TOKEN')], [sh('make')])] }],
});
`;
    const problems = catalogProblems(
      await compile({
        [FILE]: text,
        'catalog.json': JSON.stringify(catalog),
        'pipewright.config.ts': "import { defineConfig } from 'pipewright';\n\nexport default defineConfig({ catalog: 'catalog.json' });\n",
      }),
    );
    // Method-call arguments get no missing-parameter check, as in Jenkins' validateElement(ModelASTMethodCall).
    expect(problems).toMatchObject([{ code: 'PW3105', message: 'Invalid parameter "variable", did you mean "envVariable"?', path: ['stages', 0, 'steps', 0] }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.location).toMatchObject({ file: FILE, line: at(text, 'withCredentials([').line });
  });

  test('a step the catalog does not know is not a compile error (PIPE-004 reports it)', async () => {
    const text = pipeline("        step('httpRequest', { url: 'https://example.com', httpMode: 'POST' }),");
    const diagnostics = await compile({ [FILE]: text });
    expect(catalogProblems(diagnostics)).toEqual([]);
    expect(diagnostics.filter((d) => d.code === 'PIPE-004')).toMatchObject([
      {
        severity: 'warning',
        message: "step 'httpRequest' is not in the controller catalog 'pipewright default': no plugin it lists provides it",
        location: { file: FILE, line: at(text, "step('httpRequest'").line },
      },
    ]);
  });

  test('core steps are not PIPE-002 findings merely for being untyped', async () => {
    const text = pipeline("        step('deleteDir'),\n        step('cleanWs'),\n        step('slackSend', { channel: '#ci', message: 'hi' }),");
    const diagnostics = await compile({ [FILE]: text });
    expect(diagnostics.filter((d) => d.code === 'PIPE-002' || d.code === 'PIPE-004' || d.code.startsWith('PW31'))).toEqual([]);
  });

  test('a step called in a script body is checked too, as a warning at the script step', async () => {
    const text = pipeline("        { step: 'script', groovy: \"timeout(time: 5, banana: 'x') { sh 'make' }\" },");
    expect(catalogProblems(await compile({ [FILE]: text }))).toMatchObject([
      {
        code: 'PW3105',
        severity: 'warning',
        message: 'Invalid parameter "banana", did you mean "unit"? (in raw Groovy)',
        path: ['stages', 0, 'steps', 0],
      },
    ]);
  });
});

describe('describables against the catalog', () => {
  test('a stage option that is pipeline-only and an unknown trigger: Jenkins wording, warnings with the partial bundled catalog', async () => {
    const text = `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: 'any',
  triggers: { custom: [{ name: 'githubPush' }] },
  stages: [
    {
      name: 'Build',
      options: { custom: [{ name: 'skipStagesAfterUnstable' }] },
      steps: [sh('make')],
    },
  ],
});
`;
    const problems = catalogProblems(await compile({ [FILE]: text }));
    expect(problems.map((d) => d.severity)).toEqual(problems.map(() => 'warning'));
    expect(problems.map((d) => d.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Invalid trigger type "githubPush"\. Valid trigger types: \[cron, pollSCM, upstream\]$/),
        expect.stringMatching(/^Invalid option type "skipStagesAfterUnstable"\. Valid option types: \[.*timeout.*\]$/),
      ]),
    );
    expect(problems).toHaveLength(2);
    expect(problems.map((d) => d.code)).toEqual(['PW3103', 'PW3103']);
    for (const d of problems) expect(d.location?.file).toBe(FILE);
  });

  test('a complete project catalog (pipewright.config.ts catalog) makes unknown names errors and is what compile reads', async () => {
    const catalog = { ...defaultCatalog(), name: 'our controller', complete: true, describables: defaultCatalog().describables.filter((d) => !(d.kind === 'agent' && d.symbol === 'docker')) };
    const text = `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'docker', image: 'node:20' },
  stages: [{ name: 'Build', steps: [sh('make')] }],
});
`;
    const diagnostics = catalogProblems(
      await compile({
        [FILE]: text,
        'jenkins/catalog.json': JSON.stringify(catalog),
        'pipewright.config.ts': "import { defineConfig } from 'pipewright';\n\nexport default defineConfig({ catalog: 'jenkins/catalog.json' });\n",
      }),
    );
    expect(diagnostics).toMatchObject([{ code: 'PW3101', severity: 'error', message: expect.stringMatching(/^Invalid agent type "docker" specified\. Must be one of \[any, .*label.*\]$/) }]);
    expect(diagnostics[0]!.location).toMatchObject({ file: FILE, line: at(text, "type: 'docker'").line });
  });

  test('an unreadable project catalog is PW3100', async () => {
    project = createTempProject({
      [FILE]: pipeline("        sh('make'),"),
      'pipewright.config.ts': "import { defineConfig } from 'pipewright';\n\nexport default defineConfig({ catalog: 'missing.json' });\n",
    });
    const result = await compileProject({ root: project.root, resultCache: false });
    const diagnostics = result.pipelines.flatMap((p) => p.diagnostics);
    expect(diagnostics).toMatchObject([{ code: 'PW3100', severity: 'error', message: expect.stringContaining('missing.json') }]);
  });
});

describe('the repository', () => {
  test('company pipelines have no catalog problems; every check is documented', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const result = await compileProject({ root, resultCache: false });
    expect(result.pipelines.map((p) => p.name).sort()).toEqual(expect.arrayContaining(['ledger-service', 'notifications-worker', 'payments-api', 'web']));
    expect(result.pipelines.flatMap((p) => p.diagnostics).filter((d) => d.code.startsWith('PW31') || d.code === 'PIPE-004')).toEqual([]);
    expect(new Set(CATALOG_CHECK_RULES.map((r) => r.code)).size).toBe(CATALOG_CHECK_RULES.length);
    for (const rule of CATALOG_CHECK_RULES) expect(rule.code).toMatch(/^PW31\d\d$/);
  });

  test('checkCatalog on a lowered model: typed steps are checked like generic ones', () => {
    const { pipeline: model } = validateSchema({
      agent: 'any',
      stages: [{ name: 'A', steps: [{ step: 'timeout', time: 5, steps: [{ step: 'sh', script: 'make' }] }, { step: 'step', name: 'sleep', args: { tme: 3 } }] }],
    });
    const problems = checkCatalog(model!, lowerPipeline(model!), defaultCatalog());
    expect(problems).toEqual([
      { code: 'PW3105', severity: 'error', message: 'Invalid parameter "tme", did you mean "time"?', path: ['stages', 0, 'steps', 1, 'args', 'tme'] },
    ]);
  });
});
