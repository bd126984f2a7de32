/**
 * pipewright as a consumer gets it from npm (issue #13.1): build, `npm pack`, install the tarball
 * and typescript into a fresh project without pipewright.config.ts or shared modules, then use it
 * the way the README says. Types must ship and catch mistakes; the CLI must run from the package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childNpmEnv, packAndInstall, repo, type ConsumerProject } from './pack.ts';

/** Node's types for the stricter consumer (the version this repository pins). */
const NODE_TYPES = '@types/node@20.19.43';

/** The README's tour pipeline: the first ```ts block, verbatim (it is also the "correct pipeline"). */
function readmeTourPipeline(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const block = /```ts\n(\/\/ pipelines\/hello\.pipeline\.ts\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```ts block starting with // pipelines/hello.pipeline.ts');
  return block[1]!;
}

/** A preset pipeline using only what the package exports (no org-defaults module). */
const PRESET_PIPELINE = `import { definePipeline, nodeService, type DeliveryEnvironment } from 'pipewright';

const dev: DeliveryEnvironment = {
  name: 'dev',
  awsAccountId: '111111111111',
  region: 'eu-west-1',
  deployRole: 'ecs-deployer-dev',
  agentLabel: 'deploy-dev',
  target: { kind: 'ecs', cluster: 'dev-apps', service: 'orders-api', container: 'app', taskDefinition: 'deploy/taskdef.dev.json' },
};

export default definePipeline(
  nodeService({
    name: 'orders-api',
    registry: { accountId: '999999999999', region: 'eu-west-1', pushRole: 'ecr-pusher' },
    environments: [dev],
    sonar: { installation: 'sonarqube' },
    signing: { key: 'awskms:///alias/ci-cosign' },
    smokeTest: './scripts/smoke.sh',
  }),
);
`;

/**
 * Two consumers: a Node project (nodenext, @types/node) that also checks every declaration file
 * it loads (`skipLibCheck: false`: pipewright's declarations must be valid on their own), and a
 * bundler-resolution project without Node types, with the `tsc --init` default `skipLibCheck`.
 */
const TSCONFIGS = {
  'tsconfig.json': { module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: false, types: ['node'] },
  'tsconfig.bundler.json': { module: 'preserve', moduleResolution: 'bundler', skipLibCheck: true, types: [] },
};
const tsconfig = (options: (typeof TSCONFIGS)[keyof typeof TSCONFIGS]) => ({
  compilerOptions: { target: 'es2022', strict: true, noEmit: true, allowImportingTsExtensions: true, ...options },
  include: ['pipelines', 'typecheck'],
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let consumer: ConsumerProject;
const pipewrightBin = () => join(consumer.root, 'node_modules', '.bin', 'pipewright');

/** Runs the installed `pipewright` bin (what `npx pipewright` resolves to) in the consumer project. */
function pipewright(...args: string[]): Run {
  const result = spawnSync(pipewrightBin(), args, { cwd: consumer.root, env: childNpmEnv(), encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `tsc -p <config>` in the consumer project: errors per file, as `file(line,col): error TSnnnn: ...` lines. */
function tsc(config: string): string[] {
  const result = spawnSync(join(consumer.root, 'node_modules', '.bin', 'tsc'), ['-p', config], { cwd: consumer.root, encoding: 'utf8' });
  return result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
}

beforeAll(() => {
  consumer = packAndInstall({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, [NODE_TYPES]);
  const write = (file: string, text: string) => {
    mkdirSync(join(consumer.root, file, '..'), { recursive: true });
    writeFileSync(join(consumer.root, file), text);
  };
  for (const [file, options] of Object.entries(TSCONFIGS)) write(file, JSON.stringify(tsconfig(options), null, 2));
  const tour = readmeTourPipeline();
  write('pipelines/hello.pipeline.ts', tour);
  write('pipelines/orders-api.pipeline.ts', PRESET_PIPELINE);
  // Mistakes a newcomer makes; outside pipelines/ so that only tsc sees them.
  const misspelt = tour.replace("steps: [sh('npm ci && npm test')]", "stpes: [sh('npm ci && npm test')]");
  const wrongType = tour.replace('time: 20,', "time: '20',");
  const wrongPresetOption = PRESET_PIPELINE.replace("name: 'orders-api',", "name: 'orders-api',\n    nodeVerison: '20',");
  for (const [name, text, original] of [['misspelt-key', misspelt, tour], ['wrong-type', wrongType, tour], ['wrong-preset-option', wrongPresetOption, PRESET_PIPELINE]] as const) {
    expect(text, `${name}: the mistake was not introduced`).not.toBe(original);
    write(`typecheck/${name}.ts`, text);
  }
}, 240_000);

afterAll(() => consumer?.remove());

describe('the packed package', () => {
  it('ships type declarations for its entry point, and no TypeScript sources', () => {
    expect(consumer.tarballFiles).toContain('package/dist/index.d.ts');
    expect(consumer.tarballFiles).toContain('package/dist/dsl/index.d.ts');
    expect(consumer.tarballFiles.filter((f) => f.startsWith('package/src/'))).toEqual([]);
    // Declarations import each other by .js specifiers, as a consumer's resolver expects.
    const index = readFileSync(join(consumer.root, 'node_modules/pipewright/dist/index.d.ts'), 'utf8');
    expect(index).toContain("from './dsl/index.js'");
    expect(index).not.toMatch(/from '\.{1,2}\/[^']*\.ts'/);
  });

  for (const config of Object.keys(TSCONFIGS)) {
    it(`type-checks a correct pipeline and reports each mistake (${config})`, () => {
      const errors = tsc(config);
      const errorsIn = (file: string) => errors.filter((line) => line.startsWith(file));
      expect(errorsIn('pipelines/')).toEqual([]);
      expect(errorsIn('node_modules/')).toEqual([]);
      expect(errorsIn('typecheck/misspelt-key.ts').join('\n')).toMatch(/error TS2561: .*'stpes' does not exist in type 'Stage'\. Did you mean to write 'steps'\?/);
      expect(errorsIn('typecheck/wrong-type.ts').join('\n')).toMatch(/error TS2322: Type 'string' is not assignable to type 'number'/);
      expect(errorsIn('typecheck/wrong-preset-option.ts').join('\n')).toMatch(/error TS(2353|2561): .*'nodeVerison' does not exist in type 'NodeServiceOptions'/);
      expect(errors).toHaveLength(3);
    }, 240_000); // checking every declaration file (skipLibCheck: false) takes ~10 s of CPU; minutes on a loaded machine
  }

  it('prints its version', () => {
    const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
    const run = pipewright('--version');
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toBe(`${version}\n`);
  });

  it('explains a rule', () => {
    const run = pipewright('explain', 'FLOW-001');
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^FLOW-001: /);
  });

  it('compiles, checks and lints the pipelines; the header says how to recompile in this project', () => {
    const compile = pipewright('compile');
    expect(compile.stderr).not.toMatch(/internal error|error PW/);
    expect(compile.status).toBe(0);
    const hello = readFileSync(join(consumer.root, 'generated/hello/Jenkinsfile'), 'utf8');
    // No compile-pipelines script in this project: the hint is the command that works here.
    expect(hello.split('\n')[0]).toBe(
      '// Generated by pipewright from pipelines/hello.pipeline.ts. Do not edit: change the source and run `npx pipewright compile`.',
    );
    expect(hello).toContain(`sh './publish.sh "$GIT_COMMIT"'`);
    expect(readFileSync(join(consumer.root, 'generated/orders-api/Jenkinsfile'), 'utf8')).toContain('pipeline {');

    expect(pipewright('compile', '--check')).toMatchObject({ status: 0 });

    // The preset pipeline has warnings (no notifications, unpinned Snyk, ...), nothing at failOn.
    const lint = pipewright('lint', '--format', 'json');
    expect(lint.stderr).toBe('');
    expect(lint.status).toBe(0);
    const report = JSON.parse(lint.stdout) as { summary: { errors: number; warnings: number }; pipelines: { name: string }[] };
    expect(report.pipelines.map((p) => p.name).sort()).toEqual(['hello', 'orders-api']);
    expect(report.summary.errors).toBe(0);
    expect(report.summary.warnings).toBeGreaterThan(0);
  });

  it('compiles on two threads from the installed package (the compile worker ships in it)', () => {
    expect(consumer.tarballFiles).toContain('package/dist/compile-worker.js');
    expect(spawnSync(pipewrightBin(), ['compile'], { cwd: consumer.root, env: { ...childNpmEnv(), PIPEWRIGHT_COMPILE_THREADS: '1' }, encoding: 'utf8' }).status).toBe(0);
    const twoThreads = spawnSync(pipewrightBin(), ['compile', '--check'], {
      cwd: consumer.root,
      env: { ...childNpmEnv(), PIPEWRIGHT_COMPILE_THREADS: '2' },
      encoding: 'utf8',
    });
    expect(twoThreads.stderr).toBe('');
    expect(twoThreads.status).toBe(0);
    const threads = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "import { compileProject } from 'pipewright'; const run = await compileProject({ root: process.cwd(), lazyModels: true }); console.log(run.threads);"],
      { cwd: consumer.root, env: { ...childNpmEnv(), PIPEWRIGHT_COMPILE_THREADS: '2' }, encoding: 'utf8' },
    );
    expect({ threads: threads.stdout.trim(), stderr: threads.stderr }).toEqual({ threads: '2', stderr: '' });
  });

  it('names the compile-pipelines script in the header once the project defines one', () => {
    const packageJson = join(consumer.root, 'package.json');
    const original = readFileSync(packageJson, 'utf8');
    try {
      const pkg = JSON.parse(original) as { scripts?: Record<string, string> };
      writeFileSync(packageJson, JSON.stringify({ ...pkg, scripts: { 'compile-pipelines': 'pipewright compile' } }, null, 2));
      expect(execFileSync('npm', ['run', '--silent', 'compile-pipelines'], { cwd: consumer.root, env: childNpmEnv(), encoding: 'utf8' })).not.toMatch(/error/);
      expect(readFileSync(join(consumer.root, 'generated/hello/Jenkinsfile'), 'utf8').split('\n')[0]).toMatch(/run `npm run compile-pipelines`\.$/);
    } finally {
      writeFileSync(packageJson, original);
    }
  });
});

// The bundled catalog ships in the same package (one pack and install serves both suites).
describe('the bundled catalog in the npm package', () => {
  const node = (args: string[]) =>
    execFileSync(process.execPath, args, { cwd: consumer.root, env: childNpmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('is in the tarball and defaultCatalog() returns the committed document', () => {
    expect(consumer.tarballFiles).toContain('package/dist/default-catalog.json');
    const committed = JSON.parse(readFileSync(join(repo, 'src/catalog/default-catalog.json'), 'utf8')) as unknown;
    const loaded = node([
      '--input-type=module',
      '-e',
      "import { defaultCatalog, indexCatalog } from 'pipewright'; const c = defaultCatalog(); " +
        "if (indexCatalog(c).step('sh')?.plugin !== 'workflow-durable-task-step') process.exit(3); console.log(JSON.stringify(c));",
    ]);
    expect(JSON.parse(loaded)).toEqual(committed);
    const file = JSON.parse(readFileSync(join(consumer.root, 'node_modules/pipewright/dist/default-catalog.json'), 'utf8')) as unknown;
    expect(file).toEqual(committed);
  });

  it('pipewright plugins runs from the installed package', () => {
    const out = node([join(consumer.root, 'node_modules/pipewright/bin/pipewright.js'), 'plugins']);
    expect(out).toMatch(/^workflow-durable-task-step:\S+$/m);
    expect(out).toMatch(/^pipeline-model-definition:\S+$/m);
  });
});
