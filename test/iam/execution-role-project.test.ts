/**
 * The ECS task execution role through the CLI, on a project holding the task-definition template
 * (test/iam/fixtures/payments-service): `compile` writes it into the environment's policy file,
 * `compile --check` notices a template change, and `pipewright diff` reports a new secret in the
 * template as a security-relevant widening of that role (real git commits).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';
import { git, run, write } from '../diff/support.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/payments-service/deploy/taskdef.prod.json');
const EXECUTION_ROLE = 'arn:aws:iam::333333333333:role/payments-api-execution-prod';
const NEW_SECRET = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/payments-api/plaid-Qw3Er5';

const pipeline = `import { definePipeline, ecrPush, ecsDeploy } from 'pipewright';

export default definePipeline({
  name: 'payments-api',
  agent: 'none',
  stages: [
    {
      name: 'Push',
      agent: { type: 'label', label: 'docker' },
      steps: [ecrPush({ repository: 'payments-api', registry: { accountId: '999999999999', region: 'eu-west-1' }, aws: { role: 'ecr-pusher', account: '999999999999', region: 'eu-west-1' } })],
    },
    {
      name: 'Deploy prod',
      agent: { type: 'label', label: 'deploy' },
      steps: [
        ecsDeploy({
          environment: 'prod',
          aws: { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' },
          cluster: 'prod-apps',
          service: 'payments-api',
          container: 'app',
          taskDefinition: 'deploy/taskdef.prod.json',
        }),
      ],
    },
  ],
});
`;
// The policy packs judge delivery flow, not what this test is about.
const CONFIG = "export default { policy: { packs: [] } };\n";
const template = readFileSync(FIXTURE, 'utf8');
/** The fixture with one more secret for the app container. */
function withNewSecret(): string {
  const parsed = JSON.parse(template) as { containerDefinitions: { name: string; secrets: { name: string; valueFrom: string }[] }[] };
  parsed.containerDefinitions.find((c) => c.name === 'app')!.secrets.push({ name: 'PLAID_SECRET', valueFrom: NEW_SECRET });
  return JSON.stringify(parsed, null, 2);
}

interface PolicyFile {
  roles: { kind?: string; roleArn: string; identityPolicy: { Statement: { Action: string[]; Resource: string[] }[] } }[];
}

describe('compile and compile --check', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  it('write the execution role into the environment\'s policy file and notice a changed template', async () => {
    project = createTempProject({ 'pipewright.config.ts': CONFIG, 'pipelines/payments-api.pipeline.ts': pipeline, 'deploy/taskdef.prod.json': template });
    const first = await runCli(['compile'], project.root);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const policy = JSON.parse(readFileSync(project.path('generated/payments-api/iam/prod.json'), 'utf8')) as PolicyFile;
    expect(policy.roles.map((r) => [r.roleArn, r.kind])).toEqual([
      ['arn:aws:iam::333333333333:role/ecs-deployer-prod', undefined],
      [EXECUTION_ROLE, 'ecs-task-execution'],
    ]);
    const execution = policy.roles[1]!;
    expect(execution.identityPolicy.Statement.find((s) => s.Action.includes('secretsmanager:GetSecretValue'))!.Resource).not.toContain(NEW_SECRET);
    expect((await runCli(['compile', '--check'], project.root)).code).toBe(0);

    write(project.path('deploy/taskdef.prod.json'), withNewSecret());
    const check = await runCli(['compile', '--check'], project.root);
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toMatch(/stale: generated\/payments-api\/iam\/prod\.json/);
    expect(check.stdout + check.stderr).toContain(NEW_SECRET);
  });
});

describe('pipewright diff', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(path.join(tmpdir(), 'pw-diff-execution-role-'));
    git(repo, 'init', '-q', '-b', 'main');
    write(path.join(repo, '.gitignore'), 'node_modules/\ngenerated/\n');
    write(path.join(repo, 'pipewright.config.ts'), CONFIG);
    write(path.join(repo, 'pipelines/payments-api.pipeline.ts'), pipeline);
    write(path.join(repo, 'deploy/taskdef.prod.json'), template);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'payments-api');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('reports a new secret in the template as a widening of the execution role', async () => {
    const unchanged = JSON.parse((await run(['diff', '--base', 'HEAD', '--format', 'json'], repo)).stdout) as { pipelines: { changes: { subject: string }[] }[] };
    expect(unchanged.pipelines[0]!.changes.filter((c) => c.subject === 'iam')).toEqual([]);

    write(path.join(repo, 'deploy/taskdef.prod.json'), withNewSecret());
    try {
      const json = await run(['diff', '--base', 'HEAD', '--format', 'json'], repo);
      const parsed = JSON.parse(json.stdout) as { pipelines: { changes: { subject: string; path: string; message: string; security?: { category: string; reason: string } }[] }[] };
      const iam = parsed.pipelines[0]!.changes.filter((c) => c.subject === 'iam');
      expect(iam.map((c) => c.path)).toEqual(['IAM › prod › payments-api-execution-prod']);
      expect(iam[0]!.security).toEqual({ category: 'iam-widened', reason: 'the role payments-api-execution-prod may do more in prod (resource widened)' });
      expect(iam[0]!.message).toContain(`allows secretsmanager:GetSecretValue on ${NEW_SECRET}`);
      const gate = await run(['diff', '--base', 'HEAD', '--fail-on-security'], repo);
      expect(gate.stdout).toContain('[iam-widened] IAM › prod › payments-api-execution-prod');
      expect(gate.code).not.toBe(0);
    } finally {
      write(path.join(repo, 'deploy/taskdef.prod.json'), template);
    }
  });
});
