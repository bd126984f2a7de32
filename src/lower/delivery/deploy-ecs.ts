/**
 * ECS Fargate deploy (policy catalog §2.6, DEPLOY-001…004, AUDIT-001).
 *
 * Emitted shape, inside the deploy stage:
 *
 *     unstash 'image-ref'
 *     lock(resource: 'ecs-<env>-<service>') {
 *       timeout(time: <rollout + 10>, unit: 'MINUTES') {
 *         withAWS(role:, roleAccount:, region:, duration:) {
 *           withEnv([...]) { sh '<deploy script>' }
 *         }
 *       }
 *     }
 *     post { unsuccessful { lock { withAWS { safety-net rollback } } }  cleanup { archive evidence } }
 *
 * The deploy script records the current task definition before touching anything, rolls back to
 * it from its own EXIT trap on any failure (rollout failed, circuit-breaker or alarm rollback,
 * timeout, failed smoke test, an alarm in ALARM during the bake), and writes the evidence JSON
 * either way. The post `unsuccessful` block is the safety net for a script that never reached its
 * trap (a Jenkins timeout or abort kills it): it rolls back only if the service still runs the
 * task definition this run registered.
 *
 * No `aws ecs wait services-stable`: that waiter gives up after 40 polls of 15 s (10 minutes) and
 * then reports a failure while ECS is still rolling back. Every wait here polls the PRIMARY
 * deployment until it is COMPLETED or a deadline passes: the rollout's (`timeoutMinutes`), and for
 * a rollback the release's (the Jenkins timeout less {@link ECS_ROLLBACK_RESERVE_SECONDS}).
 * `PW_POLL_SECONDS` (default 15) sets the poll interval (tests use fractions of a second).
 *
 * Alarms, bake and cost tags (one `PW_ECS_RELEASE` JSON variable, only when set) live inside the
 * scripts, so they add no Groovy to the Jenkinsfile (method-size budget, issue #11).
 */
import { DELIVERY_DEFAULTS, DEPLOY_TIMEOUT_MARGIN_MINUTES, ECS_ROLLBACK_RESERVE_SECONDS } from '../../model/delivery-defaults.ts';
import type { EcsDeployStep } from '../../model/delivery.ts';
import { deployLockName, deployScriptTimeoutMinutes } from '../../model/delivery-defaults.ts';
import { archiveStep, lockStep, shStep, timeoutStep, unstashStep, withAws, withEnv, type EnvVars } from './jenkins.ts';
import { taskDefinitionCheckShell } from '../../policy/taskdef-lint.ts';
import { bashScript, CHECK_AWS_ACCOUNT, READ_IMAGE_REF, rememberScripts, UTC_NOW, VERIFY_SIGNATURE } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

const PRIMARY_QUERY = "\"services[0].deployments[?status=='PRIMARY']|[0].[taskDefinition,rolloutState,runningCount,desiredCount]\"";
const CURRENT_TD = [
  'aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE" \\',
  "    --query 'services[0].taskDefinition' --output text",
];

/**
 * `wait_for TD DEADLINE`: polls until TD is the PRIMARY deployment and COMPLETED (status 0); 1 when
 * another deployment took over or it FAILED, 2 when DEADLINE (epoch seconds) passed, 3 when
 * DescribeServices failed. Leaves `primary_td` and `rollout_state` set. Used by the deploy script
 * and the safety net instead of `aws ecs wait services-stable` (10 minutes at most).
 */
const WAIT_FOR = [
  'wait_for() {',
  '  local line running desired',
  '  while :; do',
  '    line="$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE" \\',
  `      --query ${PRIMARY_QUERY} --output text)" || return 3`,
  '    read -r primary_td rollout_state running desired <<< "$line"',
  '    echo "$ECS_SERVICE: PRIMARY $primary_td $rollout_state, $running/$desired tasks running"',
  '    [ "$primary_td" = "$1" ] || return 1',
  '    case "$rollout_state" in COMPLETED) return 0 ;; FAILED) return 1 ;; esac',
  '    [ "$(date +%s)" -lt "$2" ] || return 2',
  '    sleep "${PW_POLL_SECONDS:-15}"',
  '  done',
  '}',
];

/** Shell that writes the deploy evidence record (PCI 10.2.2 fields, policy catalog §3). */
function writeEvidenceFunction(engine: 'aws-cli' | 'pipewright'): string[] {
  return [
    'write_evidence() {',
    '  jq -n \\',
    `    --arg event "$event" --arg result "$result" --arg engine ${engine} \\`,
    '    --arg environment "$DEPLOY_ENV" --arg account "$PW_AWS_ACCOUNT" --arg region "$PW_AWS_REGION" \\',
    '    --arg cluster "$ECS_CLUSTER" --arg service "$ECS_SERVICE" --arg container "$ECS_CONTAINER" \\',
    '    --arg imageRef "$image_ref" --arg imageDigest "${image_ref##*@}" \\',
    '    --arg previousTaskDefinitionArn "$prev_td" --arg taskDefinitionArn "$new_td" --arg rolloutState "$rollout_state" \\',
    '    --arg bake "$bake" --arg alarm "$alarm" --argjson release "$release" \\',
    '    --arg approver "${DEPLOY_APPROVER:-}" --arg changeId "${DEPLOY_CHANGE_ID:-}" \\',
    '    --arg gitCommit "${GIT_COMMIT:-}" --arg buildUrl "${BUILD_URL:-}" --arg job "${JOB_NAME:-}" --arg build "${BUILD_NUMBER:-}" \\',
    `    --arg startedAt "$started_at" --arg finishedAt "${UTC_NOW}" \\`,
    "    '$ARGS.named' > \"$evidence\"",
    '}',
  ];
}

/**
 * Fails unless every alarm of the release exists (CloudWatch ignores unknown names, so a typo
 * would make the alarms and the bake watch nothing). Before any change to the service.
 */
const CHECK_ALARMS = [
  'mapfile -t alarms < <(jq -r \'[.alarms[]?, .bake.alarms[]?] | unique[]\' <<< "$release")',
  'if [ "${#alarms[@]}" -gt 0 ]; then',
  '  missing="$(aws cloudwatch describe-alarms --alarm-names "${alarms[@]}" --alarm-types MetricAlarm CompositeAlarm --output json \\',
  '    | jq -r --argjson r "$release" \'([$r.alarms[]?, $r.bake.alarms[]?] | unique) - [(.MetricAlarms + .CompositeAlarms)[].AlarmName] | join(", ")\')"',
  '  if [ -n "$missing" ]; then',
  '    echo "CloudWatch alarm(s) not found in $PW_AWS_ACCOUNT/$PW_AWS_REGION: $missing" >&2',
  '    exit 1',
  '  fi',
  'fi',
];

/**
 * Watches the bake alarms for `bake.minutes` after the rollout: the first one in ALARM fails the
 * script, whose EXIT trap rolls the service back to the previous task definition.
 */
const BAKE = [
  'bake_minutes="$(jq -r \'.bake.minutes // 0\' <<< "$release")"',
  'if [ "$bake_minutes" -gt 0 ]; then',
  '  mapfile -t bake_alarms < <(jq -r \'(.bake.alarms // .alarms)[]\' <<< "$release")',
  '  bake="BAKING"',
  '  bake_deadline=$(( $(date +%s) + bake_minutes * 60 ))',
  '  echo "bake: watching ${bake_alarms[*]} for $bake_minutes minutes"',
  '  while :; do',
  '    alarm="$(aws cloudwatch describe-alarms --alarm-names "${bake_alarms[@]}" --alarm-types MetricAlarm CompositeAlarm \\',
  '      --state-value ALARM --output json | jq -r \'[(.MetricAlarms + .CompositeAlarms)[].AlarmName] | first // empty\')"',
  '    if [ -n "$alarm" ]; then',
  '      bake="ALARM"',
  '      echo "bake: alarm $alarm is in ALARM: rolling $ECS_SERVICE back" >&2',
  '      exit 1',
  '    fi',
  '    [ "$(date +%s)" -lt "$bake_deadline" ] || break',
  '    sleep "${PW_POLL_SECONDS:-15}"',
  '  done',
  '  bake="PASSED"',
  '  echo "bake: no alarm for $bake_minutes minutes"',
  'fi',
];

/** The rollout follow-up for the aws-cli engine: register (tagged), tag the service, update, poll. */
const AWS_CLI_ROLLOUT = [
  'rendered="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.taskdef.json"',
  '# Template from the repository plus the new image and the cost tags only; read-only fields',
  '# stripped (DEPLOY-004).',
  'jq --arg IMG "$image_ref" --arg C "$ECS_CONTAINER" --argjson release "$release" \'',
  '  if any(.containerDefinitions[]; .name == $C) then . else error("container not in the template: " + $C) end',
  '  | .containerDefinitions |= map(if .name == $C then .image = $IMG else . end)',
  '  | ($release.tags // {}) as $tags',
  '  | if $tags == {} then . else .tags = ([(.tags // [])[] | select(.key as $k | $tags | has($k) | not)]',
  '      + ($tags | to_entries | map({key, value}))) end',
  '  | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,',
  '        .registeredAt, .registeredBy, .deregisteredAt)\' \\',
  '  "$PW_TASKDEF_TEMPLATE" > "$rendered"',
  '# SECRET-005 / DEPLOY-005 on what is registered (the template may not be in the pipeline\'s repository).',
  'check_task_definition "$rendered"',
  'new_td="$(aws ecs register-task-definition --cli-input-json "file://$rendered" \\',
  "  --query 'taskDefinition.taskDefinitionArn' --output text)\"",
  'printf \'%s\\n\' "$new_td" > "$new_file"',
  'update_args=()',
  'tags="$(jq -c \'(.tags // {}) | to_entries | map({key, value})\' <<< "$release")"',
  'if [ "$tags" != "[]" ]; then',
  '  # update-service cannot tag: the service gets the tags through tag-resource; its tasks',
  '  # inherit the task definition\'s (propagateTags).',
  '  aws ecs tag-resource --resource-arn "$service_arn" --tags "$tags"',
  '  update_args=(--propagate-tags TASK_DEFINITION)',
  'fi',
  "deployment_configuration='deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100'",
  'if jq -e .alarms <<< "$release" > /dev/null; then',
  '  # The same as JSON, plus the alarms: ECS rolls back when one enters ALARM during the rollout.',
  '  deployment_configuration="$(jq -c \'{deploymentCircuitBreaker: {enable: true, rollback: true}, maximumPercent: 200,',
  "    minimumHealthyPercent: 100, alarms: {alarmNames: .alarms, enable: true, rollback: true}}' <<< \"$release\")\"",
  'fi',
  'rollout_state="IN_PROGRESS"',
  'aws ecs update-service --cluster "$ECS_CLUSTER" --service "$ECS_SERVICE" --task-definition "$new_td" "${update_args[@]}" \\',
  '  --deployment-configuration "$deployment_configuration" > /dev/null',
  'wait_status=0',
  'wait_for "$new_td" "$rollout_deadline" || wait_status=$?',
  'case "$wait_status" in',
  '  0) ;;',
  '  1) echo "ECS rolled the service back (circuit breaker or alarm) or the deployment FAILED: PRIMARY $primary_td $rollout_state" >&2; exit 1 ;;',
  '  2) echo "the rollout did not complete within $rollout_minutes minutes" >&2; exit 1 ;;',
  '  *) echo "describe-services failed" >&2; exit 1 ;;',
  'esac',
];

/** The rollout for the pipewright engine: `pipewright ecs-deploy` does register/update/follow/bake/rollback. */
const PIPEWRIGHT_ROLLOUT = [
  'rollout_state="IN_PROGRESS"',
  '# Alarms, bake and tags as ecs-deploy options.',
  'mapfile -t release_args < <(jq -r \'(.alarms[]? | "--alarm", .), (.bake // empty | "--bake", "\\(.minutes)m", (.alarms[]? | "--bake-alarm", .)),',
  '  ((.tags // {}) | to_entries[] | "--tag", "\\(.key)=\\(.value)")\' <<< "$release")',
  'engine_status=0',
  'pipewright ecs-deploy --cluster "$ECS_CLUSTER" --service "$ECS_SERVICE" --container "$ECS_CONTAINER" \\',
  '  --image "$(cat image-ref.txt)" --timeout "${rollout_minutes}m" --deadline "$release_deadline" --region "$PW_AWS_REGION" \\',
  '  --poll-interval "${PW_POLL_SECONDS:-15}s" --evidence "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.ecs-deploy.json" "${release_args[@]}" \\',
  '  || engine_status=$?',
  'engine_evidence="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.ecs-deploy.json"',
  'if [ -s "$engine_evidence" ]; then',
  '  bake="$(jq -r \'.bake.result // ""\' "$engine_evidence")"',
  '  alarm="$(jq -r \'.bake.alarm // ""\' "$engine_evidence")"',
  'fi',
  '[ "$engine_status" -eq 0 ] || exit "$engine_status"',
  'new_td="$(',
  ...CURRENT_TD.map((line) => `  ${line}`),
  ')"',
  'printf \'%s\\n\' "$new_td" > "$new_file"',
];

/**
 * The main deploy script; `jenkinsMinutes` is the Jenkins timeout around it. The same text for
 * every service deployed with the same settings (it reads the service's values from the
 * environment), so it is built once per settings.
 */
const deployScript = rememberScripts(buildDeployScript);

function buildDeployScript(
  engine: 'aws-cli' | 'pipewright',
  rolloutMinutes: number,
  jenkinsMinutes: number,
  verifySignature: boolean,
  smokeTest: boolean,
): string {
  return bashScript([
    'mkdir -p evidence',
    ...READ_IMAGE_REF,
    'export IMAGE_REF="$image_ref"',
    ...CHECK_AWS_ACCOUNT,
    `rollout_minutes=${rolloutMinutes}`,
    ...(engine === 'aws-cli' ? ['rollout_deadline=$(( $(date +%s) + rollout_minutes * 60 ))'] : []),
    '# Rollbacks are followed until shortly before Jenkins\' timeout, not for a fixed 10 minutes.',
    `release_deadline=$(( $(date +%s) + ${jenkinsMinutes * 60 - ECS_ROLLBACK_RESERVE_SECONDS} ))`,
    'release="${PW_ECS_RELEASE:-"{}"}"',
    'evidence="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.json"',
    'prev_file="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.previous-task-definition"',
    'new_file="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.new-task-definition"',
    'rm -f "$new_file" "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.deployed-task-definition" "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.ecs-deploy.json"',
    `started_at="${UTC_NOW}"`,
    'event="deploy"',
    'result="FAILURE"',
    'new_td=""',
    'rollout_state="NOT_STARTED"',
    'bake=""',
    'alarm=""',
    `read -r prev_td ${engine === 'aws-cli' ? 'service_arn' : '_'} <<< "$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE" \\`,
    "  --query 'services[0].[taskDefinition,serviceArn]' --output text)\"",
    'printf \'%s\\n\' "$prev_td" > "$prev_file"',
    'echo "$ECS_SERVICE runs $prev_td; deploying $image_ref"',
    ...writeEvidenceFunction(engine),
    ...WAIT_FOR,
    ...(engine === 'aws-cli' ? taskDefinitionCheckShell() : []),
    'roll_back() {',
    '  local current',
    '  current="$(',
    ...CURRENT_TD.map((line) => `    ${line}`),
    '  )"',
    '  if [ -z "$new_td" ] || [ "$current" != "$new_td" ]; then',
    '    echo "the service runs $current, not this run\'s task definition: no rollback needed"',
    '    return 0',
    '  fi',
    '  echo "rolling $ECS_SERVICE back to $prev_td" >&2',
    '  aws ecs update-service --cluster "$ECS_CLUSTER" --service "$ECS_SERVICE" --task-definition "$prev_td" > /dev/null',
    '  event="rollback"',
    '  result="ROLLBACK_IN_PROGRESS"',
    '  wait_for "$prev_td" "$release_deadline" || return 1',
    '  result="ROLLED_BACK"',
    '}',
    'on_exit() {',
    '  local status=$?',
    '  trap - EXIT',
    '  if [ "$status" -ne 0 ]; then',
    '    roll_back || echo "the rollback is not confirmed COMPLETED (PRIMARY $primary_td $rollout_state); post { unsuccessful } follows it" >&2',
    '  fi',
    '  write_evidence',
    '  exit "$status"',
    '}',
    'trap on_exit EXIT',
    '# An abort (Jenkins sends TERM) still runs the EXIT trap, so the rollback starts at once.',
    "trap 'exit 143' TERM INT HUP",
    'primary_td=""',
    ...CHECK_ALARMS,
    ...(verifySignature ? VERIFY_SIGNATURE : []),
    ...(engine === 'aws-cli' ? AWS_CLI_ROLLOUT : PIPEWRIGHT_ROLLOUT),
    '# Check that this run\'s task definition is PRIMARY and COMPLETED (DEPLOY-002): after an',
    '# automatic rollback the service is stable too, on the previous revision.',
    'final="$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE" \\',
    `  --query ${PRIMARY_QUERY} --output text)"`,
    'read -r primary_td rollout_state _ _ <<< "$final"',
    'if [ "$primary_td" != "$new_td" ] || [ "$rollout_state" != "COMPLETED" ]; then',
    '  echo "rolled back or failed: PRIMARY $primary_td is $rollout_state" >&2',
    '  exit 1',
    'fi',
    ...(smokeTest ? ['echo "smoke test"', 'bash -c "$PW_SMOKE_TEST"'] : []),
    ...(engine === 'aws-cli' ? BAKE : []),
    'result="SUCCESS"',
    '# Done: a later failure in this stage must not roll this release back.',
    'mv "$new_file" "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.deployed-task-definition"',
    'echo "$ECS_SERVICE in $DEPLOY_ENV runs $new_td ($image_ref)"',
  ]);
}

/**
 * The post `unsuccessful` safety net: roll back only if this run's revision is still live, and
 * follow the rollback for up to the deploy margin (`DEPLOY_TIMEOUT_MARGIN_MINUTES.ecs`). The
 * environment, cluster and service names are written into the script (they match strict
 * patterns, see `DELIVERY_PATTERNS.environmentName` and `.resourceName`): one string instead of a
 * `withEnv` block in the Jenkinsfile (method-size budget).
 */
const safetyNetScript = rememberScripts(buildSafetyNetScript);

function buildSafetyNetScript(environment: string, cluster: string, service: string): string {
  return bashScript([
  `DEPLOY_ENV='${environment}'`,
  `ECS_CLUSTER='${cluster}'`,
  `ECS_SERVICE='${service}'`,
  'prev_file="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.previous-task-definition"',
  'new_file="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.new-task-definition"',
  '# pipewright ecs-deploy records the revision it registered in its evidence file as it goes;',
  '# use it when the deploy script was killed before it could write new_file.',
  'engine_evidence="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.ecs-deploy.json"',
  'deployed_file="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.deployed-task-definition"',
  'if [ ! -s "$new_file" ] && [ ! -e "$deployed_file" ] && [ -s "$engine_evidence" ]; then',
  '  jq -r \'.newTaskDefinitionArn // empty\' "$engine_evidence" > "$new_file" || true',
  'fi',
  'if [ ! -s "$prev_file" ] || [ ! -s "$new_file" ]; then',
  '  echo "no unfinished release of this run: nothing to roll back"',
  '  exit 0',
  'fi',
  'prev_td="$(cat "$prev_file")"',
  'new_td="$(cat "$new_file")"',
  'current="$(',
  ...CURRENT_TD.map((line) => `  ${line}`),
  ')"',
  ...WAIT_FOR,
  'deadline=$(( $(date +%s) + ' + String(DEPLOY_TIMEOUT_MARGIN_MINUTES.ecs * 60) + ' ))',
  'result="ROLLED_BACK"',
  'if [ "$current" = "$prev_td" ]; then',
  '  echo "$ECS_SERVICE is back on $prev_td; following that deployment"',
  'elif [ "$current" = "$new_td" ]; then',
  '  echo "rolling $ECS_SERVICE back to $prev_td" >&2',
  '  aws ecs update-service --cluster "$ECS_CLUSTER" --service "$ECS_SERVICE" --task-definition "$prev_td" > /dev/null',
  'else',
  '  echo "the service runs $current, not this run\'s $new_td: nothing to roll back"',
  '  exit 0',
  'fi',
  'wait_for "$prev_td" "$deadline" || result="ROLLBACK_NOT_CONFIRMED"',
  'jq -n --arg event rollback --arg result "$result" --arg environment "$DEPLOY_ENV" \\',
  '  --arg cluster "$ECS_CLUSTER" --arg service "$ECS_SERVICE" \\',
  '  --arg fromTaskDefinitionArn "$new_td" --arg toTaskDefinitionArn "$prev_td" \\',
  `  --arg buildUrl "\${BUILD_URL:-}" --arg time "${UTC_NOW}" \\`,
  "  '$ARGS.named' > \"evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.rollback.json\"",
  '[ "$result" = ROLLED_BACK ] || { echo "the rollback to $prev_td is not COMPLETED: PRIMARY $primary_td $rollout_state" >&2; exit 1; }',
  ]);
}

/**
 * The `PW_ECS_RELEASE` value: alarms, bake and tags as compact JSON, or `undefined` when none is
 * set (then the scripts read `{}`).
 */
export function ecsReleaseSettings(step: EcsDeployStep): string | undefined {
  if (step.alarms === undefined && step.bake === undefined && step.tags === undefined) return undefined;
  // Set in this order, only when present (no spread copies of one-key objects).
  const release: Pick<EcsDeployStep, 'alarms' | 'bake' | 'tags'> = {};
  if (step.alarms !== undefined) release.alarms = step.alarms;
  if (step.bake !== undefined) release.bake = step.bake;
  if (step.tags !== undefined) release.tags = step.tags;
  return JSON.stringify(release);
}

/** Lowers `ecsDeploy`. */
export function lowerEcsDeploy(step: EcsDeployStep): DeliveryLowering {
  const engine = step.engine ?? DELIVERY_DEFAULTS.ecs.engine;
  const rolloutMinutes = step.timeoutMinutes ?? DELIVERY_DEFAULTS.ecs.timeoutMinutes;
  // Room for the bake and the rollback's own wait: if Jenkins killed the script mid-rollback,
  // only the post safety net would be left to restore the service (DEPLOY_TIMEOUT_MARGIN_MINUTES).
  const jenkinsMinutes = deployScriptTimeoutMinutes(step)!;
  const release = ecsReleaseSettings(step);
  const env: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['ECS_CLUSTER', step.cluster],
    ['ECS_SERVICE', step.service],
    ['ECS_CONTAINER', step.container],
    ['PW_AWS_ACCOUNT', step.aws.account],
    ['PW_AWS_REGION', step.aws.region],
  ];
  if (engine === 'aws-cli' && step.taskDefinition !== undefined) env.push(['PW_TASKDEF_TEMPLATE', step.taskDefinition]);
  if (step.verifySignature !== undefined) env.push(['PW_COSIGN_KEY', step.verifySignature.key]);
  if (step.smokeTest !== undefined) env.push(['PW_SMOKE_TEST', step.smokeTest]);
  if (release !== undefined) env.push(['PW_ECS_RELEASE', release]);
  const lock = deployLockName('ecs', step.environment, step.service);
  // The session must outlive the Jenkins timeout, or the rollback would run with expired credentials.
  const sessionSeconds = (jenkinsMinutes + 5) * 60;
  // Archived in `cleanup`, which runs after `unsuccessful`: one glob covers the deploy's evidence
  // and the safety net's rollback record.
  const evidence = `evidence/ecs-${step.environment}-${step.service}.*`;
  return {
    steps: [
      unstashStep(step.imageStash ?? DELIVERY_DEFAULTS.imageStash),
      lockStep(lock, [
        timeoutStep(jenkinsMinutes, [
          withAws(
            step.aws,
            withEnv(env, [
              shStep(
                `ecs deploy ${step.environment}`,
                deployScript(engine, rolloutMinutes, jenkinsMinutes, step.verifySignature !== undefined, step.smokeTest !== undefined),
              ),
            ]),
            sessionSeconds,
          ),
        ]),
      ]),
    ],
    post: {
      unsuccessful: [
        // The safety net follows the rollback for up to the deploy margin: its session must last that long.
        lockStep(lock, [
          withAws(step.aws, [shStep(`ecs rollback ${step.environment}`, safetyNetScript(step.environment, step.cluster, step.service))], (DEPLOY_TIMEOUT_MARGIN_MINUTES.ecs + 5) * 60),
        ]),
      ],
      cleanup: [archiveStep(evidence)],
    },
  };
}
