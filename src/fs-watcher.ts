/**
 * File-change notification for watch mode: `fs.watch` on directories (inotify, FSEvents,
 * ReadDirectoryChangesW), which name the file that changed.
 *
 * Why not chokidar: on every event in a directory it re-reads the whole directory (readdir and
 * an lstat per entry) to find added and removed files; with 1,000 pipelines in one directory that
 * is ~70 ms of main-thread work per save, in the way of the rebuild. Here an event costs one path
 * join (and a stat when a directory may have appeared), whatever the directory size.
 *
 * Trees are watched recursively (one watcher per directory, new subdirectories picked up as they
 * appear, `node_modules` and dot-directories skipped), reporting only files that can be modules
 * (see `isWatchableSource`: editors' temp files are not reported); single files are watched
 * through their directory, filtered by name. Events for a path are reported as they come (several per save
 * is normal): the caller debounces.
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface FileWatcher {
  /** Watches a directory tree (reported: every path below it). */
  addTree(directory: string): void;
  /** Watches single files (reported: exactly these paths), through their directories. */
  addFiles(files: readonly string[]): void;
  /** Stops watching. */
  close(): void;
}

export interface FileWatcherOptions {
  /** Called with the absolute path of a file (or directory) that was created, changed or removed. */
  onChange(file: string): void;
  onError(error: unknown): void;
  /** Paths not to report (also not descended into). */
  ignored?: (file: string) => boolean;
}

const skippedDirectory = (name: string) => name === 'node_modules' || name.startsWith('.');

/**
 * Whether a file in a watched tree can be a module some pipeline loads (a pipeline source, a module
 * it imports, the config): TypeScript, JavaScript or JSON. Editors save through files that are
 * none of these (`sed -i`'s `sedZpcpt6`, vim's `4913` probe, `.swp`, `~` backups, emacs `#x#`
 * and `.#x` locks); reporting them would log changes nobody made to a pipeline.
 */
export function isWatchableSource(name: string): boolean {
  if (name.startsWith('.#') || name.startsWith('#')) return false;
  return /\.(?:[cm]?[jt]sx?|json)$/.test(name);
}

/** Starts an empty watcher; add trees and files to it. */
export function createFileWatcher(options: FileWatcherOptions): FileWatcher {
  const watchers = new Map<string, FSWatcher>();
  /** Directories that belong to a watched tree: every entry is reported. */
  const treeDirectories = new Set<string>();
  /** Directories watched for some of their files only: the names to report. */
  const fileNames = new Map<string, Set<string>>();
  const ignored = options.ignored ?? (() => false);
  let closed = false;

  const unwatch = (directory: string) => {
    watchers.get(directory)?.close();
    watchers.delete(directory);
  };

  /** Forgets a removed directory and everything below it. */
  const forgetTree = (directory: string) => {
    const prefix = directory + path.sep;
    for (const watched of [...watchers.keys()]) {
      if ((watched === directory || watched.startsWith(prefix)) && !fileNames.has(watched)) unwatch(watched);
    }
    for (const tree of [...treeDirectories]) if (tree === directory || tree.startsWith(prefix)) treeDirectories.delete(tree);
  };

  const onEvent = (directory: string, filename: string | Buffer | null) => {
    if (closed) return;
    if (filename === null) {
      // The platform did not say which entry changed: report the directory itself.
      options.onChange(directory);
      return;
    }
    const name = filename.toString();
    const file = path.join(directory, name);
    if (treeDirectories.has(directory)) {
      if (ignored(file)) return;
      const stats = statSync(file, { throwIfNoEntry: false });
      if (stats?.isDirectory()) {
        if (!treeDirectories.has(file) && !skippedDirectory(name)) {
          // A new directory: watch it, and report what it already holds (created before its
          // watcher existed).
          for (const existing of addTreeDirectories(file)) options.onChange(existing);
        }
        return;
      }
      if (!stats && treeDirectories.has(file)) {
        forgetTree(file);
        options.onChange(file);
        return;
      }
      if (isWatchableSource(name)) options.onChange(file);
      return;
    }
    if (fileNames.get(directory)?.has(name)) options.onChange(file);
  };

  const watchDirectory = (directory: string) => {
    if (watchers.has(directory)) return;
    try {
      const watcher = watch(directory, { persistent: true }, (_event, filename) => onEvent(directory, filename));
      watcher.on('error', (error) => {
        // A removed directory's watcher fails on some platforms; anything else is worth a report.
        unwatch(directory);
        if (statSync(directory, { throwIfNoEntry: false })) options.onError(error);
      });
      watchers.set(directory, watcher);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError(error);
    }
  };

  /** Watches `root` and its subdirectories; returns the files found in them. */
  const addTreeDirectories = (root: string): string[] => {
    const files: string[] = [];
    const pending = [root];
    while (pending.length > 0) {
      const directory = pending.pop()!;
      if (treeDirectories.has(directory)) continue;
      treeDirectories.add(directory);
      watchDirectory(directory);
      let entries;
      try {
        entries = readdirSync(directory, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        const full = path.join(directory, entry.name);
        if (ignored(full)) continue;
        if (entry.isDirectory()) {
          if (!skippedDirectory(entry.name)) pending.push(full);
        } else if (isWatchableSource(entry.name)) files.push(full);
      }
    }
    return files;
  };

  return {
    addTree(directory) {
      if (!closed) addTreeDirectories(path.resolve(directory));
    },
    addFiles(files) {
      if (closed) return;
      for (const file of files) {
        const absolute = path.resolve(file);
        const directory = path.dirname(absolute);
        let names = fileNames.get(directory);
        if (!names) fileNames.set(directory, (names = new Set()));
        names.add(path.basename(absolute));
        watchDirectory(directory);
      }
    },
    close() {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
