/**
 * `pipewright compile --watch`: prints each rebuild (what, how long, problems) and keeps running
 * until Ctrl-C.
 */
import { watchProject, type RebuildEvent } from '../watch.ts';
import { colorsFor, EXIT, renderDiagnostic, type CliIo } from './io.ts';

export async function runWatch(options: { root: string; force: boolean }, io: CliIo): Promise<number> {
  const colors = colorsFor(io.stdout, io.env);
  const print = (event: RebuildEvent) => {
    const when = new Date().toTimeString().slice(0, 8);
    const what =
      event.trigger === 'initial' ? 'initial build' : `change in ${event.trigger.join(', ')}`;
    for (const d of event.diagnostics) io.stderr.write(`${renderDiagnostic(d, colors)}\n`);
    const written = event.report.outcomes.filter((o) => o.status === 'created' || o.status === 'updated').length;
    const failed = event.report.outcomes.filter((o) => o.status === 'invalid' || o.status === 'refused');
    for (const outcome of failed) {
      io.stdout.write(
        `  ${colors.red('x')} ${outcome.pipeline.source}: ${outcome.reason ?? 'not written; the last good Jenkinsfile stays'}\n`,
      );
    }
    for (const removed of event.removed) io.stdout.write(`  - removed ${removed}\n`);
    io.stdout.write(
      `${colors.dim(when)} ${what}: recompiled ${event.recompiled.length} pipeline(s), wrote ${written}` +
        `${failed.length ? colors.red(`, ${failed.length} failed`) : ''} in ${event.milliseconds.toFixed(0)} ms\n`,
    );
  };
  const watcher = watchProject({
    root: options.root,
    force: options.force,
    onRebuild: print,
    onError: (error) => io.stderr.write(`${colors.red('watch error:')} ${(error as Error).stack ?? String(error)}\n`),
  });
  print(await watcher.ready);
  io.stdout.write(colors.dim('watching for changes; press Ctrl-C to stop\n'));
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await watcher.close();
  io.stdout.write('stopped\n');
  return EXIT.ok;
}
