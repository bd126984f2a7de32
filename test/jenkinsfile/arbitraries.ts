/**
 * fast-check generators for text that is hard to put into Groovy source: quotes, backslashes,
 * `$`/`${}`, `\u0041`-like sequences (Groovy translates `\uXXXX` before lexing), CR/LF/CRLF,
 * `'''`, comment markers, emoji, lone surrogates, NUL, U+2028, U+FFFE, … mixed with arbitrary
 * UTF-16. U+FFFF is left out: no Groovy 2.4 literal can hold it (tested separately).
 */
import fc from 'fast-check';

const TRICKY_PIECES = [
  "'", '"', '\\', '\\\\', '$', '${x}', '${', '}', '{', '$x', '\\$', '\\u0041', '\\u0027', '\\u000a',
  '\\\\u0041', '\\u', 'u0041', '\r', '\n', '\r\n', '\n\n', "'''", '"""', "\\'", '*/', '/*', '//',
  '$/', '/$', '/', '\t', '\b', '\f', '\u000b', '\u0000', '\u001f', '\u007f', '\u0085', ' ', ' \n',
  '\\\n', 'é', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\u{1F600}', '\ud83d', '\ude00',
  '\ud800', '\udfff', 'a', 'Z', '0', '-', ':', ',', '(', ')', '[', ']',
];

/** Any single UTF-16 code unit except U+FFFF (lone surrogates included). */
const anyCodeUnit = fc.integer({ min: 0, max: 0xfffe }).map((unit) => String.fromCharCode(unit));

/** A string biased toward the pieces that break naive escaping, never containing U+FFFF. */
export const trickyString: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...TRICKY_PIECES) },
      { weight: 2, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 8 }) },
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(''))
  .filter((value) => !value.includes('\uffff'));

/** Like {@link trickyString}, but always containing a line feed (multi-line literal material). */
export const trickyMultilineString: fc.Arbitrary<string> = fc
  .tuple(trickyString, fc.constantFrom('\n', '\r\n', '\n\n', ' \n'), trickyString)
  .map(([before, newline, after]) => before + newline + after);
