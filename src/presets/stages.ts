/**
 * Stage helpers for delivery: approvals, the SonarQube gate, deploy stages per environment and
 * the `when` that limits deploys to release refs. Plain data, no run-time dependencies.
 */
import { DELIVERY_DEFAULTS, deployScriptTimeoutMinutes, isDeliveryStep } from '../model/delivery-defaults.ts';
import type { ApprovalPolicy, DeliveryEnvironment, EvidenceExportStep, NotifyTarget } from '../model/delivery.ts';
import type { Stage, Step, When, WhenCondition } from '../model/schema.ts';
import { approvalCheck, ecsDeploy, eksDeploy, gitopsBump, notify, s3Publish, sonarQualityGate } from './steps.ts';

/**
 * The `when` of a deploy into `environment`: never for pull requests (FLOW-005), and only from
 * the environment's release branches (default `main`; exact names compared with EQUALS, globs
 * such as `release/*` with GLOB) or release tags. `beforeAgent` so no agent
 * is allocated for a skipped deploy.
 */
export function releaseWhen(environment: Pick<DeliveryEnvironment, 'releaseFrom'>, extra: Partial<When> = {}): When {
  const branches = environment.releaseFrom?.branches ?? DELIVERY_DEFAULTS.releaseFrom.branches;
  // A name with `*` or `?` is an Ant-style glob (`release/*`); any other name must match exactly.
  const refs: WhenCondition[] = branches.map((branch) => ({
    branch: { pattern: branch, comparator: /[*?]/.test(branch) ? ('GLOB' as const) : ('EQUALS' as const) },
  }));
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
 * Stage timeouts of the presets (BASE-001: every top-level stage is bounded, since a pipeline
 * timeout would also count the hours an approval may stay open). A stage timeout covers waiting for
 * the agent, the steps and the stage's `post`.
 */
export const STAGE_TIMEOUT_MINUTES = {
  /** Beyond the gate's own `timeout` around `waitForQualityGate`, which fires first. */
  qualityGateMargin: 5,
  /** A stage that only sends the "approval waiting" notification. */
  approvalRequest: 5,
  /** A deploy step without a timeout of its own (GitOps bump, S3 publish, traffic shift). */
  deployWithoutOwnTimeout: 15,
  /**
   * Beyond the deploy script's own timeout: waiting for the deploy agent and the lock, the post
   * safety-net rollback (up to 10 minutes of `services-stable` wait), notifications and the
   * evidence export.
   */
  deployMargin: 30,
} as const;

/** `options: { timeout }` in minutes. */
function stageTimeout(minutes: number): Stage['options'] {
  return { timeout: { time: minutes, unit: 'MINUTES' } };
}

/**
 * Minutes a deploy stage may take: the longest script timeout of its steps (or
 * {@link STAGE_TIMEOUT_MINUTES}.deployWithoutOwnTimeout) plus the deploy margin, so the stage
 * timeout never cuts a rollback that the step's own timeout allows for.
 */
export function deployStageTimeoutMinutes(steps: readonly Step[]): number {
  const own = steps.map((step) => (isDeliveryStep(step) ? deployScriptTimeoutMinutes(step) : undefined) ?? STAGE_TIMEOUT_MINUTES.deployWithoutOwnTimeout);
  return Math.max(STAGE_TIMEOUT_MINUTES.deployWithoutOwnTimeout, ...own) + STAGE_TIMEOUT_MINUTES.deployMargin;
}

/**
 * The SonarQube quality gate in its own `agent none` stage: waiting for SonarQube's webhook holds
 * no executor (SCAN-007), and the gate aborts the pipeline when it fails (SCAN-002). The step's
 * `timeout` bounds the wait; the stage timeout, a few minutes longer, bounds the stage (BASE-001).
 */
export function qualityGateStage(options: { timeoutMinutes?: number; name?: string; when?: When } = {}): Stage {
  const minutes = options.timeoutMinutes ?? DELIVERY_DEFAULTS.sonar.qualityGateTimeoutMinutes;
  return {
    name: options.name ?? 'Quality gate',
    agent: 'none',
    ...(options.when !== undefined ? { when: options.when } : {}),
    options: stageTimeout(minutes + STAGE_TIMEOUT_MINUTES.qualityGateMargin),
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

/** Options of {@link deployStage}. */
export interface DeployStageOptions {
  /** Stage name (default `Deploy <environment>`). */
  name?: string;
  /** Where `deployed` / `rolled-back` notifications go (default none). */
  notify?: NotifyTarget[];
  /** Service named in the notifications. */
  service?: string;
  /** Evidence export run in `post { cleanup }`, after everything else in the stage (AUDIT-002). */
  evidenceExport?: EvidenceExportStep;
  /** Stage timeout in minutes (default {@link deployStageTimeoutMinutes} of the steps). */
  timeoutMinutes?: number;
}

/**
 * A deploy stage: the environment's agent label, {@link releaseWhen}, a stage timeout, the given
 * steps, `deployed` / `rolled-back` notifications when targets are given, and the evidence export
 * in `post { cleanup }` when one is given.
 */
export function deployStage(environment: DeliveryEnvironment, steps: Step[], options: DeployStageOptions = {}): Stage {
  const targets = options.notify ?? [];
  const about = { environment: environment.name, ...(options.service !== undefined ? { service: options.service } : {}) };
  const post: NonNullable<Stage['post']> = {
    ...(targets.length > 0
      ? { success: [notify('deployed', targets, about)], unsuccessful: [notify('rolled-back', targets, about)] }
      : {}),
    // cleanup runs after every other condition, whatever the result: the export also sees the
    // safety-net rollback record, and a failed export cannot turn a release into a "rolled back".
    ...(options.evidenceExport !== undefined ? { cleanup: [options.evidenceExport] } : {}),
  };
  return {
    name: options.name ?? `Deploy ${environment.name}`,
    agent: { type: 'label', label: environment.agentLabel },
    when: releaseWhen(environment),
    options: stageTimeout(options.timeoutMinutes ?? deployStageTimeoutMinutes(steps)),
    steps,
    ...(Object.keys(post).length > 0 ? { post } : {}),
  };
}

/** A stage that only announces that an approval is waiting (before the approval stage's `input`). */
export function approvalRequestStage(environment: DeliveryEnvironment, targets: NotifyTarget[], service?: string): Stage {
  return {
    name: `Request ${environment.name} approval`,
    agent: 'none',
    when: releaseWhen(environment),
    options: stageTimeout(STAGE_TIMEOUT_MINUTES.approvalRequest),
    steps: [notify('approval', targets, { environment: environment.name, ...(service !== undefined ? { service } : {}) })],
  };
}
