/**
 * Pipeline code cannot decide the outcome (#10.2): pipeline modules and the configuration run in
 * a sandbox worker, so a module that exits, loops, allocates without end, awaits forever or
 * exports something that cannot be copied is a diagnostic for that pipeline, and the run's exit
 * code comes from the data the compiler received. Real files, the real CLI in a child process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCliPackage, runPackagedCli, type CliPackage } from './cli-package.ts';
import { createProject, type TempProject } from './project.ts';

let cli: CliPackage;
const projects: TempProject[] = [];
beforeAll(async () => {
  cli = await buildCliPackage();
}, 60_000);
afterAll(async () => {
  cli?.remove();
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

async function project(files: Record<string, string>): Promise<TempProject> {
  const created = await createProject(files);
  projects.push(created);
  return created;
}

const pipeline = (body: string, label = 'linux') => `import { definePipeline, sh } from 'pipewright';
${body}
export default definePipeline({
  agent: { type: 'label', label: '${label}' },
  stages: [{ name: 'Build', steps: [sh('npm ci')] }],
});
`;

const GOOD = pipeline('');
/** Two policy errors (IAM-001, SECRET-001) under the default packs. */
const POLICY_ERRORS = `import { definePipeline, sh } from 'pipewright';
export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  environment: { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  stages: [{ name: 'Build', steps: [sh('npm ci')] }],
});
`;

describe('sandboxed evaluation through the CLI', () => {
  test('process.exit(0) from a timer in one pipeline cannot make lint or compile --check pass', async () => {
    const p = await project({
      'pipelines/exits.pipeline.ts': pipeline('if (process.env.CI) setTimeout(() => process.exit(0), 0);'),
      'pipelines/secrets.pipeline.ts': POLICY_ERRORS,
    });
    const lint = await runPackagedCli(cli, ['lint'], p.root, { CI: 'true' });
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain('SECRET-001');
    expect(lint.stdout).toContain('IAM-001');
    expect(lint.stdout).toContain('pipewright lint: 2 pipeline(s): 2 errors');

    const check = await runPackagedCli(cli, ['compile', '--check'], p.root, { CI: 'true' });
    expect(check.code).toBe(2);
    expect(check.stdout).toContain('invalid: pipelines/secrets.pipeline.ts does not compile');
  }, 60_000);

  test('an endless loop is stopped at the time limit with a diagnostic; the other pipelines compile', async () => {
    const p = await project({
      'pipelines/loops.pipeline.ts': pipeline('while (Date.now() > 0) {}'),
      'pipelines/good.pipeline.ts': GOOD,
    });
    const run = await runPackagedCli(cli, ['compile'], p.root, { PIPEWRIGHT_LOAD_TIMEOUT: '3' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pipelines/loops.pipeline.ts:1:1 - error PW1005: Evaluating the module was stopped: the module did not finish within the time limit of 3 s');
    expect(run.seconds).toBeLessThan(25);
    expect(readFileSync(p.file('generated/good/Jenkinsfile'), 'utf8')).toContain("sh 'npm ci'");
    expect(existsSync(p.file('generated/loops/Jenkinsfile'))).toBe(false);
  }, 60_000);

  test('an allocation loop is stopped at the memory limit; a top-level await that never settles is reported; the rest compile', async () => {
    const p = await project({
      'pipelines/allocates.pipeline.ts': pipeline('const hoard: number[][] = []; for (;;) hoard.push(new Array(100_000).fill(hoard.length));'),
      'pipelines/waits.pipeline.ts': pipeline('await new Promise(() => {});'),
      'pipelines/good.pipeline.ts': GOOD,
    });
    const run = await runPackagedCli(cli, ['compile'], p.root, { PIPEWRIGHT_LOAD_MEMORY_MB: '64' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'pipelines/allocates.pipeline.ts:1:1 - error PW1005: Evaluating the module was stopped: evaluating the module used more than the memory limit of 64 MB',
    );
    expect(run.stderr).toContain('pipelines/waits.pipeline.ts:1:1 - error PW1005: Evaluating the module was stopped: the module never finished: it awaits a promise that never settles');
    expect(readFileSync(p.file('generated/good/Jenkinsfile'), 'utf8')).toContain("sh 'npm ci'");
    expect(run.stdout).toContain('1 created, 2 invalid');
  }, 60_000);

  test('a cyclic value and a throwing getter are diagnostics with the property path; the rest compile', async () => {
    const p = await project({
      'pipelines/cyclic.pipeline.ts': `import { definePipeline, sh } from 'pipewright';
const step = sh('npm ci') as Record<string, unknown>;
step.again = step;
export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [{ name: 'Build', steps: [step as never] }],
});
`,
      'pipelines/getter.pipeline.ts': `import { definePipeline, sh } from 'pipewright';
export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [{ name: 'Build', get steps(): never { throw new Error('no steps today'); } }],
});
`,
      'pipelines/good.pipeline.ts': GOOD,
    });
    const run = await runPackagedCli(cli, ['compile'], p.root);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'error PW1006 at stages[0].steps[0].again: The default export must be plain data (objects, arrays, strings, numbers, booleans); found a reference to an enclosing object (a cycle) at stages[0].steps[0].again.',
    );
    expect(run.stderr).toMatch(/pipelines\/getter\.pipeline\.ts:4:\d+ - error PW1006 at stages\[0\]\.steps: .*found a property whose getter threw \(Error: no steps today\)/);
    expect(run.stderr).not.toContain('    at ');
    expect(readFileSync(p.file('generated/good/Jenkinsfile'), 'utf8')).toContain("sh 'npm ci'");
  }, 60_000);

  test('process.exit in pipewright.config.ts is a clean error (exit 2), not a pass', async () => {
    const p = await project({
      'pipewright.config.ts': `import { defineConfig } from 'pipewright';\nprocess.exit(0);\nexport default defineConfig({});\n`,
      'pipelines/good.pipeline.ts': GOOD,
    });
    for (const args of [['lint'], ['compile', '--check']]) {
      const run = await runPackagedCli(cli, args, p.root);
      expect(run.code, args.join(' ')).toBe(2);
      const output = run.stdout + run.stderr;
      // (lint's text report groups run-level problems without their file name)
      if (args[0] === 'compile') expect(output).toContain('pipewright.config.ts:1:1 - error PW1005');
      expect(output).toMatch(/1:1 +(- )?error:? +PW1005:? +Evaluating the module was stopped: the module ended the evaluation with process\.exit\(0\)/);
      expect(run.stderr).not.toContain('    at ');
    }
  }, 60_000);

  test('a custom rule runs in the sandbox: process.exit or an endless loop in check fails that rule, and the built-in findings stand', async () => {
    const rule = (id: string, body: string) => `import { defineRule } from 'pipewright';
export default defineRule({
  meta: {
    id: '${id}',
    title: 'A rule that misbehaves',
    pack: 'acme',
    severity: 'error',
    rationale: 'Exercises the sandbox: a custom rule must not be able to end or stall the run.',
    standards: ['none'],
    example: { bad: "sh('x')", good: "sh('y')" },
  },
  *check({ index }) {
    ${body}
    for (const info of index.steps) yield { path: info.path, message: 'seen' };
  },
});
`;
    const p = await project({
      'policy/exits.ts': rule('ACME-001', 'process.exit(0);'),
      'policy/loops.ts': rule('ACME-002', 'while (Date.now() > 0) {}'),
      'policy/counts.ts': rule('ACME-003', ''),
      'pipewright.config.ts': `import { defineConfig } from 'pipewright';
import exits from './policy/exits.ts';
import loops from './policy/loops.ts';
import counts from './policy/counts.ts';
export default defineConfig({ policy: { customRules: [counts, exits, loops] } });
`,
      'pipelines/secrets.pipeline.ts': POLICY_ERRORS,
    });
    const lint = await runPackagedCli(cli, ['lint', '--format', 'json'], p.root, { PIPEWRIGHT_LOAD_TIMEOUT: '3' });
    expect(lint.stderr).toBe('');
    expect(lint.code).toBe(1);
    const findings = (JSON.parse(lint.stdout) as { pipelines: { findings: { rule: string; message: string }[] }[] }).pipelines[0]!.findings;
    const rules = findings.map((finding) => finding.rule);
    expect(rules).toContain('IAM-001');
    expect(rules).toContain('SECRET-001');
    // The well-behaved custom rule ran in the worker and its finding came back as data.
    expect(findings).toContainEqual(expect.objectContaining({ rule: 'ACME-003', message: 'seen' }));
    const failed = findings.filter((finding) => /^rule ACME-00[12] failed/.test(finding.message)).map((finding) => finding.message);
    expect(failed).toEqual([
      expect.stringMatching(/^rule ACME-001 failed: it ended the custom rules worker/),
      expect.stringMatching(/^rule ACME-002 failed: the custom rules worker has stopped/),
    ]);
  }, 60_000);
});
