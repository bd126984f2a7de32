import type { ModelPath } from '../../../diagnostics.ts';
import { shellLines } from '../../facts.ts';
import type { StepInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const LEAKY_SHELL = /(?:^|[;&|]\s*)(?:set\s+-[a-wyz]*x|set\s+-o\s+xtrace|bash\s+-[a-wyz]*x|printenv\b|env\s*(?:$|[|>;&]))/;

function bindingVariables(binding: Record<string, unknown>): string[] {
  return Object.entries(binding)
    .filter(([key, value]) => key.endsWith('ariable') && typeof value === 'string')
    .map(([, value]) => value as string);
}

/** SECRET-003: secrets never pass through Groovy string interpolation or get echoed. */
export default defineRule({
  meta: {
    id: 'SECRET-003',
    title: 'No secrets in Groovy interpolation or shell traces',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Groovy interpolation (`"…${TOKEN}…"`) puts the secret into the command line and the build log before Jenkins can ' +
      'mask it, and masking only covers the exact value, not a transformed one. Credential variables are read by the ' +
      'shell (`sh` bodies are single-quoted), never interpolated in raw Groovy, and never traced (`set -x`), echoed or ' +
      'dumped (`env`, `printenv`) where they are bound.',
    standards: ['OWASP CICD-SEC-6', 'Jenkins: string interpolation of secrets'],
    example: {
      bad: "withCredentials([bind.string('snyk-token', 'SNYK_TOKEN')], [script('sh \"snyk auth ${SNYK_TOKEN}\"')])",
      good: "withCredentials([bind.string('snyk-token', 'SNYK_TOKEN')], [sh('snyk auth \"$SNYK_TOKEN\"')])",
    },
  },
  *check({ pipeline, index }) {
    const findings: RuleFinding[] = [];
    const credentialVariables = new Set<string>();
    const pipelineEnvCredentials = Object.entries(pipeline.environment ?? {}).some(([, v]) => typeof v === 'object' && v !== null && 'credentials' in v);
    const addEnv = (env: Record<string, unknown> | undefined) => {
      for (const [name, value] of Object.entries(env ?? {})) {
        if (typeof value === 'object' && value !== null && 'credentials' in value) {
          credentialVariables.add(name).add(`${name}_USR`).add(`${name}_PSW`);
        }
      }
    };
    addEnv(pipeline.environment);
    for (const s of index.stages) addEnv(s.stage.environment);
    for (const info of index.steps) {
      if (info.step.step === 'withCredentials') for (const b of info.step.bindings) bindingVariables(b).forEach((v) => credentialVariables.add(v));
    }
    if (credentialVariables.size === 0) return;

    const interpolates = (groovy: string) => {
      for (const literal of groovy.match(/"(?:[^"\\]|\\.)*"/g) ?? []) {
        for (const name of credentialVariables) {
          if (new RegExp(`\\$(?:\\{\\s*(?:env\\.)?${name}\\b|${name}\\b|env\\.${name}\\b)`).test(literal)) return name;
        }
      }
      return undefined;
    };
    const groovySources: [ModelPath, string][] = [];
    for (const info of index.steps) if (info.step.step === 'script') groovySources.push([[...info.path, 'groovy'], info.step.groovy]);
    for (const s of index.strings()) if (s.key === '$groovy' || (s.key === 'expression' && s.path.includes('when'))) groovySources.push([s.path, s.value]);
    for (const [path, groovy] of groovySources) {
      const name = interpolates(groovy);
      if (name) findings.push({ path, message: `${name} (a credential) is interpolated into a Groovy string; let the shell read it from the environment instead`, found: `"…\${${name}}…"` });
    }

    const inScope = (info: StepInfo) =>
      pipelineEnvCredentials ||
      info.enclosing.some((e) => e.step.step === 'withCredentials') ||
      (info.stage !== undefined && [...info.stage.ancestors, info.stage].some((s) => Object.values(s.stage.environment ?? {}).some((v) => typeof v === 'object' && v !== null && 'credentials' in v)));
    for (const info of index.steps) {
      if (info.step.step !== 'sh' || !inScope(info)) continue;
      for (const line of shellLines(info.step.script)) {
        const echoed = /^\s*(?:echo|printf)\b/.test(line) ? [...credentialVariables].find((n) => new RegExp(`\\$\\{?${n}\\b`).test(line)) : undefined;
        if (LEAKY_SHELL.test(line) || echoed) {
          findings.push({
            path: [...info.path, 'script'],
            message: echoed
              ? `the script prints ${echoed} (a credential) to the build log`
              : `'${line.slice(0, 40)}' traces or dumps the environment while credentials are bound`,
            found: line.slice(0, 80),
          });
          break;
        }
      }
    }
    yield* findings;
  },
});
