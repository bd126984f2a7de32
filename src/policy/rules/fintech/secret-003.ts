import { shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const LEAKY_SHELL = /(?:^|[;&|]\s*)(?:set\s+-[a-wyz]*x|set\s+-o\s+xtrace|bash\s+-[a-wyz]*x|printenv\b|env\s*(?:$|[|>;&]))/;

function bindingVariables(binding: Record<string, unknown>): string[] {
  return Object.entries(binding)
    .filter(([key, value]) => key.endsWith('ariable') && typeof value === 'string')
    .map(([, value]) => value as string);
}

/**
 * Where an `echo`/`printf` line sends its output: the build log, a file (`> .npmrc`), `tee`
 * (both), a command that reads a secret from stdin (`| docker login --password-stdin`), or
 * another command whose output reaches the log (`| base64`).
 */
function outputOf(line: string): { kind: 'log' | 'file' | 'tee' | 'stdin' | 'through'; target?: string } {
  // Blank out quoted text (same length, so positions still match `line`).
  const masked = line.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, (m) => m[0] + 'x'.repeat(m.length - 2) + m[m.length - 1]);
  const tee = /\|\s*tee\s+(?:-a\s+)?(\S+)/.exec(masked);
  if (tee) return { kind: 'tee', target: line.slice(tee.index + tee[0].length - tee[1]!.length, tee.index + tee[0].length) };
  const pipe = /\|(?!\|)\s*(.*)$/.exec(masked);
  if (pipe) {
    const command = line.slice(pipe.index + pipe[0].length - pipe[1]!.length).trim();
    return /stdin|--with-token\b/.test(command) ? { kind: 'stdin' } : { kind: 'through', target: command.split(/\s+/)[0] };
  }
  const redirect = /(?:^|[^0-9&>])>>?\s*(?!&)(\S+)/.exec(masked);
  if (redirect) {
    const target = line.slice(redirect.index + redirect[0].length - redirect[1]!.length, redirect.index + redirect[0].length).replace(/[;&|].*$/, '');
    if (target !== '/dev/stdout' && target !== '/dev/stderr') return { kind: 'file', target };
  }
  return { kind: 'log' };
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
  check({ index }) {
    const findings: RuleFinding[] = [];
    const credentialVariables = new Set<string>();
    for (const block of index.environmentBlocks) {
      for (const [name, value] of Object.entries(block.environment)) {
        if (typeof value === 'object' && value !== null && 'credentials' in value) {
          credentialVariables.add(name).add(`${name}_USR`).add(`${name}_PSW`);
        }
      }
    }
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      if (info.step.step === 'withCredentials') for (const b of info.step.bindings) bindingVariables(b).forEach((v) => credentialVariables.add(v));
    }
    if (credentialVariables.size === 0) return findings;

    const interpolates = (groovy: string) => {
      for (const literal of groovy.match(/"(?:[^"\\]|\\.)*"/g) ?? []) {
        for (const name of credentialVariables) {
          if (new RegExp(`\\$(?:\\{\\s*(?:env\\.)?${name}\\b|${name}\\b|env\\.${name}\\b)`).test(literal)) return name;
        }
      }
      return undefined;
    };
    for (const source of index.groovy) {
      const name = interpolates(source.source);
      if (name) {
        findings.push({
          path: source.path,
          message: `${name} (a credential) is interpolated into a Groovy string; let the shell read it from the environment instead`,
          expected: `the shell reading "$${name}" from the environment`,
          found: `"…\${${name}}…"`,
        });
      }
    }

    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      // A credential is in scope where the step runs: an environment block or a wrapper binds it.
      if (info.step.step !== 'sh' || info.scope.credentials.length === 0) continue;
      const path = info.origin === 'model' ? [...info.path, 'script'] : info.path;
      for (const line of shellLines(info.step.script)) {
        const echoed = /^\s*(?:echo|printf)\b/.test(line) ? [...credentialVariables].find((n) => new RegExp(`\\$\\{?${n}\\b`).test(line)) : undefined;
        if (echoed) {
          const output = outputOf(line);
          if (output.kind === 'stdin') continue; // `echo "$TOKEN" | docker login --password-stdin`: not the log
          findings.push({
            path,
            message:
              output.kind === 'file'
                ? `the script writes ${echoed} (a credential) to ${output.target} in the workspace, where later steps, stashes, archives and image builds can pick it up; bind a file credential or pass it through the environment instead`
                : output.kind === 'tee'
                  ? `the script prints ${echoed} (a credential) to the build log and writes it to ${output.target}`
                  : output.kind === 'through'
                    ? `the script passes ${echoed} (a credential) through '${output.target}' to the build log, where masking no longer recognises it`
                    : `the script prints ${echoed} (a credential) to the build log`,
            expected: output.kind === 'file' ? 'a file credential (bind.file) or an environment variable' : 'no output of credential values',
            found: line.slice(0, 80),
          });
          break;
        }
        if (LEAKY_SHELL.test(line)) {
          findings.push({
            path,
            message: `'${line.slice(0, 40)}' traces or dumps the environment while credentials are bound`,
            expected: 'no set -x, env or printenv while credentials are bound',
            found: line.slice(0, 80),
          });
          break;
        }
      }
    }
    return findings;
  },
});
