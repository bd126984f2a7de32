/**
 * Presets and delivery helpers for pipeline authors (re-exported by `pipewright`). Plain
 * functions returning plain data; no run-time dependencies.
 */
export * from './steps.ts';
export * from './stages.ts';
export {
  nodeService,
  imageStage,
  PRESET_TOOL_VERSIONS,
  DEFAULT_BUILD_AGENT,
  PRESET_PIPELINE_OPTIONS,
  REPORT_STASHES,
  evidenceExportFor,
  featureFlagStepFor,
  environmentNotifyTargets,
  withEcsReleaseSettings,
  PRESET_PROD_BAKE_MINUTES,
  type CostAllocation,
  type EvidenceExportSettings,
  type FeatureFlagSettings,
  type NodeServiceOptions,
  type NodeServiceOverrides,
  type NotificationSettings,
  type StepOverride,
  type ImageStageOptions,
} from './node-service.ts';
export { reactApp, SITE_STASH, type ReactAppOptions, type ReactAppOverrides } from './react-app.ts';
export { DELIVERY_DEFAULTS, DELIVERY_FILES, DELIVERY_STEP_KINDS, isDeliveryStep } from '../model/delivery-defaults.ts';
