/**
 * src/jenkinsfile/groovy-lexer.ts reads a single-quoted string in runs of plain characters: the
 * value it reads is exactly the value the escaper wrote, whatever the mix of plain characters and
 * escapes, and a string cut short is still an error at the same place.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groovyStringLiteral } from '../../src/jenkinsfile/groovy-literal.ts';
import { lexGroovy, SourceText } from '../../src/jenkinsfile/groovy-lexer.ts';
import { trickyString } from './arbitraries.ts';

const lex = (text: string) => lexGroovy(new SourceText(text)).tokens;

describe('single-quoted strings', () => {
  it('read back the value the escaper wrote', () => {
    fc.assert(
      fc.property(trickyString.filter((v) => !v.includes('\uffff')), (value) => {
        const [token] = lex(`x = ${groovyStringLiteral(value)}`).slice(2);
        expect(token).toMatchObject({ type: 'STRING', value });
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ["'abc", 4, "expecting ''', found '<EOF>'"],
    ["'ab\nc'", 3, "expecting ''', found '\\n'"],
    ["'ab\rc'", 3, "expecting ''', found '\\n'"],
    ["'ab\uffffc'", 3, "expecting ''', found '<EOF>'"],
    ["'ab\\u00'", 3, 'Did not find four digit hex character code'],
  ])('%j is an error at %i', (text, index, message) => {
    const error = lex(text).find((t) => t.type === 'ERROR');
    expect(error).toMatchObject({ start: index, error: { message } });
  });
});
