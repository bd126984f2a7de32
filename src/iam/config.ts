/**
 * The `iam` section of `pipewright.config.ts`: what the generated IAM policies cannot learn from
 * the pipelines themselves.
 */
import { z } from 'zod';

const ServiceRef = z.string().regex(/^[\w-]+\/[\w-]+$/, '<cluster>/<service>');
const KeyArn = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias: Secrets Manager and SSM decrypt with the key id)');
const RoleRef = z.string().regex(/^(arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+|[\w+=,.@-]+)$/, 'a role name or role ARN');

export const IamConfigSchema = z.strictObject({
  /**
   * Who may assume the roles the pipelines assume (the trust policy): the Jenkins controller's or
   * agents' role ARN, the external id the roles require, and conditions on the session.
   */
  trust: z
    .strictObject({
      /** Role (or account root) ARN that calls `sts:AssumeRole`. */
      principal: z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/:-]+$/, 'an IAM principal ARN'),
      /** Required `sts:ExternalId`. */
      externalId: z.string().min(2).max(1224).optional(),
      /** `sts:RoleSessionName` pattern (StringLike) for roles whose steps set no `roleSessionName`, e.g. `Jenkins-*`. */
      sessionNamePattern: z.string().min(1).max(64).optional(),
      /** `sts:SourceIdentity` pattern (StringLike) the assuming session must set (also grants `sts:SetSourceIdentity`). */
      sourceIdentityPattern: z.string().min(1).max(64).optional(),
    })
    .optional(),
  /**
   * The task and execution roles of each ECS service (`<cluster>/<service>`), for `iam:PassRole`
   * when the task-definition template is not in the repository (the pipewright engine, or a
   * template rendered elsewhere). Names are resolved in the deploy role's account.
   */
  taskRoles: z.record(ServiceRef, z.strictObject({ taskRole: RoleRef.optional(), executionRole: RoleRef.optional() })).default({}),
  /**
   * The customer-managed KMS keys that encrypt the secrets and SecureString parameters of each ECS
   * service's task definition (`<cluster>/<service>` → key ARNs). The service's execution role
   * then gets `kms:Decrypt` on exactly these keys, and only through Secrets Manager / SSM in the
   * secrets' region (`kms:ViaService`). Secrets under the AWS managed keys (`aws/secretsmanager`,
   * `aws/ssm`) need no entry: a task definition cannot name the key of a secret.
   */
  secretKeys: z.record(ServiceRef, z.array(KeyArn).min(1)).optional(),
});

/** The `iam` section as written in `pipewright.config.ts`. */
export type IamConfigInput = z.input<typeof IamConfigSchema>;
/** The `iam` section with defaults applied. */
export type IamConfig = z.output<typeof IamConfigSchema>;
