/**
 * Compiles the pipelines of a project as they were at a git ref, without touching the working
 * tree: the project's files at that commit are extracted with `git archive` into a temporary
 * directory, compiled there with `compileProject`, and the directory is removed.
 *
 * The whole project directory is extracted (minus `node_modules`), so `pipewright.config.ts`
 * and every local module a pipeline imports are there, whatever the import graph looked like at
 * that commit. npm packages resolve through links to the working tree's `node_modules` (one link
 * per package, so the loader's bundle cache lands in the temporary directory and goes with it).
 * `import ... from 'pipewright'` resolves to the running pipewright, as it does for the working
 * tree: both sides are compiled by the same compiler, and only the pipelines differ.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileProject, type CompileRun } from '../compile.ts';
import { iamPoliciesOf, type IamPoliciesBySource } from './iam-widening.ts';

/** A failure to read the base from git (unknown ref, not a repository, git missing). */
export class GitBaseError extends Error {
  override name = 'GitBaseError';
}

/** The compiled base, with the commit the ref resolved to. */
export interface BaseRun {
  /** The ref as given, e.g. `origin/main`. */
  ref: string;
  /** Full commit id it resolved to. */
  commit: string;
  run: CompileRun;
  /** The generated IAM policies of the base's pipelines (generated while its tree exists: templates are read from it). */
  iam: IamPoliciesBySource;
}

interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

function git(args: string[], cwd: string): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new GitBaseError(`cannot run git: ${error.message}`)));
    child.on('close', (code) => resolvePromise({ stdout, stderr, code: code ?? 1 }));
  });
}

/** `git archive <commit> -- <pathspec>` piped into `tar -x -C <directory>`. */
function extractTree(gitRoot: string, commit: string, pathspecs: string[], directory: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const archive = spawn('git', ['archive', '--format=tar', commit, '--', ...pathspecs], { cwd: gitRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-f', '-', '-C', directory], { stdio: ['pipe', 'ignore', 'pipe'] });
    let archiveError = '';
    let tarError = '';
    archive.stderr.setEncoding('utf8').on('data', (chunk: string) => (archiveError += chunk));
    tar.stderr.setEncoding('utf8').on('data', (chunk: string) => (tarError += chunk));
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    let failure: string | undefined;
    const done = (what: string, code: number | null, message: string) => {
      if (code !== 0 && !failure) failure = `${what} failed (exit ${code}): ${message.trim()}`;
      if (--pending === 0) {
        if (failure) reject(new GitBaseError(failure));
        else resolvePromise();
      }
    };
    archive.on('error', (error) => reject(new GitBaseError(`cannot run git archive: ${error.message}`)));
    tar.on('error', (error) => reject(new GitBaseError(`cannot run tar: ${error.message}`)));
    archive.on('close', (code) => done('git archive', code, archiveError));
    tar.on('close', (code) => done('tar', code, tarError));
  });
}

/** The nearest `node_modules` at or above `directory`. */
function nearestNodeModules(directory: string): string | undefined {
  for (let dir = path.resolve(directory); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Links every package of `source` into a fresh `target` directory (not the cache folders). */
async function linkPackages(source: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source)) {
    if (entry === '.cache' || entry === '.bin' || entry === '.package-lock.json') continue;
    await symlink(path.join(source, entry), path.join(target, entry), 'junction');
  }
}

/**
 * Resolves `ref` in the git repository that contains `root` and compiles the project's
 * pipelines as they were at that commit. Throws {@link GitBaseError} when git cannot provide it.
 */
export async function compileAtRef(root: string, ref: string): Promise<BaseRun> {
  const projectRoot = path.resolve(root);
  const top = await git(['rev-parse', '--show-toplevel'], projectRoot);
  if (top.code !== 0) throw new GitBaseError(`${projectRoot} is not inside a git repository: ${top.stderr.trim()}`);
  const gitRoot = top.stdout.trim();
  const resolved = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], projectRoot);
  if (resolved.code !== 0) {
    throw new GitBaseError(
      `unknown git ref "${ref}" (in a shallow or single-branch clone, fetch it first, e.g. ` +
        '`git fetch --no-tags origin +refs/heads/main:refs/remotes/origin/main`)',
    );
  }
  const commit = resolved.stdout.trim();
  // The project may be a folder of a larger repository (monorepo): extract only that folder.
  const prefix = path.relative(gitRoot, projectRoot).split(path.sep).join('/');
  const pathspecs = [prefix || '.', ':(exclude,glob)**/node_modules/**'];

  const temporary = await mkdtemp(path.join(tmpdir(), 'pipewright-base-'));
  try {
    // The ref may predate the project folder: then there is nothing to compile.
    const exists = await git(['cat-file', '-e', `${commit}:${prefix ? `${prefix}/` : ''}`], gitRoot);
    const baseRoot = path.join(temporary, prefix);
    await mkdir(baseRoot, { recursive: true });
    if (exists.code === 0) await extractTree(gitRoot, commit, pathspecs, temporary);
    const packages = nearestNodeModules(projectRoot);
    if (packages) await linkPackages(packages, path.join(baseRoot, 'node_modules'));
    const run = await compileProject({ root: baseRoot });
    return { ref, commit, run, iam: await iamPoliciesOf(run) };
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
