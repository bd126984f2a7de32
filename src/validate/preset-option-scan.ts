/**
 * A lexical pass that proves, for most pipeline files, that the preset-option check
 * (`SourceLocator.unknownOptionKeys`) has nothing to report, so that the file need not be parsed
 * with TypeScript (loading it and parsing every pipeline cost more than the rest of the check).
 *
 * It answers `true` only when certain: every key the check could look at, it sees too, and each
 * is known at its place in the option key tree. Anything it does not model (a regular expression
 * or division, a template with `${}`, an escape, non-ASCII code, a computed key, an import alias,
 * a value that could resolve to a same-file object literal, ...) answers `false`, and the
 * TypeScript walk decides, as before. It never decides what is reported, or where.
 *
 * Why "certain" holds: the walk checks the first argument of each call to a preset (by its local
 * name: no `as` aliases), resolving it, and each option's value, to an object literal through
 * parentheses, `as`/`satisfies`/`!`/`<T>`, same-file top-level `const`s, property access on those,
 * and identity helpers of the DSL (`definePipeline(x)`). A value none of whose own names is a
 * `const` or a DSL export, and that does not start with `{`, `(` or `<`, resolves to no object
 * literal, so there is nothing in it to check.
 */
import type { OptionKeyTree } from '../presets/option-keys.ts';

type TokenKind = 'name' | 'string' | 'template' | 'number' | 'punctuation';

interface Token {
  kind: TokenKind;
  text: string;
  /** Bracket depth outside the token (an opening or closing bracket has its outer depth). */
  depth: number;
  /** For an opening bracket, the index of its closing one. */
  close?: number;
}

/** Not certain: the TypeScript walk decides. */
class Unsure extends Error {}

/**
 * Whether the TypeScript file `text` certainly writes no key the preset calls `calls` do not
 * know (see the module comment). `dslNames`: the DSL's exports (identity helpers among them).
 */
export function certainlyNoUnknownOptionKeys(text: string, calls: Readonly<Record<string, OptionKeyTree>>, dslNames: ReadonlySet<string>): boolean {
  try {
    const tokens = tokenize(text);
    return new Scan(tokens, calls, dslNames).run();
  } catch (error) {
    if (error instanceof Unsure) return false;
    throw error;
  }
}

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isNamePart = (c: number) => isNameStart(c) || isDigit(c);

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const open: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12) {
      i += 1;
      continue;
    }
    const depth = open.length;
    if (c === 47) {
      const next = text.charCodeAt(i + 1);
      if (next === 47) {
        const end = text.indexOf('\n', i);
        i = end < 0 ? n : end;
        continue;
      }
      if (next === 42) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) throw new Unsure();
        i = end + 2;
        continue;
      }
      throw new Unsure(); // a regular expression or a division
    }
    if (c === 39 || c === 34 || c === 96) {
      let j = i + 1;
      for (; j < n; j += 1) {
        const d = text.charCodeAt(j);
        if (d === c) break;
        if (d === 92 || (c !== 96 && (d === 10 || d === 13)) || (c === 96 && d === 36 && text.charCodeAt(j + 1) === 123)) throw new Unsure();
      }
      if (j >= n) throw new Unsure();
      tokens.push({ kind: c === 96 ? 'template' : 'string', text: text.slice(i + 1, j), depth });
      i = j + 1;
      continue;
    }
    if (isNameStart(c) || isDigit(c)) {
      let j = i + 1;
      while (j < n && (isNamePart(text.charCodeAt(j)) || (isDigit(c) && text.charCodeAt(j) === 46))) j += 1;
      tokens.push({ kind: isDigit(c) ? 'number' : 'name', text: text.slice(i, j), depth });
      i = j;
      continue;
    }
    if (c > 126 || c < 32 || c === 35 || c === 64 || c === 92) throw new Unsure(); // non-ASCII, `#`, `@`, `\`
    if (c === 46 && text.startsWith('...', i)) {
      tokens.push({ kind: 'punctuation', text: '...', depth });
      i += 3;
      continue;
    }
    const char = text[i]!;
    if (OPENERS[char] !== undefined) {
      open.push(tokens.length);
      tokens.push({ kind: 'punctuation', text: char, depth });
    } else if (char === ')' || char === ']' || char === '}') {
      const opener = open.pop();
      if (opener === undefined || OPENERS[tokens[opener]!.text] !== char) throw new Unsure();
      tokens[opener]!.close = tokens.length;
      tokens.push({ kind: 'punctuation', text: char, depth: open.length });
    } else {
      tokens.push({ kind: 'punctuation', text: char, depth });
    }
    i += 1;
  }
  if (open.length > 0) throw new Unsure();
  return tokens;
}

class Scan {
  /** Names a top-level `const` may declare: any name after `const`, or after a top-level comma. */
  readonly #maybeConst = new Set<string>();

  constructor(
    private readonly tokens: readonly Token[],
    private readonly calls: Readonly<Record<string, OptionKeyTree>>,
    private readonly dslNames: ReadonlySet<string>,
  ) {}

  run(): boolean {
    const tokens = this.tokens;
    for (let k = 1; k < tokens.length; k += 1) {
      const token = tokens[k]!;
      const previous = tokens[k - 1]!;
      if (token.kind !== 'name') continue;
      if ((previous.kind === 'name' && previous.text === 'const') || (previous.text === ',' && previous.depth === 0)) this.#maybeConst.add(token.text);
    }
    this.#checkImports();
    for (let k = 0; k < tokens.length; k += 1) {
      const token = tokens[k]!;
      if (token.kind !== 'name' || !Object.hasOwn(this.calls, token.text)) continue;
      if (k > 0 && tokens[k - 1]!.text === '.') continue; // a method of something else: not the preset
      const next = tokens[k + 1];
      if (next?.text === '(') {
        if (!this.#checkArguments(k + 1, this.calls[token.text]!)) return false;
      } else if (next?.text === '<' || next?.text === '?') {
        throw new Unsure(); // type arguments or an optional call
      }
    }
    return true;
  }

  /** The walk maps `import { x as y } from 'pipewright'` and namespace imports: not modelled here. */
  #checkImports(): void {
    const tokens = this.tokens;
    for (let k = 0; k < tokens.length; k += 1) {
      if (tokens[k]!.kind !== 'name' || tokens[k]!.text !== 'import' || tokens[k]!.depth !== 0) continue;
      let end = k + 1;
      while (end < tokens.length && tokens[end]!.kind !== 'string') end += 1;
      if (tokens[end]?.text !== 'pipewright') continue;
      for (let j = k + 1; j < end; j += 1) if (tokens[j]!.text === 'as' || tokens[j]!.text === '*') throw new Unsure();
    }
  }

  /** The call whose `(` is at `open`: its first argument against `tree`; false if a key may be unknown. */
  #checkArguments(open: number, tree: OptionKeyTree): boolean {
    const close = this.tokens[open]!.close!;
    if (close === open + 1) return true; // no argument
    const end = this.#itemEnd(open + 1, close);
    if (this.tokens[open + 1]!.text === '...') return true; // a spread first argument: positions unknown, not checked
    return this.#checkValue(open + 1, end, tree);
  }

  /** End (exclusive) of the list item starting at `start` inside a bracket that closes at `close`. */
  #itemEnd(start: number, close: number): number {
    const depth = this.tokens[close]!.depth + 1;
    let k = start;
    while (k < close && !(this.tokens[k]!.text === ',' && this.tokens[k]!.depth === depth)) k += 1;
    return k;
  }

  /** A value checked against `tree` (tokens `start` to `end`): false if a key may be unknown. */
  #checkValue(start: number, end: number, tree: OptionKeyTree): boolean {
    const first = this.tokens[start];
    if (first === undefined || start >= end) throw new Unsure();
    if (first.text === '{') {
      if (first.close !== end - 1) throw new Unsure(); // `{ … } as X`, `{ … }.x`, …
      return this.#checkObject(start, tree);
    }
    if (first.text === '(' || first.text === '<') throw new Unsure();
    for (let k = start; k < end; k += 1) {
      const token = this.tokens[k]!;
      if (token.depth === first.depth && token.kind === 'name' && (this.#maybeConst.has(token.text) || this.dslNames.has(token.text))) throw new Unsure();
    }
    return true; // resolves to no object literal: nothing checked
  }

  /** The object literal whose `{` is at `open`, against `tree`. */
  #checkObject(open: number, tree: OptionKeyTree): boolean {
    const close = this.tokens[open]!.close!;
    let start = open + 1;
    while (start < close) {
      const end = this.#itemEnd(start, close);
      if (!this.#checkProperty(start, end, tree)) return false;
      start = end + 1;
    }
    return true;
  }

  #checkProperty(start: number, end: number, tree: OptionKeyTree): boolean {
    const first = this.tokens[start]!;
    if (start >= end) throw new Unsure();
    if (first.text === '...') return this.#checkValue(start + 1, end, tree);
    if (first.kind !== 'name' && first.kind !== 'string') throw new Unsure(); // computed, numeric, generator, …
    const known = Object.hasOwn(tree, first.text) ? tree[first.text] : undefined;
    const second = this.tokens[start + 1];
    if (start + 1 === end) {
      // Shorthand `{ key }`: the value is the same-name binding.
      if (first.kind !== 'name') throw new Unsure();
      if (known === undefined) return false;
      if (known !== true && this.#maybeConst.has(first.text)) throw new Unsure();
      return true;
    }
    if (second?.text === ':') {
      if (known === undefined) return false;
      return known === true ? true : this.#checkValue(start + 2, end, known);
    }
    if (second?.text === '(' && first.kind === 'name') return known !== undefined; // a method: its key only
    throw new Unsure(); // accessors, async methods, …
  }
}
