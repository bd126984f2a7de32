/**
 * The IAM policies `compile` writes beside each Jenkinsfile: `<dir of the Jenkinsfile>/iam/<env>.json`,
 * one per environment (and `build` for steps of no environment), in pipewright's JSON form with
 * the generated-file header (src/emit/header.ts), so the same safe-write, hand-edit and orphan
 * rules apply as for Jenkinsfiles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompileRun } from '../compile.ts';
import type { CompiledPipeline } from '../compiled.ts';
import { hasErrors } from '../diagnostics.ts';
import { compileCommandFor, withJsonHeader } from '../emit/header.ts';
import { publishedPolicies } from './formats.ts';
import { generateIamPolicies } from './generate.ts';
import { stableJson } from './policy-document.ts';

/** A generated file that is not a Jenkinsfile: its pipeline, path (project-relative) and text, or why it could not be generated. */
export interface GeneratedFile {
  pipeline: CompiledPipeline;
  /** Project-relative, `/` separators. */
  file: string;
  text?: string;
  /** Set when the file could not be generated (the text is then absent). */
  error?: string;
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
 * The policy files of every valid pipeline of a run that assumes an AWS role, in run order. A
 * pipeline whose policies cannot be generated gets one entry with `error` (file: its `iam/` directory).
 */
export async function iamFilesOf(run: Pick<CompileRun, 'root' | 'config' | 'pipelines'>): Promise<GeneratedFile[]> {
  let packageJson: string | undefined;
  try {
    packageJson = readFileSync(join(run.root, 'package.json'), 'utf8');
  } catch {
    packageJson = undefined;
  }
  const command = compileCommandFor(packageJson);
  const files: GeneratedFile[] = [];
  for (const pipeline of run.pipelines) {
    if (!assumesAwsRole(pipeline)) continue;
    const directory = iamDirectoryOf(pipeline);
    try {
      const policies = await generateIamPolicies(pipeline, { root: run.root, ...(run.config.iam === undefined ? {} : { config: run.config.iam }) });
      for (const environment of policies) {
        files.push({ pipeline, file: `${directory}/${environment.environment}.json`, text: withJsonHeader(stableJson(publishedPolicies(environment)), pipeline.source, command) });
      }
    } catch (error) {
      files.push({ pipeline, file: directory, error: `IAM policies of ${pipeline.name} not generated: ${(error as Error).message}` });
    }
  }
  return files;
}
