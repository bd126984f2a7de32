/**
 * The option keys each preset reads, as plain data for the compiler: a preset picks the options
 * it knows and ignores the rest, so a misspelt key (`regoin`, `overrides: { lnt: false }`) would
 * otherwise change nothing and say nothing. The compiler checks the preset calls a pipeline file
 * writes against these trees (see `src/validate/preset-options.ts`).
 *
 * Each table is checked against the preset's option type (`satisfies AllKeys<…>`), so adding an
 * option to a preset without listing it here fails type checking.
 * Not re-exported to pipeline authors.
 */
import type { EvidenceExportSettings, FeatureFlagSettings, NodeServiceOptions, NodeServiceOverrides, NotificationSettings } from './node-service.ts';
import type { ReactAppOptions, ReactAppOverrides } from './react-app.ts';

/**
 * Known keys of an options object: `true` for a key whose value is not checked further (a
 * value the model validates anyway, a function, an array), or the keys of its object value.
 */
export type OptionKeyTree = { readonly [key: string]: true | OptionKeyTree };

/** Every key of `T`, no more. */
type AllKeys<T> = { readonly [K in keyof Required<T>]: true | OptionKeyTree };

const REGISTRY = { accountId: true, region: true, pushRole: true, repository: true } as const satisfies AllKeys<NodeServiceOptions['registry']>;

const NOTIFICATIONS = {
  slack: { channel: true, tokenCredentialId: true, teamDomain: true } satisfies AllKeys<NonNullable<NotificationSettings['slack']>>,
  teams: { webhookCredentialId: true } satisfies AllKeys<NonNullable<NotificationSettings['teams']>>,
  sns: { topicArn: true, role: true, environments: true } satisfies AllKeys<NonNullable<NotificationSettings['sns']>>,
  email: { to: true } satisfies AllKeys<NonNullable<NotificationSettings['email']>>,
} as const satisfies AllKeys<NotificationSettings>;

const FEATURE_FLAGS = {
  provider: true,
  application: true,
  configurationProfile: true,
  strategy: true,
  timeoutMinutes: true,
  environments: true,
} as const satisfies AllKeys<FeatureFlagSettings>;

const EVIDENCE_EXPORT = { bucket: true, prefix: true, aws: true, retainDays: true } as const satisfies AllKeys<EvidenceExportSettings>;

/** Step overrides are spread into the steps, so the model reports their unknown keys; `ecsDeploy` is picked. */
const OVERRIDES = {
  install: true,
  lint: true,
  unitTests: true,
  trivyFs: true,
  snyk: true,
  sonar: true,
  dockerBuild: true,
  trivyImage: true,
  snykContainer: true,
  sbom: true,
  sign: true,
  ecsDeploy: { engine: true, timeoutMinutes: true, smokeTest: true, bake: true } satisfies AllKeys<NonNullable<NodeServiceOverrides['ecsDeploy']>>,
  notifications: true,
  evidenceExport: true,
  stages: true,
  options: true,
} as const satisfies AllKeys<NodeServiceOverrides>;

const COMMON = {
  name: true,
  registry: REGISTRY,
  environments: true,
  sonar: { installation: true, projectKey: true } satisfies AllKeys<NonNullable<NodeServiceOptions['sonar']>>,
  signing: { key: true, role: true } satisfies AllKeys<NonNullable<NodeServiceOptions['signing']>>,
  notifications: NOTIFICATIONS,
  buildAgent: true,
  nodeTool: true,
  toolVersions: { trivy: true, snyk: true } satisfies AllKeys<NonNullable<NodeServiceOptions['toolVersions']>>,
  snykOrg: true,
  evidenceExport: EVIDENCE_EXPORT,
  featureFlags: FEATURE_FLAGS,
  costAllocation: { team: true, costCenter: true, tags: true } satisfies AllKeys<NonNullable<NodeServiceOptions['costAllocation']>>,
} as const;

/** `nodeService({ … })` */
export const NODE_SERVICE_OPTION_KEYS = { ...COMMON, smokeTest: true, overrides: OVERRIDES } as const satisfies AllKeys<NodeServiceOptions>;

/** `reactApp({ … })` */
export const REACT_APP_OPTION_KEYS = {
  ...COMMON,
  outputDir: true,
  overrides: { ...OVERRIDES, typecheck: true, build: true } satisfies AllKeys<ReactAppOverrides>,
} as const satisfies AllKeys<ReactAppOptions>;

/** The presets whose calls the compiler checks, by the name pipeline files import them under. */
export const PRESET_OPTION_KEYS: Readonly<Record<string, OptionKeyTree>> = {
  nodeService: NODE_SERVICE_OPTION_KEYS,
  reactApp: REACT_APP_OPTION_KEYS,
};
