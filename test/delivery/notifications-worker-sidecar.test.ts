/**
 * notifications-worker runs its integration tests on the Node build agent with LocalStack as a
 * sidecar container (issue #13.5): not inside the LocalStack image as a docker agent, where
 * docker-workflow replaces LocalStack's entrypoint command with `cat` and the agent's
 * `tools { nodejs }` is not on the path. The sidecar scripts the Jenkinsfile carries are run here
 * with bash against a stand-in `docker` command and a real HTTP health endpoint.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, type CompiledPipeline } from '../../src/compile.ts';
import type { Stage } from '../../src/model/schema.ts';
import { shScripts } from './support.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let pipeline: CompiledPipeline;

beforeAll(async () => {
  const run = await compileProject({ root: ROOT, files: [join(ROOT, 'pipelines/notifications-worker.pipeline.ts')] });
  pipeline = run.pipelines[0]!;
  expect(pipeline.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
}, 60_000);

/** Every stage with the chain of stages above it. */
function stagesWithParents(stages: readonly Stage[], parents: Stage[] = []): Array<{ stage: Stage; parents: Stage[] }> {
  return stages.flatMap((stage) => [
    { stage, parents },
    ...stagesWithParents(stage.stages ?? [], [...parents, stage]),
    ...stagesWithParents(stage.parallel ?? [], [...parents, stage]),
  ]);
}

function runBash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(cwd, `script-${Math.random().toString(16).slice(2)}.sh`);
  writeFileSync(file, script);
  return new Promise((done) => {
    execFile('bash', [file], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

describe('notifications-worker integration tests', () => {
  it('run on the Node build agent, not inside the LocalStack image', () => {
    const all = stagesWithParents(pipeline.model!.stages as Stage[]);
    const integration = all.find(({ stage }) => stage.name === 'Integration tests');
    expect(integration).toBeDefined();
    // No agent of its own: it runs where its parents run, and the nearest agent has Node.js.
    expect(integration!.stage.agent).toBeUndefined();
    const withAgent = [...integration!.parents].reverse().find((parent) => parent.agent !== undefined);
    expect(withAgent?.agent).toEqual({ type: 'label', label: 'linux && docker && ephemeral' });
    expect(withAgent?.tools).toMatchObject({ nodejs: expect.any(String) });
    // Nothing in the pipeline uses LocalStack as a docker agent.
    for (const { stage } of all) {
      const agent = stage.agent as { type?: string; image?: string } | undefined;
      if (agent?.type === 'docker') expect(agent.image).not.toMatch(/localstack/);
    }
    const text = pipeline.jenkinsfile!;
    const stageText = text.slice(text.indexOf("stage('Integration tests')"), text.indexOf("stage('Static analysis')"));
    expect(stageText).not.toMatch(/\bagent\b/);
    expect(stageText).toContain("AWS_ENDPOINT_URL = 'http://127.0.0.1:4566'");
    expect(stageText).toMatch(/LOCALSTACK_IMAGE = '[^']*\/localstack\/localstack:[^']*@sha256:[0-9a-f]{64}'/);
    // LocalStack starts before the tests, inside the stage's timeout, and is removed in `cleanup`.
    const start = stageText.indexOf("label: 'start LocalStack sidecar'");
    const tests = stageText.indexOf("script: 'npm run test:integration'");
    expect(start).toBeGreaterThan(stageText.indexOf('timeout(time: 15'));
    expect(tests).toBeGreaterThan(start);
    expect(stageText.indexOf("label: 'stop LocalStack sidecar'")).toBeGreaterThan(stageText.indexOf('cleanup {'));
  });

  describe('the sidecar scripts, run with bash', () => {
    let work: string;
    let server: http.Server;
    let healthChecks = 0;
    const fakeDocker = `#!/bin/bash
printf '%s\\n' "$*" >> "$FAKE_DOCKER_LOG"
if [ "$1" = run ]; then
  while [ $# -gt 0 ]; do
    if [ "$1" = --cidfile ]; then
      [ -e "$2" ] && { echo "docker: cidfile $2 exists" >&2; exit 125; }
      printf 'c0ffee00c0ffee00' > "$2"
    fi
    shift
  done
fi
`;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'pw-localstack-'));
      writeFileSync(join(work, 'docker'), fakeDocker);
      chmodSync(join(work, 'docker'), 0o755);
      // LocalStack's health endpoint: not ready on the first two checks, then ready.
      server = http.createServer((req, res) => {
        if (req.url !== '/_localstack/health') {
          res.statusCode = 404;
          res.end();
          return;
        }
        healthChecks += 1;
        res.statusCode = healthChecks <= 2 ? 503 : 200;
        res.end(JSON.stringify({ services: { sqs: 'running', sns: 'running' } }));
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      rmSync(work, { recursive: true, force: true });
    });

    it('start publishes LocalStack on loopback, waits for health; cleanup removes the container', async () => {
      const scripts = shScripts(pipeline.ast!);
      const start = scripts.find((s) => s.label === 'start LocalStack sidecar')!.script;
      const stop = scripts.find((s) => s.label === 'stop LocalStack sidecar')!.script;
      const stage = stagesWithParents(pipeline.model!.stages as Stage[]).find(({ stage }) => stage.name === 'Integration tests')!.stage;
      const environment = stage.environment as Record<string, string>;
      const port = String((server.address() as AddressInfo).port);
      const env = {
        PATH: `${work}:${process.env.PATH}`,
        FAKE_DOCKER_LOG: join(work, 'docker.log'),
        LOCALSTACK_IMAGE: environment.LOCALSTACK_IMAGE!,
        // The stage's values, with the port of the stand-in health endpoint.
        LOCALSTACK_PORT: port,
        AWS_ENDPOINT_URL: environment.AWS_ENDPOINT_URL!.replace(':4566', `:${port}`),
      };
      expect(environment.AWS_ENDPOINT_URL).toBe(`http://127.0.0.1:${environment.LOCALSTACK_PORT}`);
      writeFileSync(join(work, '.localstack.cid'), 'stale id from an earlier run');

      const started = await runBash(start, work, env);
      expect(started, started.stderr).toMatchObject({ code: 0 });
      expect(healthChecks).toBe(3);
      expect(readFileSync(env.FAKE_DOCKER_LOG, 'utf8').trim().split('\n')).toEqual([
        `run --detach --rm --cidfile .localstack.cid --publish 127.0.0.1:${port}:4566 --env SERVICES=sqs,sns --env EAGER_SERVICE_LOADING=1 ${environment.LOCALSTACK_IMAGE}`,
      ]);

      const stopped = await runBash(stop, work, env);
      expect(stopped.code).toBe(0);
      expect(readFileSync(env.FAKE_DOCKER_LOG, 'utf8').trim().split('\n').at(-1)).toBe('rm --force c0ffee00c0ffee00');
      expect(existsSync(join(work, '.localstack.cid'))).toBe(false);
      // Cleanup after a start that never happened does nothing and does not fail.
      const again = await runBash(stop, work, env);
      expect(again.code).toBe(0);
      expect(readFileSync(env.FAKE_DOCKER_LOG, 'utf8').trim().split('\n')).toHaveLength(2);
    }, 30_000);
  });
});
