/**
 * `pipewright catalog import`'s library side: read a controller's GDSL, the export script's JSON
 * or an installed-plugin list (file, URL or stdin), detect which it is, convert it to a catalog,
 * and merge several onto a base (the bundled catalog by default).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Catalog } from '../schema.ts';
import { importExportDump } from './export-json.ts';
import { importGdsl } from './gdsl.ts';
import { mergeImportedCatalog } from './merge.ts';
import { parsePluginList, pluginListCatalog } from './plugins.ts';

export { importGdsl, GdslSyntaxError, GDSL_UNKNOWN_PLUGIN, type GdslImport, type GdslImportOptions } from './gdsl.ts';
export { importExportDump, ExportDumpError, ExportDumpSchema, type ExportDump, type ExportDumpImport } from './export-json.ts';
export { parsePluginManagerJson, parsePluginsTxt, parsePluginList, pluginListCatalog, PluginListError } from './plugins.ts';
export { mergeImportedCatalog } from './merge.ts';
export { javaTypeToParameterType } from './java-types.ts';

/** What an import source holds. */
export type ImportFormat = 'gdsl' | 'json' | 'plugins';

/** One converted source: its catalog, the format it was read as, and what it could not use. */
export interface ImportedSource {
  source: string;
  format: ImportFormat;
  catalog: Catalog;
  warnings: string[];
}

/**
 * Which format `text` is: the export script's JSON (`"pipewrightExport"`), the plugin manager's
 * JSON (`"plugins"`) or a `plugins.txt` (`id:version` lines) count as `json`/`plugins`; anything
 * with `contributor(` or `method(name:` is GDSL. Undefined when none fits.
 */
export function detectImportFormat(text: string): ImportFormat | undefined {
  const start = text.trimStart();
  if (start.startsWith('{')) {
    if (/"pipewrightExport"\s*:/.test(text)) return 'json';
    if (/"plugins"\s*:/.test(text)) return 'plugins';
    return undefined;
  }
  if (/\bcontributor\s*\(|\bmethod\s*\(\s*name\s*:/.test(text)) return 'gdsl';
  const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '');
  if (lines.length > 0 && lines.every((l) => /^[A-Za-z0-9][A-Za-z0-9._-]*:\S+$/.test(l))) return 'plugins';
  return undefined;
}

/**
 * Converts one source's text. With `format` unset the format is detected; a text no format fits
 * is an error. A plugin-manager JSON or `plugins.txt` gives a plugins-only catalog.
 *
 * @throws Error (GdslSyntaxError, ExportDumpError, PluginListError) naming what is wrong.
 */
export function importCatalogText(text: string, options: { source: string; format?: ImportFormat; name?: string }): ImportedSource {
  const format = options.format ?? detectImportFormat(text);
  if (format === undefined) {
    throw new Error(`${options.source}: not GDSL, the export script's JSON or a plugin list (give --format gdsl|json|plugins)`);
  }
  const name = options.name ?? options.source;
  switch (format) {
    case 'gdsl': {
      const result = importGdsl(text, { name });
      return { source: options.source, format, catalog: result.catalog, warnings: result.warnings };
    }
    case 'json': {
      const result = importExportDump(text, options.name === undefined ? {} : { name: options.name });
      return { source: options.source, format, catalog: result.catalog, warnings: result.warnings };
    }
    case 'plugins':
      return { source: options.source, format, catalog: pluginListCatalog(parsePluginList(text), name), warnings: [] };
  }
}

/** Credentials for fetching from a controller: `user:API-token` basic authentication. */
export interface FetchCredentials {
  user: string;
  token: string;
}

/**
 * Reads an import source: `-` is stdin, `http://`/`https://` is fetched (with basic
 * authentication when `credentials` are given; a Jenkins API token, never a password, is what
 * the docs recommend), anything else is a file path.
 */
export async function readImportSource(source: string, options: { cwd: string; credentials?: FetchCredentials; stdin?: () => Promise<string> }): Promise<string> {
  if (source === '-') {
    if (!options.stdin) throw new Error('no standard input to read');
    return options.stdin();
  }
  if (/^https?:\/\//i.test(source)) {
    const headers: Record<string, string> = { accept: 'text/plain, application/json' };
    if (options.credentials) headers.authorization = `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.token}`).toString('base64')}`;
    const response = await fetch(source, { headers, redirect: 'follow', signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${source}: HTTP ${response.status} ${response.statusText}`);
    return text;
  }
  return readFileSync(resolve(options.cwd, source), 'utf8');
}

/**
 * Merges imported catalogs, in order, onto `base` (see {@link mergeImportedCatalog}); without a
 * base the first source is the base. The result is named `name` when given.
 */
export function combineImports(imports: readonly ImportedSource[], base: Catalog | undefined, name?: string): Catalog {
  if (imports.length === 0 && !base) throw new Error('nothing to import');
  let catalog = base ?? imports[0]!.catalog;
  for (const imported of base ? imports : imports.slice(1)) catalog = mergeImportedCatalog(catalog, imported.catalog);
  return name === undefined ? catalog : { ...catalog, name };
}
