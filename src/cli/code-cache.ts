/**
 * Start-up of the CLI from a V8 code cache. Node 20 has no code cache for ES modules
 * (`module.enableCompileCache` is Node 22.1+), so the build also emits the whole CLI as one
 * CommonJS script (`dist/cli.cjs`) and, after running it on sample projects, V8's code cache of
 * it (`dist/cli.cjs.cache`): the bytecode of every function those runs compiled. A command then
 * starts without parsing and compiling ~2.4 MB of JavaScript, and its first pipelines without
 * compiling the compiler's functions one by one (about 0.1 s of CPU per run).
 *
 * The cache can only ever make start-up faster, never change what runs:
 * - it is used only when it was made from exactly this script: the cache file starts with the
 *   SHA-256 of the script's bytes (V8's own check compares the source length, not its text);
 * - V8 rejects a cache of another V8 version or of other V8 flags, and then compiles the source;
 * - it is written only by the build (`writeCliCodeCache`), next to the script, never at run time:
 *   whoever can write it can write the script too.
 */
import { isAscii } from 'node:buffer';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from './io.ts';

// Loaded on first use: `pipewright --help` imports this module and needs neither.
const crypto = () => process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
const vm = () => process.getBuiltinModule('node:vm') as typeof import('node:vm');

/** The CLI as one CommonJS script, beside the ESM build (`dist/cli.cjs`). */
export const CLI_SCRIPT_NAME = 'cli.cjs';
/** Its code cache: the script's SHA-256 (32 bytes), then V8's cached data. */
export const CODE_CACHE_SUFFIX = '.cache';

const DIGEST_BYTES = 32;

/** The CLI's entry point, as `src/cli/main.ts` exports it. */
export type CliMain = (argv: string[]) => Promise<number>;

/** A script run in this realm as a CommonJS module, with the V8 code cache when it fits. */
export interface CachedScript {
  /** What the script exported (`module.exports`). */
  exports: Record<string, unknown>;
  /** Whether V8 took the code cache (false: no cache, one of another script, or V8 refused it). */
  cacheUsed: boolean;
  /** The code cache of the script as it is now (functions compiled so far included), in the cache file's format. */
  createCache(): Buffer;
}

const sha256 = (bytes: Buffer): Buffer => crypto().createHash('sha256').update(bytes).digest();

/**
 * Runs `file` as a CommonJS module (its own `require`, `module`, `__filename`, `__dirname`), with
 * the cached data of `file + CODE_CACHE_SUFFIX` when that was made from these exact bytes. The
 * script must not use `import()` (a script compiled by `node:vm` has no module loader for it).
 */
export function runWithCodeCache(file: string): CachedScript {
  const bytes = readFileSync(file);
  const digest = sha256(bytes);
  let cachedData: Buffer | undefined;
  try {
    const cache = readFileSync(file + CODE_CACHE_SUFFIX);
    if (cache.length > DIGEST_BYTES && cache.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = cache.subarray(DIGEST_BYTES);
  } catch {
    // No cache: compile from source.
  }
  // ASCII (the build's script is) decodes as Latin-1 to the same text, several times faster.
  const text = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  // The CommonJS wrapper, as Node's own loader applies it.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${text}\n})`;
  const script = new (vm().Script)(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return {
    exports: module.exports,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    createCache: () => Buffer.concat([digest, script.createCachedData()]),
  };
}

/** Arguments that need none of the compiler: usage and version, answered by the small ESM entry. */
function isTrivial(argv: readonly string[]): boolean {
  const [name] = argv;
  return name === undefined || name === '--help' || name === '-h' || name === 'help' || name === '--version' || name === '-v';
}

/**
 * The CLI's `main` from `dist/cli.cjs` (with its code cache) for a command that uses the
 * compiler, or `undefined`: for usage and version (the ESM entry answers those without loading
 * the compiler), and when the build has no such script (then the ESM entry runs the command).
 */
export function cachedCliMain(argv: readonly string[], distDirectory = path.dirname(path.dirname(fileURLToPath(import.meta.url)))): CliMain | undefined {
  if (isTrivial(argv)) return undefined;
  const file = path.join(distDirectory, CLI_SCRIPT_NAME);
  if (!existsSync(file)) return undefined;
  return runWithCodeCache(file).exports.main as CliMain;
}

/**
 * Build step: runs the CLI script on `runs` (argument lists, in order, output discarded) so V8
 * compiles what a real run needs, then writes its code cache beside it. Returns each run's exit
 * code (the cache is written either way: a failing run still compiled real code).
 */
export async function writeCliCodeCache(distDirectory: string, runs: readonly string[][]): Promise<number[]> {
  const file = path.join(distDirectory, CLI_SCRIPT_NAME);
  const loaded = runWithCodeCache(file);
  const main = loaded.exports.main as (argv: string[], io: CliIo) => Promise<number>;
  const discard = { write: () => true };
  const codes: number[] = [];
  for (const argv of runs) codes.push(await main([...argv], { stdout: discard, stderr: discard, env: process.env, cwd: process.cwd() }));
  writeFileSync(file + CODE_CACHE_SUFFIX, loaded.createCache());
  return codes;
}
