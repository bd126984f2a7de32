/**
 * Maps a finding's model path to a line of the generated Jenkinsfile, through the printer's
 * `lineOrigins` (the model path each printed line came from).
 */
import type { Location, ModelPath } from '../diagnostics.ts';
import { isPathWithin } from './model-index.ts';

/**
 * The first Jenkinsfile line whose origin lies within `path`; when no line came from inside the
 * node (e.g. a finding on a field that prints nothing of its own), the first line from the
 * nearest enclosing node. `headerLines` is the number of lines before the printed body.
 */
export function jenkinsfileLine(
  path: ModelPath,
  lineOrigins: readonly (ModelPath | undefined)[],
  headerLines = 0,
): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const prefix = path.slice(0, length);
    // The pipeline itself ([]) only counts for findings on the pipeline: every line lies within it.
    if (length === 0 && path.length > 0) return undefined;
    const index = lineOrigins.findIndex((origin) => origin !== undefined && isPathWithin(origin, prefix));
    if (index >= 0) return index + 1 + headerLines;
  }
  return undefined;
}

/** `{ file, line, column: 1 }` in the Jenkinsfile, or `undefined`. */
export function jenkinsfileLocation(
  path: ModelPath,
  output: string,
  lineOrigins: readonly (ModelPath | undefined)[] | undefined,
  headerLines = 0,
): Location | undefined {
  if (!lineOrigins) return undefined;
  const line = jenkinsfileLine(path, lineOrigins, headerLines);
  return line === undefined ? undefined : { file: output, line, column: 1 };
}
