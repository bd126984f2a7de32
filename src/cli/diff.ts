/**
 * `pipewright diff --base <git-ref> [--format markdown|json|text] [--security-only]
 *  [--fail-on-security] [--root DIR]`
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { formatJson, formatMarkdown, formatText, type DiffFormat } from '../diff/format.ts';
import { GitBaseError } from '../diff/git-base.ts';
import { diffAgainstRef, hasSecurityChanges, type SideHealth } from '../diff/project.ts';
import { colorsFor, EXIT, type CliIo } from './io.ts';

export const DIFF_USAGE = `Usage: pipewright diff --base <git-ref> [options]

Compiles the pipelines at <git-ref> (read from git; the working tree is not touched) and in the
working tree, and reports what changed in behaviour: stages and steps added, removed, moved or
changed, agents, environment, parameters, triggers, options, credentials, post, when, approvals.
Security-relevant changes (scan removed or weakened, approval removed or widened, deploy allowed
in new situations, new credential, raw Groovy or unmodelled step, policy suppression, deploy on
agent any) are listed first.

Options:
  --base REF           git ref to compare with, e.g. origin/main or HEAD~1 (required)
  --format FORMAT      text (default), markdown (a pull-request comment, with Mermaid graphs) or json
  --security-only      report security-relevant changes only
  --fail-on-security   exit 1 when there is a security-relevant change
  --root DIR           project root (default: current directory)
  -h, --help           show this help

Pipelines of either side that do not compile or fail policy are reported with their errors.
Exit codes (the working tree decides, as with compile and lint; a failing base is reported only):
  0 ok
  1 a pipeline of the working tree fails policy, or security-relevant changes with --fail-on-security
  2 usage error, unknown ref, or a pipeline of the working tree that does not load or validate
`;

const FORMATS: readonly DiffFormat[] = ['markdown', 'json', 'text'];

export async function runDiffCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        base: { type: 'string' },
        format: { type: 'string' },
        'security-only': { type: 'boolean' },
        'fail-on-security': { type: 'boolean' },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`pipewright diff: ${(error as Error).message}\n\n${DIFF_USAGE}`);
    return EXIT.invalid;
  }
  const { values } = args;
  if (values.help) {
    io.stdout.write(DIFF_USAGE);
    return EXIT.ok;
  }
  if (!values.base) {
    io.stderr.write(`pipewright diff: --base <git-ref> is required\n\n${DIFF_USAGE}`);
    return EXIT.invalid;
  }
  const format = (values.format ?? 'text') as DiffFormat;
  if (!FORMATS.includes(format)) {
    io.stderr.write(`pipewright diff: unknown format "${values.format}" (expected ${FORMATS.join(', ')})\n`);
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  let diff;
  try {
    diff = await diffAgainstRef(root, values.base);
  } catch (error) {
    if (error instanceof GitBaseError) {
      io.stderr.write(`pipewright diff: ${error.message}\n`);
      return EXIT.invalid;
    }
    throw error;
  }
  const options = { securityOnly: Boolean(values['security-only']) };
  const text =
    format === 'markdown'
      ? formatMarkdown(diff, options)
      : format === 'json'
        ? formatJson(diff, options)
        : formatText(diff, options, colorsFor(io.stdout, io.env));
  io.stdout.write(text);

  // The base (the target branch) is reported but does not decide the exit code: the change may be
  // fixing it. The working tree decides it, as compile and lint would: 2 invalid, 1 policy.
  const names = (list: string[]) => list.join(', ');
  const base = diff.baseHealth;
  if (base.configErrors > 0 || base.invalid.length > 0 || base.failingPolicy.length > 0) {
    io.stderr.write(
      `pipewright diff: the base ${values.base} has problems (reported above, not counted in the exit code): ` +
        `${describeSide(base)}\n`,
    );
  }
  if (diff.headBroken || diff.head.invalid.length > 0) {
    io.stderr.write(`pipewright diff: the working tree does not compile: ${describeSide(diff.head)}; changes of invalid pipelines are not shown\n`);
    return EXIT.invalid;
  }
  if (diff.head.failingPolicy.length > 0) {
    io.stderr.write(`pipewright diff: the working tree fails policy: ${names(diff.head.failingPolicy)} (findings listed above)\n`);
    return EXIT.findings;
  }
  if (values['fail-on-security'] && hasSecurityChanges(diff)) {
    io.stderr.write('pipewright diff: security-relevant pipeline changes (--fail-on-security)\n');
    return EXIT.findings;
  }
  return EXIT.ok;
}

/** `2 pipeline(s) invalid (a, b); 1 fail(s) policy (c)`. */
function describeSide(side: SideHealth): string {
  const parts: string[] = [];
  if (side.configErrors > 0) parts.push(`${side.configErrors} configuration error(s)`);
  if (side.invalid.length > 0) parts.push(`${side.invalid.length} pipeline(s) invalid (${side.invalid.join(', ')})`);
  if (side.failingPolicy.length > 0) parts.push(`${side.failingPolicy.length} pipeline(s) fail policy (${side.failingPolicy.join(', ')})`);
  return parts.join('; ');
}
