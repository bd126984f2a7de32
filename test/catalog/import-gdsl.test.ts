/**
 * importGdsl on GDSL served by real controllers (test/catalog/fixtures/gdsl/README.md says where
 * each comes from), and on the hand-written forms of the subset it documents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GDSL_UNKNOWN_PLUGIN, GdslSyntaxError, importGdsl } from '../../src/catalog/import/gdsl.ts';
import { CatalogSchema } from '../../src/catalog/schema.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'gdsl');
const REAL = ['storybookM3.gdsl', 'wkobiela-jenkins.gdsl', 'melosys-api.gdsl'];
const read = (file: string) => readFileSync(join(FIXTURES, file), 'utf8');

/** Step names and which contributor they are in, read from the text line by line (an independent reading). */
function namesByContributor(text: string): { script: Set<string>; node: Set<string> } {
  const script = new Set<string>();
  const node = new Set<string>();
  let current: Set<string> | undefined;
  for (const line of text.split('\n')) {
    if (/^contributor\(ctx\)/.test(line.trim())) current = script;
    if (/^contributor\(nodeCtx\)/.test(line.trim())) current = node;
    const match = /^\s*method\(name: '([^']+)'/.exec(line);
    if (match && current) current.add(match[1]!);
  }
  return { script, node };
}

describe('importGdsl on real controller GDSL', () => {
  for (const file of REAL) {
    it(`${file}: every step of both contributors, node steps marked, a valid catalog`, () => {
      const text = read(file);
      const { catalog } = importGdsl(text, { name: file });
      expect(CatalogSchema.safeParse(catalog).success).toBe(true);
      const expected = namesByContributor(text);
      expect(expected.script.size + expected.node.size).toBeGreaterThan(50);
      const names = catalog.steps.map((s) => s.name);
      expect(new Set(names)).toEqual(new Set([...expected.script, ...expected.node]));
      expect(names).toEqual([...names].sort());
      for (const step of catalog.steps) {
        expect(step.requiresNode, step.name).toBe(expected.node.has(step.name));
        expect(step.plugin).toBe(GDSL_UNKNOWN_PLUGIN);
      }
      expect(catalog).toMatchObject({ source: 'gdsl', complete: false, plugins: [], describables: [] });
    });
  }

  it('reads parameters, defaults, blocks and advanced steps as the controller wrote them', () => {
    const { catalog, globals } = importGdsl(read('storybookM3.gdsl'));
    const step = (name: string) => {
      const found = catalog.steps.find((s) => s.name === name);
      if (!found) throw new Error(`no step ${name}`);
      return found;
    };
    // method(name: 'sh', params: [script:'java.lang.String']) + namedParams: script is the required default.
    expect(step('sh')).toMatchObject({ requiresNode: true, takesBlock: false, defaultParameter: 'script', doc: 'Shell Script' });
    expect(step('sh').parameters.map((p) => [p.name, p.type.kind, p.required])).toEqual([
      ['script', 'string', true],
      ['encoding', 'string', false],
      ['label', 'string', false],
      ['returnStatus', 'boolean', false],
      ['returnStdout', 'boolean', false],
    ]);
    // params: [body:Closure], namedParams: [time int, activity boolean, unit TimeUnit] + params: [time:int, body:'Closure'].
    const timeout = step('timeout');
    expect(timeout).toMatchObject({ takesBlock: true, requiresNode: false, defaultParameter: 'time' });
    expect(timeout.parameters.find((p) => p.name === 'time')).toEqual({ name: 'time', type: { kind: 'number', integer: true }, required: true });
    expect(timeout.parameters.find((p) => p.name === 'unit')?.type).toEqual({ kind: 'enum', values: ['NANOSECONDS', 'MICROSECONDS', 'MILLISECONDS', 'SECONDS', 'MINUTES', 'HOURS', 'DAYS'] });
    // Unquoted type in params: [colorMapName:java.lang.String, body:'Closure'].
    expect(step('ansiColor')).toMatchObject({ takesBlock: true, defaultParameter: 'colorMapName', parameters: [{ name: 'colorMapName', type: { kind: 'string' }, required: true }] });
    // Only a namedParams variant: two or more required parameters, listed first.
    expect(step('writeFile').parameters.map((p) => [p.name, p.required])).toEqual([
      ['file', true],
      ['text', true],
      ['encoding', false],
    ]);
    expect(step('writeFile').defaultParameter).toBeUndefined();
    // 'Advanced/Deprecated ' prefix: advanced, and not part of the doc.
    expect(step('withDockerContainer')).toMatchObject({ advanced: true, doc: 'Run build steps inside a Docker container', requiresNode: true });
    // params: [:] — no parameters.
    expect(step('deleteDir').parameters).toEqual([]);
    // 'Map' is GDSL's word for any non-java.* class: unknown, not a map; java.util.Map is a map.
    expect(step('publishHTML').parameters).toEqual([{ name: 'target', type: { kind: 'unknown', javaType: 'Map' }, required: true }]);
    expect(step('parallel').parameters[0]).toEqual({ name: 'closures', type: { kind: 'map' }, required: true });
    expect(step('sshagent').parameters[0]).toEqual({ name: 'credentials', type: { kind: 'list', of: { kind: 'unknown' } }, required: true });
    expect(globals.map((g) => g.name)).toEqual(expect.arrayContaining(['currentBuild', 'docker', 'env', 'params', 'scm']));
  });

  it("reports the controller's '// Errors on:' trailer as warnings", () => {
    const { warnings, catalog } = importGdsl(read('melosys-api.gdsl'));
    expect(warnings.some((w) => w.includes('org.jenkinsci.plugins.workflow.cps.steps.ParallelStep'))).toBe(true);
    expect(catalog.steps.some((s) => s.name === 'parallel')).toBe(false);
  });
});

describe('importGdsl on the documented subset', () => {
  it('inline contexts, enclosingCall conditions, type contributors and nested closures', () => {
    const text = `
      /* block comment */
      contributor(context(scope: closureScope())) {
        if (enclosingCall('node')) {
          method(name: 'inNode', type: 'Object', params: [path: "java.lang.String"], doc: "It's \\"quoted\\" \${notInterpolated}")
        } else {
          method(name: 'outside', type: 'Object', params: [:], doc: 'Out')
        }
        if (enclosingCall('agent')) {
          method(name: 'label', type: 'String', params: [expr: 'String'])
        }
        if (enclosingCall("steps") || enclosingCall("post")) {
          method(name: 'onlyInSteps', type: 'Object', params: [:])
        }
      }
      def types = context(ctype: 'org.jenkinsci.plugins.workflow.cps.RunWrapperBinder')
      contributor(types) {
        method(name: 'resultIsBetterOrEqualTo', type: 'Boolean', params: [buildStatus: 'String'])
      }
      def scriptCtx = context(scope: scriptScope()); contributor(scriptCtx) { method(name: 'top', type: 'Object', params: [items: 'java.lang.String[]', n: 'long']) }
    `;
    const { catalog, warnings } = importGdsl(text);
    expect(catalog.steps.map((s) => [s.name, s.requiresNode])).toEqual([
      ['inNode', true],
      ['outside', false],
      ['top', false],
    ]);
    expect(catalog.steps[0]!.doc).toBe('It\'s "quoted" ${notInterpolated}');
    expect(catalog.steps[2]!.parameters.map((p) => p.type)).toEqual([{ kind: 'list', of: { kind: 'string' } }, { kind: 'number', integer: true }]);
    expect(warnings.some((w) => w.includes("enclosingCall('agent')"))).toBe(true);
    expect(warnings.some((w) => w.includes("enclosingCall('steps') or enclosingCall('post')"))).toBe(true);
    expect(warnings.some((w) => w.includes('type context'))).toBe(true);
  });

  it('warns when the text has no step contributor (a Jenkinsfile saved as pipeline.gdsl)', () => {
    const { catalog, warnings } = importGdsl("pipeline {\n  agent { label 'linux' }\n  stages { stage('A') { steps { sh 'make' } } }\n}\n");
    expect(catalog.steps).toEqual([]);
    expect(warnings).toEqual(['no method or property in a step contributor: is this the GDSL of JENKINS_URL/pipeline-syntax/gdsl?']);
  });

  it('never runs the text: Groovy code in it is data or a syntax error, with the line', () => {
    const code = `def ctx = context(scope: scriptScope())\ncontributor(ctx) {\n  method(name: 'x', type: 'Object', params: [:], doc: "\${new File('/tmp/owned').text}")\n}\n`;
    expect(importGdsl(code).catalog.steps[0]!.doc).toBe("${new File('/tmp/owned').text}");
    expect(() => importGdsl("contributor(ctx) {\n  method(name: 'x', doc: 'unterminated)\n}")).toThrow(GdslSyntaxError);
    try {
      importGdsl("def ctx = context(scope: scriptScope())\ncontributor(ctx) {\n  method(name: 'x' type: 'Object')\n}");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GdslSyntaxError);
      expect((error as GdslSyntaxError).line).toBe(3);
    }
  });
});
