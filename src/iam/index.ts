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

export { formatPolicies, IAM_FORMAT_EXTENSIONS, IAM_FORMATS, publishedPolicies, roleNameOf, toCloudFormation, toTerraform, type IamFormat } from './formats.ts';
export { IamConfigSchema, type IamConfig, type IamConfigInput } from './config.ts';
