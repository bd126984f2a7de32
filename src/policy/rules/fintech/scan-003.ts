import type { ScanSeverity } from '../../config.ts';
import { DELIVERY_DEFAULTS } from '../../../model/delivery-defaults.ts';
import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const ORDER: readonly ScanSeverity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const SNYK_LEVEL: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** SCAN-003: gates block on the severities the target environments require. */
export default defineRule({
  meta: {
    id: 'SCAN-003',
    title: 'Gates block on the severities each environment requires',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'Vulnerabilities are ranked, and critical and high ones are fixed within a month; an image headed for production ' +
      'must not pass a gate that ignores HIGH. Every scanner gate blocks on at least the severities of every environment ' +
      'the pipeline deploys to (`policy.environments.<env>.scanSeverities`; production: HIGH and CRITICAL).',
    standards: ['PCI DSS 4.0.1 6.3.1', 'PCI DSS 4.0.1 6.3.3'],
    example: {
      bad: "trivyScan('image', { version: '0.58.1', severity: ['CRITICAL'] })  // the pipeline deploys to prod",
      good: "trivyScan('image', { version: '0.58.1', severity: ['HIGH', 'CRITICAL'] })",
    },
  },
  check({ index, environment }) {
    const facts = deliveryFacts(index);
    const envs = facts.deployedEnvironments.length > 0 ? facts.deployedEnvironments : [...facts.environments.keys()];
    const required = new Map<ScanSeverity, string>();
    // Production environments first, so a requirement is attributed to the strictest environment.
    for (const env of [...envs].sort((a, b) => Number(environment(b).production) - Number(environment(a).production))) {
      for (const severity of environment(env).scanSeverities) if (!required.has(severity)) required.set(severity, env);
    }
    if (required.size === 0) return [];
    const findings: RuleFinding[] = [];
    const missingOf = (blocking: readonly string[]) => [...required.keys()].filter((s) => !blocking.includes(s));
    const report = (path: readonly (string | number)[], tool: string, missing: ScanSeverity[], found: string) => {
      const env = required.get(missing[missing.length - 1]!)!;
      findings.push({
        path,
        message: `${tool} does not block on ${missing.join(', ')}, which ${env} requires`,
        environment: env,
        expected: [...required.keys()].join(', '),
        found,
      });
    };
    for (const info of facts.ofKind('trivyScan')) {
      const blocking = info.step.severity ?? DELIVERY_DEFAULTS.trivy.severity;
      const missing = missingOf(blocking);
      if (missing.length > 0) report(info.step.severity ? [...info.path, 'severity'] : info.path, `trivyScan ${info.step.target}`, missing, blocking.join(','));
    }
    const lowestRequired = Math.min(...[...required.keys()].map((s) => ORDER.indexOf(s)).filter((i) => i >= 1));
    for (const info of facts.ofKind('snykScan')) {
      const threshold = info.step.severityThreshold ?? DELIVERY_DEFAULTS.snyk.severityThreshold;
      if (Number.isFinite(lowestRequired) && SNYK_LEVEL[threshold]! > lowestRequired) {
        const missing = ORDER.filter((s, i) => i >= 1 && i < SNYK_LEVEL[threshold]! && required.has(s));
        report(info.step.severityThreshold ? [...info.path, 'severityThreshold'] : info.path, `snykScan ${info.step.mode}`, missing, threshold);
      }
    }
    for (const info of facts.shell) {
      for (const line of shellLines(info.step.script)) {
        if (/\btrivy\s+(?:image|fs|filesystem|repo)\b/.test(line) && /--exit-code[ =]["']?[1-9]/.test(line)) {
          const list = /--severity[ =]["']?([A-Z,]+)/.exec(line)?.[1];
          const blocking = list ? list.split(',') : [...ORDER];
          const missing = missingOf(blocking);
          if (missing.length > 0) report([...info.path, 'script'], 'trivy', missing, blocking.join(','));
        }
        const snyk = /\bsnyk\s+(?:test|container\s+test)\b/.test(line) ? /--severity-threshold[ =](low|medium|high|critical)/.exec(line)?.[1] : undefined;
        if (snyk && Number.isFinite(lowestRequired) && SNYK_LEVEL[snyk]! > lowestRequired) {
          const missing = ORDER.filter((s, i) => i >= 1 && i < SNYK_LEVEL[snyk]! && required.has(s));
          report([...info.path, 'script'], 'snyk', missing, snyk);
        }
      }
    }
    return findings;
  },
});
