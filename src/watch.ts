/**
 * Watch mode: an initial full compile, then, on each change, recompile only the pipelines that
 * the changed files affect (following the import graph from the loader), write them, and report.
 */
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { compileProject, loadConfig, type CompileRun, type CompiledPipeline } from './compile.ts';
import { CONFIG_FILE, type ResolvedConfig } from './config.ts';
import type { Diagnostic } from './diagnostics.ts';
import { readHeader } from './emit/header.ts';
import { writeRun, type WriteReport } from './emit/index.ts';
import { readIfExists } from './emit/write.ts';

/** What one rebuild did. */
export interface RebuildEvent {
  /** Why: the initial build, or the changed files (project-relative). */
  trigger: 'initial' | string[];
  /** Pipelines recompiled (project-relative sources). */
  recompiled: string[];
  /** Outputs removed because their pipeline file was deleted (project-relative). */
  removed: string[];
  report: WriteReport;
  /** Diagnostics of the recompiled pipelines and of the configuration. */
  diagnostics: Diagnostic[];
  /** Wall time of the rebuild, from the first event of the burst to the files on disk. */
  milliseconds: number;
}

export interface WatchOptions {
  root: string;
  force?: boolean;
  /** Quiet time after the last event of a burst before rebuilding (ms). */
  debounceMs?: number;
  onRebuild?: (event: RebuildEvent) => void;
  onError?: (error: unknown) => void;
}

export interface ProjectWatcher {
  /** Resolves once the initial build is written and the watcher is ready. */
  ready: Promise<RebuildEvent>;
  /** Stops watching. */
  close(): Promise<void>;
}

const toPosix = (path: string) => path.split(sep).join('/');
const isPipelineFile = (path: string) => path.endsWith('.pipeline.ts');

/** Starts watching a project. */
export function watchProject(options: WatchOptions): ProjectWatcher {
  const root = resolve(options.root);
  const debounceMs = options.debounceMs ?? 20;
  let config: ResolvedConfig;
  /** Absolute pipeline file → local files it depends on (itself included). */
  const graph = new Map<string, Set<string>>();
  /** Absolute pipeline file → its last compiled state. */
  const pipelines = new Map<string, CompiledPipeline>();
  let watcher: FSWatcher | undefined;
  let pending = new Set<string>();
  let burstStarted = 0;
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> = Promise.resolve();
  let closed = false;

  const pipelinesDir = () => resolve(root, config.pipelinesDir);

  function remember(run: CompileRun) {
    for (const [file, deps] of run.graph) graph.set(file, deps);
    for (const pipeline of run.pipelines) pipelines.set(resolve(root, pipeline.source), pipeline);
  }

  /** Every local file some pipeline depends on, plus the config: all must be watched. */
  function watchedFiles(): string[] {
    const files = new Set<string>([resolve(root, CONFIG_FILE)]);
    for (const deps of graph.values()) for (const dep of deps) files.add(dep);
    return [...files];
  }

  async function build(trigger: RebuildEvent['trigger'], files: string[] | undefined, removed: string[], started: number) {
    const run = await compileProject({ root, config, ...(files ? { files } : {}) });
    remember(run);
    const report = await writeRun(run, { force: Boolean(options.force), removeOrphans: false });
    const event: RebuildEvent = {
      trigger,
      recompiled: run.pipelines.map((p) => p.source),
      removed,
      report,
      diagnostics: [...run.diagnostics, ...run.pipelines.flatMap((p) => p.diagnostics)],
      milliseconds: performance.now() - started,
    };
    watcher?.add(watchedFiles().filter((f) => existsSync(f)));
    return event;
  }

  /** Deletes the output of a deleted pipeline, but only a file pipewright generated from it. */
  async function removeOutputOf(file: string): Promise<string[]> {
    const previous = pipelines.get(file);
    pipelines.delete(file);
    graph.delete(file);
    if (!previous) return [];
    const target = resolve(root, previous.output);
    const text = await readIfExists(target);
    const header = text === undefined ? undefined : readHeader(text);
    if (!header || header.source !== previous.source) return [];
    await rm(target, { force: true });
    return [previous.output];
  }

  async function rebuild(changed: Set<string>, started: number) {
    const trigger = [...changed].map((f) => toPosix(relative(root, f))).sort();
    if (changed.has(resolve(root, CONFIG_FILE))) {
      config = (await loadConfig(root)).config;
      options.onRebuild?.(await build(trigger, undefined, [], started));
      return;
    }
    const affected = new Set<string>();
    const removed: string[] = [];
    for (const file of changed) {
      const inPipelines = file.startsWith(pipelinesDir() + sep);
      if (isPipelineFile(file) && inPipelines) {
        if (existsSync(file)) affected.add(file);
        else removed.push(...(await removeOutputOf(file)));
      }
      for (const [pipeline, deps] of graph) if (deps.has(file) && existsSync(pipeline)) affected.add(pipeline);
    }
    if (affected.size === 0 && removed.length === 0) return;
    if (affected.size === 0) {
      options.onRebuild?.({
        trigger,
        recompiled: [],
        removed,
        report: { outcomes: [], removedOrphans: [] },
        diagnostics: [],
        milliseconds: performance.now() - started,
      });
      return;
    }
    const event = await build(trigger, [...affected].sort(), [], started);
    event.removed = removed;
    options.onRebuild?.(event);
  }

  function schedule(path: string) {
    if (closed) return;
    if (pending.size === 0) burstStarted = performance.now();
    pending.add(resolve(path));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const changed = pending;
      const started = burstStarted;
      pending = new Set();
      building = building
        .then(() => rebuild(changed, started))
        .catch((error: unknown) => options.onError?.(error));
    }, debounceMs);
  }

  const ready = (async () => {
    const started = performance.now();
    config = (await loadConfig(root)).config;
    const initial = await build('initial', undefined, [], started);
    const dir = pipelinesDir();
    watcher = chokidarWatch([dir, ...watchedFiles().filter((f) => existsSync(f) && !f.startsWith(dir + sep))], {
      ignoreInitial: true,
      ignored: (path: string) => path.includes(`${sep}node_modules${sep}`) || path.endsWith('.tmp'),
    });
    watcher.on('all', (event, path) => {
      if (event === 'addDir' || event === 'unlinkDir') return;
      schedule(path);
    });
    watcher.on('error', (error) => options.onError?.(error));
    await new Promise<void>((resolveReady) => watcher!.once('ready', () => resolveReady()));
    // The project root's config may appear later: watch its directory entry too.
    watcher.add(dirname(resolve(root, CONFIG_FILE)) + sep + CONFIG_FILE);
    return initial;
  })();

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await ready.catch(() => undefined);
      await building;
      await watcher?.close();
    },
  };
}
