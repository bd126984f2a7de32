/**
 * What SECRET-005 and DEPLOY-005 share: the task-definition templates the pipeline's ECS deploys
 * render from, read from the project, linted once per pipeline (`taskdef-lint.ts`).
 */
import { deliveryFacts } from '../../facts.ts';
import type { ModelPath } from '../../../diagnostics.ts';
import type { RuleContext, RuleFinding } from '../../rule.ts';
import { lintTaskDefinition, type TaskDefinitionFinding } from '../../taskdef-lint.ts';

/** Findings of one rule for every readable template of the pipeline's `ecsDeploy` steps. */
export function* taskDefinitionFindings(context: RuleContext, rule: TaskDefinitionFinding['rule']): Generator<RuleFinding> {
  for (const info of deliveryFacts(context.index).ofKind('ecsDeploy')) {
    const path = info.step.taskDefinition;
    if (path === undefined) continue; // the pipewright engine renders from the live revision
    const text = context.readFile(path);
    if (text === undefined) continue; // not in this project: the deploy script checks the rendered JSON
    const at: ModelPath = [...info.path, 'taskDefinition'];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      if (rule === 'SECRET-005') {
        yield { path: at, message: `${path} is not valid JSON (${(error as Error).message}): its secrets cannot be checked`, environment: info.step.environment, expected: 'a JSON task definition', found: 'invalid JSON' };
      }
      continue;
    }
    for (const finding of lintTaskDefinition(json, { account: info.step.aws.account })) {
      if (finding.rule !== rule) continue;
      yield {
        path: at,
        message: `${path}${finding.at === '' ? '' : ` (${finding.at})`}: ${finding.message}`,
        environment: info.step.environment,
        expected: finding.expected,
        found: finding.found,
      };
    }
  }
}
