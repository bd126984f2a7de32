import { indexCatalog } from '../../../catalog/index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/**
 * PIPE-004: every plugin step and option a pipeline calls is one the controller has. The catalog
 * (pipewright.config.ts `catalog`, else the bundled one) lists the steps and describables of the
 * controller's plugins; a step it lacks fails with `NoSuchMethodError` at run time, after earlier
 * stages (a build, a push) have already run.
 */
export default defineRule({
  meta: {
    id: 'PIPE-004',
    title: 'Steps and options from plugins the controller has',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'A step whose plugin the controller lacks fails with NoSuchMethodError when the build reaches it, after the stages ' +
      'before it have run (an image pushed, a deploy started). The controller catalog (`catalog` in pipewright.config.ts, ' +
      'from `pipewright catalog import`, else the bundled catalog) lists the steps the controller offers: install the ' +
      'plugin (see `pipewright plugins`) or import the catalog of the controller that has it. A warning by default, as the ' +
      'bundled catalog only lists the plugins of the delivery workflow; raise it to an error with a complete catalog.',
    standards: ['OWASP CICD-SEC-3', 'SLSA Build L2 (consistent build platform)'],
    example: {
      bad: "step('httpRequest', { url: 'https://example.com/deploy', httpMode: 'POST' })",
      good: "step('deleteDir')",
    },
  },
  check({ index, catalog }) {
    const findings: RuleFinding[] = [];
    const known = indexCatalog(catalog);
    const has = (name: string) => known.step(name) !== undefined || catalog.describables.some((d) => d.symbol === name);
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      if (info.step.step !== 'step' || has(info.step.name)) continue;
      const from = info.origin === 'groovy' ? ' (called from raw Groovy)' : '';
      findings.push({
        path: info.path,
        message: `step '${info.step.name}'${from} is not in the controller catalog '${catalog.name}': no plugin it lists provides it`,
        expected: 'a step of the catalog',
        found: info.step.name,
      });
    }
    for (const { custom, path } of index.customOptions) {
      for (const [i, call] of custom.entries()) {
        if (has(call.name)) continue;
        findings.push({
          path: [...path, i],
          message: `option '${call.name}' is not in the controller catalog '${catalog.name}': no plugin it lists provides it`,
          expected: 'an option of the catalog',
          found: call.name,
        });
      }
    }
    return findings;
  },
});
