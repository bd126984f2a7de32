/**
 * Writes a pipeline model value as a typed pipeline module:
 *
 * ```ts
 * import { definePipeline, sh, ... } from 'pipewright';
 *
 * export default definePipeline({ ... });
 * ```
 *
 * The module is assembled with ts-morph and formatted with prettier. Steps use the DSL helpers
 * (`sh('x', { label })`, `checkoutScm()`, `withCredentials([bind.string(...)], [...])`,
 * `script('...')`, `step(...)`), values `groovy('...')` and `credentials('id')`; everything else
 * is plain object literals typed by `definePipeline`. Evaluating the module gives back exactly the
 * model value it was written from (helpers only add the `step` discriminator).
 */
import { Project } from 'ts-morph';
import * as prettier from 'prettier';
import type { CredentialBinding, GenericStep, Pipeline, Step } from '../model/schema.ts';
import type { CatalogCallForm } from './catalog-steps.ts';

export interface EmitModuleOptions {
  /** Comment lines for the top of the module (without `//`). */
  header?: string[];
  /** Where the module will be written: its prettier configuration applies, if any. */
  file?: string;
  /**
   * Called when prettier cannot format the module (it recurses once per level of nesting and runs
   * out of stack on very deeply nested steps): the module is then returned as printed, unformatted.
   */
  onUnformatted?: (reason: string) => void;
  /**
   * Generic step values to write as calls of the catalog's typed functions (from the raise
   * result), imported as `import * as jenkins from '<catalogModule>'`.
   */
  catalogCalls?: WeakMap<object, CatalogCallForm>;
  /** Module specifier of the typed steps module (default `./jenkins-steps.ts`). */
  catalogModule?: string;
}

/** The namespace the typed catalog steps are imported under. */
export const CATALOG_NAMESPACE = 'jenkins';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Source text of a pipeline module for `pipeline`. */
export async function emitPipelineModule(pipeline: Pipeline, options: EmitModuleOptions = {}): Promise<string> {
  const renderer = new Renderer(options.catalogCalls);
  const body = renderer.pipeline(pipeline);
  const file = sourceFile();
  file.addImportDeclaration({
    moduleSpecifier: 'pipewright',
    namedImports: ['definePipeline', ...[...renderer.helpers].sort()],
  });
  if (renderer.usesCatalog) {
    file.addImportDeclaration({ moduleSpecifier: options.catalogModule ?? './jenkins-steps.ts', namespaceImport: CATALOG_NAMESPACE });
  }
  file.addExportAssignment({ isExportEquals: false, expression: `definePipeline(${body})` });
  if (options.header && options.header.length > 0) {
    file.insertStatements(0, options.header.map((line) => `// ${line}`.trimEnd()).join('\n'));
  }
  const text = file.getFullText();
  const config = options.file ? ((await prettier.resolveConfig(options.file)) ?? {}) : {};
  try {
    return await prettier.format(text, { singleQuote: true, printWidth: 120, trailingComma: 'all', ...config, parser: 'typescript' });
  } catch (error) {
    if (!(error instanceof RangeError && /call stack/i.test(error.message))) throw error;
    options.onUnformatted?.('prettier ran out of stack space on its nesting');
    return text.endsWith('\n') ? text : `${text}\n`;
  }
}

let project: Project | undefined;

/** A fresh in-memory source file (one project serves every module). */
function sourceFile() {
  project ??= new Project({ useInMemoryFileSystem: true });
  return project.createSourceFile('imported.pipeline.ts', '', { overwrite: true });
}

/**
 * A TypeScript literal whose value is exactly `value` (UTF-16 units): a template literal for
 * readable multi-line text, else a JSON string (which escapes control characters and lone
 * surrogates).
 */
export function tsString(value: string): string {
  const templateSafe = value.includes('\n') && !/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/.test(value) && !hasLoneSurrogate(value);
  if (templateSafe) {
    return `\`${value.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\t/g, '\\t')}\``;
  }
  return JSON.stringify(value);
}

function hasLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return true;
  }
  return false;
}

function tsKey(key: string): string {
  if (key === '__proto__') return `[${JSON.stringify(key)}]`;
  return IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

type Entries = [string, string][];

const objectLiteral = (entries: Entries): string => (entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${tsKey(k)}: ${v}`).join(', ')} }`);

class Renderer {
  /** DSL helpers the module uses (besides definePipeline). */
  readonly helpers = new Set<string>();
  /** Whether a catalog-typed call was written. */
  usesCatalog = false;

  constructor(private readonly catalogCalls: WeakMap<object, CatalogCallForm> | undefined) {}

  private use(helper: string): string {
    this.helpers.add(helper);
    return helper;
  }

  /** Any model value: literals, arrays, objects; `{ $groovy }` as `groovy(...)`. */
  value(value: unknown): string {
    if (value === null) return 'null';
    if (typeof value === 'string') return tsString(value);
    if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
    if (typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return `[${value.map((item) => this.value(item)).join(', ')}]`;
    if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 1 && entries[0]![0] === '$groovy' && typeof entries[0]![1] === 'string') {
        return `${this.use('groovy')}(${tsString(entries[0]![1])})`;
      }
      return objectLiteral(entries.map(([k, v]) => [k, this.value(v)]));
    }
    throw new Error(`cannot write ${typeof value} as a pipeline value`);
  }

  pipeline(pipeline: Pipeline): string {
    return objectLiteral(
      Object.entries(pipeline).map(([key, value]): [string, string] => {
        switch (key) {
          case 'stages':
            return [key, this.stages(value as unknown[])];
          case 'post':
            return [key, this.post(value as Record<string, Step[]>)];
          case 'environment':
            return [key, this.environment(value as Record<string, unknown>)];
          default:
            return [key, this.value(value)];
        }
      }),
    );
  }

  private stages(stages: unknown[]): string {
    return `[${stages.map((stage) => this.stage(stage as Record<string, unknown>)).join(', ')}]`;
  }

  private stage(stage: Record<string, unknown>): string {
    return objectLiteral(
      Object.entries(stage).map(([key, value]): [string, string] => {
        switch (key) {
          case 'steps':
            return [key, this.steps(value as Step[])];
          case 'stages':
          case 'parallel':
            return [key, this.stages(value as unknown[])];
          case 'matrix':
            return [key, this.stage(value as Record<string, unknown>)];
          case 'post':
            return [key, this.post(value as Record<string, Step[]>)];
          case 'environment':
            return [key, this.environment(value as Record<string, unknown>)];
          default:
            return [key, this.value(value)];
        }
      }),
    );
  }

  private post(post: Record<string, Step[]>): string {
    return objectLiteral(Object.entries(post).map(([condition, steps]) => [condition, this.steps(steps)]));
  }

  private environment(environment: Record<string, unknown>): string {
    return objectLiteral(
      Object.entries(environment).map(([name, value]): [string, string] => {
        const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
        if (keys.length === 1 && keys[0] === 'credentials') {
          return [name, `${this.use('credentials')}(${tsString((value as { credentials: string }).credentials)})`];
        }
        return [name, this.value(value)];
      }),
    );
  }

  private steps(steps: readonly Step[]): string {
    return `[${steps.map((step) => this.step(step)).join(', ')}]`;
  }

  /** `{ a: 1 }` of the given fields that are set, or '' when none is. */
  private options(step: object, keys: readonly string[]): string {
    const record = step as Record<string, unknown>;
    const entries: Entries = keys.filter((key) => record[key] !== undefined).map((key) => [key, this.value(record[key])]);
    return entries.length === 0 ? '' : objectLiteral(entries);
  }

  private call(helper: string, ...args: string[]): string {
    while (args.length > 0 && args[args.length - 1] === '') args.pop();
    return `${this.use(helper)}(${args.map((arg) => (arg === '' ? 'undefined' : arg)).join(', ')})`;
  }

  step(step: Step): string {
    switch (step.step) {
      case 'sh':
        return this.call('sh', tsString(step.script), this.options(step, ['label', 'returnStatus', 'returnStatusReason']));
      case 'echo':
        return this.call('echo', tsString(step.message));
      case 'checkout':
        return this.call('checkoutScm');
      case 'git':
        return this.call('git', this.options(step, ['url', 'branch', 'credentialsId', 'changelog', 'poll']));
      case 'junit':
        return this.call('junit', tsString(step.testResults), this.options(step, ['allowEmptyResults', 'keepLongStdio', 'skipPublishingChecks']));
      case 'archiveArtifacts':
        return this.call(
          'archiveArtifacts',
          tsString(step.artifacts),
          this.options(step, ['excludes', 'allowEmptyArchive', 'fingerprint', 'onlyIfSuccessful']),
        );
      case 'stash':
        return this.call('stash', tsString(step.name), this.options(step, ['includes', 'excludes', 'allowEmpty', 'useDefaultExcludes']));
      case 'unstash':
        return this.call('unstash', tsString(step.name));
      case 'dir':
        return this.call('dir', tsString(step.path), this.steps(step.steps));
      case 'withCredentials':
        return this.call('withCredentials', `[${step.bindings.map((b) => this.binding(b)).join(', ')}]`, this.steps(step.steps));
      case 'timeout':
        return this.call('timeout', String(step.time), this.steps(step.steps), this.options(step, ['unit', 'activity']));
      case 'retry':
        return this.call('retry', String(step.count), this.steps(step.steps));
      case 'lock':
        if (step.resource !== undefined) {
          return this.call('lock', tsString(step.resource), this.steps(step.steps), this.options(step, ['label', 'quantity', 'inversePrecedence']));
        }
        return objectLiteral([
          ['step', "'lock'"],
          ...(['label', 'quantity', 'inversePrecedence'] as const)
            .filter((key) => step[key] !== undefined)
            .map((key): [string, string] => [key, this.value(step[key])]),
          ['steps', this.steps(step.steps)],
        ]);
      case 'script':
        return this.call('script', tsString(step.groovy));
      case 'step': {
        const form = this.catalogCalls?.get(step);
        if (form) return this.catalogCall(step, form);
        return this.call('step', tsString(step.name), step.args === undefined ? '' : this.value(step.args), step.body === undefined ? '' : this.steps(step.body));
      }
      default:
        // Delivery steps (not produced by the importer yet): plain data is always valid.
        return this.value(step);
    }
  }

  /** `jenkins.cleanWs({ deleteDirs: true })`, in the call form of the generated function. */
  private catalogCall(step: GenericStep, form: CatalogCallForm): string {
    this.usesCatalog = true;
    const callee = `${CATALOG_NAMESPACE}.${form.functionName}`;
    const body = step.body === undefined ? undefined : this.steps(step.body);
    let value: string | undefined;
    if (form.form === 'positional') value = this.value((step.args as readonly unknown[])[0]);
    else if (form.form === 'named') value = this.value(step.args ?? {});
    const args = form.bodyFirst ? [body, value] : [value, body];
    return `${callee}(${args.filter((a): a is string => a !== undefined).join(', ')})`;
  }

  private binding(binding: CredentialBinding): string {
    const bind = `${this.use('bind')}`;
    switch (binding.type) {
      case 'usernamePassword':
        return `${bind}.usernamePassword(${[binding.credentialsId, binding.usernameVariable, binding.passwordVariable].map(tsString).join(', ')})`;
      case 'string':
      case 'file':
        return `${bind}.${binding.type}(${tsString(binding.credentialsId)}, ${tsString(binding.variable)})`;
      case 'sshUserPrivateKey': {
        const extra = this.options(binding, ['usernameVariable', 'passphraseVariable']);
        return `${bind}.sshUserPrivateKey(${tsString(binding.credentialsId)}, ${tsString(binding.keyFileVariable)}${extra ? `, ${extra}` : ''})`;
      }
    }
  }
}
