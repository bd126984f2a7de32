/**
 * The string escaper as it was before it was made fast (issue #14): one UTF-16 unit at a time.
 * Kept only as the reference the fast implementation in src/jenkinsfile/groovy-literal.ts is
 * compared against (byte for byte, fast-check) and benchmarked against. Do not use elsewhere.
 */
import { UnrepresentableStringError } from '../../src/jenkinsfile/groovy-literal.ts';

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x5c: '\\\\',
  0x27: "\\'",
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

const LF = 0x0a;
const NOTHING_TO_ESCAPE = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/;
const SPACE = 0x20;
const END_OF_FILE_FOR_ANTLR2 = 0xffff;

function hex4(unit: number): string {
  return unit.toString(16).toUpperCase().padStart(4, '0');
}

function escapeUnit(value: string, index: number): string {
  const unit = value.charCodeAt(index);
  const named = NAMED_ESCAPES[unit];
  if (named !== undefined) return named;
  if (unit >= 0x20 && unit < 0x7f) return value[index] as string;
  if (unit === END_OF_FILE_FOR_ANTLR2) throw new UnrepresentableStringError(index, unit);
  return `\\u${hex4(unit)}`;
}

/** The old `groovyStringLiteral`. */
export function referenceStringLiteral(value: string): string {
  if (NOTHING_TO_ESCAPE.test(value)) return `'${value}'`;
  let body = '';
  for (let i = 0; i < value.length; i++) body += escapeUnit(value, i);
  return `'${body}'`;
}

/** The old `groovyMultilineStringLiteral`. */
export function referenceMultilineStringLiteral(value: string): string {
  let body = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === LF) body += '\n';
    else if (unit === SPACE && value.charCodeAt(i + 1) === LF) body += '\\u0020';
    else body += escapeUnit(value, i);
  }
  return `'''\\\n${body}'''`;
}
