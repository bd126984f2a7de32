import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  UnrepresentableStringError,
  appendGroovyStringLiteral,
  groovyKeyLiteral,
  groovyMultilineStringLiteral,
  groovyStringLiteral,
  isGroovyIdentifier,
  isGroovyKeyword,
} from '../../src/jenkinsfile/groovy-literal.ts';
import { groovyStringConstants } from '../groovy/client.ts';
import { trickyMultilineString, trickyString } from './arbitraries.ts';
import { referenceMultilineStringLiteral, referenceStringLiteral } from './groovy-literal-reference.ts';

const PRINTABLE_ASCII_LINES = /^[\x20-\x7e\n]*$/;

describe('groovyStringLiteral', () => {
  it.each([
    ['', "''"],
    ["it's", "'it\\'s'"],
    ['say "hi"', `'say "hi"'`],
    ['C:\\users\\u0041', "'C:\\\\users\\\\u0041'"],
    ['$5 ${x} $y', "'$5 ${x} $y'"],
    ['\n\r\t\b\f', "'\\n\\r\\t\\b\\f'"],
    ['\u0000\u000b\u001f\u007f', "'\\u0000\\u000B\\u001F\\u007F'"],
    ['é\u00a0\u2028', "'\\u00E9\\u00A0\\u2028'"],
    ['\u{1F600}', "'\\uD83D\\uDE00'"],
    ['lone \ud800 \udfff', "'lone \\uD800 \\uDFFF'"],
    ['\ufffe', "'\\uFFFE'"],
    ["'''", "'\\'\\'\\''"],
  ])('writes %j as %s', (value, literal) => {
    expect(groovyStringLiteral(value)).toBe(literal);
  });

  it('never writes anything but printable ASCII, and no raw line break', () => {
    fc.assert(
      fc.property(trickyString, (value) => {
        expect(groovyStringLiteral(value)).toMatch(/^'[\x20-\x7e]*'$/);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses U+FFFF, naming the character and its index', () => {
    const error = (() => {
      try {
        groovyStringLiteral('ab\uffffc');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnrepresentableStringError);
    expect(error).toMatchObject({ index: 2, codeUnit: 0xffff, message: expect.stringMatching(/U\+FFFF at index 2/) });
    expect(() => groovyMultilineStringLiteral('x\n\uffff')).toThrow(/U\+FFFF at index 2/);
    expect(() => groovyKeyLiteral('\uffff')).toThrow(UnrepresentableStringError);
  });
});

describe('groovyMultilineStringLiteral', () => {
  it.each([
    ['npm ci\nnpm test\n', "'''\\\nnpm ci\nnpm test\n'''"],
    ['\nstarts with a newline', "'''\\\n\nstarts with a newline'''"],
    ["ends with a quote'", "'''\\\nends with a quote\\''''"],
    ['ends with a backslash\\', "'''\\\nends with a backslash\\\\'''"],
    ['backslash before newline\\\nx', "'''\\\nbackslash before newline\\\\\nx'''"],
    ['crlf\r\nline', "'''\\\ncrlf\\r\nline'''"],
    ['trailing space \nx', "'''\\\ntrailing space\\u0020\nx'''"],
    ["it's ${HOME} \\u0041 'quoted'", "'''\\\nit\\'s ${HOME} \\\\u0041 \\'quoted\\''''"],
  ])('writes %j as %j', (value, literal) => {
    expect(groovyMultilineStringLiteral(value)).toBe(literal);
  });

  it('writes only printable ASCII and LF, with no line ending in a space', () => {
    fc.assert(
      fc.property(trickyMultilineString, (value) => {
        const literal = groovyMultilineStringLiteral(value);
        expect(literal).toMatch(PRINTABLE_ASCII_LINES);
        expect(literal).not.toMatch(/ \n/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('identifiers and keys', () => {
  it.each([
    ['FOO_BAR1', true],
    ['_x', true],
    ['$class', true],
    ['camelCase', true],
    ['1abc', false],
    ['a-b', false],
    ['a b', false],
    ['a.b', false],
    ['', false],
    ['é', false],
    ['class', false],
    ['in', false],
    ['true', false],
    ['null', false],
  ])('isGroovyIdentifier(%j) is %s', (name, expected) => {
    expect(isGroovyIdentifier(name)).toBe(expected);
  });

  it('knows the reserved words', () => {
    expect(['def', 'as', 'trait', 'false'].every(isGroovyKeyword)).toBe(true);
    expect(['stage', 'steps', 'pipeline', 'sh'].some(isGroovyKeyword)).toBe(false);
  });

  it.each([
    ['testResults', 'testResults'],
    ['$class', '$class'],
    ['a-b', "'a-b'"],
    ['in', "'in'"],
    ['', "''"],
    ["it's", "'it\\'s'"],
  ])('groovyKeyLiteral(%j) is %s', (key, literal) => {
    expect(groovyKeyLiteral(key)).toBe(literal);
  });
});

describe('round trip through the real Groovy 2.4.21 parser', () => {
  it('hand-picked values come back exactly', async () => {
    const values = [
      '', "'", "'''", '\\', '\\u0041', '\\\\u0027', '${x}', '$', '\u0000', '\r', '\r\n', '\u2028',
      '\u{1F600}', '\ud800', '\ufffe', '*/', '\\\n', ' \n', '\n', "x'", 'x\\',
    ];
    const source = values.map((v) => `echo ${groovyStringLiteral(v)}\nsh ${groovyMultilineStringLiteral(v)}\n`).join('');
    expect(await groovyStringConstants(source)).toEqual(values.flatMap((v) => [v, v]));
  });

  it('any string, as a single-line literal, a multi-line literal and a map key', async () => {
    // One Groovy source per run, carrying ~100 values in all three positions: few round trips.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(trickyString, trickyMultilineString), { minLength: 60, maxLength: 120 }),
        async (values) => {
          const source = values
            .map((v) => `echo ${groovyStringLiteral(v)}\nsh ${groovyMultilineStringLiteral(v)}\nm = [${groovyKeyLiteral(v)}: 1]\n`)
            .join('');
          expect(await groovyStringConstants(source)).toEqual(values.flatMap((v) => [v, v, v]));
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('the fast escaper (issue #14) writes exactly what the unit-by-unit one wrote', () => {
  /** Long values too: the fast path copies runs, so run boundaries and long runs matter. */
  const longTricky = fc
    .array(fc.oneof(trickyString, trickyMultilineString, fc.string({ unit: 'grapheme-ascii', maxLength: 200 })), { maxLength: 30 })
    .map((pieces) => pieces.join(''));

  it('single-line literals', () => {
    fc.assert(
      fc.property(fc.oneof(trickyString, longTricky), (value) => {
        expect(groovyStringLiteral(value)).toBe(referenceStringLiteral(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('appended single-line literals: the pieces join into that literal, or the same refusal, and nothing is appended then', () => {
    fc.assert(
      fc.property(fc.oneof(trickyString, longTricky, fc.tuple(trickyString, trickyString).map(([a, b]) => `${a}\uffff${b}`)), (value) => {
        const out = ['before'];
        let expected: unknown;
        try {
          expected = referenceStringLiteral(value);
        } catch (error) {
          expected = error;
        }
        if (expected instanceof Error) {
          expect(() => appendGroovyStringLiteral(out, value)).toThrow(expected.message);
          expect(out).toEqual(['before']);
        } else {
          appendGroovyStringLiteral(out, value);
          expect(out.join('')).toBe(`before${expected as string}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('multi-line literals', () => {
    fc.assert(
      fc.property(fc.oneof(trickyMultilineString, longTricky), (value) => {
        expect(groovyMultilineStringLiteral(value)).toBe(referenceMultilineStringLiteral(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('long multi-line values recur in a fleet: each literal is still the one of its own exact value', () => {
    const script = 'set -euo pipefail\n'.repeat(40);
    const variants = [script, `${script}x`, script.replace('euo', 'eu\''), `${script.slice(0, -1)} \n`, script];
    for (const value of variants) expect(groovyMultilineStringLiteral(value)).toBe(referenceMultilineStringLiteral(value));
    // More long values than the memo keeps: each still gets the literal of its own value.
    const many = Array.from({ length: 80 }, (_, i) => `${i}\n`.padEnd(30_000, 'x'));
    for (const value of [...many, ...many.slice(0, 5), ...many.slice(-5)]) expect(groovyMultilineStringLiteral(value)).toBe(`'''\\\n${value}'''`);
    // A refused value is refused every time, not remembered.
    const refused = `${script}\uffff`;
    expect(() => groovyMultilineStringLiteral(refused)).toThrow(/U\+FFFF at index 720/);
    expect(() => groovyMultilineStringLiteral(refused)).toThrow(/U\+FFFF at index 720/);
  });

  it('refuses U+FFFF at the same index as before, wherever it is', () => {
    fc.assert(
      fc.property(trickyString, trickyString, (before, after) => {
        const value = `${before}\uffff${after}`;
        for (const [fast, reference] of [
          [groovyStringLiteral, referenceStringLiteral],
          [groovyMultilineStringLiteral, referenceMultilineStringLiteral],
        ] as const) {
          const thrown = (write: (v: string) => string) => {
            try {
              write(value);
            } catch (error) {
              return error;
            }
            return undefined;
          };
          const expected = thrown(reference) as UnrepresentableStringError;
          expect(thrown(fast)).toMatchObject({ name: 'UnrepresentableStringError', index: expected.index, message: expected.message });
        }
      }),
      { numRuns: 500 },
    );
  });
});
