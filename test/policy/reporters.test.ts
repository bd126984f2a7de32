import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { colorsFor } from '../../src/cli/io.ts';
import { compileProject } from '../../src/compile.ts';
import { defaultConfig } from '../../src/config.ts';
import { resolvePolicyConfig } from '../../src/policy/config.ts';
import { codeFrame } from '../../src/policy/report/text.ts';
import { escapeData, escapeProperty } from '../../src/policy/report/github.ts';
import { xmlEscape } from '../../src/policy/report/junit.ts';
import { formatGithub, formatJson, formatJunit, formatSarif, formatText, lintReportFromRun, type LintReport } from '../../src/policy/report/index.ts';
import { SARIF_SCHEMA_TITLE, sarifSchemaErrors } from './sarif-validator.ts';

const root = join(import.meta.dirname, 'fixtures/demo');
/** A stream stand-in for `colorsFor`: only `isTTY` matters to it. */
const stream = (isTTY: boolean) => ({ isTTY, write: () => true });
const plain = colorsFor(stream(false), {});
const readSource = (file: string) => readFileSync(join(root, file), 'utf8');
let report: LintReport;

beforeAll(async () => {
  // The real compiler on a real project: loader, schema, structure, policy, locator, printer.
  const run = await compileProject({ root });
  report = lintReportFromRun(run, { name: 'pipewright', version: '0.0.0-test' });
});

describe('text', () => {
  it('prints findings with code frames, suppressions and the verdict (no Jenkinsfile lines: policy failed, nothing was written)', () => {
    expect(formatText(report, { colors: plain, readSource })).toBe(
      [
        'pipelines/demo.pipeline.ts',
        '  5:12    warning BASE-002   no build discarder: set options.buildDiscarder so retention is a deliberate choice (options)',
        '    3 | export default definePipeline({',
        "    4 |   agent: { type: 'label', label: 'linux' },",
        '  > 5 |   options: { timeout: { time: 10 } },',
        '      |            ^',
        "    6 |   libraries: ['pipeline-lib@main'],",
        '    7 |   stages: [',
        "  6:15    error   BASE-005   shared library 'pipeline-lib@main' is loaded from 'main', not a release tag or commit (libraries[0])",
        "    4 |   agent: { type: 'label', label: 'linux' },",
        '    5 |   options: { timeout: { time: 10 } },',
        "  > 6 |   libraries: ['pipeline-lib@main'],",
        '      |               ^',
        '    7 |   stages: [',
        '    8 |     {',
        '  suppressed (1):',
        "  12:9    info    BASE-007   untyped plugin step 'recordIssues'",
        '          suppressed: "warnings-ng has no typed step yet" (owner platform, ticket PLAT-7) at pipelines/demo.pipeline.ts:14:26',
        '',
        'pipewright lint: 1 pipeline(s): 1 error, 1 warning, 0 info; 1 suppressed - failed (failOn: error)',
        '',
      ].join('\n'),
    );
  });

  it('colours only on a TTY without NO_COLOR', () => {
    const tty = formatText(report, { colors: colorsFor(stream(true), {}) });
    expect(tty).toContain('\u001b[31merror  \u001b[39m');
    expect(tty).toContain('\u001b[33mwarning\u001b[39m');
    expect(formatText(report, { colors: colorsFor(stream(true), { NO_COLOR: '1' }) })).not.toContain('\u001b[');
  });

  it('code frames clamp at the file edges and keep tabs under the caret', () => {
    expect(codeFrame('\tfoo(bar)\nnext', { file: 'x', line: 1, column: 6 }, plain, 1)).toBe('  > 1 | \tfoo(bar)\n      | \t    ^\n    2 | next');
  });
});

describe('github', () => {
  it('emits one workflow command per finding with file, line and title', () => {
    expect(formatGithub(report)).toBe(
      [
        '::warning file=pipelines/demo.pipeline.ts,line=5,col=12,endLine=5,endColumn=37,title=BASE-002 Configure a build discarder::no build discarder: set options.buildDiscarder so retention is a deliberate choice (options)',
        "::error file=pipelines/demo.pipeline.ts,line=6,col=15,endLine=6,endColumn=34,title=BASE-005 Pin shared libraries to a tag or commit::shared library 'pipeline-lib@main' is loaded from 'main', not a release tag or commit (libraries[0])",
        'pipewright lint: 1 pipeline(s): 1 error, 1 warning, 0 info; 1 suppressed; failed (failOn: error)',
        '',
      ].join('\n'),
    );
  });

  it('escapes data and properties as the runner expects', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
  });
});

describe('junit', () => {
  it('has one test case per rule and pipeline: failures, skipped suppressions, output below the threshold', () => {
    const xml = formatJunit(report);
    expect(xml.split('\n').slice(0, 3)).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuites name="pipewright lint" tests="14" failures="1" errors="0" skipped="1">',
      '  <testsuite name="pipelines/demo.pipeline.ts" tests="14" failures="1" errors="0" skipped="1">',
    ]);
    expect(xml).toContain(
      [
        '    <testcase classname="pipewright.demo" name="BASE-005 Pin shared libraries to a tag or commit" file="pipelines/demo.pipeline.ts">',
        '      <failure message="1 finding(s) at or above error" type="error">pipelines/demo.pipeline.ts:6:15 - error BASE-005 at libraries[0]: shared library &apos;pipeline-lib@main&apos; is loaded from &apos;main&apos;, not a release tag or commit (expected name@vX.Y.Z or name@&lt;40-hex commit&gt;, found pipeline-lib@main)</failure>',
        '    </testcase>',
      ].join('\n'),
    );
    expect(xml).toContain('<skipped message="1 finding(s) suppressed"/>');
    expect(xml).toContain('<testcase classname="pipewright.demo" name="BASE-001 Bound the run with a pipeline timeout" file="pipelines/demo.pipeline.ts"/>');
    expect(xml).toMatch(/name="BASE-002 Configure a build discarder"[^>]*>\n\s+<system-out>pipelines\/demo.pipeline.ts:5:12 - warning BASE-002/);
  });

  it('escapes XML and drops characters XML cannot carry', () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});

describe('json', () => {
  it('carries summary, findings at the TS source, and suppressions', () => {
    const json = JSON.parse(formatJson(report));
    expect(json.summary).toEqual({ errors: 1, warnings: 1, infos: 0, suppressed: 1, invalid: 0, failed: true });
    expect(json.pipelines[0].findings[1]).toEqual({
      rule: 'BASE-005',
      severity: 'error',
      message: "shared library 'pipeline-lib@main' is loaded from 'main', not a release tag or commit",
      path: 'libraries[0]',
      location: { file: 'pipelines/demo.pipeline.ts', line: 6, column: 15, endLine: 6, endColumn: 34 },
      expected: 'name@vX.Y.Z or name@<40-hex commit>',
      found: 'pipeline-lib@main',
    });
    expect(json.pipelines[0].suppressed[0].suppression).toEqual({
      rule: 'BASE-007',
      reason: 'warnings-ng has no typed step yet',
      owner: 'platform',
      ticket: 'PLAT-7',
      path: 'stages[0].steps[1].suppressions[0]',
      location: { file: 'pipelines/demo.pipeline.ts', line: 14, column: 26, endLine: 14, endColumn: 128 },
    });
  });

  it('the Jenkinsfile lines point at the generated code of the node', async () => {
    // With the policy off, compile produces the Jenkinsfile the findings' lines refer to.
    const run = await compileProject({ root, config: { ...defaultConfig(), policy: resolvePolicyConfig({ packs: [] }) } });
    const jenkinsfile = run.pipelines[0]!.jenkinsfile!.split('\n');
    expect(jenkinsfile[8 - 1]).toBe("    lib 'pipeline-lib@main'");
    expect(jenkinsfile[17 - 1]).toContain('recordIssues');
  });
});

describe('sarif', () => {
  const parse = () => JSON.parse(formatSarif(report, { root: '/project' }));

  it('validates against the SARIF 2.1.0 schema', () => {
    expect(SARIF_SCHEMA_TITLE).toMatch(/SARIF\) Version 2\.1\.0/);
    expect(sarifSchemaErrors(parse())).toEqual([]);
  });

  it('the validator rejects what the schema forbids', () => {
    const log = parse();
    log.runs[0].results[0].level = 'fatal';
    log.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(sarifSchemaErrors(log).length).toBeGreaterThanOrEqual(2);
    expect(sarifSchemaErrors({ version: '2.1.0' })).not.toEqual([]);
  });

  it('has rules with help, results at the TS source, and suppressions', () => {
    const run = parse().runs[0];
    expect(run.tool.driver.name).toBe('pipewright');
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: 'file:///project/' } });
    const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === 'BASE-005');
    expect(rule.shortDescription.text).toBe('Pin shared libraries to a tag or commit');
    expect(rule.help.text).toContain("Violation:\nlibraries: ['pipeline-lib@main']");
    expect(rule.defaultConfiguration).toEqual({ level: 'error' });
    const [warning, error, suppressed] = run.results;
    expect(warning.level).toBe('warning');
    expect(error).toMatchObject({
      ruleId: 'BASE-005',
      level: 'error',
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: 'pipelines/demo.pipeline.ts', uriBaseId: '%SRCROOT%' }, region: { startLine: 6, startColumn: 15, endLine: 6, endColumn: 34 } },
          logicalLocations: [{ fullyQualifiedName: 'libraries[0]', kind: 'member' }],
        },
      ],
    });
    // Policy failed, so no Jenkinsfile was written: nothing may point into it.
    expect(error.relatedLocations).toBeUndefined();
    expect(run.tool.driver.rules[error.ruleIndex].id).toBe('BASE-005');
    expect(suppressed.suppressions).toEqual([
      {
        kind: 'inSource',
        status: 'accepted',
        justification: 'warnings-ng has no typed step yet',
        location: { physicalLocation: { artifactLocation: { uri: 'pipelines/demo.pipeline.ts', uriBaseId: '%SRCROOT%' }, region: { startLine: 14, startColumn: 26, endLine: 14, endColumn: 128 } } },
        properties: { owner: 'platform', ticket: 'PLAT-7' },
      },
    ]);
    expect(warning.suppressions).toBeUndefined();
  });

  it('is deterministic', () => {
    expect(formatSarif(report, { root: '/project' })).toBe(formatSarif(report, { root: '/project' }));
  });
});

describe('Jenkinsfile locations', () => {
  /** The demo project with BASE-005 as a warning: the policy passes and the Jenkinsfile is produced. */
  let written: LintReport;
  beforeAll(async () => {
    const policy = resolvePolicyConfig({ packs: ['baseline'], rules: { 'BASE-005': 'warning' } });
    written = lintReportFromRun(await compileProject({ root, config: { ...defaultConfig(), policy } }), { name: 'pipewright', version: '0.0.0-test' });
  });

  it('a pipeline whose Jenkinsfile is produced cites its lines in every format', () => {
    expect(formatText(written, { colors: plain })).toContain('          Jenkinsfile: generated/demo/Jenkinsfile:8:1');
    expect(formatGithub(written)).toContain('(libraries[0]; Jenkinsfile generated/demo/Jenkinsfile:8:1)');
    expect(JSON.parse(formatJson(written)).pipelines[0].findings[1].jenkinsfile).toEqual({ file: 'generated/demo/Jenkinsfile', line: 8, column: 1 });
    const result = JSON.parse(formatSarif(written, { root: '/project' })).runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'BASE-005');
    expect(result.relatedLocations).toEqual([
      { id: 1, physicalLocation: { artifactLocation: { uri: 'generated/demo/Jenkinsfile', uriBaseId: '%SRCROOT%' }, region: { startLine: 8, startColumn: 1 } }, message: { text: 'generated Jenkinsfile (generated/demo/Jenkinsfile:8:1)' } },
    ]);
  });

  it('a pipeline that failed policy cites only its TypeScript source', () => {
    const all = [formatText(report, { colors: plain }), formatGithub(report), formatJson(report), formatSarif(report, { root: '/project' }), formatJunit(report)].join('\n');
    expect(all).not.toContain('Jenkinsfile:');
    expect(all).not.toMatch(/generated\/demo\/Jenkinsfile:\d/);
    expect(all).toContain('pipelines/demo.pipeline.ts');
  });
});
