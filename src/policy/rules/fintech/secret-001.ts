import { defineRule } from '../../rule.ts';
import { findSecret } from '../../secrets.ts';

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
  *check({ index }) {
    for (const s of index.strings()) {
      if (s.key === 'step' || s.key === 'type' || s.key === 'name') continue;
      const name = typeof s.path[s.path.length - 1] === 'string' ? String(s.path[s.path.length - 1]) : s.key;
      const match = findSecret(s.value, name);
      if (!match) continue;
      yield {
        path: s.path,
        message: `literal secret: this looks like a ${match.kind} (${match.redacted}); store it in Jenkins credentials and reference it by id`,
        expected: 'a credentials reference',
        found: match.redacted,
      };
    }
  },
});
