/**
 * `sh "… ${env.X} …"` → `sh '… $X …'`: a shell script written as a Groovy GString whose
 * placeholders are all environment variables becomes a literal script the shell expands itself
 * (no Groovy interpolation, so a value is data to the shell, never shell code).
 *
 * The same behaviour holds when (1) each placeholder is provably an environment variable that is
 * set at that point (see `EnvScope` in raise.ts: `environment {}` of the pipeline or an enclosing
 * stage, an enclosing `withCredentials`/`withEnv`, or one of the variables Jenkins always sets),
 * and not a Groovy variable of the same name; (2) each placeholder stands where the shell expands
 * `$X` to the same text: outside quotes or inside double quotes, not inside single quotes, a
 * here-document or after a backslash; (3) the value has no character the shell treats specially
 * after substitution (quotes, `$`, backquotes, `\`, `;`, `|`, `&`, `<`, `>`, parentheses): with
 * Groovy interpolation such a character was shell syntax, with `$X` it is data. (3) cannot be
 * checked statically; the import report names every rewrite so a reviewer can confirm it.
 */

/** A literal run of the GString or one placeholder. */
export type GStringPart = { text: string } | { variable: string; viaEnv: boolean; source: string };

/**
 * The parts of a double-quoted Groovy string (`"…"` or `"""…"""`) whose placeholders are plain
 * names (`$X`, `${X}`) or `env` properties (`$env.X`, `${env.X}`); otherwise why not.
 */
export function parseGString(source: string): GStringPart[] | string {
  const triple = source.startsWith('"""');
  const quote = triple ? '"""' : '"';
  if (!source.startsWith('"') || !source.endsWith(quote) || source.length < quote.length * 2) return 'not a double-quoted string';
  const body = source.slice(quote.length, source.length - quote.length);
  const parts: GStringPart[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') parts.push({ text });
    text = '';
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const next = body[i + 1];
      const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', "'": "'", '\\': '\\', $: '$' };
      if (next !== undefined && next in simple) {
        text += simple[next]!;
        i++;
        continue;
      }
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 2, i + 6))) {
        text += String.fromCharCode(parseInt(body.slice(i + 2, i + 6), 16));
        i += 5;
        continue;
      }
      if (next === '\n' && triple) {
        i++;
        continue;
      }
      return `the escape \\${next ?? ''} is not one the importer reads`;
    }
    if (c === '"' && !triple) return 'an unescaped quote inside the string';
    if (c !== '$') {
      text += c;
      continue;
    }
    let expression: string;
    let end: number;
    if (body[i + 1] === '{') {
      const close = body.indexOf('}', i + 2);
      if (close < 0) return 'an unclosed ${';
      expression = body.slice(i + 2, close).trim();
      if (expression.includes('{')) return `the placeholder \${${expression}} is not a variable`;
      end = close;
    } else {
      const match = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(body.slice(i + 1));
      if (!match) return 'a $ that starts no placeholder';
      expression = match[0];
      end = i + match[0].length;
    }
    const variable = /^(env\.)?([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression);
    if (!variable) return `the placeholder ${body.slice(i, end + 1)} is not a variable or env.NAME`;
    flush();
    parts.push({ variable: variable[2]!, viaEnv: variable[1] !== undefined, source: body.slice(i, end + 1) });
    i = end;
  }
  flush();
  return parts;
}

type Quote = 'none' | 'single' | 'double';

/**
 * The shell script with each placeholder as `$X` (`${X}` before a name character), when every
 * placeholder is where the shell expands it to the same text (see the module comment); else why not.
 */
export function shellScript(parts: readonly GStringPart[]): { script: string } | { problem: string } {
  // Quote state across the literal runs; a frame per command substitution ($(…) or `…`).
  const frames: { quote: Quote; closer: ')' | '`' | '' }[] = [{ quote: 'none', closer: '' }];
  let out = '';
  let atWordStart = true;
  for (const [index, part] of parts.entries()) {
    if ('variable' in part) {
      const frame = frames[frames.length - 1]!;
      if (frame.quote === 'single') return { problem: `${part.source} is inside single quotes in the shell script (the shell would not expand $${part.variable} there)` };
      if (out.endsWith('\\')) return { problem: `${part.source} follows a backslash in the shell script` };
      const next = parts[index + 1];
      const braces = next !== undefined && 'text' in next && /^[A-Za-z0-9_]/.test(next.text);
      out += braces ? `\${${part.variable}}` : `$${part.variable}`;
      atWordStart = false;
      continue;
    }
    const text = part.text;
    if (/<<-?\s*['"\\]?[A-Za-z_]/.test(text) && index < parts.length - 1) return { problem: 'the shell script has a here-document (its quoting decides whether the shell expands $X)' };
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      const frame = frames[frames.length - 1]!;
      out += c;
      if (frame.quote === 'single') {
        if (c === "'") frame.quote = 'none';
        continue;
      }
      if (c === '\\') {
        // The escaped character is literal.
        if (i + 1 < text.length) out += text[++i]!;
        atWordStart = false;
        continue;
      }
      if (frame.quote === 'none' && c === '#' && atWordStart) {
        const newline = text.indexOf('\n', i);
        const stop = newline < 0 ? text.length : newline;
        out += text.slice(i + 1, stop);
        i = stop - 1;
        continue;
      }
      if (c === '$' && text[i + 1] === '(') {
        out += '(';
        i++;
        frames.push({ quote: 'none', closer: ')' });
        atWordStart = true;
        continue;
      }
      if (c === '`') {
        if (frame.closer === '`') frames.pop();
        else frames.push({ quote: 'none', closer: '`' });
        atWordStart = true;
        continue;
      }
      if (frame.quote === 'double') {
        if (c === '"') frame.quote = 'none';
        continue;
      }
      if (c === "'") frame.quote = 'single';
      else if (c === '"') frame.quote = 'double';
      else if (c === ')' && frame.closer === ')' && frames.length > 1) frames.pop();
      atWordStart = /[\s;&|(]/.test(c);
    }
  }
  return { script: out };
}
