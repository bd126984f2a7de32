/**
 * Report formats of `pipewright preflight`: text, JSON, SARIF 2.1.0, JUnit XML and GitHub
 * workflow annotations.
 *
 * Stopgap: `lint`'s shared reporters (`src/policy/report/`) did not exist when preflight was
 * written. These take plain Diagnostics so that preflight can switch to the shared reporters by
 * changing `renderPreflightReport` alone.
 */
import { formatDiagnostic, formatPath, type Diagnostic, type Severity } from '../diagnostics.ts';
import { PREFLIGHT_CHECKS, type EcsDeployTarget, type PreflightTargets, type RepositoryTarget } from './preflight.ts';

export const PREFLIGHT_FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;
export type PreflightFormat = (typeof PREFLIGHT_FORMATS)[number];

/** What a report is made from. */
export interface PreflightReportInput {
  diagnostics: readonly Diagnostic[];
  /** The targets that were checked (JUnit test cases, counts). */
  targets: PreflightTargets;
  /** The `--env` the run was limited to, if any. */
  env?: string;
  /** pipewright's version, for SARIF and JSON. */
  version: string;
}

/** Renders a preflight report in one of {@link PREFLIGHT_FORMATS}; the text ends with a newline. */
export function renderPreflightReport(format: PreflightFormat, input: PreflightReportInput): string {
  switch (format) {
    case 'text':
      return textReport(input);
    case 'json':
      return `${JSON.stringify(jsonReport(input), null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(sarifReport(input), null, 2)}\n`;
    case 'junit':
      return junitReport(input);
    case 'github':
      return githubReport(input);
  }
}

/** `{ error, warning, info }` counts. */
export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity] += 1;
  return counts;
}

function summary(input: PreflightReportInput): string {
  const counts = countBySeverity(input.diagnostics);
  const checked = input.targets.deploys.length + input.targets.repositories.length;
  const scope = input.env ? ` (env ${input.env})` : '';
  return `pipewright preflight${scope}: ${input.targets.deploys.length} ECS target(s), ${input.targets.repositories.length} ECR repositor${input.targets.repositories.length === 1 ? 'y' : 'ies'}: ${counts.error} error(s), ${counts.warning} warning(s)${checked === 0 ? ' (nothing to check)' : ''}`;
}

function textReport(input: PreflightReportInput): string {
  return [...input.diagnostics.map(formatDiagnostic), summary(input)].join('\n') + '\n';
}

function jsonReport(input: PreflightReportInput) {
  return {
    tool: 'pipewright preflight',
    version: input.version,
    env: input.env ?? null,
    summary: countBySeverity(input.diagnostics),
    targets: {
      deploys: input.targets.deploys.map((t) => ({
        source: t.source,
        pipeline: t.pipeline,
        environment: t.environment,
        cluster: t.cluster,
        service: t.service,
        container: t.container,
        region: t.region,
        account: t.account,
      })),
      repositories: input.targets.repositories.map((t) => ({
        source: t.source,
        pipeline: t.pipeline,
        repository: t.repository,
        registryId: t.registryId,
        region: t.region,
      })),
    },
    diagnostics: input.diagnostics,
  };
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

function sarifReport(input: PreflightReportInput) {
  const rules = Object.entries(PREFLIGHT_CHECKS).map(([id, check]) => ({
    id,
    name: id,
    shortDescription: { text: check.title },
    defaultConfiguration: { level: SARIF_LEVEL[check.severity] },
    help: { text: 'See "Preflight" in docs/ecs-deploy.md.' },
  }));
  const ruleIndex = new Map(rules.map((rule, i) => [rule.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pipewright preflight',
            version: input.version,
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'the pipewright project root' } } },
        results: input.diagnostics.map((d) => ({
          ruleId: d.code,
          ...(ruleIndex.has(d.code) ? { ruleIndex: ruleIndex.get(d.code) } : {}),
          level: SARIF_LEVEL[d.severity],
          message: { text: d.message },
          ...(d.location
            ? {
                locations: [
                  {
                    physicalLocation: {
                      artifactLocation: { uri: d.location.file, uriBaseId: '%SRCROOT%' },
                      region: {
                        startLine: d.location.line,
                        startColumn: d.location.column,
                        ...(d.location.endLine !== undefined ? { endLine: d.location.endLine } : {}),
                        ...(d.location.endColumn !== undefined ? { endColumn: d.location.endColumn } : {}),
                      },
                    },
                    ...(d.path ? { logicalLocations: [{ fullyQualifiedName: formatPath(d.path), kind: 'member' }] } : {}),
                  },
                ],
              }
            : {}),
          ...(d.expected !== undefined || d.found !== undefined
            ? { properties: { ...(d.expected !== undefined ? { expected: d.expected } : {}), ...(d.found !== undefined ? { found: d.found } : {}) } }
            : {}),
        })),
      },
    ],
  };
}

/** Whether `path` lies inside `prefix`. */
function within(path: readonly (string | number)[] | undefined, prefix: readonly (string | number)[]): boolean {
  return path !== undefined && prefix.every((segment, i) => path[i] === segment);
}

/** One test case per target (its findings are failures or output), plus one for findings of no target. */
function junitReport(input: PreflightReportInput): string {
  type Case = { classname: string; name: string; findings: Diagnostic[] };
  const cases: Case[] = [];
  const claimed = new Set<Diagnostic>();
  const claim = (source: string, prefix: readonly (string | number)[]) =>
    input.diagnostics.filter((d) => !claimed.has(d) && d.location?.file === source && within(d.path, prefix)).map((d) => {
      claimed.add(d);
      return d;
    });
  for (const target of input.targets.deploys) {
    cases.push({
      classname: target.source,
      name: `${target.environment}: ECS ${target.cluster}/${target.service} (${target.region})`,
      findings: claim(target.source, ownerPath(target)),
    });
  }
  for (const target of input.targets.repositories) {
    cases.push({
      classname: target.source,
      name: `ECR ${target.registryId}/${target.repository} (${target.region})`,
      findings: claim(target.source, ownerPath(target)),
    });
  }
  const rest = input.diagnostics.filter((d) => !claimed.has(d));
  if (rest.length > 0) cases.push({ classname: 'pipewright preflight', name: 'run', findings: rest });

  const failures = cases.filter((c) => c.findings.some((d) => d.severity === 'error')).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="pipewright preflight" tests="${cases.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="${xml(`pipewright preflight${input.env ? ` ${input.env}` : ''}`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">`,
  ];
  for (const c of cases) {
    const errors = c.findings.filter((d) => d.severity === 'error');
    const others = c.findings.filter((d) => d.severity !== 'error');
    lines.push(`    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}">`);
    if (errors.length > 0) {
      lines.push(
        `      <failure message="${xml(errors.map((d) => `${d.code}: ${d.message}`).join('; '))}" type="${xml(errors[0]!.code)}">${xml(errors.map(formatDiagnostic).join('\n'))}</failure>`,
      );
    }
    if (others.length > 0) lines.push(`      <system-out>${xml(others.map(formatDiagnostic).join('\n'))}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/** The model path of the step (or environment target) a target comes from. */
function ownerPath(target: EcsDeployTarget | RepositoryTarget): readonly (string | number)[] {
  const field = 'paths' in target ? target.paths.service : target.path;
  return field.slice(0, -1);
}

function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const GITHUB_COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** GitHub Actions workflow commands (`::error file=…,line=…::message`), one per finding. */
function githubReport(input: PreflightReportInput): string {
  const lines = input.diagnostics.map((d) => {
    const properties: string[] = [];
    if (d.location) {
      properties.push(`file=${githubProperty(d.location.file)}`, `line=${d.location.line}`, `col=${d.location.column}`);
      if (d.location.endLine !== undefined) properties.push(`endLine=${d.location.endLine}`);
      if (d.location.endColumn !== undefined && d.location.endLine === d.location.line) {
        properties.push(`endColumn=${d.location.endColumn}`);
      }
    }
    properties.push(`title=${githubProperty(`${d.code} ${PREFLIGHT_CHECKS[d.code as keyof typeof PREFLIGHT_CHECKS]?.title ?? ''}`.trim())}`);
    return `::${GITHUB_COMMAND[d.severity]} ${properties.join(',')}::${githubData(d.message)}`;
  });
  return [...lines, summary(input)].join('\n') + '\n';
}

function githubData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function githubProperty(text: string): string {
  return githubData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
