import { defineRule, type RuleFinding } from '../../rule.ts';
import type { StringFilter } from '../../model-index.ts';
import { findSecret, SECRET_MIN_LENGTH } from '../../secrets.ts';

/**
 * Strings SECRET-001 never judges: too short to be reported, or names (of steps, types, plugins,
 * stages) rather than values. Left out by the walk itself: most strings of a model are such.
 */
const JUDGED_STRINGS: StringFilter = { minLength: SECRET_MIN_LENGTH, skipKeys: new Set(['step', 'type', 'name']) };

/** SECRET-001: no literal secrets anywhere in the model. */
export default defineRule({
  meta: {
    id: 'SECRET-001',
    title: 'No literal secrets in the pipeline',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Pipeline sources and generated Jenkinsfiles are read by many people and kept in Git forever. Every string in the ' +
      'model (environment values, scripts, arguments, URLs) is checked for known credential formats (AWS keys, Slack and ' +
      'GitHub tokens, webhook URLs, JWTs, private keys, passwords in URLs) and for random-looking tokens by Shannon entropy.',
    standards: ['PCI DSS 4.0.1 8.6.2', 'CIS Software Supply Chain 2.3.8', 'OWASP CICD-SEC-6'],
    exception: 'A test fixture that is not a secret: suppress on that node with the reason.',
    example: {
      bad: "environment: { SLACK_WEBHOOK: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX' }",
      good: "notify('failure', [slack('#deploys', 'slack-bot-token')])",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    // The name a value is judged under is the property holding it (for array items, the array's).
    index.forEachString((value, key, path) => {
      const match = findSecret(value, key);
      if (!match) return;
      findings.push({
        path: path(),
        message: `literal secret: this looks like a ${match.kind} (${match.redacted}); store it in Jenkins credentials and reference it by id`,
        expected: 'a credentials reference',
        found: match.redacted,
      });
    }, JUDGED_STRINGS);
    return findings;
  },
});
