/**
 * Start-up work of the load phase that can begin before the compiler is loaded: the CLI calls
 * {@link prestartLoad} first thing for a command that loads pipelines, so the sandbox worker
 * boots (and esbuild's service starts) while this process is still compiling its own ~1 MB of
 * code, instead of when the first load begins. Nothing here runs user code: the worker only
 * boots, and evaluations still get a worker of the limits they ask for (`sandbox.ts`).
 *
 * Kept apart from `loader.ts`, so that importing it loads the sandbox and esbuild wrappers only.
 */
import { startBundler } from './bundle.ts';
import { hasBundleCache } from './cache.ts';
import { prepareSandbox, sandboxLimits } from './sandbox.ts';

/**
 * Boots the sandbox worker with the default limits (those of `PIPEWRIGHT_LOAD_TIMEOUT` and
 * `PIPEWRIGHT_LOAD_MEMORY_MB`), and starts esbuild's service when the run will bundle: always
 * when it may not reuse cached bundles (`reuseBundles: false`), else when `root` has no bundle
 * cache yet (a warm run then does not start esbuild for nothing).
 */
export function prestartLoad(options: { root: string; reuseBundles: boolean }): void {
  prepareSandbox(sandboxLimits());
  if (!options.reuseBundles || !hasBundleCache(options.root)) startBundler();
}
