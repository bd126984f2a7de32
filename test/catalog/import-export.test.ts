/**
 * The export script (parsed by the real Groovy 2.4.21 the test harness runs: the Script Console's
 * Groovy version) and the converter of its output, on a hand-written dump built from plugin facts
 * (fixtures/export/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPORT_SCRIPT } from '../../src/catalog/export-script.ts';
import { ExportDumpError, importExportDump } from '../../src/catalog/import/export-json.ts';
import { mergeImportedCatalog } from '../../src/catalog/import/merge.ts';
import { importGdsl } from '../../src/catalog/import/gdsl.ts';
import { pluginListCatalog, parsePluginsTxt } from '../../src/catalog/import/plugins.ts';
import { CatalogSchema, type Catalog } from '../../src/catalog/schema.ts';
import { defaultCatalog } from '../../src/catalog/index.ts';
import { groovyParse } from '../groovy/client.ts';

const DUMP = readFileSync(join(import.meta.dirname, 'fixtures', 'export', 'hand-written-dump.json'), 'utf8');

describe('export script', () => {
  it('parses with Groovy 2.4.21', async () => {
    const [result] = await groovyParse([{ name: 'export.groovy', text: EXPORT_SCRIPT }]);
    expect(result!.errors).toEqual([]);
    expect(result!.ok).toBe(true);
  });

  it('a broken copy does not parse (the check above can fail)', async () => {
    const [result] = await groovyParse([{ name: 'broken.groovy', text: EXPORT_SCRIPT.replace('describeType = { parameterType ->', 'describeType = { parameterType -> (') }]);
    expect(result!.ok).toBe(false);
  });

  it('walks what the catalog needs', () => {
    for (const needle of ['StepDescriptor', 'DescribableModel.of', 'takesImplicitBlockArgument', 'requiredContext', 'SymbolLookup', 'whichPlugin', 'EnumType', 'HeterogeneousObjectType', 'DeclarativeAgentDescriptor', 'DeclarativeStageConditionalDescriptor', 'DeclarativeOptionDescriptor', 'canUseInStage', 'TriggerDescriptor', 'BindingDescriptor', 'BuildCondition', 'pluginManager.plugins']) {
      expect(EXPORT_SCRIPT, needle).toContain(needle);
    }
    expect(EXPORT_SCRIPT).not.toContain('${');
  });
});

describe('importExportDump', () => {
  const { catalog, warnings } = importExportDump(DUMP);
  const dump = JSON.parse(DUMP) as { steps: { functionName: string }[]; plugins: { id: string; active: boolean }[]; jenkinsVersion: string };
  const step = (name: string) => {
    const found = catalog.steps.find((s) => s.name === name);
    if (!found) throw new Error(`no step ${name}`);
    return found;
  };
  const describable = (kind: string, symbol: string) => catalog.describables.find((d) => d.kind === kind && d.symbol === symbol);

  it('is a complete, valid catalog of the active plugins plus core', () => {
    expect(CatalogSchema.safeParse(catalog).success).toBe(true);
    expect(catalog).toMatchObject({ source: 'export-script', complete: true, name: 'jenkins.example.com' });
    expect(catalog.plugins.map((p) => p.id).sort()).toEqual(['core', ...dump.plugins.filter((p) => p.active).map((p) => p.id)].sort());
    expect(catalog.plugins.find((p) => p.id === 'core')?.version).toBe(dump.jenkinsVersion);
    expect(catalog.steps.map((s) => s.name)).toEqual(dump.steps.map((s) => s.functionName).sort());
  });

  it('steps: plugins, node context, blocks, defaults, enums, deprecated, meta-steps', () => {
    expect(step('sh')).toMatchObject({ plugin: 'workflow-durable-task-step', requiresNode: true, takesBlock: false, defaultParameter: 'script', doc: 'Shell Script' });
    expect(step('timeout')).toMatchObject({ requiresNode: false, takesBlock: true, defaultParameter: 'time' });
    expect(step('timeout').parameters.find((p) => p.name === 'unit')?.type).toMatchObject({ kind: 'enum', values: expect.arrayContaining(['MINUTES']) });
    expect(step('junit').parameters.find((p) => p.name === 'keepLongStdio')).toMatchObject({ deprecated: true, required: false });
    expect(step('junit').parameters.find((p) => p.name === 'healthScaleFactor')?.type).toEqual({ kind: 'number', integer: false });
    expect(step('step').metaStepOf).toBe('buildStep');
    expect(step('step').parameters[0]!.type).toEqual({ kind: 'describable', baseClass: 'jenkins.tasks.SimpleBuildStep', symbols: ['archiveArtifacts'] });
  });

  it('nested types: symbol-less inline, symbol choices as describables', () => {
    const target = step('publishHTML').parameters[0]!;
    expect(target.type.kind).toBe('describable');
    const nested = target.type.kind === 'describable' ? target.type.parameters ?? [] : [];
    expect(nested.filter((p) => p.required).map((p) => p.name)).toEqual(['reportName', 'reportDir', 'reportFiles', 'keepAll', 'alwaysLinkToLastBuild', 'allowMissing']);
    expect(nested.find((p) => p.name === 'includes')).toEqual({ name: 'includes', type: { kind: 'string' }, required: false });
    const bindings = step('withCredentials').parameters[0]!;
    expect(bindings.type).toEqual({ kind: 'list', of: { kind: 'describable', baseClass: 'org.jenkinsci.plugins.credentialsbinding.MultiBinding', symbols: ['string', 'usernamePassword'] } });
    expect(describable('credentialBinding', 'usernamePassword')?.parameters.map((p) => p.name)).toEqual(['usernameVariable', 'passwordVariable', 'credentialsId']);
    // logRotator is reached only through buildDiscarder's strategy: listed as 'other'.
    expect(describable('other', 'logRotator')?.className).toBe('hudson.tasks.LogRotator');
    expect(describable('jobProperty', 'buildDiscarder')?.parameters[0]!.type).toMatchObject({ kind: 'describable', symbols: ['logRotator'] });
  });

  it('declarative describables: agents, when (nesting), options in stages, triggers, parameters, post', () => {
    expect(describable('agent', 'label')).toMatchObject({ defaultParameter: 'label', plugin: 'pipeline-model-definition' });
    expect(describable('when', 'allOf')?.takesConditions).toBe(true);
    expect(describable('when', 'branch')?.takesConditions).toBeUndefined();
    expect(describable('option', 'skipDefaultCheckout')?.allowedInStage).toBe(true);
    expect(describable('option', 'preserveStashes')?.allowedInStage).toBe(false);
    expect(describable('trigger', 'cron')?.parameters).toEqual([{ name: 'spec', type: { kind: 'string' }, required: true }]);
    expect(describable('parameter', 'string')?.parameters.find((p) => p.name === 'trim')?.type).toEqual({ kind: 'boolean' });
    expect(describable('postCondition', 'always')).toMatchObject({ plugin: 'pipeline-model-definition', parameters: [] });
  });

  it('keeps a step the controller could not describe, with a warning; passes on the controller problems', () => {
    expect(step('parallel').parameters).toEqual([]);
    expect(warnings.some((w) => w.startsWith('step parallel:') && w.includes('DataBoundConstructor'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('controller: credentialBinding'))).toBe(true);
  });

  it('refuses JSON that is not a dump', () => {
    expect(() => importExportDump('{"format":1}')).toThrow(ExportDumpError);
    expect(() => importExportDump('not json')).toThrow(/not JSON/);
  });
});

describe('mergeImportedCatalog', () => {
  const gdsl = importGdsl(readFileSync(join(import.meta.dirname, 'fixtures', 'gdsl', 'storybookM3.gdsl'), 'utf8'), { name: 'controller' }).catalog;
  const bundled: Catalog = defaultCatalog();

  it("GDSL onto the bundled catalog: the controller's steps, the bundled plugins and types", () => {
    const merged = mergeImportedCatalog(bundled, gdsl);
    expect(CatalogSchema.safeParse(merged).success).toBe(true);
    expect(merged.steps.map((s) => s.name)).toEqual(gdsl.steps.map((s) => s.name));
    const inBoth = gdsl.steps.filter((s) => bundled.steps.some((b) => b.name === s.name)).map((s) => s.name);
    expect(inBoth.length).toBeGreaterThan(20);
    for (const name of inBoth) {
      const bundledStep = bundled.steps.find((s) => s.name === name)!;
      expect(merged.steps.find((s) => s.name === name)!.plugin, name).toBe(bundledStep.plugin);
    }
    const onlyController = gdsl.steps.find((s) => !bundled.steps.some((b) => b.name === s.name))!;
    expect(merged.steps.find((s) => s.name === onlyController.name)!.plugin).toBe('unknown');
    // GDSL's 'Map' for publishHTML's target becomes the bundled describable type.
    expect(merged.steps.find((s) => s.name === 'publishHTML')!.parameters[0]!.type).toEqual(bundled.steps.find((s) => s.name === 'publishHTML')!.parameters[0]!.type);
    expect(merged.plugins).toEqual(bundled.plugins);
    expect(merged).toMatchObject({ source: 'merged', name: 'controller', complete: false });
  });

  it('a plugin list replaces the plugins (a bundled plugin the controller lacks is not installed)', () => {
    const list = pluginListCatalog(parsePluginsTxt('git:5.2.1\nhtmlpublisher:1.36\n'));
    const merged = mergeImportedCatalog(mergeImportedCatalog(bundled, gdsl), list);
    expect(merged.plugins).toEqual([
      { id: 'git', version: '5.2.1' },
      { id: 'htmlpublisher', version: '1.36' },
    ]);
    expect(merged.steps.length).toBe(gdsl.steps.length);
  });
});
