/**
 * Method calls that a raw Groovy body (a `script { }` block, code kept before or after the
 * `pipeline { }` block) makes by bare name: `slackSend(...)`, `sh 'x'`, `readFile('f')`. A static,
 * lexical reading: strings and comments are skipped, calls on a receiver (`env.x()`,
 * `currentBuild.getBuildCauses()`) and methods the body defines itself (`def pwNotify1() {`) are
 * not calls of steps. Dynamic dispatch (`"$name"()`, `this.invokeMethod`) is invisible to it.
 */

/** Blanks out string literals and comments (keeping line structure) so that only code remains. */
function codeOnly(source: string): string {
  let out = '';
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out += ' ';
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = source.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < n && !source.startsWith(quote, j)) j += source[j] === '\\' ? 2 : 1;
      // A string is a value: keep a placeholder so `sh 'x'` still reads as a call with an argument.
      out += '""';
      i = j + quote.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const KEYWORDS = new Set([
  'if', 'else', 'for', 'while', 'switch', 'case', 'return', 'def', 'new', 'try', 'catch', 'finally', 'throw',
  'in', 'instanceof', 'as', 'assert', 'class', 'import', 'println', 'print',
]);

/** A call found in a Groovy body: the function name and the named arguments (`key:`) it passes. */
export interface GroovyCall {
  name: string;
  keys: string[];
}

/** Named-argument keys at the top level of the argument list that starts after `open` (a `(`). */
function namedKeys(code: string, open: number): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) break;
    } else if (depth === 1 && /[A-Za-z_$]/.test(c!) && !/[\w$.]/.test(code[i - 1] ?? '')) {
      const match = /^([A-Za-z_$][\w$]*)\s*:(?!:)/.exec(code.slice(i, i + 80));
      if (match) keys.push(match[1]!);
    }
  }
  return keys;
}

/**
 * The functions a Groovy body calls without a receiver, in order of first use, each with the
 * named-argument keys of all its calls. A name followed by `(`, or a statement starting with a
 * name followed by an argument (`sh 'x'`, `echo "y"`, `error msg`), counts as a call.
 */
export function groovyCalls(source: string): GroovyCall[] {
  const code = codeOnly(source);
  const defined = new Set([...code.matchAll(/\bdef\s+([A-Za-z_$][\w$]*)\s*\(/g)].map((m) => m[1]!));
  const found = new Map<string, Set<string>>();
  const add = (name: string, keys: string[]): void => {
    if (KEYWORDS.has(name) || defined.has(name)) return;
    let set = found.get(name);
    if (!set) found.set(name, (set = new Set()));
    for (const key of keys) set.add(key);
  };
  for (const match of code.matchAll(/(^|[^\w$.])([A-Za-z_$][\w$]*)\s*\(/g)) {
    add(match[2]!, namedKeys(code, match.index + match[0].length - 1));
  }
  // Command syntax at the start of a statement: `sh ""`, `echo x`, `lock resource: "x"`.
  for (const match of code.matchAll(/(^|[;{}\n])\s*([A-Za-z_$][\w$]*)[ \t]+(?=["\w$[])/g)) {
    const from = match.index + match[0].length;
    const lineEnd = code.indexOf('\n', from);
    const rest = code.slice(from, lineEnd < 0 ? code.length : lineEnd);
    add(match[2]!, [...rest.matchAll(/(?:^|,)\s*([A-Za-z_$][\w$]*)\s*:(?!:)/g)].map((m) => m[1]!));
  }
  return [...found].map(([name, keys]) => ({ name, keys: [...keys] }));
}

/** Names of the functions a Groovy body calls without a receiver (see {@link groovyCalls}). */
export function bareCalls(source: string): string[] {
  return groovyCalls(source).map((c) => c.name);
}
