/** docs/steps.md documents every delivery step kind and every helper the DSL exports for them. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as presets from '../../src/presets/index.ts';
import { DELIVERY_STEP_KINDS } from '../../src/model/delivery-defaults.ts';

const docs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'steps.md'), 'utf8');

describe('docs/steps.md', () => {
  it('has a section for every step kind', () => {
    const headings = [...docs.matchAll(/^###+ `([A-Za-z0-9]+)`/gm)].map((m) => m[1]);
    expect(DELIVERY_STEP_KINDS.filter((kind) => kind !== 'approvalCheck' && !headings.includes(kind))).toEqual([]);
    expect(docs).toMatch(/^### `approvalStage\(options\)` and `approvalCheck`/m);
  });

  it('mentions every exported helper function', () => {
    const functions = Object.entries(presets)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .filter((name) => !['nodeService', 'reactApp', 'imageStage', 'isDeliveryStep'].includes(name));
    expect(functions.filter((name) => !docs.includes(`${name}(`))).toEqual([]);
  });
});
