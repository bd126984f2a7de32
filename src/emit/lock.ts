/**
 * One writer per project at a time. Two runs writing the same outputs race (one's orphan sweep
 * removing the other's temp files, renames crossing), so a run that writes takes a lock file in
 * the project first: `<root>/.pipewright.lock`, holding the owner's pid, host name and start time.
 * A lock whose owner is gone (same host, pid not alive) is stale and taken over; a live one is
 * waited for, up to a bounded time, then the run stops with a message naming the owner.
 *
 * Temp files are named after the writing process (`<file>.pipewright-<pid>-<random>.tmp`), so
 * a leftover from a killed run can be told from one being written right now.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export const LOCK_FILE = '.pipewright.lock';

/** Default wait for another run's lock; `PIPEWRIGHT_LOCK_TIMEOUT_MS` overrides it. */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

interface LockOwner {
  pid: number;
  hostname: string;
  started: string;
  token: string;
}

export interface ProjectLock {
  readonly file: string;
  release(): void;
}

/** The lock could not be taken in time (another run holds it). */
export class LockTimeoutError extends Error {
  constructor(
    readonly file: string,
    readonly owner: string,
    readonly waitedMs: number,
  ) {
    super(
      `${file}: another pipewright run holds the project lock (${owner}); waited ${(waitedMs / 1000).toFixed(1)} s. ` +
        `If that run no longer exists, delete the lock file.`,
    );
    this.name = 'LockTimeoutError';
  }
}

/** Whether process `pid` exists on this machine. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => Atomics.wait(sleepBuffer, 0, 0, ms);

function readOwner(file: string): { text: string; owner?: LockOwner } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.hostname === 'string' ? { text, owner } : { text };
  } catch {
    return { text };
  }
}

const describeOwner = (owner: LockOwner | undefined) =>
  owner ? `pid ${owner.pid} on ${owner.hostname}, started ${owner.started}` : 'owner unreadable';

/**
 * Takes the project lock of `root`, waiting (synchronously: callers are about to do synchronous
 * file work anyway) up to `timeoutMs` for a live owner. Throws {@link LockTimeoutError} after that.
 */
export function acquireProjectLock(root: string, timeoutMs = lockTimeoutFromEnv()): ProjectLock {
  const file = path.join(root, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    started: new Date().toISOString(),
    token: `${process.pid}-${Math.random().toString(36).slice(2)}`,
  };
  const text = `${JSON.stringify(me)}\n`;
  const started = Date.now();
  let pause = 5;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          // Remove the lock only if it is still ours.
          if (readOwner(file)?.owner?.token === me.token) unlinkSync(file);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readOwner(file);
    if (current === undefined) continue;
    const { owner } = current;
    // Stale: the owner was on this machine and is gone, or the file is unreadable and old enough
    // that no run can still be writing it (a run writes it in one call).
    const stale = owner ? owner.hostname === me.hostname && !isProcessAlive(owner.pid) : Date.now() - started > 1000;
    if (stale) {
      breakStaleLock(file, current.text);
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new LockTimeoutError(file, describeOwner(owner), waited);
    sleepSync(Math.min(pause, timeoutMs - waited));
    pause = Math.min(pause * 2, 100);
  }
}

/**
 * Removes a stale lock without removing a fresh one another run may have taken meanwhile: move it
 * aside (atomic), check it is the stale one, and put it back if it is not.
 */
function breakStaleLock(file: string, staleText: string): void {
  const aside = `${file}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  let movedText: string | undefined;
  try {
    movedText = readFileSync(aside, 'utf8');
  } catch {
    movedText = undefined;
  }
  if (movedText !== staleText) {
    try {
      linkSync(aside, file);
    } catch {
      // Someone has taken the lock since: theirs stands, and the one we moved is lost; its owner
      // finds the lock not its own when releasing and leaves it.
    }
  }
  unlinkSync(aside);
}

function lockTimeoutFromEnv(): number {
  const value = Number(process.env.PIPEWRIGHT_LOCK_TIMEOUT_MS);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_LOCK_TIMEOUT_MS;
}

/** `<file>.pipewright-<pid>-<random>.tmp`: an atomic write's temp file. */
const TEMP_NAME = /\.pipewright-(\d+)-[a-z0-9]*\.tmp$/;

/** A temp file name for writing `file` from this process. */
export const tempNameFor = (file: string) => `${file}.pipewright-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;

/** The pid that wrote temp file `name`, or `undefined` when `name` is not a pipewright temp file. */
export function tempFileOwner(name: string): number | undefined {
  const match = TEMP_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Longest time a temp file of a live run can be in flight: older ones are leftovers even if the pid was reused. */
const IN_FLIGHT_MS = 10 * 60_000;

/**
 * Whether a pipewright temp file may still be in flight: its process is alive (and not this one,
 * whose writes are done when it asks) and it was touched recently.
 */
export function isTempInFlight(name: string, mtimeMs: number): boolean {
  const pid = tempFileOwner(name);
  if (pid === undefined) return false;
  return pid !== process.pid && isProcessAlive(pid) && Date.now() - mtimeMs < IN_FLIGHT_MS;
}
