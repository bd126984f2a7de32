/**
 * Scanners: Trivy (fs/image), Snyk (test/container), SonarQube analysis and quality gate.
 * Every gate fails the build (SCAN-002); every scanner leaves JSON and SARIF under `reports/`,
 * archived in `post { always }` so the evidence survives a failing gate (SCAN-006).
 */
import { bool, call, named } from '../../jenkinsfile/ast.ts';
import { DELIVERY_DEFAULTS, DELIVERY_FILES } from '../../model/delivery-defaults.ts';
import type { SnykScanStep, SonarQualityGateStep, SonarScanStep, TrivyScanStep } from '../../model/delivery.ts';
import { archiveStep, shStep, timeoutStep, withCredentials, withEnv, type EnvVars } from './jenkins.ts';
import { bashScript, checkToolVersion, READ_COMMIT } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

const T = DELIVERY_DEFAULTS.trivy;

/** The file holding the image a scan looks at. */
function imageFile(source: 'built' | 'pushed'): string {
  return source === 'built' ? DELIVERY_FILES.imageLocal : DELIVERY_FILES.imageRef;
}

/**
 * Trivy in three runs from one DB cache: a full JSON evidence report (never fails on findings),
 * its SARIF conversion, then the gate run with severity, ignore settings and `--exit-code`.
 * Separate evidence and gate runs keep every finding in the report while the gate applies the
 * threshold (policy catalog §2.1).
 */
export function lowerTrivyScan(step: TrivyScanStep): DeliveryLowering {
  const kind = step.target;
  const report = step.reportName ?? `trivy-${kind}`;
  const scanners = (step.scanners ?? (kind === 'fs' ? T.fsScanners : T.imageScanners)).join(',');
  const severity = (step.severity ?? T.severity).join(',');
  const exitCode = step.exitCode ?? T.exitCode;
  const timeout = step.timeoutMinutes ?? T.timeoutMinutes;
  const env: EnvVars = [
    ['PW_TRIVY_VERSION', step.version],
    ['PW_TRIVY_CACHE', step.cacheDir ?? T.cacheDir],
    ['PW_TRIVY_REPORT', report],
  ];
  if (kind === 'fs') env.push(['PW_TRIVY_PATH', step.path ?? '.']);
  if (step.ignoreFile !== undefined) env.push(['PW_TRIVY_IGNOREFILE', step.ignoreFile]);
  if (step.ignoreUnfixed !== undefined) env.push(['PW_TRIVY_IGNORE_UNFIXED_RATIONALE', step.ignoreUnfixed.rationale]);

  const target =
    kind === 'fs' ? 'target="$PW_TRIVY_PATH"' : `target="$(cat ${imageFile(step.image ?? (T.image as 'built'))})"`;
  const gateFlags = [
    `--severity ${severity}`,
    ...(step.ignoreUnfixed !== undefined ? ['--ignore-unfixed'] : []),
    ...(step.ignoreFile !== undefined ? ['--ignorefile "$PW_TRIVY_IGNOREFILE"'] : []),
    `--exit-code ${exitCode}`,
  ];
  const script = bashScript([
    ...checkToolVersion('trivy', "trivy --version | sed -n 's/^Version: //p'", 'PW_TRIVY_VERSION'),
    target,
    'mkdir -p reports',
    '# Evidence: every finding, whatever its severity; this run never fails on findings.',
    `trivy ${kind} --cache-dir "$PW_TRIVY_CACHE" --timeout ${timeout}m --no-progress --scanners ${scanners} \\`,
    '  --format json --output "reports/$PW_TRIVY_REPORT.json" "$target"',
    'trivy convert --format sarif --output "reports/$PW_TRIVY_REPORT.sarif" "reports/$PW_TRIVY_REPORT.json"',
    step.ignoreUnfixed !== undefined
      ? 'echo "ignoring vulnerabilities without a fix: $PW_TRIVY_IGNORE_UNFIXED_RATIONALE"'
      : undefined,
    '# Gate: fails the build on findings at the configured severities.',
    `trivy ${kind} --cache-dir "$PW_TRIVY_CACHE" --skip-db-update --timeout ${timeout}m --no-progress --scanners ${scanners} \\`,
    `  ${gateFlags.join(' ')} "$target"`,
  ]);
  return {
    steps: withEnv(env, [shStep(`trivy ${kind}`, script)]),
    post: { always: [archiveStep(`reports/${report}.json,reports/${report}.sarif`)] },
  };
}

const SNYK = DELIVERY_DEFAULTS.snyk;

/**
 * `snyk test` / `snyk container test` with JSON and SARIF output. Snyk's exit codes 1 (issues),
 * 2 (scan failed) and 3 (no supported project) all fail the build (SCAN-002); the script names
 * the reason before exiting with Snyk's own code.
 */
export function lowerSnykScan(step: SnykScanStep): DeliveryLowering {
  const container = step.mode === 'container';
  const report = step.reportName ?? (container ? 'snyk-container' : 'snyk-oss');
  const env: EnvVars = [['PW_SNYK_REPORT', report]];
  if (step.org !== undefined) env.push(['PW_SNYK_ORG', step.org]);
  if (container) env.push(['PW_SNYK_DOCKERFILE', step.dockerfile ?? SNYK.dockerfile]);
  if (step.version !== undefined) env.push(['PW_SNYK_VERSION', step.version]);

  const common = [
    `--severity-threshold=${step.severityThreshold ?? SNYK.severityThreshold}`,
    ...(step.failOn !== undefined ? [`--fail-on=${step.failOn}`] : []),
    ...(step.org !== undefined ? ['--org="$PW_SNYK_ORG"'] : []),
  ];
  const allProjects = !container && (step.allProjects ?? SNYK.allProjects);
  const command = container
    ? `snyk container test "$image" --file="$PW_SNYK_DOCKERFILE" ${common.join(' ')} \\`
    : `snyk test${allProjects ? ' --all-projects' : ''} ${common.join(' ')} \\`;
  const monitor = container
    ? `snyk container monitor "$image" --file="$PW_SNYK_DOCKERFILE"${step.org !== undefined ? ' --org="$PW_SNYK_ORG"' : ''}`
    : `snyk monitor${allProjects ? ' --all-projects' : ''}${step.org !== undefined ? ' --org="$PW_SNYK_ORG"' : ''}`;
  const script = bashScript([
    ...(step.version !== undefined ? checkToolVersion('snyk', "snyk --version | sed 's/ .*//'", 'PW_SNYK_VERSION') : []),
    container ? `image="$(cat ${imageFile(step.image ?? (SNYK.image as 'built'))})"` : undefined,
    'mkdir -p reports',
    'status=0',
    command,
    '  --json-file-output="reports/$PW_SNYK_REPORT.json" --sarif-file-output="reports/$PW_SNYK_REPORT.sarif" || status=$?',
    'case "$status" in',
    '  0) echo "snyk: no issues at or above the threshold" ;;',
    '  1) echo "snyk: issues at or above the threshold (exit 1)" >&2 ;;',
    '  2) echo "snyk: the scan failed (exit 2); re-run it" >&2 ;;',
    '  3) echo "snyk: no supported project found (exit 3)" >&2 ;;',
    '  *) echo "snyk: unexpected exit code $status" >&2 ;;',
    'esac',
    ...(step.monitor ? ['if [ "$status" -eq 0 ]; then', `  ${monitor}`, 'fi'] : []),
    'exit "$status"',
  ]);
  const tokenId = step.tokenCredentialId ?? SNYK.tokenCredentialId;
  return {
    steps: withCredentials(
      [{ type: 'string', credentialsId: tokenId, variable: 'SNYK_TOKEN' }],
      withEnv(env, [shStep(container ? 'snyk container test' : 'snyk test', script)]),
    ),
    post: { always: [archiveStep(`reports/${report}.json,reports/${report}.sarif`)] },
  };
}

/** `withSonarQubeEnv('<installation>') { sonar-scanner … }` (SCAN-007: the task id attaches to the run). */
export function lowerSonarScan(step: SonarScanStep): DeliveryLowering {
  const env: EnvVars = [
    ['PW_SONAR_PROJECT_KEY', step.projectKey],
    ['PW_SONAR_SOURCES', step.sources ?? DELIVERY_DEFAULTS.sonar.sources],
  ];
  if (step.tests !== undefined) env.push(['PW_SONAR_TESTS', step.tests]);
  if (step.lcovReport !== undefined) env.push(['PW_SONAR_LCOV', step.lcovReport]);
  const script = bashScript([
    ...READ_COMMIT,
    'sonar-scanner \\',
    '  -Dsonar.projectKey="$PW_SONAR_PROJECT_KEY" \\',
    '  -Dsonar.sources="$PW_SONAR_SOURCES" \\',
    step.tests !== undefined ? '  -Dsonar.tests="$PW_SONAR_TESTS" \\' : undefined,
    step.lcovReport !== undefined ? '  -Dsonar.javascript.lcov.reportPaths="$PW_SONAR_LCOV" \\' : undefined,
    '  -Dsonar.projectVersion="$commit"',
  ]);
  return {
    steps: [call('withSonarQubeEnv', { positional: [{ type: 'String', value: step.installation }], named: [] }, withEnv(env, [shStep('sonar-scanner', script)]))],
  };
}

/** `timeout { waitForQualityGate abortPipeline: true }`: the gate fails the build (SCAN-002). */
export function lowerSonarQualityGate(step: SonarQualityGateStep): DeliveryLowering {
  const minutes = step.timeoutMinutes ?? DELIVERY_DEFAULTS.sonar.qualityGateTimeoutMinutes;
  return { steps: [timeoutStep(minutes, [call('waitForQualityGate', named([['abortPipeline', bool(true)]]))])] };
}
