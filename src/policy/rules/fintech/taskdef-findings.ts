/**
 * What SECRET-005, DEPLOY-005 and OBS-001 share: the task-definition templates the pipeline's ECS
 * deploys render from, read from the project, parsed and linted (`taskdef-lint.ts`) once per
 * exact text: every service of a fleet deploys from the same few templates, and each pipeline
 * asks about each template from several rules.
 */
import { deliveryFacts } from '../../facts.ts';
import type { ModelPath } from '../../../diagnostics.ts';
import type { RuleContext, RuleFinding } from '../../rule.ts';
import { lintTaskDefinition, type TaskDefinitionFinding } from '../../taskdef-lint.ts';

/** A template's text parsed: the JSON value, or why it is not JSON. Shared: never mutate `json`. */
export type ParsedTemplate = { readonly ok: true; readonly json: unknown } | { readonly ok: false; readonly error: string };

interface TemplateResults {
  readonly parsed: ParsedTemplate;
  /** Lint findings by the deploying account (`undefined`: not known). */
  readonly lint: Map<string | undefined, readonly TaskDefinitionFinding[]>;
}

/** By exact template text; cleared when large (a long watch session reads many revisions). */
const templates = new Map<string, TemplateResults>();
const TEMPLATE_LIMIT = 200;

function resultsOf(text: string): TemplateResults {
  let results = templates.get(text);
  if (results) return results;
  let parsed: ParsedTemplate;
  try {
    parsed = { ok: true, json: JSON.parse(text) };
  } catch (error) {
    parsed = { ok: false, error: (error as Error).message };
  }
  if (templates.size >= TEMPLATE_LIMIT) templates.clear();
  templates.set(text, (results = { parsed, lint: new Map() }));
  return results;
}

/** The template text parsed as JSON (once per exact text). */
export function parseTemplate(text: string): ParsedTemplate {
  return resultsOf(text).parsed;
}

/** Findings of one rule for every readable template of the pipeline's `ecsDeploy` steps. */
export function taskDefinitionFindings(context: RuleContext, rule: TaskDefinitionFinding['rule']): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const info of deliveryFacts(context.index).ofKind('ecsDeploy')) {
    const path = info.step.taskDefinition;
    if (path === undefined) continue; // the pipewright engine renders from the live revision
    const text = context.readFile(path);
    if (text === undefined) continue; // not in this project: the deploy script checks the rendered JSON
    const at: ModelPath = [...info.path, 'taskDefinition'];
    const results = resultsOf(text);
    if (!results.parsed.ok) {
      if (rule === 'SECRET-005') {
        out.push({ path: at, message: `${path} is not valid JSON (${results.parsed.error}): its secrets cannot be checked`, environment: info.step.environment, expected: 'a JSON task definition', found: 'invalid JSON' });
      }
      continue;
    }
    const account = info.step.aws.account;
    let findings = results.lint.get(account);
    if (!findings) {
      findings = Object.freeze(lintTaskDefinition(results.parsed.json, { account }).map((f) => Object.freeze(f)));
      results.lint.set(account, findings);
    }
    for (const finding of findings) {
      if (finding.rule !== rule) continue;
      out.push({
        path: at,
        message: `${path}${finding.at === '' ? '' : ` (${finding.at})`}: ${finding.message}`,
        environment: info.step.environment,
        expected: finding.expected,
        found: finding.found,
      });
    }
  }
  return out;
}
