/**
 * Keeping writes and deletes inside the project. Path checks on text alone are not enough: a
 * directory component may be a symbolic link (`generated/ssh -> ~/.ssh`), and a file at the final
 * component may be one. Here every existing directory component is resolved with realpath and must
 * stay below the project root's real path, and the final component is examined with lstat: a
 * symbolic link there is never written through, replaced or deleted.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** What is at a path, without following a symbolic link at its final component. */
export type EntryKind = 'absent' | 'file' | 'symlink' | 'directory' | 'other';

export type GuardedTarget =
  | {
      ok: true;
      /** Absolute path to use for the file (its directory components resolved). */
      path: string;
      /** What is there now. */
      kind: 'absent' | 'file';
    }
  | { ok: false; reason: string };

export interface PathGuard {
  /** The project root's real path. */
  readonly realRoot: string;
  /**
   * Where project-relative `file` really is, if pipewright may write (or delete) it: inside the
   * project through every directory component, and not a symbolic link or directory itself.
   */
  target(file: string, known?: EntryKind): GuardedTarget;
  /** Records directories known to be real (from a listing of a checked directory): no syscalls for them. */
  knowDirectory(absolute: string): void;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/** True when `child` is `parent` or below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function kindOf(absolute: string): EntryKind {
  const stats = lstatSync(absolute, { throwIfNoEntry: false });
  if (!stats) return 'absent';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  return 'other';
}

/** A guard for the project at `root` (which must exist). */
export function createPathGuard(root: string): PathGuard {
  const realRoot = realpathSync.native(path.resolve(root));
  /** Absolute textual directory (below realRoot) → its real path, or why it cannot be used. */
  const directories = new Map<string, { real: string } | { reason: string }>();

  const checkDirectory = (directory: string, relativeDirectory: string): { real: string } | { reason: string } => {
    const cached = directories.get(directory);
    if (cached) return cached;
    // Resolve the deepest existing ancestor; components below it do not exist yet (mkdir creates
    // them as real directories).
    const missing: string[] = [];
    let probe = directory;
    let verdict: { real: string } | { reason: string };
    for (;;) {
      try {
        const real = realpathSync.native(probe);
        verdict = !isInside(realRoot, real)
          ? {
              reason: `${relativeDirectory || '.'} leads outside the project (${toPosix(path.relative(realRoot, probe)) || '.'} resolves to ${real} through a symbolic link); pipewright writes only inside the project`,
            }
          : statSync(real).isDirectory()
            ? { real: path.join(real, ...missing) }
            : {
                reason: `${toPosix(path.relative(realRoot, probe))}: a component of the path is a file, not a directory (ENOTDIR)`,
              };
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && path.dirname(probe) !== probe) {
          missing.unshift(path.basename(probe));
          probe = path.dirname(probe);
          continue;
        }
        if (code === 'ENOTDIR') {
          // Some ancestor is a file: name the first one.
          let file = probe;
          while (path.dirname(file) !== file && !lstatSync(path.dirname(file), { throwIfNoEntry: false })?.isDirectory()) file = path.dirname(file);
          verdict = { reason: `${toPosix(path.relative(realRoot, path.dirname(file) === file ? probe : file))}: a component of the path is a file, not a directory (ENOTDIR)` };
          break;
        }
        if (code === 'ELOOP') {
          verdict = { reason: `${relativeDirectory}: too many levels of symbolic links (ELOOP)` };
          break;
        }
        throw error;
      }
    }
    directories.set(directory, verdict);
    return verdict;
  };

  return {
    realRoot,
    knowDirectory(absolute) {
      directories.set(absolute, { real: absolute });
    },
    target(file, known) {
      const absolute = path.resolve(realRoot, file);
      if (!isInside(realRoot, absolute) || absolute === realRoot) {
        return { ok: false, reason: `${file} is outside the project; pipewright writes only inside the project` };
      }
      const directory = path.dirname(absolute);
      const checked = checkDirectory(directory, toPosix(path.relative(realRoot, directory)));
      if ('reason' in checked) return { ok: false, reason: checked.reason };
      const real = path.join(checked.real, path.basename(absolute));
      const kind = known ?? kindOf(real);
      if (kind === 'symlink') {
        return {
          ok: false,
          reason: `${file} is a symbolic link; pipewright never writes through, replaces or deletes a symbolic link (remove it, or choose another output)`,
        };
      }
      if (kind === 'directory') return { ok: false, reason: `${file} is a directory (EISDIR)` };
      if (kind === 'other') return { ok: false, reason: `${file} is not a regular file` };
      return { ok: true, path: real, kind };
    },
  };
}
