/**
 * Organisation-wide defaults shared by every service pipeline. A change here recompiles every
 * pipeline that imports it.
 */
import { archiveArtifacts, junit, sh, step, type Agent, type PipelineOptions, type Post, type Stage } from 'pipewright';

/** Ephemeral build agents with Docker; never the built-in node. */
export const buildAgent: Agent = { type: 'label', label: 'linux && docker && ephemeral' };

/** Dedicated, isolated agents for production deploys. */
export const prodDeployAgent: Agent = { type: 'label', label: 'prod-deployer' };

export const standardOptions: PipelineOptions = {
  timeout: { time: 45, unit: 'MINUTES' },
  buildDiscarder: { numToKeep: 50, artifactNumToKeep: 20 },
  disableConcurrentBuilds: true,
  timestamps: true,
  durabilityHint: 'PERFORMANCE_OPTIMIZED',
};

/** AWS accounts per environment (one account per environment). */
export const accounts = {
  dev: { accountId: '111111111111', region: 'eu-west-1' },
  stage: { accountId: '222222222222', region: 'eu-west-1' },
  prod: { accountId: '333333333333', region: 'eu-west-1' },
} as const;

/** `npm ci` with a cache in the agent's home, then unit tests with JUnit reports. */
export function nodeBuildAndTest(nodeVersion: string): Stage {
  return {
    name: 'Build & unit test',
    tools: { nodejs: nodeVersion },
    steps: [
      sh('npm ci --cache "$HOME/.npm" --prefer-offline --no-audit', { label: 'npm ci' }),
      sh('npm run build --if-present', { label: 'build' }),
      sh('npm test -- --reporter=junit --outputFile=reports/junit/unit.xml', { label: 'unit tests' }),
    ],
    post: { always: [junit('reports/junit/*.xml', { allowEmptyResults: false })] },
  };
}

/** Slack notifications for the outcome of a run, by token credential (never a literal URL). */
export function slackPost(channel: string): Post {
  return {
    failure: [
      step('slackSend', {
        channel,
        color: 'danger',
        tokenCredentialId: 'slack-bot-token',
        message: 'Build failed: see the build link in Jenkins',
      }),
    ],
    fixed: [step('slackSend', { channel, color: 'good', tokenCredentialId: 'slack-bot-token', message: 'Build fixed' })],
    always: [archiveArtifacts('reports/**', { allowEmptyArchive: true, fingerprint: true })],
  };
}
