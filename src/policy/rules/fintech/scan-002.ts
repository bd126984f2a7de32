import { deliveryFacts, shellLines, stepsWithControl, wrappedBy } from '../../facts.ts';
import type { StepInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const SCANNER_COMMAND = /\b(?:trivy|snyk|grype|gitleaks|trufflehog|sonar-scanner|semgrep)\b/;
const SWALLOW = /\|\|\s*(?:true|:|exit\s+0)\b|;\s*true\s*$/;

/** SCAN-002: scanner gates can fail the build. */
export default defineRule({
  meta: {
    id: 'SCAN-002',
    title: 'Scanner gates fail the build',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A gate that cannot block is not a control. Trivy exits 0 unless told `--exit-code 1`; every Snyk exit code other ' +
      'than 0 is a failure; SonarQube’s quality gate only blocks through `waitForQualityGate abortPipeline: true` ' +
      '(`sonarQualityGate`). No scan may be wrapped in `catchError`/`warnError`, run with `returnStatus`, or followed by `|| true`.',
    standards: ['OWASP CICD-SEC-1', 'PCI DSS 4.0.1 6.2.3'],
    exception: 'Time-boxed risk acceptance through the scanner’s ignore file (SCAN-004).',
    example: {
      bad: "trivyScan('image', { version: '0.58.1', exitCode: 0 })",
      good: "trivyScan('image', { version: '0.58.1' })  // exit code 1 by default",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const info of facts.ofKind('trivyScan')) {
      if (info.step.exitCode === 0) {
        findings.push({ path: [...info.path, 'exitCode'], message: 'trivyScan with exitCode 0 never fails the build', expected: 'exitCode ≥ 1', found: '0' });
      }
    }
    const scans: StepInfo[] = [
      ...facts.delivery.filter((s) => ['trivyScan', 'snykScan', 'sonarScan', 'sonarQualityGate'].includes(s.step.step)),
      ...facts.shell.filter((s) => SCANNER_COMMAND.test(s.step.script)),
    ];
    for (const info of scans) {
      const wrapper = wrappedBy(info, ['catchError', 'warnError', 'unstable']);
      if (wrapper) {
        findings.push({ path: info.path, message: `${info.step.step} is wrapped in ${wrapper.step.step === 'step' ? wrapper.step.name : wrapper.step.step}, which swallows its failure` });
        continue;
      }
      if (info.step.step !== 'sh') continue;
      if (info.step.returnStatus) {
        findings.push({ path: [...info.path, 'returnStatus'], message: 'a scanner runs with returnStatus: its failure does not fail the build' });
        continue;
      }
      for (const line of shellLines(info.step.script)) {
        if (!SCANNER_COMMAND.test(line)) continue;
        if (SWALLOW.test(line)) {
          findings.push({ path: [...info.path, 'script'], message: `'${line.slice(0, 60)}' ignores the scanner's exit code`, expected: "the scanner's exit code failing the step", found: line.slice(0, 80) });
          break;
        }
        if (/\btrivy\s+(?:image|fs|filesystem|repo|config)\b/.test(line) && !/--exit-code[ =]["']?[1-9]/.test(line) && !/--format[ =](?:cyclonedx|spdx)/.test(line)) {
          findings.push({ path: [...info.path, 'script'], message: 'trivy without --exit-code 1 exits 0 on findings and never fails the build', expected: '--exit-code 1', found: line.slice(0, 80) });
          break;
        }
      }
    }
    const gates = [...facts.ofKind('sonarQualityGate'), ...index.steps.filter((s) => s.step.step === 'step' && s.step.name === 'waitForQualityGate')];
    for (const analysis of stepsWithControl(facts, 'sast')) {
      if (analysis.step.step === 'sh' && /sonar\.qualitygate\.wait=true/.test(analysis.step.script)) continue;
      // Only SonarQube has a quality gate to wait for (semgrep and others fail by exit code).
      if (analysis.step.step === 'sh' && !/sonar/i.test(analysis.step.script)) continue;
      if (gates.some((gate) => facts.runsBefore(analysis, gate))) continue;
      findings.push({
        path: analysis.path,
        message: 'the SonarQube analysis has no quality gate after it (sonarQualityGate), so its result never blocks anything',
        expected: 'sonarQualityGate after the analysis',
        found: 'none',
      });
    }
    return findings;
  },
});
