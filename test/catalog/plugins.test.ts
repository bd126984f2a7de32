/**
 * `pipewright plugins` on this repository (its real pipelines, compiled in memory) and on real
 * catalog files; the feature walk on Jenkinsfiles parsed by the real parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultCatalog, indexCatalog } from '../../src/catalog/index.ts';
import { checkPlugins, FEATURE_VERSIONS, groovyStepCalls, requiredPlugins, type PluginRequirements } from '../../src/catalog/plugins.ts';
import type { Catalog } from '../../src/catalog/schema.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { createTempProject, helloPipeline, runCli, type TempProject } from '../support/temp-project.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const catalog = defaultCatalog();
const index = indexCatalog(catalog);

let project: TempProject | undefined;
afterEach(() => project?.remove());

/** Plugins of the steps a Jenkinsfile's text calls, found by a plain line scan (independent of the AST walk). */
function pluginsByLineScan(text: string): Set<string> {
  const plugins = new Set<string>();
  // Shell scripts are triple-quoted strings; their lines are not Groovy.
  const groovy = text.replace(/'''[\s\S]*?'''|"""[\s\S]*?"""/g, "''");
  for (const match of groovy.matchAll(/^\s*([A-Za-z]\w*)[ (]/gm)) {
    const step = index.step(match[1]!);
    if (step) plugins.add(step.plugin);
  }
  return plugins;
}

describe('pipewright plugins on this repository', () => {
  let json: PluginRequirements;
  let generated: { name: string; text: string }[];
  beforeAll(async () => {
    const result = await runCli(['plugins', '--format', 'json'], repoRoot);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    json = JSON.parse(result.stdout) as PluginRequirements;
    const dir = join(repoRoot, 'generated');
    generated = readdirSync(dir).map((name) => ({ name, text: readFileSync(join(dir, name, 'Jenkinsfile'), 'utf8') }));
  }, 180_000);

  it('lists every plugin whose steps the generated Jenkinsfiles call, with the catalog version', () => {
    const listed = new Map(json.plugins.map((p) => [p.id, p.version]));
    const scanned = new Set(generated.flatMap(({ text }) => [...pluginsByLineScan(text)]));
    expect(scanned.size).toBeGreaterThan(5);
    for (const id of scanned) {
      expect(listed.has(id), `${id} is used by a generated Jenkinsfile`).toBe(true);
      expect(listed.get(id)).toBe(index.plugin(id)!.version);
    }
  });

  it('finds the plugins of declarative sections, not only of steps', () => {
    const byId = new Map(json.plugins.map((p) => [p.id, p]));
    // Every generated file is declarative and runs stages.
    expect(byId.get('pipeline-model-definition')?.pipelines).toEqual(json.plugins.find((p) => p.id === 'pipeline-model-definition')!.pipelines);
    expect(byId.get('pipeline-model-definition')?.features).toEqual(expect.arrayContaining(['pipeline', 'agent:label', 'postCondition:always']));
    expect(byId.get('pipeline-stage-step')?.features).toContain('step:stage');
    // options { buildDiscarder logRotator(...); disableConcurrentBuilds(); timestamps() }
    expect(byId.get('core')?.features).toEqual(expect.arrayContaining(['jobProperty:buildDiscarder', 'other:logRotator']));
    expect(byId.get('workflow-job')?.features).toContain('jobProperty:disableConcurrentBuilds');
    expect(byId.get('timestamper')?.features).toContain('wrapper:timestamps');
    // tools { nodejs 'node-20' }, withCredentials([string(...)])
    expect(byId.get('nodejs')?.features).toContain('tool:nodejs');
    expect(byId.get('credentials-binding')?.features).toEqual(expect.arrayContaining(['step:withCredentials', 'credentialBinding:string']));
    // Each generated file names every pipeline that uses a plugin.
    const withAWS = generated.filter(({ text }) => /\bwithAWS\(/.test(text)).map(({ name }) => name).sort();
    expect(byId.get('pipeline-aws')?.pipelines).toEqual(withAWS);
    expect(json.unknown).toEqual([]);
  });

  it('prints plugins.txt (id:version lines) and plugin-installation-manager YAML', async () => {
    const txt = await runCli(['plugins'], repoRoot);
    expect(txt.code).toBe(0);
    const lines = txt.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(json.plugins.filter((p) => p.id !== 'core').map((p) => `${p.id}:${p.version}`));
    expect(txt.stdout).toMatch(/^# Jenkins core: \d+\.\d+/m);

    const yaml = await runCli(['plugins', '--format', 'yaml'], repoRoot);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain('\nplugins:\n');
    expect(yaml.stdout).toContain(`  - artifactId: pipeline-aws\n    source:\n      version: '${index.plugin('pipeline-aws')!.version}'\n`);
  }, 180_000);

  it('--check passes against the bundled catalog and fails, naming the plugin, against one without it', async () => {
    const ok = await runCli(['plugins', '--check'], repoRoot);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/has all \d+ plugin\(s\) the pipelines need/);

    project = createTempProject();
    const withoutSlack: Catalog = { ...catalog, name: 'controller without slack', plugins: catalog.plugins.filter((p) => p.id !== 'slack') };
    const file = project.write('controller.json', JSON.stringify(withoutSlack));
    const missing = await runCli(['plugins', '--check', '--catalog', file], repoRoot);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^missing: slack \(step:slackSend.*; used by /m);
    expect(missing.stdout).toContain('1 of');
  }, 180_000);

  it('a broken --catalog file is a usage error naming the file', async () => {
    project = createTempProject({ 'broken.json': '{"format": 1, "name": "x"}' });
    const result = await runCli(['plugins', '--check', '--catalog', project.path('broken.json')], repoRoot);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${project.path('broken.json')}: not a valid catalog`);
    expect(result.stderr).toMatch(/source: /);
  });
});

describe('pipewright plugins in a project whose config names its controller catalog', () => {
  it('checks against the catalog pipewright.config.ts names, relative to the project root', async () => {
    const controller: Catalog = {
      ...catalog,
      name: 'jenkins.example.com',
      source: 'plugin-list',
      plugins: catalog.plugins.filter((p) => p.id !== 'workflow-durable-task-step'),
    };
    project = createTempProject({
      'pipelines/hello.pipeline.ts': helloPipeline(),
      'jenkins/catalog.json': JSON.stringify(controller),
      'pipewright.config.ts': `import { defineConfig } from 'pipewright';\n\nexport default defineConfig({ catalog: 'jenkins/catalog.json' });\n`,
    });
    const listed = await runCli(['plugins', '--format', 'json'], project.root);
    expect(listed.stderr).toBe('');
    const ids = (JSON.parse(listed.stdout) as PluginRequirements).plugins.map((p) => p.id);
    // sh and node (label agent) come from workflow-durable-task-step, echo from workflow-basic-steps.
    expect(ids).toEqual(expect.arrayContaining(['workflow-durable-task-step', 'workflow-basic-steps', 'pipeline-model-definition']));

    const checked = await runCli(['plugins', '--check'], project.root);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/^missing: workflow-durable-task-step \(step:node, step:sh.*; used by hello\)$/m);
    expect(checked.stdout).toContain('in the catalog "jenkins.example.com"');
  }, 120_000);
});

describe('minimum versions', () => {
  const teams = `pipeline {
  agent any
  stages {
    stage('Notify') {
      steps {
        office365ConnectorSend webhookUrl: 'https://example.invalid/hook', adaptiveCards: true, status: 'Deployed'
      }
    }
  }
}
`;

  it('office365ConnectorSend with adaptiveCards needs Office-365-Connector 5.0.0 (from the plugin history)', () => {
    const entry = FEATURE_VERSIONS.find((f) => f.feature === 'step:office365ConnectorSend:adaptiveCards');
    expect(entry?.since).toBe('5.0.0');
    const { ast } = parseJenkinsfile(teams);
    const requirements = requiredPlugins([{ name: 'teams', ast: ast! }], catalog);
    const plugin = requirements.plugins.find((p) => p.id === 'Office-365-Connector')!;
    expect(plugin.minimumVersion).toBe('5.0.0');
    expect(plugin.minimumBecause).toEqual(['step:office365ConnectorSend:adaptiveCards']);

    const old: Catalog = { ...catalog, plugins: catalog.plugins.map((p) => (p.id === 'Office-365-Connector' ? { id: p.id, version: '4.22.0' } : p)) };
    expect(checkPlugins(requirements, old)).toEqual([
      expect.objectContaining({ id: 'Office-365-Connector', problem: 'too-old', installed: '4.22.0', minimumVersion: '5.0.0' }),
    ]);
    const current: Catalog = { ...catalog, plugins: catalog.plugins.map((p) => (p.id === 'Office-365-Connector' ? { id: p.id, version: '5.0.0' } : p)) };
    expect(checkPlugins(requirements, current)).toEqual([]);
  });

  it('the same call inside a Groovy function after the pipeline block counts (pipewright emits notifications that way)', () => {
    const text = `${teams.replace(/office365ConnectorSend[^\n]*/, 'script { pwNotify1() }')}def pwNotify1() {
  office365ConnectorSend(webhookUrl: env.HOOK, adaptiveCards: true, message: 'built ' + (env.X ?: 'none'))
}
`;
    const { ast, diagnostics } = parseJenkinsfile(text);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const plugin = requiredPlugins([{ name: 'teams', ast: ast! }], catalog).plugins.find((p) => p.id === 'Office-365-Connector');
    expect(plugin?.minimumVersion).toBe('5.0.0');
  });
});

describe('groovyStepCalls', () => {
  it('finds bare calls and their named keys; skips strings, comments, receivers and local functions', () => {
    const calls = groovyStepCalls(`def pwNotify1() {
  // slackSend(channel: 'commented out')
  slackSend(channel: '#x', message: 'a ' + (env.X ?: '') + " readFile('no')", color: cond ? 'good' : 'danger')
  env.IMAGE = readFile('image.txt').trim()
  currentBuild.getBuildCauses('x')
  sh 'make'
  lock resource: 'db', quantity: 1
  pwNotify1()
}`);
    expect(calls).toEqual([
      { name: 'slackSend', keys: ['channel', 'message', 'color'] },
      { name: 'readFile', keys: [] },
      { name: 'sh', keys: [] },
      { name: 'lock', keys: ['resource', 'quantity'] },
    ]);
  });
});
