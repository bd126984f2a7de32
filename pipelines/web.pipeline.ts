import { definePipeline, reactApp } from 'pipewright';
import { notifyTo, org, siteEnvironments } from './shared/org-defaults.ts';

/** web: the React front end, built once and published to S3 + CloudFront in dev → stage → prod. */
export default definePipeline(
  reactApp({
    ...org,
    name: 'web',
    environments: siteEnvironments(
      'web',
      { dev: 'E1DEVWEBDIST01', stage: 'E2STAGEWEBDIST', prod: 'E3PRODWEBDIST3' },
      { approvers: ['web-release-managers'] },
    ),
    notifications: notifyTo('#web'),
    // The web repository has no type-check script; tsc runs inside `npm run lint`.
    overrides: { typecheck: false },
  }),
);
