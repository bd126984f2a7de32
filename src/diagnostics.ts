/**
 * Diagnostics: every problem pipewright reports (load errors, schema and structure errors, policy
 * findings) has this one shape, modelled on the TypeScript compiler's: a stable code, a message,
 * and a location in the pipeline's TypeScript source.
 */

/** A property path into a pipeline value, e.g. `['stages', 2, 'steps', 0, 'script']`. */
export type ModelPath = readonly (string | number)[];

export type Severity = 'error' | 'warning' | 'info';

/** Where in a file something is; line and column are 1-based. */
export interface Location {
  /** File path relative to the project root, with `/` separators. */
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export interface Diagnostic {
  /** Stable code: `PW1xxx` load, `PW2xxx` schema, `PW3xxx` structure, `PW4xxx` emit, or a policy rule id. */
  code: string;
  severity: Severity;
  /** One-sentence description of the problem. */
  message: string;
  /** Location in the TypeScript source that caused it (best effort: the nearest enclosing node). */
  location?: Location;
  /** Path of the offending property in the pipeline value. */
  path?: ModelPath;
  /**
   * The option the author wrote, when the value was built by a function such as a preset:
   * `reactApp({ registry.region })`. `path` is then where the preset put it in the model.
   */
  sourcePath?: string;
  /** Further model paths with the same problem from the same source (a preset copied the option there too). */
  otherPaths?: ModelPath[];
  /** What was expected, when that is a short phrase. */
  expected?: string;
  /** What was found instead. */
  found?: string;
}

/** `stages[2].steps[0].script` */
export function formatPath(path: ModelPath | undefined): string {
  if (!path || path.length === 0) return '(pipeline)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `pipelines/a.pipeline.ts:12:5` */
export function formatLocation(location: Location | undefined): string {
  if (!location) return '';
  return `${location.file}:${location.line}:${location.column}`;
}

/**
 * One-line rendering: `file:line:col - error PW2001 at stages[0].name: message (expected X, found Y)`.
 * A problem traced to a preset option is shown at the option, with the model path after it:
 * `… error PW2005 at reactApp({ registry.region }): message (…); in the model at stages[2]… and 2 more places`.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${formatLocation(d.location)} - ` : '';
  const at = d.sourcePath !== undefined ? ` at ${d.sourcePath}` : d.path ? ` at ${formatPath(d.path)}` : '';
  const detail =
    d.expected !== undefined || d.found !== undefined
      ? ` (expected ${d.expected ?? '?'}, found ${d.found ?? '?'})`
      : '';
  const others = d.otherPaths?.length ?? 0;
  const more = others === 0 ? '' : others === 1 ? ' and 1 more place' : ` and ${others} more places`;
  const model = d.sourcePath !== undefined && d.path ? `; in the model at ${formatPath(d.path)}${more}` : more ? `; also at ${d.otherPaths!.map((p) => formatPath(p)).join(', ')}` : '';
  return `${where}${d.severity} ${d.code}${at}: ${d.message}${detail}${model}`;
}

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');
