/**
 * Literal-secret detection for SECRET-001: well-known credential formats by pattern, plus a
 * Shannon-entropy test for random-looking tokens (in values whose name says "secret", and long
 * tokens anywhere). Matches are reported redacted; the secret itself is never printed.
 */

/** A detected secret. */
export interface SecretMatch {
  /** What it looks like, e.g. `AWS access key id`. */
  kind: string;
  /** The match with all but the first four characters masked. */
  redacted: string;
}

const PATTERNS: readonly [string, RegExp][] = [
  ['AWS access key id', /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/],
  ['AWS secret access key', /aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b/i],
  ['private key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY-----/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['Slack webhook URL', /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]{20,}/],
  ['Microsoft Teams webhook URL', /https:\/\/[a-z0-9.-]+\.(?:webhook\.office\.com\/webhookb2|logic\.azure\.com(?::443)?\/workflows)\/[^\s"']+/i],
  ['GitHub token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/],
  ['GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['npm token', /\bnpm_[A-Za-z0-9]{36}\b/],
  ['Stripe secret key', /\b(?:sk|rk)_live_[A-Za-z0-9]{20,}\b/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['Snyk/UUID API token', /\bsnyk[_-]?token["']?\s*[:=]\s*["']?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i],
  ['SonarQube token', /\bsq[apu]_[0-9a-f]{40}\b/],
  ['JSON Web Token', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['password in URL', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:[^\s@/"'$]{3,}@[^\s"']+/i],
  ['password assignment', /\b(?:password|passwd|pwd)\s*[:=]\s*["']?(?!\$)[^\s"'$]{6,}/i],
];

/** One pass over a string before the individual patterns: most strings match none of them. */
const ANY_PATTERN = new RegExp(PATTERNS.map(([, re]) => `(?:${re.source})`).join('|'), 'i');

/** Bits of Shannon entropy per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Names of values that hold secrets (environment variables, argument keys). */
export const SECRET_NAME = /(?:pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|auth)/i;
/** Names that say the value is a reference to a secret, not the secret. */
const REFERENCE_NAME = /(?:_?ids?|_?name|_?file|_?path|credentials?_?id|_?variable|_?var|_?url_?credential|_?ref)$/i;

const TOKEN = /[A-Za-z0-9+/=_-]{32,}/g;
const looksLikeDigest = (token: string) => /^(?:sha(?:256|512)[:-])?[0-9a-f]+$/i.test(token);
const mixedClasses = (token: string) =>
  [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(token)).length >= 3 || (/[0-9]/.test(token) && /[+/=_-]/.test(token) && /[A-Za-z]/.test(token));

function redact(secret: string): string {
  return `${secret.slice(0, 4)}${'*'.repeat(Math.min(8, Math.max(4, secret.length - 4)))}`;
}

/** Shortest value {@link findSecret} looks at: anything shorter is never reported. */
export const SECRET_MIN_LENGTH = 8;

/** Shortest string a token of {@link TOKEN} fits in. */
const TOKEN_MIN_LENGTH = 32;

/**
 * Results by name and exact value: the same values (scripts, URLs, labels, ids) recur in every
 * pipeline of a project (a fleet of services built from one preset), and one pass of the patterns
 * costs several times a lookup. Cleared when large.
 */
const results = new Map<string, Map<string, SecretMatch | null>>();
const MEMO_LIMIT = 20_000;
let memoSize = 0;

/**
 * Finds a literal secret in a string value. `name` is the key holding it (an environment
 * variable, an argument), if any: a random-looking value under a secret-like name is reported
 * even when it is short.
 */
export function findSecret(value: string, name?: string): SecretMatch | undefined {
  if (value.length < SECRET_MIN_LENGTH) return undefined;
  // `scan` treats no name and the empty name alike.
  const nameKey = name ?? '';
  let byValue = results.get(nameKey);
  const known = byValue?.get(value);
  if (known !== undefined) return known ?? undefined;
  const found = scan(value, name);
  if (memoSize >= MEMO_LIMIT) {
    results.clear();
    memoSize = 0;
    byValue = undefined;
  }
  if (!byValue) results.set(nameKey, (byValue = new Map()));
  byValue.set(value, found === undefined ? null : Object.freeze(found));
  memoSize++;
  return found;
}

function scan(value: string, name: string | undefined): SecretMatch | undefined {
  if (ANY_PATTERN.test(value)) {
    for (const [kind, pattern] of PATTERNS) {
      const match = pattern.exec(value);
      if (match) return { kind, redacted: redact(match[0]) };
    }
  }
  // `credentials` (exactly) is the key of the DSL's credentials('id') reference: its value is an id.
  if (name && name !== 'credentials' && SECRET_NAME.test(name) && !REFERENCE_NAME.test(name)) {
    const candidate = value.trim();
    const isReference = /^\$\{?[A-Za-z_]|^\{\{|^arn:|^(?:file|credentials?):/i.test(candidate) || /\s/.test(candidate);
    if (!isReference && candidate.length >= 12 && shannonEntropy(candidate) >= 3.2) {
      return { kind: `high-entropy value of ${name}`, redacted: redact(candidate) };
    }
  }
  if (value.length < TOKEN_MIN_LENGTH) return undefined;
  for (const token of value.match(TOKEN) ?? []) {
    if (looksLikeDigest(token) || !mixedClasses(token)) continue;
    if (shannonEntropy(token) >= 4.2) return { kind: 'high-entropy token', redacted: redact(token) };
  }
  return undefined;
}
