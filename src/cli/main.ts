/**
 * The `pipewright` command line: a thin dispatcher over the library API. Each command lives in its
 * own module and is imported only when used, to keep start-up fast.
 */
import { EXIT, processIo, type CliIo } from './io.ts';

const USAGE = `Usage: pipewright <command> [options]

Commands:
  compile [files...]   compile pipelines to Jenkinsfiles (--check, --watch, --force)
  validate <files...>  validate hand-written declarative Jenkinsfiles offline
  import <files|dirs>  import hand-written Jenkinsfiles as typed pipelines (round trip checked)
  ecs-deploy           release a new image to an ECS service, verified, with rollback
  preflight            check the AWS resources the pipelines name (read-only: ECS, ECR)
  diff --base <ref>    semantic diff of the pipelines against a git ref, security changes first
  graph <pipeline>     stage graph of a pipeline as Mermaid or DOT
  iam [pipelines...]   least-privilege IAM policies of the roles the pipelines assume
  lint [files...]      check pipelines against the policy (--format text|json|sarif|junit|github)
  explain <RULE-ID>    a rule's rationale, standards, a violation and its fix
  rules                list every policy rule
  plugins              Jenkins plugins the pipelines need (plugins.txt, YAML, --check a controller)
  catalog <command>    controller catalog: import (GDSL, export-script JSON, plugins), export-script, types

Run \`pipewright <command> --help\` for a command's options.
`;

type Command = (argv: string[], io: CliIo) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  compile: async () => (await import('./compile.ts')).runCompileCli,
  validate: async () => {
    const { runValidateCli } = await import('./validate.ts');
    return (argv, io) => runValidateCli(argv, io);
  },
  'ecs-deploy': async () => {
    const { runEcsDeployCli } = await import('./ecs-deploy.ts');
    return (argv, io) => runEcsDeployCli(argv, io);
  },
  preflight: async () => {
    const { runPreflightCli } = await import('./preflight.ts');
    return (argv, io) => runPreflightCli(argv, io);
  },
  diff: async () => (await import('./diff.ts')).runDiffCli,
  graph: async () => (await import('./graph.ts')).runGraphCli,
  iam: async () => (await import('./iam.ts')).runIamCli,
  lint: async () => (await import('./lint.ts')).runLintCli,
  explain: async () => (await import('./lint.ts')).runExplainCli,
  rules: async () => (await import('./lint.ts')).runRulesCli,
  import: async () => (await import('./import.ts')).runImportCli,
  plugins: async () => (await import('./plugins.ts')).runPluginsCli,
  catalog: async () => (await import('./catalog.ts')).runCatalogCli,
};

/**
 * Commands that load pipelines, and whether a run of one may reuse cached bundles (as the command
 * decides it: only `compile` writing, without `--no-cache` or `CI`).
 */
const LOADING_COMMANDS: Record<string, (argv: readonly string[], io: CliIo) => boolean> = {
  compile: (argv, io) => !argv.includes('--check') && !argv.includes('--no-cache') && !io.env.CI,
  lint: () => false,
  iam: () => false,
};

/** Commands that compile a whole project in one short process (see `jit-tuning.ts`). */
const BATCH_COMMANDS = new Set(['compile', 'lint', 'iam', 'diff']);

/**
 * For a command that loads pipelines, boots the sandbox worker (and esbuild's service, when the
 * run will bundle) before the command's module graph is loaded, so they start up meanwhile (see
 * `load/prestart.ts`). Only a start-up head start: the command decides everything as before.
 */
async function prestart(name: string, argv: readonly string[], io: CliIo): Promise<void> {
  const reuseBundles = LOADING_COMMANDS[name];
  if (!reuseBundles || argv.includes('--help') || argv.includes('-h')) return;
  const { resolve } = await import('node:path');
  const at = argv.indexOf('--root');
  const inline = argv.find((arg) => arg.startsWith('--root='));
  const root = resolve(io.cwd, inline?.slice('--root='.length) ?? (at >= 0 ? (argv[at + 1] ?? '.') : '.'));
  const { prestartLoad } = await import('../load/prestart.ts');
  prestartLoad({ root, reuseBundles: reuseBundles(argv, io) });
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? EXIT.invalid : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    const { PIPEWRIGHT_VERSION } = await import('../version.ts');
    io.stdout.write(`${PIPEWRIGHT_VERSION}\n`);
    return EXIT.ok;
  }
  const load = commands[name];
  if (!load) {
    io.stderr.write(`pipewright: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.invalid;
  }
  try {
    if (BATCH_COMMANDS.has(name) && !rest.includes('--watch')) (await import('./jit-tuning.ts')).tuneJitForBatchRun();
    await prestart(name, rest, io);
    return await (await load())(rest, io);
  } catch (error) {
    io.stderr.write(`pipewright ${name}: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.invalid;
  }
}
