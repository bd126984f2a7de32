/**
 * Validates SARIF logs against the SARIF 2.1.0 JSON schema shipped by Microsoft's
 * `@microsoft/jest-sarif` package (`sarif-2.1.0-rtm.5.json`, JSON Schema draft-04), with Ajv's
 * draft-04 class and format checks (uri, uri-reference, date-time).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import Ajv04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);
/** Path of the schema file inside the installed package. */
export const SARIF_SCHEMA_FILE = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

const schema = JSON.parse(readFileSync(SARIF_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
// The CommonJS packages export their classes as `default` under ESM interop.
const AjvClass = Ajv04Module.default;
const addFormatsFn = addFormatsModule.default;
// `unicodeRegExp: false`: the schema's `language` pattern has a stray `]`, which is a literal in a
// plain RegExp (as JSON Schema draft-04 validators read it) but a syntax error with the `u` flag.
const ajv = new AjvClass({ allErrors: true, strict: false, unicodeRegExp: false });
addFormatsFn(ajv);
const validate = ajv.compile(schema);

/** Schema errors of a SARIF log (empty when valid). */
export function sarifSchemaErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e: { instancePath: string; message?: string; params: unknown }) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** The schema's declared version (a guard that the right file was loaded). */
export const SARIF_SCHEMA_TITLE = String(schema['title']);
