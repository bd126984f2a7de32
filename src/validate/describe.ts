/**
 * Small text helpers shared by the validators: brief renderings of user values for the
 * `found` field of a diagnostic, and "did you mean" suggestions.
 */

const MAX_STRING_CHARS = 40;
const MAX_OBJECT_KEYS = 4;

/** A string quoted the way messages quote values: single quotes, control characters escaped, truncated. */
export function quoteBrief(text: string, maxChars = MAX_STRING_CHARS): string {
  const chars = Array.from(text);
  const shown = chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}…` : text;
  const escaped = shown.replace(/[\\'\u0000-\u001f\u007f\u2028\u2029\uffff]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
  return `'${escaped}'`;
}

/** A literal (string, number, boolean, null) as it appears in messages: `'any'`, `42`, `true`. */
export function literalText(value: unknown): string {
  if (typeof value === 'string') return quoteBrief(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/**
 * A brief description of any value, type first: `number 42`, `string 'abc'`,
 * `object { a, b }`, `array of 3 items`.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return value === '' ? "empty string ''" : `string ${quoteBrief(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'symbol':
      return 'symbol';
    case 'function':
      return value.name ? `function ${value.name}` : 'function';
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 'empty array';
    return value.length === 1 ? 'array of 1 item' : `array of ${value.length} items`;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (value as object).constructor?.name;
    if (name) return `${name} object`;
  }
  const keys = Object.keys(value as object);
  if (keys.length === 0) return 'empty object';
  const shown = keys.slice(0, MAX_OBJECT_KEYS).join(', ');
  return `object { ${shown}${keys.length > MAX_OBJECT_KEYS ? ', …' : ''} }`;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment), so `stagse` is one
 * edit away from `stages`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `input`, if it is close enough to be a plausible typo: equal ignoring
 * case, or within a third of the input's length (at least one edit), or else the only candidate
 * that starts with an input of three or more characters (`trivy` → `trivyScan`).
 */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const caseInsensitive = candidates.find((c) => c.toLowerCase() === lower);
  if (caseInsensitive !== undefined) return caseInsensitive;
  const limit = Math.max(1, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (bestDistance <= limit) return best;
  if (lower.length < MIN_PREFIX_CHARS) return undefined;
  const extensions = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  return extensions.length === 1 ? extensions[0] : undefined;
}

/** Shortest input {@link closestMatch} completes to a longer candidate. */
const MIN_PREFIX_CHARS = 3;

/** `a`, `a or b`, `a, b or c`. */
export function joinAlternatives(items: readonly string[], conjunction = 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
