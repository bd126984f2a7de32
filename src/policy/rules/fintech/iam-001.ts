import { shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const STATIC_KEY_VARIABLES = /^AWS_(?:ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/;
const ASSUMED_ROLE = 'an assumed role (withAWS role and roleAccount)';
const SHELL_STATIC_KEYS = /\baws\s+configure\s+set\s+aws_(?:access_key_id|secret_access_key)\b|\bexport\s+AWS_(?:ACCESS_KEY_ID|SECRET_ACCESS_KEY)=/;

/** IAM-001: AWS access only through short-lived assumed roles. */
export default defineRule({
  meta: {
    id: 'IAM-001',
    title: 'AWS access only through assumed roles',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Static access keys live forever and cannot be traced to a build. AWS access goes through `withAWS(role, roleAccount)` ' +
      '(the typed steps’ `aws` field) with sessions of at most an hour and Jenkins’ default session name (job + build), ' +
      'which ties every CloudTrail event to the build that caused it.',
    standards: ['OWASP CICD-SEC-6 (insufficient credential hygiene)', 'PCI DSS 4.0.1 8.6.2', 'pipeline-aws withAWS'],
    exception: 'A read-only bootstrap in a tooling account.',
    example: {
      bad: "environment: { AWS_ACCESS_KEY_ID: credentials('aws-deploy-key') }",
      good: "ecsDeploy({ environment: 'prod', aws: { role: 'ecs-deployer-prod', account: '333333333333', region: 'eu-west-1' }, ...prodService })",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const block of index.environmentBlocks) {
      for (const name of Object.keys(block.environment)) {
        if (STATIC_KEY_VARIABLES.test(name)) {
          findings.push({ path: [...block.path, name], message: `${name} is set in the environment: use an assumed role (withAWS) instead of static keys`, expected: ASSUMED_ROLE, found: name });
        }
      }
    }
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      const step = info.step;
      if (step.step === 'withCredentials') {
        for (const [i, binding] of step.bindings.entries()) {
          const variables = Object.entries(binding).filter(([k]) => k.endsWith('ariable')).map(([, v]) => String(v));
          const awsVariable = variables.find((v) => STATIC_KEY_VARIABLES.test(v));
          const awsKeyPair = binding.type === 'usernamePassword' && /\baws\b|access[-_]?key/i.test(binding.credentialsId);
          if (awsVariable || awsKeyPair) {
            findings.push({
              path: [...info.path, 'bindings', i],
              message: `credential '${binding.credentialsId}' binds static AWS keys${awsVariable ? ` to ${awsVariable}` : ''}; assume a role with withAWS instead`,
              expected: ASSUMED_ROLE,
              found: binding.credentialsId,
            });
          }
        }
      } else if (step.step === 'step') {
        const args = step.args && !Array.isArray(step.args) ? (step.args as Record<string, unknown>) : {};
        const text = JSON.stringify(step.args ?? '');
        if (step.name === 'withAWS' && args['credentials'] !== undefined) {
          findings.push({ path: [...info.path, 'args', 'credentials'], message: 'withAWS(credentials: ...) uses static keys; use role and roleAccount', expected: 'role and roleAccount', found: 'credentials' });
        }
        if (step.name === 'withAWS' && typeof args['duration'] === 'number' && args['duration'] > 3600) {
          findings.push({ path: [...info.path, 'args', 'duration'], message: `withAWS session of ${args['duration']} s is longer than 3600 s`, expected: '≤ 3600', found: String(args['duration']) });
        }
        if (step.name === 'withAWS' && args['role'] === undefined && args['credentials'] === undefined && args['profile'] === undefined) {
          findings.push({ path: info.path, message: 'withAWS without a role: give role and roleAccount', expected: 'role, roleAccount', found: 'no role' });
        }
        if (/AmazonWebServicesCredentialsBinding/.test(text)) {
          findings.push({ path: info.path, message: 'AmazonWebServicesCredentialsBinding binds static AWS keys; assume a role with withAWS instead', expected: ASSUMED_ROLE, found: 'AmazonWebServicesCredentialsBinding' });
        }
      } else if (step.step === 'sh') {
        if (shellLines(step.script).some((line) => SHELL_STATIC_KEYS.test(line))) {
          findings.push({ path: [...info.path, 'script'], message: 'the script configures static AWS keys; assume a role with withAWS instead', expected: ASSUMED_ROLE, found: 'static keys in the script' });
        }
      }
    }
    return findings;
  },
});
