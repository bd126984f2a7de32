/**
 * Findings the engine itself produces (about suppressions and failing rules). They are rules in
 * the registry so that `explain`, `rules`, the docs and SARIF know them, and so that their
 * severity can be configured like any other rule's; their `check` finds nothing, because the
 * engine reports them while it applies suppressions.
 */
import { defineRule, type Rule } from '../rule.ts';

const none = (): never[] => [];

export const SUPPRESSION_EXPIRED = 'SUPP-001';
export const SUPPRESSION_UNUSED = 'SUPP-002';
export const SUPPRESSION_OF_MANDATORY = 'SUPP-003';
export const SUPPRESSION_UNKNOWN_RULE = 'SUPP-004';
export const SUPPRESSION_POLICY = 'SUPP-005';
export const RULE_FAILED = 'POLICY-001';

export const engineRules: readonly Rule[] = [
  defineRule({
    meta: {
      id: SUPPRESSION_EXPIRED,
      title: 'Suppressions expire',
      pack: 'engine',
      severity: 'error',
      rationale:
        'An exception to a control is a time-boxed risk decision. After its `expires` date a suppression no longer applies: ' +
        'the finding it excused is reported again, and the stale suppression is reported so that someone renews or removes it.',
      standards: ['PCI DSS 4.0.1 6.3.1', 'SOC 2 CC8.1'],
      example: {
        bad: "suppressions: [{ rule: 'ART-003', reason: 'golden base image, immutable tag', owner: 'platform', expires: '2020-01-31' }]",
        good: "suppressions: [{ rule: 'ART-003', reason: 'golden base image, immutable tag', owner: 'platform', ticket: 'SEC-42', expires: '2099-01-31' }]",
      },
    },
    check: none,
  }),
  defineRule({
    meta: {
      id: SUPPRESSION_UNUSED,
      title: 'Suppressions must match a finding',
      pack: 'engine',
      severity: 'warning',
      rationale:
        'A suppression that matches no finding (the problem was fixed, the rule is off, or the suppression sits on the wrong node) ' +
        'hides nothing today but would silently hide a future regression. Remove it.',
      standards: ['SOC 2 CC8.1'],
      example: {
        bad: "{ name: 'Build', steps: [sh('make')], suppressions: [{ rule: 'SCAN-001', reason: 'scans run elsewhere', owner: 'team-a' }] }",
        good: "{ name: 'Build', steps: [sh('make')] }",
      },
    },
    check: none,
  }),
  defineRule({
    meta: {
      id: SUPPRESSION_OF_MANDATORY,
      title: 'Mandatory rules cannot be suppressed',
      pack: 'engine',
      severity: 'error',
      rationale:
        'The organisation marks some controls mandatory (`policy.mandatory`). A pipeline cannot excuse itself from them; ' +
        'the suppression is ignored and reported, and the underlying finding stays active.',
      standards: ['PCI DSS 4.0.1 6.5.1', 'OWASP CICD-SEC-1'],
      example: {
        bad: "suppressions: [{ rule: 'FLOW-001', reason: 'hotfix, approval later', owner: 'team-a' }]  // FLOW-001 is mandatory",
        good: '// add the approval stage instead of suppressing FLOW-001',
      },
    },
    check: none,
  }),
  defineRule({
    meta: {
      id: SUPPRESSION_UNKNOWN_RULE,
      title: 'Suppressions name an existing rule',
      pack: 'engine',
      severity: 'error',
      rationale: 'A suppression of a rule id that does not exist (a typo, a removed rule) excuses nothing and misleads reviewers.',
      standards: ['SOC 2 CC8.1'],
      example: {
        bad: "suppressions: [{ rule: 'SCAN-01', reason: 'reuses the SAST result', owner: 'team-a' }]",
        good: "suppressions: [{ rule: 'SCAN-001', reason: 'reuses the SAST result', owner: 'team-a' }]",
      },
    },
    check: none,
  }),
  defineRule({
    meta: {
      id: SUPPRESSION_POLICY,
      title: 'Suppressions follow the organisation’s suppression policy',
      pack: 'engine',
      severity: 'error',
      rationale:
        'The configuration can require a ticket and an expiry date on every suppression, and cap how far ahead the expiry may be ' +
        '(`policy.suppressions`). Exceptions without a ticket or without an end date become permanent by accident.',
      standards: ['PCI DSS 4.0.1 6.3.1', 'SOC 2 CC8.1'],
      example: {
        bad: "suppressions: [{ rule: 'IAM-003', reason: 'single deployer role, small service', owner: 'team-a' }]",
        good: "suppressions: [{ rule: 'IAM-003', reason: 'single deployer role, small service', owner: 'team-a', ticket: 'SEC-7', expires: '2026-12-31' }]",
      },
    },
    check: none,
  }),
  defineRule({
    meta: {
      id: RULE_FAILED,
      title: 'Every rule runs to completion',
      pack: 'engine',
      severity: 'error',
      rationale:
        'A rule that throws has not checked the pipeline. The failure is reported as an error so that a broken custom rule ' +
        'cannot pass a pipeline silently.',
      standards: [],
      example: { bad: 'check() { throw new Error("boom") }', good: 'check(context) { return [] }' },
    },
    check: none,
  }),
];
