import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedCliMain, CLI_SCRIPT_NAME, CODE_CACHE_SUFFIX, runWithCodeCache } from '../../src/cli/code-cache.ts';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function scratch(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'pw-code-cache-'));
  directories.push(directory);
  return directory;
}

// Functions that only run when called, so the cache holds their compiled code after the call.
const script = (answer: number) => `exports.answer = function () { return ${answer}; };\nexports.file = __filename;\nexports.fromRequire = typeof require('node:path').join;\n`;

describe('runWithCodeCache', () => {
  it('runs a script as CommonJS without a cache, and with the cache made from it', () => {
    const file = path.join(scratch(), 'script.cjs');
    writeFileSync(file, script(41));
    const first = runWithCodeCache(file);
    expect(first.cacheUsed).toBe(false);
    expect((first.exports.answer as () => number)()).toBe(41);
    expect(first.exports.file).toBe(file);
    expect(first.exports.fromRequire).toBe('function');
    writeFileSync(file + CODE_CACHE_SUFFIX, first.createCache());

    const second = runWithCodeCache(file);
    expect(second.cacheUsed).toBe(true);
    expect((second.exports.answer as () => number)()).toBe(41);
  });

  it('ignores the cache of another text of the same length (V8 itself only compares lengths)', () => {
    const file = path.join(scratch(), 'script.cjs');
    writeFileSync(file, script(41));
    const first = runWithCodeCache(file);
    (first.exports.answer as () => number)();
    writeFileSync(file + CODE_CACHE_SUFFIX, first.createCache());

    writeFileSync(file, script(42));
    expect(script(42).length).toBe(script(41).length);
    const changed = runWithCodeCache(file);
    expect(changed.cacheUsed).toBe(false);
    expect((changed.exports.answer as () => number)()).toBe(42);
  });

  it('ignores a cache file that is damaged or too short', () => {
    const file = path.join(scratch(), 'script.cjs');
    writeFileSync(file, script(7));
    const made = runWithCodeCache(file).createCache();
    writeFileSync(file + CODE_CACHE_SUFFIX, made.subarray(0, 10));
    expect(runWithCodeCache(file).cacheUsed).toBe(false);
    const damaged = Buffer.from(made);
    damaged[0] = damaged[0]! ^ 0xff;
    writeFileSync(file + CODE_CACHE_SUFFIX, damaged);
    const run = runWithCodeCache(file);
    expect(run.cacheUsed).toBe(false);
    expect((run.exports.answer as () => number)()).toBe(7);
  });
});

describe('cachedCliMain', () => {
  it('leaves usage and version to the ESM entry, and a build without the script to it too', () => {
    const dist = scratch();
    writeFileSync(path.join(dist, CLI_SCRIPT_NAME), 'exports.main = async () => 5;\n');
    for (const argv of [[], ['--help'], ['-h'], ['help'], ['--version'], ['-v']]) expect(cachedCliMain(argv, dist)).toBeUndefined();
    expect(cachedCliMain(['compile'], scratch())).toBeUndefined();
  });

  it('runs a command through the script', async () => {
    const dist = scratch();
    writeFileSync(path.join(dist, CLI_SCRIPT_NAME), 'exports.main = async (argv) => argv.length + 40;\n');
    const main = cachedCliMain(['compile', '--check'], dist);
    expect(main).toBeTypeOf('function');
    expect(await main!(['compile', '--check'])).toBe(42);
  });
});
