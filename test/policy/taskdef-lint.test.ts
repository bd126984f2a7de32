/**
 * SECRET-005 and DEPLOY-005 on task-definition templates (#12.5): the TypeScript lint the rules use,
 * the same checks as the jq program the deploy script can run on the rendered JSON (run with the
 * real jq and bash, and compared with the TypeScript result), and the rules through RuleTester with
 * the template as a project file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Step } from '../../src/model/schema.ts';
import { findRule } from '../../src/policy/registry.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { lintTaskDefinition, TASKDEF_LINT_JQ, taskDefinitionCheckShell } from '../../src/policy/taskdef-lint.ts';
import { accounts, deployStep, mutate, STAGE } from './fintech-fixture.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'taskdef');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const HARDENED = read('hardened.json');
const LEAKY = read('leaky.json');

const work = mkdtempSync(join(tmpdir(), 'pw-taskdef-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `<rule> <at>` lines of the jq program run by the real jq on `text`. */
function jqFindings(text: string, account = ''): string[] {
  const file = join(work, `t${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, text);
  const result = spawnSync('jq', ['-r', '--arg', 'account', account, TASKDEF_LINT_JQ, file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`jq failed: ${result.stderr}`);
  return result.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t').slice(0, 2).join(' '));
}

const LEAKY_FINDINGS = [
  'SECRET-005 containerDefinitions[0].environment[1]',
  'SECRET-005 containerDefinitions[0].environment[2]',
  'SECRET-005 containerDefinitions[0].secrets[0]',
  'SECRET-005 containerDefinitions[0].secrets[1]',
  'DEPLOY-005 containerDefinitions[0].user',
  'DEPLOY-005 containerDefinitions[0].readonlyRootFilesystem',
  'DEPLOY-005 containerDefinitions[0].logConfiguration',
  'DEPLOY-005 containerDefinitions[1].user',
  'DEPLOY-005 containerDefinitions[1].privileged',
  'DEPLOY-005 taskRoleArn',
];

describe('task-definition lint', () => {
  it('finds nothing in a hardened template with secrets from Secrets Manager and SSM (and ARNs, flags, numbers in environment)', () => {
    expect(lintTaskDefinition(JSON.parse(HARDENED), { account: accounts.prod })).toEqual([]);
  });

  it('finds secrets in environment, non-ARN and cross-account secrets, root, writable, privileged, no awslogs, one role for both', () => {
    const findings = lintTaskDefinition(JSON.parse(LEAKY), { account: accounts.prod });
    expect(findings.map((f) => `${f.rule} ${f.at}`).sort()).toEqual([...LEAKY_FINDINGS].sort());
    expect(findings.find((f) => f.at === 'containerDefinitions[0].secrets[1]')?.message).toContain('from account 111111111111, not the account it is deployed in (333333333333)');
    // The secret value itself never appears in a message.
    expect(JSON.stringify(findings)).not.toContain('correct-horse-battery-staple');
  });

  it('reports a value in a known secret format under any name', () => {
    const template = { containerDefinitions: [{ name: 'app', environment: [{ name: 'CONFIG', value: 'AKIAABCDEFGHIJKLMNOP' }] }] };
    const [finding] = lintTaskDefinition(template).filter((f) => f.rule === 'SECRET-005');
    expect(finding?.message).toMatch(/its value looks like a AWS access key id \(AKIA\*+\)/);
  });

  it('the jq program finds what the TypeScript lint finds (real jq)', () => {
    expect(jqFindings(HARDENED, accounts.prod)).toEqual([]);
    expect(jqFindings(LEAKY, accounts.prod).sort()).toEqual([...LEAKY_FINDINGS].sort());
    // Without an account, a cross-account ARN is not a finding (in both forms).
    const withoutAccount = lintTaskDefinition(JSON.parse(LEAKY)).map((f) => `${f.rule} ${f.at}`);
    expect(jqFindings(LEAKY).sort()).toEqual(withoutAccount.sort());
    expect(withoutAccount).not.toContain('SECRET-005 containerDefinitions[0].secrets[1]');
  });

  it('check_task_definition (bash) stops on SECRET-005 and only warns on DEPLOY-005', () => {
    const script = (file: string) => ['set -euo pipefail', ...taskDefinitionCheckShell(), `check_task_definition ${JSON.stringify(file)}`, 'echo registered'].join('\n');
    const run = (name: string, text: string) => {
      const file = join(work, name);
      writeFileSync(file, text);
      return spawnSync('bash', ['--norc', '--noprofile', '-c', script(file)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, PW_AWS_ACCOUNT: accounts.prod } });
    };
    const leaky = run('leaky.json', LEAKY);
    expect(leaky.status).toBe(1);
    expect(leaky.stdout).not.toContain('registered');
    expect(leaky.stderr).toContain('task definition: SECRET-005\tcontainerDefinitions[0].environment[1]\tcontainer app passes DB_PASSWORD in plain environment');
    expect(leaky.stderr).toContain('(SECRET-005)');
    const hardened = run('hardened.json', HARDENED);
    expect(hardened.status).toBe(0);
    expect(hardened.stderr).toBe('');
    const writable = JSON.parse(HARDENED) as { containerDefinitions: Record<string, unknown>[] };
    writable.containerDefinitions[0]!.readonlyRootFilesystem = false;
    const warned = run('writable.json', JSON.stringify(writable));
    expect(warned.status).toBe(0);
    expect(warned.stdout).toContain('registered');
    expect(warned.stderr).toContain('DEPLOY-005\tcontainerDefinitions[0].readonlyRootFilesystem\tcontainer app has a writable root filesystem');
  });
});

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;
const TEMPLATE = 'deploy/taskdef.prod.json';
const deployPath = ['stages', STAGE.deployProd, 'steps', 0, 'taskDefinition'];
/** The compliant pipeline (its prod deploy renders from deploy/taskdef.prod.json). */
const compliantWith = (template: string) => ({ pipeline: mutate(() => {}), files: { [TEMPLATE]: template } });

tester.run(rule('SECRET-005'), {
  valid: [
    { name: 'a hardened template', ...compliantWith(HARDENED) },
    { name: 'no template in the project: the deploy script checks the rendered JSON', pipeline: mutate(() => {}) },
    {
      name: 'the pipewright engine renders from the live task definition (nothing to read)',
      pipeline: mutate((p) => {
        p.stages[STAGE.deployProd]!.steps = [deployStep('prod', { engine: 'pipewright', taskDefinition: undefined }) as Step];
      }),
    },
  ],
  invalid: [
    {
      name: 'secrets in plain environment, a secret by name, a secret from another account',
      ...compliantWith(LEAKY),
      errors: [
        { path: deployPath, severity: 'error', environment: 'prod', message: /^deploy\/taskdef\.prod\.json \(containerDefinitions\[0\]\.environment\[1\]\): container app passes DB_PASSWORD in plain environment/ },
        { path: deployPath, message: /environment\[2\]\): container app passes STRIPE_API_KEY/ },
        { path: deployPath, message: /secrets\[0\]\): container app takes secret JWT_SIGNING_KEY from 'payments\/jwt-signing-key', not from a Secrets Manager or SSM parameter ARN/ },
        { path: deployPath, message: /secrets\[1\]\): container app takes secret LEDGER_TOKEN from account 111111111111/ },
      ],
    },
    { name: 'a template that is not JSON', ...compliantWith('{ "containerDefinitions": ['), errors: [{ path: deployPath, message: /is not valid JSON/ }] },
  ],
});

tester.run(rule('DEPLOY-005'), {
  valid: [{ name: 'a hardened template', ...compliantWith(HARDENED) }],
  invalid: [
    {
      name: 'root, writable, privileged, no awslogs, one role for task and execution',
      ...compliantWith(LEAKY),
      errors: [
        { path: deployPath, severity: 'warning', message: /containerDefinitions\[0\]\.user\): container app runs as root/ },
        { path: deployPath, message: /readonlyRootFilesystem\): container app has a writable root filesystem/ },
        { path: deployPath, message: /logConfiguration\): container app does not log to CloudWatch Logs/ },
        { path: deployPath, message: /containerDefinitions\[1\]\.user\): container sidecar runs as root/ },
        { path: deployPath, message: /privileged\): container sidecar is privileged/ },
        { path: deployPath, message: /taskRoleArn\): the task role is the execution role/ },
      ],
    },
  ],
});
