import { definePipeline, nodeService } from 'pipewright';
import { costAllocation, ecsEnvironments, notifyTo, org } from './shared/org-defaults.ts';

/**
 * payments-api: Node.js service on ECS Fargate. Build and test, Trivy/Snyk/SonarQube, one image
 * (scanned, pushed by digest, SBOM, signed), then the same digest to dev → stage → prod, prod
 * behind an approval by the release managers; each deploy's evidence and the scan reports are
 * exported to the audit archive (org defaults). See docs/cookbook.md.
 */
export default definePipeline(
  nodeService({
    ...org,
    name: 'payments-api',
    environments: ecsEnvironments('payments-api', { approvers: ['payments-release-managers'] }),
    notifications: notifyTo('#payments-deploys', 'teams-payments-webhook'),
    smokeTest: './scripts/smoke.sh',
    costAllocation: costAllocation('payments'),
  }),
);
