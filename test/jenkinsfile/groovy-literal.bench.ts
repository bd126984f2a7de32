/**
 * Micro-benchmark of the string escaper (issue #14), old unit-by-unit implementation against the
 * current one, on the string values of the repository's generated Jenkinsfiles (shell scripts
 * with quotes and backslashes, labels, names) plus some non-ASCII text.
 *
 *   npx vitest bench --run test/jenkinsfile/groovy-literal.bench.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { groovyMultilineStringLiteral, groovyStringLiteral } from '../../src/jenkinsfile/groovy-literal.ts';
import { referenceMultilineStringLiteral, referenceStringLiteral } from './groovy-literal-reference.ts';

const root = join(import.meta.dirname, '../../generated');
const texts = readdirSync(root).map((name) => readFileSync(join(root, name, 'Jenkinsfile'), 'utf8'));
/** Multi-line values: the inside of every `'''…'''` literal (already escaped text, so it has quotes and backslashes to escape again). */
const scripts = texts.flatMap((text) => text.split("'''").filter((_, i) => i % 2 === 1));
/** Single-line values: every line of every file, and some non-ASCII ones. */
const lines = texts.flatMap((text) => text.split('\n')).concat(Array(200).fill('Zürich → São Paulo ✓ deploy'));
const bytes = scripts.reduce((n, s) => n + s.length, 0) + lines.reduce((n, s) => n + s.length, 0);
console.log(`corpus: ${scripts.length} multi-line values, ${lines.length} single-line values, ${bytes} chars`);

describe('multi-line values (shell scripts)', () => {
  bench('reference (unit by unit)', () => {
    for (const s of scripts) referenceMultilineStringLiteral(s);
  });
  bench('current (runs and slices)', () => {
    for (const s of scripts) groovyMultilineStringLiteral(s);
  });
});

describe('single-line values', () => {
  bench('reference (unit by unit)', () => {
    for (const s of lines) referenceStringLiteral(s);
  });
  bench('current (runs and slices)', () => {
    for (const s of lines) groovyStringLiteral(s);
  });
});
