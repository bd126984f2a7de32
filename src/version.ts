/**
 * pipewright's version. scripts/build.mjs compiles it into dist/ as `__PIPEWRIGHT_VERSION__`
 * (a bundled chunk cannot find package.json by a relative URL: its depth under dist/ varies).
 * Running from source, it is read from the repository's package.json next to src/.
 */
import { readFileSync } from 'node:fs';

declare const __PIPEWRIGHT_VERSION__: string | undefined;

function versionFromSource(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The running pipewright's version, e.g. `0.1.0`. */
export const PIPEWRIGHT_VERSION: string =
  typeof __PIPEWRIGHT_VERSION__ === 'string' ? __PIPEWRIGHT_VERSION__ : versionFromSource();
