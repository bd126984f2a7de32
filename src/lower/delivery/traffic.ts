/** Traffic shifts (ALB listener weights, Route 53 weighted records) and static-site publishing. */
import { deployLockName, DELIVERY_DEFAULTS } from '../../model/delivery-defaults.ts';
import type { S3PublishStep, TrafficShiftStep } from '../../model/delivery.ts';
import { archiveStep, lockStep, shStep, unstashStep, withAws, withEnv, type EnvVars } from './jenkins.ts';
import { bashScript, CHECK_AWS_ACCOUNT, UTC_NOW } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

const ALB_SCRIPT = bashScript([
  'mkdir -p evidence',
  ...CHECK_AWS_ACCOUNT,
  'base="evidence/traffic-$DEPLOY_ENV"',
  '# The reverse change: the listener\'s current default actions (DEPLOY-007).',
  'aws elbv2 describe-listeners --listener-arns "$PW_LISTENER_ARN" \\',
  "  --query 'Listeners[0].DefaultActions' --output json > \"$base.reverse.json\"",
  'jq -n --argjson groups "$PW_WEIGHTS_JSON" \'[{Type: "forward", ForwardConfig: {TargetGroups: $groups}}]\' > "$base.change.json"',
  'aws elbv2 modify-listener --listener-arn "$PW_LISTENER_ARN" --default-actions "file://$base.change.json" > /dev/null',
  '# modify-listener is synchronous; read the weights back to be sure.',
  'actual="$(aws elbv2 describe-listeners --listener-arns "$PW_LISTENER_ARN" \\',
  "  --query 'Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups' --output json \\",
  "  | jq -c 'map({TargetGroupArn, Weight}) | sort_by(.TargetGroupArn)')\"",
  "expected=\"$(jq -c 'map({TargetGroupArn, Weight}) | sort_by(.TargetGroupArn)' <<< \"$PW_WEIGHTS_JSON\")\"",
  'if [ "$actual" != "$expected" ]; then',
  '  echo "the listener forwards $actual, expected $expected" >&2',
  '  exit 1',
  'fi',
  'jq -n --arg event traffic-shift --arg kind alb --arg environment "$DEPLOY_ENV" --arg listenerArn "$PW_LISTENER_ARN" \\',
  '  --argjson weights "$actual" --arg approver "${DEPLOY_APPROVER:-}" --arg changeId "${DEPLOY_CHANGE_ID:-}" \\',
  `  --arg buildUrl "\${BUILD_URL:-}" --arg time "${UTC_NOW}" \\`,
  "  '$ARGS.named' > \"$base.json\"",
  'echo "to undo: aws elbv2 modify-listener --listener-arn $PW_LISTENER_ARN --default-actions file://$base.reverse.json"',
]);

const ROUTE53_SCRIPT = bashScript([
  'mkdir -p evidence',
  ...CHECK_AWS_ACCOUNT,
  'base="evidence/traffic-$DEPLOY_ENV"',
  'name="${PW_RECORD_NAME%.}."',
  'aws route53 list-resource-record-sets --hosted-zone-id "$PW_HOSTED_ZONE_ID" --output json \\',
  '  | jq --arg name "$name" --arg type "$PW_RECORD_TYPE" --argjson weights "$PW_WEIGHTS_JSON" \\',
  "    '[.ResourceRecordSets[] | select(.Name == $name and .Type == $type and (.SetIdentifier as $id | $weights | any(.setIdentifier == $id)))]' \\",
  '  > "$base.current.json"',
  'found="$(jq length "$base.current.json")"',
  'wanted="$(jq length <<< "$PW_WEIGHTS_JSON")"',
  'if [ "$found" != "$wanted" ]; then',
  '  echo "found $found of $wanted weighted records for $name $PW_RECORD_TYPE" >&2',
  '  exit 1',
  'fi',
  '# Only Weight changes; the reverse batch restores the records as they were (DEPLOY-007).',
  'jq --argjson weights "$PW_WEIGHTS_JSON" \'{Comment: "pipewright traffic shift", Changes: [.[] | . as $r',
  "  | {Action: \"UPSERT\", ResourceRecordSet: ($r | .Weight = ($weights[] | select(.setIdentifier == $r.SetIdentifier) | .weight))}]}' \\",
  '  "$base.current.json" > "$base.change.json"',
  "jq '{Comment: \"pipewright traffic shift: reverse\", Changes: [.[] | {Action: \"UPSERT\", ResourceRecordSet: .}]}' \\",
  '  "$base.current.json" > "$base.reverse.json"',
  'change_id="$(aws route53 change-resource-record-sets --hosted-zone-id "$PW_HOSTED_ZONE_ID" \\',
  '  --change-batch "file://$base.change.json" --query \'ChangeInfo.Id\' --output text)"',
  'aws route53 wait resource-record-sets-changed --id "$change_id"',
  'jq -n --arg event traffic-shift --arg kind route53 --arg environment "$DEPLOY_ENV" --arg hostedZoneId "$PW_HOSTED_ZONE_ID" \\',
  '  --arg record "$name" --arg type "$PW_RECORD_TYPE" --arg changeId "$change_id" --argjson weights "$PW_WEIGHTS_JSON" \\',
  '  --arg approver "${DEPLOY_APPROVER:-}" --arg changeTicket "${DEPLOY_CHANGE_ID:-}" \\',
  `  --arg buildUrl "\${BUILD_URL:-}" --arg time "${UTC_NOW}" \\`,
  "  '$ARGS.named' > \"$base.json\"",
  'echo "to undo: aws route53 change-resource-record-sets --hosted-zone-id $PW_HOSTED_ZONE_ID --change-batch file://$base.reverse.json"',
]);

/**
 * Weighted traffic shift with the reverse change archived (DEPLOY-007). Weights travel as JSON
 * in the environment (built here from validated values) and are applied with `jq`, so nothing the
 * author wrote becomes shell text.
 */
export function lowerTrafficShift(step: TrafficShiftStep): DeliveryLowering {
  const change = step.change;
  const env: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['PW_AWS_ACCOUNT', step.aws.account],
  ];
  let script: string;
  let target: string;
  if (change.kind === 'alb') {
    const weights = change.weights.map((w) => ({ TargetGroupArn: w.targetGroupArn, Weight: w.weight }));
    env.push(['PW_LISTENER_ARN', change.listenerArn], ['PW_WEIGHTS_JSON', JSON.stringify(weights)]);
    script = ALB_SCRIPT;
    target = change.listenerArn.split('/').slice(-3).join('/');
  } else {
    env.push(
      ['PW_HOSTED_ZONE_ID', change.hostedZoneId],
      ['PW_RECORD_NAME', change.recordName],
      ['PW_RECORD_TYPE', change.recordType],
      ['PW_WEIGHTS_JSON', JSON.stringify(change.weights)],
    );
    script = ROUTE53_SCRIPT;
    target = `${change.recordName.replace(/\.$/, '')}-${change.recordType}`;
  }
  return {
    steps: [
      lockStep(deployLockName('traffic', step.environment, target), [
        withAws(step.aws, withEnv(env, [shStep(`traffic shift ${step.environment} (${change.kind})`, script)])),
      ]),
    ],
    post: { always: [archiveStep(`evidence/traffic-${step.environment}.*`)] },
  };
}

/**
 * `aws s3 sync` of a built front end, then a CloudFront invalidation and its waiter. New files go
 * up first, stale ones are deleted only after the invalidation completed, so a client holding the
 * old `index.html` can still load its assets meanwhile.
 */
export function lowerS3Publish(step: S3PublishStep): DeliveryLowering {
  const env: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['PW_AWS_ACCOUNT', step.aws.account],
    ['PW_S3_SOURCE', step.source ?? DELIVERY_DEFAULTS.s3.source],
    ['PW_S3_DESTINATION', `s3://${step.bucket}/${step.prefix === undefined ? '' : `${step.prefix.replace(/^\/+|\/+$/g, '')}/`}`],
  ];
  if (step.cloudFrontDistributionId !== undefined) env.push(['PW_CLOUDFRONT_DISTRIBUTION', step.cloudFrontDistributionId]);
  const invalidate = step.cloudFrontDistributionId !== undefined;
  const script = bashScript([
    'mkdir -p evidence',
    ...CHECK_AWS_ACCOUNT,
    'aws s3 sync "$PW_S3_SOURCE" "$PW_S3_DESTINATION" --only-show-errors',
    'invalidation=""',
    ...(invalidate
      ? [
          'invalidation="$(aws cloudfront create-invalidation --distribution-id "$PW_CLOUDFRONT_DISTRIBUTION" \\',
          "  --paths '/*' --query 'Invalidation.Id' --output text)\"",
          'aws cloudfront wait invalidation-completed --distribution-id "$PW_CLOUDFRONT_DISTRIBUTION" --id "$invalidation"',
        ]
      : []),
    'aws s3 sync "$PW_S3_SOURCE" "$PW_S3_DESTINATION" --only-show-errors --delete',
    'jq -n --arg event deploy --arg method s3 --arg environment "$DEPLOY_ENV" --arg destination "$PW_S3_DESTINATION" \\',
    `  --arg invalidation "$invalidation" --arg gitCommit "\${GIT_COMMIT:-}" \\`,
    '  --arg approver "${DEPLOY_APPROVER:-}" --arg changeId "${DEPLOY_CHANGE_ID:-}" \\',
    `  --arg buildUrl "\${BUILD_URL:-}" --arg time "${UTC_NOW}" \\`,
    "  '$ARGS.named' > \"evidence/s3-$DEPLOY_ENV.json\"",
  ]);
  return {
    steps: [
      ...(step.stash !== undefined ? [unstashStep(step.stash)] : []),
      lockStep(deployLockName('s3', step.environment, step.bucket), [
        withAws(step.aws, withEnv(env, [shStep(`s3 publish ${step.environment}`, script)])),
      ]),
    ],
    post: { always: [archiveStep(`evidence/s3-${step.environment}.json`)] },
  };
}
