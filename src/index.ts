/**
 * pipewright: typed pipeline-as-code for Jenkins.
 *
 * - Authoring: `definePipeline`, step helpers (`sh`, `junit`, ...) and the model types.
 * - Compiling: `compileProject` (load → validate → lower → print, in memory), `writeRun` and
 *   `checkRun` (emit), `compilePipelineValue` for a single in-memory pipeline.
 */
export * from './dsl/index.ts';
export type { PipewrightConfig, ResolvedConfig } from './config.ts';
export type { SideFile } from './compiled.ts';
export {
  compileProject,
  compilePipelineValue,
  loadConfig,
  pipelineNameFromFile,
  type CompileOptions,
  type CompileRun,
  type CompiledPipeline,
} from './compile.ts';
export {
  checkRun,
  checkStartTime,
  type CheckOptions,
  findOrphans,
  writeRun,
  type CheckProblem,
  type CheckProblemKind,
  type WriteOutcome,
  type WriteReport,
  type WriteStatus,
} from './emit/index.ts';
export { readHeader, withHeader, type GeneratedHeader } from './emit/header.ts';
export { unifiedDiff } from './emit/unified-diff.ts';
export {
  formatDiagnostic,
  formatLocation,
  formatPath,
  hasErrors,
  type Diagnostic,
  type Location,
  type ModelPath,
  type Severity,
} from './diagnostics.ts';
export type * from './jenkinsfile/ast.ts';
export { main as runCli } from './cli/main.ts';
export { watchProject, type ProjectWatcher, type RebuildEvent, type WatchOptions } from './watch.ts';
export {
  diffPipelines,
  securityChanges,
  SECURITY_CATEGORIES,
  type ChangeAction,
  type ChangeSubject,
  type PipelineChange,
  type SecurityCategory,
  type SecurityClassification,
} from './diff/semantic-diff.ts';
export { diffAgainstRef, diffRuns, hasSecurityChanges, type PipelineDiff, type PipelineDiffStatus, type ProjectDiff } from './diff/project.ts';
export { compileAtRef, GitBaseError, type BaseRun } from './diff/git-base.ts';
export { formatJson, formatMarkdown, formatText, type DiffFormat, type FormatOptions } from './diff/format.ts';
export * from './iam/index.ts';
export { pipelineGraph, stageGraph, type GraphFormat, type GraphOptions, type StageGraph } from './graph/graph.ts';
export {
  runPolicy,
  checkPolicyConfig,
  type PolicyFinding,
  type PolicyResult,
  type PolicyRunContext,
  type SuppressedFinding,
  type ActiveRule,
} from './policy/engine.ts';
export { RuleTester, RuleTesterError, type ExpectedFinding, type InvalidCase, type ValidCase } from './policy/rule-tester.ts';
export { BUILTIN_RULES, PACKS, allRuleMeta, allRules, findRule } from './policy/registry.ts';
export { indexPipeline } from './policy/model-index.ts';
export { resolvePolicyConfig, type PolicyConfig, type ResolvedPolicyConfig, type EnvironmentPolicy } from './policy/config.ts';
export { renderRulesMarkdown } from './policy/docs.ts';
export {
  REPORT_FORMATS,
  renderReport,
  lintReportFromRun,
  summarize,
  type LintReport,
  type LintSummary,
  type ReportFormat,
} from './policy/report/index.ts';
export { parseJenkinsfile } from './jenkinsfile/parse.ts';
export { checkStepCalls, validateJenkinsfile, type JenkinsfileAllowLists, type ValidateJenkinsfileOptions } from './jenkinsfile/validate.ts';
export { catalogLookup, type CatalogLookup } from './jenkinsfile/catalog-lookup.ts';
export { CATALOG_CHECK_RULES, checkCatalog, checkProjectCatalog, type CatalogCheckRule } from './validate/catalog-checks.ts';
export {
  CatalogError,
  defaultCatalog,
  indexCatalog,
  loadCatalogFile,
  mergeCatalogs,
  parseCatalog,
  resolveProjectCatalog,
  type CatalogConfig,
  type CatalogIndex,
} from './catalog/index.ts';
export { compareVersions } from './catalog/versions.ts';
export {
  CatalogSchema,
  CATALOG_FORMAT,
  DESCRIBABLE_KINDS,
  type Catalog,
  type CatalogDescribable,
  type CatalogParameter,
  type CatalogPlugin,
  type CatalogSource,
  type CatalogStep,
  type DescribableKind,
  type ParameterType,
} from './catalog/schema.ts';
export {
  checkPlugins,
  FEATURE_VERSIONS,
  formatPlugins,
  PLUGINS_FORMATS,
  requiredPlugins,
  type FeatureVersion,
  type PluginProblem,
  type PluginRequirements,
  type PluginsFormat,
  type RequiredPlugin,
} from './catalog/plugins.ts';
export {
  combineImports,
  detectImportFormat,
  ExportDumpError,
  GdslSyntaxError,
  GDSL_UNKNOWN_PLUGIN,
  importCatalogText,
  importExportDump,
  importGdsl,
  mergeImportedCatalog,
  parsePluginList,
  parsePluginManagerJson,
  parsePluginsTxt,
  PluginListError,
  pluginListCatalog,
  readImportSource,
  type ExportDump,
  type ExportDumpImport,
  type FetchCredentials,
  type GdslImport,
  type GdslImportOptions,
  type ImportedSource,
  type ImportFormat,
} from './catalog/import/index.ts';
export { EXPORT_SCRIPT } from './catalog/export-script.ts';
export { generateTypedSteps, safeIdentifier, type TypedStepsOptions } from './catalog/typed-steps.ts';
export type { NestedParameter } from './catalog/schema.ts';
export {
  estimateMethodSize,
  METHOD_SIZE_LIMIT,
  type EstimateOptions,
  type MethodCost,
  type MethodSizeEstimate,
  type StageCost,
} from './limits/method-size.ts';
export {
  checkLimits,
  LIMIT_RULES,
  MAX_STAGE_NESTING,
  METHOD_SIZE_ERROR_RATIO,
  METHOD_SIZE_WARNING_RATIO,
  type LimitCheckOptions,
  type LimitCheckResult,
} from './limits/check.ts';
