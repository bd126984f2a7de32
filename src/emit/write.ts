/**
 * Writing Jenkinsfiles safely: atomic (temp file + rename in the same directory), skipped when the
 * bytes are unchanged, and never over a file that pipewright did not generate unless forced.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isGeneratedByPipewright } from './header.ts';

export type WritePlan =
  /** No file yet. */
  | 'create'
  /** A pipewright file with other content. */
  | 'update'
  /** Same bytes already on disk. */
  | 'unchanged'
  /** A file pipewright did not generate is in the way. */
  | 'foreign';

/** Reads a file, or `undefined` when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * `readIfExists`, synchronously: for runs over many small files (a Jenkinsfile per pipeline),
 * where going through the thread pool costs ten times the read itself.
 */
export function readIfExistsSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Decides what writing `text` to a file whose current content is `existing` would do. */
export function planWrite(existing: string | undefined, text: string): WritePlan {
  if (existing === undefined) return 'create';
  if (existing === text) return 'unchanged';
  return isGeneratedByPipewright(existing) ? 'update' : 'foreign';
}

/**
 * Writes `text` to `path` atomically, creating parent directories (unless the caller knows the
 * directory exists: `directoryExists`).
 */
export async function writeAtomic(path: string, text: string, directoryExists = false): Promise<void> {
  if (!directoryExists) await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.pipewright-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, text, 'utf8');
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
