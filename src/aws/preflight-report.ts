/**
 * Preflight results as a lint report, so `pipewright preflight` prints through the same reporters
 * as `pipewright lint` (`src/policy/report/`: text, JSON, SARIF, JUnit, GitHub annotations).
 *
 * Each checked pipeline becomes a report pipeline whose "rules" are the preflight checks that
 * apply to its targets; PF findings are its findings. The checks are described as rules
 * (`PREFLIGHT_CHECKS` → `RuleMeta`) for SARIF rule metadata and JUnit case names.
 */
import type { CompileRun } from '../compile.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { PolicyFinding } from '../policy/engine.ts';
import type { LintReport, LintedPipeline } from '../policy/report/index.ts';
import type { RuleMeta } from '../policy/rule.ts';
import { PREFLIGHT_CHECKS, type PreflightCode, type PreflightTargets } from './preflight.ts';

/** Name shown by the reporters (SARIF driver, JSON `tool`). */
export const PREFLIGHT_TOOL_NAME = 'pipewright preflight';

const ECS_CHECKS: readonly PreflightCode[] = ['PF001', 'PF002', 'PF003', 'PF004', 'PF005', 'PF006', 'PF007', 'PF008'];
const ECR_CHECKS: readonly PreflightCode[] = ['PF009', 'PF010', 'PF011', 'PF012', 'PF013'];
const RUN_CHECKS: readonly PreflightCode[] = ['PF014', 'PF015', 'PF016'];

/** A preflight check described as a rule (for SARIF, JSON and JUnit). */
export function preflightRuleMeta(code: PreflightCode): RuleMeta {
  const check = PREFLIGHT_CHECKS[code];
  return {
    id: code,
    title: check.title,
    pack: 'preflight',
    severity: check.severity,
    rationale: check.rationale,
    standards: check.standards,
    docs: 'docs/ecs-deploy.md#preflight',
    // Preflight findings come from AWS state, not from a pipeline snippet: say it in words.
    example: { bad: `// ${check.title}`, good: `// ${check.fix}` },
  };
}

/**
 * The lint report of a preflight run: the pipelines that had targets, in run order, with the
 * checks that applied to them and their findings (every preflight diagnostic carries a model
 * path and a location in its pipeline's source).
 */
export function preflightLintReport(
  run: CompileRun,
  targets: PreflightTargets,
  diagnostics: readonly Diagnostic[],
  version: string,
): LintReport {
  const pipelines: LintedPipeline[] = [];
  for (const pipeline of run.pipelines) {
    const hasDeploys = targets.deploys.some((t) => t.source === pipeline.source);
    const hasRepositories = targets.repositories.some((t) => t.source === pipeline.source);
    const findings = diagnostics.filter((d) => d.location?.file === pipeline.source) as PolicyFinding[];
    if (!hasDeploys && !hasRepositories && findings.length === 0) continue;
    pipelines.push({
      source: pipeline.source,
      name: pipeline.name,
      output: pipeline.output,
      diagnostics: [],
      findings: findings.map((f) => ({ ...f, path: f.path ?? [] })),
      suppressed: [],
      rules: [...(hasDeploys ? ECS_CHECKS : []), ...(hasRepositories ? ECR_CHECKS : []), ...RUN_CHECKS],
    });
  }
  const sources = new Set(pipelines.map((p) => p.source));
  return {
    tool: { name: PREFLIGHT_TOOL_NAME, version },
    failOn: 'error',
    rules: (Object.keys(PREFLIGHT_CHECKS) as PreflightCode[]).map((code) => ({
      meta: preflightRuleMeta(code),
      severity: PREFLIGHT_CHECKS[code].severity,
    })),
    pipelines,
    // Anything not located in a pipeline (not expected) still reaches the report.
    diagnostics: diagnostics.filter((d) => !d.location || !sources.has(d.location.file)),
  };
}

/**
 * The shared reporters label their summary and JUnit suite `pipewright lint`; preflight output
 * says `pipewright preflight` instead.
 */
export function relabelForPreflight(text: string): string {
  return text
    .replace(/^pipewright lint: /m, `${PREFLIGHT_TOOL_NAME}: `)
    .replace('<testsuites name="pipewright lint"', `<testsuites name="${PREFLIGHT_TOOL_NAME}"`);
}
