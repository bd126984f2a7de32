/** Node.js steps: `npm ci` with a cache, `npm run <script>` with JUnit publishing. */
import { call, positional, str } from '../../jenkinsfile/ast.ts';
import type { NpmCiStep, NpmRunStep } from '../../model/delivery.ts';
import { archiveStep, generatorStep, inDirectory, shStep, withCredentials, withEnv, type Binding, type EnvVars } from './jenkins.ts';
import type { DeliveryLowering } from './types.ts';

/** `npm ci --cache … --prefer-offline --no-audit --no-fund`. */
export function lowerNpmCi(step: NpmCiStep): DeliveryLowering {
  const env: EnvVars = step.cacheDir === undefined ? [] : [['PW_NPM_CACHE', step.cacheDir]];
  const cache = step.cacheDir === undefined ? '"$HOME/.npm"' : '"$PW_NPM_CACHE"';
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', ...(step.ignoreScripts ? ['--ignore-scripts'] : [])];
  const script = `npm ci --cache ${cache} ${flags.join(' ')}`;
  // npm reads its user config from NPM_CONFIG_USERCONFIG: the .npmrc stays in the credential's
  // temporary file and never enters the workspace.
  const bindings: Binding[] =
    step.npmrcCredentialId === undefined
      ? []
      : [{ type: 'file', credentialsId: step.npmrcCredentialId, variable: 'NPM_CONFIG_USERCONFIG' }];
  return { steps: inDirectory(step.directory, withCredentials(bindings, withEnv(env, [shStep('npm ci', script)]))) };
}

/** `npm run <script> [-- args]`, publishing JUnit reports and archiving files in `post { always }`. */
export function lowerNpmRun(step: NpmRunStep): DeliveryLowering {
  const args = step.args !== undefined && step.args.length > 0 ? ` -- ${step.args.join(' ')}` : '';
  const prefix = step.directory === undefined || step.directory === '.' ? '' : `${step.directory.replace(/\/+$/, '')}/`;
  const always = [];
  if (step.junit !== undefined) {
    // `allowEmptyResults` defaults to false: no report files fail the build.
    always.push(generatorStep(call('junit', positional(str(prefix + step.junit)))));
  }
  if (step.archive !== undefined) always.push(archiveStep(prefix + step.archive));
  return {
    steps: inDirectory(step.directory, [shStep(`npm run ${step.script}`, `npm run ${step.script}${args}`)]),
    ...(always.length > 0 ? { post: { always } } : {}),
  };
}
