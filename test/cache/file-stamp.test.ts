/**
 * Stat stamps on real files: a stamp taken at a moment its times are not safely older than is
 * never settled (git's racy rule), and a file whose content changed, however it changed (same-size
 * edit, mtime set back, replaced by rename, a new inode), never has the stamp it had before.
 */
import { linkSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasStamp, SETTLE_MS, takeStamp } from '../../src/cache/file-stamp.ts';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'pw-stamp-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

/** A moment at which a file written now counts as settled (as if the stamp were taken later). */
const later = () => Date.now() + SETTLE_MS + 1_000;

/** Past the current file-system clock tick (changes after it get other timestamps). */
const nextTick = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('file stamps', () => {
  it('are not settled for a file changed within SETTLE_MS of the moment they are taken', () => {
    const file = join(directory, 'Jenkinsfile');
    writeFileSync(file, 'one');
    expect(takeStamp(file)!.settled).toBe(false);
    expect(takeStamp(file, Date.now() + SETTLE_MS - 500)!.settled).toBe(false);
    expect(takeStamp(file, later())!.settled).toBe(true);
    // A file whose mtime was set back is still changed now (its ctime): not settled either.
    utimesSync(file, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    expect(takeStamp(file)!.settled).toBe(false);
    // An mtime in the future is never older than the moment.
    utimesSync(file, new Date(Date.now() + 3_600_000), new Date(Date.now() + 3_600_000));
    expect(takeStamp(file, later())!.settled).toBe(false);
  });

  it('exist for regular files only (not absent paths, symbolic links or directories)', () => {
    const file = join(directory, 'file');
    writeFileSync(file, 'text');
    symlinkSync(file, join(directory, 'link'));
    mkdirSync(join(directory, 'sub'));
    expect(takeStamp(file)).toBeDefined();
    expect(takeStamp(join(directory, 'absent'))).toBeUndefined();
    expect(takeStamp(join(directory, 'link'))).toBeUndefined();
    expect(takeStamp(join(directory, 'sub'))).toBeUndefined();
    const stamp = takeStamp(file)!.stamp;
    expect(hasStamp(file, stamp)).toBe(true);
    // The link leads to a file with this very stamp, but a link is not the file.
    expect(hasStamp(join(directory, 'link'), stamp)).toBe(false);
    expect(hasStamp(join(directory, 'absent'), stamp)).toBe(false);
  });

  it('taken right after a write are racy: a same-size edit within the same tick may keep every field, so they are not settled', () => {
    const file = join(directory, 'Jenkinsfile');
    writeFileSync(file, 'pipeline { echo "a" }\n');
    const { mtime } = statSync(file);
    const taken = takeStamp(file)!;
    writeFileSync(file, 'pipeline { echo "b" }\n');
    utimesSync(file, mtime, mtime);
    // Whether or not this edit kept the stamp (same clock tick), the stamp was never trustworthy.
    expect(taken.settled).toBe(false);
  });

  it('change with every change of content, even one that keeps the size and the mtime', async () => {
    const file = join(directory, 'Jenkinsfile');
    writeFileSync(file, 'pipeline { echo "a" }\n');
    // A whole second, so that setting it back is exact to the nanosecond.
    const mtime = new Date('2026-01-01T00:00:00Z');
    utimesSync(file, mtime, mtime);
    const original = takeStamp(file)!.stamp;
    expect(hasStamp(file, original)).toBe(true);

    // Same-size edit in the same second, mtime then set back to the old one (touch -d): ctime moves.
    await nextTick();
    writeFileSync(file, 'pipeline { echo "b" }\n');
    utimesSync(file, mtime, mtime);
    expect(statSync(file).size).toBe(22);
    expect(statSync(file, { bigint: true }).mtimeNs).toBe(BigInt(mtime.getTime()) * 1_000_000n);
    expect(hasStamp(file, original)).toBe(false);

    // Replaced by rename with a file of the same size and mtime: another inode.
    const before = takeStamp(file)!.stamp;
    await nextTick();
    const replacement = join(directory, 'replacement');
    writeFileSync(replacement, 'pipeline { echo "c" }\n');
    utimesSync(replacement, mtime, mtime);
    renameSync(replacement, file);
    expect(hasStamp(file, before)).toBe(false);

    // Deleted and created again: whatever inode it gets, not the stamp it had.
    const again = takeStamp(file)!.stamp;
    await nextTick();
    unlinkSync(file);
    writeFileSync(file, 'pipeline { echo "c" }\n');
    utimesSync(file, mtime, mtime);
    expect(hasStamp(file, again)).toBe(false);
  });

  it('change when a hard link to the file is written to (same inode, new content)', async () => {
    const file = join(directory, 'dev.json');
    writeFileSync(file, '{"a":1}');
    const stamp = takeStamp(file)!.stamp;
    await nextTick();
    linkSync(file, join(directory, 'alias'));
    // Making the link changes the inode's ctime (its link count): already another stamp.
    expect(hasStamp(file, stamp)).toBe(false);
    const linked = takeStamp(file)!.stamp;
    await nextTick();
    writeFileSync(join(directory, 'alias'), '{"a":2}');
    expect(hasStamp(file, linked)).toBe(false);
  });
});
