// A light Java reader for the catalog generator: enough of the language to find type declarations,
// their annotations, supertypes, constructors, methods (with the tokens of their bodies), fields
// and enum constants. It is not a compiler: generics are kept as text, expressions are skipped by
// balancing brackets. Groovy sources are read by the same tokenizer where they look like Java
// (post conditions in pipeline-model-definition are Groovy classes with `@Symbol`).

const MODIFIERS = new Set([
  'public', 'protected', 'private', 'static', 'final', 'abstract', 'default', 'synchronized', 'native',
  'transient', 'volatile', 'strictfp', 'sealed', 'non-sealed', 'def',
]);
const TYPE_KEYWORDS = new Set(['class', 'interface', 'enum', 'record']);

/** Splits Java source into tokens: {t: 'id'|'str'|'num'|'op', v}. Comments and whitespace are dropped. */
export function tokenize(source) {
  const tokens = [];
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') { i++; continue; }
    if (c === '/' && source[i + 1] === '/') { while (i < n && source[i] !== '\n') i++; continue; }
    if (c === '/' && source[i + 1] === '*') { const end = source.indexOf('*/', i + 2); i = end < 0 ? n : end + 2; continue; }
    if (c === '"' && source.startsWith('"""', i)) {
      const end = source.indexOf('"""', i + 3);
      const stop = end < 0 ? n : end;
      tokens.push({ t: 'str', v: source.slice(i + 3, stop) });
      i = stop + 3;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < n && source[j] !== c && source[j] !== '\n') {
        if (source[j] === '\\') { value += unescape(source[j + 1]); j += 2; continue; }
        value += source[j++];
      }
      tokens.push({ t: 'str', v: value });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(source[j])) j++;
      tokens.push({ t: 'id', v: source.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(source[j])) j++;
      tokens.push({ t: 'num', v: source.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '.' && source.startsWith('...', i)) { tokens.push({ t: 'op', v: '...' }); i += 3; continue; }
    if (c === ':' && source[i + 1] === ':') { tokens.push({ t: 'op', v: '::' }); i += 2; continue; }
    if (c === '-' && source[i + 1] === '>') { tokens.push({ t: 'op', v: '->' }); i += 2; continue; }
    tokens.push({ t: 'op', v: c });
    i++;
  }
  return tokens;
}

function unescape(ch) {
  return { n: '\n', t: '\t', r: '\r', '"': '"', "'": "'", '\\': '\\' }[ch] ?? ch;
}

const OPEN = { '(': ')', '[': ']', '{': '}' };

/** Parses one compilation unit into {package, imports, types}; throws on nothing. */
export function parseJava(source) {
  const tokens = tokenize(source);
  let i = 0;
  const peek = (k = 0) => tokens[i + k];
  const is = (v, k = 0) => tokens[i + k]?.v === v && tokens[i + k].t !== 'str';

  /** Skips a balanced bracket group starting at the current token; returns its tokens (exclusive). */
  function skipGroup() {
    const open = peek().v;
    const close = OPEN[open];
    const start = ++i;
    let depth = 1;
    while (i < tokens.length) {
      const tok = tokens[i];
      if (tok.t === 'op' && tok.v === open) depth++;
      else if (tok.t === 'op' && tok.v === close && --depth === 0) break;
      i++;
    }
    const inner = tokens.slice(start, i);
    i++;
    return inner;
  }

  /** Skips `<...>` generics (counting nested angle brackets). */
  function skipAngles() {
    let depth = 0;
    const start = i;
    do {
      if (is('<')) depth++;
      else if (is('>')) depth--;
      i++;
    } while (i < tokens.length && depth > 0);
    return tokens.slice(start, i).map((t) => t.v).join('');
  }

  function qualifiedName() {
    let name = peek().v;
    i++;
    while (is('.') && peek(1)?.t === 'id') { name += '.' + peek(1).v; i += 2; }
    return name;
  }

  function annotations() {
    const list = [];
    while (is('@') && !is('interface', 1)) {
      i++;
      const name = qualifiedName();
      const args = is('(') ? skipGroup() : [];
      list.push({ name: name.split('.').pop(), args });
    }
    return list;
  }

  function modifiers() {
    const mods = new Set();
    const annos = [];
    for (;;) {
      annos.push(...annotations());
      if (peek()?.t === 'id' && MODIFIERS.has(peek().v) && !(peek().v === 'default' && is(':', 1))) {
        mods.add(peek().v);
        i++;
        continue;
      }
      if (is('non') && is('-', 1) && is('sealed', 2)) { i += 3; continue; }
      break;
    }
    return { mods, annos };
  }

  /** A type reference as text: `java.util.List<Foo<? extends Bar>>[]`. */
  function typeRef() {
    let text = '';
    for (;;) {
      annotations();
      if (peek()?.t !== 'id') break;
      text += peek().v;
      i++;
      if (is('<')) text += skipAngles();
      if (is('.') && peek(1)?.t === 'id') { text += '.'; i++; continue; }
      break;
    }
    while (is('[') && is(']', 1)) { text += '[]'; i += 2; }
    if (is('...')) { text += '...'; i++; }
    return text;
  }

  function parameters(inner) {
    // Split the inner tokens at top-level commas; the last identifier of each part is the name.
    const params = [];
    let depth = 0;
    let part = [];
    const flush = () => {
      if (part.length === 0) return;
      const annos = [];
      let k = 0;
      while (part[k]?.v === '@') {
        k++;
        let name = part[k++].v;
        while (part[k]?.v === '.' && part[k + 1]?.t === 'id') { name = part[k + 1].v; k += 2; }
        if (part[k]?.v === '(') { let d = 0; do { if (part[k].v === '(') d++; else if (part[k].v === ')') d--; k++; } while (d > 0 && k < part.length); }
        annos.push(name);
      }
      while (part[k]?.v === 'final') k++;
      const rest = part.slice(k);
      const nameTok = rest[rest.length - 1];
      const type = rest.slice(0, -1).map((t) => t.v).join('');
      params.push({ name: nameTok?.v, type: type || 'def', annotations: annos });
      part = [];
    };
    for (const tok of inner) {
      if (tok.t === 'op' && (tok.v === '<' || tok.v === '(' || tok.v === '[')) depth++;
      if (tok.t === 'op' && (tok.v === '>' || tok.v === ')' || tok.v === ']')) depth--;
      if (tok.t === 'op' && tok.v === ',' && depth === 0) { flush(); continue; }
      part.push(tok);
    }
    flush();
    return params;
  }

  /** Skips a field initializer or Groovy statement: up to `;` at depth 0 (or the end of the class body); returns where it ends (the `;`). */
  function skipToStatementEnd() {
    while (i < tokens.length && !is(';') && !is('}')) {
      if (is('(') || is('[') || is('{')) skipGroup();
      else i++;
    }
    const end = i;
    if (is(';')) i++;
    return end;
  }

  function typeDecl(mods, annos, outer) {
    const keyword = peek().v === '@' ? 'annotation' : peek().v;
    i += keyword === 'annotation' ? 2 : 1;
    const name = peek().v;
    i++;
    const decl = {
      kind: keyword, name, outer: outer?.name, mods: [...mods], annotations: annos, typeParams: '', extends: [],
      implements: [], constructors: [], methods: [], fields: [], enumConstants: [], types: [],
    };
    if (is('<')) decl.typeParams = skipAngles();
    if (is('(')) decl.recordComponents = parameters(skipGroup());
    while (!is('{') && i < tokens.length) {
      if (is('extends')) { i++; decl.extends.push(typeRef()); while (is(',')) { i++; decl.extends.push(typeRef()); } continue; }
      if (is('implements')) { i++; decl.implements.push(typeRef()); while (is(',')) { i++; decl.implements.push(typeRef()); } continue; }
      if (is('permits')) { i++; typeRef(); while (is(',')) { i++; typeRef(); } continue; }
      i++;
    }
    classBody(decl);
    return decl;
  }

  function classBody(decl) {
    i++; // {
    if (decl.kind === 'enum') {
      while (!is(';') && !is('}') && i < tokens.length) {
        annotations();
        if (peek()?.t === 'id') decl.enumConstants.push(peek().v);
        i++;
        if (is('(')) skipGroup();
        if (is('{')) skipGroup();
        if (is(',')) i++;
      }
      if (is(';')) i++;
    }
    while (i < tokens.length && !is('}')) {
      if (is(';')) { i++; continue; }
      const { mods, annos } = modifiers();
      if (is('{')) { skipGroup(); continue; }
      if ((peek()?.t === 'id' && TYPE_KEYWORDS.has(peek().v) && peek(1)?.t === 'id') || (is('@') && is('interface', 1))) {
        decl.types.push(typeDecl(mods, annos, decl));
        continue;
      }
      if (is('<')) skipAngles();
      if (peek()?.t === 'id' && peek().v === decl.name && is('(', 1)) {
        i++;
        const params = parameters(skipGroup());
        while (!is('{') && !is(';') && i < tokens.length) i++;
        const body = is('{') ? skipGroup() : (i++, []);
        decl.constructors.push({ mods: [...mods], annotations: annos, params, body });
        continue;
      }
      const start = i;
      const type = typeRef();
      if (peek()?.t === 'id' && is('(', 1)) {
        const name = peek().v;
        i++;
        const params = parameters(skipGroup());
        while (!is('{') && !is(';') && !is('}') && i < tokens.length) {
          if (is('(')) skipGroup(); else i++;
        }
        const body = is('{') ? skipGroup() : (is(';') ? (i++, []) : []);
        decl.methods.push({ name, returnType: type, mods: [...mods], annotations: annos, params, body });
        continue;
      }
      if (peek()?.t === 'id') {
        // Field(s): `Type a = ..., b;` (Groovy: `Type a = ...` without `;`).
        const field = { name: peek().v, type, mods: [...mods], annotations: annos, init: [] };
        decl.fields.push(field);
        i++;
        const from = tokens[i]?.v === '=' ? i + 1 : i;
        field.init = tokens.slice(from, skipToStatementEnd());
        continue;
      }
      if (i === start) i++; // not understood: move on
      else skipToStatementEnd();
    }
    i++; // }
  }

  const unit = { package: '', imports: [], types: [] };
  while (i < tokens.length) {
    if (is('package')) { i++; unit.package = qualifiedName(); if (is(';')) i++; continue; }
    if (is('import')) {
      i++;
      const isStatic = is('static');
      if (isStatic) i++;
      let name = qualifiedName();
      if (is('.') && is('*', 1)) { name += '.*'; i += 2; }
      if (is('as')) { i += 2; }
      if (is(';')) i++;
      if (!isStatic) unit.imports.push(name);
      continue;
    }
    const { mods, annos } = modifiers();
    if ((peek()?.t === 'id' && TYPE_KEYWORDS.has(peek().v)) || (is('@') && is('interface', 1))) {
      unit.types.push(typeDecl(mods, annos, undefined));
      continue;
    }
    i++;
  }
  return unit;
}

/** String values of an annotation's arguments (`@Symbol("a")`, `@Symbol({"a", "b"})`). */
export function annotationStrings(annotation) {
  return annotation.args.filter((t) => t.t === 'str').map((t) => t.v);
}

/** The string literal a method body returns, when it is `return "x";`. */
export function returnedString(method) {
  const body = method.body;
  for (let k = 0; k < body.length - 1; k++) {
    if (body[k].v === 'return' && body[k].t === 'id' && body[k + 1].t === 'str' && [';', '}', undefined].includes(body[k + 2]?.v)) {
      return body[k + 1].v;
    }
  }
  return undefined;
}

/** The boolean literal a method body returns, when it is a plain `return true|false;`. */
export function returnedBoolean(method) {
  const body = method.body;
  if (body.length === 3 && body[0].v === 'return' && (body[1].v === 'true' || body[1].v === 'false')) return body[1].v === 'true';
  if (body.length === 2 && (body[0].v === 'true' || body[0].v === 'false')) return body[0].v === 'true'; // Groovy
  if (body.length === 2 && body[0].v === 'return' && (body[1].v === 'true' || body[1].v === 'false')) return body[1].v === 'true';
  return undefined;
}

/** A returned int literal (`return -1;`). */
export function returnedInt(method) {
  const body = method.body.filter((t) => t.v !== ';');
  if (body[0]?.v !== 'return') return undefined;
  const text = body.slice(1).map((t) => t.v).join('');
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}
