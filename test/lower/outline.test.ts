/**
 * src/lower/outline.ts: pipewright's own Groovy snippets leave the pipeline block for helper
 * methods after it (Jenkins compiles the whole pipeline block into one method of at most 64 KB of
 * bytecode); an author's own script steps stay where they were written; the file still parses with
 * Groovy 2.4.21 and the pipeline method gets smaller.
 */
import { describe, expect, it } from 'vitest';
import type { CallStatement, JenkinsfileAst, Statement } from '../../src/jenkinsfile/ast.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { estimateMethodSize } from '../../src/limits/method-size.ts';
import { lowerPipeline } from '../../src/lower/index.ts';
import { PipelineSchema, type Pipeline, type ValidPipeline } from '../../src/model/schema.ts';
import { notify, slack } from '../../src/presets/steps.ts';
import { expectValidJenkinsfiles } from '../support/jenkinsfile-check.ts';

function lower(pipeline: Pipeline): { ast: JenkinsfileAst; text: string } {
  const ast = lowerPipeline(PipelineSchema.parse(pipeline) as ValidPipeline);
  return { ast, text: printJenkinsfile(ast).text };
}

function* walk(list: readonly Statement[]): Generator<Statement> {
  for (const statement of list) {
    yield statement;
    if (statement.type === 'Call' && statement.body) yield* walk(statement.body);
  }
}

const target = [slack('#deploys', 'slack-bot-token')];
const pipeline: Pipeline = {
  agent: 'none',
  stages: [
    {
      name: 'Test',
      agent: { type: 'label', label: 'linux' },
      steps: [
        { step: 'npmRun', script: 'test', junit: 'reports/junit/*.xml', archive: 'coverage/**' },
        { step: 'script', groovy: "echo 'the author wrote this'" },
      ],
    },
    { name: 'Tell', agent: 'none', steps: [notify('deployed', target, { service: 'api', environment: 'dev' })] },
    { name: 'Tell again', agent: 'none', steps: [notify('deployed', target, { service: 'api', environment: 'dev' })] },
  ],
  groovyEpilogue: 'def pwNotify1() { echo "the author\'s own method" }',
};

describe('outlining generator snippets', () => {
  const { ast, text } = lower(pipeline);
  const statements = [...walk(ast.pipeline.body ?? [])];

  it('replaces each snippet with a call and defines the helper after the pipeline block', () => {
    const calls = statements.filter((s): s is CallStatement => s.type === 'Call' && /^pw[A-Z]\w*\d+$/.test(s.name));
    // Consecutive snippets (junit, then archiveArtifacts) share one helper; two identical notifications share one.
    expect(calls.map((c) => c.name)).toEqual(['pwNpmRun1', 'pwNotify2', 'pwNotify2']);
    expect(ast.epilogue).toContain("def pwNpmRun1() {\n  junit('reports/junit/*.xml')\n  archiveArtifacts(artifacts: 'coverage/**', allowEmptyArchive: true, fingerprint: true)\n}");
    expect(ast.epilogue).toContain("def pwNotify2() {\n  slackSend(channel: '#deploys'");
    // The author's epilogue comes first and its pwNotify1 is not shadowed.
    expect(ast.epilogue!.startsWith('def pwNotify1() { echo "the author\'s own method" }')).toBe(true);
    expect(ast.epilogue!.match(/^def pwNotify1\(\)/gm)).toHaveLength(1);
    // Calls keep the origin of what they replace.
    expect(calls[0]!.origin).toEqual(['stages', 0, 'steps', 0]);
  });

  it("takes a name the author's Groovy holds only inside a longer word", () => {
    const epilogue = 'def pwNotify1x() { }\ndef my_pwNotify2() { }\n// pwNotify3';
    const names = (text: string) => [...text.matchAll(/^def (pw\w+)\(\)/gm)].map((m) => m[1]);
    const helpers = lower({ ...pipeline, groovyEpilogue: epilogue }).ast.epilogue!.slice(epilogue.length);
    // pwNotify1 and pwNotify2 are free (only parts of pwNotify1x and my_pwNotify2); pwNotify3 is a word of the comment.
    expect(names(helpers)).toEqual(['pwNpmRun1', 'pwNotify1']);
    const taken = lower({ ...pipeline, groovyEpilogue: '// pwNotify1 pwNotify2, pwNotify3' }).ast.epilogue!;
    expect(names(taken)).toEqual(['pwNpmRun1', 'pwNotify4']);
  });

  it("keeps the author's own script step in place", () => {
    expect(statements.filter((s) => s.type === 'GroovyBlock').map((s) => (s.type === 'GroovyBlock' ? s.source : ''))).toEqual(["echo 'the author wrote this'"]);
    expect(statements.some((s) => s.type === 'Call' && (s.name === 'junit' || s.name === 'archiveArtifacts' || s.name === 'slackSend'))).toBe(false);
  });

  it('parses with Groovy 2.4.21', async () => {
    await expectValidJenkinsfiles([{ name: 'outlined', text }]);
  });

  it('makes the pipeline method smaller than the same snippets inline', () => {
    // The same pipeline with the author writing the snippets inline as script steps.
    const inline = lower({
      ...pipeline,
      stages: [
        pipeline.stages[0]!,
        ...[1, 2].map((i) => ({ ...pipeline.stages[i]!, steps: [{ step: 'script' as const, groovy: ast.epilogue!.split('def pwNotify2() {\n')[1]!.split('\n}')[0]! }] })),
      ],
    });
    const outlined = estimateMethodSize(ast).largest;
    expect(outlined.name).toBe('pipeline');
    expect(outlined.bytes).toBeLessThan(estimateMethodSize(inline.ast).largest.bytes);
  });
});
