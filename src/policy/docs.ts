/**
 * Rule documentation generated from the rule metadata: `docs/rules.md` (see
 * `pipewright rules --format markdown`, `npm run docs:rules`) and the text of `pipewright explain`.
 */
import type { Rule, RuleMeta } from './rule.ts';
import { ruleDocsUrl } from './rule.ts';

const PACK_TITLES: Record<string, string> = {
  engine: 'Engine (suppressions and rule failures)',
  baseline: 'Baseline pack (Jenkins hygiene)',
  fintech: 'Fintech pack (policy catalog)',
};

const severityText = (meta: RuleMeta) =>
  meta.nonProductionSeverity ? `${meta.severity} (${meta.nonProductionSeverity} outside production)` : meta.severity;

/** Escapes `|` for a Markdown table cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The Markdown catalogue of rules, grouped by pack, with an index table. */
export function renderRulesMarkdown(rules: readonly RuleMeta[]): string {
  const packs = [...new Set(rules.map((r) => r.pack))];
  const out: string[] = [
    '# Policy rules',
    '',
    '<!-- Generated from the rule metadata by `npm run docs:rules` (pipewright rules --format markdown). Do not edit. -->',
    '',
    `${rules.length} rules in ${packs.length} packs. Configure them in \`pipewright.config.ts\` (see [policy.md](policy.md)); ` +
      'run `pipewright explain <RULE-ID>` for one rule.',
    '',
    // The examples are compiled by the test suite (test/docs/rule-examples.test.ts) with these in scope.
    'Each violation and fix below compiles. The parts of a pipeline that are not an example\'s point have names: ' +
      '`build` (a build-and-test stage), `buildAgent`, `registry` and `aws` (ECR and its push role), `prodAws` (the prod deploy ' +
      'role), `prodService` (cluster, service, container, task definition), `deployDev`, `deployStage` and `deployProd` ' +
      '(`ecsDeploy` stages on their own agents, from `main`), `approveProd` (`approvalStage` for prod), `approvalRequest` ' +
      '(`notify(\'approval\', targets)`), `targets` (Slack), `prodShift` (an ALB weight change), `dev`, `stage`, `prod` and ' +
      '`environments`.',
    '',
    '| Rule | Title | Pack | Severity |',
    '| --- | --- | --- | --- |',
    ...rules.map((r) => `| [${r.id}](#${r.id.toLowerCase()}) | ${cell(r.title)} | ${r.pack} | ${severityText(r)} |`),
    '',
  ];
  for (const pack of packs) {
    out.push(`## ${PACK_TITLES[pack] ?? `Pack \`${pack}\``}`, '');
    for (const meta of rules.filter((r) => r.pack === pack)) {
      out.push(`### ${meta.id}`, '', `**${meta.title}** · severity: ${severityText(meta)}`, '', meta.rationale, '');
      if (meta.standards.length > 0) out.push(`Standards: ${meta.standards.join('; ')}`, '');
      if (meta.exception) out.push(`Accepted exception (suppress with a reason): ${meta.exception}`, '');
      out.push('Violation:', '', '```ts', meta.example.bad, '```', '', 'Fix:', '', '```ts', meta.example.good, '```', '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The text `pipewright explain <id>` prints. */
export function renderExplain(rule: Rule): string {
  const { meta } = rule;
  return [
    `${meta.id}: ${meta.title}`,
    `pack: ${meta.pack}   severity: ${severityText(meta)}`,
    '',
    meta.rationale,
    '',
    ...(meta.standards.length > 0 ? [`Standards: ${meta.standards.join('; ')}`, ''] : []),
    ...(meta.exception ? [`Accepted exception: ${meta.exception}`, ''] : []),
    'Violation:',
    ...meta.example.bad.split('\n').map((l) => `  ${l}`),
    '',
    'Fix:',
    ...meta.example.good.split('\n').map((l) => `  ${l}`),
    '',
    `Docs: ${ruleDocsUrl(meta)}`,
    '',
  ].join('\n');
}
