import { archiveArtifacts, definePipeline, junit, npmCi, sh } from 'pipewright';
import { buildAgentLabel } from './shared/org-defaults.ts';

/**
 * platform-pr-check: the pull-request gate of a repository whose pipelines are written with
 * pipewright. Generated Jenkinsfiles must be up to date and untouched, the policy must pass
 * (JUnit for the build page, SARIF for code scanning), and reviewers get the semantic pipeline
 * diff against the target branch (security-relevant changes first) as an artifact.
 * See docs/ci.md.
 */
export default definePipeline({
  agent: { type: 'label', label: buildAgentLabel },
  options: {
    timeout: { time: 20, unit: 'MINUTES' },
    buildDiscarder: { numToKeep: 50 },
    // A new push to the pull request makes the running check obsolete.
    disableConcurrentBuilds: { abortPrevious: true },
    timestamps: true,
  },
  stages: [
    { name: 'Install', steps: [npmCi()] },
    {
      name: 'Generated Jenkinsfiles',
      steps: [sh('npx pipewright compile --check', { label: 'pipewright compile --check' })],
    },
    {
      name: 'Policy',
      steps: [
        sh(
          [
            '#!/bin/bash',
            'set -euo pipefail',
            'mkdir -p reports',
            // Both reports are written even when the first run finds violations; the step fails after.
            'status=0',
            'npx pipewright lint --format junit --output reports/pipewright.xml || status=$?',
            'npx pipewright lint --format sarif --output reports/pipewright.sarif || status=$?',
            'exit "$status"',
          ].join('\n'),
          { label: 'pipewright lint (JUnit + SARIF)' },
        ),
      ],
      post: {
        always: [
          junit('reports/pipewright.xml', { allowEmptyResults: false }),
          archiveArtifacts('reports/pipewright.sarif', { allowEmptyArchive: true, fingerprint: true }),
        ],
      },
    },
    {
      name: 'Pipeline diff',
      // Only a pull request has a target branch to compare with.
      when: { changeRequest: true },
      steps: [
        sh(
          [
            '#!/bin/bash',
            'set -euo pipefail',
            'mkdir -p reports',
            // The merge strategy fetches the target branch already; the head-only strategy does not.
            'if ! git rev-parse --verify --quiet "origin/${CHANGE_TARGET}^{commit}" >/dev/null; then',
            '  git fetch --no-tags origin "+refs/heads/${CHANGE_TARGET}:refs/remotes/origin/${CHANGE_TARGET}"',
            'fi',
            'npx pipewright diff --base "origin/${CHANGE_TARGET}" --format markdown > reports/pipeline-diff.md',
            'npx pipewright diff --base "origin/${CHANGE_TARGET}" --format json > reports/pipeline-diff.json',
            // The security-relevant part, in the build log for reviewers who do not open artifacts.
            'npx pipewright diff --base "origin/${CHANGE_TARGET}" --security-only',
          ].join('\n'),
          { label: 'pipewright diff against the target branch' },
        ),
      ],
      post: {
        always: [archiveArtifacts('reports/pipeline-diff.*', { allowEmptyArchive: true, fingerprint: true })],
      },
    },
  ],
});
