/** Installed-plugin lists: a real plugins.txt and the plugin manager's JSON (fixtures/plugins/README.md). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePluginList, parsePluginManagerJson, parsePluginsTxt, PluginListError, pluginListCatalog } from '../../src/catalog/import/plugins.ts';
import { CatalogSchema } from '../../src/catalog/schema.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'plugins');
const read = (file: string) => readFileSync(join(FIXTURES, file), 'utf8');

describe('plugins.txt', () => {
  it('reads every id:version line of a real file, sorted by id', () => {
    const text = read('adop-jenkins.plugins.txt');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const plugins = parsePluginsTxt(text);
    expect(plugins).toHaveLength(lines.length);
    const [firstId, firstVersion] = lines[0]!.split(':');
    expect(plugins).toContainEqual({ id: firstId, version: firstVersion });
    expect(plugins.map((p) => p.id)).toEqual(plugins.map((p) => p.id).sort());
    expect(CatalogSchema.safeParse(pluginListCatalog(plugins)).success).toBe(true);
  });

  it('skips comments and blank lines, keeps the version of id:version:url', () => {
    const text = '# controller plugins\n\ngit:5.2.1   # pinned\r\nslack:722.vd07f1ea_7ff40:https://updates.jenkins.io/download/plugins/slack/722.vd07f1ea_7ff40/slack.hpi\n';
    expect(parsePluginsTxt(text)).toEqual([
      { id: 'git', version: '5.2.1' },
      { id: 'slack', version: '722.vd07f1ea_7ff40' },
    ]);
  });

  it('refuses unpinned or duplicate plugins, naming the line', () => {
    expect(() => parsePluginsTxt('git:5.2.1\nslack\n')).toThrow(/line 2: "slack" has no pinned version/);
    expect(() => parsePluginsTxt('git:latest\n')).toThrow(PluginListError);
    expect(() => parsePluginsTxt('git:1\ngit:2\n')).toThrow(/line 2: plugin "git" listed twice/);
  });
});

describe('/pluginManager/api/json?depth=1', () => {
  it('reads active, enabled plugins (an inactive one is not installed for pipelines)', () => {
    const text = read('plugin-manager.json');
    const document = JSON.parse(text) as { plugins: { shortName: string; version: string; active: boolean }[] };
    const active = document.plugins.filter((p) => p.active).map((p) => ({ id: p.shortName, version: p.version }));
    expect(parsePluginManagerJson(text)).toEqual(active.sort((a, b) => a.id.localeCompare(b.id)));
    expect(parsePluginManagerJson(text).some((p) => p.id === 'slack')).toBe(false);
    expect(parsePluginManagerJson(text, { includeInactive: true }).some((p) => p.id === 'slack')).toBe(true);
    expect(parsePluginList(text)).toEqual(parsePluginManagerJson(text));
  });

  it('refuses JSON without the plugins of depth=1', () => {
    expect(() => parsePluginManagerJson('{"_class":"hudson.LocalPluginManager"}')).toThrow(/no "plugins" array/);
    expect(() => parsePluginManagerJson('{"plugins":[{}]}')).toThrow(/plugins\[0\]: no shortName and version/);
  });
});
