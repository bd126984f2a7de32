import { defineRule, type RuleFinding } from '../../rule.ts';

/** BASE-007: untyped plugin step calls are visible escape hatches. */
export default defineRule({
  meta: {
    id: 'BASE-007',
    title: 'Flag untyped plugin steps and options',
    pack: 'baseline',
    severity: 'info',
    rationale:
      '`step(name, args)` and `options.custom` call plugin steps pipewright does not model: their arguments are not ' +
      'type-checked and policy cannot see what they do. They are listed so that reviewers notice them; PIPE-002 checks ' +
      'them against the organisation’s allowlist.',
    standards: ['OWASP CICD-SEC-8 (ungoverned usage of 3rd-party services)'],
    example: { bad: "step('httpRequest', { url: 'https://example.com/hook' })", good: "notify('deployed', targets)" },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      // Steps called from raw Groovy are BASE-006's and PIPE-001's: the Groovy itself is flagged.
      if (info.step.step !== 'step' || info.origin !== 'model') continue;
      findings.push({ path: info.path, message: `untyped plugin step '${info.step.name}'`, expected: 'a typed step', found: info.step.name });
    }
    for (const { custom, path } of index.customOptions) {
      for (const [i, call] of custom.entries()) {
        findings.push({ path: [...path, i], message: `untyped plugin option '${call.name}'`, expected: 'a typed option', found: call.name });
      }
    }
    return findings;
  },
});
