/**
 * Groovy code outside the `pipeline { }` block (the parser's `prologue` and `epilogue`), which the
 * pipeline model cannot hold. What the importer makes of it:
 *
 * - comments and blank lines (a `#!` line, a licence header): nothing to import; dropped like
 *   every other comment;
 * - `@Library('lib@version') _` annotations (also the list form `@Library(['a', 'b']) _`), and
 *   nothing else: imported as the `libraries` directive, which loads the same libraries for the
 *   pipeline's steps (see docs/migration.md for the one difference: library classes under `src/`
 *   are not importable by `import` statements, which would be code anyway);
 * - anything else (`import`, `def` variables and helper functions, classes, other annotations):
 *   not representable; the importer refuses the file.
 */
import { SourceText, lexGroovy, type Token } from '../jenkinsfile/groovy-lexer.ts';

/** What a prologue or epilogue holds, once comments are set aside. */
export interface OutsideCode {
  /** Library names from `@Library(...) _` annotations, in source order. */
  libraries: string[];
  /** Line of the first annotation within the analysed text (1-based), when there are libraries. */
  line?: number;
  /** True when there is code besides comments and `@Library(...) _` annotations. */
  hasCode: boolean;
  /** The tokens of that code, for comparisons that ignore layout (empty without code). */
  tokens: string[];
  /**
   * The code is only `@Library(...) _` annotations, some naming a library with a GString
   * (`@Library("lib@${VERSION}") _`): not a literal the `libraries` directive can take.
   */
  interpolatedLibraries?: boolean;
}

const NONE: OutsideCode = { libraries: [], hasCode: false, tokens: [] };

/** Analyses the text before or after the pipeline block (`undefined` = there is none). */
export function analyzeOutsideCode(text: string | undefined): OutsideCode {
  if (text === undefined) return NONE;
  const { tokens: all } = lexGroovy(new SourceText(text));
  const tokens = all.filter((token) => token.type !== 'NLS' && token.type !== 'EOF' && token.type !== ';');
  if (tokens.length === 0) return NONE;
  const libraries = libraryAnnotations(tokens);
  if (libraries) {
    const source = new SourceText(text);
    return { libraries, line: source.position(tokens[0]!.start).line, hasCode: false, tokens: [] };
  }
  const code: OutsideCode = { libraries: [], hasCode: true, tokens: tokens.map((token) => token.text) };
  if (onlyInterpolatedLibraryAnnotations(tokens)) code.interpolatedLibraries = true;
  return code;
}

/** `@Library(...) _` annotations only, with GStrings whose placeholders are names or properties. */
function onlyInterpolatedLibraryAnnotations(tokens: Token[]): boolean {
  let inString = 0;
  let sawGString = false;
  for (const [i, token] of tokens.entries()) {
    if (token.type === 'GSTRING_START') {
      inString++;
      sawGString = true;
      continue;
    }
    if (token.type === 'GSTRING_END') {
      inString--;
      continue;
    }
    if (inString > 0) {
      if (!['IDENT', '.', '{', '}', 'GSTRING_MIDDLE'].includes(token.type)) return false;
      continue;
    }
    if (token.type === '@') {
      if (tokens[i + 1]?.type !== 'IDENT' || tokens[i + 1]?.text !== 'Library') return false;
      continue;
    }
    if (token.type === 'IDENT' && (token.text === 'Library' || token.text === '_')) continue;
    if (!['(', ')', '[', ']', ',', 'STRING'].includes(token.type)) return false;
  }
  return sawGString && tokens[tokens.length - 1]?.text === '_';
}

/**
 * The libraries of a token list made only of `@Library(<string or list of strings>) _`
 * annotations, or `undefined` when the tokens are anything else.
 */
function libraryAnnotations(tokens: Token[]): string[] | undefined {
  const libraries: string[] = [];
  let i = 0;
  const is = (type: string, text?: string): boolean => tokens[i]?.type === type && (text === undefined || tokens[i]?.text === text);
  const plainString = (): string | undefined => {
    const token = tokens[i];
    if (token?.type !== 'STRING' || token.value === undefined) return undefined;
    i++;
    return token.value;
  };
  while (i < tokens.length) {
    if (!is('@')) return undefined;
    i++;
    if (!is('IDENT', 'Library')) return undefined;
    i++;
    if (!is('(')) return undefined;
    i++;
    if (is('[')) {
      i++;
      for (;;) {
        const name = plainString();
        if (name === undefined) return undefined;
        libraries.push(name);
        if (is(',')) i++;
        else break;
      }
      if (!is(']')) return undefined;
      i++;
    } else {
      const name = plainString();
      if (name === undefined) return undefined;
      libraries.push(name);
    }
    if (!is(')')) return undefined;
    i++;
    if (!is('IDENT', '_')) return undefined;
    i++;
  }
  return libraries;
}
