/**
 * Maps the stack of an error thrown by bundled code back to the TypeScript sources.
 *
 * Frames may arrive already mapped (Node run with `--enable-source-maps`, or a test runner that
 * maps stacks) or raw (positions in the bundle); raw frames are mapped here with the bundle's
 * source map, read from disk only when an error actually needs it. This keeps the loader
 * independent of process-wide settings such as `process.setSourceMapsEnabled`.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
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

/** Source maps of the bundles this process has written, loaded on first use. */
export class BundleSourceMaps {
  readonly #mapFiles = new Map<string, string>();
  readonly #maps = new Map<string, SourceMap | null>();

  /** `bundleFile` (absolute) has its map in `mapFile`. */
  register(bundleFile: string, mapFile: string): void {
    this.#mapFiles.set(bundleFile, mapFile);
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
    const origin = map.findOrigin(position.line, position.column);
    if (!('fileName' in origin) || !origin.fileName) return undefined;
    const file = path.resolve(path.dirname(mapFile), decodeURIComponent(origin.fileName));
    return { file, line: origin.lineNumber, column: origin.columnNumber };
  }

  #load(mapFile: string): SourceMap | null {
    let map = this.#maps.get(mapFile);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
      } catch {
        map = null;
      }
      this.#maps.set(mapFile, map);
    }
    return map;
  }
}
