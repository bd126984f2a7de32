/**
 * Shell fragments shared by the delivery lowerings. Scripts only ever reference user values as
 * `"$PW_…"` environment variables; the fragments here are constant text.
 */

/** A multi-line bash script: shebang, strict mode, then the lines. */
export function bashScript(lines: readonly (string | false | undefined)[]): string {
  return ['#!/bin/bash', 'set -euo pipefail', ...lines.filter((l): l is string => typeof l === 'string')].join('\n');
}

/** Arguments a script builder may depend on: plain values, compared exactly. */
type ScriptArguments = readonly (string | number | boolean)[];

/**
 * `build`, remembering its result for each list of arguments: the same arguments give back the
 * same string object. The generator's scripts are kilobytes of constant text chosen by a few
 * settings and recur in every pipeline and environment of a fleet; handing out one string lets
 * the escaper's memo (groovy-literal.ts) find it by identity instead of comparing kilobytes, and
 * saves building it again. `build` must depend on its arguments only.
 */
export function rememberScripts<A extends ScriptArguments>(build: (...args: A) => string): (...args: A) => string {
  const scripts = new Map<string, string>();
  return (...args: A): string => {
    const key = argumentsKey(args);
    let script = scripts.get(key);
    if (script === undefined) {
      script = build(...args);
      if (scripts.size >= REMEMBERED_SCRIPTS_LIMIT) scripts.delete(scripts.keys().next().value!);
      scripts.set(key, script);
    }
    return script;
  };
}

const REMEMBERED_SCRIPTS_LIMIT = 64;

/**
 * A different key for every different list of arguments: each string is prefixed with its type
 * and length (so no content can imitate a separator), a number or boolean with its type (-0
 * apart from 0).
 */
function argumentsKey(args: ScriptArguments): string {
  let key = '';
  for (const arg of args) {
    if (typeof arg === 'string') key += `s${arg.length}:${arg};`;
    else if (typeof arg === 'number') key += `n${Object.is(arg, -0) ? '-0' : String(arg)};`;
    else key += `b${arg};`;
  }
  return key;
}

/** Reads and checks `image-ref.txt` into `image_ref` (ART-002: deploys are by digest only). */
export const READ_IMAGE_REF = [
  'image_ref="$(cat image-ref.txt)"',
  'if ! [[ "$image_ref" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$ ]]; then',
  '  echo "image-ref.txt does not hold a repository@sha256 digest reference: $image_ref" >&2',
  '  exit 1',
  'fi',
];

/** Fails unless `image_ref` carries a valid cosign signature made with `$PW_COSIGN_KEY` (ART-005). */
export const VERIFY_SIGNATURE = ['# Only a signed digest is deployed (ART-005).', 'cosign verify --key "$PW_COSIGN_KEY" "$image_ref" > /dev/null'];

/** Fails unless the assumed role belongs to `$PW_AWS_ACCOUNT` (IAM-002 at run time). */
export const CHECK_AWS_ACCOUNT = [
  'account="$(aws sts get-caller-identity --query Account --output text)"',
  'if [ "$account" != "$PW_AWS_ACCOUNT" ]; then',
  '  echo "the assumed role is in account $account, expected $PW_AWS_ACCOUNT" >&2',
  '  exit 1',
  'fi',
];

/** The commit being built: Jenkins' `GIT_COMMIT`, or the checked-out HEAD. */
export const READ_COMMIT = [
  'commit="${GIT_COMMIT:-$(git rev-parse HEAD)}"',
  'if ! [[ "$commit" =~ ^[0-9a-f]{40}$ ]]; then',
  '  echo "not a full commit SHA: $commit" >&2',
  '  exit 1',
  'fi',
];

/**
 * Fails unless the agent's tool reports the pinned version (SCAN-008). `versionCommand` prints the
 * installed version as its only output.
 */
export function checkToolVersion(tool: string, versionCommand: string, pinnedVariable: string): string[] {
  return [
    `installed="$(${versionCommand})"`,
    `if [ "\${installed#v}" != "\${${pinnedVariable}#v}" ]; then`,
    `  echo "${tool} $installed is installed but $${pinnedVariable} is pinned" >&2`,
    '  exit 1',
    'fi',
  ];
}

/** UTC timestamp command substitution, ISO 8601. */
export const UTC_NOW = '$(date -u +%Y-%m-%dT%H:%M:%SZ)';
