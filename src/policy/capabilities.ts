/**
 * The capability model: what a step can reach is decided by what it has in scope where it runs,
 * not by the command it happens to spell. A step holds a production capability when it runs
 *
 * - inside `withAWS` with a production role or account (the role is a production environment's
 *   `deployRole`, its ARN or `roleAccount` is a production account, or it names a production
 *   environment), or with a production credential or profile;
 * - with a production credential bound: `withCredentials`, an `environment` entry
 *   `credentials('id')` of the pipeline, an enclosing stage or matrix, or a wrapper step's
 *   `credentialsId` (`sshagent`, `withKubeConfig`, ...);
 * - on an agent whose label is reserved for production (an instance profile, a kubeconfig or SSH
 *   keys on that agent reach production without any binding in the pipeline).
 *
 * "Production" comes from the organisation's configuration and the pipeline's declared
 * environments: environments whose policy says `production` (default: names starting with
 * `prod`), their `awsAccountIds` and `agentLabels` (`policy.environments`), the declared
 * environments' `awsAccountId`, `deployRole` and `agentLabel`, credential ids listed in the rule
 * option `productionCredentials` (globs), and credential/role/profile names that name a
 * production environment (`ledger-db-prod`).
 *
 * Typed delivery steps are not judged here: they carry their own role and controls. The ones that
 * change an environment with it are deploy facts (`facts.ts`), so the approval, branch and agent
 * rules apply to them as to any deploy: deploys, traffic shifts, and feature-flag deployments
 * (`featureFlagDeploy`: a flag change in production is a production change, #12).
 */
import type { ModelPath } from '../diagnostics.ts';
import { isDeliveryStep } from '../model/delivery-defaults.ts';
import type { Agent } from '../model/schema.ts';
import { agentLabel, environmentIn, roleName } from './facts.ts';
import type { PipelineIndex, StepInfo, StepScope } from './model-index.ts';
import type { RuleContext } from './rule.ts';

/** One way a step reaches production. */
export interface ProductionCapability {
  /** `aws`: an AWS session; `credential`: a bound Jenkins credential; `agent`: a production agent. */
  readonly kind: 'aws' | 'credential' | 'agent';
  /** The production environment it reaches. */
  readonly environment: string;
  /** What it is, for messages: `role ecs-deployer-prod in account 333333333333 (withAWS)`. */
  readonly description: string;
  /** Where it comes from in the model (the wrapper, binding, environment entry or agent). */
  readonly path: ModelPath;
}

/** What counts as production for one pipeline under one configuration. */
export interface ProductionReach {
  /** Production environment names (declared or configured). */
  readonly environments: readonly string[];
  /** Production AWS account id → environment. */
  readonly accounts: ReadonlyMap<string, string>;
  /** Production deploy role name → environment. */
  readonly roles: ReadonlyMap<string, string>;
  /** Agent label reserved for production → environment. */
  readonly labels: ReadonlyMap<string, string>;
  /** Which production environment a credential id belongs to, if any. */
  credentialEnvironment(id: string): string | undefined;
  /** Which production environment a name (role, profile) names, if any. */
  namedEnvironment(name: string): string | undefined;
}

type ReachContext = Pick<RuleContext, 'pipeline' | 'policy' | 'environment' | 'isProduction'>;

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/**
 * What counts as production for a pipeline: from its declared environments, the configured
 * environment policies and `productionCredentials` (credential-id globs, a rule option).
 */
export function productionReach(context: ReachContext, productionCredentials: readonly string[] = []): ProductionReach {
  const { pipeline, policy, environment, isProduction } = context;
  const declared = pipeline.environments ?? [];
  const names = [...new Set([...declared.map((e) => e.name), ...Object.keys(policy.environments)])];
  const environments = names.filter((n) => isProduction(n));
  const accounts = new Map<string, string>();
  const roles = new Map<string, string>();
  const labels = new Map<string, string>();
  for (const env of declared) {
    if (!isProduction(env.name)) continue;
    accounts.set(env.awsAccountId, env.name);
    roles.set(roleName(env.deployRole), env.name);
    labels.set(env.agentLabel, env.name);
  }
  for (const name of environments) {
    for (const account of environment(name).awsAccountIds) if (!accounts.has(account)) accounts.set(account, name);
    for (const label of environment(name).agentLabels) if (!labels.has(label)) labels.set(label, name);
  }
  const listed = productionCredentials.map(globToRegExp);
  const fallback = environments[0] ?? 'prod';
  const namedEnvironment = (name: string) => {
    const found = environmentIn(name, names);
    return found !== undefined && isProduction(found) ? found : undefined;
  };
  return {
    environments,
    accounts,
    roles,
    labels,
    credentialEnvironment: (id) => namedEnvironment(id) ?? (listed.some((re) => re.test(id)) ? fallback : undefined),
    namedEnvironment,
  };
}

/** {@link labelAtoms} by exact expression: asked for every step site, of a handful of labels. Cleared when large. */
const atomsByLabel = new Map<string, readonly string[]>();

/** Label atoms of a label expression that are not negated (`linux && prod-deployer` → both; `!prod` → none). */
function labelAtoms(expression: string): readonly string[] {
  const known = atomsByLabel.get(expression);
  if (known) return known;
  const atoms: string[] = [];
  const re = /(!\s*)?([A-Za-z0-9_.:/-]+)/g;
  for (let m = re.exec(expression); m; m = re.exec(expression)) if (!m[1]) atoms.push(m[2]!);
  if (atomsByLabel.size >= 1_000) atomsByLabel.clear();
  atomsByLabel.set(expression, Object.freeze(atoms));
  return atoms;
}

/** Production environment an agent is reserved for, if its label selects a production label. */
export function agentEnvironment(agent: Agent, reach: ProductionReach): { environment: string; label: string } | undefined {
  const label = agentLabel(agent);
  if (label === undefined) return undefined;
  for (const atom of labelAtoms(label)) {
    const environment = reach.labels.get(atom);
    if (environment !== undefined) return { environment, label: atom };
  }
  return undefined;
}

/** Steps that cannot use what they have in scope: they print, record or move workspace files. */
const INERT_STEPS: ReadonlySet<string> = new Set(['echo', 'checkout', 'git', 'junit', 'archiveArtifacts', 'stash', 'unstash']);
/** Wrapper steps: only scopes; the steps in their bodies act. */
const WRAPPER_STEPS: ReadonlySet<string> = new Set(['dir', 'timeout', 'retry', 'lock', 'withCredentials']);

/**
 * Whether a step site acts with what it has in scope: hand-written commands (`sh`), `script`
 * blocks, plugin steps without a body; not wrappers (their bodies act), not steps that only print,
 * record or move workspace files, and not typed delivery steps (they carry their own controls).
 */
export function actsWithScope(site: StepInfo): boolean {
  const step = site.step;
  if (isDeliveryStep(step) || INERT_STEPS.has(step.step) || WRAPPER_STEPS.has(step.step)) return false;
  if (step.step === 'step' && (step.body !== undefined || INERT_STEPS.has(step.name))) return false;
  return true;
}

/** The rule options of IAM-005 that other rules share: credential-id globs that are production. */
export function productionCredentialGlobs(policy: RuleContext['policy']): string[] {
  const setting = policy.rules['IAM-005'];
  const value = typeof setting === 'object' ? setting.options?.['productionCredentials'] : undefined;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const ARN_ACCOUNT = /^arn:aws[\w-]*:iam::(\d{12}):role\//;

/**
 * {@link productionCapabilities} by scope object, per reach: they depend on nothing else, the
 * steps of a step list share one scope, and FLOW-005 and IAM-005 ask about the same steps with
 * the same reach. Weak on both keys, so they go with their pipeline.
 */
const capabilitiesByReach = new WeakMap<ProductionReach, WeakMap<StepScope, readonly ProductionCapability[]>>();

/** The production capabilities a step holds where it runs (empty when it holds none); the list is shared, frozen. */
export function productionCapabilities(site: StepInfo, reach: ProductionReach): readonly ProductionCapability[] {
  let byScope = capabilitiesByReach.get(reach);
  if (!byScope) capabilitiesByReach.set(reach, (byScope = new WeakMap()));
  let capabilities = byScope.get(site.scope);
  if (!capabilities) byScope.set(site.scope, (capabilities = Object.freeze(scopeCapabilities(site.scope, reach))));
  return capabilities;
}

/** What {@link productionCapabilities} computes for one scope. */
function scopeCapabilities(scope: StepScope, reach: ProductionReach): ProductionCapability[] {
  const out: ProductionCapability[] = [];
  for (const session of scope.aws) {
    const arnAccount = session.role ? ARN_ACCOUNT.exec(session.role)?.[1] : undefined;
    const environment =
      (session.account !== undefined ? reach.accounts.get(session.account) : undefined) ??
      (arnAccount !== undefined ? reach.accounts.get(arnAccount) : undefined) ??
      (session.role !== undefined ? (reach.roles.get(roleName(session.role)) ?? reach.namedEnvironment(roleName(session.role))) : undefined) ??
      (session.credentialsId !== undefined ? reach.credentialEnvironment(session.credentialsId) : undefined) ??
      (session.profile !== undefined ? reach.namedEnvironment(session.profile) : undefined);
    if (environment === undefined) continue;
    const what = session.role
      ? `role ${session.role}${session.account ? ` in account ${session.account}` : ''}`
      : session.credentialsId
        ? `AWS credential '${session.credentialsId}'`
        : `AWS profile '${session.profile}'`;
    out.push({ kind: 'aws', environment, description: `${what} (withAWS)`, path: session.path });
  }
  for (const credential of scope.credentials) {
    if (credential.via === 'withAWS') continue; // reported as the AWS session above
    const environment = reach.credentialEnvironment(credential.id);
    if (environment === undefined) continue;
    const via = credential.via === 'environment' ? 'environment credentials()' : credential.via;
    out.push({ kind: 'credential', environment, description: `credential '${credential.id}' (${via})`, path: credential.path });
  }
  const agent = agentEnvironment(scope.agent, reach);
  if (agent) out.push({ kind: 'agent', environment: agent.environment, description: `agent label '${agent.label}'`, path: scope.agentPath });
  return out;
}

const reachCache = new WeakMap<PipelineIndex, WeakMap<object, Map<string, ProductionReach>>>();

/** {@link productionReach}, computed once per pipeline, configuration and credential list. */
export function cachedProductionReach(index: PipelineIndex, context: ReachContext, productionCredentials: readonly string[] = []): ProductionReach {
  let byConfig = reachCache.get(index);
  if (!byConfig) reachCache.set(index, (byConfig = new WeakMap()));
  let byCredentials = byConfig.get(context.policy);
  if (!byCredentials) byConfig.set(context.policy, (byCredentials = new Map()));
  const key = productionCredentials.join('\u0000');
  let reach = byCredentials.get(key);
  if (!reach) byCredentials.set(key, (reach = productionReach(context, productionCredentials)));
  return reach;
}
