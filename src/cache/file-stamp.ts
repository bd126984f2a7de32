/**
 * Stat stamps: knowing that a file still holds the content verified earlier without reading it.
 *
 * A stamp is what git's index keeps of a file: size, modification and change time (nanoseconds),
 * inode and device, from `lstat` (a symbolic link has no stamp). An edit changes the change time
 * (which no process can set back: `touch -d` sets it to now), a replacement by rename changes the
 * inode, so a file whose stamp is the one recorded when its content was verified still holds
 * that content, with one exception git calls "racy": an edit within the same clock tick (or,
 * on a coarse file system, the same second) as the recorded state leaves every field equal. So a
 * stamp is only trusted when its times are safely older than the moment it was taken
 * ({@link SETTLE_MS}): any change after that moment gets a later change time.
 *
 * The rule assumes the file system's clock is this machine's (a local disk). On a network file
 * system whose server's clock runs ahead, stamps are never settled (files are read, as without
 * stamps); one whose clock runs more than SETTLE_MS behind could settle a stamp taken in the same
 * tick as a write that follows (git's index, which compares with its own file's mtime, has the
 * same limit in a narrower form).
 *
 * Stamps live in memory and in the signed result cache (`compile-cache.ts`), keyed by the exact
 * file; nothing here trusts a stamp it did not take itself.
 */
import { lstatSync, type BigIntStats } from 'node:fs';

/**
 * How much older than the moment a stamp is taken its times must be for it to be trusted: more
 * than the coarsest common timestamp granularity (FAT's 2 s) plus a clock tick.
 */
export const SETTLE_MS = 3_000;

/** A file's stamp, and whether it may be recorded (not racy). */
export interface TakenStamp {
  /** `size:mtimeNs:ctimeNs:ino:dev`. */
  stamp: string;
  /** Both times are at least {@link SETTLE_MS} older than the moment the stamp was taken. */
  settled: boolean;
}

/**
 * The stamp of the regular file at `absolute`, or `undefined` when there is none (absent, a
 * symbolic link, not a regular file, unreadable metadata). `now` (ms since the epoch) must be
 * taken before the call: it is the moment the stamp vouches for.
 */
export function takeStamp(absolute: string, now: number = Date.now()): TakenStamp | undefined {
  let stats;
  try {
    stats = lstatSync(absolute, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (!stats?.isFile()) return undefined;
  const limit = BigInt(now - SETTLE_MS) * 1_000_000n;
  return { stamp: stampText(stats), settled: stats.mtimeNs < limit && stats.ctimeNs < limit };
}

/** Whether the file at `absolute` has exactly the (trusted) stamp `recorded`. */
export function hasStamp(absolute: string, recorded: string): boolean {
  let stats;
  try {
    stats = lstatSync(absolute, { bigint: true, throwIfNoEntry: false });
  } catch {
    return false;
  }
  return stats !== undefined && stats.isFile() && stampText(stats) === recorded;
}

const stampText = (stats: BigIntStats): string => `${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}:${stats.ino}:${stats.dev}`;
