import type { ModelPath } from '../../../diagnostics.ts';
import { defineRule } from '../../rule.ts';

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
      good: "ecsDeploy({ environment: 'prod', ... })",
    },
  },
  *check({ index, pipeline }) {
    const sources: [ModelPath, string, string][] = [];
    if (pipeline.groovyPrologue !== undefined) sources.push([['groovyPrologue'], pipeline.groovyPrologue, 'code before the pipeline block']);
    if (pipeline.groovyEpilogue !== undefined) sources.push([['groovyEpilogue'], pipeline.groovyEpilogue, 'code after the pipeline block']);
    for (const info of index.steps) {
      if (info.step.step === 'script') sources.push([info.path, info.step.groovy, 'script block']);
    }
    for (const s of index.strings()) {
      if (s.key === '$groovy') sources.push([s.path.slice(0, -1), s.value, 'Groovy expression']);
      else if (s.key === 'expression' && s.path.includes('when')) sources.push([s.path, s.value, 'when expression']);
    }
    for (const [path, groovy, what] of sources) {
      const dangerous = DANGEROUS_GROOVY.filter(([re]) => re.test(groovy)).map(([, name]) => name);
      const freeForm = what !== 'Groovy expression' && what !== 'when expression';
      if (freeForm || dangerous.length > 0) {
        yield {
          path,
          message:
            dangerous.length > 0
              ? `${what} uses ${dangerous.join(', ')}: code outside the reviewed pipeline`
              : `${what}: free-form Groovy in the pipeline; use typed steps`,
          found: dangerous.length > 0 ? dangerous.join(', ') : what === 'script block' ? 'script' : what,
        };
      }
    }
  },
});
