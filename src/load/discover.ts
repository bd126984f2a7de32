/**
 * Finds the pipeline files of a project: `pipelines/**\/*.pipeline.ts`.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Suffix that marks a pipeline module. */
export const PIPELINE_FILE_SUFFIX = '.pipeline.ts';

export interface DiscoverOptions {
  /** Directory to search, relative to the root (default `pipelines`). */
  dir?: string;
}

/**
 * Lists every `*.pipeline.ts` file below `<root>/<dir>` (default `pipelines`), recursively,
 * skipping anything inside `node_modules` or dot-directories. Returns absolute paths sorted by
 * code unit, so the order is the same on every machine. A missing directory yields `[]`.
 */
export async function discoverPipelineFiles(root: string, patterns: DiscoverOptions = {}): Promise<string[]> {
  const base = path.resolve(root, patterns.dir ?? 'pipelines');
  let entries;
  try {
    entries = await readdir(base, { recursive: true, withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(PIPELINE_FILE_SUFFIX)) continue;
    const directory = entry.parentPath;
    // `readdir` cannot prune while recursing, so vendored code (node_modules) and tool
    // directories (.git, caches) are filtered here.
    const below = path.relative(base, directory);
    if (below && below.split(path.sep).some((segment) => segment === 'node_modules' || segment.startsWith('.'))) continue;
    files.push(path.join(directory, entry.name));
  }
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
