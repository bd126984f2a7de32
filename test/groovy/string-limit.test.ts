/**
 * Issue #10.5: a string longer than 65,535 bytes of modified UTF-8 parses, but Groovy 2.4.21
 * refuses it at class generation, the phase Jenkins runs. The real Groovy, compiled to
 * Phases.CLASS_GENERATION, decides where the limit is; pipewright must agree on both sides of it
 * and refuse such strings at the author's line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { block, call, positional, str, type JenkinsfileAst } from '../../src/jenkinsfile/ast.ts';
import {
  MAX_STRING_CONSTANT_BYTES,
  StringConstantTooLongError,
  fitsStringConstant,
  groovyMultilineStringLiteral,
  groovyStringLiteral,
  modifiedUtf8Length,
} from '../../src/jenkinsfile/groovy-literal.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { createTempProject, type TempProject } from '../support/temp-project.ts';
import { groovyCompile, groovyParse, jenkinsfilesBelow } from './client.ts';

/** `sh '<value>'` with the value's characters written raw (NUL as `\u0000`): no escaping helper involved. */
function shSource(value: string): string {
  return `sh '${value.replaceAll('\u0000', '\\u0000')}'\n`;
}

/** Values just inside and just outside the limit, for each UTF-8 width (as the JVM counts it). */
const BOUNDARY_CASES: { name: string; fits: string; tooLong: string }[] = [
  { name: 'ASCII (1 byte)', fits: 'a'.repeat(65_535), tooLong: 'a'.repeat(65_536) },
  { name: 'é (2 bytes)', fits: `${'é'.repeat(32_767)}a`, tooLong: 'é'.repeat(32_768) },
  { name: 'NUL (2 bytes in modified UTF-8)', fits: `${'\u0000'.repeat(32_767)}a`, tooLong: '\u0000'.repeat(32_768) },
  { name: '€ (3 bytes)', fits: '€'.repeat(21_845), tooLong: `${'€'.repeat(21_845)}a` },
  { name: '😀 (a surrogate pair, 6 bytes)', fits: `${'😀'.repeat(10_922)}aaa`, tooLong: `${'😀'.repeat(10_922)}aaaa` },
];

describe('the 65,535-byte string constant limit, with the real Groovy at CLASS_GENERATION', () => {
  it('modifiedUtf8Length counts as the JVM does', () => {
    expect(modifiedUtf8Length('')).toBe(0);
    expect(modifiedUtf8Length('a\u007f')).toBe(2);
    expect(modifiedUtf8Length('\u0000')).toBe(2);
    expect(modifiedUtf8Length('é\u07ff')).toBe(4);
    expect(modifiedUtf8Length('\u0800€\uffff')).toBe(9);
    expect(modifiedUtf8Length('😀')).toBe(6);
    expect(modifiedUtf8Length('\ud800')).toBe(3);
  });

  it.each(BOUNDARY_CASES)('$name: Groovy and fitsStringConstant agree on both sides of the limit', async ({ fits, tooLong }) => {
    expect(modifiedUtf8Length(fits)).toBe(MAX_STRING_CONSTANT_BYTES);
    expect(modifiedUtf8Length(tooLong)).toBeGreaterThan(MAX_STRING_CONSTANT_BYTES);
    const [inside, outside] = await groovyCompile([
      { name: 'fits.groovy', text: shSource(fits) },
      { name: 'too-long.groovy', text: shSource(tooLong) },
    ]);
    expect(inside).toMatchObject({ ok: true, errors: [] });
    expect(outside!.ok).toBe(false);
    expect(outside!.errors.map((e) => e.message).join('\n')).toMatch(/String too long|UTF8 string too large/);
    expect(fitsStringConstant(fits)).toBe(true);
    expect(fitsStringConstant(tooLong)).toBe(false);
  });

  it('parsing alone does not find it: a multi-byte string over the limit parses and fails only at class generation', async () => {
    const text = shSource('é'.repeat(32_768));
    const [parsed] = await groovyParse([{ name: 'x.groovy', text }]);
    const [compiled] = await groovyCompile([{ name: 'x.groovy', text }]);
    expect(parsed!.ok).toBe(true);
    expect(compiled!.ok).toBe(false);
  });

  it('the literal writers refuse a value over the limit and write one at the limit that Groovy compiles', async () => {
    for (const { fits, tooLong } of BOUNDARY_CASES) {
      expect(() => groovyStringLiteral(tooLong)).toThrow(StringConstantTooLongError);
      expect(() => groovyMultilineStringLiteral(`${tooLong}\n`)).toThrow(StringConstantTooLongError);
    }
    const results = await groovyCompile(
      BOUNDARY_CASES.map(({ name, fits }) => ({ name, text: `echo ${groovyStringLiteral(fits)}\nsh ${groovyMultilineStringLiteral(`${fits.slice(1)}\n`)}\n` })),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('the printer credits a too-long string to the node it came from (safety net behind the structure rule)', () => {
    const ast: JenkinsfileAst = {
      type: 'Jenkinsfile',
      pipeline: block('pipeline', [call('sh', positional(str('a'.repeat(65_536))), undefined, ['stages', 0, 'steps', 0])]),
    };
    let thrown: unknown;
    try {
      printJenkinsfile(ast);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StringConstantTooLongError);
    expect(thrown).toMatchObject({ bytes: 65_536, origin: ['stages', 0, 'steps', 0] });
  });
});

describe('compiling a pipeline with a string over the limit', () => {
  const projects: TempProject[] = [];
  afterAll(() => {
    for (const project of projects) project.remove();
  });

  const project = (pipeline: string) => {
    const created = createTempProject({ 'pipelines/big.pipeline.ts': pipeline });
    projects.push(created);
    return created;
  };

  it("sh('a'.repeat(70000)) is an error at the sh line, with the property path, and nothing is emitted", async () => {
    const root = project(`import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: 'any',
  stages: [
    {
      name: 'Build',
      steps: [
        sh('make'),
        sh('a'.repeat(70000)),
      ],
    },
  ],
});
`).root;
    const run = await compileProject({ root, resultCache: false });
    const [compiled] = run.pipelines;
    expect(compiled!.jenkinsfile).toBeUndefined();
    const errors = compiled!.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'PW3034',
      path: ['stages', 0, 'steps', 1, 'script'],
      location: { file: 'pipelines/big.pipeline.ts', line: 10 },
      message: expect.stringContaining('70000 bytes'),
    });
  });

  it('a key, an environment value and a string literal inside a script body are checked too', async () => {
    const root = project(`import { definePipeline, echo, script, step } from 'pipewright';

const big = 'é'.repeat(40000);
export default definePipeline({
  agent: 'any',
  environment: { LONG: big },
  stages: [
    {
      name: 'Build',
      steps: [
        step('recordIssues', { [big]: true }),
        script("def x = '" + big + "'\\necho x"),
        script('def fine = 1\\n// ' + big),
        echo('short'),
      ],
    },
  ],
});
`).root;
    const run = await compileProject({ root, resultCache: false });
    const errors = run.pipelines[0]!.diagnostics.filter((d) => d.severity === 'error');
    const big = 'é'.repeat(40000);
    expect(errors.map((d) => [d.code, d.path])).toEqual([
      ['PW3034', ['stages', 0, 'steps', 1, 'groovy']],
      ['PW3034', ['environment', 'LONG']],
      ['PW3034', ['stages', 0, 'steps', 0, 'args', big]],
    ]);
    expect(errors[0]!.message).toMatch(/^script: the string literal at line 1, column 9: this string is 80000 bytes/);
  });

  it('a string exactly at the limit compiles, and Groovy compiles the Jenkinsfile to class generation', async () => {
    const root = project(`import { definePipeline, sh } from 'pipewright';

export default definePipeline({
  agent: 'any',
  stages: [{ name: 'Build', steps: [sh('é'.repeat(32767) + 'a')] }],
});
`).root;
    const run = await compileProject({ root, resultCache: false });
    const [compiled] = run.pipelines;
    expect(compiled!.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const [result] = await groovyCompile([{ name: 'Jenkinsfile', text: compiled!.jenkinsfile! }]);
    expect(result).toMatchObject({ ok: true, errors: [] });
  });
});

describe('the Jenkinsfiles this repository generates and keeps as golden files', () => {
  it('compile with Groovy 2.4.21 to class generation, not only parse', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    const files = [...jenkinsfilesBelow(`${root}generated`), ...jenkinsfilesBelow(`${root}test/golden`)];
    expect(files.length).toBeGreaterThan(20);
    const failed = (await groovyCompile(files)).filter((result) => !result.ok);
    expect(failed).toEqual([]);
  });
});
