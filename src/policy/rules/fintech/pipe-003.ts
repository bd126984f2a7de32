import { SHELL_STEP_NAMES, shellScriptOf, stepRunningCalls } from '../../groovy-calls.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const WHERE = {
  when: 'when condition',
  environment: 'environment value',
  value: 'groovy() value',
} as const;

/** PIPE-003: Groovy expressions evaluate; they never run steps. */
export default defineRule({
  meta: {
    id: 'PIPE-003',
    title: 'Groovy conditions and values do not run steps',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A `when` expression, a `groovy()` value in `environment`, in `when.equals` or in step arguments is evaluated by ' +
      'Jenkins with the pipeline’s permissions, outside every stage’s controls: `when: { expression: ' +
      '\'sh("aws ecs update-service …"); return true\' }` deploys while the condition is checked, before any approval, ' +
      'lock or evidence. Expressions may read (`env`, `params`, `currentBuild`, `fileExists`, `readFile`), never call ' +
      'a step that acts (`sh`, `withAWS`, `build`, `httpRequest`, ...) or a helper function that may.',
    standards: ['OWASP CICD-SEC-4 (poisoned pipeline execution)', 'OWASP CICD-SEC-1 (insufficient flow control)', 'Jenkins script security'],
    example: {
      bad: "when: { expression: 'sh(\"./deploy.sh prod\"); return true' }",
      good: "when: { branch: 'main' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })]",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const source of index.groovy) {
      if (source.kind !== 'when' && source.kind !== 'environment' && source.kind !== 'value') continue;
      const calls = stepRunningCalls(source.source);
      if (calls.length === 0) continue;
      const first = calls[0]!;
      const script = SHELL_STEP_NAMES.has(first.name) ? shellScriptOf(first) : undefined;
      const shown = script ? `${first.name}(${JSON.stringify((typeof script.value === 'string' ? script.value : script.text).slice(0, 60))})` : `${first.name}()`;
      const names = [...new Set(calls.map((c) => c.name))];
      const unknown = names.filter((n) => !calls.find((c) => c.name === n)!.knownStep);
      findings.push({
        path: source.nodePath,
        message:
          `the ${WHERE[source.kind]} runs ${shown}${names.length > 1 ? ` (and ${names.slice(1).join(', ')})` : ''}: ` +
          `${unknown.length > 0 ? `${unknown.join(', ')} may run any step; ` : ''}` +
          'a Groovy expression must not run steps; use a typed condition and do the work in a stage',
        expected: 'an expression without step calls',
        found: names.map((n) => `${n}()`).join(', '),
      });
    }
    return findings;
  },
});
