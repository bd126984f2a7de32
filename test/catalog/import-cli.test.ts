/** `pipewright catalog import|export-script|types` end to end: real files, a real HTTP server, the CLI dispatcher. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { runCatalogCli } from '../../src/cli/catalog.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { EXPORT_SCRIPT } from '../../src/catalog/export-script.ts';
import { importGdsl } from '../../src/catalog/import/gdsl.ts';
import { parsePluginsTxt } from '../../src/catalog/import/plugins.ts';
import { defaultCatalog } from '../../src/catalog/index.ts';
import { CatalogSchema, type Catalog } from '../../src/catalog/schema.ts';
import { generateTypedSteps } from '../../src/catalog/typed-steps.ts';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const GDSL = join(FIXTURES, 'gdsl', 'wkobiela-jenkins.gdsl');
const PLUGINS = join(FIXTURES, 'plugins', 'adop-jenkins.plugins.txt');

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: { NO_COLOR: '1', ...env }, cwd };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

let project: TempProject;
beforeAll(() => {
  project = createTempProject({
    'pipewright.config.ts': "import { defineConfig } from 'pipewright';\nexport default defineConfig({ catalog: 'controller/catalog.json' });\n",
  });
});
afterAll(() => project?.remove());

describe('pipewright catalog import', () => {
  it('GDSL + plugins.txt, merged onto the bundled catalog, written where pipewright.config.ts says', async () => {
    const result = await runCli(['catalog', 'import', GDSL, PLUGINS], project.root);
    expect(result.stderr).toContain('wkobiela-jenkins.gdsl: gdsl:');
    expect(result.code).toBe(0);
    const written = JSON.parse(readFileSync(project.path('controller/catalog.json'), 'utf8')) as Catalog;
    expect(CatalogSchema.safeParse(written).success).toBe(true);
    const gdsl = importGdsl(readFileSync(GDSL, 'utf8')).catalog;
    expect(written.steps.map((s) => s.name)).toEqual(gdsl.steps.map((s) => s.name));
    expect(written.plugins).toEqual(parsePluginsTxt(readFileSync(PLUGINS, 'utf8')));
    // The bundled catalog named the plugin GDSL does not give.
    expect(written.steps.find((s) => s.name === 'sh')?.plugin).toBe(defaultCatalog().steps.find((s) => s.name === 'sh')?.plugin);
    expect(written.source).toBe('merged');
  });

  it('--no-bundled --out -: the GDSL alone, on stdout', async () => {
    const result = await runCli(['catalog', 'import', GDSL, '--no-bundled', '--out', '-', '--name', 'ci.example.com'], project.root);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Catalog;
    expect(printed).toMatchObject({ name: 'ci.example.com', source: 'gdsl' });
    expect(printed.steps.every((s) => s.plugin === 'unknown')).toBe(true);
  });

  it('fetches from a controller over HTTP with JENKINS_USER/JENKINS_TOKEN', async () => {
    const gdsl = readFileSync(GDSL, 'utf8');
    const seen: (string | undefined)[] = [];
    const server: Server = createServer((request, response) => {
      seen.push(request.headers.authorization);
      if (request.url !== '/pipeline-syntax/gdsl') return void response.writeHead(404).end();
      if (request.headers.authorization !== `Basic ${Buffer.from('ci-bot:11aa22bb').toString('base64')}`) return void response.writeHead(401).end('Unauthorized');
      response.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8' }).end(gdsl);
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pipeline-syntax/gdsl`;
    try {
      const denied = await run(['catalog', 'import', url, '--out', '-'], project.root);
      expect(denied.code).toBe(2);
      expect(denied.stderr).toContain('HTTP 401');
      const ok = await run(['catalog', 'import', url, '--out', '-', '--no-bundled'], project.root, { JENKINS_USER: 'ci-bot', JENKINS_TOKEN: '11aa22bb' });
      expect(ok.stderr).toBe(`${url}: gdsl: ${importGdsl(gdsl).catalog.steps.length} steps, 0 describables, 0 plugins\n`);
      expect(ok.code).toBe(0);
      expect((JSON.parse(ok.stdout) as Catalog).steps).toEqual(importGdsl(gdsl).catalog.steps);
      expect(seen).toEqual([undefined, `Basic ${Buffer.from('ci-bot:11aa22bb').toString('base64')}`]);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });

  it('- reads standard input (format detected or given)', async () => {
    const gdsl = readFileSync(GDSL, 'utf8');
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {}, cwd: project.root };
    const code = await runCatalogCli(['import', '-', '--no-bundled', '--out', '-', '--format', 'gdsl'], io, async () => gdsl);
    expect(stderr).toContain('-: gdsl:');
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Catalog).steps).toEqual(importGdsl(gdsl).catalog.steps);
  });

  it('refuses unreadable, unknown or broken input with exit 2 and the reason', async () => {
    const missing = await runCli(['catalog', 'import', 'nope.gdsl', '--out', '-'], project.root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.gdsl');
    project.write('broken.gdsl', "def ctx = context(scope: scriptScope())\ncontributor(ctx) {\n  method(name: 'x' type: 'Object')\n}\n");
    const broken = await runCli(['catalog', 'import', 'broken.gdsl', '--out', '-'], project.root);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('line 3');
    project.write('notes.txt', 'hello world\n');
    const unknown = await runCli(['catalog', 'import', 'notes.txt', '--out', '-'], project.root);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--format gdsl|json|plugins');
    const badFormat = await runCli(['catalog', 'import', 'notes.txt', '--format', 'yaml'], project.root);
    expect(badFormat.code).toBe(2);
  });
});

describe('pipewright catalog export-script and types', () => {
  it('export-script prints the script (or writes it)', async () => {
    const printed = await runCli(['catalog', 'export-script'], project.root);
    expect(printed).toMatchObject({ code: 0, stdout: EXPORT_SCRIPT });
    const written = await runCli(['catalog', 'export-script', '--out', 'export.groovy'], project.root);
    expect(written.code).toBe(0);
    expect(readFileSync(project.path('export.groovy'), 'utf8')).toBe(EXPORT_SCRIPT);
  });

  it('types writes the module for the catalog pipewright.config.ts names, or --catalog', async () => {
    const imported = await runCli(['catalog', 'import', GDSL, '--no-bundled'], project.root);
    expect(imported.code).toBe(0);
    const configured = JSON.parse(readFileSync(project.path('controller/catalog.json'), 'utf8')) as Catalog;
    const result = await runCli(['catalog', 'types', '--out', 'src/jenkins-steps.ts', '--exclude', 'sh,echo'], project.root);
    expect(result.code).toBe(0);
    expect(readFileSync(project.path('src/jenkins-steps.ts'), 'utf8')).toBe(generateTypedSteps(configured, { exclude: ['sh', 'echo'] }));
    const bundled = await runCli(['catalog', 'types', '--catalog', join(FIXTURES, 'gdsl', '..', '..', '..', '..', 'src', 'catalog', 'default-catalog.json'), '--import-from', 'pipewright'], project.root);
    expect(bundled.code).toBe(0);
    expect(bundled.stdout).toBe(generateTypedSteps(defaultCatalog()));
  });

  it('is listed in the help and explains its subcommands', async () => {
    expect((await runCli(['--help'], project.root)).stdout).toMatch(/^\s+catalog <command>/m);
    const help = await runCli(['catalog', '--help'], project.root);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('pipewright catalog import <file|URL|->...');
    expect((await runCli(['catalog', 'frobnicate'], project.root)).code).toBe(2);
  });
});
