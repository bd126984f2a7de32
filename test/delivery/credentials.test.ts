/**
 * SECRET-003: no generated Jenkinsfile contains an interpolating Groovy string (double-quoted,
 * triple-double-quoted, slashy or dollar-slashy) that names a credential variable. The printer
 * emits single quotes only, so the check that can actually fail is the one over verbatim Groovy:
 * generator-owned `script { }` blocks (notifications, approvals) and `Raw` expressions, scanned
 * both in the printed text and in the AST sources. A negative control proves the scanner finds
 * such a string.
 */
import { describe, expect, it } from 'vitest';
import type { JenkinsfileAst } from '../../src/jenkinsfile/ast.ts';
import { lexGroovy, SourceText } from '../../src/jenkinsfile/groovy-lexer.ts';
import { PRESET_FIXTURES, STEP_FIXTURES } from './fixtures.ts';
import { allFixtures, compile, expressions, statements } from './support.ts';

/** Variables that always hold secrets when set: injected by withAWS and withSonarQubeEnv. */
const ALWAYS_SECRET = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'SONAR_AUTH_TOKEN', 'SONAR_TOKEN'];

const BINDING_FIELDS = ['variable', 'usernameVariable', 'passwordVariable', 'keyFileVariable', 'passphraseVariable'];

/** Credential variable names bound anywhere in the AST, including inside verbatim Groovy. */
function credentialVariables(ast: JenkinsfileAst): Set<string> {
  const names = new Set(ALWAYS_SECRET);
  for (const statement of statements(ast)) {
    if (statement.type === 'Assignment' && statement.value.type === 'CallExpression' && statement.value.name === 'credentials') {
      names.add(statement.name).add(`${statement.name}_USR`).add(`${statement.name}_PSW`);
    }
    if (statement.type === 'Call' && statement.name === 'withCredentials') {
      for (const expression of expressions(statement)) {
        if (expression.type !== 'CallExpression') continue;
        for (const entry of expression.args.named) {
          if (BINDING_FIELDS.includes(entry.key) && entry.value.type === 'String') names.add(entry.value.value);
        }
      }
    }
  }
  for (const source of verbatimSources(ast)) {
    for (const match of source.matchAll(/\b(?:variable|usernameVariable|passwordVariable|keyFileVariable)\s*:\s*'([A-Za-z_][A-Za-z0-9_]*)'/g)) {
      names.add(match[1] as string);
    }
  }
  return names;
}

/**
 * Verbatim Groovy in the AST: script/expression blocks, Raw expressions, and the code before and
 * after the pipeline block (where pipewright puts the helper methods its script blocks call).
 */
function verbatimSources(ast: JenkinsfileAst): string[] {
  const sources: string[] = [ast.prologue ?? '', ast.epilogue ?? ''].filter((source) => source !== '');
  for (const statement of statements(ast)) {
    if (statement.type === 'GroovyBlock') sources.push(statement.source);
    if (statement.type === 'Call') for (const e of expressions(statement)) if (e.type === 'Raw') sources.push(e.source);
  }
  return sources;
}

const INTERPOLATING = new Set(['double', 'tripleDouble', 'slashy', 'dollarSlashy']);

/** The source text of every interpolating string literal in `text`. */
function interpolatingStrings(text: string): string[] {
  const { tokens } = lexGroovy(new SourceText(text));
  const error = tokens.find((t) => t.type === 'ERROR');
  if (error) throw new Error(`Groovy lexer error: ${error.error?.message}`);
  const found: string[] = [];
  let open: string[] | undefined;
  for (const token of tokens) {
    if (token.type === 'STRING' && token.stringKind !== undefined && INTERPOLATING.has(token.stringKind)) found.push(token.text);
    if (token.type === 'GSTRING_START') open = [token.text];
    else if (open) {
      open.push(token.text);
      if (token.type === 'GSTRING_END') {
        found.push(open.join(''));
        open = undefined;
      }
    }
  }
  return found;
}

/** Interpolating strings that name one of `names`. */
function offending(text: string, names: Set<string>): string[] {
  return interpolatingStrings(text).filter((literal) => [...names].some((name) => new RegExp(`\\b${name}\\b`).test(literal)));
}

const compiled = allFixtures(STEP_FIXTURES, PRESET_FIXTURES);

describe('no credential variable in an interpolating Groovy string', () => {
  it('the fixtures bind credentials the check looks for', () => {
    const all = new Set(compiled.flatMap(([, { ast }]) => [...credentialVariables(ast)]));
    for (const name of ['SNYK_TOKEN', 'NPM_CONFIG_USERCONFIG', 'GIT_PASSWORD', 'GIT_SSH_KEY', 'PW_TEAMS_WEBHOOK_URL']) {
      expect(all).toContain(name);
    }
  });

  it.each(compiled)('%s: printed text', (_name, { ast, text }) => {
    expect(offending(text, credentialVariables(ast))).toEqual([]);
  });

  it.each(compiled)('%s: verbatim Groovy sources', (_name, { ast }) => {
    const names = credentialVariables(ast);
    for (const source of verbatimSources(ast)) expect(offending(source, names)).toEqual([]);
  });

  it('the generator emits no interpolating string at all', () => {
    for (const [name, { text }] of compiled) expect({ name, strings: interpolatingStrings(text) }).toEqual({ name, strings: [] });
  });

  it('negative control: a GString naming a bound credential is found, in text and in a script block', () => {
    const { ast, text } = compile({
      agent: 'any',
      stages: [
        {
          name: 'Leak',
          steps: [
            {
              step: 'withCredentials',
              bindings: [{ type: 'string', credentialsId: 'snyk-token', variable: 'SNYK_TOKEN' }],
              steps: [{ step: 'script', groovy: 'sh "snyk auth ${SNYK_TOKEN}"' }],
            },
          ],
        },
      ],
    });
    const names = credentialVariables(ast);
    expect(offending(text, names)).toEqual(['"snyk auth ${SNYK_TOKEN}"']);
    expect(verbatimSources(ast).flatMap((source) => offending(source, names))).toEqual(['"snyk auth ${SNYK_TOKEN}"']);
    // A single-quoted literal naming the variable is fine: the shell expands it, not Groovy.
    expect(offending("sh 'snyk auth $SNYK_TOKEN'", names)).toEqual([]);
  });
});
