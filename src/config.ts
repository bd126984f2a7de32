/**
 * Project configuration: `pipewright.config.ts` at the project root (optional). Loaded the same
 * way as pipelines; validated by its zod schema.
 */
import { z } from 'zod';
import { IamConfigSchema } from './iam/config.ts';
import { PolicyConfigSchema } from './policy/config.ts';

export const CONFIG_FILE = 'pipewright.config.ts';

export const ConfigSchema = z.strictObject({
  /** Directory searched for `**\/*.pipeline.ts` files, relative to the project root. */
  pipelinesDir: z.string().min(1).default('pipelines'),
  /** Directory for generated Jenkinsfiles (`<outDir>/<pipeline>/Jenkinsfile`). */
  outDir: z.string().min(1).default('generated'),
  /** Output path per pipeline name, relative to the project root (overrides `outDir`). */
  outputs: z.record(z.string(), z.string().min(1)).default({}),
  /** Policy: rule packs, severities, per-environment options, failOn, mandatory and custom rules. */
  policy: PolicyConfigSchema.prefault({}),
  /** IAM generation (`pipewright iam`, generated/<name>/iam/): trust principal, ECS task roles. */
  iam: IamConfigSchema.optional(),
  /**
   * The controller catalog pipelines are checked against and `pipewright plugins --check` compares
   * with: path of a catalog JSON (`pipewright catalog import` writes one), relative to the project
   * root. Default: the bundled catalog (see docs/catalog.md).
   */
  catalog: z.string().min(1).optional(),
});

/** What a `pipewright.config.ts` default-exports (see `defineConfig`). */
export type PipewrightConfig = z.input<typeof ConfigSchema>;
/** Configuration with defaults applied. */
export type ResolvedConfig = z.output<typeof ConfigSchema>;

export const defaultConfig = (): ResolvedConfig => ConfigSchema.parse({});
