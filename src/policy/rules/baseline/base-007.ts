import { defineRule } from '../../rule.ts';

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
    example: { bad: "step('httpRequest', { url: 'https://example.com/hook' })", good: "notify({ event: 'deployed', targets: [...] })" },
  },
  *check({ index, pipeline }) {
    for (const info of index.steps) {
      if (info.step.step !== 'step') continue;
      yield { path: info.path, message: `untyped plugin step '${info.step.name}'`, found: info.step.name };
    }
    const customs: [readonly (string | number)[], { name: string }[] | undefined][] = [
      [['options', 'custom'], pipeline.options?.custom],
      ...index.stages.map((s) => [[...s.path, 'options', 'custom'], s.stage.options?.custom] as [readonly (string | number)[], { name: string }[] | undefined]),
    ];
    for (const [path, list] of customs) {
      for (const [i, call] of (list ?? []).entries()) {
        yield { path: [...path, i], message: `untyped plugin option '${call.name}'`, found: call.name };
      }
    }
  },
});
