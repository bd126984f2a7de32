/**
 * validateJenkinsfile: the rule table, allow-lists, ASTs not produced by the parser, ordering.
 * (Each rule's message and position on real Jenkinsfiles is covered by the invalid corpus in
 * corpus.test.ts.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { block, call, ident, named, positional, str, type JenkinsfileAst, type Statement } from '../../src/jenkinsfile/ast.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { JENKINSFILE_RULES, integerValue, validateJenkinsfile, type JenkinsfileAllowLists } from '../../src/jenkinsfile/validate.ts';
import { validateText } from '../../src/cli/validate.ts';

function check(text: string, allow?: JenkinsfileAllowLists): string[] {
  const parsed = parseJenkinsfile(text);
  expect(parsed.diagnostics).toEqual([]);
  return validateJenkinsfile(parsed.ast!, allow ? { allow } : {}).map(
    (d) => `${d.location!.line}:${d.location!.column} ${d.code} ${d.message}`,
  );
}

const PIPELINE = (stageBody: string, sections = '') => `pipeline {
  agent any
${sections}  stages {
    stage('S') {
${stageBody}
    }
  }
}
`;

describe('rule table', () => {
  /** A rule message template (`<x>` = any text) as a regular expression. */
  const templateRegex = (template: string) =>
    new RegExp(`^${template.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 's');

  it('documents every code the parser and validator report on the invalid corpus, with a matching message', () => {
    const dir = join(import.meta.dirname, '..', 'corpus', 'invalid');
    const used = new Set<string>();
    const problems: string[] = [];
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.Jenkinsfile'))) {
      const text = readFileSync(join(dir, name), 'utf8');
      const allowLine = text.split('\n').find((line) => line.startsWith('// allow: '));
      const allow = allowLine ? (JSON.parse(allowLine.slice('// allow: '.length)) as JenkinsfileAllowLists) : undefined;
      for (const d of validateText(text, name, allow).diagnostics) {
        used.add(d.code);
        const rule = JENKINSFILE_RULES[d.code as keyof typeof JENKINSFILE_RULES];
        if (!rule) problems.push(`${name}: undocumented code ${d.code}`);
        else if (d.code !== 'PW5001' && !rule.messages.some((m) => templateRegex(m).test(d.message))) {
          problems.push(`${name}: ${d.code} message not in the table: ${d.message}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // Every documented rule is exercised by at least one invalid Jenkinsfile, except PW5005
    // (nesting limit): such a file overflows the Groovy oracle's stack, which the corpus test
    // consults for every file; test/jenkinsfile/nesting.test.ts exercises it instead.
    // Catalog rules (stage 'catalog') need a controller catalog, which this corpus is not checked
    // against: test/validate/catalog-rules.test.ts exercises each of them (and every message of
    // the validator's catalog-dependent name checks) against the bundled catalog.
    const structural = Object.values(JENKINSFILE_RULES).filter((rule) => rule.stage !== 'catalog').map((rule) => rule.code);
    expect(structural.filter((code) => !used.has(code))).toEqual(['PW5005']);
  });

  it('uses PW5xxx codes with a summary and at least one message', () => {
    for (const [code, rule] of Object.entries(JENKINSFILE_RULES)) {
      expect(code).toMatch(/^PW5\d{3}$/);
      expect(rule.code).toBe(code);
      expect(rule.summary.length).toBeGreaterThan(10);
      expect(rule.messages.length).toBeGreaterThan(0);
    }
  });
});

describe('allow-lists', () => {
  const allow: JenkinsfileAllowLists = {
    steps: ['sh', 'echo', 'dir'],
    options: ['timeout'],
    triggers: ['cron'],
    tools: ['maven'],
    agentTypes: ['label', 'node'],
    whenConditions: ['branch', 'not'],
  };

  it('accepts names on the lists, including nested steps, any and none', () => {
    const text = PIPELINE(
      "      agent { label 'x' }\n      when { not { branch 'main' } }\n      steps { dir('a') { sh 'make'; echo 'ok' } }",
      "  options { timeout(time: 1, unit: 'HOURS') }\n  triggers { cron('H * * * *') }\n  tools { maven 'm3' }\n",
    );
    expect(check(text, allow)).toEqual([]);
    expect(check(text.replace("agent { label 'x' }", 'agent none'), allow)).toEqual([]);
    expect(check(text.replace("agent { label 'x' }", "agent { label { label 'x' } }"), allow)).toEqual([]);
  });

  it('turns unknown names into errors with the list in the message', () => {
    const text = PIPELINE(
      "      agent { docker 'img' }\n      when { changeset 'a/**' }\n      steps { dir('a') { bat 'x' } }",
      "  options { timestamps() }\n  triggers { pollSCM('H * * * *') }\n  tools { jdk 'j17' }\n",
    );
    expect(check(text, allow)).toEqual([
      '3:13 PW5134 Invalid option type "timestamps". Valid option types: [timeout]',
      '4:14 PW5134 Invalid trigger type "pollSCM". Valid trigger types: [cron]',
      '5:11 PW5132 Invalid tool type "jdk". Valid tool types: [maven]',
      '8:15 PW5125 Invalid agent type "docker" specified. Must be one of [any, label, node, none]',
      '9:14 PW5128 Unknown conditional changeset. Valid conditionals are: branch, not',
      "10:26 PW5136 No such DSL method 'bat' found among steps [dir, echo, sh]",
    ]);
  });

  it('checks the node agent for `label { }`, as Jenkins rewrites it', () => {
    const text = PIPELINE("      agent { label { label 'x' } }\n      steps { sh 'x' }");
    expect(check(text, { agentTypes: ['label'] })).toEqual([
      '5:15 PW5125 Invalid agent type "node" specified. Must be one of [any, label, none]',
    ]);
  });

  it('does not check names without a list', () => {
    expect(check(PIPELINE("      steps { anything 'goes'; dir('x') { custom() } }", "  options { whatever() }\n"))).toEqual([]);
  });
});

describe('ASTs built without the parser', () => {
  const pipeline = (...sections: Statement[]): JenkinsfileAst => ({ type: 'Jenkinsfile', pipeline: block('pipeline', sections) });

  it('accepts a builder-made pipeline and reports problems without positions', () => {
    const good = pipeline(
      call('agent', positional(ident('any'))),
      block('stages', [call('stage', positional(str('Build')), [block('steps', [call('sh', positional(str('make')))])])]),
    );
    expect(validateJenkinsfile(good)).toEqual([]);

    const bad = pipeline(
      call('agent', positional(ident('any'))),
      { type: 'Assignment', name: 'region', value: str('eu') },
      block('stages', [call('stage', named([['name', str('x')]]), [block('steps', [])])]),
    );
    expect(validateJenkinsfile(bad, { file: 'generated/Jenkinsfile' })).toEqual([
      { code: 'PW5010', severity: 'error', message: `Not a valid section definition: "region = 'eu'". Some extra configuration is required.` },
      { code: 'PW5105', severity: 'error', message: 'Expected string literal' },
      { code: 'PW5112', severity: 'error', message: 'No steps specified for branch' },
    ]);
  });

  it('reports a pipeline without a block and nothing else', () => {
    expect(validateJenkinsfile({ type: 'Jenkinsfile', pipeline: call('pipeline', positional(str('x'))) })).toEqual([
      { code: 'PW5004', severity: 'error', message: 'Expected a block with the "pipeline" step' },
    ]);
  });
});

describe('ordering and locations', () => {
  it('sorts diagnostics by position and uses the given file name', () => {
    const parsed = parseJenkinsfile("pipeline {\n  stages {\n  }\n  environment {\n  }\n}\n", 'a/Jenkinsfile');
    const diagnostics = validateJenkinsfile(parsed.ast!, { file: 'a/Jenkinsfile' });
    expect(diagnostics.map((d) => `${d.location!.file}:${d.location!.line}:${d.location!.column} ${d.message}`)).toEqual([
      'a/Jenkinsfile:1:1 Missing required section "agent"',
      'a/Jenkinsfile:2:3 No stages specified',
      'a/Jenkinsfile:4:3 No variables specified for environment',
    ]);
  });
});

describe('integer constants', () => {
  it.each([
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['0x7FFF_FFFF_FFFF_FFFFL', 9223372036854775807n],
    ['0777', 511n],
    ['0b1010', 10n],
    ['12G', 12n],
    ['1.5', undefined],
    ['1e3', undefined],
  ])('%s', (text, value) => {
    expect(integerValue(text)).toBe(value);
  });

  it('reports integers outside the long range only', () => {
    const text = PIPELINE("      steps {\n        sleep 9223372036854775807\n        sleep 9223372036854775808\n        sleep 0x8000000000000000\n        sleep 1e30\n      }");
    expect(check(text).map((line) => line.split(' PW')[0])).toEqual(['7:15', '8:15']);
  });
});
