/**
 * Schema validation: runs the zod model schema and turns every zod issue into a Diagnostic with a
 * plain-words message and `expected` / `found` filled in. Unions are reduced to ONE diagnostic
 * (the branch the value was evidently aiming at, or a single "must be one of" message), never a
 * dump of every branch's failure.
 *
 * Diagnostics carry a model `path` but no location: the caller maps paths to TypeScript source.
 */
import type { z } from 'zod';
import type { Diagnostic, ModelPath } from '../diagnostics.ts';
import { PipelineSchema, type ValidPipeline } from '../model/schema.ts';
import { compileAcceptingParser } from './accepting-parser.ts';
import { closestMatch, describeValue, joinAlternatives, literalText } from './describe.ts';
import { isPlainTree } from './plain-tree.ts';

/** Diagnostic codes produced by {@link validateSchema}. */
export const SCHEMA_CODES = {
  /** A value has the wrong type, or a required property is missing. */
  wrongType: 'PW2001',
  /** A property the model does not know (a typo, usually). */
  unknownKey: 'PW2002',
  /** A value outside an allowed set: enum, literal, discriminator, or no union alternative. */
  invalidValue: 'PW2003',
  /** A string, array or number is too short, too long, too small or too big. */
  outOfRange: 'PW2004',
  /** A string does not have the required format (pattern). */
  invalidFormat: 'PW2005',
  /** Any other rule of the schema (refinements). */
  invalid: 'PW2006',
} as const;

/** Result of {@link validateSchema}: the parsed pipeline when there were no issues. */
export interface SchemaValidationResult {
  pipeline?: ValidPipeline;
  diagnostics: Diagnostic[];
}

/**
 * Validates an unknown value (a loaded pipeline module's default export) against the model
 * schema. Returns the pipeline when valid; otherwise one diagnostic per problem, all `error`.
 */
export function validateSchema(value: unknown): SchemaValidationResult {
  // Most pipelines are valid: the accepting parser returns zod's result for those, faster; for
  // any other value zod parses (and describes the problems).
  const accepted = acceptPipeline(value, { plainTree: isPlainTree(value) });
  if (accepted) return { pipeline: accepted.value, diagnostics: [] };
  const result = PipelineSchema.safeParse(value, { error: markDefaultMessage });
  if (result.success) return { pipeline: result.data, diagnostics: [] };
  return { diagnostics: schemaIssuesToDiagnostics(value, result.error.issues) };
}

/** zod's result for the pipelines it accepts, or `undefined` (see accepting-parser.ts). */
const acceptPipeline = compileAcceptingParser(PipelineSchema);

/**
 * Converts zod issues from any schema into diagnostics. `root` is the value that was parsed; it
 * is used to render what was found at each path. Parse with `{ error: markDefaultMessage }` to
 * get plain-words messages and "did you mean" suggestions instead of zod's default messages.
 */
export function schemaIssuesToDiagnostics(root: unknown, issues: readonly z.core.$ZodIssue[]): Diagnostic[] {
  const converter = new IssueConverter(root);
  for (const issue of issues) converter.convert(issue, []);
  return converter.diagnostics;
}

/** Code of a problem in `pipewright.config.ts` found by its schema. */
export const CONFIG_SCHEMA_CODE = 'PW2100';

/**
 * Converts the zod issues of `pipewright.config.ts` (parsed with `{ error: markDefaultMessage }`)
 * into `PW2100` diagnostics that say what was expected and found:
 * `invalid configuration: \`ART-003\` must be 'error', 'warning', 'info', 'off' or an object`.
 */
export function configIssuesToDiagnostics(root: unknown, issues: readonly z.core.$ZodIssue[]): Diagnostic[] {
  return schemaIssuesToDiagnostics(root, issues).map((d) => ({ ...d, code: CONFIG_SCHEMA_CODE, message: `invalid configuration: ${d.message}` }));
}

/**
 * A zod error map. zod calls it only for issues the schema has no message of its own for; it
 * marks them (so the converter writes its own message) and passes along what the final issue
 * does not carry: the known keys of an object with unknown ones, and the discriminator options
 * of a discriminated union that was given a non-object.
 */
export function markDefaultMessage(issue: z.core.$ZodRawIssue): string {
  const meta: IssueMeta = {};
  const def = (issue.inst as { _zod?: { def?: { shape?: unknown; discriminator?: unknown } } } | undefined)?._zod?.def;
  if (issue.code === 'unrecognized_keys' && isObject(def?.shape)) meta.knownKeys = Object.keys(def.shape);
  if (issue.code === 'invalid_type' && typeof def?.discriminator === 'string') {
    const values = (issue.inst as { _zod?: { propValues?: Record<string, Set<unknown>> } })._zod?.propValues?.[def.discriminator];
    if (values) meta.discriminator = { key: def.discriminator, options: [...values].filter(isPrimitive) };
  }
  return DEFAULT_MESSAGE + JSON.stringify(meta);
}

// ---------------------------------------------------------------------------------------------

/** Marks issues whose message zod would have made up; we write our own for those. */
const DEFAULT_MESSAGE = '\u0000pipewright:';

/** Facts about an issue that only the raw issue knows (see {@link markDefaultMessage}). */
interface IssueMeta {
  knownKeys?: string[];
  discriminator?: { key: string; options: Primitive[] };
}

/** The schema's own message (or `undefined` if it had none) and our metadata. */
function splitMessage(message: string): { custom?: string; meta: IssueMeta } {
  if (!message.startsWith(DEFAULT_MESSAGE)) return message ? { custom: message, meta: {} } : { meta: {} };
  try {
    return { meta: JSON.parse(message.slice(DEFAULT_MESSAGE.length)) as IssueMeta };
  } catch {
    return { meta: {} };
  }
}

const isPrimitive = (value: unknown): value is Primitive =>
  value === null || (typeof value !== 'object' && typeof value !== 'function');

type Issue = z.core.$ZodIssue;
type Primitive = string | number | bigint | boolean | symbol | null | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const toModelPath = (path: readonly PropertyKey[]): (string | number)[] =>
  path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));

/** How a value at a path was found: present (with its value), missing from its parent, or unreachable. */
type Lookup = { kind: 'present'; value: unknown } | { kind: 'missing' } | { kind: 'unknown' };

function lookup(root: unknown, path: ModelPath): Lookup {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return { kind: 'unknown' };
    if (!(segment in current)) return { kind: 'missing' };
    current = (current as Record<string | number, unknown>)[segment];
  }
  return { kind: 'present', value: current };
}

/** `name`, `stages[0]`, or `the pipeline` for the root. */
function subjectOf(path: ModelPath): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'the pipeline';
  if (typeof last === 'string') return `\`${last}\``;
  const parent = path[path.length - 2];
  return typeof parent === 'string' ? `\`${parent}[${last}]\`` : `item ${last}`;
}

/** The noun for zod's `expected` type names. */
const TYPE_NAMES: Record<string, string> = {
  record: 'object',
  int: 'integer',
  nan: 'NaN',
};
const typeName = (expected: string): string => TYPE_NAMES[expected] ?? expected;
const withArticle = (noun: string): string =>
  noun === 'null' || noun === 'undefined' ? noun : /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;

/** The kind of a JS value in zod's vocabulary, to compare with an `expected` type. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** What one union alternative wanted, when the value failed it at the top level. */
type Alternative =
  | { kind: 'type'; expected: string; discriminator?: { key: string; options: readonly Primitive[] } }
  | { kind: 'value'; values: readonly Primitive[]; sameType: boolean }
  | { kind: 'discriminator'; key: string; options: readonly Primitive[] };

class IssueConverter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly root: unknown) {}

  convert(issue: Issue, prefix: ModelPath): void {
    const path = [...prefix, ...toModelPath(issue.path)];
    const { custom, meta } = splitMessage(issue.message);
    switch (issue.code) {
      case 'invalid_type':
        return this.invalidType(path, issue.expected, custom, meta);
      case 'unrecognized_keys':
        return this.unknownKeys(path, issue.keys, meta.knownKeys);
      case 'invalid_value':
        return this.invalidValue(path, issue.values, custom);
      case 'invalid_union':
        return this.invalidUnion(path, issue, custom);
      case 'too_small':
      case 'too_big':
        return this.outOfRange(path, issue, custom);
      case 'invalid_format':
        return this.invalidFormat(path, issue, custom);
      case 'not_multiple_of':
        return this.push({
          code: SCHEMA_CODES.outOfRange,
          path,
          message: custom ?? `${subjectOf(path)} must be a multiple of ${issue.divisor}`,
          expected: `a multiple of ${issue.divisor}`,
          found: this.found(path),
        });
      case 'invalid_key': {
        // A bad record key: report the nested issues, with the key (not its value) as found.
        const first = this.diagnostics.length;
        for (const nested of issue.issues) this.convert(nested, path);
        const key = path[path.length - 1];
        for (const d of this.diagnostics.slice(first)) if (key !== undefined) d.found = describeValue(String(key));
        return;
      }
      case 'invalid_element':
        // Problems with a map/set element: report the nested issues.
        for (const nested of issue.issues) this.convert(nested, path);
        return;
      default:
        // `custom` (refinements) and anything newer: the schema's message says what is wrong.
        return this.push({ code: SCHEMA_CODES.invalid, path, message: custom ?? `${subjectOf(path)} is not valid` });
    }
  }

  private push(d: Omit<Diagnostic, 'severity'>): void {
    const key = JSON.stringify([d.code, d.path, d.message]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push({ ...d, severity: 'error' });
  }

  private found(path: ModelPath): string {
    const found = lookup(this.root, path);
    if (found.kind === 'missing') return 'nothing';
    if (found.kind === 'unknown') return 'nothing';
    return describeValue(found.value);
  }

  private invalidType(path: ModelPath, expected: string, custom: string | undefined, meta: IssueMeta): void {
    const found = lookup(this.root, path);
    const alternative: Alternative = { kind: 'type', expected: typeName(expected), ...(meta.discriminator ? { discriminator: meta.discriminator } : {}) };
    const property = path[path.length - 1];
    if (found.kind === 'missing' && typeof property === 'string') {
      this.push({
        code: SCHEMA_CODES.wrongType,
        path,
        message: custom ?? `missing required property \`${property}\``,
        expected: alternativeExpected(alternative),
        found: 'nothing',
      });
      return;
    }
    const value = found.kind === 'present' ? found.value : undefined;
    let message = custom;
    if (!message) {
      if (expected === 'int' && typeof value === 'number' && Number.isFinite(value)) message = `${subjectOf(path)} must be a whole number`;
      else if (typeof value === 'number' && !Number.isFinite(value)) message = `${subjectOf(path)} must be a finite number`;
      else message = `${subjectOf(path)} must be ${alternativePhrase(alternative)}, not ${withArticle(kindNoun(value))}`;
    }
    this.push({ code: SCHEMA_CODES.wrongType, path, message, expected: alternativeExpected(alternative), found: describeValue(value) });
  }

  private unknownKeys(path: ModelPath, keys: readonly string[], known: readonly string[] | undefined): void {
    for (const key of keys) {
      const suggestion = known ? closestMatch(key, known.filter((k) => !keys.includes(k))) : undefined;
      const owner = path.length === 0 ? 'the pipeline' : subjectOf(path);
      this.push({
        code: SCHEMA_CODES.unknownKey,
        path: [...path, key],
        message:
          `unknown property \`${key}\` in ${owner}` + (suggestion !== undefined ? ` - did you mean \`${suggestion}\`?` : ''),
        ...(known ? { expected: `one of ${known.join(', ')}` } : {}),
        found: `\`${key}\``,
      });
    }
  }

  private invalidValue(path: ModelPath, values: readonly Primitive[], custom: string | undefined): void {
    const found = lookup(this.root, path);
    const value = found.kind === 'present' ? found.value : undefined;
    const allowed = values.map(literalText);
    let message = custom;
    if (!message) {
      if (values.length === 1) message = `${subjectOf(path)} must be ${allowed[0]}`;
      else if (isLongList(values)) message = unknownValueMessage(path, found.kind === 'present', value);
      else message = `${subjectOf(path)} must be one of ${allowed.join(', ')}`;
      message += this.suggestion(value, values);
    }
    this.push({
      code: SCHEMA_CODES.invalidValue,
      path,
      message,
      expected: allowed.join(' | '),
      found: found.kind === 'missing' ? 'nothing' : describeValue(value),
    });
  }

  private suggestion(value: unknown, values: readonly Primitive[]): string {
    if (typeof value !== 'string') return '';
    const strings = values.filter((v): v is string => typeof v === 'string');
    const match = closestMatch(value, strings);
    return match !== undefined && match !== value ? ` - did you mean ${literalText(match)}?` : '';
  }

  private discriminator(path: ModelPath, key: string, options: readonly Primitive[]): void {
    // `path` ends with the discriminator key itself.
    const found = lookup(this.root, path);
    const allowed = options.map(literalText);
    if (found.kind !== 'present') {
      this.push({
        code: SCHEMA_CODES.invalidValue,
        path,
        // A long list is shown once, as `expected`.
        message: isLongList(options)
          ? `missing required property \`${key}\` (${options.length} allowed values)`
          : `missing required property \`${key}\` (one of ${allowed.join(', ')})`,
        expected: allowed.join(' | '),
        found: 'nothing',
      });
      return;
    }
    const must = isLongList(options) ? unknownValueMessage(path, true, found.value) : `\`${key}\` must be one of ${allowed.join(', ')}`;
    this.push({
      code: SCHEMA_CODES.invalidValue,
      path,
      message: `${must}${this.suggestion(found.value, options)}`,
      expected: allowed.join(' | '),
      found: describeValue(found.value),
    });
  }

  private invalidUnion(path: ModelPath, issue: Extract<Issue, { code: 'invalid_union' }>, custom: string | undefined): void {
    if (issue.discriminator !== undefined && issue.errors.length === 0 && 'options' in issue) {
      this.discriminator(path, issue.discriminator, issue.options ?? []);
      return;
    }
    if (issue.errors.length === 0) {
      this.push({
        code: SCHEMA_CODES.invalidValue,
        path,
        message: custom ?? `${subjectOf(path)} matches more than one of the allowed forms`,
        found: this.found(path),
      });
      return;
    }
    const found = lookup(this.root, path);
    const value = found.kind === 'present' ? found.value : undefined;
    const alternatives: Alternative[] = [];
    const deepBranches: Issue[][] = [];
    for (const branch of issue.errors) {
      const shallow = classifyBranch(branch, value);
      if (shallow) alternatives.push(...shallow);
      else deepBranches.push(branch);
    }

    // The value had the right shape for some alternative and failed inside it: report that
    // alternative's problems (the one with the fewest, if several).
    if (deepBranches.length > 0) {
      const best = deepBranches.reduce((a, b) => (b.length < a.length ? b : a));
      for (const nested of best) this.convert(nested, path);
      return;
    }

    if (typeof value === 'number' && !Number.isFinite(value) && alternatives.some((a) => a.kind === 'type' && a.expected === 'number')) {
      this.push({
        code: SCHEMA_CODES.wrongType,
        path,
        message: `${subjectOf(path)} must be a finite number`,
        expected: 'finite number',
        found: describeValue(value),
      });
      return;
    }

    if (found.kind === 'missing') {
      const property = path[path.length - 1];
      this.push({
        code: SCHEMA_CODES.wrongType,
        path,
        message: `missing required property \`${String(property)}\``,
        expected: alternatives.map(alternativeExpected).filter(unique).join(' | '),
        found: 'nothing',
      });
      return;
    }

    // An object with a bad discriminator, and the object form is the only one of its kind:
    // the author clearly meant the object form.
    const matchingKind = alternatives.filter((a) => a.kind === 'discriminator' || (a.kind === 'value' && a.sameType));
    const only = matchingKind[0];
    if (matchingKind.length === 1 && only?.kind === 'discriminator') {
      this.discriminator([...path, only.key], only.key, only.options);
      return;
    }

    const literalValues = alternatives.flatMap((a) => (a.kind === 'value' ? a.values : []));
    const message =
      custom ??
      `${subjectOf(path)} must be ${joinAlternatives(alternativePhrases(alternatives))}` +
        this.suggestion(value, literalValues);
    this.push({
      code: SCHEMA_CODES.invalidValue,
      path,
      message,
      expected: alternatives.map(alternativeExpected).filter(unique).join(' | '),
      found: describeValue(value),
    });
  }

  private outOfRange(path: ModelPath, issue: Extract<Issue, { code: 'too_small' | 'too_big' }>, custom: string | undefined): void {
    const small = issue.code === 'too_small';
    const limit = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
    const inclusive = issue.inclusive !== false;
    const subject = subjectOf(path);
    let expected: string;
    let message: string;
    switch (issue.origin) {
      case 'string':
      case 'array':
      case 'set': {
        const unit = issue.origin === 'string' ? 'character' : 'item';
        const n = Number(limit);
        const count = `${n} ${unit}${n === 1 ? '' : 's'}`;
        if (issue.exact) {
          expected = `exactly ${count}`;
          message = `${subject} must have exactly ${count}`;
        } else if (small && n <= 1) {
          expected = issue.origin === 'string' ? 'a non-empty string' : 'at least 1 item';
          message = `${subject} must not be empty`;
        } else {
          expected = `${small ? 'at least' : 'at most'} ${count}`;
          message = `${subject} must have ${expected}`;
        }
        break;
      }
      default: {
        const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
        const words = small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
        expected = `${op} ${String(limit)}`;
        message = `${subject} must be ${words} ${String(limit)}`;
      }
    }
    this.push({ code: SCHEMA_CODES.outOfRange, path, message: custom ?? message, expected, found: this.found(path) });
  }

  private invalidFormat(path: ModelPath, issue: Extract<Issue, { code: 'invalid_format' }>, custom: string | undefined): void {
    const expected = issue.format === 'regex' && issue.pattern ? `a string matching ${issue.pattern}` : `a valid ${issue.format}`;
    this.push({
      code: SCHEMA_CODES.invalidFormat,
      path,
      message: custom ?? `${subjectOf(path)} must be ${expected}`,
      expected,
      found: this.found(path),
    });
  }
}

/**
 * Lists longer than this (the 33 step kinds) are not spelt out in messages: `expected` lists
 * them, once, and the message says what was wrong and what was probably meant.
 */
const MAX_LISTED_VALUES = 8;

const isLongList = (values: readonly unknown[]): boolean => values.length > MAX_LISTED_VALUES;

/** `unknown \`step\` 'shh'` (the suggestion, if any, is appended by the caller). */
function unknownValueMessage(path: ModelPath, present: boolean, value: unknown): string {
  if (!present) return `missing required property ${subjectOf(path)}`;
  return `unknown ${subjectOf(path)} ${typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? literalText(value) : withArticle(kindNoun(value))}`;
}

function kindNoun(value: unknown): string {
  if (value === undefined) return 'undefined value';
  if (value === null) return 'null value';
  return kindOf(value);
}

const unique = <T>(item: T, index: number, all: readonly T[]): boolean => all.indexOf(item) === index;

/**
 * What a union branch wanted, if the value failed it at the union's own level (wrong type, wrong
 * literal, wrong discriminator); `undefined` if the value got inside the branch and failed there.
 */
function classifyBranch(branch: readonly Issue[], value: unknown): Alternative[] | undefined {
  if (branch.length === 0) return undefined;
  const alternatives: Alternative[] = [];
  for (const issue of branch) {
    if (issue.code === 'invalid_type' && issue.path.length === 0) {
      const { discriminator } = splitMessage(issue.message).meta;
      alternatives.push({ kind: 'type', expected: typeName(issue.expected), ...(discriminator ? { discriminator } : {}) });
    } else if (issue.code === 'invalid_value' && issue.path.length === 0) {
      const sameType = issue.values.some((v) => kindOf(v) === kindOf(value));
      alternatives.push({ kind: 'value', values: issue.values, sameType });
    } else if (
      issue.code === 'invalid_union' &&
      issue.discriminator !== undefined &&
      issue.errors.length === 0 &&
      issue.path.length === 1 &&
      'options' in issue
    ) {
      alternatives.push({ kind: 'discriminator', key: issue.discriminator, options: issue.options ?? [] });
    } else if (issue.code === 'invalid_union' && issue.path.length === 0 && issue.errors.length > 0) {
      // A union nested in a union: shallow only if all its branches are.
      for (const nested of issue.errors) {
        const inner = classifyBranch(nested, value);
        if (!inner) return undefined;
        alternatives.push(...inner);
      }
    } else {
      return undefined;
    }
  }
  return alternatives;
}

/**
 * The phrases of a union's alternatives, literals one by one, so that one `or` joins them all:
 * `'error', 'warning', 'info', 'off' or an object`, not `'error', 'warning' or 'info', 'off' or an object`.
 */
function alternativePhrases(alternatives: readonly Alternative[]): string[] {
  return alternatives
    .flatMap((a) => (a.kind === 'value' && !isLongList(a.values) ? a.values.map(literalText) : [alternativePhrase(a)]))
    .filter(unique);
}

function alternativeExpected(a: Alternative): string {
  switch (a.kind) {
    case 'type':
      return a.discriminator ? `{ ${a.discriminator.key}: ${a.discriminator.options.map(literalText).join(' | ')}, … }` : a.expected;
    case 'value':
      return a.values.map(literalText).join(' | ');
    case 'discriminator':
      return `{ ${a.key}: ${a.options.map(literalText).join(' | ')}, … }`;
  }
}

function alternativePhrase(a: Alternative): string {
  const discriminated = (key: string, options: readonly Primitive[]) =>
    isLongList(options) ? `an object with a known \`${key}\`` : `an object with \`${key}\` ${joinAlternatives(options.map(literalText))}`;
  switch (a.kind) {
    case 'type':
      return a.discriminator ? discriminated(a.discriminator.key, a.discriminator.options) : withArticle(a.expected);
    case 'value':
      return isLongList(a.values) ? `one of ${a.values.length} allowed values` : joinAlternatives(a.values.map(literalText));
    case 'discriminator':
      return discriminated(a.key, a.options);
  }
}
