#!/usr/bin/env node
// Regenerates the bundled controller catalog (src/catalog/default-catalog.json) and the minimum
// versions of features (src/catalog/feature-versions.json) from the Java (and Groovy) sources and
// release history of the plugins in ./sources.mjs.
//
//   node scripts/catalog/generate.mjs [--mirrors DIR] [--clone] [--out FILE] [--versions-out FILE] [--no-since] [--report]
//
// Each repository is a git directory at <mirrors>/<owner>+<name>/repo (what the session's `fetch`
// tool produces) or <mirrors>/<owner>+<name>.git; `--clone` makes missing ones with
// `git clone --bare https://github.com/<owner>/<name>`. Sources are read at the highest release
// tag, whose commit is recorded per plugin. Deterministic (sorted output). Not run in CI: the
// output is committed.
//
// What it reads, per class: `@Symbol`, `@DataBoundConstructor` parameters (required),
// `@DataBoundSetter` setters and fields (optional), `@Deprecated`; per step descriptor:
// `getFunctionName()`, `takesImplicitBlockArgument()`, `getRequiredContext()`, `isAdvanced()`,
// `isMetaStep()`; per declarative descriptor: `canUseInStage()`, `isStageOnly()`,
// `getAllowedChildrenCount()`. Kinds follow the descriptor's superclasses (see KIND_BASES).
// Parameter types it cannot resolve are written as {kind: 'unknown', javaType}.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { annotationStrings, parseJava, returnedBoolean, returnedInt, returnedString } from './java.mjs';
import { PLUGIN_SOURCES } from './sources.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`Usage: node scripts/catalog/generate.mjs [--mirrors DIR] [--clone] [--out FILE] [--versions-out FILE] [--no-since] [--report]

Regenerates src/catalog/default-catalog.json and src/catalog/feature-versions.json from the plugin
repositories in scripts/catalog/sources.mjs (git directories under --mirrors, default
$PIPEWRIGHT_CATALOG_MIRRORS or /work/.mirror; --clone makes missing ones). See docs/catalog.md.
`);
  process.exit(0);
}
const mirrors = option('--mirrors', process.env.PIPEWRIGHT_CATALOG_MIRRORS ?? '/work/.mirror');
const outFile = option('--out', join(root, 'src/catalog/default-catalog.json'));
const versionsFile = option('--versions-out', join(root, 'src/catalog/feature-versions.json'));
const since = !args.includes('--no-since');
const clone = args.includes('--clone');
const report = args.includes('--report');

// ------------------------------------------------------------------ git

function git(gitDir, gitArgs, input) {
  const result = spawnSync('git', ['--git-dir', gitDir, ...gitArgs], {
    input, maxBuffer: 1 << 30, encoding: input === undefined ? 'utf8' : 'buffer',
  });
  if (result.status !== 0) throw new Error(`git ${gitArgs.join(' ')} in ${gitDir}: ${result.stderr}`);
  return result.stdout;
}

function gitDirFor(repo) {
  const [owner, name] = repo.split('/');
  for (const candidate of [join(mirrors, `${owner}+${name}`, 'repo'), join(mirrors, `${owner}+${name}.git`)]) {
    if (existsSync(candidate)) return candidate;
  }
  const target = join(mirrors, `${owner}+${name}.git`);
  if (!clone) throw new Error(`no git directory for ${repo} under ${mirrors} (fetch it, or pass --clone)`);
  mkdirSync(mirrors, { recursive: true });
  const result = spawnSync('git', ['clone', '--bare', `https://github.com/${repo}`, target], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`git clone ${repo} failed`);
  return target;
}

/** Numeric parts of a version up to the first non-numeric one (`1571.1580.v18e4` → [1571, 1580]). */
const numericParts = (version) => {
  const parts = [];
  for (const part of version.split(/[.-]/)) {
    if (!/^\d+$/.test(part)) break;
    parts.push(Number(part));
  }
  return parts;
};
const compareNumeric = (a, b) => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};

/**
 * The highest release tag matching the source's pattern: {tag, version, commit}. Highest by
 * version number, not by date: a backport (`1571.1580.v...`) can be tagged after `1581.v...`.
 */
function releaseOf(gitDir, source) {
  const lines = git(gitDir, ['for-each-ref', '--sort=-creatordate', '--format=%(refname:short)', 'refs/tags']).split('\n');
  const releases = [];
  for (const tag of lines) {
    const match = source.tag.exec(tag);
    if (!match || /(alpha|beta|rc)/i.test(tag)) continue;
    releases.push({ tag, version: match[1] });
  }
  // Stable sort: among equal numbers the newest tag stays first.
  releases.sort((a, b) => compareNumeric(numericParts(b.version), numericParts(a.version)));
  const [best] = releases;
  if (!best) throw new Error(`${source.repo}: no release tag matches ${source.tag}`);
  return { ...best, commit: git(gitDir, ['rev-parse', `${best.tag}^{commit}`]).trim() };
}

/** Reads many blobs at once: Map<sha, text>. */
function readBlobs(gitDir, shas) {
  const out = git(gitDir, ['cat-file', '--batch'], Buffer.from(shas.join('\n') + '\n'));
  const blobs = new Map();
  let at = 0;
  while (at < out.length) {
    const headerEnd = out.indexOf(10, at);
    const [sha, , size] = out.subarray(at, headerEnd).toString().split(' ');
    const start = headerEnd + 1;
    blobs.set(sha, out.subarray(start, start + Number(size)).toString('utf8'));
    at = start + Number(size) + 1;
  }
  return blobs;
}

// ------------------------------------------------------------------ reading a repository

/** Modules of a repository: directory → {artifactId, packaging}. */
function modulesOf(files, blobs) {
  const modules = new Map();
  for (const { path, sha } of files) {
    if (posix.basename(path) !== 'pom.xml' || path.includes('/src/')) continue;
    const xml = blobs.get(sha).replace(/<!--[\s\S]*?-->/g, '');
    const withoutParent = xml.replace(/<parent>[\s\S]*?<\/parent>/, '').replace(/<dependencies>[\s\S]*$/, '');
    const artifactId = /<artifactId>\s*([^<\s]+)\s*<\/artifactId>/.exec(withoutParent)?.[1];
    const packaging = /<packaging>\s*([^<\s]+)\s*<\/packaging>/.exec(withoutParent)?.[1] ?? 'jar';
    modules.set(posix.dirname(path) === '.' ? '' : posix.dirname(path), { artifactId, packaging });
  }
  return modules;
}

function moduleFor(path, modules) {
  let best = '';
  for (const dir of modules.keys()) {
    if ((dir === '' || path.startsWith(dir + '/')) && dir.length >= best.length) best = dir;
  }
  return modules.get(best);
}

/** All classes of all repositories, by fully qualified name. */
const classes = new Map();
/** Simple name → fully qualified names (fallback resolution). */
const bySimpleName = new Map();
const plugins = new Map();
const problems = [];
/** Help files by resource path (`de/taimos/pipeline/aws/WithAWSStep/help-region.html`). */
const helpFiles = new Map();
/** Messages.properties by package: Map<key, text>. */
const messages = new Map();

/** A Java .properties file (ISO-8859-1 escapes aside): key → value, continuation lines joined. */
function parseProperties(text) {
  const entries = new Map();
  const lines = text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/);
  for (const line of lines) {
    if (/^\s*([#!]|$)/.test(line)) continue;
    const match = /^\s*((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match) entries.set(match[1].replace(/\\(.)/g, '$1'), match[2].replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16))).replace(/''/g, "'"));
  }
  return entries;
}

/** The first sentence of an HTML help text, as plain text (at most 300 characters). */
function helpText(html) {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return undefined;
  const sentence = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return sentence.length > 300 ? `${sentence.slice(0, 297).trimEnd()}...` : sentence;
}

/** Help for a class (`help.html`) or one of its parameters (`help-<name>.html`), by the class's resource directory. */
function helpFor(record, parameter) {
  const html = helpFiles.get(`${record.fqcn.split('.').join('/')}/${parameter ? `help-${parameter}` : 'help'}.html`);
  return html ? helpText(html) : undefined;
}

function register(decl, unit, outerFqcn, pluginId, file, origin) {
  const fqcn = outerFqcn ? `${outerFqcn}.${decl.name}` : unit.package ? `${unit.package}.${decl.name}` : decl.name;
  const record = { fqcn, decl, unit, outerFqcn, pluginId, file, origin };
  classes.set(fqcn, record);
  if (!bySimpleName.has(decl.name)) bySimpleName.set(decl.name, []);
  bySimpleName.get(decl.name).push(fqcn);
  for (const nested of decl.types) register(nested, unit, fqcn, pluginId, file, origin);
}

for (const source of PLUGIN_SOURCES) {
  const gitDir = gitDirFor(source.repo);
  const release = releaseOf(gitDir, source);
  const files = git(gitDir, ['ls-tree', '-r', release.commit])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split('\t');
      return { path, sha: meta.split(' ')[2] };
    });
  const moduleRoots = source.roots?.map((r) => r.replace(/src\/main\/(java|groovy)$/, ''));
  const isDocResource = (path) => /(^|\/)src\/main\/resources\/.*(\/help[^/]*\.html|\/Messages\.properties)$/.test(path)
    && (!moduleRoots || moduleRoots.some((r) => path.startsWith(r)));
  const wanted = files.filter(({ path }) => {
    if (posix.basename(path) === 'pom.xml') return true;
    if (isDocResource(path)) return true;
    if (!/\.(java|groovy)$/.test(path)) return false;
    if (source.roots) return source.roots.some((r) => path.startsWith(r + '/'));
    return /(^|\/)src\/main\/(java|groovy)\//.test(path);
  });
  const blobs = readBlobs(gitDir, [...new Set(wanted.map((f) => f.sha))]);
  const modules = modulesOf(wanted, blobs);
  for (const { path, sha } of wanted) {
    if (isDocResource(path)) {
      const key = path.slice(path.indexOf('src/main/resources/') + 'src/main/resources/'.length);
      if (key.endsWith('.html')) helpFiles.set(key, blobs.get(sha));
      else messages.set(posix.dirname(key).split('/').join('.'), parseProperties(blobs.get(sha)));
      continue;
    }
    if (!/\.(java|groovy)$/.test(path)) continue;
    const module = moduleFor(path, modules);
    // A plugin is an `hpi` module; other modules (integration tests, libraries) are not read,
    // except where the source names the plugin (core's `jenkins-core` jar).
    const pluginId = source.id ?? (module?.packaging === 'hpi' ? module.artifactId : undefined);
    if (!pluginId) continue;
    if (!plugins.has(pluginId)) {
      plugins.set(pluginId, {
        id: pluginId, version: release.version, repository: `https://github.com/${source.repo}`, commit: release.commit,
        tag: release.tag,
      });
    }
    let unit;
    try {
      unit = parseJava(blobs.get(sha));
    } catch (error) {
      problems.push(`${source.repo}/${path}: ${error.message}`);
      continue;
    }
    const origin = { gitDir, source, release, path };
    for (const decl of unit.types) register(decl, unit, undefined, pluginId, `${source.repo}/${path}`, origin);
  }
  process.stderr.write(`${source.repo} ${release.tag} ${release.commit.slice(0, 12)}\n`);
}

// ------------------------------------------------------------------ resolution

const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
/** Required parameters first, then by name. */
const sortParams = (params) => [...params].sort((a, b) => Number(b.required) - Number(a.required) || byName(a.name, b.name));

const stripGenerics = (type) => {
  const at = type.indexOf('<');
  return (at < 0 ? type : type.slice(0, at)).replace(/\[\]|\.\.\./g, '');
};

/** Resolves a type name as written in `context` (a class record) to a class record. */
function resolve(name, context) {
  const raw = stripGenerics(name);
  if (!raw) return undefined;
  if (classes.has(raw)) return classes.get(raw);
  const [head, ...rest] = raw.split('.');
  const tail = rest.length ? '.' + rest.join('.') : '';
  // Nested in the class or its outer classes, and in their supertypes (one level).
  for (let scope = context; scope; scope = scope.outerFqcn ? classes.get(scope.outerFqcn) : undefined) {
    if (classes.has(`${scope.fqcn}.${raw}`)) return classes.get(`${scope.fqcn}.${raw}`);
    for (const superName of [...scope.decl.extends, ...scope.decl.implements]) {
      const sup = superName !== name ? resolveShallow(superName, scope) : undefined;
      if (sup && classes.has(`${sup.fqcn}.${raw}`)) return classes.get(`${sup.fqcn}.${raw}`);
    }
  }
  return resolveShallow(raw, context, head, tail);
}

function resolveShallow(name, context, head = stripGenerics(name).split('.')[0], tail = stripGenerics(name).slice(head.length)) {
  const raw = stripGenerics(name);
  if (classes.has(raw)) return classes.get(raw);
  const unit = context.unit;
  for (const imported of unit.imports) {
    if (imported.endsWith(`.${head}`) && classes.has(imported + tail)) return classes.get(imported + tail);
  }
  if (classes.has(`${unit.package}.${raw}`)) return classes.get(`${unit.package}.${raw}`);
  for (const imported of unit.imports) {
    if (imported.endsWith('.*') && classes.has(imported.slice(0, -1) + raw)) return classes.get(imported.slice(0, -1) + raw);
  }
  const candidates = bySimpleName.get(raw.split('.').pop()) ?? [];
  // Only when the import names it (a class of a package we did not scan resolves to nothing).
  const importedFqcn = unit.imports.find((imp) => imp.endsWith(`.${head}`));
  if (importedFqcn) return undefined;
  return candidates.length === 1 ? classes.get(candidates[0]) : undefined;
}

/** Names (simple and qualified) of the class and all its supertypes, resolved as far as possible. */
const ancestryCache = new Map();
function ancestry(record) {
  if (ancestryCache.has(record.fqcn)) return ancestryCache.get(record.fqcn);
  const names = new Set([record.decl.name, record.fqcn]);
  ancestryCache.set(record.fqcn, names);
  for (const superName of [...record.decl.extends, ...record.decl.implements]) {
    const sup = resolve(superName, record);
    if (sup && sup !== record) for (const n of ancestry(sup)) names.add(n);
    else names.add(stripGenerics(superName).split('.').pop());
  }
  return names;
}

/** Superclass chain (records), the class first. */
function superChain(record) {
  const chain = [];
  const seen = new Set();
  for (let r = record; r && !seen.has(r.fqcn); r = r.decl.extends[0] ? resolve(r.decl.extends[0], r) : undefined) {
    seen.add(r.fqcn);
    chain.push(r);
  }
  return chain;
}

function findMethod(record, name) {
  for (const r of superChain(record)) {
    const m = r.decl.methods.find((method) => method.name === name && method.params.length === 0 && method.body.length > 0);
    if (m) return { method: m, owner: r };
  }
  return undefined;
}

// ------------------------------------------------------------------ kinds

/** Descriptor base class → catalog kind; first match wins. Fully qualified: warnings-ng has its own `ToolDescriptor`. */
const KIND_BASES = [
  ['org.jenkinsci.plugins.workflow.steps.StepDescriptor', 'step'],
  ['org.jenkinsci.plugins.pipeline.modeldefinition.agent.DeclarativeAgentDescriptor', 'agent'],
  ['org.jenkinsci.plugins.pipeline.modeldefinition.when.DeclarativeStageConditionalDescriptor', 'when'],
  ['org.jenkinsci.plugins.pipeline.modeldefinition.options.DeclarativeOptionDescriptor', 'option'],
  ['hudson.model.JobPropertyDescriptor', 'jobProperty'],
  ['hudson.triggers.TriggerDescriptor', 'trigger'],
  ['hudson.model.ParameterDefinition.ParameterDescriptor', 'parameter'],
  ['org.jenkinsci.plugins.credentialsbinding.BindingDescriptor', 'credentialBinding'],
  ['hudson.scm.SCMDescriptor', 'scm'],
  ['hudson.tools.ToolDescriptor', 'tool'],
  ['hudson.tasks.BuildStepDescriptor', 'buildStep'],
];
for (const [base] of KIND_BASES) if (!classes.has(base)) problems.push(`kind base ${base} not found in the sources`);
/** Job properties declarative refuses in `options {}` (Options.BLOCKED_PROPERTIES). */
const BLOCKED_PROPERTIES = new Set(['pipelineTriggers', 'parameters']);
/** Steps declarative never accepts as wrappers (BlockedStepsAndMethodCalls). */
const BLOCKED_WRAPPER_STEPS = new Set(['node', 'stage', 'properties', 'parallel']);

const isDescriptor = (record) => {
  const names = ancestry(record);
  return names.has('Descriptor') || names.has('hudson.model.Descriptor');
};

function kindOf(descriptor) {
  const names = ancestry(descriptor);
  for (const [base, kind] of KIND_BASES) if (names.has(base)) return kind;
  return 'other';
}

/** The describable class a descriptor describes: its outer class, else its generic argument. */
function describedBy(descriptor) {
  if (descriptor.outerFqcn) return classes.get(descriptor.outerFqcn);
  const generic = /<\s*([A-Za-z0-9_.]+)/.exec(descriptor.decl.extends[0] ?? '')?.[1];
  const target = generic ? resolve(generic, descriptor) : undefined;
  if (target && !isDescriptor(target)) return target;
  // A top-level `FooDescriptor` describes `Foo` of the same package.
  const sibling = descriptor.decl.name.endsWith('Descriptor') ? resolve(descriptor.decl.name.slice(0, -'Descriptor'.length), descriptor) : undefined;
  return sibling && !isDescriptor(sibling) ? sibling : undefined;
}

// ------------------------------------------------------------------ symbols

/** Every symbol-bearing describable: {record (describable class), descriptor, symbols, kind}. */
const describables = [];
for (const record of classes.values()) {
  const symbolAnno = record.decl.annotations.find((a) => a.name === 'Symbol');
  if (isDescriptor(record)) {
    const described = describedBy(record);
    const symbols = symbolAnno ? symbolsOf(symbolAnno, record) : [];
    if (!described) {
      if (symbols.length && kindOf(record) !== 'other') problems.push(`${record.fqcn}: @Symbol(${symbols}) but no describable class found`);
      continue;
    }
    describables.push({ record: described, descriptor: record, symbols, kind: kindOf(record) });
  } else if (symbolAnno && ancestry(record).has('BuildCondition')) {
    describables.push({ record, descriptor: record, symbols: symbolsOf(symbolAnno, record), kind: 'postCondition' });
  }
}

/** `@Symbol("a")`, `@Symbol({"a", "b"})`, or `@Symbol(SYMBOL)` naming a string constant of an enclosing class. */
function symbolsOf(annotation, record) {
  const literals = annotationStrings(annotation);
  if (literals.length) return literals;
  const names = annotation.args.filter((t) => t.t === 'id').map((t) => t.v);
  const values = [];
  for (const name of names) {
    for (let scope = record; scope; scope = scope.outerFqcn ? classes.get(scope.outerFqcn) : undefined) {
      const field = scope.decl.fields.find((f) => f.name === name);
      const value = field?.init.find((t) => t.t === 'str');
      if (value) { values.push(value.v); break; }
    }
  }
  return values;
}

/** Symbols of the (non-abstract) describables assignable to `base`. */
function symbolsAssignableTo(base) {
  const found = [];
  for (const d of describables) {
    if (d.symbols.length === 0 || d.kind === 'step') continue;
    if (d.record === base || ancestry(d.record).has(base.fqcn)) found.push(d);
  }
  return found;
}

// ------------------------------------------------------------------ parameter types

const JDK_ENUMS = {
  TimeUnit: ['NANOSECONDS', 'MICROSECONDS', 'MILLISECONDS', 'SECONDS', 'MINUTES', 'HOURS', 'DAYS'],
};
const LIST_TYPES = new Set(['List', 'ArrayList', 'Collection', 'Set', 'HashSet', 'LinkedHashSet', 'SortedSet', 'TreeSet', 'Iterable', 'ImmutableList']);
const MAP_TYPES = new Set(['Map', 'HashMap', 'LinkedHashMap', 'TreeMap', 'SortedMap']);
const referenced = new Set();
/** Types whose parameters are being expanded (a type that contains itself stays a bare describable). */
const nesting = new Set();

function genericArgs(type) {
  const at = type.indexOf('<');
  if (at < 0) return [];
  const inner = type.slice(at + 1, type.lastIndexOf('>'));
  const parts = [];
  let depth = 0;
  let current = '';
  for (const ch of inner) {
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if (ch === ',' && depth === 0) { parts.push(current); current = ''; continue; }
    current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.replace(/^\?(extends|super)?/, '').trim());
}

function parameterType(javaType, context, depth = 0) {
  const type = javaType.replace(/^final/, '');
  if (type.endsWith('[]') || type.endsWith('...')) {
    return { kind: 'list', of: parameterType(type.replace(/(\[\]|\.\.\.)$/, ''), context, depth + 1) };
  }
  const base = stripGenerics(type).split('.').pop();
  switch (base) {
    case 'String': case 'CharSequence': case 'Secret': case 'GString': return { kind: 'string' };
    case 'boolean': case 'Boolean': return { kind: 'boolean' };
    case 'int': case 'long': case 'short': case 'byte': case 'Integer': case 'Long': case 'Short': return { kind: 'number', integer: true };
    case 'double': case 'float': case 'Double': case 'Float': return { kind: 'number', integer: false };
    case 'Closure': return { kind: 'closure' };
    case 'Object': case 'def': return { kind: 'unknown', javaType: 'Object' };
  }
  if (JDK_ENUMS[base] && !resolve(type, context)) return { kind: 'enum', values: JDK_ENUMS[base] };
  if (LIST_TYPES.has(base)) {
    const [item] = genericArgs(type);
    return { kind: 'list', of: item && depth < 4 ? parameterType(item, context, depth + 1) : { kind: 'unknown', javaType: 'Object' } };
  }
  if (MAP_TYPES.has(base)) return { kind: 'map' };
  const target = resolve(type, context);
  if (!target) return { kind: 'unknown', javaType: stripGenerics(type) };
  if (target.decl.kind === 'enum') return { kind: 'enum', values: [...target.decl.enumConstants] };
  const candidates = symbolsAssignableTo(target);
  if (candidates.length > 0 || ancestry(target).has('Describable') || ancestry(target).has('AbstractDescribableImpl')) {
    const kinds = new Set(candidates.map((c) => c.kind));
    for (const c of candidates) referenced.add(c);
    const result = { kind: 'describable', baseClass: target.fqcn };
    if (kinds.size === 1) result.describableKind = [...kinds][0];
    const symbols = [...new Set(candidates.flatMap((c) => c.symbols))].sort();
    if (symbols.length) result.symbols = symbols;
    // A symbol-less concrete type is written as a map of its own parameters
    // (`publishHTML(target: [reportDir: ..., reportFiles: ...])`).
    if (!symbols.length && !target.decl.mods.includes('abstract') && target.decl.kind === 'class' && depth < 3 && !nesting.has(target.fqcn)) {
      nesting.add(target.fqcn);
      const nested = parametersOf(target, depth + 1);
      nesting.delete(target.fqcn);
      if (nested.length) result.parameters = sortParams(nested);
    }
    return result;
  }
  return { kind: 'unknown', javaType: target.fqcn };
}

// ------------------------------------------------------------------ parameters of a describable

const decapitalize = (name) => (name.length > 1 && name[0] === name[0].toUpperCase() && name[1] === name[1].toUpperCase()
  ? name : name[0].toLowerCase() + name.slice(1));
const hasAnno = (item, name) => item.annotations.some((a) => (typeof a === 'string' ? a : a.name) === name);

/** Where an optional parameter is declared: the file and the text that introduced it (for `--since`). */
const declaredBy = new WeakMap();

function parametersOf(record, depth = 0) {
  const params = new Map();
  const ctor = record.decl.constructors.find((c) => hasAnno(c, 'DataBoundConstructor'));
  for (const p of ctor?.params ?? []) {
    const doc = helpFor(record, p.name);
    params.set(p.name, {
      name: p.name, type: parameterType(p.type, record, depth), required: true,
      ...(hasAnno(p, 'Deprecated') ? { deprecated: true } : {}),
      ...(doc ? { doc } : {}),
    });
  }
  // Setters from the class and its superclasses; a subclass's setter wins.
  for (const r of superChain(record)) {
    for (const m of r.decl.methods) {
      if (!hasAnno(m, 'DataBoundSetter') || m.params.length !== 1 || !m.name.startsWith('set')) continue;
      const name = decapitalize(m.name.slice(3));
      if (params.has(name)) continue;
      const doc = helpFor(record, name) ?? helpFor(r, name);
      const param = {
        name, type: parameterType(m.params[0].type, r, depth), required: false,
        ...(hasAnno(m, 'Deprecated') ? { deprecated: true } : {}),
        ...(doc ? { doc } : {}),
      };
      declaredBy.set(param, { origin: r.origin, needle: `${m.name}(`, word: name });
      params.set(name, param);
    }
    for (const f of r.decl.fields) {
      if (!hasAnno(f, 'DataBoundSetter') || params.has(f.name)) continue;
      const doc = helpFor(record, f.name) ?? helpFor(r, f.name);
      const param = {
        name: f.name, type: parameterType(f.type, r, depth), required: false,
        ...(hasAnno(f, 'Deprecated') ? { deprecated: true } : {}),
        ...(doc ? { doc } : {}),
      };
      declaredBy.set(param, { origin: r.origin, needle: ` ${f.name};`, word: f.name });
      params.set(f.name, param);
    }
  }
  return [...params.values()];
}

function singleRequired(parameters) {
  const required = parameters.filter((p) => p.required);
  return required.length === 1 ? required[0].name : undefined;
}

/** `getDisplayName()`: a returned literal, or `Messages.Key()` looked up in the package's Messages.properties. */
function displayName(descriptor) {
  const found = findMethod(descriptor, 'getDisplayName');
  if (!found) return undefined;
  const literal = returnedString(found.method);
  if (literal) return literal;
  const body = found.method.body;
  const at = body.findIndex((t, k) => t.v === 'Messages' && body[k + 1]?.v === '.' && body[k - 1]?.v === 'return');
  if (at < 0 || body[at + 3]?.v !== '(' || body[at + 4]?.v !== ')') return undefined;
  const method = body[at + 2].v;
  const unit = found.owner.unit;
  const imported = unit.imports.find((i) => i.endsWith('.Messages'));
  const bundle = messages.get(imported ? imported.slice(0, -'.Messages'.length) : unit.package);
  const text = bundle?.get(method) ?? bundle?.get(method.replace(/_/g, '.'));
  return text && !/\{\d\}/.test(text) ? text : undefined;
}

function requiredContext(descriptor) {
  const found = findMethod(descriptor, 'getRequiredContext');
  if (!found) return new Set();
  return new Set(found.method.body.filter((t, k, body) => t.t === 'id' && body[k + 1]?.v === '.' && body[k + 2]?.v === 'class').map((t) => t.v));
}

/**
 * `getFunctionName()`: a literal, or a literal concatenated with a descriptor field set from a
 * constructor argument that a subclass passes as a literal (`super("Md5")` → `verifyMd5`).
 */
function functionName(descriptor) {
  const found = findMethod(descriptor, 'getFunctionName');
  if (!found) return undefined;
  const literal = returnedString(found.method);
  if (literal) return literal;
  const body = found.method.body;
  if (body[0]?.v !== 'return') return undefined;
  let name = '';
  for (let k = 1; k < body.length && body[k].v !== ';'; k++) {
    const tok = body[k];
    if (tok.t === 'str') { name += tok.v; continue; }
    if (tok.v === '+') continue;
    if (tok.t !== 'id') return undefined;
    const value = fieldFromSuperCall(descriptor, found.owner, tok.v);
    if (value === undefined) return undefined;
    let text = value;
    if (body[k + 1]?.v === '.' && body[k + 2]?.v === 'toLowerCase') {
      text = text.toLowerCase();
      k += 2;
      while (k < body.length && body[k].v !== ')') k++;
    }
    name += text;
  }
  return name || undefined;
}

function fieldFromSuperCall(descriptor, owner, field) {
  for (const ctor of owner.decl.constructors) {
    const body = ctor.body;
    for (let k = 0; k < body.length; k++) {
      if (body[k].v !== field || body[k + 1]?.v !== '=' || body[k + 3]?.v !== ';') continue;
      const index = ctor.params.findIndex((p) => p.name === body[k + 2].v);
      if (index < 0) continue;
      for (const sub of superChain(descriptor)) {
        if (sub === owner) break;
        for (const c of sub.decl.constructors) {
          const at = c.body.findIndex((t, j) => t.v === 'super' && c.body[j + 1]?.v === '(');
          const args = at < 0 ? [] : c.body.slice(at + 2).filter((t) => t.v !== ',');
          if (args[index]?.t === 'str') return args[index].v;
        }
      }
    }
  }
  return undefined;
}

const booleanOf = (descriptor, name) => {
  const found = findMethod(descriptor, name);
  return found ? returnedBoolean(found.method) : undefined;
};

// ------------------------------------------------------------------ steps and describables

const steps = new Map();
/** Where a step's function name is declared (for `--since`). */
const stepOrigins = new WeakMap();
const wrapperCandidates = [];
/** Meta-steps (`step`, `wrap`) and the base class of the describables they run. */
const metaSteps = [];
const outDescribables = new Map();

function addDescribable(entry) {
  // Symbols of `other` describables are only unique per base type (`always` is a pod retention and
  // a node retention strategy): keep each class.
  const key = entry.kind === 'other' ? `${entry.kind}\0${entry.symbol}\0${entry.className}` : `${entry.kind}\0${entry.symbol}`;
  const existing = outDescribables.get(key);
  if (existing) {
    if (existing.plugin !== entry.plugin || existing.className !== entry.className) {
      problems.push(`duplicate ${entry.kind} ${entry.symbol}: ${existing.className} (${existing.plugin}) and ${entry.className} (${entry.plugin}); kept the first`);
    }
    return;
  }
  outDescribables.set(key, entry);
}

function clean(entry) {
  for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
  return entry;
}

for (const d of describables) {
  const deprecated = hasAnno(d.record.decl, 'Deprecated') || hasAnno(d.descriptor.decl, 'Deprecated') || undefined;
  if (d.kind === 'step') {
    const name = functionName(d.descriptor);
    if (!name) {
      if (!d.descriptor.decl.mods.includes('abstract')) problems.push(`${d.descriptor.fqcn}: no literal getFunctionName()`);
      continue;
    }
    const parameters = parametersOf(d.record);
    const context = requiredContext(d.descriptor);
    const takesBlock = booleanOf(d.descriptor, 'takesImplicitBlockArgument') ?? false;
    const metaStep = booleanOf(d.descriptor, 'isMetaStep') ?? false;
    const delegate = metaStep ? parameters.find((p) => p.required && p.type.kind === 'describable') : undefined;
    if (delegate) metaSteps.push({ name, takesBlock, baseClass: delegate.type.baseClass });
    const step = clean({
      name, plugin: d.record.pluginId, takesBlock,
      requiresNode: context.has('FilePath') || context.has('Launcher') || context.has('Node'),
      parameters, defaultParameter: singleRequired(parameters),
      metaStepOf: delegate?.type.describableKind,
      advanced: booleanOf(d.descriptor, 'isAdvanced') || undefined,
      deprecated, doc: displayName(d.descriptor) ?? helpFor(d.record),
    });
    if (steps.has(name)) { problems.push(`duplicate step ${name}: ${d.record.fqcn}`); continue; }
    steps.set(name, step);
    stepOrigins.set(step, { origin: d.descriptor.origin, needle: `"${name}"` });
    if (takesBlock && !BLOCKED_WRAPPER_STEPS.has(name) && !context.has('Launcher') && !context.has('FilePath')) {
      wrapperCandidates.push(step);
    }
    continue;
  }
  if (d.symbols.length === 0) continue;
  const parameters = parametersOf(d.record);
  const [symbol, ...aliases] = d.symbols;
  let kind = d.kind;
  if (kind === 'jobProperty' && BLOCKED_PROPERTIES.has(symbol)) kind = 'other';
  const entry = {
    kind, symbol, plugin: d.record.pluginId, className: d.record.fqcn, parameters,
    defaultParameter: singleRequired(parameters), deprecated, doc: displayName(d.descriptor) ?? helpFor(d.record),
    d,
  };
  if (kind === 'option') {
    entry.allowedInStage = (booleanOf(d.descriptor, 'canUseInStage') ?? false) || (booleanOf(d.descriptor, 'isStageOnly') ?? false);
  }
  if (kind === 'jobProperty') entry.allowedInStage = false;
  if (kind === 'when') {
    const found = findMethod(d.descriptor, 'getAllowedChildrenCount');
    const count = found ? returnedInt(found.method) : 0;
    if (count) entry.takesConditions = true;
  }
  if (kind === 'tool') {
    // In `tools { nodejs 'node-20' }` the argument is the installation's name.
    entry.parameters = [{ name: 'name', type: { kind: 'string' }, required: true, doc: 'Name of a configured installation.' }];
    entry.defaultParameter = 'name';
  }
  for (const s of [symbol, ...aliases]) addDescribable({ ...entry, symbol: s });
}

// Block-scoped steps declarative accepts in `options {}` (Options.getEligibleWrapperStepClasses).
for (const step of wrapperCandidates) {
  addDescribable({
    kind: 'wrapper', symbol: step.name, plugin: step.plugin, parameters: step.parameters,
    defaultParameter: step.defaultParameter, allowedInStage: true, deprecated: step.deprecated, doc: step.doc,
  });
}

// Describables callable as steps through a meta-step (`archiveArtifacts` = `step([$class: ...])`).
for (const meta of metaSteps) {
  const base = classes.get(meta.baseClass);
  for (const candidate of base ? symbolsAssignableTo(base) : []) {
    const entry = outDescribables.get(candidate.kind === 'other'
      ? `other\0${candidate.symbols[0]}\0${candidate.record.fqcn}` : `${candidate.kind}\0${candidate.symbols[0]}`);
    if (!entry || entry.className !== candidate.record.fqcn) continue;
    for (const symbol of candidate.symbols) {
      if (steps.has(symbol)) continue;
      const requiresWorkspace = findMethod(candidate.record, 'requiresWorkspace');
      steps.set(symbol, clean({
        name: symbol, plugin: entry.plugin, takesBlock: meta.takesBlock,
        requiresNode: requiresWorkspace ? returnedBoolean(requiresWorkspace.method) !== false : true,
        parameters: entry.parameters, defaultParameter: entry.defaultParameter, deprecated: entry.deprecated,
        doc: entry.doc ?? `Runs through the ${meta.name} meta-step.`,
      }));
    }
  }
}

// Describables of no declarative kind are kept only where a parameter refers to them.
const referencedRecords = new Set([...referenced].map((d) => d.record.fqcn));
const finalDescribables = [...outDescribables.values()]
  .filter((e) => e.kind !== 'other' || referencedRecords.has(e.className) || BLOCKED_PROPERTIES.has(e.symbol))
  .map(({ d, ...rest }) => clean(rest));

// ------------------------------------------------------------------ output

const catalog = {
  format: 1,
  name: 'pipewright default',
  source: 'bundled',
  complete: false,
  // Every plugin read, whether or not it contributes a symbol (mailer's publisher has none).
  plugins: [...plugins.values()]
    .map(({ tag, ...p }) => p)
    .sort((a, b) => byName(a.id, b.id)),
  steps: [...steps.values()].map((s) => ({ ...s, parameters: sortParams(s.parameters) })).sort((a, b) => byName(a.name, b.name)),
  describables: finalDescribables
    .map((d) => ({ ...d, parameters: sortParams(d.parameters) }))
    .sort((a, b) => byName(a.kind, b.kind) || byName(a.symbol, b.symbol) || byName(a.className ?? '', b.className ?? '')),
};

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(catalog, null, 1) + '\n');
const tags = [...plugins.values()].map((p) => `  ${p.id} ${p.version} (${p.tag})`).sort();
process.stderr.write(`${outFile}: ${catalog.plugins.length} plugins, ${catalog.steps.length} steps, ${catalog.describables.length} describables\n`);
if (report) process.stderr.write(`${tags.join('\n')}\n\nunresolved:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);

// ------------------------------------------------------------------ feature versions (--no-since skips)
//
// For every step and every optional parameter of a step or of a declarative describable: the first
// release that has it. The declaring file is read at every release tag (oldest first); the feature's
// release is the first whose file contains the setter (`setAdaptiveCards(`), the `@DataBoundSetter`
// field or the function name (`"office365ConnectorSend"`), provided the previous release had the
// same file without it and without the parameter's name (a constructor argument that became a
// setter is not new). When the file is new in that release (a move, or the plugin's first
// release) nothing is recorded: the true version could be older, and a minimum must never be
// higher than needed. A release whose file cannot be read counts as unknown, not as absent.

/** Release tags of a repository, oldest first: [{tag, version}]. */
const releasesCache = new Map();
function releasesOf(origin) {
  if (!releasesCache.has(origin.gitDir)) {
    const releases = git(origin.gitDir, ['tag']).split('\n')
      .map((tag) => ({ tag, match: origin.source.tag.exec(tag) }))
      .filter(({ tag, match }) => match && !/(alpha|beta|rc)/i.test(tag))
      .map(({ tag, match }) => ({ tag, version: match[1] }))
      .filter((r) => compareNumeric(numericParts(r.version), numericParts(origin.release.version)) <= 0)
      .sort((a, b) => compareNumeric(numericParts(a.version), numericParts(b.version)));
    releasesCache.set(origin.gitDir, releases);
  }
  return releasesCache.get(origin.gitDir);
}

/** The declaring file's text at every release: Map<tag, text | null (no such file) | undefined (unreadable)>. */
const historyCache = new Map();
function historyOf(origin) {
  const key = `${origin.gitDir}\0${origin.path}`;
  if (historyCache.has(key)) return historyCache.get(key);
  const releases = releasesOf(origin);
  const specs = releases.map((r) => `${r.tag}:${origin.path}`);
  const out = git(origin.gitDir, ['cat-file', '--batch'], Buffer.from(specs.join('\n') + '\n'));
  const texts = new Map();
  let at = 0;
  for (const release of releases) {
    const headerEnd = out.indexOf(10, at);
    const header = out.subarray(at, headerEnd).toString();
    at = headerEnd + 1;
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      texts.set(release.tag, null);
      continue;
    }
    const size = Number(header.split(' ')[2]);
    texts.set(release.tag, out.subarray(at, at + size).toString('utf8'));
    at += size + 1;
  }
  historyCache.set(key, texts);
  return texts;
}

function sinceOf({ origin, needle, word }) {
  if (!origin) return undefined;
  const releases = releasesOf(origin);
  const texts = historyOf(origin);
  for (let i = 0; i < releases.length; i++) {
    const text = texts.get(releases[i].tag);
    if (!text || !text.includes(needle)) continue;
    const previous = i > 0 ? texts.get(releases[i - 1].tag) : undefined;
    if (typeof previous !== 'string') return undefined;
    // The parameter may have existed in another form (a constructor argument before the setter).
    if (word && new RegExp(`\\b${word}\\b`).test(previous)) return undefined;
    return {
      since: releases[i].version,
      evidence: `${origin.path} has ${needle.trim()} from release tag ${releases[i].tag} (not in ${releases[i - 1].tag})`,
    };
  }
  return undefined;
}

if (since) {
  const features = [];
  const consider = (plugin, feature, where) => {
    const found = where && sinceOf(where);
    if (found) features.push({ plugin, feature, ...found });
  };
  for (const step of catalog.steps) {
    consider(step.plugin, `step:${step.name}`, stepOrigins.get(steps.get(step.name)));
    for (const p of step.parameters) if (!p.required) consider(step.plugin, `step:${step.name}:${p.name}`, declaredBy.get(p));
  }
  for (const d of catalog.describables) {
    if (d.kind === 'other' || d.kind === 'wrapper') continue;
    for (const p of d.parameters) if (!p.required) consider(d.plugin, `${d.kind}:${d.symbol}:${p.name}`, declaredBy.get(p));
  }
  features.sort((a, b) => byName(a.plugin, b.plugin) || byName(a.feature, b.feature));
  writeFileSync(versionsFile, JSON.stringify(features, null, 1) + '\n');
  process.stderr.write(`${versionsFile}: ${features.length} features with a minimum version\n`);
}
