/**
 * Lowering of the typed delivery steps (`src/model/delivery.ts`) to Jenkinsfile AST statements.
 *
 * The stage lowering calls {@link lowerDeliveryStep} for every step with `isDeliveryStep(step)`,
 * puts `steps` where the step was, and merges the collected `post` contributions into the stage's
 * `post` block with {@link mergePostContributions}.
 */
import type { DeliveryStep } from '../../model/delivery.ts';
import { tagGeneratorScripts, withOrigin } from './jenkins.ts';
import { lowerApprovalCheck, lowerNotify } from './approval-notify.ts';
import { lowerEcsDeploy } from './deploy-ecs.ts';
import { lowerEksDeploy, lowerGitopsBump } from './deploy-k8s.ts';
import { lowerEvidenceExport } from './evidence.ts';
import { lowerFeatureFlagDeploy } from './feature-flag.ts';
import { lowerCosignSign, lowerDockerBuild, lowerEcrPush, lowerSbom } from './image.ts';
import { lowerNpmCi, lowerNpmRun } from './node.ts';
import { lowerSnykScan, lowerSonarQualityGate, lowerSonarScan, lowerTrivyScan } from './scanners.ts';
import { lowerS3Publish, lowerTrafficShift } from './traffic.ts';
import type { DeliveryContext, DeliveryLowering, PostContributions } from './types.ts';

export { isDeliveryStep } from '../../model/delivery-defaults.ts';
export { mergePostContributions, postConditionsSetIn } from './types.ts';
export type { DeliveryContext, DeliveryLowering, PostContributions } from './types.ts';

function lowerByKind(step: DeliveryStep): DeliveryLowering {
  switch (step.step) {
    case 'npmCi':
      return lowerNpmCi(step);
    case 'npmRun':
      return lowerNpmRun(step);
    case 'trivyScan':
      return lowerTrivyScan(step);
    case 'snykScan':
      return lowerSnykScan(step);
    case 'sonarScan':
      return lowerSonarScan(step);
    case 'sonarQualityGate':
      return lowerSonarQualityGate(step);
    case 'dockerBuild':
      return lowerDockerBuild(step);
    case 'ecrPush':
      return lowerEcrPush(step);
    case 'sbom':
      return lowerSbom(step);
    case 'cosignSign':
      return lowerCosignSign(step);
    case 'ecsDeploy':
      return lowerEcsDeploy(step);
    case 'eksDeploy':
      return lowerEksDeploy(step);
    case 'gitopsBump':
      return lowerGitopsBump(step);
    case 'trafficShift':
      return lowerTrafficShift(step);
    case 's3Publish':
      return lowerS3Publish(step);
    case 'evidenceExport':
      return lowerEvidenceExport(step);
    case 'approvalCheck':
      return lowerApprovalCheck(step);
    case 'notify':
      return lowerNotify(step);
    case 'featureFlagDeploy':
      return lowerFeatureFlagDeploy(step);
  }
}

/** Lowers one delivery step; every produced statement carries the step's model path. */
export function lowerDeliveryStep(step: DeliveryStep, context: DeliveryContext): DeliveryLowering {
  const lowered = lowerByKind(step);
  const post: PostContributions | undefined = lowered.post;
  tagGeneratorScripts(lowered.steps, step.step);
  if (post !== undefined) {
    for (const statements of Object.values(post)) {
      withOrigin(statements, context.origin);
      tagGeneratorScripts(statements, step.step);
    }
  }
  return post === undefined
    ? { steps: withOrigin(lowered.steps, context.origin) }
    : { steps: withOrigin(lowered.steps, context.origin), post };
}
