import { SECRET_NAME } from '../../secrets.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const REFERENCE_KEY = /(?:credentials?id|credentialsid|id|variable|file)$/i;

/** SECRET-002: credentials by reference, bound at the narrowest scope. */
export default defineRule({
  meta: {
    id: 'SECRET-002',
    title: 'Credentials by reference, bound per stage',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A credential bound in the pipeline-level `environment` is exposed to every stage, including ones that run tests ' +
      'and third-party code. Bind credentials in the stage that needs them (`withCredentials`, stage `environment`, the ' +
      'typed steps’ credential ids), and pass plugin steps a credential id, never the secret value.',
    standards: ['OWASP CICD-SEC-6', 'Jenkins credentials-binding'],
    example: {
      bad: "definePipeline({ agent: buildAgent, environment: { SNYK_TOKEN: credentials('snyk-token') }, stages: [build] })",
      good: "snykScan('test', { tokenCredentialId: 'snyk-token', version: '1.1293.1' })",
    },
  },
  check({ pipeline, index }) {
    const findings: RuleFinding[] = [];
    for (const [name, value] of Object.entries(pipeline.environment ?? {})) {
      if (typeof value === 'object' && value !== null && 'credentials' in value) {
        findings.push({
          path: ['environment', name],
          message: `credential '${value.credentials}' is bound for the whole pipeline as ${name}; bind it in the stage that needs it`,
          expected: 'a stage-level binding',
          found: 'pipeline environment',
        });
      }
    }
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      const step = info.step;
      if (step.step !== 'step' || !step.args || Array.isArray(step.args)) continue;
      for (const [key, value] of Object.entries(step.args as Record<string, unknown>)) {
        if (typeof value !== 'string' || !SECRET_NAME.test(key) || REFERENCE_KEY.test(key)) continue;
        if (value.length === 0) continue;
        findings.push({
          path: [...info.path, 'args', key],
          message: `${step.name} gets ${key} as a literal value; pass a credential id or an environment variable bound by withCredentials`,
          expected: 'a credential reference',
          found: 'a literal string',
        });
      }
      for (const [key, value] of Object.entries(step.args as Record<string, unknown>)) {
        if (/^webhookurl$/i.test(key) && typeof value === 'string' && !SECRET_NAME.test(key)) {
          findings.push({
            path: [...info.path, 'args', key],
            message: `${step.name} gets a literal webhook URL; bind it from a secret-text credential with withCredentials`,
            expected: 'a credential reference',
            found: 'a literal URL',
          });
        }
      }
    }
    return findings;
  },
});
