/**
 * What custom policy rules need from the compiler inside the sandbox worker: the model index
 * (`context.index`) and per-environment policy (`context.environment`). The worker imports this
 * module on its own (a build entry point, `dist/load/sandbox-policy.js`), so custom rules run
 * against the very code built-in rules use, without any compiler object crossing threads.
 */
export { indexPipeline } from '../policy/model-index.ts';
export { environmentPolicy } from '../policy/config.ts';
