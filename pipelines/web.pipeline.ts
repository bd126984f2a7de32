import { archiveArtifacts, checkoutScm, definePipeline, sh, stash, unstash, step } from 'pipewright';
import { accounts, buildAgent, slackPost, standardOptions } from './shared/org-defaults.ts';

/** web: the React front end, built once and published to S3 + CloudFront. */
export default definePipeline({
  agent: buildAgent,
  options: { ...standardOptions, timeout: { time: 30, unit: 'MINUTES' } },
  tools: { nodejs: 'node-20' },
  environment: { CI: 'true', AWS_REGION: accounts.dev.region },
  stages: [
    { name: 'Checkout', steps: [checkoutScm()] },
    { name: 'Install', steps: [sh('npm ci --cache "$HOME/.npm" --prefer-offline --no-audit', { label: 'npm ci' })] },
    {
      name: 'Checks',
      parallel: [
        { name: 'Lint', steps: [sh('npm run lint', { label: 'eslint' })] },
        { name: 'Type check', steps: [sh('npx tsc --noEmit', { label: 'tsc' })] },
        {
          name: 'Unit tests',
          steps: [sh('npm test -- --ci --reporters=default --reporters=jest-junit', { label: 'jest' })],
          post: { always: [step('junit', { testResults: 'junit.xml', allowEmptyResults: false })] },
        },
      ],
    },
    {
      name: 'Build',
      steps: [
        sh('npm run build', { label: 'vite build' }),
        archiveArtifacts('dist/**', { fingerprint: true }),
        stash('web-dist', { includes: 'dist/**' }),
      ],
    },
    {
      name: 'Publish to dev',
      when: { branch: 'main' },
      steps: [
        unstash('web-dist'),
        step(
          'withAWS',
          { role: 'web-publisher-dev', roleAccount: accounts.dev.accountId, region: accounts.dev.region, duration: 900 },
          [sh('aws s3 sync dist/ "s3://fintech-web-dev/" --delete --only-show-errors', { label: 's3 sync' })],
        ),
      ],
    },
  ],
  post: slackPost('#web'),
});
