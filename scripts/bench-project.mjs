// The synthetic project both benchmarks use: N pipelines of about 60 lines, all importing a
// shared defaults module (`pipelines/shared/defaults.ts`), written like a real service's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED = `import type { Agent, PipelineOptions, Stage } from 'pipewright';
import { junit, sh } from 'pipewright';

export const agent: Agent = { type: 'label', label: 'linux && docker' };
export const options: PipelineOptions = {
  timeout: { time: 30, unit: 'MINUTES' },
  buildDiscarder: { numToKeep: 20 },
  disableConcurrentBuilds: true,
  timestamps: true,
};
export function testStage(name: string): Stage {
  return {
    name,
    steps: [sh('npm ci --no-audit', { label: 'install' }), sh('npm test', { label: 'test' })],
    post: { always: [junit('reports/**/*.xml', { allowEmptyResults: true })] },
  };
}
export const VERSION = 1;
`;

export function pipelineSource(i) {
  return `import { definePipeline, sh, echo, withCredentials, bind, archiveArtifacts } from 'pipewright';
import { agent, options, testStage } from './shared/defaults.ts';

// Synthetic pipeline ${i}
export default definePipeline({
  agent,
  options,
  environment: {
    SERVICE: 'service-${i}',
    AWS_REGION: 'eu-west-1',
    TEAM: 'team-${i % 17}',
  },
  parameters: [{ type: 'string', name: 'TARGET', defaultValue: 'dev', description: 'Target environment' }],
  stages: [
    testStage('Test'),
    {
      name: 'Checks',
      parallel: [
        { name: 'Lint', steps: [sh('npm run lint')] },
        { name: 'Types', steps: [sh('npx tsc --noEmit')] },
        {
          name: 'Audit',
          steps: [
            withCredentials([bind.string('licence-api-token', 'LICENCE_TOKEN')], [
              sh('./scripts/licence-check.sh', { label: 'licences' }),
            ]),
          ],
        },
      ],
    },
    {
      name: 'Package',
      when: { branch: 'main' },
      steps: [
        sh('npm run build'),
        archiveArtifacts('dist/**', { fingerprint: true }),
        echo('packaged service-${i}'),
      ],
    },
    {
      name: 'Deploy',
      when: { allOf: [{ branch: 'main' }, { not: { changeRequest: true } }] },
      steps: [sh('./deploy.sh "$TARGET"', { label: 'deploy' })],
    },
  ],
  post: {
    failure: [echo('pipeline ${i} failed')],
    cleanup: [sh('rm -rf dist', { label: 'clean' })],
  },
});
`;
}

/** Writes the shared module and `count` pipelines below `root` (`pipelines/pNNNNN.pipeline.ts`). */
export function writeBenchProject(root, count) {
  mkdirSync(join(root, 'pipelines', 'shared'), { recursive: true });
  writeFileSync(join(root, 'pipelines', 'shared', 'defaults.ts'), SHARED);
  for (let i = 0; i < count; i++) {
    writeFileSync(join(root, 'pipelines', `p${String(i).padStart(5, '0')}.pipeline.ts`), pipelineSource(i));
  }
}
