/** PIPE-004 (steps and options of plugins the controller has) and PIPE-002's catalog allowlist. */
import { describe, it } from 'vitest';
import { defaultCatalog } from '../../src/catalog/index.ts';
import type { Catalog } from '../../src/catalog/schema.ts';
import { RuleTester } from '../../src/policy/rule-tester.ts';
import { findRule } from '../../src/policy/registry.ts';
import { pipeline } from './fixtures.ts';

const tester = new RuleTester({ describe, it });
const rule = (id: string) => findRule(id)!;

/** A controller without the slack plugin. */
const withoutSlack: Catalog = {
  ...defaultCatalog(),
  name: 'no-slack controller',
  steps: defaultCatalog().steps.filter((s) => s.plugin !== 'slack'),
  describables: defaultCatalog().describables.filter((d) => d.plugin !== 'slack'),
};

tester.run(rule('PIPE-004'), {
  valid: [
    pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'deleteDir' }, { step: 'step', name: 'slackSend', args: { channel: '#x', message: 'hi' } }] }] }),
    { name: 'options the catalog lists', pipeline: pipeline({ options: { custom: [{ name: 'preserveStashes' }] } }) },
  ],
  invalid: [
    {
      pipeline: pipeline({ options: { custom: [{ name: 'throttleJobProperty' }] }, stages: [{ name: 'A', steps: [{ step: 'step', name: 'httpRequest', args: { url: 'https://x' } }] }] }),
      errors: [
        { path: ['stages', 0, 'steps', 0], message: "step 'httpRequest' is not in the controller catalog 'pipewright default': no plugin it lists provides it" },
        { path: ['options', 'custom', 0], message: /option 'throttleJobProperty' is not in the controller catalog/ },
      ],
    },
    {
      name: 'the project catalog decides: slackSend on a controller without the slack plugin',
      catalog: withoutSlack,
      pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'slackSend', args: { channel: '#x', message: 'hi' } }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0], message: /'slackSend' is not in the controller catalog 'no-slack controller'/ }],
    },
    {
      name: 'steps called from raw Groovy',
      pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'script', groovy: "httpRequest url: 'https://x'" }] }] }),
      errors: [{ path: ['stages', 0, 'steps', 0, 'groovy'], message: /'httpRequest' \(called from raw Groovy\)/ }],
    },
  ],
});

describe('PIPE-002 allowlist from the catalog', () => {
  tester.run(rule('PIPE-002'), {
    valid: [
      { name: 'core and catalog steps are allowed without a configured list', pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'deleteDir' }, { step: 'step', name: 'cleanWs' }, { step: 'step', name: 'input', args: { message: 'ok?' } }] }] }) },
    ],
    invalid: [
      {
        name: 'a configured list is the whole list',
        options: { allowedSteps: ['withAWS'] },
        pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'deleteDir' }] }] }),
        errors: [{ path: ['stages', 0, 'steps', 0], message: "plugin step 'deleteDir' is not on the allowlist" }],
      },
      {
        name: 'a step the catalog lacks',
        catalog: withoutSlack,
        pipeline: pipeline({ stages: [{ name: 'A', steps: [{ step: 'step', name: 'httpRequest' }] }] }),
        errors: [{ path: ['stages', 0, 'steps', 0] }],
      },
    ],
  });
});
