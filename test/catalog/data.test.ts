/**
 * The bundled default catalog: valid against the schema, and facts spot-checked against the
 * plugin sources it was generated from (each expectation names the class it comes from, at the
 * commit recorded for its plugin in the catalog).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CatalogError,
  defaultCatalog,
  indexCatalog,
  loadCatalogFile,
  mergeCatalogs,
  resolveProjectCatalog,
} from '../../src/catalog/index.ts';
import { CatalogSchema, type Catalog, type CatalogParameter } from '../../src/catalog/schema.ts';
import { compareVersions } from '../../src/catalog/versions.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';

const catalogPath = new URL('../../src/catalog/default-catalog.json', import.meta.url);
const index = indexCatalog(defaultCatalog());
const param = (params: readonly CatalogParameter[] | undefined, name: string) => params?.find((p) => p.name === name);

let project: TempProject | undefined;
afterEach(() => project?.remove());

describe('bundled catalog document', () => {
  it('matches the catalog schema (strict: no unknown fields)', () => {
    const result = CatalogSchema.safeParse(JSON.parse(readFileSync(catalogPath, 'utf8')));
    expect(result.success ? [] : result.error.issues.slice(0, 5)).toEqual([]);
  });

  it('records, for every plugin, a version, the repository and the 40-hex commit it was read from', () => {
    const catalog = defaultCatalog();
    expect(catalog.source).toBe('bundled');
    expect(catalog.complete).toBe(false);
    for (const plugin of catalog.plugins) {
      expect(plugin.version, plugin.id).toMatch(/^\d/);
      expect(plugin.repository, plugin.id).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
      expect(plugin.commit, plugin.id).toMatch(/^[0-9a-f]{40}$/);
    }
    // Every step and describable names a plugin the document lists.
    const ids = new Set(catalog.plugins.map((p) => p.id));
    const orphans = [...catalog.steps, ...catalog.describables].filter((e) => !ids.has(e.plugin));
    expect(orphans.map((e) => ('name' in e ? e.name : e.symbol))).toEqual([]);
  });

  it('covers the plugins of issue #11 (and core)', () => {
    const ids = defaultCatalog().plugins.map((p) => p.id);
    for (const id of [
      'core', 'workflow-basic-steps', 'workflow-durable-task-step', 'pipeline-model-definition', 'pipeline-input-step',
      'pipeline-milestone-step', 'pipeline-stage-step', 'lockable-resources', 'credentials-binding', 'pipeline-aws',
      'docker-workflow', 'kubernetes', 'sonar', 'slack', 'Office-365-Connector', 'junit', 'timestamper', 'nodejs', 'git',
      'ws-cleanup', 'pipeline-utility-steps', 'email-ext', 'mailer', 'htmlpublisher', 'warnings-ng', 'ansicolor',
    ]) {
      expect(ids, id).toContain(id);
    }
  });

  it('is sorted (steps by name, describables by kind then symbol, plugins by id), so regenerating it diffs cleanly', () => {
    const catalog = defaultCatalog();
    const names = catalog.steps.map((s) => s.name);
    expect(names).toEqual([...names].sort());
    const ids = catalog.plugins.map((p) => p.id);
    expect(ids).toEqual([...ids].sort());
    const keys = catalog.describables.map((d) => `${d.kind}\0${d.symbol}`);
    expect(keys).toEqual([...keys].sort());
  });
});

describe('facts read from the plugin sources', () => {
  it('sh (ShellStep + DurableTaskStep): script required and default, returnStatus/returnStdout boolean, needs a node', () => {
    const sh = index.step('sh')!;
    expect(sh.plugin).toBe('workflow-durable-task-step');
    expect(param(sh.parameters, 'script')).toMatchObject({ required: true, type: { kind: 'string' } });
    expect(param(sh.parameters, 'returnStatus')).toMatchObject({ required: false, type: { kind: 'boolean' } });
    expect(param(sh.parameters, 'returnStdout')).toMatchObject({ required: false, type: { kind: 'boolean' } });
    expect(param(sh.parameters, 'label')).toMatchObject({ required: false, type: { kind: 'string' } });
    expect(sh.defaultParameter).toBe('script');
    // Documentation: the display name, and the first sentence of each parameter's help file.
    expect(sh.doc).toBe('Shell Script');
    expect(param(sh.parameters, 'script')?.doc).toBe('Runs a Bourne shell script, typically on a Unix node.');
    expect(sh.takesBlock).toBe(false);
    expect(sh.requiresNode).toBe(true);
  });

  it('timeout (TimeoutStep): int time required, unit a TimeUnit enum, activity boolean, takes a block', () => {
    const timeout = index.step('timeout')!;
    expect(timeout.plugin).toBe('workflow-basic-steps');
    expect(param(timeout.parameters, 'time')).toMatchObject({ required: true, type: { kind: 'number', integer: true } });
    expect(param(timeout.parameters, 'unit')?.type).toEqual({
      kind: 'enum', values: ['NANOSECONDS', 'MICROSECONDS', 'MILLISECONDS', 'SECONDS', 'MINUTES', 'HOURS', 'DAYS'],
    });
    expect(param(timeout.parameters, 'activity')?.type).toEqual({ kind: 'boolean' });
    expect(timeout.takesBlock).toBe(true);
    expect(timeout.requiresNode).toBe(false);
    // Declarative accepts block steps without a workspace as options: timeout is a wrapper.
    expect(index.describable('wrapper', 'timeout')?.allowedInStage).toBe(true);
  });

  it('withAWS (WithAWSStep): a block step whose parameters are all optional setters', () => {
    const withAWS = index.step('withAWS')!;
    expect(withAWS.plugin).toBe('pipeline-aws');
    expect(withAWS.takesBlock).toBe(true);
    expect(withAWS.parameters.every((p) => !p.required)).toBe(true);
    for (const name of ['region', 'role', 'roleAccount', 'roleSessionName', 'credentials', 'externalId', 'profile']) {
      expect(param(withAWS.parameters, name)?.type, name).toEqual({ kind: 'string' });
    }
    expect(param(withAWS.parameters, 'duration')?.type).toEqual({ kind: 'number', integer: true });
    expect(param(withAWS.parameters, 'useNode')?.type).toEqual({ kind: 'boolean' });
  });

  it('slackSend (SlackSendStep): message/channel/color/tokenCredentialId strings, failOnError boolean, blocks untyped', () => {
    const slackSend = index.step('slackSend')!;
    expect(slackSend.plugin).toBe('slack');
    for (const name of ['message', 'channel', 'color', 'tokenCredentialId', 'teamDomain', 'baseUrl']) {
      expect(param(slackSend.parameters, name), name).toMatchObject({ required: false, type: { kind: 'string' } });
    }
    expect(param(slackSend.parameters, 'failOnError')?.type).toEqual({ kind: 'boolean' });
    expect(param(slackSend.parameters, 'blocks')?.type).toEqual({ kind: 'unknown', javaType: 'Object' });
    expect(slackSend.takesBlock).toBe(false);
  });

  it('lock (LockStep): resource is the single required parameter, takes a block, extra is a list of nested resources', () => {
    const lock = index.step('lock')!;
    expect(lock.plugin).toBe('lockable-resources');
    expect(lock.takesBlock).toBe(true);
    expect(lock.defaultParameter).toBe('resource');
    expect(param(lock.parameters, 'quantity')?.type).toEqual({ kind: 'number', integer: true });
    const extra = param(lock.parameters, 'extra')?.type;
    expect(extra?.kind === 'list' && extra.of.kind === 'describable' ? extra.of.parameters?.map((p) => p.name) : undefined)
      .toEqual(expect.arrayContaining(['resource', 'label', 'quantity']));
  });

  it('withCredentials (BindingStep): a list of credential bindings chosen by symbol', () => {
    const bindings = param(index.step('withCredentials')!.parameters, 'bindings')!;
    expect(bindings.required).toBe(true);
    expect(bindings.type).toMatchObject({
      kind: 'list',
      of: { kind: 'describable', describableKind: 'credentialBinding', symbols: expect.arrayContaining(['string', 'usernamePassword', 'file', 'sshUserPrivateKey']) },
    });
    expect(param(index.describable('credentialBinding', 'usernamePassword')?.parameters, 'credentialsId')?.required).toBe(true);
  });

  it('core describables: archiveArtifacts through the step meta-step, buildDiscarder(logRotator), parameters, triggers', () => {
    const archive = index.step('archiveArtifacts')!;
    expect(archive.plugin).toBe('core');
    expect(param(archive.parameters, 'artifacts')?.required).toBe(true);
    expect(param(archive.parameters, 'fingerprint')?.type).toEqual({ kind: 'boolean' });
    expect(index.step('step')?.metaStepOf).toBe('buildStep');

    const discarder = index.describable('jobProperty', 'buildDiscarder')!;
    expect(discarder.plugin).toBe('core');
    expect(param(discarder.parameters, 'strategy')?.type).toMatchObject({ kind: 'describable', symbols: ['logRotator'] });
    expect(index.describable('other', 'logRotator')?.parameters.map((p) => p.name).sort())
      .toEqual(['artifactDaysToKeepStr', 'artifactNumToKeepStr', 'daysToKeepStr', 'numToKeepStr', 'removeLastBuild']);

    for (const symbol of ['string', 'booleanParam', 'choice', 'text', 'password']) {
      expect(index.describable('parameter', symbol)?.plugin, symbol).toBe('core');
    }
    expect(index.describable('trigger', 'cron')?.defaultParameter).toBe('spec');
    expect(index.describable('trigger', 'pollSCM')).toBeDefined();
    expect(index.describable('trigger', 'upstream')).toBeDefined();
    expect(index.describable('jobProperty', 'disableConcurrentBuilds')?.plugin).toBe('workflow-job');
  });

  it('declarative: agents, when conditions (nested ones take conditions), options by stage use, post conditions', () => {
    expect(index.describablesOf('agent').map((d) => d.symbol)).toEqual(expect.arrayContaining(['any', 'none', 'label', 'docker', 'dockerfile', 'kubernetes']));
    expect(index.describable('agent', 'label')?.defaultParameter).toBe('label');
    expect(index.describable('when', 'allOf')?.takesConditions).toBe(true);
    expect(index.describable('when', 'not')?.takesConditions).toBe(true);
    expect(index.describable('when', 'branch')?.takesConditions).toBeUndefined();
    expect(index.describable('option', 'skipDefaultCheckout')?.allowedInStage).toBe(true);
    expect(index.describable('option', 'skipStagesAfterUnstable')?.allowedInStage).toBe(false);
    expect(index.describable('jobProperty', 'buildDiscarder')?.allowedInStage).toBe(false);
    // parameters/pipelineTriggers have their own directives (Options.BLOCKED_PROPERTIES).
    expect(index.describable('jobProperty', 'parameters')).toBeUndefined();
    expect(index.describablesOf('postCondition').map((d) => d.symbol).sort()).toEqual([
      'aborted', 'always', 'changed', 'cleanup', 'failure', 'fixed', 'notBuilt', 'regression', 'success', 'unstable', 'unsuccessful',
    ]);
    expect(index.describable('tool', 'nodejs')?.plugin).toBe('nodejs');
  });

  it('office365ConnectorSend has adaptiveCards (Office-365-Connector 5.0.0 added it)', () => {
    const send = index.step('office365ConnectorSend')!;
    expect(send.plugin).toBe('Office-365-Connector');
    expect(param(send.parameters, 'adaptiveCards')?.type).toEqual({ kind: 'boolean' });
    expect(param(send.parameters, 'webhookUrl')?.required).toBe(true);
  });
});

describe('loading catalogs', () => {
  it('a broken catalog file is an error naming the file and each property path', () => {
    project = createTempProject();
    const broken = JSON.parse(readFileSync(catalogPath, 'utf8')) as Catalog;
    (broken.steps[2] as unknown as Record<string, unknown>).takesBlock = 'yes';
    (broken.plugins[0] as unknown as Record<string, unknown>).commit = 'abc';
    const file = project.write('controller.json', JSON.stringify(broken));
    let error: unknown;
    try {
      loadCatalogFile(file);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CatalogError);
    const { message, problems } = error as CatalogError;
    expect(message).toContain(file);
    expect(problems.some((p) => p.startsWith('steps[2].takesBlock: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('plugins[0].commit: '))).toBe(true);
  });

  it('a file that is not JSON or does not exist is an error naming the file', () => {
    project = createTempProject();
    const file = project.write('not-json.json', '{ "format": 1, ');
    expect(() => loadCatalogFile(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a JSON catalog`));
    expect(() => loadCatalogFile(project!.path('missing.json'))).toThrow(/missing\.json: cannot read the catalog: ENOENT/);
  });

  it('resolveProjectCatalog: the bundled catalog by default, else the configured file relative to the root', () => {
    project = createTempProject();
    expect(resolveProjectCatalog({}, project.root)).toBe(defaultCatalog());
    const small: Catalog = { ...defaultCatalog(), name: 'controller', source: 'export-script', complete: true, steps: defaultCatalog().steps.slice(0, 3) };
    project.write('jenkins/catalog.json', JSON.stringify(small));
    const loaded = resolveProjectCatalog({ catalog: 'jenkins/catalog.json' }, project.root);
    expect(loaded.name).toBe('controller');
    expect(loaded.steps).toHaveLength(3);
    // Read once while the file is unchanged.
    expect(resolveProjectCatalog({ catalog: 'jenkins/catalog.json' }, project.root)).toBe(loaded);
    expect(() => resolveProjectCatalog({ catalog: 'nope.json' }, project!.root)).toThrow(/nope\.json: cannot read the catalog named by pipewright\.config\.ts/);
  });

  it('mergeCatalogs: later catalogs win per plugin, step and describable; complete only if all are', () => {
    const base = defaultCatalog();
    const controller: Catalog = {
      format: 1, name: 'controller', source: 'gdsl', complete: true,
      plugins: [{ id: 'pipeline-aws', version: '1.46' }],
      steps: [{ name: 'sh', plugin: 'workflow-durable-task-step', takesBlock: false, requiresNode: true, parameters: [] }],
      describables: [],
    };
    const merged = mergeCatalogs(base, controller);
    const mergedIndex = indexCatalog(merged);
    expect(merged.source).toBe('merged');
    expect(merged.complete).toBe(false);
    expect(mergedIndex.plugin('pipeline-aws')?.version).toBe('1.46');
    expect(mergedIndex.step('sh')?.parameters).toEqual([]);
    expect(mergedIndex.step('withAWS')).toBeDefined();
    expect(merged.steps).toHaveLength(base.steps.length);
  });
});

describe('compareVersions', () => {
  it('orders the version shapes plugins use', () => {
    expect(compareVersions('5.0.0', '4.21.0')).toBeGreaterThan(0);
    expect(compareVersions('1.45', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('5.0', '5.0.0')).toBe(0);
    expect(compareVersions('2.18.3', '2.18')).toBeGreaterThan(0);
    expect(compareVersions('1098.v808b_fd7f8cf4', '1100.vabc')).toBeLessThan(0);
    expect(compareVersions('1571.1580.v18e46842c125', '1581.ve4b_d0db_fcb_b_b_')).toBeLessThan(0);
    // Two incremental builds of the same number: no order.
    expect(compareVersions('1098.v808b_fd7f8cf4', '1098.v0000000000')).toBe(0);
    expect(compareVersions('1.2-beta', '1.2')).toBeLessThan(0);
  });
});
