/** Temporary projects on disk for the load tests (real files, real esbuild, real Node). */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearLoadCache } from '../../src/load/cache.ts';

/** The repository's node_modules, for projects that import npm packages. */
export const REPO_NODE_MODULES = path.resolve(import.meta.dirname, '../../node_modules');

export interface TempProject {
  root: string;
  /** Absolute path of a project file. */
  file(relative: string): string;
  /** Writes (or overwrites) project files. */
  write(files: Record<string, string>): Promise<void>;
  /** Removes the project and its bundle cache. */
  remove(): Promise<void>;
}

/** Creates a project in a fresh temp directory; `linkNodeModules` symlinks the repo's node_modules. */
export async function createProject(files: Record<string, string>, options: { linkNodeModules?: boolean } = {}): Promise<TempProject> {
  // realpath: macOS-style /tmp symlinks would otherwise make paths compare unequal.
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'pw-load-')));
  const project: TempProject = {
    root,
    file: (relative) => path.join(root, relative),
    async write(more) {
      for (const [relative, text] of Object.entries(more)) {
        const target = path.join(root, relative);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, text);
      }
    },
    async remove() {
      clearLoadCache(root);
      await rm(root, { recursive: true, force: true });
    },
  };
  if (options.linkNodeModules) await symlink(REPO_NODE_MODULES, path.join(root, 'node_modules'), 'dir');
  await project.write(files);
  return project;
}

/** 1-based line and column of the first occurrence of `needle` in `text` (throws if absent). */
export function positionOf(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let index = -1;
  for (let seen = 0; seen < occurrence; seen += 1) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`${JSON.stringify(needle)} not found ${occurrence} time(s)`);
  }
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}
