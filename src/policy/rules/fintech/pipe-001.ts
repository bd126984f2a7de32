import type { GroovySourceInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const DANGEROUS_GROOVY: readonly [RegExp, string][] = [
  [/\bload\s*[('"]/, 'load'],
  [/\bevaluate\s*\(/, 'evaluate'],
  [/@Grab\b/, '@Grab'],
  [/\bGroovyShell\b/, 'GroovyShell'],
  [/\bEval\s*\.\s*me\b/, 'Eval.me'],
  [/\.execute\s*\(\s*\)/, 'String.execute()'],
  [/\bJenkins\s*\.\s*(?:instance|get\s*\(\s*\))/, 'Jenkins.instance'],
  [/\bnew\s+File\s*\(/, 'new File'],
  [/\bRuntime\s*\.\s*getRuntime\b/, 'Runtime.getRuntime'],
];

/** How a Groovy source is named in messages. */
function describeSource(source: GroovySourceInfo): string {
  switch (source.kind) {
    case 'prologue':
      return 'code before the pipeline block';
    case 'epilogue':
      return 'code after the pipeline block';
    case 'script':
      return 'script block';
    default:
      return source.path[source.path.length - 1] === 'expression' ? 'when expression' : 'Groovy expression';
  }
}

/** PIPE-001: declarative only; no free-form Groovy. */
export default defineRule({
  meta: {
    id: 'PIPE-001',
    title: 'Declarative only: no script blocks or dangerous Groovy',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Free-form Groovy is where poisoned-pipeline execution happens: `script {}` can do anything the sandbox allows, and ' +
      '`load`, `evaluate`, `@Grab`, `GroovyShell` and `.execute()` run code the review never saw. Pipelines use typed ' +
      'steps; the Groovy snippets pipewright emits itself (approval checks, notifications) are not part of the model.',
    standards: ['OWASP CICD-SEC-4 (poisoned pipeline execution)', 'Jenkins script security'],
    example: {
      bad: "script('def cfg = load \"ci/config.groovy\"; cfg.deploy()')",
      good: "ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const source of index.groovy) {
      const what = describeSource(source);
      const dangerous = DANGEROUS_GROOVY.filter(([re]) => re.test(source.source)).map(([, name]) => name);
      const freeForm = source.kind === 'script' || source.kind === 'prologue' || source.kind === 'epilogue';
      if (freeForm || dangerous.length > 0) {
        findings.push({
          path: source.nodePath,
          message:
            dangerous.length > 0
              ? `${what} uses ${dangerous.join(', ')}: code outside the reviewed pipeline`
              : `${what}: free-form Groovy in the pipeline; use typed steps`,
          expected: dangerous.length > 0 ? `Groovy without ${dangerous.join(', ')}` : 'typed steps instead of free-form Groovy',
          found: dangerous.length > 0 ? dangerous.join(', ') : source.kind === 'script' ? 'script' : what,
        });
      }
    }
    return findings;
  },
});
