import { alwaysArchives, deliveryFacts } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** AUDIT-001: every deploy leaves an evidence record, archived with fingerprints. */
export default defineRule({
  meta: {
    id: 'AUDIT-001',
    title: 'Archive deploy evidence',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'For every production change an auditor asks who, what, when, where from and with what result. Deploys write an ' +
      'evidence record (the typed deploys write `evidence/*.json` and archive it); hand-written deploys must archive ' +
      '`evidence/**` with `fingerprint: true` in `post { always }`.',
    standards: ['PCI DSS 4.0.1 10.2.2', 'OWASP CICD-SEC-10 (insufficient logging and visibility)', 'SOC 2 CC8.1'],
    example: {
      bad: "{ name: 'Deploy', steps: [sh('pipewright ecs-deploy ... --evidence evidence/deploy-prod.json')] }",
      good: "{ name: 'Deploy', steps: [sh('pipewright ecs-deploy ... --evidence evidence/deploy-prod.json')], post: { always: [archiveArtifacts('evidence/**', { fingerprint: true })] } }",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const deploy of deliveryFacts(index).deploys) {
      if (deploy.kind !== 'shell') continue;
      const archived = alwaysArchives(index, deploy.info).some((a) => a.step.fingerprint === true && a.step.artifacts.split(',').some((p) => p.trim().startsWith('evidence')));
      if (archived) continue;
      findings.push({
        path: deploy.info.path,
        message: `'${deploy.command}' leaves no archived evidence: archive evidence/** with fingerprint: true in post { always }`,
        ...(deploy.environment ? { environment: deploy.environment } : {}),
        expected: "archiveArtifacts('evidence/**', { fingerprint: true }) in post always",
        found: 'none',
      });
    }
    return findings;
  },
});
