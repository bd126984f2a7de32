/**
 * How the sandbox copies a default export into plain data, for values made to tell the ways of
 * reading a property apart: an own property is read with [[Get]] only when it is own at the
 * moment of reading and the object is not a proxy; a proxy is read through its descriptor trap;
 * each object once, however often it is referenced.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { loadPipelineModules, type LoadResult } from '../../src/load/loader.ts';
import { PipelineSchema } from '../../src/model/schema.ts';
import { isPlainTree } from '../../src/validate/plain-tree.ts';
import { validateSchema } from '../../src/validate/schema-issues.ts';
import { createProject, type TempProject } from './project.ts';

const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

async function loadFiles(files: Record<string, string>): Promise<{ result: LoadResult; project: TempProject }> {
  const project = await createProject(files);
  projects.push(project);
  const result = await loadPipelineModules(
    Object.keys(files).filter((file) => file.endsWith('.pipeline.ts')).map((file) => project.file(file)),
    { root: project.root },
  );
  return { result, project };
}

const TRICKY = `import { definePipeline } from 'pipewright';

let reads = 0;
const shared = {
  get counted() {
    reads += 1;
    return reads;
  },
};
const deleting: Record<string, unknown> = {
  get first() {
    delete deleting.toString;
    return 'first';
  },
  toString: 'own text',
};
const proxied = new Proxy({ k: 'target' } as Record<string, unknown>, {
  get: () => 'from get',
  getOwnPropertyDescriptor: () => ({ value: 'from descriptor', writable: true, enumerable: true, configurable: true }),
});
const setterOnly = Object.defineProperty({}, 'write', { set() {}, enumerable: true });
const withProto = JSON.parse('{"__proto__": {"inner": 1}, "plain": 2}');
const bare = Object.assign(Object.create(null), { b: 'bare' });
const args = (function (..._: string[]) {
  return arguments;
})('a', 'b');

export default definePipeline({
  agent: { type: 'any' },
  stages: [{ name: 'Build', steps: [{ kind: 'sh', script: 'make' } as never] }],
  x: shared,
  y: shared,
  deleting,
  proxied,
  setterOnly,
  withProto,
  bare,
  args,
} as never);
`;

const failing = (value: string) => `import { definePipeline } from 'pipewright';

export default definePipeline({ agent: { type: 'any' }, stages: [], bad: ${value} } as never);
`;

describe('copying default exports', () => {
  test('own properties at the time of reading, proxies through their descriptors, each object once', async () => {
    const { result } = await loadFiles({ 'pipelines/tricky.pipeline.ts': TRICKY });
    const [loaded] = result.modules;
    expect(loaded!.diagnostics).toEqual([]);
    const value = loaded!.value as Record<string, Record<string, unknown>>;
    // One read of the shared getter: both references hold its first result.
    expect(value.x).toEqual({ counted: 1 });
    expect(value.y).toEqual({ counted: 1 });
    // `toString` was deleted by the getter before it: not Object.prototype's function, not the old text.
    expect(Object.keys(value.deleting!)).toEqual(['first', 'toString']);
    expect(value.deleting!.first).toBe('first');
    expect(value.deleting!.toString).toBeUndefined();
    expect(value.proxied).toEqual({ k: 'from descriptor' });
    expect(Object.keys(value.setterOnly!)).toEqual(['write']);
    expect(value.setterOnly!.write).toBeUndefined();
    expect(Object.hasOwn(value.withProto!, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(value.withProto)).toBe(Object.prototype);
    expect(value.withProto!['__proto__']).toEqual({ inner: 1 });
    expect(value.withProto!.plain).toBe(2);
    expect(value.bare).toEqual({ b: 'bare' });
    expect(value.args).toEqual({ 0: 'a', 1: 'b' });
  });

  test('a value that travelled as JSON is marked a plain tree (validated without sharing bookkeeping); one with what JSON cannot say is not', async () => {
    const sharedStage = `import { definePipeline, sh } from 'pipewright';
const stage = { name: 'Build', steps: [sh('make')] };
export default definePipeline({ agent: 'any', stages: [stage, { name: 'Nested', stages: [stage] }], ANY } as never);
`;
    const { result, project } = await loadFiles({
      'pipelines/json.pipeline.ts': sharedStage.replace(', ANY', ''),
      'pipelines/exotic.pipeline.ts': sharedStage.replace('ANY', 'output: undefined'),
    });
    const value = (file: string) => result.modules.find((candidate) => candidate.file === project.file(file))!.value as { stages: { stages?: unknown[] }[] };
    const json = value('pipelines/json.pipeline.ts');
    const exotic = value('pipelines/exotic.pipeline.ts');
    expect(isPlainTree(json)).toBe(true);
    expect(isPlainTree(exotic)).toBe(false);
    // JSON made two stages of the shared one; the structured clone kept it shared, and so does validation.
    expect(json.stages[0]).not.toBe(json.stages[1]!.stages![0]);
    expect(exotic.stages[0]).toBe(exotic.stages[1]!.stages![0]);
    for (const loaded of [json, exotic]) {
      const pipeline = validateSchema(loaded).pipeline!;
      expect(pipeline).toEqual(PipelineSchema.parse(loaded));
      expect(pipeline.stages[0] === pipeline.stages[1]!.stages![0]).toBe(loaded === exotic);
    }
  });

  test('a reference met again is shared when it is not an enclosing object (also through arrays), a cycle when it is', async () => {
    const { result, project } = await loadFiles({
      'pipelines/diamond.pipeline.ts': failing(`(() => {
  const leaf = { name: 'leaf', list: ['a', 'b'] };
  const middle = [leaf, { inner: leaf }];
  return { first: middle, second: { again: middle, leaf }, exotic: undefined };
})()`),
      'pipelines/array-cycle.pipeline.ts': failing(`(() => { const list: unknown[] = ['x']; list.push({ back: [list] }); return { list }; })()`),
      'pipelines/deep-getter.pipeline.ts': failing(`{ list: [1, { ok: 2, get broken() { throw new Error('late'); } }] }`),
    });
    const loaded = (name: string) => result.modules.find((candidate) => candidate.file === project.file(`pipelines/${name}.pipeline.ts`))!;
    const diamond = loaded('diamond');
    expect(diamond.diagnostics).toEqual([]);
    const bad = (diamond.value as { bad: { first: unknown[]; second: { again: unknown[]; leaf: unknown } } }).bad;
    // Travelled as a structured clone (it holds undefined): the sharing is the module's.
    expect(bad.second.again).toBe(bad.first);
    expect(bad.second.leaf).toBe(bad.first[0]);
    expect((bad.first[1] as { inner: unknown }).inner).toBe(bad.first[0]);
    expect(bad.first[0]).toEqual({ name: 'leaf', list: ['a', 'b'] });
    const cycle = loaded('array-cycle');
    expect(cycle.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path, diagnostic.found])).toEqual([
      ['PW1006', ['bad', 'list', 1, 'back', 0], 'a reference to an enclosing object (a cycle)'],
    ]);
    const getter = loaded('deep-getter');
    expect(getter.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path, diagnostic.found])).toEqual([
      ['PW1006', ['bad', 'list', 1, 'broken'], 'a property whose getter threw (Error: late)'],
    ]);
  });

  test('what is not plain data is reported at its path, from plain objects and proxies alike', async () => {
    const cases: Record<string, { value: string; found: RegExp }> = {
      getter: { value: `{ ok: 1, get broken() { throw new Error('boom'); } }`, found: /^a property whose getter threw \(Error: boom\)$/ },
      proxy: {
        value: `new Proxy({ k: 1 }, { getOwnPropertyDescriptor() { throw new TypeError('trap'); } })`,
        found: /^(a property whose getter threw|an object whose keys cannot be listed) \(TypeError: trap\)$/,
      },
      cycle: { value: `(() => { const o: Record<string, unknown> = {}; o.self = o; return o; })()`, found: /^a reference to an enclosing object \(a cycle\)$/ },
      instance: { value: `new (class Thing {})()`, found: /^an instance of Thing$|^an object that is not plain data$/ },
      inherited: { value: `Object.create({ fromPrototype: () => 1 })`, found: /^an object that is not plain data|^an instance of/ },
      fn: { value: `[1, () => 2]`, found: /^a function$/ },
    };
    const files = Object.fromEntries(Object.entries(cases).map(([name, { value }]) => [`pipelines/${name}.pipeline.ts`, failing(value)]));
    const { result, project } = await loadFiles(files);
    for (const [name, { found }] of Object.entries(cases)) {
      const loaded = result.modules.find((candidate) => candidate.file === project.file(`pipelines/${name}.pipeline.ts`))!;
      expect(loaded.diagnostics.map((diagnostic) => diagnostic.code), name).toEqual(['PW1006']);
      expect(loaded.diagnostics[0]!.found, name).toMatch(found);
      expect(loaded.diagnostics[0]!.path?.[0], name).toBe('bad');
    }
  });
});
