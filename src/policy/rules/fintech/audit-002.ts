import { DELIVERY_DEFAULTS } from '../../../model/delivery-defaults.ts';
import type { EvidenceExportStep } from '../../../model/delivery.ts';
import { deliveryFacts, type DeployFact } from '../../facts.ts';
import type { StepInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** A hand-written upload to S3 (`aws s3 cp|sync`, `aws s3api put-object`) in a script that handles evidence. */
const SHELL_UPLOAD = /\baws\s+s3\s+(?:cp|sync)\b|\baws\s+s3api\s+put-object\b/;

/** An evidence export: the typed step, or `s3Upload` / an S3 upload in `sh` that handles `evidence…`. */
function isExport(info: StepInfo): boolean {
  const step = info.step;
  if (step.step === 'evidenceExport') {
    const paths: readonly string[] = (step as EvidenceExportStep).paths ?? DELIVERY_DEFAULTS.evidenceExport.paths;
    return paths.some((p) => p === 'evidence' || p.startsWith('evidence/'));
  }
  if (step.step === 'step') return step.name === 's3Upload' && JSON.stringify(step.args ?? {}).includes('evidence');
  if (step.step === 'sh') return SHELL_UPLOAD.test(step.script) && /\bevidence\b/.test(step.script);
  return false;
}

/**
 * Whether `exported` runs after `deploy` whatever the deploy's result: in `post { always }` or
 * `post { cleanup }` of the deploy's stage, of a stage enclosing it, or of the pipeline. An export
 * in a later stage, or among the steps after the deploy, never runs when the deploy fails, and a
 * failed or rolled-back production change needs its record as much as a successful one.
 */
function coversDeploy(exported: StepInfo, deploy: DeployFact): boolean {
  if (exported.post !== 'always' && exported.post !== 'cleanup') return false;
  if (exported.stage === undefined) return true;
  const chain = deploy.info.stage ? [...deploy.info.stage.ancestors, deploy.info.stage] : [];
  return chain.includes(exported.stage);
}

/** AUDIT-002: production evidence outlives Jenkins' build retention. */
export default defineRule({
  meta: {
    id: 'AUDIT-002',
    title: 'Keep production evidence beyond Jenkins’ build retention',
    pack: 'fintech',
    severity: 'error',
    nonProductionSeverity: 'warning',
    rationale:
      'Audit records are retained for twelve months, three immediately available. Jenkins’ build discarder deletes old ' +
      'runs and their archived evidence. Every production deploy is followed, whatever its result, by an export of ' +
      '`evidence/` to a bucket with Object Lock: `evidenceExport` (or a hand-written `s3Upload`, `aws s3 cp|sync` or ' +
      '`aws s3api put-object` of `evidence/…`) in `post { always }` or `post { cleanup }` of the deploy stage, an ' +
      'enclosing stage or the pipeline, with a retention of at least `minRetentionDays` (default 366) days. Otherwise ' +
      'the pipeline keeps its runs at least `minDays` (default 90) days without a count limit.',
    standards: ['PCI DSS 4.0.1 10.5.1'],
    example: {
      bad: 'stages: [build, approveProd, deployProd], options: { buildDiscarder: { numToKeep: 20 } }  // no evidence export',
      good: "stages: [build, approveProd, { ...deployProd, post: { cleanup: [evidenceExport({ bucket: 'audit-evidence', environment: 'prod', aws: { role: 'evidence-writer', account: '444444444444', region: 'eu-west-1' } })] } }]",
    },
  },
  check({ pipeline, index, isProduction, options }) {
    const facts = deliveryFacts(index);
    const prod = facts.deployedEnvironments.find(isProduction);
    if (!prod) return [];
    const minDays = typeof options['minDays'] === 'number' ? options['minDays'] : 90;
    const minRetentionDays = typeof options['minRetentionDays'] === 'number' ? options['minRetentionDays'] : 366;
    const prodDeploys = facts.deploys.filter((d) => d.environment !== undefined && isProduction(d.environment));
    const exports = index.steps.filter(isExport);
    const findings: RuleFinding[] = [];

    const reported = new Set<StepInfo>();
    for (const deploy of prodDeploys) {
      for (const exported of exports.filter((e) => coversDeploy(e, deploy))) {
        if (exported.step.step !== 'evidenceExport' || reported.has(exported)) continue;
        reported.add(exported);
        const days = (exported.step as EvidenceExportStep).retainDays ?? DELIVERY_DEFAULTS.evidenceExport.retainDays;
        if (days >= minRetentionDays) continue;
        findings.push({
          path: [...exported.path, 'retainDays'],
          message: `the evidence of the ${deploy.environment} deploy is locked for ${days} days only; it must be kept at least ${minRetentionDays} days`,
          ...(deploy.environment ? { environment: deploy.environment } : {}),
          expected: `retainDays ≥ ${minRetentionDays}`,
          found: String(days),
        });
      }
    }

    const unexported = prodDeploys.filter((d) => !exports.some((e) => coversDeploy(e, d)));
    const discarder = pipeline.options?.buildDiscarder;
    if (unexported.length > 0 && discarder) {
      const countLimited = discarder.numToKeep !== undefined || discarder.artifactNumToKeep !== undefined;
      const days = Math.min(discarder.daysToKeep ?? Infinity, discarder.artifactDaysToKeep ?? Infinity);
      if (countLimited || days < minDays) {
        const stages = [...new Set(unexported.map((d) => d.info.stage?.stage.name).filter((n): n is string => n !== undefined))];
        findings.push({
          path: ['options', 'buildDiscarder'],
          message:
            `the pipeline deploys to ${prod} but its build discarder deletes runs (and their evidence) ` +
            `${countLimited ? 'by count' : `after ${days} days`} and nothing exports the evidence` +
            (stages.length > 0 ? ` of ${stages.map((n) => `'${n}'`).join(', ')} whatever the deploy's result` : ''),
          environment: prod,
          expected: `evidenceExport in post { cleanup } (or always) of the deploy stage, or retention of at least ${minDays} days without a count limit`,
          found: JSON.stringify(discarder),
        });
      }
    }
    return findings;
  },
});
