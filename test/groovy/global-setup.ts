/**
 * vitest globalSetup: starts ONE Groovy 2.4 parse JVM (test/groovy/GroovyParseServer.java) for
 * the whole test run, fronted by a small HTTP server on 127.0.0.1 that every test worker can
 * reach (workers are separate threads/processes; the JVM's stdin/stdout belong to this one).
 * Tests talk to it through test/groovy/client.ts. There is deliberately no fallback: without
 * Groovy 2.4.21 the run fails, because every Jenkinsfile test depends on the real parser.
 *
 * HTTP API (JSON in, JSON out, requests handled one at a time by the JVM):
 *   POST /parse      {"files":[{"name":..., "text":...}]} → {"results":[{name, ok, errors}]}
 *   POST /compile    the same, compiled to Phases.CLASS_GENERATION instead of parsed
 *   POST /constants  {"text":...}                         → {"ok":true,"constants":[...]} | {"ok":false,"errors":[...]}
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { GROOVY_PARSE_URL_KEY } from './provided-context.ts';

const DEFAULT_JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64';
/** Debian's groovy 2.4.21 package: the compiler plus the antlr2 parser and asm it needs. */
const GROOVY_JARS = [
  '/usr/share/java/groovy.jar',
  '/usr/share/groovy/lib/antlr.jar',
  '/usr/share/groovy/lib/asm.jar',
];
const SERVER_SOURCE = fileURLToPath(new URL('./GroovyParseServer.java', import.meta.url));
const STARTUP_TIMEOUT_MS = 90_000;
/** Keep the last part of the JVM's stderr for error messages. */
const STDERR_TAIL_CHARS = 8_000;

/** The parse JVM, spoken to over stdin/stdout, one request line → one response line, in turn. */
class GroovyParseJvm {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderrTail = '';
  private exitError: Error | undefined;
  private pendingLine: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  /** Requests are chained so only one is ever in flight. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      const pending = this.pendingLine;
      this.pendingLine = undefined;
      if (pending) pending.resolve(line);
      else this.stderrTail += `\n[unexpected stdout line] ${line.slice(0, 200)}`;
    });
    const onGone = (reason: string) => {
      this.exitError ??= new Error(`Groovy parse JVM ${reason}.\n--- JVM stderr (tail) ---\n${this.stderrTail}`);
      this.pendingLine?.reject(this.exitError);
      this.pendingLine = undefined;
    };
    child.on('exit', (code, signal) => onGone(`exited (code ${code}, signal ${signal})`));
    child.on('error', (error) => onGone(`could not run: ${error.message}`));
    child.stdin.on('error', () => {
      // EPIPE when the JVM died; reported through 'exit'.
    });
  }

  /** Starts the JVM and waits until it has warmed up and printed READY with a 2.4 version. */
  static async start(): Promise<GroovyParseJvm> {
    const javaHome = process.env['JAVA_HOME'] || DEFAULT_JAVA_HOME;
    const java = join(javaHome, 'bin', 'java');
    const missing = [java, ...GROOVY_JARS, SERVER_SOURCE].filter((path) => !existsSync(path));
    if (missing.length > 0) {
      throw new Error(
        `Groovy 2.4 test harness cannot start: missing ${missing.join(', ')}. ` +
          'Install Debian groovy 2.4.21 (apt-get install groovy) and a JDK 17 ' +
          `(JAVA_HOME, default ${DEFAULT_JAVA_HOME}).`,
      );
    }
    const child = spawn(
      java,
      [
        // Start-up speed matters more than peak performance for a test oracle.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '-Dfile.encoding=UTF-8',
        '-cp',
        GROOVY_JARS.join(':'),
        SERVER_SOURCE,
      ],
      { env: { ...process.env, JAVA_HOME: javaHome }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const jvm = new GroovyParseJvm(child);
    let timer: NodeJS.Timeout | undefined;
    try {
      const first = await Promise.race([
        jvm.nextLine(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Groovy parse JVM not ready after ${STARTUP_TIMEOUT_MS} ms:\n${jvm.stderrTail}`)),
            STARTUP_TIMEOUT_MS,
          );
        }),
      ]);
      // Jenkins parses with Groovy 2.4 (antlr2); any other line would test the wrong grammar.
      if (!/^READY 2\.4\.\d+$/.test(first)) {
        throw new Error(`Groovy parse JVM said ${JSON.stringify(first)} instead of READY 2.4.x (${GROOVY_JARS[0]})`);
      }
    } catch (error) {
      await jvm.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return jvm;
  }

  /** Sends one protocol line and resolves with the JVM's response line (requests are serialised). */
  request(line: string): Promise<string> {
    const result = this.queue.then(() => {
      if (this.exitError) throw this.exitError;
      const response = this.nextLine();
      this.child.stdin.write(`${line}\n`);
      return response;
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private nextLine(): Promise<string> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      this.pendingLine = { resolve, reject };
    });
  }

  /** Closes stdin (the JVM exits at end of input); kills it if it does not exit promptly. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Base64 of the UTF-16LE code units of a JS string: exact, lone surrogates included. */
function utf16Base64(value: string): string {
  return Buffer.from(value, 'utf16le').toString('base64');
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns an HTTP request body into the JVM protocol line, or throws a message for a 400. */
function toProtocolLine(path: string | undefined, body: unknown): string {
  if (path === '/parse' || path === '/compile') {
    const files = isRecord(body) ? body['files'] : undefined;
    if (!Array.isArray(files)) throw new Error('expected {"files":[{"name","text"}]}');
    const parts = files.map((file: unknown) => {
      if (!isRecord(file) || typeof file['name'] !== 'string' || typeof file['text'] !== 'string') {
        throw new Error('every file needs string "name" and "text"');
      }
      return `${utf16Base64(file['name'])} ${utf16Base64(file['text'])}`;
    });
    return [path === '/parse' ? 'PARSE' : 'COMPILE', ...parts].join(' ');
  }
  if (path === '/constants') {
    if (!isRecord(body) || typeof body['text'] !== 'string') throw new Error('expected {"text":string}');
    return `CONSTANTS ${utf16Base64(body['text'])}`;
  }
  throw new Error(`unknown endpoint ${path}`);
}

function startHttpFront(jvm: GroovyParseJvm): Promise<Server> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const reply = (status: number, body: string) => {
      // One connection per request: a reused keep-alive socket can be closed by the server just
      // as the client sends on it ("other side closed") after the suite idles for a few seconds.
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      response.end(body);
    };
    void (async () => {
      let line: string;
      try {
        if (request.method !== 'POST') throw new Error('POST only');
        line = toProtocolLine(request.url, await readJsonBody(request));
      } catch (error) {
        reply(400, JSON.stringify({ failure: String(error) }));
        return;
      }
      try {
        const answer = await jvm.request(line);
        reply(answer.startsWith('{"failure"') ? 500 : 200, answer);
      } catch (error) {
        reply(500, JSON.stringify({ failure: error instanceof Error ? error.message : String(error) }));
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const jvm = await GroovyParseJvm.start();
  let server: Server;
  try {
    server = await startHttpFront(jvm);
  } catch (error) {
    await jvm.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  project.provide(GROOVY_PARSE_URL_KEY, `http://127.0.0.1:${port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await jvm.stop();
  };
}
