/**
 * Stage helpers for delivery: approvals, the SonarQube gate, deploy stages per environment and
 * the `when` that limits deploys to release refs. Plain data, no run-time dependencies.
 */
import { DELIVERY_DEFAULTS } from '../model/delivery-defaults.ts';
import type { ApprovalPolicy, DeliveryEnvironment, NotifyTarget } from '../model/delivery.ts';
import type { Stage, Step, When, WhenCondition } from '../model/schema.ts';
import { approvalCheck, ecsDeploy, eksDeploy, gitopsBump, notify, s3Publish, sonarQualityGate } from './steps.ts';

/**
 * The `when` of a deploy into `environment`: never for pull requests (FLOW-005), and only from
 * the environment's release branches (default `main`) or release tags. `beforeAgent` so no agent
 * is allocated for a skipped deploy.
 */
export function releaseWhen(environment: Pick<DeliveryEnvironment, 'releaseFrom'>, extra: Partial<When> = {}): When {
  const branches = environment.releaseFrom?.branches ?? DELIVERY_DEFAULTS.releaseFrom.branches;
  const refs: WhenCondition[] = branches.map((branch) => ({ branch: { pattern: branch, comparator: 'EQUALS' as const } }));
  if (environment.releaseFrom?.tags !== undefined) {
    refs.push({ tag: { pattern: environment.releaseFrom.tags, comparator: 'GLOB' as const } });
  }
  const refCondition: WhenCondition = refs.length === 1 ? (refs[0] as WhenCondition) : { anyOf: refs };
  return { beforeAgent: true, ...extra, allOf: [{ not: { changeRequest: true } }, refCondition] };
}

/** Options of {@link approvalStage}. */
export interface ApprovalStageOptions {
  /** Environment being approved, e.g. `prod`. */
  environment: string;
  /** Approver groups, timeout, ticket pattern, self-approval rule. */
  policy: ApprovalPolicy;
  /** When to ask (default: never for pull requests, only from `main`). */
  when?: When;
  /** Question shown to the approver (default `Deploy <service> to <environment>?`). */
  message?: string;
  /** Service named in the default message. */
  service?: string;
  /** Stage name (default `Approve <environment>`). */
  name?: string;
}

/**
 * An approval stage (FLOW-001…004, FLOW-007): `agent none` (no executor held while waiting),
 * a stage timeout, `input` with submitter groups, `submitterParameter 'APPROVER'` and a
 * `CHANGE_ID` parameter, then the run-time separation-of-duties and ticket check. `when` is
 * evaluated before the input, so feature-branch builds are never asked.
 */
export function approvalStage(options: ApprovalStageOptions): Stage {
  const A = DELIVERY_DEFAULTS.approval;
  const policy = options.policy;
  const pattern = policy.changeIdPattern ?? A.changeIdPattern;
  const what = options.service === undefined ? '' : ` ${options.service}`;
  return {
    name: options.name ?? `Approve ${options.environment}`,
    agent: 'none',
    when: { ...(options.when ?? releaseWhen({})), beforeInput: true },
    options: { timeout: { time: policy.timeoutMinutes ?? A.timeoutMinutes, unit: 'MINUTES' } },
    input: {
      message: options.message ?? `Deploy${what} to ${options.environment}?`,
      ok: 'Deploy',
      submitter: policy.submitters,
      submitterParameter: A.approverVariable,
      parameters: [
        { type: 'string', name: A.changeIdParameter, description: `Change ticket (matching ${pattern})`, trim: true },
      ],
    },
    steps: [
      approvalCheck(options.environment, {
        ...(policy.changeIdPattern !== undefined ? { changeIdPattern: policy.changeIdPattern } : {}),
        ...(policy.forbidSelfApproval !== undefined ? { forbidSelfApproval: policy.forbidSelfApproval } : {}),
      }),
    ],
  };
}

/**
 * The SonarQube quality gate in its own `agent none` stage: waiting for SonarQube's webhook holds
 * no executor (SCAN-007), and the gate aborts the pipeline when it fails (SCAN-002).
 */
export function qualityGateStage(options: { timeoutMinutes?: number; name?: string; when?: When } = {}): Stage {
  return {
    name: options.name ?? 'Quality gate',
    agent: 'none',
    ...(options.when !== undefined ? { when: options.when } : {}),
    steps: [sonarQualityGate(options.timeoutMinutes !== undefined ? { timeoutMinutes: options.timeoutMinutes } : {})],
  };
}

/** Settings a deploy step needs beyond its environment. */
export interface DeployStepOptions {
  /** Service name: ECS service default, helm release default, lock names. */
  service: string;
  /** Smoke test command run after an ECS rollout. */
  smokeTest?: string;
  /** Verify the cosign signature with this key before deploying an image (ECS, EKS and GitOps targets). */
  verifySignatureKey?: string;
  /** ECS engine (default `aws-cli`). */
  engine?: 'aws-cli' | 'pipewright';
  /** Rollout timeout in minutes. */
  timeoutMinutes?: number;
  /** Stash holding the built front end, for S3 targets. */
  siteStash?: string;
}

/** The deploy step for an environment's target (ECS, EKS, GitOps or S3). */
export function deployStepFor(environment: DeliveryEnvironment, options: DeployStepOptions): Step {
  const aws = {
    role: environment.deployRole,
    account: environment.awsAccountId,
    region: environment.region,
    ...(environment.sessionDurationSeconds !== undefined ? { durationSeconds: environment.sessionDurationSeconds } : {}),
  };
  const target = environment.target;
  const timeout = options.timeoutMinutes !== undefined ? { timeoutMinutes: options.timeoutMinutes } : {};
  const verifySignature = options.verifySignatureKey !== undefined ? { verifySignature: { key: options.verifySignatureKey } } : {};
  switch (target.kind) {
    case 'ecs': {
      const engine = options.engine ?? DELIVERY_DEFAULTS.ecs.engine;
      return ecsDeploy({
        environment: environment.name,
        aws,
        cluster: target.cluster,
        service: target.service,
        container: target.container,
        ...(engine === 'aws-cli'
          ? { taskDefinition: target.taskDefinition ?? `deploy/taskdef.${environment.name}.json` }
          : { engine }),
        ...timeout,
        ...(options.smokeTest !== undefined ? { smokeTest: options.smokeTest } : {}),
        ...verifySignature,
      });
    }
    case 'eks':
      return eksDeploy({
        environment: environment.name,
        aws,
        cluster: target.cluster,
        namespace: target.namespace,
        method: target.method,
        ...timeout,
        ...verifySignature,
      });
    case 'gitops':
      return gitopsBump({
        environment: environment.name,
        repository: target.repository,
        ...(target.branch !== undefined ? { branch: target.branch } : {}),
        file: target.file,
        editor: target.editor,
        auth: target.auth,
        // The environment's (read-only) deploy role verifies the signature; git never uses it.
        ...(options.verifySignatureKey !== undefined ? { ...verifySignature, aws } : {}),
      });
    case 's3':
      return s3Publish({
        environment: environment.name,
        aws,
        bucket: target.bucket,
        ...(target.prefix !== undefined ? { prefix: target.prefix } : {}),
        ...(target.cloudFrontDistributionId !== undefined ? { cloudFrontDistributionId: target.cloudFrontDistributionId } : {}),
        ...(options.siteStash !== undefined ? { stash: options.siteStash } : {}),
      });
  }
}

/**
 * A deploy stage: the environment's agent label, {@link releaseWhen}, the given steps, and
 * `deployed` / `rolled-back` notifications when targets are given.
 */
export function deployStage(
  environment: DeliveryEnvironment,
  steps: Step[],
  options: { name?: string; notify?: NotifyTarget[]; service?: string } = {},
): Stage {
  const targets = options.notify ?? [];
  const about = { environment: environment.name, ...(options.service !== undefined ? { service: options.service } : {}) };
  return {
    name: options.name ?? `Deploy ${environment.name}`,
    agent: { type: 'label', label: environment.agentLabel },
    when: releaseWhen(environment),
    steps,
    ...(targets.length > 0
      ? {
          post: {
            success: [notify('deployed', targets, about)],
            unsuccessful: [notify('rolled-back', targets, about)],
          },
        }
      : {}),
  };
}

/** A stage that only announces that an approval is waiting (before the approval stage's `input`). */
export function approvalRequestStage(environment: DeliveryEnvironment, targets: NotifyTarget[], service?: string): Stage {
  return {
    name: `Request ${environment.name} approval`,
    agent: 'none',
    when: releaseWhen(environment),
    steps: [notify('approval', targets, { environment: environment.name, ...(service !== undefined ? { service } : {}) })],
  };
}
