/**
 * Feature-flag deployment (`featureFlagDeploy`): a flag configuration version rolled out with a
 * deployment strategy, followed to the end, stopped on timeout or abort, failed when the provider
 * rolls it back, and recorded as deploy evidence.
 *
 * Emitted shape (AppConfig), inside the stage's steps:
 *
 *     withAWS(role:, roleAccount:, region:, duration:) {
 *       withEnv([...]) { sh '<flag deployment script>' }
 *     }
 *     post { always { archive evidence/flags-<env>-<application>-<profile>.* } }
 *
 * No Jenkins `timeout` of its own (~200 bytes of the pipeline method, issue #11): the script
 * stops at its own deadline, and the stage timeout (the presets add the step's
 * `deployScriptTimeoutMinutes` to it) ends it with TERM, which goes through the same trap.
 *
 * The whole behaviour is in the one shell script (the Groovy stays a few nodes, issue #11): start
 * the deployment (`aws appconfig start-deployment`), poll `get-deployment` against the step's own
 * deadline, and from its EXIT trap stop an unfinished deployment
 * (`stop-deployment`: AppConfig rolls the flags back to the previous version) and write the
 * evidence JSON whatever happened. AppConfig itself rolls a deployment back when one of the
 * AppConfig environment's monitors (CloudWatch alarms) fires; the script sees ROLLING_BACK or
 * ROLLED_BACK, reports the reason from the deployment's event log and fails the stage.
 */
import { DELIVERY_DEFAULTS } from '../../model/delivery-defaults.ts';
import type { FeatureFlagDeployStep } from '../../model/delivery.ts';
import { archiveStep, shStep, withAws, withEnv, type EnvVars } from './jenkins.ts';
import { bashScript, CHECK_AWS_ACCOUNT, UTC_NOW } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

/** Workspace path prefix of a flag deployment's evidence files (`.json`, `.deployment.json`). */
export function featureFlagEvidenceBase(step: FeatureFlagDeployStep): string {
  return `evidence/flags-${step.environment}-${step.flags.application}-${step.flags.configurationProfile}`;
}

const APPCONFIG_IDS = '--application-id "$PW_FLAGS_APPLICATION" --environment-id "$PW_FLAGS_ENVIRONMENT"';

/** The AppConfig flag deployment script; all values come from the environment (`PW_FLAGS_*`). */
export const APPCONFIG_DEPLOY_SCRIPT = bashScript([
  'mkdir -p evidence',
  ...CHECK_AWS_ACCOUNT,
  'base="evidence/flags-$DEPLOY_ENV-$PW_FLAGS_APPLICATION-$PW_FLAGS_PROFILE"',
  'rm -f "$base.deployment.json"',
  `started_at="${UTC_NOW}"`,
  'result="FAILURE"',
  'number=""',
  'state="NOT_STARTED"',
  'reason=""',
  'monitors="[]"',
  'write_evidence() {',
  '  local log="[]"',
  '  if [ -s "$base.deployment.json" ]; then',
  "    log=\"$(jq -c '.EventLog // []' \"$base.deployment.json\")\"",
  '  fi',
  '  jq -n --arg event flags --arg result "$result" --arg provider appconfig \\',
  '    --arg environment "$DEPLOY_ENV" --arg account "$PW_AWS_ACCOUNT" --arg region "$PW_AWS_REGION" \\',
  '    --arg application "$PW_FLAGS_APPLICATION" --arg appConfigEnvironment "$PW_FLAGS_ENVIRONMENT" \\',
  '    --arg configurationProfile "$PW_FLAGS_PROFILE" --arg configurationVersion "$PW_FLAGS_VERSION" \\',
  '    --arg deploymentStrategy "$PW_FLAGS_STRATEGY" --arg deploymentNumber "$number" --arg state "$state" \\',
  '    --arg reason "$reason" --argjson eventLog "$log" --argjson monitors "$monitors" \\',
  '    --arg approver "${DEPLOY_APPROVER:-}" --arg changeId "${DEPLOY_CHANGE_ID:-}" \\',
  '    --arg gitCommit "${GIT_COMMIT:-}" --arg buildUrl "${BUILD_URL:-}" --arg job "${JOB_NAME:-}" --arg build "${BUILD_NUMBER:-}" \\',
  `    --arg startedAt "$started_at" --arg finishedAt "${UTC_NOW}" \\`,
  "    '$ARGS.named' > \"$base.json\"",
  '}',
  'on_exit() {',
  '  local status=$?',
  '  trap - EXIT',
  '  # Stop what is still rolling out: AppConfig then returns the flags to the previous version.',
  '  if [ "$status" -ne 0 ] && [ -n "$number" ]; then',
  '    case "$state" in',
  '      COMPLETE | ROLLING_BACK | ROLLED_BACK | REVERTED) ;;',
  '      *)',
  '        echo "stopping AppConfig deployment $number" >&2',
  `        if aws appconfig stop-deployment ${APPCONFIG_IDS} --deployment-number "$number" > /dev/null; then`,
  '          state="STOPPED"',
  '        else',
  '          echo "could not stop AppConfig deployment $number: stop it in the console" >&2',
  '        fi',
  '        ;;',
  '    esac',
  '  fi',
  '  write_evidence',
  '  exit "$status"',
  '}',
  'trap on_exit EXIT',
  "trap 'exit 143' TERM INT HUP",
  "# The AppConfig environment's monitors (CloudWatch alarms) are what rolls a bad flag change back.",
  `alarms="$(aws appconfig get-environment ${APPCONFIG_IDS} --query 'Monitors[].AlarmArn' --output json | jq -c '. // []')"`,
  'monitors="$alarms"',
  "if [ \"$(jq 'length' <<< \"$monitors\")\" -eq 0 ]; then",
  '  echo "warning: AppConfig environment $PW_FLAGS_ENVIRONMENT has no monitors: no alarm can roll this flag change back" >&2',
  'fi',
  `number="$(aws appconfig start-deployment ${APPCONFIG_IDS} \\`,
  '  --configuration-profile-id "$PW_FLAGS_PROFILE" --configuration-version "$PW_FLAGS_VERSION" \\',
  '  --deployment-strategy-id "$PW_FLAGS_STRATEGY" --description "${JOB_NAME:-pipewright} #${BUILD_NUMBER:-0}" \\',
  "  --query 'DeploymentNumber' --output text)\"",
  'echo "AppConfig deployment $number: version $PW_FLAGS_VERSION of $PW_FLAGS_PROFILE to $PW_FLAGS_ENVIRONMENT ($PW_FLAGS_STRATEGY)"',
  'deadline=$(( $(date +%s) + PW_FLAGS_TIMEOUT_MINUTES * 60 ))',
  'while :; do',
  `  aws appconfig get-deployment ${APPCONFIG_IDS} --deployment-number "$number" --output json > "$base.deployment.json"`,
  "  state=\"$(jq -r '.State' \"$base.deployment.json\")\"",
  "  echo \"deployment $number: $state, $(jq -r '.PercentageComplete // 0' \"$base.deployment.json\")% of targets\"",
  '  case "$state" in',
  '    COMPLETE) break ;;',
  '    ROLLING_BACK | ROLLED_BACK | REVERTED)',
  "      reason=\"$(jq -r '[.EventLog[]? | select(.EventType == \"ROLLBACK_STARTED\") | \"\\(.Description // \"rolled back\") (by \\(.TriggeredBy // \"unknown\"))\"] | first // \"no reason in the event log\"' \"$base.deployment.json\")\"",
  '      echo "AppConfig rolled the flag deployment back: $reason" >&2',
  '      exit 1',
  '      ;;',
  '  esac',
  '  if [ "$(date +%s)" -ge "$deadline" ]; then',
  '    reason="not COMPLETE within $PW_FLAGS_TIMEOUT_MINUTES minutes"',
  '    echo "the flag deployment is $state after $PW_FLAGS_TIMEOUT_MINUTES minutes" >&2',
  '    exit 1',
  '  fi',
  '  sleep "${PW_FLAGS_POLL_SECONDS:-15}"',
  'done',
  'result="SUCCESS"',
  'echo "flags $PW_FLAGS_PROFILE version $PW_FLAGS_VERSION are live in $DEPLOY_ENV"',
]);

/** Lowers `featureFlagDeploy`. */
export function lowerFeatureFlagDeploy(step: FeatureFlagDeployStep): DeliveryLowering {
  const D = DELIVERY_DEFAULTS.featureFlags;
  const flags = step.flags;
  const waitMinutes = step.timeoutMinutes ?? D.timeoutMinutes;
  const jenkinsMinutes = waitMinutes + D.timeoutMarginMinutes;
  const env: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['PW_AWS_ACCOUNT', step.aws.account],
    ['PW_AWS_REGION', step.aws.region],
    ['PW_FLAGS_APPLICATION', flags.application],
    ['PW_FLAGS_ENVIRONMENT', flags.environment],
    ['PW_FLAGS_PROFILE', flags.configurationProfile],
    ['PW_FLAGS_VERSION', flags.version],
    ['PW_FLAGS_STRATEGY', flags.strategy],
    ['PW_FLAGS_TIMEOUT_MINUTES', String(waitMinutes)],
  ];
  // The session outlives the wait and the stop in the EXIT trap (the stop still has credentials).
  const sessionSeconds = (jenkinsMinutes + 5) * 60;
  return {
    steps: [withAws(step.aws, withEnv(env, [shStep(`feature flags ${step.environment}`, APPCONFIG_DEPLOY_SCRIPT)]), sessionSeconds)],
    post: { always: [archiveStep(`${featureFlagEvidenceBase(step)}.*`)] },
  };
}
