/**
 * Finding which pipelines an external (npm) import breaks.
 *
 * External imports stay `import` statements at the top of the shared bundle, so Node links and
 * evaluates them all before any pipeline runs: one missing package, missing named export or
 * package that throws on import fails the whole bundle. This module turns that one failure back
 * into the set of files that cause it, so the loader can report them and rebuild without them.
 */
import { readFileSync } from 'node:fs';
import type { ExternalImports } from './bundle.ts';

/** A local file that imports the failing package, and where. */
export interface ImportSite {
  /** Absolute path. */
  file: string;
  line: number;
  column: number;
}

/** One reason for the bundle failing to import. */
export interface ExternalFailure {
  /** The error to report (Node's own, from the bundle or from a probe import). */
  error: unknown;
  /** The package specifier at fault. */
  specifier: string;
  /** Local files whose imports trigger the failure. */
  sites: ImportSite[];
}

/** Node's link errors for a missing named export: ESM, and CommonJS (exports not detectable). */
function missingExport(message: string): { specifier: string; name: string } | undefined {
  const esm = /The requested module '([^']+)' does not provide an export named '([^']+)'/.exec(message);
  if (esm) return { specifier: esm[1]!, name: esm[2]! };
  const commonJs = /Named export '([^']+)' not found\. The requested module '([^']+)'/.exec(message);
  if (commonJs) return { specifier: commonJs[2]!, name: commonJs[1]! };
  return undefined;
}

/**
 * Explains a failed import of the bundle. A missing named export names module and export in the
 * message: the files importing that name are at fault. Anything else (missing package, a package
 * that throws, bad `exports` map) shows up when each external specifier is imported on its own by
 * `probe` (from the bundle's directory, so resolution is the same). Returns `[]` when neither
 * finds the cause.
 */
export async function diagnoseExternalFailure(
  error: unknown,
  externals: ExternalImports,
  probe: (specifier: string) => Promise<unknown>,
): Promise<ExternalFailure[]> {
  const message = error instanceof Error ? error.message : '';
  const missing = missingExport(message);
  if (missing) {
    const { specifier, name } = missing;
    const sites: ImportSite[] = [];
    for (const [file, specifiers] of externals) {
      if (!specifiers.has(specifier)) continue;
      const site = findImportSite(file, specifier, name);
      if (site) sites.push(site);
    }
    if (sites.length > 0) return [{ error, specifier, sites }];
  }

  const importers = new Map<string, string[]>();
  for (const [file, specifiers] of externals) {
    for (const specifier of specifiers) {
      if (specifier.startsWith('node:')) continue;
      let files = importers.get(specifier);
      if (!files) importers.set(specifier, (files = []));
      files.push(file);
    }
  }
  const specifiers = [...importers.keys()];
  const outcomes = await Promise.allSettled(specifiers.map((specifier) => probe(specifier)));
  const failures: ExternalFailure[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') continue;
    const specifier = specifiers[index]!;
    const sites = importers.get(specifier)!.map((file) => findImportSite(file, specifier) ?? { file, line: 1, column: 1 });
    failures.push({ error: outcome.reason, specifier, sites });
  }
  return failures;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where `file` imports `specifier` (the string literal), or, given `name`, where it names that
 * binding in `import { name } from 'specifier'` / `export { name } from 'specifier'` (for
 * `default`: the local name in `import local from 'specifier'`).
 */
export function findImportSite(file: string, specifier: string, name?: string): ImportSite | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const literal = escapeRegExp(specifier);
  let index: number | undefined;
  if (name === undefined) {
    index = new RegExp(`(['"])${literal}\\1`).exec(text)?.index;
  } else if (name === 'default') {
    // `import name from 'specifier'` / `import name, { ... } from 'specifier'`: at `name`.
    const statement = new RegExp(`\\bimport\\s+(?!type\\s)([\\w$]+)\\s*(?:,[^;]*?)?\\s+from\\s*(['"])${literal}\\2`).exec(text);
    if (statement) index = statement.index + statement[0].indexOf(statement[1]!, 'import'.length);
  } else {
    const statement = new RegExp(`\\b(?:import|export)\\s+(?:type\\s+)?(?:[\\w$]+\\s*,\\s*)?\\{([^}]*)\\}\\s*from\\s*(['"])${literal}\\2`, 'g');
    for (let match = statement.exec(text); match && index === undefined; match = statement.exec(text)) {
      const list = match[1]!;
      const binding = new RegExp(`(^|[\\s,{])(${escapeRegExp(name)})(?=\\s*(?:,|$|\\bas\\b))`, 'm').exec(list);
      if (binding) index = match.index + match[0].indexOf(list) + binding.index + binding[1]!.length;
    }
  }
  if (index === undefined) return undefined;
  const before = text.slice(0, index).split('\n');
  return { file, line: before.length, column: before[before.length - 1]!.length + 1 };
}
