/**
 * Terminal output helpers shared by the CLI commands: streams that tests can capture, and colour
 * only when writing to a TTY (and NO_COLOR is unset).
 */
import { formatDiagnostic, type Diagnostic } from '../diagnostics.ts';

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

/**
 * A process stream that ends quietly when its reader goes away (`pipewright compile --check |
 * head -1`): EPIPE is not a failure of the command, whose exit code stays what the command decides.
 * Later writes to the closed stream are dropped.
 */
export function pipeSafe(stream: NodeJS.WriteStream): CliIo['stdout'] {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      closed = true;
      return;
    }
    throw error;
  });
  return {
    get isTTY() {
      return stream.isTTY;
    },
    write(text: string) {
      if (closed || stream.destroyed) return false;
      try {
        return stream.write(text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
        closed = true;
        return false;
      }
    },
  };
}

let processStreams: { stdout: CliIo['stdout']; stderr: CliIo['stderr'] } | undefined;

export const processIo = (): CliIo => {
  processStreams ??= { stdout: pipeSafe(process.stdout), stderr: pipeSafe(process.stderr) };
  return { ...processStreams, env: process.env, cwd: process.cwd() };
};

export interface Colors {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export function colorsFor(stream: CliIo['stdout'], env: CliIo['env']): Colors {
  const on = Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (text: string) => (on ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** One diagnostic per line, coloured by severity. */
export function renderDiagnostic(d: Diagnostic, colors: Colors): string {
  const line = formatDiagnostic(d);
  return d.severity === 'error' ? colors.red(line) : d.severity === 'warning' ? colors.yellow(line) : line;
}

/** Exit codes of every pipewright command. */
export const EXIT = {
  /** Everything fine. */
  ok: 0,
  /** Findings at or above the failure threshold, check failures, refused writes. */
  findings: 1,
  /** Invalid input (a pipeline that does not load or validate) or bad usage. */
  invalid: 2,
} as const;
