/**
 * Groovy source text of Jenkinsfile AST expressions, for the importer: the text a `groovy(...)`
 * escape hatch must hold so that the compiled Jenkinsfile reads back as the same expression, and
 * a token view of raw Groovy so that comparisons ignore layout (whitespace, line breaks and
 * comments between tokens).
 */
import type { Arguments, Expression } from '../jenkinsfile/ast.ts';
import { SourceText, lexGroovy, type Token } from '../jenkinsfile/groovy-lexer.ts';
import { groovyKeyLiteral, groovyStringLiteral } from '../jenkinsfile/groovy-literal.ts';
import { parseJenkinsfile } from '../jenkinsfile/parse.ts';

/**
 * Groovy source for an expression, written the way the Jenkinsfile printer writes it (strings
 * single-quoted through groovy-literal.ts, `Raw` nodes verbatim), so that parsing the text gives
 * back an equal expression.
 */
export function expressionSource(expression: Expression): string {
  switch (expression.type) {
    case 'String':
      return groovyStringLiteral(expression.value);
    case 'Number':
      return expression.text;
    case 'Boolean':
      return expression.value ? 'true' : 'false';
    case 'Null':
      return 'null';
    case 'Identifier':
      return expression.name;
    case 'Raw':
      return expression.source;
    case 'List':
      return `[${expression.items.map(expressionSource).join(', ')}]`;
    case 'Map':
      if (expression.entries.length === 0) return '[:]';
      return `[${expression.entries.map((entry) => `${groovyKeyLiteral(entry.key)}: ${expressionSource(entry.value)}`).join(', ')}]`;
    case 'CallExpression':
      return `${expression.name}(${argumentsSource(expression.args)})`;
  }
}

/** `a, b, key: c`: positional arguments, then named ones. */
export function argumentsSource(args: Arguments): string {
  return [
    ...args.positional.map(expressionSource),
    ...args.named.map((entry) => `${groovyKeyLiteral(entry.key)}: ${expressionSource(entry.value)}`),
  ].join(', ');
}

/** The tokens of a Groovy source, without line breaks and the end marker; `undefined` if it does not lex. */
function lexTokens(source: string): Token[] | undefined {
  const { tokens } = lexGroovy(new SourceText(source));
  if (tokens.some((token) => token.type === 'ERROR')) return undefined;
  return tokens.filter((token) => token.type !== 'NLS' && token.type !== 'EOF');
}

/**
 * The token texts of a Groovy source: two sources with the same tokens differ only in layout
 * (whitespace, line breaks, comments between tokens). A source that does not lex is its own
 * single "token", so it only equals itself.
 */
export function groovyTokens(source: string): string[] {
  return lexTokens(source)?.map((token) => token.text) ?? [source];
}

/**
 * The expression on one line: every gap between two tokens that holds a line break or a comment
 * becomes one space; the tokens themselves (string literals included) are kept byte for byte.
 * Used for raw values that span lines, which the compiler only accepts on one line. Returns the
 * source unchanged when it does not lex or contains a `\u` escape (token offsets would not map).
 */
export function singleLineGroovy(source: string): string {
  if (source.includes('\\u')) return source;
  const tokens = lexTokens(source);
  if (!tokens || tokens.length === 0) return source;
  let out = source.slice(tokens[0]!.start, tokens[0]!.end);
  for (let i = 1; i < tokens.length; i++) {
    const gap = source.slice(tokens[i - 1]!.end, tokens[i]!.start);
    out += /[\r\n]|\/\/|\/\*/.test(gap) ? ' ' : gap;
    out += source.slice(tokens[i]!.start, tokens[i]!.end);
  }
  return out;
}

/**
 * The expression the Jenkinsfile parser reads from a Groovy source, as it would in a step's
 * argument list (so `env.X` is an identifier, `credentials('x')` a call, `"${x}"` raw);
 * `undefined` when the source is not one expression.
 */
export function parseExpressionSource(source: string): Expression | undefined {
  const parsed = parseJenkinsfile(`pipeline {\nprobe(\n${source}\n)\n}\n`, 'expression');
  const probe = parsed.ast?.pipeline.body?.[0];
  if (parsed.diagnostics.length > 0 || probe?.type !== 'Call' || probe.args.positional.length + probe.args.named.length !== 1) return undefined;
  return probe.args.positional[0];
}
