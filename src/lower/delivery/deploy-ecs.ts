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
 *     post { always { archive evidence }  unsuccessful { lock { withAWS { safety-net rollback } } } }
 *
 * The deploy script records the current task definition before touching anything, rolls back to
 * it from its own EXIT trap on any failure (rollout failed, circuit-breaker rollback, timeout,
 * failed smoke test), and writes the evidence JSON either way. The post `unsuccessful` block is the
 * safety net for a script that never reached its trap (a Jenkins timeout or abort kills it): it
 * rolls back only if the service still runs the task definition this run registered.
 */
import { DELIVERY_DEFAULTS } from '../../model/delivery-defaults.ts';
import type { EcsDeployStep } from '../../model/delivery.ts';
import { deployLockName, deployScriptTimeoutMinutes } from '../../model/delivery-defaults.ts';
import { archiveStep, lockStep, shStep, timeoutStep, unstashStep, withAws, withEnv, type EnvVars } from './jenkins.ts';
import { bashScript, CHECK_AWS_ACCOUNT, READ_IMAGE_REF, UTC_NOW, VERIFY_SIGNATURE } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

const PRIMARY_QUERY = "\"services[0].deployments[?status=='PRIMARY']|[0].[taskDefinition,rolloutState,runningCount,desiredCount]\"";
const CURRENT_TD = [
  'aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE" \\',
  "    --query 'services[0].taskDefinition' --output text",
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
    '    --arg approver "${DEPLOY_APPROVER:-}" --arg changeId "${DEPLOY_CHANGE_ID:-}" \\',
    '    --arg gitCommit "${GIT_COMMIT:-}" --arg buildUrl "${BUILD_URL:-}" --arg job "${JOB_NAME:-}" --arg build "${BUILD_NUMBER:-}" \\',
    `    --arg startedAt "$started_at" --arg finishedAt "${UTC_NOW}" \\`,
    "    '$ARGS.named' > \"$evidence\"",
    '}',
  ];
}

/** The rollout follow-up for the aws-cli engine: register, update, poll, verify PRIMARY. */
const AWS_CLI_ROLLOUT = [
  'rendered="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.taskdef.json"',
  '# Template from the repository plus the new image only; read-only fields stripped (DEPLOY-004).',
  'jq --arg IMG "$image_ref" --arg C "$ECS_CONTAINER" \'',
  '  if any(.containerDefinitions[]; .name == $C) then . else error("container not in the template: " + $C) end',
  '  | .containerDefinitions |= map(if .name == $C then .image = $IMG else . end)',
  '  | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,',
  '        .registeredAt, .registeredBy, .deregisteredAt)\' \\',
  '  "$PW_TASKDEF_TEMPLATE" > "$rendered"',
  'new_td="$(aws ecs register-task-definition --cli-input-json "file://$rendered" \\',
  "  --query 'taskDefinition.taskDefinitionArn' --output text)\"",
  'printf \'%s\\n\' "$new_td" > "$new_file"',
  'rollout_state="IN_PROGRESS"',
  'aws ecs update-service --cluster "$ECS_CLUSTER" --service "$ECS_SERVICE" --task-definition "$new_td" \\',
  "  --deployment-configuration 'deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100' \\",
  '  > /dev/null',
  'deadline=$(( $(date +%s) + PW_ROLLOUT_TIMEOUT_MINUTES * 60 ))',
  'while :; do',
  '  status_line="$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE" \\',
  `    --query ${PRIMARY_QUERY} --output text)"`,
  '  read -r primary_td rollout_state running desired <<< "$status_line"',
  '  echo "rollout $rollout_state: $running/$desired tasks running, PRIMARY $primary_td"',
  '  if [ "$primary_td" != "$new_td" ]; then',
  '    echo "ECS rolled the service back (circuit breaker): PRIMARY runs $primary_td" >&2',
  '    exit 1',
  '  fi',
  '  case "$rollout_state" in',
  '    COMPLETED) break ;;',
  '    FAILED) echo "the deployment FAILED" >&2; exit 1 ;;',
  '  esac',
  '  if [ "$(date +%s)" -ge "$deadline" ]; then',
  '    echo "the rollout did not complete within $PW_ROLLOUT_TIMEOUT_MINUTES minutes" >&2',
  '    exit 1',
  '  fi',
  '  sleep 15',
  'done',
  'aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE"',
];

/** The rollout for the pipewright engine: `pipewright ecs-deploy` does register/update/follow/rollback. */
const PIPEWRIGHT_ROLLOUT = [
  'rollout_state="IN_PROGRESS"',
  'pipewright ecs-deploy --cluster "$ECS_CLUSTER" --service "$ECS_SERVICE" --container "$ECS_CONTAINER" \\',
  '  --image "$(cat image-ref.txt)" --timeout "${PW_ROLLOUT_TIMEOUT_MINUTES}m" --region "$PW_AWS_REGION" \\',
  '  --evidence "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.ecs-deploy.json"',
  'new_td="$(',
  ...CURRENT_TD.map((line) => `  ${line}`),
  ')"',
  'printf \'%s\\n\' "$new_td" > "$new_file"',
];

/** The main deploy script. */
function deployScript(step: EcsDeployStep, engine: 'aws-cli' | 'pipewright'): string {
  return bashScript([
    'mkdir -p evidence',
    ...READ_IMAGE_REF,
    'export IMAGE_REF="$image_ref"',
    ...CHECK_AWS_ACCOUNT,
    'evidence="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.json"',
    'prev_file="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.previous-task-definition"',
    'new_file="evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.new-task-definition"',
    'rm -f "$new_file" "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.deployed-task-definition" "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.ecs-deploy.json"',
    `started_at="${UTC_NOW}"`,
    'event="deploy"',
    'result="FAILURE"',
    'new_td=""',
    'rollout_state="NOT_STARTED"',
    'prev_td="$(',
    ...CURRENT_TD.map((line) => `  ${line}`),
    ')"',
    'printf \'%s\\n\' "$prev_td" > "$prev_file"',
    'echo "$ECS_SERVICE runs $prev_td; deploying $image_ref"',
    ...writeEvidenceFunction(engine),
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
    '  aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE"',
    '  event="rollback"',
    '  result="ROLLED_BACK"',
    '}',
    'on_exit() {',
    '  local status=$?',
    '  trap - EXIT',
    '  if [ "$status" -ne 0 ]; then',
    '    roll_back || echo "the rollback failed; post { unsuccessful } tries again" >&2',
    '  fi',
    '  write_evidence',
    '  exit "$status"',
    '}',
    'trap on_exit EXIT',
    '# An abort (Jenkins sends TERM) still runs the EXIT trap, so the rollback starts at once.',
    "trap 'exit 143' TERM INT HUP",
    ...(step.verifySignature !== undefined ? VERIFY_SIGNATURE : []),
    ...(engine === 'aws-cli' ? AWS_CLI_ROLLOUT : PIPEWRIGHT_ROLLOUT),
    '# A plain services-stable wait also succeeds after an automatic rollback: check that this',
    '# run\'s task definition is PRIMARY and COMPLETED (DEPLOY-002).',
    'final="$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE" \\',
    `  --query ${PRIMARY_QUERY} --output text)"`,
    'read -r primary_td rollout_state _ _ <<< "$final"',
    'if [ "$primary_td" != "$new_td" ] || [ "$rollout_state" != "COMPLETED" ]; then',
    '  echo "rolled back or failed: PRIMARY $primary_td is $rollout_state" >&2',
    '  exit 1',
    'fi',
    ...(step.smokeTest !== undefined ? ['echo "smoke test"', 'bash -c "$PW_SMOKE_TEST"'] : []),
    'result="SUCCESS"',
    '# Done: a later failure in this stage must not roll this release back.',
    'mv "$new_file" "evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.deployed-task-definition"',
    'echo "$ECS_SERVICE in $DEPLOY_ENV runs $new_td ($image_ref)"',
  ]);
}

/** The post `unsuccessful` safety net: roll back only if this run's revision is still live. */
const SAFETY_NET_SCRIPT = bashScript([
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
  'if [ "$current" != "$new_td" ]; then',
  '  echo "the service runs $current, not this run\'s $new_td: nothing to roll back"',
  '  exit 0',
  'fi',
  'echo "rolling $ECS_SERVICE back to $prev_td" >&2',
  'aws ecs update-service --cluster "$ECS_CLUSTER" --service "$ECS_SERVICE" --task-definition "$prev_td" > /dev/null',
  'aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services "$ECS_SERVICE"',
  'jq -n --arg event rollback --arg result ROLLED_BACK --arg environment "$DEPLOY_ENV" \\',
  '  --arg cluster "$ECS_CLUSTER" --arg service "$ECS_SERVICE" \\',
  '  --arg fromTaskDefinitionArn "$new_td" --arg toTaskDefinitionArn "$prev_td" \\',
  `  --arg buildUrl "\${BUILD_URL:-}" --arg time "${UTC_NOW}" \\`,
  "  '$ARGS.named' > \"evidence/ecs-$DEPLOY_ENV-$ECS_SERVICE.rollback.json\"",
]);

/** Lowers `ecsDeploy`. */
export function lowerEcsDeploy(step: EcsDeployStep): DeliveryLowering {
  const engine = step.engine ?? DELIVERY_DEFAULTS.ecs.engine;
  const rolloutMinutes = step.timeoutMinutes ?? DELIVERY_DEFAULTS.ecs.timeoutMinutes;
  // Room for the rollback's own wait: if Jenkins killed the script mid-rollback, only the post
  // safety net would be left to restore the service (DEPLOY_TIMEOUT_MARGIN_MINUTES).
  const jenkinsMinutes = deployScriptTimeoutMinutes(step)!;
  const env: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['ECS_CLUSTER', step.cluster],
    ['ECS_SERVICE', step.service],
    ['ECS_CONTAINER', step.container],
    ['PW_AWS_ACCOUNT', step.aws.account],
    ['PW_AWS_REGION', step.aws.region],
    ['PW_ROLLOUT_TIMEOUT_MINUTES', String(rolloutMinutes)],
  ];
  if (engine === 'aws-cli' && step.taskDefinition !== undefined) env.push(['PW_TASKDEF_TEMPLATE', step.taskDefinition]);
  if (step.verifySignature !== undefined) env.push(['PW_COSIGN_KEY', step.verifySignature.key]);
  if (step.smokeTest !== undefined) env.push(['PW_SMOKE_TEST', step.smokeTest]);
  const lock = deployLockName('ecs', step.environment, step.service);
  // The session must outlive the Jenkins timeout, or the rollback would run with expired credentials.
  const sessionSeconds = (jenkinsMinutes + 5) * 60;
  const safetyEnv: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['ECS_CLUSTER', step.cluster],
    ['ECS_SERVICE', step.service],
  ];
  const evidence = `evidence/ecs-${step.environment}-${step.service}.*`;
  return {
    steps: [
      unstashStep(step.imageStash ?? DELIVERY_DEFAULTS.imageStash),
      lockStep(lock, [
        timeoutStep(jenkinsMinutes, [
          withAws(step.aws, withEnv(env, [shStep(`ecs deploy ${step.environment}`, deployScript(step, engine))]), sessionSeconds),
        ]),
      ]),
    ],
    post: {
      always: [archiveStep(evidence)],
      unsuccessful: [
        lockStep(lock, [withAws(step.aws, withEnv(safetyEnv, [shStep(`ecs rollback ${step.environment}`, SAFETY_NET_SCRIPT)]))]),
        archiveStep(`evidence/ecs-${step.environment}-${step.service}.rollback.json`),
      ],
    },
  };
}
