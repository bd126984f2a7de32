/**
 * The image: BuildKit build tagged with the commit SHA, ECR push with digest capture, SBOM and
 * cosign signature. The hand-over files are described in `DELIVERY_FILES`.
 */
import { DELIVERY_DEFAULTS, DELIVERY_FILES } from '../../model/delivery-defaults.ts';
import type { CosignSignStep, DockerBuildStep, EcrPushStep, SbomStep } from '../../model/delivery.ts';
import { groovyStringLiteral as lit } from '../../jenkinsfile/groovy-literal.ts';
import { archiveStep, scriptBlock, shStep, withAws, withCredentials, withEnv, type Binding, type EnvVars } from './jenkins.ts';
import { bashScript, READ_COMMIT, READ_IMAGE_REF, UTC_NOW } from './shell.ts';
import type { DeliveryLowering } from './types.ts';

/** Environment-variable suffix for a key: upper case, non-alphanumerics as `_`. */
function envSuffix(key: string): string {
  return key.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * `docker build --pull` with BuildKit, OCI labels (ART-006), non-secret build args through the
 * environment, BuildKit secrets from file credentials (SECRET-004), tagged `<repository>:<sha>`
 * only (ART-001). Writes `image-id.txt` and `image-local.txt`.
 */
export function lowerDockerBuild(step: DockerBuildStep): DeliveryLowering {
  const env: EnvVars = [
    ['PW_IMAGE_REPOSITORY', step.repository],
    ['PW_DOCKERFILE', step.dockerfile ?? DELIVERY_DEFAULTS.docker.dockerfile],
    ['PW_DOCKER_CONTEXT', step.context ?? DELIVERY_DEFAULTS.docker.context],
  ];
  if (step.version !== undefined) env.push(['PW_IMAGE_VERSION', step.version]);
  const flags: string[] = [];
  if (step.pull ?? DELIVERY_DEFAULTS.docker.pull) flags.push('--pull');
  flags.push(
    '--file "$PW_DOCKERFILE"',
    '--label org.opencontainers.image.revision="$commit"',
    '--label org.opencontainers.image.source="${GIT_URL:-unknown}"',
    `--label org.opencontainers.image.created="${UTC_NOW}"`,
    step.version !== undefined
      ? '--label org.opencontainers.image.version="$PW_IMAGE_VERSION"'
      : '--label org.opencontainers.image.version="$commit"',
  );
  for (const [key, value] of Object.entries(step.labels ?? {})) {
    const variable = `PW_LABEL_${envSuffix(key)}`;
    env.push([variable, value]);
    flags.push(`--label ${key}="$${variable}"`);
  }
  for (const [name, value] of Object.entries(step.buildArgs ?? {})) {
    const variable = `PW_BUILD_ARG_${envSuffix(name)}`;
    env.push([variable, value]);
    flags.push(`--build-arg ${name}="$${variable}"`);
  }
  const bindings: Binding[] = [];
  for (const secret of step.secrets ?? []) {
    const variable = `PW_BUILD_SECRET_${envSuffix(secret.id)}`;
    bindings.push({ type: 'file', credentialsId: secret.credentialId, variable });
    flags.push(`--secret id=${secret.id},src="$${variable}"`);
  }
  if (step.target !== undefined) flags.push(`--target ${step.target}`);
  if (step.platform !== undefined) flags.push(`--platform ${step.platform}`);
  flags.push(`--iidfile ${DELIVERY_FILES.imageId}`, '--tag "$image"');
  const script = bashScript([
    ...READ_COMMIT,
    'image="$PW_IMAGE_REPOSITORY:$commit"',
    'DOCKER_BUILDKIT=1 docker build \\',
    ...flags.map((flag) => `  ${flag} \\`),
    '  "$PW_DOCKER_CONTEXT"',
    `printf '%s\\n' "$image" > ${DELIVERY_FILES.imageLocal}`,
    'echo "built $image ($(cat image-id.txt))"',
  ]);
  return { steps: withCredentials(bindings, withEnv(env, [shStep('docker build', script)])) };
}

/**
 * ECR login through `get-login-password | docker login --password-stdin` (the token never reaches
 * a command line), push of the built and scanned image (its image ID is checked, SCAN-005), digest
 * capture into `image-ref.txt` (ART-002), stashed for the deploy stages and exposed to later
 * Groovy (notifications) as `env.IMAGE_REF`.
 */
export function lowerEcrPush(step: EcrPushStep): DeliveryLowering {
  const registry = `${step.registry.accountId}.dkr.ecr.${step.registry.region}.amazonaws.com`;
  const env: EnvVars = [
    ['PW_ECR_REGISTRY', registry],
    ['PW_ECR_ACCOUNT', step.registry.accountId],
    ['PW_ECR_REGION', step.registry.region],
    ['PW_ECR_REPOSITORY', step.repository],
  ];
  const script = bashScript([
    `local_image="$(cat ${DELIVERY_FILES.imageLocal})"`,
    `built_id="$(cat ${DELIVERY_FILES.imageId})"`,
    'tag="${local_image##*:}"',
    'if [ "${local_image%:*}" != "$PW_ECR_REPOSITORY" ]; then',
    '  echo "the built image is $local_image, not a $PW_ECR_REPOSITORY image" >&2',
    '  exit 1',
    'fi',
    "if [ \"$(docker image inspect --format '{{.Id}}' \"$local_image\")\" != \"$built_id\" ]; then",
    '  echo "$local_image is not the image that was built and scanned ($built_id)" >&2',
    '  exit 1',
    'fi',
    'if aws ecr describe-images --region "$PW_ECR_REGION" --registry-id "$PW_ECR_ACCOUNT" \\',
    '  --repository-name "$PW_ECR_REPOSITORY" --image-ids imageTag="$tag" > /dev/null 2>&1; then',
    '  echo "$PW_ECR_REPOSITORY:$tag already exists; tags are immutable: promote the existing digest instead" >&2',
    '  exit 1',
    'fi',
    'remote="$PW_ECR_REGISTRY/$PW_ECR_REPOSITORY:$tag"',
    'aws ecr get-login-password --region "$PW_ECR_REGION" | docker login --username AWS --password-stdin "$PW_ECR_REGISTRY"',
    'docker tag "$local_image" "$remote"',
    'docker push "$remote"',
    'digest="$(aws ecr describe-images --region "$PW_ECR_REGION" --registry-id "$PW_ECR_ACCOUNT" \\',
    '  --repository-name "$PW_ECR_REPOSITORY" --image-ids imageTag="$tag" \\',
    "  --query 'imageDetails[0].imageDigest' --output text)\"",
    'if ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then',
    '  echo "ECR returned no digest for $remote: $digest" >&2',
    '  exit 1',
    'fi',
    `printf '%s\\n' "$PW_ECR_REGISTRY/$PW_ECR_REPOSITORY@$digest" > ${DELIVERY_FILES.imageRef}`,
    `echo "pushed $(cat ${DELIVERY_FILES.imageRef})"`,
  ]);
  const stash = step.stash ?? DELIVERY_DEFAULTS.imageStash;
  return {
    steps: [
      withAws(step.aws, withEnv(env, [shStep('ecr push', script)])),
      // One generator-owned snippet (a helper method, src/lower/outline.ts): stash the digest
      // reference for the deploy stages, and put it in env.IMAGE_REF for the notifications.
      scriptBlock(
        [
          `stash(name: ${lit(stash)}, includes: ${lit(DELIVERY_FILES.imageRef)})`,
          `env.IMAGE_REF = readFile(${lit(DELIVERY_FILES.imageRef)}).trim()`,
        ].join('\n'),
      ),
    ],
    post: { always: [archiveStep(`${DELIVERY_FILES.imageRef},${DELIVERY_FILES.imageId}`)] },
  };
}

const SBOM_FILES = { cyclonedx: 'reports/sbom.cdx.json', 'spdx-json': 'reports/sbom.spdx.json' } as const;

/** CycloneDX / SPDX SBOM of the image (ART-004), archived with fingerprints. */
export function lowerSbom(step: SbomStep): DeliveryLowering {
  const tool = step.tool ?? DELIVERY_DEFAULTS.sbom.tool;
  const formats = step.formats ?? DELIVERY_DEFAULTS.sbom.formats;
  const source = step.image ?? DELIVERY_DEFAULTS.sbom.image;
  const file = source === 'built' ? DELIVERY_FILES.imageLocal : DELIVERY_FILES.imageRef;
  const commands =
    tool === 'syft'
      ? [
          `syft scan "$image" ${formats
            .map((f) => `-o ${f === 'cyclonedx' ? 'cyclonedx-json' : 'spdx-json'}=${SBOM_FILES[f]}`)
            .join(' ')}`,
        ]
      : formats.map((f) => `trivy image --format ${f} --output ${SBOM_FILES[f]} "$image"`);
  const script = bashScript([`image="$(cat ${file})"`, 'mkdir -p reports', ...commands]);
  return {
    steps: [shStep(`sbom (${tool})`, script)],
    post: { always: [archiveStep(formats.map((f) => SBOM_FILES[f]).join(','))] },
  };
}

const ATTEST_TYPES = { cyclonedx: 'cyclonedx', 'spdx-json': 'spdxjson' } as const;

/**
 * `cosign sign` of the pushed digest with a KMS key, optional SBOM attestations, then `cosign
 * verify` so a signature that cannot be verified fails here (ART-005).
 */
export function lowerCosignSign(step: CosignSignStep): DeliveryLowering {
  const env: EnvVars = [['PW_COSIGN_KEY', step.key]];
  if (step.signatureRepository !== undefined) env.push(['COSIGN_REPOSITORY', step.signatureRepository]);
  const skipTlog = step.skipTlogUpload !== undefined;
  if (skipTlog) env.push(['PW_COSIGN_SKIP_TLOG_RATIONALE', step.skipTlogUpload!.rationale]);
  const tlogFlag = skipTlog ? ' --tlog-upload=false' : '';
  const verifyFlag = skipTlog ? ' --insecure-ignore-tlog=true' : '';
  const script = bashScript([
    ...READ_IMAGE_REF,
    'mkdir -p reports',
    skipTlog ? 'echo "not uploading to the transparency log: $PW_COSIGN_SKIP_TLOG_RATIONALE"' : undefined,
    `cosign sign --yes${tlogFlag} --key "$PW_COSIGN_KEY" "$image_ref"`,
    ...(step.attest ?? []).map(
      (format) =>
        `cosign attest --yes${tlogFlag} --key "$PW_COSIGN_KEY" --type ${ATTEST_TYPES[format]} --predicate ${SBOM_FILES[format]} "$image_ref"`,
    ),
    `cosign verify${verifyFlag} --key "$PW_COSIGN_KEY" "$image_ref" > reports/cosign-verify.json`,
    ...(step.attest ?? []).map(
      (format) =>
        `cosign verify-attestation${verifyFlag} --key "$PW_COSIGN_KEY" --type ${ATTEST_TYPES[format]} "$image_ref" > reports/cosign-verify-${ATTEST_TYPES[format]}.json`,
    ),
  ]);
  return {
    steps: [withAws(step.aws, withEnv(env, [shStep('cosign sign', script)]))],
    post: { always: [archiveStep('reports/cosign-verify*.json')] },
  };
}
