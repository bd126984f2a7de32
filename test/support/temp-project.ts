/** Real temporary project directories for end-to-end tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CliIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

export interface TempProject {
  root: string;
  write(relativePath: string, text: string): string;
  path(relativePath: string): string;
  remove(): void;
}

export function createTempProject(files: Record<string, string> = {}): TempProject {
  const root = mkdtempSync(join(tmpdir(), 'pipewright-test-'));
  const project: TempProject = {
    root,
    path: (relativePath) => join(root, relativePath),
    write(relativePath, text) {
      const target = join(root, relativePath);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      return target;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
  for (const [path, text] of Object.entries(files)) project.write(path, text);
  return project;
}

/** Runs the CLI in-process with captured output. */
export async function runCli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { NO_COLOR: '1' },
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** A small valid pipeline module. */
export const helloPipeline = (message = 'hello') => `import { definePipeline, echo, sh } from 'pipewright';

export default definePipeline({
  agent: { type: 'label', label: 'linux' },
  stages: [
    { name: 'Greet', steps: [echo(${JSON.stringify(message)})] },
    { name: 'Test', steps: [sh('npm test')] },
  ],
});
`;
