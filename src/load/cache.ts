/**
 * Where bundles live, and the warm cache that lets a load skip esbuild when nothing changed.
 *
 * Bundles are written inside the project so Node resolves their external (npm) imports from the
 * project's own node_modules: `<root>/node_modules/.cache/pipewright/` when `<root>/node_modules`
 * exists, else `<root>/.pipewright-cache/`. Several roots may share one cache directory (a
 * node_modules symlink), so every file name starts with a hash of the root.
 *
 * A manifest next to the bundle records the entries and the size and mtime of every input file
 * (plus the root's tsconfig.json and package.json, which change how esbuild compiles), and a
 * SHA-256 of the bundle and its map. If all still match, the bundle is reused as is. The manifest
 * is signed with the user's cache key (`../cache/cache-key.ts`, outside the project): a bundle is
 * code that runs, so one planted in `node_modules/.cache` (by a pull request's build, say) must
 * not be taken for ours. Runs that may not trust the cache (CI, --check, lint) never reuse one.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import path from 'node:path';
import { signText } from '../cache/cache-key.ts';
import type { BundleMode } from './bundle.ts';

/** Bump when the bundle layout or the manifest format changes. */
const CACHE_FORMAT = 4;

export interface CacheLocation {
  directory: string;
  /** File-name prefix unique to the root. */
  rootPrefix: string;
  /** File-name prefix unique to the root and the set of entries (a config load and a pipeline load do not evict each other). */
  prefix: string;
}

/**
 * Manifests kept per root (one per distinct entry set; the most recently built survive). A large
 * load has one per chunk (`LOAD_CHUNK_SIZE`), so 10,000 pipelines take 10 of them, plus the
 * configuration's.
 */
const MANIFESTS_PER_ROOT = 32;

/**
 * 48-bit FNV-1a of `text`, as 12 hex digits: names cache files, so collisions only cost a
 * rebuild (manifests are checked entry by entry), and `node:crypto` stays unloaded on the warm path.
 */
function shortHash(text: string): string {
  let low = 0x811c9dc5;
  let high = 0x050c5d1f;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    low = Math.imul(low ^ code, 0x01000193) >>> 0;
    high = Math.imul(high ^ (code + index), 0x01000193) >>> 0;
  }
  return (high & 0xffffff).toString(16).padStart(6, '0') + (low & 0xffffff).toString(16).padStart(6, '0');
}

/** The cache slot for loading `entries` from `root`; creates the directory. */
export function cacheLocation(root: string, entries: readonly string[]): CacheLocation {
  const rootPrefix = shortHash(root);
  const prefix = `${rootPrefix}-${shortHash([...entries].sort().join('\0'))}`;
  const nodeModules = path.join(root, 'node_modules');
  const candidates = isDirectory(nodeModules)
    ? [path.join(nodeModules, '.cache', 'pipewright'), path.join(root, '.pipewright-cache')]
    : [path.join(root, '.pipewright-cache')];
  for (const [index, directory] of candidates.entries()) {
    try {
      mkdirSync(directory, { recursive: true });
      return { directory, rootPrefix, prefix };
    } catch (error) {
      // A read-only node_modules (some package managers' stores) falls back to the project dir.
      if (index === candidates.length - 1) throw error;
    }
  }
  throw new Error('unreachable: no cache directory candidates');
}

/**
 * Whether `root` has a bundle cache directory at all (without creating one): when it has none,
 * no bundle can be reused and a load certainly runs esbuild.
 */
export function hasBundleCache(root: string): boolean {
  return isDirectory(path.join(root, 'node_modules', '.cache', 'pipewright')) || isDirectory(path.join(root, '.pipewright-cache'));
}

function isDirectory(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

let buildCounter = 0;

/** A fresh bundle path: unique per process and build, so Node never serves a stale module. */
export function newBundlePath(location: CacheLocation): string {
  buildCounter += 1;
  const stamp = `${Date.now().toString(36)}-${process.pid.toString(36)}-${buildCounter}`;
  return path.join(location.directory, `${location.prefix}-${stamp}.mjs`);
}

/** A fresh directory name for isolated (one bundle per pipeline) builds. */
export function newIsolatedDirectory(location: CacheLocation): string {
  return newBundlePath(location).replace(/\.mjs$/, '.isolated');
}

/** What a reusable bundle holds; `edges` etc. are keyed by absolute path. */
export interface BundleManifest {
  format: number;
  /** The DSL module bundled for `pipewright` (differs between source and built package). */
  dslPath: string;
  bundle: string;
  mode: BundleMode;
  /** Bundled entries, in the bundle's order. */
  entries: string[];
  /** Absolute path -> `[mtimeMs, size]`, or `null` for a file that did not exist. */
  inputs: Record<string, [number, number] | null>;
  edges: Record<string, string[]>;
  externals: Record<string, string[]>;
  /** SHA-256 of the bundle's text followed by its map's (empty when it has none). */
  contentHash: string;
}

function manifestPath(location: CacheLocation): string {
  return path.join(location.directory, `${location.prefix}.json`);
}

/** Files beyond the inputs whose change must invalidate the bundle. */
function configFiles(root: string): string[] {
  return [path.join(root, 'tsconfig.json'), path.join(root, 'package.json')];
}

function fingerprint(file: string): [number, number] | null {
  const stats = statSync(file, { throwIfNoEntry: false });
  return stats ? [stats.mtimeMs, stats.size] : null;
}

/** Fingerprints of `files` plus the root's config files. */
export function fingerprintInputs(root: string, files: Iterable<string>): Record<string, [number, number] | null> {
  const inputs: Record<string, [number, number] | null> = {};
  for (const file of files) inputs[file] = fingerprint(file);
  for (const file of configFiles(root)) inputs[file] = fingerprint(file);
  return inputs;
}

/** Last manifest seen per cache, so a warm load in the same process skips reading it. */
const remembered = new Map<string, BundleManifest>();

/**
 * The manifest of a bundle built from exactly `entries` whose inputs are all unchanged, or
 * `undefined` (then the caller rebuilds).
 */
export function findReusableBundle(location: CacheLocation, entries: readonly string[], dslPath: string, secret: Buffer): BundleManifest | undefined {
  const key = manifestPath(location);
  let manifest = remembered.get(key);
  if (!manifest) {
    try {
      const text = readFileSync(key, 'utf8');
      const newline = text.indexOf('\n');
      const body = text.slice(newline + 1);
      if (newline !== 64 || signText(secret, body) !== text.slice(0, newline)) return undefined;
      manifest = JSON.parse(body) as BundleManifest;
    } catch {
      return undefined;
    }
  }
  if (manifest.format !== CACHE_FORMAT || manifest.dslPath !== dslPath) return undefined;
  if (manifest.entries.length !== entries.length) return undefined;
  const wanted = new Set(entries);
  if (!manifest.entries.every((entry) => wanted.has(entry))) return undefined;
  for (const [file, recorded] of Object.entries(manifest.inputs)) {
    const current = fingerprint(file);
    if (current === null || recorded === null ? current !== recorded : current[0] !== recorded[0] || current[1] !== recorded[1]) {
      return undefined;
    }
  }
  // The bundle is what runs: it must be the very text the signed manifest describes.
  if (contentHashOf(manifest.bundle) !== manifest.contentHash) return undefined;
  remembered.set(key, manifest);
  return manifest;
}

/** SHA-256 of a bundle's text and its map's, or `undefined` when the bundle cannot be read. */
function contentHashOf(bundle: string): string | undefined {
  let code: string;
  try {
    code = readFileSync(bundle, 'utf8');
  } catch {
    return undefined;
  }
  let map = '';
  try {
    map = readFileSync(`${bundle}.map`, 'utf8');
  } catch {
    // An eager-style bundle without a map.
  }
  return hash('sha256', `${code.length}:${code}${map}`, 'hex');
}

/**
 * Writes bundle, map and manifest (manifest last, atomically, signed with `secret`), then deletes
 * older bundles of this root. Without a manifest or a secret the bundle is not reusable.
 */
export function storeBundle(
  location: CacheLocation,
  files: { code: string; map?: string },
  manifest: Omit<BundleManifest, 'format' | 'contentHash'> | undefined,
  bundlePath: string,
  secret?: Buffer,
): void {
  if (files.map !== undefined) writeFileSync(`${bundlePath}.map`, files.map);
  writeFileSync(bundlePath, files.code);
  const key = manifestPath(location);
  if (manifest && secret) {
    const contentHash = hash('sha256', `${files.code.length}:${files.code}${files.map ?? ''}`, 'hex');
    const full: BundleManifest = { format: CACHE_FORMAT, ...manifest, contentHash };
    const temporary = `${key}.${process.pid}.tmp`;
    const body = JSON.stringify(full);
    writeFileSync(temporary, `${signText(secret, body)}\n${body}`);
    renameSync(temporary, key);
    remembered.set(key, full);
  } else {
    // A bundle that could not hold every entry (build errors) is not reusable: a fix elsewhere,
    // e.g. creating a missing file, would not show up in its fingerprints.
    rmSync(key, { force: true });
    remembered.delete(key);
  }
  removeOldBundles(location, path.basename(bundlePath));
  pruneOtherSlots(location);
}

/** Forgets the manifest (e.g. when its bundle turned out to be unusable). */
export function forgetBundle(location: CacheLocation): void {
  const key = manifestPath(location);
  rmSync(key, { force: true });
  remembered.delete(key);
}

/** Files of other entry sets without a manifest (failed builds) are removed after this long. */
const ORPHAN_AGE_MS = 10 * 60 * 1000;

/**
 * Keeps the most recently built manifests of this root and their bundles; deletes the rest, and
 * old bundles of other entry sets that never got a manifest.
 */
function pruneOtherSlots(location: CacheLocation): void {
  let names: string[];
  try {
    names = readdirSync(location.directory);
  } catch {
    return;
  }
  const mine = names.filter((name) => name.startsWith(`${location.rootPrefix}-`));
  const modified = (name: string) => statSync(path.join(location.directory, name), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const manifests = mine
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ slot: name.slice(0, -'.json'.length), built: modified(name) }))
    .sort((a, b) => b.built - a.built);
  const kept = new Set([location.prefix, ...manifests.slice(0, MANIFESTS_PER_ROOT).map(({ slot }) => slot)]);
  const now = Date.now();
  for (const name of mine) {
    const slot = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name.split('-').slice(0, 2).join('-');
    if (kept.has(slot)) continue;
    const hasManifest = manifests.some((manifest) => manifest.slot === slot);
    if (hasManifest || now - modified(name) > ORPHAN_AGE_MS) {
      rmSync(path.join(location.directory, name), { recursive: true, force: true });
    }
  }
}

function removeOldBundles(location: CacheLocation, keep: string): void {
  let names: string[];
  try {
    names = readdirSync(location.directory);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(`${location.prefix}-`) || name === keep || name === `${keep}.map`) continue;
    // Best effort: another process may be removing the same files.
    rmSync(path.join(location.directory, name), { recursive: true, force: true });
  }
}

/** Records, for the manifest, a `Map<string, Set<string>>` as plain JSON. */
export function toRecord(map: Map<string, Set<string>>): Record<string, string[]> {
  const record: Record<string, string[]> = {};
  for (const [key, values] of map) record[key] = [...values];
  return record;
}

export function fromRecord(record: Record<string, string[]>): Map<string, Set<string>> {
  return new Map(Object.entries(record).map(([key, values]) => [key, new Set(values)]));
}

/** Deletes every cached bundle and manifest of `root`, in both places a cache may be. */
export function clearLoadCache(root: string): void {
  const resolved = path.resolve(root);
  const rootPrefix = `${shortHash(resolved)}-`;
  for (const directory of [path.join(resolved, 'node_modules', '.cache', 'pipewright'), path.join(resolved, '.pipewright-cache')]) {
    let names: string[];
    try {
      names = readdirSync(directory);
    } catch {
      continue;
    }
    for (const name of names) if (name.startsWith(rootPrefix)) rmSync(path.join(directory, name), { recursive: true, force: true });
  }
  for (const key of remembered.keys()) if (path.basename(key).startsWith(rootPrefix)) remembered.delete(key);
}
