/**
 * The published package as a consumer gets it: the repository's package files are copied to a
 * private staging directory (so the shared dist/ other work may be using is never rebuilt under
 * it), `npm pack` runs there (which runs `prepare`, i.e. scripts/build.mjs, declarations
 * included), and the tarball is installed with `typescript` into a fresh project that has no
 * pipewright.config.ts and no shared modules.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The TypeScript a consumer installs next to pipewright (the version this repository pins). */
export const CONSUMER_TYPESCRIPT = 'typescript@6.0.3';

/** What `npm pack` needs in the staging copy: the package's `files`, and what `prepare` builds from. */
const PACKAGE_SOURCES = ['package.json', 'package-lock.json', 'README.md', 'bin', 'docs', 'src', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json'];

/**
 * Environment for a child npm: without the `npm_*` variables of an enclosing `npm test` (they
 * carry the repository's prefix and script settings), but with its cache and registry.
 */
export function childNpmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.toLowerCase().startsWith('npm_') && !keep.has(key.toLowerCase())) continue;
    env[key] = value;
  }
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return env;
}

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, env: childNpmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface ConsumerProject {
  /** The consumer project's root (package.json, tsconfig.json, node_modules/pipewright). */
  root: string;
  /** The packed tarball. */
  tarball: string;
  /** The file names inside the tarball (`package/...`). */
  tarballFiles: string[];
  remove(): void;
}

/** Builds and packs the package, then installs it with typescript (and `extraPackages`) into a fresh project. */
export function packAndInstall(consumerPackageJson: Record<string, unknown>, extraPackages: string[] = []): ConsumerProject {
  const work = mkdtempSync(join(tmpdir(), 'pipewright-pack-'));
  const stage = join(work, 'stage');
  for (const entry of PACKAGE_SOURCES) cpSync(join(repo, entry), join(stage, entry), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'));
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], stage)) as { filename: string; files: { path: string }[] }[];
  const tarball = join(work, packed!.filename);

  const root = join(work, 'consumer');
  mkdirSync(root);
  writeFileSync(join(root, 'package.json'), `${JSON.stringify(consumerPackageJson, null, 2)}\n`);
  // npm's cache is warm after the repository's `npm ci`: every dependency resolves offline.
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, CONSUMER_TYPESCRIPT, ...extraPackages], root);
  return {
    root,
    tarball,
    tarballFiles: packed!.files.map((f) => `package/${f.path}`),
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
}
