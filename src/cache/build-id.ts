/**
 * The compiler build id: scripts/build.mjs replaces `__PIPEWRIGHT_BUILD_ID__` in dist/ with a
 * hash of src/ and the lockfile. Running from source (tests), there is none, and the persistent
 * result cache stays off unless a caller gives a build id explicitly.
 */
declare const __PIPEWRIGHT_BUILD_ID__: string | undefined;

/** The build id of the running compiler, or `undefined` when running from source. */
export const BUILD_ID: string | undefined = typeof __PIPEWRIGHT_BUILD_ID__ === 'string' ? __PIPEWRIGHT_BUILD_ID__ : undefined;
