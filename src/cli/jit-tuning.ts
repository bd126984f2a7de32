/**
 * V8 tuning for the CLI's batch runs (`compile`, `compile --check`, `lint`, `iam`): one process that
 * compiles up to thousands of pipelines and exits.
 *
 * Such a run executes mostly baseline (Ignition/Sparkplug) code: on 1,000 synthetic pipelines,
 * turning TurboFan off entirely left the wall time unchanged. TurboFan still pays on large
 * pipelines, but its biggest compiles are the deeply inlined ones (a single function took ~100 ms
 * of background compile), which compete with the main thread for this machine's two cores and land
 * late in the run. A smaller cumulative inlining budget keeps the optimized code that pays and
 * drops most of that cost. Measured on the 1,000-pipeline fleet (medians of 4 alternating cold
 * runs): `lint` −9% wall and −14% CPU, `compile --check` −8%; synthetic `--check` −8%.
 *
 * Only a heuristic of the optimizing compiler: no effect on results. Not applied in watch mode (a
 * long-lived process, where full inlining pays), nor when the user passes their own inlining flags.
 */
import { setFlagsFromString } from 'node:v8';

/** The cumulative bytecode size TurboFan may inline into one function (V8's default: 920). */
const BATCH_INLINING_BUDGET = 150;

let tuned = false;

/**
 * Applies the batch-run inlining budget once per process, unless the user set inlining flags.
 * Returns whether it did. The parameters exist for tests.
 */
export function tuneJitForBatchRun(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (tuned) return false;
  if (execArgv.some((arg) => arg.includes('inlin')) || nodeOptions.includes('inlin')) return false;
  setFlags(`--max-inlined-bytecode-size-cumulative=${BATCH_INLINING_BUDGET}`);
  tuned = true;
  return true;
}
