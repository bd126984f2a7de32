/**
 * SARIF 2.1.0: one run, the rules that ran (with help text and the standards they map to),
 * results at the TypeScript source with the generated Jenkinsfile line as a related location,
 * and suppressed findings as results carrying SARIF `suppressions` (kind `inSource`), which code
 * scanning shows as dismissed rather than dropping them. Output is deterministic (no timestamps).
 */
import { createHash } from 'node:crypto';
import { formatLocation, formatPath, type Diagnostic, type Location, type Severity } from '../../diagnostics.ts';
import type { PolicyFinding, SuppressedFinding } from '../engine.ts';
import { ruleDocsUrl, type RuleMeta } from '../rule.ts';
import type { LintReport } from './model.ts';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** `uriBaseId` of every artifact location: the project root. */
export const SRCROOT = '%SRCROOT%';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };
/** GitHub code scanning orders and filters security results by this score. */
const SECURITY_SEVERITY: Record<Severity, string> = { error: '8.0', warning: '5.0', info: '2.0' };

export interface SarifOptions {
  /** Absolute project root, recorded as `originalUriBaseIds[%SRCROOT%]` (a `file:` URI). */
  root?: string;
  /** Tool information URI (an absolute URL), if any. */
  informationUri?: string;
}

const isAbsoluteUri = (uri: string) => /^[a-z][a-z0-9+.-]*:/i.test(uri);

function helpMarkdown(meta: RuleMeta): string {
  return [
    `**${meta.id}: ${meta.title}**`,
    '',
    meta.rationale,
    '',
    meta.standards.length > 0 ? `Standards: ${meta.standards.join('; ')}` : '',
    meta.exception ? `Accepted exception: ${meta.exception}` : '',
    '',
    'Violation:',
    '```ts',
    meta.example.bad,
    '```',
    'Fix:',
    '```ts',
    meta.example.good,
    '```',
    '',
    `Docs: ${ruleDocsUrl(meta)}`,
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

function helpText(meta: RuleMeta): string {
  return `${meta.rationale}\n\nStandards: ${meta.standards.join('; ') || '-'}\n\nViolation:\n${meta.example.bad}\n\nFix:\n${meta.example.good}\n\nDocs: ${ruleDocsUrl(meta)}`;
}

function physical(location: Location) {
  return {
    artifactLocation: { uri: encodeURI(location.file), uriBaseId: SRCROOT },
    region: {
      startLine: location.line,
      startColumn: location.column,
      ...(location.endLine !== undefined ? { endLine: location.endLine } : {}),
      ...(location.endColumn !== undefined ? { endColumn: location.endColumn } : {}),
    },
  };
}

const fingerprint = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/** Renders the report as a SARIF 2.1.0 log (JSON text). */
export function formatSarif(report: LintReport, options: SarifOptions = {}): string {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.meta.id, i]));
  const rules = report.rules.map(({ meta, severity }) => ({
    id: meta.id,
    name: meta.title,
    shortDescription: { text: meta.title },
    fullDescription: { text: meta.rationale },
    help: { text: helpText(meta), markdown: helpMarkdown(meta) },
    ...(meta.docs && isAbsoluteUri(meta.docs) ? { helpUri: meta.docs } : {}),
    defaultConfiguration: { level: LEVEL[severity] },
    properties: {
      tags: ['security', 'pipeline', meta.pack],
      pack: meta.pack,
      standards: [...meta.standards],
      docs: ruleDocsUrl(meta),
      'security-severity': SECURITY_SEVERITY[severity],
    },
  }));

  const result = (d: Diagnostic, source: string, suppressed?: SuppressedFinding) => {
    const finding = d as PolicyFinding;
    const index = ruleIndex.get(d.code);
    const location = d.location ?? { file: source, line: 1, column: 1 };
    return {
      ruleId: d.code,
      ...(index !== undefined ? { ruleIndex: index } : {}),
      level: LEVEL[d.severity],
      message: { text: d.message },
      locations: [
        {
          physicalLocation: physical(location),
          ...(d.path ? { logicalLocations: [{ fullyQualifiedName: formatPath(d.path), kind: 'member' }] } : {}),
        },
      ],
      ...(finding.jenkinsfile
        ? {
            relatedLocations: [
              {
                id: 1,
                physicalLocation: physical(finding.jenkinsfile),
                message: { text: `generated Jenkinsfile (${formatLocation(finding.jenkinsfile)})` },
              },
            ],
          }
        : {}),
      partialFingerprints: { 'pipewright/v1': fingerprint(d.code, source, d.path ? formatPath(d.path) : '', d.message) },
      ...(suppressed
        ? {
            suppressions: [
              {
                kind: 'inSource',
                status: 'accepted',
                justification: suppressed.suppression.reason,
                ...(suppressed.suppressionLocation ? { location: { physicalLocation: physical(suppressed.suppressionLocation) } } : {}),
                properties: {
                  owner: suppressed.suppression.owner,
                  ...(suppressed.suppression.ticket !== undefined ? { ticket: suppressed.suppression.ticket } : {}),
                  ...(suppressed.suppression.expires !== undefined ? { expires: suppressed.suppression.expires } : {}),
                },
              },
            ],
          }
        : {}),
      properties: {
        pipeline: source,
        ...(d.path ? { modelPath: formatPath(d.path) } : {}),
        ...(finding.environment !== undefined ? { environment: finding.environment } : {}),
      },
    };
  };

  const results = [
    ...report.diagnostics.map((d) => result(d, d.location?.file ?? 'pipewright.config.ts')),
    ...report.pipelines.flatMap((p) => [
      ...[...p.diagnostics, ...p.findings].map((d) => result(d, p.source)),
      ...p.suppressed.map((s) => result(s.finding, p.source, s)),
    ]),
  ];

  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            rules,
          },
        },
        ...(options.root ? { originalUriBaseIds: { [SRCROOT]: { uri: rootUri(options.root) } } } : {}),
        columnKind: 'utf16CodeUnits',
        results,
        properties: { failOn: report.failOn },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** `/work/app` → `file:///work/app/` (a directory URI ends with `/`). */
function rootUri(root: string): string {
  const posix = root.replace(/\\/g, '/');
  const withSlash = posix.endsWith('/') ? posix : `${posix}/`;
  return `file://${withSlash.startsWith('/') ? '' : '/'}${encodeURI(withSlash)}`;
}
