/**
 * `pipewright ecs-deploy`: command-line front end of {@link ecsDeploy}. Parses the options,
 * streams the progress lines, and ends with one line saying what happened and why.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_ABORT_GRACE_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_ROLLBACK_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  EcsDeployUsageError,
  ecsDeploy,
  parseDigestImageRef,
  type EcsDeployOptions,
} from '../aws/ecs-deploy.ts';
import { EXIT, type CliIo } from './io.ts';

export const ECS_DEPLOY_USAGE = `Usage: pipewright ecs-deploy --cluster C --service S --image REPO@sha256:<digest> [options]

Registers a new task-definition revision with the new image, updates the service with the
deployment circuit breaker, waits until the new revision is PRIMARY and COMPLETED, and rolls
back to the previous revision otherwise.

Options:
  --cluster C            ECS cluster name or ARN (required)
  --service S            ECS service name or ARN (required)
  --image REF            image by digest, REGISTRY/REPOSITORY@sha256:<64 hex> (required; tags
                         are refused; an ECR repository must follow ECR's repository-name rules)
  --container NAME       container to update (required when the task has several)
  --timeout D            bound on the release, every AWS call included, e.g. 15m (default ${DEFAULT_TIMEOUT_MS / 60_000}m)
  --rollback-timeout D   bound on the rollback after a failure (default ${DEFAULT_ROLLBACK_TIMEOUT_MS / 60_000}m)
  --abort-grace D        bound on the rollback after SIGTERM/SIGINT (default ${DEFAULT_ABORT_GRACE_MS / 1000}s)
  --poll-interval D      time between polls, e.g. 15s (default ${DEFAULT_POLL_INTERVAL_MS / 1000}s)
  --evidence FILE        write the deploy evidence JSON here; its directory must exist and be
                         writable, or lie inside the current directory (then it is created)
  --alarm NAME           CloudWatch alarm set as deploymentConfiguration.alarms (rollback on);
                         repeat for more (at most 10); must exist
  --bake D               after the rollout, watch the alarms for D; one in ALARM rolls back
  --bake-alarm NAME      alarm to watch during the bake instead of the --alarm ones; repeatable
  --tag KEY=VALUE        cost-allocation tag for the new revision and the service (TagResource,
                         propagateTags TASK_DEFINITION); repeatable
  --deadline T           follow a rollback until T (epoch seconds or ISO 8601), e.g. the end of
                         the Jenkins timeout, instead of --rollback-timeout
  --region R             AWS region (default: the AWS provider chain)
  -h, --help             show this help

Durations: <n>ms, <n>s, <n>m or <n>h (n may have decimals). Credentials, region and endpoint (AWS_ENDPOINT_URL_ECS)
come from the standard AWS SDK configuration. The run ends within --timeout plus
--rollback-timeout (each AWS call is cancelled at those bounds). On SIGTERM or SIGINT (Jenkins
abort) the call in flight is cancelled and the service is rolled back within --abort-grace; a
second signal ends the process at once.
Exit codes: 0 released and verified, 1 release failed (rolled back, rollback failed or aborted),
2 usage error (including an unusable --evidence path).
`;

/** Thrown for command-line mistakes; becomes exit code 2. */
class UsageError extends Error {}

/**
 * Parses `15m`, `90s`, `500ms`, `1h` into milliseconds. Throws on anything else (a bare number is
 * refused: seconds or minutes would be a guess).
 */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new UsageError(`${option} must be a duration like 500ms, 30s, 15m or 1h; got "${text}"`);
  const value = Number(match[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(value * unit);
  if (ms <= 0) throw new UsageError(`${option} must be greater than zero`);
  return ms;
}

/**
 * Runs `pipewright ecs-deploy` with `argv` (the arguments after the command name) and returns the
 * exit code: 0 success, 1 failed release (rolled back, rollback failed, or failed before the
 * update), 2 usage error. `io.env` feeds the build fields of the evidence (BUILD_URL, JOB_NAME,
 * BUILD_NUMBER, GIT_COMMIT); the AWS SDK itself reads its configuration from `process.env`.
 * SIGINT/SIGTERM during the rollout trigger the rollback instead of leaving a half-finished release.
 */
export async function runEcsDeployCli(
  argv: string[],
  io: Pick<CliIo, 'stdout' | 'stderr' | 'env'> & { cwd?: string } = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  },
): Promise<number> {
  let options: EcsDeployOptions;
  try {
    const parsed = parseEcsDeployArgs(argv);
    if (parsed === 'help') {
      io.stdout.write(ECS_DEPLOY_USAGE);
      return EXIT.ok;
    }
    const workingDirectory = io.cwd ?? process.cwd();
    options = {
      ...parsed,
      ...(parsed.evidenceFile ? { evidenceFile: resolve(workingDirectory, parsed.evidenceFile) } : {}),
      workingDirectory,
      env: io.env,
    };
  } catch (error) {
    if (error instanceof UsageError || error instanceof EcsDeployUsageError || isParseArgsError(error)) {
      io.stderr.write(`ecs-deploy: usage error: ${(error as Error).message}\n\n${ECS_DEPLOY_USAGE}`);
      return EXIT.invalid;
    }
    throw error;
  }

  // The SDK warns on every client that releases after January 2027 will need Node 22. That is a
  // note for whoever upgrades the pinned SDK, not for the operator reading a deploy log. An
  // explicit setting in the environment still wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const abort = new AbortController();
  // `once`: a second signal gets Node's default handling and ends the process at once.
  const onSignal = (signal: NodeJS.Signals) => {
    io.stderr.write(
      `ecs-deploy: received ${signal}; cancelling the AWS call in flight and rolling back (at most ${formatGrace(options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS)}; send it again to stop at once)\n`,
    );
    abort.abort(new Error(`received ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await ecsDeploy(
      { ...options, signal: abort.signal },
      { log: (line) => io.stdout.write(`${line}\n`) },
    );
    if (result.evidenceWriteError) {
      io.stderr.write(`ecs-deploy: evidence NOT written to ${options.evidenceFile}: ${result.evidenceWriteError}\n`);
    } else if (options.evidenceFile) {
      io.stdout.write(`evidence: ${options.evidenceFile}\n`);
    }
    if (result.ok && !result.evidenceWriteError) {
      io.stdout.write(`ecs-deploy: success: ${result.reason}\n`);
      return EXIT.ok;
    }
    // A release without its evidence record is not done (AUDIT-001), even when ECS says COMPLETED.
    const reason = result.ok ? `released, but the evidence record is missing: ${result.reason}` : result.reason;
    io.stderr.write(`ecs-deploy: ${result.ok ? 'failed' : result.outcome}: ${reason}\n`);
    return EXIT.findings;
  } catch (error) {
    if (error instanceof EcsDeployUsageError) {
      io.stderr.write(`ecs-deploy: usage error: ${error.message}\n(see pipewright ecs-deploy --help)\n`);
      return EXIT.invalid;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** Parses and checks the arguments; `'help'` for -h/--help. */
function parseEcsDeployArgs(argv: string[]): Omit<EcsDeployOptions, 'env' | 'signal' | 'workingDirectory'> | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      cluster: { type: 'string' },
      service: { type: 'string' },
      image: { type: 'string' },
      container: { type: 'string' },
      timeout: { type: 'string' },
      'rollback-timeout': { type: 'string' },
      'abort-grace': { type: 'string' },
      'poll-interval': { type: 'string' },
      evidence: { type: 'string' },
      region: { type: 'string' },
      alarm: { type: 'string', multiple: true },
      bake: { type: 'string' },
      'bake-alarm': { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      deadline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const missing = (['cluster', 'service', 'image'] as const).filter((name) => !values[name]?.trim());
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  for (const name of ['container', 'evidence', 'region', 'timeout', 'rollback-timeout', 'abort-grace', 'poll-interval'] as const) {
    if (values[name] !== undefined && !values[name].trim()) throw new UsageError(`--${name} must not be empty`);
  }
  const image = values.image as string;
  parseDigestImageRef(image);
  const tags: Record<string, string> = {};
  for (const tag of values.tag ?? []) {
    const at = tag.indexOf('=');
    if (at < 1) throw new UsageError(`--tag must be KEY=VALUE; got "${tag}"`);
    tags[tag.slice(0, at)] = tag.slice(at + 1);
  }
  if (values['bake-alarm'] !== undefined && values.bake === undefined) throw new UsageError('--bake-alarm needs --bake');
  return {
    ...(values.alarm !== undefined ? { alarms: values.alarm } : {}),
    ...(values.bake !== undefined
      ? { bake: { durationMs: parseDuration(values.bake, '--bake'), ...(values['bake-alarm'] ? { alarms: values['bake-alarm'] } : {}) } }
      : {}),
    ...(values.tag !== undefined ? { tags } : {}),
    ...(values.deadline !== undefined ? { deadline: parseDeadline(values.deadline) } : {}),
    cluster: values.cluster as string,
    service: values.service as string,
    image,
    ...(values.container !== undefined ? { container: values.container } : {}),
    ...(values.timeout !== undefined ? { timeoutMs: parseDuration(values.timeout, '--timeout') } : {}),
    ...(values['rollback-timeout'] !== undefined
      ? { rollbackTimeoutMs: parseDuration(values['rollback-timeout'], '--rollback-timeout') }
      : {}),
    ...(values['abort-grace'] !== undefined ? { abortGraceMs: parseDuration(values['abort-grace'], '--abort-grace') } : {}),
    ...(values['poll-interval'] !== undefined
      ? { pollIntervalMs: parseDuration(values['poll-interval'], '--poll-interval') }
      : {}),
    ...(values.evidence !== undefined ? { evidenceFile: values.evidence } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
  };
}

/** `--deadline`: epoch seconds, or an ISO 8601 time with a zone; returns epoch milliseconds. */
export function parseDeadline(text: string): number {
  const trimmed = text.trim();
  if (/^\d{9,11}$/.test(trimmed)) return Number(trimmed) * 1000;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`--deadline must be epoch seconds or an ISO 8601 time with a zone (2026-12-06T23:00:00Z); got "${text}"`);
}

function formatGrace(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `node:util` parseArgs reports unknown options and missing values with ERR_PARSE_ARGS_* codes. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
