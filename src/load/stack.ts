/**
 * Maps the stack of an error thrown by bundled code back to the TypeScript sources.
 *
 * Frames may arrive already mapped (Node run with `--enable-source-maps`, or a test runner that
 * maps stacks) or raw (positions in the bundle); raw frames are mapped here with the bundle's
 * source map, read from disk only when an error actually needs it. This keeps the loader
 * independent of process-wide settings such as `process.setSourceMapsEnabled`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A stack position; line and column are 1-based. */
export interface StackPosition {
  /** Absolute path. */
  file: string;
  line: number;
  column: number;
}

// `at fn (file:///a/b.mjs:3:7)`, `at file:///a/b.mjs:3:7`, `at /a/b.ts:3:7`, `at async fn (...)`.
const FRAME = /^\s*at\s+(?:.*?\()?((?:file:\/\/|\/|[A-Za-z]:[\\/])[^()]*?):(\d+):(\d+)\)?\s*$/;

/** The positions of `error.stack`, innermost first. Frames without a file position are skipped. */
export function parseStack(stack: string): StackPosition[] {
  const positions: StackPosition[] = [];
  for (const line of stack.split('\n')) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const [, location, lineText, columnText] = match as unknown as [string, string, string, string];
    let file = location;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file.replace(/[?#].*$/, ''));
      } catch {
        continue;
      }
    }
    positions.push({ file, line: Number(lineText), column: Number(columnText) });
  }
  return positions;
}

interface ParsedMap {
  sources: string[];
  mappings: string;
}

/** Source maps of the bundles this process has written, read on first use. */
export class BundleSourceMaps {
  readonly #mapFiles = new Map<string, string>();
  readonly #maps = new Map<string, ParsedMap | null>();

  /**
   * `bundleFile` (absolute, existing) has its map in `mapFile`. Stacks name modules by their real
   * path (Node resolves symlinks, e.g. a symlinked node_modules holding the cache), so that is
   * registered too.
   */
  register(bundleFile: string, mapFile: string): void {
    this.#mapFiles.set(bundleFile, mapFile);
    try {
      const real = realpathSync(bundleFile);
      if (real !== bundleFile) this.#mapFiles.set(real, mapFile);
    } catch {
      // Not there (any more): frames cannot point into it either.
    }
  }

  /**
   * The original position of `position` if it lies in a registered bundle and the map covers it;
   * `undefined` for a bundle position without a mapping (esbuild's runtime helpers); the position
   * itself when it is not in a bundle.
   */
  original(position: StackPosition): StackPosition | undefined {
    const mapFile = this.#mapFiles.get(position.file);
    if (mapFile === undefined) return position;
    const map = this.#load(mapFile);
    if (!map) return undefined;
    const found = findOriginal(map.mappings, position.line - 1, position.column - 1);
    const source = found && map.sources[found.source];
    if (!found || source === undefined) return undefined;
    return { file: path.resolve(path.dirname(mapFile), decodeURIComponent(source)), line: found.line + 1, column: found.column + 1 };
  }

  #load(mapFile: string): ParsedMap | null {
    let map = this.#maps.get(mapFile);
    if (map === undefined) {
      try {
        const { sources, mappings } = JSON.parse(readFileSync(mapFile, 'utf8')) as Partial<ParsedMap>;
        map = Array.isArray(sources) && typeof mappings === 'string' ? { sources, mappings } : null;
      } catch {
        map = null;
      }
      this.#maps.set(mapFile, map);
    }
    return map;
  }
}

const BASE64 = new Int8Array(128).fill(-1);
for (const [index, char] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64[char.charCodeAt(0)] = index;

/**
 * Looks up one generated position (0-based) in a source map's `mappings` (VLQ, version 3),
 * returning the original position of the last segment at or before it on that line (esbuild maps
 * every token, so that is the token V8 reported). Decodes only up to the wanted line and
 * allocates nothing per segment: a 1,000-pipeline bundle's map takes milliseconds, where
 * `node:module`'s SourceMap decodes every segment into objects first.
 */
export function findOriginal(mappings: string, line: number, column: number): { source: number; line: number; column: number } | undefined {
  let generatedLine = 0;
  let generatedColumn = 0;
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  let best: { source: number; line: number; column: number } | undefined;
  let index = 0;
  const fields = [0, 0, 0, 0, 0];
  while (index < mappings.length && generatedLine <= line) {
    const char = mappings.charCodeAt(index);
    if (char === 59 /* ; */) {
      generatedLine += 1;
      generatedColumn = 0;
      index += 1;
      continue;
    }
    if (char === 44 /* , */) {
      index += 1;
      continue;
    }
    let count = 0;
    while (index < mappings.length && count < 5) {
      const next = mappings.charCodeAt(index);
      if (next === 44 || next === 59) break;
      let value = 0;
      let shift = 0;
      let digit: number;
      do {
        digit = BASE64[mappings.charCodeAt(index++)] ?? -1;
        if (digit < 0) return undefined;
        value += (digit & 31) << shift;
        shift += 5;
      } while (digit & 32);
      fields[count++] = value & 1 ? -(value >>> 1) : value >>> 1;
    }
    generatedColumn += fields[0]!;
    if (count >= 4) {
      source += fields[1]!;
      originalLine += fields[2]!;
      originalColumn += fields[3]!;
      if (generatedLine === line && generatedColumn <= column) {
        best = { source, line: originalLine, column: originalColumn };
      }
    } else if (generatedLine === line && generatedColumn <= column) {
      best = undefined; // an unmapped segment covers the position
    }
  }
  return best;
}
