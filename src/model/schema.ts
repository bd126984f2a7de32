/**
 * The pipeline model: zod schemas are the single source of truth. The TypeScript types that
 * pipeline authors write against (`Pipeline`, `Stage`, `Step`, ...) are inferred from them, so
 * runtime validation and editor completion can never disagree.
 *
 * Shape rules that Jenkins itself enforces across fields (exactly one of steps/stages/parallel/
 * matrix, duplicate stage names, identifiers, ...) live in `src/validate/structure.ts`, where they
 * can use Jenkins' own message text.
 */
import { z } from 'zod';
import { dataRecord, SuppressionSchema, type Suppression } from './common.ts';
import { DELIVERY_STEP_SCHEMAS, DeliveryEnvironmentSchema, type DeliveryStep } from './delivery.ts';

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** A raw Groovy expression, emitted verbatim. An escape hatch: policy flags it. */
export interface GroovyExpression {
  /** Groovy source of the expression, e.g. `currentBuild.number`. */
  $groovy: string;
}

/** Any value that can be passed as a step argument. Strings are always emitted as literals. */
export type GroovyValue =
  | string
  | number
  | boolean
  | null
  | GroovyExpression
  | readonly GroovyValue[]
  | { readonly [key: string]: GroovyValue };

export const GroovyExpressionSchema = z.strictObject({
  $groovy: z.string().min(1, 'a Groovy expression must not be empty'),
});

const finiteNumber = z.number().refine(Number.isFinite, 'expected a finite number');

export const GroovyValueSchema: z.ZodType<GroovyValue, GroovyValue> = z.lazy(() =>
  z.union([
    z.string(),
    finiteNumber,
    z.boolean(),
    z.null(),
    GroovyExpressionSchema,
    z.array(GroovyValueSchema).readonly(),
    dataRecord(z.string(), GroovyValueSchema).readonly(),
  ]),
);

const nonEmpty = (what: string) => z.string().min(1, `${what} must not be empty`);
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

export const TimeUnitSchema = z.enum([
  'NANOSECONDS',
  'MICROSECONDS',
  'MILLISECONDS',
  'SECONDS',
  'MINUTES',
  'HOURS',
  'DAYS',
]);
export type TimeUnit = z.infer<typeof TimeUnitSchema>;

// ---------------------------------------------------------------------------------------------
// Suppressions (consumed by the policy engine; declared here so every node can carry them)
// ---------------------------------------------------------------------------------------------

export { SuppressionSchema, type Suppression };

const suppressions = z.array(SuppressionSchema).optional();

// ---------------------------------------------------------------------------------------------
// Agents
// ---------------------------------------------------------------------------------------------

const dockerCommon = {
  /** Agent label to run the container on. */
  label: z.string().optional(),
  /** Extra `docker run` arguments. */
  args: z.string().optional(),
  /** Custom workspace path. */
  customWorkspace: z.string().optional(),
  /** Reuse the node and workspace of the enclosing pipeline/stage agent. */
  reuseNode: z.boolean().optional(),
  /** Registry URL to pull from. */
  registryUrl: z.string().optional(),
  /** Jenkins credentials id for the registry. */
  registryCredentialsId: z.string().optional(),
};

export const AgentSchema = z.union([
  z.literal('any'),
  z.literal('none'),
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('label'),
      /** Label expression selecting the agent, e.g. `linux && docker`. */
      label: nonEmpty('label'),
      customWorkspace: z.string().optional(),
      retries: nonNegativeInt.optional(),
    }),
    z.strictObject({
      type: z.literal('node'),
      label: nonEmpty('label'),
      customWorkspace: z.string().optional(),
      retries: nonNegativeInt.optional(),
    }),
    z.strictObject({
      type: z.literal('docker'),
      /** Image to run the steps in; pin it by digest for reproducible builds. */
      image: nonEmpty('image'),
      /** Always pull the image before running. */
      alwaysPull: z.boolean().optional(),
      ...dockerCommon,
    }),
    z.strictObject({
      type: z.literal('dockerfile'),
      /** Dockerfile name (default `Dockerfile`). */
      filename: z.string().optional(),
      /** Build context directory. */
      dir: z.string().optional(),
      /** Extra `docker build` arguments. */
      additionalBuildArgs: z.string().optional(),
      ...dockerCommon,
    }),
    z.strictObject({
      type: z.literal('kubernetes'),
      /** Pod template as YAML. */
      yaml: z.string().optional(),
      /** Path of a pod template YAML file in the repository. */
      yamlFile: z.string().optional(),
      cloud: z.string().optional(),
      inheritFrom: z.string().optional(),
      defaultContainer: z.string().optional(),
      namespace: z.string().optional(),
      label: z.string().optional(),
      serviceAccount: z.string().optional(),
      nodeSelector: z.string().optional(),
      customWorkspace: z.string().optional(),
    }),
    /**
     * An agent type pipewright does not model (a plugin's), or a modelled one written in a form
     * it does not type (e.g. a GString label). Escape hatch, as `options.custom`.
     */
    z.strictObject({
      type: z.literal('custom'),
      /** Agent type symbol, e.g. `ecs`. */
      name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a Groovy identifier'),
      /** One-argument form: `agent { name value }`. */
      value: GroovyValueSchema.optional(),
      /** Block form: `agent { name { key value ... } }`, in this order (wins over `value`). */
      block: dataRecord(z.string(), GroovyValueSchema).optional(),
    }),
  ]),
]);
export type Agent = z.input<typeof AgentSchema>;

// ---------------------------------------------------------------------------------------------
// Environment, parameters, triggers, tools
// ---------------------------------------------------------------------------------------------

/** `credentials('id')`: binds a Jenkins credential to an environment variable. */
export const CredentialsRefSchema = z.strictObject({
  /** Jenkins credentials id. */
  credentials: nonEmpty('credentials id'),
});

export const EnvironmentValueSchema = z.union([
  z.string(),
  finiteNumber,
  z.boolean(),
  CredentialsRefSchema,
  GroovyExpressionSchema,
]);
/** Environment variables; keys must be Java identifiers. Values are literal (never interpolated). */
export const EnvironmentSchema = dataRecord(z.string(), EnvironmentValueSchema);
export type Environment = z.input<typeof EnvironmentSchema>;

const paramCommon = {
  /** Parameter name (becomes `params.NAME`). */
  name: nonEmpty('parameter name'),
  /** Help text shown in "Build with Parameters". */
  description: z.string().optional(),
};

export const ParameterSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    ...paramCommon,
    defaultValue: z.string().optional(),
    /** Trim leading and trailing whitespace. */
    trim: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('text'), ...paramCommon, defaultValue: z.string().optional() }),
  z.strictObject({ type: z.literal('booleanParam'), ...paramCommon, defaultValue: z.boolean().optional() }),
  z.strictObject({
    type: z.literal('choice'),
    ...paramCommon,
    /** The choices; the first one is the default. */
    choices: z.array(z.string()).min(1, 'a choice parameter needs at least one choice'),
  }),
  z.strictObject({ type: z.literal('password'), ...paramCommon, defaultValue: z.string().optional() }),
  /** A parameter type pipewright does not model (e.g. `credentials`, `run`): `symbol(name: ..., ...args)`. */
  z.strictObject({
    type: z.literal('custom'),
    /** Parameter type symbol. */
    symbol: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a Groovy identifier'),
    ...paramCommon,
    /** Further named arguments, emitted after `name` and `description`. */
    args: dataRecord(z.string(), GroovyValueSchema).optional(),
  }),
]);
export type Parameter = z.input<typeof ParameterSchema>;

export const TriggersSchema = z.strictObject({
  /** Cron spec, e.g. `H 2 * * 1-5`. */
  cron: z.string().optional(),
  /** SCM polling spec, e.g. `H/15 * * * *`. */
  pollSCM: z.string().optional(),
  /** Build when one of these jobs completes. */
  upstream: z
    .strictObject({
      upstreamProjects: z.union([z.string(), z.array(z.string()).min(1)]),
      /** Minimum result of the upstream build (default SUCCESS). */
      threshold: z.enum(['SUCCESS', 'UNSTABLE', 'FAILURE']).optional(),
    })
    .optional(),
  /** Triggers from plugins that pipewright does not model, e.g. `{ name: 'githubPush' }`. */
  custom: z.array(z.lazy(() => CustomCallSchema)).optional(),
});
export type Triggers = z.input<typeof TriggersSchema>;

/**
 * Tool installations by tool type, e.g. `{ nodejs: 'node-20' }`; a `groovy()` version (an imported
 * `jdk "${JDK}"`) is emitted as written.
 */
export const ToolsSchema = dataRecord(z.string(), z.union([nonEmpty('tool version'), GroovyExpressionSchema]));
export type Tools = z.input<typeof ToolsSchema>;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

export const TimeoutSchema = z.strictObject({
  /** Amount of time. */
  time: positiveInt,
  /** Unit (default MINUTES). */
  unit: TimeUnitSchema.optional(),
  /** Measure inactivity (no log output) instead of absolute time. */
  activity: z.boolean().optional(),
});

export const LockOptionSchema = z.strictObject({
  /** Name of the lockable resource. */
  resource: z.string().optional(),
  /** Lock any resource with this label. */
  label: z.string().optional(),
  quantity: positiveInt.optional(),
  inversePrecedence: z.boolean().optional(),
});

/** A plugin option not modelled here, e.g. `{ name: 'ansiColor', args: ['xterm'] }`. */
export const CustomCallSchema = z.strictObject({
  /** Symbol name of the option/step. */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a Groovy identifier'),
  /** Named arguments (object) or positional arguments (array). */
  args: z.union([z.array(GroovyValueSchema), dataRecord(z.string(), GroovyValueSchema)]).optional(),
});
export type CustomCall = z.input<typeof CustomCallSchema>;

const wrapperOptions = {
  /** Abort the pipeline/stage after this time. */
  timeout: TimeoutSchema.optional(),
  /** Retry the whole pipeline/stage this many times. */
  retry: positiveInt.optional(),
  /** Prefix log lines with timestamps. */
  timestamps: z.boolean().optional(),
  /** Hold a lockable resource for the duration. */
  lock: LockOptionSchema.optional(),
  /** Skip the automatic `checkout scm`. */
  skipDefaultCheckout: z.boolean().optional(),
  /** Check out into this subdirectory. */
  checkoutToSubdirectory: z.string().optional(),
  /** Options from plugins that pipewright does not model. */
  custom: z.array(CustomCallSchema).optional(),
};

export const PipelineOptionsSchema = z.strictObject({
  ...wrapperOptions,
  /** Keep only the most recent builds/artifacts. */
  buildDiscarder: z
    .strictObject({
      // Jenkins' LogRotator accepts 0 (keep none), e.g. artifactNumToKeepStr: '0'.
      numToKeep: nonNegativeInt.optional(),
      daysToKeep: nonNegativeInt.optional(),
      artifactNumToKeep: nonNegativeInt.optional(),
      artifactDaysToKeep: nonNegativeInt.optional(),
    })
    .optional(),
  /** Never run two builds of this job at once; `{ abortPrevious: true }` aborts the older one. */
  disableConcurrentBuilds: z.union([z.boolean(), z.strictObject({ abortPrevious: z.boolean() })]).optional(),
  /** Do not resume after a controller restart. */
  disableResume: z.boolean().optional(),
  /** Disallow "Restart from stage". */
  disableRestartFromStage: z.boolean().optional(),
  durabilityHint: z.enum(['MAX_SURVIVABILITY', 'PERFORMANCE_OPTIMIZED', 'SURVIVABLE_NONATOMIC']).optional(),
  overrideIndexTriggers: z.boolean().optional(),
  /** Keep stashes of this many completed builds for restarts. */
  preserveStashes: z.strictObject({ buildCount: positiveInt.optional() }).optional(),
  /** Quiet period in seconds. */
  quietPeriod: nonNegativeInt.optional(),
  /** Abort all parallel branches when one fails. */
  parallelsAlwaysFailFast: z.boolean().optional(),
  /** Skip later stages once the build is UNSTABLE. */
  skipStagesAfterUnstable: z.boolean().optional(),
  /** Fresh container per stage (docker agents). */
  newContainerPerStage: z.boolean().optional(),
});
export type PipelineOptions = z.input<typeof PipelineOptionsSchema>;

export const StageOptionsSchema = z.strictObject(wrapperOptions);
export type StageOptions = z.input<typeof StageOptionsSchema>;

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

export type Step =
  | ShStep
  | EchoStep
  | CheckoutScmStep
  | GitStep
  | JunitStep
  | ArchiveArtifactsStep
  | StashStep
  | UnstashStep
  | DirStep
  | WithCredentialsStep
  | TimeoutStep
  | RetryStep
  | LockStep
  | ScriptStep
  | GenericStep
  // Typed delivery steps (scans, image, registry, deploys, approvals, notifications): delivery.ts.
  | DeliveryStep;

export interface ShStep {
  step: 'sh';
  /** Shell script. Emitted single-quoted: the shell, not Groovy, expands `$VARS`. */
  script: string;
  /** Label shown in the Jenkins UI instead of the script. */
  label?: string;
  /**
   * Return the exit status instead of failing. Swallows failures, so it needs a reason
   * (at least 10 characters) in `returnStatusReason`.
   */
  returnStatus?: boolean;
  /** Why a failing exit status may be ignored. Required with `returnStatus`. */
  returnStatusReason?: string;
  suppressions?: Suppression[];
}
export interface EchoStep {
  step: 'echo';
  /** Message, printed literally. */
  message: string;
  suppressions?: Suppression[];
}
export interface CheckoutScmStep {
  step: 'checkout';
  /** Check out the SCM the pipeline was loaded from (`checkout scm`). */
  scm: true;
  suppressions?: Suppression[];
}
export interface GitStep {
  step: 'git';
  url: string;
  branch?: string;
  credentialsId?: string;
  changelog?: boolean;
  poll?: boolean;
  suppressions?: Suppression[];
}
export interface JunitStep {
  step: 'junit';
  /** Ant-style pattern of JUnit XML reports. */
  testResults: string;
  allowEmptyResults?: boolean;
  keepLongStdio?: boolean;
  skipPublishingChecks?: boolean;
  suppressions?: Suppression[];
}
export interface ArchiveArtifactsStep {
  step: 'archiveArtifacts';
  /** Ant-style pattern of files to archive. */
  artifacts: string;
  excludes?: string;
  allowEmptyArchive?: boolean;
  fingerprint?: boolean;
  onlyIfSuccessful?: boolean;
  suppressions?: Suppression[];
}
export interface StashStep {
  step: 'stash';
  name: string;
  includes?: string;
  excludes?: string;
  allowEmpty?: boolean;
  useDefaultExcludes?: boolean;
  suppressions?: Suppression[];
}
export interface UnstashStep {
  step: 'unstash';
  name: string;
  suppressions?: Suppression[];
}
export interface DirStep {
  step: 'dir';
  /** Directory, relative to the workspace. */
  path: string;
  steps: Step[];
  suppressions?: Suppression[];
}
export type CredentialBinding =
  | { type: 'usernamePassword'; credentialsId: string; usernameVariable: string; passwordVariable: string }
  | { type: 'string'; credentialsId: string; variable: string }
  | { type: 'file'; credentialsId: string; variable: string }
  | {
      type: 'sshUserPrivateKey';
      credentialsId: string;
      keyFileVariable: string;
      usernameVariable?: string;
      passphraseVariable?: string;
    };
export interface WithCredentialsStep {
  step: 'withCredentials';
  /** Credentials bound to environment variables for the nested steps only. */
  bindings: CredentialBinding[];
  steps: Step[];
  suppressions?: Suppression[];
}
export interface TimeoutStep {
  step: 'timeout';
  time: number;
  unit?: TimeUnit;
  activity?: boolean;
  steps: Step[];
  suppressions?: Suppression[];
}
export interface RetryStep {
  step: 'retry';
  count: number;
  steps: Step[];
  suppressions?: Suppression[];
}
export interface LockStep {
  step: 'lock';
  resource?: string;
  label?: string;
  quantity?: number;
  inversePrecedence?: boolean;
  steps: Step[];
  suppressions?: Suppression[];
}
export interface ScriptStep {
  step: 'script';
  /** Raw Groovy, emitted verbatim inside `script { }`. The escape hatch: policy flags it. */
  groovy: string;
  suppressions?: Suppression[];
}
export interface GenericStep {
  step: 'step';
  /** Step symbol, e.g. `recordIssues`. */
  name: string;
  /** Named arguments (object) or positional arguments (array). */
  args?: readonly GroovyValue[] | { readonly [key: string]: GroovyValue };
  /** Nested steps for block-taking steps. */
  body?: Step[];
  suppressions?: Suppression[];
}

const identifier = (what: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, `${what} must be an identifier ([A-Za-z_][A-Za-z0-9_]*)`);

const stepBase = { suppressions };

export const StepSchema: z.ZodType<Step, Step> = z.lazy(() =>
  z.discriminatedUnion('step', [
    z.strictObject({
      step: z.literal('sh'),
      script: nonEmpty('script'),
      label: z.string().optional(),
      returnStatus: z.boolean().optional(),
      returnStatusReason: z.string().optional(),
      ...stepBase,
    }),
    z.strictObject({ step: z.literal('echo'), message: z.string(), ...stepBase }),
    z.strictObject({ step: z.literal('checkout'), scm: z.literal(true), ...stepBase }),
    z.strictObject({
      step: z.literal('git'),
      url: nonEmpty('url'),
      branch: z.string().optional(),
      credentialsId: z.string().optional(),
      changelog: z.boolean().optional(),
      poll: z.boolean().optional(),
      ...stepBase,
    }),
    z.strictObject({
      step: z.literal('junit'),
      testResults: nonEmpty('testResults'),
      allowEmptyResults: z.boolean().optional(),
      keepLongStdio: z.boolean().optional(),
      skipPublishingChecks: z.boolean().optional(),
      ...stepBase,
    }),
    z.strictObject({
      step: z.literal('archiveArtifacts'),
      artifacts: nonEmpty('artifacts'),
      excludes: z.string().optional(),
      allowEmptyArchive: z.boolean().optional(),
      fingerprint: z.boolean().optional(),
      onlyIfSuccessful: z.boolean().optional(),
      ...stepBase,
    }),
    z.strictObject({
      step: z.literal('stash'),
      name: nonEmpty('stash name'),
      includes: z.string().optional(),
      excludes: z.string().optional(),
      allowEmpty: z.boolean().optional(),
      useDefaultExcludes: z.boolean().optional(),
      ...stepBase,
    }),
    z.strictObject({ step: z.literal('unstash'), name: nonEmpty('stash name'), ...stepBase }),
    z.strictObject({ step: z.literal('dir'), path: nonEmpty('path'), steps: z.array(StepSchema), ...stepBase }),
    z.strictObject({
      step: z.literal('withCredentials'),
      bindings: z
        .array(
          z.discriminatedUnion('type', [
            z.strictObject({
              type: z.literal('usernamePassword'),
              credentialsId: nonEmpty('credentialsId'),
              usernameVariable: identifier('usernameVariable'),
              passwordVariable: identifier('passwordVariable'),
            }),
            z.strictObject({
              type: z.literal('string'),
              credentialsId: nonEmpty('credentialsId'),
              variable: identifier('variable'),
            }),
            z.strictObject({
              type: z.literal('file'),
              credentialsId: nonEmpty('credentialsId'),
              variable: identifier('variable'),
            }),
            z.strictObject({
              type: z.literal('sshUserPrivateKey'),
              credentialsId: nonEmpty('credentialsId'),
              keyFileVariable: identifier('keyFileVariable'),
              usernameVariable: identifier('usernameVariable').optional(),
              passphraseVariable: identifier('passphraseVariable').optional(),
            }),
          ]),
        )
        .min(1, 'withCredentials needs at least one binding'),
      steps: z.array(StepSchema),
      ...stepBase,
    }),
    z.strictObject({
      step: z.literal('timeout'),
      time: positiveInt,
      unit: TimeUnitSchema.optional(),
      activity: z.boolean().optional(),
      steps: z.array(StepSchema),
      ...stepBase,
    }),
    z.strictObject({ step: z.literal('retry'), count: positiveInt, steps: z.array(StepSchema), ...stepBase }),
    z.strictObject({
      step: z.literal('lock'),
      resource: z.string().optional(),
      label: z.string().optional(),
      quantity: positiveInt.optional(),
      inversePrecedence: z.boolean().optional(),
      steps: z.array(StepSchema),
      ...stepBase,
    }),
    z.strictObject({ step: z.literal('script'), groovy: nonEmpty('groovy'), ...stepBase }),
    z.strictObject({
      step: z.literal('step'),
      name: identifier('step name'),
      args: z.union([z.array(GroovyValueSchema).readonly(), dataRecord(z.string(), GroovyValueSchema).readonly()]).optional(),
      body: z.array(StepSchema).optional(),
      ...stepBase,
    }),
    ...DELIVERY_STEP_SCHEMAS,
  ]),
) as z.ZodType<Step, Step>;

// ---------------------------------------------------------------------------------------------
// when
// ---------------------------------------------------------------------------------------------

export const ComparatorSchema = z.enum(['EQUALS', 'GLOB', 'REGEXP']);

const patternCondition = z.union([
  z.string(),
  z.strictObject({ pattern: z.string(), comparator: ComparatorSchema.optional() }),
]);

/**
 * A `when` condition. Each key is one Jenkins condition; several keys in one object all have to
 * hold (Jenkins treats several conditions in one `when` as `allOf`).
 */
export interface WhenCondition {
  /** Branch name matches (`GLOB` by default), e.g. `'main'` or `'release/*'`. */
  branch?: string | { pattern: string; comparator?: 'EQUALS' | 'GLOB' | 'REGEXP' };
  /** The build is building a tag. */
  buildingTag?: true;
  /** A commit message in the changelog matches this regular expression. */
  changelog?: string;
  /** A changed file matches this pattern. */
  changeset?: string | { pattern: string; comparator?: 'EQUALS' | 'GLOB' | 'REGEXP'; caseSensitive?: boolean };
  /** The build is for a change request (pull request); optionally filtered. */
  changeRequest?:
    | true
    | {
        id?: string;
        target?: string;
        branch?: string;
        fork?: string;
        url?: string;
        title?: string;
        author?: string;
        authorDisplayName?: string;
        authorEmail?: string;
        comparator?: 'EQUALS' | 'GLOB' | 'REGEXP';
      };
  /** An environment variable has the given value. */
  environment?: { name: string; value: string; ignoreCase?: boolean };
  /** `expected` equals `actual`. */
  equals?: { expected: GroovyValue; actual: GroovyValue };
  /** Raw Groovy boolean expression (escape hatch, flagged by policy). */
  expression?: string;
  /** The build is for a tag matching this pattern. */
  tag?: string | { pattern: string; comparator?: 'EQUALS' | 'GLOB' | 'REGEXP' };
  /** The build was triggered by this cause, e.g. `'TimerTrigger'`. */
  triggeredBy?: string | { cause: string; detail?: string };
  /** The build is a restart of an earlier run. */
  isRestartedRun?: true;
  /** All of these hold. */
  allOf?: WhenCondition[];
  /** At least one of these holds. */
  anyOf?: WhenCondition[];
  /** This does not hold. */
  not?: WhenCondition;
}

/** `when` of a stage: conditions plus the evaluation-order flags. */
export interface When extends WhenCondition {
  /** Evaluate before entering the stage's agent. */
  beforeAgent?: boolean;
  /** Evaluate before the stage's input. */
  beforeInput?: boolean;
  /** Evaluate before the stage's options. */
  beforeOptions?: boolean;
}

/** The condition keys, in the order they are emitted. */
export const WHEN_CONDITION_KEYS = [
  'branch',
  'buildingTag',
  'changelog',
  'changeset',
  'changeRequest',
  'environment',
  'equals',
  'expression',
  'tag',
  'triggeredBy',
  'isRestartedRun',
  'allOf',
  'anyOf',
  'not',
] as const satisfies readonly (keyof WhenCondition)[];

const conditionShape = {
  branch: patternCondition.optional(),
  buildingTag: z.literal(true).optional(),
  changelog: z.string().optional(),
  changeset: z
    .union([
      z.string(),
      z.strictObject({
        pattern: z.string(),
        comparator: ComparatorSchema.optional(),
        caseSensitive: z.boolean().optional(),
      }),
    ])
    .optional(),
  changeRequest: z
    .union([
      z.literal(true),
      z.strictObject({
        id: z.string().optional(),
        target: z.string().optional(),
        branch: z.string().optional(),
        fork: z.string().optional(),
        url: z.string().optional(),
        title: z.string().optional(),
        author: z.string().optional(),
        authorDisplayName: z.string().optional(),
        authorEmail: z.string().optional(),
        comparator: ComparatorSchema.optional(),
      }),
    ])
    .optional(),
  environment: z.strictObject({ name: z.string(), value: z.string(), ignoreCase: z.boolean().optional() }).optional(),
  equals: z.strictObject({ expected: GroovyValueSchema, actual: GroovyValueSchema }).optional(),
  expression: nonEmpty('expression').optional(),
  tag: patternCondition.optional(),
  triggeredBy: z.union([z.string(), z.strictObject({ cause: z.string(), detail: z.string().optional() })]).optional(),
  isRestartedRun: z.literal(true).optional(),
  get allOf() {
    return z.array(WhenConditionSchema).min(1, 'allOf needs at least one condition').optional();
  },
  get anyOf() {
    return z.array(WhenConditionSchema).min(1, 'anyOf needs at least one condition').optional();
  },
  get not() {
    return WhenConditionSchema.optional();
  },
};

const CONDITION_KEYS: ReadonlySet<string> = new Set(WHEN_CONDITION_KEYS);
/** Whether a parsed condition sets a condition: a walk of its own few keys (it is plain data of the shape's keys), not a test of all fourteen. */
const atLeastOneCondition = (value: Record<string, unknown>) => {
  for (const key in value) if (value[key] !== undefined && CONDITION_KEYS.has(key)) return true;
  return false;
};
const noConditionMessage = `expected at least one condition (${WHEN_CONDITION_KEYS.join(', ')})`;

export const WhenConditionSchema: z.ZodType<WhenCondition, WhenCondition> = z
  .strictObject(conditionShape)
  .refine(atLeastOneCondition, noConditionMessage) as z.ZodType<WhenCondition, WhenCondition>;

export const WhenSchema: z.ZodType<When, When> = z
  .strictObject({
    ...conditionShape,
    beforeAgent: z.boolean().optional(),
    beforeInput: z.boolean().optional(),
    beforeOptions: z.boolean().optional(),
  })
  .refine(atLeastOneCondition, noConditionMessage) as z.ZodType<When, When>;

// ---------------------------------------------------------------------------------------------
// input, post, matrix, stages
// ---------------------------------------------------------------------------------------------

export const InputSchema = z.strictObject({
  /** Question shown to the approver. Required by Jenkins. */
  message: z.string(),
  /** Input id (defaults to a hash of the message). */
  id: z.string().optional(),
  /** Text of the "proceed" button. */
  ok: z.string().optional(),
  /** Users or groups allowed to approve (joined with commas). Admins can always approve. */
  submitter: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  /** Environment variable that receives the approver's user id. */
  submitterParameter: identifier('submitterParameter').optional(),
  /** Parameters the approver fills in. */
  parameters: z.array(ParameterSchema).optional(),
});
export type Input = z.input<typeof InputSchema>;

/** Post-condition names in the order Jenkins runs them (BuildCondition ordinals). */
export const POST_CONDITIONS = [
  'always',
  'changed',
  'fixed',
  'regression',
  'aborted',
  'success',
  'unsuccessful',
  'unstable',
  'failure',
  'notBuilt',
  'cleanup',
] as const;
export type PostCondition = (typeof POST_CONDITIONS)[number];

const stepList = z.array(StepSchema);
export const PostSchema = z.strictObject({
  /** Always, whatever the result. */
  always: stepList.optional(),
  /** When the result differs from the previous build's. */
  changed: stepList.optional(),
  /** When this build succeeded and the previous one failed or was unstable. */
  fixed: stepList.optional(),
  /** When this build failed or is unstable and the previous one succeeded. */
  regression: stepList.optional(),
  /** When the build was aborted. */
  aborted: stepList.optional(),
  /** When the build succeeded. */
  success: stepList.optional(),
  /** When the build did not succeed. */
  unsuccessful: stepList.optional(),
  /** When the build is unstable. */
  unstable: stepList.optional(),
  /** When the build failed. */
  failure: stepList.optional(),
  /** When the build was not built. */
  notBuilt: stepList.optional(),
  /** After every other condition, whatever the result. */
  cleanup: stepList.optional(),
});
export type Post = z.input<typeof PostSchema>;

export const AxisSchema = z.strictObject({
  /** Axis name; becomes an environment variable. */
  name: z.string(),
  /** Values of the axis. */
  values: z.array(z.string()).min(1, 'an axis needs at least one value'),
});

export const ExcludeAxisSchema = z.strictObject({
  name: z.string(),
  /** Exclude these values ... */
  values: z.array(z.string()).min(1).optional(),
  /** ... or every value except these. */
  notValues: z.array(z.string()).min(1).optional(),
});

export interface Matrix {
  /** The axes; every combination of their values runs `stages`. */
  axes: { name: string; values: string[] }[];
  /** Combinations to leave out. */
  excludes?: { axes: { name: string; values?: string[]; notValues?: string[] }[] }[];
  agent?: Agent;
  when?: When;
  environment?: Environment;
  options?: StageOptions;
  input?: Input;
  tools?: Tools;
  post?: Post;
  /** The stages run for each combination. */
  stages: Stage[];
}

export interface Stage {
  /** Stage name, unique among its siblings. */
  name: string;
  /** Agent for this stage (overrides the pipeline's). */
  agent?: Agent;
  /** Run the stage only when these conditions hold. */
  when?: When;
  tools?: Tools;
  /** Environment variables for this stage only. */
  environment?: Environment;
  options?: StageOptions;
  /** Wait for a person to approve before running the stage. */
  input?: Input;
  post?: Post;
  /** For `parallel`/`matrix` stages: abort the other branches when one fails. */
  failFast?: boolean;
  /** The steps (exactly one of steps, stages, parallel, matrix). */
  steps?: Step[];
  /** Sequential nested stages. */
  stages?: Stage[];
  /** Parallel branches. */
  parallel?: Stage[];
  /** A matrix of parallel branches. */
  matrix?: Matrix;
  /** Policy suppressions that apply to this stage and everything in it. */
  suppressions?: Suppression[];
}

export const StageSchema: z.ZodType<Stage, Stage> = z.lazy(() =>
  z.strictObject({
    name: z.string(),
    agent: AgentSchema.optional(),
    when: WhenSchema.optional(),
    tools: ToolsSchema.optional(),
    environment: EnvironmentSchema.optional(),
    options: StageOptionsSchema.optional(),
    input: InputSchema.optional(),
    post: PostSchema.optional(),
    failFast: z.boolean().optional(),
    steps: z.array(StepSchema).optional(),
    stages: z.array(StageSchema).optional(),
    parallel: z.array(StageSchema).optional(),
    matrix: MatrixSchema.optional(),
    suppressions,
  }),
) as z.ZodType<Stage, Stage>;

export const MatrixSchema: z.ZodType<Matrix, Matrix> = z.lazy(() =>
  z.strictObject({
    axes: z.array(AxisSchema),
    excludes: z.array(z.strictObject({ axes: z.array(ExcludeAxisSchema) })).optional(),
    agent: AgentSchema.optional(),
    when: WhenSchema.optional(),
    environment: EnvironmentSchema.optional(),
    options: StageOptionsSchema.optional(),
    input: InputSchema.optional(),
    tools: ToolsSchema.optional(),
    post: PostSchema.optional(),
    stages: z.array(StageSchema),
  }),
) as z.ZodType<Matrix, Matrix>;

// ---------------------------------------------------------------------------------------------
// Pipeline
// ---------------------------------------------------------------------------------------------

export const PipelineSchema = z.strictObject({
  /** Pipeline name; defaults to the file name without `.pipeline.ts`. Used for the output path. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a pipeline name may use letters, digits, ".", "_" and "-"')
    .optional(),
  /** Where to write the Jenkinsfile, relative to the project root (default `generated/<name>/Jenkinsfile`). */
  output: z.string().optional(),
  /** Where the pipeline runs. Required by Jenkins; use `'none'` and per-stage agents for deploys. */
  agent: AgentSchema,
  environment: EnvironmentSchema.optional(),
  options: PipelineOptionsSchema.optional(),
  parameters: z.array(ParameterSchema).optional(),
  triggers: TriggersSchema.optional(),
  tools: ToolsSchema.optional(),
  /** Shared libraries, e.g. `['pipeline-lib@v1.4.2']`. Pin them to a tag or commit. */
  libraries: z.array(nonEmpty('library')).optional(),
  /**
   * Raw Groovy emitted verbatim before the `pipeline` block (`import`s, `def` helpers). An escape
   * hatch for imported Jenkinsfiles: policy flags it (PIPE-001). Prefer `libraries` and typed steps.
   */
  groovyPrologue: nonEmpty('groovyPrologue').optional(),
  /** Raw Groovy emitted verbatim after the `pipeline` block (`def` helpers). An escape hatch, like `groovyPrologue`. */
  groovyEpilogue: nonEmpty('groovyEpilogue').optional(),
  /** The stages, in order. */
  stages: z.array(StageSchema),
  post: PostSchema.optional(),
  /**
   * Delivery environments in promotion order (dev → stage → prod). Not emitted: the deploy stages
   * carry their own settings; the policy engine checks them against this list (IAM-002, FLOW-006).
   */
  environments: z.array(DeliveryEnvironmentSchema).optional(),
  /** Policy suppressions that apply to the whole pipeline. */
  suppressions,
});

/** A pipeline as written by its author (the input type of `definePipeline`). */
export type Pipeline = z.input<typeof PipelineSchema>;
/** A pipeline after schema validation. */
export type ValidPipeline = z.output<typeof PipelineSchema>;
