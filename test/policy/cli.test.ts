import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderRulesMarkdown } from '../../src/policy/docs.ts';
import { allRuleMeta, PACKS } from '../../src/policy/registry.ts';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';
import { sarifSchemaErrors } from './sarif-validator.ts';

const repoRoot = join(import.meta.dirname, '../..');
let project: TempProject | undefined;
afterEach(() => project?.remove());

/** A small service pipeline with typed delivery steps; `imageScan: false` leaves the image scan out. */
function servicePipeline({ imageScan }: { imageScan: boolean }): string {
  return `import { definePipeline } from 'pipewright';

const aws = { role: 'ecr-pusher', account: '444444444444', region: 'eu-west-1' };

export default definePipeline({
  agent: { type: 'label', label: 'linux && docker' },
  options: { timeout: { time: 30 }, buildDiscarder: { numToKeep: 10 } },
  stages: [
    {
      name: 'Checks',
      steps: [
        { step: 'sonarScan', installation: 'sonarqube', projectKey: 'app' },
        { step: 'trivyScan', target: 'fs', version: '0.58.1' },
      ],
    },
    { name: 'Quality gate', agent: 'none', steps: [{ step: 'sonarQualityGate' }] },
    {
      name: 'Image',
      steps: [
        { step: 'dockerBuild', repository: 'app' },${imageScan ? "\n        { step: 'trivyScan', target: 'image', version: '0.58.1' }," : ''}
      ],
    },
    {
      name: 'Publish',
      when: { branch: 'main' },
      steps: [
        { step: 'ecrPush', repository: 'app', registry: { accountId: '444444444444', region: 'eu-west-1' }, aws },
        { step: 'sbom' },
        { step: 'cosignSign', key: 'awskms:///alias/ci-cosign', aws: { ...aws, role: 'cosign-signer' } },
      ],
    },
  ],
});
`;
}

describe('pipewright lint', () => {
  it('the company pipelines lint clean: schema-valid SARIF without a single result, suppressed or not', async () => {
    const result = await runCli(['lint', '--format', 'sarif'], repoRoot);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const log = JSON.parse(result.stdout);
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.runs[0].results).toEqual([]);
    expect(log.runs[0].tool.driver.rules.length).toBeGreaterThan(40);
    const text = await runCli(['lint', '--fail-on', 'info'], repoRoot);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('5 pipeline(s): 0 errors, 0 warnings, 0 info; 0 suppressed');
  });

  it('removing the image scan makes lint and compile fail with the rule id and the TS line', async () => {
    project = createTempProject({ 'pipelines/app.pipeline.ts': servicePipeline({ imageScan: true }) });
    const clean = await runCli(['lint'], project.root);
    expect(clean.code).toBe(0);
    expect(clean.stdout).not.toContain('SCAN-001');
    const compiled = await runCli(['compile'], project.root);
    expect(compiled.code).toBe(0);
    expect(existsSync(project.path('generated/app/Jenkinsfile'))).toBe(true);

    project.write('pipelines/app.pipeline.ts', servicePipeline({ imageScan: false }));
    const lint = await runCli(['lint'], project.root);
    expect(lint.code).toBe(1);
    // the ecrPush object literal is on line 27, column 9
    expect(lint.stdout).toContain('  27:9    error   SCAN-001   ecrPush is not preceded by: image scan (trivyScan image, or snykScan container) (stages[3].steps[0])');
    expect(lint.stdout).toContain("  > 27 |         { step: 'ecrPush',");

    const annotations = await runCli(['lint', '--format', 'github'], project.root);
    expect(annotations.stdout).toMatch(/^::error file=pipelines\/app\.pipeline\.ts,line=27,col=9,.*title=SCAN-001 Scan before pushing the image::/m);

    const sarif = await runCli(['lint', '--format', 'sarif'], project.root);
    const log = JSON.parse(sarif.stdout);
    expect(sarifSchemaErrors(log)).toEqual([]);
    const scan = (log.runs[0].results as { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[]).find((r) => r.ruleId === 'SCAN-001');
    expect(scan?.level).toBe('error');
    expect(scan?.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'pipelines/app.pipeline.ts' }, region: { startLine: 27 } });

    const before = readFileSync(project.path('generated/app/Jenkinsfile'), 'utf8');
    const failed = await runCli(['compile'], project.root);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('pipelines/app.pipeline.ts:27:9 - error SCAN-001 at stages[3].steps[0]: ecrPush is not preceded by: image scan');
    expect(failed.stdout).toMatch(/x app\s+1 error\(s\) \(policy fails at error\) in pipelines\/app\.pipeline\.ts; nothing written/);
    expect(readFileSync(project.path('generated/app/Jenkinsfile'), 'utf8')).toBe(before);
  });

  it('--fail-on warning fails on warnings; --output writes the report and prints a summary', async () => {
    project = createTempProject({ 'pipelines/app.pipeline.ts': servicePipeline({ imageScan: true }).replace(", buildDiscarder: { numToKeep: 10 }", '') });
    expect((await runCli(['lint'], project.root)).code).toBe(0);
    const strict = await runCli(['lint', '--fail-on', 'warning', '--format', 'junit', '--output', 'reports/policy.xml'], project.root);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toBe('pipewright lint: 0 errors, 1 warning, 0 info; 0 suppressed; junit report written to reports/policy.xml\n');
    const xml = readFileSync(project.path('reports/policy.xml'), 'utf8');
    expect(xml).toContain('<testcase classname="pipewright.app" name="BASE-002 Configure a build discarder" file="pipelines/app.pipeline.ts">');
    expect(xml).toContain('<failure message="1 finding(s) at or above warning" type="warning">');
  });

  it('a pipeline that does not validate exits 2; bad options exit 2', async () => {
    project = createTempProject({ 'pipelines/bad.pipeline.ts': "import { definePipeline } from 'pipewright';\nexport default definePipeline({ agent: 'any', stages: [{ name: 'A', steps: [{ step: 'sh' }] }] } as never);\n" });
    const result = await runCli(['lint', '--format', 'json'], project.root);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout).summary.invalid).toBe(1);
    expect(result.stderr).toContain('pipelines/bad.pipeline.ts');
    expect((await runCli(['lint', '--format', 'xml'], project.root)).code).toBe(2);
    expect((await runCli(['lint', '--fail-on', 'never'], project.root)).code).toBe(2);
  });
});

describe('pipewright explain and rules', () => {
  it('explain prints rationale, standards, a violation and its fix', async () => {
    const result = await runCli(['explain', 'flow-001'], repoRoot);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^FLOW-001: Approve before deploying to production\npack: fintech {3}severity: error\n/);
    expect(result.stdout).toContain('Standards: OWASP CICD-SEC-1 (insufficient flow control); PCI DSS 4.0.1 6.5.1; SOC 2 CC8.1');
    expect(result.stdout).toContain("Violation:\n  stages: [build, { name: 'Deploy prod'");
    expect(result.stdout).toContain('Fix:\n  stages: [build, approvalStage(');
    expect(result.stdout).toContain('Docs: docs/rules.md#flow-001');
  });

  it('explain suggests ids for an unknown rule', async () => {
    const result = await runCli(['explain', 'IAM-9'], repoRoot);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pipewright explain: no rule IAM-9; did you mean IAM-001, IAM-002, IAM-003, IAM-004, IAM-005, IAM-006, IAM-007?\n');
  });

  it('rules lists every rule, filterable by pack', async () => {
    const all = await runCli(['rules'], repoRoot);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(allRuleMeta().length);
    const fintech = await runCli(['rules', '--pack', 'fintech', '--format', 'json'], repoRoot);
    expect(JSON.parse(fintech.stdout).map((r: { id: string }) => r.id)).toEqual(PACKS['fintech']);
  });

  it('the fintech pack has at least 30 catalog rules and the baseline pack covers Jenkins hygiene', () => {
    expect(PACKS['fintech']!.length).toBeGreaterThanOrEqual(30);
    for (const id of PACKS['fintech']!) expect(id).toMatch(/^(FLOW|IAM|SECRET|SCAN|ART|DEPLOY|AUDIT|PIPE|NOTIFY|OBS|COST)-\d{3}$/);
    expect(PACKS['baseline']).toEqual(['BASE-001', 'BASE-002', 'BASE-003', 'BASE-004', 'BASE-005', 'BASE-006', 'BASE-007', 'BASE-008']);
  });

  it('docs/rules.md is generated from the rule metadata and up to date (npm run docs:rules)', async () => {
    const onDisk = readFileSync(join(repoRoot, 'docs/rules.md'), 'utf8');
    expect(onDisk).toBe(renderRulesMarkdown(allRuleMeta()));
    for (const meta of allRuleMeta()) expect(onDisk).toContain(`### ${meta.id}\n`);
    const generated = await runCli(['rules', '--format', 'markdown'], repoRoot);
    expect(generated.stdout).toBe(onDisk);
  });

  it('every rule has complete metadata', () => {
    const ids = new Set<string>();
    for (const meta of allRuleMeta()) {
      expect(ids.has(meta.id), meta.id).toBe(false);
      ids.add(meta.id);
      expect(meta.title.length, meta.id).toBeGreaterThan(5);
      expect(meta.rationale.length, meta.id).toBeGreaterThan(60);
      expect(meta.example.bad.length, meta.id).toBeGreaterThan(5);
      expect(meta.example.good.length, meta.id).toBeGreaterThan(5);
      if (meta.pack !== 'engine' || meta.id.startsWith('SUPP')) expect(meta.standards.length, meta.id).toBeGreaterThan(0);
    }
  });
});

describe('custom rules from the configuration', () => {
  it('a rule module imported by pipewright.config.ts runs like a built-in rule, and explain knows it', async () => {
    project = createTempProject({
      'policy/no-curl-pipe-sh.ts': `import { defineRule } from 'pipewright';

export default defineRule({
  meta: {
    id: 'ACME-001',
    title: 'Never pipe a download into a shell',
    pack: 'acme',
    severity: 'error',
    rationale: 'curl | sh runs whatever the server returns today, unreviewed, with the build credentials.',
    standards: ['OWASP CICD-SEC-3'],
    example: { bad: "sh('curl -fsSL https://get.example.com | sh')", good: "sh('./scripts/install-tool.sh')" },
  },
  *check({ index }) {
    for (const info of index.steps) {
      if (info.step.step === 'sh' && /curl[^|\\n]*\\|\\s*(?:ba)?sh\\b/.test(info.step.script)) {
        yield { path: [...info.path, 'script'], message: 'a download is piped into a shell' };
      }
    }
  },
});
`,
      'pipewright.config.ts': `import { defineConfig } from 'pipewright';
import noCurlPipeSh from './policy/no-curl-pipe-sh.ts';

export default defineConfig({ policy: { packs: [], customRules: [noCurlPipeSh] } });
`,
      'pipelines/tools.pipeline.ts': `import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [{ name: 'Tools', steps: [sh('curl -fsSL https://get.example.com | sh')] }],
});
`,
    });
    const lint = await runCli(['lint', '--format', 'json'], project.root);
    expect(lint.stderr).toBe('');
    expect(lint.code).toBe(1);
    const findings = JSON.parse(lint.stdout).pipelines[0].findings;
    expect(findings.map((f: { rule: string; path: string; location: { line: number } }) => [f.rule, f.path, f.location.line])).toEqual([
      ['ACME-001', 'stages[0].steps[0].script', 5],
    ]);
    const explain = await runCli(['explain', 'acme-001'], project.root);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('ACME-001: Never pipe a download into a shell\npack: acme');
    const rules = await runCli(['rules', '--pack', 'acme'], project.root);
    expect(rules.stdout).toBe('ACME-001  error    acme      Never pipe a download into a shell\n');
  });
});
