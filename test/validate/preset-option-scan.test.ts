/**
 * The lexical pass that spares the TypeScript parse of the preset-option check: whenever it is
 * certain, the TypeScript walk must find nothing (checked on the repository's pipelines and on
 * variants with unknown keys written every way the walk sees them); and it must be certain for
 * the common shapes (else the fleet parses every file again).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as dsl from '../../src/dsl/index.ts';
import { createSourceLocator } from '../../src/load/locate.ts';
import { PRESET_OPTION_KEYS } from '../../src/presets/option-keys.ts';
import { certainlyNoUnknownOptionKeys } from '../../src/validate/preset-option-scan.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DSL_NAMES = new Set(Object.keys(dsl));
const certain = (text: string) => certainlyNoUnknownOptionKeys(text, PRESET_OPTION_KEYS, DSL_NAMES);

/** A division at the end makes the lexical pass unsure, so this is the TypeScript walk alone (positions before it unchanged). */
const FORCE_PARSE = '\nvoid (1 / 1);\n';
const walk = (text: string) => createSourceLocator(join(ROOT, 'pipelines/x.pipeline.ts'), ROOT, text + FORCE_PARSE).unknownOptionKeys(PRESET_OPTION_KEYS);
const located = (text: string) => createSourceLocator(join(ROOT, 'pipelines/x.pipeline.ts'), ROOT, text).unknownOptionKeys(PRESET_OPTION_KEYS);

const REPO_PIPELINES = readdirSync(join(ROOT, 'pipelines'))
  .filter((f) => f.endsWith('.pipeline.ts'))
  .map((f) => [f, readFileSync(join(ROOT, 'pipelines', f), 'utf8')] as const);

const preset = (call: string, options: string, before = '') => `import { definePipeline, nodeService, reactApp, sh } from 'pipewright';
import { org, notifyTo } from './shared/org-defaults.ts';
${before}
/** A comment with nodeService({ bogus: 1 }) and 'quotes'. */
export default definePipeline(
  ${call}({
    ...org,
    name: 'svc', // trailing comment { snykOrgg: 1 }
    ${options}
  }),
);
`;

/** Unknown keys written every way the walk follows, and look-alikes it does not follow. */
const VARIANTS: [string, string][] = [
  ['correct keys', preset('nodeService', `registry: { region: 'eu-west-1', accountId: '1' }, overrides: { lint: false, ecsDeploy: { bake: 5 } }, notifications: notifyTo('#x', 'y'),`)],
  ['top-level typo', preset('nodeService', `snykOrgg: 'fintech',`)],
  ['nested typo', preset('reactApp', `registry: { regoin: 'eu-west-1' },`)],
  ['deep typo', preset('nodeService', `overrides: { ecsDeploy: { bak: 5 } },`)],
  ['string key typo', preset('nodeService', `'snykOrgg': 'fintech',`)],
  ['shorthand typo', preset('nodeService', `snykOrgg,`, 'const snykOrgg = 1;')],
  ['method typo', preset('nodeService', `snykOrgg() { return 1; },`)],
  ['spread of an object literal', preset('nodeService', `...{ snykOrgg: 'x' },`)],
  ['spread of a same-file const', preset('nodeService', `...extra,`, "const extra = { snykOrgg: 'x' };")],
  ['spread of a later same-file const', preset('nodeService', `...extra,`, "const a = 1, extra = { snykOrgg: 'x' };")],
  ['value from a same-file const', preset('nodeService', `registry,`, "const registry = { regoin: 'x' };")],
  ['value via a const property', preset('nodeService', `registry: shared.registry,`, "const shared = { registry: { regoin: 'x' } };")],
  ['value through as const', preset('nodeService', `registry: { regoin: 'x' } as const,`)],
  ['value through parentheses', preset('nodeService', `registry: ({ regoin: 'x' }),`)],
  ['value through an identity helper', preset('nodeService', `registry: definePipeline({ regoin: 'x' } as never),`)],
  ['computed key', preset('nodeService', `['snykOrgg']: 'x',`)],
  ['key from a const', preset('nodeService', `[KEY]: 'x',`, "const KEY = 'snykOrgg';")],
  ['aliased preset', preset('service', `snykOrgg: 'x',`).replace('nodeService, reactApp', 'nodeService as service, reactApp')],
  ['namespace import', preset('pw.nodeService', `snykOrgg: 'x',`).replace('import { definePipeline, nodeService, reactApp, sh }', 'import * as pw').replace('definePipeline(', 'pw.definePipeline(')],
  ['options from a const', preset('nodeService', '').replace('nodeService({', 'nodeService(options, {').replace('...org,', '').replace("name: 'svc',", '').replace('// trailing comment { snykOrgg: 1 }', ''), ],
  ['first argument a const', `import { definePipeline, nodeService } from 'pipewright';\nconst options = { snykOrgg: 'x' };\nexport default definePipeline(nodeService(options));\n`],
  ['second preset call', preset('nodeService', `name2: reactApp({ outputDirr: 'dist' }),`)],
  ['an unknown key in another call', preset('nodeService', `notifications: notifyTo('#x', { snykOrgg: 1 }),`)],
  ['a conditional value', preset('nodeService', `registry: process.env.X ? { regoin: 'a' } : undefined,`)],
  ['template with substitution', preset('nodeService', "name: `svc-${1}`,")],
  ['regular expression', preset('nodeService', "smokeTest: /x/.source,")],
  ['accessor', preset('nodeService', "get snykOrg() { return 'x'; },")],
];

describe('the lexical pass of the preset-option check', () => {
  it('is certain about the common shapes (the repository pipelines, correct keys)', () => {
    const payments = REPO_PIPELINES.find(([f]) => f === 'payments-api.pipeline.ts')![1];
    expect(certain(payments)).toBe(true);
    expect(certain(VARIANTS[0]![1])).toBe(true);
  });

  it.each([...REPO_PIPELINES, ...VARIANTS])('%s: certain only when the TypeScript walk finds nothing, and the check finds what the walk finds', (_name, text) => {
    const byWalk = walk(text);
    if (certain(text)) expect(byWalk).toEqual([]);
    expect(located(text)).toEqual(byWalk);
  });

  it('sees the unknown keys the walk reports (not certain about any of these)', () => {
    const reported = VARIANTS.filter(([, text]) => walk(text).length > 0).map(([name]) => name);
    // Each of these variants is one the walk reports: the test covers those paths.
    expect(reported).toEqual(expect.arrayContaining(['top-level typo', 'nested typo', 'deep typo', 'shorthand typo', 'method typo', 'spread of a same-file const', 'value from a same-file const', 'value through as const', 'aliased preset', 'namespace import', 'first argument a const']));
    for (const [name, text] of VARIANTS) if (reported.includes(name)) expect(certain(text), name).toBe(false);
  });

  it('is unsure, not wrong, about text it does not model', () => {
    for (const text of ["const a = '\\u0041';", 'const a = `${b}`;', 'const a = b / c;', 'const é = 1;', '@dec class A {}', 'const a = (;']) {
      expect(certain(`import { nodeService } from 'pipewright';\n${text}\nnodeService({});\n`)).toBe(false);
    }
    expect(certain(`import { nodeService } from 'pipewright';\nnodeService({ name: 'x' });\n`)).toBe(true);
  });
});
