/**
 * Which Jenkins plugins a project's generated Jenkinsfiles need (`pipewright plugins`): every
 * step call, agent type, option, `when` condition, trigger, build parameter, tool, credential
 * binding and post condition in the Jenkinsfile ASTs, mapped to plugins through a catalog, with
 * the minimum version a used feature needs where one is known (`feature-versions.json`).
 */
import type { Arguments, CallStatement, Expression, JenkinsfileAst, Statement } from '../jenkinsfile/ast.ts';
import featureVersions from './feature-versions.json' with { type: 'json' };
import { flattenCalls, groovyCalls } from '../policy/groovy-calls.ts';
import { indexCatalog, type CatalogIndex } from './index.ts';
import type { Catalog, CatalogParameter, DescribableKind, ParameterType } from './schema.ts';
import { compareVersions } from './versions.ts';

/** A feature a minimum plugin version is known for (see `scripts/catalog/feature-versions.mjs`). */
export interface FeatureVersion {
  plugin: string;
  /** `step:<name>`, `step:<name>:<parameter>`, `<kind>:<symbol>` or `<kind>:<symbol>:<parameter>`. */
  feature: string;
  /** The first release that has it. */
  since: string;
  /** How `since` was found (the commit that added it and the first release tag containing it). */
  evidence: string;
}

/** Minimum versions of features, from the plugins' git history (bundled). */
export const FEATURE_VERSIONS: readonly FeatureVersion[] = featureVersions as FeatureVersion[];

/** One plugin the pipelines need. */
export interface RequiredPlugin {
  /** Short name, as in plugins.txt (`pipeline-aws`; `core` is Jenkins itself). */
  id: string;
  /** The version the catalog lists (the pinned, tested version for the bundled catalog). */
  version: string;
  /** The oldest version that has every feature used, when a used feature needs more than any release. */
  minimumVersion?: string;
  /** The used features that set `minimumVersion` (`step:office365ConnectorSend:adaptiveCards`). */
  minimumBecause?: string[];
  /** Features used (`step:sh`, `agent:label`, `option:timeout`), sorted. */
  features: string[];
  /** Pipelines that use the plugin, sorted. */
  pipelines: string[];
}

/** The result of {@link requiredPlugins}. */
export interface PluginRequirements {
  /** Name of the catalog the features were mapped with. */
  catalog: string;
  plugins: RequiredPlugin[];
  /** Features no catalog entry describes (a step of a plugin the catalog does not know). */
  unknown: { feature: string; pipelines: string[] }[];
}

/** One use of a feature: what the Jenkinsfile names, resolved to a plugin later. */
interface Use {
  /** `step:sh`, `agent:label`, `step:slackSend:botUser`, ... */
  feature: string;
  plugin?: string;
}

const LEVEL_OPTION_KINDS: Record<'pipeline' | 'stage', DescribableKind[]> = {
  pipeline: ['option', 'jobProperty', 'wrapper'],
  stage: ['option', 'wrapper'],
};
/** `when` directives that are not conditions. */
const WHEN_DIRECTIVES = new Set(['beforeAgent', 'beforeInput', 'beforeOptions']);
/** Agent types that run on a node allocated by the `node` step (declarative's `label`/`any`). */
const NODE_AGENTS = new Set(['any', 'label', 'node']);

/** Collects the features one Jenkinsfile AST uses, resolved against `index`. */
export function featuresOf(ast: JenkinsfileAst, index: CatalogIndex): Use[] {
  const uses: Use[] = [];
  const outside = `${ast.prologue ?? ''}\n${ast.epilogue ?? ''}`;
  const definedMethods = new Set([...outside.matchAll(/^[ \t]*(?:def|void)[ \t]+([A-Za-z_$][\w$]*)[ \t]*\(/gm)].map((m) => m[1]!));
  const step = (name: string): void => {
    uses.push({ feature: `step:${name}`, plugin: index.step(name)?.plugin });
  };
  const describable = (kinds: DescribableKind[], name: string, args?: Arguments): void => {
    for (const kind of kinds) {
      const found = index.describable(kind, name);
      if (found) {
        uses.push({ feature: `${kind}:${name}`, plugin: found.plugin });
        if (args) argumentsOf(`${kind}:${name}`, found.parameters, found.defaultParameter, args);
        return;
      }
    }
    uses.push({ feature: `${kinds[0]}:${name}` });
  };

  /** Named arguments a step or describable gets, and describables nested in them (`logRotator(...)`). */
  const argumentsOf = (owner: string, parameters: readonly CatalogParameter[], defaultParameter: string | undefined, args: Arguments): void => {
    const given: [string | undefined, Expression][] = [
      ...args.named.map((e) => [e.key, e.value] as [string, Expression]),
      ...args.positional.slice(0, 1).map((value) => [defaultParameter, value] as [string | undefined, Expression]),
    ];
    const owningPlugin = uses.findLast((u) => u.feature === owner)?.plugin;
    for (const [key, value] of given) {
      const parameter = key === undefined ? undefined : parameters.find((p) => p.name === key);
      if (key !== undefined && args.named.some((e) => e.key === key)) uses.push({ feature: `${owner}:${key}`, plugin: owningPlugin });
      nested(parameter?.type, value);
    }
  };
  const nested = (type: ParameterType | undefined, value: Expression): void => {
    if (value.type === 'List') {
      for (const item of value.items) nested(type?.kind === 'list' ? type.of : type, item);
      return;
    }
    if (value.type !== 'CallExpression') return;
    const kind = type?.kind === 'describable' ? type.describableKind : undefined;
    const candidates = kind && kind !== 'other'
      ? [index.describable(kind, value.name)]
      : index.catalog.describables.filter((d) => d.symbol === value.name && (!type || type.kind !== 'describable' || !type.symbols || type.symbols.includes(d.symbol)));
    const found = candidates.find((d) => d !== undefined);
    if (!found) {
      uses.push({ feature: `${kind ?? 'other'}:${value.name}` });
      return;
    }
    uses.push({ feature: `${found.kind}:${found.symbol}`, plugin: found.plugin });
    argumentsOf(`${found.kind}:${found.symbol}`, found.parameters, found.defaultParameter, value.args);
  };

  const stepCall = (call: CallStatement): void => {
    // A method the Jenkinsfile itself defines (pipewright's helpers after the pipeline block) is no plugin's step.
    if (definedMethods.has(call.name)) return;
    step(call.name);
    const found = index.step(call.name);
    if (found) argumentsOf(`step:${call.name}`, found.parameters, found.defaultParameter, call.args);
    if (call.body) steps(call.body);
  };
  const groovy = (source: string): void => {
    for (const { name, keys } of groovyStepCalls(source)) {
      const found = index.step(name);
      if (!found) continue;
      step(name);
      for (const key of keys) if (found.parameters.some((p) => p.name === key)) uses.push({ feature: `step:${name}:${key}`, plugin: found.plugin });
    }
  };
  function steps(body: Statement[]): void {
    for (const s of body) {
      if (s.type === 'Call') stepCall(s);
      else if (s.type === 'GroovyBlock') {
        step(s.keyword === 'script' ? 'script' : s.keyword);
        groovy(s.source);
      }
    }
  }
  const agent = (call: CallStatement): void => {
    const first = call.args.positional[0];
    if (first?.type === 'Identifier') {
      describable(['agent'], first.name);
      if (NODE_AGENTS.has(first.name)) step('node');
      return;
    }
    for (const inner of call.body ?? []) {
      if (inner.type !== 'Call') continue;
      // `docker { image 'x' }` gives parameters as calls in a block, `label 'x'` as an argument.
      const args: Arguments = {
        positional: inner.args.positional,
        named: [
          ...inner.args.named,
          ...(inner.body ?? []).flatMap((s) => (s.type === 'Call' && s.args.positional[0] ? [{ key: s.name, value: s.args.positional[0] }] : [])),
        ],
      };
      describable(['agent'], inner.name, args);
      if (NODE_AGENTS.has(inner.name)) step('node');
    }
  };
  const conditions = (body: Statement[]): void => {
    for (const s of body) {
      if (s.type === 'GroovyBlock') describable(['when'], s.keyword);
      if (s.type !== 'Call' || WHEN_DIRECTIVES.has(s.name)) continue;
      describable(['when'], s.name, s.args);
      if (s.body) conditions(s.body);
    }
  };
  function section(body: Statement[], level: 'pipeline' | 'stage'): void {
    for (const s of body) {
      if (s.type !== 'Call') continue;
      const calls = (s.body ?? []).filter((x): x is CallStatement => x.type === 'Call');
      switch (s.name) {
        case 'agent':
          agent(s);
          break;
        case 'options':
          for (const c of calls) describable(LEVEL_OPTION_KINDS[level], c.name, c.args);
          break;
        case 'parameters':
          for (const c of calls) describable(['parameter'], c.name, c.args);
          break;
        case 'triggers':
          for (const c of calls) describable(['trigger'], c.name, c.args);
          break;
        case 'tools':
          for (const c of calls) describable(['tool'], c.name);
          break;
        case 'environment':
          // `credentials('id')` is declarative's shorthand for a credentials binding (withCredentials).
          for (const a of s.body ?? []) {
            if (a.type === 'Assignment' && a.value.type === 'CallExpression' && a.value.name === 'credentials') step('withCredentials');
          }
          break;
        case 'when':
          conditions(s.body ?? []);
          break;
        case 'input': {
          step('input');
          for (const c of calls) {
            if (c.name === 'parameters') for (const p of (c.body ?? []).filter((x): x is CallStatement => x.type === 'Call')) describable(['parameter'], p.name, p.args);
            else uses.push({ feature: `step:input:${c.name}`, plugin: index.step('input')?.plugin });
          }
          break;
        }
        case 'steps':
          steps(s.body ?? []);
          break;
        case 'post':
          for (const c of calls) {
            describable(['postCondition'], c.name);
            steps(c.body ?? []);
          }
          break;
        case 'stages':
        case 'parallel':
          if (s.name === 'parallel') step('parallel');
          for (const stage of calls) {
            step('stage');
            section(stage.body ?? [], 'stage');
          }
          break;
        case 'matrix':
          section(s.body ?? [], 'stage');
          break;
        default:
          break;
      }
    }
  }

  section(ast.pipeline.body ?? [], 'pipeline');
  if (ast.prologue) groovy(ast.prologue);
  if (ast.epilogue) groovy(ast.epilogue);
  return uses;
}

/** The plugin that runs declarative pipelines (the `pipeline { }` block itself). */
const DECLARATIVE_PLUGIN = 'pipeline-model-definition';

/**
 * The plugins `pipelines` need, mapped through `catalog`, with versions from `catalog` and the
 * minimum version where a used feature needs one (`FEATURE_VERSIONS`).
 */
export function requiredPlugins(pipelines: readonly { name: string; ast: JenkinsfileAst }[], catalog: Catalog): PluginRequirements {
  const index = indexCatalog(catalog);
  const byPlugin = new Map<string, { features: Set<string>; pipelines: Set<string> }>();
  const unknown = new Map<string, Set<string>>();
  const add = (plugin: string, feature: string, pipeline: string): void => {
    let entry = byPlugin.get(plugin);
    if (!entry) byPlugin.set(plugin, (entry = { features: new Set(), pipelines: new Set() }));
    entry.features.add(feature);
    entry.pipelines.add(pipeline);
  };
  for (const { name, ast } of pipelines) {
    if (index.plugin(DECLARATIVE_PLUGIN)) add(DECLARATIVE_PLUGIN, 'pipeline', name);
    for (const use of featuresOf(ast, index)) {
      if (use.plugin) add(use.plugin, use.feature, name);
      else {
        let set = unknown.get(use.feature);
        if (!set) unknown.set(use.feature, (set = new Set()));
        set.add(name);
      }
    }
  }
  const plugins: RequiredPlugin[] = [];
  for (const [id, entry] of byPlugin) {
    const plugin = index.plugin(id);
    const required: RequiredPlugin = {
      id,
      version: plugin?.version ?? 'latest',
      features: [...entry.features].sort(),
      pipelines: [...entry.pipelines].sort(),
    };
    const needs = FEATURE_VERSIONS.filter((f) => f.plugin === id && entry.features.has(f.feature));
    for (const need of needs) {
      if (!required.minimumVersion || compareVersions(need.since, required.minimumVersion) > 0) required.minimumVersion = need.since;
    }
    if (required.minimumVersion) {
      required.minimumBecause = needs.filter((n) => compareVersions(n.since, required.minimumVersion!) === 0).map((n) => n.feature).sort();
    }
    plugins.push(required);
  }
  plugins.sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : a.id.toLowerCase() > b.id.toLowerCase() ? 1 : 0));
  return {
    catalog: catalog.name,
    plugins,
    unknown: [...unknown].map(([feature, names]) => ({ feature, pipelines: [...names].sort() })).sort((a, b) => (a.feature < b.feature ? -1 : 1)),
  };
}

/** A required plugin the controller lacks or has in a version older than needed. */
export interface PluginProblem {
  id: string;
  problem: 'missing' | 'too-old';
  /** The controller's version (too-old). */
  installed?: string;
  /** The minimum version needed (too-old). */
  minimumVersion?: string;
  /** Features that need it (all used features when missing; those setting the minimum when too old). */
  features: string[];
  pipelines: string[];
}

/**
 * Compares the requirements with a controller's catalog: every required plugin must be listed,
 * at or above the minimum version a used feature needs. Jenkins core is compared by version only.
 */
export function checkPlugins(requirements: PluginRequirements, controller: Catalog): PluginProblem[] {
  const index = indexCatalog(controller);
  const problems: PluginProblem[] = [];
  for (const plugin of requirements.plugins) {
    const installed = index.plugin(plugin.id);
    if (!installed) {
      if (plugin.id === 'core') continue;
      problems.push({ id: plugin.id, problem: 'missing', features: plugin.features, pipelines: plugin.pipelines });
      continue;
    }
    if (plugin.minimumVersion && compareVersions(installed.version, plugin.minimumVersion) < 0) {
      problems.push({
        id: plugin.id, problem: 'too-old', installed: installed.version, minimumVersion: plugin.minimumVersion,
        features: plugin.minimumBecause ?? [], pipelines: plugin.pipelines,
      });
    }
  }
  return problems;
}

/** Output formats of `pipewright plugins`. */
export type PluginsFormat = 'txt' | 'yaml' | 'json';
export const PLUGINS_FORMATS: readonly PluginsFormat[] = ['txt', 'yaml', 'json'];

/**
 * Renders the requirements: `txt` is a plugins.txt for jenkins-plugin-manager (`id:version`
 * lines, `#` comments); `yaml` the plugin-installation-manager YAML (`plugins:` list of
 * `artifactId` and `source.version`) that JCasC-based images use; `json` the whole result.
 * Jenkins core is not a plugin: txt and yaml name its version in a comment.
 */
export function formatPlugins(requirements: PluginRequirements, format: PluginsFormat): string {
  if (format === 'json') return `${JSON.stringify(requirements, null, 2)}\n`;
  const plugins = requirements.plugins.filter((p) => p.id !== 'core');
  const core = requirements.plugins.find((p) => p.id === 'core');
  const header = [
    `# Plugins the generated Jenkinsfiles need (pipewright plugins); versions from the catalog "${requirements.catalog}".`,
    ...(core ? [`# Jenkins core: ${core.version}${core.minimumVersion ? ` (at least ${core.minimumVersion})` : ''}`] : []),
    ...plugins
      .filter((p) => p.minimumVersion)
      .map((p) => `# ${p.id}: at least ${p.minimumVersion} for ${p.minimumBecause!.join(', ')}`),
  ];
  if (format === 'txt') return `${[...header, ...plugins.map((p) => `${p.id}:${p.version}`)].join('\n')}\n`;
  const lines = [...header, 'plugins:'];
  for (const p of plugins) lines.push(`  - artifactId: ${yamlScalar(p.id)}`, '    source:', `      version: ${yamlScalar(p.version)}`);
  return `${lines.join('\n')}\n`;
}

/** A YAML plain scalar when safe (ids and versions always are), else single-quoted. */
function yamlScalar(text: string): string {
  return /^[A-Za-z0-9][\w.-]*$/.test(text) && !/^(true|false|yes|no|null|on|off|~)$/i.test(text) && !/^[\d.]+$/.test(text) ? text : `'${text.replace(/'/g, "''")}'`;
}

/**
 * The bare-name calls of a raw Groovy body (a `script { }` block, code around the `pipeline { }`
 * block) with their named-argument keys, read by the policy's Groovy call scanner; calls of
 * methods the body defines itself (`def pwNotify1() {`) are not steps.
 */
export function groovyStepCalls(source: string): { name: string; keys: string[] }[] {
  const defined = new Set([...source.matchAll(/\bdef\s+([A-Za-z_$][\w$]*)\s*\(/g)].map((m) => m[1]!));
  return flattenCalls(groovyCalls(source))
    .filter((call) => !defined.has(call.name))
    .map((call) => ({ name: call.name, keys: call.args.flatMap((arg) => (arg.name === undefined ? [] : [arg.name])) }));
}
