// Helpers the `pipewright diff` end-to-end tests share: git in a temp repository with a fixed
// identity, the CLI dispatcher with captured output (test/support's), and writing files with their folders.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Runs git in `cwd` with a fixed author, no signing and no line-ending conversion. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
    },
  });
}

/** `pipewright <argv>` through the CLI dispatcher, in `cwd`, with its output captured. */
export { runCli as run } from '../support/temp-project.ts';

/** Writes `text` to `file`, creating its folders. */
export function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
