/**
 * Watch mode: an initial full compile, then, on each change, recompile only the pipelines that
 * the changed files affect (following the import graph from the loader), write them, and report.
 */
import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { compileProject, loadConfig, type CompileRun, type CompiledPipeline } from './compile.ts';
import { CONFIG_FILE, type ResolvedConfig } from './config.ts';
import type { Diagnostic } from './diagnostics.ts';
import { createRunWriter, removeGeneratedOutput, type WriteReport } from './emit/index.ts';
import { createFileWatcher, type FileWatcher } from './fs-watcher.ts';
import { closeRuleHosts } from './load/config-rules.ts';
import { disposeSandbox, prepareSandbox } from './load/sandbox.ts';

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
  let watcher: FileWatcher | undefined;
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
    const writer = createRunWriter(root, { force: Boolean(options.force), removeOrphans: false });
    const run = await compileProject({ root, config, lazyModels: true, sideFiles: true, onResult: writer.offer, ...(files ? { files } : {}) });
    remember(run);
    const report = await writer.finish(run);
    const event: RebuildEvent = {
      trigger,
      recompiled: run.pipelines.map((p) => p.source),
      removed,
      report,
      diagnostics: [...run.diagnostics, ...run.pipelines.flatMap((p) => p.diagnostics)],
      milliseconds: performance.now() - started,
    };
    watchNewDependencies();
    // Every rebuild evaluates in a fresh worker (a fresh module cache: no stale modules, no
    // growth); starting the next one now keeps its start-up out of the next rebuild's latency.
    if (!closed) prepareSandbox();
    return event;
  }

  /** Adds dependencies outside the pipelines directory that are not watched yet. */
  const watchedOutside = new Set<string>();
  function watchNewDependencies() {
    const dir = pipelinesDir() + sep;
    const fresh = watchedFiles().filter((f) => !f.startsWith(dir) && !watchedOutside.has(f));
    for (const f of fresh) watchedOutside.add(f);
    if (fresh.length > 0) watcher?.addFiles(fresh);
  }

  /** Deletes the output of a deleted pipeline, but only a file pipewright generated from it. */
  async function removeOutputOf(file: string): Promise<string[]> {
    const previous = pipelines.get(file);
    pipelines.delete(file);
    graph.delete(file);
    if (!previous) return [];
    // Only a file generated from it, under the project lock, never through a symlink (emit).
    return removeGeneratedOutput(root, previous.output, { source: previous.source, outDir: config.outDir }).removed;
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
    let pipelineDeleted = false;
    for (const file of changed) {
      const inPipelines = file.startsWith(pipelinesDir() + sep);
      if (isPipelineFile(file) && inPipelines) {
        if (existsSync(file)) affected.add(file);
        else {
          pipelineDeleted = true;
          removed.push(...(await removeOutputOf(file)));
        }
      }
      for (const [pipeline, deps] of graph) if (deps.has(file) && existsSync(pipeline)) affected.add(pipeline);
    }
    if (affected.size === 0 && !pipelineDeleted) return;
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

  /**
   * A save may arrive as several events, the last of them after the rebuild has read the file
   * (a slow writer, or an editor's write-then-rename). After each event, look again once the
   * burst has surely ended: if the file differs from what the last rebuild read, rebuild again.
   */
  const compiledStats = new Map<string, string>();
  const statKey = (path: string) => {
    try {
      const s = statSync(path);
      return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch {
      return 'missing';
    }
  };
  const recheckTimers = new Map<string, NodeJS.Timeout>();
  function recheckLater(path: string) {
    clearTimeout(recheckTimers.get(path));
    recheckTimers.set(
      path,
      setTimeout(() => {
        recheckTimers.delete(path);
        building = building.then(() => {
          if (!closed && compiledStats.has(path) && compiledStats.get(path) !== statKey(path)) schedule(path);
        });
      }, 60),
    );
  }

  function schedule(path: string) {
    if (closed) return;
    recheckLater(resolve(path));
    if (pending.size === 0) burstStarted = performance.now();
    pending.add(resolve(path));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const changed = pending;
      const started = burstStarted;
      pending = new Set();
      for (const file of changed) compiledStats.set(file, statKey(file));
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
    const outside = watchedFiles().filter((f) => !f.startsWith(dir + sep));
    for (const f of outside) watchedOutside.add(f);
    watcher = createFileWatcher({
      onChange: (path) => schedule(path),
      onError: (error) => options.onError?.(error),
      ignored: (path: string) => path.includes(`${sep}node_modules${sep}`) || path.endsWith('.tmp'),
    });
    watcher.addTree(dir);
    watcher.addFiles(outside);
    return initial;
  })();

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const t of recheckTimers.values()) clearTimeout(t);
      await ready.catch(() => undefined);
      await building;
      watcher?.close();
      disposeSandbox();
      closeRuleHosts();
    },
  };
}
