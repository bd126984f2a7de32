import { alwaysArchives, archiveCovers, deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** SCAN-006: scanners write machine-readable reports that are archived even on failure. */
export default defineRule({
  meta: {
    id: 'SCAN-006',
    title: 'Scanner reports are written and archived, also on failure',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'Auditors sample changes and ask for proof that the scans ran and what they found. Every scanner writes JSON or ' +
      'SARIF to a file, and the file is archived in `post { always }` so that the evidence survives a failing gate. The ' +
      'typed scan steps do both; hand-written scanner commands must too.',
    standards: ['PCI DSS 4.0.1 10.2.2', 'SOC 2 CC8.1'],
    example: {
      bad: "sh('trivy fs --exit-code 1 .')",
      good: "trivyScan('fs', { version: '0.58.1' })  // reports/trivy-fs.json + .sarif, archived in post always",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const info of facts.shell) {
      for (const line of shellLines(info.step.script)) {
        let output: string | undefined;
        let machineReadable = false;
        if (/\btrivy\s+(?:image|fs|filesystem|repo|config)\b/.test(line)) {
          machineReadable = /--format[ =]["']?(?:json|sarif)\b/.test(line);
          output = /--output[ =]["']?([^\s"']+)/.exec(line)?.[1];
        } else if (/\bsnyk\s+(?:test|container\s+test|code\s+test)\b/.test(line)) {
          output = /--(?:json|sarif)-file-output[ =]["']?([^\s"']+)/.exec(line)?.[1];
          machineReadable = output !== undefined;
        } else continue;
        if (!machineReadable || !output) {
          findings.push({ path: [...info.path, 'script'], message: 'the scanner writes no JSON/SARIF report file', expected: '--format json|sarif --output reports/<name>', found: line.slice(0, 80) });
          break;
        }
        if (!archiveCovers(alwaysArchives(index, info), output.replace(/^\.\//, ''))) {
          findings.push({ path: [...info.path, 'script'], message: `the report ${output} is not archived in post { always }`, expected: `archiveArtifacts covering ${output}`, found: 'not archived' });
          break;
        }
      }
    }
    return findings;
  },
});
