/**
 * The index against a plain reference walk, on varied generated models (issue #14: the index
 * walk reads each step's properties once, and scans values for raw Groovy only where a first pass
 * says some may be). Every step object anywhere in the model must be a step site at its own path,
 * every `{ $groovy }` value and `when` expression a Groovy source at its path, and the strings
 * walk must visit every string outside `suppressions` with its path, whatever the nesting
 * (parallel, matrix, nested stages, post, wrappers, steps inside wrappers inside post).
 */
import { describe, expect, it } from 'vitest';
import type { ModelPath } from '../../src/diagnostics.ts';
import type { ValidPipeline } from '../../src/model/schema.ts';
import { indexPipeline } from '../../src/policy/model-index.ts';

/** A small deterministic generator (linear congruential), so that a failure can be replayed. */
function generator(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick, chance: (p: number) => next() < p };
}

const GROOVY = ["sh 'make'", "withAWS(role: 'deployer') { sh 'aws ecs update-service' }", "helper { echo 'x' }", 'env.A == "1"'];

/** A pipeline-shaped value with steps, wrappers and Groovy in every place the index looks. */
function randomModel(seed: number): ValidPipeline {
  const { next, pick, chance } = generator(seed);
  const groovy = () => ({ $groovy: pick(GROOVY) });
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 2 || r < 0.4) return pick(['text', 'a longer string value', 'x']);
    if (r < 0.55) return groovy();
    if (r < 0.75) return [value(depth + 1), value(depth + 1)];
    return { url: value(depth + 1), fields: value(depth + 1), expression: 'not a when' };
  };
  const steps = (depth: number): unknown[] => Array.from({ length: 1 + Math.floor(next() * 3) }, () => step(depth));
  const step = (depth: number): unknown => {
    const r = next();
    const withSuppression = chance(0.1) ? { suppressions: [{ rule: 'FLOW-001', reason: 'r', owner: 'o' }] } : {};
    if (r < 0.2) return { step: 'sh', script: pick(['make', 'npm test']), ...withSuppression };
    if (r < 0.35) return { step: 'script', groovy: pick(GROOVY) };
    if (r < 0.5 && depth < 3) return { step: 'withCredentials', bindings: [{ type: 'string', credentialsId: 'c', variable: 'V' }], steps: steps(depth + 1) };
    if (r < 0.65 && depth < 3) return { step: 'step', name: pick(['withAWS', 'sshagent', 'dir']), args: chance(0.5) ? { role: 'r', arg: groovy() } : ['key'], body: steps(depth + 1) };
    if (r < 0.8) return { step: 'step', name: 'httpRequest', args: value(0), ...withSuppression };
    return { step: 'echo', message: chance(0.3) ? groovy() : 'done' };
  };
  const post = () => Object.fromEntries(['always', 'failure', 'cleanup'].filter(() => chance(0.4)).map((c) => [c, steps(1)]));
  const when = () => pick([{ branch: 'main' }, { expression: pick(GROOVY) }, { allOf: [{ branch: 'main' }, { expression: 'params.X' }] }, { equals: { expected: 'x', actual: groovy() } }]);
  const stages = (depth: number): unknown[] => Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => stage(depth, i));
  const stage = (depth: number, i: number): Record<string, unknown> => {
    const s: Record<string, unknown> = { name: `S${depth}.${i}` };
    if (chance(0.3)) s['when'] = when();
    if (chance(0.3)) s['environment'] = { A: 'x', TOKEN: { credentials: 'tok' }, G: groovy() };
    if (chance(0.2)) s['agent'] = { type: 'docker', image: 'node', args: groovy() };
    if (chance(0.1)) s['options'] = { custom: [{ name: 'c', args: groovy() }] };
    const r = next();
    if (depth < 3 && r < 0.15) s['stages'] = stages(depth + 1);
    else if (depth < 3 && r < 0.3) s['parallel'] = stages(depth + 1);
    else if (depth < 3 && r < 0.45) s['matrix'] = { axes: [], when: when(), environment: { M: groovy() }, stages: stages(depth + 1), post: post() };
    else s['steps'] = steps(0);
    if (chance(0.4)) s['post'] = post();
    return s;
  };
  const model: Record<string, unknown> = { agent: { type: 'any' }, stages: stages(0), post: post() };
  if (chance(0.5)) model['environment'] = { P: groovy(), S: 'x' };
  if (chance(0.3)) model['parameters'] = [{ type: 'string', name: 'P', defaultValue: groovy() }];
  if (chance(0.3)) model['groovyPrologue'] = pick(GROOVY);
  if (chance(0.3)) model['groovyEpilogue'] = pick(GROOVY);
  return model as unknown as ValidPipeline;
}

const isStep = (value: unknown): boolean => typeof value === 'object' && value !== null && typeof (value as { step?: unknown }).step === 'string';
const key = (path: ModelPath) => JSON.stringify(path);

/** The reference: every step object and every raw Groovy source of the model, by path, with a generic walk. */
function reference(model: ValidPipeline) {
  const steps = new Map<string, unknown>();
  const groovy: string[] = [];
  const strings: [string, string | undefined, string][] = [];
  const walk = (value: unknown, path: (string | number)[], key: string | undefined, inWhen: boolean) => {
    if (typeof value === 'string') strings.push([value, key, JSON.stringify(path)]);
    if (typeof value !== 'object' || value === null) return;
    const stepList = Array.isArray(value) && value.length > 0 && value.every(isStep);
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (stepList) steps.set(JSON.stringify([...path, i]), item);
        walk(item, [...path, i], key, inWhen);
      });
      return;
    }
    for (const [k, item] of Object.entries(value)) {
      if (k === 'suppressions') continue;
      const here = [...path, k];
      if ((k === '$groovy' || (inWhen && k === 'expression')) && typeof item === 'string') groovy.push(JSON.stringify(here));
      if (k === 'groovy' && isStep(value) && (value as { step: string }).step === 'script') groovy.push(JSON.stringify(here));
      if ((k === 'groovyPrologue' || k === 'groovyEpilogue') && path.length === 0) groovy.push(JSON.stringify(here));
      walk(item, here, k, inWhen || k === 'when');
    }
  };
  walk(model, [], undefined, false);
  return { steps, groovy, strings };
}

describe('index walk (against a plain reference walk on generated models)', () => {
  it('indexes every step at its path and every Groovy source, and walks every string', () => {
    let sites = 0;
    let sources = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const model = randomModel(seed);
      const index = indexPipeline(model);
      const expected = reference(model);
      const modelSteps = index.steps.filter((s) => s.origin === 'model');
      expect(new Map(modelSteps.map((s) => [key(s.path), s.step])), `seed ${seed}`).toEqual(expected.steps);
      for (const s of modelSteps) expect(s.step, `seed ${seed} ${key(s.path)}`).toBe(expected.steps.get(key(s.path)));
      expect(index.groovy.map((g) => key(g.path)).sort(), `seed ${seed}`).toEqual([...expected.groovy].sort());
      // A step's wrappers are the steps whose path holds it.
      for (const s of modelSteps) {
        const wrappers = [...expected.steps.keys()].filter((p) => {
          const outer = JSON.parse(p) as ModelPath;
          return outer.length < s.path.length && outer.every((part, i) => s.path[i] === part);
        });
        expect(s.enclosing.map((e) => key(e.path)), `seed ${seed} ${key(s.path)}`).toEqual(wrappers.sort((a, b) => a.length - b.length));
      }
      const visited: [string, string | undefined, string][] = [];
      index.forEachString((value, name, path) => visited.push([value, name, JSON.stringify(path())]));
      expect(visited, `seed ${seed}`).toEqual(expected.strings);
      sites += modelSteps.length;
      sources += index.groovy.length;
    }
    // The generator reaches every kind of place (not an empty comparison).
    expect(sites).toBeGreaterThan(1_000);
    expect(sources).toBeGreaterThan(300);
  });

  it('visits with a filter exactly the strings the filter lets through, with the same keys and paths', () => {
    const filter = { minLength: 8, skipKeys: new Set(['name', 'step', 'url']) };
    let kept = 0;
    let left = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const index = indexPipeline(randomModel(seed));
      const all: [string, string | undefined, string][] = [];
      index.forEachString((value, name, path) => all.push([value, name, JSON.stringify(path())]));
      const filtered: typeof all = [];
      index.forEachString((value, name, path) => filtered.push([value, name, JSON.stringify(path())]), filter);
      const expected = all.filter(([value, name]) => value.length >= filter.minLength && !(name !== undefined && filter.skipKeys.has(name)));
      expect(filtered, `seed ${seed}`).toEqual(expected);
      kept += expected.length;
      left += all.length - expected.length;
    }
    expect(kept).toBeGreaterThan(100);
    expect(left).toBeGreaterThan(100);
  });
});
