/**
 * Typed plugin steps: generated from the bundled catalog (plus the hand-written export dump, for
 * publishHTML's nested target) into a temporary project and checked by the real tsc this
 * repository pins; then a pipeline using them goes through pipewright's compile.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { importExportDump } from '../../src/catalog/import/export-json.ts';
import { defaultCatalog, mergeCatalogs } from '../../src/catalog/index.ts';
import { CATALOG_FORMAT, type Catalog } from '../../src/catalog/schema.ts';
import { generateTypedSteps, safeIdentifier } from '../../src/catalog/typed-steps.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';
import { expectGroovyParses } from '../groovy/client.ts';

const REPO = join(import.meta.dirname, '..', '..');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const DUMP = readFileSync(join(import.meta.dirname, 'fixtures', 'export', 'hand-written-dump.json'), 'utf8');

/** The bundled catalog with the controller's (hand-written dump's) steps over it. */
const catalog: Catalog = mergeCatalogs(defaultCatalog(), importExportDump(DUMP).catalog);

/** Steps with names TypeScript cannot use as they are, and parameter names that need quoting. */
const ODD: Catalog = {
  format: CATALOG_FORMAT,
  name: 'odd names',
  source: 'gdsl',
  complete: false,
  plugins: [],
  describables: [],
  steps: [
    { name: 'delete', plugin: 'x', takesBlock: false, requiresNode: false, parameters: [{ name: 'default', type: { kind: 'string' }, required: true }], defaultParameter: 'default' },
    { name: 'foo-bar', plugin: 'x', takesBlock: true, requiresNode: false, parameters: [{ name: 'dash-name', type: { kind: 'boolean' }, required: false }] },
    { name: 'stepCall', plugin: 'x', takesBlock: false, requiresNode: false, parameters: [] },
    { name: 'foo_bar', plugin: 'x', takesBlock: false, requiresNode: false, parameters: [{ name: 'doc', type: { kind: 'string' }, required: false, doc: 'ends a comment */ early' }] },
  ],
};

/** Bad calls, one per line, with the tsc error codes each must produce. */
const BAD_CALLS: [string, string[]][] = [
  ["publishHTML({ reportDir: 'coverage', reportFile: 'index.html', reportName: 'Coverage', keepAll: true, alwaysLinkToLastBuild: false, allowMissing: false });", ['TS2353', 'TS2561']],
  ["withAWS({ regoin: 'eu-west-1' }, [sh('aws sts get-caller-identity')]);", ['TS2353', 'TS2561']],
  ["junit({ allowEmptyResults: true });", ['TS2345']],
  ["publishHTML({ reportDir: 'coverage', reportName: 'Coverage', keepAll: true, alwaysLinkToLastBuild: false, allowMissing: false });", ['TS2345']],
  ["timeout({ time: 5, unit: 'WEEKS' }, []);", ['TS2322']],
  ["slackSend({ channel: 42 });", ['TS2322']],
];

let project: TempProject;
let tscErrors: string[];

function tsc(root: string): string[] {
  const result = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  // Errors in this project's files (pipewright's own sources come in through the path mapping).
  return result.stdout.split('\n').filter((line) => /^[\w-]+\.ts\(\d+,\d+\): error TS\d+/.test(line));
}

beforeAll(() => {
  project = createTempProject({
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'preserve',
        moduleResolution: 'bundler',
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        // What a strict consumer may turn on (exactOptionalPropertyTypes aside: pipewright's own
        // sources, compiled here through the path mapping, do not build with it).
        noUnusedLocals: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        types: [],
        paths: { pipewright: [join(REPO, 'src', 'dsl', 'index.ts')] },
      },
      include: ['*.ts'],
    }),
    'jenkins-steps.ts': generateTypedSteps(catalog),
    'bundled-steps.ts': generateTypedSteps(defaultCatalog()),
    'bundled-usage.ts': `import type { Step } from 'pipewright';
import { publishHTML, withAWS, slackSend, cleanWs } from './bundled-steps.ts';
export const steps: Step[] = [
  publishHTML({ reportDir: 'coverage', reportFiles: 'index.html', reportName: 'Coverage', keepAll: true, alwaysLinkToLastBuild: false, allowMissing: false }),
  withAWS([], { region: 'eu-west-1' }),
  slackSend({ channel: '#ci', message: 'ok' }),
  cleanWs(),
];
`,
    'odd-steps.ts': generateTypedSteps(ODD),
    'empty-steps.ts': generateTypedSteps({ ...ODD, steps: [] }),
    'good.ts': `import { definePipeline, sh, groovy, type Step } from 'pipewright';
import { publishHTML, withAWS, junit, timeout, slackSend, cleanWs, withCredentials } from './jenkins-steps.ts';
import { delete_, foo_bar, foo_bar2, stepCall_ } from './odd-steps.ts';

const steps: Step[] = [
  publishHTML({ reportDir: 'coverage', reportFiles: 'index.html', reportName: 'Coverage', keepAll: true, alwaysLinkToLastBuild: false, allowMissing: false }),
  withAWS([sh('aws sts get-caller-identity')], { region: 'eu-west-1', role: 'deployer' }),
  junit('reports/*.xml'),
  junit({ testResults: 'reports/*.xml', allowEmptyResults: true, healthScaleFactor: 1.5 }),
  timeout({ time: 5, unit: 'MINUTES' }, [sh('make')]),
  timeout(groovy('params.MINUTES as int'), [sh('make')]),
  slackSend({ channel: '#deploys', message: 'done' }),
  cleanWs(),
  withCredentials({ bindings: [groovy("string(credentialsId: 'token', variable: 'TOKEN')")] }, [sh('make')]),
  delete_('x'), foo_bar([]), foo_bar([], { 'dash-name': true }), foo_bar2({ doc: 'd' }), stepCall_(),
];

export default definePipeline({ agent: { type: 'label', label: 'linux' }, stages: [{ name: 'All', steps }] });
`,
    'bad.ts': `import { sh } from 'pipewright';
import { publishHTML, withAWS, junit, timeout, slackSend } from './jenkins-steps.ts';
${BAD_CALLS.map(([call]) => call).join('\n')}
`,
  });
  tscErrors = tsc(project.root);
}, 120_000);

afterAll(() => project?.remove());

describe('generated typed steps under tsc', () => {
  it('the generated modules and correct usage compile', () => {
    // tsc did run: bad.ts has its errors (else an empty list below would prove nothing).
    expect(tscErrors.some((line) => line.startsWith('bad.ts'))).toBe(true);
    expect(tscErrors.filter((line) => !line.startsWith('bad.ts'))).toEqual([]);
  });

  it('a misspelt parameter, a missing required one and a wrong type are errors, each on its line', () => {
    const badErrors = tscErrors.filter((line) => line.startsWith('bad.ts'));
    BAD_CALLS.forEach(([call, codes], index) => {
      const line = index + 3;
      const onLine = badErrors.filter((error) => error.startsWith(`bad.ts(${line},`));
      expect(onLine.length, `${call}\n${badErrors.join('\n')}`).toBeGreaterThan(0);
      expect(codes, onLine.join('\n')).toContain(/error (TS\d+)/.exec(onLine[0]!)![1]);
    });
    expect(badErrors.length).toBe(BAD_CALLS.length);
  });

  it('one function per catalog step, deterministic, JSDoc from the catalog', () => {
    const text = readFileSync(project.path('jenkins-steps.ts'), 'utf8');
    expect(generateTypedSteps(catalog)).toBe(text);
    const exported = [...text.matchAll(/^export function (\w+)\(/gm)].map((m) => m[1]);
    expect(exported).toEqual([...new Set(catalog.steps.map((s) => safeIdentifier(s.name)))].sort());
    const slackSend = catalog.steps.find((s) => s.name === 'slackSend')!;
    expect(text).toContain(`Jenkins step \`slackSend\` (plugin ${slackSend.plugin})`);
    expect(text).toMatch(/export type HtmlPublisherTarget = \{\n[^}]*readonly reportDir: string \| PwGroovyExpression;/);
    // The bundled catalog alone describes publishHTML's symbol-less target too.
    expect(readFileSync(project.path('bundled-steps.ts'), 'utf8')).toContain('export function publishHTML(value: HtmlPublisherTarget): PwGenericStep');
    const odd = readFileSync(project.path('odd-steps.ts'), 'utf8');
    expect(odd).toContain('export function delete_(args: Delete_Args | string | PwGroovyExpression): PwGenericStep');
    expect(odd).toContain(`readonly "dash-name"?:`);
    expect(odd).toContain('ends a comment *\\/ early');
  });
});

describe('a pipeline using typed steps', () => {
  it('compiles with pipewright to a Jenkinsfile with the calls', async () => {
    const app = createTempProject({
      // No policy packs: PIPE-002 (plugin steps off its allowlist) would hold the Jenkinsfile back.
      'pipewright.config.ts': "import { defineConfig } from 'pipewright';\nexport default defineConfig({ policy: { packs: [] } });\n",
      'jenkins-steps.ts': generateTypedSteps(catalog),
      'pipelines/site.pipeline.ts': `import { definePipeline, sh } from 'pipewright';
import { publishHTML, withAWS, junit, cleanWs } from '../jenkins-steps.ts';

export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [
    {
      name: 'Report',
      steps: [
        sh('npm test'),
        junit('reports/*.xml'),
        publishHTML({ reportDir: 'coverage', reportFiles: 'index.html', reportName: 'Coverage', keepAll: true, alwaysLinkToLastBuild: false, allowMissing: false }),
        withAWS([sh('aws s3 ls')], { region: 'eu-west-1' }),
        cleanWs({ deleteDirs: true }),
      ],
    },
  ],
});
`,
    });
    try {
      const run = await compileProject({ root: app.root });
      const pipeline = run.pipelines[0]!;
      // Compiler errors only: policy findings (PIPE-002 on plugin steps, IAM rules) are lint's business.
      expect(pipeline.diagnostics.filter((d) => d.severity === 'error' && d.code.startsWith('PW'))).toEqual([]);
      const jenkinsfile = pipeline.jenkinsfile ?? '';
      expect(jenkinsfile).toContain("junit 'reports/*.xml'");
      expect(jenkinsfile).toMatch(/publishHTML\(\[reportDir: 'coverage', reportFiles: 'index.html', reportName: 'Coverage', keepAll: true, alwaysLinkToLastBuild: false, allowMissing: false\]\)/);
      expect(jenkinsfile).toMatch(/withAWS\(region: 'eu-west-1'\) \{\s*sh 'aws s3 ls'/);
      expect(jenkinsfile).toContain('cleanWs deleteDirs: true');
      await expectGroovyParses([{ name: 'Jenkinsfile', text: jenkinsfile }]);
    } finally {
      app.remove();
    }
  });
});
