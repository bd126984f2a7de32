/**
 * The project files a cached result depended on are hashed once per run and text: a reader that
 * returns another text for the same file (one character apart) within one run is never answered
 * with the hash of the first one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CompileCache } from '../../src/cache/compile-cache.ts';
import type { CompiledPipeline } from '../../src/compiled.ts';
import { defaultConfig } from '../../src/config.ts';

let directory: string | undefined;
afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('compile cache: project files read by a result', () => {
  it('checks each read against the text the reader gives now, however often it changes within a run', () => {
    directory = mkdtempSync(join(tmpdir(), 'pw-cache-reads-'));
    let template = 'FROM node:20\n';
    const cache = CompileCache.open({
      root: directory,
      directory: join(directory, 'results'),
      buildId: 'test-reads',
      config: defaultConfig(),
      configFiles: [],
      today: '2026-12-07',
      secret: Buffer.alloc(32, 7),
      readFile: (file) => (file === 'Dockerfile' ? template : undefined),
    })!;
    const source = 'pipelines/a.pipeline.ts';
    const key = cache.keyOf(source, { name: 'a' })!;
    const compiled: CompiledPipeline = { source, name: 'a', output: 'generated/a/Jenkinsfile', diagnostics: [] };
    cache.store(key, compiled, { reads: new Map([['Dockerfile', template], ['absent.txt', undefined]]) });
    const recompute = () => ({});
    const lookup = () => cache.lookup(key, source, [], recompute);

    expect(lookup()?.name).toBe('a');
    template = 'FROM node:22\n';
    expect(lookup()).toBeUndefined();
    template = 'FROM node:20\n';
    expect(lookup()?.name).toBe('a');
    // Equal text in another string object: still the same file content.
    template = ['FROM', 'node:20\n'].join(' ');
    expect(lookup()?.name).toBe('a');
  });
});
