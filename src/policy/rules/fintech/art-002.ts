import { DELIVERY_DEFAULTS } from '../../../model/delivery-defaults.ts';
import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** ART-002: deploys use the digest captured after the push. */
export default defineRule({
  meta: {
    id: 'ART-002',
    title: 'Deploy by digest, captured after the push',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'A tag can be re-pointed between push and deploy; a digest (`repo@sha256:…`) cannot. Deploys take the digest ' +
      '`ecrPush` recorded in `image-ref.txt` (its stash), so every typed deploy must find that stash produced by an ' +
      'earlier push in the same run; hand-written deploys must not deploy tags or force a redeploy of a mutable tag.',
    standards: ['SLSA Build L2', 'Sigstore cosign: sign and verify by digest', 'OWASP CICD-SEC-9'],
    example: {
      bad: "sh('kubectl set image deploy/api api=registry/api:1.4.2')",
      good: "ecrPush({ repository: 'payments-api', registry, aws }), ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })  // deploys the pushed digest",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    const pushes = facts.ofKind('ecrPush');
    for (const deploy of facts.deploys) {
      const step = deploy.info.step;
      if (step.step !== 'ecsDeploy' && step.step !== 'eksDeploy' && step.step !== 'gitopsBump') continue;
      const stash = step.imageStash ?? DELIVERY_DEFAULTS.imageStash;
      const producer = pushes.find((p) => (p.step.stash ?? DELIVERY_DEFAULTS.imageStash) === stash && facts.runsBefore(p, deploy.info));
      if (producer) continue;
      findings.push({
        path: step.imageStash ? [...deploy.info.path, 'imageStash'] : deploy.info.path,
        message: `${step.step} to ${step.environment} takes the image digest from stash '${stash}', which no earlier ecrPush in this run produces`,
        ...(deploy.environment ? { environment: deploy.environment } : {}),
        expected: `an ecrPush with stash '${stash}' before the deploy`,
        found: 'none',
      });
    }
    for (const deploy of facts.deploys) {
      if (deploy.kind !== 'shell' || deploy.info.step.step !== 'sh') continue;
      for (const line of shellLines(deploy.info.step.script)) {
        const byTag =
          /--force-new-deployment\b/.test(line) ||
          (/\bkubectl\s+set\s+image\b/.test(line) && !/@sha256:|\$\(cat\s+image-ref\.txt\)|\$\{?IMAGE_REF\}?/.test(line)) ||
          (/\bhelm\s+(?:upgrade|install)\b/.test(line) && /--set[ =]\S*\bimage\.tag=/.test(line)) ||
          (/\bpipewright\s+ecs-deploy\b/.test(line) && /--image[ =]["']?[^\s"'$]+:[^\s"'@]+["']?(?:\s|$)/.test(line));
        if (byTag) {
          findings.push({
            path: [...deploy.info.path, 'script'],
            message: `'${deploy.command}' deploys a tag (or forces a redeploy of one) instead of the pushed digest`,
            ...(deploy.environment ? { environment: deploy.environment } : {}),
            expected: 'registry/repository@sha256:… from image-ref.txt',
            found: line.slice(0, 80),
          });
          break;
        }
      }
    }
    return findings;
  },
});
