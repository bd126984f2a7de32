/**
 * A controller's installed plugins, from the JSON of `JENKINS_URL/pluginManager/api/json?depth=1`
 * or from a `plugins.txt` (jenkins-plugin-manager's `id:version` lines), as catalog plugins.
 */
import { CATALOG_FORMAT, CatalogPluginSchema, type Catalog, type CatalogPlugin } from '../schema.ts';

/** A plugin list entry or line that could not be read, with why. */
export class PluginListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginListError';
  }
}

const byId = (a: CatalogPlugin, b: CatalogPlugin) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function checked(plugin: CatalogPlugin, where: string): CatalogPlugin {
  const result = CatalogPluginSchema.safeParse(plugin);
  if (!result.success) throw new PluginListError(`${where}: not a plugin id and version: ${JSON.stringify(plugin)}`);
  return result.data;
}

/**
 * Reads `/pluginManager/api/json?depth=1` (`{ "plugins": [{ "shortName", "version", "active",
 * "enabled", ... }] }`). Inactive or disabled plugins are left out by default: their steps do not
 * exist on the controller. Sorted by id.
 *
 * @throws PluginListError when the JSON is not a plugin manager answer.
 */
export function parsePluginManagerJson(text: string, options: { includeInactive?: boolean } = {}): CatalogPlugin[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PluginListError(`not JSON: ${(error as Error).message}`);
  }
  const plugins = (document as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(plugins)) throw new PluginListError('not a plugin manager answer: no "plugins" array (use /pluginManager/api/json?depth=1)');
  const result: CatalogPlugin[] = [];
  plugins.forEach((entry: unknown, index) => {
    const plugin = entry as { shortName?: unknown; version?: unknown; active?: unknown; enabled?: unknown };
    if (typeof plugin?.shortName !== 'string' || typeof plugin.version !== 'string') {
      throw new PluginListError(`plugins[${index}]: no shortName and version (use depth=1)`);
    }
    if (!options.includeInactive && (plugin.active === false || plugin.enabled === false)) return;
    result.push(checked({ id: plugin.shortName, version: plugin.version }, `plugins[${index}]`));
  });
  return result.sort(byId);
}

/**
 * Reads a `plugins.txt`: one `id:version` per line; `#` starts a comment; blank lines are skipped.
 * A line with only an id (or `id:latest`) has no version to record and is an error, as is a
 * duplicate id. jenkins-plugin-manager's `id:version:url` form keeps the version. Sorted by id.
 *
 * @throws PluginListError naming the line.
 */
export function parsePluginsTxt(text: string): CatalogPlugin[] {
  const result = new Map<string, CatalogPlugin>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `line ${index + 1}`;
    const separator = line.indexOf(':');
    const id = separator < 0 ? line : line.slice(0, separator);
    const rest = separator < 0 ? '' : line.slice(separator + 1);
    // id:version:url (the URL itself contains ':'), or id:version.
    const version = rest.split(/:(?=[a-z][a-z0-9+.-]*:\/\/)/i)[0]!.trim();
    if (version === '' || version === 'latest' || version === 'experimental') {
      throw new PluginListError(`${where}: "${line}" has no pinned version (expected id:version)`);
    }
    if (result.has(id)) throw new PluginListError(`${where}: plugin "${id}" listed twice`);
    result.set(id, checked({ id, version }, where));
  });
  return [...result.values()].sort(byId);
}

/** Which plugin-list format a text is: the plugin manager's JSON or a `plugins.txt`. */
export function parsePluginList(text: string): CatalogPlugin[] {
  return text.trimStart().startsWith('{') ? parsePluginManagerJson(text) : parsePluginsTxt(text);
}

/** A catalog of plugins only (no steps, no describables): what a plugin list says. */
export function pluginListCatalog(plugins: CatalogPlugin[], name = 'plugin list'): Catalog {
  return { format: CATALOG_FORMAT, name, source: 'plugin-list', complete: false, plugins: [...plugins].sort(byId), steps: [], describables: [] };
}
