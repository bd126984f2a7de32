/**
 * Every catalog rule of `validate` (PW5xxx: the rules whose answer depends on the controller's
 * catalog) and every compile-side catalog check (PW31xx), on small Jenkinsfiles and pipeline
 * models written for this test, against the bundled catalog (`defaultCatalog()`; marked complete
 * where the rule's severity depends on it). Each case asserts the code, the severity, Jenkins'
 * exact message (as JENKINSFILE_RULES / CATALOG_CHECK_RULES document it) and where it points.
 * Jenkins' own validator tests are a separate measurement (jenkins-validator.measure.ts), not run
 * here: their files are not committed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { defaultCatalog } from '../../src/catalog/index.ts';
import type { Catalog } from '../../src/catalog/schema.ts';
import { validateText } from '../../src/cli/validate.ts';
import { compileProject } from '../../src/compile.ts';
import type { Diagnostic } from '../../src/diagnostics.ts';
import { JENKINSFILE_RULES, type JenkinsfileRule } from '../../src/jenkinsfile/rules.ts';
import { CATALOG_CHECK_RULES } from '../../src/validate/catalog-checks.ts';
import { positionOf } from '../load/project.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';

const bundled = defaultCatalog();
const complete: Catalog = { ...bundled, complete: true };

/**
 * The bundled catalog with the docker agent's `args` required too: no agent type of the bundled
 * catalog has two required parameters, which is what the one-argument agent form is refused for.
 */
const dockerNeedsArgs: Catalog = {
  ...complete,
  describables: complete.describables.map((d) =>
    d.kind === 'agent' && d.symbol === 'docker' ? { ...d, parameters: d.parameters.map((p) => (p.name === 'args' ? { ...p, required: true } : p)) } : d,
  ),
};

interface JenkinsfileCase {
  /** What the file gets wrong. */
  title: string;
  code: string;
  severity: 'error' | 'warning';
  catalog: Catalog;
  text: string;
  message: string;
  /** Where the diagnostic points (1-based). */
  line: number;
  column: number;
  /** Other diagnostics the file also gets (structural rules reporting the same mistake). */
  alsoCodes?: string[];
}

const oneStage = (steps: string) => `  stages {\n    stage('Build') {\n      steps {\n        ${steps}\n      }\n    }\n  }`;
const jenkinsfile = (...sections: string[]) => `pipeline {\n${sections.join('\n')}\n}\n`;

const AGENT_TYPES = '[any, docker, dockerfile, kubernetes, label, node, none]';

const CASES: JenkinsfileCase[] = [
  {
    title: 'an agent type the catalog lacks, partial catalog: a warning',
    code: 'PW5125', severity: 'warning', catalog: bundled,
    text: jenkinsfile("  agent {\n    ecsTask { cpu 512 }\n  }", oneStage("sh 'make'")),
    message: `Invalid agent type "ecsTask" specified. Must be one of ${AGENT_TYPES}`, line: 3, column: 5,
  },
  {
    title: 'an agent type the catalog lacks, complete catalog: an error',
    code: 'PW5125', severity: 'error', catalog: complete,
    text: jenkinsfile("  agent {\n    ecsTask { cpu 512 }\n  }", oneStage("sh 'make'")),
    message: `Invalid agent type "ecsTask" specified. Must be one of ${AGENT_TYPES}`, line: 3, column: 5,
  },
  {
    title: 'an agent block with no type in it',
    code: 'PW5125', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent {\n  }', oneStage("sh 'make'")),
    message: `No agent type specified. Must be one of ${AGENT_TYPES}`, line: 2, column: 3, alsoCodes: ['PW5124'],
  },
  {
    title: 'a when condition the catalog lacks',
    code: 'PW5128', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', "  stages {\n    stage('Release') {\n      when { onWeekday() }\n      steps { sh 'make release' }\n    }\n  }"),
    message: 'Unknown conditional onWeekday. Valid conditionals are: allOf, anyOf, branch, buildingTag, changeRequest, changelog, changeset, environment, equals, expression, isRestartedRun, not, tag, triggeredBy',
    line: 5, column: 14,
  },
  {
    title: 'a tool type the catalog lacks',
    code: 'PW5132', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', "  tools {\n    gradle 'gradle-8'\n  }", oneStage("sh 'gradle build'")),
    message: 'Invalid tool type "gradle". Valid tool types: [jdk, maven, nodejs]', line: 4, column: 5,
  },
  {
    title: 'an option the catalog lacks',
    code: 'PW5134', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', '  options {\n    retryForever()\n  }', oneStage("sh 'make'")),
    message:
      'Invalid option type "retryForever". Valid option types: [ansiColor, buildDiscarder, catchError, checkoutToSubdirectory, disableConcurrentBuilds, disableRestartFromStage, disableResume, durabilityHint, lock, newContainerPerStage, office365ConnectorWebhooks, parallelsAlwaysFailFast, podTemplate, preserveStashes, quietPeriod, retry, script, skipDefaultCheckout, skipStagesAfterUnstable, timeout, timestamps, waitUntil, warnError, withAWS, withContext, withCredentials, withDockerContainer, withEnv, wrap, ws]',
    line: 4, column: 5,
  },
  {
    title: 'a pipeline-only option in a stage',
    code: 'PW5134', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', "  stages {\n    stage('Build') {\n      options { disableConcurrentBuilds() }\n      steps { sh 'make' }\n    }\n  }"),
    message:
      'Invalid option type "disableConcurrentBuilds". Valid option types: [ansiColor, catchError, checkoutToSubdirectory, lock, podTemplate, retry, script, skipDefaultCheckout, timeout, timestamps, waitUntil, warnError, withAWS, withContext, withCredentials, withDockerContainer, withEnv, wrap, ws]',
    line: 5, column: 17,
  },
  {
    title: 'a trigger the catalog lacks',
    code: 'PW5134', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', "  triggers {\n    onTagPush()\n  }", oneStage("sh 'make'")),
    message: 'Invalid trigger type "onTagPush". Valid trigger types: [cron, pollSCM, upstream]', line: 4, column: 5,
  },
  {
    title: 'a build parameter type the catalog lacks',
    code: 'PW5134', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', "  parameters {\n    gitBranch(name: 'BRANCH')\n  }", oneStage("sh 'make'")),
    message:
      'Invalid parameter type "gitBranch". Valid parameter types: [booleanParam, choice, choiceParam, file, fileParam, password, run, runParam, string, stringParam, text, textParam]',
    line: 4, column: 5,
  },
  {
    title: 'a misspelt step parameter',
    code: 'PW5137', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', oneStage("retry(cnt: 3) { sh 'make' }")),
    message:
      'Invalid parameter "cnt", did you mean "count"?',
    line: 6, column: 15,
  },
  {
    title: 'a step without its required parameter',
    code: 'PW5138', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', oneStage("timeout(unit: 'SECONDS') { sh 'make' }")),
    message: 'Missing required parameter: "time"', line: 6, column: 9,
  },
  {
    title: 'a docker agent without an image',
    code: 'PW5138', severity: 'error', catalog: complete,
    text: jenkinsfile("  agent {\n    docker { args '-u root' }\n  }", oneStage("sh 'make'")),
    message: 'Missing required parameter for agent type "docker": image', line: 3, column: 5,
  },
  {
    title: 'a String where a number parameter is',
    code: 'PW5139', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', oneStage("timeout(time: 'ten') { sh 'make' }")),
    message: 'Expecting "int" for parameter "time" but got "ten" of type class java.lang.String instead', line: 6, column: 23,
  },
  {
    title: 'a String as the sole number argument',
    code: 'PW5139', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', oneStage("sleep 'a while'")),
    message: 'Expecting "int" but got "a while" of type class java.lang.String instead', line: 6, column: 15,
  },
  {
    title: 'two unnamed step arguments',
    code: 'PW5140', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', oneStage("timeout(10, 'MINUTES') { sh 'make' }")),
    message: 'Arguments to "timeout" must be explicitly named.', line: 6, column: 9,
  },
  {
    title: 'an option without its one required argument',
    code: 'PW5140', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', '  options {\n    timeout()\n  }', oneStage("sh 'make'")),
    message: '"timeout" should have 1 arguments but has 0 arguments instead.', line: 4, column: 5,
  },
  {
    title: 'an unnamed argument to a step without a sole required parameter',
    code: 'PW5140', severity: 'error', catalog: complete,
    text: jenkinsfile('  agent any', oneStage("deleteDir 'build'")),
    message: 'Step does not take a single required parameter - use named parameters instead', line: 6, column: 9,
  },
  {
    title: 'the one-argument form of an agent type with two required parameters',
    code: 'PW5140', severity: 'error', catalog: dockerNeedsArgs,
    text: jenkinsfile("  agent {\n    docker 'node:20'\n  }", oneStage("sh 'make'")),
    message: 'Multiple parameters are required for agent type "docker" - [image, args]. Please use a block instead.', line: 3, column: 5,
  },
  {
    title: 'a misspelt agent config option',
    code: 'PW5141', severity: 'error', catalog: complete,
    text: jenkinsfile("  agent {\n    docker {\n      image 'node:20'\n      registryUrI 'https://registry.example.com'\n    }\n  }", oneStage("sh 'make'")),
    message:
      'Invalid config option "registryUrI" for agent type "docker". Valid config options are [image, alwaysPull, args, containerPerStageRoot, customWorkspace, label, registryCredentialsId, registryUrl, reuseNode]',
    line: 5, column: 7,
  },
];

/** A documented message template (`<x>` = a value filled in) as a regular expression. */
const templateRegex = (template: string) =>
  new RegExp(`^${template.split(/<[^>]+>/).map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 's');

/** The rules whose answer depends on the catalog: stage 'catalog', and the validator's name checks "in the allow-list or the catalog". */
const catalogRules: JenkinsfileRule[] = Object.values(JENKINSFILE_RULES).filter((r) => r.stage === 'catalog' || /\bthe catalog\b/.test(r.summary));

describe('catalog rules of validate, on Jenkinsfiles written for them', () => {
  test.each(CASES.map((c) => [`${c.code}: ${c.title}`, c] as const))('%s', (_title, c) => {
    const { diagnostics } = validateText(c.text, 'Jenkinsfile', undefined, c.catalog);
    const simplify = (d: Diagnostic) => ({ code: d.code, severity: d.severity, message: d.message, line: d.location?.line, column: d.location?.column });
    expect(diagnostics.filter((d) => d.code === c.code).map(simplify)).toEqual([{ code: c.code, severity: c.severity, message: c.message, line: c.line, column: c.column }]);
    expect(diagnostics.filter((d) => d.code !== c.code).map((d) => d.code)).toEqual(c.alsoCodes ?? []);
  });

  test('each case message is one the rule table documents for its code', () => {
    const undocumented = CASES.filter((c) => {
      const rule = JENKINSFILE_RULES[c.code as keyof typeof JENKINSFILE_RULES];
      return !rule?.messages.some((m) => templateRegex(m).test(c.message));
    }).map((c) => `${c.code}: ${c.message}`);
    expect(undocumented).toEqual([]);
  });

  test('every message of every catalog rule has a case (a new catalog rule or message needs one)', () => {
    expect(catalogRules.map((r) => r.code)).toEqual(expect.arrayContaining(['PW5125', 'PW5128', 'PW5132', 'PW5134', 'PW5137', 'PW5138', 'PW5139', 'PW5140', 'PW5141']));
    const uncovered = catalogRules.flatMap((rule) =>
      rule.messages
        .filter((template) => !CASES.some((c) => c.code === rule.code && templateRegex(template).test(c.message)))
        .map((template) => `${rule.code}: ${template}`),
    );
    expect(uncovered).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Compile-side catalog checks (PW31xx): pipeline files in temporary projects, compiled.
// ---------------------------------------------------------------------------------------------

const FILE = 'pipelines/app.pipeline.ts';
let project: TempProject | undefined;
afterEach(() => {
  project?.remove();
  project = undefined;
});

/** The PW31xx diagnostics of compiling these project files; nothing else may be an error. */
async function catalogDiagnostics(files: Record<string, string>): Promise<Diagnostic[]> {
  project = createTempProject(files);
  const result = await compileProject({ root: project.root, resultCache: false });
  const diagnostics = [...result.diagnostics, ...result.pipelines.flatMap((p) => p.diagnostics)];
  expect(diagnostics.filter((d) => d.severity === 'error' && d.code.startsWith('PW') && !d.code.startsWith('PW31'))).toEqual([]);
  return diagnostics.filter((d) => d.code.startsWith('PW31'));
}

/** A project catalog: the bundled one, changed, and named by pipewright.config.ts. */
const withCatalog = (catalog: Catalog) => ({
  'jenkins/catalog.json': JSON.stringify(catalog),
  'pipewright.config.ts': "import { defineConfig } from 'pipewright';\n\nexport default defineConfig({ catalog: 'jenkins/catalog.json' });\n",
});

const at = (text: string, needle: string) => ({ file: FILE, ...positionOf(text, needle) });

describe('compile-side catalog checks, on pipeline models written for them', () => {
  test('PW3102: a when condition the (complete) project catalog lacks, at the condition', async () => {
    const withoutBranch: Catalog = { ...complete, describables: complete.describables.filter((d) => !(d.kind === 'when' && d.symbol === 'branch')) };
    expect(withoutBranch.describables.length).toBe(complete.describables.length - 1);
    const text = `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: 'any',
  stages: [
    { name: 'Build', steps: [sh('make')] },
    { name: 'Release', when: { branch: 'main' }, steps: [sh('make release')] },
  ],
});
`;
    const problems = await catalogDiagnostics({ [FILE]: text, ...withCatalog(withoutBranch) });
    expect(problems).toMatchObject([
      {
        code: 'PW3102',
        severity: 'error',
        message: 'Unknown conditional branch. Valid conditionals are: allOf, anyOf, buildingTag, changeRequest, changelog, changeset, environment, equals, expression, isRestartedRun, not, tag, triggeredBy',
        path: ['stages', 1, 'when', 'branch'],
      },
    ]);
    expect(problems[0]!.location).toMatchObject({ file: FILE, line: at(text, "branch: 'main'").line });
  });

  test('PW3104: a tool type the bundled catalog lacks, a warning at the tool', async () => {
    const text = `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: 'any',
  tools: { gradle: 'gradle-8' },
  stages: [{ name: 'Build', steps: [sh('gradle build')] }],
});
`;
    const problems = await catalogDiagnostics({ [FILE]: text });
    expect(problems).toMatchObject([
      { code: 'PW3104', severity: 'warning', message: 'Invalid tool type "gradle". Valid tool types: [jdk, maven, nodejs]', path: ['tools', 'gradle'] },
    ]);
    expect(problems[0]!.location).toMatchObject({ file: FILE, line: at(text, "gradle: 'gradle-8'").line });
  });

  test('PW3108: a custom option without its one required argument, at the option', async () => {
    const text = `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: 'any',
  options: { custom: [{ name: 'buildDiscarder' }] },
  stages: [{ name: 'Build', steps: [sh('make')] }],
});
`;
    const problems = await catalogDiagnostics({ [FILE]: text });
    expect(problems).toMatchObject([
      { code: 'PW3108', severity: 'error', message: '"buildDiscarder" should have 1 arguments but has 0 arguments instead.', path: ['options', 'custom', 0] },
    ]);
    expect(problems[0]!.location).toMatchObject({ file: FILE, line: at(text, "name: 'buildDiscarder'").line });
  });

  test('PW3109: a misspelt config option of a custom agent block, at the option', async () => {
    const text = `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'custom', name: 'docker', block: { image: 'node:20', registryUrI: 'https://registry.example.com' } },
  stages: [{ name: 'Build', steps: [sh('make')] }],
});
`;
    const problems = await catalogDiagnostics({ [FILE]: text });
    expect(problems).toMatchObject([
      {
        code: 'PW3109',
        severity: 'error',
        message: 'Invalid config option "registryUrI" for agent type "docker". Valid config options are [image, alwaysPull, args, containerPerStageRoot, customWorkspace, label, registryCredentialsId, registryUrl, reuseNode]',
        path: ['agent', 'block', 'registryUrI'],
      },
    ]);
    expect(problems[0]!.location).toMatchObject({ file: FILE, line: at(text, 'registryUrI:').line });
  });

  test('every compile-side catalog check is asserted by code here or in catalog-checks.test.ts', () => {
    // A code appears quoted on its own only where a test expects it (titles quote "PWxxxx: ...").
    const sources = ['catalog-rules.test.ts', 'catalog-checks.test.ts'].map((name) => readFileSync(join(import.meta.dirname, name), 'utf8')).join('\n');
    const asserted = new Set([...sources.matchAll(/'(PW31\d\d)'/g)].map((m) => m[1]));
    expect(CATALOG_CHECK_RULES.map((r) => r.code).filter((code) => !asserted.has(code))).toEqual([]);
  });
});
