/**
 * IAM policy documents as pipewright writes them, and their deterministic JSON form.
 */

/** `{ "<operator>": { "<condition key>": value } }`. */
export type PolicyCondition = Record<string, Record<string, string | string[]>>;

/** One statement of an identity or trust policy. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  /** Who may assume the role (trust policies): the Jenkins principal, or a service (`ecs-tasks.amazonaws.com` for an ECS task execution role). */
  Principal?: { AWS: string } | { Service: string };
  Action: string[];
  Resource?: string[];
  Condition?: PolicyCondition;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * JSON with object keys sorted at every level and two-space indentation, so the same model
 * always prints the same bytes (arrays keep their order; the generator sorts them itself).
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/**
 * {@link stableJson}'s text of `value` as it appears nested in a larger value at `indent` (the
 * indentation of the line it starts on), without the final newline: the same bytes as that part
 * of the larger value's text (JSON strings hold no raw newline, so every newline is a line break).
 */
export function stableJsonAt(value: unknown, indent: string): string {
  // Strings and lists of strings (a role's ARN, steps, notes) are most of what is printed: no sorted copy for them.
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value) && isStringList(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${inner}${value.map((item) => JSON.stringify(item)).join(`,\n${inner}`)}\n${indent}]`;
  }
  const text = JSON.stringify(sortKeys(value), null, 2);
  return indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
}

/**
 * {@link stableJsonAt}'s text pushed onto `parts` (joined later): a list of strings (a role's
 * steps, notes) item by item, with no joined copy of its own.
 */
export function stableJsonInto(parts: string[], value: unknown, indent: string): void {
  if (!Array.isArray(value) || value.length === 0 || !isStringList(value)) {
    parts.push(stableJsonAt(value, indent));
    return;
  }
  const inner = `${indent}  `;
  for (let i = 0; i < value.length; i++) parts.push(i === 0 ? '[\n' : ',\n', inner, JSON.stringify(value[i]));
  parts.push('\n', indent, ']');
}

/** Every index holds a string (a hole is not one: JSON prints it as `null`). */
function isStringList(list: readonly unknown[]): list is string[] {
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return false;
  return true;
}

/**
 * Documents shared between results (a fleet's pipelines get the same statements): deep-frozen, so
 * an object is its content for good, and its text is kept per object and indentation.
 */
const sharedDocumentTexts = new WeakMap<object, Map<string, string>>();

/** Freezes `document` deeply and marks it shared (see {@link documentJsonAt}); returns it. */
export function shareDocument(document: PolicyDocument): Readonly<PolicyDocument> {
  deepFreeze(document);
  sharedDocumentTexts.set(document, new Map());
  return document;
}

/** {@link stableJsonAt} of a policy document; printed once per indentation for a shared document. */
export function documentJsonAt(document: Readonly<PolicyDocument>, indent: string): string {
  const texts = sharedDocumentTexts.get(document);
  if (texts === undefined) return stableJsonAt(document, indent);
  let text = texts.get(indent);
  if (text === undefined) {
    text = stableJsonAt(document, indent);
    texts.set(indent, text);
  }
  return text;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  Object.freeze(value);
  for (const entry of Object.values(value)) deepFreeze(entry);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) sorted[key] = sortKeys(entry);
    }
    return sorted;
  }
  return value;
}

/** Sid-safe PascalCase of free text (`ecs deploy dev` → `EcsDeployDev`). */
export function pascalWords(text: string): string {
  // Every statement's Sid names its steps, service and resource type: the same few texts in every pipeline.
  let words = pascalWordsMemo.get(text);
  if (words === undefined) {
    words = text
      .split(/[^A-Za-z0-9]+/)
      .filter((word) => word !== '')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join('');
    if (pascalWordsMemo.size >= PASCAL_WORDS_LIMIT) pascalWordsMemo.clear();
    pascalWordsMemo.set(text, words);
  }
  return words;
}
/** Bounds the memo (step labels are the pipelines' own text). */
const PASCAL_WORDS_LIMIT = 4096;
const pascalWordsMemo = new Map<string, string>();
