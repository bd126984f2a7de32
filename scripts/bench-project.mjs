// The projects and the measuring both benchmarks use (bench.mjs, bench-ab.mjs): the synthetic
// project (N pipelines of about 60 lines, all importing a shared defaults module,
// `pipelines/shared/defaults.ts`, written like a real service's), the real-service fleet, and the
// peak memory of a process tree.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * The real-service fleet (#14) below `root`: `n` copies of `source`'s
 * pipelines/payments-api.pipeline.ts with distinct names, with its org defaults and
 * pipewright.config.ts (so the fleet follows the presets).
 */
export function writeFleetProject(root, n, source) {
  mkdirSync(join(root, 'pipelines'), { recursive: true });
  cpSync(join(source, 'pipelines', 'shared'), join(root, 'pipelines', 'shared'), { recursive: true });
  cpSync(join(source, 'pipewright.config.ts'), join(root, 'pipewright.config.ts'));
  const text = readFileSync(join(source, 'pipelines', 'payments-api.pipeline.ts'), 'utf8');
  if (!text.includes("name: 'payments-api',")) throw new Error('payments-api.pipeline.ts no longer sets name: the fleet generator needs updating');
  for (let i = 0; i < n; i++) {
    const name = `payments-api-${String(i).padStart(4, '0')}`;
    writeFileSync(join(root, 'pipelines', `${name}.pipeline.ts`), text.replace("name: 'payments-api',", `name: '${name}',`));
  }
}

/** Resident set sizes (kB) of `pid` and every process below it, from /proc (Linux). */
export function treeRssKb(pid) {
  const children = new Map();
  const rss = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
      rss.set(Number(entry), Number(fields[21]) * 4);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop();
    total += rss.get(next) ?? 0;
    queue.push(...(children.get(next) ?? []));
  }
  return total;
}
