/** EKS deploys (helm or kubectl, by digest) and GitOps digest bumps. */
import { DELIVERY_DEFAULTS, deployLockName, deployScriptTimeoutMinutes } from '../../model/delivery-defaults.ts';
import type { EksDeployStep, GitopsBumpStep } from '../../model/delivery.ts';
import {
  archiveStep,
  lockStep,
  shStep,
  timeoutStep,
  unstashStep,
  withAws,
  withCredentials,
  withEnv,
  type Binding,
  type EnvVars,
} from './jenkins.ts';
import { bashScript, CHECK_AWS_ACCOUNT, READ_IMAGE_REF, UTC_NOW, VERIFY_SIGNATURE } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

const EKS_EVIDENCE_FUNCTION = [
  'write_evidence() {',
  '  jq -n --arg event "$event" --arg result "$result" --arg method "$PW_EKS_METHOD" \\',
  '    --arg environment "$DEPLOY_ENV" --arg account "$PW_AWS_ACCOUNT" --arg region "$PW_AWS_REGION" \\',
  '    --arg cluster "$EKS_CLUSTER" --arg namespace "$K8S_NAMESPACE" --arg workload "$PW_K8S_WORKLOAD" \\',
  '    --arg imageRef "$image_ref" --arg imageDigest "${image_ref##*@}" \\',
  '    --arg approver "${DEPLOY_APPROVER:-}" --arg changeId "${DEPLOY_CHANGE_ID:-}" \\',
  '    --arg gitCommit "${GIT_COMMIT:-}" --arg buildUrl "${BUILD_URL:-}" \\',
  `    --arg startedAt "$started_at" --arg finishedAt "${UTC_NOW}" \\`,
  "    '$ARGS.named' > \"evidence/eks-$DEPLOY_ENV-$PW_K8S_WORKLOAD.json\"",
  '}',
];

/**
 * `helm upgrade --install --atomic --wait` (helm rolls back by itself) or `kubectl set image` +
 * `rollout status` with `rollout undo` on failure; always by digest, with a temporary kubeconfig
 * for the assumed role, and an evidence record. With `verifySignature`, `cosign verify` runs before
 * the cluster is touched (ART-005).
 */
export function lowerEksDeploy(step: EksDeployStep): DeliveryLowering {
  const minutes = step.timeoutMinutes ?? DELIVERY_DEFAULTS.eks.timeoutMinutes;
  const method = step.method;
  const workload = method.kind === 'helm' ? method.release : method.deployment;
  const env: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['EKS_CLUSTER', step.cluster],
    ['K8S_NAMESPACE', step.namespace],
    ['PW_K8S_WORKLOAD', workload],
    ['PW_EKS_METHOD', method.kind],
    ['PW_AWS_ACCOUNT', step.aws.account],
    ['PW_AWS_REGION', step.aws.region],
    ['PW_ROLLOUT_TIMEOUT_MINUTES', String(minutes)],
  ];
  if (step.verifySignature !== undefined) env.push(['PW_COSIGN_KEY', step.verifySignature.key]);
  let rollout: string[];
  if (method.kind === 'helm') {
    const keys = method.imageKeys ?? DELIVERY_DEFAULTS.eks.imageKeys;
    env.push(['PW_HELM_CHART', method.chart], ['PW_HELM_REPOSITORY_KEY', keys.repository], ['PW_HELM_DIGEST_KEY', keys.digest]);
    if (method.valuesFile !== undefined) env.push(['PW_HELM_VALUES', method.valuesFile]);
    rollout = [
      '# --atomic: helm rolls the release back by itself when the rollout fails or times out.',
      'helm upgrade --install "$PW_K8S_WORKLOAD" "$PW_HELM_CHART" --namespace "$K8S_NAMESPACE" \\',
      '  --atomic --wait --timeout "${PW_ROLLOUT_TIMEOUT_MINUTES}m" \\',
      method.valuesFile !== undefined ? '  --values "$PW_HELM_VALUES" \\' : undefined,
      '  --set-string "$PW_HELM_REPOSITORY_KEY=${image_ref%@*}" --set-string "$PW_HELM_DIGEST_KEY=${image_ref##*@}" \\',
      '  || { result="ROLLED_BACK"; event="rollback"; exit 1; }',
    ].filter((l): l is string => l !== undefined);
  } else {
    env.push(['K8S_CONTAINER', method.container]);
    rollout = [
      'kubectl --namespace "$K8S_NAMESPACE" set image "deployment/$PW_K8S_WORKLOAD" "$K8S_CONTAINER=$image_ref"',
      'if ! kubectl --namespace "$K8S_NAMESPACE" rollout status "deployment/$PW_K8S_WORKLOAD" \\',
      '  --timeout "${PW_ROLLOUT_TIMEOUT_MINUTES}m"; then',
      '  echo "the rollout failed: undoing it" >&2',
      '  kubectl --namespace "$K8S_NAMESPACE" rollout undo "deployment/$PW_K8S_WORKLOAD"',
      '  kubectl --namespace "$K8S_NAMESPACE" rollout status "deployment/$PW_K8S_WORKLOAD" \\',
      '    --timeout "${PW_ROLLOUT_TIMEOUT_MINUTES}m"',
      '  event="rollback"',
      '  result="ROLLED_BACK"',
      '  exit 1',
      'fi',
    ];
  }
  const script = bashScript([
    'mkdir -p evidence',
    ...READ_IMAGE_REF,
    ...CHECK_AWS_ACCOUNT,
    `started_at="${UTC_NOW}"`,
    'event="deploy"',
    'result="FAILURE"',
    ...EKS_EVIDENCE_FUNCTION,
    'kubeconfig="$(mktemp)"',
    'on_exit() {',
    '  local status=$?',
    '  trap - EXIT',
    '  rm -f "$kubeconfig"',
    '  write_evidence',
    '  exit "$status"',
    '}',
    'trap on_exit EXIT',
    ...(step.verifySignature !== undefined ? VERIFY_SIGNATURE : []),
    'aws eks update-kubeconfig --name "$EKS_CLUSTER" --region "$PW_AWS_REGION" --kubeconfig "$kubeconfig" > /dev/null',
    'export KUBECONFIG="$kubeconfig"',
    ...rollout,
    'result="SUCCESS"',
    'echo "$PW_K8S_WORKLOAD in $DEPLOY_ENV runs $image_ref"',
  ]);
  const jenkinsMinutes = deployScriptTimeoutMinutes(step)!;
  return {
    steps: [
      unstashStep(step.imageStash ?? DELIVERY_DEFAULTS.imageStash),
      lockStep(deployLockName('eks', step.environment, workload), [
        timeoutStep(jenkinsMinutes, [
          withAws(step.aws, withEnv(env, [shStep(`eks deploy ${step.environment}`, script)]), (jenkinsMinutes + 5) * 60),
        ]),
      ]),
    ],
    post: { always: [archiveStep(`evidence/eks-${step.environment}-${workload}.json`)] },
  };
}

/**
 * Clones the manifests repository, writes the digest with kustomize or yq, commits and pushes
 * (rebasing and retrying on a concurrent push). With `verifySignature`, a separate script first
 * verifies the digest's cosign signature under `withAWS(aws)`, so git never holds AWS credentials. The https token reaches git through a
 * `GIT_ASKPASS` helper that reads it from the environment, never from a URL or a command line.
 */
export function lowerGitopsBump(step: GitopsBumpStep): DeliveryLowering {
  const D = DELIVERY_DEFAULTS.gitops;
  const env: EnvVars = [
    ['DEPLOY_ENV', step.environment],
    ['PW_GITOPS_REPOSITORY', step.repository],
    ['PW_GITOPS_BRANCH', step.branch ?? D.branch],
    ['PW_GITOPS_FILE', step.file],
    ['PW_GIT_AUTHOR_NAME', step.authorName ?? D.authorName],
    ['PW_GIT_AUTHOR_EMAIL', step.authorEmail ?? D.authorEmail],
  ];
  const bindings: Binding[] = [];
  let auth: string[];
  if (step.auth.kind === 'https') {
    bindings.push({
      type: 'usernamePassword',
      credentialsId: step.auth.credentialId,
      usernameVariable: 'GIT_USERNAME',
      passwordVariable: 'GIT_PASSWORD',
    });
    auth = [
      'cat > "$workdir/askpass" <<\'ASKPASS\'',
      '#!/bin/sh',
      'case "$1" in',
      '  Username*) printf \'%s\\n\' "$GIT_USERNAME" ;;',
      '  *) printf \'%s\\n\' "$GIT_PASSWORD" ;;',
      'esac',
      'ASKPASS',
      'chmod 700 "$workdir/askpass"',
      'export GIT_ASKPASS="$workdir/askpass" GIT_TERMINAL_PROMPT=0',
    ];
  } else {
    bindings.push({ type: 'sshUserPrivateKey', credentialsId: step.auth.credentialId, keyFileVariable: 'GIT_SSH_KEY' });
    auth = [
      '# Host keys must already be known to the agent: no trust on first use.',
      'export GIT_SSH_COMMAND="ssh -i \\"$GIT_SSH_KEY\\" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes"',
    ];
  }
  let edit: string[];
  if (step.editor.kind === 'kustomize') {
    env.push(['PW_KUSTOMIZE_IMAGE', step.editor.imageName]);
    edit = [
      '(',
      '  cd "$(dirname "$PW_GITOPS_FILE")"',
      '  kustomize edit set image "$PW_KUSTOMIZE_IMAGE=$image_ref"',
      ')',
    ];
  } else {
    env.push(['PW_YQ_PATH', step.editor.yamlPath]);
    edit = ['IMAGE_REF="$image_ref" yq -i \'eval(strenv(PW_YQ_PATH)) = strenv(IMAGE_REF)\' "$PW_GITOPS_FILE"'];
  }
  const verify =
    step.verifySignature !== undefined && step.aws !== undefined
      ? [
          withAws(
            step.aws,
            withEnv(
              [
                ['PW_AWS_ACCOUNT', step.aws.account],
                ['PW_COSIGN_KEY', step.verifySignature.key],
              ],
              [shStep(`verify signature ${step.environment}`, bashScript([...READ_IMAGE_REF, ...CHECK_AWS_ACCOUNT, ...VERIFY_SIGNATURE]))],
            ),
          ),
        ]
      : [];
  const script = bashScript([
    'mkdir -p evidence',
    ...READ_IMAGE_REF,
    'workdir="$(mktemp -d)"',
    'cleanup() {',
    '  rm -rf "$workdir"',
    '}',
    'trap cleanup EXIT',
    ...auth,
    'git clone --quiet --depth 20 --branch "$PW_GITOPS_BRANCH" "$PW_GITOPS_REPOSITORY" "$workdir/repo"',
    'evidence="$PWD/evidence/gitops-$DEPLOY_ENV.json"',
    'cd "$workdir/repo"',
    ...edit,
    'if git diff --quiet; then',
    '  echo "$PW_GITOPS_FILE already points at $image_ref"',
    'else',
    '  git add -- "$PW_GITOPS_FILE"',
    '  git -c user.name="$PW_GIT_AUTHOR_NAME" -c user.email="$PW_GIT_AUTHOR_EMAIL" commit --quiet \\',
    '    -m "deploy($DEPLOY_ENV): ${image_ref##*/}" -m "Jenkins build: ${BUILD_URL:-unknown}"',
    '  for attempt in 1 2 3; do',
    '    if git push --quiet origin "HEAD:$PW_GITOPS_BRANCH"; then',
    '      break',
    '    fi',
    '    if [ "$attempt" -eq 3 ]; then',
    '      echo "the push was rejected three times" >&2',
    '      exit 1',
    '    fi',
    '    git pull --quiet --rebase origin "$PW_GITOPS_BRANCH"',
    '  done',
    'fi',
    'jq -n --arg event deploy --arg method gitops --arg environment "$DEPLOY_ENV" \\',
    '  --arg repository "$PW_GITOPS_REPOSITORY" --arg branch "$PW_GITOPS_BRANCH" --arg file "$PW_GITOPS_FILE" \\',
    '  --arg manifestsCommit "$(git rev-parse HEAD)" --arg imageRef "$image_ref" --arg imageDigest "${image_ref##*@}" \\',
    '  --arg approver "${DEPLOY_APPROVER:-}" --arg changeId "${DEPLOY_CHANGE_ID:-}" \\',
    `  --arg buildUrl "\${BUILD_URL:-}" --arg time "${UTC_NOW}" \\`,
    "  '$ARGS.named' > \"$evidence\"",
  ]);
  return {
    steps: [
      unstashStep(step.imageStash ?? DELIVERY_DEFAULTS.imageStash),
      lockStep(deployLockName('gitops', step.environment, step.file), [
        // Verified and bumped under one lock: the reference that was verified is the one committed.
        ...verify,
        ...withCredentials(bindings, withEnv(env, [shStep(`gitops bump ${step.environment}`, script)])),
      ]),
    ],
    post: { always: [archiveStep(`evidence/gitops-${step.environment}.json`)] },
  };
}
