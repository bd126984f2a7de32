/**
 * Micro-benchmark of the printer (issue #14) on the company's largest pipelines: the AST of each
 * is printed again and again.
 *
 *   npx vitest bench --run test/jenkinsfile/print.bench.ts
 */
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { compileProject } from '../../src/compile.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';

const root = join(import.meta.dirname, '../..');
const run = await compileProject({ root, resultCache: false });
const asts = run.pipelines.flatMap((pipeline) => (pipeline.ast ? [pipeline.ast] : []));
const chars = asts.reduce((n, ast) => n + printJenkinsfile(ast).text.length, 0);
console.log(`${asts.length} pipelines, ${chars} characters printed per round`);

describe('printer', () => {
  bench('print every company pipeline once', () => {
    for (const ast of asts) printJenkinsfile(ast);
  });
});
