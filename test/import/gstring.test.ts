/**
 * The GString reader and the shell-context check behind the `sh "${X}"` → `sh '$X'` rewrite.
 */
import { describe, expect, it } from 'vitest';
import { parseGString, shellScript, type GStringPart } from '../../src/import/gstring.ts';

const script = (source: string) => {
  const parts = parseGString(source);
  if (typeof parts === 'string') return { parse: parts };
  return shellScript(parts);
};

describe('parseGString', () => {
  it('reads text, escapes and placeholders ($X, ${X}, $env.X, ${ env.X })', () => {
    expect(parseGString('"a\\tb \\$HOME ${X}/$env.Y ${ env.Z }\\u0041"')).toEqual<GStringPart[]>([
      { text: 'a\tb $HOME ' },
      { variable: 'X', viaEnv: false, source: '${X}' },
      { text: '/' },
      { variable: 'Y', viaEnv: true, source: '$env.Y' },
      { text: ' ' },
      { variable: 'Z', viaEnv: true, source: '${ env.Z }' },
      { text: 'A' },
    ]);
  });

  it('reads triple-quoted strings, where a backslash before a line break continues the line', () => {
    expect(parseGString('"""\n  make \\\\\n  ${T}\\\n done"""')).toEqual([{ text: '\n  make \\\n  ' }, { variable: 'T', viaEnv: false, source: '${T}' }, { text: ' done' }]);
  });

  it('refuses placeholders that are not a variable or env.NAME', () => {
    expect(parseGString('"${params.X}"')).toMatch(/is not a variable or env.NAME/);
    expect(parseGString('"$FILE.txt"')).toMatch(/\$FILE\.txt is not a variable/);
    expect(parseGString('"${x.take(7)}"')).toMatch(/not a variable/);
    expect(parseGString("'x'")).toBe('not a double-quoted string');
  });
});

describe('shellScript', () => {
  it('writes $X, or ${X} before a name character, outside quotes and inside double quotes', () => {
    expect(script('"docker push ${IMAGE}:${TAG} \\"${A}\\" ${B}_x"')).toEqual({ script: 'docker push $IMAGE:$TAG "$A" ${B}_x' });
  });

  it('refuses a placeholder inside single quotes, after a backslash, or in a script with a here-document', () => {
    expect(script(`"echo '\${X}'"`)).toEqual({ problem: expect.stringMatching(/inside single quotes/) });
    expect(script('"echo \\\\${X}"')).toEqual({ problem: expect.stringMatching(/follows a backslash/) });
    expect(script('"""cat <<EOF\n${X}\nEOF"""')).toEqual({ problem: expect.stringMatching(/here-document/) });
  });

  it('follows quotes into command substitutions and ignores quotes in comments', () => {
    // Inside $( ) single quotes count again, even within double quotes (Groovy needs \$ before the parenthesis).
    expect(script(`"echo \\"\\$(echo '\${X}')\\""`)).toEqual({ problem: expect.stringMatching(/inside single quotes/) });
    expect(script(`"v=\\$(cat \${F}) # don't\\necho \${X}"`)).toEqual({ script: "v=$(cat $F) # don't\necho $X" });
    expect(script('"a=`echo ${X}`"')).toEqual({ script: 'a=`echo $X`' });
  });
});
