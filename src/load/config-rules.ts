/**
 * Custom policy rules of a configuration, run in the sandbox. The configuration module is
 * evaluated in a worker like every pipeline; its rules' `check` functions cannot cross threads,
 * so the worker leaves a sentinel where each was, and this module puts in its place a function
 * that runs the real `check` in a worker holding the rules (`RuleHost`), on the validated model
 * this process sends, and returns its findings as data. The policy engine sees an ordinary rule:
 * a custom rule can add findings and nothing else (it never sees, let alone changes, the
 * built-in rules' findings or this process's objects).
 */
import type { ModelPath } from '../diagnostics.ts';
import type { RuleContext, RuleFinding } from '../policy/rule.ts';
import { policyRuntimeUrl } from './bundle.ts';
import { RULE_CHECK_SENTINEL, RuleHost, type EvaluationUnit, type SandboxLimits } from './sandbox.ts';

/** Rule hosts by project root: a reloaded configuration replaces (and stops) the previous one. */
const hosts = new Map<string, RuleHost>();

/** Indexes of `policy.customRules` whose `check` the worker replaced by a sentinel. */
export function sandboxedRuleIndexes(value: unknown): number[] {
  const rules = (value as { policy?: { customRules?: unknown } } | undefined)?.policy?.customRules;
  if (!Array.isArray(rules)) return [];
  const indexes: number[] = [];
  rules.forEach((rule, index) => {
    const check = (rule as { check?: unknown } | null)?.check;
    if (typeof check === 'object' && check !== null && Object.hasOwn(check, RULE_CHECK_SENTINEL)) indexes.push(index);
  });
  return indexes;
}

/** The policy configuration as data for the worker (the rules as their metadata only). */
const policyData = new WeakMap<object, Record<string, unknown>>();
function policyForWorker(policy: RuleContext['policy']): Record<string, unknown> {
  let data = policyData.get(policy);
  if (!data) {
    data = { ...policy, customRules: policy.customRules.map((rule) => ({ meta: rule.meta })) };
    policyData.set(policy, data);
  }
  return data;
}

const isModelPath = (path: unknown): path is ModelPath =>
  Array.isArray(path) && path.every((key) => typeof key === 'string' || (typeof key === 'number' && Number.isInteger(key)));

/** A finding as the worker returned it, checked: a malformed one fails the rule (RULE_FAILED). */
function checkedFinding(finding: unknown, index: number): RuleFinding {
  const candidate = finding as Partial<RuleFinding> | null;
  if (typeof candidate !== 'object' || candidate === null || !isModelPath(candidate.path) || typeof candidate.message !== 'string') {
    throw new Error(`finding ${index} is not { path: (string | number)[], message: string }`);
  }
  const checked: RuleFinding = { path: candidate.path, message: candidate.message };
  for (const key of ['environment', 'expected', 'found'] as const) {
    const text = candidate[key];
    if (text !== undefined) {
      if (typeof text !== 'string') throw new Error(`finding ${index} has a non-string ${key}`);
      checked[key] = text;
    }
  }
  return checked;
}

/**
 * Replaces the sentinels in `value` (a configuration as loaded) with functions that run each rule
 * in a rule worker, and starts that worker. `unit` is how the configuration module was evaluated.
 * Throws when the rules cannot be loaded in the worker.
 */
export async function attachSandboxedRules(
  value: unknown,
  indexes: readonly number[],
  options: { root: string; unit: EvaluationUnit; limits: SandboxLimits },
): Promise<void> {
  hosts.get(options.root)?.close();
  hosts.delete(options.root);
  if (indexes.length === 0) return;
  const host = new RuleHost({ unit: options.unit, runtimeUrl: await policyRuntimeUrl(), root: options.root, limits: options.limits });
  hosts.set(options.root, host);
  await host.start();
  const rules = (value as { policy: { customRules: { check: unknown }[] } }).policy.customRules;
  for (const index of indexes) {
    rules[index]!.check = (context: RuleContext): RuleFinding[] => {
      const reply = host.check({
        rule: index,
        pipeline: context.pipeline,
        source: context.source,
        options: context.options,
        today: context.today,
        policy: policyForWorker(context.policy),
      });
      // The files the rule read are the result's dependencies (the result cache keys on them).
      for (const file of reply.reads) context.readFile(file);
      if (reply.error !== undefined) throw new Error(reply.error);
      return (reply.findings ?? []).map(checkedFinding);
    };
  }
}

/** Stops every rule worker of this process (tests, and the end of watch mode). */
export function closeRuleHosts(): void {
  for (const host of hosts.values()) host.close();
  hosts.clear();
}
