/**
 * Small pipeline builders for policy tests. Every pipeline a test builds goes through the real
 * schema (RuleTester and `validPipeline` parse it), so fixtures are pipelines pipewright accepts.
 */
import type { Pipeline, ShStep, ValidPipeline } from '../../src/model/schema.ts';
import { PipelineSchema } from '../../src/model/schema.ts';

export const sh = (script: string, extra: Partial<ShStep> = {}): ShStep => ({ step: 'sh', script, ...extra });

/** A minimal hygienic pipeline; `over` replaces top-level fields (pass `undefined` to drop one). */
export function pipeline(over: Partial<Pipeline> = {}): Pipeline {
  const base: Pipeline = {
    agent: { type: 'label', label: 'linux && ephemeral' },
    options: { timeout: { time: 30, unit: 'MINUTES' }, buildDiscarder: { numToKeep: 20 } },
    stages: [{ name: 'Build', steps: [sh('make')] }],
  };
  const merged: Record<string, unknown> = { ...base, ...over };
  for (const [key, value] of Object.entries(over)) if (value === undefined) delete merged[key];
  return merged as Pipeline;
}

/** Parses a pipeline with the real schema; throws with the issues when it is not valid. */
export function validPipeline(value: Pipeline): ValidPipeline {
  const parsed = PipelineSchema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid fixture: ${JSON.stringify(parsed.error.issues, null, 2)}`);
  return parsed.data;
}

/** The deploys the policy missed by command name (issue #10): each holds a production role here. */
export const MISSED_DEPLOYS: readonly string[] = [
  'kubectl --context prod apply -f k8s/',
  'terraform apply -auto-approve',
  'aws s3 sync dist/ s3://web-assets-prod --delete',
  'aws lambda update-function-code --function-name api --zip-file fileb://api.zip',
  'aws cloudformation deploy --template-file stack.yml --stack-name api',
  'git push origin HEAD:production',
  './scripts/release.sh production',
  '$CMD',
];
