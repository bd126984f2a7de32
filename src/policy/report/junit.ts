/**
 * JUnit XML for Jenkins' `junit` step: one test suite per pipeline, one test case per rule that
 * ran on it. A rule with findings at or above `failOn` fails; findings below it are listed in the
 * case's output; a rule whose only findings are suppressed is reported as skipped, with the
 * suppressions. A pipeline that did not load or validate gets one failing `compile` case.
 */
import { formatDiagnostic, type Diagnostic } from '../../diagnostics.ts';
import { atLeast } from '../config.ts';
import { ruleById, type LintReport } from './model.ts';

/** Escapes text for XML content and attribute values; drops characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface TestCase {
  name: string;
  failure?: { message: string; type: string; body: string };
  skipped?: string;
  out?: string;
}

/** Renders the report as JUnit XML. */
export function formatJunit(report: LintReport): string {
  const rule = ruleById(report);
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const p of report.pipelines) {
    const cases: TestCase[] = [];
    const invalid = p.diagnostics.filter((d) => d.severity === 'error');
    if (p.rules.length === 0 || invalid.length > 0) {
      cases.push({
        name: 'compile',
        ...(invalid.length > 0
          ? { failure: { message: `${invalid.length} error(s): the pipeline does not load or validate`, type: 'error', body: p.diagnostics.map(formatDiagnostic).join('\n') } }
          : {}),
      });
    }
    for (const id of p.rules) {
      const findings = p.findings.filter((f) => f.code === id);
      const suppressed = p.suppressed.filter((s) => s.finding.code === id);
      const failing = findings.filter((f) => atLeast(f.severity, report.failOn));
      const title = rule(id)?.meta.title ?? id;
      const suppressedText = suppressed.map(
        (s) => `suppressed: ${formatDiagnostic(s.finding)} -- "${s.suppression.reason}" (owner ${s.suppression.owner}${s.suppression.ticket ? `, ticket ${s.suppression.ticket}` : ''}${s.suppression.expires ? `, expires ${s.suppression.expires}` : ''})`,
      );
      const belowThreshold = findings.filter((f) => !atLeast(f.severity, report.failOn)).map((f: Diagnostic) => formatDiagnostic(f));
      const testCase: TestCase = { name: `${id} ${title}` };
      if (failing.length > 0) {
        testCase.failure = {
          message: `${failing.length} finding(s) at or above ${report.failOn}`,
          type: failing.some((f) => f.severity === 'error') ? 'error' : failing[0]!.severity,
          body: failing.map((f) => formatDiagnostic(f)).join('\n'),
        };
      } else if (findings.length === 0 && suppressed.length > 0) {
        testCase.skipped = `${suppressed.length} finding(s) suppressed`;
      }
      const out = [...belowThreshold, ...suppressedText];
      if (out.length > 0) testCase.out = out.join('\n');
      cases.push(testCase);
    }
    const suiteFailures = cases.filter((c) => c.failure).length;
    const suiteSkipped = cases.filter((c) => c.skipped).length;
    tests += cases.length;
    failures += suiteFailures;
    skipped += suiteSkipped;
    const body = cases.map((c) => {
      const open = `    <testcase classname="${xmlEscape(`pipewright.${p.name}`)}" name="${xmlEscape(c.name)}" file="${xmlEscape(p.source)}"`;
      const inner = [
        c.failure && `      <failure message="${xmlEscape(c.failure.message)}" type="${xmlEscape(c.failure.type)}">${xmlEscape(c.failure.body)}</failure>`,
        c.skipped && `      <skipped message="${xmlEscape(c.skipped)}"/>`,
        c.out && `      <system-out>${xmlEscape(c.out)}</system-out>`,
      ].filter(Boolean);
      return inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join('\n')}\n    </testcase>`;
    });
    suites.push(
      `  <testsuite name="${xmlEscape(p.source)}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="${suiteSkipped}">\n${body.join('\n')}\n  </testsuite>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="pipewright lint" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">\n` +
    `${suites.join('\n')}${suites.length > 0 ? '\n' : ''}</testsuites>\n`
  );
}
