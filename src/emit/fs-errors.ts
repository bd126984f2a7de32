/**
 * File-system failures as one line a person can act on: which file, and what happened, instead
 * of an `internal error` with a stack trace.
 */

/** What an errno code means for someone writing files, in a few words. */
const MEANINGS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a component of the path is a file, not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENOENT: 'no such file or directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EBUSY: 'resource busy',
  ETXTBSY: 'file busy',
  EXDEV: 'cross-device link',
};

/** A Node.js system error (`ENOENT`, `ENOSPC`, ...), as opposed to a bug. */
export function isFsError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code!);
}

/**
 * `<file>: <what happened> (<CODE>)` for a file-system error, one line. `file` is what the user
 * knows the operation by (e.g. the project-relative output); the error's own path is added when it
 * names something else (a parent directory, a temp file).
 */
export function describeFsError(error: unknown, file?: string): string {
  if (!isFsError(error)) return `${file ? `${file}: ` : ''}${error instanceof Error ? error.message : String(error)}`;
  const meaning = MEANINGS[error.code] ?? (error.message.split('\n')[0] ?? error.code).replace(/^[A-Z]+: /, '');
  const verb = error.syscall ? ` (${error.syscall} ${error.code})` : ` (${error.code})`;
  const other = error.path && file && !error.path.endsWith(file) ? ` at ${error.path}` : '';
  return `${file ?? error.path ?? 'file system'}: ${meaning}${other}${verb}`;
}
