/**
 * Least-privilege IAM for the roles a pipeline assumes (issue #12, section 1, first step):
 * generation from the compiled pipeline, validation against the AWS service reference.
 */
export {
  awsShellSteps,
  generateIamPolicies,
  type IamOptions,
  type PipelineIamPolicies,
  type RequiredCall,
  type RolePolicy,
  type TrustOptions,
} from './generate.ts';
export { ECS_DEPLOY_SDK_ACTIONS, iamActionsFor, scanInvocations, type ToolInvocation } from './invocations.ts';
export { stableJson, type PolicyCondition, type PolicyDocument, type PolicyStatement } from './policy-document.ts';
export { validatePolicy } from './validate.ts';

import type { PipelineIamPolicies } from './generate.ts';

/** The published form of a pipeline's policies: everything but the per-call list the tests simulate. */
export function publishedPolicies(policies: PipelineIamPolicies): unknown {
  return { ...policies, roles: policies.roles.map(({ calls: _calls, ...role }) => role) };
}
