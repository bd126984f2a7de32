/**
 * What README.md shows besides TypeScript (test/docs/examples.test.ts compiles that): the output
 * of the tour's mistake and the header of its Jenkinsfile are the real output, the test
 * prerequisites are what .ci/run installs, and the packaged docs link only to files that ship.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';

const repo = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The first fenced block (of `lang`) after `heading` in the README. */
function blockAfter(heading: string, lang: string): string {
  const start = readme.indexOf(heading);
  expect(start, `README.md has "${heading}"`).toBeGreaterThanOrEqual(0);
  const match = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(readme.slice(start));
  expect(match, `a \`\`\`${lang} block after "${heading}"`).not.toBeNull();
  return match![1]!;
}

const tour = blockAfter('**1. Write a pipeline.**', 'ts');

let project: TempProject | undefined;
afterEach(() => project?.remove());

describe('README.md', () => {
  it("the tour's mistake prints what the README shows", async () => {
    const misspelt = tour.replace("steps: [sh('npm ci && npm test')]", "stpes: [sh('npm ci && npm test')]");
    expect(misspelt).not.toBe(tour);
    project = createTempProject({ 'pipelines/hello.pipeline.ts': misspelt });
    const result = await runCli(['compile'], project.root);
    expect(result.code).toBe(2);
    const shown = blockAfter('**3. Make a mistake.**', 'text').trimEnd();
    const errorLines = result.stderr.split('\n').filter((line) => line.includes(' - error '));
    expect(errorLines).toEqual([shown]);
  });

  it("the tour's Jenkinsfile starts as the README shows (… stands for the hash and the rest)", async () => {
    project = createTempProject({ 'pipelines/hello.pipeline.ts': tour });
    expect((await runCli(['compile'], project.root)).code).toBe(0);
    const real = readFileSync(project.path('generated/hello/Jenkinsfile'), 'utf8').split('\n');
    const shown = blockAfter('**2. Compile.**', 'groovy').trimEnd().split('\n');
    shown.forEach((line, index) => {
      if (line.trim() === '…') return;
      if (line.endsWith('…')) expect(real[index]!.startsWith(line.slice(0, -1)), `line ${index + 1}: ${real[index]}`).toBe(true);
      else expect(real[index], `line ${index + 1}`).toBe(line);
    });
  });

  it('names the system packages .ci/run installs for the tests', () => {
    const ci = readFileSync(join(repo, '.ci', 'run'), 'utf8');
    const install = /apt-get install [^\n]*?--no-install-recommends ([^>\n]+)/.exec(ci);
    expect(install).not.toBeNull();
    const installed = install![1]!.trim().split(/\s+/).sort();
    const section = readme.slice(readme.indexOf('## Developing pipewright'));
    const table = section.slice(0, section.indexOf('\n## ', 5));
    const named = [...table.matchAll(/^\| ([^|]+) \|/gm)]
      .flatMap((row) => [...row[1]!.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!))
      .filter((name) => name !== 'unshare' && name !== 'setpriv')
      .sort();
    expect(named).toEqual(installed);
  });
});

describe('packaged documentation', () => {
  /** README.md and docs/**: what `files` in package.json ships besides bin/ and dist/. */
  const docs = [
    'README.md',
    ...readdirSync(join(repo, 'docs'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.md'))
      .map((e) => join(e.parentPath, e.name).slice(repo.length + 1)),
  ];

  it('links only to files that ship with the package', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { files: string[] };
    const ships = (file: string) => pkg.files.some((entry) => file === entry || file.startsWith(`${entry}/`));
    const problems: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(repo, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // absolute URL
        const file = normalize(join(dirname(doc), target!));
        if (!ships(file)) problems.push(`${doc}: links to ${target}, which is not in the package`);
        else if (!file.startsWith('dist/') && !existsSync(join(repo, file))) problems.push(`${doc}: links to ${target}, which does not exist`);
      }
    }
    expect(problems).toEqual([]);
  });
});
