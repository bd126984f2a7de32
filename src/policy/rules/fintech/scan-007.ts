import { deliveryFacts, describeAgent, stepsWithControl, wrappedBy } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** SCAN-007: SonarQube analysis and quality gate are wired so the gate result arrives. */
export default defineRule({
  meta: {
    id: 'SCAN-007',
    title: 'SonarQube gate waits without an executor, after an analysis in the same run',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'The quality-gate result only attaches when the analysis ran inside `withSonarQubeEnv` in the same run, and it ' +
      'arrives through SonarQube’s webhook, so the wait is bounded by a timeout and should hold no executor (`agent: ' +
      '\'none\'`). Hand-written `sonar-scanner` calls must run inside `withSonarQubeEnv` or use `sonar.qualitygate.wait=true`.',
    standards: ['SonarQube Jenkins integration', 'PCI DSS 4.0.1 6.2.3'],
    exception: 'Use `-Dsonar.qualitygate.wait=true` instead of the webhook.',
    example: {
      bad: "{ name: 'Analysis', steps: [sonarScan({ installation: 'sonarqube', projectKey: 'payments-api' })] }, { name: 'Quality gate', steps: [sonarQualityGate()] }  // on the build agent",
      good: "{ name: 'Analysis', steps: [sonarScan({ installation: 'sonarqube', projectKey: 'payments-api' })] }, { name: 'Quality gate', agent: 'none', steps: [sonarQualityGate({ timeoutMinutes: 15 })] }",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    const analyses = stepsWithControl(facts, 'sast');
    for (const gate of facts.ofKind('sonarQualityGate')) {
      const stage = gate.stage;
      if (stage && stage.agent !== 'none') {
        findings.push({
          path: stage.stage.agent !== undefined ? [...stage.path, 'agent'] : stage.path,
          message: `the quality-gate stage '${stage.stage.name}' holds an executor while waiting (${describeAgent(stage.agent)}); use agent: 'none'`,
          expected: "agent: 'none'",
          found: describeAgent(stage.agent),
        });
      }
      if (!analyses.some((a) => facts.runsBefore(a, gate))) {
        findings.push({ path: gate.path, message: 'sonarQualityGate waits for an analysis that does not run before it in this run', expected: 'sonarScan before the gate', found: 'none' });
      }
    }
    for (const info of facts.shell) {
      if (!/\bsonar-scanner\b/.test(info.step.script)) continue;
      if (wrappedBy(info, ['withSonarQubeEnv']) || /sonar\.qualitygate\.wait=true/.test(info.step.script)) continue;
      findings.push({ path: [...info.path, 'script'], message: 'sonar-scanner runs outside withSonarQubeEnv, so no quality gate can attach to it', expected: "withSonarQubeEnv or sonarScan({ installation })", found: 'sonar-scanner outside withSonarQubeEnv' });
    }
    return findings;
  },
});
