/**
 * Issue #10.5: path-like fields that reach command lines as positional arguments may not start
 * with `-` (a command would read `-f/etc/passwd` as an option). The schema refuses them, at the
 * author's line, for every such field of every delivery step and environment target.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { DeliveryEnvironmentSchema, DELIVERY_PATTERNS } from '../../src/model/delivery.ts';
import { StepSchema, type Stage, type Step } from '../../src/model/schema.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';
import { ECS_ENVIRONMENTS, STEP_FIXTURES } from './fixtures.ts';

/** The first step of `kind` in the step fixtures (all schema-valid). */
function fixtureStep(kind: string, where?: (step: Record<string, unknown>) => boolean): Record<string, unknown> {
  for (const pipeline of Object.values(STEP_FIXTURES)) {
    for (const stage of pipeline.stages as Stage[]) {
      const steps = [...(stage.steps ?? []), ...Object.values(stage.post ?? {}).flat()] as Step[];
      const found = steps.find((step) => step.step === kind && (where?.(step as never) ?? true));
      if (found) return structuredClone(found) as Record<string, unknown>;
    }
  }
  throw new Error(`no ${kind} step in the fixtures`);
}

function set(target: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

/** `path: message` of the schema issues for a step. */
function issues(step: unknown): string[] {
  const result = StepSchema.safeParse(step);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** [step kind, field path, valid value to prefix with "-", extra fields the step needs]. */
const POSITIONAL_FIELDS: [string, (string | number)[], string, Record<string, unknown>?][] = [
  ['ecsDeploy', ['taskDefinition'], 'deploy/taskdef.json'],
  ['ecsDeploy', ['smokeTest'], './scripts/smoke.sh'],
  ['dockerBuild', ['context'], 'app'],
  ['dockerBuild', ['dockerfile'], 'Dockerfile'],
  ['trivyScan', ['path'], 'src', { target: 'fs' }],
  ['trivyScan', ['ignoreFile'], '.trivyignore'],
  ['trivyScan', ['cacheDir'], '/var/cache/trivy'],
  ['snykScan', ['dockerfile'], 'Dockerfile', { mode: 'container' }],
  ['sonarScan', ['lcovReport'], 'coverage/lcov.info'],
  ['npmCi', ['cacheDir'], '.npm'],
  ['npmCi', ['directory'], 'web'],
  ['npmRun', ['directory'], 'web'],
  ['eksDeploy', ['method', 'chart'], 'charts/api', { method: { kind: 'helm', release: 'api', chart: 'charts/api' } }],
  ['eksDeploy', ['method', 'valuesFile'], 'values.yaml', { method: { kind: 'helm', release: 'api', chart: 'charts/api' } }],
  ['gitopsBump', ['file'], 'apps/api/kustomization.yaml'],
  ['gitopsBump', ['editor', 'imageName'], 'api', { editor: { kind: 'kustomize', imageName: 'api' } }],
  ['gitopsBump', ['imageStash'], 'image-ref'],
  ['s3Publish', ['source'], 'dist'],
  ['s3Publish', ['stash'], 'web-dist'],
  ['ecrPush', ['stash'], 'image-ref'],
  ['evidenceExport', ['paths', 0], 'evidence', { paths: ['evidence'] }],
  ['evidenceExport', ['stashes', 0], 'reports-build', { stashes: ['reports-build'] }],
];

describe('a leading "-" in a field that reaches a command line', () => {
  it.each(POSITIONAL_FIELDS)('%s %j is refused, with the reason', (kind, path, value, extra) => {
    const step = { ...fixtureStep(kind), ...extra };
    set(step, path, value);
    expect(issues(step), 'the step is valid with the value as it is').toEqual([]);
    set(step, path, `-${value}`);
    // Array items are named in the singular (`paths[0]` is a "path").
    const field = String(path.filter((p) => typeof p === 'string').at(-1));
    const name = ({ paths: 'path', stashes: 'stash' } as Record<string, string>)[field] ?? field;
    expect(issues(step)).toEqual([`${path.join('.')}: ${name} must not start with "-": a command would read it as an option`]);
  });

  it('environment targets are checked the same way', () => {
    const environment = structuredClone(ECS_ENVIRONMENTS.at(-1)!) as Record<string, unknown>;
    set(environment, ['target', 'taskDefinition'], '--generate-cli-skeleton');
    const result = DeliveryEnvironmentSchema.safeParse(environment);
    expect(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'target.taskDefinition: taskDefinition must not start with "-": a command would read it as an option',
    ]);
  });

  it('the patterns themselves are unchanged for other users (a "-" inside a path is fine)', () => {
    expect(DELIVERY_PATTERNS.relativePath.test('deploy/task-def.json')).toBe(true);
    expect(issues({ ...fixtureStep('dockerBuild'), context: 'services/pay-ments' })).toEqual([]);
  });
});

describe('in a pipeline file', () => {
  const projects: TempProject[] = [];
  afterAll(() => {
    for (const project of projects) project.remove();
  });

  it('dockerBuild({ context: "-f/etc/passwd" }) is an error at the context line', async () => {
    const project = createTempProject({
      'pipelines/dash.pipeline.ts': `import { definePipeline, dockerBuild } from 'pipewright';

export default definePipeline({
  agent: 'any',
  stages: [
    {
      name: 'Image',
      steps: [
        dockerBuild({
          repository: 'payments-api',
          context: '-f/etc/passwd',
        }),
      ],
    },
  ],
});
`,
    });
    projects.push(project);
    const run = await compileProject({ root: project.root, resultCache: false });
    const [compiled] = run.pipelines;
    expect(compiled!.jenkinsfile).toBeUndefined();
    expect(compiled!.diagnostics.filter((d) => d.severity === 'error')).toMatchObject([
      {
        path: ['stages', 0, 'steps', 0, 'context'],
        message: 'context must not start with "-": a command would read it as an option',
        location: { file: 'pipelines/dash.pipeline.ts', line: 11 },
      },
    ]);
  });
});
