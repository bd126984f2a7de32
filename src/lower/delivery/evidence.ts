/**
 * Evidence export to an S3 bucket with Object Lock (AUDIT-002, policy catalog §3).
 *
 * Emitted shape, meant for a deploy stage's `post { cleanup { } }`:
 *
 *     pwEvidenceExport1()                     helper: unstash the build stages' scan reports,
 *                                             env.PW_BUILD_STARTED_MS = when this build started
 *     withAWS(role:, roleAccount:, region:, duration:) {
 *       withEnv([...]) { sh '<export script>' }
 *     }
 *     archiveArtifacts 'evidence/export-<env>.json'   the receipt: keys, version ids, sha256
 *
 * Why `aws s3api put-object` and not `aws s3 cp` or `s3Upload`: Object Lock retention is set per
 * object with `--object-lock-mode` / `--object-lock-retain-until-date`, which only the low-level
 * `put-object` takes (`aws s3 cp` has no Object Lock options; pipeline-aws' `s3Upload` has none
 * either). S3 refuses an upload with a retention period unless it carries a Content-MD5 or an
 * SDK checksum header, hence `--checksum-algorithm SHA256`. A bucket without Object Lock refuses
 * the request, so a misconfigured archive fails the run instead of silently storing unlocked
 * copies.
 */
import { DELIVERY_DEFAULTS } from '../../model/delivery-defaults.ts';
import type { EvidenceExportStep } from '../../model/delivery.ts';
import { groovyStringLiteral as lit } from '../../jenkinsfile/groovy-literal.ts';
import { archiveStep, scriptBlock, shStep, withAws, withEnv, type EnvVars } from './jenkins.ts';
import { bashScript, CHECK_AWS_ACCOUNT, UTC_NOW } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

/** Workspace path of the export receipt (it is archived in Jenkins and uploaded last). */
export function evidenceReceiptPath(environment: string | undefined): string {
  return environment === undefined ? 'evidence/export.json' : `evidence/export-${environment}.json`;
}

const EXPORT_SCRIPT = bashScript([
  ...CHECK_AWS_ACCOUNT,
  'mkdir -p evidence',
  'retain_until="$(date -u -d "+${PW_EVIDENCE_RETAIN_DAYS} days" +%Y-%m-%dT%H:%M:%SZ)"',
  'key_base="${PW_EVIDENCE_PREFIX}${JOB_NAME}/${BUILD_NUMBER}${PW_EVIDENCE_ENV:+/$PW_EVIDENCE_ENV}"',
  '# Only files this build wrote or unstashed: a reused workspace can hold older runs\' files, and',
  '# an object in a COMPLIANCE-locked bucket can never be removed again.',
  'build_started="@$(( PW_BUILD_STARTED_MS / 1000 ))"',
  'uploaded="$(mktemp)"',
  "trap 'rm -f \"$uploaded\"' EXIT",
  '# Object Lock retention is a put-object option (aws s3 cp has none); S3 requires a checksum with it.',
  'put_locked() {',
  '  aws s3api put-object --bucket "$PW_EVIDENCE_BUCKET" --key "$2" --body "$1" \\',
  '    --checksum-algorithm SHA256 \\',
  '    --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$retain_until" \\',
  "    --query 'VersionId' --output text",
  '}',
  'read -r -a paths <<< "$PW_EVIDENCE_PATHS"',
  'for path in "${paths[@]}"; do',
  '  if [ ! -e "$path" ]; then',
  '    continue',
  '  fi',
  '  while IFS= read -r -d \'\' file; do',
  '    if [ "$file" = "$PW_EVIDENCE_RECEIPT" ]; then',
  '      continue',
  '    fi',
  '    key="$key_base/$file"',
  '    version="$(put_locked "$file" "$key")"',
  '    sha256="$(sha256sum "$file" | cut -d \' \' -f 1)"',
  '    jq -n --arg path "$file" --arg key "$key" --arg versionId "$version" --arg sha256 "$sha256" \\',
  "      '$ARGS.named' >> \"$uploaded\"",
  '  done < <(find "$path" -type f -newermt "$build_started" -print0 | sort -z)',
  'done',
  'jq -s --arg bucket "$PW_EVIDENCE_BUCKET" --arg keyPrefix "$key_base/" --arg objectLockMode COMPLIANCE \\',
  '  --arg retainUntil "$retain_until" --arg environment "${PW_EVIDENCE_ENV:-}" \\',
  `  --arg buildUrl "\${BUILD_URL:-}" --arg exportedAt "${UTC_NOW}" \\`,
  "  '{bucket: $bucket, keyPrefix: $keyPrefix, objectLockMode: $objectLockMode, retainUntil: $retainUntil,",
  "    environment: $environment, buildUrl: $buildUrl, exportedAt: $exportedAt, files: .}' \\",
  '  "$uploaded" > "$PW_EVIDENCE_RECEIPT"',
  'put_locked "$PW_EVIDENCE_RECEIPT" "$key_base/$PW_EVIDENCE_RECEIPT" > /dev/null',
  'echo "exported $(jq \'.files | length\' "$PW_EVIDENCE_RECEIPT") file(s) to s3://$PW_EVIDENCE_BUCKET/$key_base/, locked (COMPLIANCE) until $retain_until"',
]);

/**
 * Lowers `evidenceExport`: restores the stashes, records when the build started (older files in
 * the workspace are not exported), uploads every file of `paths` with its own COMPLIANCE-mode
 * retention under the assumed role, then archives the receipt.
 */
export function lowerEvidenceExport(step: EvidenceExportStep): DeliveryLowering {
  const D = DELIVERY_DEFAULTS.evidenceExport;
  const prefix = step.prefix?.replace(/^\/+|\/+$/g, '') ?? '';
  const receipt = evidenceReceiptPath(step.environment);
  const env: EnvVars = [
    ['PW_AWS_ACCOUNT', step.aws.account],
    ['PW_EVIDENCE_BUCKET', step.bucket],
    ['PW_EVIDENCE_PREFIX', prefix === '' ? '' : `${prefix}/`],
    ['PW_EVIDENCE_ENV', step.environment ?? ''],
    ['PW_EVIDENCE_PATHS', (step.paths ?? D.paths).join(' ')],
    ['PW_EVIDENCE_RETAIN_DAYS', String(step.retainDays ?? D.retainDays)],
    ['PW_EVIDENCE_RECEIPT', receipt],
  ];
  const label = step.environment === undefined ? 'export evidence' : `export evidence ${step.environment}`;
  return {
    steps: [
      // One generator-owned snippet (a helper method after the pipeline block, src/lower/outline.ts):
      // restore the stashes, and record when the build started so files older than this run are
      // left out.
      scriptBlock(
        [...(step.stashes ?? []).map((name) => `unstash(${lit(name)})`), 'env.PW_BUILD_STARTED_MS = currentBuild.startTimeInMillis.toString()'].join('\n'),
      ),
      withAws(step.aws, withEnv(env, [shStep(label, EXPORT_SCRIPT)])),
      archiveStep(receipt),
    ],
  };
}
