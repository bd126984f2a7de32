/**
 * The per-user secret that signs what pipewright caches inside a project (result-cache shards,
 * bundle manifests). The caches live in `node_modules/.cache/pipewright/`, which anyone who can
 * run code in a build of the project can write (a pull request's pipeline code, an npm
 * postinstall script); a plain checksum there proves nothing, since a forger recomputes it. The
 * key lives outside the project, in the user's own cache directory, readable by the user only, so
 * an entry written without it is not accepted.
 *
 * Location: `$PIPEWRIGHT_CACHE_KEY_DIR`, else `$XDG_CACHE_HOME/pipewright`, else
 * `~/.cache/pipewright`; the file `cache-key` (32 random bytes, hex), mode 0600, created on first
 * use. When it cannot be read or created, nothing is reused (every run computes from source).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

const KEY_FILE = 'cache-key';
const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** The directory holding the key, from the environment. */
export function cacheKeyDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIPEWRIGHT_CACHE_KEY_DIR) return path.resolve(env.PIPEWRIGHT_CACHE_KEY_DIR);
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'pipewright');
}

const loaded = new Map<string, Buffer | null>();

/**
 * The secret for signing cache entries, created on first use; `undefined` when there is none and
 * none can be made (then callers must not reuse cached data).
 */
export function cacheSecret(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const directory = cacheKeyDirectory(env);
  let secret = loaded.get(directory);
  if (secret === undefined) {
    secret = readOrCreate(directory);
    loaded.set(directory, secret);
  }
  return secret ?? undefined;
}

function readKey(file: string): Buffer | null {
  const stats = statSync(file);
  // A key others can read or write is no secret: refuse it rather than trust it.
  if ((stats.mode & 0o077) !== 0) {
    try {
      chmodSync(file, 0o600);
    } catch {
      return null;
    }
  }
  if (typeof process.getuid === 'function' && stats.uid !== process.getuid()) return null;
  const text = readFileSync(file, 'utf8').trim();
  return KEY_PATTERN.test(text) ? Buffer.from(text, 'hex') : null;
}

function readOrCreate(directory: string): Buffer | null {
  const file = path.join(directory, KEY_FILE);
  try {
    return readKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return null;
  }
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    // `wx`: of two runs creating the key at once, one wins and the other reads its key.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return null;
  }
  try {
    return readKey(file);
  } catch {
    return null;
  }
}

/** HMAC-SHA-256 of `text` under `secret`, hex (64 characters, like a SHA-256). */
export function signText(secret: Buffer, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}
