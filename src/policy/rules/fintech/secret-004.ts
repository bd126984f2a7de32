import { shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const SECRET_ARG = /(?:PASS|PWD|TOKEN|SECRET|KEY|CREDENTIAL|AUTH|NPMRC|CERT)/i;

/** SECRET-004: Docker build args never carry secrets. */
export default defineRule({
  meta: {
    id: 'SECRET-004',
    title: 'No secrets in Docker build args',
    pack: 'fintech',
    severity: 'error',
    rationale:
      '`ARG` and `ENV` values persist in the image history and in build provenance (`--provenance=mode=max` records every ' +
      'build-arg value). Secrets needed at build time go through BuildKit secrets (`dockerBuild({ secrets })`, ' +
      '`RUN --mount=type=secret`), which are never stored in the image.',
    standards: ['Docker build check SecretsUsedInArgOrEnv', 'OWASP CICD-SEC-6'],
    example: {
      bad: "dockerBuild({ repository: 'payments-api', buildArgs: { NPM_TOKEN: '$NPM_TOKEN' } })",
      good: "dockerBuild({ repository: 'payments-api', secrets: [{ id: 'npmrc', credentialId: 'npmrc-file' }] })",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      const step = info.step;
      if (step.step === 'dockerBuild') {
        for (const name of Object.keys(step.buildArgs ?? {})) {
          if (!SECRET_ARG.test(name)) continue;
          findings.push({ path: [...info.path, 'buildArgs', name], message: `build arg ${name} looks like a secret; pass it as a BuildKit secret (secrets: [...])`, expected: 'a BuildKit secret', found: name });
        }
      } else if (step.step === 'sh') {
        for (const line of shellLines(step.script)) {
          if (!/\bdocker\s+(?:buildx\s+)?build\b/.test(line)) continue;
          const name = [...line.matchAll(/--build-arg[ =]["']?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!).find((n) => SECRET_ARG.test(n));
          if (name) {
            findings.push({ path: [...info.path, 'script'], message: `docker build passes ${name} as a build arg; use --secret (BuildKit) instead`, expected: 'a BuildKit secret (--secret)', found: name });
            break;
          }
        }
      }
    }
    for (const { agent, path } of index.agents) {
      if (typeof agent === 'object' && agent.type === 'dockerfile' && agent.additionalBuildArgs) {
        const name = [...agent.additionalBuildArgs.matchAll(/--build-arg[ =]["']?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!).find((n) => SECRET_ARG.test(n));
        if (name) findings.push({ path: [...path, 'additionalBuildArgs'], message: `the dockerfile agent passes ${name} as a build arg`, expected: 'a BuildKit secret', found: name });
      }
    }
    return findings;
  },
});
