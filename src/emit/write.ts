/**
 * Writing Jenkinsfiles safely: atomic (temp file + rename in the same directory), skipped when the
 * bytes are unchanged, and never over a file that pipewright did not generate unless forced.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { handEditReason, readHeader } from './header.ts';
import { tempNameFor } from './lock.ts';

export type WritePlan =
  /** No file yet. */
  | 'create'
  /** A pipewright file with other content. */
  | 'update'
  /** A pipewright file edited by hand since (its body or header no longer as written). */
  | 'hand-edited'
  /** Same bytes already on disk. */
  | 'unchanged'
  /** A file pipewright did not generate is in the way. */
  | 'foreign';

/** Decides what writing `text` to a file whose current content is `existing` would do. */
export function planWrite(existing: string | undefined, text: string): WritePlan {
  return planWriteOver(existing, (current) => current === text);
}

/**
 * {@link planWrite} for a text known by a test of equality (`isText`: e.g. by its hash, when the
 * text itself has not been read).
 */
export function planWriteOver(existing: string | undefined, isText: (existing: string) => boolean): WritePlan {
  if (existing === undefined) return 'create';
  if (isText(existing)) return 'unchanged';
  const header = readHeader(existing);
  if (!header) return 'foreign';
  return handEditReason(header) === undefined ? 'update' : 'hand-edited';
}

/**
 * Writes `text` to `path` atomically, creating parent directories (unless the caller knows the
 * directory exists: `directoryExists`). The temp file is created exclusively (`wx`: never through
 * an existing file or symbolic link), and the rename replaces the final component itself, never
 * what a symbolic link there points to.
 */
export async function writeAtomic(path: string, text: string, directoryExists = false): Promise<void> {
  if (!directoryExists) await mkdir(dirname(path), { recursive: true });
  const temp = tempNameFor(path);
  try {
    await writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    // The write's own error is the one to report, not a failure to clean up after it.
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
