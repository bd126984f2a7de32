/**
 * The load phase: find pipeline files, turn them into values, map model paths back to source.
 */
export { discoverPipelineFiles, PIPELINE_FILE_SUFFIX, type DiscoverOptions } from './discover.ts';
export { describeValue, LoadCodes, loadPipelineModules, type LoadedModule, type LoadOptions, type LoadResult } from './loader.ts';
export { createSourceLocator, type SourceLocator } from './locate.ts';
export { clearLoadCache } from './cache.ts';
