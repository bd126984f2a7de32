/**
 * `pipewright preflight`: compiles the project's pipelines in memory and checks the AWS resources
 * they name with read-only calls (see `src/aws/preflight.ts`), then reports the findings with
 * `lint`'s reporters (`src/policy/report/`).
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { preflight, preflightEnvironments, preflightTargets, type PreflightOptions } from '../aws/preflight.ts';
import { preflightLintReport, relabelForPreflight } from '../aws/preflight-report.ts';
import { compileProject } from '../compile.ts';
import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import { DELIVERY_PATTERNS } from '../model/delivery.ts';
import { REPORT_FORMATS, renderReport, summarize, summaryLine, type ReportFormat } from '../policy/report/index.ts';
import { EXIT, colorsFor, renderDiagnostic, type CliIo } from './io.ts';

export const PREFLIGHT_USAGE = `Usage: pipewright preflight [--env NAME] [--format FORMAT] [--output FILE] [--root DIR] [--iam]

Checks, with read-only AWS calls, that the ECS clusters, services and containers the pipelines
deploy to exist and are ACTIVE Fargate services with a rolling (ECS) deployment controller, and
that the ECR repositories they push to exist with immutable tags and scanning on push.

Options:
  --env NAME       check only this environment's deploy targets (e.g. dev, stage, prod)
  --format FORMAT  text (default), json, sarif, junit or github
  --output FILE    write the report to FILE instead of stdout
  --root DIR       project root (default: the current directory)
  --iam            instead: ask IAM (iam:SimulatePrincipalPolicy, read-only) whether each role the
                   pipelines assume allows every call they make (the generated policies, see
                   pipewright iam) and whether it allows more (a probe list of dangerous actions);
                   endpoint override: AWS_ENDPOINT_URL_IAM
  -h, --help       show this help

Credentials and region come from the AWS SDK's default chains, per target region; endpoints can
be overridden with AWS_ENDPOINT_URL_ECS and AWS_ENDPOINT_URL_ECR.
Exit codes: 0 no error-level finding, 1 error-level findings, 2 usage error or a pipeline that
does not compile.
`;

class UsageError extends Error {}

interface PreflightArgs {
  env?: string;
  iam?: boolean;
  format: ReportFormat;
  output?: string;
  root?: string;
}

/**
 * Runs `pipewright preflight` with `argv` (the arguments after the command name) and returns the
 * exit code: 0 clean (warnings allowed), 1 error-level findings, 2 usage error or invalid
 * pipelines. `clientsFor` replaces the default SDK clients (tests); the SDK otherwise reads its
 * configuration from `process.env`.
 */
export async function runPreflightCli(
  argv: string[],
  io: CliIo,
  clientsFor?: PreflightOptions['clientsFor'],
): Promise<number> {
  let args: PreflightArgs;
  try {
    const parsed = parsePreflightArgs(argv);
    if (parsed === 'help') {
      io.stdout.write(PREFLIGHT_USAGE);
      return EXIT.ok;
    }
    args = parsed;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`pipewright preflight: ${(error as Error).message}\n\n${PREFLIGHT_USAGE}`);
      return EXIT.invalid;
    }
    throw error;
  }

  const colors = colorsFor(io.stderr, io.env);
  const root = resolve(io.cwd, args.root ?? '.');
  const run = await compileProject({ root });
  // Compiler errors (load, schema, structure, emit) make the model untrustworthy; policy
  // findings are `lint`'s business and do not stop preflight.
  const invalid: Diagnostic[] = [
    ...run.diagnostics.filter((d) => d.severity === 'error' && d.code.startsWith('PW')),
    ...run.pipelines.flatMap((p) => p.diagnostics.filter((d) => d.severity === 'error' && d.code.startsWith('PW'))),
  ];
  const unloaded = run.pipelines.filter((p) => !p.model);
  if (hasErrors(invalid) || unloaded.length > 0) {
    for (const d of invalid) io.stderr.write(`${renderDiagnostic(d, colors)}\n`);
    io.stderr.write(`pipewright preflight: fix the pipelines first (pipewright compile); no AWS call was made\n`);
    return EXIT.invalid;
  }
  if (args.iam) return runIamPreflight(run, args.env, io);
  if (args.env !== undefined) {
    const known = preflightEnvironments(run);
    if (!known.includes(args.env)) {
      io.stderr.write(
        `pipewright preflight: no pipeline deploys to an ECS environment "${args.env}" (environments: ${known.join(', ') || 'none'})\n`,
      );
      return EXIT.invalid;
    }
  }

  // See runEcsDeployCli: the SDK's Node 22 notice is for whoever upgrades the SDK, not for CI logs.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const targets = preflightTargets(run, args.env);
  const diagnostics = await preflight(run, {
    ...(args.env !== undefined ? { env: args.env } : {}),
    ...(clientsFor ? { clientsFor } : {}),
  });
  const report = preflightLintReport(run, targets, diagnostics, await packageVersion());
  const toFile = args.output !== undefined;
  const text = relabelForPreflight(
    renderReport(args.format, report, {
      colors: colorsFor(toFile ? { write: () => true } : io.stdout, io.env),
      root,
      readSource: (file) => {
        try {
          return readFileSync(join(root, file), 'utf8');
        } catch {
          return undefined;
        }
      },
    }),
  );
  if (toFile) {
    const file = resolve(io.cwd, args.output!);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    io.stderr.write(`pipewright preflight: ${summaryLine(summarize(report))}; ${args.format} report written to ${args.output}\n`);
  } else {
    io.stdout.write(text);
  }
  if (targets.deploys.length + targets.repositories.length === 0) {
    io.stderr.write('pipewright preflight: no ECS deploy target or ECR repository in the pipelines: nothing to check\n');
  }
  return hasErrors(diagnostics) ? EXIT.findings : EXIT.ok;
}

function parsePreflightArgs(argv: string[]): PreflightArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      root: { type: 'string' },
      iam: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const format = values.format ?? 'text';
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, not ${JSON.stringify(format)}`);
  }
  if (values.env !== undefined && !DELIVERY_PATTERNS.environmentName.test(values.env)) {
    throw new UsageError(`--env must be an environment name such as dev, stage or prod, not ${JSON.stringify(values.env)}`);
  }
  for (const name of ['output', 'root'] as const) {
    if (values[name] !== undefined && !values[name].trim()) throw new UsageError(`--${name} must not be empty`);
  }
  return {
    format: format as ReportFormat,
    ...(values.env !== undefined ? { env: values.env } : {}),
    ...(values.output !== undefined ? { output: values.output } : {}),
    ...(values.root !== undefined ? { root: values.root } : {}),
    ...(values.iam ? { iam: true } : {}),
  };
}

/** `--iam`: the generated policies of every pipeline, checked against the real roles (src/aws/preflight-iam.ts). */
async function runIamPreflight(run: Awaited<ReturnType<typeof compileProject>>, env: string | undefined, io: CliIo): Promise<number> {
  const { generateIamPolicies } = await import('../iam/generate.ts');
  const { formatIamChecks, preflightIam } = await import('../aws/preflight-iam.ts');
  const all = [];
  for (const pipeline of run.pipelines) {
    if (!pipeline.jenkinsfile?.includes('withAWS(')) continue;
    all.push(...(await generateIamPolicies(pipeline, { root: run.root, ...(run.config.iam === undefined ? {} : { config: run.config.iam }) })));
  }
  if (env !== undefined && !all.some((p) => p.environment === env)) {
    io.stderr.write(`pipewright preflight --iam: no pipeline assumes a role for "${env}" (environments: ${[...new Set(all.map((p) => p.environment))].join(', ') || 'none'})\n`);
    return EXIT.invalid;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { text, failed } = formatIamChecks(await preflightIam(all, env === undefined ? {} : { env }));
  io.stdout.write(text);
  return failed ? EXIT.findings : EXIT.ok;
}

async function packageVersion(): Promise<string> {
  return (await import('../version.ts')).PIPEWRIGHT_VERSION;
}

/** `node:util` parseArgs reports unknown options and missing values with ERR_PARSE_ARGS_* codes. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
