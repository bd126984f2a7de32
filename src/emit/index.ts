/**
 * Emit: writing a compile run to disk, and checking disk against a compile run (`--check`).
 *
 * Every write and delete stays inside the project (see `safe-path.ts`), happens under the project
 * lock (see `lock.ts`), and a failure is reported for the file it concerns, never as a crash.
 */
import { lstatSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, type Dirent } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { hasJenkinsfile, hasOwnValue, OutputChangedError, trackedOutput } from '../cache/compile-cache.ts';
import { hasStamp, takeStamp } from '../cache/file-stamp.ts';
import { sha256 } from '../cache/result-cache.ts';
import type { CompileRun, CompiledPipeline } from '../compile.ts';
import type { SideFile } from '../compiled.ts';
import type { GeneratedFile } from '../iam/emit.ts';
import { hasErrors } from '../diagnostics.ts';
import { describeFsError } from './fs-errors.ts';
import { compileCommandFor, handEditReason, readHeader } from './header.ts';
import { acquireProjectLock, isTempInFlight, tempFileOwner, type ProjectLock } from './lock.ts';
import { createPathGuard, isInside, type EntryKind, type PathGuard } from './safe-path.ts';
import { unifiedDiff } from './unified-diff.ts';
import { planWriteOver, writeAtomic } from './write.ts';

export type WriteStatus = 'created' | 'updated' | 'unchanged' | 'refused' | 'invalid' | 'failed';

export interface WriteOutcome {
  pipeline: CompiledPipeline;
  /** The file written, when it is not the pipeline's Jenkinsfile (its IAM policies: `generated/<name>/iam/<env>.json`). */
  file?: string;
  status: WriteStatus;
  /** Why a file was refused or could not be written (one line, naming the file). */
  reason?: string;
  /** Set when an update replaced a hand-edited file (with `force`): why it counts as hand-edited. */
  handEdited?: string;
  /** With `handEdited`: unified diff from the file that was replaced to what was written (what was discarded). */
  discarded?: string;
}

/** A file the run left alone, and why (one line). */
export interface LeftAlone {
  file: string;
  reason: string;
}

export interface WriteReport {
  outcomes: WriteOutcome[];
  /** Generated files whose pipeline no longer exists, removed (project-relative). */
  removedOrphans: string[];
  /** Directories below the output directory that removing orphans left empty, removed. */
  removedDirectories?: string[];
  /** Temp files of interrupted runs (killed mid-write), removed. */
  removedTempFiles?: string[];
  /** Files the orphan and temp-file sweeps did not remove, and why. */
  leftAlone?: LeftAlone[];
  /** The other files generated from the pipelines (IAM policies beside each Jenkinsfile), with `file` set. */
  generatedFiles?: WriteOutcome[];
}

/**
 * The files generated beside the Jenkinsfiles (the IAM policies of pipelines that assume AWS
 * roles). The generator (and the AWS service reference it reads) is loaded only when some
 * pipeline assumes a role.
 */
async function generatedFilesOf(run: CompileRun): Promise<GeneratedFile[]> {
  // Results compiled with their side files (`CompileOptions.sideFiles`: none for a pipeline that
  // assumes no role) carry them: no generator, and no Jenkinsfile text to search (a result served
  // from the cache reads it from its output on first access).
  const valid = run.pipelines.filter((p) => !hasErrors(p.diagnostics) && hasJenkinsfile(p));
  if (valid.every((p) => p.sideFiles !== undefined)) {
    // The side file's own properties (a text served from the cache is read on first access).
    return valid.flatMap((pipeline) => pipeline.sideFiles!.map((side) => Object.defineProperties({ pipeline } as GeneratedFile, Object.getOwnPropertyDescriptors(side))));
  }
  if (!run.pipelines.some((p) => p.jenkinsfile?.includes('withAWS('))) return [];
  const { iamFilesOf } = await import('../iam/emit.ts');
  return iamFilesOf(run);
}

/** Directories of generated files a run leaves alone: the `iam/` beside the Jenkinsfile of a pipeline that does not compile now. */
function keptDirectoriesOf(run: CompileRun): string[] {
  return run.pipelines.filter((p) => hasErrors(p.diagnostics) || !hasJenkinsfile(p)).map((p) => `${p.output.includes('/') ? p.output.slice(0, p.output.lastIndexOf('/') + 1) : ''}iam/`);
}

const toPosix = (path: string) => path.split(sep).join('/');

export interface WriteOptions {
  /** Overwrite files that pipewright did not generate, and generated files edited by hand. */
  force?: boolean;
  /** Delete pipewright-generated files no pipeline of the run writes any more (complete runs only). */
  removeOrphans?: boolean;
  /** How long to wait for another run's project lock (default 60 s, or `PIPEWRIGHT_LOCK_TIMEOUT_MS`). */
  lockTimeoutMs?: number;
}

/**
 * Writes every valid pipeline of a run. Files are written atomically, skipped when unchanged, and
 * a file without pipewright's header, or one edited by hand, is never overwritten unless `force`
 * is set. An invalid pipeline writes nothing (its last good output stays). With `removeOrphans`,
 * pipewright-generated files that no pipeline of the run writes any more are deleted.
 */
export async function writeRun(run: CompileRun, options: WriteOptions = {}): Promise<WriteReport> {
  const writer = createRunWriter(run.root, options);
  for (const pipeline of run.pipelines) writer.offer(pipeline);
  return writer.finish(run);
}

/**
 * Writes a run's pipelines while it is still compiling: pass `offer` as `compileProject`'s
 * `onResult`, then call `finish` with the run. Same files and same report as `writeRun`.
 */
export interface RunWriter {
  /** A compiled pipeline, in run order: its write starts at once when its outcome is certain. */
  offer(pipeline: CompiledPipeline): void;
  /** Writes the rest, removes orphans and leftover temp files, releases the lock; the report `writeRun` gives. */
  finish(run: CompileRun): Promise<WriteReport>;
  /** The run failed before `finish`: waits for the writes started, releases the lock, and returns what was written (or not). */
  abandon(): Promise<WriteOutcome[]>;
}

/** An entry found by listing a directory tree (symbolic links are listed, never followed). */
interface ListedEntry {
  absolute: string;
  kind: EntryKind;
}

/**
 * Every entry below `directory`, read synchronously: one listing costs less than a failing read
 * per output that does not exist yet. Symbolic links are reported as such, never descended. A
 * walk of its own rather than `readdirSync`'s `recursive`: entry names are appended to their
 * (already normal) directory path instead of each being joined and normalised again.
 */
function listTree(directory: string): ListedEntry[] {
  let top;
  try {
    top = readdirSync(directory, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  const listed: ListedEntry[] = [];
  const add = (parent: string, entries: Dirent[]) => {
    for (const entry of entries) {
      const absolute = parent + sep + entry.name;
      const kind: EntryKind = entry.isSymbolicLink() ? 'symlink' : entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other';
      listed.push({ absolute, kind });
      if (kind === 'directory') add(absolute, readdirSync(absolute, { withFileTypes: true }));
    }
  };
  add(directory, top);
  return listed;
}

/**
 * The real path of directory `relativeDirectory` of the project when it is inside the project
 * (through every symbolic link), else why not.
 */
function realDirectoryInside(guard: PathGuard, relativeDirectory: string): { real: string } | { reason: string } {
  const probe = guard.target(join(relativeDirectory, '.probe'), 'absent');
  return probe.ok ? { real: dirname(probe.path) } : { reason: probe.reason };
}

/**
 * What is on disk below one top-level directory of the project (e.g. `generated/`), listed once,
 * so that outputs there need no failing read or lstat each.
 */
class ListingCache {
  readonly #guard: PathGuard;
  readonly #listed = new Map<string, Map<string, EntryKind> | undefined>();
  readonly #entries = new Map<string, ListedEntry[]>();

  constructor(guard: PathGuard) {
    this.#guard = guard;
  }

  /** What is at project-relative `file`, when a listing covers it; `undefined` when unknown. */
  kindOf(file: string): EntryKind | undefined {
    const parts = file.split('/');
    if (parts.length < 2) return undefined;
    const top = parts[0]!;
    if (!this.#listed.has(top)) this.#listed.set(top, this.#list(top));
    const entries = this.#listed.get(top);
    if (!entries) return undefined;
    const absolute = join(this.#guard.realRoot, file);
    // The file's directory is safe without a realpath when every component between the listed
    // (real) top directory and it is a listed directory or does not exist yet.
    const topDirectory = join(this.#guard.realRoot, top);
    let directory = dirname(absolute);
    const start = directory;
    for (; directory !== topDirectory; directory = dirname(directory)) {
      const kind = entries.get(directory);
      if (kind === 'directory') break;
      if (kind !== undefined) return undefined;
    }
    this.#guard.knowDirectory(start);
    return entries.get(absolute) ?? 'absent';
  }

  /**
   * Every entry below the real directory `realDirectory` (checked to be inside the project): the
   * listing already taken when it is a listed top-level directory, else a new one.
   */
  entriesBelow(realDirectory: string): ListedEntry[] {
    const top = relative(this.#guard.realRoot, realDirectory);
    if (top !== '' && !top.includes(sep) && !top.startsWith('..')) {
      if (!this.#listed.has(top)) this.#listed.set(top, this.#list(top));
      const entries = this.#entries.get(top);
      if (entries) return entries;
    }
    return listTree(realDirectory);
  }

  #list(top: string): Map<string, EntryKind> | undefined {
    const textual = join(this.#guard.realRoot, top);
    const checked = realDirectoryInside(this.#guard, top);
    // Only a directory that is itself real (no symbolic link on the way) maps listed paths to
    // output paths one to one; anything else is checked file by file.
    if ('reason' in checked || checked.real !== textual) return undefined;
    let stats;
    try {
      stats = statSync(textual, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    const entries = new Map<string, EntryKind>();
    if (!stats?.isDirectory()) return stats ? undefined : entries;
    let listed: ListedEntry[];
    try {
      listed = listTree(textual);
    } catch {
      // Unreadable (EACCES, ...): outputs there are checked one by one, and fail one by one.
      return undefined;
    }
    this.#guard.knowDirectory(textual);
    this.#entries.set(top, listed);
    for (const entry of listed) {
      entries.set(entry.absolute, entry.kind);
      if (entry.kind === 'directory') this.#guard.knowDirectory(entry.absolute);
    }
    return entries;
  }
}

/** A writer for the run of project `root` (see {@link RunWriter}). */
export function createRunWriter(root: string, options: WriteOptions = {}): RunWriter {
  // Checks and reads are synchronous (a thread-pool round trip per small file costs more than
  // the read), and what exists is known from one listing instead of a failing read per new
  // output. Writes go through the pool: creating directories and files waits on the file
  // system, and those waits overlap the rest of the compile (measured: synchronous writes were
  // slower on a busy 2-core machine). The lock is taken at the first write (or at finish).
  const decided = new Map<CompiledPipeline, WriteOutcome>();
  /** Side files (IAM policies) decided when their pipeline was offered, by path. */
  const decidedSideFiles = new Map<string, WriteOutcome>();
  const writes: Promise<void>[] = [];
  const claimed = new Set<string>();
  let lock: ProjectLock | undefined;
  let lockFailure: string | undefined;
  let guard: PathGuard | undefined;
  let listing: ListingCache | undefined;

  /** Takes the project lock once; afterwards tells whether the run may touch files (else why not). */
  const ensureLock = (): string | undefined => {
    if (lock || lockFailure) return lockFailure;
    try {
      lock = acquireProjectLock(resolve(root), options.lockTimeoutMs);
      guard = createPathGuard(root);
      listing = new ListingCache(guard);
    } catch (error) {
      lock?.release();
      lock = undefined;
      lockFailure = error instanceof Error && error.name === 'LockTimeoutError' ? error.message : describeFsError(error);
    }
    return lockFailure;
  };

  /** The Jenkinsfile's text, read only when needed (a result served from the cache reads it from its output), or `undefined` when it has none. */
  const jenkinsfileOf = (pipeline: CompiledPipeline): (() => string | undefined) | undefined =>
    hasJenkinsfile(pipeline) ? () => pipeline.jenkinsfile : undefined;

  /**
   * What writing `textOf()` to `output` does, and starts the write. `textOf` is only called when
   * the file on disk is not known to hold that text already (its stamp, see `trackedOutput`).
   */
  const decide = (pipeline: CompiledPipeline, output: string, textOf: (() => string | undefined) | undefined): WriteOutcome => {
    const file = output === pipeline.output ? {} : { file: output };
    if (hasErrors(pipeline.diagnostics) || textOf === undefined) return { pipeline, ...file, status: 'invalid' };
    const locked = ensureLock();
    if (locked) return { pipeline, ...file, status: 'failed', reason: `${output} not written: ${locked}` };
    let target;
    try {
      target = guard!.target(output, listing!.kindOf(output));
    } catch (error) {
      return { pipeline, ...file, status: 'failed', reason: `not written: ${describeFsError(error, output)}` };
    }
    if (!target.ok) return { pipeline, ...file, status: 'refused', reason: target.reason };
    // An output that still has the stamp it had when it was last seen holding this text: unchanged, unread.
    const tracked = trackedOutput(pipeline, output);
    if (tracked?.stamp !== undefined && target.kind === 'file' && hasStamp(target.path, tracked.stamp)) return { pipeline, ...file, status: 'unchanged' };
    // Taken before the read: a change after it changes the stamp.
    const stamp = tracked !== undefined && target.kind === 'file' ? takeStamp(target.path) : undefined;
    let existing: string | undefined;
    try {
      existing = target.kind === 'file' ? readFileSync(target.path, 'utf8') : undefined;
    } catch (error) {
      return { pipeline, ...file, status: 'failed', reason: `not written: ${describeFsError(error, output)}` };
    }
    // A text the cache has not read is compared by its hash: reading it would read this file again.
    let text: string | undefined;
    const plan = planWriteOver(existing, tracked?.unread ? (current) => sha256(current) === tracked.sha256 : (current) => current === (text ??= textOf()));
    if (plan === 'unchanged') {
      if (stamp?.settled) tracked!.keep(stamp.stamp);
      return { pipeline, ...file, status: 'unchanged' };
    }
    if (plan === 'foreign' && !options.force) {
      return {
        pipeline,
        ...file,
        status: 'refused',
        reason: `${output} exists and was not generated by pipewright; move it away or pass --force`,
      };
    }
    const why = plan === 'hand-edited' ? handEditReason(readHeader(existing!)!)! : undefined;
    if (why !== undefined && !options.force) {
      return {
        pipeline,
        ...file,
        status: 'refused',
        reason: `${output} was edited by hand (${why}); change ${pipeline.source} instead, or pass --force to overwrite it and discard the edits`,
      };
    }
    // Written: the text is needed now.
    try {
      text ??= textOf();
    } catch (error) {
      if (!(error instanceof OutputChangedError)) throw error;
      return { pipeline, ...file, status: 'failed', reason: `not written: ${error.message}` };
    }
    if (text === undefined) return { pipeline, ...file, status: 'invalid' };
    const outcome: WriteOutcome = { pipeline, ...file, status: plan === 'create' ? 'created' : 'updated' };
    if (why !== undefined) {
      outcome.handEdited = why;
      outcome.discarded = unifiedDiff(existing!, text, `${output} (hand-edited, discarded)`, `${output} (generated)`);
    }
    writes.push(
      writeAtomic(target.path, text, existing !== undefined).catch((error: unknown) => {
        outcome.status = 'failed';
        outcome.reason = `not written: ${describeFsError(error, output)}`;
        delete outcome.handEdited;
        delete outcome.discarded;
      }),
    );
    return outcome;
  };

  /** A side file's outcome: written like a Jenkinsfile, or failed when it could not be generated. */
  const decideSideFile = (pipeline: CompiledPipeline, side: SideFile): WriteOutcome =>
    side.error !== undefined
      ? { pipeline, file: side.file, status: 'failed', reason: side.error }
      : decide(pipeline, side.file, hasOwnValue(side, 'text') ? () => side.text : undefined);

  return {
    offer(pipeline) {
      // Of several pipelines with one output, compileProject keeps the first and fails the others
      // (PW4003) once all are compiled: only a first claimant's outcome is certain now.
      const first = !claimed.has(pipeline.output);
      claimed.add(pipeline.output);
      const jenkinsfile = jenkinsfileOf(pipeline);
      if (first && !hasErrors(pipeline.diagnostics) && jenkinsfile !== undefined) {
        decided.set(pipeline, decide(pipeline, pipeline.output, jenkinsfile));
        // Its IAM policies, when the run generated them with it, are written with it.
        for (const side of pipeline.sideFiles ?? []) decidedSideFiles.set(side.file, decideSideFile(pipeline, side));
      }
    },
    async abandon() {
      await Promise.allSettled(writes);
      lock?.release();
      return [...decided.values(), ...decidedSideFiles.values()];
    },
    async finish(run) {
      try {
        const outcomes = run.pipelines.map((pipeline) => {
          const early = decided.get(pipeline);
          if (early && (hasErrors(pipeline.diagnostics) || !hasJenkinsfile(pipeline))) {
            throw new Error(`pipewright: ${pipeline.source} was written, then found invalid (a bug in the run writer)`);
          }
          return early ?? decide(pipeline, pipeline.output, jenkinsfileOf(pipeline));
        });
        await Promise.all(writes);
        // The IAM policies beside each Jenkinsfile: written like it (atomic, never over a foreign or hand-edited file).
        const generatedFiles: WriteOutcome[] = [];
        for (const generated of await generatedFilesOf(run)) {
          const early = decidedSideFiles.get(generated.file);
          if (early !== undefined && early.pipeline === generated.pipeline) generatedFiles.push(early);
          else if (generated.error !== undefined || !hasErrors(generated.pipeline.diagnostics)) generatedFiles.push(decideSideFile(generated.pipeline, generated));
        }
        await Promise.all(writes);
        const report: WriteReport = { outcomes, removedOrphans: [], removedDirectories: [], removedTempFiles: [], leftAlone: [], generatedFiles };
        const locked = ensureLock();
        if (locked) {
          report.leftAlone!.push({ file: run.config.outDir, reason: `not swept: ${locked}` });
          return report;
        }
        // A pipeline whose policies could not be generated keeps its old ones (not orphans).
        const kept = generatedFiles.map((outcome) => outcome.file!);
        const failedDirectories = [...generatedFiles.filter((outcome) => outcome.status === 'failed').map((outcome) => `${outcome.file}/`), ...keptDirectoriesOf(run)];
        sweep(run, guard!, listing!, options, report, kept, failedDirectories);
        return report;
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * Deletes the output of a pipeline whose source was deleted (watch mode), under the project lock:
 * only a file pipewright generated from `source`, not edited by hand since, not through a symbolic
 * link or outside the project; then the directories below `outDir` that this left empty.
 * Returns the removed file (project-relative) or, when it stays, why.
 */
export function removeGeneratedOutput(
  root: string,
  output: string,
  options: { source: string; outDir: string; lockTimeoutMs?: number },
): { removed: string[]; removedDirectories: string[]; leftAlone?: LeftAlone } {
  const none = { removed: [], removedDirectories: [] };
  let lock: ProjectLock;
  try {
    lock = acquireProjectLock(resolve(root), options.lockTimeoutMs);
  } catch (error) {
    return { ...none, leftAlone: { file: output, reason: `not removed: ${error instanceof Error ? error.message : String(error)}` } };
  }
  try {
    const guard = createPathGuard(root);
    const target = guard.target(output);
    if (!target.ok) return { ...none, leftAlone: { file: output, reason: `not removed: ${target.reason}` } };
    if (target.kind === 'absent') return none;
    let header;
    try {
      header = readHeader(readFileSync(target.path, 'utf8'));
    } catch (error) {
      return { ...none, leftAlone: { file: output, reason: `not removed: ${describeFsError(error, output)}` } };
    }
    if (!header || header.source !== options.source) return none;
    const handEdited = handEditReason(header);
    if (handEdited) return { ...none, leftAlone: { file: output, reason: `${output} was edited by hand (${handEdited}); not removed` } };
    try {
      unlinkSync(target.path);
    } catch (error) {
      return { ...none, leftAlone: { file: output, reason: `not removed: ${describeFsError(error, output)}` } };
    }
    const removedDirectories: string[] = [];
    const outDir = realDirectoryInside(guard, options.outDir);
    if (!('reason' in outDir)) removeEmptiedDirectories(guard, outDir.real, [dirname(target.path)], removedDirectories);
    return { removed: [output], removedDirectories };
  } finally {
    lock.release();
  }
}

/** rmdir's each directory (and its parents) below `realOutDir` while empty; never follows a symbolic link. */
function removeEmptiedDirectories(guard: PathGuard, realOutDir: string, emptied: Iterable<string>, removed: string[]): void {
  for (const start of [...emptied].sort((a, b) => b.length - a.length)) {
    for (let directory = start; directory !== realOutDir && isInside(realOutDir, directory); directory = dirname(directory)) {
      try {
        rmdirSync(directory);
        removed.push(toPosix(relative(guard.realRoot, directory)));
      } catch {
        break;
      }
    }
  }
}

/**
 * Under the lock, after the writes: removes leftover temp files of interrupted runs and (with
 * `removeOrphans`, on a complete run) generated files no pipeline writes any more, then the
 * directories that removing them left empty. Nothing through a symbolic link or outside the project.
 */
function sweep(
  run: CompileRun,
  guard: PathGuard,
  listing: ListingCache,
  options: WriteOptions,
  report: WriteReport,
  generatedFiles: readonly string[] = [],
  keptDirectories: readonly string[] = [],
): void {
  const outDir = realDirectoryInside(guard, run.config.outDir);
  if ('reason' in outDir) {
    report.leftAlone!.push({ file: run.config.outDir, reason: `not swept: ${outDir.reason}` });
    return;
  }
  // The listing taken before the writes serves: under the lock, only this run's outputs (which are
  // not candidates) can have appeared since.
  let entries: ListedEntry[];
  try {
    entries = listing.entriesBelow(outDir.real);
  } catch (error) {
    report.leftAlone!.push({ file: run.config.outDir, reason: `not swept: ${describeFsError(error, run.config.outDir)}` });
    return;
  }
  const tree = findOutputFiles(run, guard, entries, generatedFiles);
  tree.orphans = tree.orphans.filter((orphan) => !keptDirectories.some((directory) => orphan.file.startsWith(directory)));
  const emptied = new Set<string>();
  const remove = (file: string, absolute: string, into: string[]) => {
    try {
      unlinkSync(absolute);
      into.push(file);
      emptied.add(dirname(absolute));
    } catch (error) {
      report.leftAlone!.push({ file, reason: `not removed: ${describeFsError(error, file)}` });
    }
  };
  for (const temp of tree.staleTemps) remove(temp.file, temp.absolute, report.removedTempFiles!);
  if (options.removeOrphans && run.complete) {
    for (const orphan of tree.orphans) {
      if (orphan.handEdited && !options.force) {
        report.leftAlone!.push({
          file: orphan.file,
          reason: `${orphan.file} looks generated from ${orphan.source}, which no longer produces it, but was edited by hand (${orphan.handEdited}); not removed without --force`,
        });
        continue;
      }
      remove(orphan.file, orphan.absolute, report.removedOrphans);
    }
  }
  // Directories emptied by the removals, up to (not including) the output directory.
  removeEmptiedDirectories(guard, outDir.real, emptied, report.removedDirectories!);
}

interface FoundFile {
  /** Project-relative, `/` separators. */
  file: string;
  absolute: string;
}

interface Orphan extends FoundFile {
  source: string;
  /** Why it counts as hand-edited, when it does. */
  handEdited?: string;
}

/** Orphans and leftover temp files below the (checked) output directory. */
function findOutputFiles(
  run: CompileRun,
  guard: PathGuard,
  entries: ListedEntry[],
  generatedFiles: readonly string[] = [],
): { orphans: Orphan[]; staleTemps: (FoundFile & { pid: number })[]; unreadable: LeftAlone[] } {
  const outputs = new Set([...run.pipelines.map((p) => p.output), ...generatedFiles]);
  const orphans: Orphan[] = [];
  const staleTemps: (FoundFile & { pid: number })[] = [];
  const unreadable: LeftAlone[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'file') continue;
    const file = toPosix(relative(guard.realRoot, entry.absolute));
    const name = entry.absolute.slice(entry.absolute.lastIndexOf(sep) + 1);
    const pid = tempFileOwner(name);
    if (pid !== undefined) {
      let mtimeMs = 0;
      try {
        mtimeMs = statSync(entry.absolute).mtimeMs;
      } catch {
        continue;
      }
      if (!isTempInFlight(name, mtimeMs)) staleTemps.push({ file, absolute: entry.absolute, pid });
      continue;
    }
    if (outputs.has(file)) continue;
    let text: string;
    try {
      text = readFileSync(entry.absolute, 'utf8');
    } catch (error) {
      unreadable.push({ file, reason: describeFsError(error, file) });
      continue;
    }
    const header = readHeader(text);
    if (!header) continue;
    const handEdited = handEditReason(header);
    orphans.push({ file, absolute: entry.absolute, source: header.source, ...(handEdited ? { handEdited } : {}) });
  }
  const byFile = (a: FoundFile, b: FoundFile) => a.file.localeCompare(b.file);
  return { orphans: orphans.sort(byFile), staleTemps: staleTemps.sort(byFile), unreadable };
}

/** pipewright-generated files under the output directory that no pipeline of the run writes. */
export async function findOrphans(run: CompileRun): Promise<{ file: string; source: string }[]> {
  const guard = createPathGuard(run.root);
  const outDir = realDirectoryInside(guard, run.config.outDir);
  if ('reason' in outDir) return [];
  return findOutputFiles(run, guard, listTree(outDir.real)).orphans.map(({ file, source }) => ({ file, source }));
}

export type CheckProblemKind =
  | 'stale'
  | 'missing'
  | 'orphan'
  | 'hand-edited'
  | 'foreign'
  | 'invalid'
  | 'unsafe'
  | 'unreadable'
  | 'temp'
  | 'changed';

export interface CheckProblem {
  kind: CheckProblemKind;
  /** The Jenkinsfile concerned (project-relative). */
  file: string;
  /** The pipeline source, when there is one. */
  source?: string;
  message: string;
  /** Unified diff from the file on disk to what would be generated (stale, hand-edited). */
  diff?: string;
}

/** What is wrong on disk for one pipeline of a run, if anything (reads its output synchronously). */
function checkPipeline(
  pipeline: CompiledPipeline,
  guard: PathGuard,
  listing: ListingCache,
  command: string,
  output: string = pipeline.output,
  generated: string | undefined = pipeline.jenkinsfile,
): CheckProblem | undefined {
  if (hasErrors(pipeline.diagnostics) || generated === undefined) {
    return {
      kind: 'invalid',
      file: output,
      source: pipeline.source,
      message: `${pipeline.source} does not compile (${pipeline.diagnostics.length} diagnostic(s))`,
    };
  }
  const at = { file: output, source: pipeline.source };
  let target;
  try {
    target = guard.target(output, listing.kindOf(output));
  } catch (error) {
    return { kind: 'unreadable', ...at, message: `${describeFsError(error, output)}; not checked` };
  }
  if (!target.ok) return { kind: 'unsafe', ...at, message: target.reason };
  let onDisk: string | undefined;
  try {
    onDisk = target.kind === 'file' ? readFileSync(target.path, 'utf8') : undefined;
  } catch (error) {
    return { kind: 'unreadable', ...at, message: `${describeFsError(error, output)}; not checked` };
  }
  if (onDisk === undefined) {
    return { kind: 'missing', ...at, message: `${output} is missing; run \`${command}\`` };
  }
  if (onDisk === generated) return undefined;
  const header = readHeader(onDisk);
  const diff = unifiedDiff(onDisk, generated, `${output} (on disk)`, `${output} (generated)`);
  if (!header) {
    return { kind: 'foreign', ...at, message: `${output} was not generated by pipewright (no header)`, diff };
  }
  const handEdited = handEditReason(header);
  if (handEdited) {
    return {
      kind: 'hand-edited',
      ...at,
      message: `${output} was edited by hand (${handEdited}); change ${pipeline.source} instead`,
      diff,
    };
  }
  return {
    kind: 'stale',
    ...at,
    message: `${output} is out of date with ${pipeline.source}; run \`${command}\``,
    diff,
  };
}

/** A file's text, or `undefined` when it cannot be read. */
function readTextIfAny(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `changed` problems for the paths whose inode changed at or after `since` (lstat: links are not followed). */
function changedSince(guard: PathGuard, paths: readonly string[], outDir: string, since: number): CheckProblem[] {
  const problems: CheckProblem[] = [];
  for (const path of paths) {
    let changedAt: number;
    try {
      changedAt = lstatSync(path).ctimeMs;
    } catch {
      continue; // Absent now: reported as missing or orphan by the checks above, if it matters.
    }
    if (changedAt < since) continue;
    const file = relative(guard.realRoot, path).split(sep).join('/') || outDir;
    problems.push({
      kind: 'changed',
      file,
      message: `${file} was changed while this check ran (after pipewright started, at ${new Date(changedAt).toISOString()}): something the run executed, such as pipeline or configuration code, modified it, so it is not compared; check a clean checkout`,
    });
  }
  return problems;
}

/**
 * The time to pass as {@link CheckOptions.unchangedSince}, taken before any code of the project
 * runs: sub-millisecond, like the ctimes it is compared with. (`Date.now()` rounds down, so a file
 * written earlier in the same millisecond, such as by the compile just before a check, would count
 * as changed.) A ctime can lag the true time by up to one kernel clock tick (1-10 ms); no project
 * code runs that soon after, since the configuration is bundled by esbuild first.
 */
export function checkStartTime(): number {
  return performance.timeOrigin + performance.now();
}

export interface CheckOptions {
  /**
   * Wall-clock time (ms since the epoch, from {@link checkStartTime}) taken before any code of the project ran (pipeline
   * modules, the configuration). Outputs, and the output directory's entries, whose inode changed
   * at or after it (their `ctime`, which the kernel sets and no process can set back) are
   * reported as `changed`: the comparison is only trusted for files as they were before the
   * project's code ran, which could otherwise rewrite a committed Jenkinsfile to what --check
   * expects.
   */
  unchangedSince?: number;
}

/**
 * Compares the files on disk with a compile run without writing anything: stale, missing,
 * hand-edited and foreign files, orphans, leftover temp files of interrupted runs, outputs that
 * lead outside the project or cannot be read, pipelines that do not compile, and (with
 * {@link CheckOptions.unchangedSince}) outputs changed while the run was going.
 */
export async function checkRun(run: CompileRun, options: CheckOptions = {}): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const guard = createPathGuard(run.root);
  const listing = new ListingCache(guard);
  // The fix the messages suggest, as the generated headers say it (npx for a consumer without the script).
  const command = compileCommandFor(readTextIfAny(join(run.root, 'package.json')));
  for (const pipeline of run.pipelines) {
    const problem = checkPipeline(pipeline, guard, listing, command);
    if (problem) problems.push(problem);
  }
  // The IAM policies beside each Jenkinsfile: missing, stale, hand-edited or foreign like it.
  const generatedFiles = await generatedFilesOf(run);
  for (const generated of generatedFiles) {
    if (generated.error !== undefined) {
      problems.push({ kind: 'invalid', file: generated.file, source: generated.pipeline.source, message: generated.error });
      continue;
    }
    const problem = checkPipeline(generated.pipeline, guard, listing, command, generated.file, generated.text);
    if (problem) problems.push(problem);
  }
  const keptDirectories = [...generatedFiles.filter((g) => g.error !== undefined).map((g) => `${g.file}/`), ...keptDirectoriesOf(run)];
  const outDir = realDirectoryInside(guard, run.config.outDir);
  if ('reason' in outDir) {
    problems.push({ kind: 'unsafe', file: run.config.outDir, message: outDir.reason });
  } else {
    let entries: ListedEntry[] = [];
    try {
      entries = listing.entriesBelow(outDir.real);
    } catch (error) {
      problems.push({ kind: 'unreadable', file: run.config.outDir, message: `${describeFsError(error, run.config.outDir)}; orphans and temp files not checked` });
    }
    const found = findOutputFiles(run, guard, entries, generatedFiles.map((g) => g.file));
    for (const orphan of run.complete ? found.orphans.filter((o) => !keptDirectories.some((d) => o.file.startsWith(d))) : []) {
      problems.push({
        kind: 'orphan',
        file: orphan.file,
        source: orphan.source,
        message: orphan.handEdited
          ? `${orphan.file} looks generated from ${orphan.source}, which no longer produces it, and was edited by hand (${orphan.handEdited}); delete it`
          : `${orphan.file} was generated from ${orphan.source}, which no longer produces it; delete it or run \`${command}\``,
      });
    }
    for (const temp of found.staleTemps) {
      problems.push({
        kind: 'temp',
        file: temp.file,
        message: `${temp.file} is a temp file left by an interrupted run (pid ${temp.pid}); the next compile removes it`,
      });
    }
    for (const unreadable of found.unreadable) {
      problems.push({ kind: 'unreadable', file: unreadable.file, message: `${unreadable.reason}; not checked` });
    }
    if (options.unchangedSince !== undefined) {
      const paths = [outDir.real, ...entries.map((entry) => entry.absolute)];
      problems.push(...changedSince(guard, paths, run.config.outDir, options.unchangedSince));
    }
  }
  if (options.unchangedSince !== undefined) {
    // Outputs outside the output directory (a pipeline's own `output`) are checked one by one.
    const outside = run.pipelines.map((p) => join(guard.realRoot, p.output)).filter((path) => 'real' in outDir && !path.startsWith(outDir.real + sep));
    problems.push(...changedSince(guard, outside, run.config.outDir, options.unchangedSince));
  }
  const order: CheckProblemKind[] = ['invalid', 'changed', 'unsafe', 'unreadable', 'hand-edited', 'foreign', 'stale', 'missing', 'orphan', 'temp'];
  return problems.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.file.localeCompare(b.file));
}
