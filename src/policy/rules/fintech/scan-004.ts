import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** A ticket id such as `SEC-812`; vulnerability ids (`CVE-…`, `GHSA-…`) are not tickets. */
const TICKET = /\b(?!CVE-|GHSA-)[A-Z][A-Z0-9]+-\d+\b/;
const EXPIRY = /\bexp:(\d{4}-\d{2}-\d{2})\b/;

/** Problems of a `.trivyignore`: entries without an expiry or a ticket, expired entries. */
export function lintIgnoreFile(text: string, today: string): string[] {
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const previous = (lines[i - 1] ?? '').trim();
    const comment = previous.startsWith('#') ? previous : '';
    const expiry = EXPIRY.exec(line)?.[1];
    const id = line.split(/\s+/)[0];
    if (!expiry) problems.push(`line ${i + 1}: ${id} has no expiry (exp:YYYY-MM-DD)`);
    else if (expiry < today) problems.push(`line ${i + 1}: ${id} expired on ${expiry}`);
    const rest = line.slice(id?.length ?? 0);
    if (!TICKET.test(rest) && !TICKET.test(comment)) problems.push(`line ${i + 1}: ${id} names no ticket (in the entry or the comment above it)`);
  });
  return problems;
}

/** SCAN-004: scanner suppressions are governed (expiry, ticket, rationale). */
export default defineRule({
  meta: {
    id: 'SCAN-004',
    title: 'Scanner ignore entries carry an expiry and a ticket',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'Ignoring a ranked vulnerability is a risk decision and must be traceable. Every `.trivyignore` entry a scan uses ' +
      'carries `exp:YYYY-MM-DD` and a ticket id (in the entry or the comment line above), expired entries are removed, ' +
      'and `--ignore-unfixed` is only used through `trivyScan({ ignoreUnfixed: { rationale } })`, which records why.',
    standards: ['PCI DSS 4.0.1 6.3.1', 'SOC 2 CC8.1'],
    example: {
      bad: '.trivyignore:\nCVE-2024-1234',
      good: '.trivyignore:\n# SEC-812: no fix upstream, not reachable (parser unused)\nCVE-2024-1234 exp:2099-12-31',
    },
  },
  check({ index, readFile, today }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    const lint = (file: string, path: readonly (string | number)[]) => {
      const text = readFile(file);
      if (text === undefined) return;
      const problems = lintIgnoreFile(text, today);
      if (problems.length > 0) {
        findings.push({ path, message: `${file}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, expected: 'entries with exp:YYYY-MM-DD and a ticket', found: `${problems.length} problem(s)` });
      }
    };
    const linted = new Set<string>();
    for (const info of facts.ofKind('trivyScan')) {
      const file = info.step.ignoreFile;
      if (file && !linted.has(file)) {
        linted.add(file);
        lint(file, [...info.path, 'ignoreFile']);
      }
    }
    for (const info of facts.shell) {
      for (const line of shellLines(info.step.script)) {
        if (!/\btrivy\b/.test(line)) continue;
        if (/--ignore-unfixed\b/.test(line)) {
          findings.push({ path: [...info.path, 'script'], message: 'trivy --ignore-unfixed without a recorded rationale; use trivyScan({ ignoreUnfixed: { rationale } })', expected: 'trivyScan({ ignoreUnfixed: { rationale } })', found: '--ignore-unfixed' });
        }
        const file = /--ignorefile[ =]["']?([^\s"']+)/.exec(line)?.[1];
        if (file && !linted.has(file)) {
          linted.add(file);
          lint(file, [...info.path, 'script']);
        }
      }
    }
    return findings;
  },
});
