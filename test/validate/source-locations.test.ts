/**
 * Errors point at the line the author wrote (issue #13.2): real pipeline and config files in
 * temporary projects, compiled with `compileProject` (and once through the CLI).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { formatDiagnostic, type Diagnostic } from '../../src/diagnostics.ts';
import { suggestRuleId } from '../../src/policy/config.ts';
import { positionOf } from '../load/project.ts';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';

const FILE = 'pipelines/m19.pipeline.ts';

/** One ECS environment, written out in the pipeline file. */
const ENVIRONMENTS = `[
      {
        name: 'dev',
        awsAccountId: '111111111111',
        region: 'eu-west-1',
        deployRole: 'ecs-deployer-dev',
        agentLabel: 'deploy-dev',
        target: { kind: 'ecs', cluster: 'dev', service: 'm19', container: 'app', taskDefinition: 'deploy/taskdef.dev.json' },
      },
    ]`;

/** A preset pipeline whose registry region has the typo `eu-west1`. */
const presetPipeline = (preset: 'reactApp' | 'nodeService') => `import { definePipeline, ${preset} } from 'pipewright';

export default definePipeline(
  ${preset}({
    name: 'm19',
    registry: {
      accountId: '999999999999',
      region: 'eu-west1',
      pushRole: 'ecr-pusher',
    },
    sonar: { installation: 'sonarqube-prod' },
    signing: { key: 'awskms:///alias/ci-cosign' },
    environments: ${ENVIRONMENTS},
  }),
);
`;

let project: TempProject | undefined;
afterEach(() => {
  project?.remove();
  project = undefined;
});

async function compile(files: Record<string, string>): Promise<{ run: Diagnostic[]; pipeline: Diagnostic[] }> {
  project = createTempProject(files);
  const result = await compileProject({ root: project.root, resultCache: false });
  return { run: result.diagnostics, pipeline: result.pipelines.flatMap((p) => p.diagnostics) };
}

const at = (text: string, needle: string, file = FILE) => ({ file, ...positionOf(text, needle) });

describe('a typo inside a preset call', () => {
  test.each(['reactApp', 'nodeService'] as const)('%s({ registry: { region } }) is reported once, at the region the author wrote', async (preset) => {
    const text = presetPipeline(preset);
    const { pipeline } = await compile({ [FILE]: text });
    expect(pipeline).toHaveLength(1);
    const [d] = pipeline;
    expect(d).toMatchObject({
      code: 'PW2005',
      location: { ...at(text, "'eu-west1'"), endColumn: at(text, "'eu-west1'").column + "'eu-west1'".length },
      sourcePath: `${preset}({ registry.region })`,
      found: "string 'eu-west1'",
    });
    // The model paths the preset copied the option to are kept as secondary information.
    const modelPaths = [d!.path, ...(d!.otherPaths ?? [])].map((p) => p!.join('.'));
    expect(modelPaths).toContain('stages.2.stages.2.steps.0.aws.region');
    expect(modelPaths).toContain('stages.2.stages.2.steps.0.registry.region');
    const line = formatDiagnostic(d!);
    expect(line).toMatch(new RegExp(`^${FILE}:8:15 - error PW2005 at ${preset}\\(\\{ registry\\.region \\}\\): `));
    expect(line).toContain('; in the model at stages[2].stages[2].steps[0]');
  });

  test('a typo in an environment the preset copies into the model and into the deploy step: once, at the environment', async () => {
    const text = presetPipeline('nodeService')
      .replace("region: 'eu-west1'", "region: 'eu-west-1'")
      .replace("region: 'eu-west-1',\n        deployRole", "region: 'eu-west1',\n        deployRole");
    const { pipeline } = await compile({ [FILE]: text });
    expect(pipeline).toHaveLength(1);
    expect(pipeline[0]).toMatchObject({
      code: 'PW2005',
      location: at(text, "'eu-west1'"),
      sourcePath: 'nodeService({ environments[0].region })',
      // The path the author wrote comes first; the deploy step's copy is another place.
      path: ['environments', 0, 'region'],
    });
    expect(pipeline[0]!.otherPaths?.length).toBeGreaterThanOrEqual(1);
  });

  test('through the CLI: one line, at the option', async () => {
    const text = presetPipeline('reactApp');
    project = createTempProject({ [FILE]: text });
    const { code, stdout, stderr } = await runCli(['compile'], project.root);
    expect(code).not.toBe(0);
    const lines = `${stdout}${stderr}`.split('\n').filter((l) => l.includes('PW2005'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${FILE}:8:15 - error PW2005 at reactApp({ registry.region })`);
    // lint: once, at the option, the model path second.
    const lint = await runCli(['lint'], project.root);
    const lintLines = lint.stdout.split('\n').filter((l) => l.includes('PW2005'));
    expect(lintLines).toHaveLength(1);
    expect(lintLines[0]).toMatch(/^\s+8:15\s+error\s+PW2005 .*\(reactApp\(\{ registry\.region \}\); model stages\[2\]/);
  });
});

describe('an option key the preset does not read', () => {
  test('a misspelt key is an error at the key, with the option path and a did-you-mean; nothing is written', async () => {
    const text = presetPipeline('reactApp')
      .replace("region: 'eu-west1'", "regoin: 'eu-west-1'")
      .replace("    sonar: {", "    snykOrgg: 'fintech',\n    overrides: { lnt: false },\n    sonar: {");
    const { pipeline } = await compile({ [FILE]: text });
    const unknown = pipeline.filter((d) => d.code === 'PW2002');
    expect(unknown.map((d) => [d.sourcePath, d.location!.line, d.location!.column, d.message])).toEqual([
      ['reactApp({ registry.regoin })', at(text, 'regoin').line, at(text, 'regoin').column, 'unknown option `regoin`: the preset does not read it - did you mean `region`?'],
      ['reactApp({ snykOrgg })', at(text, 'snykOrgg').line, at(text, 'snykOrgg').column, 'unknown option `snykOrgg`: the preset does not read it - did you mean `snykOrg`?'],
      ['reactApp({ overrides.lnt })', at(text, 'lnt').line, at(text, 'lnt').column, 'unknown option `lnt`: the preset does not read it - did you mean `lint`?'],
    ]);
    const compiled = await compileProject({ root: project!.root, resultCache: false });
    expect(compiled.pipelines[0]!.jenkinsfile).toBeUndefined();
  });

  test('keys from same-file consts are checked, imported ones and the correct spelling are not reported', async () => {
    const text = `import { definePipeline, nodeService as service } from 'pipewright';
import { org } from './shared/org.ts';

const settings = { snykOrg: 'fintech', toolVersion: { trivy: '0.58.1' } };

export default definePipeline(
  service({
    ...org,
    ...settings,
    name: 'm19',
    registry: { accountId: '999999999999', region: 'eu-west-1', pushRole: 'ecr-pusher' },
    sonar: { installation: 'sonarqube-prod' },
    signing: { key: 'awskms:///alias/ci-cosign' },
    environments: ${ENVIRONMENTS},
  }),
);
`;
    const { pipeline } = await compile({ [FILE]: text, 'pipelines/shared/org.ts': `export const org = { buildAgnt: 'linux' } as Record<string, string>;\n` });
    expect(pipeline.filter((d) => d.code === 'PW2002')).toMatchObject([
      { sourcePath: 'service({ toolVersion })', location: at(text, 'toolVersion'), message: expect.stringContaining('did you mean `toolVersions`?') },
    ]);
  });
});

describe('nested steps', () => {
  const nested = `import { definePipeline, sh, withCredentials, bind } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  options: { timeout: { time: 10 }, buildDiscarder: { numToKeep: 10 } },
  stages: [
    {
      name: 'Publish',
      steps: [
        withCredentials([bind.string('npm-token', 'NPM_TOKEN')], [
          sh('npm ci'),
          sh('echo "token is $NPM_TOKEN"'),
        ]),
      ],
    },
  ],
});
`;

  test('a policy finding on an sh inside withCredentials is at the sh, not at withCredentials', async () => {
    const { pipeline } = await compile({ [FILE]: nested });
    const finding = pipeline.find((d) => d.path?.join('.') === 'stages.0.steps.0.steps.1.script');
    expect(finding, JSON.stringify(pipeline)).toBeDefined();
    expect(finding!.location).toMatchObject(at(nested, `'echo "token is $NPM_TOKEN"'`));
  });

  test('a schema error in a nested sh option is at the option', async () => {
    const text = nested.replace("sh('npm ci')", "sh('npm ci', { returnStatus: 'yes' as never })");
    const { pipeline } = await compile({ [FILE]: text });
    expect(pipeline).toHaveLength(1);
    expect(pipeline[0]).toMatchObject({ code: 'PW2001', path: ['stages', 0, 'steps', 0, 'steps', 0, 'returnStatus'], location: at(text, "'yes'") });
  });
});

describe('configuration errors', () => {
  const pipeline = `import { definePipeline, sh } from 'pipewright';
export default definePipeline({ agent: 'any', stages: [{ name: 'A', steps: [sh('true')] }] });
`;

  test('an unknown id in mandatory is reported at the element, with a did-you-mean', async () => {
    const config = `import { defineConfig } from 'pipewright';

export default defineConfig({
  policy: {
    mandatory: [
      'FLOW-001',
      'SCAN-0001',
    ],
  },
});
`;
    const { run } = await compile({ [FILE]: pipeline, 'pipewright.config.ts': config });
    const d = run.find((x) => x.code === 'PW2101');
    expect(d).toMatchObject({
      path: ['policy', 'mandatory', 1],
      location: at(config, "'SCAN-0001'", 'pipewright.config.ts'),
    });
    expect(d!.message).toContain('SCAN-0001');
    expect(d!.message).toContain('did you mean SCAN-001?');
  });

  test('a rule id in the wrong case: did-you-mean, and a bad rules key is reported as the key', async () => {
    const config = `import { defineConfig } from 'pipewright';

export default defineConfig({
  policy: {
    mandatory: ['scan-001'],
    rules: { 'flow-001': 'off' },
  },
});
`;
    const { run } = await compile({ [FILE]: pipeline, 'pipewright.config.ts': config });
    expect(run.find((d) => d.path?.join('.') === 'policy.mandatory.0')).toMatchObject({
      code: 'PW2100',
      message: 'invalid configuration: expected a rule id such as SCAN-001 - did you mean SCAN-001?',
      found: "string 'scan-001'",
      location: at(config, "'scan-001'", 'pipewright.config.ts'),
    });
    expect(run.find((d) => d.path?.join('.') === 'policy.rules.flow-001')).toMatchObject({
      code: 'PW2100',
      message: 'invalid configuration: expected a rule id such as SCAN-001 - did you mean FLOW-001?',
      found: "string 'flow-001'",
    });
  });

  test('a bad rule severity says what is allowed and what was found, at the value', async () => {
    const config = `import { defineConfig } from 'pipewright';

export default defineConfig({
  policy: {
    rules: { 'ART-003': 'fatal', 'BASE-001': { severity: 'warn' } },
  },
});
`;
    const { run } = await compile({ [FILE]: pipeline, 'pipewright.config.ts': config });
    const byPath = (path: string) => run.find((d) => d.code === 'PW2100' && d.path?.join('.') === path);
    expect(byPath('policy.rules.ART-003')).toMatchObject({
      message: "invalid configuration: `ART-003` must be 'error', 'warning', 'info', 'off' or an object",
      expected: "'error' | 'warning' | 'info' | 'off' | object",
      found: "string 'fatal'",
      location: at(config, "'fatal'", 'pipewright.config.ts'),
    });
    expect(byPath('policy.rules.BASE-001.severity')).toMatchObject({
      message: "invalid configuration: `severity` must be 'error', 'warning', 'info' or 'off' - did you mean 'warning'?",
      found: "string 'warn'",
      location: at(config, "'warn'", 'pipewright.config.ts'),
    });
  });
});

test('an unknown step kind: one concise message with a did-you-mean, the kinds listed once', async () => {
  const text = `import { definePipeline, sh } from 'pipewright';
export default definePipeline({
  agent: 'any',
  stages: [{ name: 'A', steps: [sh('true'), { step: 'npmrun', script: 'test' } as never] }],
});
`;
  const { pipeline } = await compile({ [FILE]: text });
  expect(pipeline).toHaveLength(1);
  const [d] = pipeline;
  expect(d).toMatchObject({ code: 'PW2003', message: "unknown `step` 'npmrun' - did you mean 'npmRun'?", location: at(text, "'npmrun'") });
  const line = formatDiagnostic(d!);
  expect(line.split("'withCredentials'")).toHaveLength(2);
});

test('rule id suggestions: other case, the same number written differently, a slip in the pack; never a guessed number', () => {
  const known = ['SCAN-001', 'SCAN-009', 'FLOW-001', 'IAM-002'];
  expect(suggestRuleId('scan-001', known)).toBe('SCAN-001');
  expect(suggestRuleId('SCAN-0001', known)).toBe('SCAN-001');
  expect(suggestRuleId('SCAN-1', known)).toBe('SCAN-001');
  expect(suggestRuleId('SACN-009', known)).toBe('SCAN-009');
  expect(suggestRuleId('SCAN-999', known)).toBeUndefined();
  expect(suggestRuleId('NOPE-1', known)).toBeUndefined();
});
