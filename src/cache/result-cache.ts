/**
 * The persistent compile-result cache: what compiling one pipeline produced (Jenkinsfile text,
 * diagnostics, policy findings), keyed by everything that result depends on, so an unchanged
 * pipeline is not validated, lowered, printed and policy-checked again on the next run.
 *
 * A key is the hash of: the cache format, the compiler build id (scripts/build.mjs: a hash of
 * src/ and the lockfile), the installed zod version, the current date (suppression expiry), the
 * resolved configuration (custom rules by their source text, plus the contents of the config
 * module's local imports), the pipeline's source path, and the pipeline's loaded value
 * serialised deterministically (`serialize.ts`). Results that also depend on files (project
 * files a policy rule read, the pipeline source a diagnostic location was taken from) record
 * those files' content hashes, and a hit is only used while they still match.
 *
 * Storage: 16 shard files (by source path) below the loader's cache directory,
 * `<cache>/results/<root hash>/<nn>.json`. Each shard starts with an HMAC-SHA-256 of its body
 * under the user's cache key (`cache-key.ts`, kept outside the project), and is written
 * atomically (temp file + rename); a shard that is unreadable, truncated, from another format or
 * build, or not signed with this user's key (a forged or foreign entry) is ignored and rebuilt. Per source path the most
 * recently used few results are kept (alternating configurations stay warm), and results unused
 * for a month are dropped.
 */
import { hash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { signText } from './cache-key.ts';

/** Bump when the stored shape changes. */
export const RESULT_CACHE_FORMAT = 3;

const SHARDS = 16;
const RESULTS_PER_SOURCE = 4;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_IDLE_DAYS = 30;

/** SHA-256 of a string, hex. */
export const sha256 = (text: string): string => hash('sha256', text, 'hex');

/** SHA-256 of several parts, each prefixed with its length (so part boundaries count). */
export function sha256Parts(parts: readonly string[]): string {
  let text = '';
  for (const part of parts) text += `${part.length}:${part}`;
  return sha256(text);
}

interface StoredEntry {
  /** Project-relative source path the result belongs to. */
  source: string;
  /** Day (days since the epoch) the entry was last used. */
  used: number;
  /** The cached value as JSON, parsed on each hit so callers get fresh objects. */
  data: string;
}

interface ShardFile {
  format: number;
  buildId: string;
  entries: Record<string, StoredEntry>;
}

interface Shard {
  file: string;
  entries: Map<string, StoredEntry>;
  /** Keys per source, built on first `set`. */
  bySource?: Map<string, string[]>;
  dirty: boolean;
}

/** Shards read or written by this process, by file, with the stat they had then. */
const remembered = new Map<string, { stamp: string; entries: Map<string, StoredEntry> }>();

const statStamp = (file: string): string | undefined => {
  let stats;
  try {
    stats = statSync(file, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR (a cache path that is a file), EACCES: no cache, not a failed run.
    return undefined;
  }
  return stats ? `${stats.mtimeMs}:${stats.size}:${stats.ino}` : undefined;
};

/** 32-bit FNV-1a, for picking a shard. */
function fnv(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) value = Math.imul(value ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return value;
}

/**
 * One project's result cache. `get`/`set` work in memory; `flush` writes the shards that changed.
 * Values are JSON-serialisable objects of the caller's choosing.
 */
export class ResultCache<T> {
  readonly #directory: string;
  readonly #buildId: string;
  readonly #secret: Buffer;
  readonly #shards = new Map<number, Shard>();
  readonly #today = Math.floor(Date.now() / DAY_MS);

  /**
   * `directory` holds this project's shards (created on the first write); `secret` signs them
   * (see `cache-key.ts`).
   */
  constructor(directory: string, buildId: string, secret: Buffer) {
    this.#directory = directory;
    this.#buildId = buildId;
    this.#secret = secret;
  }

  /** The cached value for `key`, or `undefined` (also for an entry that no longer parses). */
  get(key: string, source: string): T | undefined {
    const shard = this.#shard(source);
    const entry = shard.entries.get(key);
    if (!entry || entry.source !== source) return undefined;
    let value: T;
    try {
      value = JSON.parse(entry.data) as T;
    } catch {
      shard.entries.delete(key);
      shard.dirty = true;
      return undefined;
    }
    if (entry.used !== this.#today) {
      entry.used = this.#today;
      shard.dirty = true;
    }
    return value;
  }

  /** Stores `value` for `key` (replacing the least recently used result of `source` beyond the limit). */
  set(key: string, source: string, value: T): void {
    const shard = this.#shard(source);
    if (!shard.bySource) {
      shard.bySource = new Map();
      for (const [existing, entry] of shard.entries) {
        const keys = shard.bySource.get(entry.source);
        if (keys) keys.push(existing);
        else shard.bySource.set(entry.source, [existing]);
      }
    }
    let keys = (shard.bySource.get(source) ?? []).filter((existing) => existing !== key && shard.entries.has(existing));
    if (keys.length >= RESULTS_PER_SOURCE) {
      // Least recently used first; among equals, the oldest stored (Map order).
      const ranked = keys.map((existing, order) => ({ existing, order, used: shard.entries.get(existing)!.used }));
      ranked.sort((a, b) => a.used - b.used || a.order - b.order);
      const evicted = new Set(ranked.slice(0, keys.length - RESULTS_PER_SOURCE + 1).map(({ existing }) => existing));
      for (const existing of evicted) shard.entries.delete(existing);
      keys = keys.filter((existing) => !evicted.has(existing));
    }
    shard.entries.delete(key);
    shard.entries.set(key, { source, used: this.#today, data: JSON.stringify(value) });
    keys.push(key);
    shard.bySource.set(source, keys);
    shard.dirty = true;
  }

  /** Writes every changed shard atomically. Failures are ignored: the cache is only a cache. */
  flush(): void {
    for (const shard of this.#shards.values()) {
      if (!shard.dirty) continue;
      shard.dirty = false;
      const entries: Record<string, StoredEntry> = {};
      for (const [key, entry] of shard.entries) if (this.#today - entry.used <= MAX_IDLE_DAYS) entries[key] = entry;
      const body = JSON.stringify({ format: RESULT_CACHE_FORMAT, buildId: this.#buildId, entries } satisfies ShardFile);
      const temporary = `${shard.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        mkdirSync(this.#directory, { recursive: true });
        writeFileSync(temporary, `${signText(this.#secret, body)}\n${body}`);
        renameSync(temporary, shard.file);
        const stamp = statStamp(shard.file);
        if (stamp) remembered.set(shard.file, { stamp, entries: shard.entries });
      } catch {
        try {
          rmSync(temporary, { force: true });
        } catch {
          // The directory itself is unusable (a file in its place): nothing was written.
        }
        remembered.delete(shard.file);
      }
    }
  }

  #shard(source: string): Shard {
    const index = fnv(source) % SHARDS;
    let shard = this.#shards.get(index);
    if (!shard) {
      const file = path.join(this.#directory, `${String(index).padStart(2, '0')}.json`);
      shard = { file, entries: this.#read(file), dirty: false };
      this.#shards.set(index, shard);
    }
    return shard;
  }

  /** A shard's entries, or none when the file is missing, damaged, or from another format or build. */
  #read(file: string): Map<string, StoredEntry> {
    const stamp = statStamp(file);
    if (stamp === undefined) return new Map();
    const known = remembered.get(file);
    if (known && known.stamp === stamp) return known.entries;
    try {
      const text = readFileSync(file, 'utf8');
      const newline = text.indexOf('\n');
      const body = text.slice(newline + 1);
      if (newline !== 64 || signText(this.#secret, body) !== text.slice(0, newline)) return new Map();
      const parsed = JSON.parse(body) as Partial<ShardFile>;
      if (parsed.format !== RESULT_CACHE_FORMAT || parsed.buildId !== this.#buildId || typeof parsed.entries !== 'object' || parsed.entries === null) {
        return new Map();
      }
      const entries = new Map<string, StoredEntry>();
      for (const [key, entry] of Object.entries(parsed.entries)) {
        if (typeof entry?.source === 'string' && typeof entry.used === 'number' && typeof entry.data === 'string') entries.set(key, entry);
      }
      remembered.set(file, { stamp, entries });
      return entries;
    } catch {
      return new Map();
    }
  }
}
