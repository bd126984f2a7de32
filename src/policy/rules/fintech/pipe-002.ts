import { indexCatalog } from '../../../catalog/index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** Plugin steps pipewright's typed steps themselves rely on, allowed unless the config narrows the list. */
export const DEFAULT_ALLOWED_STEPS: readonly string[] = [
  'ansiColor',
  'buildDescription',
  'buildName',
  'cleanWs',
  'emailext',
  'mail',
  'milestone',
  'office365ConnectorSend',
  'publishHTML',
  'recordIssues',
  's3Download',
  's3Upload',
  'slackSend',
  'waitForQualityGate',
  'withAWS',
  'withEnv',
  'withSonarQubeEnv',
];

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

/** PIPE-002: plugin steps, options and shared libraries come from the organisation's allowlist. */
export default defineRule({
  meta: {
    id: 'PIPE-002',
    title: 'Plugin steps and shared libraries from an allowlist',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Every plugin step a pipeline can call is code running with the pipeline’s credentials. Untyped plugin steps and ' +
      'options (`step(...)`, `options.custom`) must be on the allowlist (rule option `allowedSteps`, default: the plugins ' +
      'pipewright itself uses and every step and option of the controller catalog, so core steps such as `deleteDir` ' +
      'are not findings merely for being untyped), and shared libraries on `allowedLibraries` when the organisation sets one.',
    standards: ['OWASP CICD-SEC-3', 'OWASP CICD-SEC-8', 'CIS Software Supply Chain 2.4.2'],
    example: {
      bad: "step('httpRequest', { url: 'https://example.com/deploy', httpMode: 'POST' })",
      good: "notify('deployed', [slack('#deploys', 'slack-bot-token')])",
    },
  },
  check({ pipeline, index, options, catalog }) {
    const findings: RuleFinding[] = [];
    const configured = stringList(options['allowedSteps']);
    // Without a configured list: pipewright's own plugin steps and what the controller catalog offers.
    const known = configured ? undefined : indexCatalog(catalog);
    const optionKinds = ['option', 'jobProperty', 'wrapper'] as const;
    const allowed = (name: string, option: boolean) =>
      configured
        ? configured.includes(name)
        : DEFAULT_ALLOWED_STEPS.includes(name) || known!.step(name) !== undefined || (option && optionKinds.some((kind) => known!.describable(kind, name) !== undefined));
    const allowedLibraries = stringList(options['allowedLibraries']);
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const info = index.steps[stepAt]!;
      // Plugin steps wherever they run, including calls from raw Groovy (`script`, `when` expressions).
      if (info.step.step !== 'step' || allowed(info.step.name, false)) continue;
      const from = info.origin === 'groovy' ? ' (called from raw Groovy)' : '';
      findings.push({ path: info.path, message: `plugin step '${info.step.name}'${from} is not on the allowlist`, expected: 'an allowed step (rule option allowedSteps)', found: info.step.name });
    }
    for (const { custom, path } of index.customOptions) {
      for (const [i, call] of custom.entries()) {
        if (allowed(call.name, true)) continue;
        findings.push({ path: [...path, i], message: `plugin option '${call.name}' is not on the allowlist`, expected: 'an allowed option (rule option allowedSteps)', found: call.name });
      }
    }
    if (!allowedLibraries) return findings;
    for (const [i, library] of (pipeline.libraries ?? []).entries()) {
      const name = library.split('@')[0]!;
      if (allowedLibraries.includes(name)) continue;
      findings.push({ path: ['libraries', i], message: `shared library '${name}' is not on the allowlist`, expected: allowedLibraries.join(', '), found: name });
    }
    return findings;
  },
});
