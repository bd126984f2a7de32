/**
 * `pipewright diff --base <git-ref> [--format markdown|json|text] [--security-only]
 *  [--fail-on-security] [--root DIR]`
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { formatJson, formatMarkdown, formatText, type DiffFormat } from '../diff/format.ts';
import { GitBaseError } from '../diff/git-base.ts';
import { diffAgainstRef, hasSecurityChanges } from '../diff/project.ts';
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

Exit codes: 0 ok, 1 security-relevant changes with --fail-on-security, 2 usage error, unknown
ref, or a pipeline of the working tree that does not compile.
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

  // A broken base (the target branch) does not fail the diff: the pull request may be fixing it.
  if (diff.headBroken) {
    io.stderr.write('pipewright diff: some pipelines of the working tree do not compile; their changes are not shown\n');
    return EXIT.invalid;
  }
  if (values['fail-on-security'] && hasSecurityChanges(diff)) {
    io.stderr.write('pipewright diff: security-relevant pipeline changes (--fail-on-security)\n');
    return EXIT.findings;
  }
  return EXIT.ok;
}
