/**
 * The validator's catalog lookups keep what they compute per catalog object (step and method
 * models, parameter tables): two catalogs that differ in one step's or option's parameters, used
 * one after the other (and alternately), each get their own answer, as a fresh lookup would.
 */
import { describe, expect, test } from 'vitest';
import { defaultCatalog } from '../../src/catalog/index.ts';
import type { Catalog } from '../../src/catalog/schema.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { catalogLookup, parameterTable } from '../../src/jenkinsfile/catalog-lookup.ts';
import { validateJenkinsfile } from '../../src/jenkinsfile/validate.ts';

const bundled = defaultCatalog();

/** The bundled catalog with `sh`'s `label` renamed `title` (a copy: the bundled one is shared). */
const shWithTitle: Catalog = {
  ...bundled,
  steps: bundled.steps.map((s) => (s.name === 'sh' ? { ...s, parameters: s.parameters.map((p) => (p.name === 'label' ? { ...p, name: 'title' } : p)) } : s)),
};

/** The bundled catalog with `timeout`'s `unit` required (the step and the `wrapper` option). */
const timeoutNeedsUnit: Catalog = {
  ...bundled,
  steps: bundled.steps.map((s) => (s.name === 'timeout' ? { ...s, parameters: s.parameters.map((p) => (p.name === 'unit' ? { ...p, required: true } : p)) } : s)),
  describables: bundled.describables.map((d) =>
    d.symbol === 'timeout' ? { ...d, parameters: d.parameters.map((p) => (p.name === 'unit' ? { ...p, required: true } : p)) } : d,
  ),
};

const file = `pipeline {
  agent any
  options {
    timeout(time: 5)
  }
  stages {
    stage('Build') {
      steps {
        sh(script: 'make', label: 'build')
        timeout(time: 1) {
          sh(script: 'make test', title: 'test')
        }
      }
    }
  }
}
`;

const messages = (catalog: Catalog) => {
  const { ast } = parseJenkinsfile(file);
  return validateJenkinsfile(ast!, { catalog }).map((d) => `${d.code} ${d.location?.line}: ${d.message}`);
};

describe('catalog lookup memos', () => {
  test('catalogs that differ in a step\'s parameters each get their own diagnostics, in any order', () => {
    const fresh = {
      bundled: messages(bundled),
      title: messages(shWithTitle),
      unit: messages(timeoutNeedsUnit),
    };
    // The catalogs do disagree on this file.
    expect(fresh.bundled.some((m) => m.includes('Invalid parameter "title"'))).toBe(true);
    expect(fresh.title.some((m) => m.includes('Invalid parameter "label"'))).toBe(true);
    // The step only: an option's arguments are counted against its required parameters.
    expect(fresh.unit.filter((m) => m.includes('Missing required parameter: "unit"'))).toHaveLength(1);
    expect(fresh.unit.some((m) => m.includes('"timeout" should have 2 arguments'))).toBe(false);
    expect(fresh.bundled.some((m) => m.includes('"unit"'))).toBe(false);
    for (let round = 0; round < 3; round++) {
      expect(messages(shWithTitle)).toEqual(fresh.title);
      expect(messages(bundled)).toEqual(fresh.bundled);
      expect(messages(timeoutNeedsUnit)).toEqual(fresh.unit);
    }
  });

  test('models and parameter tables answer for the catalog asked', () => {
    const a = catalogLookup(bundled).stepModel('sh')!;
    const b = catalogLookup(shWithTitle).stepModel('sh')!;
    expect(parameterTable(a.parameters).byName.has('label')).toBe(true);
    expect(parameterTable(b.parameters).byName.has('label')).toBe(false);
    expect(parameterTable(b.parameters).byName.has('title')).toBe(true);
    const required = (c: Catalog) => parameterTable(catalogLookup(c).methodModel('timeout', ['jobProperty', 'option', 'wrapper'])!.parameters).required.map((p) => p.name);
    expect(required(bundled)).toEqual(['time']);
    expect(required(timeoutNeedsUnit)).toEqual(['time', 'unit']);
    expect(parameterTable(catalogLookup(timeoutNeedsUnit).stepModel('timeout')!.parameters).required.map((p) => p.name)).toEqual(['time', 'unit']);
    expect(parameterTable(catalogLookup(bundled).stepModel('timeout')!.parameters).required.map((p) => p.name)).toEqual(['time']);
    // A name the catalog lacks stays unknown.
    expect(catalogLookup(bundled).stepModel('noSuchStep')).toBeUndefined();
    expect(catalogLookup(bundled).stepModel('noSuchStep')).toBeUndefined();
  });
});
