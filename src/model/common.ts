/**
 * Schema pieces shared by the pipeline model (`schema.ts`) and the delivery model
 * (`delivery.ts`). Both import this module and neither imports the other's values, so there is
 * no import cycle between them.
 */
import { z } from 'zod';

const nonEmpty = (what: string) => z.string().min(1, `${what} must not be empty`);

export const SuppressionSchema = z.strictObject({
  /** Rule id to suppress, e.g. `SCAN-001`. */
  rule: nonEmpty('rule'),
  /** Why this is acceptable. At least 10 characters: auditors read this. */
  reason: z.string().min(10, 'a suppression reason must be at least 10 characters'),
  /** Who owns the exception (a person or team). */
  owner: nonEmpty('owner'),
  /** Ticket that tracks the exception, e.g. `SEC-1234`. */
  ticket: z.string().optional(),
  /** Last day (YYYY-MM-DD) on which the suppression applies; afterwards it is itself a finding. */
  expires: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
    .optional(),
});
export type Suppression = z.input<typeof SuppressionSchema>;

/** Why a `__proto__` key is refused (see {@link dataRecord}). */
export const PROTO_KEY_MESSAGE =
  '`__proto__` cannot be used as a key here: JavaScript reads it as the object\'s prototype, so the entry would be lost or misread on the way to the Jenkinsfile; rename the key';

/** Why an object with a prototype of its own is refused (see {@link dataRecord}). */
export const PROTOTYPE_MESSAGE =
  'this object has a prototype of its own (an object literal with `__proto__: {...}`, or a class instance): its inherited entries would be lost; write the entries as plain keys';

/**
 * `z.record(key, value)` for maps whose keys come from the author (step arguments, options,
 * custom parameters, environment variables, ...), refusing what zod would silently drop:
 *
 * - an own `__proto__` key (from `JSON.parse`, a computed `['__proto__']` key, or plain data
 *   handed over by the sandboxed loader): zod skips it so that it cannot replace the prototype of
 *   the result, so the entry would vanish from the Jenkinsfile without a word;
 * - an object whose prototype is not `Object.prototype` or `null`, which is what an object
 *   literal written `{ __proto__: {...} }` makes: its entries are inherited, not own, and zod
 *   reads own entries only.
 *
 * The result has the record's static types (the check runs before the record parses).
 */
export function dataRecord<Key extends z.core.$ZodRecordKey, Value extends z.core.SomeType>(
  key: Key,
  value: Value,
): z.ZodRecord<Key, Value> {
  const guarded = z.preprocess((input, context) => {
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
      if (Object.hasOwn(input, '__proto__')) {
        context.addIssue({ code: 'custom', message: PROTO_KEY_MESSAGE, path: ['__proto__'], input });
      } else {
        if (!hasPlainPrototype(input)) context.addIssue({ code: 'custom', message: PROTOTYPE_MESSAGE, input });
      }
    }
    return input;
  }, z.record(key, value));
  // A pipe behaves as the record it ends in; only its inferred types differ (`unknown` input).
  return guarded as unknown as z.ZodRecord<Key, Value>;
}

/**
 * Whether `value`'s prototype is `null` or an `Object.prototype`: this realm's, or another's (a
 * value made in a `vm` context or a worker has its own `Object.prototype`).
 */
function hasPlainPrototype(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || (Object.getPrototypeOf(prototype) === null && Object.hasOwn(prototype, 'isPrototypeOf'));
}
